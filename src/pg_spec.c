/*
 * pg_spec.c
 *    The PostgreSQL source's spec, from the options, and what the planner
 *    and the readers derive from it alike: the source session, the window
 *    SQL, ids and the split key (see pg_spec.h).
 */
#include "forkbulk/pg_spec.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "forkbulk/hours.h"
#include "forkbulk/log.h"
#include "forkbulk/status.h"

/* Room for "<what>: <PostgreSQL's message>" in a log line. */
#define ERR_MAX 1024

int
fb_pg_spec_session(const struct fb_pg_spec *spec, const char *application_name,
                   const char *settings, PGconn **out, char **qtable, char *err,
                   size_t errlen)
{
    struct fb_pg_target target = {spec->conninfo, spec->password};
    char why[ERR_MAX];
    int rc;

    *out = NULL;
    *qtable = NULL;
    if ((spec->table == NULL) == (spec->query == NULL)) {
        snprintf(err, errlen,
                 "PostgreSQL source: give either a table or a query");
        return FB_EXIT_CONFIG;
    }
    rc = fb_pg_connect_unpinned(&target, application_name,
                                "cannot connect to PostgreSQL", out, err,
                                errlen);
    if (rc != 0)
        return rc;
    /* The role's own search_path finds the table, once; from then on the
     * session names it by schema, under the pinned path. */
    if (spec->table != NULL &&
        (rc = fb_pg_resolve_table(*out, spec->table, qtable, why,
                                  sizeof why)) != 0)
        snprintf(err, errlen, "PostgreSQL: %.*s", (int)(sizeof why - 16), why);
    else if ((rc = fb_pg_pin(*out, settings, "cannot connect to PostgreSQL",
                             err, errlen)) == 0)
        return 0;
    PQfinish(*out);
    *out = NULL;
    free(*qtable);
    *qtable = NULL;
    return rc;
}

int
fb_pg_spec_connect(const struct fb_pg_spec *spec, const char *application_name,
                   const char *settings, PGconn **out,
                   struct fb_pg_resolved *src)
{
    char err[ERR_MAX];
    int rc;

    memset(src, 0, sizeof *src);
    rc = fb_pg_spec_session(spec, application_name, settings, out, &src->qtable,
                            err, sizeof err);
    if (rc != 0)
        fb_error("%s", err);
    return rc;
}

int
fb_pg_spec_exec(PGconn *conn, const char *sql,
                const struct fb_pg_params *params, ExecStatusType want,
                const char *what, PGresult **out)
{
    char err[ERR_MAX];
    int rc = fb_pg_exec(conn, sql, params, want, what, out, err, sizeof err);

    if (rc != 0)
        fb_error("PostgreSQL: %s", err);
    return rc;
}

int
fb_pg_spec_failed(PGconn *conn, const PGresult *res, const char *what)
{
    char err[ERR_MAX];

    fb_pg_error(conn, res, what, err, sizeof err);
    fb_error("PostgreSQL: %s", err);
    return fb_pg_status(conn, res);
}

int
fb_pg_spec_window_run(PGconn *conn, const char *qtable, const char *sql,
                      const struct fb_pg_params *params, ExecStatusType want,
                      const char *what, PGresult **out, char *err,
                      size_t errlen)
{
    if (qtable == NULL)
        return fb_pg_exec_user(conn, sql, params, want, what, out, err, errlen);
    return fb_pg_exec(conn, sql, params, want, what, out, err, errlen);
}

int
fb_pg_spec_window_exec(PGconn *conn, const struct fb_pg_resolved *src,
                       const char *sql, const struct fb_pg_params *params,
                       ExecStatusType want, const char *what, PGresult **out)
{
    char err[ERR_MAX];
    int rc = fb_pg_spec_window_run(conn, src->qtable, sql, params, want, what,
                                   out, err, sizeof err);

    if (rc != 0)
        fb_error("PostgreSQL: %s", err);
    return rc;
}

int
fb_pg_spec_window_failed(PGconn *conn, const struct fb_pg_resolved *src,
                         const PGresult *res, const char *what)
{
    char err[ERR_MAX];

    if (src->qtable == NULL)
        fb_pg_error_user(conn, res, what, err, sizeof err);
    else
        fb_pg_error(conn, res, what, err, sizeof err);
    fb_error("PostgreSQL: %s", err);
    return fb_pg_status(conn, res);
}

void
fb_pg_spec_window_params(const struct fb_pg_window *win,
                         struct fb_pg_window_params *wp)
{
    fb_pg_format_us(win->start_us, wp->start, sizeof wp->start);
    fb_pg_format_us(win->end_us, wp->end, sizeof wp->end);
    wp->vals[0] = wp->start;
    wp->vals[1] = wp->end;
    wp->types[0] = wp->types[1] = FB_PG_OID_TIMESTAMPTZ;
    wp->params.n = 2;
    wp->params.values = wp->vals;
    wp->params.types = wp->types;
}

/* The query as a subquery: a trailing ';' is natural in SQL but breaks
 * it. */
static char *
query_sql(const char *query)
{
    size_t qlen = strlen(query);
    size_t n;
    char *sql = NULL;

    while (qlen > 0 && strchr("; \n\t", query[qlen - 1]) != NULL)
        qlen--;
    n = qlen + 64;
    if ((sql = malloc(n)) != NULL)
        snprintf(sql, n, "SELECT * FROM (%.*s\n) AS fb_q WHERE true", (int)qlen,
                 query);
    return sql;
}

int
fb_pg_spec_window_sql(PGconn *conn, const struct fb_pg_spec *spec,
                      const char *qtable, const char *columns, char **sql,
                      char *err, size_t errlen)
{
    char *qc = NULL;
    size_t n;
    int rc;

    *sql = NULL;
    if (spec->query != NULL) {
        if ((*sql = query_sql(spec->query)) == NULL)
            goto oom;
        return 0;
    }
    if (spec->time_column == NULL) {
        snprintf(err, errlen,
                 "PostgreSQL source: table [%s] needs a time column",
                 spec->table);
        return FB_EXIT_CONFIG;
    }
    rc = fb_pg_quote_name(conn, NULL, spec->time_column, &qc, err, errlen);
    if (rc != 0)
        return rc;
    if (columns == NULL)
        columns = "*";
    n = strlen(columns) + strlen(qtable) + 2 * strlen(qc) + 96;
    if ((*sql = malloc(n)) != NULL)
        snprintf(*sql, n,
                 "SELECT %s FROM %s WHERE %s OPERATOR(pg_catalog.>=) $1"
                 " AND %s OPERATOR(pg_catalog.<) $2",
                 columns, qtable, qc, qc);
    free(qc);
    if (*sql != NULL)
        return 0;
oom:
    snprintf(err, errlen, "out of memory");
    return FB_EXIT_OSERR;
}

/* Splits "a, b" into names. */
static int
split_names(const char *list, struct fb_pg_ids *ids)
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

static void
ids_free(struct fb_pg_ids *ids)
{
    int i;

    for (i = 0; i < ids->n; i++)
        free(ids->names[i]);
    free(ids->names);
    ids->names = NULL;
    ids->n = 0;
    ids->mode = FB_PG_ID_NONE;
}

/* The table's primary key columns in key order (none: n = 0), and the
 * type of the first. */
static int
primary_key(PGconn *conn, const char *qtable, struct fb_pg_ids *pk,
            Oid *first_type)
{
    static const char sql[] =
        "SELECT a.attname, a.atttypid::pg_catalog.int8"
        " FROM pg_catalog.pg_index i JOIN pg_catalog.pg_attribute a"
        " ON a.attrelid OPERATOR(pg_catalog.=) i.indrelid"
        " AND a.attnum OPERATOR(pg_catalog.=) ANY (i.indkey)"
        " WHERE i.indrelid OPERATOR(pg_catalog.=) $1::pg_catalog.regclass"
        " AND i.indisprimary ORDER BY"
        " pg_catalog.array_position(i.indkey::pg_catalog.int2[], a.attnum)";
    const char *vals[1] = {qtable};
    struct fb_pg_params params = {1, vals, NULL};
    PGresult *res = NULL;
    int rc;
    int i;

    rc = fb_pg_spec_exec(conn, sql, &params, PGRES_TUPLES_OK, "primary key",
                         &res);
    if (rc != 0 || PQntuples(res) == 0)
        goto out;
    pk->names = calloc((size_t)PQntuples(res), sizeof *pk->names);
    if (pk->names == NULL) {
        rc = FB_EXIT_SOFTWARE;
        goto out;
    }
    for (i = 0; i < PQntuples(res); i++) {
        pk->names[i] = strdup(PQgetvalue(res, i, 0));
        if (pk->names[i] == NULL) {
            rc = FB_EXIT_SOFTWARE;
            goto out;
        }
        pk->n++;
    }
    *first_type = (Oid)strtoul(PQgetvalue(res, 0, 1), NULL, 10);
out:
    PQclear(res);
    return rc;
}

/* The ids the options ask for: one column, a hash of several, or (mode
 * NONE) none asked. */
static int
asked_ids(const struct fb_pg_spec *spec, struct fb_pg_ids *ids)
{
    if (spec->id_column != NULL) {
        ids->mode = FB_PG_ID_COLUMN;
        if (split_names(spec->id_column, ids) != 0 || ids->n != 1) {
            fb_error("bad id column [%s]", spec->id_column);
            return FB_EXIT_CONFIG;
        }
    } else if (spec->id_columns != NULL) {
        ids->mode = FB_PG_ID_HASH;
        if (split_names(spec->id_columns, ids) != 0) {
            fb_error("bad id columns [%s]", spec->id_columns);
            return FB_EXIT_CONFIG;
        }
    }
    return 0;
}

/* A table source: ids from the primary key when none were asked for; a
 * one-column integer primary key is the split key by default. */
static int
table_keys(PGconn *conn, const struct fb_pg_spec *spec,
           struct fb_pg_resolved *src)
{
    struct fb_pg_ids pk = {FB_PG_ID_NONE, 0, NULL};
    Oid pk_type = 0;
    int rc = primary_key(conn, src->qtable, &pk, &pk_type);

    if (rc != 0)
        goto out;
    if (spec->split_column == NULL && pk.n == 1 && fb_pg_spec_is_int(pk_type) &&
        (src->split_key = strdup(pk.names[0])) == NULL) {
        rc = FB_EXIT_SOFTWARE;
        goto out;
    }
    if (src->ids.mode == FB_PG_ID_NONE && pk.n > 0) {
        src->ids = pk;
        src->ids.mode = pk.n == 1 ? FB_PG_ID_COLUMN : FB_PG_ID_HASH;
        pk.n = 0;
        pk.names = NULL;
    }
out:
    ids_free(&pk);
    return rc;
}

/* The cast a column of type t is read with, or NULL: money's text
 * follows lc_monetary, numeric's does not (and the cast keeps every
 * digit). */
static const char *
column_cast(const struct fb_pg_type *t)
{
    if (t->kind == FB_PG_KIND_MONEY)
        return "pg_catalog.numeric";
    if (t->kind == FB_PG_KIND_ARRAY && t->elem->kind == FB_PG_KIND_MONEY)
        return "pg_catalog.numeric[]";
    return NULL;
}

/* Appends one column of the select list: "c" or "c"::cast AS "c". */
static int
add_column(PGconn *conn, const char *name, const char *cast, char **list,
           size_t *len, char *err, size_t errlen)
{
    char *q = NULL;
    char *grown = NULL;
    size_t n;
    int rc = fb_pg_quote_name(conn, NULL, name, &q, err, errlen);

    if (rc != 0)
        return rc;
    n = *len + 2 * strlen(q) + (cast != NULL ? strlen(cast) : 0) + 16;
    if ((grown = realloc(*list, n)) == NULL) {
        free(q);
        snprintf(err, errlen, "out of memory");
        return FB_EXIT_OSERR;
    }
    *list = grown;
    *len += (size_t)snprintf(grown + *len, n - *len, "%s%s",
                             *len > 0 ? ", " : "", q);
    if (cast != NULL)
        *len += (size_t)snprintf(grown + *len, n - *len, "::%s AS %s", cast, q);
    free(q);
    return 0;
}

/* Logs the columns of a table_columns() result the role may not read,
 * with the GRANT that would let it; how many. */
static int
denied_columns(const PGresult *res, const char *qtable)
{
    char names[ERR_MAX] = "";
    char grant[ERR_MAX] = "";
    size_t n = 0, g = 0;
    int denied = 0;
    int i;

    for (i = 0; i < PQntuples(res); i++) {
        if (PQgetvalue(res, i, 2)[0] == 't')
            continue;
        if (n < sizeof names)
            n +=
                (size_t)snprintf(names + n, sizeof names - n, "%s[%s]",
                                 denied > 0 ? ", " : "", PQgetvalue(res, i, 0));
        if (g < sizeof grant)
            g +=
                (size_t)snprintf(grant + g, sizeof grant - g, "%s%s",
                                 denied > 0 ? ", " : "", PQgetvalue(res, i, 3));
        denied++;
    }
    if (denied > 0)
        fb_error("PostgreSQL: role %s lacks SELECT on column%s %s of table %s "
                 "(GRANT SELECT (%s) ON %s TO %s)",
                 PQgetvalue(res, 0, 4), denied > 1 ? "s" : "", names, qtable,
                 grant, qtable, PQgetvalue(res, 0, 4));
    return denied;
}

/* A table's columns, in order: each readable by the role, their types
 * known, and the select list if money needs a cast. */
static int
table_columns(PGconn *conn, struct fb_pg_resolved *src)
{
    static const char sql[] =
        "SELECT a.attname, a.atttypid,"
        " pg_catalog.has_column_privilege(a.attrelid, a.attnum, 'SELECT'),"
        " pg_catalog.quote_ident(a.attname),"
        " pg_catalog.quote_ident(CURRENT_USER)"
        " FROM pg_catalog.pg_attribute a"
        " WHERE a.attrelid OPERATOR(pg_catalog.=) $1::pg_catalog.regclass"
        " AND a.attnum OPERATOR(pg_catalog.>) 0 AND NOT a.attisdropped"
        " ORDER BY a.attnum";
    const char *vals[1] = {src->qtable};
    struct fb_pg_params params = {1, vals, NULL};
    char err[ERR_MAX];
    PGresult *res = NULL;
    Oid *oids = NULL;
    size_t len = 0;
    bool cast = false;
    int rc =
        fb_pg_spec_exec(conn, sql, &params, PGRES_TUPLES_OK, "columns", &res);
    int i;

    if (rc != 0)
        return rc;
    if (denied_columns(res, src->qtable) > 0) {
        rc = FB_EXIT_CONFIG;
        goto out;
    }
    if ((oids = calloc((size_t)PQntuples(res) + 1, sizeof *oids)) == NULL) {
        rc = FB_EXIT_OSERR;
        goto out;
    }
    for (i = 0; i < PQntuples(res); i++)
        oids[i] = (Oid)strtoul(PQgetvalue(res, i, 1), NULL, 10);
    rc = fb_pg_types_load(src->types, conn, oids, PQntuples(res), err,
                          sizeof err);
    for (i = 0; rc == 0 && i < PQntuples(res); i++)
        cast =
            cast || column_cast(fb_pg_types_get(src->types, oids[i])) != NULL;
    for (i = 0; rc == 0 && cast && i < PQntuples(res); i++)
        rc = add_column(conn, PQgetvalue(res, i, 0),
                        column_cast(fb_pg_types_get(src->types, oids[i])),
                        &src->columns, &len, err, sizeof err);
    if (rc != 0)
        fb_error("PostgreSQL: %s", err);
out:
    free(oids);
    PQclear(res);
    return rc;
}

int
fb_pg_spec_resolve(PGconn *conn, const struct fb_pg_spec *spec,
                   struct fb_pg_resolved *src)
{
    char err[ERR_MAX];
    int rc;

    if (spec->split_column != NULL &&
        (src->split_key = strdup(spec->split_column)) == NULL)
        return FB_EXIT_SOFTWARE;
    if ((src->types = fb_pg_types_new()) == NULL)
        return FB_EXIT_OSERR;
    if (src->qtable != NULL && (rc = table_columns(conn, src)) != 0)
        return rc;
    rc = fb_pg_spec_window_sql(conn, spec, src->qtable, src->columns, &src->sql,
                               err, sizeof err);
    if (rc != 0) {
        fb_error("%s", err);
        return rc;
    }
    rc = asked_ids(spec, &src->ids);
    if (rc == 0 && src->qtable != NULL)
        rc = table_keys(conn, spec, src);
    return rc;
}

void
fb_pg_spec_free(struct fb_pg_resolved *src)
{
    free(src->sql);
    free(src->qtable);
    free(src->split_key);
    free(src->columns);
    fb_pg_types_free(src->types);
    ids_free(&src->ids);
    memset(src, 0, sizeof *src);
}

bool
fb_pg_spec_is_int(Oid type)
{
    return type == FB_PG_OID_INT2 || type == FB_PG_OID_INT4 ||
           type == FB_PG_OID_INT8;
}

const char *
fb_pg_source_name(const struct fb_options *opts)
{
    return opts->table != NULL ? opts->table : "query";
}

int
fb_pg_spec_from_options(const struct fb_options *opts, struct fb_pg_spec *spec,
                        char *err, size_t errlen)
{
    const char *split = opts->split;

    memset(spec, 0, sizeof(*spec));
    spec->conninfo = opts->pg != NULL ? opts->pg : "";
    spec->password = opts->pg_password;
    spec->table = opts->table;
    spec->time_column = opts->time_column;
    spec->query = opts->query;
    spec->id_column = opts->id_column;
    spec->id_columns = opts->id_columns;
    spec->null_as_null = opts->pg_null;
    spec->infinity_as_null = opts->pg_infinity == FB_PG_INFINITY_NULL;
    spec->max_doc_bytes = opts->max_record_bytes;
    spec->ranges_per_worker = 16;
    if (strcmp(split, "auto") == 0) {
        spec->split = FB_PG_SPLIT_AUTO;
    } else if (strcmp(split, "ctid") == 0) {
        spec->split = FB_PG_SPLIT_CTID;
    } else if (strncmp(split, "key:", 4) == 0 && split[4] != '\0') {
        spec->split = FB_PG_SPLIT_KEY;
        spec->split_column = split + 4;
    } else if (strncmp(split, "time:", 5) == 0) {
        char why[128];

        spec->split = FB_PG_SPLIT_TIME;
        if (fb_hours_parse_duration(split + 5, &spec->split_us, why,
                                    sizeof(why)) < 0 ||
            spec->split_us <= 0) {
            snprintf(err, errlen, "--split %s: %s", split, why);
            return -1;
        }
    } else {
        snprintf(err, errlen,
                 "--split must be auto, ctid, key:COLUMN or time:DURATION, "
                 "not '%s'",
                 split);
        return -1;
    }
    if (opts->id_column != NULL && opts->id_columns != NULL) {
        snprintf(err, errlen,
                 "--id-column and --id-columns exclude each "
                 "other");
        return -1;
    }
    return 0;
}
