/*
 * log.h
 *    Line-atomic logging to stderr or a file.
 *
 * Each line is formatted into a local buffer and written with one write(2),
 * so lines from the parent and its workers never interleave mid-line.
 * Format: ISO-8601 UTC time, level, role[pid], message.
 */
#ifndef FORKBULK_LOG_H
#define FORKBULK_LOG_H

enum fb_log_level {
    FB_LOG_ERROR = 0,
    FB_LOG_WARN,
    FB_LOG_INFO,
    FB_LOG_DEBUG,
    FB_LOG_TRACE,
};

/* Set the process role shown in each line ("main", "worker 3"). */
void fb_log_set_role(const char *role);

void fb_log_set_level(enum fb_log_level level);

/*
 * Log to the file at path instead of stderr; NULL goes back to stderr.
 * The file is opened for appending, created 0640, through safefile.h
 * (never through a symbolic link; a file that is not regular, not ours
 * or has more than one link is refused).  Returns 0, or -1 with errno set
 * (EPERM: refused) after logging the reason, naming the file, where lines
 * went so far (stderr at start, the old file on a reopen), which stays
 * in use.  Called again on SIGHUP (outside the handler) to reopen a
 * rotated file.
 */
int fb_log_open(const char *path);

/* The descriptor log lines go to (workers keep it open). */
int fb_log_fd(void);

void fb_log(enum fb_log_level level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#define fb_error(...) fb_log(FB_LOG_ERROR, __VA_ARGS__)
#define fb_warn(...) fb_log(FB_LOG_WARN, __VA_ARGS__)
#define fb_info(...) fb_log(FB_LOG_INFO, __VA_ARGS__)
#define fb_debug(...) fb_log(FB_LOG_DEBUG, __VA_ARGS__)

#endif
