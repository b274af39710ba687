/*
 * test_hours.c
 *    The hour arithmetic of the hourly job: a table of times parsed in UTC,
 *    Europe/Berlin (both DST changes of 2026) and Asia/Kolkata (+05:30),
 *    "last", --from/--to windows, durations, lookback windows, index names
 *    and every error message, exactly.  Expected instants were computed
 *    independently (Python's datetime) and are written as literal seconds.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "forkbulk/hours.h"

#define US(s) ((int64_t)(s)*INT64_C(1000000))

/* Instants used below, in seconds since the epoch. */
#define T_1127_03Z 1795748400   /* 2026-11-27T03:00Z */
#define T_1127_02Z 1795744800   /* 2026-11-27T02:00Z */
#define T_0701_01Z 1782867600   /* 2026-07-01T01:00Z */
#define T_0329_00Z 1774742400   /* 2026-03-29T00:00Z: Berlin 01 CET */
#define T_0329_01Z 1774746000   /* 2026-03-29T01:00Z: Berlin 03 CEST */
#define T_1025_00Z 1792886400   /* 2026-10-25T00:00Z: Berlin 02 CEST */
#define T_1025_01Z 1792890000   /* 2026-10-25T01:00Z: Berlin 02 CET */
#define T_1126_2130Z 1795728600 /* 2026-11-26T21:30Z: Kolkata 03:00 */
#define T_1127_0330Z 1795750200 /* 2026-11-27T03:30Z */
#define T_0229_2024 1709164800  /* 2024-02-29T00:00Z */
#define T_1101_00Z 1793491200   /* 2026-11-01T00:00Z */
#define T_1202_00Z 1796169600   /* 2026-12-02T00:00Z */
#define T_1202_01Z 1796173200   /* 2026-12-02T01:00Z */

static int
setup(void **state)
{
    (void)state;
    /* Error messages name the zone directory: use the default one. */
    unsetenv("TZDIR");
    unsetenv("TZ");
    return 0;
}

struct time_case {
    const char *tz;
    const char *in;
    int64_t want_s; /* when err is NULL */
    const char *err;
};

static const struct time_case time_cases[] = {
    {NULL, "2026-11-27T03", T_1127_03Z, NULL},
    {"", "2026-11-27T03:00", T_1127_03Z, NULL},
    {"UTC", "2026-11-27T03:00:00", T_1127_03Z, NULL},
    {NULL, "2026-11-27T03:00:00Z", T_1127_03Z, NULL},
    {NULL, "2026-11-27T03Z", T_1127_03Z, NULL},
    {NULL, "2026-11-27T04:00+01:00", T_1127_03Z, NULL},
    {NULL, "2026-11-27T00:00-03:00", T_1127_03Z, NULL},
    {NULL, "2026-11-27T08:30+05:30", T_1127_03Z, NULL},
    {NULL, "2026-11-27T03:30", T_1127_0330Z, NULL},
    {NULL, "2024-02-29T00", T_0229_2024, NULL},
    {NULL, "1970-01-01T00", 0, NULL},
    {"Europe/Berlin", "2026-11-27T03", T_1127_02Z, NULL},
    {"Europe/Berlin", "2026-07-01T03", T_0701_01Z, NULL},
    {"Europe/Berlin", "2026-11-27T03:00Z", T_1127_03Z, NULL},
    {"Europe/Berlin", "2026-03-29T01", T_0329_00Z, NULL},
    {"Europe/Berlin", "2026-03-29T03", T_0329_01Z, NULL},
    {"Europe/Berlin", "2026-10-25T02+02:00", T_1025_00Z, NULL},
    {"Europe/Berlin", "2026-10-25T02+01:00", T_1025_01Z, NULL},
    {"Europe/Berlin", "2026-10-25T01", T_1025_00Z - 3600, NULL},
    {"Europe/Berlin", "2026-10-25T03", T_1025_01Z + 3600, NULL},
    {"Asia/Kolkata", "2026-11-27T03", T_1126_2130Z, NULL},
    {"Europe/Berlin", "2026-03-29T02", 0,
     "\"2026-03-29T02\" does not exist in Europe/Berlin: the clocks skip it "
     "at a DST change"},
    {"Europe/Berlin", "2026-03-29T02:30:00", 0,
     "\"2026-03-29T02:30:00\" does not exist in Europe/Berlin: the clocks "
     "skip it at a DST change"},
    {"Europe/Berlin", "2026-10-25T02", 0,
     "\"2026-10-25T02\" is ambiguous in Europe/Berlin: it occurs twice at a "
     "DST change; add the offset: 2026-10-25T02+02:00 or "
     "2026-10-25T02+01:00"},
    {"America/New_York", "2026-11-01T01:30", 0,
     "\"2026-11-01T01:30\" is ambiguous in America/New_York: it occurs twice "
     "at a DST change; add the offset: 2026-11-01T01:30-04:00 or "
     "2026-11-01T01:30-05:00"},
    {"America/New_York", "2026-03-08T02", 0,
     "\"2026-03-08T02\" does not exist in America/New_York: the clocks skip "
     "it at a DST change"},
#define MALFORMED(s)                                                           \
    {                                                                          \
        NULL, s, 0,                                                            \
            "\"" s                                                             \
            "\" is not a time: expected YYYY-MM-DDTHH[:MM[:SS]][Z|+HH:MM]"     \
    }
    MALFORMED(""),
    MALFORMED("last"),
    MALFORMED("2026-11-27"),
    MALFORMED("2026-11-27 03"),
    MALFORMED("2026-11-27T3"),
    MALFORMED("2026-11-27T03:0"),
    MALFORMED("2026-11-27T03:00:00.5"),
    MALFORMED("2026-11-27T03:00:00+0100"),
    MALFORMED("2026-11-27T03:00:00+01"),
    MALFORMED("2026-11-27T03Zjunk"),
    MALFORMED("2026-11-27T03 "),
    MALFORMED("26-11-27T03"),
    {NULL, "2026-02-29T00", 0,
     "\"2026-02-29T00\" is not a valid time: 2026-02 has 28 days"},
    {NULL, "2026-11-31T00", 0,
     "\"2026-11-31T00\" is not a valid time: 2026-11 has 30 days"},
    {NULL, "2026-13-01T00", 0,
     "\"2026-13-01T00\" is not a valid time: month 13 is out of range"},
    {NULL, "2026-00-01T00", 0,
     "\"2026-00-01T00\" is not a valid time: month 00 is out of range"},
    {NULL, "2026-11-27T24", 0,
     "\"2026-11-27T24\" is not a valid time: the hour is out of range"},
    {NULL, "2026-11-27T03:60", 0,
     "\"2026-11-27T03:60\" is not a valid time: the minute is out of range"},
    {NULL, "2026-11-27T03:00:60", 0,
     "\"2026-11-27T03:00:60\" is not a valid time: the second is out of "
     "range"},
    {NULL, "2026-11-27T03+24:00", 0,
     "\"2026-11-27T03+24:00\" is not a valid time: the offset is out of "
     "range"},
    {NULL, "1969-12-31T23", 0,
     "\"1969-12-31T23\" is not a valid time: year 1969 is out of range "
     "(1970..9999)"},
    {"Europe/Berln", "2026-11-27T03", 0,
     "unknown timezone \"Europe/Berln\": no zone file "
     "/usr/share/zoneinfo/Europe/Berln"},
    {"zone.tab", "2026-11-27T03", 0,
     "unknown timezone \"zone.tab\": no zone file "
     "/usr/share/zoneinfo/zone.tab"},
    {"../../etc/passwd", "2026-11-27T03", 0,
     "timezone \"../../etc/passwd\" is not a tz database name (like "
     "Europe/Berlin)"},
    {"/etc/localtime", "2026-11-27T03", 0,
     "timezone \"/etc/localtime\" is not a tz database name (like "
     "Europe/Berlin)"},
    {"Europe/Berlin;x", "2026-11-27T03", 0,
     "timezone \"Europe/Berlin;x\" is not a tz database name (like "
     "Europe/Berlin)"},
};

static void
test_parse_time_table(void **state)
{
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(time_cases) / sizeof(time_cases[0]); i++) {
        const struct time_case *c = &time_cases[i];
        char err[512] = "untouched";
        int64_t got = -1;
        int rc = fb_hours_parse_time(c->in, c->tz, &got, err, sizeof(err));

        print_message("case %zu: tz=%s in=\"%s\"\n", i,
                      c->tz ? c->tz : "(null)", c->in);
        if (c->err == NULL) {
            assert_int_equal(rc, 0);
            assert_int_equal(got, US(c->want_s));
            assert_string_equal(err, "untouched");
        } else {
            assert_int_equal(rc, -1);
            assert_int_equal(got, -1);
            assert_string_equal(err, c->err);
        }
    }
}

static void
test_parse_hour(void **state)
{
    const int64_t now = US(T_1127_03Z + 4200); /* 04:10Z */
    char err[512] = "";
    int64_t got = 0;

    (void)state;
    assert_int_equal(
        fb_hours_parse_hour("2026-11-27T03", NULL, now, &got, err, 512), 0);
    assert_int_equal(got, US(T_1127_03Z));
    assert_int_equal(
        fb_hours_parse_hour("last", NULL, now, &got, err, sizeof(err)), 0);
    assert_int_equal(got, US(T_1127_03Z));
    assert_int_equal(fb_hours_parse_hour("last", "Asia/Kolkata", now, &got, err,
                                         sizeof(err)),
                     0);
    /* 04:10Z is 09:40 IST: the last complete hour is 08:00 IST = 02:30Z. */
    assert_int_equal(got, US(T_1127_03Z - 1800));
    assert_int_equal(fb_hours_parse_hour("2026-11-27T03", "Asia/Kolkata", now,
                                         &got, err, sizeof(err)),
                     0);
    assert_int_equal(got, US(T_1126_2130Z));

    assert_int_equal(fb_hours_parse_hour("2026-11-27T03:30", NULL, now, &got,
                                         err, sizeof(err)),
                     -1);
    assert_string_equal(err, "\"2026-11-27T03:30\" is not the start of an "
                             "hour in UTC (it is 03:30:00 there)");
    assert_int_equal(fb_hours_parse_hour("2026-11-27T03:00:01", NULL, now, &got,
                                         err, sizeof(err)),
                     -1);
    assert_string_equal(err, "\"2026-11-27T03:00:01\" is not the start of "
                             "an hour in UTC (it is 03:00:01 there)");
    assert_int_equal(fb_hours_parse_hour("2026-11-27T03:00+05:30", NULL, now,
                                         &got, err, sizeof(err)),
                     -1);
    assert_string_equal(err, "\"2026-11-27T03:00+05:30\" is not the start of "
                             "an hour in UTC (it is 21:30:00 there)");
    assert_int_equal(fb_hours_parse_hour("2026-11-27T03:00Z", "Asia/Kolkata",
                                         now, &got, err, sizeof(err)),
                     -1);
    assert_string_equal(err, "\"2026-11-27T03:00Z\" is not the start of an "
                             "hour in Asia/Kolkata (it is 08:30:00 there)");
    assert_int_equal(
        fb_hours_parse_hour("Last", NULL, now, &got, err, sizeof(err)), -1);
    assert_string_equal(err, "\"Last\" is not a time: expected "
                             "YYYY-MM-DDTHH[:MM[:SS]][Z|+HH:MM]");
    assert_int_equal(got, US(T_1126_2130Z));
}

static void
test_last(void **state)
{
    char err[256] = "";
    int64_t got = 0;

    (void)state;
    /* Mid-hour, exactly on the hour, one microsecond before it. */
    assert_int_equal(fb_hours_last(US(T_1127_03Z + 4200) + 500000, NULL, &got,
                                   err, sizeof(err)),
                     0);
    assert_int_equal(got, US(T_1127_03Z));
    assert_int_equal(
        fb_hours_last(US(T_1127_03Z + 3600), NULL, &got, err, sizeof(err)), 0);
    assert_int_equal(got, US(T_1127_03Z));
    assert_int_equal(
        fb_hours_last(US(T_1127_03Z + 3600) - 1, NULL, &got, err, sizeof(err)),
        0);
    assert_int_equal(got, US(T_1127_03Z - 3600));
    /* Berlin, 2026-10-25 01:30Z is the second 02:30 (CET): the last
     * complete hour is the first 02:00 (CEST), 3600 s earlier. */
    assert_int_equal(fb_hours_last(US(T_1025_01Z + 1800), "Europe/Berlin", &got,
                                   err, sizeof(err)),
                     0);
    assert_int_equal(got, US(T_1025_00Z));
    /* Berlin, 2026-03-29 01:30Z is 03:30 CEST: the last hour is 01 CET. */
    assert_int_equal(fb_hours_last(US(T_0329_01Z + 1800), "Europe/Berlin", &got,
                                   err, sizeof(err)),
                     0);
    assert_int_equal(got, US(T_0329_00Z));
    assert_int_equal(
        fb_hours_last(US(T_1127_03Z), "Mars/Olympus", &got, err, sizeof(err)),
        -1);
    assert_string_equal(err, "unknown timezone \"Mars/Olympus\": no zone file "
                             "/usr/share/zoneinfo/Mars/Olympus");
}

static void
expect_range(const char *from, const char *to, const char *tz, size_t max,
             int64_t want_from_s, int64_t want_to_s, size_t want_n)
{
    char err[512] = "";
    int64_t f = 0, t = 0;
    size_t n = 0;

    assert_int_equal(
        fb_hours_parse_range(from, to, tz, max, &f, &t, &n, err, sizeof(err)),
        0);
    assert_int_equal(f, US(want_from_s));
    assert_int_equal(t, US(want_to_s));
    assert_int_equal(n, want_n);
}

static void
expect_range_err(const char *from, const char *to, const char *tz, size_t max,
                 const char *want)
{
    char err[512] = "";
    int64_t f = -1, t = -1;
    size_t n = 99;

    assert_int_equal(
        fb_hours_parse_range(from, to, tz, max, &f, &t, &n, err, sizeof(err)),
        -1);
    assert_string_equal(err, want);
    assert_int_equal(f, -1);
    assert_int_equal(t, -1);
    assert_int_equal(n, 99);
}

static void
test_range(void **state)
{
    (void)state;
    expect_range("2026-11-27T00", "2026-11-27T03", NULL, 744,
                 T_1127_03Z - 3 * 3600, T_1127_03Z, 3);
    expect_range("2026-11-27T02", "2026-11-27T03", NULL, 744, T_1127_03Z - 3600,
                 T_1127_03Z, 1);
    /* Exactly the bound: 31 days. */
    expect_range("2026-11-01T00", "2026-12-02T00", NULL, 744, T_1101_00Z,
                 T_1202_00Z, 744);
    /* Berlin's local days around the DST changes: 23 and 25 hours. */
    expect_range("2026-03-29T00", "2026-03-30T00", "Europe/Berlin", 744,
                 T_0329_00Z - 3600, T_0329_00Z - 3600 + 23 * 3600, 23);
    expect_range("2026-10-25T00", "2026-10-26T00", "Europe/Berlin", 744,
                 T_1025_00Z - 2 * 3600, T_1025_00Z - 2 * 3600 + 25 * 3600, 25);

    expect_range_err("2026-11-01T00", "2026-12-02T01", NULL, 744,
                     "--from \"2026-11-01T00\" --to \"2026-12-02T01\" spans "
                     "745 hours, more than the 744 allowed");
    expect_range_err("2026-11-27T03", "2026-11-27T03", NULL, 744,
                     "--from \"2026-11-27T03\" is not before --to "
                     "\"2026-11-27T03\"");
    expect_range_err("2026-11-27T05", "2026-11-27T03", NULL, 744,
                     "--from \"2026-11-27T05\" is not before --to "
                     "\"2026-11-27T03\"");
    /* Same instant spelled two ways. */
    expect_range_err("2026-11-27T04+01:00", "2026-11-27T03", NULL, 744,
                     "--from \"2026-11-27T04+01:00\" is not before --to "
                     "\"2026-11-27T03\"");
    expect_range_err("2026-11-27T03", "2026-11-27T03:15", NULL, 744,
                     "--to: \"2026-11-27T03:15\" is not the start of an hour "
                     "in UTC (it is 03:15:00 there)");
    expect_range_err("2026-11-27", "2026-11-27T03", NULL, 744,
                     "--from: \"2026-11-27\" is not a time: expected "
                     "YYYY-MM-DDTHH[:MM[:SS]][Z|+HH:MM]");
    expect_range_err("2026-03-29T02", "2026-03-29T05", "Europe/Berlin", 744,
                     "--from: \"2026-03-29T02\" does not exist in "
                     "Europe/Berlin: the clocks skip it at a DST change");
    expect_range_err("2026-11-27T00", "2026-11-27T03", "Nowhere", 744,
                     "unknown timezone \"Nowhere\": no zone file "
                     "/usr/share/zoneinfo/Nowhere");
}

struct duration_case {
    const char *in;
    int64_t want_us;
    const char *err;
};

#define NOT_DURATION(s)                                                        \
    {                                                                          \
        s, 0,                                                                  \
            "\"" s                                                             \
            "\" is not a duration: expected a positive number followed by "    \
            "m, h or d (90m, 48h, 2d)"                                         \
    }

static const struct duration_case duration_cases[] = {
    {"48h", US(48 * 3600), NULL},
    {"90m", US(90 * 60), NULL},
    {"2d", US(2 * 86400), NULL},
    {"1m", US(60), NULL},
    {"366d", US(366 * 86400), NULL},
    {"8784h", US(8784 * 3600), NULL},
    {"0048h", US(48 * 3600), NULL},
    NOT_DURATION(""),
    NOT_DURATION("h"),
    NOT_DURATION("0h"),
    NOT_DURATION("48"),
    NOT_DURATION("5s"),
    NOT_DURATION("-1h"),
    NOT_DURATION("+1h"),
    NOT_DURATION("1.5h"),
    NOT_DURATION("48 h"),
    NOT_DURATION("48H"),
    NOT_DURATION("48hh"),
    {"367d", 0, "duration \"367d\" is longer than 366 days"},
    {"8785h", 0, "duration \"8785h\" is longer than 366 days"},
    {"99999999999999999999m", 0,
     "duration \"99999999999999999999m\" is longer than 366 days"},
};

static void
test_duration_table(void **state)
{
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(duration_cases) / sizeof(duration_cases[0]); i++) {
        const struct duration_case *c = &duration_cases[i];
        char err[256] = "untouched";
        int64_t got = -1;
        int rc = fb_hours_parse_duration(c->in, &got, err, sizeof(err));

        print_message("case %zu: \"%s\"\n", i, c->in);
        if (c->err == NULL) {
            assert_int_equal(rc, 0);
            assert_int_equal(got, c->want_us);
        } else {
            assert_int_equal(rc, -1);
            assert_int_equal(got, -1);
            assert_string_equal(err, c->err);
        }
    }
}

static void
test_lookback(void **state)
{
    const int64_t now = US(T_1127_03Z + 2 * 3600 + 600); /* 05:10Z */
    char err[256] = "";
    int64_t f = 0, t = 0;
    size_t n = 0;

    (void)state;
    assert_int_equal(fb_hours_lookback(now, US(48 * 3600), NULL, 744, &f, &t,
                                       &n, err, sizeof(err)),
                     0);
    assert_int_equal(t, US(T_1127_03Z + 2 * 3600));
    assert_int_equal(f, US(T_1127_03Z + 2 * 3600 - 48 * 3600));
    assert_int_equal(n, 48);
    assert_int_equal(fb_hours_lookback(now, US(90 * 60), NULL, 744, &f, &t, &n,
                                       err, sizeof(err)),
                     0);
    assert_int_equal(f, US(T_1127_03Z));
    assert_int_equal(t, US(T_1127_03Z + 2 * 3600));
    assert_int_equal(n, 2);
    assert_int_equal(
        fb_hours_lookback(now, US(60), NULL, 744, &f, &t, &n, err, sizeof(err)),
        0);
    assert_int_equal(f, US(T_1127_03Z + 3600));
    assert_int_equal(n, 1);
    /* Kolkata: hours start at :30 UTC; now 05:10Z is 10:40 IST. */
    assert_int_equal(fb_hours_lookback(now, US(2 * 3600), "Asia/Kolkata", 744,
                                       &f, &t, &n, err, sizeof(err)),
                     0);
    assert_int_equal(t, US(T_1127_03Z + 3600 + 1800));
    assert_int_equal(f, US(T_1127_03Z - 3600 + 1800));
    assert_int_equal(n, 2);
    /* Berlin across fall back: 24 h are 24 hours of UTC even though the
     * local clock only went from 05:00 to 04:00. */
    assert_int_equal(fb_hours_lookback(US(T_1025_01Z + 2 * 3600 + 600),
                                       US(24 * 3600), "Europe/Berlin", 744, &f,
                                       &t, &n, err, sizeof(err)),
                     0);
    assert_int_equal(t, US(T_1025_01Z + 2 * 3600));
    assert_int_equal(f, US(T_1025_01Z + 2 * 3600 - 24 * 3600));
    assert_int_equal(n, 24);

    f = t = -1;
    n = 99;
    assert_int_equal(fb_hours_lookback(now, US(2000 * 3600), NULL, 744, &f, &t,
                                       &n, err, sizeof(err)),
                     -1);
    assert_string_equal(err, "a lookback of 120000 minutes covers 2000 hours, "
                             "more than the 744 allowed");
    assert_int_equal(f, -1);
    assert_int_equal(n, 99);
    assert_int_equal(
        fb_hours_lookback(now, 0, NULL, 744, &f, &t, &n, err, sizeof(err)), -1);
    assert_string_equal(err, "the lookback must be positive");
}

static void
expect_index(const char *pattern, int64_t hour_s, const char *tz,
             const char *want)
{
    char out[FB_ES_INDEX_MAX + 1];
    char err[512] = "";

    memset(out, 'x', sizeof(out));
    assert_int_equal(fb_hours_index_name(pattern, US(hour_s), tz, out,
                                         sizeof(out), err, sizeof(err)),
                     0);
    assert_string_equal(out, want);
}

static void
expect_index_err(const char *pattern, int64_t hour_s, const char *tz,
                 size_t cap, const char *want)
{
    char out[FB_ES_INDEX_MAX + 1] = "untouched";
    char err[1024] = "";

    assert_true(cap <= sizeof(out));
    assert_int_equal(fb_hours_index_name(pattern, US(hour_s), tz, out, cap, err,
                                         sizeof(err)),
                     -1);
    assert_string_equal(err, want);
    assert_string_equal(out, "untouched");
}

static void
test_index_name(void **state)
{
    char longpat[300];

    (void)state;
    expect_index("flows-%Y.%m.%d.%H", T_1127_03Z, NULL, "flows-2026.11.27.03");
    expect_index("flows-%Y.%m.%d.%H", T_1127_03Z, "Europe/Berlin",
                 "flows-2026.11.27.04");
    expect_index("flows-%Y.%m.%d.%H", T_1127_03Z, "Asia/Kolkata",
                 "flows-2026.11.27.08");
    expect_index("netflow-%Y%m%d-%H", T_1127_03Z, NULL, "netflow-20261127-03");
    /* Spring forward: 01 CET is followed, 3600 s later, by 03 CEST. */
    expect_index("flows-%Y.%m.%d.%H", T_0329_00Z, "Europe/Berlin",
                 "flows-2026.03.29.01");
    expect_index("flows-%Y.%m.%d.%H", T_0329_01Z, "Europe/Berlin",
                 "flows-2026.03.29.03");
    /* Fall back: two hours labelled 02 share the default name; %z keeps
     * them apart. */
    expect_index("flows-%Y.%m.%d.%H", T_1025_00Z, "Europe/Berlin",
                 "flows-2026.10.25.02");
    expect_index("flows-%Y.%m.%d.%H", T_1025_01Z, "Europe/Berlin",
                 "flows-2026.10.25.02");
    expect_index("flows-%Y.%m.%d.%H%z", T_1025_00Z, "Europe/Berlin",
                 "flows-2026.10.25.02+0200");
    expect_index("flows-%Y.%m.%d.%H%z", T_1025_01Z, "Europe/Berlin",
                 "flows-2026.10.25.02+0100");

    expect_index_err("Flows-%Y", T_1127_03Z, NULL, 256,
                     "index name \"Flows-2026\" from pattern \"Flows-%Y\" is "
                     "not valid: it must be lowercase");
    expect_index_err("flows-%Z", T_1127_03Z, "Europe/Berlin", 256,
                     "index name \"flows-CET\" from pattern \"flows-%Z\" is "
                     "not valid: it must be lowercase");
    expect_index_err("flows %Y", T_1127_03Z, NULL, 256,
                     "index name \"flows 2026\" from pattern \"flows %Y\" is "
                     "not valid: it must not contain ' '");
    expect_index_err("flows-%H:%M", T_1127_03Z, NULL, 256,
                     "index name \"flows-03:00\" from pattern \"flows-%H:%M\" "
                     "is not valid: it must not contain ':'");
    expect_index_err("flows/%Y", T_1127_03Z, NULL, 256,
                     "index name \"flows/2026\" from pattern \"flows/%Y\" is "
                     "not valid: it must not contain '/'");
    expect_index_err("_flows-%Y", T_1127_03Z, NULL, 256,
                     "index name \"_flows-2026\" from pattern \"_flows-%Y\" "
                     "is not valid: it must not start with '_'");
    expect_index_err("%z-x", T_1127_03Z, NULL, 256,
                     "index name \"+0000-x\" from pattern \"%z-x\" is not "
                     "valid: it must not start with '+'");
    expect_index_err("..", T_1127_03Z, NULL, 256,
                     "index name \"..\" from pattern \"..\" is not valid: it "
                     "must not be \".\" or \"..\"");
    expect_index_err("", T_1127_03Z, NULL, 256, "the index pattern is empty");
    memset(longpat, 'a', sizeof(longpat) - 1);
    longpat[sizeof(longpat) - 1] = '\0';
    {
        char want[512];

        snprintf(want, sizeof(want),
                 "index pattern \"%s\" gives an empty name or one longer "
                 "than 255 bytes",
                 longpat);
        expect_index_err(longpat, T_1127_03Z, NULL, 256, want);
    }
    expect_index_err("flows-%Y.%m.%d.%H", T_1127_03Z, NULL, 19,
                     "index name \"flows-2026.11.27.03\" does not fit in 19 "
                     "bytes");
    expect_index("flows-%Y.%m.%d.%H", T_1127_03Z, NULL, "flows-2026.11.27.03");
}

static void
test_format(void **state)
{
    char out[32];

    (void)state;
    assert_int_equal(fb_hours_format(US(T_1127_03Z), NULL, out, sizeof(out)),
                     0);
    assert_string_equal(out, "2026-11-27T03:00:00Z");
    assert_int_equal(
        fb_hours_format(US(T_1127_03Z), "Europe/Berlin", out, sizeof(out)), 0);
    assert_string_equal(out, "2026-11-27T04:00:00+01:00");
    assert_int_equal(
        fb_hours_format(US(T_1025_00Z), "Europe/Berlin", out, sizeof(out)), 0);
    assert_string_equal(out, "2026-10-25T02:00:00+02:00");
    assert_int_equal(
        fb_hours_format(US(T_1127_03Z), "Asia/Kolkata", out, sizeof(out)), 0);
    assert_string_equal(out, "2026-11-27T08:30:00+05:30");
    assert_int_equal(
        fb_hours_format(US(T_1127_03Z), "America/New_York", out, sizeof(out)),
        0);
    assert_string_equal(out, "2026-11-26T22:00:00-05:00");
    assert_int_equal(fb_hours_format(US(T_1127_03Z), NULL, out, 20), -1);
}

/* The caller's TZ is the same after every call, success or failure. */
static void
test_tz_restored(void **state)
{
    char err[256] = "";
    int64_t got = 0;

    (void)state;
    assert_int_equal(setenv("TZ", "America/New_York", 1), 0);
    assert_int_equal(fb_hours_parse_time("2026-11-27T03", "Europe/Berlin", &got,
                                         err, sizeof(err)),
                     0);
    assert_string_equal(getenv("TZ"), "America/New_York");
    assert_int_equal(fb_hours_parse_time("2026-03-29T02", "Europe/Berlin", &got,
                                         err, sizeof(err)),
                     -1);
    assert_string_equal(getenv("TZ"), "America/New_York");
    assert_int_equal(unsetenv("TZ"), 0);
    assert_int_equal(fb_hours_parse_time("2026-11-27T03", "Europe/Berlin", &got,
                                         err, sizeof(err)),
                     0);
    assert_null(getenv("TZ"));
    /* A TZ of the environment does not leak into UTC parsing. */
    assert_int_equal(setenv("TZ", "Asia/Kolkata", 1), 0);
    assert_int_equal(
        fb_hours_parse_time("2026-11-27T03", NULL, &got, err, sizeof(err)), 0);
    assert_int_equal(got, US(T_1127_03Z));
    assert_int_equal(unsetenv("TZ"), 0);
    assert_int_equal(fb_hours_check_timezone("UTC", err, sizeof(err)), 0);
    assert_int_equal(fb_hours_check_timezone("Etc/UTC", err, sizeof(err)), 0);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_parse_time_table, setup),
        cmocka_unit_test_setup(test_parse_hour, setup),
        cmocka_unit_test_setup(test_last, setup),
        cmocka_unit_test_setup(test_range, setup),
        cmocka_unit_test_setup(test_duration_table, setup),
        cmocka_unit_test_setup(test_lookback, setup),
        cmocka_unit_test_setup(test_index_name, setup),
        cmocka_unit_test_setup(test_format, setup),
        cmocka_unit_test_setup(test_tz_restored, setup),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
