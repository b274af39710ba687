/*
 * test_file_plan.c
 *    Range planning: sizes, exact cover of the file, and input kinds.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "forkbulk/file_plan.h"

static void
test_range_size_bounds(void **state)
{
    (void)state;
    assert_int_equal(fb_plan_range_size(0, 4), FB_RANGE_MIN);
    assert_int_equal(fb_plan_range_size(10 << 20, 4), FB_RANGE_MIN);
    /* 1 GiB, 4 workers: 16 ranges each, 16 MiB per range. */
    assert_int_equal(fb_plan_range_size(1ull << 30, 4), 16u << 20);
    assert_int_equal(fb_plan_range_size(1ull << 40, 1), FB_RANGE_MAX);
}

static char tmpdir[64];

static int
setup(void **state)
{
    (void)state;
    snprintf(tmpdir, sizeof(tmpdir), "/tmp/fb-plan-XXXXXX");
    return mkdtemp(tmpdir) == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
    char cmd[128];

    (void)state;
    snprintf(cmd, sizeof(cmd), "%s/f", tmpdir);
    unlink(cmd);
    snprintf(cmd, sizeof(cmd), "%s/g", tmpdir);
    unlink(cmd);
    snprintf(cmd, sizeof(cmd), "%s/p", tmpdir);
    unlink(cmd);
    rmdir(tmpdir);
    return 0;
}

static void
write_file(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "w");

    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    fclose(f);
}

static void
test_ranges_cover_file_exactly(void **state)
{
    struct fb_options opts;
    struct fb_plan plan;
    char path[96];
    char *data;
    uint64_t sizes[] = {1, 1000, 4096, 4097, 100003};

    (void)state;
    snprintf(path, sizeof(path), "%s/f", tmpdir);
    for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
        data = calloc(1, sizes[k]);
        write_file(path, data, sizes[k]);
        free(data);
        for (uint64_t rb = 1; rb < 5000; rb = rb * 3 + 1) {
            uint64_t expect = 0, lo, hi;

            memset(&opts, 0, sizeof(opts));
            opts.input = path;
            opts.workers = 4;
            opts.range_bytes = rb;
            assert_int_equal(fb_plan_input(&opts, &plan), 0);
            assert_false(plan.whole);
            assert_true(plan.size == sizes[k]);
            assert_true(plan.n_ranges == (sizes[k] + rb - 1) / rb);
            for (uint64_t i = 0; i < plan.n_ranges; i++) {
                fb_plan_range(&plan, i, &lo, &hi);
                assert_true(lo == expect);
                assert_true(hi > lo);
                assert_true(hi - lo <= rb);
                expect = hi;
            }
            assert_true(expect == sizes[k]);
        }
    }
}

static void
test_input_kinds(void **state)
{
    static const unsigned char gz[] = {0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3};
    enum fb_input_kind kind;
    uint64_t size;
    char path[96];
    struct fb_options opts;
    struct fb_plan plan;

    (void)state;
    assert_int_equal(fb_input_kind("-", &kind, &size), 0);
    assert_int_equal(kind, FB_INPUT_STREAM);

    snprintf(path, sizeof(path), "%s/g", tmpdir);
    write_file(path, gz, sizeof(gz));
    assert_int_equal(fb_input_kind(path, &kind, &size), 0);
    assert_int_equal(kind, FB_INPUT_GZIP);
    memset(&opts, 0, sizeof(opts));
    opts.input = path;
    opts.workers = 4;
    assert_int_equal(fb_plan_input(&opts, &plan), 0);
    assert_true(plan.whole);
    assert_true(plan.n_ranges == 1);

    snprintf(path, sizeof(path), "%s/p", tmpdir);
    assert_int_equal(mkfifo(path, 0600), 0);
    assert_int_equal(fb_input_kind(path, &kind, &size), 0);
    assert_int_equal(kind, FB_INPUT_STREAM);

    assert_int_equal(fb_input_kind(tmpdir, &kind, &size), -1);
    assert_int_equal(errno, EISDIR);
    snprintf(path, sizeof(path), "%s/missing", tmpdir);
    assert_int_equal(fb_input_kind(path, &kind, &size), -1);
    assert_int_equal(errno, ENOENT);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_range_size_bounds),
        cmocka_unit_test_setup_teardown(test_ranges_cover_file_exactly, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_input_kinds, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
