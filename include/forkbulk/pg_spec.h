/*
 * pg_spec.h
 *    PostgreSQL as a source: what to read (struct fb_pg_spec), over which
 *    window, split how; and what the planner (pg_plan.h, in the parent)
 *    and the readers (pg_read.h, in the workers) both need to agree on:
 *    the window's SQL, how document ids are made, which column a key
 *    split uses, the session every source connection runs in.
 *
 * Both open their session with fb_pg_spec_connect(), which finds the
 * table with the role's own search_path and then pins it (pg_conn.h), and
 * resolve the source on it with fb_pg_spec_resolve(): the same role finds
 * the same table, so a key range or an id means the same to the worker
 * that reads it as to the parent that planned it.
 *
 * SQL shapes (identifiers quoted by pg_conn.h; values are parameters):
 *   window, table:  SELECT * FROM "s"."t" WHERE "ts" OPERATOR(pg_catalog.>=)
 *                   $1 AND "ts" OPERATOR(pg_catalog.<) $2
 *                   (* or, with money columns, the columns by name:
 *                   "a", "m"::pg_catalog.numeric AS "m")
 *   window, query:  SELECT * FROM (<query>) AS fb_q WHERE true
 * $1/$2 are the window's start and end as timestamptz, so a query that
 * uses only one of them still prepares.  A query runs under the pinned
 * search_path, so the names it uses must be schema-qualified.
 *
 * The functions below log their failures (fb_error, "PostgreSQL: <what>:
 * <message>") and return an exit code of status.h; pg_conn.h maps it.
 */
#ifndef FORKBULK_PG_SPEC_H
#define FORKBULK_PG_SPEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "forkbulk/options.h"
#include "forkbulk/pg_conn.h"
#include "forkbulk/pg_type.h"

enum fb_pg_split {
    FB_PG_SPLIT_AUTO = 0, /* time if the time column leads an index, else an
                           * integer primary key, else ctid */
    FB_PG_SPLIT_KEY,      /* integer key ranges: split_column */
    FB_PG_SPLIT_TIME,     /* sub-windows of split_us microseconds */
    FB_PG_SPLIT_CTID,     /* heap block ranges */
};

/* How a worker streams its slice.  DEFAULT: COPY for table sources
 * (the least CPU on both sides, measured), single-row mode for query
 * sources (COPY cannot carry the query's $1/$2 parameters). */
enum fb_pg_fetch {
    FB_PG_FETCH_DEFAULT = 0,
    FB_PG_FETCH_SINGLEROW, /* PQsetSingleRowMode: one PGresult per row */
    FB_PG_FETCH_COPY,      /* COPY (...) TO STDOUT, text format; table
                            * sources only (else single-row) */
};

/* What to read (fb_pg_spec_from_options). */
struct fb_pg_spec {
    const char *conninfo;    /* libpq conninfo; "" uses PG* env vars */
    const char *password;    /* NULL: libpq's own (see pg_conn.h) */
    const char *table;       /* table (optionally schema.table), or NULL */
    const char *time_column; /* window column of table */
    const char *query;       /* alternative to table: SQL with $1/$2 as
                              * the window start/end (timestamptz) */
    enum fb_pg_split split;
    const char *split_column; /* split=key; NULL: primary key if integer */
    int64_t split_us;         /* split=time: sub-window length */
    const char *id_column;    /* document id from this column, or NULL */
    const char *id_columns;   /* "a,b": id = hash of these, or NULL */
    bool null_as_null;        /* NULL columns as null (default: omitted) */
    bool infinity_as_null;    /* ±infinity dates and timestamps as null
                               * (default: the row is rejected) */
    size_t max_doc_bytes;     /* a rendered row longer than this is
                               * rejected, not buffered */
    int ranges_per_worker;    /* planning target, e.g. 16 */
    enum fb_pg_fetch fetch;   /* workers' streaming method */
};

/* The hour (or any window) to load: [start_us, end_us) since the epoch,
 * UTC. */
struct fb_pg_window {
    int64_t start_us;
    int64_t end_us;
};

/* hi of the last ctid range: it has no upper bound, so rows written
 * past the planned block count are still read. */
#define FB_PG_CTID_END UINT64_MAX

/* Type OIDs the source handles by number. */
#define FB_PG_OID_INT2 21
#define FB_PG_OID_INT4 23
#define FB_PG_OID_INT8 20
#define FB_PG_OID_TID 27
#define FB_PG_OID_TIMESTAMPTZ 1184

/* What every source session runs with: pg_render.h relies on it
 * (intervals as ISO 8601 durations, bytea as hex). */
#define FB_PG_SESSION_SETTINGS                                                 \
    "SET TimeZone = 'UTC'; SET DateStyle = 'ISO'; "                            \
    "SET IntervalStyle = 'iso_8601'; SET bytea_output = 'hex'; "               \
    "SET extra_float_digits = 1; SET client_encoding = 'UTF8'"

/* How document ids are made. */
enum fb_pg_idmode {
    FB_PG_ID_NONE = 0,
    FB_PG_ID_COLUMN, /* the text of one column */
    FB_PG_ID_HASH,   /* fb_pg_render_idhash of several */
};

struct fb_pg_ids {
    enum fb_pg_idmode mode;
    int n;
    char **names; /* the columns, in order */
};

/* The source as one connection sees it (fb_pg_spec_connect, then
 * fb_pg_spec_resolve). */
struct fb_pg_resolved {
    char *sql;    /* the window SQL (above) */
    char *qtable; /* the table, schema-qualified and quoted, as the role's
                   * search_path found it; NULL for a query source */
    struct fb_pg_ids ids;
    char *split_key; /* split_column, else a one-column integer primary
                      * key, else NULL: the column key ranges count */
    char *columns;   /* a table's select list when * will not do (money
                      * columns, read as numeric), else NULL */
    struct fb_pg_types *types; /* the types met so far (pg_type.h): a
                                * table's columns' from the start */
};

/*
 * Opens a session on the source: connects as application_name (names the
 * role in pg_stat_activity), finds a table source's table with the role's
 * own search_path (*qtable, malloc'd; NULL for a query source), pins the
 * search_path and runs settings, which must include
 * FB_PG_SESSION_SETTINGS.  Logs nothing: 0, or an exit code with err =
 * "cannot connect to PostgreSQL: ..." or "PostgreSQL: table: relation
 * \"x\" does not exist" (78), *out and *qtable NULL.
 */
int fb_pg_spec_session(const struct fb_pg_spec *spec,
                       const char *application_name, const char *settings,
                       PGconn **out, char **qtable, char *err, size_t errlen);

/* fb_pg_spec_session() into src->qtable (src is cleared first), logging
 * a failure. */
int fb_pg_spec_connect(const struct fb_pg_spec *spec,
                       const char *application_name, const char *settings,
                       PGconn **out, struct fb_pg_resolved *src);

/* fb_pg_exec(), logging "PostgreSQL: <what>: <message>" when it fails. */
int fb_pg_spec_exec(PGconn *conn, const char *sql,
                    const struct fb_pg_params *params, ExecStatusType want,
                    const char *what, PGresult **out);

/* Logs a failure met outside fb_pg_exec (res may be NULL) as above and
 * returns its exit code. */
int fb_pg_spec_failed(PGconn *conn, const PGresult *res, const char *what);

/* The same two for a statement that runs the source's window SQL: for a
 * query source, the failure of a name that does not resolve carries
 * pg_conn.h's search_path hint. */
int fb_pg_spec_window_exec(PGconn *conn, const struct fb_pg_resolved *src,
                           const char *sql, const struct fb_pg_params *params,
                           ExecStatusType want, const char *what,
                           PGresult **out);
int fb_pg_spec_window_failed(PGconn *conn, const struct fb_pg_resolved *src,
                             const PGresult *res, const char *what);

/* fb_pg_spec_window_exec() logging nothing: err says why.  qtable is the
 * resolved table, NULL for a query source. */
int fb_pg_spec_window_run(PGconn *conn, const char *qtable, const char *sql,
                          const struct fb_pg_params *params,
                          ExecStatusType want, const char *what, PGresult **out,
                          char *err, size_t errlen);

/* A window as the $1/$2 of the window SQL. */
struct fb_pg_window_params {
    char start[FB_PG_TIME_MAX];
    char end[FB_PG_TIME_MAX];
    const char *vals[2];
    Oid types[2];
    struct fb_pg_params params; /* points into the struct */
};

void fb_pg_spec_window_params(const struct fb_pg_window *win,
                              struct fb_pg_window_params *wp);

/*
 * The window SQL (above) of the source: qtable from fb_pg_spec_session()
 * (a table source), columns its select list (NULL: *).  Logs nothing: 0
 * with *sql malloc'd, or an exit code with err filled (78: a table source
 * without a time column).
 */
int fb_pg_spec_window_sql(PGconn *conn, const struct fb_pg_spec *spec,
                          const char *qtable, const char *columns, char **sql,
                          char *err, size_t errlen);

/*
 * Builds the window SQL and works out the ids (id_column, id_columns,
 * else the table's primary key, else none) and the split key, on the
 * connection and into the src that fb_pg_spec_connect() opened and
 * filled.  A table's columns are checked first: every one must be
 * readable by the role (has_column_privilege), and their types are
 * loaded into src->types; a money column (or array of money) is read
 * cast to numeric, under its own name, since its text follows
 * lc_monetary.  0, or an exit code after logging (78 for a missing time
 * column, a bad id column list, or a column the role may not read,
 * named).  Release src with fb_pg_spec_free() either way.
 */
int fb_pg_spec_resolve(PGconn *conn, const struct fb_pg_spec *spec,
                       struct fb_pg_resolved *src);

void fb_pg_spec_free(struct fb_pg_resolved *src);

/* int2, int4 or int8: a column a key split can count. */
bool fb_pg_spec_is_int(Oid type);

/* The source spec the options describe; 0, or -1 with err filled.  The
 * spec points into opts. */
int fb_pg_spec_from_options(const struct fb_options *opts,
                            struct fb_pg_spec *spec, char *err, size_t errlen);

/* "public.flows", or "query" for --query: names the source in messages. */
const char *fb_pg_source_name(const struct fb_options *opts);

#endif
