/*
 * ledger_check.c
 *    Drives the ledger and lock modules from the command line, one
 *    operation per run, for test_ledger.py (which starts a private
 *    PostgreSQL and checks the tables and messages exactly).
 *
 *   ledger_check key JOB
 *   ledger_check begin   CONNINFO SCHEMA TABLE JOB HOUR INDEX SNAPSHOT
 *   ledger_check range   CONNINFO SCHEMA TABLE RUN NO LO HI LOADED REJECTED
 *   ledger_check end     CONNINFO SCHEMA TABLE RUN STATUS LOADED REJECTED READ
 *   ledger_check reap    CONNINFO SCHEMA TABLE JOB
 *   ledger_check pending CONNINFO SCHEMA TABLE JOB FROM TO CAP
 *   ledger_check lock    JOB PATH CONNINFO [fork-child]
 *
 * "-" stands for NULL (no schema, default table, no snapshot, no lock
 * file, no PostgreSQL lock).  Hours are UTC times as hours.h parses them.
 * begin prints the run id, reap the count, pending one hour per line.
 * lock prints "acquired <pid>" (and "child <pid>" with fork-child: a
 * child that closes every descriptor it inherited, as forkbulk's workers
 * do, and sleeps), holds the locks until its stdin closes, then releases
 * them; when refused it prints the message on stderr and exits with
 * fb_lock_acquire()'s code.  Other failures print the message and exit 1;
 * bad usage exits 64.  CONNINFO is given to libpq as it is, with no
 * password (PGPASSWORD and ~/.pgpass apply).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "forkbulk/hours.h"
#include "forkbulk/ledger.h"
#include "forkbulk/lock.h"
#include "forkbulk/pg_conn.h"
#include "forkbulk/status.h"

#define ERR_MAX 1024
#define PENDING_MAX 1000

static const char *
opt(const char *s)
{
    return strcmp(s, "-") == 0 ? NULL : s;
}

static int
to_hour(const char *s, int64_t *out, char *err, size_t errlen)
{
    return fb_hours_parse_time(s, NULL, out, err, errlen);
}

static int
parse_status(const char *s, enum fb_run_status *out)
{
    enum fb_run_status st;

    for (st = FB_RUN_RUNNING; st <= FB_RUN_INTERRUPTED; st++) {
        if (strcmp(s, fb_ledger_status_name(st)) == 0) {
            *out = st;
            return 0;
        }
    }
    return -1;
}

/* Holds the lock until stdin closes. */
static int
do_lock(int argc, char **argv, char *err)
{
    struct fb_pg_target pg = {argv[4], NULL};
    struct fb_lock *l = NULL;
    char buf[64];
    pid_t child = -1;
    int rc = 0;

    rc = fb_lock_acquire(argv[2], opt(argv[3]), opt(argv[4]) ? &pg : NULL, &l,
                         err, ERR_MAX);
    if (rc != FB_EXIT_OK)
        goto out;
    printf("acquired %ld\n", (long)getpid());
    if (argc > 5 && strcmp(argv[5], "fork-child") == 0) {
        fflush(NULL);
        child = fork();
        if (child < 0) {
            snprintf(err, ERR_MAX, "fork: %s", strerror(errno));
            rc = FB_EXIT_OSERR;
            goto out;
        }
        if (child == 0) {
            int i;

            /* Like a worker (supervisor.c): drops its copies of the lock
             * file and of the lock's session, not the parent's locks. */
            closefrom(STDERR_FILENO + 1);
            /* Bounded, so a child the test forgets dies on its own. */
            for (i = 0; i < 60; i++)
                sleep(1);
            _exit(0);
        }
        printf("child %ld\n", (long)child);
    }
    fflush(stdout);
    while (read(STDIN_FILENO, buf, sizeof(buf)) > 0)
        ;
    rc = FB_EXIT_OK;
out:
    fb_lock_release(l);
    return rc;
}

/* "schema.table" (or table, or "" for the default) for fb_ledger_open. */
static int
ledger_table(const char *schema, const char *table, char *out, size_t cap)
{
    int n = schema != NULL ? snprintf(out, cap, "%s.%s", schema,
                                      table != NULL ? table : FB_LEDGER_TABLE)
                           : snprintf(out, cap, "%s", table ? table : "");

    return n < 0 || (size_t)n >= cap ? -1 : 0;
}

static int
do_ledger(int argc, char **argv, char *err)
{
    const char *op = argv[1];
    struct fb_pg_target pg = {argv[2], NULL};
    struct fb_ledger *l = NULL;
    struct fb_ledger_counts counts = {0, 0, 0};
    enum fb_run_status st = FB_RUN_RUNNING;
    int64_t v[6] = {0, 0, 0, 0, 0, 0};
    int64_t *hours = NULL;
    char when[40];
    char table[256];
    size_t n = 0, i;
    int rc = 1;

    if (ledger_table(opt(argv[3]), opt(argv[4]), table, sizeof(table)) != 0 ||
        fb_ledger_open(&pg, table, &l, err, ERR_MAX) != 0)
        goto out;
    if (strcmp(op, "begin") == 0 && argc == 9) {
        if (to_hour(argv[6], &v[0], err, ERR_MAX) != 0 ||
            fb_ledger_begin(l, argv[5], v[0], argv[7], opt(argv[8]), &v[1], err,
                            ERR_MAX) != 0)
            goto out;
        printf("%" PRId64 "\n", v[1]);
    } else if (strcmp(op, "range") == 0 && argc == 11) {
        for (i = 0; i < 6; i++)
            if (fb_pg_int8(argv[5 + i], &v[i]) != 0) {
                snprintf(err, ERR_MAX, "bad number \"%s\"", argv[5 + i]);
                goto out;
            }
        if (fb_ledger_range_done(l, v[0], (int)v[1], v[2], v[3], v[4], v[5],
                                 err, ERR_MAX) != 0)
            goto out;
    } else if (strcmp(op, "end") == 0 && argc == 10) {
        if (fb_pg_int8(argv[5], &v[0]) != 0 ||
            parse_status(argv[6], &st) != 0 ||
            fb_pg_int8(argv[7], &counts.loaded) != 0 ||
            fb_pg_int8(argv[8], &counts.rejected) != 0 ||
            fb_pg_int8(argv[9], &counts.read) != 0) {
            snprintf(err, ERR_MAX, "bad end arguments");
            goto out;
        }
        if (fb_ledger_end(l, v[0], st, &counts, err, ERR_MAX) != 0)
            goto out;
    } else if (strcmp(op, "reap") == 0 && argc == 6) {
        if (fb_ledger_reap(l, argv[5], &n, err, ERR_MAX) != 0)
            goto out;
        printf("%zu\n", n);
    } else if (strcmp(op, "pending") == 0 && argc == 9) {
        if (to_hour(argv[6], &v[0], err, ERR_MAX) != 0 ||
            to_hour(argv[7], &v[1], err, ERR_MAX) != 0)
            goto out;
        if (fb_pg_int8(argv[8], &v[2]) != 0 || v[2] < 0 || v[2] > PENDING_MAX) {
            snprintf(err, ERR_MAX, "bad cap \"%s\"", argv[8]);
            goto out;
        }
        hours = calloc((size_t)v[2] + 1, sizeof(*hours));
        if (hours == NULL) {
            snprintf(err, ERR_MAX, "out of memory");
            goto out;
        }
        if (fb_ledger_pending(l, argv[5], v[0], v[1], hours, (size_t)v[2], &n,
                              err, ERR_MAX) != 0)
            goto out;
        for (i = 0; i < n; i++) {
            if (fb_hours_format(hours[i], NULL, when, sizeof(when)) != 0) {
                snprintf(err, ERR_MAX, "cannot format %" PRId64, hours[i]);
                goto out;
            }
            printf("%s\n", when);
        }
    } else {
        snprintf(err, ERR_MAX, "usage: bad arguments for %s", op);
        rc = FB_EXIT_USAGE;
        goto out;
    }
    rc = 0;
out:
    free(hours);
    fb_ledger_close(l);
    return rc;
}

int
main(int argc, char **argv)
{
    char err[ERR_MAX] = "";
    int rc = FB_EXIT_USAGE;

    if (argc == 3 && strcmp(argv[1], "key") == 0) {
        printf("%" PRId64 "\n", fb_lock_key(argv[2]));
        rc = 0;
    } else if (argc >= 5 && strcmp(argv[1], "lock") == 0) {
        rc = do_lock(argc, argv, err);
    } else if (argc >= 6) {
        rc = do_ledger(argc, argv, err);
    } else {
        snprintf(err, sizeof(err), "usage: see ledger_check.c");
    }
    if (rc != 0)
        fprintf(stderr, "%s\n", err);
    fflush(stdout);
    return rc;
}
