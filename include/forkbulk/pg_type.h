/*
 * pg_type.h
 *    What each PostgreSQL type renders as (pg_render.h's struct
 *    fb_pg_type), decided from the catalog once per type, in a worker,
 *    never per value and never by a type's name.
 *
 * A cache of the types one connection met, keyed by type OID.
 * fb_pg_types_load() asks the catalog in one query about the types given
 * and every type they are made of, and builds what is not known yet:
 *   domain (typtype d)        its base type, all the way down (also as
 *                             an array's element or an attribute)
 *   array (typoutput array_out)  ARRAY of its element, whatever that is,
 *                             split at the element's typdelim
 *   composite (c)             COMPOSITE of its attributes (pg_attribute,
 *                             attnum order, dropped ones left out)
 *   range (r)                 RANGE of its subtype (pg_range)
 *   multirange (m)            MULTIRANGE of its range
 *   enum (e), pseudo (p)      STRING
 *   base (b)                  PostgreSQL's own by OID, fixed across
 *                             releases (pg_type.dat): bool BOOL; int2,
 *                             int4, int8, oid INT; float4, float8 FLOAT;
 *                             numeric NUMERIC; money MONEY; date DATE;
 *                             timestamp TIMESTAMP; timestamptz
 *                             TIMESTAMPTZ; json, jsonb JSON; bytea BYTEA;
 *                             any other, an extension's included: STRING
 * So a user-defined type is rendered by what it is made of.  The cache
 * lives as long as the reader: a type altered during a run is seen as it
 * was when the run first met it.
 */
#ifndef FORKBULK_PG_TYPE_H
#define FORKBULK_PG_TYPE_H

#include <stddef.h>

#include <libpq-fe.h>

#include "forkbulk/pg_render.h"

struct fb_pg_types;

/* An empty cache; NULL when out of memory. */
struct fb_pg_types *fb_pg_types_new(void);

/*
 * Makes every type of oids[0..n) known: one catalog query for those not
 * known yet, none when all are.  0, or an exit code of pg_conn.h with err
 * = "types: <message>" (a lost connection: 69).
 */
int fb_pg_types_load(struct fb_pg_types *c, PGconn *conn, const Oid *oids,
                     int n, char *err, size_t errlen);

/* How values of type oid render, or NULL if it was never loaded.  Valid
 * until fb_pg_types_free(). */
const struct fb_pg_type *fb_pg_types_get(const struct fb_pg_types *c, Oid oid);

/* Frees the cache and every type in it; NULL does nothing. */
void fb_pg_types_free(struct fb_pg_types *c);

#endif
