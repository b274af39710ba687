/*
 * jsonscan.c
 *    A strict, allocation-free JSON pull lexer and what is built on it:
 *    validating one NDJSON line, finding a dotted path in a document.
 *
 * This is on the hot path (every input line), so strings, which are most
 * of the bytes of a typical document, are scanned eight bytes at a time
 * while no byte needs attention (SWAR: no quote, backslash, control byte
 * or non-ASCII byte in the word).
 */
#include "forkbulk/jsonscan.h"

#include <stdio.h>
#include <string.h>

enum lex_state {
    S_VALUE,        /* a value (top level, or after ':') */
    S_VALUE_OR_END, /* a value or ']' (just after '[') */
    S_ELEM,         /* a value after ',' in an array (']' = trailing comma) */
    S_KEY,          /* a key after ',' in an object ('}' = trailing comma) */
    S_KEY_OR_END,   /* a key or '}' (just after '{') */
    S_AFTER,        /* ',' or the closing bracket, after a member/element */
    S_DONE,         /* the top-level value is complete */
    S_ERROR,
};

/* Byte classes inside strings: 0 needs no attention. */
enum { C_PLAIN = 0, C_QUOTE, C_BSLASH, C_CTRL, C_HIGH };

#define R16(x) x, x, x, x, x, x, x, x, x, x, x, x, x, x, x, x
static const unsigned char str_class_table[256] = {
    R16(C_CTRL), R16(C_CTRL), /* 00-1f */
    0,           0,           C_QUOTE,     0,           0, 0, 0, 0, 0,
    0,           0,           0,           0,           0, 0, 0, /* 20-2f */
    R16(0),      R16(0),                                         /* 30-4f */
    0,           0,           0,           0,           0, 0, 0, 0, 0,
    0,           0,           0,           C_BSLASH,    0, 0, 0, /* 50-5f */
    R16(0),      R16(0),                                         /* 60-7f */
    R16(C_HIGH), R16(C_HIGH), R16(C_HIGH), R16(C_HIGH),          /* 80-bf */
    R16(C_HIGH), R16(C_HIGH), R16(C_HIGH), R16(C_HIGH),          /* c0-ff */
};
#undef R16

static inline unsigned char
str_class(unsigned char c)
{
    return str_class_table[c];
}

#define ONES UINT64_C(0x0101010101010101)
#define HIGHS UINT64_C(0x8080808080808080)

/* True if any byte of w is '"', '\\', < 0x20 or >= 0x80 (exact). */
static inline int
word_needs_attention(uint64_t w)
{
    uint64_t q = w ^ (ONES * 0x22);
    uint64_t b = w ^ (ONES * 0x5c);
    uint64_t lt = (w - ONES * 0x20) & ~w;
    uint64_t zq = (q - ONES) & ~q;
    uint64_t zb = (b - ONES) & ~b;

    return ((lt | zq | zb) & HIGHS) != 0 || (w & HIGHS) != 0;
}

static inline int
is_ws(char c)
{
    return c == ' ' || c == '\n' || c == '\r' || c == '\t';
}

static inline const char *
skip_ws(const char *p, const char *end)
{
    while (p < end && is_ws(*p))
        p++;
    return p;
}

static inline int
is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static enum fb_json_tok
fail(struct fb_json_lexer *lx, const char *at, const char *msg)
{
    lx->error = msg;
    lx->error_at = (size_t)(at - lx->base);
    lx->state = S_ERROR;
    lx->p = at;
    return FB_JTOK_ERROR;
}

static int
hex4(const char *p, unsigned *out)
{
    unsigned v = 0;
    int i;

    for (i = 0; i < 4; i++) {
        char c = p[i];

        v <<= 4;
        if (c >= '0' && c <= '9')
            v |= (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f')
            v |= (unsigned)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F')
            v |= (unsigned)(c - 'A' + 10);
        else
            return -1;
    }
    *out = v;
    return 0;
}

/* Length of the valid UTF-8 sequence at p (lead byte >= 0x80), 0 if it is
 * not one: strict, as RFC 3629 (no overlongs, no surrogates, <= 10FFFF). */
static size_t
utf8_seq(const unsigned char *p, const unsigned char *end)
{
    unsigned char c = p[0];
    unsigned char lo = 0x80, hi = 0xBF;
    size_t n, i;

    if (c < 0xC2)
        return 0;
    if (c < 0xE0) {
        n = 2;
    } else if (c < 0xF0) {
        n = 3;
        if (c == 0xE0)
            lo = 0xA0;
        else if (c == 0xED)
            hi = 0x9F;
    } else if (c < 0xF5) {
        n = 4;
        if (c == 0xF0)
            lo = 0x90;
        else if (c == 0xF4)
            hi = 0x8F;
    } else {
        return 0;
    }
    if ((size_t)(end - p) < n)
        return 0;
    if (p[1] < lo || p[1] > hi)
        return 0;
    for (i = 2; i < n; i++)
        if (p[i] < 0x80 || p[i] > 0xBF)
            return 0;
    return n;
}

/* Scans the string whose opening quote is at p.  Returns the byte after
 * the closing quote, or NULL after fail().  Longer than the 80 lines we
 * allow a function, on purpose: every byte of every NDJSON line passes
 * through this loop, and the escape cases inline keep it free of calls. */
static const char *
scan_string(struct fb_json_lexer *lx, const char *p, bool *escaped)
{
    const char *end = lx->end;

    p++;
    for (;;) {
        uint64_t w;

        while (end - p >= 8) {
            memcpy(&w, p, sizeof w);
            if (word_needs_attention(w))
                break;
            p += 8;
        }
        while (p < end && str_class((unsigned char)*p) == C_PLAIN)
            p++;
        if (p >= end) {
            fail(lx, p, "unterminated string");
            return NULL;
        }
        switch (str_class((unsigned char)*p)) {
        case C_QUOTE:
            return p + 1;
        case C_BSLASH: {
            unsigned cp = 0, lo = 0;

            *escaped = true;
            if (end - p < 2) {
                fail(lx, p, "unterminated string");
                return NULL;
            }
            switch (p[1]) {
            case '"':
            case '\\':
            case '/':
            case 'b':
            case 'f':
            case 'n':
            case 'r':
            case 't':
                p += 2;
                continue;
            case 'u':
                break;
            default:
                fail(lx, p, "invalid escape in string");
                return NULL;
            }
            if (end - p < 6 || hex4(p + 2, &cp) != 0) {
                fail(lx, p, "invalid \\u escape");
                return NULL;
            }
            if (cp >= 0xDC00 && cp <= 0xDFFF) {
                fail(lx, p, "unpaired surrogate in \\u escape");
                return NULL;
            }
            if (cp >= 0xD800 && cp <= 0xDBFF) {
                if (end - p < 12 || p[6] != '\\' || p[7] != 'u' ||
                    hex4(p + 8, &lo) != 0 || lo < 0xDC00 || lo > 0xDFFF) {
                    fail(lx, p, "unpaired surrogate in \\u escape");
                    return NULL;
                }
                p += 12;
            } else {
                p += 6;
            }
            break;
        }
        case C_CTRL:
            fail(lx, p, "control character in string");
            return NULL;
        default: {
            size_t n =
                utf8_seq((const unsigned char *)p, (const unsigned char *)end);

            if (n == 0) {
                fail(lx, p, "invalid UTF-8 in string");
                return NULL;
            }
            p += n;
            break;
        }
        }
    }
}

static const char *
scan_number(struct fb_json_lexer *lx, const char *p)
{
    const char *end = lx->end;

    if (*p == '-')
        p++;
    if (p >= end || !is_digit(*p)) {
        fail(lx, p, "invalid number");
        return NULL;
    }
    if (*p == '0') {
        p++;
        if (p < end && is_digit(*p)) {
            fail(lx, p, "invalid number: leading zero");
            return NULL;
        }
    } else {
        while (p < end && is_digit(*p))
            p++;
    }
    if (p < end && *p == '.') {
        p++;
        if (p >= end || !is_digit(*p)) {
            fail(lx, p, "invalid number: digit expected after '.'");
            return NULL;
        }
        while (p < end && is_digit(*p))
            p++;
    }
    if (p < end && (*p == 'e' || *p == 'E')) {
        p++;
        if (p < end && (*p == '+' || *p == '-'))
            p++;
        if (p >= end || !is_digit(*p)) {
            fail(lx, p, "invalid number: digit expected in exponent");
            return NULL;
        }
        while (p < end && is_digit(*p))
            p++;
    }
    return p;
}

static inline void
value_done(struct fb_json_lexer *lx)
{
    lx->state = lx->depth == 0 ? S_DONE : S_AFTER;
}

static inline enum fb_json_tok
emit(struct fb_json_lexer *lx, struct fb_json_token *t, enum fb_json_tok k,
     const char *start, const char *next)
{
    t->kind = k;
    t->p = start;
    t->len = (size_t)(next - start);
    lx->p = next;
    return k;
}

static enum fb_json_tok
open_container(struct fb_json_lexer *lx, struct fb_json_token *t, const char *p,
               int is_object)
{
    if (lx->depth >= FB_JSON_MAX_DEPTH)
        return fail(lx, p, "nesting deeper than 64 levels");
    if (is_object)
        lx->objmask |= UINT64_C(1) << lx->depth;
    else
        lx->objmask &= ~(UINT64_C(1) << lx->depth);
    lx->depth++;
    lx->state = is_object ? S_KEY_OR_END : S_VALUE_OR_END;
    return emit(lx, t, is_object ? FB_JTOK_BEGIN_OBJECT : FB_JTOK_BEGIN_ARRAY,
                p, p + 1);
}

static enum fb_json_tok
close_container(struct fb_json_lexer *lx, struct fb_json_token *t,
                const char *p, int is_object)
{
    lx->depth--;
    value_done(lx);
    return emit(lx, t, is_object ? FB_JTOK_END_OBJECT : FB_JTOK_END_ARRAY, p,
                p + 1);
}

static enum fb_json_tok
lex_value(struct fb_json_lexer *lx, struct fb_json_token *t, const char *p)
{
    const char *end = lx->end;
    const char *q = NULL;

    switch (*p) {
    case '{':
        return open_container(lx, t, p, 1);
    case '[':
        return open_container(lx, t, p, 0);
    case '"':
        t->escaped = false;
        q = scan_string(lx, p, &t->escaped);
        if (q == NULL)
            return FB_JTOK_ERROR;
        value_done(lx);
        return emit(lx, t, FB_JTOK_STRING, p, q);
    case 't':
        if (end - p >= 4 && memcmp(p, "true", 4) == 0) {
            value_done(lx);
            return emit(lx, t, FB_JTOK_TRUE, p, p + 4);
        }
        break;
    case 'f':
        if (end - p >= 5 && memcmp(p, "false", 5) == 0) {
            value_done(lx);
            return emit(lx, t, FB_JTOK_FALSE, p, p + 5);
        }
        break;
    case 'n':
        if (end - p >= 4 && memcmp(p, "null", 4) == 0) {
            value_done(lx);
            return emit(lx, t, FB_JTOK_NULL, p, p + 4);
        }
        break;
    default:
        if (*p == '-' || is_digit(*p)) {
            q = scan_number(lx, p);
            if (q == NULL)
                return FB_JTOK_ERROR;
            value_done(lx);
            return emit(lx, t, FB_JTOK_NUMBER, p, q);
        }
        return fail(lx, p, "expected a value");
    }
    return fail(lx, p, "invalid literal");
}

void
fb_json_lexer_init(struct fb_json_lexer *lx, const char *s, size_t len)
{
    lx->base = s;
    lx->p = s;
    lx->end = s + len;
    lx->depth = 0;
    lx->objmask = 0;
    lx->state = S_VALUE;
    lx->error = NULL;
    lx->error_at = 0;
}

/* The lexer proper; inlined into the validator's loop, which is the hot
 * path, and wrapped by fb_json_next() for everyone else. */
static inline enum fb_json_tok
lex_next(struct fb_json_lexer *lx, struct fb_json_token *t)
{
    const char *p = NULL;
    const char *q = NULL;
    int in_obj;

    t->kind = FB_JTOK_ERROR; /* what the token says if fail() stops us */
    t->p = lx->p;
    t->len = 0;
    t->escaped = false;
again:
    switch (lx->state) {
    case S_ERROR:
        return emit(lx, t, FB_JTOK_ERROR, lx->p, lx->p);
    case S_DONE:
        return emit(lx, t, FB_JTOK_EOF, lx->p, lx->p);
    case S_AFTER:
        p = skip_ws(lx->p, lx->end);
        in_obj = (int)((lx->objmask >> (lx->depth - 1)) & 1);
        if (p >= lx->end)
            return fail(lx, p, "unexpected end of input");
        if (*p == ',') {
            lx->state = in_obj ? S_KEY : S_ELEM;
            lx->p = p + 1;
            goto again;
        }
        if (*p == (in_obj ? '}' : ']'))
            return close_container(lx, t, p, in_obj);
        return fail(lx, p,
                    in_obj ? "expected ',' or '}'" : "expected ',' or ']'");
    case S_KEY:
    case S_KEY_OR_END:
        p = skip_ws(lx->p, lx->end);
        if (p >= lx->end)
            return fail(lx, p, "unexpected end of input");
        if (*p == '}') {
            if (lx->state == S_KEY)
                return fail(lx, p, "trailing comma");
            return close_container(lx, t, p, 1);
        }
        if (*p != '"')
            return fail(lx, p, "expected a string key");
        q = scan_string(lx, p, &t->escaped);
        if (q == NULL)
            return FB_JTOK_ERROR;
        t->p = p;
        t->len = (size_t)(q - p);
        q = skip_ws(q, lx->end);
        if (q >= lx->end || *q != ':')
            return fail(lx, q, "expected ':'");
        t->kind = FB_JTOK_KEY;
        lx->p = q + 1;
        lx->state = S_VALUE;
        return FB_JTOK_KEY;
    default: /* S_VALUE, S_VALUE_OR_END, S_ELEM */
        p = skip_ws(lx->p, lx->end);
        if (p >= lx->end)
            return fail(lx, p,
                        lx->depth == 0 ? "empty input"
                                       : "unexpected end of input");
        if (*p == ']') {
            if (lx->state == S_VALUE_OR_END)
                return close_container(lx, t, p, 0);
            if (lx->state == S_ELEM)
                return fail(lx, p, "trailing comma");
        }
        return lex_value(lx, t, p);
    }
}

enum fb_json_tok
fb_json_next(struct fb_json_lexer *lx, struct fb_json_token *t)
{
    return lex_next(lx, t);
}

int
fb_json_skip(struct fb_json_lexer *lx, const struct fb_json_token *t)
{
    struct fb_json_token tt;
    unsigned target;

    if (t->kind == FB_JTOK_ERROR)
        return -1;
    if (t->kind != FB_JTOK_BEGIN_OBJECT && t->kind != FB_JTOK_BEGIN_ARRAY)
        return 0;
    target = lx->depth - 1;
    for (;;) {
        enum fb_json_tok k = fb_json_next(lx, &tt);

        if (k == FB_JTOK_ERROR || k == FB_JTOK_EOF)
            return -1;
        if ((k == FB_JTOK_END_OBJECT || k == FB_JTOK_END_ARRAY) &&
            lx->depth == target)
            return 0;
    }
}

int
fb_json_lexer_finish(struct fb_json_lexer *lx)
{
    const char *p = NULL;

    if (lx->state != S_DONE) {
        if (lx->state != S_ERROR)
            fail(lx, lx->p, "unexpected end of input");
        return -1;
    }
    p = skip_ws(lx->p, lx->end);
    if (p != lx->end) {
        fail(lx, p, "unexpected data after the JSON value");
        return -1;
    }
    return 0;
}

void
fb_json_lexer_message(const struct fb_json_lexer *lx, char *out, size_t cap)
{
    if (cap == 0)
        return;
    if (lx->error == NULL)
        snprintf(out, cap, "no error");
    else if (strcmp(lx->error, "empty input") == 0)
        snprintf(out, cap, "empty input");
    else
        snprintf(out, cap, "invalid JSON at column %zu: %s", lx->error_at + 1,
                 lx->error);
}

/* Bytes of the UTF-8 character whose (valid) lead byte is c. */
static size_t
utf8_len(unsigned char c)
{
    if (c < 0x80)
        return 1;
    if (c < 0xE0)
        return 2;
    if (c < 0xF0)
        return 3;
    return 4;
}

static size_t
utf8_put(char *out, unsigned cp)
{
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xC0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xE0 | (cp >> 12));
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | (cp >> 18));
    out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

int
fb_json_unescape(const struct fb_json_token *t, char *out, size_t cap,
                 size_t *outlen)
{
    const char *p = t->p + 1;
    const char *e = t->p + t->len - 1;
    size_t room = cap - 1;
    size_t o = 0;
    int truncated = 0;

    if (!t->escaped) {
        /* The common case: one copy, cut back to a character boundary. */
        size_t n = (size_t)(e - p);

        if (n > room) {
            n = room;
            while (n > 0 && ((unsigned char)p[n] & 0xC0) == 0x80)
                n--;
            truncated = 1;
        }
        memcpy(out, p, n);
        out[n] = '\0';
        *outlen = n;
        return truncated;
    }
    while (p < e) {
        char tmp[4];
        const char *src = p;
        size_t n;

        if (*p != '\\') {
            n = utf8_len((unsigned char)*p);
            p += n;
        } else {
            unsigned cp = 0, lo = 0;

            switch (p[1]) {
            case 'b':
                cp = '\b';
                break;
            case 'f':
                cp = '\f';
                break;
            case 'n':
                cp = '\n';
                break;
            case 'r':
                cp = '\r';
                break;
            case 't':
                cp = '\t';
                break;
            case 'u':
                (void)hex4(p + 2, &cp);
                break;
            default: /* '"', '\\', '/' */
                cp = (unsigned char)p[1];
                break;
            }
            if (p[1] == 'u' && cp >= 0xD800 && cp <= 0xDBFF) {
                (void)hex4(p + 8, &lo);
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                p += 12;
            } else {
                p += p[1] == 'u' ? 6 : 2;
            }
            n = utf8_put(tmp, cp);
            src = tmp;
        }
        if (n > room - o) {
            truncated = 1;
            break;
        }
        memcpy(out + o, src, n);
        o += n;
    }
    out[o] = '\0';
    *outlen = o;
    return truncated;
}

int
fb_json_value_string(const struct fb_json_value *v, char *out, size_t cap,
                     size_t *outlen)
{
    struct fb_json_token t;

    t.kind = FB_JTOK_STRING;
    t.p = v->p;
    t.len = v->len;
    t.escaped = v->escaped;
    return fb_json_unescape(&t, out, cap, outlen);
}

static enum fb_json_type
token_type(enum fb_json_tok k)
{
    switch (k) {
    case FB_JTOK_BEGIN_OBJECT:
        return FB_JSON_OBJECT;
    case FB_JTOK_BEGIN_ARRAY:
        return FB_JSON_ARRAY;
    case FB_JTOK_STRING:
        return FB_JSON_STRING;
    case FB_JTOK_NUMBER:
        return FB_JSON_NUMBER;
    case FB_JTOK_TRUE:
        return FB_JSON_TRUE;
    case FB_JTOK_FALSE:
        return FB_JSON_FALSE;
    case FB_JTOK_NULL:
        return FB_JSON_NULL;
    default:
        return FB_JSON_NONE;
    }
}

/* "object", "array", ...: what a document was instead of an object. */
static const char *
type_name(enum fb_json_type type)
{
    switch (type) {
    case FB_JSON_OBJECT:
        return "object";
    case FB_JSON_ARRAY:
        return "array";
    case FB_JSON_STRING:
        return "string";
    case FB_JSON_NUMBER:
        return "number";
    case FB_JSON_TRUE:
        return "true";
    case FB_JSON_FALSE:
        return "false";
    case FB_JSON_NULL:
        return "null";
    default:
        return "nothing";
    }
}

const char *
fb_json_type_article(enum fb_json_type type)
{
    switch (type) {
    case FB_JSON_OBJECT:
        return "an object";
    case FB_JSON_ARRAY:
        return "an array";
    case FB_JSON_STRING:
        return "a string";
    case FB_JSON_NUMBER:
        return "a number";
    case FB_JSON_TRUE:
    case FB_JSON_FALSE:
        return "a boolean";
    case FB_JSON_NULL:
        return "null";
    default:
        return "nothing";
    }
}

/* Starts lx on s[0..len), which must open a JSON object.  0, or -1 with
 * why in err. */
static int
open_object(struct fb_json_lexer *lx, const char *s, size_t len, char *err,
            size_t errlen)
{
    struct fb_json_token t;
    enum fb_json_tok k;

    fb_json_lexer_init(lx, s, len);
    k = lex_next(lx, &t);
    if (k == FB_JTOK_BEGIN_OBJECT)
        return 0;
    if (errlen == 0)
        return -1;
    if (k == FB_JTOK_ERROR)
        fb_json_lexer_message(lx, err, errlen);
    else
        snprintf(err, errlen, "not a JSON object: found %s",
                 type_name(token_type(k)));
    return -1;
}

int
fb_json_validate_object(const char *s, size_t len, char *err, size_t errlen)
{
    struct fb_json_lexer lx;
    struct fb_json_token t;
    enum fb_json_tok k;

    if (open_object(&lx, s, len, err, errlen) != 0)
        return -1;
    do {
        k = lex_next(&lx, &t);
    } while (k > FB_JTOK_EOF);
    if (k == FB_JTOK_ERROR || fb_json_lexer_finish(&lx) != 0)
        goto bad;
    return 0;
bad:
    if (errlen > 0)
        fb_json_lexer_message(&lx, err, errlen);
    return -1;
}

/*
 * Does key t match the start of path, as whole dot-separated parts?
 * Returns what is left of the path (pointing at its NUL when the key
 * matched all of it), or NULL.
 */
static const char *
key_match(const struct fb_json_token *t, const char *path, size_t pathlen)
{
    char buf[256];
    const char *k = t->p + 1;
    size_t klen = t->len - 2;

    if (t->escaped) {
        if (fb_json_unescape(t, buf, sizeof buf, &klen) != 0)
            return NULL;
        k = buf;
    }
    if (klen == 0 || klen > pathlen || memcmp(k, path, klen) != 0)
        return NULL;
    if (path[klen] == '\0')
        return path + klen;
    if (path[klen] == '.')
        return path + klen + 1;
    return NULL;
}

static int
path_valid(const char *path)
{
    const char *p = path;

    if (*p == '\0' || *p == '.')
        return 0;
    for (; *p != '\0'; p++)
        if (*p == '.' && (p[1] == '.' || p[1] == '\0'))
            return 0;
    return 1;
}

int
fb_json_find(const char *s, size_t len, const char *path,
             struct fb_json_value *v, char *err, size_t errlen)
{
    struct fb_json_lexer lx;
    struct fb_json_token t;
    enum fb_json_tok k;
    const char *rest = path;

    if (!path_valid(path)) {
        if (errlen > 0)
            snprintf(err, errlen, "invalid field path [%s]", path);
        return -1;
    }
    if (open_object(&lx, s, len, err, errlen) != 0)
        return -1;
    for (;;) {
        struct fb_json_token val;
        const char *r = NULL;

        k = fb_json_next(&lx, &t);
        if (k == FB_JTOK_ERROR)
            goto bad;
        if (k == FB_JTOK_END_OBJECT)
            return 0;
        r = key_match(&t, rest, strlen(rest));
        k = fb_json_next(&lx, &val);
        if (k == FB_JTOK_ERROR)
            goto bad;
        if (r != NULL && *r == '\0') {
            v->type = token_type(k);
            v->p = val.p;
            v->escaped = val.escaped;
            if (fb_json_skip(&lx, &val) != 0)
                goto bad;
            v->len = (size_t)(lx.p - val.p);
            return 1;
        }
        if (r != NULL && k == FB_JTOK_BEGIN_OBJECT) {
            rest = r; /* descend: the loop now reads the child's keys */
            continue;
        }
        if (fb_json_skip(&lx, &val) != 0)
            goto bad;
    }
bad:
    if (errlen > 0)
        fb_json_lexer_message(&lx, err, errlen);
    return -1;
}
