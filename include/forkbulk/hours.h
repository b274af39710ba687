/*
 * hours.h
 *    Which hours a run loads, and the index name of each: `--hour last`,
 *    `--hour 2026-11-27T03`, `--from T --to T`, `--lookback 48h`.
 *
 * Every time is an int64 count of microseconds since the Unix epoch (UTC).
 * An hour is always 3600 s of real (UTC) time; a timezone only changes
 * where hours start (local :00, which matters for zones such as
 * Asia/Kolkata at +05:30) and how an hour is labelled (its index name).
 * Across a DST change the hour list simply has 23 or 25 hours for that
 * local day: spring forward skips the label 02 (Europe/Berlin), fall back
 * labels two hours 02.  The default pattern then gives both of those the
 * same index name; put %z in the pattern (flows-%Y.%m.%d.%H%z) or keep
 * the job in UTC to keep them apart.
 *
 * Timezones: tz is NULL, "" or "UTC" for UTC, otherwise a name from the
 * tz database ("Europe/Berlin").  The functions set TZ and call tzset()
 * for the duration of one call and restore the previous TZ afterwards,
 * so they are for the parent (single-threaded), never for a signal
 * handler.
 *
 * Errors: functions return 0, or -1 with a one-line message in err
 * (always NUL-terminated when errlen > 0) that names the offending input.
 */
#ifndef FORKBULK_HOURS_H
#define FORKBULK_HOURS_H

#include <stddef.h>
#include <stdint.h>

#include "forkbulk/eslimits.h"

#define FB_HOUR_US INT64_C(3600000000)

/* Checks that tz names a timezone that exists (NULL/""/"UTC" always do).
 * glibc silently treats an unknown TZ as UTC, so a typo would shift every
 * hour: this looks for the zone file under $TZDIR or /usr/share/zoneinfo. */
int fb_hours_check_timezone(const char *tz, char *err, size_t errlen);

/*
 * Parses a point in time: YYYY-MM-DDTHH, YYYY-MM-DDTHH:MM or
 * YYYY-MM-DDTHH:MM:SS, optionally followed by Z or an offset +HH:MM /
 * -HH:MM.  Without Z or offset the time is local time in tz; a local
 * time that a DST change skips, or that it repeats, is an error (the
 * message for a repeated one shows the two offsets to choose from).
 * Years 1970..9999.
 */
int fb_hours_parse_time(const char *s, const char *tz, int64_t *out, char *err,
                        size_t errlen);

/* Like fb_hours_parse_time, and the time must be the start of an hour in
 * tz.  "last" is the last complete hour before now_us. */
int fb_hours_parse_hour(const char *s, const char *tz, int64_t now_us,
                        int64_t *out, char *err, size_t errlen);

/* Start of the hour (in tz) that contains t. */
int fb_hours_floor(int64_t t, const char *tz, int64_t *out, char *err,
                   size_t errlen);

/* Start of the last complete hour before now_us: the hour that ended at
 * or before now_us, in tz. */
int fb_hours_last(int64_t now_us, const char *tz, int64_t *out, char *err,
                  size_t errlen);

/*
 * Parses a duration: a positive integer followed by m (minutes), h (hours)
 * or d (days of 24 h): "90m", "48h", "2d".  At most 366 days.
 */
int fb_hours_parse_duration(const char *s, int64_t *out_us, char *err,
                            size_t errlen);

/*
 * The --from/--to window: both must be starts of hours in tz, from < to,
 * and the window may hold at most max_hours hours.  On success *from_us
 * and *to_us are set and *n is the number of hours: hour i (0 <= i < n)
 * starts at *from_us + i * FB_HOUR_US.
 */
int fb_hours_parse_range(const char *from, const char *to, const char *tz,
                         size_t max_hours, int64_t *from_us, int64_t *to_us,
                         size_t *n, char *err, size_t errlen);

/*
 * The catch-up window: every hour that overlaps the lookback_us before
 * the end of the last complete hour.  With now 05:10 and 48h it is
 * [05:00 two days ago, 05:00 today): 48 hours, the newest being 04:00;
 * with 90m it is 03:00 and 04:00.  At most max_hours hours.
 */
int fb_hours_lookback(int64_t now_us, int64_t lookback_us, const char *tz,
                      size_t max_hours, int64_t *from_us, int64_t *to_us,
                      size_t *n, char *err, size_t errlen);

/*
 * pattern (strftime) applied to the local time of t in tz, into out.
 * 0; -1 when tz is unusable; -2 when the text is empty or does not fit.
 */
int fb_hours_strftime(const char *pattern, int64_t t, const char *tz, char *out,
                      size_t cap, char *err, size_t errlen);

/*
 * The index name of the hour that starts at hour_us: pattern (strftime)
 * applied to the local time in tz.  The result must be a valid index
 * name: 1..255 bytes, lowercase, none of \ / * ? " < > | , # : space, not
 * starting with - _ +, not "." or "..".
 */
int fb_hours_index_name(const char *pattern, int64_t hour_us, const char *tz,
                        char *out, size_t cap, char *err, size_t errlen);

/* "2026-11-27T03:00:00+01:00" (or ...Z in UTC): t as local time in tz,
 * for logs, summaries and messages; seconds, no fraction.  out needs 32
 * bytes. */
int fb_hours_format(int64_t t, const char *tz, char *out, size_t cap);

#endif
