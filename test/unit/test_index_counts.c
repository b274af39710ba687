/*
 * test_index_counts.c
 *    The bounded table of documents per index: counts by name against a
 *    reference, growth, the cap and its unlisted count, merging, sorting,
 *    clearing.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "forkbulk/index_counts.h"

#include "testutil.h"

static uint64_t
count_of(const struct fb_index_counts *t, const char *name)
{
    for (size_t i = 0; i < fb_index_counts_size(t); i++) {
        uint64_t n;

        if (strcmp(fb_index_counts_get(t, i, &n), name) == 0)
            return n;
    }
    return UINT64_MAX;
}

static void
test_counts_by_name(void **state)
{
    struct fb_index_counts *t = fb_index_counts_new(100);
    uint64_t n = 0;

    (void)state;
    assert_null(fb_index_counts_new(0));
    assert_int_equal(fb_index_counts_size(t), 0);
    /* Names need no NUL: the length says where they end. */
    fb_index_counts_add(t, "flows-03xyz", 8, 1);
    fb_index_counts_add(t, "flows-03", 8, 2);
    fb_index_counts_add(t, "flows-04", 8, 5);
    fb_index_counts_add(t, "flows-0", 7, 1);
    fb_index_counts_add(t, "flows-03", 8, 1);
    assert_int_equal(fb_index_counts_size(t), 3);
    assert_string_equal(fb_index_counts_get(t, 0, &n), "flows-03");
    assert_int_equal(n, 4);
    assert_string_equal(fb_index_counts_get(t, 1, &n), "flows-04");
    assert_int_equal(n, 5);
    assert_int_equal(count_of(t, "flows-0"), 1);
    assert_int_equal(fb_index_counts_unlisted(t), 0);
    fb_index_counts_clear(t);
    assert_int_equal(fb_index_counts_size(t), 0);
    fb_index_counts_add(t, "flows-04", 8, 7);
    assert_int_equal(count_of(t, "flows-04"), 7);
    assert_int_equal(count_of(t, "flows-03"), UINT64_MAX);
    fb_index_counts_free(t);
    fb_index_counts_free(NULL);
}

/* Random names in random order, checked against plain arrays; past the
 * cap the documents go to the unlisted count. */
static void
test_many_names_and_the_cap(void **state)
{
    enum { NAMES = 300, CAP = 200 };
    static uint64_t want[NAMES];
    uint64_t rng = UINT64_C(0x9E3779B97F4A7C15), listed = 0, unlisted = 0;
    int order[NAMES] = {0}; /* 1 + when a name came, 0 not yet */
    int came = 0;
    struct fb_index_counts *t = fb_index_counts_new(CAP);
    char name[32];

    (void)state;
    memset(want, 0, sizeof(want));
    for (int k = 0; k < 20000; k++) {
        int i = (int)(testutil_rng(&rng) % NAMES);
        uint64_t n = 1 + testutil_rng(&rng) % 3;
        int len = snprintf(name, sizeof(name), "idx-%d", i);

        if (order[i] == 0)
            order[i] = ++came;
        fb_index_counts_add(t, name, (size_t)len, n);
        want[i] += n;
    }
    assert_int_equal(fb_index_counts_size(t), CAP);
    for (int i = 0; i < NAMES; i++) {
        snprintf(name, sizeof(name), "idx-%d", i);
        if (order[i] <= CAP) {
            assert_int_equal(count_of(t, name), want[i]);
            listed += want[i];
        } else {
            assert_int_equal(count_of(t, name), UINT64_MAX);
            unlisted += want[i];
        }
    }
    assert_true(unlisted > 0);
    assert_int_equal(fb_index_counts_unlisted(t), unlisted);
    (void)listed;
    fb_index_counts_free(t);
}

static void
test_merge_and_sort(void **state)
{
    struct fb_index_counts *a = fb_index_counts_new(3);
    struct fb_index_counts *b = fb_index_counts_new(10);
    uint64_t n = 0;

    (void)state;
    fb_index_counts_add(a, "h-02", 4, 1);
    fb_index_counts_add(a, "h-01", 4, 2);
    fb_index_counts_add_unlisted(a, 5);
    fb_index_counts_add(b, "h-03", 4, 3);
    fb_index_counts_add(b, "h-01", 4, 4);
    fb_index_counts_add(b, "h-00", 4, 6);
    fb_index_counts_add_unlisted(b, 1);
    fb_index_counts_merge(a, b);
    /* a holds three names: h-00 came fourth. */
    assert_int_equal(fb_index_counts_size(a), 3);
    assert_int_equal(count_of(a, "h-01"), 6);
    assert_int_equal(count_of(a, "h-03"), 3);
    assert_int_equal(fb_index_counts_unlisted(a), 5 + 1 + 6);
    fb_index_counts_sort(a);
    assert_string_equal(fb_index_counts_get(a, 0, &n), "h-01");
    assert_string_equal(fb_index_counts_get(a, 1, &n), "h-02");
    assert_string_equal(fb_index_counts_get(a, 2, &n), "h-03");
    assert_int_equal(n, 3);
    /* Found by name after the sort too. */
    fb_index_counts_add(a, "h-02", 4, 10);
    assert_int_equal(count_of(a, "h-02"), 11);
    fb_index_counts_free(a);
    fb_index_counts_free(b);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_counts_by_name),
        cmocka_unit_test(test_many_names_and_the_cap),
        cmocka_unit_test(test_merge_and_sort),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
