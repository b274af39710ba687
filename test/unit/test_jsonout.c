/*
 * test_jsonout.c
 *    Bounded JSON string writing: escapes, UTF-8, and never past the end.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "forkbulk/jsonout.h"

static void
assert_escapes(const char *in, size_t len, const char *want)
{
    char out[256];
    size_t pos = 0;

    assert_int_equal(fb_json_escape(out, sizeof(out), &pos, in, len), 0);
    assert_int_equal(pos, strlen(want));
    assert_memory_equal(out, want, pos);
}

static void
test_escapes(void **state)
{
    (void)state;
    assert_escapes("plain", 5, "\"plain\"");
    assert_escapes("a\"b\\c", 5, "\"a\\\"b\\\\c\"");
    assert_escapes("\n\r\t\b\f", 5, "\"\\n\\r\\t\\b\\f\"");
    assert_escapes("\x01\x1f", 2, "\"\\u0001\\u001f\"");
    assert_escapes("", 0, "\"\"");
}

static void
test_utf8_kept_invalid_replaced(void **state)
{
    (void)state;
    /* é, €, 😀 are copied; a lone Latin-1 byte, a truncated sequence, an
     * overlong form and an encoded surrogate each become U+FFFD. */
    assert_escapes("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", 14,
                   "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"");
    assert_escapes("caf\xe9", 4, "\"caf\\ufffd\"");
    assert_escapes("\xe2\x82", 2, "\"\\ufffd\\ufffd\"");
    assert_escapes("\xc0\xaf", 2, "\"\\ufffd\\ufffd\"");
    assert_escapes("\xed\xa0\x80", 3, "\"\\ufffd\\ufffd\\ufffd\"");
    assert_escapes("\xf4\x90\x80\x80", 4, "\"\\ufffd\\ufffd\\ufffd\\ufffd\"");
}

static void
test_never_past_capacity(void **state)
{
    const char *in = "ab\"\x01\xe9z";
    const char *want = "\"ab\\\"\\u0001\\ufffdz\"";
    size_t need = strlen(want);
    char out[64];

    (void)state;
    for (size_t cap = 0; cap < need; cap++) {
        size_t pos = 0;

        memset(out, 'X', sizeof(out));
        assert_int_equal(fb_json_escape(out, cap, &pos, in, strlen(in)), -1);
        assert_int_equal(pos, 0);
        assert_int_equal(out[cap], 'X');
    }
    assert_escapes(in, strlen(in), want);
}

static void
test_utf8_valid(void **state)
{
    (void)state;
    assert_true(fb_utf8_valid("", 0));
    assert_true(fb_utf8_valid("caf\xc3\xa9 \xf0\x9f\x98\x80", 10));
    assert_false(fb_utf8_valid("caf\xe9", 4));
    assert_false(fb_utf8_valid("\xc0\xaf", 2));
    assert_false(fb_utf8_valid("\xed\xa0\x80", 3));
    assert_false(fb_utf8_valid("ok\xe2\x82", 4));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_escapes),
        cmocka_unit_test(test_utf8_kept_invalid_replaced),
        cmocka_unit_test(test_never_past_capacity),
        cmocka_unit_test(test_utf8_valid),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
