/*
 * docid.h
 *    Document ids derived from the source, so that a retried or
 *    re-dispatched range overwrites the documents it already stored
 *    instead of adding duplicates.
 *
 * Two kinds:
 *  - from a field (--id-field a.b.c): the field's value, which must be a
 *    non-empty string or an integer (its text, as written: 42 -> "42");
 *  - from the position, when there is no id field: the source's identity
 *    and the record's byte offset, "<16 hex>-<offset>", for example
 *    "9f3c1a2b4d5e6f70-1048576".  The identity of a file is the 64-bit
 *    FNV-1a hash (offset basis 0xcbf29ce484222325, prime 0x100000001b3)
 *    of its absolute real path, so it is the same whichever worker, run or
 *    relative path names the file; a stream (stdin) is "stdin" and its
 *    ids are "stdin-<offset>".  Moving or renaming a file changes its ids:
 *    a re-run after a move loads the records a second time.
 *
 * Ids are at most FB_ES_ID_MAX bytes: Elasticsearch rejects longer ones,
 * and a single one fails the whole bulk request, so they are refused here,
 * per record.
 */
#ifndef FORKBULK_DOCID_H
#define FORKBULK_DOCID_H

#include <stddef.h>
#include <stdint.h>

#include "forkbulk/eslimits.h"

/* Enough for any id plus its NUL. */
#define FB_DOCID_BUFSIZE (FB_ES_ID_MAX + 1)

/*
 * The id in the field at the dotted path `field` of the JSON object
 * doc[0..len).  Writes it to out (cap >= FB_DOCID_BUFSIZE) and its length
 * to *outlen and returns 0; or returns -1 with the reason in err:
 *   "id field [a.b] is missing"
 *   "id field [a.b] is an object" (an array, a boolean, null)
 *   "id field [a.b] is empty"
 *   "id field [a.b] is not an integer (1.5)"
 *   "id field [a.b] is 600 bytes, more than the 512 allowed"
 *   "id field [a.b] is more than the 512 bytes allowed" (with escapes)
 *   or the JSON error met on the way.
 */
int fb_docid_from_field(const char *doc, size_t len, const char *field,
                        char *out, size_t cap, size_t *outlen, char *err,
                        size_t errlen);

/* FNV-1a, 64 bits, of s[0..len). */
uint64_t fb_docid_hash(const char *s, size_t len);

/* A source's identity, computed once per file. */
struct fb_docid_source {
    char prefix[17]; /* 16 hex digits, or "stdin" */
};

/*
 * path NULL or "-" is stdin; otherwise the file's real path is hashed
 * (realpath(3): the file must exist).  0, or -1 with errno set.
 */
int fb_docid_source_init(struct fb_docid_source *s, const char *path);

/* Same, from a path already resolved (tests, and callers that have it). */
void fb_docid_source_from_realpath(struct fb_docid_source *s,
                                   const char *realpath);

/* Writes "<prefix>-<offset>" to out; returns its length, or 0 if cap is
 * too small (FB_DOCID_BUFSIZE is always enough). */
size_t fb_docid_position(const struct fb_docid_source *s, uint64_t offset,
                         char *out, size_t cap);

#endif
