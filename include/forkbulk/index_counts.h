/*
 * index_counts.h
 *    Documents loaded per index, when documents name their own index
 *    (--time-field: each record goes to its hour's index).
 *
 * A bounded table of index names and counts.  A worker keeps one per
 * range, filled as the cluster answers, and reports it before its DONE
 * (one FB_MSG_INDEX_COUNT frame per index, proto.h); the parent adds a
 * range's reports to its unit's table when the range is DONE, so a range
 * whose worker died is counted once, by its next attempt; the summary
 * lists the run's table.
 *
 * The table holds at most `max` names, so its memory is bounded whatever
 * a file spans: documents of an index past that are counted as unlisted
 * (a name the table cannot allocate too), and the summary says how many.
 * Adding to the index last added to costs one comparison: records of one
 * hour usually come together.
 */
#ifndef FORKBULK_INDEX_COUNTS_H
#define FORKBULK_INDEX_COUNTS_H

#include <stddef.h>
#include <stdint.h>

/* The cap of every table forkbulk keeps: 416 days of hourly indices. */
#define FB_INDEX_COUNTS_MAX 10000

struct fb_index_counts;

/* An empty table of at most max names (max >= 1); NULL when out of
 * memory.  It allocates as names come. */
struct fb_index_counts *fb_index_counts_new(size_t max);

void fb_index_counts_free(struct fb_index_counts *t);

/* Forgets every name and count; keeps the memory. */
void fb_index_counts_clear(struct fb_index_counts *t);

/* Adds n documents to the index name[0..len) (no NUL needed, len > 0).
 * A new name past the table's max goes to the unlisted count. */
void fb_index_counts_add(struct fb_index_counts *t, const char *name,
                         size_t len, uint64_t n);

/* Adds n documents of indices not in the table. */
void fb_index_counts_add_unlisted(struct fb_index_counts *t, uint64_t n);

/* Adds every count of from to to (from unchanged). */
void fb_index_counts_merge(struct fb_index_counts *to,
                           const struct fb_index_counts *from);

/* Names in the table. */
size_t fb_index_counts_size(const struct fb_index_counts *t);

/* Name i (i < size), NUL-terminated, and its count in *n; in the order
 * the names came, or by name after fb_index_counts_sort(). */
const char *fb_index_counts_get(const struct fb_index_counts *t, size_t i,
                                uint64_t *n);

/* Documents of indices not in the table. */
uint64_t fb_index_counts_unlisted(const struct fb_index_counts *t);

/* Orders the names bytewise (hourly names: by time). */
void fb_index_counts_sort(struct fb_index_counts *t);

#endif
