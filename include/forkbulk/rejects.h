/*
 * rejects.h
 *    The reject file: one JSON line per record that was not loaded.
 *
 * The parent creates (truncates) the file before dispatching; each worker
 * appends with O_APPEND and writes each line with a single write(2), so
 * lines from concurrent workers never interleave.  Without --reject-file
 * every reject is logged instead (position and reason, not the record).
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

/* Parent: create or truncate path.  0, or -1 with errno set. */
int fb_rejects_create(const char *path);

/*
 * Worker: a writer for path (NULL: log only).  Records longer than
 * max_record bytes are cut in the file (and marked "record_truncated").
 * NULL on allocation failure.
 */
struct fb_rejects *fb_rejects_open(const char *path, const char *source,
                                   size_t max_record);

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

/* Appends one line.  0, or -1 with errno set (logged). */
int fb_rejects_write(struct fb_rejects *rj, const struct fb_reject *r);

#endif
