/*
 * test_safefile.c
 *    The files forkbulk writes: what someone else put at the name first
 *    (a symbolic link, a hard link, a FIFO, a directory, a file of another
 *    user, a lock others may write) is refused and left as it is; a file
 *    of ours is appended to, never emptied.  Real files in a temporary
 *    folder.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "forkbulk/safefile.h"
#include "forkbulk/status.h"

#define APPEND FB_SAFEFILE_APPEND
#define LOCK (FB_SAFEFILE_RDWR | FB_SAFEFILE_PRIVATE)

static char dir[64];
static char err[512];

static const char *
at(const char *name)
{
    static char paths[4][256];
    static int next;
    char *p = paths[next++ % 4];

    snprintf(p, sizeof(paths[0]), "%s/%s", dir, name);
    return p;
}

static void
put(const char *name, const char *text, mode_t mode)
{
    int fd = open(at(name), O_WRONLY | O_CREAT | O_TRUNC, mode);

    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    assert_int_equal(chmod(at(name), mode), 0);
}

/* The whole content of name, or "(none)". */
static const char *
content(const char *name)
{
    static char buf[256];
    int fd = open(at(name), O_RDONLY);
    ssize_t n;

    if (fd < 0)
        return "(none)";
    n = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    buf[n > 0 ? n : 0] = '\0';
    return buf;
}

static int
setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof(dir), "/tmp/fb-safefile-XXXXXX");
    umask(022);
    return mkdtemp(dir) != NULL ? 0 : -1;
}

/* Removes path and, for a directory, all under it (never following a
 * symbolic link). */
static void
remove_tree(const char *path)
{
    struct stat st;
    struct dirent *e;
    DIR *d;

    if (lstat(path, &st) != 0)
        return;
    if (!S_ISDIR(st.st_mode)) {
        unlink(path);
        return;
    }
    d = opendir(path);
    while (d != NULL && (e = readdir(d)) != NULL) {
        char sub[512];

        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        snprintf(sub, sizeof(sub), "%s/%s", path, e->d_name);
        remove_tree(sub);
    }
    if (d != NULL)
        closedir(d);
    rmdir(path);
}

static int
teardown(void **state)
{
    (void)state;
    remove_tree(dir);
    return 0;
}

/* Refused, with exactly this reason (the path is prefixed with the dir). */
static void
assert_refused(const char *name, int flags, const char *reason)
{
    char want[512];
    int fd = fb_safefile_open(at(name), "reject file", flags, 0600, err,
                              sizeof(err));

    assert_int_equal(fd, -1);
    assert_int_equal(errno, EPERM);
    snprintf(want, sizeof(want), "reject file %s/%s %s", dir, name, reason);
    assert_string_equal(err, want);
}

static void
test_creates_with_mode_and_appends(void **state)
{
    struct stat st;
    int fd;

    (void)state;
    fd = fb_safefile_open(at("new"), "reject file", APPEND, 0600, err,
                          sizeof(err));
    assert_true(fd >= 0);
    assert_int_equal(write(fd, "one\n", 4), 4);
    assert_int_equal(fstat(fd, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0600);
    assert_true((fcntl(fd, F_GETFD) & FD_CLOEXEC) != 0);
    assert_int_equal(fcntl(fd, F_GETFL) & O_NONBLOCK, 0);
    close(fd);
    /* Opened again: appended to, never emptied; the mode stays. */
    fd = fb_safefile_open(at("new"), "reject file", APPEND, 0644, err,
                          sizeof(err));
    assert_true(fd >= 0);
    assert_int_equal(write(fd, "two\n", 4), 4);
    close(fd);
    assert_string_equal(content("new"), "one\ntwo\n");
    assert_int_equal(stat(at("new"), &st), 0);
    assert_int_equal(st.st_mode & 07777, 0600);
}

static void
test_existing_file_of_ours_is_kept(void **state)
{
    int fd;

    (void)state;
    put("kept", "earlier run\n", 0640);
    fd = fb_safefile_open(at("kept"), "reject file", APPEND, 0600, err,
                          sizeof(err));
    assert_true(fd >= 0);
    close(fd);
    assert_string_equal(content("kept"), "earlier run\n");
    /* The lock reads and writes. */
    fd =
        fb_safefile_open(at("kept"), "lock file", LOCK, 0600, err, sizeof(err));
    assert_true(fd >= 0);
    assert_int_equal(fcntl(fd, F_GETFL) & O_ACCMODE, O_RDWR);
    close(fd);
}

/* A link made by make (symlink or link) at name to a file of ours is
 * refused with reason, and the file keeps its content. */
static void
assert_link_refused(int (*make)(const char *, const char *), const char *name,
                    const char *reason)
{
    char victim[64];

    snprintf(victim, sizeof(victim), "%s.victim", name);
    put(victim, "precious\n", 0600);
    assert_int_equal(make(at(victim), at(name)), 0);
    assert_refused(name, APPEND, reason);
    assert_string_equal(content(victim), "precious\n");
}

static void
test_symlink_refused_target_unchanged(void **state)
{
    (void)state;
    assert_link_refused(symlink, "link", "is a symbolic link");
    /* A dangling link is not followed to create its target either. */
    assert_int_equal(symlink(at("nowhere"), at("dangling")), 0);
    assert_refused("dangling", APPEND, "is a symbolic link");
    assert_string_equal(content("nowhere"), "(none)");
}

static void
test_hard_link_refused(void **state)
{
    (void)state;
    assert_link_refused(link, "hard", "has 2 links");
    assert_refused("hard.victim", APPEND, "has 2 links");
}

static void
test_fifo_and_directory_refused(void **state)
{
    (void)state;
    /* No reader: a blocking open would hang the run. */
    assert_int_equal(mkfifo(at("fifo"), 0600), 0);
    assert_refused("fifo", APPEND, "is not a regular file (it is a FIFO)");
    assert_int_equal(mkdir(at("subdir"), 0700), 0);
    assert_refused("subdir", APPEND,
                   "is not a regular file (it is a directory)");
    assert_refused("subdir", LOCK, "is not a regular file (it is a directory)");
}

static void
test_private_refuses_group_or_other_writable(void **state)
{
    int fd;

    (void)state;
    put("shared.lock", "", 0664);
    assert_refused("shared.lock", LOCK,
                   "is writable by group or others (mode 0664)");
    assert_int_equal(chmod(at("shared.lock"), 0606), 0);
    assert_refused("shared.lock", LOCK,
                   "is writable by group or others (mode 0606)");
    /* Without the flag (a reject file) the mode is the operator's. */
    fd = fb_safefile_open(at("shared.lock"), "reject file", APPEND, 0600, err,
                          sizeof(err));
    assert_true(fd >= 0);
    close(fd);
    assert_int_equal(chmod(at("shared.lock"), 0644), 0);
    fd = fb_safefile_open(at("shared.lock"), "lock file", LOCK, 0600, err,
                          sizeof(err));
    assert_true(fd >= 0);
    close(fd);
}

static void
test_missing_directory_says_why(void **state)
{
    char want[512];

    (void)state;
    assert_int_equal(fb_safefile_open(at("no/such/file"), "reject file", APPEND,
                                      0600, err, sizeof(err)),
                     -1);
    assert_int_equal(errno, ENOENT);
    snprintf(want, sizeof(want),
             "cannot open reject file %s/no/such/file: No such file or "
             "directory",
             dir);
    assert_string_equal(err, want);
}

/* Needs root to give a file away; as anyone else, says it is skipped. */
static void
test_file_of_another_user_refused(void **state)
{
    const struct passwd *pw = getpwnam("nobody");
    uid_t nobody = pw != NULL ? pw->pw_uid : 0;
    char self[64] = "";
    char reason[128];

    (void)state;
    /* getpwuid() reuses its result: keep the name. */
    pw = getpwuid(geteuid());
    if (pw != NULL)
        snprintf(self, sizeof(self), "%s", pw->pw_name);
    if (geteuid() != 0 || nobody == 0 || self[0] == '\0') {
        fprintf(stderr, "SKIP: a file of another user needs root (to chown "
                        "it to nobody)\n");
        skip();
    }
    put("theirs", "their data\n", 0600);
    assert_int_equal(chown(at("theirs"), nobody, (gid_t)-1), 0);
    snprintf(reason, sizeof(reason), "is owned by nobody, not %s", self);
    assert_refused("theirs", APPEND, reason);
    assert_refused("theirs", LOCK, reason);
    assert_string_equal(content("theirs"), "their data\n");
    /* A user without a name is shown by number. */
    assert_int_equal(chown(at("theirs"), 54321, (gid_t)-1), 0);
    if (getpwuid(54321) == NULL) {
        snprintf(reason, sizeof(reason), "is owned by uid 54321, not %s", self);
        assert_refused("theirs", APPEND, reason);
    }
}

static void
test_replace_writes_whole_file(void **state)
{
    struct stat st;

    (void)state;
    assert_int_equal(fb_safefile_replace(at("summary.json"), "summary",
                                         "{\"a\": 1}", 8, 0600, err,
                                         sizeof(err)),
                     FB_EXIT_OK);
    assert_string_equal(content("summary.json"), "{\"a\": 1}");
    assert_int_equal(stat(at("summary.json"), &st), 0);
    assert_int_equal(st.st_mode & 07777, 0600);
    assert_int_equal(fb_safefile_replace(at("summary.json"), "summary", "{}", 2,
                                         0640, err, sizeof(err)),
                     FB_EXIT_OK);
    assert_string_equal(content("summary.json"), "{}");
    assert_int_equal(stat(at("summary.json"), &st), 0);
    assert_int_equal(st.st_mode & 07777, 0640);
    assert_int_equal(st.st_nlink, 1);
}

static void
test_replace_refuses_what_is_not_ours(void **state)
{
    char want[512];

    (void)state;
    put("target", "precious\n", 0600);
    assert_int_equal(symlink(at("target"), at("summary-link")), 0);
    assert_int_equal(fb_safefile_replace(at("summary-link"), "summary", "{}", 2,
                                         0600, err, sizeof(err)),
                     FB_EXIT_CANTCREAT);
    snprintf(want, sizeof(want), "summary %s/summary-link is a symbolic link",
             dir);
    assert_string_equal(err, want);
    assert_int_equal(link(at("target"), at("summary-hard")), 0);
    assert_int_equal(fb_safefile_replace(at("summary-hard"), "summary", "{}", 2,
                                         0600, err, sizeof(err)),
                     FB_EXIT_CANTCREAT);
    assert_string_equal(content("target"), "precious\n");
    assert_int_equal(fb_safefile_replace(at("no/dir/summary"), "summary", "{}",
                                         2, 0600, err, sizeof(err)),
                     FB_EXIT_CANTCREAT);
    snprintf(want, sizeof(want),
             "cannot create summary %s/no/dir/summary: No such file or "
             "directory",
             dir);
    assert_string_equal(err, want);
}

/* No temporary file ("name.tmp.1f2e3d4c") is left beside a summary. */
static void
test_replace_leaves_no_temporary(void **state)
{
    struct dirent *e;
    DIR *d = opendir(dir);

    (void)state;
    assert_non_null(d);
    while ((e = readdir(d)) != NULL)
        assert_null(strstr(e->d_name, ".tmp."));
    closedir(d);
}

static void
test_mkdir(void **state)
{
    struct stat st;
    char want[512];

    (void)state;
    assert_int_equal(fb_safefile_mkdir(at("state"), "state directory", 0700,
                                       err, sizeof(err)),
                     0);
    assert_int_equal(stat(at("state"), &st), 0);
    assert_true(S_ISDIR(st.st_mode));
    assert_int_equal(st.st_mode & 07777, 0700);
    /* There already: used as it is. */
    assert_int_equal(chmod(at("state"), 0750), 0);
    assert_int_equal(fb_safefile_mkdir(at("state"), "state directory", 0700,
                                       err, sizeof(err)),
                     0);
    assert_int_equal(stat(at("state"), &st), 0);
    assert_int_equal(st.st_mode & 07777, 0750);
    /* The parent must exist; a file is not a directory. */
    assert_int_equal(fb_safefile_mkdir(at("none/state"), "state directory",
                                       0700, err, sizeof(err)),
                     -1);
    snprintf(want, sizeof(want),
             "cannot create state directory %s/none/state: No such file or "
             "directory",
             dir);
    assert_string_equal(err, want);
    put("plain", "", 0600);
    assert_int_equal(fb_safefile_mkdir(at("plain"), "state directory", 0700,
                                       err, sizeof(err)),
                     -1);
    snprintf(want, sizeof(want), "state directory %s/plain is not a directory",
             dir);
    assert_string_equal(err, want);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_creates_with_mode_and_appends),
        cmocka_unit_test(test_existing_file_of_ours_is_kept),
        cmocka_unit_test(test_symlink_refused_target_unchanged),
        cmocka_unit_test(test_hard_link_refused),
        cmocka_unit_test(test_fifo_and_directory_refused),
        cmocka_unit_test(test_private_refuses_group_or_other_writable),
        cmocka_unit_test(test_missing_directory_says_why),
        cmocka_unit_test(test_file_of_another_user_refused),
        cmocka_unit_test(test_replace_writes_whole_file),
        cmocka_unit_test(test_replace_refuses_what_is_not_ours),
        cmocka_unit_test(test_replace_leaves_no_temporary),
        cmocka_unit_test(test_mkdir),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
