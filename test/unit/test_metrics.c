/*
 * test_metrics.c
 *    The metrics file: what fb_metrics_format() writes reads back the
 *    same for its own job only, labels are escaped as the text format
 *    says, and fb_metrics_write() keeps the last success and an unknown
 *    oldest incomplete hour from the file before.
 */
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

#include "forkbulk/metrics.h"
#include "forkbulk/status.h"

static void
sample_run(struct fb_metrics *m, const char *job)
{
    fb_metrics_init(m, job);
    m->run_end = 1796599578.813;
    m->exit_code = 65;
    m->duration = 12.5;
    m->last_success = 1796590000.25;
    m->docs_loaded = 7850484;
    m->docs_rejected = 3;
    m->hours_loaded = 2;
    m->hours_failed = 1;
    m->oldest_incomplete = 1796583600;
    m->lock_busy = true;
    m->oldest_known = true;
}

static void
test_format_then_parse(void **state)
{
    char buf[FB_METRICS_FILE_MAX];
    struct fb_metrics m, back;
    int n;

    (void)state;
    sample_run(&m, "flows");
    n = fb_metrics_format(&m, buf, sizeof(buf));
    assert_true(n > 0);
    assert_non_null(strstr(buf, "# TYPE forkbulk_lock_busy gauge\n"
                                "forkbulk_lock_busy{job=\"flows\"} 1\n"));
    assert_non_null(strstr(buf, "forkbulk_documents_loaded{job=\"flows\"} "
                                "7850484\n"));
    fb_metrics_init(&back, "flows");
    assert_int_equal(fb_metrics_parse(buf, (size_t)n, &back), 10);
    assert_true(back.run_end == 1796599578.813);
    assert_int_equal(back.exit_code, 65);
    assert_true(back.duration == 12.5);
    assert_true(back.last_success == 1796590000.25);
    assert_int_equal(back.docs_loaded, 7850484);
    assert_int_equal(back.docs_rejected, 3);
    assert_int_equal(back.hours_loaded, 2);
    assert_int_equal(back.hours_failed, 1);
    assert_true(back.oldest_incomplete == 1796583600);
    assert_true(back.lock_busy);
}

static void
test_label_is_escaped_and_other_jobs_ignored(void **state)
{
    char buf[FB_METRICS_FILE_MAX];
    struct fb_metrics m, back;
    int n;

    (void)state;
    sample_run(&m, "a\"b\\c\nd");
    n = fb_metrics_format(&m, buf, sizeof(buf));
    assert_true(n > 0);
    /* One line still: the newline went in escaped. */
    assert_non_null(
        strstr(buf, "\nforkbulk_lock_busy{job=\"a\\\"b\\\\c\\nd\"} 1\n"));
    fb_metrics_init(&back, "a\"b\\c\nd");
    assert_int_equal(fb_metrics_parse(buf, (size_t)n, &back), 10);
    assert_int_equal(back.docs_loaded, 7850484);
    fb_metrics_init(&back, "flows");
    assert_int_equal(fb_metrics_parse(buf, (size_t)n, &back), 0);
    assert_int_equal(back.docs_loaded, 0);
}

static void
test_too_small_a_buffer(void **state)
{
    char buf[100];
    struct fb_metrics m;

    (void)state;
    sample_run(&m, "flows");
    assert_int_equal(fb_metrics_format(&m, buf, sizeof(buf)), -1);
}

static void
test_write_keeps_what_a_run_could_not_know(void **state)
{
    char dir[] = "/tmp/fb-metrics-XXXXXX";
    char path[64], err[256];
    struct fb_metrics m;
    struct stat st;

    (void)state;
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/job.prom", dir);
    sample_run(&m, "flows");
    assert_int_equal(fb_metrics_write(path, &m, err, sizeof(err)), FB_EXIT_OK);
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0644);

    /* A busy lock: nothing known but the outcome. */
    fb_metrics_init(&m, "flows");
    m.exit_code = FB_EXIT_TEMPFAIL;
    m.lock_busy = true;
    assert_int_equal(fb_metrics_write(path, &m, err, sizeof(err)), FB_EXIT_OK);
    assert_true(m.last_success == 1796590000.25);
    assert_true(m.oldest_incomplete == 1796583600);

    /* A run that knows there is no incomplete hour says so; an older
     * success does not replace a newer one. */
    fb_metrics_init(&m, "flows");
    m.oldest_known = true;
    m.last_success = 1;
    assert_int_equal(fb_metrics_write(path, &m, err, sizeof(err)), FB_EXIT_OK);
    assert_true(m.last_success == 1796590000.25);
    assert_true(m.oldest_incomplete == 0);

    /* Another job's file keeps nothing. */
    fb_metrics_init(&m, "other");
    assert_int_equal(fb_metrics_write(path, &m, err, sizeof(err)), FB_EXIT_OK);
    assert_true(m.last_success == 0);
    unlink(path);
    rmdir(dir);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_format_then_parse),
        cmocka_unit_test(test_label_is_escaped_and_other_jobs_ignored),
        cmocka_unit_test(test_too_small_a_buffer),
        cmocka_unit_test(test_write_keeps_what_a_run_could_not_know),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
