/*
 * test_publish.c
 *    The names of publishing by alias: which index a generation belongs
 *    to, and the direct target (the cluster is not asked).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <string.h>

#include "forkbulk/options.h"
#include "forkbulk/publish.h"

static void
test_name_of_a_generation(void **state)
{
    static const struct {
        const char *index;
        const char *name; /* NULL: not a generation */
    } cases[] = {
        {"flows-2026.11.27.03.g1", "flows-2026.11.27.03"},
        {"flows-2026.11.27.03.g12", "flows-2026.11.27.03"},
        {"x.g.g7", "x.g"},
        {"x.g0", NULL},  /* generations start at 1 */
        {"x.g01", NULL}, /* no leading zero */
        {"x.g", NULL},
        {"x.g2a", NULL},
        {".g3", NULL}, /* no name */
        {"flows-2026.11.27.03", NULL},
        {"flows", NULL},
        {"x.h3", NULL},
    };
    char name[64];

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        bool is = fb_publish_name_of(cases[i].index, name, sizeof(name));

        assert_int_equal(is, cases[i].name != NULL);
        assert_string_equal(name, cases[i].name ? cases[i].name : "");
    }
    /* A name that does not fit is not taken. */
    assert_false(fb_publish_name_of("abcdefgh.g1", name, 8));
    assert_string_equal(name, "");
}

static void
test_direct_target_is_the_name(void **state)
{
    struct fb_options opts;
    char index[64];

    (void)state;
    memset(&opts, 0, sizeof(opts));
    opts.publish = FB_PUBLISH_DIRECT;
    assert_int_equal(
        fb_publish_target(&opts, "flows-2026.11.27.03", index, sizeof(index)),
        0);
    assert_string_equal(index, "flows-2026.11.27.03");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_name_of_a_generation),
        cmocka_unit_test(test_direct_target_is_the_name),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
