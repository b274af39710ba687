/*
 * ts_state.h
 *    Internal state of es-test-server's semantics layer, shared by ts_api.c
 *    (routes), ts_store.c (indices, ids, mappings, aliases, templates) and
 *    ts_bulk.c (_bulk).  Not part of the contract with the HTTP layer.
 *
 * Everything here is protected by state->lock, taken once per request.
 */
#ifndef TS_STATE_H
#define TS_STATE_H

#include <jansson.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ts_api.h"
#include "ts_out.h"
#include "ts_reqlog.h"

#define TS_NAME_MAX 256         /* index and alias names: ES allows 255 */
#define TS_STATUS_MAX 600       /* HTTP statuses counted: 0..599 */
#define TS_FIELDS_LIMIT 1000    /* index.mapping.total_fields.limit */
#define TS_OUT_MAX (1u << 30)   /* largest response body we build */
#define TS_IDTAB_MAX (1u << 28) /* slots per index: ~190M live ids */

/*
 * One document id.  The id itself is not kept, only a 64-bit hash of it:
 * with n ids the chance that any two collide is about n^2 / 2^65, i.e.
 * 2.7e-6 for 10 million ids, which the tests accept.  32 bytes per slot.
 */
struct ts_idslot {
    uint64_t h;       /* hash of the id; 0 = empty slot */
    uint64_t sum;     /* ts_docsum(id, source) of the live version */
    uint64_t srcsum;  /* ts_docsum("", source) of the live version */
    uint32_t version; /* last _version; high bit set = deleted */
    uint32_t pad;
};

#define TS_ID_DELETED 0x80000000u

/* Open addressing, linear probing, power-of-two size, max load 0.8. */
struct ts_idtab {
    struct ts_idslot *slots;
    size_t cap;
    size_t used; /* slots in use, deleted ids included */
};

enum ts_ftype {
    TS_FT_NONE = 0,
    TS_FT_LONG,  /* long, integer, short, byte, unsigned_long */
    TS_FT_FLOAT, /* float, double, half_float, scaled_float */
    TS_FT_BOOL,
    TS_FT_DATE,
    TS_FT_TEXT, /* text, keyword, wildcard, ... */
    TS_FT_IP,
    TS_FT_OBJECT,
    TS_FT_OTHER, /* anything else: accepts every value */
};

/* Mapped fields by hash of their dotted path. */
struct ts_fieldslot {
    uint64_t h;   /* 0 = empty */
    uint8_t type; /* enum ts_ftype */
    uint8_t name; /* index into the type-name table of ts_store.c */
};

struct ts_fieldmap {
    struct ts_fieldslot *slots;
    size_t cap;
    size_t n;
    size_t counted; /* fields as ES counts them for the total limit */
};

struct ts_index {
    char name[TS_NAME_MAX];
    char uuid[24];
    struct ts_idtab ids;
    struct ts_fieldmap fields;
    uint64_t live;            /* distinct live ids */
    uint64_t visible;         /* live at the last refresh (for _count) */
    uint64_t seq_no;          /* next _seq_no */
    uint64_t checksum;        /* sum of sum over live ids */
    uint64_t source_checksum; /* sum of srcsum over live ids */
    uint64_t created, updated, deleted, duplicates;
    json_t *settings;   /* "index.*" -> string (or array); see ts_settings.c */
    int replicas;       /* from settings: index.number_of_replicas */
    int64_t refresh_ms; /* from settings: index.refresh_interval, -1 off */
    int64_t last_write_ms;
    bool dirty; /* written since the last refresh */
    struct ts_index *next;
};

struct ts_alias {
    char name[TS_NAME_MAX];
    struct ts_index *index;
    int is_write; /* -1 unset, 0 false, 1 true */
    struct ts_alias *next;
};

#define TS_TEMPLATE_PATTERNS 16

struct ts_template {
    char name[TS_NAME_MAX];
    char *patterns[TS_TEMPLATE_PATTERNS];
    int npatterns;
    long priority;
    json_t *body;     /* the body as PUT (composed_of, version, _meta...) */
    json_t *template; /* {settings, mappings, aliases}, borrowed from body */
    json_t *settings; /* template.settings normalized as for an index */
    struct ts_template *next;
};

struct ts_stats {
    uint64_t requests;
    uint64_t bulk_requests;
    uint64_t bytes_received;
    uint64_t responses[TS_STATUS_MAX];
    uint64_t items[TS_STATUS_MAX];
    uint64_t fault_item_429, fault_item_503;
    uint64_t fault_request_429, fault_request_503, fault_drop;
};

/* The cluster's nodes (ts_nodes.c). */
struct ts_node {
    uint16_t port;
    int state;        /* enum ts_node_state; atomic loads and stores */
    int64_t until_ms; /* > 0: back to up at this ts_now_ms() */
};

struct ts_nodes {
    unsigned n;
    struct ts_node node[TS_NODES_MAX];
    struct ts_transport tp;
    bool has_tp;
    pthread_mutex_t lock; /* one change at a time; never with state->lock */
    pthread_cond_t wake;  /* the timer's */
    pthread_t timer;      /* brings nodes back after "for_ms" */
    bool timer_running;
    bool stopping;
};

struct ts_state {
    struct ts_config config;
    char *numeric_field; /* owned copy of config.numeric_field */
    char *auth;          /* owned copy of config.auth */
    struct ts_faults faults;
    pthread_mutex_t lock;
    struct ts_index *indices;
    struct ts_alias *aliases;
    struct ts_template *templates;
    struct ts_stats stats;
    uint64_t id_counter; /* for auto-generated ids */
    uint64_t uuid_counter;
    /* _bulk's items array, kept between requests (under the lock) so a
     * steady stream of bulks does not fault in fresh pages every time;
     * bounded by max_content_length / 2 items. */
    void *bulk_items;
    size_t bulk_items_cap;
    struct ts_reqlog reqlog; /* GET /_test/requests */
    struct ts_nodes nodes;   /* its own lock, taken without state->lock */
};

/* ---- ts_store.c ---- */

int64_t ts_now_ms(void);

/* Finds the slot of hash h, or NULL. */
struct ts_idslot *ts_idtab_find(struct ts_idtab *tab, uint64_t h);
/* Finds or adds the slot of h (a new one is zeroed but for h); NULL if the
 * table is at its bound or out of memory. */
struct ts_idslot *ts_idtab_upsert(struct ts_idtab *tab, uint64_t h);
/*
 * For a write that may add h: grows the table first if one more id would
 * pass the load bound, then returns the slot of h, or the empty (all
 * zero) slot where h would go, which ts_idtab_claim() then takes.  One
 * probe instead of ts_idtab_find() and ts_idtab_upsert(); nothing may
 * change the table in between.  NULL if the table cannot grow.
 */
struct ts_idslot *ts_idtab_probe(struct ts_idtab *tab, uint64_t h);
void ts_idtab_claim(struct ts_idtab *tab, struct ts_idslot *slot, uint64_t h);
void ts_idtab_free(struct ts_idtab *tab);

/* The hash of an id for the id table (never 0). */
uint64_t ts_id_hash(const char *id, size_t len);
/* The hash of a dotted field path (never 0). */
uint64_t ts_path_hash(const char *path, size_t len);

const struct ts_fieldslot *ts_fieldmap_get(const struct ts_fieldmap *fm,
                                           uint64_t h);
int ts_fieldmap_put(struct ts_fieldmap *fm, uint64_t h, enum ts_ftype type,
                    uint8_t name);
/* The ES type name of a slot ("long", "text", ...). */
const char *ts_ftype_name(uint8_t name);
/* The name index for a dynamic type. */
uint8_t ts_ftype_default_name(enum ts_ftype type);

struct ts_index *ts_store_index(struct ts_state *st, const char *name,
                                size_t len);
bool ts_store_alias_exists(struct ts_state *st, const char *name, size_t len);

/*
 * Checks an index name the way ES does; on failure writes the reason
 * ("Invalid index name [X], must be lowercase") to reason.
 */
bool ts_store_name_valid(const char *name, size_t len, char *reason,
                         size_t cap);

/*
 * Creates an index (templates applied first, then body, a JSON object with
 * settings/mappings/aliases, may be NULL).  Returns NULL on out of memory
 * or a bad body (reason filled).
 */
struct ts_index *ts_store_create(struct ts_state *st, const char *name,
                                 size_t len, json_t *body, char *reason,
                                 size_t cap);

/* Applies a "mappings" object ({"properties":{...}}). */
void ts_store_apply_mappings(struct ts_index *idx, json_t *mappings);

/* Makes what was written so far visible to _count. */
void ts_store_refresh(struct ts_index *idx);
/* Refreshes when refresh_interval has passed since the last write. */
void ts_store_maybe_refresh(struct ts_index *idx, int64_t now);

/*
 * Resolves a write target.  Returns 0 with *idx set, 1 if nothing by that
 * name exists, -1 with reason if the alias has no write index.
 */
int ts_store_resolve_write(struct ts_state *st, const char *name, size_t len,
                           struct ts_index **idx, char *reason, size_t cap);

int ts_store_alias_add(struct ts_state *st, const char *alias,
                       struct ts_index *idx, int is_write);
/* The alias of that name on idx, or NULL. */
struct ts_alias *ts_store_alias_on(struct ts_state *st, const char *alias,
                                   const struct ts_index *idx);

/* '*' globbing, as ES matches index patterns and setting names. */
bool ts_glob_match(const char *pattern, const char *s);

/* How ts_store_expand() reads an expression. */
#define TS_EXPAND_ALIASES                                                      \
    1 /* an alias stands for its indices (else it is                           \
       * refused, as DELETE refuses it) */

enum ts_expand_result {
    TS_EXPAND_OK = 0,
    TS_EXPAND_MISSING, /* a name is neither an index nor an alias */
    TS_EXPAND_ALIAS,   /* a name is an alias, and aliases are refused */
    TS_EXPAND_NOMEM,
};

/*
 * Resolves an index expression as ES does with its default options: a
 * comma list of names, aliases (with TS_EXPAND_ALIASES) and '*' patterns
 * (which match indices and, with TS_EXPAND_ALIASES, aliases; one that
 * matches nothing is no error), "_all", and after a pattern "-name" to
 * leave indices out.  *out gets a malloc'd array of *n distinct indices
 * (the caller frees it, also when *n is 0); on an error, bad (cap bytes)
 * gets the name at fault and *out is NULL.
 */
enum ts_expand_result ts_store_expand(struct ts_state *st, const char *expr,
                                      int flags, struct ts_index ***out, int *n,
                                      char *bad, size_t cap);

/* qsort() order of struct ts_index pointers: by name. */
int ts_index_name_cmp(const void *a, const void *b);

/* Unlinks and frees an index, with the aliases on it. */
void ts_store_delete(struct ts_state *st, struct ts_index *idx);

/* Frees a template (its patterns, body, settings). */
void ts_store_template_free(struct ts_template *t);

/* ---- ts_settings.c ---- */

/*
 * Applies given, settings as a request holds them (nested, dotted or
 * both; keys with or without "index."), to flat, a map of "index.*" keys
 * to strings (null removes a key).  creating: at index creation, where static
 * settings may be set; index and uuid name the index in errors.  On
 * error (-1, reason filled) flat may be half changed: apply to a copy.
 */
int ts_settings_apply(json_t *flat, json_t *given, bool creating,
                      const char *index, const char *uuid, char *reason,
                      size_t cap);

/* Sets idx's replicas and refresh_ms from its settings. */
void ts_settings_sync(struct ts_index *idx);

/*
 * PUT /{index}/_settings on n indices, all or nothing: 0, or -1 with
 * reason and no index changed.  A null index.number_of_replicas puts
 * "1" back, as ES keeps that setting always set.
 */
int ts_settings_update(struct ts_index **list, int n, json_t *given,
                       char *reason, size_t cap);

/*
 * Writes the settings of flat whose keys match names (comma-separated
 * '*' patterns; NULL: all): nested in a real node's key order, or with
 * flat_form as one object of dotted keys in sorted order.
 */
void ts_settings_write(struct ts_out *out, json_t *flat, bool flat_form,
                       const char *names);

/* How many keys of flat match names (NULL: all). */
size_t ts_settings_count(json_t *flat, const char *names);

/* Forgets every index, alias, template and counter. */
void ts_store_reset(struct ts_state *st);

/* A decoded query string. */
#define TS_QUERY_MAX 32

struct ts_param {
    char name[64];
    char value[1024];
};

struct ts_query {
    struct ts_param p[TS_QUERY_MAX];
    int n;
};

/* The value of name, or NULL if absent. */
const char *ts_query_get(const struct ts_query *q, const char *name);

/* ---- ts_nodes.c ---- */

/* Sets up one node on port 0 and no transport. */
int ts_nodes_init(struct ts_nodes *nodes);
/* Stops the timer; the transport is forgotten. */
void ts_nodes_stop(struct ts_nodes *nodes);
void ts_nodes_free(struct ts_nodes *nodes);

enum ts_node_state ts_nodes_state(struct ts_nodes *nodes, unsigned node);

/*
 * Puts node in state to (for_ms > 0: back to up after that many ms),
 * asking the transport to close or open its listening socket as needed;
 * req is the request that asked.  Returns 0, or -1 with reason.  Takes
 * nodes->lock; the caller must not hold the state's lock.
 */
int ts_nodes_set(struct ts_nodes *nodes, unsigned node, enum ts_node_state to,
                 uint32_t for_ms, const struct ts_request *req,
                 bool *close_conn, char *reason, size_t cap);

/* Writes {"node":i,"port":p,"state":"up"} (the states: up, down, 503). */
void ts_nodes_write(struct ts_nodes *nodes, unsigned node, struct ts_out *out);

/* ---- ts_bulk.c ---- */

/*
 * Handles a _bulk request whose route, auth and query parameters were
 * already checked; default_index (from the URL) may be NULL.  Writes the
 * body to out and returns the HTTP status.  *filtered is set when
 * filter_path was already applied to that body.  written, if not NULL,
 * gets a JSON array of the names of the indices the request wrote to, in
 * the order it first wrote to each (for the request log).  The lock is
 * held.
 */
int ts_bulk_handle(struct ts_state *st, const struct ts_request *req,
                   const struct ts_query *q, const char *default_index,
                   struct ts_out *out, bool *filtered, struct ts_out *written);

/* Writes the standard error envelope with one root cause. */
void ts_write_error(struct ts_out *out, int status, const char *type,
                    const char *reason);

/*
 * The same with metadata: meta is a JSON fragment of members with their
 * leading comma (",\"index_uuid\":\"_na_\",\"index\":\"x\""), written
 * after the reason both in the root cause and in the error; NULL: none.
 */
void ts_write_error_meta(struct ts_out *out, int status, const char *type,
                         const char *reason, const char *meta);

/* The members of one cause: "type":..,"reason":.. and meta. */
void ts_write_cause(struct ts_out *out, const char *type, const char *reason,
                    const char *meta);

#endif
