/*
 * rejects.c
 *    Writing rejected records, one line per write(2).
 */
#include "forkbulk/rejects.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "forkbulk/hours.h"
#include "forkbulk/jsonout.h"
#include "forkbulk/log.h"
#include "forkbulk/safefile.h"

/* Evidence, and it may quote records: for forkbulk's user only. */
#define REJECT_MODE 0600
#define REJECT_FLAGS FB_SAFEFILE_APPEND

/* Room for everything in a line but the record. */
#define REJECT_OVERHEAD 4096

struct fb_rejects {
    char *path;
    char *source;
    int fd;     /* opened on the first reject to path */
    char *line; /* one line, allocated once */
    size_t cap;
    size_t max_record; /* record bytes kept in the file */
};

/* Can a file be created in the directory of path? */
static int
dir_writable(const char *path, char *err, size_t errlen)
{
    char dir[PATH_MAX];

    fb_safefile_dir_of(path, dir, sizeof(dir));
    if (access(dir, W_OK | X_OK) == 0)
        return 0;
    snprintf(err, errlen, "cannot create reject file %s: %s: %s", path, dir,
             strerror(errno));
    return -1;
}

int
fb_rejects_prepare(const char *path, char *err, size_t errlen)
{
    struct stat st;
    int fd;

    if (lstat(path, &st) < 0 && errno == ENOENT)
        return dir_writable(path, err, errlen);
    fd = fb_safefile_open(path, "reject file", REJECT_FLAGS, REJECT_MODE, err,
                          errlen);
    if (fd < 0)
        return -1;
    close(fd);
    return 0;
}

int
fb_rejects_path(const char *pattern, int64_t unit_time, const char *tz,
                char *out, size_t cap, char *err, size_t errlen)
{
    char why[256];

    if (fb_hours_strftime(pattern, unit_time, tz, out, cap, why, sizeof(why)) !=
        0) {
        snprintf(err, errlen, "--reject-file: %s", why);
        return -1;
    }
    return 0;
}

int
fb_rejects_for_unit(const char *pattern, int64_t unit_time, const char *tz,
                    char *out, size_t cap, char *err, size_t errlen)
{
    out[0] = '\0';
    if (pattern == NULL)
        return 0;
    if (fb_rejects_path(pattern, unit_time, tz, out, cap, err, errlen) < 0)
        return -1;
    return fb_rejects_prepare(out, err, errlen);
}

struct fb_rejects *
fb_rejects_open(const char *path, const char *source, size_t max_record)
{
    struct fb_rejects *rj = calloc(1, sizeof(*rj));

    if (rj == NULL)
        return NULL;
    rj->fd = -1;
    rj->max_record = max_record;
    rj->source = strdup(source);
    if (rj->source == NULL || fb_rejects_set_path(rj, path) < 0) {
        fb_rejects_close(rj);
        return NULL;
    }
    return rj;
}

int
fb_rejects_set_path(struct fb_rejects *rj, const char *path)
{
    char *copy = NULL;

    if (path == NULL ? rj->path == NULL
                     : rj->path != NULL && strcmp(path, rj->path) == 0)
        return 0;
    if (path != NULL && (copy = strdup(path)) == NULL)
        return -1;
    if (rj->fd >= 0)
        close(rj->fd);
    rj->fd = -1;
    free(rj->path);
    rj->path = copy;
    return 0;
}

void
fb_rejects_close(struct fb_rejects *rj)
{
    if (rj == NULL)
        return;
    if (rj->fd >= 0)
        close(rj->fd);
    free(rj->line);
    free(rj->path);
    free(rj->source);
    free(rj);
}

static void
log_reject(const struct fb_rejects *rj, const struct fb_reject *r)
{
    const char *where = r->where != NULL ? r->where : rj->source;

    if (r->status != 0)
        fb_warn("rejected: %s line %" PRIu64 " (offset %" PRIu64
                "): HTTP %d %s: %s",
                where, r->line, r->offset, r->status, r->type, r->reason);
    else
        fb_warn("rejected: %s line %" PRIu64 " (offset %" PRIu64 "): %s: %s",
                where, r->line, r->offset, r->type, r->reason);
}

/* The file of the current path, opened as fb_rejects_prepare() checks it
 * (the parent did, but the name may have been replaced since). */
static int
open_file(struct fb_rejects *rj)
{
    char err[512];

    rj->fd = fb_safefile_open(rj->path, "reject file", REJECT_FLAGS,
                              REJECT_MODE, err, sizeof(err));
    if (rj->fd < 0) {
        fb_error("%s", err);
        return -1;
    }
    return 0;
}

static int
put_str(struct fb_rejects *rj, size_t *pos, const char *s)
{
    return fb_json_raw(rj->line, rj->cap, pos, s, strlen(s));
}

static int
put_uint(struct fb_rejects *rj, size_t *pos, uint64_t v)
{
    char num[24];
    int n = snprintf(num, sizeof(num), "%" PRIu64, v);

    return fb_json_raw(rj->line, rj->cap, pos, num, (size_t)n);
}

int
fb_rejects_write(struct fb_rejects *rj, const struct fb_reject *r)
{
    size_t pos = 0;
    size_t keep = r->record_len;
    bool cut = false;
    const char *reason = r->reason != NULL ? r->reason : "";
    const char *where = r->where != NULL ? r->where : rj->source;
    ssize_t n;

    if (rj->path == NULL) {
        log_reject(rj, r);
        return 0;
    }
    if (rj->line == NULL) {
        /* Escaping can grow a byte to six ("\u0001"). */
        rj->cap = rj->max_record * 6 + REJECT_OVERHEAD;
        rj->line = malloc(rj->cap);
        if (rj->line == NULL)
            return -1;
    }
    if (rj->fd < 0 && open_file(rj) < 0)
        return -1;
    if (keep > rj->max_record) {
        keep = rj->max_record;
        cut = true;
    }
    if (strlen(reason) > 1024)
        reason = "(reason longer than 1024 bytes)";

    if (put_str(rj, &pos, "{\"file\":") < 0 ||
        fb_json_escape(rj->line, rj->cap, &pos, where, strlen(where)) < 0 ||
        put_str(rj, &pos, ",\"line\":") < 0 || put_uint(rj, &pos, r->line) ||
        put_str(rj, &pos, ",\"offset\":") < 0 ||
        put_uint(rj, &pos, r->offset) < 0)
        goto overflow;
    if (r->status != 0 && (put_str(rj, &pos, ",\"status\":") < 0 ||
                           put_uint(rj, &pos, (uint64_t)r->status) < 0))
        goto overflow;
    if (put_str(rj, &pos, ",\"error\":{\"type\":") < 0 ||
        fb_json_escape(rj->line, rj->cap, &pos, r->type, strlen(r->type)) < 0 ||
        put_str(rj, &pos, ",\"reason\":") < 0 ||
        fb_json_escape(rj->line, rj->cap, &pos, reason, strlen(reason)) < 0 ||
        put_str(rj, &pos, "},\"record\":") < 0 ||
        fb_json_escape(rj->line, rj->cap, &pos, r->record, keep) < 0)
        goto overflow;
    if (cut && put_str(rj, &pos, ",\"record_truncated\":true") < 0)
        goto overflow;
    if (put_str(rj, &pos, "}\n") < 0)
        goto overflow;

    do {
        n = write(rj->fd, rj->line, pos);
    } while (n < 0 && errno == EINTR);
    if (n < 0 || (size_t)n != pos) {
        fb_error("cannot write reject file %s: %s", rj->path,
                 n < 0 ? strerror(errno) : "short write");
        return -1;
    }
    return 0;
overflow:
    /* Cannot happen with the capacity above; refuse rather than cut. */
    errno = EOVERFLOW;
    fb_error("reject line for %s offset %" PRIu64 " does not fit", rj->source,
             r->offset);
    return -1;
}
