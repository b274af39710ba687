/*
 * pg_check.h
 *    --check for the PostgreSQL source (check.h): can the hourly job
 *    connect, read its source's rows and use its ledger?
 *
 * The source is read as a load would read it, in a read-only
 * transaction, with LIMIT 0 (no row is fetched): the window SQL of
 * pg_spec.h, so the time column, the table's privileges and a --query's
 * names are all checked.  The ledger is opened read-only
 * (fb_ledger_open_read_only(): missing tables must be creatable, ready
 * ones usable), so nothing is created or written.  No lock is taken.
 */
#ifndef FORKBULK_PG_CHECK_H
#define FORKBULK_PG_CHECK_H

#include <stdio.h>

#include "forkbulk/options.h"

/* The source's --check lines; 0 or the exit code of the first failure
 * (69 PostgreSQL unreachable, 78 a table, column, query or privilege). */
int fb_pg_check(const struct fb_options *opts, FILE *out);

#endif
