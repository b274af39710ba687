/*
 * file_plan.c
 *    Range planning from file metadata (see file_plan.h).
 */
#include "forkbulk/file_plan.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "forkbulk/log.h"
#include "forkbulk/status.h"

uint64_t
fb_plan_range_size(uint64_t size, int workers)
{
    uint64_t want = size / ((uint64_t)workers * FB_RANGES_PER_WORKER);

    if (want < FB_RANGE_MIN)
        return FB_RANGE_MIN;
    if (want > FB_RANGE_MAX)
        return FB_RANGE_MAX;
    return want;
}

static bool
is_gzip(int fd)
{
    unsigned char magic[2];

    return pread(fd, magic, 2, 0) == 2 && magic[0] == 0x1f && magic[1] == 0x8b;
}

int
fb_input_kind(const char *path, enum fb_input_kind *kind, uint64_t *size)
{
    struct stat st;
    int fd;

    *size = 0;
    if (strcmp(path, "-") == 0) {
        *kind = FB_INPUT_STREAM;
        return 0;
    }
    fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0)
        return -1;
    if (fstat(fd, &st) < 0) {
        int saved = errno;

        close(fd);
        errno = saved;
        return -1;
    }
    if (S_ISDIR(st.st_mode)) {
        close(fd);
        errno = EISDIR;
        return -1;
    }
    if (!S_ISREG(st.st_mode))
        *kind = FB_INPUT_STREAM;
    else if (is_gzip(fd))
        *kind = FB_INPUT_GZIP;
    else {
        *kind = FB_INPUT_FILE;
        *size = (uint64_t)st.st_size;
    }
    close(fd);
    return 0;
}

int
fb_plan_input(const struct fb_options *opts, struct fb_plan *plan)
{
    enum fb_input_kind kind;

    memset(plan, 0, sizeof(*plan));
    if (fb_input_kind(opts->input, &kind, &plan->size) < 0) {
        fb_error("cannot read input %s: %s", opts->input, strerror(errno));
        return FB_EXIT_NOINPUT;
    }
    if (kind != FB_INPUT_FILE) {
        /* A pipe or a gzip stream can only be read from the start. */
        plan->whole = true;
        plan->n_ranges = 1;
        return 0;
    }
    plan->range_bytes = opts->range_bytes != 0
                            ? opts->range_bytes
                            : fb_plan_range_size(plan->size, opts->workers);
    plan->n_ranges = (plan->size + plan->range_bytes - 1) / plan->range_bytes;
    return 0;
}

void
fb_plan_range(const struct fb_plan *plan, uint64_t i, uint64_t *lo,
              uint64_t *hi)
{
    if (plan->whole) {
        *lo = 0;
        *hi = UINT64_MAX;
        return;
    }
    *lo = i * plan->range_bytes;
    *hi = *lo + plan->range_bytes;
    if (*hi > plan->size)
        *hi = plan->size;
}
