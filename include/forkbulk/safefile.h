/*
 * safefile.h
 *    The files forkbulk writes where another user of the host may have
 *    been first: reject files, the log, the lock file, the summary JSON.
 *
 * Such a file lives in a directory chosen by the operator (a log folder
 * logrotate shares, a scratch /tmp, a state directory someone created
 * by hand).  Whoever can write to that directory can put something at
 * the name before forkbulk comes: a symbolic link or a hard link to a
 * file forkbulk's user may write (another job's evidence, ~/.pgpass), a
 * FIFO that blocks the run, or a file of their own that they then read,
 * rewrite or hold locked.  Every such file therefore goes through here:
 *
 *   - it is opened with O_NOFOLLOW (a symbolic link as the last component
 *     is refused, never followed; the directories above it are the
 *     operator's), O_NONBLOCK for the open only (a FIFO cannot hang it),
 *     O_CLOEXEC, and never O_TRUNC: what a file already holds is evidence
 *     of an earlier run and stays;
 *   - the descriptor, once open, is checked with fstat (so nothing can
 *     swap the file between check and use): a regular file, owned by
 *     geteuid(), with exactly one link, and with FB_SAFEFILE_PRIVATE not
 *     writable by group or others.
 *
 * A refused file is left as it is, and the reason is one line naming the
 * file, what is wrong and (for ownership) who owns it:
 *   lock file /var/lib/forkbulk/flows.lock is owned by nobody, not forkbulk
 *   reject file /var/log/forkbulk/r.ndjson is a symbolic link
 *   reject file /var/log/forkbulk/r.ndjson has 2 links
 *   lock file /tmp/x.lock is writable by group or others (mode 0664)
 * Callers end the run with 73 (FB_EXIT_CANTCREAT) and that line.
 */
#ifndef FORKBULK_SAFEFILE_H
#define FORKBULK_SAFEFILE_H

#include <stddef.h>
#include <sys/types.h>

enum fb_safefile_flags {
    FB_SAFEFILE_APPEND = 1 << 0,  /* write-only, O_APPEND (rejects, log) */
    FB_SAFEFILE_RDWR = 1 << 1,    /* read and write (the lock file) */
    FB_SAFEFILE_PRIVATE = 1 << 2, /* refuse a file group or others may
                                   * write (the lock file) */
};

/*
 * Opens path, creating it with mode (before the umask; an existing
 * file keeps its own) when it does not exist, as flags say, and checks
 * it as above.  what is the file's role in messages ("reject file").
 * Returns a blocking, close-on-exec descriptor, or -1 with err holding
 * the reason and errno set: the open's ("cannot open reject file
 * /x/r.ndjson: No such file or directory"), or EPERM for a file that
 * exists and is refused.
 */
int fb_safefile_open(const char *path, const char *what, int flags, mode_t mode,
                     char *err, size_t errlen);

/*
 * Replaces path with the len bytes at data as a whole: they are written
 * to a new file beside it (created O_EXCL | O_NOFOLLOW with mode 0600,
 * then given mode), synced, and renamed over path, so a reader sees the
 * old content or the new, never a part.  An existing path that is not a
 * regular file, not ours or has more than one link is refused as
 * fb_safefile_open() refuses it, and left as it is (rename would only
 * replace the name, but a file forkbulk did not make is not its to drop).
 * Returns an exit code of status.h, with err set unless FB_EXIT_OK:
 *   FB_EXIT_CANTCREAT  path is refused, or the new file cannot be made;
 *   FB_EXIT_IOERR      writing, syncing or renaming failed (nothing of
 *                      the new file is left).
 */
int fb_safefile_replace(const char *path, const char *what, const void *data,
                        size_t len, mode_t mode, char *err, size_t errlen);

/*
 * Makes sure the directory path exists: creates it with mode when it
 * does not (its parent must exist; nothing above it is made).  A
 * directory that is there already is used as it is (it may be a
 * symbolic link an administrator made).  0, or -1 with err set.
 */
int fb_safefile_mkdir(const char *path, const char *what, mode_t mode,
                      char *err, size_t errlen);

/* The directory path is in: "." for a bare name, "/" for one at the
 * root; cut to len. */
void fb_safefile_dir_of(const char *path, char *dir, size_t len);

#endif
