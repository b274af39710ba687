/*
 * bulk.h
 *    A worker's one batch buffer: the NDJSON body of a _bulk request.
 *
 * The buffer is allocated once, with a byte limit and a document limit,
 * and never grows: a record that does not fit makes the caller send what
 * is there (FULL), and a record that would not fit even in an empty batch
 * is refused (TOO_LARGE), so a worker's memory is this buffer whatever
 * the input holds.
 *
 * Each record becomes two lines,
 *   {"index":{"_id":"<id>"}}\n      (or "create"; {"index":{}} without id)
 *   <source>\n
 * The target index is in the URL, not in every action line, unless a
 * record names its own (--time-field: the index of its hour); its action
 * line then carries it, {"index":{"_index":"<index>","_id":"<id>"}}, so
 * one batch may hold several indices.  Items are laid out in order with
 * no gaps, so items [i, j) are one contiguous slice of the body (halving
 * a batch after a 413 needs no copy), and fb_bulk_keep() compacts the
 * items to resend in place.
 */
#ifndef FORKBULK_BULK_H
#define FORKBULK_BULK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "forkbulk/eslimits.h"

enum fb_bulk_op {
    FB_BULK_INDEX,  /* create or overwrite: re-sending is idempotent */
    FB_BULK_CREATE, /* create only: an existing id answers 409 */
};

enum fb_bulk_result {
    FB_BULK_OK = 0,
    FB_BULK_FULL,      /* send the batch, reset, add the record again */
    FB_BULK_TOO_LARGE, /* larger than an empty batch: reject the record */
    FB_BULK_BAD_ID,    /* id longer than FB_ES_ID_MAX: reject it */
    FB_BULK_BAD_INDEX, /* index longer than FB_ES_INDEX_MAX: reject it */
};

/* Where an item came from and where it sits in the body. */
struct fb_bulk_item {
    uint64_t offset; /* byte offset of the record in its source */
    uint64_t line;   /* line number in the source (1-based; 0 unknown) */
    size_t pos;      /* first byte of its action line in the body */
    size_t len;      /* action line + source line, both '\n' included */
    size_t src;      /* where its source line starts, from pos */
    size_t index;    /* where its own _index value starts, from pos (its
                      * text as the action line has it); 0: none */
    size_t index_len;
};

struct fb_bulk;

/* NULL if a limit is 0 or on allocation failure. */
struct fb_bulk *fb_bulk_new(size_t max_bytes, size_t max_docs,
                            enum fb_bulk_op op);

void fb_bulk_free(struct fb_bulk *b);

/* Empties the batch (after it was sent); keeps the limits. */
void fb_bulk_reset(struct fb_bulk *b);

/*
 * Appends one record: src[0..srclen) is one JSON document without a
 * newline in it (a validated NDJSON line, or a rendered CSV row).  index
 * (NUL-terminated) is the record's own index, escaped into its action
 * line as the id is; NULL: the URL's.  id NULL means the cluster
 * generates one.  On anything but FB_BULK_OK the batch is unchanged.
 */
enum fb_bulk_result fb_bulk_add(struct fb_bulk *b, const char *index,
                                const char *id, size_t idlen, const char *src,
                                size_t srclen, uint64_t offset, uint64_t line);

/* The whole body (NULL and 0 when empty). */
const char *fb_bulk_body(const struct fb_bulk *b, size_t *len);

/* The body of items [i, j): one contiguous slice.  NULL if i >= j or
 * j > count. */
const char *fb_bulk_slice(const struct fb_bulk *b, size_t i, size_t j,
                          size_t *len);

size_t fb_bulk_count(const struct fb_bulk *b);
size_t fb_bulk_bytes(const struct fb_bulk *b);

/* Item i (i < count). */
const struct fb_bulk_item *fb_bulk_item(const struct fb_bulk *b, size_t i);

/* Item i's source line, without its '\n' (for the reject file). */
const char *fb_bulk_source(const struct fb_bulk *b, size_t i, size_t *len);

/* Item i's own index as its action line has it (JSON-escaped: the same
 * text for any name a cluster accepts), or NULL (and 0) when it goes to
 * the URL's. */
const char *fb_bulk_index(const struct fb_bulk *b, size_t i, size_t *len);

/*
 * Keeps only the items i with keep[i] (keep has count entries), in their
 * order, moving them down in place.  Returns the new count.
 */
size_t fb_bulk_keep(struct fb_bulk *b, const bool *keep);

/*
 * Changes the effective byte limit (after a 413, to what the server
 * takes), between 1 and the size allocated; no reallocation.  0, or -1 if
 * out of range.  Items already in the batch stay.
 */
int fb_bulk_set_limit(struct fb_bulk *b, size_t max_bytes);

size_t fb_bulk_limit(const struct fb_bulk *b);

#endif
