/*
 * doc.h
 *    One record on its way from a source to the sink.
 *
 * A source's reader hands the worker each record it reads as an fb_doc:
 * either a document ready to send (one JSON object and, usually, the id
 * that makes a re-send overwrite it), or a record the source itself
 * refuses (invalid JSON, a CSV row that is not UTF-8, a NaN in a numeric
 * column), with the reason.  Pointers are the reader's and stay valid
 * until its next call.
 */
#ifndef FORKBULK_DOC_H
#define FORKBULK_DOC_H

#include <stddef.h>
#include <stdint.h>

struct fb_doc {
    const char *json; /* one JSON object, no newline; NULL if refused */
    size_t len;
    const char *id; /* document id; NULL: the cluster makes one up */
    size_t id_len;
    /* Its own index (--time-field: its hour's), NUL-terminated, at most
     * FB_ES_INDEX_MAX bytes; NULL: the unit's. */
    const char *index;

    /* Where it came from, for the reject file: files give the byte
     * offset and the line counted from the range's first record
     * (the reader turns it into a file line only when it is needed);
     * PostgreSQL gives the row number within the range. */
    uint64_t offset;
    uint64_t line;
    const char *raw; /* the record as read (the reject file keeps it) */
    size_t raw_len;

    /* Non-NULL when the source refuses the record: an error type such
     * as "invalid_json" and why. */
    const char *error_type;
    const char *error;

    /* Whitespace-only lines skipped before this record, or before the
     * end of the range when the reader says it is over: the summary
     * counts them. */
    uint64_t blank;
};

#endif
