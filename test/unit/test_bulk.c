/*
 * test_bulk.c
 *    The batch buffer: exact bytes of the NDJSON body, the FULL /
 *    TOO_LARGE / BAD_ID / BAD_INDEX boundaries, documents with their own
 *    index, slices, in-place rendering, lowering the limit, and in-place
 *    compaction checked against a reference on random keep masks.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "forkbulk/bulk.h"

#include "testutil.h"

static enum fb_bulk_result
add(struct fb_bulk *b, const char *id, const char *src, uint64_t off,
    uint64_t line)
{
    return fb_bulk_add(b, NULL, id, id == NULL ? 0 : strlen(id), src,
                       strlen(src), off, line);
}

static void
assert_body(const struct fb_bulk *b, const char *want)
{
    size_t len = 0;
    const char *body = fb_bulk_body(b, &len);

    assert_int_equal(len, strlen(want));
    assert_int_equal(fb_bulk_bytes(b), strlen(want));
    if (len > 0)
        assert_memory_equal(body, want, len);
    else
        assert_null(body);
}

static void
test_body_bytes(void **state)
{
    struct fb_bulk *b = fb_bulk_new(4096, 10, FB_BULK_INDEX);
    const struct fb_bulk_item *it = NULL;
    const char *src = NULL;
    size_t len = 0;

    (void)state;
    assert_non_null(b);
    assert_body(b, "");
    assert_int_equal(add(b, "a\"b\\c\n", "{\"x\":1}", 0, 1), FB_BULK_OK);
    assert_int_equal(add(b, NULL, "{\"y\":\"z\"}", 9, 2), FB_BULK_OK);
    assert_int_equal(add(b, "flows-1", "{}", 22, 4), FB_BULK_OK);
    assert_body(b, "{\"index\":{\"_id\":\"a\\\"b\\\\c\\n\"}}\n{\"x\":1}\n"
                   "{\"index\":{}}\n{\"y\":\"z\"}\n"
                   "{\"index\":{\"_id\":\"flows-1\"}}\n{}\n");
    assert_int_equal(fb_bulk_count(b), 3);

    it = fb_bulk_item(b, 0);
    assert_int_equal(it->offset, 0);
    assert_int_equal(it->line, 1);
    assert_int_equal(it->pos, 0);
    assert_int_equal(it->src, 30);
    assert_int_equal(it->len, 30 + 8);
    it = fb_bulk_item(b, 1);
    assert_int_equal(it->offset, 9);
    assert_int_equal(it->line, 2);
    assert_int_equal(it->pos, 38);
    assert_int_equal(it->src, 13);
    assert_int_equal(it->len, 13 + 10);
    it = fb_bulk_item(b, 2);
    assert_int_equal(it->offset, 22);
    assert_int_equal(it->line, 4);
    assert_int_equal(it->pos, 61);
    src = fb_bulk_source(b, 2, &len);
    assert_int_equal(len, 2);
    assert_memory_equal(src, "{}", 2);
    src = fb_bulk_source(b, 0, &len);
    assert_int_equal(len, 7);
    assert_memory_equal(src, "{\"x\":1}", 7);

    fb_bulk_reset(b);
    assert_int_equal(fb_bulk_count(b), 0);
    assert_body(b, "");
    fb_bulk_free(b);
    fb_bulk_free(NULL);
}

static void
test_create_op(void **state)
{
    struct fb_bulk *b = fb_bulk_new(256, 4, FB_BULK_CREATE);

    (void)state;
    assert_int_equal(add(b, "7", "{\"a\":[1]}", 0, 1), FB_BULK_OK);
    assert_int_equal(add(b, NULL, "{}", 10, 2), FB_BULK_OK);
    assert_body(b, "{\"create\":{\"_id\":\"7\"}}\n{\"a\":[1]}\n"
                   "{\"create\":{}}\n{}\n");
    fb_bulk_free(b);
}

static void
test_limits(void **state)
{
    /* {"index":{"_id":"1"}}\n is 22 bytes; with "{}\n" an item is 25. */
    struct fb_bulk *b = fb_bulk_new(75, 100, FB_BULK_INDEX);
    char big[80];

    (void)state;
    assert_null(fb_bulk_new(0, 10, FB_BULK_INDEX));
    assert_null(fb_bulk_new(10, 0, FB_BULK_INDEX));
    assert_int_equal(add(b, "1", "{}", 0, 1), FB_BULK_OK);
    assert_int_equal(add(b, "2", "{}", 3, 2), FB_BULK_OK);
    /* Exactly filling the limit fits. */
    assert_int_equal(add(b, "3", "{}", 6, 3), FB_BULK_OK);
    assert_int_equal(fb_bulk_bytes(b), 75);
    /* One byte more does not, and leaves the batch as it was. */
    assert_int_equal(add(b, "4", "{}", 9, 4), FB_BULK_FULL);
    assert_int_equal(fb_bulk_count(b), 3);
    assert_body(b, "{\"index\":{\"_id\":\"1\"}}\n{}\n"
                   "{\"index\":{\"_id\":\"2\"}}\n{}\n"
                   "{\"index\":{\"_id\":\"3\"}}\n{}\n");
    /* A record that an empty batch could not hold: TOO_LARGE even now. */
    memset(big, 'x', sizeof big);
    assert_int_equal(fb_bulk_add(b, NULL, "5", 1, big, 53, 12, 5),
                     FB_BULK_TOO_LARGE);
    fb_bulk_reset(b);
    /* 22 + 53 + 1 = 76 > 75; 52 fits exactly. */
    assert_int_equal(fb_bulk_add(b, NULL, "5", 1, big, 53, 12, 5),
                     FB_BULK_TOO_LARGE);
    assert_int_equal(fb_bulk_count(b), 0);
    assert_int_equal(fb_bulk_add(b, NULL, "5", 1, big, 52, 12, 5), FB_BULK_OK);
    assert_int_equal(fb_bulk_bytes(b), 75);
    fb_bulk_free(b);

    /* The document limit. */
    b = fb_bulk_new(4096, 2, FB_BULK_INDEX);
    assert_int_equal(add(b, "1", "{}", 0, 1), FB_BULK_OK);
    assert_int_equal(add(b, "2", "{}", 0, 1), FB_BULK_OK);
    assert_int_equal(add(b, "3", "{}", 0, 1), FB_BULK_FULL);
    assert_int_equal(fb_bulk_count(b), 2);
    fb_bulk_free(b);
}

static void
test_id_limit(void **state)
{
    struct fb_bulk *b = fb_bulk_new(1 << 16, 10, FB_BULK_INDEX);
    char id[FB_ES_ID_MAX + 1];
    size_t len = 0;
    const char *body = NULL;

    (void)state;
    memset(id, 'i', sizeof id);
    assert_int_equal(fb_bulk_add(b, NULL, id, FB_ES_ID_MAX + 1, "{}", 2, 0, 1),
                     FB_BULK_BAD_ID);
    assert_int_equal(fb_bulk_count(b), 0);
    assert_int_equal(fb_bulk_add(b, NULL, id, FB_ES_ID_MAX, "{}", 2, 0, 1),
                     FB_BULK_OK);
    /* The worst case for escaping: every byte a control character. */
    memset(id, 1, sizeof id);
    assert_int_equal(fb_bulk_add(b, NULL, id, FB_ES_ID_MAX, "{}", 2, 0, 2),
                     FB_BULK_OK);
    body = fb_bulk_slice(b, 1, 2, &len);
    assert_int_equal(len, 17 + 6 * FB_ES_ID_MAX + 4 + 3);
    assert_memory_equal(body, "{\"index\":{\"_id\":\"\\u0001\\u0001", 29);
    fb_bulk_free(b);
}

static void
test_slices(void **state)
{
    struct fb_bulk *b = fb_bulk_new(4096, 10, FB_BULK_INDEX);
    const char *s = NULL;
    size_t len = 0;

    (void)state;
    assert_int_equal(add(b, "a", "{\"n\":0}", 0, 1), FB_BULK_OK);
    assert_int_equal(add(b, "b", "{\"n\":1}", 8, 2), FB_BULK_OK);
    assert_int_equal(add(b, "c", "{\"n\":2}", 16, 3), FB_BULK_OK);
    s = fb_bulk_slice(b, 1, 3, &len);
    assert_int_equal(len, 2 * 30);
    assert_memory_equal(s,
                        "{\"index\":{\"_id\":\"b\"}}\n{\"n\":1}\n"
                        "{\"index\":{\"_id\":\"c\"}}\n{\"n\":2}\n",
                        len);
    s = fb_bulk_slice(b, 0, 1, &len);
    assert_int_equal(len, 30);
    assert_memory_equal(s, "{\"index\":{\"_id\":\"a\"}}\n{\"n\":0}\n", len);
    assert_null(fb_bulk_slice(b, 1, 1, &len));
    assert_int_equal(len, 0);
    assert_null(fb_bulk_slice(b, 2, 4, &len));
    assert_null(fb_bulk_slice(b, 2, 1, &len));
    fb_bulk_free(b);
}

static void
test_set_limit(void **state)
{
    struct fb_bulk *b = fb_bulk_new(100, 10, FB_BULK_INDEX);

    (void)state;
    assert_int_equal(fb_bulk_limit(b), 100);
    assert_int_equal(add(b, "1", "{}", 0, 1), FB_BULK_OK);
    assert_int_equal(add(b, "2", "{}", 0, 2), FB_BULK_OK);
    assert_int_equal(fb_bulk_set_limit(b, 101), -1);
    assert_int_equal(fb_bulk_set_limit(b, 0), -1);
    /* Below what the batch already holds: the items stay, adds stop. */
    assert_int_equal(fb_bulk_set_limit(b, 40), 0);
    assert_int_equal(fb_bulk_limit(b), 40);
    assert_int_equal(fb_bulk_count(b), 2);
    assert_int_equal(add(b, "3", "{}", 0, 3), FB_BULK_FULL);
    fb_bulk_reset(b);
    assert_int_equal(add(b, "3", "{}", 0, 3), FB_BULK_OK);
    assert_int_equal(add(b, "4", "{}", 0, 4), FB_BULK_FULL);
    assert_int_equal(add(b, "5", "{\"aaaaaaaaaaaaaaaaaaa\":1}", 0, 5),
                     FB_BULK_TOO_LARGE);
    assert_int_equal(fb_bulk_set_limit(b, 100), 0);
    assert_int_equal(add(b, "4", "{}", 0, 4), FB_BULK_OK);
    fb_bulk_free(b);
}

/* Action lines with an _index: before the id, escaped as the id is, and
 * readable back from each item; documents without one in the same batch
 * go to the URL's index. */
static void
test_own_index(void **state)
{
    struct fb_bulk *b = fb_bulk_new(4096, 10, FB_BULK_INDEX);
    const char *s = NULL;
    size_t len = 0;

    (void)state;
    assert_int_equal(
        fb_bulk_add(b, "flows-2026.11.27.03", "a", 1, "{}", 2, 0, 1),
        FB_BULK_OK);
    assert_int_equal(fb_bulk_add(b, NULL, "b", 1, "{}", 2, 3, 2), FB_BULK_OK);
    assert_int_equal(
        fb_bulk_add(b, "flows-2026.11.27.04", NULL, 0, "{}", 2, 6, 3),
        FB_BULK_OK);
    assert_int_equal(fb_bulk_add(b, "x\"\\y", "c", 1, "{}", 2, 9, 4),
                     FB_BULK_OK);
    assert_body(b,
                "{\"index\":{\"_index\":\"flows-2026.11.27.03\","
                "\"_id\":\"a\"}}\n{}\n"
                "{\"index\":{\"_id\":\"b\"}}\n{}\n"
                "{\"index\":{\"_index\":\"flows-2026.11.27.04\"}}\n{}\n"
                "{\"index\":{\"_index\":\"x\\\"\\\\y\",\"_id\":\"c\"}}\n{}\n");
    s = fb_bulk_index(b, 0, &len);
    assert_int_equal(len, 19);
    assert_memory_equal(s, "flows-2026.11.27.03", 19);
    assert_int_equal(fb_bulk_item(b, 0)->index, 20);
    assert_null(fb_bulk_index(b, 1, &len));
    assert_int_equal(len, 0);
    assert_int_equal(fb_bulk_item(b, 1)->index, 0);
    s = fb_bulk_index(b, 2, &len);
    assert_memory_equal(s, "flows-2026.11.27.04", 19);
    /* The text as the line has it: escaped. */
    s = fb_bulk_index(b, 3, &len);
    assert_int_equal(len, 6);
    assert_memory_equal(s, "x\\\"\\\\y", 6);
    s = fb_bulk_source(b, 2, &len);
    assert_memory_equal(s, "{}", len);
    fb_bulk_free(b);

    b = fb_bulk_new(256, 4, FB_BULK_CREATE);
    assert_int_equal(fb_bulk_add(b, "i", "7", 1, "{}", 2, 0, 1), FB_BULK_OK);
    assert_body(b, "{\"create\":{\"_index\":\"i\",\"_id\":\"7\"}}\n{}\n");
    fb_bulk_free(b);
}

/* The index counts toward the byte limit; a name longer than a cluster
 * takes is refused, and the worst case for escaping fits. */
static void
test_index_limits(void **state)
{
    /* {"index":{"_index":"ab","_id":"1"}}\n{}\n is 39 bytes. */
    struct fb_bulk *b = fb_bulk_new(78, 10, FB_BULK_INDEX);
    char name[FB_ES_INDEX_MAX + 2];
    char id[FB_ES_ID_MAX];
    const char *body = NULL;
    size_t len = 0;

    (void)state;
    assert_int_equal(fb_bulk_add(b, "ab", "1", 1, "{}", 2, 0, 1), FB_BULK_OK);
    assert_int_equal(fb_bulk_bytes(b), 39);
    assert_int_equal(fb_bulk_add(b, "abc", "2", 1, "{}", 2, 0, 2),
                     FB_BULK_FULL);
    assert_int_equal(fb_bulk_add(b, "ab", "2", 1, "{}", 2, 0, 2), FB_BULK_OK);
    assert_int_equal(fb_bulk_bytes(b), 78);
    fb_bulk_reset(b);
    /* 37 bytes besides a name of 46: more than an empty batch holds. */
    assert_int_equal(
        fb_bulk_add(b, "abcdefghijklmnopqrstuvwxyz0123456789abcdefghij", "1", 1,
                    "{}", 2, 0, 1),
        FB_BULK_TOO_LARGE);
    fb_bulk_free(b);

    b = fb_bulk_new(1 << 16, 10, FB_BULK_INDEX);
    memset(name, 'n', sizeof name);
    name[FB_ES_INDEX_MAX + 1] = '\0';
    assert_int_equal(fb_bulk_add(b, name, "1", 1, "{}", 2, 0, 1),
                     FB_BULK_BAD_INDEX);
    assert_int_equal(fb_bulk_count(b), 0);
    name[FB_ES_INDEX_MAX] = '\0';
    assert_int_equal(fb_bulk_add(b, name, "1", 1, "{}", 2, 0, 1), FB_BULK_OK);
    /* Every byte of both a control character: six bytes each. */
    memset(name, 1, FB_ES_INDEX_MAX);
    memset(id, 2, sizeof id);
    assert_int_equal(fb_bulk_add(b, name, id, sizeof id, "{}", 2, 0, 2),
                     FB_BULK_OK);
    body = fb_bulk_slice(b, 1, 2, &len);
    assert_int_equal(len,
                     20 + 6 * FB_ES_INDEX_MAX + 9 + 6 * FB_ES_ID_MAX + 4 + 3);
    assert_memory_equal(body, "{\"index\":{\"_index\":\"\\u0001", 25);
    fb_bulk_index(b, 1, &len);
    assert_int_equal(len, 6 * FB_ES_INDEX_MAX);
    fb_bulk_free(b);
}

static void
test_keep_fixed(void **state)
{
    struct fb_bulk *b = fb_bulk_new(4096, 10, FB_BULK_INDEX);
    bool keep[5] = {false, true, true, false, true};

    (void)state;
    assert_int_equal(add(b, "a", "{\"n\":0}", 0, 1), FB_BULK_OK);
    assert_int_equal(add(b, "b", "{\"n\":1}", 8, 2), FB_BULK_OK);
    assert_int_equal(add(b, "c", "{\"n\":2}", 16, 3), FB_BULK_OK);
    assert_int_equal(add(b, "d", "{\"n\":3}", 24, 4), FB_BULK_OK);
    assert_int_equal(add(b, "e", "{\"n\":4}", 32, 5), FB_BULK_OK);
    assert_int_equal(fb_bulk_keep(b, keep), 3);
    assert_body(b, "{\"index\":{\"_id\":\"b\"}}\n{\"n\":1}\n"
                   "{\"index\":{\"_id\":\"c\"}}\n{\"n\":2}\n"
                   "{\"index\":{\"_id\":\"e\"}}\n{\"n\":4}\n");
    assert_int_equal(fb_bulk_item(b, 0)->offset, 8);
    assert_int_equal(fb_bulk_item(b, 1)->offset, 16);
    assert_int_equal(fb_bulk_item(b, 2)->offset, 32);
    assert_int_equal(fb_bulk_item(b, 2)->line, 5);
    assert_int_equal(fb_bulk_item(b, 2)->pos, 60);
    /* Keeping nothing empties the batch; the next add starts at 0. */
    memset(keep, 0, sizeof keep);
    assert_int_equal(fb_bulk_keep(b, keep), 0);
    assert_body(b, "");
    assert_int_equal(add(b, "f", "{}", 40, 6), FB_BULK_OK);
    assert_int_equal(fb_bulk_item(b, 0)->pos, 0);
    fb_bulk_free(b);
}

static uint64_t rng_state = UINT64_C(0x2545F4914F6CDD1D);

/*
 * Property: after fb_bulk_keep with any mask, the body is exactly the
 * concatenation of the kept items' original bytes, in order; every item's
 * metadata follows it; the body ends in '\n'; and repeated compaction
 * (as repeated partial retries do) keeps holding this.
 */
static void
test_keep_random(void **state)
{
    enum { N = 64 };
    struct fb_bulk *b = fb_bulk_new(1 << 16, N, FB_BULK_INDEX);
    char *expect = malloc(1 << 16);
    char orig[N][160];
    size_t origlen[N];
    size_t alive[N]; /* original index of each current item */
    int iter;

    (void)state;
    assert_non_null(expect);
    for (iter = 0; iter < 300; iter++) {
        size_t n = 1 + (size_t)(testutil_rng(&rng_state) % N);
        size_t i, count;

        fb_bulk_reset(b);
        for (i = 0; i < n; i++) {
            char id[32], src[96];
            size_t slen, blen = 0;
            const char *s = NULL;
            int k = snprintf(id, sizeof id, "id-%zu-%d", i, iter);
            char index[32];

            /* A third of the items name their own index, by hour. */
            snprintf(index, sizeof index, "flows-2026.11.27.%02zu", i % 24);

            slen = (size_t)snprintf(src, sizeof src,
                                    "{\"i\":%zu,\"pad\":\"%.*s\"}", i,
                                    (int)(testutil_rng(&rng_state) % 40),
                                    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");
            assert_int_equal(fb_bulk_add(b, i % 3 == 0 ? index : NULL, id,
                                         (size_t)k, src, slen, i * 1000, i + 1),
                             FB_BULK_OK);
            s = fb_bulk_slice(b, i, i + 1, &blen);
            assert_true(blen < sizeof orig[0]);
            memcpy(orig[i], s, blen);
            origlen[i] = blen;
            alive[i] = i;
        }
        count = n;
        /* Up to three rounds of compaction, as retries would do. */
        while (count > 0 && testutil_rng(&rng_state) % 4 != 0) {
            bool keep[N];
            size_t e = 0, k = 0, blen = 0;
            const char *body = NULL;

            for (i = 0; i < count; i++)
                keep[i] = testutil_rng(&rng_state) % 2 == 0;
            for (i = 0; i < count; i++) {
                if (!keep[i])
                    continue;
                memcpy(expect + e, orig[alive[i]], origlen[alive[i]]);
                e += origlen[alive[i]];
                alive[k++] = alive[i];
            }
            assert_int_equal(fb_bulk_keep(b, keep), k);
            count = k;
            body = fb_bulk_body(b, &blen);
            assert_int_equal(blen, e);
            if (e > 0) {
                assert_memory_equal(body, expect, e);
                assert_int_equal(body[blen - 1], '\n');
            }
            for (i = 0; i < count; i++) {
                const struct fb_bulk_item *it = fb_bulk_item(b, i);
                size_t sl = 0;
                const char *s = fb_bulk_source(b, i, &sl);
                char want[32];
                int wl = snprintf(want, sizeof want, "{\"i\":%zu,", alive[i]);

                assert_int_equal(it->offset, alive[i] * 1000);
                assert_int_equal(it->line, alive[i] + 1);
                assert_int_equal(it->len, origlen[alive[i]]);
                assert_memory_equal(s, want, (size_t)wl);
                assert_int_equal(s[sl - 1], '}');
                assert_int_equal(s[sl], '\n');
                assert_int_equal(body[it->pos + it->src - 1], '\n');
                s = fb_bulk_index(b, i, &sl);
                if (alive[i] % 3 != 0) {
                    assert_null(s);
                    assert_int_equal(sl, 0);
                } else {
                    wl = snprintf(want, sizeof want, "flows-2026.11.27.%02zu",
                                  alive[i] % 24);
                    assert_int_equal(sl, (size_t)wl);
                    assert_memory_equal(s, want, sl);
                    assert_ptr_equal(s, body + it->pos + 20);
                }
            }
            /* Every split of the compacted batch is contiguous. */
            if (count >= 2) {
                size_t mid = count / 2, l1 = 0, l2 = 0;
                const char *s1 = fb_bulk_slice(b, 0, mid, &l1);
                const char *s2 = fb_bulk_slice(b, mid, count, &l2);

                assert_ptr_equal(s1 + l1, s2);
                assert_int_equal(l1 + l2, blen);
            }
        }
    }
    free(expect);
    fb_bulk_free(b);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_body_bytes), cmocka_unit_test(test_create_op),
        cmocka_unit_test(test_limits),     cmocka_unit_test(test_id_limit),
        cmocka_unit_test(test_slices),     cmocka_unit_test(test_set_limit),
        cmocka_unit_test(test_keep_fixed), cmocka_unit_test(test_keep_random),
        cmocka_unit_test(test_own_index),  cmocka_unit_test(test_index_limits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
