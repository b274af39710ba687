/*
 * ts_json.c
 *    Allocation-free JSON validator/scanner (see ts_json.h).
 *
 * Error texts follow Jackson (the parser ES uses) closely enough that a
 * client sees the same kind of message; positions are byte offsets.
 */
#include "ts_json.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

struct scan {
    const unsigned char *p;
    size_t len;
    size_t pos;
    const struct ts_json_visitor *v;
    struct ts_json_err *err;
    int depth;
    size_t path_len;
    char path[TS_JSON_PATH_MAX];
};

/* Bytes a string fast path must stop at: quote, backslash, controls, and
 * non-ASCII (for UTF-8 validation). */
static const unsigned char str_stop[256] = {
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
};

static void
describe_char(char *buf, size_t cap, unsigned char c)
{
    if (c < 0x20)
        snprintf(buf, cap, "(CTRL-CHAR, code %u)", (unsigned)c);
    else if (c < 0x80)
        snprintf(buf, cap, "'%c' (code %u)", c, (unsigned)c);
    else
        snprintf(buf, cap, "(code %u / 0x%x)", (unsigned)c, (unsigned)c);
}

static int
fail(struct scan *s, size_t pos, const char *msg)
{
    s->err->pos = pos;
    snprintf(s->err->msg, sizeof(s->err->msg), "%s", msg);
    return -1;
}

static int
fail_unexpected(struct scan *s, const char *what)
{
    char ch[48];

    describe_char(ch, sizeof(ch), s->p[s->pos]);
    s->err->pos = s->pos;
    snprintf(s->err->msg, sizeof(s->err->msg), "Unexpected character (%s): %s",
             ch, what);
    return -1;
}

static int
fail_eof(struct scan *s, const char *what)
{
    s->err->pos = s->len;
    snprintf(s->err->msg, sizeof(s->err->msg), "Unexpected end-of-input: %s",
             what);
    return -1;
}

static inline void
skip_ws(struct scan *s)
{
    while (s->pos < s->len) {
        unsigned char c = s->p[s->pos];

        if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
            break;
        s->pos++;
    }
}

void
ts_json_skip_ws(const char *doc, size_t len, size_t *pos)
{
    while (*pos < len) {
        char c = doc[*pos];

        if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
            break;
        (*pos)++;
    }
}

static inline int
hexval(unsigned char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Validates one UTF-8 sequence at s->pos; advances past it. */
static int
utf8_seq(struct scan *s)
{
    unsigned char c = s->p[s->pos];
    int n;
    size_t i;
    char msg[80];

    if (c >= 0xc2 && c <= 0xdf)
        n = 1;
    else if (c >= 0xe0 && c <= 0xef)
        n = 2;
    else if (c >= 0xf0 && c <= 0xf4)
        n = 3;
    else {
        snprintf(msg, sizeof(msg), "Invalid UTF-8 start byte 0x%x",
                 (unsigned)c);
        return fail(s, s->pos, msg);
    }
    for (i = 1; i <= (size_t)n; i++) {
        if (s->pos + i >= s->len)
            return fail_eof(s, "was expecting closing quote for a string "
                               "value");
        if ((s->p[s->pos + i] & 0xc0) != 0x80) {
            snprintf(msg, sizeof(msg), "Invalid UTF-8 middle byte 0x%x",
                     (unsigned)s->p[s->pos + i]);
            return fail(s, s->pos + i, msg);
        }
    }
    s->pos += (size_t)n + 1;
    return 0;
}

/* s->pos at the opening quote; leaves it after the closing quote. */
static int
parse_string(struct scan *s, bool *escaped)
{
    char msg[120];
    char ch[48];

    *escaped = false;
    s->pos++;
    for (;;) {
        unsigned char c;

        /* 8 bytes at a time while none is a quote, backslash, control
         * or non-ASCII byte (the usual bit tricks for "has a byte ..."). */
        while (s->pos + 8 <= s->len) {
            const uint64_t ones = UINT64_C(0x0101010101010101);
            const uint64_t highs = UINT64_C(0x8080808080808080);
            uint64_t v;
            uint64_t q;
            uint64_t b;

            uint64_t hit;

            memcpy(&v, s->p + s->pos, 8);
            q = v ^ (ones * '"');
            b = v ^ (ones * '\\');
            hit = (((q - ones) & ~q) | ((b - ones) & ~b) |
                   ((v - ones * 0x20) & ~v) | v) &
                  highs;
            if (hit != 0) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
                /* the lowest flagged byte is a real stop byte (a false
                 * flag needs a borrow from a lower, real one): skip the
                 * bytes before it at once */
                s->pos += (size_t)__builtin_ctzll(hit) / 8;
#endif
                break;
            }
            s->pos += 8;
        }
        while (s->pos < s->len && !str_stop[s->p[s->pos]])
            s->pos++;
        if (s->pos >= s->len)
            return fail_eof(s, "was expecting closing quote for a string "
                               "value");
        c = s->p[s->pos];
        if (c == '"') {
            s->pos++;
            return 0;
        }
        if (c == '\\') {
            unsigned char e;

            *escaped = true;
            if (s->pos + 1 >= s->len)
                return fail_eof(s, "was expecting closing quote for a "
                                   "string value");
            e = s->p[s->pos + 1];
            if (e == 'u') {
                int k;

                for (k = 2; k < 6; k++) {
                    if (s->pos + (size_t)k >= s->len)
                        return fail_eof(s, "was expecting closing quote "
                                           "for a string value");
                    if (hexval(s->p[s->pos + (size_t)k]) < 0) {
                        s->pos += (size_t)k;
                        return fail_unexpected(
                            s, "expected a hex-digit for character escape "
                               "sequence");
                    }
                }
                s->pos += 6;
                continue;
            }
            if (strchr("\"\\/bfnrt", e) == NULL || e == 0) {
                describe_char(ch, sizeof(ch), e);
                snprintf(msg, sizeof(msg), "Unrecognized character escape %s",
                         ch);
                return fail(s, s->pos + 1, msg);
            }
            s->pos += 2;
            continue;
        }
        if (c < 0x20) {
            snprintf(msg, sizeof(msg),
                     "Illegal unquoted character ((CTRL-CHAR, code %u)): "
                     "has to be escaped using backslash to be included in "
                     "string value",
                     (unsigned)c);
            return fail(s, s->pos, msg);
        }
        if (utf8_seq(s) != 0)
            return -1;
    }
}

static int
parse_number(struct scan *s, enum ts_json_kind *kind)
{
    size_t start = s->pos;

    *kind = TS_JSON_INT;
    if (s->p[s->pos] == '-') {
        s->pos++;
        if (s->pos >= s->len)
            return fail_eof(s, "expected digit (0-9) to follow minus sign, "
                               "for valid numeric value");
        if (s->p[s->pos] < '0' || s->p[s->pos] > '9')
            return fail_unexpected(s, "expected digit (0-9) to follow minus "
                                      "sign, for valid numeric value");
    }
    if (s->p[s->pos] == '0' && s->pos + 1 < s->len && s->p[s->pos + 1] >= '0' &&
        s->p[s->pos + 1] <= '9')
        return fail(s, s->pos,
                    "Invalid numeric value: Leading zeroes not "
                    "allowed");
    while (s->pos < s->len && s->p[s->pos] >= '0' && s->p[s->pos] <= '9')
        s->pos++;
    if (s->pos < s->len && s->p[s->pos] == '.') {
        *kind = TS_JSON_FLOAT;
        s->pos++;
        if (s->pos >= s->len || s->p[s->pos] < '0' || s->p[s->pos] > '9') {
            if (s->pos >= s->len)
                return fail_eof(s, "Decimal point not followed by a digit");
            return fail_unexpected(s, "Decimal point not followed by a "
                                      "digit");
        }
        while (s->pos < s->len && s->p[s->pos] >= '0' && s->p[s->pos] <= '9')
            s->pos++;
    }
    if (s->pos < s->len && (s->p[s->pos] == 'e' || s->p[s->pos] == 'E')) {
        *kind = TS_JSON_FLOAT;
        s->pos++;
        if (s->pos < s->len && (s->p[s->pos] == '+' || s->p[s->pos] == '-'))
            s->pos++;
        if (s->pos >= s->len || s->p[s->pos] < '0' || s->p[s->pos] > '9') {
            if (s->pos >= s->len)
                return fail_eof(s, "Exponent indicator not followed by a "
                                   "digit");
            return fail_unexpected(s, "Exponent indicator not followed by a "
                                      "digit");
        }
        while (s->pos < s->len && s->p[s->pos] >= '0' && s->p[s->pos] <= '9')
            s->pos++;
    }
    (void)start;
    return 0;
}

static bool
is_word(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c >= '0' && c <= '9') || c == '_' || c >= 0x80;
}

static int
parse_literal(struct scan *s, enum ts_json_kind *kind)
{
    size_t start = s->pos;
    size_t n;
    char msg[200];

    while (s->pos < s->len && is_word(s->p[s->pos]))
        s->pos++;
    n = s->pos - start;
    if (n == 4 && memcmp(s->p + start, "true", 4) == 0) {
        *kind = TS_JSON_TRUE;
        return 0;
    }
    if (n == 5 && memcmp(s->p + start, "false", 5) == 0) {
        *kind = TS_JSON_FALSE;
        return 0;
    }
    if (n == 4 && memcmp(s->p + start, "null", 4) == 0) {
        *kind = TS_JSON_NULL;
        return 0;
    }
    snprintf(msg, sizeof(msg),
             "Unrecognized token '%.*s': was expecting (JSON String, "
             "Number, Array, Object or token 'null', 'true' or 'false')",
             (int)(n > 64 ? 64 : n), (const char *)s->p + start);
    return fail(s, start, msg);
}

static int scan_object(struct scan *s);
static int scan_array(struct scan *s, bool report);

static int
report(struct scan *s, size_t key_off, enum ts_json_kind kind, size_t vstart,
       size_t vend, bool escaped)
{
    struct ts_json_field f;

    if (s->v == NULL || s->v->field == NULL || s->depth == 0)
        return 0;
    f.path = s->path;
    f.path_len = s->path_len;
    f.key = s->path + key_off;
    f.key_len = s->path_len - key_off;
    f.depth = s->depth;
    f.kind = kind;
    f.val = (const char *)s->p + vstart;
    f.val_len = vend - vstart;
    f.escaped = escaped;
    f.pos = vstart;
    if (kind == TS_JSON_STRING) {
        f.val++;
        f.val_len -= 2;
    }
    return s->v->field(s->v->ud, &f);
}

/*
 * One value at s->pos; report it (and array elements) under the current
 * path when report_it.
 */
static int
scan_value(struct scan *s, bool report_it, size_t key_off,
           enum ts_json_kind *out_kind)
{
    size_t start;
    enum ts_json_kind kind;
    bool escaped = false;
    int rc;
    unsigned char c;

    skip_ws(s);
    if (s->pos >= s->len)
        return fail_eof(s, "expected a value");
    start = s->pos;
    c = s->p[s->pos];
    switch (c) {
    case '{':
        kind = TS_JSON_OBJECT;
        if (report_it && (rc = report(s, key_off, kind, start, start, false)))
            return rc;
        if ((rc = scan_object(s)) != 0)
            return rc;
        break;
    case '[':
        kind = TS_JSON_ARRAY;
        if (report_it && (rc = report(s, key_off, kind, start, start, false)))
            return rc;
        if ((rc = scan_array(s, report_it)) != 0)
            return rc;
        break;
    case '"':
        kind = TS_JSON_STRING;
        if ((rc = parse_string(s, &escaped)) != 0)
            return rc;
        break;
    case '-':
    case '0':
    case '1':
    case '2':
    case '3':
    case '4':
    case '5':
    case '6':
    case '7':
    case '8':
    case '9':
        if ((rc = parse_number(s, &kind)) != 0)
            return rc;
        break;
    default:
        if (is_word(c)) {
            if ((rc = parse_literal(s, &kind)) != 0)
                return rc;
            break;
        }
        return fail_unexpected(s, "expected a valid value (JSON String, "
                                  "Number, Array, Object or token 'null', "
                                  "'true' or 'false')");
    }
    if (out_kind != NULL)
        *out_kind = kind;
    if (report_it && kind != TS_JSON_OBJECT && kind != TS_JSON_ARRAY)
        return report(s, key_off, kind, start, s->pos, escaped);
    return 0;
}

/* Appends a key to the path; returns the offset of the key in it. */
static int
push_key(struct scan *s, size_t kstart, size_t klen, bool escaped,
         size_t *key_off)
{
    size_t off = s->path_len;
    size_t n;

    if (off > 0) {
        if (off + 1 >= sizeof(s->path))
            return fail(s, kstart, "Field name too long");
        s->path[off++] = '.';
    }
    if (!escaped) {
        if (klen > sizeof(s->path) - off)
            return fail(s, kstart, "Field name too long");
        memcpy(s->path + off, s->p + kstart, klen);
        n = klen;
    } else {
        n = ts_json_unescape((const char *)s->p + kstart, klen, s->path + off,
                             sizeof(s->path) - off);
        if (n == (size_t)-1)
            return fail(s, kstart, "Field name too long");
    }
    *key_off = off;
    s->path_len = off + n;
    return 0;
}

static int
scan_object(struct scan *s)
{
    size_t saved = s->path_len;
    int rc;

    if (++s->depth > TS_JSON_DEPTH_MAX)
        return fail(s, s->pos,
                    "Document nesting depth exceeds the maximum "
                    "allowed");
    s->pos++; /* '{' */
    skip_ws(s);
    if (s->pos >= s->len)
        return fail_eof(s, "expected close marker for Object");
    if (s->p[s->pos] == '}') {
        s->pos++;
        s->depth--;
        return 0;
    }
    for (;;) {
        size_t kstart;
        size_t key_off = 0;
        bool escaped;

        skip_ws(s);
        if (s->pos >= s->len)
            return fail_eof(s, "expected close marker for Object");
        if (s->p[s->pos] != '"')
            return fail_unexpected(s, "was expecting double-quote to start "
                                      "field name");
        kstart = s->pos + 1;
        if ((rc = parse_string(s, &escaped)) != 0)
            return rc;
        if (s->v != NULL && (rc = push_key(s, kstart, s->pos - 1 - kstart,
                                           escaped, &key_off)) != 0)
            return rc;
        skip_ws(s);
        if (s->pos >= s->len)
            return fail_eof(s, "expected close marker for Object");
        if (s->p[s->pos] != ':')
            return fail_unexpected(s, "was expecting a colon to separate "
                                      "field name and value");
        s->pos++;
        if ((rc = scan_value(s, s->v != NULL, key_off, NULL)) != 0)
            return rc;
        s->path_len = saved;
        skip_ws(s);
        if (s->pos >= s->len)
            return fail_eof(s, "expected close marker for Object");
        if (s->p[s->pos] == ',') {
            s->pos++;
            continue;
        }
        if (s->p[s->pos] == '}') {
            s->pos++;
            s->depth--;
            return 0;
        }
        return fail_unexpected(s, "was expecting comma to separate Object "
                                  "entries");
    }
}

static int
scan_array(struct scan *s, bool report_it)
{
    int rc;
    size_t key_off = 0;

    /* Array elements are reported under the member's own path. */
    if (report_it && s->path_len > 0) {
        size_t k = s->path_len;

        while (k > 0 && s->path[k - 1] != '.')
            k--;
        key_off = k;
    }
    if (++s->depth > TS_JSON_DEPTH_MAX)
        return fail(s, s->pos,
                    "Document nesting depth exceeds the maximum "
                    "allowed");
    s->pos++; /* '[' */
    skip_ws(s);
    if (s->pos >= s->len)
        return fail_eof(s, "expected close marker for Array");
    if (s->p[s->pos] == ']') {
        s->pos++;
        s->depth--;
        return 0;
    }
    for (;;) {
        s->depth--; /* elements sit at the member's depth */
        rc = scan_value(s, report_it, key_off, NULL);
        s->depth++;
        if (rc != 0)
            return rc;
        skip_ws(s);
        if (s->pos >= s->len)
            return fail_eof(s, "expected close marker for Array");
        if (s->p[s->pos] == ',') {
            s->pos++;
            continue;
        }
        if (s->p[s->pos] == ']') {
            s->pos++;
            s->depth--;
            return 0;
        }
        return fail_unexpected(s, "was expecting comma to separate Array "
                                  "entries");
    }
}

int
ts_json_scan_doc(const char *doc, size_t len,
                 const struct ts_json_visitor *visitor, struct ts_json_err *err)
{
    struct scan s;
    enum ts_json_kind kind;
    int rc;

    s.p = (const unsigned char *)doc;
    s.len = len;
    s.pos = 0;
    s.v = visitor;
    s.err = err;
    s.depth = 0;
    s.path_len = 0;
    skip_ws(&s);
    if (s.pos < s.len && s.p[s.pos] != '{') {
        rc = scan_value(&s, false, 0, &kind);
        if (rc != 0)
            return rc;
        err->pos = 0;
        return -2;
    }
    rc = scan_value(&s, false, 0, &kind);
    if (rc != 0)
        return rc;
    skip_ws(&s);
    if (s.pos < s.len) {
        err->pos = s.pos;
        return -3;
    }
    return 0;
}

int
ts_json_skip_value(const char *doc, size_t len, size_t *pos,
                   enum ts_json_kind *kind, struct ts_json_err *err)
{
    struct scan s;
    int rc;

    s.p = (const unsigned char *)doc;
    s.len = len;
    s.pos = *pos;
    s.v = NULL;
    s.err = err;
    s.depth = 0;
    s.path_len = 0;
    rc = scan_value(&s, false, 0, kind);
    if (rc == 0)
        *pos = s.pos;
    return rc;
}

static size_t
put_utf8(char *out, size_t cap, size_t n, uint32_t cp)
{
    unsigned char b[4];
    size_t k;
    size_t i;

    if (cp < 0x80) {
        b[0] = (unsigned char)cp;
        k = 1;
    } else if (cp < 0x800) {
        b[0] = (unsigned char)(0xc0 | (cp >> 6));
        b[1] = (unsigned char)(0x80 | (cp & 0x3f));
        k = 2;
    } else if (cp < 0x10000) {
        b[0] = (unsigned char)(0xe0 | (cp >> 12));
        b[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
        b[2] = (unsigned char)(0x80 | (cp & 0x3f));
        k = 3;
    } else {
        b[0] = (unsigned char)(0xf0 | (cp >> 18));
        b[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3f));
        b[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
        b[3] = (unsigned char)(0x80 | (cp & 0x3f));
        k = 4;
    }
    if (n + k > cap)
        return (size_t)-1;
    for (i = 0; i < k; i++)
        out[n + i] = (char)b[i];
    return n + k;
}

size_t
ts_json_unescape(const char *s, size_t len, char *out, size_t cap)
{
    size_t i = 0;
    size_t n = 0;

    while (i < len) {
        char c = s[i];

        if (c != '\\') {
            if (n >= cap)
                return (size_t)-1;
            out[n++] = c;
            i++;
            continue;
        }
        if (i + 1 >= len)
            return (size_t)-1;
        c = s[i + 1];
        if (c == 'u' && i + 5 < len + 0 && i + 6 <= len) {
            uint32_t cp = 0;
            int k;

            for (k = 2; k < 6; k++)
                cp = cp * 16 + (uint32_t)hexval((unsigned char)s[i + k]);
            i += 6;
            if (cp >= 0xd800 && cp < 0xdc00 && i + 6 <= len && s[i] == '\\' &&
                s[i + 1] == 'u') {
                uint32_t lo = 0;

                for (k = 2; k < 6; k++)
                    lo = lo * 16 + (uint32_t)hexval((unsigned char)s[i + k]);
                if (lo >= 0xdc00 && lo < 0xe000) {
                    cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
                    i += 6;
                }
            }
            n = put_utf8(out, cap, n, cp);
            if (n == (size_t)-1)
                return n;
            continue;
        }
        if (n >= cap)
            return (size_t)-1;
        switch (c) {
        case 'b':
            out[n++] = '\b';
            break;
        case 'f':
            out[n++] = '\f';
            break;
        case 'n':
            out[n++] = '\n';
            break;
        case 'r':
            out[n++] = '\r';
            break;
        case 't':
            out[n++] = '\t';
            break;
        default:
            out[n++] = c;
            break;
        }
        i += 2;
    }
    return n;
}

const char *
ts_json_token_name(enum ts_json_kind kind)
{
    switch (kind) {
    case TS_JSON_STRING:
        return "VALUE_STRING";
    case TS_JSON_INT:
        return "VALUE_NUMBER_INT";
    case TS_JSON_FLOAT:
        return "VALUE_NUMBER_FLOAT";
    case TS_JSON_TRUE:
        return "VALUE_TRUE";
    case TS_JSON_FALSE:
        return "VALUE_FALSE";
    case TS_JSON_NULL:
        return "VALUE_NULL";
    case TS_JSON_OBJECT:
        return "START_OBJECT";
    case TS_JSON_ARRAY:
        return "START_ARRAY";
    }
    return "VALUE_EMBEDDED_OBJECT";
}
