/*
 * safefile.c
 *    Opening, replacing and making the files forkbulk writes, refusing
 *    whatever someone else may have put in their place (see safefile.h).
 */
#include "forkbulk/safefile.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "forkbulk/status.h"

/* Names a temporary file tries before giving up (each is random). */
#define TEMP_TRIES 100

static const char *
kind_of(mode_t m)
{
    if (S_ISDIR(m))
        return "a directory";
    if (S_ISFIFO(m))
        return "a FIFO";
    if (S_ISSOCK(m))
        return "a socket";
    if (S_ISCHR(m))
        return "a character device";
    if (S_ISBLK(m))
        return "a block device";
    return "not a file";
}

/* The user name of uid, or "uid N" when it has none. */
static void
user_name(uid_t uid, char *buf, size_t len)
{
    const struct passwd *pw = getpwuid(uid);

    if (pw != NULL)
        snprintf(buf, len, "%s", pw->pw_name);
    else
        snprintf(buf, len, "uid %lu", (unsigned long)uid);
}

/*
 * Why what stands at path (st, from lstat or fstat) may not be used, into
 * err, as -1 with errno EPERM; 0 when it may.
 */
static int
refuse(const char *path, const char *what, const struct stat *st, int flags,
       char *err, size_t errlen)
{
    char owner[64], self[64];

    if (S_ISLNK(st->st_mode)) {
        snprintf(err, errlen, "%s %s is a symbolic link", what, path);
    } else if (!S_ISREG(st->st_mode)) {
        snprintf(err, errlen, "%s %s is not a regular file (it is %s)", what,
                 path, kind_of(st->st_mode));
    } else if (st->st_uid != geteuid()) {
        user_name(st->st_uid, owner, sizeof(owner));
        user_name(geteuid(), self, sizeof(self));
        snprintf(err, errlen, "%s %s is owned by %s, not %s", what, path, owner,
                 self);
    } else if (st->st_nlink > 1) {
        snprintf(err, errlen, "%s %s has %lu links", what, path,
                 (unsigned long)st->st_nlink);
    } else if ((flags & FB_SAFEFILE_PRIVATE) &&
               (st->st_mode & (S_IWGRP | S_IWOTH)) != 0) {
        snprintf(err, errlen,
                 "%s %s is writable by group or others (mode %04o)", what, path,
                 (unsigned)(st->st_mode & 07777));
    } else {
        return 0;
    }
    errno = EPERM;
    return -1;
}

/* The open failed: says why, naming what stands at path if it is not a
 * file (a symbolic link gives ELOOP, a directory EISDIR, a FIFO without
 * a reader ENXIO). */
static int
open_failed(const char *path, const char *what, int flags, char *err,
            size_t errlen)
{
    int saved = errno;
    struct stat st;

    if (lstat(path, &st) == 0 && !S_ISREG(st.st_mode))
        return refuse(path, what, &st, flags, err, errlen);
    snprintf(err, errlen, "cannot open %s %s: %s", what, path, strerror(saved));
    errno = saved;
    return -1;
}

int
fb_safefile_open(const char *path, const char *what, int flags, mode_t mode,
                 char *err, size_t errlen)
{
    int oflags = O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC;
    struct stat st;
    int saved;
    int fd;

    oflags |= (flags & FB_SAFEFILE_RDWR) ? O_RDWR : O_WRONLY;
    if (flags & FB_SAFEFILE_APPEND)
        oflags |= O_APPEND;
    do {
        fd = open(path, oflags, mode);
    } while (fd < 0 && errno == EINTR);
    if (fd < 0)
        return open_failed(path, what, flags, err, errlen);
    if (fstat(fd, &st) != 0) {
        saved = errno;
        snprintf(err, errlen, "cannot stat %s %s: %s", what, path,
                 strerror(saved));
        goto fail;
    }
    if (refuse(path, what, &st, flags, err, errlen) < 0) {
        saved = errno;
        goto fail;
    }
    /* O_NONBLOCK was for the open; a regular file ignores it anyway. */
    if (fcntl(fd, F_SETFL, oflags & O_APPEND) != 0) {
        saved = errno;
        snprintf(err, errlen, "cannot set up %s %s: %s", what, path,
                 strerror(saved));
        goto fail;
    }
    return fd;
fail:
    close(fd);
    errno = saved;
    return -1;
}

/*
 * Creates a new file beside path ("path.tmp.1f2e3d4c"), 0600, never an
 * existing one; its name goes to tmp.  A descriptor, or -1 with err set.
 */
static int
make_temp(const char *path, const char *what, char *tmp, size_t tmplen,
          char *err, size_t errlen)
{
    static unsigned counter;
    struct timespec ts;
    unsigned long r;
    int fd = -1;

    for (int i = 0; i < TEMP_TRIES && fd < 0; i++) {
        clock_gettime(CLOCK_REALTIME, &ts);
        r = (unsigned long)ts.tv_nsec ^ ((unsigned long)getpid() << 12) ^
            (++counter * 2654435761UL);
        if ((size_t)snprintf(tmp, tmplen, "%s.tmp.%08lx", path,
                             r & 0xffffffffUL) >= tmplen) {
            errno = ENAMETOOLONG;
            break;
        }
        fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                  0600);
        if (fd < 0 && errno != EEXIST && errno != EINTR)
            break;
    }
    if (fd < 0) {
        snprintf(err, errlen, "cannot create %s %s: %s", what, path,
                 strerror(errno));
        tmp[0] = '\0';
    }
    return fd;
}

static int
write_all(int fd, const char *p, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, p, len);

        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            if (n == 0)
                errno = EIO;
            return -1;
        }
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

void
fb_safefile_dir_of(const char *path, char *dir, size_t len)
{
    char *slash;

    snprintf(dir, len, "%s", path);
    slash = strrchr(dir, '/');
    if (slash == NULL)
        snprintf(dir, len, ".");
    else
        slash[slash == dir ? 1 : 0] = '\0';
}

/* The rename reaches the disk with the directory (best effort: a
 * directory that cannot be synced still holds the new name). */
static void
sync_dir_of(const char *path)
{
    char dir[PATH_MAX];
    int fd;

    fb_safefile_dir_of(path, dir, sizeof(dir));
    fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        if (fsync(fd) != 0) {
            /* not every file system syncs directories */
        }
        close(fd);
    }
}

int
fb_safefile_replace(const char *path, const char *what, const void *data,
                    size_t len, mode_t mode, char *err, size_t errlen)
{
    char tmp[PATH_MAX];
    struct stat st;
    int rc = FB_EXIT_CANTCREAT;
    int fd;

    if (lstat(path, &st) == 0 && refuse(path, what, &st, 0, err, errlen) < 0)
        return rc;
    fd = make_temp(path, what, tmp, sizeof(tmp), err, errlen);
    if (fd < 0)
        return rc;
    rc = FB_EXIT_IOERR;
    if (fchmod(fd, mode) != 0 || write_all(fd, data, len) != 0 ||
        fsync(fd) != 0) {
        snprintf(err, errlen, "cannot write %s %s: %s", what, tmp,
                 strerror(errno));
        close(fd);
        goto out;
    }
    if (close(fd) != 0 || rename(tmp, path) != 0) {
        snprintf(err, errlen, "cannot write %s %s: %s", what, path,
                 strerror(errno));
        goto out;
    }
    tmp[0] = '\0'; /* it is path now */
    sync_dir_of(path);
    rc = FB_EXIT_OK;
out:
    if (tmp[0] != '\0')
        unlink(tmp);
    return rc;
}

int
fb_safefile_mkdir(const char *path, const char *what, mode_t mode, char *err,
                  size_t errlen)
{
    struct stat st;
    int saved;

    if (mkdir(path, mode) == 0)
        return 0;
    saved = errno;
    if (stat(path, &st) == 0) {
        if (S_ISDIR(st.st_mode))
            return 0;
        snprintf(err, errlen, "%s %s is not a directory", what, path);
        errno = ENOTDIR;
        return -1;
    }
    snprintf(err, errlen, "cannot create %s %s: %s", what, path,
             strerror(saved));
    errno = saved;
    return -1;
}
