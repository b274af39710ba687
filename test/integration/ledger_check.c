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
 *   ledger_check skip    CONNINFO SCHEMA TABLE JOB HOUR INDEX REASON
 *   ledger_check pending CONNINFO SCHEMA TABLE JOB FROM TO CAP
 *   ledger_check catchup CONNINFO SCHEMA TABLE JOB LOOKBACK_FROM LAST MAX
 *   ledger_check done    CONNINFO SCHEMA TABLE JOB FROM TO CAP
 *   ledger_check open    CONNINFO SCHEMA TABLE
 *   ledger_check lock    JOB PATH CONNINFO [fork-child]
 *
 * "-" stands for NULL (no schema, default table, no snapshot, no reason,
 * no lock file, no PostgreSQL lock).  Hours are UTC times as hours.h
 * parses them.  begin prints the run id, reap the count, pending
 * (fb_ledger_not_done) one hour per line, catchup (fb_ledger_pending) one
 * hour per line then "remaining N", done each done hour then "  loaded
 * run_id index".  open only opens the ledger and exits with
 * fb_ledger_open()'s code (the message on stderr).
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

    for (st = FB_RUN_RUNNING; st <= FB_RUN_SKIPPED; st++) {
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

/* Prints hours, one per line, as hours.h formats them in UTC. */
static int
print_hours(const int64_t *hours, size_t n, char *err)
{
    char when[40];

    for (size_t i = 0; i < n; i++) {
        if (fb_hours_format(hours[i], NULL, when, sizeof(when)) != 0) {
            snprintf(err, ERR_MAX, "cannot format %" PRId64, hours[i]);
            return 1;
        }
        printf("%s\n", when);
    }
    return 0;
}

/* A count argument of 0..PENDING_MAX. */
static int
parse_cap(const char *s, size_t *out, char *err)
{
    int64_t v = 0;

    if (fb_pg_int8(s, &v) != 0 || v < 0 || v > PENDING_MAX) {
        snprintf(err, ERR_MAX, "bad cap \"%s\"", s);
        return 1;
    }
    *out = (size_t)v;
    return 0;
}

/* One ledger operation on an open ledger; arguments from argv[5]. */
struct op {
    const char *name;
    int argc;
    int (*run)(struct fb_ledger *l, char **argv, char *err);
};

static int
op_begin(struct fb_ledger *l, char **argv, char *err)
{
    int64_t hour = 0, run_id = 0;

    if (to_hour(argv[6], &hour, err, ERR_MAX) != 0 ||
        fb_ledger_begin(l, argv[5], hour, argv[7], opt(argv[8]), &run_id, err,
                        ERR_MAX) != 0)
        return 1;
    printf("%" PRId64 "\n", run_id);
    return 0;
}

static int
op_range(struct fb_ledger *l, char **argv, char *err)
{
    int64_t v[6];

    for (int i = 0; i < 6; i++)
        if (fb_pg_int8(argv[5 + i], &v[i]) != 0) {
            snprintf(err, ERR_MAX, "bad number \"%s\"", argv[5 + i]);
            return 1;
        }
    return fb_ledger_range_done(l, v[0], (int)v[1], v[2], v[3], v[4], v[5], err,
                                ERR_MAX) != 0;
}

static int
op_end(struct fb_ledger *l, char **argv, char *err)
{
    struct fb_ledger_counts counts = {0, 0, 0};
    enum fb_run_status st = FB_RUN_RUNNING;
    int64_t run_id = 0;

    if (fb_pg_int8(argv[5], &run_id) != 0 || parse_status(argv[6], &st) != 0 ||
        fb_pg_int8(argv[7], &counts.loaded) != 0 ||
        fb_pg_int8(argv[8], &counts.rejected) != 0 ||
        fb_pg_int8(argv[9], &counts.read) != 0) {
        snprintf(err, ERR_MAX, "bad end arguments");
        return 1;
    }
    return fb_ledger_end(l, run_id, st, &counts, err, ERR_MAX) != 0;
}

static int
op_reap(struct fb_ledger *l, char **argv, char *err)
{
    size_t n = 0;

    if (fb_ledger_reap(l, argv[5], &n, err, ERR_MAX) != 0)
        return 1;
    printf("%zu\n", n);
    return 0;
}

static int
op_skip(struct fb_ledger *l, char **argv, char *err)
{
    int64_t hour = 0;

    return to_hour(argv[6], &hour, err, ERR_MAX) != 0 ||
           fb_ledger_skip(l, argv[5], hour, argv[7], opt(argv[8]), err,
                          ERR_MAX) != 0;
}

/* pending JOB FROM TO CAP: the hours of [FROM, TO) not done. */
static int
op_pending(struct fb_ledger *l, char **argv, char *err)
{
    int64_t from = 0, to = 0, hours[PENDING_MAX];
    size_t cap = 0, n = 0;

    if (to_hour(argv[6], &from, err, ERR_MAX) != 0 ||
        to_hour(argv[7], &to, err, ERR_MAX) != 0 ||
        parse_cap(argv[8], &cap, err) != 0 ||
        fb_ledger_not_done(l, argv[5], from, to, hours, cap, &n, err,
                           ERR_MAX) != 0)
        return 1;
    return print_hours(hours, n, err);
}

/* catchup JOB LOOKBACK_FROM LAST MAX: what --catch-up loads, then
 * "remaining N". */
static int
op_catchup(struct fb_ledger *l, char **argv, char *err)
{
    int64_t from = 0, last = 0, hours[PENDING_MAX];
    size_t max = 0, n = 0, remaining = 0;

    if (to_hour(argv[6], &from, err, ERR_MAX) != 0 ||
        to_hour(argv[7], &last, err, ERR_MAX) != 0 ||
        parse_cap(argv[8], &max, err) != 0 ||
        fb_ledger_pending(l, argv[5], from, last, max, hours, PENDING_MAX, &n,
                          &remaining, err, ERR_MAX) != 0 ||
        print_hours(hours, n, err) != 0)
        return 1;
    printf("remaining %zu\n", remaining);
    return 0;
}

/* done JOB FROM TO CAP: "hour loaded run_id index" per done hour. */
static int
op_done(struct fb_ledger *l, char **argv, char *err)
{
    struct fb_ledger_done done[PENDING_MAX];
    int64_t from = 0, to = 0;
    size_t cap = 0, n = 0;

    if (to_hour(argv[6], &from, err, ERR_MAX) != 0 ||
        to_hour(argv[7], &to, err, ERR_MAX) != 0 ||
        parse_cap(argv[8], &cap, err) != 0 ||
        fb_ledger_done_hours(l, argv[5], from, to, done, cap, &n, err,
                             ERR_MAX) != 0)
        return 1;
    for (size_t i = 0; i < n; i++) {
        if (print_hours(&done[i].hour_us, 1, err) != 0)
            return 1;
        printf("  %" PRId64 " %" PRId64 " %s\n", done[i].loaded, done[i].run_id,
               done[i].index);
    }
    return 0;
}

static const struct op ops[] = {
    {"begin", 9, op_begin},     {"range", 11, op_range},
    {"end", 10, op_end},        {"reap", 6, op_reap},
    {"skip", 9, op_skip},       {"pending", 9, op_pending},
    {"catchup", 9, op_catchup}, {"done", 9, op_done},
};

/* open CONNINFO SCHEMA TABLE exits with fb_ledger_open()'s own code;
 * every other operation opens the ledger, then exits 1 on failure. */
static int
do_ledger(int argc, char **argv, char *err)
{
    struct fb_pg_target pg = {argv[2], NULL};
    struct fb_ledger *l = NULL;
    const struct op *op = NULL;
    char table[256];
    int rc = 1;

    for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
        if (strcmp(argv[1], ops[i].name) == 0 && argc == ops[i].argc)
            op = &ops[i];
    if (op == NULL && !(strcmp(argv[1], "open") == 0 && argc == 5)) {
        snprintf(err, ERR_MAX, "usage: bad arguments for %s", argv[1]);
        return FB_EXIT_USAGE;
    }
    if (ledger_table(opt(argv[3]), opt(argv[4]), table, sizeof(table)) != 0) {
        snprintf(err, ERR_MAX, "table name too long");
        return 1;
    }
    rc = fb_ledger_open(&pg, table, &l, err, ERR_MAX);
    if (rc == 0 && op != NULL)
        rc = op->run(l, argv, err);
    else if (op != NULL)
        rc = 1;
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
    } else if (argc >= 5) {
        rc = do_ledger(argc, argv, err);
    } else {
        snprintf(err, sizeof(err), "usage: see ledger_check.c");
    }
    if (rc != 0)
        fprintf(stderr, "%s\n", err);
    fflush(stdout);
    return rc;
}
