/*
 * rejects.h
 *    The reject file: one JSON line per record that was not loaded.
 *
 * The file is never truncated: what it holds is the evidence of earlier
 * runs, which a summary may point to.  Its name may hold strftime fields,
 * expanded with the time of each unit (fb_rejects_path: an hour's start),
 * so that each hour has a file of its own.  The parent checks it before
 * each unit (fb_rejects_prepare: a file that cannot be used stops the run
 * at once with 73), and a worker creates it (0600) at its first reject
 * and appends with O_APPEND, each line one write(2), so lines from
 * concurrent workers never interleave.  Both open it through safefile.h:
 * never through a symbolic link, and never a file that is not regular,
 * not ours or has more than one link.  Without --reject-file every
 * reject is logged instead (position and reason, not the record).
 * A range re-read after its worker died writes only the rejects its
 * predecessor had not reported yet (proto.h, rejects_done), so each line
 * appears once; the one exception is a kill in the microseconds between
 * writing a line and reporting it.
 *
 * Line format:
 *   {"file":"in.ndjson","line":12,"offset":3456,"status":400,
 *    "error":{"type":"mapper_parsing_exception","reason":"..."},
 *    "record":"<the record as sent or read, as a JSON string>"}
 * "status" is the cluster's item status; it is absent for records the
 * loader refused itself (invalid JSON, wrong CSV field count, too large).
 * For PostgreSQL, "file" names the table and range ("public.flows key
 * [100, 200)") and "line" is the row number within that range.
 */
#ifndef FORKBULK_REJECTS_H
#define FORKBULK_REJECTS_H

#include <stddef.h>
#include <stdint.h>

struct fb_rejects;

/*
 * Parent: checks that path can take rejects without creating it (an hour
 * without rejects leaves no empty file): a file that is there is opened
 * for appending and checked (safefile.h), then closed, nothing in it
 * touched; else its directory must let us create it.  0, or -1 with err
 * holding the reason (naming the file) and errno set.
 */
int fb_rejects_prepare(const char *path, char *err, size_t errlen);

/* The reject file of the unit whose time is unit_time: pattern with its
 * strftime fields expanded in tz, as index names are.  0, or -1 with
 * err filled. */
int fb_rejects_path(const char *pattern, int64_t unit_time, const char *tz,
                    char *out, size_t cap, char *err, size_t errlen);

/* Parent, before a unit: its reject file (fb_rejects_path(), "" when
 * pattern is NULL: rejects are only logged), checked as
 * fb_rejects_prepare() checks it.  0, or -1 with err filled. */
int fb_rejects_for_unit(const char *pattern, int64_t unit_time, const char *tz,
                        char *out, size_t cap, char *err, size_t errlen);

/*
 * Worker: a writer for path (NULL: log only).  Records longer than
 * max_record bytes are cut in the file (and marked "record_truncated").
 * NULL on allocation failure.
 */
struct fb_rejects *fb_rejects_open(const char *path, const char *source,
                                   size_t max_record);

/*
 * Worker: later rejects go to path (NULL: log only), as when a run moves
 * on to a unit whose reject file is another (a strftime pattern expanded
 * per hour by the caller).  The file is (re)opened at the next reject, and
 * only if path differs from the current one.  0, or -1 (out of memory:
 * the writer keeps its old path).
 */
int fb_rejects_set_path(struct fb_rejects *rj, const char *path);

void fb_rejects_close(struct fb_rejects *rj);

/* One position in the source: line is 0 when unknown. */
struct fb_reject {
    const char *where; /* NULL: the file; PostgreSQL: the range */
    uint64_t line;     /* file line, or row number within the range */
    uint64_t offset;
    int status; /* 0: refused by the loader */
    const char *type;
    const char *reason;
    const char *record;
    size_t record_len;
};

/* Appends one line.  0, or -1 with errno set (logged; EPERM: the file
 * is refused, see safefile.h). */
int fb_rejects_write(struct fb_rejects *rj, const struct fb_reject *r);

#endif
