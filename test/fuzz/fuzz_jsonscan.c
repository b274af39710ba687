/*
 * fuzz_jsonscan.c
 *    libFuzzer target for the JSON lexer, validator and path lookup
 *    (jsonscan.c), which parse every NDJSON line.
 *
 * Oracle: jansson, an independent parser.  fb_json_validate_object() must
 * accept exactly what jansson loads as an object, except where the two
 * documented limits differ: our nesting limit (64) and jansson's refusal
 * of numbers that overflow a long long or a double (and raw NUL bytes,
 * which jansson takes for the end of input).  fb_json_find() must
 * return a value inside the input that is itself valid JSON of the type
 * it reports, and in a document without duplicate keys a top-level
 * member must be found with the type and string value jansson decoded.
 */
#include "forkbulk/jsonscan.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"

static int
err_terminated(const char *err, size_t cap)
{
    return memchr(err, '\0', cap) != NULL;
}

/* Every token lies in the input, in order, and the stream ends in EOF or
 * ERROR, which then repeat. */
static void
check_tokens(const char *s, size_t len)
{
    struct fb_json_lexer lx;
    struct fb_json_token t;
    const char *last = s;
    enum fb_json_tok k;
    size_t n = 0;

    fb_json_lexer_init(&lx, s, len);
    for (;;) {
        k = fb_json_next(&lx, &t);
        CHECK(n++ <= len + 1); /* at least one byte per token */
        if (k == FB_JTOK_EOF || k == FB_JTOK_ERROR)
            break;
        CHECK(t.p >= last && t.p + t.len <= s + len);
        CHECK(t.len >= 1);
        last = t.p + t.len;
        if (k == FB_JTOK_STRING || k == FB_JTOK_KEY) {
            char out[64];
            size_t olen = 0;

            CHECK(t.len >= 2 && t.p[0] == '"' && t.p[t.len - 1] == '"');
            (void)fb_json_unescape(&t, out, sizeof(out), &olen);
            CHECK(olen < sizeof(out) && out[olen] == '\0');
        }
    }
    CHECK(fb_json_next(&lx, &t) == k);
    if (k == FB_JTOK_ERROR) {
        char msg[128];

        CHECK(lx.error != NULL && lx.error_at <= len);
        fb_json_lexer_message(&lx, msg, sizeof(msg));
        CHECK(err_terminated(msg, sizeof(msg)));
    }
}

/* jansson's refusals that are limits, not syntax. */
static int
jansson_limit(const json_error_t *je)
{
    return strstr(je->text, "too big") != NULL ||
           strstr(je->text, "overflow") != NULL ||
           strstr(je->text, "maximum parsing depth") != NULL;
}

static void
check_find(const char *s, size_t len, const char *path)
{
    struct fb_json_value v;
    char err[128];
    int rc;

    memset(&v, 0, sizeof(v));
    err[0] = '\0';
    rc = fb_json_find(s, len, path, &v, err, sizeof(err));
    CHECK(rc >= -1 && rc <= 1);
    CHECK(err_terminated(err, sizeof(err)));
    if (rc != 1)
        return;
    CHECK(v.p >= s && v.len >= 1 && v.p + v.len <= s + len);
    CHECK(v.type != FB_JSON_NONE);
    if (v.type == FB_JSON_OBJECT)
        CHECK(fb_json_validate_object(v.p, v.len, NULL, 0) == 0);
    if (v.type == FB_JSON_STRING) {
        char out[4096];
        size_t olen = 0;

        (void)fb_json_value_string(&v, out, sizeof(out), &olen);
        CHECK(olen < sizeof(out) && out[olen] == '\0');
    }
}

/* For a one-part path in a valid document without duplicate keys (root is
 * jansson's reading of it), find must give what jansson holds. */
static void
check_find_top(const char *s, size_t len, const char *path, json_t *root)
{
    struct fb_json_value v;
    json_t *j = json_object_get(root, path);
    int rc = fb_json_find(s, len, path, &v, NULL, 0);

    CHECK(rc == (j != NULL ? 1 : 0));
    if (j == NULL)
        return;
    switch (json_typeof(j)) {
    case JSON_OBJECT:
        CHECK(v.type == FB_JSON_OBJECT);
        break;
    case JSON_ARRAY:
        CHECK(v.type == FB_JSON_ARRAY);
        break;
    case JSON_STRING: {
        char out[4096];
        size_t olen = 0;

        CHECK(v.type == FB_JSON_STRING);
        if (fb_json_value_string(&v, out, sizeof(out), &olen) == 0) {
            CHECK(json_string_length(j) == olen);
            CHECK(memcmp(json_string_value(j), out, olen) == 0);
        }
        break;
    }
    case JSON_INTEGER:
    case JSON_REAL:
        CHECK(v.type == FB_JSON_NUMBER);
        break;
    case JSON_TRUE:
        CHECK(v.type == FB_JSON_TRUE);
        break;
    case JSON_FALSE:
        CHECK(v.type == FB_JSON_FALSE);
        break;
    case JSON_NULL:
        CHECK(v.type == FB_JSON_NULL);
        break;
    }
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *s = (const char *)data;
    char err[96];
    char path[32];
    size_t plen = 0;
    json_error_t je;
    json_t *root = NULL;
    int ours;
    int theirs;

    check_tokens(s, size);

    memset(err, 'x', sizeof(err));
    ours = fb_json_validate_object(s, size, err, sizeof(err));
    CHECK(ours == 0 || ours == -1);
    if (ours != 0)
        CHECK(err_terminated(err, sizeof(err)) && err[0] != '\0');
    CHECK(fb_json_validate_object(s, size, NULL, 0) == ours);

    root = json_loadb(s, size, JSON_ALLOW_NUL, &je);
    theirs = root != NULL && json_is_object(root) ? 0 : -1;
    if (ours == 0 && theirs != 0)
        CHECK(root == NULL && jansson_limit(&je));
    /* A raw NUL is never valid JSON (a control character in a string, a
     * stray byte elsewhere), but jansson stops reading at one outside a
     * string, so it is no oracle for those inputs. */
    if (memchr(s, '\0', size) != NULL)
        CHECK(ours != 0);
    else if (ours != 0 && theirs == 0)
        CHECK(strstr(err, "nesting deeper") != NULL);

    /* A path from the first bytes: letters and dots, as a config gives. */
    for (size_t i = 0; i < size && plen < sizeof(path) - 1 && i < 8; i++) {
        char c = (char)('a' + data[i] % 4);

        if (data[i] % 5 == 0 && plen > 0)
            c = '.';
        path[plen++] = c;
    }
    path[plen] = '\0';
    if (plen == 0) {
        path[0] = 'a';
        path[1] = '\0';
    }
    check_find(s, size, path);
    json_decref(root);
    if (ours == 0) {
        root =
            json_loadb(s, size, JSON_ALLOW_NUL | JSON_REJECT_DUPLICATES, &je);
        if (root != NULL) {
            check_find_top(s, size, "a", root);
            check_find_top(s, size, "b", root);
            json_decref(root);
        }
    }
    return 0;
}
