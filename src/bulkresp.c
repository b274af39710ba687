/*
 * bulkresp.c
 *    _bulk responses: per-item results in one pass of the jsonscan lexer,
 *    and a one-line summary of whole-request error bodies.
 */
#include "forkbulk/bulkresp.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "forkbulk/jsonscan.h"

/*
 * Copies src[0..n) to dst (cap >= 1, always NUL-terminated).  When it does
 * not fit, the copy is cut at a UTF-8 character boundary and ends in
 * "...".  Control characters become spaces so that a reason never breaks
 * a log line.
 */
static void
fit(char *dst, size_t cap, const char *src, size_t n, int truncated)
{
    size_t i;

    if (cap == 0)
        return;
    if (n > cap - 1) {
        n = cap - 1;
        truncated = 1;
    }
    if (truncated && cap >= 4) {
        if (n > cap - 4)
            n = cap - 4;
        while (n > 0 && ((unsigned char)src[n] & 0xC0) == 0x80)
            n--;
    }
    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)src[i];

        dst[i] = c < 0x20 || c == 0x7f ? ' ' : (char)c;
    }
    if (truncated && cap >= 4) {
        memcpy(dst + n, "...", 3);
        n += 3;
    }
    dst[n] = '\0';
}

/* A string token, unescaped and fitted into dst. */
static void
token_string(const struct fb_json_token *t, char *dst, size_t cap)
{
    char tmp[1024];
    size_t n = 0;
    int truncated = fb_json_unescape(t, tmp, sizeof tmp, &n);

    fit(dst, cap, tmp, n, truncated);
}

static int
key_is(const struct fb_json_token *t, const char *name)
{
    size_t n = strlen(name);

    if (t->escaped) {
        char buf[64];
        size_t blen = 0;

        if (fb_json_unescape(t, buf, sizeof buf, &blen) != 0)
            return 0;
        return blen == n && memcmp(buf, name, n) == 0;
    }
    return t->len == n + 2 && memcmp(t->p + 1, name, n) == 0;
}

static int
lex_error(const struct fb_json_lexer *lx, char *err, size_t errlen)
{
    if (errlen > 0)
        fb_json_lexer_message(lx, err, errlen);
    return -1;
}

/* Reads {"type":..,"reason":..,...} of a caused_by, skipping the rest. */
static int
parse_cause(struct fb_json_lexer *lx, char *type, size_t tcap, char *reason,
            size_t rcap)
{
    struct fb_json_token k, v;

    for (;;) {
        if (fb_json_next(lx, &k) == FB_JTOK_END_OBJECT)
            return 0;
        if (k.kind != FB_JTOK_KEY || fb_json_next(lx, &v) == FB_JTOK_ERROR)
            return -1;
        if (v.kind == FB_JTOK_STRING && key_is(&k, "type"))
            token_string(&v, type, tcap);
        else if (v.kind == FB_JTOK_STRING && key_is(&k, "reason"))
            token_string(&v, reason, rcap);
        else if (fb_json_skip(lx, &v) != 0)
            return -1;
    }
}

/* Reads an item's "error" object into it->type and it->reason. */
static int
parse_error(struct fb_json_lexer *lx, struct fb_bulkresp_item *it)
{
    struct fb_json_token k, v;
    char reason[1024] = "";
    char ctype[FB_BULKRESP_TYPE_MAX] = "";
    char creason[FB_BULKRESP_REASON_MAX] = "";
    int have_cause = 0;

    for (;;) {
        if (fb_json_next(lx, &k) == FB_JTOK_END_OBJECT)
            break;
        if (k.kind != FB_JTOK_KEY || fb_json_next(lx, &v) == FB_JTOK_ERROR)
            return -1;
        if (v.kind == FB_JTOK_STRING && key_is(&k, "type")) {
            token_string(&v, it->type, sizeof it->type);
        } else if (v.kind == FB_JTOK_STRING && key_is(&k, "reason")) {
            token_string(&v, reason, sizeof reason);
        } else if (v.kind == FB_JTOK_BEGIN_OBJECT && key_is(&k, "caused_by")) {
            if (parse_cause(lx, ctype, sizeof ctype, creason, sizeof creason) !=
                0)
                return -1;
            have_cause = 1;
        } else if (fb_json_skip(lx, &v) != 0) {
            return -1;
        }
    }
    if (have_cause) {
        char all[1024 + FB_BULKRESP_TYPE_MAX + FB_BULKRESP_REASON_MAX + 32];
        int n = snprintf(all, sizeof all, "%s (caused by: %s: %s)", reason,
                         ctype, creason);

        fit(it->reason, sizeof it->reason, all,
            n < 0                     ? 0
            : (size_t)n >= sizeof all ? sizeof all - 1
                                      : (size_t)n,
            0);
    } else {
        fit(it->reason, sizeof it->reason, reason, strlen(reason), 0);
    }
    return 0;
}

/* A status must be a plain integer of at most three digits. */
static int
parse_status(const struct fb_json_token *v, int *status)
{
    size_t i;
    int s = 0;

    if (v->kind != FB_JTOK_NUMBER || v->len == 0 || v->len > 3)
        return -1;
    for (i = 0; i < v->len; i++) {
        if (v->p[i] < '0' || v->p[i] > '9')
            return -1;
        s = s * 10 + (v->p[i] - '0');
    }
    *status = s;
    return 0;
}

static int
parse_item_body(struct fb_json_lexer *lx, struct fb_bulkresp_item *it,
                size_t idx, char *err, size_t errlen)
{
    struct fb_json_token k, v;

    for (;;) {
        enum fb_json_tok kk = fb_json_next(lx, &k);

        if (kk == FB_JTOK_END_OBJECT)
            return 0;
        if (kk != FB_JTOK_KEY || fb_json_next(lx, &v) == FB_JTOK_ERROR)
            return lex_error(lx, err, errlen);
        if (key_is(&k, "status")) {
            if (parse_status(&v, &it->status) != 0) {
                if (errlen > 0)
                    snprintf(err, errlen, "item %zu has an invalid status",
                             idx);
                return -1;
            }
        } else if (key_is(&k, "error") && v.kind == FB_JTOK_BEGIN_OBJECT) {
            it->failed = true;
            if (parse_error(lx, it) != 0)
                return lex_error(lx, err, errlen);
        } else if (key_is(&k, "error") && v.kind == FB_JTOK_STRING) {
            /* Very old servers sent the error as a single string. */
            it->failed = true;
            token_string(&v, it->reason, sizeof it->reason);
        } else if (fb_json_skip(lx, &v) != 0) {
            return lex_error(lx, err, errlen);
        }
    }
}

/* Reads the "items" array, whose '[' has just been returned.  Items past
 * `expected` are counted in *n but not stored. */
static int
parse_items(struct fb_json_lexer *lx, struct fb_bulkresp_item *items,
            size_t expected, size_t *n, char *err, size_t errlen)
{
    struct fb_json_token t, v;

    for (;;) {
        enum fb_json_tok k = fb_json_next(lx, &t);

        if (k == FB_JTOK_END_ARRAY)
            return 0;
        if (k == FB_JTOK_ERROR)
            return lex_error(lx, err, errlen);
        if (k != FB_JTOK_BEGIN_OBJECT)
            goto not_object;
        k = fb_json_next(lx, &t);
        if (k == FB_JTOK_ERROR)
            return lex_error(lx, err, errlen);
        if (k == FB_JTOK_END_OBJECT) {
            if (errlen > 0)
                snprintf(err, errlen, "item %zu is empty", *n);
            return -1;
        }
        k = fb_json_next(lx, &v);
        if (k == FB_JTOK_ERROR)
            return lex_error(lx, err, errlen);
        if (k != FB_JTOK_BEGIN_OBJECT)
            goto not_object;
        if (*n < expected) {
            struct fb_bulkresp_item *it = &items[*n];

            it->status = 0;
            it->failed = false;
            it->type[0] = '\0';
            it->reason[0] = '\0';
            token_string(&t, it->op, sizeof it->op);
            if (parse_item_body(lx, it, *n, err, errlen) != 0)
                return -1;
        } else if (fb_json_skip(lx, &v) != 0) {
            return lex_error(lx, err, errlen);
        }
        (*n)++;
        /* An item has one key; tolerate (skip) any others. */
        for (;;) {
            k = fb_json_next(lx, &t);
            if (k == FB_JTOK_END_OBJECT)
                break;
            if (k != FB_JTOK_KEY || fb_json_next(lx, &v) == FB_JTOK_ERROR ||
                fb_json_skip(lx, &v) != 0)
                return lex_error(lx, err, errlen);
        }
    }
not_object:
    if (errlen > 0)
        snprintf(err, errlen, "item %zu is not an object", *n);
    return -1;
}

/* Matches the literal lit at *p (inside body[..end)) and steps over it. */
static bool
take(const char **p, const char *end, const char *lit, size_t n)
{
    if ((size_t)(end - *p) < n || memcmp(*p, lit, n) != 0)
        return false;
    *p += n;
    return true;
}

#define TAKE(p, end, lit) take(p, end, lit, sizeof(lit) - 1)

/*
 * A clean batch under FB_BULKRESP_FILTER_PATH comes back as exactly
 *   {"errors":false,"items":[{"index":{"status":201}},...]}
 * (compact, in this key order, from Elasticsearch 7/8 and OpenSearch).
 * Reading that shape byte by byte costs a tenth of lexing it, and it is
 * the answer to nearly every request.  Anything else, whitespace
 * included, returns false and goes to the full parser, which rewrites
 * whatever this wrote into items.
 */
static bool
parse_clean(const char *body, size_t len, struct fb_bulkresp_item *items,
            size_t expected, struct fb_bulkresp *out)
{
    const char *p = body;
    const char *end = body + len;
    size_t n = 0;

    if (!TAKE(&p, end, "{\"errors\":false,\"items\":["))
        return false;
    if (TAKE(&p, end, "]}"))
        goto done;
    for (;;) {
        struct fb_bulkresp_item *it = &items[n];
        const char *op = p + 2;
        const char *q;
        int status = 0;
        int digits = 0;

        if (n == expected || !TAKE(&p, end, "{\""))
            return false;
        q = memchr(p, '"', (size_t)(end - p) < 8 ? (size_t)(end - p) : 8);
        if (q == NULL || q == p)
            return false;
        memcpy(it->op, op, (size_t)(q - op));
        it->op[q - op] = '\0';
        p = q;
        if (!TAKE(&p, end, "\":{\"status\":"))
            return false;
        while (p < end && *p >= '0' && *p <= '9' && digits < 3) {
            status = status * 10 + (*p++ - '0');
            digits++;
        }
        if (digits == 0 || !TAKE(&p, end, "}}"))
            return false;
        it->status = status;
        it->failed = false;
        it->type[0] = '\0';
        it->reason[0] = '\0';
        n++;
        if (TAKE(&p, end, "]}"))
            break;
        if (!TAKE(&p, end, ","))
            return false;
    }
done:
    if (p != end || n != expected)
        return false;
    out->errors = false;
    out->nitems = n;
    out->nfailed = 0;
    return true;
}

int
fb_bulkresp_parse(const char *body, size_t len, struct fb_bulkresp_item *items,
                  size_t expected, struct fb_bulkresp *out, char *err,
                  size_t errlen)
{
    struct fb_json_lexer lx;
    struct fb_json_token k, v;
    size_t n = 0;
    size_t i;

    if (parse_clean(body, len, items, expected, out))
        return 0;
    out->errors = false;
    out->nitems = 0;
    out->nfailed = 0;
    fb_json_lexer_init(&lx, body, len);
    if (fb_json_next(&lx, &k) == FB_JTOK_ERROR)
        return lex_error(&lx, err, errlen);
    if (k.kind != FB_JTOK_BEGIN_OBJECT) {
        if (errlen > 0)
            snprintf(err, errlen, "response is not a JSON object");
        return -1;
    }
    for (;;) {
        enum fb_json_tok kk = fb_json_next(&lx, &k);

        if (kk == FB_JTOK_END_OBJECT)
            break;
        if (kk != FB_JTOK_KEY || fb_json_next(&lx, &v) == FB_JTOK_ERROR)
            return lex_error(&lx, err, errlen);
        if (key_is(&k, "errors")) {
            if (v.kind != FB_JTOK_TRUE && v.kind != FB_JTOK_FALSE) {
                if (errlen > 0)
                    snprintf(err, errlen, "\"errors\" is not a boolean");
                return -1;
            }
            out->errors = v.kind == FB_JTOK_TRUE;
        } else if (key_is(&k, "items")) {
            if (v.kind != FB_JTOK_BEGIN_ARRAY) {
                if (errlen > 0)
                    snprintf(err, errlen, "\"items\" is not an array");
                return -1;
            }
            if (parse_items(&lx, items, expected, &n, err, errlen) != 0)
                return -1;
        } else if (fb_json_skip(&lx, &v) != 0) {
            return lex_error(&lx, err, errlen);
        }
    }
    if (fb_json_next(&lx, &k) != FB_JTOK_EOF || fb_json_lexer_finish(&lx) != 0)
        return lex_error(&lx, err, errlen);
    out->nitems = n;
    if (n != expected) {
        if (errlen > 0)
            snprintf(err, errlen, "response has %zu items, %zu were sent", n,
                     expected);
        return -1;
    }
    for (i = 0; i < n; i++)
        if (items[i].failed)
            out->nfailed++;
    return 0;
}

enum fb_item_class
fb_bulkresp_classify(const struct fb_bulkresp_item *it)
{
    int s = it->status;

    if (s == 429 || s == 502 || s == 503 || s == 504)
        return FB_ITEM_RETRY;
    /* Without a status (a filter that dropped it), go by the type. */
    if (s == 0 && it->failed &&
        (strcmp(it->type, "es_rejected_execution_exception") == 0 ||
         strcmp(it->type, "rejected_execution_exception") == 0 ||
         strcmp(it->type, "unavailable_shards_exception") == 0))
        return FB_ITEM_RETRY;
    if (s == 409 && strcmp(it->op, "create") == 0)
        return FB_ITEM_EXISTS;
    if (s == 404 && strcmp(it->op, "delete") == 0 && !it->failed)
        return FB_ITEM_OK;
    if (it->failed || s >= 400)
        return FB_ITEM_REJECT;
    return FB_ITEM_OK;
}

enum fb_req_class
fb_bulkresp_request_class(long s)
{
    if (s >= 200 && s <= 299)
        return FB_REQ_OK;
    if (s == 413)
        return FB_REQ_SPLIT;
    /* 0 is "no response at all": as transient as a 503. */
    if (s == 0 || s == 408 || s == 429 ||
        (s >= 500 && s <= 599 && s != 501 && s != 505))
        return FB_REQ_RETRY;
    return FB_REQ_FATAL;
}

/* Reads {"type":..,"reason":..} of the envelope's "error" object. */
static int
envelope_error(struct fb_json_lexer *lx, char *type, size_t tcap, char *reason,
               size_t rcap)
{
    return parse_cause(lx, type, tcap, reason, rcap);
}

/* The JSON shapes; 0 if one was recognised and written to out. */
static int
describe_json(const char *body, size_t len, char *out, size_t cap)
{
    struct fb_json_lexer lx;
    struct fb_json_token k, v;
    char type[128] = "";
    char reason[1024] = "";
    char text[1024] = "";
    int have_obj = 0, have_text = 0;

    fb_json_lexer_init(&lx, body, len);
    if (fb_json_next(&lx, &k) != FB_JTOK_BEGIN_OBJECT)
        return -1;
    for (;;) {
        enum fb_json_tok kk = fb_json_next(&lx, &k);

        if (kk == FB_JTOK_END_OBJECT)
            break;
        if (kk != FB_JTOK_KEY || fb_json_next(&lx, &v) == FB_JTOK_ERROR)
            return -1;
        if (key_is(&k, "error") && v.kind == FB_JTOK_BEGIN_OBJECT) {
            if (envelope_error(&lx, type, sizeof type, reason, sizeof reason) !=
                0)
                return -1;
            have_obj = 1;
        } else if (v.kind == FB_JTOK_STRING &&
                   (key_is(&k, "error") || key_is(&k, "Message") ||
                    key_is(&k, "message"))) {
            if (!have_text)
                token_string(&v, text, sizeof text);
            have_text = 1;
        } else if (fb_json_skip(&lx, &v) != 0) {
            return -1;
        }
    }
    if (have_obj && (type[0] != '\0' || reason[0] != '\0')) {
        char all[sizeof type + sizeof reason + 4];
        int n;

        if (type[0] != '\0' && reason[0] != '\0')
            n = snprintf(all, sizeof all, "%s: %s", type, reason);
        else
            n = snprintf(all, sizeof all, "%s%s", type, reason);
        fit(out, cap, all, n < 0 ? 0 : (size_t)n, 0);
        return 0;
    }
    if (have_text) {
        fit(out, cap, text, strlen(text), 0);
        return 0;
    }
    return -1;
}

static int
ci_starts(const char *p, const char *end, const char *lit)
{
    size_t n = strlen(lit);
    size_t i;

    if ((size_t)(end - p) < n)
        return 0;
    for (i = 0; i < n; i++) {
        char c = p[i];

        if (c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        if (c != lit[i])
            return 0;
    }
    return 1;
}

/* Text of an HTML or plain body: the <title> if there is one, else the
 * text outside tags; whitespace folded, non-ASCII shown as '?'. */
static void
describe_text(const char *p, const char *end, char *out, size_t cap)
{
    char buf[512];
    size_t n = 0;
    int in_tag = 0, space = 0, truncated = 0;
    const char *q = NULL;

    /* Proxies put the short message in the title; look near the top. */
    for (q = p; q < end && q - p < 4096; q++) {
        if (*q == '<' && ci_starts(q, end, "<title>")) {
            p = q + 7;
            for (q = p; q < end && *q != '<'; q++)
                ;
            end = q;
            break;
        }
    }
    for (q = p; q < end; q++) {
        unsigned char c = (unsigned char)*q;

        if (in_tag) {
            if (c == '>')
                in_tag = 0;
            continue;
        }
        if (c == '<') {
            in_tag = 1;
            space = n > 0;
            continue;
        }
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
            space = n > 0;
            continue;
        }
        if (n + 2 >= sizeof buf) {
            truncated = 1;
            break;
        }
        if (space)
            buf[n++] = ' ';
        space = 0;
        buf[n++] = c < 0x20 || c >= 0x7f ? '?' : (char)c;
    }
    if (n == 0)
        fit(out, cap, "empty response body", 19, 0);
    else
        fit(out, cap, buf, n, truncated);
}

const char *
fb_bulkresp_describe_error(const char *body, size_t len, char *out, size_t cap)
{
    const char *p = body;
    const char *end = body + len;

    if (cap == 0)
        return out;
    while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
        p++;
    if (p == end) {
        fit(out, cap, "empty response body", 19, 0);
        return out;
    }
    if (*p == '{' && describe_json(body, len, out, cap) == 0 && out[0] != '\0')
        return out;
    describe_text(p, end, out, cap);
    if (out[0] == '\0') /* e.g. {"Message":""}: say something */
        fit(out, cap, "response without a message", 27, 0);
    return out;
}
