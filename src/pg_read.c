/*
 * pg_read.c
 *    The worker's side of a PostgreSQL source: each range read in the
 *    exported snapshot and rendered row by row (see pg_read.h).
 *
 * A range is the window SQL (pg_spec.h) with the slice's condition:
 *   key:   ... AND "k" >= $3 AND "k" <= $4   (int8; $4 = hi - 1, so a
 *          range may end at INT64_MAX)
 *   ctid:  ... AND ctid >= $3::tid [AND ctid < $4::tid]; the last range
 *          has no upper bound
 *   time:  the window itself, with $1/$2 set to the sub-window
 * (the operators written OPERATOR(pg_catalog.>=) and so on, the types
 * ::pg_catalog.int8: pg_conn.h)
 *
 * Streaming (fb_pg_fetch): table sources use COPY (...) TO STDOUT by
 * default, the least worker CPU measured.  COPY takes no parameters, so
 * each range's values are written into its SQL as quoted literals
 * ('...'::pg_catalog.type; inline_params).  They are all the loader's own
 * (formatted bounds, integers, tids), and as constants the planner sees
 * them: a key range is planned on the key's index.  (Passing them through
 * set_config() kept them opaque, and a key split walked the hour's time
 * index for every range: 73 s for the demo hour against 18 s by time.)
 * Query sources keep their own $1/$2 and stream in single-row mode.
 *
 * Either way the range's SQL runs once with LIMIT 0 first: its columns'
 * names and types (pg_type.h: a type not met yet costs one catalog
 * query, never one per value) decide how each column renders before
 * the first row.
 */
#include "forkbulk/pg_read.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "forkbulk/docid.h"
#include "forkbulk/eslimits.h"
#include "forkbulk/log.h"
#include "forkbulk/pg_render.h"
#include "forkbulk/status.h"

/*
 * Re-reading a range must meet its rows in the same order (a replacement
 * worker skips the rejects its predecessor wrote by count): no scan that
 * starts where another one is, no parallel plan, whose order depends on
 * timing.  The workers are the parallelism anyway.
 */
#define WORKER_SETTINGS                                                        \
    FB_PG_SESSION_SETTINGS "; SET synchronize_seqscans = off; "                \
                           "SET max_parallel_workers_per_gather = 0"

struct fb_pg_reader {
    const struct fb_pg_spec *spec;
    PGconn *conn;
    struct fb_pg_resolved src;
    char *qkey;    /* quoted split key, or NULL */
    bool use_copy; /* table sources: COPY (sql) TO STDOUT */

    /* Per range. */
    char desc[96];
    bool active;    /* a transaction is open */
    bool streaming; /* single-row results still to come */
    bool copying;   /* COPY data still to come */
    char *line;     /* current COPY row (PQgetCopyData) */
    PGresult *res;  /* current row (single-row) */
    uint64_t rowno;

    /* Columns, from the range's SQL run with LIMIT 0. */
    int ncols;
    struct fb_pg_field *cols;
    char *names; /* storage of the column names and their JSON keys */
    int *id_idx;
    const char **vals;
    int *lens;

    struct fb_pg_render_opts opts;
    char *doc;
    size_t doc_cap;
    char *scratch;
    char id[FB_DOCID_BUFSIZE];
    char err[256];
};

/* A range as one statement: the window SQL, the slice's condition, and
 * its parameters as text. */
struct range_stmt {
    char *sql;
    int n;
    const char *vals[4];
    Oid types[4];
    const char *casts[4]; /* the types again, for COPY's literals */
    char start[FB_PG_TIME_MAX], end[FB_PG_TIME_MAX], p3[48], p4[48];
};

struct fb_pg_reader *
fb_pg_reader_open(const struct fb_pg_spec *spec)
{
    struct fb_pg_reader *r = calloc(1, sizeof *r);
    char err[512];

    if (r == NULL) {
        fb_error("out of memory");
        return NULL;
    }
    r->spec = spec;
    r->opts.null_as_null = spec->null_as_null;
    r->opts.infinity_as_null = spec->infinity_as_null;
    r->doc_cap = spec->max_doc_bytes > 0 ? spec->max_doc_bytes : 1 << 20;
    r->doc = malloc(r->doc_cap);
    r->scratch = malloc(r->doc_cap);
    if (r->doc == NULL || r->scratch == NULL) {
        fb_error("out of memory");
        goto fail;
    }
    if (fb_pg_spec_connect(spec, "forkbulk worker", WORKER_SETTINGS, &r->conn,
                           &r->src) != 0 ||
        fb_pg_spec_resolve(r->conn, spec, &r->src) != 0)
        goto fail;
    r->use_copy = spec->table != NULL && (spec->fetch == FB_PG_FETCH_DEFAULT ||
                                          spec->fetch == FB_PG_FETCH_COPY);
    /* The same key as the plan's, so a key range means the same. */
    if (r->src.split_key != NULL &&
        fb_pg_quote_name(r->conn, NULL, r->src.split_key, &r->qkey, err,
                         sizeof err) != 0) {
        fb_error("PostgreSQL: %s", err);
        goto fail;
    }
    return r;
fail:
    fb_pg_reader_close(r);
    return NULL;
}

/* Reads what is left of the statement's results. */
static void
drain(struct fb_pg_reader *r)
{
    PGresult *res = NULL;

    while ((res = PQgetResult(r->conn)) != NULL)
        PQclear(res);
    r->streaming = false;
    r->copying = false;
}

/* Ends the range's transaction, dropping whatever is still in flight. */
static void
finish(struct fb_pg_reader *r)
{
    char *buf = NULL;

    PQclear(r->res);
    r->res = NULL;
    if (!r->active)
        return;
    if (r->streaming || r->copying) {
        /* Abandoned mid-stream: cancel rather than read it all. */
        PGcancel *c = PQgetCancel(r->conn);
        char errbuf[256];

        if (c != NULL) {
            (void)PQcancel(c, errbuf, sizeof errbuf);
            PQfreeCancel(c);
        }
    }
    while (r->copying && PQgetCopyData(r->conn, &buf, 0) > 0) {
        PQfreemem(buf);
        buf = NULL;
    }
    PQfreemem(r->line);
    r->line = NULL;
    if (r->streaming || r->copying)
        drain(r);
    (void)fb_pg_spec_exec(r->conn, "ROLLBACK", NULL, PGRES_COMMAND_OK,
                          "end of range", NULL);
    r->active = false;
}

static void
free_cols(struct fb_pg_reader *r)
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

/* The range's parameters: $1/$2 the window (or the sub-window), $3/$4
 * the key or block bounds; and its description for messages. */
static void
range_params(struct fb_pg_reader *r, const struct fb_pg_range *range,
             struct range_stmt *st)
{
    struct fb_pg_window w = range->window;
    int64_t lo = (int64_t)range->lo;

    st->n = 2;
    st->types[0] = st->types[1] = FB_PG_OID_TIMESTAMPTZ;
    st->casts[0] = st->casts[1] = "pg_catalog.timestamptz";
    if (range->split == FB_PG_SPLIT_KEY) {
        int64_t last = (int64_t)(range->hi - 1);

        snprintf(r->desc, sizeof r->desc, "key [%" PRId64 ", %" PRId64 "]", lo,
                 last);
        snprintf(st->p3, sizeof st->p3, "%" PRId64, lo);
        snprintf(st->p4, sizeof st->p4, "%" PRId64, last);
        st->types[2] = st->types[3] = FB_PG_OID_INT8;
        st->casts[2] = st->casts[3] = "pg_catalog.int8";
        st->n = 4;
    } else if (range->split == FB_PG_SPLIT_CTID) {
        bool open = range->hi == FB_PG_CTID_END;

        snprintf(r->desc, sizeof r->desc, "blocks [%" PRIu64 ", end)",
                 range->lo);
        if (!open)
            snprintf(r->desc, sizeof r->desc,
                     "blocks [%" PRIu64 ", %" PRIu64 ")", range->lo, range->hi);
        snprintf(st->p3, sizeof st->p3, "(%" PRIu64 ",0)", range->lo);
        snprintf(st->p4, sizeof st->p4, "(%" PRIu64 ",0)", range->hi);
        st->types[2] = st->types[3] = FB_PG_OID_TID;
        st->casts[2] = st->casts[3] = "pg_catalog.tid";
        st->n = open ? 3 : 4;
    } else {
        w.start_us = lo;
        w.end_us = (int64_t)range->hi;
        snprintf(r->desc, sizeof r->desc, "time [%" PRId64 ", %" PRId64 ") us",
                 w.start_us, w.end_us);
    }
    fb_pg_format_us(w.start_us, st->start, sizeof st->start);
    fb_pg_format_us(w.end_us, st->end, sizeof st->end);
    st->vals[0] = st->start;
    st->vals[1] = st->end;
    st->vals[2] = st->p3;
    st->vals[3] = st->p4;
}

/* The statement of a range; 0 or an exit code after logging. */
static int
range_stmt(struct fb_pg_reader *r, const struct fb_pg_range *range,
           struct range_stmt *st)
{
    const char *base = r->src.sql;
    size_t n;

    range_params(r, range, st);
    if (range->split == FB_PG_SPLIT_KEY && r->qkey == NULL) {
        fb_error("split key: no key column known to the worker");
        return FB_EXIT_CONFIG;
    }
    n = strlen(base) + (r->qkey != NULL ? 2 * strlen(r->qkey) : 0) + 128;
    if ((st->sql = malloc(n)) == NULL) {
        fb_error("out of memory");
        return FB_EXIT_SOFTWARE;
    }
    if (range->split == FB_PG_SPLIT_KEY)
        snprintf(st->sql, n,
                 "%s AND %s OPERATOR(pg_catalog.>=) $3"
                 " AND %s OPERATOR(pg_catalog.<=) $4",
                 base, r->qkey, r->qkey);
    else if (range->split == FB_PG_SPLIT_CTID && st->n == 4)
        snprintf(st->sql, n,
                 "%s AND ctid OPERATOR(pg_catalog.>=) $3"
                 " AND ctid OPERATOR(pg_catalog.<) $4",
                 base);
    else if (range->split == FB_PG_SPLIT_CTID)
        snprintf(st->sql, n, "%s AND ctid OPERATOR(pg_catalog.>=) $3", base);
    else
        snprintf(st->sql, n, "%s", base);
    return 0;
}

/* Opens the range's transaction in the exported snapshot. */
static int
begin_snapshot(struct fb_pg_reader *r, const char *snapshot)
{
    char *lit = NULL;
    char *cmd = NULL;
    size_t n;
    int rc;

    rc = fb_pg_spec_exec(r->conn,
                         "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",
                         NULL, PGRES_COMMAND_OK, "begin range", NULL);
    if (rc != 0)
        return rc;
    r->active = true;
    lit = PQescapeLiteral(r->conn, snapshot, strlen(snapshot));
    if (lit == NULL)
        return fb_pg_spec_failed(r->conn, NULL, "snapshot");
    n = strlen(lit) + 32;
    if ((cmd = malloc(n)) == NULL) {
        fb_error("out of memory");
        rc = FB_EXIT_SOFTWARE;
        goto out;
    }
    snprintf(cmd, n, "SET TRANSACTION SNAPSHOT %s", lit);
    /* A snapshot that is gone (the parent ended) is not a config error:
     * the run cannot continue, like a lost server. */
    if (fb_pg_spec_exec(r->conn, cmd, NULL, PGRES_COMMAND_OK, "snapshot",
                        NULL) != 0)
        rc = FB_EXIT_UNAVAILABLE;
out:
    PQfreemem(lit);
    free(cmd);
    return rc;
}

/*
 * sql with each $N (1 <= N <= nparams, outside quoted identifiers)
 * replaced by (literal::cast[N-1]).  COPY takes no parameters, so a
 * range's values are written into its SQL.  They are all ours (window
 * bounds formatted by fb_pg_format_us, integer keys, tids) and
 * quoted by libpq anyway.  Literals also let the planner see the range:
 * with opaque values it chose the time index for a key range and walked
 * the whole hour's entries for every range.  NULL after logging.
 */
static char *
inline_params(PGconn *conn, const char *sql, int nparams,
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
            (void)fb_pg_spec_failed(conn, NULL, "range values");
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

static int columns(struct fb_pg_reader *r, const PGresult *res);

/* COPY (sql) TO STDOUT with the range's values written in, the columns
 * from a LIMIT 0 run of the same SQL first. */
static int
begin_copy(struct fb_pg_reader *r, const struct range_stmt *st)
{
    PGresult *res = NULL;
    char *lit_sql = NULL;
    char *cmd = NULL;
    size_t n;
    int rc = FB_EXIT_SOFTWARE;

    lit_sql = inline_params(r->conn, st->sql, st->n, st->vals, st->casts);
    if (lit_sql == NULL)
        goto out;
    n = strlen(lit_sql) + 64;
    if ((cmd = malloc(n)) == NULL)
        goto out;
    snprintf(cmd, n, "%s LIMIT 0", lit_sql);
    rc = fb_pg_spec_exec(r->conn, cmd, NULL, PGRES_TUPLES_OK, r->desc, &res);
    if (rc == 0)
        rc = columns(r, res);
    if (rc != 0)
        goto out;
    snprintf(cmd, n, "COPY (%s) TO STDOUT", lit_sql);
    rc = fb_pg_spec_exec(r->conn, cmd, NULL, PGRES_COPY_OUT, r->desc, NULL);
    r->copying = rc == 0;
out:
    PQclear(res);
    free(cmd);
    free(lit_sql);
    return rc;
}

/* The range's rows one result each, with its own parameters; the
 * columns from a LIMIT 0 run first, since no catalog query can run
 * once the rows stream. */
static int
begin_singlerow(struct fb_pg_reader *r, const struct range_stmt *st)
{
    struct fb_pg_params params = {st->n, st->vals, st->types};
    PGresult *res = NULL;
    size_t n = strlen(st->sql) + 16;
    char *cmd = malloc(n);
    int rc;

    if (cmd == NULL) {
        fb_error("out of memory");
        return FB_EXIT_OSERR;
    }
    snprintf(cmd, n, "%s LIMIT 0", st->sql);
    rc = fb_pg_spec_window_exec(r->conn, &r->src, cmd, &params, PGRES_TUPLES_OK,
                                r->desc, &res);
    if (rc == 0)
        rc = columns(r, res);
    PQclear(res);
    free(cmd);
    if (rc != 0)
        return rc;
    if (!PQsendQueryParams(r->conn, st->sql, st->n, st->types, st->vals, NULL,
                           NULL, 0) ||
        !PQsetSingleRowMode(r->conn))
        return fb_pg_spec_window_failed(r->conn, &r->src, NULL, r->desc);
    r->streaming = true;
    return 0;
}

int
fb_pg_reader_begin(struct fb_pg_reader *r, const struct fb_pg_range *range)
{
    struct range_stmt st;
    int rc;

    finish(r);
    free_cols(r);
    r->rowno = 0;
    memset(&st, 0, sizeof st);
    rc = range_stmt(r, range, &st);
    if (rc == 0)
        rc = begin_snapshot(r, range->snapshot);
    if (rc == 0)
        rc = r->use_copy ? begin_copy(r, &st) : begin_singlerow(r, &st);
    free(st.sql);
    if (rc != 0)
        finish(r);
    return rc;
}

/* How each column's values render, from the types cache; a type not
 * met yet costs one catalog query (pg_type.h). */
static int
column_types(struct fb_pg_reader *r, const PGresult *res)
{
    Oid *oids = calloc((size_t)r->ncols + 1, sizeof *oids);
    char err[512];
    int rc;
    int i;

    if (oids == NULL) {
        fb_error("out of memory");
        return FB_EXIT_OSERR;
    }
    for (i = 0; i < r->ncols; i++)
        oids[i] = PQftype(res, i);
    rc = fb_pg_types_load(r->src.types, r->conn, oids, r->ncols, err,
                          sizeof err);
    if (rc != 0)
        fb_error("PostgreSQL: %s", err);
    for (i = 0; rc == 0 && i < r->ncols; i++)
        r->cols[i].type = fb_pg_types_get(r->src.types, oids[i]);
    free(oids);
    return rc;
}

/* Column names and types, from a result of the range's SQL. */
static int
columns(struct fb_pg_reader *r, const PGresult *res)
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
    r->id_idx = calloc((size_t)r->src.ids.n + 1, sizeof *r->id_idx);
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
    }
    for (j = 0; j < r->src.ids.n; j++) {
        for (i = 0; i < r->ncols; i++)
            if (strcmp(r->cols[i].name, r->src.ids.names[j]) == 0)
                break;
        if (i == r->ncols) {
            fb_error("id column [%s] is not a column of the source",
                     r->src.ids.names[j]);
            return FB_EXIT_CONFIG;
        }
        r->id_idx[j] = i;
    }
    return column_types(r, res);
}

/* The row's document id from r->vals, or why it has none in its error
 * (unless the row has one already). */
static void
row_id(struct fb_pg_reader *r, struct fb_pg_row *row)
{
    int c, len;

    if (r->src.ids.mode == FB_PG_ID_HASH) {
        struct fb_pg_idhash h;
        int j;

        fb_pg_render_idhash_init(&h);
        for (j = 0; j < r->src.ids.n; j++)
            fb_pg_render_idhash_value(&h, r->vals[r->id_idx[j]],
                                      r->lens[r->id_idx[j]]);
        fb_pg_render_idhash_hex(&h, r->id);
        row->id = r->id;
        row->id_len = 32;
        return;
    }
    if (r->src.ids.mode != FB_PG_ID_COLUMN)
        return;
    c = r->id_idx[0];
    len = r->lens[c];
    if (len > 0 && len <= FB_ES_ID_MAX) {
        memcpy(r->id, r->vals[c], (size_t)len);
        r->id[len] = '\0';
        row->id = r->id;
        row->id_len = (size_t)len;
        return;
    }
    if (row->error != NULL)
        return;
    if (len < 0)
        snprintf(r->err, sizeof r->err, "id column [%s] is NULL",
                 r->cols[c].name);
    else
        snprintf(r->err, sizeof r->err,
                 "id column [%s] is %d bytes: ids are 1 to %d", r->cols[c].name,
                 len, FB_ES_ID_MAX);
    row->error = r->err;
}

/* Renders r->vals/r->lens into r->doc / r->id and fills *row. */
static void
emit(struct fb_pg_reader *r, struct fb_pg_row *row)
{
    size_t len = 0;
    int rc;

    memset(row, 0, sizeof *row);
    row->row = ++r->rowno;
    rc = fb_pg_render_row(r->cols, r->ncols, r->vals, r->lens, &r->opts, r->doc,
                          r->doc_cap, &len, r->scratch, r->doc_cap, r->err,
                          sizeof r->err);
    row->doc = r->doc;
    row->doc_len = len;
    if (rc != FB_PG_RENDER_OK)
        row->error = r->err;
    row_id(r, row);
}

/*
 * One line of COPY's text format, split in place into r->vals/r->lens:
 * fields separated by tabs, \N for NULL, backslash escapes \b \f \n \r
 * \t \v and \<char> for the character itself (what COPY TO writes).
 */
static int
copy_split(struct fb_pg_reader *r, char *line, int n)
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
next_copy(struct fb_pg_reader *r, struct fb_pg_row *row, int *status)
{
    PGresult *res = NULL;
    int n;
    int rc = 0;

    PQfreemem(r->line);
    r->line = NULL;
    n = PQgetCopyData(r->conn, &r->line, 0);
    if (n > 0) {
        if (copy_split(r, r->line, n) != 0) {
            fb_error("PostgreSQL: %s: a COPY row without %d columns", r->desc,
                     r->ncols);
            *status = FB_EXIT_SOFTWARE;
            return -1;
        }
        emit(r, row);
        return 1;
    }
    /* -1: the end; its result says whether the COPY succeeded. */
    r->copying = false;
    res = PQgetResult(r->conn);
    if (n == -2 || PQresultStatus(res) != PGRES_COMMAND_OK) {
        *status = fb_pg_spec_failed(r->conn, res, r->desc);
        rc = -1;
    }
    PQclear(res);
    drain(r);
    return rc;
}

static int
next_singlerow(struct fb_pg_reader *r, struct fb_pg_row *row, int *status)
{
    PGresult *res = NULL;
    int col;
    int rc;

    PQclear(r->res);
    r->res = NULL;
    res = PQgetResult(r->conn);
    if (res == NULL) {
        r->streaming = false;
        return 0;
    }
    if (PQresultStatus(res) != PGRES_SINGLE_TUPLE) {
        /* PGRES_TUPLES_OK: the end of the rows; else a failure. */
        rc = PQresultStatus(res) == PGRES_TUPLES_OK ? 0 : -1;
        if (rc < 0)
            *status = fb_pg_spec_window_failed(r->conn, &r->src, res, r->desc);
        PQclear(res);
        drain(r);
        return rc;
    }
    r->res = res;
    for (col = 0; col < r->ncols; col++) {
        r->vals[col] = PQgetvalue(res, 0, col);
        r->lens[col] = PQgetisnull(res, 0, col) ? -1 : PQgetlength(res, 0, col);
    }
    emit(r, row);
    return 1;
}

int
fb_pg_reader_next(struct fb_pg_reader *r, struct fb_pg_row *row, int *status)
{
    int rc;

    *status = 0;
    if (!r->active)
        return 0;
    if (r->copying)
        rc = next_copy(r, row, status);
    else
        rc = next_singlerow(r, row, status);
    if (rc <= 0)
        finish(r);
    return rc;
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
        finish(r);
    free_cols(r);
    fb_pg_spec_free(&r->src);
    PQfinish(r->conn);
    free(r->qkey);
    free(r->doc);
    free(r->scratch);
    free(r);
}
