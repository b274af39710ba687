/*
 * pg_conn.c
 *    Connecting to PostgreSQL, running statements, reporting failures and
 *    quoting names, in one place for every module (see pg_conn.h).
 */
#include "forkbulk/pg_conn.h"

#include <stdbool.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "forkbulk/status.h"

int
fb_pg_connect_unpinned(const struct fb_pg_target *target,
                       const char *application_name, const char *what,
                       PGconn **out, char *err, size_t errlen)
{
    const char *keys[4];
    const char *vals[4];
    PGconn *conn = NULL;
    int n = 0;

    *out = NULL;
    /* With expand_dbname, "dbname" carries the whole conninfo; the
     * parameters after it override what it says. */
    keys[n] = "dbname";
    vals[n++] = target->conninfo != NULL ? target->conninfo : "";
    if (target->password != NULL) {
        keys[n] = "password";
        vals[n++] = target->password;
    }
    if (application_name != NULL) {
        keys[n] = "application_name";
        vals[n++] = application_name;
    }
    keys[n] = NULL;
    vals[n] = NULL;
    conn = PQconnectdbParams(keys, vals, 1);
    if (conn == NULL) {
        snprintf(err, errlen, "%s: out of memory", what);
        return FB_EXIT_OSERR;
    }
    if (PQstatus(conn) != CONNECTION_OK) {
        fb_pg_error(conn, NULL, what, err, errlen);
        PQfinish(conn);
        return FB_EXIT_UNAVAILABLE;
    }
    *out = conn;
    return 0;
}

int
fb_pg_pin(PGconn *conn, const char *settings, const char *what, char *err,
          size_t errlen)
{
    static const char pin[] = "SET search_path = " FB_PG_SEARCH_PATH;
    int rc =
        fb_pg_exec(conn, pin, NULL, PGRES_COMMAND_OK, what, NULL, err, errlen);

    if (rc == 0 && settings != NULL)
        rc = fb_pg_exec(conn, settings, NULL, PGRES_COMMAND_OK, what, NULL, err,
                        errlen);
    return rc;
}

int
fb_pg_connect(const struct fb_pg_target *target, const char *application_name,
              const char *settings, const char *what, PGconn **out, char *err,
              size_t errlen)
{
    int rc = fb_pg_connect_unpinned(target, application_name, what, out, err,
                                    errlen);

    if (rc == 0 && (rc = fb_pg_pin(*out, settings, what, err, errlen)) != 0) {
        PQfinish(*out);
        *out = NULL;
    }
    return rc;
}

int
fb_pg_resolve_table(PGconn *conn, const char *table, char **qualified,
                    char *err, size_t errlen)
{
    /* Runs under the role's own search_path: every name in it is
     * qualified, and the table is the only thing the path resolves. */
    static const char sql[] =
        "SELECT n.nspname, c.relname FROM pg_catalog.pg_class c"
        " JOIN pg_catalog.pg_namespace n"
        " ON n.oid OPERATOR(pg_catalog.=) c.relnamespace"
        " WHERE c.oid OPERATOR(pg_catalog.=) $1::pg_catalog.regclass";
    const char *vals[1] = {NULL};
    struct fb_pg_params params = {1, vals, NULL};
    char *quoted = NULL;
    PGresult *res = NULL;
    int rc;

    *qualified = NULL;
    rc = fb_pg_quote_table(conn, table, &quoted, err, errlen);
    vals[0] = quoted;
    if (rc == 0)
        rc = fb_pg_exec(conn, sql, &params, PGRES_TUPLES_OK, "table", &res, err,
                        errlen);
    if (rc == 0 && PQntuples(res) != 1) {
        snprintf(err, errlen, "table: \"%s\" is not in pg_class", table);
        rc = FB_EXIT_CONFIG;
    }
    if (rc == 0)
        rc = fb_pg_quote_name(conn, PQgetvalue(res, 0, 0),
                              PQgetvalue(res, 0, 1), qualified, err, errlen);
    PQclear(res);
    free(quoted);
    return rc;
}

/* A failure of SQL the user wrote whose names do not all resolve: the
 * pinned search_path is the likely cause, so say so. */
static void
hint_path(const PGresult *res, char *err, size_t errlen)
{
    const char *st =
        res != NULL ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    size_t n = strlen(err);

    if (st != NULL &&
        (strcmp(st, "42P01") == 0 || strcmp(st, "42883") == 0 ||
         strcmp(st, "42704") == 0) &&
        n < errlen)
        snprintf(err + n, errlen - n, " (%s)", FB_PG_PATH_HINT);
}

static int
exec_sql(PGconn *conn, const char *sql, const struct fb_pg_params *params,
         ExecStatusType want, const char *what, bool user_sql, PGresult **out,
         char *err, size_t errlen)
{
    PGresult *res = NULL;
    int rc = 0;

    if (params != NULL)
        res = PQexecParams(conn, sql, params->n, params->types, params->values,
                           NULL, NULL, 0);
    else
        res = PQexec(conn, sql);
    if (PQresultStatus(res) != want) {
        fb_pg_error(conn, res, what, err, errlen);
        if (user_sql)
            hint_path(res, err, errlen);
        rc = fb_pg_status(conn, res);
        PQclear(res);
        res = NULL;
    }
    if (out != NULL)
        *out = res;
    else
        PQclear(res);
    return rc;
}

int
fb_pg_exec(PGconn *conn, const char *sql, const struct fb_pg_params *params,
           ExecStatusType want, const char *what, PGresult **out, char *err,
           size_t errlen)
{
    return exec_sql(conn, sql, params, want, what, false, out, err, errlen);
}

int
fb_pg_exec_user(PGconn *conn, const char *sql,
                const struct fb_pg_params *params, ExecStatusType want,
                const char *what, PGresult **out, char *err, size_t errlen)
{
    return exec_sql(conn, sql, params, want, what, true, out, err, errlen);
}

void
fb_pg_error_user(PGconn *conn, const PGresult *res, const char *what, char *err,
                 size_t errlen)
{
    fb_pg_error(conn, res, what, err, errlen);
    hint_path(res, err, errlen);
}

void
fb_pg_error(PGconn *conn, const PGresult *res, const char *what, char *err,
            size_t errlen)
{
    const char *msg = NULL;

    /* The primary message alone: DETAIL, HINT and the LINE excerpt
     * would make several lines of one. */
    if (res != NULL)
        msg = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
    if ((msg == NULL || msg[0] == '\0') && res != NULL)
        msg = PQresultErrorMessage(res); /* libpq's own, on the result */
    if (msg == NULL || msg[0] == '\0')
        msg = PQerrorMessage(conn);
    if (msg[0] == '\0' && res != NULL)
        msg = PQresStatus(PQresultStatus(res)); /* not an error: unexpected */
    snprintf(err, errlen, "%s: %s", what, msg);
    fb_pg_flatten(err);
}

static bool
sqlstate_class(const char *st, const char *cls)
{
    return strncmp(st, cls, 2) == 0;
}

int
fb_pg_status(PGconn *conn, const PGresult *res)
{
    ExecStatusType rs = PQresultStatus(res);
    const char *st =
        res != NULL ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;

    if (PQstatus(conn) == CONNECTION_BAD)
        return FB_EXIT_UNAVAILABLE;
    if (res != NULL && rs != PGRES_FATAL_ERROR && rs != PGRES_NONFATAL_ERROR &&
        rs != PGRES_BAD_RESPONSE)
        return FB_EXIT_SOFTWARE; /* a result, just not the one expected */
    if (st == NULL)
        return FB_EXIT_UNAVAILABLE; /* libpq's own: the connection */
    if (sqlstate_class(st, "08") || sqlstate_class(st, "57") ||
        sqlstate_class(st, "53"))
        return FB_EXIT_UNAVAILABLE;
    if (sqlstate_class(st, "42") || sqlstate_class(st, "22") ||
        sqlstate_class(st, "0A") || sqlstate_class(st, "3F"))
        return FB_EXIT_CONFIG;
    return FB_EXIT_SOFTWARE;
}

int
fb_pg_quote_name(PGconn *conn, const char *schema, const char *name, char **out,
                 char *err, size_t errlen)
{
    bool has_schema = schema != NULL && schema[0] != '\0';
    char *qs = NULL;
    char *qn = NULL;
    size_t n;
    int rc = FB_EXIT_CONFIG;

    *out = NULL;
    if (has_schema &&
        (qs = PQescapeIdentifier(conn, schema, strlen(schema))) == NULL) {
        fb_pg_error(conn, NULL, "cannot quote a schema name", err, errlen);
        goto out;
    }
    if ((qn = PQescapeIdentifier(conn, name, strlen(name))) == NULL) {
        fb_pg_error(conn, NULL, "cannot quote a name", err, errlen);
        goto out;
    }
    n = strlen(qn) + (qs != NULL ? strlen(qs) + 1 : 0) + 1;
    if ((*out = malloc(n)) == NULL) {
        snprintf(err, errlen, "out of memory");
        rc = FB_EXIT_OSERR;
        goto out;
    }
    snprintf(*out, n, "%s%s%s", qs != NULL ? qs : "", qs != NULL ? "." : "",
             qn);
    rc = 0;
out:
    PQfreemem(qs);
    PQfreemem(qn);
    return rc;
}

/*
 * One part of a qualified name at *pp: quoted ("..." with "" for a
 * quote), as PostgreSQL reads a quoted identifier; else up to the next
 * dot, as written.  *pp is left on the dot or the end.
 */
static int
name_part(const char **pp, const char *table, char **out, char *err,
          size_t errlen)
{
    const char *p = *pp;
    const char *why = NULL;
    char *s = malloc(strlen(p) + 1);
    size_t n = 0;

    if (s == NULL) {
        snprintf(err, errlen, "out of memory");
        return FB_EXIT_OSERR;
    }
    if (*p == '"') {
        for (p++; *p != '\0' && (*p != '"' || p[1] == '"'); p++) {
            if (*p == '"')
                p++; /* "" is one quote */
            s[n++] = *p;
        }
        if (*p == '\0')
            why = "a quoted name has no closing quote";
        else if (*++p != '.' && *p != '\0')
            why = "text after a closing quote";
    } else {
        for (; *p != '\0' && *p != '.'; p++)
            s[n++] = *p;
    }
    if (why == NULL && n == 0)
        why = "an empty name";
    if (why != NULL) {
        snprintf(err, errlen, "table name [%s]: %s", table, why);
        free(s);
        return FB_EXIT_CONFIG;
    }
    s[n] = '\0';
    *out = s;
    *pp = p;
    return 0;
}

int
fb_pg_split_table(const char *table, char **schema, char **name, char *err,
                  size_t errlen)
{
    const char *p = table;
    char *first = NULL;
    int rc = name_part(&p, table, &first, err, errlen);

    *schema = NULL;
    *name = NULL;
    if (rc != 0)
        return rc;
    if (*p == '\0') {
        *name = first;
        return 0;
    }
    p++; /* the dot */
    rc = name_part(&p, table, name, err, errlen);
    if (rc == 0 && *p != '\0') {
        snprintf(err, errlen, "table name [%s]: more parts than schema.table",
                 table);
        rc = FB_EXIT_CONFIG;
    }
    if (rc != 0) {
        free(first);
        free(*name);
        *name = NULL;
        return rc;
    }
    *schema = first;
    return 0;
}

int
fb_pg_quote_table(PGconn *conn, const char *table, char **out, char *err,
                  size_t errlen)
{
    char *schema = NULL;
    char *name = NULL;
    int rc = fb_pg_split_table(table, &schema, &name, err, errlen);

    *out = NULL;
    if (rc == 0)
        rc = fb_pg_quote_name(conn, schema, name, out, err, errlen);
    free(schema);
    free(name);
    return rc;
}

int
fb_pg_int8(const char *text, int64_t *out)
{
    char *end = NULL;
    long long v;

    errno = 0;
    v = strtoll(text, &end, 10);
    if (errno != 0 || end == text || *end != '\0')
        return -1;
    *out = v;
    return 0;
}

void
fb_pg_flatten(char *s)
{
    char *w = s;
    const char *r = s;

    for (; *r != '\0'; r++) {
        if (*r == '\n' || *r == '\t' || *r == '\r') {
            if (w > s && w[-1] != ' ')
                *w++ = ' ';
            continue;
        }
        *w++ = *r;
    }
    while (w > s && w[-1] == ' ')
        w--;
    *w = '\0';
}

void
fb_pg_format_us(int64_t us, char *out, size_t cap)
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

/* libpq's own test (recognized_connection_string() in fe-connect.c): with
 * expand_dbname, which fb_pg_connect() uses, a string that is not a URI
 * and holds no '=' is a database name, not a conninfo. */
static bool
is_conninfo(const char *s)
{
    return strncmp(s, "postgresql://", 13) == 0 ||
           strncmp(s, "postgres://", 11) == 0 || strchr(s, '=') != NULL;
}

int
fb_pg_conninfo_has_password(const char *conninfo, bool *has, char *err,
                            size_t errlen)
{
    PQconninfoOption *opts = NULL;
    char *msg = NULL;

    *has = false;
    if (conninfo == NULL || !is_conninfo(conninfo))
        return 0;
    opts = PQconninfoParse(conninfo, &msg);
    if (opts == NULL && msg == NULL) {
        snprintf(err, errlen, "out of memory");
        return FB_EXIT_OSERR;
    }
    if (opts == NULL) {
        snprintf(err, errlen, "%s", msg);
        fb_pg_flatten(err);
        PQfreemem(msg);
        return FB_EXIT_USAGE;
    }
    for (const PQconninfoOption *o = opts; o->keyword != NULL; o++)
        if (strcmp(o->keyword, "password") == 0 && o->val != NULL &&
            o->val[0] != '\0')
            *has = true;
    PQconninfoFree(opts);
    return 0;
}
