/*
 * pg_plan.c
 *    The parent's side of a PostgreSQL source: export a snapshot, resolve
 *    the source, choose a split and plan its ranges (see pg_plan.h).
 *
 * Splits, and the metadata each one plans from (all inside the window):
 *   key:   min and max of the key; a key with NULLs in the window is
 *          refused (no range would hold those rows)
 *   time:  the window itself, cut into sub-windows
 *   ctid:  the table's block count (pg_relation_size / block_size); a
 *          partitioned table's largest partition's, each range reading
 *          those blocks of every partition; a view has none (refused)
 * Every statement here runs with the window as $1/$2.
 */
#include "forkbulk/pg_plan.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "forkbulk/log.h"
#include "forkbulk/status.h"

/* One planning session. */
struct planner {
    const struct fb_pg_spec *spec;
    const struct fb_pg_window *win;
    PGconn *conn;
    struct fb_pg_resolved src;
    char relkind;  /* pg_class.relkind of a table source; 0: a query */
    bool empty;    /* the window holds no row */
    uint64_t span; /* keys, microseconds or blocks planned over */
};

/* Runs before || window SQL || after with the window's $1/$2. */
static int
window_query(struct planner *p, const char *before, const char *after,
             const char *what, PGresult **res)
{
    struct fb_pg_window_params wp;
    size_t n = strlen(before) + strlen(p->src.sql) + strlen(after) + 1;
    char *sql = malloc(n);
    int rc;

    *res = NULL;
    if (sql == NULL) {
        fb_error("out of memory");
        return FB_EXIT_SOFTWARE;
    }
    snprintf(sql, n, "%s%s%s", before, p->src.sql, after);
    fb_pg_spec_window_params(p->win, &wp);
    rc = fb_pg_spec_window_exec(p->conn, &p->src, sql, &wp.params,
                                PGRES_TUPLES_OK, what, res);
    free(sql);
    return rc;
}

/* A catalog query about the table ($1) and, if value2 is not NULL, one
 * more text value ($2). */
static int
table_query(struct planner *p, const char *sql, const char *value2,
            const char *what, PGresult **res)
{
    const char *vals[2] = {p->src.qtable, value2};
    struct fb_pg_params params = {value2 != NULL ? 2 : 1, vals, NULL};

    return fb_pg_spec_exec(p->conn, sql, &params, PGRES_TUPLES_OK, what, res);
}

/* The transaction whose snapshot every worker reads in. */
static int
export_snapshot(struct planner *p, struct fb_pg_plan *plan)
{
    PGresult *res = NULL;
    int rc;

    rc = fb_pg_spec_exec(p->conn,
                         "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",
                         NULL, PGRES_COMMAND_OK, "begin", NULL);
    if (rc == 0)
        rc = fb_pg_spec_exec(p->conn, "SELECT pg_catalog.pg_export_snapshot()",
                             NULL, PGRES_TUPLES_OK, "export snapshot", &res);
    if (rc == 0)
        snprintf(plan->snapshot, sizeof plan->snapshot, "%s",
                 PQgetvalue(res, 0, 0));
    PQclear(res);
    return rc;
}

/* Checks that the id columns are columns of the source. */
static int
check_columns(struct planner *p)
{
    const struct fb_pg_ids *ids = &p->src.ids;
    PGresult *res = NULL;
    int rc = window_query(p, "", " LIMIT 0", "source", &res);
    int i, j;

    for (i = 0; rc == 0 && i < ids->n; i++) {
        for (j = 0; j < PQnfields(res); j++)
            if (strcmp(PQfname(res, j), ids->names[i]) == 0)
                break;
        if (j == PQnfields(res)) {
            fb_error("id column [%s] is not a column of the source",
                     ids->names[i]);
            rc = FB_EXIT_CONFIG;
        }
    }
    PQclear(res);
    return rc;
}

/*
 * Does an index lead with the time column?  Then time sub-windows are
 * index range scans of exactly their rows, the cheapest split of an hour
 * of a table that holds many hours (measured on 7.85 M flows: time 18 s,
 * ctid 19 s, key 73 s, because with the window opaque to the planner a
 * key range scanned the whole hour's index entries).
 */
static bool
time_indexed(struct planner *p)
{
    static const char sql[] =
        "SELECT 1 FROM pg_catalog.pg_index i JOIN pg_catalog.pg_attribute a"
        " ON a.attrelid OPERATOR(pg_catalog.=) i.indrelid"
        " AND a.attnum OPERATOR(pg_catalog.=) i.indkey[0]"
        " WHERE i.indrelid OPERATOR(pg_catalog.=) $1::pg_catalog.regclass"
        " AND a.attname OPERATOR(pg_catalog.=) $2";
    PGresult *res = NULL;
    bool yes =
        table_query(p, sql, p->spec->time_column, "time index", &res) == 0 &&
        PQntuples(res) > 0;

    PQclear(res);
    return yes;
}

/* What kind of relation a table source is (pg_class.relkind). */
static int
find_relkind(struct planner *p)
{
    PGresult *res = NULL;
    int rc =
        table_query(p,
                    "SELECT c.relkind FROM pg_catalog.pg_class c WHERE"
                    " c.oid OPERATOR(pg_catalog.=) $1::pg_catalog.regclass",
                    NULL, "relation kind", &res);

    if (rc == 0)
        p->relkind = PQgetvalue(res, 0, 0)[0];
    PQclear(res);
    return rc;
}

/* Whose rows live in heap blocks that ctid ranges can name: a table, a
 * materialized view, and a partitioned table through its partitions (the
 * same block range of each).  Not a view, not a foreign table. */
static bool
has_blocks(char relkind)
{
    return relkind == 'r' || relkind == 'm' || relkind == 'p';
}

/* auto: time sub-windows if an index leads with the time column, else
 * the integer primary key, else ctid if the relation has blocks, else
 * time sub-windows anyway (a view). */
static enum fb_pg_split
choose_split(struct planner *p)
{
    if (p->spec->split != FB_PG_SPLIT_AUTO)
        return p->spec->split;
    if (p->spec->split_column != NULL)
        return FB_PG_SPLIT_KEY;
    if (p->src.qtable == NULL || time_indexed(p))
        return FB_PG_SPLIT_TIME;
    if (p->src.split_key != NULL)
        return FB_PG_SPLIT_KEY;
    return has_blocks(p->relkind) ? FB_PG_SPLIT_CTID : FB_PG_SPLIT_TIME;
}

/* The key's min and max inside the window; refuses NULL keys. */
static int
key_bounds(struct planner *p, const char *key, const char *qk, PGresult **res)
{
    size_t n = 3 * strlen(qk) + 128;
    char *before = malloc(n);
    int rc;

    if (before == NULL) {
        fb_error("out of memory");
        return FB_EXIT_SOFTWARE;
    }
    snprintf(before, n,
             "SELECT pg_catalog.min(%s), pg_catalog.max(%s),"
             " pg_catalog.bool_or(%s IS NULL) FROM (",
             qk, qk, qk);
    rc = window_query(p, before, ") AS fb_w", "split key range", res);
    free(before);
    if (rc != 0)
        return rc;
    if (!fb_pg_spec_is_int(PQftype(*res, 0))) {
        fb_error("split key [%s] is not an integer column (type oid %u)", key,
                 PQftype(*res, 0));
        return FB_EXIT_CONFIG;
    }
    /* No range holds a NULL key: such rows would be lost silently. */
    if (strcmp(PQgetvalue(*res, 0, 2), "t") == 0) {
        fb_error("split key [%s] is NULL in some rows of the window: split "
                 "on another column, by time or by ctid",
                 key);
        return FB_EXIT_CONFIG;
    }
    return 0;
}

/* Key split: [min, max] of the key inside the window. */
static int
plan_key(struct planner *p, struct fb_pg_plan *plan)
{
    const char *key = p->src.split_key;
    char err[512];
    char *qk = NULL;
    PGresult *res = NULL;
    int rc;

    if (key == NULL) {
        fb_error("split key needs a column: the source has no integer "
                 "primary key");
        return FB_EXIT_CONFIG;
    }
    if ((rc = fb_pg_quote_name(p->conn, NULL, key, &qk, err, sizeof err)) !=
        0) {
        fb_error("PostgreSQL: %s", err);
        return rc;
    }
    rc = key_bounds(p, key, qk, &res);
    if (rc == 0 && !(p->empty = PQgetisnull(res, 0, 0))) {
        plan->lo = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
        plan->hi = strtoll(PQgetvalue(res, 0, 1), NULL, 10);
        /* max - min + 1 in uint64: the whole int64 span fits but 2^64
         * does not, so it saturates one short. */
        p->span = (uint64_t)plan->hi - (uint64_t)plan->lo;
        if (p->span != UINT64_MAX)
            p->span++;
    }
    PQclear(res);
    free(qk);
    return rc;
}

static int
check_empty(struct planner *p)
{
    PGresult *res = NULL;
    int rc = window_query(p, "SELECT EXISTS (", ")", "window", &res);

    if (rc == 0)
        p->empty = strcmp(PQgetvalue(res, 0, 0), "t") != 0;
    PQclear(res);
    return rc;
}

/* A relation's blocks; a partitioned table's are its largest leaf's:
 * each ctid range reads the same block numbers of every partition. */
static const char table_blocks[] =
    "SELECT pg_catalog.pg_relation_size($1::pg_catalog.regclass)"
    " OPERATOR(pg_catalog./)"
    " pg_catalog.current_setting('block_size')::pg_catalog.int8";
static const char partitions_blocks[] =
    "SELECT COALESCE(pg_catalog.max(pg_catalog.pg_relation_size(t.relid)), 0)"
    " OPERATOR(pg_catalog./)"
    " pg_catalog.current_setting('block_size')::pg_catalog.int8"
    " FROM pg_catalog.pg_partition_tree($1::pg_catalog.regclass) t"
    " WHERE t.isleaf";

/* Ctid split: the table's blocks [0, count), at least one. */
static int
plan_ctid(struct planner *p, struct fb_pg_plan *plan)
{
    PGresult *res = NULL;
    int rc;

    if (p->src.qtable == NULL) {
        fb_error("split ctid needs a table source, not a query");
        return FB_EXIT_CONFIG;
    }
    if (!has_blocks(p->relkind)) {
        fb_error("split ctid: %s is a %s, which has no ctid: split by "
                 "time:DURATION or key:COLUMN",
                 p->src.qtable, p->relkind == 'v' ? "view" : "foreign table");
        return FB_EXIT_CONFIG;
    }
    if ((rc = check_empty(p)) != 0)
        return rc;
    rc = table_query(p, p->relkind == 'p' ? partitions_blocks : table_blocks,
                     NULL, "table size", &res);
    if (rc == 0) {
        plan->lo = 0;
        plan->hi = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
        p->span = plan->hi > 0 ? (uint64_t)plan->hi : 1;
    }
    PQclear(res);
    return rc;
}

/* Time split: the window. */
static int
plan_time(struct planner *p, struct fb_pg_plan *plan)
{
    plan->lo = p->win->start_us;
    plan->hi = p->win->end_us;
    p->span = (uint64_t)(p->win->end_us - p->win->start_us);
    return check_empty(p);
}

/* "Plan Rows" of the window's EXPLAIN; -1 if unknown. */
static double
estimate(struct planner *p)
{
    static const char key[] = "\"Plan Rows\":";
    PGresult *res = NULL;
    const char *s = NULL;
    double est = -1;

    if (window_query(p, "EXPLAIN (FORMAT JSON) ", "", "row estimate", &res) !=
        0)
        return -1;
    if (PQntuples(res) > 0 && (s = strstr(PQgetvalue(res, 0, 0), key)) != NULL)
        est = strtod(s + strlen(key), NULL);
    PQclear(res);
    return est;
}

static uint64_t
div_ceil(uint64_t a, uint64_t b)
{
    return a / b + (a % b != 0 ? 1 : 0);
}

/* Ranges of the span: about workers * ranges_per_worker of them, or
 * sub-windows of split_us. */
static void
plan_steps(struct planner *p, int workers, struct fb_pg_plan *plan)
{
    uint64_t target =
        (uint64_t)(workers > 0 ? workers : 1) *
        (uint64_t)(p->spec->ranges_per_worker > 0 ? p->spec->ranges_per_worker
                                                  : 1);

    if (p->empty) {
        plan->n_ranges = 0;
        return;
    }
    if (plan->split == FB_PG_SPLIT_TIME && p->spec->split_us > 0)
        plan->step = (uint64_t)p->spec->split_us;
    else
        plan->step = div_ceil(p->span, target);
    if (plan->step == 0)
        plan->step = 1;
    plan->n_ranges = div_ceil(p->span, plan->step);
    plan->row_estimate = estimate(p);
}

static void
describe_ids(const struct planner *p, struct fb_pg_plan *plan)
{
    const struct fb_pg_ids *ids = &p->src.ids;

    if (ids->mode == FB_PG_ID_COLUMN)
        snprintf(plan->id_desc, sizeof plan->id_desc, "column %s",
                 ids->names[0]);
    else if (ids->mode == FB_PG_ID_HASH)
        snprintf(plan->id_desc, sizeof plan->id_desc, "hash of %s",
                 p->spec->id_columns != NULL ? p->spec->id_columns
                                             : "the primary key");
    else
        snprintf(plan->id_desc, sizeof plan->id_desc,
                 "none (no id column, no primary key)");
    plan->ids_stable = ids->mode != FB_PG_ID_NONE;
}

/* Resolves the source and plans the split it asks for or allows. */
static int
plan_source(struct planner *p, int workers, struct fb_pg_plan *plan)
{
    int rc = fb_pg_spec_resolve(p->conn, p->spec, &p->src);

    if (rc == 0 && p->src.qtable != NULL)
        rc = find_relkind(p);
    if (rc == 0)
        rc = check_columns(p);
    if (rc != 0)
        return rc;
    plan->split = choose_split(p);
    if (plan->split == FB_PG_SPLIT_KEY)
        rc = plan_key(p, plan);
    else if (plan->split == FB_PG_SPLIT_CTID)
        rc = plan_ctid(p, plan);
    else
        rc = plan_time(p, plan);
    if (rc != 0)
        return rc;
    plan_steps(p, workers, plan);
    describe_ids(p, plan);
    return 0;
}

int
fb_pg_plan(const struct fb_pg_spec *spec, const struct fb_pg_window *win,
           int workers, struct fb_pg_plan *plan)
{
    struct planner p;
    int rc;

    memset(plan, 0, sizeof *plan);
    memset(&p, 0, sizeof p);
    p.spec = spec;
    p.win = win;
    if (win->end_us <= win->start_us) {
        fb_error("empty window");
        return FB_EXIT_CONFIG;
    }
    rc = fb_pg_spec_connect(spec, "forkbulk plan", FB_PG_SESSION_SETTINGS,
                            &p.conn, &p.src);
    if (rc == 0)
        rc = export_snapshot(&p, plan);
    if (rc == 0)
        rc = plan_source(&p, workers, plan);
    fb_pg_spec_free(&p.src);
    if (rc != 0) {
        PQfinish(p.conn);
        return rc;
    }
    plan->conn = p.conn;
    fb_info("PostgreSQL plan: snapshot %s, split %s, %" PRIu64
            " ranges of %" PRIu64 " over [%" PRId64 ", %" PRId64
            "], about %.0f rows, ids: %s",
            plan->snapshot,
            plan->split == FB_PG_SPLIT_KEY    ? "key"
            : plan->split == FB_PG_SPLIT_CTID ? "ctid"
                                              : "time",
            plan->n_ranges, plan->step, plan->lo, plan->hi, plan->row_estimate,
            plan->id_desc);
    return 0;
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
    if (plan->conn == NULL)
        return;
    (void)fb_pg_spec_exec(plan->conn, "COMMIT", NULL, PGRES_COMMAND_OK,
                          "end of plan", NULL);
    PQfinish(plan->conn);
    plan->conn = NULL;
}

/* The window's rows, counted in the session's snapshot. */
static int
count_rows(PGconn *conn, const struct fb_pg_spec *spec, const char *qtable,
           const struct fb_pg_window *win, int64_t *count, char *err,
           size_t errlen)
{
    struct fb_pg_window_params wp;
    PGresult *res = NULL;
    char *sql = NULL;
    char *cmd = NULL;
    size_t n;
    int rc = fb_pg_spec_window_sql(conn, spec, qtable, NULL, &sql, err, errlen);

    if (rc != 0)
        return rc;
    n = strlen(sql) + 64;
    if ((cmd = malloc(n)) == NULL) {
        snprintf(err, errlen, "out of memory");
        rc = FB_EXIT_OSERR;
        goto out;
    }
    snprintf(cmd, n, "SELECT pg_catalog.count(*) FROM (%s) AS fb_w", sql);
    fb_pg_spec_window_params(win, &wp);
    rc = fb_pg_spec_window_run(conn, qtable, cmd, &wp.params, PGRES_TUPLES_OK,
                               "count", &res, err, errlen);
    if (rc == 0 && fb_pg_int8(PQgetvalue(res, 0, 0), count) != 0) {
        snprintf(err, errlen, "count: not a number: %s", PQgetvalue(res, 0, 0));
        rc = FB_EXIT_SOFTWARE;
    }
out:
    PQclear(res);
    free(cmd);
    free(sql);
    return rc;
}

struct fb_pg_counter {
    const struct fb_pg_spec *spec;
    PGconn *conn;
    char *qtable;
};

int
fb_pg_counter_open(const struct fb_pg_spec *spec, struct fb_pg_counter **out,
                   char *err, size_t errlen)
{
    struct fb_pg_counter *c = calloc(1, sizeof(*c));
    int rc;

    *out = NULL;
    if (c == NULL) {
        snprintf(err, errlen, "out of memory");
        return FB_EXIT_OSERR;
    }
    c->spec = spec;
    rc = fb_pg_spec_session(spec, "forkbulk count", FB_PG_SESSION_SETTINGS,
                            &c->conn, &c->qtable, err, errlen);
    if (rc != 0) {
        fb_pg_counter_close(c);
        return rc;
    }
    *out = c;
    return 0;
}

int
fb_pg_counter_count(struct fb_pg_counter *c, const struct fb_pg_window *win,
                    int64_t *count, char *err, size_t errlen)
{
    int rc = fb_pg_exec(c->conn,
                        "BEGIN ISOLATION LEVEL REPEATABLE READ READ "
                        "ONLY",
                        NULL, PGRES_COMMAND_OK, "begin", NULL, err, errlen);

    *count = 0;
    if (rc == 0)
        rc = count_rows(c->conn, c->spec, c->qtable, win, count, err, errlen);
    /* Nothing was written; the next count takes a snapshot of its own. */
    if (PQtransactionStatus(c->conn) != PQTRANS_IDLE)
        PQclear(PQexec(c->conn, "ROLLBACK"));
    return rc;
}

void
fb_pg_counter_close(struct fb_pg_counter *c)
{
    if (c == NULL)
        return;
    PQfinish(c->conn);
    free(c->qtable);
    free(c);
}

int
fb_pg_count_window(const struct fb_pg_spec *spec,
                   const struct fb_pg_window *win, int64_t *count, char *err,
                   size_t errlen)
{
    struct fb_pg_counter *c = NULL;
    int rc = fb_pg_counter_open(spec, &c, err, errlen);

    *count = 0;
    if (rc == 0)
        rc = fb_pg_counter_count(c, win, count, err, errlen);
    fb_pg_counter_close(c);
    return rc;
}
