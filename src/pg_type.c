/*
 * pg_type.c
 *    The catalog's word on each type a source's columns have, as the
 *    renderer's struct fb_pg_type (see pg_type.h).
 *
 * One recursive query walks from the columns' types to everything they
 * are made of and returns one row per type, each composite's attributes
 * in rows right after it; building the descriptors from those rows is
 * plain C, with the cache as the memo.
 */
#include "forkbulk/pg_type.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "forkbulk/pg_conn.h"
#include "forkbulk/status.h"

/* Composites in composites in arrays...: deeper than this is taken for a
 * broken catalog rather than followed. */
#define MAX_DEPTH 64

/* The types reachable from $1 (oid[]), with what the descriptors need:
 * oid, typtype ('a' for an attribute row), is an array, base type,
 * element (an attribute's type), typdelim, a range's subtype or a
 * multirange's range, attname, attnum.  Sorted by oid, then attnum, so
 * a composite's attributes follow it in order. */
static const char types_sql[] =
    "WITH RECURSIVE ty(oid) AS ("
    " SELECT pg_catalog.unnest($1::pg_catalog.oid[])"
    " UNION"
    " SELECT c.child FROM ty JOIN pg_catalog.pg_type t"
    "  ON t.oid OPERATOR(pg_catalog.=) ty.oid"
    " CROSS JOIN LATERAL ("
    "  SELECT t.typbasetype WHERE t.typtype OPERATOR(pg_catalog.=) 'd'"
    "  UNION ALL SELECT t.typelem WHERE t.typoutput OPERATOR(pg_catalog.=)"
    "   'pg_catalog.array_out'::pg_catalog.regproc"
    "  UNION ALL SELECT r.rngsubtype FROM pg_catalog.pg_range r"
    "   WHERE r.rngtypid OPERATOR(pg_catalog.=) t.oid"
    "  UNION ALL SELECT r.rngtypid FROM pg_catalog.pg_range r"
    "   WHERE r.rngmultitypid OPERATOR(pg_catalog.=) t.oid"
    "  UNION ALL SELECT a.atttypid FROM pg_catalog.pg_attribute a"
    "   WHERE a.attrelid OPERATOR(pg_catalog.=) t.typrelid"
    "   AND t.typtype OPERATOR(pg_catalog.=) 'c'"
    "   AND a.attnum OPERATOR(pg_catalog.>) 0 AND NOT a.attisdropped"
    " ) AS c(child))"
    " SELECT t.oid, t.typtype::pg_catalog.text,"
    "  t.typoutput OPERATOR(pg_catalog.=)"
    "  'pg_catalog.array_out'::pg_catalog.regproc,"
    "  t.typbasetype, t.typelem, t.typdelim::pg_catalog.text,"
    "  COALESCE(r.rngsubtype, m.rngtypid, 0::pg_catalog.oid),"
    "  NULL::pg_catalog.name, 0::pg_catalog.int2"
    " FROM ty JOIN pg_catalog.pg_type t ON t.oid OPERATOR(pg_catalog.=) ty.oid"
    " LEFT JOIN pg_catalog.pg_range r"
    "  ON r.rngtypid OPERATOR(pg_catalog.=) t.oid"
    " LEFT JOIN pg_catalog.pg_range m"
    "  ON m.rngmultitypid OPERATOR(pg_catalog.=) t.oid"
    " UNION ALL"
    " SELECT t.oid, 'a', false, 0::pg_catalog.oid, a.atttypid, ',',"
    "  0::pg_catalog.oid, a.attname, a.attnum"
    " FROM ty JOIN pg_catalog.pg_type t ON t.oid OPERATOR(pg_catalog.=) ty.oid"
    " JOIN pg_catalog.pg_attribute a"
    "  ON a.attrelid OPERATOR(pg_catalog.=) t.typrelid"
    " WHERE t.typtype OPERATOR(pg_catalog.=) 'c'"
    "  AND a.attnum OPERATOR(pg_catalog.>) 0 AND NOT a.attisdropped"
    " ORDER BY 1, 9";

enum { C_OID, C_TYPTYPE, C_ARRAY, C_BASE, C_ELEM, C_DELIM, C_SUB, C_ATTNAME };

/* A type the cache knows: its own descriptor, or a domain's base's. */
struct entry {
    Oid oid;
    const struct fb_pg_type *type;
    struct fb_pg_type *own;     /* NULL for a domain */
    struct fb_pg_field *fields; /* a composite's, with their names */
    char *names;
};

struct fb_pg_types {
    struct entry *e;
    int n;
    int cap;
};

/* A type row of the query; a composite's attribute rows follow it. */
struct row {
    Oid oid;
    char typtype;
    bool array;
    Oid base, elem, sub;
    char delim;
    int attr; /* the result row of the first attribute */
    int nattrs;
};

/* One fb_pg_types_load(). */
struct load {
    struct fb_pg_types *c;
    const PGresult *res;
    struct row *rows;
    int nrows;
    char *err;
    size_t errlen;
};

struct fb_pg_types *
fb_pg_types_new(void)
{
    return calloc(1, sizeof(struct fb_pg_types));
}

const struct fb_pg_type *
fb_pg_types_get(const struct fb_pg_types *c, Oid oid)
{
    int i;

    for (i = 0; i < c->n; i++)
        if (c->e[i].oid == oid)
            return c->e[i].type;
    return NULL;
}

void
fb_pg_types_free(struct fb_pg_types *c)
{
    int i;

    if (c == NULL)
        return;
    for (i = 0; i < c->n; i++) {
        free(c->e[i].own);
        free(c->e[i].fields);
        free(c->e[i].names);
    }
    free(c->e);
    free(c);
}

/* PostgreSQL's own base types by OID (pg_type.dat); others: STRING. */
static enum fb_pg_kind
base_kind(Oid oid)
{
    switch (oid) {
    case 16:
        return FB_PG_KIND_BOOL;
    case 20: /* int8 */
    case 21: /* int2 */
    case 23: /* int4 */
    case 26: /* oid */
        return FB_PG_KIND_INT;
    case 700:
    case 701:
        return FB_PG_KIND_FLOAT;
    case 1700:
        return FB_PG_KIND_NUMERIC;
    case 790:
        return FB_PG_KIND_MONEY;
    case 1082:
        return FB_PG_KIND_DATE;
    case 1114:
        return FB_PG_KIND_TIMESTAMP;
    case 1184:
        return FB_PG_KIND_TIMESTAMPTZ;
    case 114:  /* json */
    case 3802: /* jsonb */
        return FB_PG_KIND_JSON;
    case 17:
        return FB_PG_KIND_BYTEA;
    default:
        return FB_PG_KIND_STRING;
    }
}

static Oid
oid_at(const PGresult *res, int i, int col)
{
    return (Oid)strtoul(PQgetvalue(res, i, col), NULL, 10);
}

static int
oom(struct load *ld)
{
    snprintf(ld->err, ld->errlen, "out of memory");
    return FB_EXIT_OSERR;
}

/* Adds oid to the cache; the cache owns what the entry owns. */
static int
add(struct load *ld, const struct entry *e)
{
    struct fb_pg_types *c = ld->c;

    if (c->n == c->cap) {
        int cap = c->cap > 0 ? 2 * c->cap : 16;
        struct entry *grown = realloc(c->e, (size_t)cap * sizeof *grown);

        if (grown == NULL) {
            free(e->own);
            free(e->fields);
            free(e->names);
            return oom(ld);
        }
        c->e = grown;
        c->cap = cap;
    }
    c->e[c->n++] = *e;
    return 0;
}

static const struct row *
find_row(const struct load *ld, Oid oid)
{
    int i;

    for (i = 0; i < ld->nrows; i++)
        if (ld->rows[i].oid == oid)
            return &ld->rows[i];
    return NULL;
}

static int resolve(struct load *ld, Oid oid, int depth,
                   const struct fb_pg_type **out);

/* A composite's attributes, named as their columns would be. */
static int
build_fields(struct load *ld, const struct row *row, int depth, struct entry *e)
{
    size_t total = 0;
    size_t off = 0;
    int i;

    for (i = 0; i < row->nattrs; i++) {
        size_t len = strlen(PQgetvalue(ld->res, row->attr + i, C_ATTNAME));

        total += len + 1 + FB_PG_RENDER_KEY_MAX(len);
    }
    e->fields = calloc((size_t)row->nattrs + 1, sizeof *e->fields);
    e->names = malloc(total + 1);
    if (e->fields == NULL || e->names == NULL)
        return oom(ld);
    for (i = 0; i < row->nattrs; i++) {
        const char *name = PQgetvalue(ld->res, row->attr + i, C_ATTNAME);
        Oid type = oid_at(ld->res, row->attr + i, C_ELEM);
        size_t len = strlen(name);
        struct fb_pg_field *f = &e->fields[i];
        int rc;

        memcpy(e->names + off, name, len + 1);
        f->name = e->names + off;
        off += len + 1;
        f->key = e->names + off;
        f->key_len = fb_pg_render_key(f->name, e->names + off,
                                      FB_PG_RENDER_KEY_MAX(len));
        off += f->key_len;
        if ((rc = resolve(ld, type, depth + 1, &f->type)) != 0)
            return rc;
    }
    e->own->nfields = row->nattrs;
    e->own->fields = e->fields;
    return 0;
}

/* The descriptor of a type that is not a domain. */
static int
build(struct load *ld, const struct row *row, int depth, struct entry *e)
{
    struct fb_pg_type *t = e->own;
    const struct row *elem = NULL;

    if (row->array) {
        if ((elem = find_row(ld, row->elem)) == NULL)
            goto missing;
        t->kind = FB_PG_KIND_ARRAY;
        t->delim = elem->delim;
        return resolve(ld, row->elem, depth + 1, &t->elem);
    }
    switch (row->typtype) {
    case 'c':
        t->kind = FB_PG_KIND_COMPOSITE;
        return build_fields(ld, row, depth, e);
    case 'r':
    case 'm':
        t->kind =
            row->typtype == 'r' ? FB_PG_KIND_RANGE : FB_PG_KIND_MULTIRANGE;
        if (row->sub == 0)
            goto missing;
        return resolve(ld, row->sub, depth + 1, &t->elem);
    case 'b':
        t->kind = base_kind(row->oid);
        return 0;
    default: /* enum, pseudo-types */
        t->kind = FB_PG_KIND_STRING;
        return 0;
    }
missing:
    snprintf(ld->err, ld->errlen, "types: type %u is incomplete in pg_type",
             row->oid);
    return FB_EXIT_SOFTWARE;
}

/* The descriptor of oid, from the cache or built from the rows. */
static int
resolve(struct load *ld, Oid oid, int depth, const struct fb_pg_type **out)
{
    const struct row *row = NULL;
    struct entry e;
    int rc;

    if ((*out = fb_pg_types_get(ld->c, oid)) != NULL)
        return 0;
    row = find_row(ld, oid);
    if (row == NULL || depth > MAX_DEPTH) {
        snprintf(ld->err, ld->errlen,
                 row == NULL ? "types: type %u is not in pg_type"
                             : "types: type %u is nested too deep",
                 oid);
        return FB_EXIT_SOFTWARE;
    }
    memset(&e, 0, sizeof e);
    e.oid = oid;
    if (row->typtype == 'd') {
        rc = resolve(ld, row->base, depth + 1, &e.type);
    } else if ((e.own = calloc(1, sizeof *e.own)) == NULL) {
        rc = oom(ld);
    } else {
        e.type = e.own;
        rc = build(ld, row, depth, &e);
    }
    if (rc != 0) {
        free(e.own);
        free(e.fields);
        free(e.names);
        return rc;
    }
    *out = e.type;
    return add(ld, &e);
}

/* The type rows of the result, each with its attribute rows. */
static int
read_rows(struct load *ld)
{
    const PGresult *res = ld->res;
    int i;

    ld->rows = calloc((size_t)PQntuples(res) + 1, sizeof *ld->rows);
    if (ld->rows == NULL)
        return oom(ld);
    for (i = 0; i < PQntuples(res); i++) {
        const char *typtype = PQgetvalue(res, i, C_TYPTYPE);
        struct row *row = &ld->rows[ld->nrows];

        if (typtype[0] == 'a') {
            if (ld->nrows > 0 && row[-1].oid == oid_at(res, i, C_OID))
                row[-1].nattrs++;
            continue;
        }
        row->oid = oid_at(res, i, C_OID);
        row->typtype = typtype[0];
        row->array = PQgetvalue(res, i, C_ARRAY)[0] == 't';
        row->base = oid_at(res, i, C_BASE);
        row->elem = oid_at(res, i, C_ELEM);
        row->sub = oid_at(res, i, C_SUB);
        row->delim = PQgetvalue(res, i, C_DELIM)[0];
        row->attr = i + 1;
        ld->nrows++;
    }
    return 0;
}

/* "{1,2,3}": the OIDs the cache does not know yet; *n of them. */
static char *
unknown_oids(const struct fb_pg_types *c, const Oid *oids, int n, int *count)
{
    char *list = malloc((size_t)n * 12 + 3);
    size_t pos = 0;
    int i;

    *count = 0;
    if (list == NULL)
        return NULL;
    list[pos++] = '{';
    for (i = 0; i < n; i++) {
        if (fb_pg_types_get(c, oids[i]) != NULL)
            continue;
        pos += (size_t)snprintf(list + pos, 12, "%s%u", *count > 0 ? "," : "",
                                oids[i]);
        (*count)++;
    }
    list[pos++] = '}';
    list[pos] = '\0';
    return list;
}

int
fb_pg_types_load(struct fb_pg_types *c, PGconn *conn, const Oid *oids, int n,
                 char *err, size_t errlen)
{
    struct load ld = {c, NULL, NULL, 0, err, errlen};
    PGresult *res = NULL;
    const char *vals[1] = {NULL};
    struct fb_pg_params params = {1, vals, NULL};
    const struct fb_pg_type *t = NULL;
    int count = 0;
    char *list = unknown_oids(c, oids, n, &count);
    int rc;
    int i;

    if (list == NULL)
        return oom(&ld);
    vals[0] = list;
    rc = count == 0 ? 0
                    : fb_pg_exec(conn, types_sql, &params, PGRES_TUPLES_OK,
                                 "types", &res, err, errlen);
    ld.res = res;
    if (rc == 0 && count > 0)
        rc = read_rows(&ld);
    for (i = 0; rc == 0 && count > 0 && i < n; i++)
        rc = resolve(&ld, oids[i], 0, &t);
    free(ld.rows);
    PQclear(res);
    free(list);
    return rc;
}
