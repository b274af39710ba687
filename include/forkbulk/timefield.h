/*
 * timefield.h
 *    The index of a record from its own time (--time-field): the index
 *    pattern expanded with the time in one field of the document, in the
 *    job's timezone, as the hourly job names its hours (hours.h), so that
 *    a file spanning days fills every hour's index in one run.
 *
 * The values a time field may hold (enum fb_time_format in options.h):
 *
 *   a string   ISO 8601: YYYY-MM-DD, then T (or a space), HH:MM[:SS[.f]]
 *              (a fraction of up to 9 digits, after '.' or ','), then Z,
 *              +HH:MM, +HHMM, +HH (or -), or nothing: a time without an
 *              offset is local time in tz, and one that a DST change
 *              skips or repeats is refused, as hours.h refuses it.  With
 *              auto, a string holding a decimal number alone ("1764212645")
 *              is epoch time as a number is.
 *   a number   epoch time: auto takes it as seconds below 10^11
 *              (100000000000 s is the year 5138) and as milliseconds
 *              from there on, so milliseconds before 1973-03-03 need
 *              FB_TIME_EPOCH_MS; FB_TIME_EPOCH_S and _MS take that unit
 *              always (numeric strings too).  A fraction is kept (to the
 *              microsecond); an exponent is refused.
 *
 * Years 1970 to 9999, as hours.h takes them.  Anything else is a reject
 * with the reason, naming the field: "time field [ts] is missing",
 * "time field [ts] is an object", "time field [ts] \"yesterday\" is not
 * ISO 8601 or epoch seconds/milliseconds", "time field [ts] -5 is out of
 * range (years 1970 to 9999)", "time field [ts]: \"2026-03-29T02:30:00\"
 * does not exist in Europe/Berlin: the clocks skip it at a DST change".
 *
 * Cost per record: one field lookup and one parse; the hour's start and
 * index name come from a cache of the last few hours met, and a local
 * time's offset from a cache of the last local hour, so strftime, the
 * zone and the name's checks run once per hour met, not per record
 * (records of one hour usually come together).  hours.h sets TZ around
 * its calls: one fb_timefield per process, never in a signal handler.
 */
#ifndef FORKBULK_TIMEFIELD_H
#define FORKBULK_TIMEFIELD_H

#include <stddef.h>
#include <stdint.h>

struct fb_timefield;

/*
 * Parent: can records be placed with pattern in tz?  tz (NULL: UTC) must
 * be a known zone and pattern must give a valid index name (tried on the
 * current hour).  0, or -1 with the reason in err.
 */
int fb_timefield_check(const char *pattern, const char *tz, char *err,
                       size_t errlen);

/*
 * A worker's: the dotted path field, format (enum fb_time_format), the
 * strftime pattern and tz, which the caller keeps alive and checked
 * (fb_timefield_check).  NULL when out of memory.
 */
struct fb_timefield *fb_timefield_new(const char *field, int format,
                                      const char *pattern, const char *tz);

void fb_timefield_free(struct fb_timefield *tf);

/* The time of the JSON object doc[0..len), in microseconds since the
 * epoch: 0, or -1 with the reason in err. */
int fb_timefield_time(struct fb_timefield *tf, const char *doc, size_t len,
                      int64_t *us, char *err, size_t errlen);

/* The index of the JSON object doc[0..len): 0 with *index pointing at its
 * name (NUL-terminated, valid until the next call), or -1 with the reason
 * in err. */
int fb_timefield_index(struct fb_timefield *tf, const char *doc, size_t len,
                       const char **index, char *err, size_t errlen);

#endif
