/*
 * test_progress.c
 *    The progress text and its ETA: from ranges, with the ranges in flight
 *    counted for the documents they read, never "done" early.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "forkbulk/progress.h"

/* An hour 10 s in: 4 of 16 ranges done holding 1000 records each, and
 * 2000 more read by the ranges in flight. */
static struct fb_supervisor_state
an_hour(void)
{
    struct fb_supervisor_state st;

    memset(&st, 0, sizeof(st));
    st.unit = "2026-11-27T03";
    st.ranges_done = 4;
    st.ranges_total = 16;
    st.done.read = 4000;
    st.done.loaded = 3990;
    st.counts = st.done;
    st.counts.read += 2000;
    st.counts.loaded += 2000;
    st.counts.rejected = 10;
    st.counts.retried = 3;
    st.unit_seconds = 10;
    st.seconds = 12;
    return st;
}

static void
test_eta_unknown_before_a_range_ends(void **state)
{
    struct fb_supervisor_state st = an_hour();

    (void)state;
    st.ranges_done = 0;
    st.done.read = 0;
    assert_true(fb_progress_eta(&st) < 0);
    st = an_hour();
    st.ranges_total = 0; /* an empty hour */
    assert_true(fb_progress_eta(&st) < 0);
}

static void
test_eta_counts_ranges_in_flight(void **state)
{
    struct fb_supervisor_state st = an_hour();

    (void)state;
    /* 6000 of about 16000 read: 10 s for 3/8, 16.7 s to go. */
    assert_float_equal(fb_progress_eta(&st), 10.0 * 10000 / 6000, 1e-9);
    /* Nothing in flight: ranges alone, 4 of 16 in 10 s. */
    st.counts = st.done;
    assert_float_equal(fb_progress_eta(&st), 30.0, 1e-9);
}

static void
test_eta_never_done_while_ranges_are_left(void **state)
{
    struct fb_supervisor_state st = an_hour();

    (void)state;
    /* The ranges in flight hold far more than the finished ones did:
     * their documents would say "done"; ranges still say 4 of 16. */
    st.counts.read = 100000;
    assert_float_equal(fb_progress_eta(&st), 30.0, 1e-9);
    /* Empty finished ranges (a ctid range outside the window): ranges. */
    st = an_hour();
    st.done.read = 0;
    st.counts.read = 500;
    assert_float_equal(fb_progress_eta(&st), 30.0, 1e-9);
    st.ranges_done = st.ranges_total;
    assert_float_equal(fb_progress_eta(&st), 0.0, 1e-9);
}

static void
test_format(void **state)
{
    struct fb_supervisor_state st = an_hour();
    char buf[256];

    (void)state;
    fb_progress_format(&st, buf, sizeof(buf));
    assert_string_equal(buf, "2026-11-27T03: ranges 4/16, 5990 docs, "
                             "599 docs/s, ETA 17s, 10 rejects, 3 retries");
    /* The second unit of a run, ETA in minutes and in hours. */
    st.units_done = 1;
    st.counts = st.done;
    fb_progress_format(&st, buf, sizeof(buf));
    assert_string_equal(buf, "[2] 2026-11-27T03: ranges 4/16, 3990 docs, "
                             "399 docs/s, ETA 30s, 0 rejects, 0 retries");
    st.units_total = 5;
    st.unit_seconds = 1000;
    st.counts.loaded = 0;
    fb_progress_format(&st, buf, sizeof(buf));
    assert_string_equal(buf, "[2/5] 2026-11-27T03: ranges 4/16, 0 docs, "
                             "0 docs/s, ETA 50m00s, 0 rejects, 0 retries");
    st.unit_seconds = 3000;
    fb_progress_format(&st, buf, sizeof(buf));
    assert_non_null(strstr(buf, "ETA 2h30m,"));
    st.ranges_done = 0;
    fb_progress_format(&st, buf, sizeof(buf));
    assert_non_null(strstr(buf, "ETA ?,"));
    st.ranges_done = 1;
    st.ranges_total = 1000000;
    fb_progress_format(&st, buf, sizeof(buf));
    assert_non_null(strstr(buf, "ETA >100h,"));
}

static void
test_format_cuts(void **state)
{
    struct fb_supervisor_state st = an_hour();
    char buf[16];
    int n;

    (void)state;
    n = fb_progress_format(&st, buf, sizeof(buf));
    assert_true(n > (int)sizeof(buf));
    assert_string_equal(buf, "2026-11-27T03: ");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_eta_unknown_before_a_range_ends),
        cmocka_unit_test(test_eta_counts_ranges_in_flight),
        cmocka_unit_test(test_eta_never_done_while_ranges_are_left),
        cmocka_unit_test(test_format),
        cmocka_unit_test(test_format_cuts),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
