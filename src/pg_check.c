/*
 * pg_check.c
 *    --check for the PostgreSQL source (see pg_check.h).
 */
#include "forkbulk/pg_check.h"

#include <stdlib.h>
#include <string.h>

#include "forkbulk/check.h"
#include "forkbulk/hours.h"
#include "forkbulk/ledger.h"
#include "forkbulk/pg_spec.h"
#include "forkbulk/status.h"

#define ERR_MAX 1024

/* Runs the source's window SQL with LIMIT 0 in a read-only transaction:
 * whatever a load's SELECT needs (the table, the time column, SELECT on
 * them, a query's names) is checked, and no row is read. */
static int
read_nothing(PGconn *conn, const struct fb_pg_spec *spec, const char *qtable,
             char *err, size_t errlen)
{
    static const char what[] = "cannot read the source";
    const struct fb_pg_window win = {0, FB_HOUR_US}; /* any will do */
    struct fb_pg_window_params wp;
    char *sql = NULL, *limited = NULL;
    char ignored[128];
    size_t n;
    int rc = fb_pg_spec_window_sql(conn, spec, qtable, NULL, &sql, err, errlen);

    if (rc == 0) {
        n = strlen(sql) + sizeof(" LIMIT 0");
        if ((limited = malloc(n)) == NULL) {
            snprintf(err, errlen, "out of memory");
            rc = FB_EXIT_OSERR;
        } else {
            snprintf(limited, n, "%s LIMIT 0", sql);
        }
    }
    if (rc == 0)
        rc = fb_pg_exec(conn, "BEGIN READ ONLY", NULL, PGRES_COMMAND_OK, what,
                        NULL, err, errlen);
    if (rc == 0) {
        fb_pg_spec_window_params(&win, &wp);
        rc = fb_pg_exec_user(conn, limited, &wp.params, PGRES_TUPLES_OK, what,
                             NULL, err, errlen);
        (void)fb_pg_exec(conn, "ROLLBACK", NULL, PGRES_COMMAND_OK, "rollback",
                         NULL, ignored, sizeof(ignored));
    }
    free(limited);
    free(sql);
    return rc;
}

/* The source: connect, then read nothing of it (above). */
static int
check_source(const struct fb_options *opts, const struct fb_pg_spec *spec,
             FILE *out)
{
    char what[256], detail[256], err[ERR_MAX];
    PGconn *conn = NULL;
    char *qtable = NULL;
    int rc = fb_pg_spec_session(spec, "forkbulk check", FB_PG_SESSION_SETTINGS,
                                &conn, &qtable, err, sizeof(err));

    snprintf(what, sizeof(what), "source %s", fb_pg_source_name(opts));
    if (rc == FB_EXIT_UNAVAILABLE) {
        fb_check_say(out, "postgresql", rc, err);
        fprintf(out, "%s: not checked: no connection\n", what);
        return rc;
    }
    fb_check_say(out, "postgresql", FB_EXIT_OK, "connected");
    if (rc == 0)
        rc = read_nothing(conn, spec, qtable, err, sizeof(err));
    if (spec->query != NULL)
        snprintf(detail, sizeof(detail), "the query runs");
    else
        snprintf(detail, sizeof(detail), "column %s can be read",
                 spec->time_column != NULL ? spec->time_column : "");
    fb_check_say(out, what, rc, rc == 0 ? detail : err);
    if (conn != NULL)
        PQfinish(conn);
    free(qtable);
    return rc;
}

/* The ledger, read-only: usable as it is, or creatable. */
static int
check_ledger(const struct fb_options *opts, const struct fb_pg_spec *spec,
             FILE *out)
{
    struct fb_pg_target pg = {spec->conninfo, spec->password};
    struct fb_ledger *l = NULL;
    char note[512], err[ERR_MAX];
    int rc = fb_ledger_open_read_only(&pg, opts->ledger_table, false, &l, note,
                                      sizeof(note), err, sizeof(err));

    fb_ledger_close(l);
    return fb_check_say(out, "ledger", rc, rc == 0 ? note : err);
}

int
fb_pg_check(const struct fb_options *opts, FILE *out)
{
    struct fb_pg_spec spec;
    char err[ERR_MAX];
    int rc, lrc;

    if (fb_pg_spec_from_options(opts, &spec, err, sizeof(err)) < 0)
        return fb_check_say(out, "postgresql", FB_EXIT_USAGE, err);
    rc = check_source(opts, &spec, out);
    lrc = check_ledger(opts, &spec, out);
    return rc != FB_EXIT_OK ? rc : lrc;
}
