/*
 * jsonscan.h
 *    Allocation-free JSON scanning: a strict pull lexer, a validator for
 *    "exactly one JSON object", and lookup of a dotted path.
 *
 * The validator runs on every NDJSON line the loader reads, so it builds no
 * tree and never allocates: it walks the bytes once with a fixed-size
 * nesting stack.  The same lexer reads _bulk responses (bulkresp.c) and
 * document ids (docid.c), so there is exactly one JSON grammar in the
 * loader.
 *
 * Strictness is that of RFC 8259: no trailing commas, no comments, no
 * NaN/Infinity, numbers as the grammar says (no leading zeros, no "1."),
 * only the escapes the RFC lists, \u surrogates must pair, strings must be
 * valid UTF-8 (no overlong forms, no encoded surrogates, nothing above
 * U+10FFFF) and hold no raw control characters.  Nesting is limited to
 * FB_JSON_MAX_DEPTH levels, far beyond Elasticsearch's own mapping depth
 * limit (20), so a document refused for depth would be refused by the
 * cluster too.  Duplicate keys are not detected (the RFC allows them;
 * Elasticsearch rejects them per item).
 */
#ifndef FORKBULK_JSONSCAN_H
#define FORKBULK_JSONSCAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FB_JSON_MAX_DEPTH 64

enum fb_json_type {
    FB_JSON_NONE = 0,
    FB_JSON_OBJECT,
    FB_JSON_ARRAY,
    FB_JSON_STRING,
    FB_JSON_NUMBER,
    FB_JSON_TRUE,
    FB_JSON_FALSE,
    FB_JSON_NULL,
};

enum fb_json_tok {
    FB_JTOK_ERROR = -1, /* see lexer.error / fb_json_lexer_message() */
    FB_JTOK_EOF = 0,    /* the top-level value is complete */
    FB_JTOK_BEGIN_OBJECT,
    FB_JTOK_END_OBJECT,
    FB_JTOK_BEGIN_ARRAY,
    FB_JTOK_END_ARRAY,
    FB_JTOK_KEY, /* an object key; the ':' after it is consumed */
    FB_JTOK_STRING,
    FB_JTOK_NUMBER,
    FB_JTOK_TRUE,
    FB_JTOK_FALSE,
    FB_JTOK_NULL,
};

struct fb_json_token {
    enum fb_json_tok kind;
    const char *p; /* first byte of the token (the quote of a string) */
    size_t len;    /* bytes of the token, quotes included */
    bool escaped;  /* a string or key holding at least one '\' escape */
};

/* The lexer's state; all of it lives in the caller's stack frame. */
struct fb_json_lexer {
    const char *base;
    const char *p;
    const char *end;
    unsigned depth;
    uint64_t objmask; /* bit d set: nesting level d is an object */
    int state;
    const char *error; /* static text, NULL until an error */
    size_t error_at;   /* byte offset of the error from base */
};

/* A value found by fb_json_find(): its type and its bytes. */
struct fb_json_value {
    enum fb_json_type type;
    const char *p; /* first byte (the quote of a string) */
    size_t len;    /* bytes, quotes or brackets included */
    bool escaped;  /* string with escapes: see fb_json_value_string() */
};

void fb_json_lexer_init(struct fb_json_lexer *lx, const char *s, size_t len);

/* The next token.  After FB_JTOK_ERROR or FB_JTOK_EOF it keeps returning
 * the same kind. */
enum fb_json_tok fb_json_next(struct fb_json_lexer *lx,
                              struct fb_json_token *t);

/*
 * Skips the value whose first token t has just been returned: for
 * BEGIN_OBJECT/BEGIN_ARRAY everything up to and including the matching
 * end, for a scalar nothing.  Returns 0, or -1 on malformed input.
 */
int fb_json_skip(struct fb_json_lexer *lx, const struct fb_json_token *t);

/* After FB_JTOK_EOF: 0 if only whitespace follows, else -1 (error set). */
int fb_json_lexer_finish(struct fb_json_lexer *lx);

/* "invalid JSON at column 17: expected ':'" (column = byte offset + 1). */
void fb_json_lexer_message(const struct fb_json_lexer *lx, char *out,
                           size_t cap);

/*
 * Writes the unescaped contents of a string or key token to out (cap >= 1;
 * always NUL-terminated) and its length to *outlen.  Returns 0, or 1 if it
 * had to be truncated (then only whole UTF-8 characters are written).
 * The token must come from the lexer, which has already checked it.
 */
int fb_json_unescape(const struct fb_json_token *t, char *out, size_t cap,
                     size_t *outlen);

/*
 * Is s[0..len) exactly one JSON object, with only JSON whitespace around
 * it?  Returns 0, or -1 with a short reason in err (when errlen > 0):
 *   "invalid JSON at column 17: expected ':'"
 *   "not a JSON object: found array"
 *   "empty input"
 */
int fb_json_validate_object(const char *s, size_t len, char *err,
                            size_t errlen);

/*
 * Finds the value at a dotted path ("a.b.c") in the object s[0..len).
 * Each step matches a key equal to the next dot-separated part, or to
 * several parts at once ("a.b" as one key), as Elasticsearch treats
 * dotted field names; the first key in document order that matches wins.
 * Arrays are not entered.  Returns 1 and fills *v, 0 when the path is not
 * there, -1 on malformed JSON met before the answer was known (reason in
 * err).  The bytes after the value found are not examined: validate
 * separately.
 */
int fb_json_find(const char *s, size_t len, const char *path,
                 struct fb_json_value *v, char *err, size_t errlen);

/* fb_json_unescape() for a string value found by fb_json_find(). */
int fb_json_value_string(const struct fb_json_value *v, char *out, size_t cap,
                         size_t *outlen);

/* "an object", "an array", "a string", "a number", "a boolean", "null" */
const char *fb_json_type_article(enum fb_json_type type);

#endif
