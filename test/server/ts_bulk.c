/*
 * ts_bulk.c
 *    The _bulk API of es-test-server: NDJSON parsing with ES's exact error
 *    texts, whole-request validation, per-item execution against the store
 *    (versions, seq_no, dynamic mapping, accounting) and the response in
 *    each mode's key order.
 *
 * Speed matters here (hundreds of MB/s): one items array per request (no
 * malloc per item), source lines validated by the hand-written scanner of
 * ts_json.c, ids kept as 64-bit hashes, compact action lines parsed by a
 * fast path, and filter_path applied while the response is written (only
 * what survives is written at all).
 */
#include "ts_state.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ts_docsum.h"
#include "ts_filter.h"
#include "ts_json.h"

enum op { OP_INDEX, OP_CREATE, OP_UPDATE, OP_DELETE };

static const char *const op_names[] = {"index", "create", "update", "delete"};

struct span {
    const char *s;
    size_t n;
};

struct item {
    struct span index; /* from the action line; s NULL if absent */
    struct span id;    /* s NULL if absent */
    struct span src;   /* source (index/create) or update payload */
    struct span doc;   /* update: "doc" object; "upsert" below */
    struct span upsert;
    uint64_t idh; /* ts_id_hash() of id, when has_id */
    uint32_t line;
    uint8_t op;
    bool has_index;
    bool has_id;
    bool doc_as_upsert;
    bool has_script;
    bool require_alias;
    char auto_id[21];
};

struct mapctx;

/*
 * What filter_path leaves of a successful item, as literal text with holes
 * for its values.  filter_path decides by keys only and copies scalar
 * values as they are, so the filtered form of every success item of one
 * op has the same shape: it is worked out once per request, by running
 * the generic filter over an item whose values are markers.
 */
#define TMPL_TEXT 1024
#define TMPL_PARTS 8

enum tfield {
    TF_NONE,
    TF_INDEX,
    TF_ID,
    TF_VERSION,
    TF_RESULT,
    TF_TOTAL,
    TF_SEQ,
    TF_STATUS,
};

enum tmpl_state {
    TMPL_UNBUILT,
    TMPL_READY,
    TMPL_GENERIC, /* could not be built: filter each item generically */
};

struct tmpl {
    enum tmpl_state state;
    bool emitted; /* false: the filter drops the whole item */
    int nparts;
    struct {
        uint16_t off; /* literal text[off..off+len), then field */
        uint16_t len;
        uint8_t field; /* enum tfield */
    } part[TMPL_PARTS];
    char text[TMPL_TEXT];
};

struct bulk {
    struct ts_state *st;
    enum ts_mode mode;
    const char *body;
    size_t len;
    struct item *items;
    size_t nitems;
    size_t cap;
    char *scratch; /* decoded escaped strings; bounded by the body size */
    size_t scratch_used;
    struct mapctx *map; /* one per request, reused for every item */
    int status;         /* of a whole-request error, 0 if none */
    char etype[64];     /* whole-request error type */
    char ereason[1024];
    /* filter_path applied while writing (NULL: the response is whole) */
    const struct ts_filter *filter;
    struct ts_filter_state item_state; /* state of each items[] element */
    bool items_kept;                   /* "items" can survive the filter */
    struct ts_out *fout;               /* the response being written */
    bool item_emitted;   /* the last template item wrote something */
    struct tmpl tmpl[4]; /* by op; forced_refresh is the same for all */
};

/* ---- error envelopes ---- */

void
ts_write_cause(struct ts_out *out, const char *type, const char *reason,
               const char *meta)
{
    ts_out_str(out, "\"type\":");
    ts_out_json_cstr(out, type);
    ts_out_str(out, ",\"reason\":");
    ts_out_json_cstr(out, reason);
    if (meta != NULL)
        ts_out_str(out, meta);
}

void
ts_write_error_meta(struct ts_out *out, int status, const char *type,
                    const char *reason, const char *meta)
{
    ts_out_str(out, "{\"error\":{\"root_cause\":[{");
    ts_write_cause(out, type, reason, meta);
    ts_out_str(out, "}],");
    ts_write_cause(out, type, reason, meta);
    ts_out_str(out, "},\"status\":");
    ts_out_u64(out, (uint64_t)status);
    ts_out_char(out, '}');
}

void
ts_write_error(struct ts_out *out, int status, const char *type,
               const char *reason)
{
    ts_write_error_meta(out, status, type, reason, NULL);
}

static int req_error(struct bulk *b, int status, const char *type,
                     const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int
req_error(struct bulk *b, int status, const char *type, const char *fmt, ...)
{
    va_list ap;

    b->status = status;
    snprintf(b->etype, sizeof(b->etype), "%s", type);
    va_start(ap, fmt);
    vsnprintf(b->ereason, sizeof(b->ereason), fmt, ap);
    va_end(ap);
    return -1;
}

/* A JSON syntax error in an action or update line: whole request 400. */
static int
json_error(struct bulk *b, const struct ts_json_err *err)
{
    if (b->mode == TS_MODE_ES8)
        return req_error(b, 400, "x_content_parse_exception", "[1:%zu] %s",
                         err->pos + 1, err->msg);
    return req_error(b, 400, "json_parse_exception", "%s", err->msg);
}

/* ---- action lines ---- */

/* Decodes a string token (with quotes) into the scratch arena if needed. */
static int
take_string(struct bulk *b, const char *tok, size_t n, struct span *out)
{
    const char *s = tok + 1;
    size_t len = n - 2;
    size_t got;

    if (memchr(s, '\\', len) == NULL) {
        out->s = s;
        out->n = len;
        return 0;
    }
    if (b->scratch == NULL) {
        b->scratch = malloc(b->len + 1);
        if (b->scratch == NULL)
            return -1;
    }
    got = ts_json_unescape(s, len, b->scratch + b->scratch_used,
                           b->len - b->scratch_used);
    if (got == (size_t)-1)
        return -1;
    out->s = b->scratch + b->scratch_used;
    out->n = got;
    b->scratch_used += got;
    return 0;
}

static bool
known_meta(enum ts_mode mode, const char *k, size_t n)
{
    static const char *const keys[] = {
        "_index",
        "_id",
        "routing",
        "op_type",
        "version",
        "version_type",
        "if_seq_no",
        "if_primary_term",
        "pipeline",
        "retry_on_conflict",
        "require_alias",
        "_source",
        "require_data_stream",
        "list_executed_pipelines",
    };
    size_t i;

    if (mode != TS_MODE_ES8 && n == 5 && memcmp(k, "_type", 5) == 0)
        return true;
    for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
        if (strlen(keys[i]) == n && memcmp(keys[i], k, n) == 0)
            return true;
    return false;
}

static bool
span_is(const char *s, size_t n, const char *lit)
{
    return strlen(lit) == n && memcmp(s, lit, n) == 0;
}

/* A string of plain printable ASCII from s[p] to its closing quote;
 * returns the quote's offset, or 0 for anything else (escapes, controls,
 * UTF-8 or no quote). */
static size_t
plain_string_end(const char *s, size_t n, size_t p)
{
    for (; p < n; p++) {
        unsigned char c = (unsigned char)s[p];

        if (c == '"')
            return p;
        if (c < 0x20 || c == '\\' || c >= 0x80)
            return 0;
    }
    return 0;
}

/*
 * The usual action line, {"index":{"_id":"..."}} (any op, "_index" and
 * "_id" in any order), with no whitespace and no escapes: what the full
 * parser below would make of it, in a fraction of its time.  Returns 0
 * with it filled, or -1 when the line has any other shape (it is then
 * left for the full parser, which gives the same result or the error).
 */
static int
parse_action_fast(const char *s, size_t n, struct item *it)
{
    static const struct {
        const char *head;
        size_t len;
        uint8_t op;
    } heads[] = {
        {"{\"index\":{\"", 11, OP_INDEX},
        {"{\"create\":{\"", 12, OP_CREATE},
        {"{\"update\":{\"", 12, OP_UPDATE},
        {"{\"delete\":{\"", 12, OP_DELETE},
    };
    size_t p = 0;
    size_t k;

    for (k = 0; k < sizeof(heads) / sizeof(heads[0]); k++)
        if (n > heads[k].len && memcmp(s, heads[k].head, heads[k].len) == 0)
            break;
    if (k == sizeof(heads) / sizeof(heads[0]))
        return -1;
    it->op = heads[k].op;
    p = heads[k].len - 1; /* at the opening quote of the first key */
    for (;;) {
        struct span *v = NULL;
        size_t e;

        if (n - p > 7 && memcmp(s + p, "\"_id\":\"", 7) == 0) {
            p += 7;
            v = &it->id;
            it->has_id = true;
        } else if (n - p > 10 && memcmp(s + p, "\"_index\":\"", 10) == 0) {
            p += 10;
            v = &it->index;
            it->has_index = true;
        } else {
            return -1;
        }
        e = plain_string_end(s, n, p);
        if (e == 0)
            return -1;
        v->s = s + p;
        v->n = e - p;
        p = e + 1;
        if (p < n && s[p] == ',') {
            p++;
            continue;
        }
        if (p + 2 != n || s[p] != '}' || s[p + 1] != '}')
            return -1;
        break;
    }
    if (it->has_id)
        it->idh = ts_id_hash(it->id.s, it->id.n);
    return 0;
}

/*
 * Parses one action line.  Returns 1 for a blank line, 0 with it filled,
 * -1 on a whole-request error (b->status set).
 */
static int
parse_action(struct bulk *b, const char *s, size_t n, uint32_t line,
             struct item *it)
{
    size_t p = 0;
    size_t t;
    enum ts_json_kind kind;
    struct ts_json_err err;
    const char *name;
    size_t name_n;
    int op = -1;

    memset(it, 0, sizeof(*it));
    it->line = line;
    if (parse_action_fast(s, n, it) == 0)
        return 0;
    memset(it, 0, sizeof(*it));
    it->line = line;
    ts_json_skip_ws(s, n, &p);
    if (p >= n)
        return 1;
    if (s[p] != '{') {
        if (ts_json_skip_value(s, n, &p, &kind, &err) != 0)
            return json_error(b, &err);
        return req_error(b, 400, "illegal_argument_exception",
                         "Malformed action/metadata line [%u], expected "
                         "START_OBJECT but found [%s]",
                         line, ts_json_token_name(kind));
    }
    p++;
    ts_json_skip_ws(s, n, &p);
    if (p < n && s[p] == '}')
        return req_error(b, 400, "illegal_argument_exception",
                         "Malformed action/metadata line [%u], expected "
                         "FIELD_NAME but found [END_OBJECT]",
                         line);
    if (p >= n || s[p] != '"') {
        /* let the scanner produce Jackson's message */
        t = 0;
        if (ts_json_skip_value(s, n, &t, &kind, &err) != 0)
            return json_error(b, &err);
        return req_error(b, 400, "illegal_argument_exception",
                         "Malformed action/metadata line [%u]", line);
    }
    t = p;
    if (ts_json_skip_value(s, n, &t, &kind, &err) != 0)
        return json_error(b, &err);
    name = s + p + 1;
    name_n = t - p - 2;
    p = t;
    ts_json_skip_ws(s, n, &p);
    if (p >= n || s[p] != ':') {
        t = 0;
        if (ts_json_skip_value(s, n, &t, &kind, &err) != 0)
            return json_error(b, &err);
        return -1;
    }
    p++;
    ts_json_skip_ws(s, n, &p);
    if (p >= n || s[p] != '{') {
        t = p;
        if (ts_json_skip_value(s, n, &t, &kind, &err) != 0)
            return json_error(b, &err);
        return req_error(b, 400, "illegal_argument_exception",
                         "Malformed action/metadata line [%u], expected "
                         "START_OBJECT or END_OBJECT but found [%s]",
                         line, ts_json_token_name(kind));
    }
    p++;
    for (;;) {
        size_t ks;
        size_t kn;
        size_t vs;

        ts_json_skip_ws(s, n, &p);
        if (p < n && s[p] == '}') {
            p++;
            break;
        }
        if (p < n && s[p] == ',') {
            p++;
            ts_json_skip_ws(s, n, &p);
        }
        if (p >= n || s[p] != '"') {
            t = 0;
            if (ts_json_skip_value(s, n, &t, &kind, &err) != 0)
                return json_error(b, &err);
            return req_error(b, 400, "illegal_argument_exception",
                             "Malformed action/metadata line [%u]", line);
        }
        ks = p + 1;
        t = p;
        if (ts_json_skip_value(s, n, &t, &kind, &err) != 0)
            return json_error(b, &err);
        kn = t - p - 2;
        p = t;
        ts_json_skip_ws(s, n, &p);
        if (p >= n || s[p] != ':') {
            t = 0;
            if (ts_json_skip_value(s, n, &t, &kind, &err) != 0)
                return json_error(b, &err);
            return -1;
        }
        p++;
        ts_json_skip_ws(s, n, &p);
        vs = p;
        if (ts_json_skip_value(s, n, &p, &kind, &err) != 0)
            return json_error(b, &err);
        if (kind == TS_JSON_ARRAY)
            return req_error(b, 400, "illegal_argument_exception",
                             "Malformed action/metadata line [%u], expected "
                             "a simple value for field [%.*s] but found "
                             "[START_ARRAY]",
                             line, (int)kn, s + ks);
        if (kind == TS_JSON_OBJECT) {
            if (span_is(s + ks, kn, "dynamic_templates"))
                continue;
            return req_error(b, 400, "illegal_argument_exception",
                             "Malformed action/metadata line [%u], expected "
                             "a simple value for field [%.*s] but found "
                             "[START_OBJECT]",
                             line, (int)kn, s + ks);
        }
        if (!known_meta(b->mode, s + ks, kn))
            return req_error(b, 400, "illegal_argument_exception",
                             "Action/metadata line [%u] contains an unknown "
                             "parameter [%.*s]",
                             line, (int)kn, s + ks);
        if (span_is(s + ks, kn, "_index")) {
            if (kind == TS_JSON_STRING) {
                if (take_string(b, s + vs, p - vs, &it->index) != 0)
                    return req_error(b, 500, "exception", "out of memory");
            } else {
                it->index.s = s + vs;
                it->index.n = p - vs;
            }
            it->has_index = kind != TS_JSON_NULL;
        } else if (span_is(s + ks, kn, "_id")) {
            if (kind == TS_JSON_STRING) {
                if (take_string(b, s + vs, p - vs, &it->id) != 0)
                    return req_error(b, 500, "exception", "out of memory");
            } else {
                it->id.s = s + vs;
                it->id.n = p - vs;
            }
            it->has_id = kind != TS_JSON_NULL;
            it->idh = ts_id_hash(it->id.s, it->id.n);
        } else if (span_is(s + ks, kn, "op_type")) {
            if (kind == TS_JSON_STRING && span_is(s + vs, p - vs, "\"create\""))
                op = OP_CREATE;
        } else if (span_is(s + ks, kn, "require_alias")) {
            it->require_alias =
                kind == TS_JSON_TRUE || span_is(s + vs, p - vs, "\"true\"");
        }
    }
    ts_json_skip_ws(s, n, &p);
    if (p < n && s[p] == ',')
        return req_error(b, 400, "illegal_argument_exception",
                         "Malformed action/metadata line [%u], expected "
                         "END_OBJECT but found [FIELD_NAME]",
                         line);
    if (p >= n || s[p] != '}') {
        t = 0;
        if (ts_json_skip_value(s, n, &t, &kind, &err) != 0)
            return json_error(b, &err);
    }
    if (span_is(name, name_n, "index"))
        it->op = op == OP_CREATE ? OP_CREATE : OP_INDEX;
    else if (span_is(name, name_n, "create"))
        it->op = OP_CREATE;
    else if (span_is(name, name_n, "update"))
        it->op = OP_UPDATE;
    else if (span_is(name, name_n, "delete"))
        it->op = OP_DELETE;
    else
        return req_error(b, 400, "illegal_argument_exception",
                         "Malformed action/metadata line [%u], expected "
                         "field [create], [delete], [index] or [update] but "
                         "found [%.*s]",
                         line, (int)name_n, name);
    return 0;
}

/* Parses an update payload line: {doc, upsert, doc_as_upsert, script...}. */
static int
parse_update(struct bulk *b, struct item *it)
{
    const char *s = it->src.s;
    size_t n = it->src.n;
    struct ts_json_err err;
    size_t p = 0;
    enum ts_json_kind kind;
    int rc;

    rc = ts_json_scan_doc(s, n, NULL, &err);
    if (rc == -1)
        return json_error(b, &err);
    if (rc != 0)
        return req_error(b, 400,
                         b->mode == TS_MODE_ES8 ? "x_content_parse_exception"
                                                : "parse_exception",
                         "[1:1] [UpdateRequest] Expected START_OBJECT");
    ts_json_skip_ws(s, n, &p);
    p++;
    for (;;) {
        size_t ks;
        size_t kn;
        size_t vs;
        size_t t;

        ts_json_skip_ws(s, n, &p);
        if (s[p] == '}')
            break;
        if (s[p] == ',') {
            p++;
            ts_json_skip_ws(s, n, &p);
        }
        ks = p + 1;
        t = p;
        ts_json_skip_value(s, n, &t, &kind, &err);
        kn = t - p - 2;
        p = t;
        ts_json_skip_ws(s, n, &p);
        p++; /* ':' */
        ts_json_skip_ws(s, n, &p);
        vs = p;
        ts_json_skip_value(s, n, &p, &kind, &err);
        if (span_is(s + ks, kn, "doc")) {
            it->doc.s = s + vs;
            it->doc.n = p - vs;
        } else if (span_is(s + ks, kn, "upsert")) {
            it->upsert.s = s + vs;
            it->upsert.n = p - vs;
        } else if (span_is(s + ks, kn, "doc_as_upsert")) {
            it->doc_as_upsert = kind == TS_JSON_TRUE;
        } else if (span_is(s + ks, kn, "script")) {
            it->has_script = true;
        } else if (span_is(s + ks, kn, "scripted_upsert") ||
                   span_is(s + ks, kn, "detect_noop") ||
                   span_is(s + ks, kn, "_source") ||
                   span_is(s + ks, kn, "if_seq_no") ||
                   span_is(s + ks, kn, "if_primary_term") ||
                   span_is(s + ks, kn, "lang")) {
            /* accepted, not modelled */
        } else {
            return req_error(b, 400, "x_content_parse_exception",
                             "[1:%zu] [UpdateRequest] unknown field [%.*s]", ks,
                             (int)kn, s + ks);
        }
    }
    return 0;
}

static struct item *
new_item(struct bulk *b)
{
    if (b->nitems == b->cap) {
        size_t ncap = b->cap ? b->cap * 2 : 256;
        struct item *ni = realloc(b->items, ncap * sizeof(*ni));

        if (ni == NULL)
            return NULL;
        b->items = ni;
        b->cap = ncap;
    }
    return &b->items[b->nitems];
}

static int
parse_body(struct bulk *b)
{
    size_t pos = 0;
    uint32_t line = 0;

    /* size the items array for ~128-byte lines up front: fewer reallocs */
    if (b->st->bulk_items != NULL) {
        b->items = b->st->bulk_items;
        b->cap = b->st->bulk_items_cap;
        b->st->bulk_items = NULL;
    } else {
        b->cap = b->len / 128 + 16;
        b->items = malloc(b->cap * sizeof(*b->items));
        if (b->items == NULL)
            return req_error(b, 500, "exception", "out of memory");
    }

    while (pos < b->len) {
        const char *nl = memchr(b->body + pos, '\n', b->len - pos);
        struct item *it;
        int rc;

        if (nl == NULL)
            return req_error(b, 400, "illegal_argument_exception",
                             "The bulk request must be terminated by a "
                             "newline [\\n]");
        line++;
        it = new_item(b);
        if (it == NULL)
            return req_error(b, 500, "exception", "out of memory");
        rc = parse_action(b, b->body + pos, (size_t)(nl - (b->body + pos)),
                          line, it);
        pos = (size_t)(nl - b->body) + 1;
        if (rc < 0)
            return -1;
        if (rc > 0)
            continue;
        if (it->op != OP_DELETE) {
            size_t slen;

            if (pos >= b->len)
                break; /* a last action without source is dropped */
            nl = memchr(b->body + pos, '\n', b->len - pos);
            if (nl == NULL)
                return req_error(b, 400, "illegal_argument_exception",
                                 "The bulk request must be terminated by a "
                                 "newline [\\n]");
            line++;
            slen = (size_t)(nl - (b->body + pos));
            if (slen > 0 && b->body[pos + slen - 1] == '\r')
                slen--;
            it->src.s = b->body + pos;
            it->src.n = slen;
            pos = (size_t)(nl - b->body) + 1;
            if (it->op == OP_UPDATE && slen > 0 && parse_update(b, it) != 0)
                return -1;
        }
        b->nitems++;
    }
    return 0;
}

/* BulkRequest.validate(): every item's problems, numbered. */
static int
validate(struct bulk *b, const char *default_index)
{
    char *r = b->ereason;
    size_t cap = sizeof(b->ereason);
    size_t used;
    int k = 0;
    size_t i;

    used = (size_t)snprintf(r, cap, "Validation Failed: ");
    if (b->nitems == 0) {
        snprintf(r + used, cap - used, "1: no requests added;");
        goto fail;
    }
    for (i = 0; i < b->nitems && used < cap - 1; i++) {
        const struct item *it = &b->items[i];
        int w = 0;

        if (!it->has_index && default_index == NULL)
            w = snprintf(r + used, cap - used, "%d: index is missing;", ++k);
        if (w > 0)
            used += (size_t)w < cap - used ? (size_t)w : cap - used - 1;
        w = 0;
        if ((it->op == OP_INDEX || it->op == OP_CREATE) && it->src.n == 0)
            w = snprintf(r + used, cap - used, "%d: source is missing;", ++k);
        else if ((it->op == OP_DELETE || it->op == OP_UPDATE) &&
                 (!it->has_id || it->id.n == 0))
            w = snprintf(r + used, cap - used, "%d: id is missing;", ++k);
        else if (it->has_id && it->id.n > 512)
            w = snprintf(r + used, cap - used,
                         "%d: id [%.*s] is too long, must be no longer than "
                         "512 bytes but was: %zu;",
                         ++k, (int)it->id.n, it->id.s, it->id.n);
        if (w > 0)
            used += (size_t)w < cap - used ? (size_t)w : cap - used - 1;
        w = 0;
        if (it->op == OP_UPDATE && it->doc.s == NULL && !it->has_script)
            w = snprintf(r + used, cap - used, "%d: script or doc is missing;",
                         ++k);
        if (w > 0)
            used += (size_t)w < cap - used ? (size_t)w : cap - used - 1;
    }
    if (k == 0)
        return 0;
fail:
    b->status = 400;
    snprintf(b->etype, sizeof(b->etype), "action_request_validation_exception");
    return -1;
}

/* ---- dynamic mapping ---- */

#define PENDING_MAX 256
#define FC_N 64
#define FC_PATH 46

enum map_err {
    ME_NONE,
    ME_META,   /* metadata field inside the document */
    ME_NUMBER, /* For input string */
    ME_NOTNUM, /* boolean/object where a number belongs */
    ME_BOOL,
    ME_DATE,
    ME_IP,
    ME_NOTEXT,   /* object where a concrete value belongs */
    ME_CONCRETE, /* concrete value where an object belongs */
    ME_LIMIT,
};

struct mapctx {
    struct ts_index *idx;
    struct {
        uint64_t h;
        uint8_t type;
        uint8_t name;
    } pend[PENDING_MAX];
    int npend;
    size_t pend_counted;
    enum map_err err;
    uint8_t tname; /* type name index of the failing field */
    enum ts_json_kind kind;
    size_t pos;
    char path[TS_JSON_PATH_MAX];
    char key[TS_JSON_PATH_MAX];
    char preview[512];
    /*
     * Documents of one bulk mostly have the same fields in the same
     * order: the n-th field of a document is remembered with its mapped
     * type, so the next document's n-th field, if it has the same path,
     * needs neither a hash nor a map lookup.  Only fields already in the
     * index's map are remembered (they keep their type); valid for
     * fc_idx only.
     */
    const struct ts_index *fc_idx;
    int ord; /* fields of the current document so far */
    struct {
        uint8_t len; /* 0: empty */
        uint8_t type;
        uint8_t name;
        char path[FC_PATH];
    } fc[FC_N];
};

static bool
is_digits(const char *s, size_t n)
{
    size_t i;

    if (n == 0)
        return false;
    for (i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return false;
    return true;
}

/* strict_date_optional_time: yyyy-MM-dd['T'HH:mm[:ss[.S+]][Z|+-HH[:]mm]] */
static bool
is_iso_date(const char *s, size_t n)
{
    size_t p = 10;

    if (n < 10 || !is_digits(s, 4) || s[4] != '-' || !is_digits(s + 5, 2) ||
        s[7] != '-' || !is_digits(s + 8, 2))
        return false;
    if (n == 10)
        return true;
    if (s[p] != 'T' || n < p + 6 || !is_digits(s + p + 1, 2) ||
        s[p + 3] != ':' || !is_digits(s + p + 4, 2))
        return false;
    p += 6;
    if (p < n && s[p] == ':') {
        if (n < p + 3 || !is_digits(s + p + 1, 2))
            return false;
        p += 3;
        if (p < n && (s[p] == '.' || s[p] == ',')) {
            size_t f = ++p;

            while (p < n && s[p] >= '0' && s[p] <= '9')
                p++;
            if (p == f || p - f > 9)
                return false;
        }
    }
    if (p == n)
        return true;
    if (s[p] == 'Z')
        return p + 1 == n;
    if (s[p] == '+' || s[p] == '-') {
        p++;
        if (n - p == 2)
            return is_digits(s + p, 2);
        if (n - p == 4)
            return is_digits(s + p, 4);
        if (n - p == 5)
            return is_digits(s + p, 2) && s[p + 2] == ':' &&
                   is_digits(s + p + 3, 2);
    }
    return false;
}

/* What Long.parseLong / Double.parseDouble with coercion would take. */
static bool
is_numeric_text(const char *s, size_t n)
{
    size_t p = 0;
    size_t d = 0;

    if (p < n && (s[p] == '-' || s[p] == '+'))
        p++;
    while (p < n && s[p] >= '0' && s[p] <= '9') {
        p++;
        d++;
    }
    if (p < n && s[p] == '.') {
        p++;
        while (p < n && s[p] >= '0' && s[p] <= '9') {
            p++;
            d++;
        }
    }
    if (d > 0 && p < n && (s[p] == 'e' || s[p] == 'E')) {
        p++;
        if (p < n && (s[p] == '-' || s[p] == '+'))
            p++;
        if (p >= n || s[p] < '0' || s[p] > '9')
            return false;
        while (p < n && s[p] >= '0' && s[p] <= '9')
            p++;
    }
    return d > 0 && p == n;
}

static bool
is_ip(const char *s, size_t n)
{
    char buf[64];
    unsigned char addr[16];

    if (n == 0 || n >= sizeof(buf))
        return false;
    memcpy(buf, s, n);
    buf[n] = 0;
    return inet_pton(AF_INET, buf, addr) == 1 ||
           inet_pton(AF_INET6, buf, addr) == 1;
}

static bool
is_meta_field(const char *k, size_t n)
{
    static const char *const meta[] = {
        "_id",           "_index",
        "_routing",      "_source",
        "_version",      "_seq_no",
        "_primary_term", "_ignored",
        "_field_names",  "_doc_count",
        "_tier",         "_data_stream_timestamp",
        "_type",         "_nested_path",
        "_feature",      "_ignored_source",
    };
    size_t i;

    for (i = 0; i < sizeof(meta) / sizeof(meta[0]); i++)
        if (span_is(k, n, meta[i]))
            return true;
    return false;
}

static int
map_fail(struct mapctx *m, const struct ts_json_field *f, enum map_err e,
         uint8_t tname)
{
    size_t n;

    m->err = e;
    m->tname = tname;
    m->kind = f->kind;
    m->pos = f->pos;
    snprintf(m->path, sizeof(m->path), "%.*s", (int)f->path_len, f->path);
    snprintf(m->key, sizeof(m->key), "%.*s", (int)f->key_len, f->key);
    if (f->kind == TS_JSON_STRING && f->escaped) {
        n = ts_json_unescape(f->val, f->val_len, m->preview,
                             sizeof(m->preview) - 1);
        if (n == (size_t)-1)
            n = 0;
        m->preview[n] = 0;
    } else {
        n = f->val_len < sizeof(m->preview) - 1 ? f->val_len
                                                : sizeof(m->preview) - 1;
        memcpy(m->preview, f->val, n);
        m->preview[n] = 0;
    }
    return 1;
}

static const struct ts_fieldslot *
lookup(struct mapctx *m, uint64_t h, struct ts_fieldslot *tmp)
{
    const struct ts_fieldslot *fs = ts_fieldmap_get(&m->idx->fields, h);
    int i;

    if (fs != NULL)
        return fs;
    for (i = 0; i < m->npend; i++) {
        if (m->pend[i].h == h) {
            tmp->h = h;
            tmp->type = m->pend[i].type;
            tmp->name = m->pend[i].name;
            return tmp;
        }
    }
    return NULL;
}

static int
add_pending(struct mapctx *m, uint64_t h, enum ts_ftype t)
{
    if (m->npend >= PENDING_MAX)
        return -1;
    m->pend[m->npend].h = h;
    m->pend[m->npend].type = (uint8_t)t;
    m->pend[m->npend].name = ts_ftype_default_name(t);
    m->npend++;
    m->pend_counted += t == TS_FT_TEXT ? 2 : 1;
    return 0;
}

/* memcmp() == 0 for the short paths of most fields, without the call */
static inline bool
same_bytes(const char *a, const char *b, size_t n)
{
    size_t i;

    if (n > 16)
        return memcmp(a, b, n) == 0;
    for (i = 0; i < n; i++)
        if (a[i] != b[i])
            return false;
    return true;
}

static int
map_field(void *ud, const struct ts_json_field *f)
{
    struct mapctx *m = ud;
    struct ts_fieldslot tmp;
    const struct ts_fieldslot *fs;
    uint64_t h;
    enum ts_ftype t;
    uint8_t type;
    uint8_t name;
    int ord;

    if (f->depth == 1 && f->key_len > 0 && f->key[0] == '_' &&
        is_meta_field(f->key, f->key_len)) {
        /* ES reports it with the field's own name as its type */
        return map_fail(m, f, ME_META, 0);
    }
    if (f->kind == TS_JSON_NULL || f->kind == TS_JSON_ARRAY)
        return 0;
    ord = m->ord++;
    if (ord < FC_N && m->fc[ord].len == f->path_len &&
        same_bytes(m->fc[ord].path, f->path, f->path_len)) {
        type = m->fc[ord].type;
        name = m->fc[ord].name;
        goto check;
    }
    h = ts_path_hash(f->path, f->path_len);
    fs = ts_fieldmap_get(&m->idx->fields, h);
    if (fs != NULL && ord < FC_N && f->path_len > 0 && f->path_len <= FC_PATH) {
        m->fc[ord].len = (uint8_t)f->path_len;
        m->fc[ord].type = fs->type;
        m->fc[ord].name = fs->name;
        memcpy(m->fc[ord].path, f->path, f->path_len);
    }
    if (fs == NULL)
        fs = lookup(m, h, &tmp);
    if (fs == NULL) {
        size_t k;

        /* a dotted key creates its parent objects */
        for (k = (size_t)(f->key - f->path); k < f->path_len; k++) {
            if (f->path[k] == '.') {
                uint64_t ph = ts_path_hash(f->path, k);

                if (lookup(m, ph, &tmp) == NULL &&
                    add_pending(m, ph, TS_FT_OBJECT) != 0)
                    return map_fail(m, f, ME_LIMIT, 0);
            }
        }
        switch (f->kind) {
        case TS_JSON_INT:
            t = TS_FT_LONG;
            break;
        case TS_JSON_FLOAT:
            t = TS_FT_FLOAT;
            break;
        case TS_JSON_TRUE:
        case TS_JSON_FALSE:
            t = TS_FT_BOOL;
            break;
        case TS_JSON_STRING:
            t = is_iso_date(f->val, f->val_len) ? TS_FT_DATE : TS_FT_TEXT;
            break;
        default:
            t = TS_FT_OBJECT;
            break;
        }
        if (add_pending(m, h, t) != 0 ||
            m->idx->fields.counted + m->pend_counted > TS_FIELDS_LIMIT)
            return map_fail(m, f, ME_LIMIT, 0);
        return 0;
    }
    type = fs->type;
    name = fs->name;
check:
    switch ((enum ts_ftype)type) {
    case TS_FT_LONG:
    case TS_FT_FLOAT:
        if (f->kind == TS_JSON_INT || f->kind == TS_JSON_FLOAT)
            return 0;
        if (f->kind == TS_JSON_STRING)
            return is_numeric_text(f->val, f->val_len)
                       ? 0
                       : map_fail(m, f, ME_NUMBER, name);
        return map_fail(m, f, ME_NOTNUM, name);
    case TS_FT_BOOL:
        if (f->kind == TS_JSON_TRUE || f->kind == TS_JSON_FALSE)
            return 0;
        if (f->kind == TS_JSON_STRING &&
            (span_is(f->val, f->val_len, "true") ||
             span_is(f->val, f->val_len, "false") || f->val_len == 0))
            return 0;
        return map_fail(m, f, f->kind == TS_JSON_OBJECT ? ME_NOTEXT : ME_BOOL,
                        name);
    case TS_FT_DATE:
        if (f->kind == TS_JSON_INT)
            return 0;
        if (f->kind == TS_JSON_STRING &&
            (is_iso_date(f->val, f->val_len) || is_digits(f->val, f->val_len) ||
             (f->val_len == 4 && is_digits(f->val, 4)) ||
             (f->val_len == 7 && is_digits(f->val, 4) && f->val[4] == '-' &&
              is_digits(f->val + 5, 2))))
            return 0;
        return map_fail(m, f, f->kind == TS_JSON_OBJECT ? ME_NOTEXT : ME_DATE,
                        name);
    case TS_FT_IP:
        if (f->kind == TS_JSON_STRING && is_ip(f->val, f->val_len))
            return 0;
        return map_fail(m, f, f->kind == TS_JSON_OBJECT ? ME_NOTEXT : ME_IP,
                        name);
    case TS_FT_TEXT:
        if (f->kind == TS_JSON_OBJECT)
            return map_fail(m, f, ME_NOTEXT, name);
        return 0;
    case TS_FT_OBJECT:
        if (f->kind == TS_JSON_OBJECT)
            return 0;
        return map_fail(m, f, ME_CONCRETE, name);
    default:
        return 0;
    }
}

static void
commit_pending(struct mapctx *m)
{
    int i;

    for (i = 0; i < m->npend; i++)
        ts_fieldmap_put(&m->idx->fields, m->pend[i].h,
                        (enum ts_ftype)m->pend[i].type, m->pend[i].name);
}

/* ---- item output ---- */

static void
item_head_op(struct bulk *b, struct ts_out *out, int op, const char *index,
             const struct span *id, bool null_id)
{
    ts_out_str(out, "{\"");
    ts_out_str(out, op_names[op]);
    ts_out_str(out, "\":{\"_index\":");
    ts_out_json_cstr(out, index);
    if (b->mode == TS_MODE_ES7)
        ts_out_str(out, ",\"_type\":\"_doc\"");
    ts_out_str(out, ",\"_id\":");
    if (null_id)
        ts_out_str(out, "null");
    else
        ts_out_json_str(out, id->s, id->n);
}

static void
item_head(struct bulk *b, struct ts_out *out, const struct item *it,
          const char *index, const struct span *id, bool null_id)
{
    item_head_op(b, out, it->op, index, id, null_id);
}

/* Failed item up to the open error object: ...,"status":N,"error":{ */
static void
item_fail_open(struct bulk *b, struct ts_out *out, const struct item *it,
               const char *index, const struct span *id, bool null_id,
               int status, const char *type, const char *reason)
{
    item_head(b, out, it, index, id, null_id);
    ts_out_str(out, ",\"status\":");
    ts_out_u64(out, (uint64_t)status);
    ts_out_str(out, ",\"error\":{\"type\":");
    ts_out_json_cstr(out, type);
    ts_out_str(out, ",\"reason\":");
    ts_out_json_cstr(out, reason);
}

static void
shard_meta(struct ts_out *out, const struct ts_index *idx)
{
    ts_out_str(out, ",\"index_uuid\":");
    ts_out_json_cstr(out, idx->uuid);
    ts_out_str(out, ",\"shard\":\"0\",\"index\":");
    ts_out_json_cstr(out, idx->name);
}

static void
item_close(struct ts_out *out)
{
    ts_out_str(out, "}}}");
}

static void
write_map_error(struct bulk *b, struct ts_out *out, const struct item *it,
                const struct ts_index *idx, const struct span *id,
                const struct mapctx *m)
{
    bool es8 = b->mode == TS_MODE_ES8;
    const char *type =
        es8 ? "document_parsing_exception" : "mapper_parsing_exception";
    char pre[32] = "";
    char reason[4096];
    const char *tname = ts_ftype_name(m->tname);

    if (es8)
        snprintf(pre, sizeof(pre), "[1:%zu] ", m->pos + 1);
    if (m->err == ME_LIMIT) {
        if (es8)
            snprintf(reason, sizeof(reason),
                     "Limit of total fields [%d] has been exceeded while "
                     "adding new fields [%d]",
                     TS_FIELDS_LIMIT, m->npend);
        else
            snprintf(reason, sizeof(reason),
                     "Limit of total fields [%d] in index [%s] has been "
                     "exceeded",
                     TS_FIELDS_LIMIT, idx->name);
        item_fail_open(b, out, it, idx->name, id, false, 400,
                       "illegal_argument_exception", reason);
        item_close(out);
        return;
    }
    if (m->err == ME_CONCRETE) {
        snprintf(reason, sizeof(reason),
                 "%sobject mapping for [%s] tried to parse field [%s] as "
                 "object, but found a concrete value",
                 pre, m->path, m->key);
        item_fail_open(b, out, it, idx->name, id, false, 400, type, reason);
        item_close(out);
        return;
    }
    if (m->err == ME_META)
        tname = m->key;
    if (m->kind == TS_JSON_OBJECT)
        snprintf(reason, sizeof(reason),
                 "%sfailed to parse field [%s] of type [%s] in document "
                 "with id '%.*s'",
                 pre, m->path, tname, (int)id->n, id->s);
    else
        snprintf(reason, sizeof(reason),
                 "%sfailed to parse field [%s] of type [%s] in document "
                 "with id '%.*s'. Preview of field's value: '%s'",
                 pre, m->path, tname, (int)id->n, id->s, m->preview);
    item_fail_open(b, out, it, idx->name, id, false, 400, type, reason);
    ts_out_str(out, ",\"caused_by\":{\"type\":");
    switch (m->err) {
    case ME_META:
        ts_out_json_cstr(out, type);
        snprintf(reason, sizeof(reason),
                 "%sField [%s] is a metadata field and cannot be added "
                 "inside a document. Use the index API request parameters.",
                 pre, m->key);
        break;
    case ME_NUMBER:
        ts_out_str(out, "\"illegal_argument_exception\"");
        snprintf(reason, sizeof(reason), "For input string: \"%s\"",
                 m->preview);
        break;
    case ME_NOTNUM:
        if (m->kind == TS_JSON_OBJECT) {
            ts_out_str(out, "\"illegal_state_exception\"");
            snprintf(reason, sizeof(reason),
                     "Can't get text on a START_OBJECT at 1:%zu", m->pos + 1);
            break;
        }
        ts_out_json_cstr(out, es8 ? "x_content_parse_exception"
                                  : "json_parse_exception");
        snprintf(reason, sizeof(reason),
                 "%sCurrent token (%s) not numeric, can not use numeric "
                 "value accessors",
                 pre, ts_json_token_name(m->kind));
        break;
    case ME_BOOL:
        ts_out_str(out, "\"illegal_argument_exception\"");
        snprintf(reason, sizeof(reason),
                 "Failed to parse value [%s] as only [true] or [false] are "
                 "allowed.",
                 m->preview);
        break;
    case ME_DATE:
        ts_out_str(out, "\"illegal_argument_exception\"");
        snprintf(reason, sizeof(reason),
                 "failed to parse date field [%s] with format "
                 "[strict_date_optional_time||epoch_millis]",
                 m->preview);
        ts_out_str(out, ",\"reason\":");
        ts_out_json_cstr(out, reason);
        ts_out_str(out, ",\"caused_by\":{\"type\":"
                        "\"date_time_parse_exception\",\"reason\":"
                        "\"Failed to parse with all enclosed parsers\"}}");
        item_close(out);
        return;
    case ME_IP:
        ts_out_str(out, "\"illegal_argument_exception\"");
        snprintf(reason, sizeof(reason), "'%s' is not an IP string literal.",
                 m->preview);
        break;
    default:
        ts_out_str(out, "\"illegal_state_exception\"");
        snprintf(reason, sizeof(reason),
                 "Can't get text on a START_OBJECT at 1:%zu", m->pos + 1);
        break;
    }
    ts_out_str(out, ",\"reason\":");
    ts_out_json_cstr(out, reason);
    ts_out_char(out, '}');
    item_close(out);
}

/* Jackson's "at [Source: ...]" suffix of ES7/OS json_parse_exception. */
static void
source_suffix(char *buf, size_t cap, const struct span *src, size_t pos)
{
    size_t show = src->n > 500 ? 500 : src->n;

    if (src->n > 500)
        snprintf(buf, cap,
                 "\n at [Source: (byte[])\"%.*s\"[truncated %zu bytes]; "
                 "line: 1, column: %zu]",
                 (int)show, src->s, src->n - 500, pos + 1);
    else
        snprintf(buf, cap,
                 "\n at [Source: (byte[])\"%.*s\"; line: 1, column: %zu]",
                 (int)show, src->s, pos + 1);
}

static void
write_parse_error(struct bulk *b, struct ts_out *out, const struct item *it,
                  const struct ts_index *idx, const struct span *id,
                  const struct span *src, int rc, const struct ts_json_err *err)
{
    bool es8 = b->mode == TS_MODE_ES8;
    char reason[2048];
    char suffix[700];

    if (rc == -2) {
        /* valid JSON but not an object */
        snprintf(reason, sizeof(reason), "%sfailed to parse",
                 es8 ? "[1:1] " : "");
        item_fail_open(b, out, it, idx->name, id, false, 400,
                       es8 ? "document_parsing_exception"
                           : "mapper_parsing_exception",
                       reason);
        ts_out_str(out, ",\"caused_by\":{\"type\":\"not_x_content_exception"
                        "\",\"reason\":\"Compressor detection can only be "
                        "called on some xcontent bytes or compressed "
                        "xcontent bytes\"}");
        item_close(out);
        return;
    }
    if (rc == -3) {
        snprintf(reason, sizeof(reason), "%sfailed to parse",
                 es8 ? "[1:1] " : "");
        item_fail_open(b, out, it, idx->name, id, false, 400,
                       es8 ? "document_parsing_exception"
                           : "mapper_parsing_exception",
                       reason);
        ts_out_str(out, ",\"caused_by\":{\"type\":"
                        "\"illegal_argument_exception\",\"reason\":"
                        "\"Malformed content, found extra data after "
                        "parsing: START_OBJECT\"}");
        item_close(out);
        return;
    }
    if (es8) {
        snprintf(reason, sizeof(reason), "[1:%zu] failed to parse",
                 err->pos + 1);
        item_fail_open(b, out, it, idx->name, id, false, 400,
                       "document_parsing_exception", reason);
        snprintf(reason, sizeof(reason), "[1:%zu] %s", err->pos + 1, err->msg);
        ts_out_str(out,
                   ",\"caused_by\":{\"type\":\"x_content_parse_exception\","
                   "\"reason\":");
    } else {
        item_fail_open(b, out, it, idx->name, id, false, 400,
                       "mapper_parsing_exception", "failed to parse");
        source_suffix(suffix, sizeof(suffix), src, err->pos);
        snprintf(reason, sizeof(reason), "%s%s", err->msg, suffix);
        ts_out_str(out, ",\"caused_by\":{\"type\":\"json_parse_exception\","
                        "\"reason\":");
    }
    ts_out_json_cstr(out, reason);
    ts_out_char(out, '}');
    item_close(out);
}

/* Appends without a bound check: the caller reserved the room. */
#define PUT_LIT(o, lit)                                                        \
    do {                                                                       \
        memcpy((o)->buf + (o)->len, lit, sizeof(lit) - 1);                     \
        (o)->len += sizeof(lit) - 1;                                           \
    } while (0)

static inline void
put_u64_raw(struct ts_out *o, uint64_t v)
{
    size_t n = 1;
    uint64_t t = v;
    char *p = NULL;

    while (t >= 10) {
        t /= 10;
        n++;
    }
    p = o->buf + o->len + n;
    o->len += n;
    do {
        *--p = (char)('0' + v % 10);
        v /= 10;
    } while (v != 0);
}

/* The values of a successful item. */
struct success {
    const char *index; /* NUL-terminated name */
    const struct span *id;
    uint64_t version;
    const char *result; /* "created", ...: written as is, in quotes */
    uint64_t total;     /* _shards.total */
    uint64_t seq;
    uint64_t status;
};

/*
 * The layout of a successful item, the only one: templates are derived
 * from it.  One bound check per item instead of one per piece.
 */
static void
success_layout(struct bulk *b, struct ts_out *out, int op,
               const struct success *v, bool forced)
{
    size_t rn = strlen(v->result);

    item_head_op(b, out, op, v->index, v->id, false);
    if (!ts_out_reserve(out, 256 + rn))
        return;
    PUT_LIT(out, ",\"_version\":");
    put_u64_raw(out, v->version);
    PUT_LIT(out, ",\"result\":\"");
    memcpy(out->buf + out->len, v->result, rn);
    out->len += rn;
    PUT_LIT(out, "\"");
    if (forced)
        PUT_LIT(out, ",\"forced_refresh\":true");
    PUT_LIT(out, ",\"_shards\":{\"total\":");
    put_u64_raw(out, v->total);
    PUT_LIT(out, ",\"successful\":1,\"failed\":0},\"_seq_no\":");
    put_u64_raw(out, v->seq);
    PUT_LIT(out, ",\"_primary_term\":1,\"status\":");
    put_u64_raw(out, v->status);
    PUT_LIT(out, "}}");
}

/* Marker values: nothing else in an item looks like them. */
static const struct {
    const char *text;
    enum tfield field;
} markers[] = {
    {"\"#index#\"", TF_INDEX},           {"\"#id#\"", TF_ID},
    {"\"#result#\"", TF_RESULT},         {"18446744073709551615", TF_VERSION},
    {"18446744073709551614", TF_TOTAL},  {"18446744073709551613", TF_SEQ},
    {"18446744073709551612", TF_STATUS},
};

/* The index of the marker s starts with, or -1. */
static int
marker_at(const char *s, size_t n)
{
    size_t k;

    for (k = 0; k < sizeof(markers) / sizeof(markers[0]); k++) {
        size_t mlen = strlen(markers[k].text);

        if (n >= mlen && memcmp(s, markers[k].text, mlen) == 0)
            return (int)k;
    }
    return -1;
}

/* Filters an item of markers and cuts the result at the markers. */
static void
tmpl_build(struct bulk *b, struct tmpl *t, int op, bool forced)
{
    struct span mid = {"#id#", 4};
    struct success mv = {"#index#",     &mid,           UINT64_MAX,
                         "#result#",    UINT64_MAX - 1, UINT64_MAX - 2,
                         UINT64_MAX - 3};
    struct ts_out sk;
    struct ts_out fo;
    bool emitted = false;
    size_t lit = 0;
    size_t i = 0;

    t->state = TMPL_GENERIC;
    t->nparts = 0;
    ts_out_init(&sk, 4096);
    ts_out_init(&fo, TMPL_TEXT);
    if (!b->items_kept) {
        /* the filter drops "items" whole: nothing of an item is kept */
        t->emitted = false;
        t->state = TMPL_READY;
        goto out;
    }
    success_layout(b, &sk, op, &mv, forced);
    if (sk.overflow ||
        ts_filter_value(b->filter, &b->item_state, sk.buf, sk.len, &fo,
                        &emitted) != 0 ||
        fo.overflow)
        goto out;
    t->emitted = emitted;
    while (i < fo.len) {
        /* a value always follows a colon in the filter's compact output */
        int k = i > 0 && fo.buf[i - 1] == ':'
                    ? marker_at(fo.buf + i, fo.len - i)
                    : -1;
        size_t mlen;

        if (k < 0) {
            i++;
            continue;
        }
        mlen = strlen(markers[k].text);
        if (t->nparts == TMPL_PARTS - 1)
            goto out;
        t->part[t->nparts].off = (uint16_t)lit;
        t->part[t->nparts].len = (uint16_t)(i - lit);
        t->part[t->nparts].field = (uint8_t)markers[k].field;
        t->nparts++;
        i += mlen;
        lit = i;
    }
    t->part[t->nparts].off = (uint16_t)lit;
    t->part[t->nparts].len = (uint16_t)(fo.len - lit);
    t->part[t->nparts].field = TF_NONE;
    t->nparts++;
    if (fo.len > 0)
        memcpy(t->text, fo.buf, fo.len);
    t->state = TMPL_READY;
out:
    ts_out_free(&sk);
    ts_out_free(&fo);
}

/* Writes an item through its template: the same bytes the generic filter
 * would leave of success_layout(). */
static void
tmpl_apply(const struct tmpl *t, struct ts_out *out, const struct success *v)
{
    int i;

    for (i = 0; i < t->nparts; i++) {
        size_t n = t->part[i].len;
        uint64_t num = 0;

        /* room for the literal and a number: one check for both */
        if (!ts_out_reserve(out, n + 24))
            return;
        memcpy(out->buf + out->len, t->text + t->part[i].off, n);
        out->len += n;
        switch ((enum tfield)t->part[i].field) {
        case TF_NONE:
            continue;
        case TF_INDEX:
            ts_out_json_cstr(out, v->index);
            continue;
        case TF_ID:
            ts_out_json_str(out, v->id->s, v->id->n);
            continue;
        case TF_RESULT:
            ts_out_char(out, '"');
            ts_out_str(out, v->result);
            ts_out_char(out, '"');
            continue;
        case TF_VERSION:
            num = v->version;
            break;
        case TF_TOTAL:
            num = v->total;
            break;
        case TF_SEQ:
            num = v->seq;
            break;
        case TF_STATUS:
            num = v->status;
            break;
        }
        put_u64_raw(out, num);
    }
}

/*
 * A successful item.  With filter_path it goes through its template
 * straight into the response (b->fout); otherwise, or if no template could
 * be built, its whole form goes to out.
 */
static void
write_success(struct bulk *b, struct ts_out *out, const struct item *it,
              const struct ts_index *idx, const struct span *id,
              uint32_t version, const char *result, uint64_t seq, int status,
              bool forced)
{
    struct success v = {
        idx->name,       id, version, result, (uint64_t)idx->replicas + 1, seq,
        (uint64_t)status};

    if (b->filter != NULL) {
        struct tmpl *t = &b->tmpl[it->op];

        if (t->state == TMPL_UNBUILT)
            tmpl_build(b, t, it->op, forced);
        if (t->state == TMPL_READY) {
            if (t->emitted)
                tmpl_apply(t, b->fout, &v);
            b->item_emitted = t->emitted;
            return;
        }
    }
    success_layout(b, out, it->op, &v, forced);
}

/* 20-character base64url id, like ES's time-based UUIDs. */
static void
auto_id(struct ts_state *st, char *out)
{
    static const char b64[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    uint64_t c = st->id_counter++;
    uint64_t mix = ts_xxh64(&c, sizeof(c), st->config.seed);
    unsigned char bytes[15];
    int i;

    /* counter first (unique), then a hash of it (spread) */
    for (i = 0; i < 8; i++)
        bytes[i] = (unsigned char)(c >> (8 * (7 - i)));
    for (i = 0; i < 7; i++)
        bytes[8 + i] = (unsigned char)(mix >> (8 * i));
    for (i = 0; i < 5; i++) {
        uint32_t v = ((uint32_t)bytes[3 * i] << 16) |
                     ((uint32_t)bytes[3 * i + 1] << 8) | bytes[3 * i + 2];

        out[4 * i] = b64[(v >> 18) & 63];
        out[4 * i + 1] = b64[(v >> 12) & 63];
        out[4 * i + 2] = b64[(v >> 6) & 63];
        out[4 * i + 3] = b64[v & 63];
    }
    out[20] = 0;
}

/* ---- execution ---- */

struct exec {
    int64_t now;                /* ms, taken once per request */
    struct ts_index *cache_idx; /* last resolved target */
    const char *cache_name;
    size_t cache_n;
    bool forced;
    struct ts_index **touched; /* written to, in first-write order */
    int ntouched;
    int touched_cap;
};

static void
touch(struct exec *x, struct ts_index *idx)
{
    struct ts_index **grown = NULL;
    int i;

    idx->dirty = true;
    idx->last_write_ms = x->now;
    if (x->ntouched > 0 && x->touched[x->ntouched - 1] == idx)
        return;
    for (i = 0; i < x->ntouched; i++)
        if (x->touched[i] == idx)
            return;
    if (x->ntouched == x->touched_cap) {
        x->touched_cap = x->touched_cap ? x->touched_cap * 2 : 8;
        grown = realloc(x->touched, (size_t)x->touched_cap * sizeof(*grown));
        if (grown == NULL) {
            /* refresh=true then misses this index: say so loudly */
            fprintf(stderr, "es-test-server: out of memory\n");
            x->touched_cap = x->ntouched;
            return;
        }
        x->touched = grown;
    }
    x->touched[x->ntouched++] = idx;
}

/* The indices written, as a JSON array of names, for the request log. */
static void
write_touched(const struct exec *x, struct ts_out *written)
{
    int i;

    if (written == NULL)
        return;
    ts_out_char(written, '[');
    for (i = 0; i < x->ntouched; i++) {
        ts_out_str(written, i > 0 ? "," : "");
        ts_out_json_cstr(written, x->touched[i]->name);
    }
    ts_out_char(written, ']');
}

/* ts_xxh64("", 0, 1), the id hash behind source_checksum, worked out once
 * (a wrong value fails the source_checksum tests). */
#define EMPTY_ID_HASH UINT64_C(0xd5afba1336a3be4b)

/* Applies a source to an id: accounting of checksums. */
static void
put_source(struct ts_index *idx, struct ts_idslot *slot, uint64_t idh,
           const struct span *src, bool was_live)
{
    uint64_t srch = ts_xxh64(src->s, src->n, 0);
    uint64_t sum;
    uint64_t srcsum;

    /* idh is ts_id_hash(), i.e. XXH64(id, 1) (0 mapped to 1, which only
     * matters with probability 2^-64) */
    sum = ts_docsum_mix(srch, idh);
    srcsum = ts_docsum_mix(srch, EMPTY_ID_HASH);

    if (was_live) {
        idx->checksum -= slot->sum;
        idx->source_checksum -= slot->srcsum;
    }
    slot->sum = sum;
    slot->srcsum = srcsum;
    idx->checksum += sum;
    idx->source_checksum += srcsum;
}

/* Returns the HTTP status of the item. */
static int
exec_item(struct bulk *b, struct exec *x, struct item *it,
          const char *default_index, struct ts_out *out)
{
    struct ts_state *st = b->st;
    struct span name;
    struct span id = it->id;
    struct ts_index *idx = NULL;
    char reason[1024];
    char iname[TS_NAME_MAX + 1];
    struct ts_idslot *slot = NULL;
    struct ts_idslot *empty = NULL; /* where a new id goes */
    struct ts_json_err err;
    struct mapctx *m = NULL;
    bool live;
    uint32_t ver;
    uint64_t idh;
    int rc;

    if (it->has_index) {
        name = it->index;
    } else {
        name.s = default_index;
        name.n = strlen(default_index);
    }
    if (!it->has_id) {
        auto_id(st, it->auto_id);
        id.s = it->auto_id;
        id.n = 20;
    }
    if (x->cache_idx != NULL && x->cache_n == name.n &&
        memcmp(x->cache_name, name.s, name.n) == 0) {
        idx = x->cache_idx;
    } else {
        snprintf(iname, sizeof(iname), "%.*s",
                 (int)(name.n < TS_NAME_MAX ? name.n : TS_NAME_MAX), name.s);
        rc = ts_store_resolve_write(st, name.s, name.n, &idx, reason,
                                    sizeof(reason));
        if (rc < 0) {
            item_fail_open(b, out, it, iname, &id, false, 400,
                           "illegal_argument_exception", reason);
            item_close(out);
            return 400;
        }
        if (rc == 0 && it->require_alias &&
            !ts_store_alias_exists(st, name.s, name.n))
            rc = 2;
        if (rc == 2 || (rc == 1 && it->require_alias)) {
            snprintf(reason, sizeof(reason),
                     "no such index [%s] and [require_alias] request flag "
                     "is [true] and [%s] is not an alias",
                     iname, iname);
            item_fail_open(b, out, it, iname, &id, false, 404,
                           "index_not_found_exception", reason);
            ts_out_str(out, ",\"resource.type\":\"index_or_alias\","
                            "\"resource.id\":");
            ts_out_json_cstr(out, iname);
            ts_out_str(out, ",\"index_uuid\":\"_na_\",\"index\":");
            ts_out_json_cstr(out, iname);
            item_close(out);
            return 404;
        }
        if (rc == 1) {
            if (!ts_store_name_valid(name.s, name.n, reason, sizeof(reason))) {
                item_fail_open(b, out, it, iname, &id, false, 400,
                               "invalid_index_name_exception", reason);
                ts_out_str(out, ",\"index_uuid\":\"_na_\",\"index\":");
                ts_out_json_cstr(out, iname);
                item_close(out);
                return 400;
            }
            idx = ts_store_create(st, name.s, name.n, NULL, reason,
                                  sizeof(reason));
            if (idx == NULL) {
                item_fail_open(b, out, it, iname, &id, false, 500, "exception",
                               reason);
                item_close(out);
                return 500;
            }
        }
        x->cache_idx = idx;
        x->cache_name = name.s;
        x->cache_n = name.n;
    }
    if (it->has_id && id.n == 0) {
        item_fail_open(b, out, it, idx->name, &id, false, 400,
                       "illegal_argument_exception",
                       "if _id is specified it must not be empty");
        item_close(out);
        return 400;
    }
    /* shard-level faults come before the document is looked at */
    if (ts_fault_fire(&st->faults.item_429)) {
        st->stats.fault_item_429++;
        if (b->mode == TS_MODE_OPENSEARCH)
            item_fail_open(
                b, out, it, idx->name, &id, false, 429,
                "rejected_execution_exception",
                "rejected execution of org.opensearch.common.util."
                "concurrent.TimedRunnable@6b0ae3ab on OpenSearchThreadPool"
                "Executor[name = es-test-server/write, queue capacity = "
                "10000, org.opensearch.common.util.concurrent.OpenSearch"
                "ThreadPoolExecutor@1f7c7b39[Running, pool size = 8, active "
                "threads = 8, queued tasks = 10000, completed tasks = "
                "1048576]]");
        else
            item_fail_open(
                b, out, it, idx->name, &id, false, 429,
                "es_rejected_execution_exception",
                "rejected execution of org.elasticsearch.common.util."
                "concurrent.TimedRunnable@6b0ae3ab on EsThreadPoolExecutor"
                "[name = es-test-server/write, queue capacity = 10000, "
                "org.elasticsearch.common.util.concurrent.EsThreadPool"
                "Executor@1f7c7b39[Running, pool size = 8, active threads = "
                "8, queued tasks = 10000, completed tasks = 1048576]]");
        item_close(out);
        return 429;
    }
    if (ts_fault_fire(&st->faults.item_503)) {
        st->stats.fault_item_503++;
        snprintf(reason, sizeof(reason),
                 "[%s][0] primary shard is not active Timeout: [1m], "
                 "request: [BulkShardRequest [[%s][0]] containing [%zu] "
                 "requests]",
                 idx->name, idx->name, b->nitems);
        item_fail_open(b, out, it, idx->name, &id, false, 503,
                       "unavailable_shards_exception", reason);
        shard_meta(out, idx);
        item_close(out);
        return 503;
    }
    idh = it->has_id ? it->idh : ts_id_hash(id.s, id.n);
    /* one probe finds the id or where it goes (empty: claimed on insert) */
    slot = ts_idtab_probe(&idx->ids, idh);
    if (slot == NULL) {
        slot = ts_idtab_find(&idx->ids, idh); /* at its bound: look only */
    } else if (slot->h == 0) {
        empty = slot;
        slot = NULL;
    }
    live = slot != NULL && !(slot->version & TS_ID_DELETED);
    ver = slot != NULL ? (slot->version & ~TS_ID_DELETED) : 0;

    if (it->op == OP_DELETE) {
        if (!live) {
            if (slot != NULL)
                slot->version = (ver + 1) | TS_ID_DELETED;
            write_success(b, out, it, idx, &id, ver + 1, "not_found",
                          idx->seq_no++, 404, x->forced);
            return 404;
        }
        slot->version = (ver + 1) | TS_ID_DELETED;
        idx->checksum -= slot->sum;
        idx->source_checksum -= slot->srcsum;
        idx->live--;
        idx->deleted++;
        touch(x, idx);
        write_success(b, out, it, idx, &id, ver + 1, "deleted", idx->seq_no++,
                      200, x->forced);
        return 200;
    }

    if (it->op == OP_UPDATE) {
        const struct span *src = NULL;

        if (live) {
            slot->version = ver + 1;
            idx->updated++;
            touch(x, idx);
            write_success(b, out, it, idx, &id, ver + 1, "updated",
                          idx->seq_no++, 200, x->forced);
            return 200;
        }
        if (it->upsert.s != NULL)
            src = &it->upsert;
        else if (it->doc_as_upsert && it->doc.s != NULL)
            src = &it->doc;
        if (src == NULL) {
            if (b->mode == TS_MODE_ES7)
                snprintf(reason, sizeof(reason),
                         "[_doc][%.*s]: document missing", (int)id.n, id.s);
            else
                snprintf(reason, sizeof(reason), "[%.*s]: document missing",
                         (int)id.n, id.s);
            item_fail_open(b, out, it, idx->name, &id, false, 404,
                           "document_missing_exception", reason);
            shard_meta(out, idx);
            item_close(out);
            return 404;
        }
        it->src = *src;
    }

    /* index, create, or an upsert: the source must parse and map */
    m = b->map;
    if (m->fc_idx != idx) {
        /* another index: what was remembered is of no use */
        memset(m->fc, 0, sizeof(m->fc));
        m->fc_idx = idx;
    }
    m->idx = idx;
    m->ord = 0;
    m->npend = 0;
    m->pend_counted = 0;
    m->err = ME_NONE;
    {
        struct ts_json_visitor v = {map_field, m};

        rc = ts_json_scan_doc(it->src.s, it->src.n, &v, &err);
    }
    if (rc == 1) {
        write_map_error(b, out, it, idx, &id, m);
        return 400;
    }
    if (rc != 0) {
        write_parse_error(b, out, it, idx, &id, &it->src, rc, &err);
        return 400;
    }
    if (it->op == OP_CREATE && live) {
        snprintf(reason, sizeof(reason),
                 "[%.*s]: version conflict, document already exists "
                 "(current version [%u])",
                 (int)id.n, id.s, ver);
        item_fail_open(b, out, it, idx->name, &id, false, 409,
                       "version_conflict_engine_exception", reason);
        shard_meta(out, idx);
        item_close(out);
        return 409;
    }
    if (slot == NULL && empty != NULL) {
        ts_idtab_claim(&idx->ids, empty, idh);
        slot = empty;
    }
    if (slot == NULL)
        slot = ts_idtab_upsert(&idx->ids, idh);
    if (slot == NULL) {
        item_fail_open(b, out, it, idx->name, &id, false, 500, "exception",
                       "id table full");
        item_close(out);
        return 500;
    }
    commit_pending(m);
    put_source(idx, slot, idh, &it->src, live);
    slot->version = ver + 1;
    touch(x, idx);
    if (live) {
        idx->updated++;
        idx->duplicates++;
        write_success(b, out, it, idx, &id, ver + 1, "updated", idx->seq_no++,
                      200, x->forced);
        return 200;
    }
    idx->live++;
    idx->created++;
    write_success(b, out, it, idx, &id, ver + 1, "created", idx->seq_no++, 201,
                  x->forced);
    return 201;
}

#define HEAD_GAP 64

/* The largest unfiltered item: reasons are bounded, ids are at most 512. */
#define ITEM_MAX ((size_t)1 << 20)

/*
 * One item with filter_path: a success item goes through its template
 * straight into the response, any other is written whole to scratch and
 * filtered from there.  *nkept counts the items written.
 */
static int
exec_filtered(struct bulk *b, struct exec *x, struct item *it,
              const char *default_index, struct ts_out *scratch, size_t *nkept)
{
    struct ts_out *out = b->fout;
    size_t mark = out->len;
    bool emitted = false;
    int s;

    if (*nkept > 0)
        ts_out_char(out, ',');
    scratch->len = 0;
    b->item_emitted = false;
    s = exec_item(b, x, it, default_index, scratch);
    if (scratch->len > 0) {
        if (b->items_kept && !scratch->overflow &&
            ts_filter_value(b->filter, &b->item_state, scratch->buf,
                            scratch->len, out, &emitted) != 0)
            scratch->overflow = true; /* cannot happen: our own JSON */
    } else {
        emitted = b->item_emitted;
    }
    if (emitted)
        (*nkept)++;
    else
        out->len = mark;
    return s;
}

/* One top-level scalar member, as the filter's walk of an object does. */
static void
root_member(const struct ts_filter *f, const struct ts_filter_state *root,
            struct ts_out *o, const char *key, const char *val, bool *any)
{
    struct ts_filter_state ch;
    size_t before = o->len;
    bool emitted = false;

    if (!ts_filter_child(f, root, key, strlen(key), &ch))
        return;
    if (*any)
        ts_out_char(o, ',');
    ts_out_char(o, '"');
    ts_out_str(o, key);
    ts_out_str(o, "\":");
    ts_filter_value(f, &ch, val, strlen(val), o, &emitted);
    if (emitted)
        *any = true;
    else
        o->len = before;
}

/*
 * Puts the filtered top-level members in front of the filtered items
 * (written after a gap at base), or drops the items when the filter
 * leaves no "items".
 */
static void
filtered_head(struct bulk *b, const struct ts_filter_state *root, bool errors,
              int64_t took, size_t nkept, struct ts_out *out, size_t base)
{
    char tk[24];
    struct ts_out h;
    bool any = false;
    bool items = b->items_kept && (nkept > 0 || b->item_state.included);
    const char *ev = errors ? "true" : "false";

    snprintf(tk, sizeof(tk), "%lld", (long long)took);
    /* at most {"errors":false,"took":<20 digits>,"items":[ */
    ts_out_init(&h, HEAD_GAP);
    ts_out_char(&h, '{');
    if (b->mode == TS_MODE_ES8) {
        root_member(b->filter, root, &h, "errors", ev, &any);
        root_member(b->filter, root, &h, "took", tk, &any);
    } else {
        root_member(b->filter, root, &h, "took", tk, &any);
        root_member(b->filter, root, &h, "errors", ev, &any);
    }
    if (!items) {
        out->len = base;
        ts_out_put(out, h.buf, h.len);
        ts_out_char(out, '}');
        goto out;
    }
    if (any)
        ts_out_char(&h, ',');
    ts_out_str(&h, "\"items\":[");
    memmove(out->buf + base + h.len, out->buf + base + HEAD_GAP,
            out->len - base - HEAD_GAP);
    memcpy(out->buf + base, h.buf, h.len);
    out->len = out->len - HEAD_GAP + h.len;
    ts_out_str(out, "]}");
out:
    ts_out_free(&h);
}

/* Fetches the slots a probe for h reads first into the cache. */
static inline void
prefetch_id(const struct ts_idtab *t, uint64_t h)
{
    size_t mask = t->cap - 1;
    size_t home = (size_t)h & mask;
    size_t per_line = 64 / sizeof(struct ts_idslot);

    __builtin_prefetch(&t->slots[home]);
    __builtin_prefetch(&t->slots[(home + per_line) & mask]);
    __builtin_prefetch(&t->slots[(home + 2 * per_line) & mask]);
}

int
ts_bulk_handle(struct ts_state *st, const struct ts_request *req,
               const struct ts_query *q, const char *default_index,
               struct ts_out *out, bool *filtered, struct ts_out *written)
{
    struct bulk b;
    struct exec x;
    struct ts_filter filter;
    struct ts_filter_state root;
    struct ts_out scratch;
    char head[HEAD_GAP];
    int hlen;
    size_t base;
    const char *refresh = ts_query_get(q, "refresh");
    const char *filter_text = ts_query_get(q, "filter_path");
    bool do_refresh = false;
    bool errors = false;
    int64_t t0 = ts_now_ms();
    int64_t took;
    size_t nkept = 0;
    int status = 200;
    size_t i;

    *filtered = false;
    ts_out_init(&scratch, 0);
    memset(&b, 0, sizeof(b));
    memset(&x, 0, sizeof(x));
    x.now = ts_now_ms();
    b.st = st;
    b.mode = st->config.mode;
    b.body = req->body;
    b.len = req->body_len;
    st->stats.bulk_requests++;

    if (refresh != NULL) {
        if (refresh[0] == 0 || strcmp(refresh, "true") == 0) {
            do_refresh = true;
            x.forced = true;
        } else if (strcmp(refresh, "wait_for") == 0) {
            do_refresh = true;
        } else if (strcmp(refresh, "false") != 0) {
            req_error(&b, 400, "illegal_argument_exception",
                      "Unknown value for refresh: [%s].", refresh);
            goto req_fail;
        }
    }
    if (parse_body(&b) != 0 || validate(&b, default_index) != 0)
        goto req_fail;
    b.map = calloc(1, sizeof(*b.map));
    if (b.map == NULL) {
        req_error(&b, 500, "exception", "out of memory");
        goto req_fail;
    }
    if (ts_fault_fire(&st->faults.request_429)) {
        st->stats.fault_request_429++;
        if (b.mode == TS_MODE_OPENSEARCH)
            req_error(&b, 429, "rejected_execution_exception",
                      "rejected execution of coordinating operation "
                      "[shard_detail=[es-test-server][0][C], "
                      "shard_coordinating_and_primary_bytes=%zu, "
                      "shard_operation_bytes=%zu, "
                      "shard_max_coordinating_and_primary_bytes=%zu]",
                      b.len, b.len, b.len);
        else
            req_error(&b, 429, "es_rejected_execution_exception",
                      "rejected execution of coordinating operation "
                      "[coordinating_and_primary_bytes=%zu, replica_bytes=0, "
                      "all_bytes=%zu, coordinating_operation_bytes=%zu, "
                      "max_coordinating_and_primary_bytes=%zu]",
                      b.len, b.len, b.len, b.len);
        goto req_fail;
    }
    if (ts_fault_fire(&st->faults.request_403)) {
        /* The reason of fixture error-403-security-exception-bulk.es8. */
        req_error(&b, 403, "security_exception",
                  "action [indices:data/write/bulk] is unauthorized for user "
                  "[es-test-server] with effective roles [viewer], this "
                  "action is granted by the index privileges "
                  "[create_doc,create,delete,index,write,all]");
        goto req_fail;
    }
    if (ts_fault_fire(&st->faults.request_503)) {
        st->stats.fault_request_503++;
        req_error(&b, 503, "cluster_block_exception",
                  "blocked by: [SERVICE_UNAVAILABLE/2/no master];");
        goto req_fail;
    }
    /*
     * filter_path is applied while writing: only what survives is written,
     * which for the loaders' usual filters is a tenth of the whole.
     */
    if (filter_text != NULL &&
        ts_filter_compile(&filter, filter_text, strlen(filter_text)) == 0) {
        ts_filter_root(&filter, &root);
        b.filter = &filter;
        b.fout = out;
        b.items_kept =
            ts_filter_child(&filter, &root, "items", 5, &b.item_state);
        ts_out_init(&scratch, ITEM_MAX);
    }
    /*
     * Items go straight into out after a gap for the top-level keys, which
     * are only known at the end ("errors"); the header is then put in
     * front with one memmove.  About 200 bytes of response per item, or
     * about 25 with the usual filters.
     */
    base = out->len;
    ts_out_reserve(out, b.nitems * (b.filter ? 32 : 200) + HEAD_GAP + 2);
    ts_out_put(out,
               "                                                    "
               "            ",
               HEAD_GAP);
    for (i = 0; i < b.nitems; i++) {
        int s;

        /*
         * The id table is far bigger than the caches: fetch ahead.  A new
         * id's probe runs on past its home slot to the next empty one
         * (about 2 to 13 slots at loads 0.4 to 0.8), so the next two
         * cache lines are fetched too.
         */
        if (i + 8 < b.nitems && x.cache_idx != NULL &&
            x.cache_idx->ids.cap > 0 && b.items[i + 8].has_id)
            prefetch_id(&x.cache_idx->ids, b.items[i + 8].idh);
        if (b.filter == NULL) {
            if (i > 0)
                ts_out_char(out, ',');
            s = exec_item(&b, &x, &b.items[i], default_index, out);
        } else {
            s = exec_filtered(&b, &x, &b.items[i], default_index, &scratch,
                              &nkept);
        }
        st->stats.items[s]++;
        if (s >= 400 && !(s == 404 && b.items[i].op == OP_DELETE))
            errors = true;
    }
    if (do_refresh)
        for (int k = 0; k < x.ntouched; k++)
            ts_store_refresh(x.touched[k]);
    if (out->overflow || scratch.overflow) {
        ts_out_free(out);
        ts_out_init(out, TS_OUT_MAX);
        ts_write_error(out, 500, "exception", "response too large");
        status = 500;
        goto out;
    }
    took = ts_now_ms() - t0;
    if (b.filter != NULL) {
        filtered_head(&b, &root, errors, took, nkept, out, base);
        *filtered = true;
        goto out;
    }
    if (b.mode == TS_MODE_ES8)
        hlen = snprintf(head, sizeof(head),
                        "{\"errors\":%s,\"took\":%lld,\"items\":[",
                        errors ? "true" : "false", (long long)took);
    else
        hlen = snprintf(head, sizeof(head),
                        "{\"took\":%lld,\"errors\":%s,\"items\":[",
                        (long long)took, errors ? "true" : "false");
    memmove(out->buf + base + (size_t)hlen, out->buf + base + HEAD_GAP,
            out->len - base - HEAD_GAP);
    memcpy(out->buf + base, head, (size_t)hlen);
    out->len = out->len - HEAD_GAP + (size_t)hlen;
    ts_out_str(out, "]}");
    goto out;

req_fail:
    status = b.status;
    ts_write_error(out, b.status, b.etype, b.ereason);
out:
    write_touched(&x, written);
    free(x.touched);
    /* keep the items array for the next request */
    if (st->bulk_items == NULL) {
        st->bulk_items = b.items;
        st->bulk_items_cap = b.cap;
    } else {
        free(b.items);
    }
    free(b.scratch);
    free(b.map);
    ts_out_free(&scratch);
    return status;
}
