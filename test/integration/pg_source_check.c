/*
 * pg_source_check.c
 *    Test driver of the PostgreSQL source: plans a window, reads every
 *    range in order with one reader (as one worker would), and prints
 *    what the loader would send, so test_pgsource.py can compare it with
 *    the expected rendering exactly.
 *
 * Output (stdout):
 *   #plan split=<key|time|ctid> ranges=<n> ids_stable=<0|1> snapshot=<s>
 *   <id or ->\t<doc>              one line per row
 *   !<error>\t<doc>               a row error (what a reject would hold)
 * With --count only the totals: "#rows <n> errors <n>".
 * With --count-window only fb_pg_count_window()'s answer, "#count <n>",
 * or its message on stderr and its exit code.
 * Exit: 0, or the module's exit code.
 *
 * Usage: pg_source_check --pg CONNINFO (--table T --time-column C |
 *   --query SQL) --start US --end US [--split auto|key[:COL]|time:US|ctid]
 *   [--id-column C] [--id-columns a,b] [--null-as-null] [--infinity-as-null]
 *   [--max-doc-bytes N] [--workers N] [--ranges-per-worker N]
 *   [--fetch default|singlerow|copy] [--password P] [--count]
 *   [--count-window]
 *   [--insert-during SQL]   (run SQL on a separate connection after the
 *                            plan: snapshot tests)
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "forkbulk/log.h"
#include "forkbulk/pg_plan.h"
#include "forkbulk/pg_read.h"

static int
parse_i64(const char *s, int64_t *out)
{
    char *end = NULL;
    long long v = strtoll(s, &end, 10);

    if (end == s || *end != '\0')
        return -1;
    *out = v;
    return 0;
}

static int
run_sql(const char *conninfo, const char *sql)
{
    PGconn *c = PQconnectdb(conninfo);
    PGresult *res = NULL;
    int rc = 0;

    if (PQstatus(c) != CONNECTION_OK) {
        rc = 1;
        goto out;
    }
    res = PQexec(c, sql);
    if (PQresultStatus(res) != PGRES_COMMAND_OK &&
        PQresultStatus(res) != PGRES_TUPLES_OK) {
        fprintf(stderr, "insert-during: %s", PQresultErrorMessage(res));
        rc = 1;
    }
out:
    PQclear(res);
    PQfinish(c);
    return rc;
}

static int
do_count_window(const struct fb_pg_spec *spec, const struct fb_pg_window *win)
{
    char err[1024];
    int64_t count = 0;
    int rc = fb_pg_count_window(spec, win, &count, err, sizeof err);

    if (rc != 0)
        fprintf(stderr, "%s\n", err);
    else
        printf("#count %" PRId64 "\n", count);
    fflush(stdout);
    return rc;
}

int
main(int argc, char **argv)
{
    struct fb_pg_spec spec;
    struct fb_pg_window win = {0, 0};
    struct fb_pg_plan plan;
    struct fb_pg_reader *r = NULL;
    const char *insert_during = NULL;
    int workers = 1;
    bool count_only = false;
    bool count_window = false;
    uint64_t rows = 0, errors = 0;
    uint64_t i;
    int status = 0;
    int a;

    memset(&spec, 0, sizeof spec);
    memset(&plan, 0, sizeof plan);
    spec.max_doc_bytes = 1 << 20;
    spec.ranges_per_worker = 4;
    fb_log_set_role("check");
    for (a = 1; a < argc; a++) {
        const char *o = argv[a];
        const char *v = a + 1 < argc ? argv[a + 1] : NULL;
        int64_t n = 0;

        if (strcmp(o, "--null-as-null") == 0) {
            spec.null_as_null = true;
            continue;
        }
        if (strcmp(o, "--infinity-as-null") == 0) {
            spec.infinity_as_null = true;
            continue;
        }
        if (strcmp(o, "--count") == 0) {
            count_only = true;
            continue;
        }
        if (strcmp(o, "--count-window") == 0) {
            count_window = true;
            continue;
        }
        if (v == NULL) {
            fprintf(stderr, "%s needs a value\n", o);
            return 64;
        }
        a++;
        if (strcmp(o, "--pg") == 0) {
            spec.conninfo = v;
        } else if (strcmp(o, "--table") == 0) {
            spec.table = v;
        } else if (strcmp(o, "--time-column") == 0) {
            spec.time_column = v;
        } else if (strcmp(o, "--query") == 0) {
            spec.query = v;
        } else if (strcmp(o, "--id-column") == 0) {
            spec.id_column = v;
        } else if (strcmp(o, "--id-columns") == 0) {
            spec.id_columns = v;
        } else if (strcmp(o, "--insert-during") == 0) {
            insert_during = v;
        } else if (strcmp(o, "--password") == 0) {
            spec.password = v;
        } else if (strcmp(o, "--fetch") == 0) {
            if (strcmp(v, "default") == 0) {
                spec.fetch = FB_PG_FETCH_DEFAULT;
            } else if (strcmp(v, "singlerow") == 0) {
                spec.fetch = FB_PG_FETCH_SINGLEROW;
            } else if (strcmp(v, "copy") == 0) {
                spec.fetch = FB_PG_FETCH_COPY;
            } else {
                fprintf(stderr, "bad --fetch %s\n", v);
                return 64;
            }
        } else if (strcmp(o, "--split") == 0) {
            if (strcmp(v, "auto") == 0) {
                spec.split = FB_PG_SPLIT_AUTO;
            } else if (strcmp(v, "ctid") == 0) {
                spec.split = FB_PG_SPLIT_CTID;
            } else if (strcmp(v, "key") == 0) {
                spec.split = FB_PG_SPLIT_KEY;
            } else if (strncmp(v, "key:", 4) == 0) {
                spec.split = FB_PG_SPLIT_KEY;
                spec.split_column = v + 4;
            } else if (strncmp(v, "time:", 5) == 0 &&
                       parse_i64(v + 5, &n) == 0) {
                spec.split = FB_PG_SPLIT_TIME;
                spec.split_us = n;
            } else {
                fprintf(stderr, "bad --split %s\n", v);
                return 64;
            }
        } else if (parse_i64(v, &n) != 0) {
            fprintf(stderr, "bad %s %s\n", o, v);
            return 64;
        } else if (strcmp(o, "--start") == 0) {
            win.start_us = n;
        } else if (strcmp(o, "--end") == 0) {
            win.end_us = n;
        } else if (strcmp(o, "--max-doc-bytes") == 0) {
            spec.max_doc_bytes = (size_t)n;
        } else if (strcmp(o, "--workers") == 0) {
            workers = (int)n;
        } else if (strcmp(o, "--ranges-per-worker") == 0) {
            spec.ranges_per_worker = (int)n;
        } else {
            fprintf(stderr, "unknown option %s\n", o);
            return 64;
        }
    }

    if (count_window)
        return do_count_window(&spec, &win);
    status = fb_pg_plan(&spec, &win, workers, &plan);
    if (status != 0)
        goto out;
    printf("#plan split=%s ranges=%" PRIu64 " ids_stable=%d snapshot=%s\n",
           plan.split == FB_PG_SPLIT_KEY    ? "key"
           : plan.split == FB_PG_SPLIT_CTID ? "ctid"
                                            : "time",
           plan.n_ranges, plan.ids_stable ? 1 : 0, plan.snapshot);
    if (insert_during != NULL && run_sql(spec.conninfo, insert_during) != 0) {
        status = 70;
        goto out;
    }
    r = fb_pg_reader_open(&spec);
    if (r == NULL) {
        status = 69;
        goto out;
    }
    for (i = 0; i < plan.n_ranges; i++) {
        struct fb_pg_range range;
        struct fb_pg_row row;
        int rc;

        range.snapshot = plan.snapshot;
        range.split = plan.split;
        range.window = win;
        fb_pg_plan_range(&plan, i, &range.lo, &range.hi);
        status = fb_pg_reader_begin(r, &range);
        if (status != 0)
            goto out;
        while ((rc = fb_pg_reader_next(r, &row, &status)) == 1) {
            rows++;
            if (row.error != NULL)
                errors++;
            if (count_only)
                continue;
            if (row.error != NULL)
                printf("!%s\t%.*s\n", row.error, (int)row.doc_len, row.doc);
            else
                printf("%.*s\t%.*s\n", row.id != NULL ? (int)row.id_len : 1,
                       row.id != NULL ? row.id : "-", (int)row.doc_len,
                       row.doc);
        }
        if (rc < 0)
            goto out;
    }
    if (count_only)
        printf("#rows %" PRIu64 " errors %" PRIu64 "\n", rows, errors);
out:
    fb_pg_reader_close(r);
    fb_pg_plan_end(&plan);
    fflush(stdout);
    return status;
}
