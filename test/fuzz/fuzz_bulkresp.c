/*
 * fuzz_bulkresp.c
 *    libFuzzer target for the _bulk response parser and the error-body
 *    summary (bulkresp.c).
 *
 * The first input byte picks how many items were "sent" (0-15) and the
 * summary's buffer size; the rest is the body.  Invariants: items past
 * `expected` are never written (the array is exactly that long, so ASan
 * sees any write past it); success means a valid JSON object holding
 * exactly `expected` items with consistent counts and bounded strings;
 * and what was read, written back as a canonical response, reads back
 * the same.  The summary is always a NUL-terminated, non-empty line.
 */
#include "forkbulk/bulkresp.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "forkbulk/jsonscan.h"
#include "fuzz.h"

/* A field is a NUL-terminated string of its array, with no control
 * characters (they would break a log or reject line). */
static int
clean_string(const char *s, size_t cap)
{
    const char *nul = memchr(s, '\0', cap);

    if (nul == NULL)
        return 0;
    for (; s < nul; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f)
            return 0;
    return 1;
}

/* The items as a canonical response body (malloc'd), or NULL. */
static char *
render(const struct fb_bulkresp *out, const struct fb_bulkresp_item *items,
       size_t n)
{
    json_t *root = json_object();
    json_t *arr = json_array();
    char *body = NULL;

    CHECK(root != NULL && arr != NULL);
    CHECK(json_object_set_new(root, "errors", json_boolean(out->errors)) == 0);
    for (size_t i = 0; i < n; i++) {
        json_t *it = json_object();
        json_t *res = json_object();

        CHECK(it != NULL && res != NULL);
        if (items[i].status != 0)
            CHECK(json_object_set_new(res, "status",
                                      json_integer(items[i].status)) == 0);
        if (items[i].failed) {
            json_t *e = json_object();

            CHECK(e != NULL);
            /* Strings the parser produced must be valid UTF-8: jansson
             * refuses anything else. */
            CHECK(json_object_set_new(e, "type", json_string(items[i].type)) ==
                  0);
            CHECK(json_object_set_new(e, "reason",
                                      json_string(items[i].reason)) == 0);
            CHECK(json_object_set_new(res, "error", e) == 0);
        }
        CHECK(json_object_set_new(it, items[i].op, res) == 0);
        CHECK(json_array_append_new(arr, it) == 0);
    }
    CHECK(json_object_set_new(root, "items", arr) == 0);
    body = json_dumps(root, JSON_COMPACT);
    json_decref(root);
    CHECK(body != NULL);
    return body;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fb_bulkresp_item *items = NULL;
    struct fb_bulkresp_item *again = NULL;
    struct fb_bulkresp out, out2;
    char err[160];
    char line[512];
    char *body2 = NULL;
    size_t expected;
    size_t cap;
    size_t nfailed = 0;
    const char *body;
    size_t len;
    int rc;

    if (size < 1)
        return 0;
    expected = data[0] & 15;
    cap = 1 + (size_t)(data[0] >> 4) * 32; /* 1..481 */
    body = (const char *)data + 1;
    len = size - 1;

    /* Exactly `expected` items (at least one byte to have a pointer). */
    items = malloc(expected > 0 ? expected * sizeof(*items) : 1);
    CHECK(items != NULL);
    memset(err, 'x', sizeof(err));
    rc = fb_bulkresp_parse(body, len, items, expected, &out, err, sizeof(err));
    CHECK(rc == 0 || rc == -1);
    if (rc != 0) {
        CHECK(memchr(err, '\0', sizeof(err)) != NULL && err[0] != '\0');
        goto summary;
    }
    CHECK(fb_json_validate_object(body, len, NULL, 0) == 0);
    CHECK(out.nitems == expected);
    for (size_t i = 0; i < expected; i++) {
        CHECK(items[i].status >= 0 && items[i].status <= 999);
        CHECK(clean_string(items[i].op, sizeof(items[i].op)));
        CHECK(clean_string(items[i].type, sizeof(items[i].type)));
        CHECK(clean_string(items[i].reason, sizeof(items[i].reason)));
        if (!items[i].failed)
            CHECK(items[i].type[0] == '\0');
        nfailed += items[i].failed;
        (void)fb_bulkresp_classify(&items[i]);
    }
    CHECK(out.nfailed == nfailed);

    /* Round trip through a canonical body. */
    body2 = render(&out, items, expected);
    again = malloc(expected > 0 ? expected * sizeof(*again) : 1);
    CHECK(again != NULL);
    rc = fb_bulkresp_parse(body2, strlen(body2), again, expected, &out2, err,
                           sizeof(err));
    if (rc != 0)
        fprintf(stderr, "fuzz_bulkresp: canonical body refused: %s\n%s\n", err,
                body2);
    CHECK(rc == 0);
    CHECK(out2.errors == out.errors && out2.nitems == out.nitems &&
          out2.nfailed == out.nfailed);
    for (size_t i = 0; i < expected; i++) {
        CHECK(again[i].status == items[i].status);
        CHECK(again[i].failed == items[i].failed);
        CHECK(strcmp(again[i].op, items[i].op) == 0);
        CHECK(strcmp(again[i].type, items[i].type) == 0);
        CHECK(strcmp(again[i].reason, items[i].reason) == 0);
    }

summary:
    memset(line, 'x', sizeof(line));
    CHECK(fb_bulkresp_describe_error(body, len, line, cap) == line);
    CHECK(clean_string(line, cap));
    CHECK(line[0] != '\0' || cap == 1);
    CHECK(line[cap] == 'x'); /* nothing written past cap */
    free(body2);
    free(again);
    free(items);
    return 0;
}
