/*
 * test_pg_conn.c
 *    The parts of the PostgreSQL connection layer that need no server:
 *    finding a password in --pg as libpq itself reads it, and the exact
 *    timestamptz text that carries an hour to the server, and how a table
 *    name splits into schema and name.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
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

/* table splits into schema (NULL: none) and name. */
static void
assert_split(const char *table, const char *schema, const char *name)
{
    char err[256] = "";
    char *s = NULL;
    char *n = NULL;

    assert_int_equal(fb_pg_split_table(table, &s, &n, err, sizeof err), 0);
    if (schema == NULL)
        assert_null(s);
    else
        assert_string_equal(s, schema);
    assert_string_equal(n, name);
    free(s);
    free(n);
}

static void
assert_bad_name(const char *table, const char *message)
{
    char err[256] = "";
    char *s = NULL;
    char *n = NULL;

    assert_int_equal(fb_pg_split_table(table, &s, &n, err, sizeof err),
                     FB_EXIT_CONFIG);
    assert_null(s);
    assert_null(n);
    assert_string_equal(err, message);
}

static void
test_split_table(void **state)
{
    (void)state;
    assert_split("flows", NULL, "flows");
    assert_split("public.flows", "public", "flows");
    /* Unquoted: as written, case included (not folded as in SQL). */
    assert_split("Public.Flows", "Public", "Flows");
    /* Quoted: exact, dots and doubled quotes included. */
    assert_split("\"My.Schema\".\"We\"\"ird\"", "My.Schema", "We\"ird");
    assert_split("\"a.b\"", NULL, "a.b");
    assert_split("s.\"T\"", "s", "T");
    assert_split("\"S\".t", "S", "t");
    /* Any other byte is part of an unquoted name. */
    assert_split("odd\"t$1", NULL, "odd\"t$1");
    assert_split("\xc3\x89t\xc3\xa9", NULL, "\xc3\x89t\xc3\xa9");
    assert_bad_name("", "table name []: an empty name");
    assert_bad_name("s.", "table name [s.]: an empty name");
    assert_bad_name(".t", "table name [.t]: an empty name");
    assert_bad_name("\"\"", "table name [\"\"]: an empty name");
    assert_bad_name("\"abc", "table name [\"abc]: a quoted name has no "
                             "closing quote");
    assert_bad_name("\"a\"b", "table name [\"a\"b]: text after a closing "
                              "quote");
    assert_bad_name("db.s.t",
                    "table name [db.s.t]: more parts than schema.table");
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
        cmocka_unit_test(test_split_table),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
