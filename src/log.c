/*
 * log.c
 *    Line-atomic logging: one write(2) per line, or one syslog(3) call.
 */
#include "forkbulk/log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "forkbulk/safefile.h"

/* Longer lines are cut; a log line must stay under PIPE_BUF-ish sizes so a
 * single write stays whole even on a pipe. */
#define FB_LOG_LINE_MAX 4096

/* What "\r" and "erase to end of line" (ECMA-48 EL 0) look like. */
#define FB_LOG_ERASE "\r\033[K"

static enum fb_log_level log_level = FB_LOG_INFO;
static char log_role[32] = "main";
static int log_fd = STDERR_FILENO;
static bool log_journal; /* stderr is the journal: priorities, no time */
static bool log_syslog;  /* lines go through syslog(3) */
static bool log_erase;   /* a status line may stand on stderr */

static const char *const level_names[] = {"ERROR", "WARN", "INFO", "DEBUG",
                                          "TRACE"};
/* syslog(3)'s priority of each level; the journal's prefixes too. */
static const int level_priorities[] = {LOG_ERR, LOG_WARNING, LOG_INFO,
                                       LOG_DEBUG, LOG_DEBUG};

/* JOURNAL_STREAM is "device:inode" in decimal: stderr's, if it still is
 * the stream systemd connected (sd-daemon(3)). */
static bool
stderr_is_journal(void)
{
    const char *env = getenv("JOURNAL_STREAM");
    unsigned long long dev, ino;
    struct stat st;
    char *end;

    if (env == NULL || *env < '0' || *env > '9')
        return false;
    errno = 0;
    dev = strtoull(env, &end, 10);
    if (errno != 0 || *end != ':' || end[1] < '0' || end[1] > '9')
        return false;
    ino = strtoull(end + 1, &end, 10);
    if (errno != 0 || *end != '\0' || fstat(STDERR_FILENO, &st) < 0)
        return false;
    return (unsigned long long)st.st_dev == dev &&
           (unsigned long long)st.st_ino == ino;
}

static void
open_syslog(void)
{
    /* No LOG_NDELAY: the socket is opened by the first line. */
    openlog("forkbulk", LOG_PID, LOG_DAEMON);
}

void
fb_log_init(bool to_syslog)
{
    int saved_errno = errno;

    log_syslog = to_syslog;
    log_journal = !to_syslog && stderr_is_journal();
    if (to_syslog)
        open_syslog();
    errno = saved_errno;
}

void
fb_log_forked(void)
{
    if (!log_syslog)
        return;
    /* closelog() also forgets the ident: open again. */
    closelog();
    open_syslog();
}

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

void
fb_log_set_erase_line(bool on)
{
    log_erase = on;
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

/* Appends to line at *len, cutting what does not fit: the last byte of
 * the buffer stays free for the newline. */
static void vappend(char *line, size_t *len, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));

static void
vappend(char *line, size_t *len, const char *fmt, va_list ap)
{
    size_t cap = FB_LOG_LINE_MAX - 1;
    int n;

    if (*len + 1 >= cap)
        return;
    n = vsnprintf(line + *len, cap - *len, fmt, ap);
    if (n > 0)
        *len += (size_t)n < cap - *len ? (size_t)n : cap - *len - 1;
}

static void append(char *line, size_t *len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
append(char *line, size_t *len, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vappend(line, len, fmt, ap);
    va_end(ap);
}

/* What a line starts with where the descriptor leads: the journal's
 * priority, or the time and the level (after erasing a status line). */
static void
put_head(char *line, size_t *len, enum fb_log_level level)
{
    struct timeval tv;
    struct tm tm;
    bool on_stderr = log_fd == STDERR_FILENO;

    if (on_stderr && log_journal) {
        append(line, len, "<%d>%s[%ld] ", level_priorities[level], log_role,
               (long)getpid());
        return;
    }
    if (on_stderr && log_erase)
        append(line, len, "%s", FB_LOG_ERASE);
    gettimeofday(&tv, NULL);
    gmtime_r(&tv.tv_sec, &tm);
    *len +=
        strftime(line + *len, FB_LOG_LINE_MAX - *len, "%Y-%m-%dT%H:%M:%S", &tm);
    append(line, len, ".%03ldZ %-5s %s[%ld] ", (long)(tv.tv_usec / 1000),
           level_names[level], log_role, (long)getpid());
}

void
fb_log(enum fb_log_level level, const char *fmt, ...)
{
    char line[FB_LOG_LINE_MAX];
    size_t len = 0, msg;
    va_list ap;
    int saved_errno = errno;

    if (level > log_level)
        return;

    put_head(line, &len, level);
    msg = len;
    va_start(ap, fmt);
    vappend(line, &len, fmt, ap);
    va_end(ap);

    /* syslog takes stderr's place; a --log-file keeps its lines too. */
    if (log_syslog)
        syslog(level_priorities[level], "%s: %.*s", log_role, (int)(len - msg),
               line + msg);
    if (log_syslog && log_fd == STDERR_FILENO) {
        errno = saved_errno;
        return;
    }
    line[len++] = '\n';
    /* One write: the line arrives whole or not at all. */
    while (write(log_fd, line, len) < 0 && errno == EINTR)
        ;
    errno = saved_errno;
}
