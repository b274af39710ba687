/*
 * log.c
 *    Line-atomic logging: one write(2) per line.
 */
#include "forkbulk/log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "forkbulk/safefile.h"

/* Longer lines are cut; a log line must stay under PIPE_BUF-ish sizes so a
 * single write stays whole even on a pipe. */
#define FB_LOG_LINE_MAX 4096

static enum fb_log_level log_level = FB_LOG_INFO;
static char log_role[32] = "main";
static int log_fd = STDERR_FILENO;

static const char *const level_names[] = {"ERROR", "WARN", "INFO", "DEBUG",
                                          "TRACE"};

void
fb_log_set_role(const char *role)
{
    snprintf(log_role, sizeof(log_role), "%s", role);
}

void
fb_log_set_level(enum fb_log_level level)
{
    log_level = level;
}

int
fb_log_fd(void)
{
    return log_fd;
}

int
fb_log_open(const char *path)
{
    char err[512];
    int fd;

    if (path == NULL) {
        if (log_fd != STDERR_FILENO)
            close(log_fd);
        log_fd = STDERR_FILENO;
        return 0;
    }
    /* Readable by the group, for whoever reads logs there. */
    fd = fb_safefile_open(path, "log file", FB_SAFEFILE_APPEND, 0640, err,
                          sizeof(err));
    if (fd < 0) {
        fb_error("%s", err);
        return -1;
    }
    if (log_fd != STDERR_FILENO)
        close(log_fd);
    log_fd = fd;
    return 0;
}

void
fb_log(enum fb_log_level level, const char *fmt, ...)
{
    char line[FB_LOG_LINE_MAX];
    struct timeval tv;
    struct tm tm;
    size_t len;
    int n;
    va_list ap;
    int saved_errno = errno;

    if (level > log_level)
        return;

    gettimeofday(&tv, NULL);
    gmtime_r(&tv.tv_sec, &tm);
    len = strftime(line, sizeof(line), "%Y-%m-%dT%H:%M:%S", &tm);
    n = snprintf(line + len, sizeof(line) - len, ".%03ldZ %-5s %s[%ld] ",
                 (long)(tv.tv_usec / 1000), level_names[level], log_role,
                 (long)getpid());
    if (n > 0)
        len += (size_t)n;

    va_start(ap, fmt);
    n = vsnprintf(line + len, sizeof(line) - len - 1, fmt, ap);
    va_end(ap);
    if (n > 0)
        len += (size_t)n < sizeof(line) - len - 1 ? (size_t)n
                                                  : sizeof(line) - len - 2;
    line[len++] = '\n';

    /* One write: the line arrives whole or not at all. */
    while (write(log_fd, line, len) < 0 && errno == EINTR)
        ;
    errno = saved_errno;
}
