/*
 * pg_plan.h
 *    Planning a PostgreSQL source, in the parent, inside one exported
 *    snapshot.
 *
 * fb_pg_plan() opens one connection, starts a REPEATABLE READ
 * transaction, exports its snapshot (pg_export_snapshot()), resolves the
 * source (pg_spec.h) and plans ranges from metadata only: the split
 * key's min/max inside the window, a row estimate, the table's block
 * count.  The connection and its transaction stay open until
 * fb_pg_plan_end(): the snapshot lives only as long as the exporting
 * transaction, and every worker reads its ranges in it (pg_read.h).
 *
 * A range is two uint64 values: for split=key the int64 key bounds
 * [lo, hi) (two's complement in a uint64), for split=time microseconds
 * since the epoch [lo, hi), for split=ctid block numbers [lo, hi), the
 * last one open-ended (hi = FB_PG_CTID_END).
 */
#ifndef FORKBULK_PG_PLAN_H
#define FORKBULK_PG_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "forkbulk/pg_spec.h"

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
    PGconn *conn;      /* the exporting connection */
};

/*
 * Connects, exports a snapshot, checks that table/columns/query exist
 * (clear messages: "relation \"x\" does not exist", ...), plans.
 * Returns 0, or an exit code after logging (69 PostgreSQL unreachable,
 * 78 bad table/column/query/split, 70 ...).  A window with no rows plans
 * zero ranges and returns 0.  Call fb_pg_plan_end() either way.
 */
int fb_pg_plan(const struct fb_pg_spec *spec, const struct fb_pg_window *win,
               int workers, struct fb_pg_plan *plan);

/* Range i of the plan. */
void fb_pg_plan_range(const struct fb_pg_plan *plan, uint64_t i, uint64_t *lo,
                      uint64_t *hi);

/*
 * count(*) of the source's window, each in a fresh snapshot of its own:
 * what the source holds for the window now, to compare with what a done
 * hour loaded.  A counter keeps one session for every window it counts.
 * Log nothing: 0, or an exit code with err filled (69 unreachable, 78
 * missing table or bad query, as fb_pg_plan()).
 */
struct fb_pg_counter;

int fb_pg_counter_open(const struct fb_pg_spec *spec,
                       struct fb_pg_counter **out, char *err, size_t errlen);
int fb_pg_counter_count(struct fb_pg_counter *c, const struct fb_pg_window *win,
                        int64_t *count, char *err, size_t errlen);
/* NULL does nothing. */
void fb_pg_counter_close(struct fb_pg_counter *c);

/* One window on a counter of its own (opened and closed here). */
int fb_pg_count_window(const struct fb_pg_spec *spec,
                       const struct fb_pg_window *win, int64_t *count,
                       char *err, size_t errlen);

/* After the last range: ends the exporting transaction (the snapshot
 * goes with it) and closes the connection.  Does nothing twice. */
void fb_pg_plan_end(struct fb_pg_plan *plan);

#endif
