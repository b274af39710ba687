/*
 * timefield.c
 *    A record's index from the time in one of its fields (see
 *    timefield.h).
 *
 * Per record:  field -> string or number -> microseconds since the epoch
 *              -> the hour that holds it -> the hour's index name.
 *
 * Calendar and zone arithmetic is all hours.c's: an ISO time is turned
 * into UTC by asking hours.c for the start of its hour as written
 * ("2026-11-27T03:00:00+01:00") once per hour met, and adding the
 * minutes, seconds and fraction to it; a local time's hour is used that
 * way only when hours.c maps its first and last second exactly an hour
 * less a second apart (no DST change inside), else every record of it is
 * asked for whole, so that a skipped or repeated time gets hours.c's own
 * refusal.
 */
#include "forkbulk/timefield.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "forkbulk/clock.h"
#include "forkbulk/eslimits.h"
#include "forkbulk/hours.h"
#include "forkbulk/jsonscan.h"
#include "forkbulk/options.h"

#define US_PER_S INT64_C(1000000)
/* 10000-01-01T00:00:00Z: the first second hours.c's years do not reach. */
#define EPOCH_END_S INT64_C(253402300800)
/* auto: epoch numbers from here on are milliseconds. */
#define AUTO_MS_FROM INT64_C(100000000000)
/* Longest string value read as a time; longer ones are not times. */
#define VALUE_MAX 64
/* How much of a bad value a reason quotes. */
#define QUOTE_MAX 64
/* Hours whose start, end and index name are kept. */
#define HOUR_SLOTS 4
/* zone of a time written without an offset. */
#define ZONE_LOCAL INT32_MIN

/* An hour of real time and its index name. */
struct hour_slot {
    int64_t start, end; /* [start, end), microseconds; end 0: empty */
    char name[FB_ES_INDEX_MAX + 1];
};

/* A time as written in ISO 8601. */
struct iso {
    int year, month, day, hour, min, sec;
    int64_t frac_us;
    int32_t zone; /* minutes east of UTC, or ZONE_LOCAL */
};

/* The hour of an ISO time as written (its date, hour and zone) and the
 * UTC microsecond of its HH:00:00. */
struct civil_hour {
    int64_t key; /* YYYYMMDDHH; -1: none yet */
    int32_t zone;
    bool exact; /* every HH:MM:SS of it is t0 + MM:SS */
    int64_t t0;
};

struct fb_timefield {
    const char *field;
    int format; /* enum fb_time_format */
    const char *pattern;
    const char *tz;
    struct hour_slot hours[HOUR_SLOTS];
    size_t last; /* the slot that answered last */
    size_t next; /* the slot the next new hour takes */
    struct civil_hour civil;
    char text[VALUE_MAX + 2]; /* a string value, unescaped */
};

int
fb_timefield_check(const char *pattern, const char *tz, char *err,
                   size_t errlen)
{
    char name[FB_ES_INDEX_MAX + 1];
    char why[512];

    if (fb_hours_check_timezone(tz, why, sizeof(why)) < 0) {
        snprintf(err, errlen, "--timezone: %s", why);
        return -1;
    }
    if (fb_hours_index_name(pattern, fb_unix_us(), tz, name, sizeof(name), why,
                            sizeof(why)) < 0) {
        snprintf(err, errlen, "--index: %s", why);
        return -1;
    }
    return 0;
}

struct fb_timefield *
fb_timefield_new(const char *field, int format, const char *pattern,
                 const char *tz)
{
    struct fb_timefield *tf = calloc(1, sizeof(*tf));

    if (tf == NULL)
        return NULL;
    tf->field = field;
    tf->format = format;
    tf->pattern = pattern;
    tf->tz = tz;
    tf->civil.key = -1;
    return tf;
}

void
fb_timefield_free(struct fb_timefield *tf)
{
    free(tf);
}

/* What the field should have held, for reasons. */
static const char *
expected(const struct fb_timefield *tf)
{
    switch (tf->format) {
    case FB_TIME_ISO8601:
        return "ISO 8601";
    case FB_TIME_EPOCH_S:
        return "epoch seconds";
    case FB_TIME_EPOCH_MS:
        return "epoch milliseconds";
    default:
        return "ISO 8601 or epoch seconds/milliseconds";
    }
}

/* The value's bytes as the document has them, cut whole characters at
 * QUOTE_MAX bytes: what a reason quotes. */
static int
quote_len(const struct fb_json_value *v)
{
    size_t n = v->len;

    if (n > QUOTE_MAX) {
        n = QUOTE_MAX;
        while (n > 0 && ((unsigned char)v->p[n] & 0xC0) == 0x80)
            n--;
    }
    return (int)n;
}

static int
not_a_time(const struct fb_timefield *tf, const struct fb_json_value *v,
           char *err, size_t errlen)
{
    snprintf(err, errlen, "time field [%s] %.*s%s is not %s", tf->field,
             quote_len(v), v->p, (size_t)quote_len(v) < v->len ? "..." : "",
             expected(tf));
    return -1;
}

static int
out_of_range(const struct fb_timefield *tf, const struct fb_json_value *v,
             char *err, size_t errlen)
{
    snprintf(err, errlen,
             "time field [%s] %.*s is out of range (years 1970 to 9999)",
             tf->field, quote_len(v), v->p);
    return -1;
}

/* Exactly n digits at *p (before end). */
static bool
take_digits(const char **p, const char *end, int n, int *out)
{
    int v = 0;

    if (end - *p < n)
        return false;
    for (int i = 0; i < n; i++) {
        char c = (*p)[i];

        if (c < '0' || c > '9')
            return false;
        v = v * 10 + (c - '0');
    }
    *p += n;
    *out = v;
    return true;
}

/* Is c at *p (before end)?  Then it is taken. */
static bool
take(const char **p, const char *end, char c)
{
    if (*p < end && **p == c) {
        (*p)++;
        return true;
    }
    return false;
}

/* A fraction of a second after its '.' or ',': 1 to 9 digits, kept to
 * the microsecond. */
static bool
take_fraction(const char **p, const char *end, int64_t *us)
{
    int64_t scale = 100000;
    int n = 0;

    *us = 0;
    for (; *p < end && **p >= '0' && **p <= '9'; (*p)++, n++) {
        *us += (**p - '0') * scale;
        scale /= 10;
    }
    return n >= 1 && n <= 9;
}

/* Z, +HH:MM, +HHMM, +HH, the same with -, or nothing. */
static bool
take_zone(const char **p, const char *end, int32_t *zone)
{
    int sign, hh = 0, mm = 0;

    *zone = ZONE_LOCAL;
    if (take(p, end, 'Z') || take(p, end, 'z')) {
        *zone = 0;
        return true;
    }
    if (*p == end)
        return true;
    if (**p != '+' && **p != '-')
        return false;
    sign = *(*p)++ == '-' ? -1 : 1;
    if (!take_digits(p, end, 2, &hh))
        return false;
    if (*p < end) {
        take(p, end, ':');
        if (!take_digits(p, end, 2, &mm))
            return false;
    }
    *zone = sign * (hh * 60 + mm);
    return hh <= 23 && mm <= 59;
}

/* The syntax of an ISO 8601 time (timefield.h); ranges are hours.c's. */
static bool
parse_iso(const char *s, size_t len, struct iso *t)
{
    const char *p = s, *end = s + len;

    memset(t, 0, sizeof(*t));
    if (!take_digits(&p, end, 4, &t->year) || !take(&p, end, '-') ||
        !take_digits(&p, end, 2, &t->month) || !take(&p, end, '-') ||
        !take_digits(&p, end, 2, &t->day))
        return false;
    if (!take(&p, end, 'T') && !take(&p, end, 't') && !take(&p, end, ' '))
        return false;
    if (!take_digits(&p, end, 2, &t->hour) || !take(&p, end, ':') ||
        !take_digits(&p, end, 2, &t->min))
        return false;
    if (take(&p, end, ':')) {
        if (!take_digits(&p, end, 2, &t->sec))
            return false;
        if ((take(&p, end, '.') || take(&p, end, ',')) &&
            !take_fraction(&p, end, &t->frac_us))
            return false;
    }
    return take_zone(&p, end, &t->zone) && p == end;
}

/* t as hours.c reads times, "YYYY-MM-DDTHH:MM:SS" and its zone (none for
 * local time), with the minutes and seconds given. */
static void
hours_text(const struct iso *t, int min, int sec, char *out, size_t cap)
{
    int n = snprintf(out, cap, "%04d-%02d-%02dT%02d:%02d:%02d", t->year,
                     t->month, t->day, t->hour, min, sec);
    int32_t a;

    if (t->zone == ZONE_LOCAL || n <= 0 || (size_t)n >= cap)
        return;
    a = t->zone < 0 ? -t->zone : t->zone;
    snprintf(out + n, cap - (size_t)n, "%c%02d:%02d", t->zone < 0 ? '-' : '+',
             (int)(a / 60), (int)(a % 60));
}

/* Learns where the hour of t, as written, starts in UTC, and whether its
 * minutes and seconds can simply be added to that. */
static void
learn_hour(struct fb_timefield *tf, const struct iso *t, int64_t key)
{
    struct civil_hour *c = &tf->civil;
    char text[40], why[256];
    int64_t t1 = 0;

    c->key = key;
    c->zone = t->zone;
    hours_text(t, 0, 0, text, sizeof(text));
    /* A time with an offset needs no zone (and then no zone file). */
    c->exact = fb_hours_parse_time(text, t->zone == ZONE_LOCAL ? tf->tz : NULL,
                                   &c->t0, why, sizeof(why)) == 0;
    if (c->exact && t->zone == ZONE_LOCAL) {
        hours_text(t, 59, 59, text, sizeof(text));
        c->exact =
            fb_hours_parse_time(text, tf->tz, &t1, why, sizeof(why)) == 0 &&
            t1 - c->t0 == 3599 * US_PER_S;
    }
}

/* An ISO time in microseconds since the epoch. */
static int
iso_time(struct fb_timefield *tf, const struct iso *t, int64_t *us, char *err,
         size_t errlen)
{
    int64_t key =
        ((((int64_t)t->year * 100 + t->month) * 100 + t->day) * 100 + t->hour);
    char text[40], why[256];

    if (tf->civil.key != key || tf->civil.zone != t->zone)
        learn_hour(tf, t, key);
    if (tf->civil.exact && t->min <= 59 && t->sec <= 59) {
        *us = tf->civil.t0 + (t->min * 60 + t->sec) * US_PER_S + t->frac_us;
        return 0;
    }
    /* A DST change in this hour, or a time hours.c refuses: it says
     * which, of this very time. */
    hours_text(t, t->min, t->sec, text, sizeof(text));
    if (fb_hours_parse_time(text, tf->tz, us, why, sizeof(why)) < 0) {
        snprintf(err, errlen, "time field [%s]: %s", tf->field, why);
        return -1;
    }
    *us += t->frac_us;
    return 0;
}

/* A decimal number, [-]digits[.digits], with its whole units and
 * millionths of one. */
struct decimal {
    bool negative;
    bool huge; /* more than 18 significant digits: no time */
    int64_t whole;
    int64_t millionths;
};

/* false when s[0..len) is not a decimal number. */
static bool
parse_decimal(const char *s, size_t len, struct decimal *d)
{
    const char *p = s, *end = s + len, *digits;
    int n = 0; /* significant digits */

    memset(d, 0, sizeof(*d));
    d->negative = take(&p, end, '-');
    for (digits = p; p < end && *p >= '0' && *p <= '9'; p++) {
        if (n == 0 && *p == '0')
            continue;
        if (++n <= 18)
            d->whole = d->whole * 10 + (*p - '0');
    }
    d->huge = n > 18;
    if (p == digits ||
        (take(&p, end, '.') && !take_fraction(&p, end, &d->millionths)))
        return false;
    return p == end;
}

/* Epoch time from a parsed decimal (of v, a number or a string). */
static int
epoch_of(const struct fb_timefield *tf, const struct fb_json_value *v,
         const struct decimal *d, int64_t *us, char *err, size_t errlen)
{
    bool ms = tf->format == FB_TIME_EPOCH_MS ||
              (tf->format != FB_TIME_EPOCH_S &&
               (d->huge || d->whole >= AUTO_MS_FROM));

    if (d->negative || d->huge ||
        d->whole >= (ms ? EPOCH_END_S * 1000 : EPOCH_END_S))
        return out_of_range(tf, v, err, errlen);
    *us = ms ? d->whole * 1000 + d->millionths / 1000
             : d->whole * US_PER_S + d->millionths;
    return 0;
}

/* Epoch time from a number's text. */
static int
epoch_time(const struct fb_timefield *tf, const struct fb_json_value *v,
           const char *s, size_t len, int64_t *us, char *err, size_t errlen)
{
    struct decimal d;

    if (!parse_decimal(s, len, &d))
        return not_a_time(tf, v, err, errlen);
    return epoch_of(tf, v, &d, us, err, errlen);
}

static int
string_time(struct fb_timefield *tf, const struct fb_json_value *v, int64_t *us,
            char *err, size_t errlen)
{
    size_t len = 0;
    struct decimal d;
    struct iso t;

    /* Longer than any time: not one (VALUE_MAX + 1 tells it apart). */
    if (fb_json_value_string(v, tf->text, VALUE_MAX + 2, &len) != 0 ||
        len > VALUE_MAX)
        return not_a_time(tf, v, err, errlen);
    /* A decimal number alone is epoch time (auto takes it so). */
    if (tf->format != FB_TIME_ISO8601 && parse_decimal(tf->text, len, &d))
        return epoch_of(tf, v, &d, us, err, errlen);
    if (tf->format == FB_TIME_EPOCH_S || tf->format == FB_TIME_EPOCH_MS ||
        !parse_iso(tf->text, len, &t))
        return not_a_time(tf, v, err, errlen);
    return iso_time(tf, &t, us, err, errlen);
}

int
fb_timefield_time(struct fb_timefield *tf, const char *doc, size_t len,
                  int64_t *us, char *err, size_t errlen)
{
    struct fb_json_value v;
    int rc = fb_json_find(doc, len, tf->field, &v, err, errlen);

    if (rc < 0)
        return -1;
    if (rc == 0) {
        snprintf(err, errlen, "time field [%s] is missing", tf->field);
        return -1;
    }
    if (v.type == FB_JSON_STRING)
        return string_time(tf, &v, us, err, errlen);
    if (v.type == FB_JSON_NUMBER && tf->format != FB_TIME_ISO8601)
        return epoch_time(tf, &v, v.p, v.len, us, err, errlen);
    if (v.type == FB_JSON_NUMBER)
        return not_a_time(tf, &v, err, errlen);
    snprintf(err, errlen, "time field [%s] is %s", tf->field,
             fb_json_type_article(v.type));
    return -1;
}

/* The hour that holds us, from the slots or newly named into one. */
static int
hour_of(struct fb_timefield *tf, int64_t us, const char **index, char *err,
        size_t errlen)
{
    struct hour_slot *h;
    int64_t start = 0, last = 0;
    char why[512];

    for (size_t k = 0; k < HOUR_SLOTS; k++) {
        size_t i = (tf->last + k) % HOUR_SLOTS;

        h = &tf->hours[i];
        if (us >= h->start && us < h->end) {
            tf->last = i;
            *index = h->name;
            return 0;
        }
    }
    h = &tf->hours[tf->next];
    /* The hour ends where the next begins: an hour later, unless the
     * zone's hours shift inside it (a DST change of 30 minutes). */
    if (fb_hours_floor(us, tf->tz, &start, why, sizeof(why)) < 0 ||
        fb_hours_floor(start + FB_HOUR_US - 1, tf->tz, &last, why,
                       sizeof(why)) < 0 ||
        fb_hours_index_name(tf->pattern, start, tf->tz, h->name,
                            sizeof(h->name), why, sizeof(why)) < 0) {
        h->end = 0;
        snprintf(err, errlen, "time field [%s]: %s", tf->field, why);
        return -1;
    }
    h->start = start;
    h->end = last == start ? start + FB_HOUR_US : last;
    tf->last = tf->next;
    tf->next = (tf->next + 1) % HOUR_SLOTS;
    *index = h->name;
    return 0;
}

int
fb_timefield_index(struct fb_timefield *tf, const char *doc, size_t len,
                   const char **index, char *err, size_t errlen)
{
    int64_t us = 0;

    if (fb_timefield_time(tf, doc, len, &us, err, errlen) < 0)
        return -1;
    return hour_of(tf, us, index, err, errlen);
}
