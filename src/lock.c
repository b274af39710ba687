/*
 * lock.c
 *    The job lock: flock on a lock file plus a PostgreSQL session-level
 *    advisory lock, each naming its holder for the run that is refused.
 */
#include "forkbulk/lock.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "forkbulk/log.h"
#include "forkbulk/pg_conn.h"
#include "forkbulk/safefile.h"
#include "forkbulk/status.h"

#define HOST_MAX 256
#define JOB_MAX 200
#define HOLDER_MAX 512
/* Only forkbulk's user may open the lock file (see lock_file()). */
#define LOCK_MODE 0600
#define STATE_DIR_MODE 0700

/* Who we are, as written into the lock file and application_name. */
struct holder {
    long pid;
    char host[HOST_MAX];
    char start[32];
};

struct fb_lock {
    int fd;         /* lock file, or -1 */
    PGconn *conn;   /* advisory-lock session, or NULL */
    char *conninfo; /* to take the advisory lock again (fb_lock_check);
                     * NULL: no advisory lock was asked for */
    char *password; /* NULL: libpq's own */
    char job[JOB_MAX + 1];
    struct holder self;
};

int64_t
fb_lock_key(const char *job)
{
    static const char prefix[] = "forkbulk:";
    uint64_t h = UINT64_C(14695981039346656037);
    const unsigned char *p = NULL;

    for (p = (const unsigned char *)prefix; *p != '\0'; p++) {
        h ^= *p;
        h *= UINT64_C(1099511628211);
    }
    for (p = (const unsigned char *)job; *p != '\0'; p++) {
        h ^= *p;
        h *= UINT64_C(1099511628211);
    }
    /* Two's complement: the same 64 bits as PostgreSQL's bigint. */
    return (int64_t)h;
}

static void
holder_self(struct holder *h)
{
    time_t now = time(NULL);
    struct tm tm;

    h->pid = (long)getpid();
    if (gethostname(h->host, sizeof(h->host)) != 0)
        snprintf(h->host, sizeof(h->host), "unknown");
    h->host[sizeof(h->host) - 1] = '\0';
    memset(&tm, 0, sizeof(tm));
    gmtime_r(&now, &tm);
    if (strftime(h->start, sizeof(h->start), "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
        snprintf(h->start, sizeof(h->start), "unknown");
}

/* Replaces what a terminal could misread (control bytes, non-ASCII)
 * in text read from a file or another session. */
static void
sanitize(char *s)
{
    for (; *s != '\0'; s++)
        if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
            *s = '?';
}

/*
 * Splits "pid a b" (space separated, newline ended) into its three
 * fields; 0 on success.  Used for both the lock file line "pid host
 * start" and the application_name tail "pid start host".
 */
static int
split3(char *line, long *pid, char **a, char **b)
{
    char *end = NULL;
    char *sp = NULL;
    long long v = 0;

    line[strcspn(line, "\n")] = '\0';
    errno = 0;
    v = strtoll(line, &end, 10);
    if (errno != 0 || end == line || *end != ' ' || v <= 0 || v > INT32_MAX)
        return -1;
    *a = end + 1;
    sp = strchr(*a, ' ');
    if (sp == NULL || sp == *a || sp[1] == '\0')
        return -1;
    *sp = '\0';
    *b = sp + 1;
    *pid = (long)v;
    sanitize(*a);
    sanitize(*b);
    return 0;
}

/* The lock file half.  Returns an exit code; *fdp is the locked file. */
static int
lock_file(const char *job, const char *path, const struct holder *self,
          int *fdp, char *err, size_t errlen)
{
    char buf[HOLDER_MAX];
    char line[HOLDER_MAX];
    char *host = NULL, *start = NULL;
    long pid = 0;
    ssize_t n = 0;
    int len = 0;
    int fd = -1;
    int rc = FB_EXIT_CANTCREAT;

    fd = fb_safefile_open(path, "lock file",
                          FB_SAFEFILE_RDWR | FB_SAFEFILE_PRIVATE, LOCK_MODE,
                          err, errlen);
    if (fd < 0)
        goto out;
    /* flock() needs only a read-only descriptor: whoever may read the
     * file may hold the lock and stop every run.  It is ours (checked). */
    if (fchmod(fd, LOCK_MODE) != 0) {
        snprintf(err, errlen, "cannot chmod lock file %s: %s", path,
                 strerror(errno));
        goto out;
    }
    while (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        if (errno == EINTR)
            continue;
        if (errno != EWOULDBLOCK) {
            snprintf(err, errlen, "cannot lock %s: %s", path, strerror(errno));
            goto out;
        }
        n = pread(fd, buf, sizeof(buf) - 1, 0);
        buf[n > 0 ? n : 0] = '\0';
        if (split3(buf, &pid, &host, &start) == 0)
            snprintf(err, errlen,
                     "job \"%s\" is already running: pid %ld on host %s "
                     "since %s (lock file %s)",
                     job, pid, host, start, path);
        else
            snprintf(err, errlen,
                     "job \"%s\" is already running: lock file %s is "
                     "locked but does not name its holder yet",
                     job, path);
        rc = FB_EXIT_TEMPFAIL;
        goto out;
    }
    len = snprintf(line, sizeof(line), "%ld %s %s\n", self->pid, self->host,
                   self->start);
    if (len < 0 || (size_t)len >= sizeof(line) || ftruncate(fd, 0) != 0 ||
        pwrite(fd, line, (size_t)len, 0) != len) {
        snprintf(err, errlen, "cannot write lock file %s: %s", path,
                 strerror(errno));
        goto out;
    }
    *fdp = fd;
    fd = -1;
    rc = FB_EXIT_OK;
out:
    if (fd >= 0)
        close(fd);
    return rc;
}

int
fb_lock_default_path(const char *state_dir, const char *job, char *path,
                     size_t len, char *err, size_t errlen)
{
    size_t n = strlen(state_dir != NULL ? state_dir : "");

    if (n == 0) {
        snprintf(err, errlen,
                 "job \"%s\": no state directory for its lock file (give "
                 "--state-dir or --lock-file)",
                 job);
        return -1;
    }
    if (n + 1 + strlen(job) + sizeof(".lock") > len) {
        snprintf(err, errlen, "state directory %s: lock file name too long",
                 state_dir);
        return -1;
    }
    if (fb_safefile_mkdir(state_dir, "state directory", STATE_DIR_MODE, err,
                          errlen) < 0)
        return -1;
    memcpy(path, state_dir, n);
    path[n++] = '/';
    /* The job name may hold anything; the file name holds only these. */
    for (const char *c = job; *c != '\0'; c++)
        path[n++] = (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
                            (*c >= '0' && *c <= '9') || *c == '-'
                        ? *c
                        : '_';
    memcpy(path + n, ".lock", sizeof(".lock"));
    return 0;
}

/* Names the session that holds the advisory lock, into err. */
static void
describe_pg_holder(PGconn *conn, const char *job, int64_t key, char *err,
                   size_t errlen)
{
    static const char sql[] =
        "SELECT a.application_name, a.pid,"
        " COALESCE(pg_catalog.to_char(a.backend_start AT TIME ZONE 'UTC',"
        "  'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), 'unknown')"
        " FROM pg_catalog.pg_locks l JOIN pg_catalog.pg_stat_activity a"
        " ON a.pid OPERATOR(pg_catalog.=) l.pid"
        " WHERE l.locktype OPERATOR(pg_catalog.=) 'advisory' AND l.granted"
        " AND l.database OPERATOR(pg_catalog.=)"
        " (SELECT oid FROM pg_catalog.pg_database"
        "  WHERE datname OPERATOR(pg_catalog.=) pg_catalog.current_database())"
        " AND l.classid OPERATOR(pg_catalog.=) $1::pg_catalog.oid"
        " AND l.objid OPERATOR(pg_catalog.=) $2::pg_catalog.oid"
        " AND l.objsubid OPERATOR(pg_catalog.=) 1"
        " LIMIT 1";
    char hi[16], lo[16];
    const char *vals[2] = {hi, lo};
    struct fb_pg_params params = {2, vals, NULL};
    char app[HOLDER_MAX];
    char backend[32];
    char since[64];
    char *start = NULL, *host = NULL;
    PGresult *res = NULL;
    long pid = 0;

    snprintf(hi, sizeof(hi), "%" PRIu32, (uint32_t)((uint64_t)key >> 32));
    snprintf(lo, sizeof(lo), "%" PRIu32, (uint32_t)((uint64_t)key));
    if (fb_pg_exec(conn, sql, &params, PGRES_TUPLES_OK, "lock holder", &res,
                   err, errlen) != 0 ||
        PQntuples(res) != 1) {
        snprintf(err, errlen,
                 "job \"%s\" is already running: another session holds "
                 "PostgreSQL advisory lock %" PRId64
                 " (it may just have ended; try again)",
                 job, key);
        goto out;
    }
    snprintf(app, sizeof(app), "%s", PQgetvalue(res, 0, 0));
    snprintf(backend, sizeof(backend), "%s", PQgetvalue(res, 0, 1));
    snprintf(since, sizeof(since), "%s", PQgetvalue(res, 0, 2));
    sanitize(backend);
    sanitize(since);
    if (strncmp(app, "forkbulk ", 9) == 0 &&
        split3(app + 9, &pid, &start, &host) == 0) {
        snprintf(err, errlen,
                 "job \"%s\" is already running: pid %ld on host %s since %s "
                 "(PostgreSQL advisory lock %" PRId64 ")",
                 job, pid, host, start, key);
        goto out;
    }
    sanitize(app);
    snprintf(err, errlen,
             "job \"%s\" is already running: PostgreSQL backend %s holds "
             "advisory lock %" PRId64 " (application \"%s\", connected since "
             "%s)",
             job, backend, key, app, since);
out:
    PQclear(res);
}

/* The advisory-lock half.  Returns an exit code; *connp holds the lock. */
static int
lock_pg(const char *job, const struct fb_pg_target *pg,
        const struct holder *self, PGconn **connp, char *err, size_t errlen)
{
    char app[HOLDER_MAX];
    char keytext[32];
    const char *vals[1] = {keytext};
    struct fb_pg_params params = {1, vals, NULL};
    int64_t key = fb_lock_key(job);
    PGconn *conn = NULL;
    PGresult *res = NULL;
    int rc = FB_EXIT_UNAVAILABLE;

    /* Visible to every user in pg_stat_activity, unlike client_addr. */
    snprintf(app, sizeof(app), "forkbulk %ld %s %s", self->pid, self->start,
             self->host);
    if (fb_pg_connect(pg, app, NULL,
                      "cannot connect to PostgreSQL for the job lock", &conn,
                      err, errlen) != 0)
        goto out;
    snprintf(keytext, sizeof(keytext), "%" PRId64, key);
    if (fb_pg_exec(
            conn, "SELECT pg_catalog.pg_try_advisory_lock($1::pg_catalog.int8)",
            &params, PGRES_TUPLES_OK, "cannot take the job lock in PostgreSQL",
            &res, err, errlen) != 0)
        goto out;
    if (strcmp(PQgetvalue(res, 0, 0), "t") != 0) {
        describe_pg_holder(conn, job, key, err, errlen);
        rc = FB_EXIT_TEMPFAIL;
        goto out;
    }
    *connp = conn;
    conn = NULL;
    rc = FB_EXIT_OK;
out:
    PQclear(res);
    PQfinish(conn);
    return rc;
}

/* The advisory lock's session as fb_lock_acquire() was given it. */
static int
relock_pg(struct fb_lock *l, char *err, size_t errlen)
{
    struct fb_pg_target pg = {l->conninfo, l->password};

    return lock_pg(l->job, &pg, &l->self, &l->conn, err, errlen);
}

int
fb_lock_acquire(const char *job, const char *path,
                const struct fb_pg_target *pg, struct fb_lock **out, char *err,
                size_t errlen)
{
    struct fb_lock *l = NULL;
    int rc = FB_EXIT_CONFIG;

    *out = NULL;
    if (job == NULL || job[0] == '\0' || strlen(job) > JOB_MAX) {
        snprintf(err, errlen, "the job name must be 1 to %d bytes", JOB_MAX);
        goto out;
    }
    if ((path == NULL || path[0] == '\0') && pg == NULL) {
        snprintf(err, errlen,
                 "job \"%s\": no lock file and no PostgreSQL lock: refusing "
                 "to run unlocked",
                 job);
        goto out;
    }
    l = calloc(1, sizeof(*l));
    if (l == NULL) {
        snprintf(err, errlen, "out of memory");
        rc = FB_EXIT_OSERR;
        goto out;
    }
    l->fd = -1;
    snprintf(l->job, sizeof(l->job), "%s", job);
    holder_self(&l->self);
    if (path != NULL && path[0] != '\0') {
        rc = lock_file(job, path, &l->self, &l->fd, err, errlen);
        if (rc != FB_EXIT_OK)
            goto out;
    }
    if (pg != NULL) {
        rc = FB_EXIT_OSERR;
        l->conninfo = strdup(pg->conninfo != NULL ? pg->conninfo : "");
        l->password = pg->password != NULL ? strdup(pg->password) : NULL;
        if (l->conninfo == NULL ||
            (pg->password != NULL && l->password == NULL)) {
            snprintf(err, errlen, "out of memory");
            goto out;
        }
        rc = relock_pg(l, err, errlen);
        if (rc != FB_EXIT_OK)
            goto out;
    }
    *out = l;
    l = NULL;
    rc = FB_EXIT_OK;
out:
    fb_lock_release(l);
    return rc;
}

int
fb_lock_check(struct fb_lock *l, char *err, size_t errlen)
{
    int rc;

    if (l == NULL || l->conninfo == NULL)
        return FB_EXIT_OK;
    if (l->conn != NULL && PQstatus(l->conn) == CONNECTION_OK &&
        fb_pg_exec(l->conn, "SELECT 1", NULL, PGRES_TUPLES_OK, "lock session",
                   NULL, err, errlen) == 0)
        return FB_EXIT_OK; /* same session: it still holds the lock */
    PQfinish(l->conn);
    l->conn = NULL;
    rc = relock_pg(l, err, errlen);
    if (rc == FB_EXIT_OK)
        fb_warn("job \"%s\": the PostgreSQL session holding its advisory "
                "lock was lost; the lock is taken again",
                l->job);
    if (rc == FB_EXIT_TEMPFAIL) {
        size_t n = strlen(err);

        snprintf(err + n, errlen - n,
                 " (our session holding the lock was lost, and that run "
                 "took it)");
    }
    return rc;
}

void
fb_lock_release(struct fb_lock *l)
{
    if (l == NULL)
        return;
    free(l->conninfo);
    free(l->password);
    if (l->conn != NULL)
        PQfinish(l->conn); /* ends the session: the advisory lock goes */
    if (l->fd >= 0) {
        /* An empty file names nobody; the next holder writes itself. */
        if (ftruncate(l->fd, 0) != 0) {
            /* The flock goes with close() anyway; a stale name is only
             * shown while someone else holds the lock. */
        }
        close(l->fd);
    }
    free(l);
}
