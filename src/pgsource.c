/*
 * pgsource.c
 *    PostgreSQL source: the parent plans inside an exported snapshot, the
 *    workers stream their slices in that same snapshot (see pgsource.h).
 *
 * SQL shapes (identifiers quoted with PQescapeIdentifier; values are
 * parameters, or for COPY literals quoted with PQescapeLiteral):
 *   window, table:  SELECT * FROM "s"."t" WHERE "ts" >= $1 AND "ts" < $2
 *   window, query:  SELECT * FROM (<query>) AS fb_q
 *   slice, key:     ... AND "k" >= $3 AND "k" <= $4   (int8; $4 = hi - 1,
 *                   so a range may end at INT64_MAX)
 *   slice, ctid:    ... AND ctid >= $3::tid [AND ctid < $4::tid]; the last
 *                   range has no upper bound
 *   slice, time:    the window itself, with $1/$2 set to the sub-window
 * $1/$2 are timestamptz, so a query that uses only one of them still
 * prepares.  A key with NULLs in the window is refused (no range would
 * hold those rows).
 *
 * Streaming (fb_pg_fetch): table sources use COPY (...) TO STDOUT by
 * default, the least worker CPU measured.  COPY takes no parameters, so
 * each range's values are written into its SQL as quoted literals
 * ('...'::type; pg_inline_params).  They are all the loader's own
 * (formatted bounds, integers, tids), and as constants the planner sees
 * them: a key range is planned on the key's index.  (Passing them through
 * set_config() kept them opaque, and a key split walked the hour's time
 * index for every range: 73 s for the demo hour against 18 s by time.)
 * Query sources keep their own $1/$2 and stream in single-row mode.  Every
 * session runs with TimeZone=UTC, DateStyle=ISO, extra_float_digits=1 and
 * client_encoding=UTF8, which pg_render.c relies on.
 */
#include "forkbulk/pgsource.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libpq-fe.h>

#include "forkbulk/docid.h"
#include "forkbulk/log.h"
#include "forkbulk/pg_render.h"
#include "forkbulk/status.h"

#define FB_PG_OID_INT2 21
#define FB_PG_OID_INT4 23
#define FB_PG_OID_INT8 20
#define FB_PG_OID_TIMESTAMPTZ 1184
#define FB_PG_OID_TID 27

#define FB_PG_SESSION_SQL                                                      \
    "SET TimeZone = 'UTC'; SET DateStyle = 'ISO'; "                            \
    "SET extra_float_digits = 1; SET client_encoding = 'UTF8'"

/* Open-ended last ctid range. */
#define FB_PG_CTID_END UINT64_MAX

enum fb_pg_idmode {
    FB_PG_ID_NONE = 0,
    FB_PG_ID_COLUMN, /* the text of one column */
    FB_PG_ID_HASH,   /* fb_pg_render_idhash of several */
};

struct fb_pg_ids {
    enum fb_pg_idmode mode;
    int n;
    char **names;
};

struct fb_pg_reader {
    const struct fb_pg_spec *spec;
    PGconn *conn;
    char *sql;     /* window SQL, slice conditions appended per range */
    bool use_copy; /* table sources: COPY (sql) TO STDOUT */
    char *qkey;    /* quoted split key, or NULL */
    struct fb_pg_ids ids;

    /* Per range. */
    struct fb_pg_job job;
    char desc[96];
    bool active;    /* a transaction is open */
    bool cursor;    /* streaming through FETCH */
    bool streaming; /* single-row results still to come */
    bool copying;   /* COPY data still to come */
    char *line;     /* current COPY row (PQgetCopyData) */
    PGresult *res;  /* current row (single-row) or batch (cursor) */
    int res_row;
    uint64_t rowno;

    /* Columns, from the first row of the range. */
    int ncols;
    struct fb_pg_render_col *cols;
    char *names; /* storage of the column names and their JSON keys */
    int *id_idx;
    const char **vals;
    int *lens;

    char *doc;
    size_t doc_cap;
    char *scratch;
    char id[FB_DOCID_BUFSIZE];
    char err[256];
};

static void
pg_ids_free(struct fb_pg_ids *ids)
{
    int i;

    for (i = 0; i < ids->n; i++)
        free(ids->names[i]);
    free(ids->names);
    ids->names = NULL;
    ids->n = 0;
    ids->mode = FB_PG_ID_NONE;
}

/* The message of a failed result, without its trailing newline. */
static void
pg_log_error(const char *what, PGconn *conn, const PGresult *res)
{
    const char *msg = res != NULL ? PQresultErrorMessage(res) : "";
    size_t n;

    if (msg == NULL || msg[0] == '\0')
        msg = PQerrorMessage(conn);
    n = strlen(msg);
    while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == ' '))
        n--;
    fb_error("PostgreSQL: %s: %.*s", what, (int)n, msg);
}

/* Exit code for a failed result: connection trouble is 69, a bad table,
 * column, query or type is 78, anything else 70. */
static int
pg_status_of(PGconn *conn, const PGresult *res)
{
    const char *st =
        res != NULL ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;

    if (PQstatus(conn) == CONNECTION_BAD || st == NULL)
        return FB_EXIT_UNAVAILABLE;
    if (strncmp(st, "08", 2) == 0 || strncmp(st, "57", 2) == 0 ||
        strncmp(st, "53", 2) == 0)
        return FB_EXIT_UNAVAILABLE;
    if (strncmp(st, "42", 2) == 0 || strncmp(st, "22", 2) == 0 ||
        strncmp(st, "0A", 2) == 0 || strncmp(st, "3F", 2) == 0)
        return FB_EXIT_CONFIG;
    return FB_EXIT_SOFTWARE;
}

/* Runs a statement that returns no rows; 0 or an exit code after
 * logging. */
static int
pg_command(PGconn *conn, const char *sql, const char *what)
{
    PGresult *res = PQexec(conn, sql);
    int rc = 0;

    if (PQresultStatus(res) != PGRES_COMMAND_OK) {
        pg_log_error(what, conn, res);
        rc = pg_status_of(conn, res);
    }
    PQclear(res);
    return rc;
}

/*
 * Connects and sets the session up.  role_sql names the connection in
 * pg_stat_activity ("forkbulk plan" or "forkbulk worker") so an operator
 * can tell which backend is whose, and sets what that role needs; it is
 * a constant of this file.
 */
static int
pg_connect(const struct fb_pg_spec *spec, const char *role_sql, PGconn **out)
{
    PGconn *conn = PQconnectdb(spec->conninfo != NULL ? spec->conninfo : "");
    int rc = 0;

    if (conn == NULL || PQstatus(conn) != CONNECTION_OK) {
        const char *msg = conn != NULL ? PQerrorMessage(conn) : "out of memory";
        size_t n = strlen(msg);

        while (n > 0 && msg[n - 1] == '\n')
            n--;
        fb_error("cannot connect to PostgreSQL: %.*s", (int)n, msg);
        rc = FB_EXIT_UNAVAILABLE;
        goto out;
    }
    rc = pg_command(conn, FB_PG_SESSION_SQL, "session settings");
    if (rc == 0)
        rc = pg_command(conn, role_sql, "session settings");
out:
    if (rc != 0) {
        PQfinish(conn);
        conn = NULL;
    }
    *out = conn;
    return rc;
}

/* "s.t" -> "\"s\".\"t\"", each part quoted by libpq; NULL after logging. */
static char *
pg_quote_table(PGconn *conn, const char *table)
{
    const char *dot = strchr(table, '.');
    char *schema = NULL;
    char *rel = NULL;
    char *out = NULL;
    size_t n;

    if (dot != NULL) {
        schema = PQescapeIdentifier(conn, table, (size_t)(dot - table));
        rel = PQescapeIdentifier(conn, dot + 1, strlen(dot + 1));
    } else {
        rel = PQescapeIdentifier(conn, table, strlen(table));
    }
    if (rel == NULL || (dot != NULL && schema == NULL)) {
        fb_error("PostgreSQL: bad table name [%s]: %s", table,
                 PQerrorMessage(conn));
        goto out;
    }
    n = strlen(rel) + (schema != NULL ? strlen(schema) + 1 : 0) + 1;
    out = malloc(n);
    if (out == NULL)
        goto out;
    if (schema != NULL)
        snprintf(out, n, "%s.%s", schema, rel);
    else
        snprintf(out, n, "%s", rel);
out:
    PQfreemem(schema);
    PQfreemem(rel);
    return out;
}

static char *
pg_quote_ident(PGconn *conn, const char *name)
{
    char *q = PQescapeIdentifier(conn, name, strlen(name));
    char *out = NULL;

    if (q == NULL) {
        fb_error("PostgreSQL: bad identifier [%s]: %s", name,
                 PQerrorMessage(conn));
        return NULL;
    }
    out = strdup(q);
    PQfreemem(q);
    return out;
}

/* The window SQL (see the file comment); NULL after logging, with the
 * exit code in *status. */
static char *
pg_window_sql(PGconn *conn, const struct fb_pg_spec *spec, int *status)
{
    char *qt = NULL;
    char *qc = NULL;
    char *sql = NULL;
    size_t n;

    *status = FB_EXIT_CONFIG;
    if ((spec->table == NULL) == (spec->query == NULL)) {
        fb_error("PostgreSQL source: give either a table or a query");
        goto out;
    }
    if (spec->query != NULL) {
        size_t qlen = strlen(spec->query);

        /* A trailing ';' is natural in SQL but breaks the subquery. */
        while (qlen > 0 &&
               (spec->query[qlen - 1] == ';' || spec->query[qlen - 1] == ' ' ||
                spec->query[qlen - 1] == '\n' || spec->query[qlen - 1] == '\t'))
            qlen--;
        n = qlen + 64;
        sql = malloc(n);
        if (sql == NULL)
            goto out;
        snprintf(sql, n, "SELECT * FROM (%.*s\n) AS fb_q WHERE true", (int)qlen,
                 spec->query);
        *status = 0;
        goto out;
    }
    if (spec->time_column == NULL) {
        fb_error("PostgreSQL source: table [%s] needs a time column",
                 spec->table);
        goto out;
    }
    qt = pg_quote_table(conn, spec->table);
    qc = pg_quote_ident(conn, spec->time_column);
    if (qt == NULL || qc == NULL)
        goto out;
    n = strlen(qt) + 2 * strlen(qc) + 160;
    sql = malloc(n);
    if (sql == NULL)
        goto out;
    snprintf(sql, n, "SELECT * FROM %s WHERE %s >= $1 AND %s < $2", qt, qc, qc);
    *status = 0;
out:
    free(qt);
    free(qc);
    return sql;
}

/* Microseconds since the epoch as a timestamptz literal (UTC). */
static void
pg_format_us(int64_t us, char *out, size_t cap)
{
    int64_t secs = us / 1000000;
    int64_t frac = us % 1000000;
    time_t t;
    struct tm tm;

    if (frac < 0) {
        frac += 1000000;
        secs -= 1;
    }
    t = (time_t)secs;
    gmtime_r(&t, &tm);
    snprintf(out, cap, "%04d-%02d-%02d %02d:%02d:%02d.%06d+00",
             tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
             tm.tm_min, tm.tm_sec, (int)frac);
}

/* Runs sql with the window (and up to two more text parameters of type
 * t34) as parameters; the result, or NULL after logging with *status. */
static PGresult *
pg_query(PGconn *conn, const char *sql, const struct fb_pg_window *win,
         const char *p3, const char *p4, unsigned int t34, const char *what,
         int *status)
{
    char start[48];
    char end[48];
    const char *vals[4];
    unsigned int types[4] = {FB_PG_OID_TIMESTAMPTZ, FB_PG_OID_TIMESTAMPTZ, t34,
                             t34};
    int n = p3 != NULL ? 4 : 2;
    PGresult *res = NULL;

    pg_format_us(win->start_us, start, sizeof start);
    pg_format_us(win->end_us, end, sizeof end);
    vals[0] = start;
    vals[1] = end;
    vals[2] = p3;
    vals[3] = p4;
    res = PQexecParams(conn, sql, n, types, vals, NULL, NULL, 0);
    if (PQresultStatus(res) != PGRES_TUPLES_OK &&
        PQresultStatus(res) != PGRES_COMMAND_OK) {
        pg_log_error(what, conn, res);
        *status = pg_status_of(conn, res);
        PQclear(res);
        return NULL;
    }
    *status = 0;
    return res;
}

/* A one-parameter catalog query; NULL after logging. */
static PGresult *
pg_catalog(PGconn *conn, const char *sql, const char *p1, const char *p2,
           const char *what, int *status)
{
    const char *vals[2] = {p1, p2};
    PGresult *res =
        PQexecParams(conn, sql, p2 != NULL ? 2 : 1, NULL, vals, NULL, NULL, 0);

    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        pg_log_error(what, conn, res);
        *status = pg_status_of(conn, res);
        PQclear(res);
        return NULL;
    }
    *status = 0;
    return res;
}

/* The table's primary key columns in key order (none: n = 0). */
static int
pg_primary_key(PGconn *conn, const char *qtable, struct fb_pg_ids *pk,
               unsigned int *first_type)
{
    static const char sql[] =
        "SELECT a.attname, a.atttypid::int8 FROM pg_index i "
        "JOIN pg_attribute a ON a.attrelid = i.indrelid "
        "AND a.attnum = ANY (i.indkey) "
        "WHERE i.indrelid = $1::regclass AND i.indisprimary "
        "ORDER BY array_position(i.indkey::int2[], a.attnum)";
    PGresult *res = NULL;
    int status = 0;
    int i;

    pk->n = 0;
    pk->names = NULL;
    res = pg_catalog(conn, sql, qtable, NULL, "primary key", &status);
    if (res == NULL)
        goto out;
    if (PQntuples(res) == 0)
        goto out;
    pk->names = calloc((size_t)PQntuples(res), sizeof *pk->names);
    if (pk->names == NULL) {
        status = FB_EXIT_SOFTWARE;
        goto out;
    }
    for (i = 0; i < PQntuples(res); i++) {
        pk->names[i] = strdup(PQgetvalue(res, i, 0));
        if (pk->names[i] == NULL) {
            status = FB_EXIT_SOFTWARE;
            goto out;
        }
        pk->n++;
    }
    *first_type = (unsigned int)strtoul(PQgetvalue(res, 0, 1), NULL, 10);
out:
    PQclear(res);
    return status;
}

/*
 * Does an index lead with the time column?  Then time sub-windows are
 * index range scans of exactly their rows, the cheapest split of an hour
 * of a table that holds many hours (measured on 7.85 M flows: time 18 s,
 * ctid 19 s, key 73 s, because with the window opaque to the planner a
 * key range scanned the whole hour's index entries).
 */
static bool
pg_time_indexed(PGconn *conn, const char *qtable, const char *column)
{
    static const char sql[] =
        "SELECT 1 FROM pg_index i JOIN pg_attribute a "
        "ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0] "
        "WHERE i.indrelid = $1::regclass AND a.attname = $2";
    int status = 0;
    PGresult *res =
        pg_catalog(conn, sql, qtable, column, "time index", &status);
    bool yes = res != NULL && PQntuples(res) > 0;

    PQclear(res);
    return yes;
}

/* Splits "a,b" into names. */
static int
pg_split_names(const char *list, struct fb_pg_ids *ids)
{
    const char *p = list;
    int n = 1;
    int i;

    for (; *p != '\0'; p++)
        if (*p == ',')
            n++;
    ids->names = calloc((size_t)n, sizeof *ids->names);
    if (ids->names == NULL)
        return -1;
    p = list;
    for (i = 0; i < n; i++) {
        const char *c = strchr(p, ',');
        size_t len = c != NULL ? (size_t)(c - p) : strlen(p);

        while (len > 0 && *p == ' ') {
            p++;
            len--;
        }
        while (len > 0 && p[len - 1] == ' ')
            len--;
        if (len == 0)
            return -1;
        ids->names[i] = strndup(p, len);
        if (ids->names[i] == NULL)
            return -1;
        ids->n++;
        p = c != NULL ? c + 1 : p + len;
    }
    return 0;
}

/* How document ids are made: id_column, id_columns, else the primary key
 * (table sources), else none.  0 or an exit code after logging. */
static int
pg_resolve_ids(PGconn *conn, const struct fb_pg_spec *spec,
               struct fb_pg_ids *ids, unsigned int *pk_type, char **pk_key)
{
    char *qt = NULL;
    int rc = 0;

    ids->mode = FB_PG_ID_NONE;
    ids->n = 0;
    ids->names = NULL;
    *pk_type = 0;
    if (pk_key != NULL)
        *pk_key = NULL;
    if (spec->id_column != NULL) {
        ids->mode = FB_PG_ID_COLUMN;
        if (pg_split_names(spec->id_column, ids) != 0 || ids->n != 1) {
            fb_error("bad id column [%s]", spec->id_column);
            rc = FB_EXIT_CONFIG;
        }
    } else if (spec->id_columns != NULL) {
        ids->mode = FB_PG_ID_HASH;
        if (pg_split_names(spec->id_columns, ids) != 0) {
            fb_error("bad id columns [%s]", spec->id_columns);
            rc = FB_EXIT_CONFIG;
        }
    }
    if (rc != 0 || spec->table == NULL)
        goto out;
    qt = pg_quote_table(conn, spec->table);
    if (qt == NULL) {
        rc = FB_EXIT_CONFIG;
        goto out;
    }
    if (ids->mode == FB_PG_ID_NONE) {
        rc = pg_primary_key(conn, qt, ids, pk_type);
        if (rc == 0 && ids->n > 0)
            ids->mode = ids->n == 1 ? FB_PG_ID_COLUMN : FB_PG_ID_HASH;
        if (rc == 0 && ids->n == 1 && pk_key != NULL) {
            *pk_key = strdup(ids->names[0]);
            if (*pk_key == NULL)
                rc = FB_EXIT_SOFTWARE;
        }
    } else if (pk_key != NULL) {
        struct fb_pg_ids pk = {FB_PG_ID_NONE, 0, NULL};

        rc = pg_primary_key(conn, qt, &pk, pk_type);
        if (rc == 0 && pk.n == 1) {
            *pk_key = strdup(pk.names[0]);
            if (*pk_key == NULL)
                rc = FB_EXIT_SOFTWARE;
        }
        pg_ids_free(&pk);
    }
out:
    free(qt);
    return rc;
}

/* "Plan Rows" of the window's EXPLAIN; -1 if unknown. */
static double
pg_estimate(PGconn *conn, const char *wsql, const struct fb_pg_window *win)
{
    char *sql = NULL;
    size_t n = strlen(wsql) + 32;
    PGresult *res = NULL;
    const char *p = NULL;
    double est = -1;
    int status = 0;

    sql = malloc(n);
    if (sql == NULL)
        goto out;
    snprintf(sql, n, "EXPLAIN (FORMAT JSON) %s", wsql);
    res = pg_query(conn, sql, win, NULL, NULL, 0, "row estimate", &status);
    if (res == NULL || PQntuples(res) < 1)
        goto out;
    p = strstr(PQgetvalue(res, 0, 0), "\"Plan Rows\":");
    if (p != NULL)
        est = strtod(p + strlen("\"Plan Rows\":"), NULL);
out:
    PQclear(res);
    free(sql);
    return est;
}

static bool
pg_is_int_type(unsigned int oid)
{
    return oid == FB_PG_OID_INT2 || oid == FB_PG_OID_INT4 ||
           oid == FB_PG_OID_INT8;
}

/* Checks that the id columns are columns of the source. */
static int
pg_check_columns(PGconn *conn, const char *wsql, const struct fb_pg_window *win,
                 const struct fb_pg_ids *ids)
{
    char *sql = NULL;
    size_t n = strlen(wsql) + 16;
    PGresult *res = NULL;
    int status = 0;
    int i, j;

    sql = malloc(n);
    if (sql == NULL)
        return FB_EXIT_SOFTWARE;
    snprintf(sql, n, "%s LIMIT 0", wsql);
    res = pg_query(conn, sql, win, NULL, NULL, 0, "source", &status);
    if (res == NULL)
        goto out;
    for (i = 0; i < ids->n; i++) {
        for (j = 0; j < PQnfields(res); j++)
            if (strcmp(PQfname(res, j), ids->names[i]) == 0)
                break;
        if (j == PQnfields(res)) {
            fb_error("id column [%s] is not a column of the source",
                     ids->names[i]);
            status = FB_EXIT_CONFIG;
            goto out;
        }
    }
out:
    PQclear(res);
    free(sql);
    return status;
}

/* Key split: min and max of the key inside the window. */
static int
pg_plan_key(PGconn *conn, const char *wsql, const char *key,
            const struct fb_pg_window *win, bool *empty, int64_t *lo,
            int64_t *hi)
{
    char *qk = pg_quote_ident(conn, key);
    char *sql = NULL;
    PGresult *res = NULL;
    int status = FB_EXIT_CONFIG;
    size_t n;

    if (qk == NULL)
        goto out;
    n = strlen(wsql) + 3 * strlen(qk) + 80;
    sql = malloc(n);
    if (sql == NULL)
        goto out;
    snprintf(sql, n,
             "SELECT min(%s), max(%s), bool_or(%s IS NULL) FROM (%s) AS fb_w",
             qk, qk, qk, wsql);
    res = pg_query(conn, sql, win, NULL, NULL, 0, "split key range", &status);
    if (res == NULL)
        goto out;
    if (!pg_is_int_type(PQftype(res, 0))) {
        fb_error("split key [%s] is not an integer column (type oid %u)", key,
                 PQftype(res, 0));
        status = FB_EXIT_CONFIG;
        goto out;
    }
    /* No range holds a NULL key: such rows would be lost silently. */
    if (strcmp(PQgetvalue(res, 0, 2), "t") == 0) {
        fb_error("split key [%s] is NULL in some rows of the window: split "
                 "on another column, by time or by ctid",
                 key);
        status = FB_EXIT_CONFIG;
        goto out;
    }
    *empty = PQgetisnull(res, 0, 0);
    if (!*empty) {
        *lo = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
        *hi = strtoll(PQgetvalue(res, 0, 1), NULL, 10);
    }
out:
    PQclear(res);
    free(sql);
    free(qk);
    return status;
}

static int
pg_window_empty(PGconn *conn, const char *wsql, const struct fb_pg_window *win,
                bool *empty)
{
    size_t n = strlen(wsql) + 32;
    char *sql = malloc(n);
    PGresult *res = NULL;
    int status = FB_EXIT_SOFTWARE;

    if (sql == NULL)
        goto out;
    snprintf(sql, n, "SELECT EXISTS (%s)", wsql);
    res = pg_query(conn, sql, win, NULL, NULL, 0, "window", &status);
    if (res == NULL)
        goto out;
    *empty = strcmp(PQgetvalue(res, 0, 0), "t") != 0;
out:
    PQclear(res);
    free(sql);
    return status;
}

static uint64_t
div_ceil(uint64_t a, uint64_t b)
{
    return a / b + (a % b != 0 ? 1 : 0);
}

int
fb_pg_plan(const struct fb_pg_spec *spec, const struct fb_pg_window *win,
           int workers, struct fb_pg_plan *plan)
{
    PGconn *conn = NULL;
    PGresult *res = NULL;
    char *wsql = NULL;
    char *pk_key = NULL;
    char *qt = NULL;
    const char *key = NULL;
    struct fb_pg_ids ids = {FB_PG_ID_NONE, 0, NULL};
    unsigned int pk_type = 0;
    uint64_t target;
    uint64_t span = 0;
    bool empty = false;
    int status = 0;

    memset(plan, 0, sizeof *plan);
    target =
        (uint64_t)(workers > 0 ? workers : 1) *
        (uint64_t)(spec->ranges_per_worker > 0 ? spec->ranges_per_worker : 1);
    if (win->end_us <= win->start_us) {
        fb_error("empty window");
        return FB_EXIT_CONFIG;
    }
    status = pg_connect(spec, "SET application_name = 'forkbulk plan'", &conn);
    if (status != 0)
        goto out;
    status = pg_command(conn, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",
                        "begin");
    if (status != 0)
        goto out;
    res = PQexec(conn, "SELECT pg_export_snapshot()");
    if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1) {
        pg_log_error("export snapshot", conn, res);
        status = pg_status_of(conn, res);
        goto out;
    }
    snprintf(plan->snapshot, sizeof plan->snapshot, "%s",
             PQgetvalue(res, 0, 0));
    PQclear(res);
    res = NULL;

    wsql = pg_window_sql(conn, spec, &status);
    if (wsql == NULL)
        goto out;
    if (spec->table != NULL) {
        /* Clear "relation does not exist" before anything else. */
        qt = pg_quote_table(conn, spec->table);
        if (qt == NULL) {
            status = FB_EXIT_CONFIG;
            goto out;
        }
        res = pg_catalog(conn, "SELECT $1::regclass::oid", qt, NULL, "table",
                         &status);
        if (res == NULL)
            goto out;
        PQclear(res);
        res = NULL;
    }
    status = pg_resolve_ids(conn, spec, &ids, &pk_type, &pk_key);
    if (status != 0)
        goto out;
    status = pg_check_columns(conn, wsql, win, &ids);
    if (status != 0)
        goto out;

    plan->split = spec->split;
    if (plan->split == FB_PG_SPLIT_AUTO) {
        if (spec->split_column != NULL)
            plan->split = FB_PG_SPLIT_KEY;
        else if (spec->table == NULL)
            plan->split = FB_PG_SPLIT_TIME;
        else if (pg_time_indexed(conn, qt, spec->time_column))
            plan->split = FB_PG_SPLIT_TIME;
        else if (pk_key != NULL && pg_is_int_type(pk_type))
            plan->split = FB_PG_SPLIT_KEY;
        else
            plan->split = FB_PG_SPLIT_CTID;
    }
    if (plan->split == FB_PG_SPLIT_KEY) {
        key = spec->split_column;
        if (key == NULL && pk_key != NULL && pg_is_int_type(pk_type))
            key = pk_key;
        if (key == NULL) {
            fb_error("split key needs a column: the source has no integer "
                     "primary key");
            status = FB_EXIT_CONFIG;
            goto out;
        }
        status =
            pg_plan_key(conn, wsql, key, win, &empty, &plan->lo, &plan->hi);
        if (status != 0)
            goto out;
        if (!empty) {
            /* max - min + 1 in uint64: the whole int64 span fits but
             * 2^64 does not, so it saturates one short. */
            span = (uint64_t)plan->hi - (uint64_t)plan->lo;
            if (span != UINT64_MAX)
                span++;
        }
    } else if (plan->split == FB_PG_SPLIT_CTID) {
        if (qt == NULL) {
            fb_error("split ctid needs a table source, not a query");
            status = FB_EXIT_CONFIG;
            goto out;
        }
        status = pg_window_empty(conn, wsql, win, &empty);
        if (status != 0)
            goto out;
        res = pg_catalog(conn,
                         "SELECT pg_relation_size($1::regclass) / "
                         "current_setting('block_size')::int8",
                         qt, NULL, "table size", &status);
        if (res == NULL)
            goto out;
        plan->lo = 0;
        plan->hi = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
        span = (uint64_t)plan->hi;
        if (span == 0)
            span = 1;
    } else {
        status = pg_window_empty(conn, wsql, win, &empty);
        if (status != 0)
            goto out;
        plan->lo = win->start_us;
        plan->hi = win->end_us;
        span = (uint64_t)(win->end_us - win->start_us);
    }

    if (empty) {
        plan->n_ranges = 0;
    } else {
        if (plan->split == FB_PG_SPLIT_TIME && spec->split_us > 0)
            plan->step = (uint64_t)spec->split_us;
        else
            plan->step = div_ceil(span, target);
        if (plan->step == 0)
            plan->step = 1;
        plan->n_ranges = div_ceil(span, plan->step);
        plan->row_estimate = pg_estimate(conn, wsql, win);
    }

    switch (ids.mode) {
    case FB_PG_ID_COLUMN:
        snprintf(plan->id_desc, sizeof plan->id_desc, "column %s",
                 ids.names[0]);
        break;
    case FB_PG_ID_HASH:
        snprintf(plan->id_desc, sizeof plan->id_desc, "hash of %s",
                 spec->id_columns != NULL ? spec->id_columns
                                          : "the primary key");
        break;
    case FB_PG_ID_NONE:
    default:
        snprintf(plan->id_desc, sizeof plan->id_desc,
                 "none (no id column, no primary key)");
        break;
    }
    plan->ids_stable = ids.mode != FB_PG_ID_NONE;
    plan->conn = conn;
    conn = NULL;
    fb_info("PostgreSQL plan: snapshot %s, split %s, %" PRIu64
            " ranges of %" PRIu64 " over [%" PRId64 ", %" PRId64
            "], about %.0f rows, ids: %s",
            plan->snapshot,
            plan->split == FB_PG_SPLIT_KEY    ? "key"
            : plan->split == FB_PG_SPLIT_CTID ? "ctid"
                                              : "time",
            plan->n_ranges, plan->step, plan->lo, plan->hi, plan->row_estimate,
            plan->id_desc);
out:
    PQclear(res);
    PQfinish(conn);
    pg_ids_free(&ids);
    free(wsql);
    free(pk_key);
    free(qt);
    return status;
}

void
fb_pg_plan_range(const struct fb_pg_plan *plan, uint64_t i, uint64_t *lo,
                 uint64_t *hi)
{
    uint64_t base = (uint64_t)plan->lo;
    uint64_t top = plan->split == FB_PG_SPLIT_KEY
                       ? (uint64_t)plan->hi + 1 /* may wrap at INT64_MAX */
                       : (uint64_t)plan->hi;

    *lo = base + i * plan->step;
    *hi = i + 1 >= plan->n_ranges ? top : *lo + plan->step;
    if (plan->split == FB_PG_SPLIT_CTID && i + 1 >= plan->n_ranges)
        *hi = FB_PG_CTID_END;
}

void
fb_pg_plan_end(struct fb_pg_plan *plan)
{
    PGconn *conn = plan->conn;

    if (conn == NULL)
        return;
    (void)pg_command(conn, "COMMIT", "end of plan");
    PQfinish(conn);
    plan->conn = NULL;
}

struct fb_pg_reader *
fb_pg_reader_open(const struct fb_pg_spec *spec)
{
    struct fb_pg_reader *r = calloc(1, sizeof *r);
    unsigned int pk_type = 0;
    char *pk_key = NULL;
    int status = 0;
    bool ok = false;

    if (r == NULL) {
        fb_error("out of memory");
        return NULL;
    }
    r->spec = spec;
    r->doc_cap = spec->max_doc_bytes > 0 ? spec->max_doc_bytes : 1 << 20;
    r->doc = malloc(r->doc_cap);
    r->scratch = malloc(r->doc_cap);
    if (r->doc == NULL || r->scratch == NULL) {
        fb_error("out of memory");
        goto out;
    }
    /* Re-reading a range must meet its rows in the same order (a
     * replacement worker skips the rejects its predecessor wrote by
     * count): no scan that starts where another one is, no parallel
     * plan, whose order depends on timing.  The workers are the
     * parallelism anyway. */
    if (pg_connect(spec,
                   "SET application_name = 'forkbulk worker'; "
                   "SET synchronize_seqscans = off; "
                   "SET max_parallel_workers_per_gather = 0",
                   &r->conn) != 0)
        goto out;
    r->sql = pg_window_sql(r->conn, spec, &status);
    if (r->sql == NULL)
        goto out;
    r->use_copy = spec->table != NULL && (spec->fetch == FB_PG_FETCH_DEFAULT ||
                                          spec->fetch == FB_PG_FETCH_COPY);
    if (pg_resolve_ids(r->conn, spec, &r->ids, &pk_type, &pk_key) != 0)
        goto out;
    /* The same key choice as the plan, so a key range means the same. */
    if (spec->split_column != NULL)
        r->qkey = pg_quote_ident(r->conn, spec->split_column);
    else if (pk_key != NULL && pg_is_int_type(pk_type))
        r->qkey = pg_quote_ident(r->conn, pk_key);
    ok = true;
out:
    free(pk_key);
    if (!ok) {
        fb_pg_reader_close(r);
        r = NULL;
    }
    return r;
}

/* Ends the range's transaction, draining whatever is still in flight. */
static void
pg_reader_finish(struct fb_pg_reader *r)
{
    PGresult *res = NULL;

    PQclear(r->res);
    r->res = NULL;
    if (!r->active)
        return;
    if (r->streaming) {
        /* Abandoned mid-stream: cancel rather than read it all. */
        PGcancel *c = PQgetCancel(r->conn);
        char errbuf[256];

        if (c != NULL) {
            (void)PQcancel(c, errbuf, sizeof errbuf);
            PQfreeCancel(c);
        }
    }
    if (r->copying) {
        PGcancel *c = PQgetCancel(r->conn);
        char errbuf[256];
        char *buf = NULL;

        if (c != NULL) {
            (void)PQcancel(c, errbuf, sizeof errbuf);
            PQfreeCancel(c);
        }
        while (PQgetCopyData(r->conn, &buf, 0) > 0) {
            PQfreemem(buf);
            buf = NULL;
        }
    }
    PQfreemem(r->line);
    r->line = NULL;
    while ((r->streaming || r->copying) && (res = PQgetResult(r->conn)) != NULL)
        PQclear(res);
    r->streaming = false;
    r->copying = false;
    (void)pg_command(r->conn, "ROLLBACK", "end of range");
    r->active = false;
}

static void
pg_reader_free_cols(struct fb_pg_reader *r)
{
    free(r->cols);
    free(r->names);
    free(r->id_idx);
    free(r->vals);
    free(r->lens);
    r->cols = NULL;
    r->names = NULL;
    r->id_idx = NULL;
    r->vals = NULL;
    r->lens = NULL;
    r->ncols = 0;
}

static int pg_reader_columns(struct fb_pg_reader *r, const PGresult *res);

/*
 * sql with each $N (1 <= N <= nparams, outside quoted identifiers)
 * replaced by (literal::cast[N-1]).  COPY takes no parameters, so a
 * range's values are written into its SQL.  They are all ours (window
 * bounds formatted by pg_format_us, integer keys, tids) and quoted by
 * libpq anyway.  Literals also let the planner see the range: with
 * opaque values it chose the time index for a key range and walked the
 * whole hour's entries for every range.  NULL after logging.
 */
static char *
pg_inline_params(PGconn *conn, const char *sql, int nparams,
                 const char *const *vals, const char *const *casts)
{
    char *lits[4] = {NULL, NULL, NULL, NULL};
    char *out = NULL;
    size_t cap = strlen(sql) + 1;
    size_t pos = 0;
    bool quoted = false;
    int i;

    for (i = 0; i < nparams; i++) {
        lits[i] = PQescapeLiteral(conn, vals[i], strlen(vals[i]));
        if (lits[i] == NULL) {
            fb_error("PostgreSQL: %s", PQerrorMessage(conn));
            goto out;
        }
        /* Each parameter appears at most once in our SQL. */
        cap += strlen(lits[i]) + strlen(casts[i]) + 4;
    }
    out = malloc(cap);
    if (out == NULL)
        goto out;
    for (const char *p = sql; *p != '\0'; p++) {
        int k = p[1] - '1';

        if (*p == '"')
            quoted = !quoted; /* "" inside a name toggles twice */
        if (!quoted && *p == '$' && k >= 0 && k < nparams &&
            !(p[2] >= '0' && p[2] <= '9')) {
            pos += (size_t)snprintf(out + pos, cap - pos, "(%s::%s)", lits[k],
                                    casts[k]);
            p++;
            continue;
        }
        if (pos + 1 >= cap) {
            fb_error("PostgreSQL: a parameter appears twice in [%s]", sql);
            free(out);
            out = NULL;
            goto out;
        }
        out[pos++] = *p;
    }
    out[pos] = '\0';
out:
    for (i = 0; i < nparams; i++)
        PQfreemem(lits[i]);
    return out;
}

/* COPY (sql) TO STDOUT with the range's values written in, the columns
 * from a LIMIT 0 run of the same SQL first. */
static int
pg_reader_begin_copy(struct fb_pg_reader *r, const char *sql, int nparams,
                     const char *const *vals, const char *const *casts)
{
    PGresult *res = NULL;
    char *lit_sql = NULL;
    char *cmd = NULL;
    size_t n;
    int status = FB_EXIT_SOFTWARE;

    lit_sql = pg_inline_params(r->conn, sql, nparams, vals, casts);
    if (lit_sql == NULL)
        goto out;
    n = strlen(lit_sql) + 64;
    cmd = malloc(n);
    if (cmd == NULL)
        goto out;
    snprintf(cmd, n, "%s LIMIT 0", lit_sql);
    res = PQexec(r->conn, cmd);
    if (PQresultStatus(res) != PGRES_TUPLES_OK)
        goto fail;
    status = pg_reader_columns(r, res);
    if (status != 0)
        goto out;
    PQclear(res);
    snprintf(cmd, n, "COPY (%s) TO STDOUT", lit_sql);
    res = PQexec(r->conn, cmd);
    if (PQresultStatus(res) != PGRES_COPY_OUT)
        goto fail;
    r->copying = true;
    status = 0;
    goto out;
fail:
    pg_log_error(r->desc, r->conn, res);
    status = pg_status_of(r->conn, res);
out:
    PQclear(res);
    free(cmd);
    free(lit_sql);
    return status;
}

int
fb_pg_reader_begin(struct fb_pg_reader *r, const struct fb_pg_job *job)
{
    char *lit = NULL;
    char *sql = NULL;
    char *cmd = NULL;
    char p3[48] = "";
    char p4[48] = "";
    const char *vals[4];
    unsigned int types[4] = {FB_PG_OID_TIMESTAMPTZ, FB_PG_OID_TIMESTAMPTZ, 0,
                             0};
    char start[48];
    char end[48];
    struct fb_pg_window w;
    int nparams = 2;
    size_t n;
    int status = FB_EXIT_SOFTWARE;
    int ok;
    const char *casts[4] = {"timestamptz", "timestamptz", NULL, NULL};
    const char *base = r->sql;

    pg_reader_finish(r);
    pg_reader_free_cols(r);
    r->job = *job;
    r->rowno = 0;
    r->cursor = r->spec->fetch == FB_PG_FETCH_CURSOR;
    w = job->window;
    switch (job->split) {
    case FB_PG_SPLIT_KEY:
        snprintf(r->desc, sizeof r->desc, "key [%" PRId64 ", %" PRId64 "]",
                 (int64_t)job->lo, (int64_t)(job->hi - 1));
        snprintf(p3, sizeof p3, "%" PRId64, (int64_t)job->lo);
        snprintf(p4, sizeof p4, "%" PRId64, (int64_t)(job->hi - 1));
        types[2] = types[3] = FB_PG_OID_INT8;
        casts[2] = casts[3] = "int8";
        nparams = 4;
        break;
    case FB_PG_SPLIT_CTID:
        snprintf(r->desc, sizeof r->desc, "blocks [%" PRIu64 ", %s)", job->lo,
                 job->hi == FB_PG_CTID_END ? "end" : "");
        if (job->hi != FB_PG_CTID_END)
            snprintf(r->desc, sizeof r->desc,
                     "blocks [%" PRIu64 ", %" PRIu64 ")", job->lo, job->hi);
        snprintf(p3, sizeof p3, "(%" PRIu64 ",0)", job->lo);
        snprintf(p4, sizeof p4, "(%" PRIu64 ",0)", job->hi);
        types[2] = types[3] = FB_PG_OID_TID;
        casts[2] = casts[3] = "tid";
        nparams = job->hi == FB_PG_CTID_END ? 3 : 4;
        break;
    case FB_PG_SPLIT_TIME:
    default:
        w.start_us = (int64_t)job->lo;
        w.end_us = (int64_t)job->hi;
        snprintf(r->desc, sizeof r->desc, "time [%" PRId64 ", %" PRId64 ") us",
                 w.start_us, w.end_us);
        break;
    }
    if (job->split == FB_PG_SPLIT_KEY && r->qkey == NULL) {
        fb_error("split key: no key column known to the worker");
        status = FB_EXIT_CONFIG;
        goto out;
    }
    n = strlen(base) + (r->qkey != NULL ? 2 * strlen(r->qkey) : 0) + 256;
    sql = malloc(n);
    if (sql == NULL)
        goto out;
    if (job->split == FB_PG_SPLIT_KEY)
        snprintf(sql, n, "%s AND %s >= $3 AND %s <= $4", base, r->qkey,
                 r->qkey);
    else if (job->split == FB_PG_SPLIT_CTID && nparams == 4)
        snprintf(sql, n, "%s AND ctid >= $3 AND ctid < $4", base);
    else if (job->split == FB_PG_SPLIT_CTID)
        snprintf(sql, n, "%s AND ctid >= $3", base);
    else
        snprintf(sql, n, "%s", base);

    status =
        pg_command(r->conn, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",
                   "begin range");
    if (status != 0)
        goto out;
    r->active = true;
    lit = PQescapeLiteral(r->conn, job->snapshot, strlen(job->snapshot));
    if (lit == NULL) {
        fb_error("PostgreSQL: %s", PQerrorMessage(r->conn));
        status = FB_EXIT_UNAVAILABLE;
        goto out;
    }
    n = strlen(lit) + 32;
    cmd = malloc(n);
    if (cmd == NULL)
        goto out;
    snprintf(cmd, n, "SET TRANSACTION SNAPSHOT %s", lit);
    status = pg_command(r->conn, cmd, "snapshot");
    if (status != 0) {
        /* A snapshot that is gone (the parent ended) is not a config
         * error: the run cannot continue, like a lost server. */
        status = FB_EXIT_UNAVAILABLE;
        goto out;
    }

    pg_format_us(w.start_us, start, sizeof start);
    pg_format_us(w.end_us, end, sizeof end);
    vals[0] = start;
    vals[1] = end;
    vals[2] = p3;
    vals[3] = p4;
    if (r->use_copy) {
        status = pg_reader_begin_copy(r, sql, nparams, vals, casts);
        goto out;
    }
    if (r->cursor) {
        PGresult *res = NULL;

        free(cmd);
        n = strlen(sql) + 64;
        cmd = malloc(n);
        if (cmd == NULL) {
            status = FB_EXIT_SOFTWARE;
            goto out;
        }
        snprintf(cmd, n, "DECLARE fb_c NO SCROLL CURSOR FOR %s", sql);
        res = PQexecParams(r->conn, cmd, nparams, types, vals, NULL, NULL, 0);
        if (PQresultStatus(res) != PGRES_COMMAND_OK) {
            pg_log_error(r->desc, r->conn, res);
            status = pg_status_of(r->conn, res);
            PQclear(res);
            goto out;
        }
        PQclear(res);
        status = 0;
        goto out;
    }
    ok = PQsendQueryParams(r->conn, sql, nparams, types, vals, NULL, NULL, 0);
    if (ok)
        ok = PQsetSingleRowMode(r->conn);
    if (!ok) {
        pg_log_error(r->desc, r->conn, NULL);
        status = pg_status_of(r->conn, NULL);
        goto out;
    }
    r->streaming = true;
    status = 0;
out:
    PQfreemem(lit);
    free(cmd);
    free(sql);
    if (status != 0)
        pg_reader_finish(r);
    return status;
}

/* Column names and kinds, from the first result of the range. */
static int
pg_reader_columns(struct fb_pg_reader *r, const PGresult *res)
{
    size_t total = 0;
    size_t off = 0;
    int i, j;

    r->ncols = PQnfields(res);
    for (i = 0; i < r->ncols; i++) {
        size_t len = strlen(PQfname(res, i));

        total += len + 1 + FB_PG_RENDER_KEY_MAX(len);
    }
    r->cols = calloc((size_t)r->ncols + 1, sizeof *r->cols);
    r->names = malloc(total + 1);
    r->vals = calloc((size_t)r->ncols + 1, sizeof *r->vals);
    r->lens = calloc((size_t)r->ncols + 1, sizeof *r->lens);
    r->id_idx = calloc((size_t)r->ids.n + 1, sizeof *r->id_idx);
    if (r->cols == NULL || r->names == NULL || r->vals == NULL ||
        r->lens == NULL || r->id_idx == NULL) {
        fb_error("out of memory");
        return FB_EXIT_SOFTWARE;
    }
    for (i = 0; i < r->ncols; i++) {
        size_t len = strlen(PQfname(res, i));

        memcpy(r->names + off, PQfname(res, i), len + 1);
        r->cols[i].name = r->names + off;
        off += len + 1;
        r->cols[i].key = r->names + off;
        r->cols[i].key_len = fb_pg_render_key(r->cols[i].name, r->names + off,
                                              FB_PG_RENDER_KEY_MAX(len));
        off += r->cols[i].key_len;
        fb_pg_render_type(PQftype(res, i), &r->cols[i].type);
    }
    for (j = 0; j < r->ids.n; j++) {
        for (i = 0; i < r->ncols; i++)
            if (strcmp(r->cols[i].name, r->ids.names[j]) == 0)
                break;
        if (i == r->ncols) {
            fb_error("id column [%s] is not a column of the source",
                     r->ids.names[j]);
            return FB_EXIT_CONFIG;
        }
        r->id_idx[j] = i;
    }
    return 0;
}

static int pg_reader_emit(struct fb_pg_reader *r, struct fb_pg_row *row);

/* Row i of res, rendered. */
static int
pg_reader_render(struct fb_pg_reader *r, const PGresult *res, int i,
                 struct fb_pg_row *row)
{
    int col;
    int rc;

    if (r->cols == NULL) {
        rc = pg_reader_columns(r, res);
        if (rc != 0)
            return rc;
    }
    for (col = 0; col < r->ncols; col++) {
        r->vals[col] = PQgetvalue(res, i, col);
        r->lens[col] = PQgetisnull(res, i, col) ? -1 : PQgetlength(res, i, col);
    }
    return pg_reader_emit(r, row);
}

/* Renders r->vals/r->lens into r->doc / r->id and fills *row. */
static int
pg_reader_emit(struct fb_pg_reader *r, struct fb_pg_row *row)
{
    size_t len = 0;
    int rc;

    memset(row, 0, sizeof *row);
    row->row = ++r->rowno;
    rc = fb_pg_render_row(r->cols, r->ncols, r->vals, r->lens,
                          r->spec->null_as_null, r->doc, r->doc_cap, &len,
                          r->scratch, r->doc_cap, r->err, sizeof r->err);
    row->doc = r->doc;
    row->doc_len = len;
    if (rc != FB_PG_RENDER_OK)
        row->error = r->err;
    if (r->ids.mode == FB_PG_ID_COLUMN) {
        int c = r->id_idx[0];

        if (r->lens[c] < 0) {
            if (row->error == NULL) {
                snprintf(r->err, sizeof r->err, "id column [%s] is NULL",
                         r->cols[c].name);
                row->error = r->err;
            }
        } else if (r->lens[c] == 0 || r->lens[c] > FB_ES_ID_MAX) {
            if (row->error == NULL) {
                snprintf(r->err, sizeof r->err,
                         "id column [%s] is %d bytes: ids are 1 to %d",
                         r->cols[c].name, r->lens[c], FB_ES_ID_MAX);
                row->error = r->err;
            }
        } else {
            memcpy(r->id, r->vals[c], (size_t)r->lens[c]);
            r->id[r->lens[c]] = '\0';
            row->id = r->id;
            row->id_len = (size_t)r->lens[c];
        }
    } else if (r->ids.mode == FB_PG_ID_HASH) {
        struct fb_pg_idhash h;
        int j;

        fb_pg_render_idhash_init(&h);
        for (j = 0; j < r->ids.n; j++)
            fb_pg_render_idhash_value(&h, r->vals[r->id_idx[j]],
                                      r->lens[r->id_idx[j]]);
        fb_pg_render_idhash_hex(&h, r->id);
        row->id = r->id;
        row->id_len = 32;
    }
    return 0;
}

/*
 * One line of COPY's text format, split in place into r->vals/r->lens:
 * fields separated by tabs, \N for NULL, backslash escapes \b \f \n \r
 * \t \v and \<char> for the character itself (what COPY TO writes).
 */
static int
pg_copy_split(struct fb_pg_reader *r, char *line, int n)
{
    static const char from[] = "bfnrtv";
    static const char to[] = "\b\f\n\r\t\v";
    char *p = line;
    char *end = line + n;
    int col;

    if (n > 0 && end[-1] == '\n')
        end--;
    for (col = 0; col < r->ncols; col++) {
        char *w = p;
        char *start = p;
        char *tab;

        if (p > end)
            return -1;
        if (end - p >= 2 && p[0] == '\\' && p[1] == 'N' &&
            (end - p == 2 || p[2] == '\t')) {
            r->vals[col] = "";
            r->lens[col] = -1;
            p += 3;
            continue;
        }
        /* Most fields hold no backslash: then the field is already in
         * place, and two memchr() calls find it. */
        tab = memchr(p, '\t', (size_t)(end - p));
        if (tab == NULL)
            tab = end;
        if (memchr(p, '\\', (size_t)(tab - p)) == NULL) {
            r->vals[col] = p;
            r->lens[col] = (int)(tab - p);
            p = tab + 1;
            continue;
        }
        while (p < end && *p != '\t') {
            if (*p == '\\' && p + 1 < end) {
                const char *e = memchr(from, p[1], sizeof from - 1);

                *w++ = e != NULL ? to[e - from] : p[1];
                p += 2;
            } else {
                *w++ = *p++;
            }
        }
        r->vals[col] = start;
        r->lens[col] = (int)(w - start);
        p++; /* the tab, or one past the end */
    }
    return p == end + 1 ? 0 : -1;
}

static int
pg_reader_next_copy(struct fb_pg_reader *r, struct fb_pg_row *row, int *status)
{
    PGresult *res = NULL;
    int n;
    int rc;

    PQfreemem(r->line);
    r->line = NULL;
    n = PQgetCopyData(r->conn, &r->line, 0);
    if (n > 0) {
        if (pg_copy_split(r, r->line, n) != 0) {
            fb_error("PostgreSQL: %s: a COPY row without %d columns", r->desc,
                     r->ncols);
            *status = FB_EXIT_SOFTWARE;
            pg_reader_finish(r);
            return -1;
        }
        rc = pg_reader_emit(r, row);
        if (rc != 0) {
            *status = rc;
            pg_reader_finish(r);
            return -1;
        }
        return 1;
    }
    /* -1: the end; its result says whether the COPY succeeded. */
    r->copying = false;
    res = PQgetResult(r->conn);
    if (n == -2 || PQresultStatus(res) != PGRES_COMMAND_OK) {
        pg_log_error(r->desc, r->conn, res);
        *status = pg_status_of(r->conn, res);
        PQclear(res);
        while ((res = PQgetResult(r->conn)) != NULL)
            PQclear(res);
        pg_reader_finish(r);
        return -1;
    }
    PQclear(res);
    while ((res = PQgetResult(r->conn)) != NULL)
        PQclear(res);
    pg_reader_finish(r);
    return 0;
}

int
fb_pg_reader_next(struct fb_pg_reader *r, struct fb_pg_row *row, int *status)
{
    PGresult *res = NULL;
    int rc;

    *status = 0;
    if (!r->active)
        return 0;
    if (r->copying)
        return pg_reader_next_copy(r, row, status);
    if (r->cursor) {
        if (r->res != NULL && r->res_row < PQntuples(r->res)) {
            rc = pg_reader_render(r, r->res, r->res_row++, row);
            goto rendered;
        }
        PQclear(r->res);
        r->res = NULL;
        {
            char cmd[64];

            snprintf(cmd, sizeof cmd, "FETCH FORWARD %d FROM fb_c",
                     r->spec->fetch_rows > 0 ? r->spec->fetch_rows : 1000);
            res = PQexec(r->conn, cmd);
        }
        if (PQresultStatus(res) != PGRES_TUPLES_OK) {
            pg_log_error(r->desc, r->conn, res);
            *status = pg_status_of(r->conn, res);
            PQclear(res);
            pg_reader_finish(r);
            return -1;
        }
        if (PQntuples(res) == 0) {
            PQclear(res);
            pg_reader_finish(r);
            return 0;
        }
        r->res = res;
        r->res_row = 1;
        rc = pg_reader_render(r, res, 0, row);
        goto rendered;
    }
    PQclear(r->res);
    r->res = NULL;
    res = PQgetResult(r->conn);
    if (res == NULL) {
        pg_reader_finish(r);
        return 0;
    }
    switch (PQresultStatus(res)) {
    case PGRES_SINGLE_TUPLE:
        r->res = res;
        rc = pg_reader_render(r, res, 0, row);
        goto rendered;
    case PGRES_TUPLES_OK:
        /* The end of the rows; the next PQgetResult is NULL. */
        PQclear(res);
        pg_reader_finish(r);
        return 0;
    default:
        pg_log_error(r->desc, r->conn, res);
        *status = pg_status_of(r->conn, res);
        PQclear(res);
        pg_reader_finish(r);
        return -1;
    }
rendered:
    if (rc != 0) {
        *status = rc;
        pg_reader_finish(r);
        return -1;
    }
    return 1;
}

const char *
fb_pg_reader_range_desc(const struct fb_pg_reader *r)
{
    return r->desc;
}

void
fb_pg_reader_close(struct fb_pg_reader *r)
{
    if (r == NULL)
        return;
    if (r->conn != NULL)
        pg_reader_finish(r);
    pg_reader_free_cols(r);
    pg_ids_free(&r->ids);
    PQfinish(r->conn);
    free(r->sql);
    free(r->qkey);
    free(r->doc);
    free(r->scratch);
    free(r);
}
