/*
 * pg_conn.h
 *    The one PostgreSQL connection layer: connecting, running statements,
 *    reporting their failures and quoting names, for every module that
 *    talks to PostgreSQL (the source's planner and readers, the ledger,
 *    the job lock).  Nothing else calls PQconnectdb*, and every name that
 *    goes into SQL text is quoted here.
 *
 * Every session runs with search_path pinned (FB_PG_SEARCH_PATH), and the
 * SQL forkbulk writes qualifies what it names anyway: pg_catalog.count(),
 * OPERATOR(pg_catalog.=), ::pg_catalog.int8, schema-qualified tables.
 * The one name looked up with the role's own search_path is the one the
 * user gave (--table, the ledger's table without a schema), once, at
 * connect, before the path is pinned.
 *
 * One error convention for all of them: a function that can fail returns
 * an exit code of status.h, 0 when it did not fail, and otherwise fills
 * the caller's err buffer with one line, "<what>: <PostgreSQL's
 * message>" (no newline: libpq's multi-line messages are flattened).  It
 * logs nothing; the caller decides whether the failure is an error, a
 * warning, or an answer (a lock refused, a ledger row missing).  Failed
 * statements are mapped by fb_pg_status():
 *   FB_EXIT_UNAVAILABLE (69)  the server cannot be reached, the
 *                             connection was lost, the server is shutting
 *                             down or out of resources (SQLSTATE classes
 *                             08, 57, 53, or no SQLSTATE at all: libpq's
 *                             own failures are all about the connection)
 *   FB_EXIT_CONFIG (78)       bad table, column, query, type, privilege
 *                             or schema (classes 42, 22, 0A, 3F): what
 *                             the operator asked for cannot work
 *   FB_EXIT_SOFTWARE (70)     anything else
 * and out of memory is FB_EXIT_OSERR (71).
 */
#ifndef FORKBULK_PG_CONN_H
#define FORKBULK_PG_CONN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libpq-fe.h>

/* Where to connect, and with which password. */
struct fb_pg_target {
    const char *conninfo; /* libpq conninfo string or URI; NULL or "":
                           * libpq's defaults and PG* variables */
    const char *password; /* given to libpq as a parameter, so it never
                           * has to be in the environment or in conninfo
                           * (where ps and logs may show it); NULL:
                           * libpq's own (PGPASSWORD, ~/.pgpass) */
};

/*
 * What every session of forkbulk runs with, set as the first statement
 * on a new connection: names that forkbulk does not qualify itself (and
 * those of a --query source) resolve in pg_catalog only, so no object a
 * role may create in another schema (an operator, a function, a table)
 * is ever chosen over PostgreSQL's own (the CVE-2018-1058 pattern).
 * pg_temp is last, as PostgreSQL's documentation advises.
 */
#define FB_PG_SEARCH_PATH "pg_catalog, pg_temp"

/*
 * Connects to target and sets the session up: search_path pinned to
 * FB_PG_SEARCH_PATH, then settings.  application_name (NULL: whatever
 * conninfo or PGAPPNAME say) is a connection parameter that overrides
 * conninfo's, so pg_stat_activity names the session from its first
 * moment.  settings (NULL: none) is SQL run once connected, e.g.
 * "SET TimeZone = 'UTC'; SET DateStyle = 'ISO'".
 * 0 with *out connected, or an exit code with *out NULL and err =
 * "<what>: <message>": 69 when the server cannot be reached or refuses
 * us, the statement's code when a setting fails.
 */
int fb_pg_connect(const struct fb_pg_target *target,
                  const char *application_name, const char *settings,
                  const char *what, PGconn **out, char *err, size_t errlen);

/*
 * fb_pg_connect() in two steps, for a session that must first look a
 * name up the way the role itself would (fb_pg_resolve_table(), the
 * ledger's schema): fb_pg_connect_unpinned() leaves the role's own
 * search_path in place, and nothing but fully qualified lookups may run
 * before fb_pg_pin() pins it and runs settings.  Same codes as
 * fb_pg_connect(); fb_pg_pin() leaves conn open when it fails.
 */
int fb_pg_connect_unpinned(const struct fb_pg_target *target,
                           const char *application_name, const char *what,
                           PGconn **out, char *err, size_t errlen);
int fb_pg_pin(PGconn *conn, const char *settings, const char *what, char *err,
              size_t errlen);

/*
 * The table a user named ([schema.]table, fb_pg_split_table()), found
 * with the role's own search_path (call it between
 * fb_pg_connect_unpinned() and fb_pg_pin()), as SQL text naming it
 * wherever the path is later: "schema"."table".  The lookup is itself
 * fully qualified.  0 with *qualified malloc'd (free() it), or an exit
 * code with err = "table: <message>" (78 for "relation \"x\" does not
 * exist").
 */
int fb_pg_resolve_table(PGconn *conn, const char *table, char **qualified,
                        char *err, size_t errlen);

/* Text parameters $1..$n of a statement. */
struct fb_pg_params {
    int n;
    const char *const *values; /* a NULL value is SQL NULL */
    const Oid *types;          /* NULL: the server infers them */
};

/*
 * Runs sql (with params, or NULL: several statements may be sent at
 * once) and expects a result of status want (PGRES_COMMAND_OK,
 * PGRES_TUPLES_OK, PGRES_COPY_OUT...).  0 with the result in *out (the
 * caller PQclear()s it; out NULL: cleared here), or an exit code
 * (fb_pg_status) with err = "<what>: <message>" and *out NULL.
 */
int fb_pg_exec(PGconn *conn, const char *sql, const struct fb_pg_params *params,
               ExecStatusType want, const char *what, PGresult **out, char *err,
               size_t errlen);

/*
 * For a failure met outside fb_pg_exec (a streamed result, a failed
 * PQsendQuery; res may be NULL): err = "<what>: <message>", where the
 * message is the result's primary message, else libpq's.
 */
void fb_pg_error(PGconn *conn, const PGresult *res, const char *what, char *err,
                 size_t errlen);

/* The exit code of that failure (see the mapping above). */
int fb_pg_status(PGconn *conn, const PGresult *res);

/*
 * fb_pg_exec() and fb_pg_error() for SQL the user wrote (a --query
 * source): it runs under the pinned search_path too, so when a name in it
 * does not resolve (no such table, function or type: SQLSTATE 42P01,
 * 42883, 42704) err ends with FB_PG_PATH_HINT in parentheses.
 */
#define FB_PG_PATH_HINT                                                        \
    "forkbulk runs sessions with search_path = " FB_PG_SEARCH_PATH             \
    ": write schema-qualified names, e.g. public.flows"
int fb_pg_exec_user(PGconn *conn, const char *sql,
                    const struct fb_pg_params *params, ExecStatusType want,
                    const char *what, PGresult **out, char *err, size_t errlen);
void fb_pg_error_user(PGconn *conn, const PGresult *res, const char *what,
                      char *err, size_t errlen);

/*
 * A name as SQL text: "schema"."name", or "name" when schema is NULL or
 * "", each part quoted by libpq (PQescapeIdentifier), so any byte is
 * safe.  0 with *out malloc'd (free() it), or FB_EXIT_CONFIG (a name libpq
 * cannot quote, such as one in a bad encoding) or FB_EXIT_OSERR with err
 * filled and *out NULL.
 */
int fb_pg_quote_name(PGconn *conn, const char *schema, const char *name,
                     char **out, char *err, size_t errlen);

/*
 * A table as users write it, table or schema.table.  A part in double
 * quotes is read as PostgreSQL reads a quoted identifier: exactly, ""
 * for one quote, a dot inside is part of the name
 * ("My.Schema"."We""ird").  An unquoted part runs to the next dot and is
 * taken as written, case included, like every other name forkbulk takes
 * (--time-column, --id-column, the ledger's table): unlike SQL, it is not
 * folded to lower case, and any byte but a dot may be in it (odd"t$1).
 * This is the only place that splits one.  0 with *schema (NULL when none
 * is given) and *name malloc'd (free() both), or FB_EXIT_CONFIG with err =
 * "table name [<table>]: <why>" (an empty part, a missing closing quote,
 * text after one, more than two parts), or FB_EXIT_OSERR.
 */
int fb_pg_split_table(const char *table, char **schema, char **name, char *err,
                      size_t errlen);

/* A table as users write it (fb_pg_split_table), quoted as
 * fb_pg_quote_name does. */
int fb_pg_quote_table(PGconn *conn, const char *table, char **out, char *err,
                      size_t errlen);

/* PostgreSQL's text of a bigint (a value, a row count) as an int64: the
 * whole string, decimal, in range.  0, or -1. */
int fb_pg_int8(const char *text, int64_t *out);

/*
 * libpq's messages span lines ("...failed: Connection refused\n\tIs the
 * server running..."); log lines must not.  Joins them in place with one
 * space and drops trailing blanks.
 */
void fb_pg_flatten(char *s);

/* Microseconds since the epoch as a timestamptz literal, UTC
 * ("2026-11-27 03:00:00.000000+00"): exact, no arithmetic on the server
 * (where bigint * interval goes through float8).  48 bytes are enough. */
#define FB_PG_TIME_MAX 48
void fb_pg_format_us(int64_t us, char *out, size_t cap);

/*
 * Does conninfo (a libpq conninfo string or a postgresql:// URI, as
 * --pg takes it) hold a non-empty password?  Parsed by libpq's own
 * PQconninfoParse(); a string that is neither (no '=', no URI prefix) is
 * a database name to libpq, and holds none.  0 with *has set, or
 * FB_EXIT_USAGE with err = libpq's message (a malformed string), or
 * FB_EXIT_OSERR.
 */
int fb_pg_conninfo_has_password(const char *conninfo, bool *has, char *err,
                                size_t errlen);

#endif
