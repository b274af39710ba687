/*
 * ledger.c
 *    The run ledger in PostgreSQL: making its tables ready without DDL
 *    when they are, one row per run of an hour, one per completed range,
 *    and the queries that find the hours still to load (see ledger.h).
 *
 * Every statement names what it uses by schema: the tables, pg_catalog's
 * functions, OPERATOR(pg_catalog.=), ::pg_catalog.<type>.  The session's
 * search_path is pinned too (pg_conn.h), so nothing a role may create in
 * another schema can stand in for them.  Times go to the server as exact
 * timestamptz text and come back as extract(epoch) * 1000000, numeric
 * then int8: 'epoch' + $1::bigint * interval '1 microsecond' would go
 * through float8, whose operator a role can outbid with its own
 * *(bigint, interval).
 */
#include "forkbulk/ledger.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "forkbulk/hours.h"
#include "forkbulk/pg_conn.h"
#include "forkbulk/status.h"
#include "forkbulk/version.h"

#define IDENT_MAX 63 /* PostgreSQL's NAMEDATALEN - 1 */
/* A quoted identifier of 63 bytes is at most 128 (every quote doubled,
 * plus two); a qualified name is two of them and a dot. */
#define QIDENT_MAX 160
#define QNAME_MAX (2 * QIDENT_MAX + 2)
#define SQL_MAX 4096
#define HOST_MAX 256

/* An hour_start as int64 microseconds, exactly. */
#define HOUR_US_SQL(col)                                                       \
    "(EXTRACT(epoch FROM " col ") OPERATOR(pg_catalog.*)"                      \
    " 1000000::pg_catalog.numeric)::pg_catalog.int8"

/* The latest run of each hour of job $1 (r.hour_start, r.status,
 * r.loaded, r.id, r.index_name); the caller's conditions on r follow,
 * then LATEST_ORDER. */
#define LATEST_SQL                                                             \
    "SELECT DISTINCT ON (r.hour_start) r.hour_start, r.status, r.loaded,"      \
    " r.read,"                                                                 \
    " r.id, r.index_name FROM %s r WHERE r.job OPERATOR(pg_catalog.=) $1"
#define LATEST_ORDER " ORDER BY r.hour_start, r.id DESC"

/* Hours as good as loaded, and hours a catch-up retries however old. */
#define FINISHED_SQL "ANY (ARRAY['done', 'skipped']::pg_catalog.text[])"
#define UNFINISHED_SQL                                                         \
    "ANY (ARRAY['failed', 'interrupted', 'running']::pg_catalog.text[])"

/* The hours h of [$2, $3] of job $1 whose latest run is neither done nor
 * skipped (never run included); %s is the run table.  The latest run of
 * one hour is found on the (job, hour_start, id) index. */
#define GRID_SQL                                                               \
    "SELECT g.h FROM pg_catalog.generate_series($2::pg_catalog.timestamptz,"   \
    " $3::pg_catalog.timestamptz, '1 hour'::pg_catalog.interval) AS g(h)"      \
    " WHERE NOT COALESCE((SELECT r.status FROM %s r"                           \
    " WHERE r.job OPERATOR(pg_catalog.=) $1"                                   \
    " AND r.hour_start OPERATOR(pg_catalog.=) g.h ORDER BY r.id DESC LIMIT 1)" \
    " OPERATOR(pg_catalog.=) " FINISHED_SQL ", false)"

/* The end of job $1's newest done run, and the start of its oldest hour
 * whose latest run did not finish (fb_ledger_health); each %s is the run
 * table.  (clang-format cannot lay out a macro call inside a string.) */
/* clang-format off */
#define HEALTH_SQL                                                             \
    "SELECT (SELECT " HOUR_US_SQL("pg_catalog.max(r.run_end)")                 \
    " FROM %s r WHERE r.job OPERATOR(pg_catalog.=) $1"                         \
    " AND r.status OPERATOR(pg_catalog.=) 'done'),"                            \
    " (SELECT " HOUR_US_SQL("pg_catalog.min(l.hour_start)")                    \
    " FROM (" LATEST_SQL LATEST_ORDER ") AS l"                                 \
    " WHERE l.status OPERATOR(pg_catalog.=) " UNFINISHED_SQL ")"
/* clang-format on */

struct fb_ledger {
    PGconn *conn;
    char runs[QNAME_MAX];     /* quoted, schema-qualified run table */
    char ranges[QNAME_MAX];   /* quoted, schema-qualified range table */
    char restores[QNAME_MAX]; /* quoted, schema-qualified restore table */
    char index[QIDENT_MAX];   /* quoted name of the run table's index */
    char check[QIDENT_MAX];   /* quoted name of its status CHECK */
    char schema[IDENT_MAX + 1];
    char host[HOST_MAX];
    /* For messages, as quote_ident() writes names: public.forkbulk_ledger,
     * so that a GRANT shown can be pasted. */
    char show_schema[QIDENT_MAX];
    char show_runs[QNAME_MAX];
    char show_ranges[QNAME_MAX];
    char show_restores[QNAME_MAX];
    char show_check[QIDENT_MAX];
    char role[QIDENT_MAX];      /* current_user */
    char show_role[QIDENT_MAX]; /* quote_ident(current_user) */
};

static const char *const status_names[] = {"running", "done", "failed",
                                           "interrupted", "skipped"};

const char *
fb_ledger_status_name(enum fb_run_status status)
{
    if ((unsigned)status >= sizeof(status_names) / sizeof(status_names[0]))
        return "unknown";
    return status_names[status];
}

/* Runs sql with text parameters; the result must have status want.  0
 * with *res (the caller clears it), or an exit code with err set. */
static int
exec_params(struct fb_ledger *l, const char *sql, int nparams,
            const char *const *values, ExecStatusType want, const char *what,
            PGresult **res, char *err, size_t errlen)
{
    struct fb_pg_params params = {nparams, values, NULL};

    return fb_pg_exec(l->conn, sql, &params, want, what, res, err, errlen);
}

/* One text value of a one-row result into out; 0, or 70 if it is not
 * there or does not fit. */
static int
copy_value(const PGresult *res, int col, char *out, size_t cap,
           const char *what, char *err, size_t errlen)
{
    if (PQntuples(res) != 1 || PQgetisnull(res, 0, col) ||
        (size_t)snprintf(out, cap, "%s", PQgetvalue(res, 0, col)) >= cap) {
        snprintf(err, errlen, "%s: no answer", what);
        return FB_EXIT_SOFTWARE;
    }
    return 0;
}

/* --- opening --------------------------------------------------------- */

/* One quoted name into out; 0 or an exit code with err set. */
static int
quote_into(struct fb_ledger *l, const char *schema, const char *name, char *out,
           size_t cap, char *err, size_t errlen)
{
    char *q = NULL;
    int rc = fb_pg_quote_name(l->conn, schema, name, &q, err, errlen);

    if (rc != 0)
        return rc;
    if ((size_t)snprintf(out, cap, "%s", q) >= cap) {
        snprintf(err, errlen, "ledger name \"%s\" is too long", name);
        rc = FB_EXIT_CONFIG;
    }
    free(q);
    return rc;
}

/* Checks the lengths of the names the user gave. */
static int
check_names(const char *schema, const char *table, char *err, size_t errlen)
{
    if (strlen(table) > FB_LEDGER_TABLE_MAX) {
        snprintf(err, errlen,
                 "ledger table name \"%s\" is longer than %d bytes", table,
                 FB_LEDGER_TABLE_MAX);
        return FB_EXIT_CONFIG;
    }
    if (schema != NULL && strlen(schema) > IDENT_MAX) {
        snprintf(err, errlen,
                 "ledger schema name \"%s\" is longer than %d bytes", schema,
                 IDENT_MAX);
        return FB_EXIT_CONFIG;
    }
    return 0;
}

/*
 * The schema of a ledger table named without one, with the role's own
 * search_path (before it is pinned): where a table of that name is, else
 * where CREATE TABLE would put it.  *schema malloc'd.
 */
static int
find_schema(struct fb_ledger *l, const char *table, char **schema, char *err,
            size_t errlen)
{
    static const char sql[] =
        "SELECT COALESCE((SELECT n.nspname FROM pg_catalog.pg_class c"
        " JOIN pg_catalog.pg_namespace n"
        " ON n.oid OPERATOR(pg_catalog.=) c.relnamespace"
        " WHERE c.oid OPERATOR(pg_catalog.=)"
        " pg_catalog.to_regclass($1::pg_catalog.text)),"
        " pg_catalog.current_schema())";
    char quoted[QIDENT_MAX];
    const char *vals[1] = {quoted};
    PGresult *res = NULL;
    int rc = quote_into(l, NULL, table, quoted, sizeof quoted, err, errlen);

    if (rc == 0)
        rc = exec_params(l, sql, 1, vals, PGRES_TUPLES_OK,
                         "cannot find the ledger's schema", &res, err, errlen);
    if (rc == 0 && PQgetisnull(res, 0, 0)) {
        snprintf(err, errlen,
                 "ledger: no schema for table \"%s\": the role's search_path "
                 "names no schema that exists; give the ledger table as "
                 "schema.table",
                 table);
        rc = FB_EXIT_CONFIG;
    }
    if (rc == 0 && (*schema = strdup(PQgetvalue(res, 0, 0))) == NULL) {
        snprintf(err, errlen, "out of memory");
        rc = FB_EXIT_OSERR;
    }
    PQclear(res);
    return rc;
}

/* The names as messages show them, and who we are. */
static int
show_names(struct fb_ledger *l, const char *schema, const char *table,
           char *err, size_t errlen)
{
    static const char sql[] =
        "SELECT pg_catalog.quote_ident($1),"
        " pg_catalog.format('%I.%I', $1::pg_catalog.text, $2::pg_catalog.text),"
        " pg_catalog.format('%I.%I', $1::pg_catalog.text, $3::pg_catalog.text),"
        " pg_catalog.quote_ident($4), CURRENT_USER,"
        " pg_catalog.quote_ident(CURRENT_USER),"
        " pg_catalog.format('%I.%I', $1::pg_catalog.text, $5::pg_catalog.text)";
    char ranges[IDENT_MAX + 1], check[IDENT_MAX + 1], restores[IDENT_MAX + 1];
    const char *vals[5] = {schema, table, ranges, check, restores};
    PGresult *res = NULL;
    const char *what = "cannot name the ledger tables";
    int rc;

    snprintf(ranges, sizeof ranges, "%s_ranges", table);
    snprintf(check, sizeof check, "%s_status", table);
    snprintf(restores, sizeof restores, "%s_restore", table);
    rc = exec_params(l, sql, 5, vals, PGRES_TUPLES_OK, what, &res, err, errlen);
    if (rc == 0)
        rc = copy_value(res, 0, l->show_schema, sizeof l->show_schema, what,
                        err, errlen);
    if (rc == 0)
        rc = copy_value(res, 1, l->show_runs, sizeof l->show_runs, what, err,
                        errlen);
    if (rc == 0)
        rc = copy_value(res, 2, l->show_ranges, sizeof l->show_ranges, what,
                        err, errlen);
    if (rc == 0)
        rc = copy_value(res, 3, l->show_check, sizeof l->show_check, what, err,
                        errlen);
    if (rc == 0)
        rc = copy_value(res, 4, l->role, sizeof l->role, what, err, errlen);
    if (rc == 0)
        rc = copy_value(res, 5, l->show_role, sizeof l->show_role, what, err,
                        errlen);
    if (rc == 0)
        rc = copy_value(res, 6, l->show_restores, sizeof l->show_restores, what,
                        err, errlen);
    PQclear(res);
    return rc;
}

/* Builds the quoted names: schema.table, schema.table_ranges,
 * schema.table_restore, and table_hours, table_status (an index or a
 * constraint lives in its table's schema). */
static int
make_names(struct fb_ledger *l, const char *schema, const char *table,
           char *err, size_t errlen)
{
    char name[IDENT_MAX + 1];
    int rc =
        quote_into(l, schema, table, l->runs, sizeof(l->runs), err, errlen);

    snprintf(l->schema, sizeof(l->schema), "%s", schema);

    snprintf(name, sizeof(name), "%s_ranges", table);
    if (rc == 0)
        rc = quote_into(l, schema, name, l->ranges, sizeof(l->ranges), err,
                        errlen);
    snprintf(name, sizeof(name), "%s_restore", table);
    if (rc == 0)
        rc = quote_into(l, schema, name, l->restores, sizeof(l->restores), err,
                        errlen);
    snprintf(name, sizeof(name), "%s_hours", table);
    if (rc == 0)
        rc = quote_into(l, NULL, name, l->index, sizeof(l->index), err, errlen);
    snprintf(name, sizeof(name), "%s_status", table);
    if (rc == 0)
        rc = quote_into(l, NULL, name, l->check, sizeof(l->check), err, errlen);
    if (rc == 0)
        rc = show_names(l, schema, table, err, errlen);
    return rc;
}

/* What the catalogs say about the tables before anything is changed. */
struct state {
    bool schema;     /* the schema exists */
    bool may_use;    /* USAGE on it: names in it can be looked up */
    bool may_create; /* CREATE on it */
    bool runs;       /* the run table exists */
    bool ranges;     /* the range table exists */
    bool restores;   /* the restore table exists */
};

/* The ledger's tables, as bits of a set. */
enum {
    T_RUNS = 1,
    T_RANGES = 2,
    T_RESTORES = 4,
};

/* Those of want that st says are missing. */
static unsigned
missing(const struct state *st, unsigned want)
{
    return want & ((st->runs ? 0u : T_RUNS) | (st->ranges ? 0u : T_RANGES) |
                   (st->restores ? 0u : T_RESTORES));
}

/* The names of the tables of set, as messages show them, joined by sep;
 * *count is how many. */
static void
join_names(const struct fb_ledger *l, unsigned set, const char *sep, char *out,
           size_t cap, int *count)
{
    const char *names[] = {l->show_runs, l->show_ranges, l->show_restores};
    size_t n = 0;

    out[0] = '\0';
    *count = 0;
    for (unsigned i = 0; i < 3; i++)
        if ((set & (1u << i)) && n < cap)
            n += (size_t)snprintf(out + n, cap - n, "%s%s",
                                  (*count)++ > 0 ? sep : "", names[i]);
}

static int
read_state(struct fb_ledger *l, struct state *st, char *err, size_t errlen)
{
    /* to_regclass() raises an error for a schema the role may not use:
     * asked only when it may. */
    static const char sql[] =
        "SELECT n.oid IS NOT NULL, u.ok,"
        " COALESCE(pg_catalog.has_schema_privilege(n.oid, 'CREATE'), false),"
        " CASE WHEN u.ok THEN"
        "  pg_catalog.to_regclass($2::pg_catalog.text) IS NOT NULL END,"
        " CASE WHEN u.ok THEN"
        "  pg_catalog.to_regclass($3::pg_catalog.text) IS NOT NULL END,"
        " CASE WHEN u.ok THEN"
        "  pg_catalog.to_regclass($4::pg_catalog.text) IS NOT NULL END"
        " FROM (SELECT (SELECT oid FROM pg_catalog.pg_namespace"
        " WHERE nspname OPERATOR(pg_catalog.=) $1) AS oid) n,"
        " LATERAL (SELECT COALESCE(pg_catalog.has_schema_privilege(n.oid,"
        " 'USAGE'), false) AS ok) u";
    const char *vals[4] = {l->schema, l->runs, l->ranges, l->restores};
    PGresult *res = NULL;
    int rc;

    rc = exec_params(l, sql, 4, vals, PGRES_TUPLES_OK,
                     "cannot read the ledger's catalog", &res, err, errlen);
    if (rc == 0) {
        st->schema = strcmp(PQgetvalue(res, 0, 0), "t") == 0;
        st->may_use = strcmp(PQgetvalue(res, 0, 1), "t") == 0;
        st->may_create = strcmp(PQgetvalue(res, 0, 2), "t") == 0;
        st->runs = strcmp(PQgetvalue(res, 0, 3), "t") == 0;
        st->ranges = strcmp(PQgetvalue(res, 0, 4), "t") == 0;
        st->restores = strcmp(PQgetvalue(res, 0, 5), "t") == 0;
    }
    if (rc == 0 && st->schema && !st->may_use) {
        snprintf(err, errlen,
                 "ledger: role \"%s\" lacks USAGE on schema %s (GRANT USAGE "
                 "ON SCHEMA %s TO %s)",
                 l->role, l->show_schema, l->show_schema, l->show_role);
        rc = FB_EXIT_CONFIG;
    }
    PQclear(res);
    return rc;
}

/* BEGIN, and the lock that keeps two first runs from racing to create or
 * change the tables. */
static int
begin_locked(struct fb_ledger *l, const char *what, char *err, size_t errlen)
{
    return fb_pg_exec(l->conn,
                      "BEGIN; SET LOCAL client_min_messages = warning;"
                      " SELECT pg_catalog.pg_advisory_xact_lock("
                      "pg_catalog.hashtextextended('forkbulk ledger', 0))",
                      NULL, PGRES_TUPLES_OK, what, NULL, err, errlen);
}

/* COMMIT after rc == 0, else ROLLBACK (leaving no aborted transaction on
 * the connection) and rc. */
static int
end_locked(struct fb_ledger *l, int rc, const char *what, char *err,
           size_t errlen)
{
    char ignored[128];

    if (rc == 0)
        return fb_pg_exec(l->conn, "COMMIT", NULL, PGRES_COMMAND_OK, what, NULL,
                          err, errlen);
    (void)fb_pg_exec(l->conn, "ROLLBACK", NULL, PGRES_COMMAND_OK, "rollback",
                     NULL, ignored, sizeof(ignored));
    return rc;
}

/* "CONSTRAINT <name> CHECK (status = ANY (every status))", qualified. */
static void
status_check(const char *name, char *out, size_t cap)
{
    size_t n = (size_t)snprintf(out, cap,
                                "CONSTRAINT %s CHECK (status"
                                " OPERATOR(pg_catalog.=) ANY (ARRAY[",
                                name);

    for (size_t i = 0; i < sizeof(status_names) / sizeof(status_names[0]); i++)
        if (n < cap)
            n += (size_t)snprintf(out + n, cap - n, "%s'%s'", i ? ", " : "",
                                  status_names[i]);
    if (n < cap)
        snprintf(out + n, cap - n, "]::pg_catalog.text[]))");
}

static void
runs_ddl(const struct fb_ledger *l, char *sql, size_t cap)
{
    char check[QIDENT_MAX + 256];

    status_check(l->check, check, sizeof(check));
    snprintf(sql, cap,
             "CREATE TABLE IF NOT EXISTS %s ("
             " id bigserial PRIMARY KEY,"
             " job pg_catalog.text NOT NULL,"
             " hour_start pg_catalog.timestamptz NOT NULL,"
             " index_name pg_catalog.text NOT NULL,"
             " run_start pg_catalog.timestamptz NOT NULL"
             "  DEFAULT pg_catalog.clock_timestamp(),"
             " run_end pg_catalog.timestamptz,"
             " status pg_catalog.text NOT NULL %s,"
             " loaded bigint NOT NULL DEFAULT 0,"
             " rejected bigint NOT NULL DEFAULT 0,"
             " read bigint NOT NULL DEFAULT 0,"
             " snapshot pg_catalog.text,"
             " version pg_catalog.text NOT NULL,"
             " host pg_catalog.text NOT NULL,"
             " pid integer NOT NULL,"
             " reason pg_catalog.text);"
             "CREATE INDEX IF NOT EXISTS %s ON %s (job, hour_start, id)",
             l->runs, check, l->index, l->runs);
}

static void
ranges_ddl(const struct fb_ledger *l, char *sql, size_t cap)
{
    snprintf(sql, cap,
             "CREATE TABLE IF NOT EXISTS %s ("
             " run_id bigint NOT NULL REFERENCES %s (id) ON DELETE CASCADE,"
             " range_no integer NOT NULL,"
             " lo bigint NOT NULL,"
             " hi bigint NOT NULL,"
             " loaded bigint NOT NULL,"
             " rejected bigint NOT NULL,"
             " finished_at pg_catalog.timestamptz NOT NULL"
             "  DEFAULT pg_catalog.clock_timestamp(),"
             " PRIMARY KEY (run_id, range_no))",
             l->ranges, l->runs);
}

/* Whether the role may create the tables of set (missing ones): the
 * schema must exist and the role hold CREATE on it. */
static int
creatable(const struct fb_ledger *l, const struct state *st, unsigned set,
          char *err, size_t errlen)
{
    char tables[3 * QNAME_MAX + 64];
    int n;

    if (!st->schema) {
        snprintf(err, errlen,
                 "cannot create the ledger tables: schema \"%s\" does not "
                 "exist",
                 l->schema);
        return FB_EXIT_CONFIG;
    }
    if (!st->may_create) {
        join_names(l, set, ", CREATE TABLE ", tables, sizeof(tables), &n);
        snprintf(err, errlen,
                 "ledger: role \"%s\" lacks CREATE on schema %s to run "
                 "CREATE TABLE %s: GRANT CREATE ON SCHEMA %s TO %s, or "
                 "run forkbulk once as a role that has it",
                 l->role, l->show_schema, tables, l->show_schema, l->show_role);
        return FB_EXIT_CONFIG;
    }
    return 0;
}

/* One row per index whose settings a run changed and has not put back
 * (fb_ledger_restore_save). */
static void
restores_ddl(const struct fb_ledger *l, char *sql, size_t cap)
{
    snprintf(sql, cap,
             "CREATE TABLE IF NOT EXISTS %s ("
             " job pg_catalog.text NOT NULL,"
             " index_name pg_catalog.text NOT NULL,"
             " settings pg_catalog.json NOT NULL,"
             " written_at pg_catalog.timestamptz NOT NULL"
             "  DEFAULT pg_catalog.clock_timestamp(),"
             " PRIMARY KEY (job, index_name))",
             l->restores);
}

/* The DDL of the tables of set, one statement after the other. */
static int
run_ddl(struct fb_ledger *l, unsigned set, const char *what, char *err,
        size_t errlen)
{
    static void (*const ddl[])(const struct fb_ledger *, char *,
                               size_t) = {runs_ddl, ranges_ddl, restores_ddl};
    char sql[SQL_MAX];
    int rc = 0;

    for (unsigned i = 0; rc == 0 && i < 3; i++) {
        if (!(set & (1u << i)))
            continue;
        ddl[i](l, sql, sizeof(sql));
        rc = fb_pg_exec(l->conn, sql, NULL, PGRES_COMMAND_OK, what, NULL, err,
                        errlen);
    }
    return rc;
}

/* Creates the tables of set (missing ones), if the role may. */
static int
create_tables(struct fb_ledger *l, const struct state *st, unsigned set,
              char *err, size_t errlen)
{
    static const char what[] = "cannot create the ledger tables";
    int rc = creatable(l, st, set, err, errlen);

    if (rc != 0)
        return rc;
    rc = begin_locked(l, what, err, errlen);
    if (rc == 0)
        rc = run_ddl(l, set, what, err, errlen);
    return end_locked(l, rc, what, err, errlen);
}

/* The run table as an earlier forkbulk may have left it. */
struct shape {
    bool reason;            /* has the reason column */
    bool owner;             /* the role may ALTER it */
    bool check_ok;          /* a status CHECK allows 'skipped' */
    char drop[SQL_MAX / 4]; /* ", DROP CONSTRAINT x" for each of our status
                             * CHECKs that does not */
};

static bool
shape_stale(const struct shape *sh)
{
    return !sh->reason || sh->drop[0] != '\0';
}

static int
read_shape(struct fb_ledger *l, struct shape *sh, char *err, size_t errlen)
{
    static const char sql[] =
        "SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_attribute a"
        "  WHERE a.attrelid OPERATOR(pg_catalog.=) c.oid"
        "  AND a.attname OPERATOR(pg_catalog.=) 'reason'"
        "  AND NOT a.attisdropped),"
        " pg_catalog.pg_has_role(c.relowner, 'USAGE'),"
        " pg_catalog.quote_ident(k.conname),"
        " pg_catalog.pg_get_constraintdef(k.oid)"
        " FROM pg_catalog.pg_class c"
        " LEFT JOIN pg_catalog.pg_attribute s"
        "  ON s.attrelid OPERATOR(pg_catalog.=) c.oid"
        "  AND s.attname OPERATOR(pg_catalog.=) 'status'"
        " LEFT JOIN pg_catalog.pg_constraint k"
        "  ON k.conrelid OPERATOR(pg_catalog.=) c.oid"
        "  AND k.contype OPERATOR(pg_catalog.=) 'c'"
        "  AND s.attnum OPERATOR(pg_catalog.=) ANY (k.conkey)"
        " WHERE c.oid OPERATOR(pg_catalog.=) $1::pg_catalog.regclass";
    const char *vals[1] = {l->runs};
    PGresult *res = NULL;
    size_t n = 0;
    int rc =
        exec_params(l, sql, 1, vals, PGRES_TUPLES_OK,
                    "cannot read the ledger table's shape", &res, err, errlen);

    memset(sh, 0, sizeof(*sh));
    for (int i = 0; rc == 0 && i < PQntuples(res); i++) {
        sh->reason = strcmp(PQgetvalue(res, i, 0), "t") == 0;
        sh->owner = strcmp(PQgetvalue(res, i, 1), "t") == 0;
        if (PQgetisnull(res, i, 2))
            continue;
        /* Ours lists every status; a CHECK of the DBA's is left alone. */
        if (strstr(PQgetvalue(res, i, 3), "'skipped'") != NULL)
            sh->check_ok = true;
        else if (strstr(PQgetvalue(res, i, 3), "'interrupted'") != NULL &&
                 n < sizeof(sh->drop))
            n +=
                (size_t)snprintf(sh->drop + n, sizeof(sh->drop) - n,
                                 ", DROP CONSTRAINT %s", PQgetvalue(res, i, 2));
    }
    if (sh->check_ok)
        sh->drop[0] = '\0'; /* one CHECK allows it: the others are moot */
    PQclear(res);
    return rc;
}

/* The ALTER TABLE that brings the run table up to date, as run and as
 * shown to its owner. */
static void
alter_sql(const struct fb_ledger *l, const struct shape *sh, char *sql,
          size_t cap)
{
    char check[QIDENT_MAX + 256];
    size_t n = (size_t)snprintf(sql, cap, "ALTER TABLE %s", l->show_runs);

    if (!sh->reason && n < cap)
        n += (size_t)snprintf(sql + n, cap - n,
                              " ADD COLUMN IF NOT EXISTS reason "
                              "pg_catalog.text");
    if (sh->drop[0] != '\0' && n < cap) {
        status_check(l->show_check, check, sizeof(check));
        /* drop holds ", DROP ...": its comma only follows ADD COLUMN. */
        snprintf(sql + n, cap - n, "%s, ADD %s",
                 sh->reason ? sh->drop + 1 : sh->drop, check);
    }
}

/* Whether the role may bring a stale run table up to date: only its
 * owner may. */
static int
alterable(const struct fb_ledger *l, const struct shape *sh, char *err,
          size_t errlen)
{
    char sql[SQL_MAX];

    if (sh->owner)
        return 0;
    alter_sql(l, sh, sql, sizeof(sql));
    snprintf(err, errlen,
             "ledger: table %s predates status 'skipped' and role \"%s\" "
             "does not own it; its owner must run: %s",
             l->show_runs, l->role, sql);
    return FB_EXIT_CONFIG;
}

/* A run table from before status 'skipped' gets it and its reason
 * column, once, by its owner. */
static int
migrate(struct fb_ledger *l, char *err, size_t errlen)
{
    static const char what[] = "cannot update the ledger table";
    struct shape sh;
    char sql[SQL_MAX];
    int rc = read_shape(l, &sh, err, errlen);

    if (rc != 0 || !shape_stale(&sh))
        return rc;
    if ((rc = alterable(l, &sh, err, errlen)) != 0)
        return rc;
    rc = begin_locked(l, what, err, errlen);
    if (rc == 0)
        rc = read_shape(l, &sh, err, errlen); /* another run may have */
    if (rc == 0 && shape_stale(&sh)) {
        alter_sql(l, &sh, sql, sizeof(sql));
        rc = fb_pg_exec(l->conn, sql, NULL, PGRES_COMMAND_OK, what, NULL, err,
                        errlen);
    }
    return end_locked(l, rc, what, err, errlen);
}

/* A privilege the ledger's statements need: result column, name, and on
 * which object (0 the run table, 1 the range table, 2 the id sequence,
 * 3 the restore table). */
struct need {
    int col;
    const char *priv;
    int object;
};

/* One check of privileges: its query, its parameters (the quoted names
 * of tables), and what its columns mean. */
struct privileges {
    const char *sql;
    int nparams;
    const struct need *needed;
    size_t n;
};

static const struct need run_needs[] = {
    {0, "SELECT", 0}, {1, "INSERT", 0}, {2, "UPDATE", 0},
    {3, "INSERT", 1}, {5, "USAGE", 2},
};

/* $1 the run table, $2 the range table; column 4 names the sequence. */
static const struct privileges run_privileges = {
    "SELECT pg_catalog.has_table_privilege($1::pg_catalog.regclass,"
    " 'SELECT'),"
    " pg_catalog.has_table_privilege($1::pg_catalog.regclass, 'INSERT'),"
    " pg_catalog.has_table_privilege($1::pg_catalog.regclass, 'UPDATE'),"
    " pg_catalog.has_table_privilege($2::pg_catalog.regclass, 'INSERT'),"
    " s.seq, s.seq IS NULL"
    " OR pg_catalog.has_sequence_privilege(s.seq, 'USAGE')"
    " OR pg_catalog.has_sequence_privilege(s.seq, 'UPDATE')"
    " FROM (SELECT pg_catalog.pg_get_serial_sequence($1::pg_catalog.text,"
    " 'id') AS seq) s",
    2, run_needs, sizeof(run_needs) / sizeof(run_needs[0])};

static const struct need restore_needs[] = {
    {0, "SELECT", 3},
    {1, "INSERT", 3},
    {2, "DELETE", 3},
};

/* $1 the restore table. */
static const struct privileges restore_privileges = {
    "SELECT pg_catalog.has_table_privilege($1::pg_catalog.regclass,"
    " 'SELECT'),"
    " pg_catalog.has_table_privilege($1::pg_catalog.regclass, 'INSERT'),"
    " pg_catalog.has_table_privilege($1::pg_catalog.regclass, 'DELETE')",
    1, restore_needs, sizeof(restore_needs) / sizeof(restore_needs[0])};

/* The name of object o as messages show it (res from check_privileges). */
static const char *
object_name(const struct fb_ledger *l, const PGresult *res, int o)
{
    switch (o) {
    case 0:
        return l->show_runs;
    case 1:
        return l->show_ranges;
    case 2:
        return PQgetvalue(res, 0, 4);
    default:
        return l->show_restores;
    }
}

/* Says what the role lacks on object o (res from check_privileges):
 * "lacks INSERT, UPDATE on table t (GRANT INSERT, UPDATE ON t TO r)". */
static size_t
say_lacking(const struct fb_ledger *l, const struct privileges *p,
            const PGresult *res, int o, char *out, size_t cap)
{
    const char *name = NULL;
    char privs[64] = "";
    size_t n = 0;

    for (size_t i = 0; i < p->n; i++)
        if (p->needed[i].object == o &&
            strcmp(PQgetvalue(res, 0, p->needed[i].col), "t") != 0 &&
            n < sizeof(privs))
            n += (size_t)snprintf(privs + n, sizeof(privs) - n, "%s%s",
                                  n > 0 ? ", " : "", p->needed[i].priv);
    if (n == 0 || cap == 0)
        return 0;
    name = object_name(l, res, o);
    n = (size_t)snprintf(out, cap,
                         "; lacks %s on %s %s (GRANT %s ON %s%s TO %s)", privs,
                         o == 2 ? "sequence" : "table", name, privs,
                         o == 2 ? "SEQUENCE " : "", name, l->show_role);
    return n < cap ? n : cap - 1;
}

/* Before any work: may the role do what the statements of p's tables
 * do?  vals are p's parameters. */
static int
check_privileges(struct fb_ledger *l, const struct privileges *p,
                 const char *const *vals, char *err, size_t errlen)
{
    char lacking[1024];
    PGresult *res = NULL;
    size_t n = 0;
    int rc =
        exec_params(l, p->sql, p->nparams, vals, PGRES_TUPLES_OK,
                    "cannot read the ledger's privileges", &res, err, errlen);

    for (int o = 0; rc == 0 && o < 4; o++)
        n += say_lacking(l, p, res, o, lacking + n, sizeof(lacking) - n);
    if (rc == 0 && n > 0) {
        /* Each clause starts "; ": the first one's is dropped. */
        snprintf(err, errlen, "ledger: role \"%s\" %s", l->role, lacking + 2);
        rc = FB_EXIT_CONFIG;
    }
    PQclear(res);
    return rc;
}

/* The privileges the run and range tables need. */
static int
check_run_privileges(struct fb_ledger *l, char *err, size_t errlen)
{
    const char *vals[2] = {l->runs, l->ranges};

    return check_privileges(l, &run_privileges, vals, err, errlen);
}

/* Creates what is missing, updates what is old, and checks that the role
 * may do the rest: no DDL at all when the tables are ready. */
static int
prepare_tables(struct fb_ledger *l, char *err, size_t errlen)
{
    struct state st;
    int rc = read_state(l, &st, err, errlen);

    if (rc == 0 && missing(&st, T_RUNS | T_RANGES) != 0)
        rc =
            create_tables(l, &st, missing(&st, T_RUNS | T_RANGES), err, errlen);
    if (rc == 0)
        rc = migrate(l, err, errlen);
    if (rc == 0)
        rc = check_run_privileges(l, err, errlen);
    return rc;
}

/* Connects, finds the schema with the role's search_path when none was
 * given, then pins the path. */
static int
connect_ledger(struct fb_ledger *l, const struct fb_pg_target *pg,
               char **schema, const char *table, char *err, size_t errlen)
{
    static const char what[] = "cannot connect to the ledger";
    int rc = fb_pg_connect_unpinned(pg, NULL, what, &l->conn, err, errlen);

    if (rc == 0 && *schema == NULL)
        rc = find_schema(l, table, schema, err, errlen);
    if (rc == 0)
        rc = fb_pg_pin(l->conn, NULL, what, err, errlen);
    return rc;
}

/* How a ledger is opened: for a run (its tables made ready), or
 * read-only (fb_ledger_open_read_only). */
struct how {
    bool read_only;
    bool stand_in;
    char *note;
    size_t notelen;
};

/* Empty temporary tables of the session in place of missing ones: the
 * queries then answer as for a job that never ran, and nothing is left
 * when the session ends. */
static int
stand_in(struct fb_ledger *l, const char *table, char *err, size_t errlen)
{
    int rc = make_names(l, "pg_temp", table, err, errlen);

    if (rc == 0)
        rc = run_ddl(l, T_RUNS | T_RANGES,
                     "cannot make the ledger's stand-in tables", err, errlen);
    return rc;
}

/* What a run would do to the tables of set (missing ones). */
static void
say_missing(const struct fb_ledger *l, unsigned set, char *note, size_t notelen)
{
    char tables[3 * QNAME_MAX + 16];
    int n;

    join_names(l, set, " and ", tables, sizeof(tables), &n);
    snprintf(note, notelen, "%s %s not exist: a run creates %s", tables,
             n > 1 ? "do" : "does", n > 1 ? "them" : "it");
}

/* Read-only: checks the tables as a run would need them, says in
 * how->note what a run would do to them, and changes nothing that
 * lasts. */
static int
probe_tables(struct fb_ledger *l, const char *table, const struct how *how,
             char *err, size_t errlen)
{
    struct state st;
    struct shape sh;
    int rc = read_state(l, &st, err, errlen);

    if (rc == 0 && missing(&st, T_RUNS | T_RANGES) != 0) {
        unsigned set = missing(&st, T_RUNS | T_RANGES);

        if ((rc = creatable(l, &st, set, err, errlen)) == 0)
            say_missing(l, set, how->note, how->notelen);
        if (rc == 0 && how->stand_in && !st.runs)
            rc = stand_in(l, table, err, errlen);
    } else if (rc == 0 && (rc = read_shape(l, &sh, err, errlen)) == 0) {
        if (shape_stale(&sh) && (rc = alterable(l, &sh, err, errlen)) == 0)
            snprintf(how->note, how->notelen,
                     "%s predates status 'skipped': a run updates it",
                     l->show_runs);
        if (rc == 0)
            rc = check_run_privileges(l, err, errlen);
        if (rc == 0 && how->note[0] == '\0')
            snprintf(how->note, how->notelen, "%s is ready", l->show_runs);
    }
    if (rc == 0)
        rc = fb_pg_exec(
            l->conn, "SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY",
            NULL, PGRES_COMMAND_OK, "cannot make the ledger session read-only",
            NULL, err, errlen);
    return rc;
}

static int
open_ledger(const struct fb_pg_target *pg, const char *qualified,
            const struct how *how, struct fb_ledger **out, char *err,
            size_t errlen)
{
    struct fb_ledger *l = NULL;
    char *schema = NULL;
    char *table = NULL;
    int rc;

    *out = NULL;
    if (qualified == NULL || qualified[0] == '\0')
        qualified = FB_LEDGER_TABLE;
    rc = fb_pg_split_table(qualified, &schema, &table, err, errlen);
    if (rc == 0)
        rc = check_names(schema, table, err, errlen);
    if (rc == 0 && (l = calloc(1, sizeof(*l))) == NULL) {
        snprintf(err, errlen, "out of memory");
        rc = FB_EXIT_OSERR;
    }
    if (rc != 0)
        goto out;
    if (gethostname(l->host, sizeof(l->host)) != 0)
        snprintf(l->host, sizeof(l->host), "unknown");
    l->host[sizeof(l->host) - 1] = '\0';
    rc = connect_ledger(l, pg, &schema, table, err, errlen);
    if (rc == 0)
        rc = make_names(l, schema, table, err, errlen);
    if (rc == 0)
        rc = how->read_only ? probe_tables(l, table, how, err, errlen)
                            : prepare_tables(l, err, errlen);
    if (rc == 0) {
        *out = l;
        l = NULL;
    }
out:
    free(schema);
    free(table);
    fb_ledger_close(l);
    return rc;
}

int
fb_ledger_open(const struct fb_pg_target *pg, const char *qualified,
               struct fb_ledger **out, char *err, size_t errlen)
{
    static const struct how run = {false, false, NULL, 0};

    return open_ledger(pg, qualified, &run, out, err, errlen);
}

int
fb_ledger_open_read_only(const struct fb_pg_target *pg, const char *qualified,
                         bool stand_in, struct fb_ledger **out, char *note,
                         size_t notelen, char *err, size_t errlen)
{
    struct how how = {true, stand_in, note, notelen};

    note[0] = '\0';
    return open_ledger(pg, qualified, &how, out, err, errlen);
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

/* --- runs ------------------------------------------------------------ */

/* Number of rows an INSERT/UPDATE touched, or -1. */
static long long
affected(PGresult *res)
{
    int64_t v;

    return fb_pg_int8(PQcmdTuples(res), &v) == 0 ? v : -1;
}

/*
 * Runs a statement that must touch exactly one row of a running run
 * (its WHERE says status = 'running').  0, or an exit code with err set:
 * a run that already ended must not have its story rewritten.
 */
static int
exec_on_running(struct fb_ledger *l, const char *sql, int nparams,
                const char *const *params, const char *what, char *err,
                size_t errlen)
{
    PGresult *res = NULL;
    int rc = exec_params(l, sql, nparams, params, PGRES_COMMAND_OK, what, &res,
                         err, errlen);

    if (rc == 0 && affected(res) != 1) {
        snprintf(err, errlen, "%s: the run is not running", what);
        rc = FB_EXIT_SOFTWARE;
    }
    PQclear(res);
    return rc;
}

int
fb_ledger_reap(struct fb_ledger *l, const char *job, size_t *n, char *err,
               size_t errlen)
{
    static const char what[] = "cannot mark dead runs interrupted";
    char sql[SQL_MAX];
    const char *params[1] = {job};
    PGresult *res = NULL;
    long long v = 0;
    int rc;

    snprintf(sql, sizeof(sql),
             "UPDATE %s SET status = 'interrupted',"
             " run_end = pg_catalog.clock_timestamp()"
             " WHERE job OPERATOR(pg_catalog.=) $1"
             " AND status OPERATOR(pg_catalog.=) 'running'",
             l->runs);
    rc = exec_params(l, sql, 1, params, PGRES_COMMAND_OK, what, &res, err,
                     errlen);
    if (rc == 0 && (v = affected(res)) < 0) {
        snprintf(err, errlen, "%s: no count", what);
        rc = FB_EXIT_SOFTWARE;
    }
    PQclear(res);
    if (rc == 0)
        *n = (size_t)v;
    return rc;
}

/* A new row of the run table. */
struct run_row {
    const char *job;
    int64_t hour_us;
    const char *index;
    enum fb_run_status status;
    const char *snapshot; /* NULL: none */
    const char *reason;   /* NULL: none */
};

/* Inserts row, ended now unless it is running; *run_id its id. */
static int
insert_run(struct fb_ledger *l, const struct run_row *row, int64_t *run_id,
           const char *what, char *err, size_t errlen)
{
    char sql[SQL_MAX];
    char hour[FB_PG_TIME_MAX], pid[32];
    const char *params[9] = {row->job,      hour,
                             row->index,    fb_ledger_status_name(row->status),
                             row->snapshot, FB_VERSION,
                             l->host,       pid,
                             row->reason};
    PGresult *res = NULL;
    int rc;

    fb_pg_format_us(row->hour_us, hour, sizeof(hour));
    snprintf(pid, sizeof(pid), "%ld", (long)getpid());
    snprintf(sql, sizeof(sql),
             "INSERT INTO %s (job, hour_start, index_name, status, snapshot,"
             " version, host, pid, reason, run_end) VALUES ($1,"
             " $2::pg_catalog.timestamptz, $3, $4, $5, $6, $7,"
             " $8::pg_catalog.int4, $9, CASE WHEN $4::pg_catalog.text"
             " OPERATOR(pg_catalog.<>) 'running'"
             " THEN pg_catalog.clock_timestamp() END) RETURNING id",
             l->runs);
    rc = exec_params(l, sql, 9, params, PGRES_TUPLES_OK, what, &res, err,
                     errlen);
    if (rc == 0 &&
        (PQntuples(res) != 1 ||
         fb_pg_int8(PQgetvalue(res, 0, 0), run_id) != 0 || *run_id <= 0)) {
        snprintf(err, errlen, "%s: bad id", what);
        rc = FB_EXIT_SOFTWARE;
    }
    PQclear(res);
    return rc;
}

int
fb_ledger_begin(struct fb_ledger *l, const char *job, int64_t hour_us,
                const char *index, const char *snapshot, int64_t *run_id,
                char *err, size_t errlen)
{
    struct run_row row = {job, hour_us, index, FB_RUN_RUNNING, snapshot, NULL};

    return insert_run(l, &row, run_id, "cannot record the start of a run", err,
                      errlen);
}

int
fb_ledger_skip(struct fb_ledger *l, const char *job, int64_t hour_us,
               const char *index, const char *reason, char *err, size_t errlen)
{
    struct run_row row = {job, hour_us, index, FB_RUN_SKIPPED, NULL, reason};
    int64_t run_id = 0;

    return insert_run(l, &row, &run_id, "cannot record a skipped hour", err,
                      errlen);
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
             " SELECT id, $2::pg_catalog.int4, $3::pg_catalog.int8,"
             " $4::pg_catalog.int8, $5::pg_catalog.int8, $6::pg_catalog.int8"
             " FROM %s WHERE id OPERATOR(pg_catalog.=) $1::pg_catalog.int8"
             " AND status OPERATOR(pg_catalog.=) 'running'",
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
        return FB_EXIT_SOFTWARE;
    }
    snprintf(p[0], sizeof(p[0]), "%" PRId64, run_id);
    snprintf(p[1], sizeof(p[1]), "%" PRId64, counts->loaded);
    snprintf(p[2], sizeof(p[2]), "%" PRId64, counts->rejected);
    snprintf(p[3], sizeof(p[3]), "%" PRId64, counts->read);
    snprintf(sql, sizeof(sql),
             "UPDATE %s SET status = $2, loaded = $3::pg_catalog.int8,"
             " rejected = $4::pg_catalog.int8, read = $5::pg_catalog.int8,"
             " run_end = pg_catalog.clock_timestamp()"
             " WHERE id OPERATOR(pg_catalog.=) $1::pg_catalog.int8"
             " AND status OPERATOR(pg_catalog.=) 'running'",
             l->runs);
    return exec_on_running(l, sql, 5, params, what, err, errlen);
}

/* --- which hours ----------------------------------------------------- */

/* Reads the int8 of column col of each row into hours[0..rows). */
static int
read_hours(const PGresult *res, int col, int64_t *hours, const char *what,
           char *err, size_t errlen)
{
    for (int i = 0; i < PQntuples(res); i++) {
        const char *s = PQgetvalue(res, i, col);

        if (fb_pg_int8(s, &hours[i]) != 0) {
            snprintf(err, errlen, "%s: bad hour \"%s\"", what, s);
            return FB_EXIT_SOFTWARE;
        }
    }
    return 0;
}

int
fb_ledger_not_done(struct fb_ledger *l, const char *job, int64_t from_us,
                   int64_t to_us, int64_t *hours, size_t cap, size_t *n,
                   char *err, size_t errlen)
{
    char sql[SQL_MAX];
    char from[FB_PG_TIME_MAX], last[FB_PG_TIME_MAX];
    const char *params[3] = {job, from, last};
    PGresult *res = NULL;
    int64_t window = 0;
    int rc = FB_EXIT_SOFTWARE;

    if (from_us >= to_us || (to_us - from_us) % FB_HOUR_US != 0) {
        snprintf(err, errlen,
                 "pending hours: [%" PRId64 ", %" PRId64
                 ") is not a window of whole hours",
                 from_us, to_us);
        return rc;
    }
    window = (to_us - from_us) / FB_HOUR_US;
    if ((uint64_t)window > cap) {
        snprintf(err, errlen,
                 "pending hours: the window holds %" PRId64
                 " hours, more than the %zu allowed",
                 window, cap);
        return rc;
    }
    fb_pg_format_us(from_us, from, sizeof(from));
    fb_pg_format_us(to_us - FB_HOUR_US, last, sizeof(last));
    snprintf(sql, sizeof(sql),
             "SELECT " HOUR_US_SQL("t.h") " FROM (" GRID_SQL ") AS t"
                                          " ORDER BY t.h",
             l->runs);
    rc = exec_params(l, sql, 3, params, PGRES_TUPLES_OK,
                     "cannot read pending hours", &res, err, errlen);
    if (rc == 0)
        rc = read_hours(res, 0, hours, "pending hours", err, errlen);
    if (rc == 0)
        *n = (size_t)PQntuples(res);
    PQclear(res);
    return rc;
}

/* The job's newest hour up to last whose latest run is done or skipped
 * (*found false: none). */
static int
newest_finished(struct fb_ledger *l, const char *job, const char *last,
                int64_t *hour_us, bool *found, char *err, size_t errlen)
{
    static const char what[] = "cannot read the newest loaded hour";
    char sql[SQL_MAX];
    const char *params[2] = {job, last};
    PGresult *res = NULL;
    int rc;

    snprintf(sql, sizeof(sql),
             "SELECT " HOUR_US_SQL(
                 "pg_catalog.max(l.hour_start)") " FROM (" LATEST_SQL
                                                 " AND r.hour_start "
                                                 "OPERATOR(pg_catalog.<=)"
                                                 " $2::pg_catalog."
                                                 "timestamptz" LATEST_ORDER
                                                 ") AS l"
                                                 " WHERE l.status "
                                                 "OPERATOR(pg_catalog.=)"
                                                 " " FINISHED_SQL,
             l->runs);
    rc = exec_params(l, sql, 2, params, PGRES_TUPLES_OK, what, &res, err,
                     errlen);
    *found = rc == 0 && !PQgetisnull(res, 0, 0);
    if (*found)
        rc = read_hours(res, 0, hour_us, what, err, errlen);
    PQclear(res);
    return rc;
}

/* Where (b) of fb_ledger_pending() starts: lookback_from, or the first
 * hour of its grid after the newest finished one when that is earlier. */
static int64_t
first_pending(int64_t lookback_from, bool found, int64_t newest)
{
    int64_t next = newest + FB_HOUR_US;
    int64_t k;

    if (!found || next >= lookback_from)
        return lookback_from;
    k = (lookback_from - next + FB_HOUR_US - 1) / FB_HOUR_US;
    return lookback_from - k * FB_HOUR_US;
}

int
fb_ledger_pending(struct fb_ledger *l, const char *job,
                  int64_t lookback_from_us, int64_t last_us, size_t max,
                  int64_t *hours, size_t cap, size_t *n, size_t *remaining,
                  char *err, size_t errlen)
{
    static const char what[] = "cannot read pending hours";
    char sql[SQL_MAX];
    char from[FB_PG_TIME_MAX], last[FB_PG_TIME_MAX], limit[32];
    const char *params[4] = {job, from, last, limit};
    PGresult *res = NULL;
    int64_t newest = 0, total = 0;
    bool found = false;
    int rc = FB_EXIT_SOFTWARE;

    *n = *remaining = 0;
    if (max > cap || (last_us - lookback_from_us) % FB_HOUR_US != 0) {
        snprintf(err, errlen,
                 "pending hours: max %zu with room for %zu, from %" PRId64
                 " to %" PRId64 ": not whole hours, or no room",
                 max, cap, lookback_from_us, last_us);
        return rc;
    }
    fb_pg_format_us(last_us, last, sizeof(last));
    rc = newest_finished(l, job, last, &newest, &found, err, errlen);
    if (rc != 0)
        return rc;
    fb_pg_format_us(first_pending(lookback_from_us, found, newest), from,
                    sizeof(from));
    /* LIMIT 0 would hide the count of the rest. */
    snprintf(limit, sizeof(limit), "%zu", max > 0 ? max : 1);
    snprintf(sql, sizeof(sql),
             "SELECT " HOUR_US_SQL(
                 "t.h") ", pg_catalog.count(*) OVER ()"
                        " FROM (" GRID_SQL
                        " UNION SELECT l.hour_start FROM (" LATEST_SQL
                        " AND r.hour_start OPERATOR(pg_catalog.<=)"
                        " $3::pg_catalog.timestamptz" LATEST_ORDER ") AS l"
                        " WHERE l.status OPERATOR(pg_catalog.=) " UNFINISHED_SQL
                        ") AS t(h) ORDER BY t.h LIMIT $4::pg_catalog.int8",
             l->runs, l->runs);
    rc = exec_params(l, sql, 4, params, PGRES_TUPLES_OK, what, &res, err,
                     errlen);
    if (rc == 0 && PQntuples(res) > 0 &&
        (fb_pg_int8(PQgetvalue(res, 0, 1), &total) != 0 ||
         total < PQntuples(res))) {
        snprintf(err, errlen, "%s: bad count", what);
        rc = FB_EXIT_SOFTWARE;
    }
    if (rc == 0 && max > 0)
        rc = read_hours(res, 0, hours, what, err, errlen);
    if (rc == 0) {
        *n = max > 0 ? (size_t)PQntuples(res) : 0;
        *remaining = (size_t)total - *n;
    }
    PQclear(res);
    return rc;
}

int
fb_ledger_done_hours(struct fb_ledger *l, const char *job, int64_t from_us,
                     int64_t to_us, struct fb_ledger_done *out, size_t cap,
                     size_t *n, char *err, size_t errlen)
{
    static const char what[] = "cannot read done hours";
    char sql[SQL_MAX];
    char from[FB_PG_TIME_MAX], to[FB_PG_TIME_MAX];
    const char *params[3] = {job, from, to};
    PGresult *res = NULL;
    int rc;

    *n = 0;
    fb_pg_format_us(from_us, from, sizeof(from));
    fb_pg_format_us(to_us, to, sizeof(to));
    snprintf(sql, sizeof(sql),
             "SELECT " HOUR_US_SQL(
                 "l.hour_start") ", l.loaded, l.id,"
                                 " l.index_name, l.read FROM (" LATEST_SQL
                                 " AND r.hour_start OPERATOR(pg_catalog.>=)"
                                 " $2::pg_catalog.timestamptz AND r.hour_start"
                                 " OPERATOR(pg_catalog.<) "
                                 "$3::pg_catalog.timestamptz" LATEST_ORDER
                                 ") AS l WHERE l.status OPERATOR(pg_catalog.=) "
                                 "'done'"
                                 " ORDER BY l.hour_start",
             l->runs);
    rc = exec_params(l, sql, 3, params, PGRES_TUPLES_OK, what, &res, err,
                     errlen);
    if (rc == 0 && (size_t)PQntuples(res) > cap) {
        snprintf(err, errlen, "%s: more than %zu", what, cap);
        rc = FB_EXIT_SOFTWARE;
    }
    for (int i = 0; rc == 0 && i < PQntuples(res); i++) {
        struct fb_ledger_done *d = &out[i];

        if (fb_pg_int8(PQgetvalue(res, i, 0), &d->hour_us) != 0 ||
            fb_pg_int8(PQgetvalue(res, i, 1), &d->loaded) != 0 ||
            fb_pg_int8(PQgetvalue(res, i, 2), &d->run_id) != 0 ||
            fb_pg_int8(PQgetvalue(res, i, 4), &d->read) != 0 ||
            (size_t)snprintf(d->index, sizeof(d->index), "%s",
                             PQgetvalue(res, i, 3)) >= sizeof(d->index)) {
            snprintf(err, errlen, "%s: bad row %d", what, i);
            rc = FB_EXIT_SOFTWARE;
        }
    }
    if (rc == 0)
        *n = (size_t)PQntuples(res);
    PQclear(res);
    return rc;
}

int
fb_ledger_health(struct fb_ledger *l, const char *job, int64_t *last_done_us,
                 int64_t *oldest_incomplete_us, char *err, size_t errlen)
{
    static const char what[] = "cannot read the job's health";
    char sql[SQL_MAX];
    const char *params[1] = {job};
    PGresult *res = NULL;
    int64_t *v[2] = {last_done_us, oldest_incomplete_us};
    int rc;

    snprintf(sql, sizeof(sql), HEALTH_SQL, l->runs, l->runs);
    rc = exec_params(l, sql, 1, params, PGRES_TUPLES_OK, what, &res, err,
                     errlen);
    for (int i = 0; rc == 0 && i < 2; i++) {
        *v[i] = 0;
        if (!PQgetisnull(res, 0, i) &&
            fb_pg_int8(PQgetvalue(res, 0, i), v[i]) != 0) {
            snprintf(err, errlen, "%s: bad time", what);
            rc = FB_EXIT_SOFTWARE;
        }
    }
    PQclear(res);
    return rc;
}

/* --- settings to put back ---------------------------------------------- */

int
fb_ledger_restores_ready(struct fb_ledger *l, bool create, bool *exists,
                         char *err, size_t errlen)
{
    const char *vals[1] = {l->restores};
    struct state st;
    int rc = read_state(l, &st, err, errlen);

    *exists = false;
    if (rc == 0 && !st.restores) {
        if (!create)
            return 0;
        rc = create_tables(l, &st, T_RESTORES, err, errlen);
    }
    if (rc == 0)
        rc = check_privileges(l, &restore_privileges, vals, err, errlen);
    if (rc == 0)
        *exists = true;
    return rc;
}

int
fb_ledger_restore_save(struct fb_ledger *l, const char *job, const char *index,
                       const char *settings, char **earlier, char *err,
                       size_t errlen)
{
    static const char what[] = "cannot record the settings to restore";
    char sql[SQL_MAX];
    const char *params[3] = {job, index, settings};
    PGresult *res = NULL;
    int rc;

    *earlier = NULL;
    /* The second SELECT sees the table as the statement began: the row
     * of an earlier run when the INSERT found one, else nothing. */
    snprintf(sql, sizeof(sql),
             "WITH ins AS (INSERT INTO %s (job, index_name, settings)"
             " VALUES ($1, $2, $3::pg_catalog.json)"
             " ON CONFLICT (job, index_name) DO NOTHING RETURNING 1)"
             " SELECT (SELECT pg_catalog.count(*) FROM ins),"
             " (SELECT r.settings::pg_catalog.text FROM %s r"
             " WHERE r.job OPERATOR(pg_catalog.=) $1"
             " AND r.index_name OPERATOR(pg_catalog.=) $2)",
             l->restores, l->restores);
    rc = exec_params(l, sql, 3, params, PGRES_TUPLES_OK, what, &res, err,
                     errlen);
    if (rc == 0 && PQntuples(res) != 1) {
        snprintf(err, errlen, "%s: no answer", what);
        rc = FB_EXIT_SOFTWARE;
    } else if (rc == 0 && strcmp(PQgetvalue(res, 0, 0), "0") == 0 &&
               !PQgetisnull(res, 0, 1) &&
               (*earlier = strdup(PQgetvalue(res, 0, 1))) == NULL) {
        snprintf(err, errlen, "out of memory");
        rc = FB_EXIT_OSERR;
    }
    PQclear(res);
    return rc;
}

int
fb_ledger_restore_drop(struct fb_ledger *l, const char *job, const char *index,
                       char *err, size_t errlen)
{
    char sql[SQL_MAX];
    const char *params[2] = {job, index};

    snprintf(sql, sizeof(sql),
             "DELETE FROM %s WHERE job OPERATOR(pg_catalog.=) $1"
             " AND index_name OPERATOR(pg_catalog.=) $2",
             l->restores);
    return exec_params(l, sql, 2, params, PGRES_COMMAND_OK,
                       "cannot drop a restored index's record", NULL, err,
                       errlen);
}

void
fb_ledger_restores_free(struct fb_ledger_restore *v, size_t n)
{
    for (size_t i = 0; v != NULL && i < n; i++)
        free(v[i].settings);
    free(v);
}

/* The rows of a restore query into a new array. */
static int
read_restores(const PGresult *res, struct fb_ledger_restore **out, size_t *n,
              char *err, size_t errlen)
{
    size_t rows = (size_t)PQntuples(res);
    struct fb_ledger_restore *v = calloc(rows + 1, sizeof(*v));

    if (v == NULL) {
        snprintf(err, errlen, "out of memory");
        return FB_EXIT_OSERR;
    }
    for (size_t i = 0; i < rows; i++) {
        struct fb_ledger_restore *r = &v[i];

        if ((size_t)snprintf(r->index, sizeof(r->index), "%s",
                             PQgetvalue(res, (int)i, 0)) >= sizeof(r->index) ||
            (r->settings = strdup(PQgetvalue(res, (int)i, 1))) == NULL) {
            fb_ledger_restores_free(v, i + 1);
            snprintf(err, errlen, "settings to restore: bad row %zu", i);
            return FB_EXIT_SOFTWARE;
        }
    }
    *out = v;
    *n = rows;
    return 0;
}

int
fb_ledger_restores(struct fb_ledger *l, const char *job,
                   struct fb_ledger_restore **out, size_t *n, char *err,
                   size_t errlen)
{
    char sql[SQL_MAX];
    const char *params[1] = {job};
    PGresult *res = NULL;
    int rc;

    *out = NULL;
    *n = 0;
    snprintf(sql, sizeof(sql),
             "SELECT index_name, settings::pg_catalog.text FROM %s"
             " WHERE job OPERATOR(pg_catalog.=) $1"
             " ORDER BY written_at, index_name",
             l->restores);
    rc = exec_params(l, sql, 1, params, PGRES_TUPLES_OK,
                     "cannot read the settings to restore", &res, err, errlen);
    if (rc == 0)
        rc = read_restores(res, out, n, err, errlen);
    PQclear(res);
    return rc;
}
