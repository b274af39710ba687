/*
 * hours.c
 *    Hour arithmetic for the hourly job: parsing times, hours, durations
 *    and windows, and index names, in UTC or a named timezone.
 *
 * UTC conversions are pure arithmetic (days_from_civil).  Local times go
 * through TZ + tzset() + localtime_r(), set for one call at a time: the
 * C library has no per-call timezone, and the parent is single-threaded.
 * Local to UTC does not trust mktime()'s tm_isdst guessing: it tries the
 * offsets in force a day before, at, and a day after the wanted time and
 * keeps every candidate that localtime_r() maps back to the same fields.
 * None means a DST change skips that local time, two mean it repeats.
 */
#include "forkbulk/hours.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define US_PER_S INT64_C(1000000)
#define DAY_S INT64_C(86400)
#define TZ_NAME_MAX 200
#define DURATION_MAX_US (366 * DAY_S * US_PER_S)

/* The TZ value in force before a call, restored after it. */
struct tz_saved {
    int active; /* 0: UTC, TZ was not touched */
    int had;    /* TZ was set */
    char value[256];
};

/* The fields of a civil date and time (no timezone). */
struct civil {
    int year, month, day, hour, min, sec;
};

static int
is_utc(const char *tz)
{
    return tz == NULL || tz[0] == '\0' || strcmp(tz, "UTC") == 0;
}

static const char *
zone_name(const char *tz)
{
    return is_utc(tz) ? "UTC" : tz;
}

static void
set_err(char *err, size_t errlen, const char *msg)
{
    if (errlen > 0)
        snprintf(err, errlen, "%s", msg);
}

/* Days since 1970-01-01 of a proleptic Gregorian date (the well-known
 * era-of-400-years method: every 400 years hold exactly 146097 days). */
static int64_t
days_from_civil(int64_t y, int m, int d)
{
    int64_t era, yoe, doy, doe;

    y -= m <= 2;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = y - era * 400;
    doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static int64_t
civil_seconds(const struct civil *c)
{
    return days_from_civil(c->year, c->month, c->day) * DAY_S + c->hour * 3600 +
           c->min * 60 + c->sec;
}

static int
days_in_month(int y, int m)
{
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

    return m == 2 && leap ? 29 : days[m - 1];
}

static int64_t
floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;

    if ((a % b != 0) && ((a < 0) != (b < 0)))
        q--;
    return q;
}

/* Makes tz the C library's timezone until tz_leave(). */
static int
tz_enter(const char *tz, struct tz_saved *saved, char *err, size_t errlen)
{
    const char *old = NULL;

    saved->active = 0;
    saved->had = 0;
    if (is_utc(tz))
        return 0;
    if (fb_hours_check_timezone(tz, err, errlen) != 0)
        return -1;
    old = getenv("TZ");
    if (old != NULL) {
        if (strlen(old) >= sizeof(saved->value)) {
            set_err(err, errlen, "the TZ environment variable is too long");
            return -1;
        }
        snprintf(saved->value, sizeof(saved->value), "%s", old);
        saved->had = 1;
    }
    if (setenv("TZ", tz, 1) != 0) {
        snprintf(err, errlen, "cannot set TZ: %s", strerror(errno));
        return -1;
    }
    tzset();
    saved->active = 1;
    return 0;
}

static void
tz_leave(const struct tz_saved *saved)
{
    if (!saved->active)
        return;
    if (saved->had)
        setenv("TZ", saved->value, 1);
    else
        unsetenv("TZ");
    tzset();
}

/* Local civil fields of second t in the current zone (UTC when utc). */
static int
to_civil(int64_t t, int utc, struct civil *c)
{
    time_t tt = (time_t)t;
    struct tm tm;

    memset(&tm, 0, sizeof(tm));
    if ((utc ? gmtime_r(&tt, &tm) : localtime_r(&tt, &tm)) == NULL)
        return -1;
    c->year = tm.tm_year + 1900;
    c->month = tm.tm_mon + 1;
    c->day = tm.tm_mday;
    c->hour = tm.tm_hour;
    c->min = tm.tm_min;
    c->sec = tm.tm_sec;
    return 0;
}

/* Offset of local time from UTC at second t, in seconds. */
static int
offset_at(int64_t t, int utc, int64_t *off)
{
    struct civil c;

    if (to_civil(t, utc, &c) != 0)
        return -1;
    *off = civil_seconds(&c) - t;
    return 0;
}

static int
civil_equal(const struct civil *a, const struct civil *b)
{
    return a->year == b->year && a->month == b->month && a->day == b->day &&
           a->hour == b->hour && a->min == b->min && a->sec == b->sec;
}

/* Every second whose local time is c: 0, 1 or 2 of them, ascending. */
static int
local_candidates(const struct civil *c, int utc, int64_t cand[3])
{
    int64_t g = civil_seconds(c);
    const int64_t probes[3] = {g - DAY_S, g, g + DAY_S};
    int n = 0;
    int i, j;

    for (i = 0; i < 3; i++) {
        int64_t off = 0, t = 0;
        struct civil back;
        int dup = 0;

        if (offset_at(probes[i], utc, &off) != 0)
            continue;
        t = g - off;
        if (to_civil(t, utc, &back) != 0 || !civil_equal(&back, c))
            continue;
        for (j = 0; j < n; j++)
            dup |= cand[j] == t;
        if (!dup)
            cand[n++] = t;
    }
    if (n == 2 && cand[0] > cand[1]) {
        int64_t x = cand[0];

        cand[0] = cand[1];
        cand[1] = x;
    }
    return n;
}

/* Reads exactly n digits at *p. */
static int
digits(const char **p, int n, int *out)
{
    int v = 0;
    int i;

    for (i = 0; i < n; i++) {
        char ch = (*p)[i];

        if (ch < '0' || ch > '9')
            return -1;
        v = v * 10 + (ch - '0');
    }
    *p += n;
    *out = v;
    return 0;
}

static void
format_offset(int64_t off, char *out, size_t cap)
{
    int64_t a = off < 0 ? -off : off;

    snprintf(out, cap, "%c%02d:%02d", off < 0 ? '-' : '+', (int)(a / 3600),
             (int)(a % 3600 / 60));
}

int
fb_hours_check_timezone(const char *tz, char *err, size_t errlen)
{
    const char *dir = getenv("TZDIR");
    char path[512];
    char magic[4];
    size_t i, len;
    int fd = -1;
    int rc = -1;

    if (is_utc(tz))
        return 0;
    len = strlen(tz);
    if (len > TZ_NAME_MAX || tz[0] == '/' || tz[0] == '.' ||
        strstr(tz, "..") != NULL) {
        snprintf(err, errlen,
                 "timezone \"%.*s\" is not a tz database name (like "
                 "Europe/Berlin)",
                 TZ_NAME_MAX, tz);
        goto out;
    }
    for (i = 0; i < len; i++) {
        char ch = tz[i];

        if (!((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
              (ch >= '0' && ch <= '9') || ch == '/' || ch == '_' || ch == '-' ||
              ch == '+' || ch == '.')) {
            snprintf(err, errlen,
                     "timezone \"%s\" is not a tz database name (like "
                     "Europe/Berlin)",
                     tz);
            goto out;
        }
    }
    if (dir == NULL || dir[0] == '\0')
        dir = "/usr/share/zoneinfo";
    if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, tz) >=
        sizeof(path)) {
        snprintf(err, errlen, "timezone \"%s\": path too long", tz);
        goto out;
    }
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0 || read(fd, magic, sizeof(magic)) != (ssize_t)sizeof(magic) ||
        memcmp(magic, "TZif", 4) != 0) {
        snprintf(err, errlen, "unknown timezone \"%s\": no zone file %s", tz,
                 path);
        goto out;
    }
    rc = 0;
out:
    if (fd >= 0)
        close(fd);
    return rc;
}

/* The syntax of a time; 0 when s matches it.  Ranges are checked by
 * the caller. */
static int
parse_syntax(const char *s, struct civil *c, int *has_off, int *sign, int *oh,
             int *om)
{
    const char *p = s;

    if (digits(&p, 4, &c->year) != 0 || *p++ != '-' ||
        digits(&p, 2, &c->month) != 0 || *p++ != '-' ||
        digits(&p, 2, &c->day) != 0 || *p++ != 'T' ||
        digits(&p, 2, &c->hour) != 0)
        return -1;
    if (*p == ':') {
        p++;
        if (digits(&p, 2, &c->min) != 0)
            return -1;
        if (*p == ':') {
            p++;
            if (digits(&p, 2, &c->sec) != 0)
                return -1;
        }
    }
    if (*p == 'Z') {
        p++;
        *has_off = 1;
    } else if (*p == '+' || *p == '-') {
        *sign = *p == '-' ? -1 : 1;
        p++;
        if (digits(&p, 2, oh) != 0 || *p++ != ':' || digits(&p, 2, om) != 0)
            return -1;
        *has_off = 1;
    }
    return *p == '\0' ? 0 : -1;
}

/* Parses s into civil fields and an explicit offset (has_off). */
static int
parse_fields(const char *s, struct civil *c, int *has_off, int64_t *off,
             char *err, size_t errlen)
{
    int oh = 0, om = 0, sign = 1;

    memset(c, 0, sizeof(*c));
    *has_off = 0;
    *off = 0;
    if (parse_syntax(s, c, has_off, &sign, &oh, &om) != 0) {
        snprintf(err, errlen,
                 "\"%s\" is not a time: expected YYYY-MM-DDTHH[:MM[:SS]]"
                 "[Z|+HH:MM]",
                 s);
        return -1;
    }
    if (c->year < 1970) {
        snprintf(err, errlen,
                 "\"%s\" is not a valid time: year %d is out of range "
                 "(1970..9999)",
                 s, c->year);
        return -1;
    }
    if (c->month < 1 || c->month > 12) {
        snprintf(err, errlen,
                 "\"%s\" is not a valid time: month %02d is out of range", s,
                 c->month);
        return -1;
    }
    if (c->day < 1 || c->day > days_in_month(c->year, c->month)) {
        snprintf(err, errlen,
                 "\"%s\" is not a valid time: %04d-%02d has %d days", s,
                 c->year, c->month, days_in_month(c->year, c->month));
        return -1;
    }
    if (c->hour > 23 || c->min > 59 || c->sec > 59) {
        snprintf(err, errlen, "\"%s\" is not a valid time: %s is out of range",
                 s,
                 c->hour > 23  ? "the hour"
                 : c->min > 59 ? "the minute"
                               : "the second");
        return -1;
    }
    if (oh > 23 || om > 59) {
        snprintf(err, errlen,
                 "\"%s\" is not a valid time: the offset is out of range", s);
        return -1;
    }
    *off = sign * (oh * 3600 + om * 60);
    return 0;
}

/* fb_hours_parse_time with the zone already entered. */
static int
parse_time_in(const char *s, const char *tz, int64_t *out, char *err,
              size_t errlen)
{
    struct civil c;
    int has_off = 0;
    int64_t off = 0;
    int64_t cand[3];
    char o1[16], o2[16];
    int n;

    if (parse_fields(s, &c, &has_off, &off, err, errlen) != 0)
        return -1;
    if (has_off) {
        *out = (civil_seconds(&c) - off) * US_PER_S;
        return 0;
    }
    n = local_candidates(&c, is_utc(tz), cand);
    if (n == 0) {
        snprintf(err, errlen,
                 "\"%s\" does not exist in %s: the clocks skip it at a DST "
                 "change",
                 s, zone_name(tz));
        return -1;
    }
    if (n > 1) {
        int64_t a = 0, b = 0;

        offset_at(cand[0], 0, &a);
        offset_at(cand[1], 0, &b);
        format_offset(a, o1, sizeof(o1));
        format_offset(b, o2, sizeof(o2));
        snprintf(err, errlen,
                 "\"%s\" is ambiguous in %s: it occurs twice at a DST "
                 "change; add the offset: %s%s or %s%s",
                 s, zone_name(tz), s, o1, s, o2);
        return -1;
    }
    *out = cand[0] * US_PER_S;
    return 0;
}

/* Start of the hour containing t, zone already entered. */
static int
floor_in(int64_t t, int utc, int64_t *out)
{
    int64_t sec = floor_div(t, US_PER_S);
    struct civil c;

    if (to_civil(sec, utc, &c) != 0)
        return -1;
    *out = (sec - c.min * 60 - c.sec) * US_PER_S;
    return 0;
}

/* Checks that t (parsed from s) starts an hour, zone already entered. */
static int
check_hour_start(const char *s, int64_t t, const char *tz, char *err,
                 size_t errlen)
{
    int64_t start = 0;
    struct civil c;

    if (floor_in(t, is_utc(tz), &start) != 0 ||
        to_civil(floor_div(t, US_PER_S), is_utc(tz), &c) != 0) {
        snprintf(err, errlen, "\"%s\" is out of range", s);
        return -1;
    }
    if (start != t) {
        snprintf(err, errlen,
                 "\"%s\" is not the start of an hour in %s (it is "
                 "%02d:%02d:%02d there)",
                 s, zone_name(tz), c.hour, c.min, c.sec);
        return -1;
    }
    return 0;
}

int
fb_hours_parse_time(const char *s, const char *tz, int64_t *out, char *err,
                    size_t errlen)
{
    struct tz_saved saved;
    int rc = -1;

    if (tz_enter(tz, &saved, err, errlen) != 0)
        return -1;
    rc = parse_time_in(s, tz, out, err, errlen);
    tz_leave(&saved);
    return rc;
}

int
fb_hours_floor(int64_t t, const char *tz, int64_t *out, char *err,
               size_t errlen)
{
    struct tz_saved saved;
    int rc = -1;

    if (tz_enter(tz, &saved, err, errlen) != 0)
        return -1;
    rc = floor_in(t, is_utc(tz), out);
    if (rc != 0)
        snprintf(err, errlen, "time %" PRId64 " is out of range", t);
    tz_leave(&saved);
    return rc;
}

int
fb_hours_last(int64_t now_us, const char *tz, int64_t *out, char *err,
              size_t errlen)
{
    int64_t start = 0;

    if (fb_hours_floor(now_us, tz, &start, err, errlen) != 0)
        return -1;
    *out = start - FB_HOUR_US;
    return 0;
}

int
fb_hours_parse_hour(const char *s, const char *tz, int64_t now_us, int64_t *out,
                    char *err, size_t errlen)
{
    struct tz_saved saved;
    int64_t t = 0;
    int rc = -1;

    if (strcmp(s, "last") == 0)
        return fb_hours_last(now_us, tz, out, err, errlen);
    if (tz_enter(tz, &saved, err, errlen) != 0)
        return -1;
    if (parse_time_in(s, tz, &t, err, errlen) != 0 ||
        check_hour_start(s, t, tz, err, errlen) != 0)
        goto out;
    *out = t;
    rc = 0;
out:
    tz_leave(&saved);
    return rc;
}

int
fb_hours_parse_duration(const char *s, int64_t *out_us, char *err,
                        size_t errlen)
{
    const char *p = s;
    int64_t v = 0;
    int64_t unit = 0;
    int nd = 0;

    while (*p >= '0' && *p <= '9') {
        /* Ten digits already exceed 366 days in any unit. */
        if (nd < 10)
            v = v * 10 + (*p - '0');
        nd++;
        p++;
    }
    if (p[0] == 'm' && p[1] == '\0')
        unit = 60 * US_PER_S;
    else if (p[0] == 'h' && p[1] == '\0')
        unit = 3600 * US_PER_S;
    else if (p[0] == 'd' && p[1] == '\0')
        unit = DAY_S * US_PER_S;
    if (nd == 0 || unit == 0 || v == 0) {
        snprintf(err, errlen,
                 "\"%s\" is not a duration: expected a positive number "
                 "followed by m, h or d (90m, 48h, 2d)",
                 s);
        return -1;
    }
    if (nd >= 10 || v > DURATION_MAX_US / unit) {
        snprintf(err, errlen, "duration \"%s\" is longer than 366 days", s);
        return -1;
    }
    *out_us = v * unit;
    return 0;
}

int
fb_hours_parse_range(const char *from, const char *to, const char *tz,
                     size_t max_hours, int64_t *from_us, int64_t *to_us,
                     size_t *n, char *err, size_t errlen)
{
    struct tz_saved saved;
    char msg[512];
    int64_t f = 0, t = 0, hours = 0;
    int rc = -1;

    if (tz_enter(tz, &saved, err, errlen) != 0)
        return -1;
    if (parse_time_in(from, tz, &f, msg, sizeof(msg)) != 0 ||
        check_hour_start(from, f, tz, msg, sizeof(msg)) != 0) {
        snprintf(err, errlen, "--from: %s", msg);
        goto out;
    }
    if (parse_time_in(to, tz, &t, msg, sizeof(msg)) != 0 ||
        check_hour_start(to, t, tz, msg, sizeof(msg)) != 0) {
        snprintf(err, errlen, "--to: %s", msg);
        goto out;
    }
    if (f >= t) {
        snprintf(err, errlen, "--from \"%s\" is not before --to \"%s\"", from,
                 to);
        goto out;
    }
    if ((t - f) % FB_HOUR_US != 0) {
        snprintf(err, errlen,
                 "--from \"%s\" --to \"%s\" is not a whole number of hours",
                 from, to);
        goto out;
    }
    hours = (t - f) / FB_HOUR_US;
    if ((uint64_t)hours > max_hours) {
        snprintf(err, errlen,
                 "--from \"%s\" --to \"%s\" spans %" PRId64
                 " hours, more than the %zu allowed",
                 from, to, hours, max_hours);
        goto out;
    }
    *from_us = f;
    *to_us = t;
    *n = (size_t)hours;
    rc = 0;
out:
    tz_leave(&saved);
    return rc;
}

int
fb_hours_lookback(int64_t now_us, int64_t lookback_us, const char *tz,
                  size_t max_hours, int64_t *from_us, int64_t *to_us, size_t *n,
                  char *err, size_t errlen)
{
    int64_t end = 0, start = 0, hours = 0;

    if (lookback_us <= 0) {
        snprintf(err, errlen, "the lookback must be positive");
        return -1;
    }
    if (fb_hours_floor(now_us, tz, &end, err, errlen) != 0 ||
        fb_hours_floor(end - lookback_us, tz, &start, err, errlen) != 0)
        return -1;
    hours = (end - start) / FB_HOUR_US;
    if ((uint64_t)hours > max_hours) {
        snprintf(err, errlen,
                 "a lookback of %" PRId64 " minutes covers %" PRId64
                 " hours, more than the %zu allowed",
                 lookback_us / (60 * US_PER_S), hours, max_hours);
        return -1;
    }
    *from_us = start;
    *to_us = end;
    *n = (size_t)hours;
    return 0;
}

/* Why name is not a valid index name, or NULL when it is. */
static const char *
index_name_problem(const char *name, char *buf, size_t cap)
{
    static const char bad[] = "\\/*?\"<>|,#: ";
    size_t i;

    if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
        return "it must not be \".\" or \"..\"";
    if (name[0] == '-' || name[0] == '_' || name[0] == '+') {
        snprintf(buf, cap, "it must not start with '%c'", name[0]);
        return buf;
    }
    for (i = 0; name[i] != '\0'; i++) {
        if (name[i] >= 'A' && name[i] <= 'Z')
            return "it must be lowercase";
        if (strchr(bad, name[i]) != NULL) {
            snprintf(buf, cap, "it must not contain '%c'", name[i]);
            return buf;
        }
    }
    return NULL;
}

int
fb_hours_strftime(const char *pattern, int64_t t, const char *tz, char *out,
                  size_t cap, char *err, size_t errlen)
{
    struct tz_saved saved;
    time_t tt = (time_t)floor_div(t, US_PER_S);
    struct tm tm;
    size_t len = 0;

    if (tz_enter(tz, &saved, err, errlen) != 0)
        return -1;
    memset(&tm, 0, sizeof(tm));
    if ((is_utc(tz) ? gmtime_r(&tt, &tm) : localtime_r(&tt, &tm)) != NULL) {
        /* The pattern is configuration by design (like date +FORMAT);
         * strftime writes no more than its bound whatever it holds. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
        len = strftime(out, cap, pattern, &tm);
#pragma GCC diagnostic pop
    }
    tz_leave(&saved);
    if (len == 0) {
        snprintf(err, errlen,
                 "pattern \"%s\" gives an empty text or one longer than %zu "
                 "bytes",
                 pattern, cap - 1);
        return -2;
    }
    return 0;
}

int
fb_hours_index_name(const char *pattern, int64_t hour_us, const char *tz,
                    char *out, size_t cap, char *err, size_t errlen)
{
    char name[FB_ES_INDEX_MAX * 2 + 2];
    char why[64];
    const char *problem = NULL;
    int rc;

    if (pattern == NULL || pattern[0] == '\0') {
        snprintf(err, errlen, "the index pattern is empty");
        return -1;
    }
    rc = fb_hours_strftime(pattern, hour_us, tz, name, sizeof(name), err,
                           errlen);
    if (rc == -1)
        return -1; /* the timezone */
    if (rc != 0 || strlen(name) > FB_ES_INDEX_MAX) {
        snprintf(err, errlen,
                 "index pattern \"%s\" gives an empty name or one longer "
                 "than %d bytes",
                 pattern, FB_ES_INDEX_MAX);
        return -1;
    }
    problem = index_name_problem(name, why, sizeof(why));
    if (problem != NULL) {
        snprintf(err, errlen,
                 "index name \"%s\" from pattern \"%s\" is not valid: %s", name,
                 pattern, problem);
        return -1;
    }
    if (strlen(name) >= cap) {
        snprintf(err, errlen, "index name \"%s\" does not fit in %zu bytes",
                 name, cap);
        return -1;
    }
    memcpy(out, name, strlen(name) + 1);
    return 0;
}

int
fb_hours_format(int64_t t, const char *tz, char *out, size_t cap)
{
    struct tz_saved saved;
    int64_t sec = floor_div(t, US_PER_S);
    int64_t off = 0;
    struct civil c;
    char ofs[16];
    char err[160];
    int utc = is_utc(tz);
    int rc = -1;

    if (tz_enter(tz, &saved, err, sizeof(err)) != 0)
        return -1;
    if (to_civil(sec, utc, &c) != 0 || offset_at(sec, utc, &off) != 0)
        goto out;
    if (utc)
        snprintf(ofs, sizeof(ofs), "Z");
    else
        format_offset(off, ofs, sizeof(ofs));
    if ((size_t)snprintf(out, cap, "%04d-%02d-%02dT%02d:%02d:%02d%s", c.year,
                         c.month, c.day, c.hour, c.min, c.sec, ofs) >= cap)
        goto out;
    rc = 0;
out:
    tz_leave(&saved);
    return rc;
}
