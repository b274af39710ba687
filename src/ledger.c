/*
 * ledger.c
 *    The run ledger in PostgreSQL: one row per run of an hour, one per
 *    completed range, and the query that finds hours still to load.
 *
 * Times are stored as timestamptz but computed exactly from int64
 * microseconds on the server ('epoch' + n * 1 microsecond, and back with
 * extract(epoch ...), which is numeric and exact), so no timezone or
 * floating point ever touches an hour's identity.
 */
#include "forkbulk/ledger.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "forkbulk/hours.h"
#include "forkbulk/pg_conn.h"
#include "forkbulk/version.h"

#define IDENT_MAX 63 /* PostgreSQL's NAMEDATALEN - 1 */
/* A quoted identifier of 63 bytes is at most 128 (every quote doubled,
 * plus two); a qualified name is two of them and a dot. */
#define QIDENT_MAX 160
#define QNAME_MAX (2 * QIDENT_MAX + 2)
#define SQL_MAX 2048
#define HOST_MAX 256

struct fb_ledger {
    PGconn *conn;
    char runs[QNAME_MAX];   /* quoted, schema-qualified run table */
    char ranges[QNAME_MAX]; /* quoted, schema-qualified range table */
    char index[QIDENT_MAX]; /* quoted name of the run table's index */
    char host[HOST_MAX];
};

static const char *const status_names[] = {"running", "done", "failed",
                                           "interrupted"};

const char *
fb_ledger_status_name(enum fb_run_status status)
{
    if ((unsigned)status >= sizeof(status_names) / sizeof(status_names[0]))
        return "unknown";
    return status_names[status];
}

/* One quoted name into a field of l; 0 or -1 with err set. */
static int
quote_into(struct fb_ledger *l, const char *schema, const char *name, char *out,
           size_t cap, char *err, size_t errlen)
{
    char *q = NULL;
    int rc = -1;

    if (fb_pg_quote_name(l->conn, schema, name, &q, err, errlen) != 0)
        return -1;
    if ((size_t)snprintf(out, cap, "%s", q) >= cap)
        snprintf(err, errlen, "ledger name \"%s\" is too long", name);
    else
        rc = 0;
    free(q);
    return rc;
}

/* Builds the quoted names: [schema.]table, [schema.]table_ranges, and
 * table_hours (an index lives in its table's schema). */
static int
make_names(struct fb_ledger *l, const char *schema, const char *table,
           char *err, size_t errlen)
{
    char name[IDENT_MAX + 1];

    if (strlen(table) > FB_LEDGER_TABLE_MAX) {
        snprintf(err, errlen,
                 "ledger table name \"%s\" is longer than %d bytes", table,
                 FB_LEDGER_TABLE_MAX);
        return -1;
    }
    if (schema != NULL && strlen(schema) > IDENT_MAX) {
        snprintf(err, errlen,
                 "ledger schema name \"%s\" is longer than %d bytes", schema,
                 IDENT_MAX);
        return -1;
    }
    if (quote_into(l, schema, table, l->runs, sizeof(l->runs), err, errlen) !=
        0)
        return -1;
    snprintf(name, sizeof(name), "%s_ranges", table);
    if (quote_into(l, schema, name, l->ranges, sizeof(l->ranges), err,
                   errlen) != 0)
        return -1;
    snprintf(name, sizeof(name), "%s_hours", table);
    return quote_into(l, NULL, name, l->index, sizeof(l->index), err, errlen);
}

/* Creates the tables if needed, one DDL transaction at a time. */
static int
create_tables(struct fb_ledger *l, char *err, size_t errlen)
{
    char sql[SQL_MAX];
    int n = 0;

    n = snprintf(
        sql, sizeof(sql),
        "BEGIN;"
        "SET LOCAL client_min_messages = warning;" /* no "already exists" */
        "SELECT pg_advisory_xact_lock(hashtextextended('forkbulk ledger', 0));"
        "CREATE TABLE IF NOT EXISTS %s ("
        " id bigserial PRIMARY KEY,"
        " job text NOT NULL,"
        " hour_start timestamptz NOT NULL,"
        " index_name text NOT NULL,"
        " run_start timestamptz NOT NULL DEFAULT clock_timestamp(),"
        " run_end timestamptz,"
        " status text NOT NULL CHECK (status IN"
        "  ('running', 'done', 'failed', 'interrupted')),"
        " loaded bigint NOT NULL DEFAULT 0,"
        " rejected bigint NOT NULL DEFAULT 0,"
        " read bigint NOT NULL DEFAULT 0,"
        " snapshot text,"
        " version text NOT NULL,"
        " host text NOT NULL,"
        " pid integer NOT NULL);"
        "CREATE INDEX IF NOT EXISTS %s ON %s (job, hour_start, id);"
        "CREATE TABLE IF NOT EXISTS %s ("
        " run_id bigint NOT NULL REFERENCES %s (id) ON DELETE CASCADE,"
        " range_no integer NOT NULL,"
        " lo bigint NOT NULL,"
        " hi bigint NOT NULL,"
        " loaded bigint NOT NULL,"
        " rejected bigint NOT NULL,"
        " finished_at timestamptz NOT NULL DEFAULT clock_timestamp(),"
        " PRIMARY KEY (run_id, range_no));"
        "COMMIT;",
        l->runs, l->index, l->runs, l->ranges, l->runs);
    if (n < 0 || (size_t)n >= sizeof(sql)) {
        snprintf(err, errlen, "ledger DDL does not fit");
        return -1;
    }
    if (fb_pg_exec(l->conn, sql, NULL, PGRES_COMMAND_OK,
                   "cannot create the ledger tables", NULL, err, errlen) != 0) {
        char ignored[128];

        /* Leave no aborted transaction behind on the connection. */
        (void)fb_pg_exec(l->conn, "ROLLBACK", NULL, PGRES_COMMAND_OK,
                         "rollback", NULL, ignored, sizeof(ignored));
        return -1;
    }
    return 0;
}

int
fb_ledger_open(const struct fb_pg_target *pg, const char *qualified,
               struct fb_ledger **out, char *err, size_t errlen)
{
    struct fb_ledger *l = NULL;
    char *schema = NULL;
    const char *table = NULL;
    int rc = -1;

    *out = NULL;
    if (qualified == NULL || qualified[0] == '\0')
        qualified = FB_LEDGER_TABLE;
    if (fb_pg_split_table(qualified, &schema, &table, err, errlen) != 0)
        goto out;
    l = calloc(1, sizeof(*l));
    if (l == NULL) {
        snprintf(err, errlen, "out of memory");
        goto out;
    }
    if (gethostname(l->host, sizeof(l->host)) != 0)
        snprintf(l->host, sizeof(l->host), "unknown");
    l->host[sizeof(l->host) - 1] = '\0';
    /* Unpinned until its SQL names everything by schema: its tables are
     * found through the role's search_path. */
    if (fb_pg_connect_unpinned(pg, NULL, "cannot connect to the ledger",
                               &l->conn, err, errlen) != 0 ||
        make_names(l, schema, table, err, errlen) != 0 ||
        create_tables(l, err, errlen) != 0)
        goto out;
    *out = l;
    l = NULL;
    rc = 0;
out:
    free(schema);
    fb_ledger_close(l);
    return rc;
}

void
fb_ledger_close(struct fb_ledger *l)
{
    if (l == NULL)
        return;
    if (l->conn != NULL)
        PQfinish(l->conn);
    free(l);
}

/* Runs sql with text parameters; the result must have status want.
 * NULL with err set if it does not. */
static PGresult *
exec_params(struct fb_ledger *l, const char *sql, int nparams,
            const char *const *values, ExecStatusType want, const char *what,
            char *err, size_t errlen)
{
    struct fb_pg_params params = {nparams, values, NULL};
    PGresult *res = NULL;

    (void)fb_pg_exec(l->conn, sql, &params, want, what, &res, err, errlen);
    return res;
}

/* Number of rows an INSERT/UPDATE touched, or -1. */
static long long
affected(PGresult *res)
{
    int64_t v;

    return fb_pg_int8(PQcmdTuples(res), &v) == 0 ? v : -1;
}

/*
 * Runs a statement that must touch exactly one row of a running run
 * (its WHERE says status = 'running').  0, or -1 with err set: a run that
 * already ended must not have its story rewritten.
 */
static int
exec_on_running(struct fb_ledger *l, const char *sql, int nparams,
                const char *const *params, const char *what, char *err,
                size_t errlen)
{
    PGresult *res = exec_params(l, sql, nparams, params, PGRES_COMMAND_OK, what,
                                err, errlen);
    int rc = -1;

    if (res == NULL)
        return -1;
    if (affected(res) != 1)
        snprintf(err, errlen, "%s: the run is not running", what);
    else
        rc = 0;
    PQclear(res);
    return rc;
}

int
fb_ledger_reap(struct fb_ledger *l, const char *job, size_t *n, char *err,
               size_t errlen)
{
    char sql[SQL_MAX];
    const char *params[1] = {job};
    PGresult *res = NULL;
    long long v = 0;

    snprintf(sql, sizeof(sql),
             "UPDATE %s SET status = 'interrupted', run_end = "
             "clock_timestamp() WHERE job = $1 AND status = 'running'",
             l->runs);
    res = exec_params(l, sql, 1, params, PGRES_COMMAND_OK,
                      "cannot mark dead runs interrupted", err, errlen);
    if (res == NULL)
        return -1;
    v = affected(res);
    PQclear(res);
    if (v < 0) {
        snprintf(err, errlen, "cannot mark dead runs interrupted: no count");
        return -1;
    }
    *n = (size_t)v;
    return 0;
}

int
fb_ledger_begin(struct fb_ledger *l, const char *job, int64_t hour_us,
                const char *index, const char *snapshot, int64_t *run_id,
                char *err, size_t errlen)
{
    char sql[SQL_MAX];
    char hour[32], pid[32];
    const char *params[7] = {job,        hour,    index, snapshot,
                             FB_VERSION, l->host, pid};
    PGresult *res = NULL;
    int64_t v = 0;
    int rc = -1;

    snprintf(hour, sizeof(hour), "%" PRId64, hour_us);
    snprintf(pid, sizeof(pid), "%ld", (long)getpid());
    snprintf(sql, sizeof(sql),
             "INSERT INTO %s (job, hour_start, index_name, status, snapshot,"
             " version, host, pid) VALUES ($1, 'epoch'::timestamptz +"
             " $2::bigint * interval '1 microsecond', $3, 'running', $4, $5,"
             " $6, $7) RETURNING id",
             l->runs);
    res = exec_params(l, sql, 7, params, PGRES_TUPLES_OK,
                      "cannot record the start of a run", err, errlen);
    if (res == NULL)
        goto out;
    if (PQntuples(res) != 1 || fb_pg_int8(PQgetvalue(res, 0, 0), &v) != 0 ||
        v <= 0) {
        snprintf(err, errlen, "cannot record the start of a run: bad id");
        goto out;
    }
    *run_id = v;
    rc = 0;
out:
    PQclear(res);
    return rc;
}

int
fb_ledger_range_done(struct fb_ledger *l, int64_t run_id, int range_no,
                     int64_t lo, int64_t hi, int64_t loaded, int64_t rejected,
                     char *err, size_t errlen)
{
    char sql[SQL_MAX];
    char what[96];
    char p[6][32];
    const char *params[6] = {p[0], p[1], p[2], p[3], p[4], p[5]};

    snprintf(p[0], sizeof(p[0]), "%" PRId64, run_id);
    snprintf(p[1], sizeof(p[1]), "%d", range_no);
    snprintf(p[2], sizeof(p[2]), "%" PRId64, lo);
    snprintf(p[3], sizeof(p[3]), "%" PRId64, hi);
    snprintf(p[4], sizeof(p[4]), "%" PRId64, loaded);
    snprintf(p[5], sizeof(p[5]), "%" PRId64, rejected);
    snprintf(what, sizeof(what), "cannot record range %d of run %" PRId64,
             range_no, run_id);
    /* Only a running run takes ranges (exec_on_running). */
    snprintf(sql, sizeof(sql),
             "INSERT INTO %s (run_id, range_no, lo, hi, loaded, rejected)"
             " SELECT id, $2, $3, $4, $5, $6 FROM %s"
             " WHERE id = $1 AND status = 'running'",
             l->ranges, l->runs);
    return exec_on_running(l, sql, 6, params, what, err, errlen);
}

int
fb_ledger_end(struct fb_ledger *l, int64_t run_id, enum fb_run_status status,
              const struct fb_ledger_counts *counts, char *err, size_t errlen)
{
    char sql[SQL_MAX];
    char what[64];
    char p[4][32];
    const char *params[5] = {p[0], fb_ledger_status_name(status), p[1], p[2],
                             p[3]};

    snprintf(what, sizeof(what), "cannot end run %" PRId64, run_id);
    if (status != FB_RUN_DONE && status != FB_RUN_FAILED &&
        status != FB_RUN_INTERRUPTED) {
        snprintf(err, errlen, "%s: a run ends done, failed or interrupted",
                 what);
        return -1;
    }
    snprintf(p[0], sizeof(p[0]), "%" PRId64, run_id);
    snprintf(p[1], sizeof(p[1]), "%" PRId64, counts->loaded);
    snprintf(p[2], sizeof(p[2]), "%" PRId64, counts->rejected);
    snprintf(p[3], sizeof(p[3]), "%" PRId64, counts->read);
    snprintf(sql, sizeof(sql),
             "UPDATE %s SET status = $2, loaded = $3, rejected = $4,"
             " read = $5, run_end = clock_timestamp()"
             " WHERE id = $1 AND status = 'running'",
             l->runs);
    return exec_on_running(l, sql, 5, params, what, err, errlen);
}

int
fb_ledger_pending(struct fb_ledger *l, const char *job, int64_t from_us,
                  int64_t to_us, int64_t *hours, size_t cap, size_t *n,
                  char *err, size_t errlen)
{
    char sql[SQL_MAX];
    char from[32], last[32];
    const char *params[3] = {job, from, last};
    PGresult *res = NULL;
    int64_t window = 0;
    int rows = 0;
    int i;
    int rc = -1;

    if (from_us >= to_us || (to_us - from_us) % FB_HOUR_US != 0) {
        snprintf(err, errlen,
                 "pending hours: [%" PRId64 ", %" PRId64
                 ") is not a window of whole hours",
                 from_us, to_us);
        goto out;
    }
    window = (to_us - from_us) / FB_HOUR_US;
    if ((uint64_t)window > cap) {
        snprintf(err, errlen,
                 "pending hours: the window holds %" PRId64
                 " hours, more than the %zu allowed",
                 window, cap);
        goto out;
    }
    snprintf(from, sizeof(from), "%" PRId64, from_us);
    snprintf(last, sizeof(last), "%" PRId64, to_us - FB_HOUR_US);
    /* The last run of an hour is the one with the highest id: runs of a
     * job never overlap (lock.h), so ids follow time. */
    snprintf(sql, sizeof(sql),
             "SELECT g FROM generate_series($2::bigint, $3::bigint,"
             " 3600000000) AS g WHERE (SELECT r.status FROM %s r"
             " WHERE r.job = $1 AND r.hour_start = 'epoch'::timestamptz +"
             " g * interval '1 microsecond' ORDER BY r.id DESC LIMIT 1)"
             " IS DISTINCT FROM 'done' ORDER BY g",
             l->runs);
    res = exec_params(l, sql, 3, params, PGRES_TUPLES_OK,
                      "cannot read pending hours", err, errlen);
    if (res == NULL)
        goto out;
    rows = PQntuples(res);
    if (rows < 0 || (size_t)rows > cap) {
        snprintf(err, errlen, "pending hours: more than %zu", cap);
        goto out;
    }
    for (i = 0; i < rows; i++) {
        const char *s = PQgetvalue(res, i, 0);

        if (fb_pg_int8(s, &hours[i]) != 0) {
            snprintf(err, errlen, "pending hours: bad hour \"%s\"", s);
            goto out;
        }
    }
    *n = (size_t)rows;
    rc = 0;
out:
    PQclear(res);
    return rc;
}
