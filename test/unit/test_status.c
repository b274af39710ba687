/*
 * test_status.c
 *    Exit-code ordering: the worst outcome of a run wins.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "forkbulk/status.h"

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

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_worse_prefers_failure),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
