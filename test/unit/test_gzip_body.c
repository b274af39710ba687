/*
 * test_gzip_body.c
 *    --compress bodies: what zlib (as a cluster does) inflates is exactly
 *    the body; the buffer allocated once holds the worst case.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <zlib.h>

#include "forkbulk/gzip_body.h"

#define MAX_IN (1u << 20)

/* A bulk body of flows-like lines, len bytes. */
static char *
bulk_body(size_t len)
{
    char *b = malloc(len);
    size_t used = 0;

    for (unsigned i = 1; used < len; i++) {
        char line[200];
        int n = snprintf(line, sizeof(line),
                         "{\"index\":{\"_id\":\"%u\"}}\n{\"id\":%u,\"src_ip\":"
                         "\"10.%u.%u.1\",\"bytes\":%u}\n",
                         i, i, i % 256, (i / 256) % 256, (i * 7919u) % 1048576);
        size_t take = len - used < (size_t)n ? len - used : (size_t)n;

        memcpy(b + used, line, take);
        used += take;
    }
    return b;
}

/* Inflates a gzip member as a cluster does; the length, or -1. */
static long
gunzip(const char *gz, size_t len, char *out, size_t cap)
{
    z_stream zs;
    long got;

    memset(&zs, 0, sizeof(zs));
    if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK)
        return -1;
    zs.next_in = (Bytef *)(uintptr_t)gz;
    zs.avail_in = (uInt)len;
    zs.next_out = (Bytef *)out;
    zs.avail_out = (uInt)cap;
    got = inflate(&zs, Z_FINISH) == Z_STREAM_END && zs.avail_in == 0
              ? (long)zs.total_out
              : -1;
    inflateEnd(&zs);
    return got;
}

static void
test_round_trip_at_every_level(void **state)
{
    char *body = bulk_body(MAX_IN);
    char *back = malloc(MAX_IN + 1);
    size_t fast_len = 0;

    (void)state;
    for (int level = FB_GZIP_LEVEL_MIN; level <= FB_GZIP_LEVEL_MAX; level++) {
        struct fb_gzip *gz = fb_gzip_new(level, MAX_IN);
        size_t len = 0;
        const char *out;

        assert_non_null(gz);
        out = fb_gzip_body(gz, body, MAX_IN, &len);
        assert_non_null(out);
        assert_true(len > 0 && len < MAX_IN / 4);
        assert_int_equal(gunzip(out, len, back, MAX_IN + 1), MAX_IN);
        assert_memory_equal(back, body, MAX_IN);
        if (level == FB_GZIP_LEVEL_MIN)
            fast_len = len;
        if (level == FB_GZIP_LEVEL_MAX)
            assert_true(len < fast_len);
        fb_gzip_free(gz);
    }
    free(body);
    free(back);
}

/* Random bytes do not compress: the output is larger than the input, and
 * the buffer sized at creation still holds it. */
static void
test_incompressible_body_fits(void **state)
{
    struct fb_gzip *gz = fb_gzip_new(1, MAX_IN);
    char *body = malloc(MAX_IN), *back = malloc(MAX_IN);
    uint64_t x = 88172645463325252ull;
    size_t len = 0;
    const char *out;

    (void)state;
    for (size_t i = 0; i < MAX_IN; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        body[i] = (char)(x >> 24);
    }
    out = fb_gzip_body(gz, body, MAX_IN, &len);
    assert_non_null(out);
    assert_true(len > MAX_IN);
    assert_int_equal(gunzip(out, len, back, MAX_IN), MAX_IN);
    assert_memory_equal(back, body, MAX_IN);
    /* An empty body is a valid member too. */
    out = fb_gzip_body(gz, body, 0, &len);
    assert_non_null(out);
    assert_int_equal(gunzip(out, len, back, MAX_IN), 0);
    fb_gzip_free(gz);
    free(body);
    free(back);
}

static void
test_bounds(void **state)
{
    struct fb_gzip *gz = fb_gzip_new(1, 100);
    char body[101] = {0};
    size_t len = 7;

    (void)state;
    assert_null(fb_gzip_new(FB_GZIP_LEVEL_MIN - 1, 100));
    assert_null(fb_gzip_new(FB_GZIP_LEVEL_MAX + 1, 100));
    assert_null(fb_gzip_body(gz, body, 101, &len));
    assert_non_null(fb_gzip_body(gz, body, 100, &len));
    fb_gzip_free(gz);
    fb_gzip_free(NULL);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip_at_every_level),
        cmocka_unit_test(test_incompressible_body_fits),
        cmocka_unit_test(test_bounds),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
