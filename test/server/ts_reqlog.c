/*
 * ts_reqlog.c
 *    The request log of es-test-server (see ts_reqlog.h).
 */
#include "ts_reqlog.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void
entry_free(struct ts_reqlog_entry *e)
{
    free(e->path);
    free(e->query);
    free(e->body);
    free(e->indices);
    memset(e, 0, sizeof(*e));
}

static void
drop_oldest(struct ts_reqlog *log)
{
    struct ts_reqlog_entry *e = &log->ring[log->head];

    log->body_bytes -= e->bytes;
    entry_free(e);
    log->head = (log->head + 1) % TS_REQLOG_MAX;
    log->n--;
}

/*
 * The body as compact JSON when it is one small JSON value, else NULL: a
 * _bulk body (NDJSON), a big one or a broken one is logged as null.
 */
static char *
body_json(const struct ts_request *req)
{
    json_error_t jerr;
    json_t *v = NULL;
    char *text = NULL;

    if (req->body == NULL || req->body_len == 0 ||
        req->body_len > TS_REQLOG_BODY_MAX)
        return NULL;
    v = json_loadb(req->body, req->body_len, JSON_DECODE_ANY, &jerr);
    if (v == NULL)
        return NULL;
    text = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
    json_decref(v);
    return text;
}

static char *
dup_or_empty(const char *s)
{
    return strdup(s != NULL ? s : "");
}

void
ts_reqlog_add(struct ts_reqlog *log, const struct ts_request *req, int status,
              const char *indices, size_t len)
{
    struct ts_reqlog_entry *e = NULL;

    if (log->ring == NULL) {
        log->ring = calloc(TS_REQLOG_MAX, sizeof(*log->ring));
        if (log->ring == NULL)
            return;
    }
    if (log->n == TS_REQLOG_MAX)
        drop_oldest(log);
    e = &log->ring[(log->head + log->n) % TS_REQLOG_MAX];
    e->node = req->node;
    e->status = status;
    snprintf(e->method, sizeof(e->method), "%s",
             req->method != NULL ? req->method : "");
    e->path = dup_or_empty(req->path);
    e->query = dup_or_empty(req->query);
    e->body = body_json(req);
    if (indices != NULL)
        e->indices = strndup(indices, len);
    e->bytes = (e->body != NULL ? strlen(e->body) : 0) +
               (e->indices != NULL ? len : 0);
    log->n++;
    log->body_bytes += e->bytes;
    /* the newest entry stays, however big, so the log never lies empty */
    while (log->body_bytes > TS_REQLOG_BODY_TOTAL && log->n > 1)
        drop_oldest(log);
}

void
ts_reqlog_write(const struct ts_reqlog *log, struct ts_out *out)
{
    size_t i;

    ts_out_char(out, '[');
    for (i = 0; i < log->n; i++) {
        const struct ts_reqlog_entry *e =
            &log->ring[(log->head + i) % TS_REQLOG_MAX];

        if (i > 0)
            ts_out_char(out, ',');
        ts_out_printf(out, "{\"node\":%u,\"method\":", e->node);
        ts_out_json_cstr(out, e->method);
        ts_out_str(out, ",\"path\":");
        ts_out_json_cstr(out, e->path != NULL ? e->path : "");
        ts_out_str(out, ",\"query\":");
        ts_out_json_cstr(out, e->query != NULL ? e->query : "");
        ts_out_printf(out, ",\"status\":%d,\"body\":", e->status);
        ts_out_str(out, e->body != NULL ? e->body : "null");
        if (e->indices != NULL) {
            ts_out_str(out, ",\"indices\":");
            ts_out_str(out, e->indices);
        }
        ts_out_char(out, '}');
    }
    ts_out_char(out, ']');
}

void
ts_reqlog_clear(struct ts_reqlog *log)
{
    while (log->n > 0)
        drop_oldest(log);
    log->head = 0;
    log->body_bytes = 0;
}

void
ts_reqlog_free(struct ts_reqlog *log)
{
    if (log->ring != NULL)
        ts_reqlog_clear(log);
    free(log->ring);
    log->ring = NULL;
}
