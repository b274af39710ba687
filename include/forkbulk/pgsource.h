/*
 * pgsource.h
 *    PostgreSQL as a source: planning in the parent, streaming slices in
 *    the workers, all inside one exported snapshot.
 *
 * Parent (after the workers are forked):
 *   fb_pg_plan() opens one connection, starts a REPEATABLE READ
 *   transaction, exports its snapshot (pg_export_snapshot()), and plans
 *   ranges from metadata only: the split key's min/max inside the window,
 *   a row estimate, the table's block count.  The connection and its
 *   transaction stay open until fb_pg_plan_end(): the snapshot lives only
 *   as long as the exporting transaction.
 *
 * Worker (forked before any plan exists, so everything it needs about a
 * range arrives in the JOB frame: struct fb_pg_job):
 *   fb_pg_reader_open() connects once; for each range fb_pg_reader_begin()
 *   starts a REPEATABLE READ transaction with SET TRANSACTION SNAPSHOT
 *   '<id>' and starts streaming the slice; fb_pg_reader_next() returns
 *   one row at a time already rendered as one JSON object (plus its
 *   document id), never holding the slice in memory.
 *
 * A range is two uint64 values: for split=key the int64 key bounds
 * [lo, hi) (two's complement in a uint64), for split=time microseconds
 * since the epoch [lo, hi), for split=ctid block numbers [lo, hi).
 */
#ifndef FORKBULK_PGSOURCE_H
#define FORKBULK_PGSOURCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

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
    FB_PG_FETCH_CURSOR,    /* DECLARE CURSOR + FETCH fetch_rows */
    FB_PG_FETCH_COPY,      /* COPY (...) TO STDOUT, text format; table
                            * sources only (else single-row) */
};

/* What to read; filled from options/config by the caller. */
struct fb_pg_spec {
    const char *conninfo;    /* libpq conninfo; "" uses PG* env vars */
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
    size_t max_doc_bytes;     /* a rendered row longer than this is
                               * rejected, not buffered */
    int ranges_per_worker;    /* planning target, e.g. 16 */
    enum fb_pg_fetch fetch;   /* workers' streaming method */
    int fetch_rows;           /* FETCH size for FB_PG_FETCH_CURSOR (<= 0:
                               * 1000) */
};

/* The hour (or any window) to load: [start_us, end_us) since the epoch,
 * UTC. */
struct fb_pg_window {
    int64_t start_us;
    int64_t end_us;
};

struct fb_pg_plan {
    char snapshot[64];      /* pg_export_snapshot() */
    enum fb_pg_split split; /* the strategy chosen (never AUTO) */
    uint64_t n_ranges;
    int64_t lo, hi; /* key/time/block bounds planned over */
    uint64_t step;  /* width of one range */
    double row_estimate;
    char id_desc[128]; /* how ids are made, for the log */
    bool ids_stable;   /* false: no id column/pk: re-runs may
                        * duplicate (the caller warns) */
    void *conn;        /* the exporting connection (PGconn *) */
};

/*
 * Parent: connect, export a snapshot, check that table/columns/query
 * exist (clear messages: "relation \"x\" does not exist", ...), plan.
 * Returns 0, or an exit code after logging (69 PostgreSQL unreachable,
 * 78 bad table/column/query/split, 66 ...).  A window with no rows plans
 * zero ranges and returns 0.
 */
int fb_pg_plan(const struct fb_pg_spec *spec, const struct fb_pg_window *win,
               int workers, struct fb_pg_plan *plan);

/* Range i of the plan. */
void fb_pg_plan_range(const struct fb_pg_plan *plan, uint64_t i, uint64_t *lo,
                      uint64_t *hi);

/* Parent, after the last range: end the exporting transaction. */
void fb_pg_plan_end(struct fb_pg_plan *plan);

struct fb_pg_reader;

/* One row, rendered. Pointers valid until the next call. */
struct fb_pg_row {
    const char *doc; /* one JSON object, no newline */
    size_t doc_len;
    const char *id; /* document id, NULL if none */
    size_t id_len;
    uint64_t row;      /* 1-based row number within the range */
    const char *error; /* non-NULL: this row cannot be a document (NaN,
                        * Infinity, too large...); doc then holds what is
                        * known of the row for the reject file */
};

/* Everything a worker needs to read one range. */
struct fb_pg_job {
    const char *snapshot;
    enum fb_pg_split split;
    struct fb_pg_window window;
    uint64_t lo, hi;
};

/* Worker: connect (once, reused for every range).  NULL after logging. */
struct fb_pg_reader *fb_pg_reader_open(const struct fb_pg_spec *spec);

/* Starts a range in the exported snapshot.  0, or an exit code after
 * logging (69 connection lost / snapshot gone). */
int fb_pg_reader_begin(struct fb_pg_reader *r, const struct fb_pg_job *job);

/* 1 with *row filled, 0 at the end of the range, -1 on error (logged; an
 * exit code in *status). */
int fb_pg_reader_next(struct fb_pg_reader *r, struct fb_pg_row *row,
                      int *status);

/* Describes the current range for messages ("key [100, 200)"). */
const char *fb_pg_reader_range_desc(const struct fb_pg_reader *r);

void fb_pg_reader_close(struct fb_pg_reader *r);

#endif
