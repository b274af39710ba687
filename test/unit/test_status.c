/*
 * test_status.c
 *    Exit codes: the worst outcome of a run wins, and every code has its
 *    meaning and its --help line in the one table.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "forkbulk/status.h"

/* Every code of enum fb_exit with its rank, in numeric order (the order
 * of --help); the ranking is a contract with the supervisor (a worker's
 * exit never hides a worse one). */
static const struct {
    int code;
    int severity;
} ranks[] = {
    {FB_EXIT_OK, 0},       {FB_EXIT_USAGE, 7},       {FB_EXIT_DATAERR, 1},
    {FB_EXIT_NOINPUT, 4},  {FB_EXIT_UNAVAILABLE, 3}, {FB_EXIT_SOFTWARE, 6},
    {FB_EXIT_OSERR, 5},    {FB_EXIT_CANTCREAT, 4},   {FB_EXIT_IOERR, 4},
    {FB_EXIT_TEMPFAIL, 2}, {FB_EXIT_CONFIG, 7},      {FB_EXIT_SIGINT, 8},
    {FB_EXIT_SIGTERM, 8},
};

#define N_RANKS (sizeof(ranks) / sizeof(ranks[0]))

static void
test_worse_prefers_failure(void **state)
{
    (void)state;
    assert_int_equal(fb_exit_worse(FB_EXIT_OK, FB_EXIT_DATAERR),
                     FB_EXIT_DATAERR);
    assert_int_equal(fb_exit_worse(FB_EXIT_DATAERR, FB_EXIT_OK),
                     FB_EXIT_DATAERR);
    assert_int_equal(fb_exit_worse(FB_EXIT_DATAERR, FB_EXIT_UNAVAILABLE),
                     FB_EXIT_UNAVAILABLE);
    assert_int_equal(fb_exit_worse(FB_EXIT_SOFTWARE, FB_EXIT_UNAVAILABLE),
                     FB_EXIT_SOFTWARE);
    assert_int_equal(fb_exit_worse(FB_EXIT_SOFTWARE, FB_EXIT_SIGTERM),
                     FB_EXIT_SIGTERM);
}

static void
test_severity_of_every_code(void **state)
{
    (void)state;
    for (size_t i = 0; i < N_RANKS; i++)
        assert_int_equal(fb_exit_severity(ranks[i].code), ranks[i].severity);
    /* An unknown code counts as an internal error. */
    assert_int_equal(fb_exit_severity(1), 6);
    assert_int_equal(fb_exit_severity(255), 6);
    /* Equal ranks keep the first. */
    assert_int_equal(fb_exit_worse(FB_EXIT_USAGE, FB_EXIT_CONFIG),
                     FB_EXIT_USAGE);
    assert_int_equal(fb_exit_worse(FB_EXIT_IOERR, FB_EXIT_NOINPUT),
                     FB_EXIT_IOERR);
}

/* Every code has a meaning and exactly one help line, in table order. */
static void
test_meaning_and_help_of_every_code(void **state)
{
    char line[256];
    size_t lines = 0;
    FILE *f = tmpfile();

    (void)state;
    assert_non_null(f);
    for (size_t i = 0; i < N_RANKS; i++)
        assert_string_not_equal(fb_exit_meaning(ranks[i].code), "unknown");
    assert_string_equal(fb_exit_meaning(FB_EXIT_DATAERR),
                        "incomplete: rejects over --max-rejects");
    assert_string_equal(fb_exit_meaning(1), "unknown");
    fb_exit_print_help(f);
    rewind(f);
    assert_non_null(fgets(line, sizeof(line), f));
    assert_string_equal(line, "Exit codes:\n");
    while (fgets(line, sizeof(line), f) != NULL) {
        int code = -1, n = 0;

        assert_int_equal(sscanf(line, "%d  %n", &code, &n), 1);
        assert_true(n > 0 && line[n] != '\n');
        assert_int_equal(code, ranks[lines].code);
        lines++;
    }
    assert_int_equal(lines, N_RANKS);
    fclose(f);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_worse_prefers_failure),
        cmocka_unit_test(test_severity_of_every_code),
        cmocka_unit_test(test_meaning_and_help_of_every_code),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
