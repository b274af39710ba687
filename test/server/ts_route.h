/*
 * ts_route.h
 *    What the route handlers of es-test-server share: the context of one
 *    request and the answers every route may give (errors in ES's two
 *    envelopes, 405, "no handler").  ts_api.c routes and checks,
 *    ts_admin.c answers the index APIs, ts_testapi.c the /_test/ ones.
 *
 * Every route handler writes its body to c->out and returns the status.
 */
#ifndef TS_ROUTE_H
#define TS_ROUTE_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "ts_state.h"

#define TS_ROUTE_SEGS 4

struct ts_ctx {
    struct ts_state *st;
    const struct ts_request *req;
    struct ts_query q;
    struct ts_out out;
    int status;
    const char *allow;
    const char *www_auth;
    const char *content_type; /* set by answers that are not JSON */
    uint32_t retry_after_s;
    bool head;
    bool compat;           /* es8 compatible-with media type */
    bool no_count;         /* the request reset the counters: do not count it */
    bool filtered;         /* filter_path was applied while writing out */
    bool no_product;       /* an answer ES did not write (a proxy's) */
    bool close;            /* close the connection after the answer */
    struct ts_out written; /* _bulk: the indices it wrote, for the log */
    char uri[2048];
    char segs[TS_ROUTE_SEGS][TS_NAME_MAX + 1]; /* the path, decoded */
    int nsegs;
};

bool ts_route_method_is(const struct ts_ctx *c, const char *m);

/* {"error":"msg"} or, with_status, {"error":"msg","status":N}. */
int ts_route_short_error(struct ts_ctx *c, int status, const char *msg,
                         bool with_status);

/* 400 "no handler found for uri [..] and method [..]". */
int ts_route_no_handler(struct ts_ctx *c);

/* 405 with Allow: allow; allow_list is the same for the message. */
int ts_route_bad_method(struct ts_ctx *c, const char *allow,
                        const char *allow_list);

/* The standard envelope with one root cause. */
int ts_route_error(struct ts_ctx *c, int status, const char *type,
                   const char *reason);

/* The same with metadata (meta: members with their leading commas). */
int ts_route_error_meta(struct ts_ctx *c, int status, const char *type,
                        const char *reason, struct ts_out *meta);

/* 404 index_not_found_exception "no such index [name]". */
int ts_route_not_found(struct ts_ctx *c, const char *name);

/* 200 {"acknowledged":true} */
int ts_route_ack(struct ts_ctx *c);

/*
 * The body as a JSON object; NULL for an empty body, or NULL with
 * *status set (and the 400 written) when it is not an object.
 */
json_t *ts_route_body_json(struct ts_ctx *c, int *status);

/* Writes a JSON array of strings. */
void ts_route_str_array(struct ts_out *o, const char *const *v, int n);

/* ---- ts_admin.c: the index APIs (every path not under /_, and
 * /_aliases, /_alias, /_index_template, /_settings) ---- */

/* Routes an index API call; 0 if the path is not one. */
int ts_admin_route(struct ts_ctx *c);

/*
 * Resolves an index expression (ts_store_expand()); on failure writes
 * ES's answer (404 index_not_found_exception, or 400 for an alias where
 * aliases are refused) and returns its status, *list then NULL.
 */
int ts_admin_expand(struct ts_ctx *c, const char *expr, int flags,
                    struct ts_index ***list, int *n);

/* ---- ts_aliases.c ---- */

/* POST /_aliases. */
int ts_aliases_post(struct ts_ctx *c);

/*
 * /_alias[/{names}] (expr NULL) and /{expr}/_alias[/{names}]: GET, HEAD,
 * and with both, PUT (add) and DELETE (remove).
 */
int ts_aliases_route(struct ts_ctx *c, const char *expr, const char *names);

/* ---- ts_templates.c ---- */

/* /_index_template[/{name}]. */
int ts_templates_route(struct ts_ctx *c, const char *name);

/* ---- ts_testapi.c ---- */

/* /_test/stats, reset, faults, requests (under the state's lock). */
int ts_test_route(struct ts_ctx *c);

/* /_test/nodes (without the state's lock: nodes may stop and start). */
int ts_test_nodes_route(struct ts_ctx *c);

#endif
