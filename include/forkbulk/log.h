/*
 * log.h
 *    Line-atomic logging to stderr, a file or syslog.
 *
 * Each line is formatted into a local buffer and written with one write(2),
 * so lines from the parent and its workers never interleave mid-line.
 *
 * Where lines go, decided once at startup (fb_log_init) and by --log-file
 * (fb_log_open):
 *
 *   stderr      ISO-8601 UTC time, level, role[pid], message;
 *   the journal stderr when it is systemd's journal stream: the sd-daemon
 *               priority ("<3>" error, "<4>" warning, "<6>" info, "<7>"
 *               debug and trace), role[pid], message; no time (the journal
 *               stamps each line) and no level word (the priority is it);
 *   a file      (--log-file) stderr's format, in place of stderr;
 *   syslog      (--syslog) syslog(3), ident "forkbulk", LOG_PID, facility
 *               daemon, the same priorities, "role: message", in place of
 *               stderr; with --log-file as well, every line goes to both:
 *               the operator asked for both, and the file keeps its
 *               time stamps.
 */
#ifndef FORKBULK_LOG_H
#define FORKBULK_LOG_H

#include <stdbool.h>

enum fb_log_level {
    FB_LOG_ERROR = 0,
    FB_LOG_WARN,
    FB_LOG_INFO,
    FB_LOG_DEBUG,
    FB_LOG_TRACE,
};

/*
 * Chooses the line format, before any line is logged and before any
 * worker is forked (they inherit it): syslog when to_syslog, else the
 * journal's when stderr is the journal stream (JOURNAL_STREAM holds
 * "device:inode" and they are stderr's, as sd-daemon(3) says to check: a
 * child of a service whose stderr was redirected inherits the variable
 * but not the stream), else today's.  Without it, stderr's format.
 */
void fb_log_init(bool to_syslog);

/*
 * In a newly forked child, before it closes the descriptors it inherited:
 * the parent's syslog socket is dropped (the child's next line opens its
 * own), so that a closed socket's number, reused for something else, is
 * never written to.
 */
void fb_log_forked(void);

/* Set the process role shown in each line ("main", "worker 3"). */
void fb_log_set_role(const char *role);

void fb_log_set_level(enum fb_log_level level);

/*
 * A status line may stand on stderr, a terminal (progress.h): while on,
 * every line logged to stderr starts by erasing the terminal's current
 * line ("\r" and "erase to end of line", in the same write), so that a
 * line from any process replaces the status line instead of being glued
 * to its end; its owner draws it again afterwards.  Inherited by workers
 * forked while on.  Does nothing to lines that go to a file or syslog.
 */
void fb_log_set_erase_line(bool on);

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
