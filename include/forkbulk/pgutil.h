/*
 * pgutil.h
 *    Small helpers shared by the modules that talk to PostgreSQL.
 */
#ifndef FORKBULK_PGUTIL_H
#define FORKBULK_PGUTIL_H

/*
 * libpq's messages span lines ("...failed: Connection refused\n\tIs the
 * server running..."); log lines must not.  Joins them in place with one
 * space and drops trailing blanks.
 */
void fb_pg_flatten(char *s);

#endif
