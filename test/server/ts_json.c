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

/*
 * The scanner's position travels by value: every function takes pos and
 * returns the position after what it read, or SCAN_FAIL with s->rc set.
 * Kept in struct scan, pos would live in memory (the struct escapes to the
 * visitor through path), and every byte read would reload and store it.
 */
#define SCAN_FAIL ((size_t)-1)

struct scan {
    const unsigned char *p;
    size_t len;
    const struct ts_json_visitor *v;
    struct ts_json_err *err;
    int rc; /* result when a function returned SCAN_FAIL */
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

/* The error paths are cold: kept out of line so the loops stay small. */
__attribute__((noinline, cold)) static size_t
fail(struct scan *s, size_t pos, const char *msg)
{
    s->err->pos = pos;
    snprintf(s->err->msg, sizeof(s->err->msg), "%s", msg);
    s->rc = -1;
    return SCAN_FAIL;
}

__attribute__((noinline, cold)) static size_t
fail_unexpected(struct scan *s, size_t pos, const char *what)
{
    char ch[48];

    describe_char(ch, sizeof(ch), s->p[pos]);
    s->err->pos = pos;
    snprintf(s->err->msg, sizeof(s->err->msg), "Unexpected character (%s): %s",
             ch, what);
    s->rc = -1;
    return SCAN_FAIL;
}

__attribute__((noinline, cold)) static size_t
fail_eof(struct scan *s, const char *what)
{
    s->err->pos = s->len;
    snprintf(s->err->msg, sizeof(s->err->msg), "Unexpected end-of-input: %s",
             what);
    s->rc = -1;
    return SCAN_FAIL;
}

static inline size_t
skip_ws(const unsigned char *p, size_t len, size_t pos)
{
    while (pos < len) {
        unsigned char c = p[pos];

        if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
            break;
        pos++;
    }
    return pos;
}

void
ts_json_skip_ws(const char *doc, size_t len, size_t *pos)
{
    *pos = skip_ws((const unsigned char *)doc, len, *pos);
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

/* Validates one UTF-8 sequence at pos; returns the position past it. */
static size_t
utf8_seq(struct scan *s, size_t pos)
{
    unsigned char c = s->p[pos];
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
        return fail(s, pos, msg);
    }
    for (i = 1; i <= (size_t)n; i++) {
        if (pos + i >= s->len)
            return fail_eof(s, "was expecting closing quote for a string "
                               "value");
        if ((s->p[pos + i] & 0xc0) != 0x80) {
            snprintf(msg, sizeof(msg), "Invalid UTF-8 middle byte 0x%x",
                     (unsigned)s->p[pos + i]);
            return fail(s, pos + i, msg);
        }
    }
    return pos + (size_t)n + 1;
}

/* A backslash escape at pos (p[pos] == '\\'); returns the position past
 * it. */
static size_t
string_escape(struct scan *s, size_t pos)
{
    const unsigned char *p = s->p;
    size_t len = s->len;
    unsigned char e;
    char msg[120];
    char ch[48];

    if (pos + 1 >= len)
        return fail_eof(s, "was expecting closing quote for a string value");
    e = p[pos + 1];
    if (e == 'u') {
        int k;

        for (k = 2; k < 6; k++) {
            if (pos + (size_t)k >= len)
                return fail_eof(s, "was expecting closing quote for a "
                                   "string value");
            if (hexval(p[pos + (size_t)k]) < 0)
                return fail_unexpected(s, pos + (size_t)k,
                                       "expected a hex-digit for character "
                                       "escape sequence");
        }
        return pos + 6;
    }
    if (strchr("\"\\/bfnrt", e) == NULL || e == 0) {
        describe_char(ch, sizeof(ch), e);
        snprintf(msg, sizeof(msg), "Unrecognized character escape %s", ch);
        return fail(s, pos + 1, msg);
    }
    return pos + 2;
}

/*
 * The general string loop from pos (inside a string) to past the closing
 * quote: escapes, UTF-8, control bytes and the last bytes of the document.
 * parse_string() comes here only when its word-at-a-time loop stops on
 * anything but the closing quote.
 */
__attribute__((noinline)) static size_t
string_rest(struct scan *s, size_t pos, bool *escaped)
{
    const unsigned char *p = s->p;
    size_t len = s->len;
    char msg[120];

    for (;;) {
        unsigned char c;

        /* whole words free of stop bytes (see parse_string()) */
        while (pos + 8 <= len) {
            const uint64_t ones = UINT64_C(0x0101010101010101);
            const uint64_t highs = UINT64_C(0x8080808080808080);
            uint64_t v;
            uint64_t q;
            uint64_t b;
            uint64_t hit;

            memcpy(&v, p + pos, 8);
            q = v ^ (ones * '"');
            b = v ^ (ones * '\\');
            hit = (((q - ones) & ~q) | ((b - ones) & ~b) |
                   ((v - ones * 0x20) & ~v) | v) &
                  highs;
            if (hit != 0)
                break;
            pos += 8;
        }
        while (pos < len && !str_stop[p[pos]])
            pos++;
        if (pos >= len)
            return fail_eof(s, "was expecting closing quote for a string "
                               "value");
        c = p[pos];
        if (c == '"')
            return pos + 1;
        if (c == '\\') {
            *escaped = true;
            pos = string_escape(s, pos);
            if (pos == SCAN_FAIL)
                return SCAN_FAIL;
            continue;
        }
        if (c < 0x20) {
            snprintf(msg, sizeof(msg),
                     "Illegal unquoted character ((CTRL-CHAR, code %u)): "
                     "has to be escaped using backslash to be included in "
                     "string value",
                     (unsigned)c);
            return fail(s, pos, msg);
        }
        pos = utf8_seq(s, pos);
        if (pos == SCAN_FAIL)
            return SCAN_FAIL;
    }
}

/*
 * pos at the opening quote; returns the position after the closing one.
 * The usual string (no escapes, ASCII, 8 bytes of document left past its
 * end) is done here without a call: the first word that holds a stop
 * byte ends it when that byte is the quote.
 */
static inline size_t
parse_string(struct scan *s, size_t pos, bool *escaped)
{
    const unsigned char *p = s->p;
    size_t len = s->len;

    *escaped = false;
    pos++;
    /* 8 bytes at a time while none is a quote, backslash, control or
     * non-ASCII byte (the usual bit tricks for "has a byte ..."). */
    while (pos + 8 <= len) {
        const uint64_t ones = UINT64_C(0x0101010101010101);
        const uint64_t highs = UINT64_C(0x8080808080808080);
        uint64_t v;
        uint64_t q;
        uint64_t b;
        uint64_t hit;

        memcpy(&v, p + pos, 8);
        q = v ^ (ones * '"');
        b = v ^ (ones * '\\');
        hit = (((q - ones) & ~q) | ((b - ones) & ~b) |
               ((v - ones * 0x20) & ~v) | v) &
              highs;
        if (hit != 0) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
            /* the lowest flagged byte is a real stop byte (a false flag
             * needs a borrow from a lower, real one) */
            pos += (size_t)__builtin_ctzll(hit) / 8;
            if (p[pos] == '"')
                return pos + 1;
#endif
            break;
        }
        pos += 8;
    }
    return string_rest(s, pos, escaped);
}

static inline bool
is_digit(unsigned char c)
{
    return (unsigned)(c - '0') <= 9;
}

static inline size_t
parse_number(struct scan *s, size_t pos, enum ts_json_kind *kind)
{
    const unsigned char *p = s->p;
    size_t len = s->len;

    *kind = TS_JSON_INT;
    if (p[pos] == '-') {
        pos++;
        if (pos >= len)
            return fail_eof(s, "expected digit (0-9) to follow minus sign, "
                               "for valid numeric value");
        if (!is_digit(p[pos]))
            return fail_unexpected(s, pos,
                                   "expected digit (0-9) to follow minus "
                                   "sign, for valid numeric value");
    }
    if (p[pos] == '0' && pos + 1 < len && is_digit(p[pos + 1]))
        return fail(s, pos,
                    "Invalid numeric value: Leading zeroes not "
                    "allowed");
    while (pos < len && is_digit(p[pos]))
        pos++;
    if (pos < len && p[pos] == '.') {
        *kind = TS_JSON_FLOAT;
        pos++;
        if (pos >= len)
            return fail_eof(s, "Decimal point not followed by a digit");
        if (!is_digit(p[pos]))
            return fail_unexpected(s, pos,
                                   "Decimal point not followed by a digit");
        while (pos < len && is_digit(p[pos]))
            pos++;
    }
    if (pos < len && (p[pos] == 'e' || p[pos] == 'E')) {
        *kind = TS_JSON_FLOAT;
        pos++;
        if (pos < len && (p[pos] == '+' || p[pos] == '-'))
            pos++;
        if (pos >= len)
            return fail_eof(s, "Exponent indicator not followed by a digit");
        if (!is_digit(p[pos]))
            return fail_unexpected(s, pos,
                                   "Exponent indicator not followed by a "
                                   "digit");
        while (pos < len && is_digit(p[pos]))
            pos++;
    }
    return pos;
}

static bool
is_word(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c >= '0' && c <= '9') || c == '_' || c >= 0x80;
}

static size_t
parse_literal(struct scan *s, size_t pos, enum ts_json_kind *kind)
{
    size_t start = pos;
    size_t n;
    char msg[200];

    while (pos < s->len && is_word(s->p[pos]))
        pos++;
    n = pos - start;
    if (n == 4 && memcmp(s->p + start, "true", 4) == 0) {
        *kind = TS_JSON_TRUE;
        return pos;
    }
    if (n == 5 && memcmp(s->p + start, "false", 5) == 0) {
        *kind = TS_JSON_FALSE;
        return pos;
    }
    if (n == 4 && memcmp(s->p + start, "null", 4) == 0) {
        *kind = TS_JSON_NULL;
        return pos;
    }
    snprintf(msg, sizeof(msg),
             "Unrecognized token '%.*s': was expecting (JSON String, "
             "Number, Array, Object or token 'null', 'true' or 'false')",
             (int)(n > 64 ? 64 : n), (const char *)s->p + start);
    return fail(s, start, msg);
}

static size_t scan_object(struct scan *s, size_t pos);
static size_t scan_array(struct scan *s, size_t pos, bool report);

/* Calls the visitor; a non-zero answer becomes s->rc. */
static inline int
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
    s->rc = s->v->field(s->v->ud, &f);
    return s->rc;
}

/*
 * One value at pos (after whitespace); report it (and array elements)
 * under the current path when report_it.  Returns the position past it.
 */
static size_t
scan_value(struct scan *s, size_t pos, bool report_it, size_t key_off,
           enum ts_json_kind *out_kind)
{
    size_t start;
    enum ts_json_kind kind = TS_JSON_NULL;
    bool escaped = false;
    unsigned char c;

    pos = skip_ws(s->p, s->len, pos);
    if (pos >= s->len)
        return fail_eof(s, "expected a value");
    start = pos;
    c = s->p[pos];
    switch (c) {
    case '{':
        kind = TS_JSON_OBJECT;
        if (report_it && report(s, key_off, kind, start, start, false))
            return SCAN_FAIL;
        pos = scan_object(s, pos);
        break;
    case '[':
        kind = TS_JSON_ARRAY;
        if (report_it && report(s, key_off, kind, start, start, false))
            return SCAN_FAIL;
        pos = scan_array(s, pos, report_it);
        break;
    case '"':
        kind = TS_JSON_STRING;
        pos = parse_string(s, pos, &escaped);
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
        pos = parse_number(s, pos, &kind);
        break;
    default:
        if (is_word(c)) {
            pos = parse_literal(s, pos, &kind);
            break;
        }
        return fail_unexpected(s, pos,
                               "expected a valid value (JSON String, "
                               "Number, Array, Object or token 'null', "
                               "'true' or 'false')");
    }
    if (pos == SCAN_FAIL)
        return SCAN_FAIL;
    if (out_kind != NULL)
        *out_kind = kind;
    if (report_it && kind != TS_JSON_OBJECT && kind != TS_JSON_ARRAY &&
        report(s, key_off, kind, start, pos, escaped))
        return SCAN_FAIL;
    return pos;
}

/* Appends a key to the path; returns the offset of the key in it, or
 * SCAN_FAIL. */
static inline size_t
push_key(struct scan *s, size_t kstart, size_t klen, bool escaped)
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
        /* short keys: one 8-byte move instead of a memcpy call (the bytes
         * past the key, in the path buffer, are not part of the path) */
        if (klen <= 8 && kstart + 8 <= s->len && off + 8 <= sizeof(s->path))
            memcpy(s->path + off, s->p + kstart, 8);
        else
            memcpy(s->path + off, s->p + kstart, klen);
        n = klen;
    } else {
        n = ts_json_unescape((const char *)s->p + kstart, klen, s->path + off,
                             sizeof(s->path) - off);
        if (n == (size_t)-1)
            return fail(s, kstart, "Field name too long");
    }
    s->path_len = off + n;
    return off;
}

static size_t
scan_object(struct scan *s, size_t pos)
{
    const unsigned char *p = s->p;
    size_t len = s->len;
    size_t saved = s->path_len;

    if (++s->depth > TS_JSON_DEPTH_MAX)
        return fail(s, pos,
                    "Document nesting depth exceeds the maximum "
                    "allowed");
    pos = skip_ws(p, len, pos + 1); /* past '{' */
    if (pos >= len)
        return fail_eof(s, "expected close marker for Object");
    if (p[pos] == '}') {
        s->depth--;
        return pos + 1;
    }
    for (;;) {
        size_t kstart;
        size_t key_off = 0;
        bool escaped;

        pos = skip_ws(p, len, pos);
        if (pos >= len)
            return fail_eof(s, "expected close marker for Object");
        if (p[pos] != '"')
            return fail_unexpected(s, pos,
                                   "was expecting double-quote to start "
                                   "field name");
        kstart = pos + 1;
        pos = parse_string(s, pos, &escaped);
        if (pos == SCAN_FAIL)
            return SCAN_FAIL;
        if (s->v != NULL) {
            key_off = push_key(s, kstart, pos - 1 - kstart, escaped);
            if (key_off == SCAN_FAIL)
                return SCAN_FAIL;
        }
        pos = skip_ws(p, len, pos);
        if (pos >= len)
            return fail_eof(s, "expected close marker for Object");
        if (p[pos] != ':')
            return fail_unexpected(s, pos,
                                   "was expecting a colon to separate "
                                   "field name and value");
        /* strings and numbers, most members, without the call to
         * scan_value(), which does the same for them */
        pos = skip_ws(p, len, pos + 1);
        if (pos < len && p[pos] == '"') {
            size_t start = pos;

            pos = parse_string(s, pos, &escaped);
            if (pos == SCAN_FAIL ||
                (s->v != NULL &&
                 report(s, key_off, TS_JSON_STRING, start, pos, escaped)))
                return SCAN_FAIL;
        } else if (pos < len && (is_digit(p[pos]) || p[pos] == '-')) {
            size_t start = pos;
            enum ts_json_kind kind;

            pos = parse_number(s, pos, &kind);
            if (pos == SCAN_FAIL ||
                (s->v != NULL && report(s, key_off, kind, start, pos, false)))
                return SCAN_FAIL;
        } else {
            pos = scan_value(s, pos, s->v != NULL, key_off, NULL);
            if (pos == SCAN_FAIL)
                return SCAN_FAIL;
        }
        s->path_len = saved;
        pos = skip_ws(p, len, pos);
        if (pos >= len)
            return fail_eof(s, "expected close marker for Object");
        if (p[pos] == ',') {
            pos++;
            continue;
        }
        if (p[pos] == '}') {
            s->depth--;
            return pos + 1;
        }
        return fail_unexpected(s, pos,
                               "was expecting comma to separate Object "
                               "entries");
    }
}

static size_t
scan_array(struct scan *s, size_t pos, bool report_it)
{
    const unsigned char *p = s->p;
    size_t len = s->len;
    size_t key_off = 0;

    /* Array elements are reported under the member's own path. */
    if (report_it && s->path_len > 0) {
        size_t k = s->path_len;

        while (k > 0 && s->path[k - 1] != '.')
            k--;
        key_off = k;
    }
    if (++s->depth > TS_JSON_DEPTH_MAX)
        return fail(s, pos,
                    "Document nesting depth exceeds the maximum "
                    "allowed");
    pos = skip_ws(p, len, pos + 1); /* past '[' */
    if (pos >= len)
        return fail_eof(s, "expected close marker for Array");
    if (p[pos] == ']') {
        s->depth--;
        return pos + 1;
    }
    for (;;) {
        s->depth--; /* elements sit at the member's depth */
        pos = scan_value(s, pos, report_it, key_off, NULL);
        s->depth++;
        if (pos == SCAN_FAIL)
            return SCAN_FAIL;
        pos = skip_ws(p, len, pos);
        if (pos >= len)
            return fail_eof(s, "expected close marker for Array");
        if (p[pos] == ',') {
            pos++;
            continue;
        }
        if (p[pos] == ']') {
            s->depth--;
            return pos + 1;
        }
        return fail_unexpected(s, pos,
                               "was expecting comma to separate Array "
                               "entries");
    }
}

/* What the public entry points share: everything but the path. */
static void
scan_init(struct scan *s, const char *doc, size_t len,
          const struct ts_json_visitor *visitor, struct ts_json_err *err)
{
    s->p = (const unsigned char *)doc;
    s->len = len;
    s->v = visitor;
    s->err = err;
    s->rc = 0;
    s->depth = 0;
    s->path_len = 0;
}

int
ts_json_scan_doc(const char *doc, size_t len,
                 const struct ts_json_visitor *visitor, struct ts_json_err *err)
{
    struct scan s;
    enum ts_json_kind kind;
    size_t pos;

    scan_init(&s, doc, len, visitor, err);
    pos = skip_ws(s.p, s.len, 0);
    if (pos < s.len && s.p[pos] != '{') {
        if (scan_value(&s, pos, false, 0, &kind) == SCAN_FAIL)
            return s.rc;
        err->pos = 0;
        return -2;
    }
    pos = scan_value(&s, pos, false, 0, &kind);
    if (pos == SCAN_FAIL)
        return s.rc;
    pos = skip_ws(s.p, s.len, pos);
    if (pos < s.len) {
        err->pos = pos;
        return -3;
    }
    return 0;
}

int
ts_json_skip_value(const char *doc, size_t len, size_t *pos,
                   enum ts_json_kind *kind, struct ts_json_err *err)
{
    struct scan s;
    size_t end;

    scan_init(&s, doc, len, NULL, err);
    end = scan_value(&s, *pos, false, 0, kind);
    if (end == SCAN_FAIL)
        return s.rc;
    *pos = end;
    return 0;
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
