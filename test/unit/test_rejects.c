/*
 * test_rejects.c
 *    The reject file: prepared without losing a byte of what it holds,
 *    appended to, and switched to another file between units (the
 *    per-hour names), reopened only when the name changes.  Real files in
 *    a temporary folder.
 */
#include <errno.h>
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

#include "forkbulk/rejects.h"

static char dir[64];
static char path_a[128], path_b[128];

static int
setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof(dir), "/tmp/fb-rejects-XXXXXX");
    if (mkdtemp(dir) == NULL)
        return -1;
    snprintf(path_a, sizeof(path_a), "%s/a.ndjson", dir);
    snprintf(path_b, sizeof(path_b), "%s/b.ndjson", dir);
    return 0;
}

static int
teardown(void **state)
{
    (void)state;
    unlink(path_a);
    unlink(path_b);
    return rmdir(dir);
}

/* Lines in path (0 if it does not exist). */
static int
lines(const char *path)
{
    FILE *f = fopen(path, "r");
    int n = 0;
    int c;

    if (f == NULL)
        return 0;
    while ((c = fgetc(f)) != EOF)
        n += c == '\n';
    fclose(f);
    return n;
}

static void
reject(struct fb_rejects *rj, uint64_t line)
{
    struct fb_reject r = {NULL,           line,  line * 10, 0,
                          "invalid_json", "bad", "{bad",    4};

    assert_int_equal(fb_rejects_write(rj, &r), 0);
}

static void
test_prepare_keeps_content_and_creates_nothing(void **state)
{
    struct fb_rejects *rj = fb_rejects_open(path_a, "in.ndjson", 1024);
    struct fb_reject r = {NULL, 1, 0, 0, "invalid_json", "bad", "x", 1};
    char err[512];
    struct stat st;
    FILE *f;

    (void)state;
    /* A unit without rejects leaves no empty file behind. */
    assert_int_equal(fb_rejects_prepare(path_a, err, sizeof(err)), 0);
    assert_int_equal(stat(path_a, &st), -1);
    assert_int_equal(errno, ENOENT);
    /* The first reject creates it, 0600. */
    assert_non_null(rj);
    assert_int_equal(fb_rejects_write(rj, &r), 0);
    fb_rejects_close(rj);
    assert_int_equal(stat(path_a, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0600);
    assert_int_equal(lines(path_a), 1);
    /* What is there is never emptied. */
    f = fopen(path_a, "a");
    assert_non_null(f);
    fputs("{\"earlier\":1}\n", f);
    fclose(f);
    assert_int_equal(fb_rejects_prepare(path_a, err, sizeof(err)), 0);
    assert_int_equal(lines(path_a), 2);
    /* A directory that cannot take it is said at once. */
    assert_int_equal(
        fb_rejects_prepare("/nonexistent-dir/rejects", err, sizeof(err)), -1);
    assert_non_null(strstr(err, "cannot create reject file"));
}

/*
 * Units in turn, each with its reject file (0: none, 1: a, 2: b) and one
 * reject: the lines each file then holds (a held two lines already).
 */
static void
test_set_path_switches_files(void **state)
{
    static const struct {
        int file;
        int lines_a, lines_b;
    } units[] = {
        {1, 4, 0}, /* the same name again: the open file stays */
        {2, 4, 1}, /* the next unit's file */
        {0, 4, 1}, /* no file: logged only */
        {1, 5, 1},
    };
    const char *paths[] = {NULL, path_a, path_b};
    struct fb_rejects *rj = fb_rejects_open(path_a, "in.ndjson", 1024);

    (void)state;
    assert_non_null(rj);
    reject(rj, 1);
    assert_int_equal(lines(path_a), 3);
    for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
        assert_int_equal(fb_rejects_set_path(rj, paths[units[i].file]), 0);
        reject(rj, i + 2);
        assert_int_equal(lines(path_a), units[i].lines_a);
        assert_int_equal(lines(path_b), units[i].lines_b);
    }
    fb_rejects_close(rj);
}

static void
test_refused_file_is_an_error(void **state)
{
    struct fb_rejects *rj = fb_rejects_open(NULL, "in.ndjson", 1024);
    struct fb_reject r = {NULL, 1, 0, 0, "invalid_json", "bad", "x", 1};
    char link_path[160];
    char err[512];

    (void)state;
    assert_non_null(rj);
    snprintf(link_path, sizeof(link_path), "%s/link", dir);
    assert_int_equal(symlink(path_a, link_path), 0);
    assert_int_equal(fb_rejects_prepare(link_path, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "is a symbolic link"));
    assert_int_equal(fb_rejects_set_path(rj, link_path), 0);
    assert_int_equal(fb_rejects_write(rj, &r), -1);
    assert_int_equal(errno, EPERM);
    assert_int_equal(lines(path_a), 5);
    fb_rejects_close(rj);
    unlink(link_path);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_prepare_keeps_content_and_creates_nothing),
        cmocka_unit_test(test_set_path_switches_files),
        cmocka_unit_test(test_refused_file_is_an_error),
    };

    umask(022);
    return cmocka_run_group_tests(tests, setup, teardown);
}
