/*
 * test_timefield.c
 *    A record's time and index from its time field: every accepted form
 *    of ISO 8601 and epoch time, the auto rule's threshold, each format,
 *    the exact reason of every refusal, DST changes in Europe/Berlin, the
 *    hour cache at hour edges and across more hours than it keeps.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "forkbulk/options.h"
#include "forkbulk/timefield.h"

#define PATTERN "flows-%Y.%m.%d.%H"
#define S INT64_C(1000000)
/* 2026-11-27T03:04:05Z */
#define T_1127 (INT64_C(1795748645) * S)

static struct fb_timefield *
make(int format, const char *tz)
{
    struct fb_timefield *tf = fb_timefield_new("ts", format, PATTERN, tz);

    assert_non_null(tf);
    return tf;
}

/* The time of {"ts":<value>}; -1 with err on a refusal. */
static int
time_of(struct fb_timefield *tf, const char *value, int64_t *us, char *err,
        size_t errlen)
{
    char doc[256];
    int n = snprintf(doc, sizeof(doc), "{\"id\":1,\"ts\":%s}", value);

    return fb_timefield_time(tf, doc, (size_t)n, us, err, errlen);
}

static void
assert_time(struct fb_timefield *tf, const char *value, int64_t want)
{
    char err[512] = "";
    int64_t us = 0;

    if (time_of(tf, value, &us, err, sizeof(err)) != 0)
        fail_msg("%s: %s", value, err);
    if (us != want)
        fail_msg("%s: %lld, not %lld", value, (long long)us, (long long)want);
}

static void
assert_refused(struct fb_timefield *tf, const char *value, const char *why)
{
    char err[512] = "";
    int64_t us = 0;

    assert_int_equal(time_of(tf, value, &us, err, sizeof(err)), -1);
    assert_string_equal(err, why);
}

static void
assert_index(struct fb_timefield *tf, const char *value, const char *want)
{
    char doc[256], err[512] = "";
    const char *index = NULL;
    int n = snprintf(doc, sizeof(doc), "{\"ts\":%s}", value);

    if (fb_timefield_index(tf, doc, (size_t)n, &index, err, sizeof(err)) != 0)
        fail_msg("%s: %s", value, err);
    assert_string_equal(index, want);
}

static void
test_iso_forms(void **state)
{
    struct fb_timefield *tf = make(FB_TIME_AUTO, NULL);

    (void)state;
    assert_time(tf, "\"2026-11-27T03:04:05Z\"", T_1127);
    assert_time(tf, "\"2026-11-27t03:04:05z\"", T_1127);
    assert_time(tf, "\"2026-11-27 03:04:05\"", T_1127); /* local: UTC */
    assert_time(tf, "\"2026-11-27T03:04\"", T_1127 - 5 * S);
    assert_time(tf, "\"2026-11-27T03:04:05.123+01:00\"",
                T_1127 - 3600 * S + 123000);
    assert_time(tf, "\"2026-11-27T03:04:05,5+0100\"",
                T_1127 - 3600 * S + 500000);
    assert_time(tf, "\"2026-11-27T03:04:05.123456789+01\"",
                T_1127 - 3600 * S + 123456);
    assert_time(tf, "\"2026-11-27T03:04:05-05:30\"", T_1127 + 19800 * S);
    /* An escape is read as what it stands for. */
    assert_time(tf, "\"2026-11-27T03:04:05\\u005a\"", T_1127);
    /* The same hour again, as written with another zone. */
    assert_time(tf, "\"2026-11-27T03:59:59.999999Z\"",
                T_1127 + (55 * 60 + 54) * S + 999999);
    fb_timefield_free(tf);
}

static void
test_epoch_forms(void **state)
{
    struct fb_timefield *tf = make(FB_TIME_AUTO, "Europe/Berlin");

    (void)state;
    assert_time(tf, "1795748645", T_1127);
    assert_time(tf, "1795748645123", T_1127 + 123000);
    assert_time(tf, "1795748645.25", T_1127 + 250000);
    assert_time(tf, "\"1795748645\"", T_1127);
    assert_time(tf, "\"1795748645123\"", T_1127 + 123000);
    /* auto: below 10^11 seconds, from there on milliseconds. */
    assert_time(tf, "99999999999", INT64_C(99999999999) * S);
    assert_time(tf, "100000000000", INT64_C(100000000) * S);
    assert_time(tf, "0", 0);
    fb_timefield_free(tf);

    tf = make(FB_TIME_EPOCH_MS, NULL);
    assert_time(tf, "1000", S);
    assert_time(tf, "\"1795748645123\"", T_1127 + 123000);
    assert_time(tf, "1.5", 1500);
    fb_timefield_free(tf);

    tf = make(FB_TIME_EPOCH_S, NULL);
    assert_time(tf, "100000000000", INT64_C(100000000000) * S);
    assert_time(tf, "\"0001795748645\"", T_1127);
    fb_timefield_free(tf);
}

static void
test_refusals(void **state)
{
    struct fb_timefield *tf = make(FB_TIME_AUTO, NULL);
    char doc[] = "{\"id\":1}";
    char err[512];
    int64_t us;

    (void)state;
    assert_int_equal(
        fb_timefield_time(tf, doc, strlen(doc), &us, err, sizeof(err)), -1);
    assert_string_equal(err, "time field [ts] is missing");
    assert_refused(tf, "{\"t\":1}", "time field [ts] is an object");
    assert_refused(tf, "null", "time field [ts] is null");
    assert_refused(tf, "true", "time field [ts] is a boolean");
    assert_refused(tf, "[1]", "time field [ts] is an array");
    assert_refused(tf, "\"yesterday\"",
                   "time field [ts] \"yesterday\" is not ISO 8601 or epoch "
                   "seconds/milliseconds");
    assert_refused(tf, "\"2026-11-27\"",
                   "time field [ts] \"2026-11-27\" is not ISO 8601 or epoch "
                   "seconds/milliseconds");
    assert_refused(tf, "\"2026-11-27T03:04:05+01:75\"",
                   "time field [ts] \"2026-11-27T03:04:05+01:75\" is not ISO "
                   "8601 or epoch seconds/milliseconds");
    assert_refused(tf, "1.7e9",
                   "time field [ts] 1.7e9 is not ISO 8601 or epoch "
                   "seconds/milliseconds");
    assert_refused(
        tf, "\"2026-11-27T03:04:05Z and then some more text to make it long\"",
        "time field [ts] \"2026-11-27T03:04:05Z and then some more text to "
        "make it long\" is not ISO 8601 or epoch seconds/milliseconds");
    assert_refused(tf,
                   "\"2026-11-27T03:04:05Z and then some more text to make it "
                   "longer than sixty-four\"",
                   "time field [ts] \"2026-11-27T03:04:05Z and then some more "
                   "text to make it longer ... is not ISO 8601 or epoch "
                   "seconds/milliseconds");
    assert_refused(tf, "-5",
                   "time field [ts] -5 is out of range (years 1970 to 9999)");
    assert_refused(tf, "253402300800000",
                   "time field [ts] 253402300800000 is out of range (years "
                   "1970 to 9999)");
    assert_refused(tf, "12345678901234567890",
                   "time field [ts] 12345678901234567890 is out of range "
                   "(years 1970 to 9999)");
    assert_refused(tf, "\"1969-12-31T23:59:59Z\"",
                   "time field [ts]: \"1969-12-31T23:59:59+00:00\" is not a "
                   "valid time: year 1969 is out of range (1970..9999)");
    assert_refused(tf, "\"2026-02-30T03:04:05Z\"",
                   "time field [ts]: \"2026-02-30T03:04:05+00:00\" is not a "
                   "valid time: 2026-02 has 28 days");
    assert_refused(tf, "\"2026-11-27T03:61:05Z\"",
                   "time field [ts]: \"2026-11-27T03:61:05+00:00\" is not a "
                   "valid time: the minute is out of range");
    fb_timefield_free(tf);

    tf = make(FB_TIME_ISO8601, NULL);
    assert_refused(tf, "1795748645",
                   "time field [ts] 1795748645 is not ISO 8601");
    assert_refused(tf, "\"1795748645\"",
                   "time field [ts] \"1795748645\" is not ISO 8601");
    fb_timefield_free(tf);
    tf = make(FB_TIME_EPOCH_S, NULL);
    assert_refused(tf, "\"2026-11-27T03:04:05Z\"",
                   "time field [ts] \"2026-11-27T03:04:05Z\" is not epoch "
                   "seconds");
    assert_refused(tf, "253402300800",
                   "time field [ts] 253402300800 is out of range (years 1970 "
                   "to 9999)");
    fb_timefield_free(tf);
    tf = make(FB_TIME_EPOCH_MS, NULL);
    assert_refused(tf, "\"soon\"",
                   "time field [ts] \"soon\" is not epoch milliseconds");
    fb_timefield_free(tf);
}

/* Local times in Europe/Berlin: the hour each is in, and the two DST
 * changes of 2026 (29 March 02:00 -> 03:00, 25 October 03:00 -> 02:00). */
static void
test_local_times_and_dst(void **state)
{
    struct fb_timefield *tf = make(FB_TIME_AUTO, "Europe/Berlin");

    (void)state;
    assert_time(tf, "\"2026-11-27 03:04:05\"", T_1127 - 3600 * S);
    assert_time(tf, "\"2026-11-27T03:04:06\"", T_1127 - 3600 * S + S);
    assert_index(tf, "\"2026-11-27 03:04:05\"", "flows-2026.11.27.03");
    /* An offset or an epoch time is placed by its local hour there. */
    assert_index(tf, "\"2026-11-27T03:04:05Z\"", "flows-2026.11.27.04");
    assert_index(tf, "1795748645", "flows-2026.11.27.04");
    assert_time(tf, "\"2026-03-29 01:59:59\"", INT64_C(1774745999) * S);
    assert_time(tf, "\"2026-03-29 03:00:00\"", INT64_C(1774746000) * S);
    assert_refused(tf, "\"2026-03-29 02:30:00\"",
                   "time field [ts]: \"2026-03-29T02:30:00\" does not exist in "
                   "Europe/Berlin: the clocks skip it at a DST change");
    assert_refused(tf, "\"2026-10-25T02:30:00\"",
                   "time field [ts]: \"2026-10-25T02:30:00\" is ambiguous in "
                   "Europe/Berlin: it occurs twice at a DST change; add the "
                   "offset: 2026-10-25T02:30:00+02:00 or "
                   "2026-10-25T02:30:00+01:00");
    assert_time(tf, "\"2026-10-25T02:30:00+01:00\"", INT64_C(1792891800) * S);
    assert_index(tf, "\"2026-10-25T02:30:00+01:00\"", "flows-2026.10.25.02");
    assert_index(tf, "\"2026-10-25T02:30:00+02:00\"", "flows-2026.10.25.02");
    /* The hour before and after are whole. */
    assert_time(tf, "\"2026-10-25T01:59:59\"", INT64_C(1792886399) * S);
    assert_time(tf, "\"2026-10-25T03:00:00\"", INT64_C(1792893600) * S);
    fb_timefield_free(tf);
}

/* The hours kept: the edges of an hour, more hours than slots in turn,
 * a dotted path. */
static void
test_hour_cache(void **state)
{
    struct fb_timefield *tf = make(FB_TIME_AUTO, NULL);
    char value[64], want[64];
    const char *index = NULL;
    char err[256];
    const char *doc = "{\"a\":{\"b\":\"2026-11-27T05:00:00Z\"}}";

    (void)state;
    assert_index(tf, "\"2026-11-27T03:59:59.999999Z\"", "flows-2026.11.27.03");
    assert_index(tf, "\"2026-11-27T04:00:00Z\"", "flows-2026.11.27.04");
    assert_index(tf, "\"2026-11-27T03:00:00Z\"", "flows-2026.11.27.03");
    for (int round = 0; round < 3; round++) {
        for (int h = 0; h < 9; h++) {
            snprintf(value, sizeof(value), "%lld",
                     (long long)(T_1127 / S + h * 3600 + round * 60));
            snprintf(want, sizeof(want), "flows-2026.11.27.%02d", 3 + h);
            assert_index(tf, value, want);
        }
    }
    fb_timefield_free(tf);

    tf = fb_timefield_new("a.b", FB_TIME_AUTO, PATTERN, NULL);
    assert_int_equal(
        fb_timefield_index(tf, doc, strlen(doc), &index, err, sizeof(err)), 0);
    assert_string_equal(index, "flows-2026.11.27.05");
    fb_timefield_free(tf);
}

static void
test_check(void **state)
{
    char err[512];

    (void)state;
    assert_int_equal(
        fb_timefield_check(PATTERN, "Europe/Berlin", err, sizeof(err)), 0);
    assert_int_equal(
        fb_timefield_check(PATTERN, "Mars/Olympus", err, sizeof(err)), -1);
    assert_non_null(strstr(err, "--timezone: unknown timezone"));
    assert_int_equal(fb_timefield_check("Flows-%Y", NULL, err, sizeof(err)),
                     -1);
    assert_non_null(strstr(err, "--index: "));
    assert_non_null(strstr(err, "must be lowercase"));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_iso_forms),
        cmocka_unit_test(test_epoch_forms),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_local_times_and_dst),
        cmocka_unit_test(test_hour_cache),
        cmocka_unit_test(test_check),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
