/*
 * test_pg_conn.c
 *    The parts of the PostgreSQL connection layer that need no server:
 *    finding a password in --pg as libpq itself reads it, and the exact
 *    timestamptz text that carries an hour to the server.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "forkbulk/pg_conn.h"
#include "forkbulk/status.h"

/* has_password(s) with no error expected. */
static bool
has_password(const char *conninfo)
{
    char err[256] = "";
    bool has = true;

    assert_int_equal(
        fb_pg_conninfo_has_password(conninfo, &has, err, sizeof(err)), 0);
    assert_string_equal(err, "");
    return has;
}

static void
test_keyword_value(void **state)
{
    (void)state;
    assert_true(has_password("host=db password=x"));
    assert_true(has_password("password=x"));
    assert_true(has_password("host=db  password = x  dbname=flows"));
    assert_false(has_password("host=db user=loader dbname=flows"));
    assert_false(has_password("host=db password="));
    assert_false(has_password("host=db password=''"));
    /* A value that only looks like one is not a password. */
    assert_false(has_password("host=db application_name='password=x'"));
    assert_false(has_password("host=db passfile=/etc/forkbulk/pgpass"));
}

static void
test_quoted_values(void **state)
{
    (void)state;
    assert_true(has_password("host=db password='p w'"));
    assert_true(has_password("host=db password='it\\'s'"));
    assert_true(has_password("password='x' host=db"));
    assert_false(has_password("host='db password=x'"));
}

static void
test_uri(void **state)
{
    (void)state;
    assert_true(has_password("postgresql://u:x@db/flows"));
    assert_true(has_password("postgres://u:s%40cret@db:5433/flows"));
    assert_true(has_password("postgresql://db/flows?password=x"));
    assert_true(has_password("postgresql://u@db/flows?sslmode=require&"
                             "password=x"));
    assert_false(has_password("postgresql://u@db/flows"));
    assert_false(has_password("postgresql://u:@db/flows"));
    assert_false(has_password("postgresql:///flows?host=/run/postgresql"));
}

static void
test_no_password(void **state)
{
    (void)state;
    assert_false(has_password(NULL));
    assert_false(has_password(""));
    /* No '=' and no URI prefix: to libpq (expand_dbname) a database name,
     * whatever it says. */
    assert_false(has_password("flows"));
    assert_false(has_password("password"));
}

/* The error of a malformed string: libpq's own message, on one line. */
static void
assert_malformed(const char *conninfo, const char *message)
{
    char err[256] = "";
    bool has = true;

    assert_int_equal(
        fb_pg_conninfo_has_password(conninfo, &has, err, sizeof(err)),
        FB_EXIT_USAGE);
    assert_false(has);
    assert_string_equal(err, message);
}

static void
test_malformed(void **state)
{
    (void)state;
    assert_malformed("host=db password='x",
                     "unterminated quoted string in connection info string");
    assert_malformed("host=db junk",
                     "missing \"=\" after \"junk\" in connection info string");
    assert_malformed("host=db nosuch=1",
                     "invalid connection option \"nosuch\"");
    assert_malformed("postgresql://u:x@[::1/flows",
                     "end of string reached when looking for matching \"]\" "
                     "in IPv6 host address in URI: "
                     "\"postgresql://u:x@[::1/flows\"");
}

static void
test_format_us(void **state)
{
    char out[FB_PG_TIME_MAX];

    (void)state;
    fb_pg_format_us(INT64_C(1795748400000000), out, sizeof(out));
    assert_string_equal(out, "2026-11-27 03:00:00.000000+00");
    fb_pg_format_us(INT64_C(1795748400000001), out, sizeof(out));
    assert_string_equal(out, "2026-11-27 03:00:00.000001+00");
    fb_pg_format_us(0, out, sizeof(out));
    assert_string_equal(out, "1970-01-01 00:00:00.000000+00");
    fb_pg_format_us(-1, out, sizeof(out));
    assert_string_equal(out, "1969-12-31 23:59:59.999999+00");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_keyword_value),
        cmocka_unit_test(test_quoted_values),
        cmocka_unit_test(test_uri),
        cmocka_unit_test(test_no_password),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_format_us),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
