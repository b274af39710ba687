/*
 * options.h
 *    The effective settings of one run, from the command line.
 *
 * Parsed once in the parent before anything is forked; workers inherit a
 * read-only copy.  Every bound on memory the program has is one of these
 * settings.
 */
#ifndef FORKBULK_OPTIONS_H
#define FORKBULK_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "forkbulk/reader.h" /* enum fb_format */

#define FB_MAX_WORKERS 64
#define FB_DEFAULT_WORKERS_CAP 4

enum fb_op {
    FB_OP_INDEX,
    FB_OP_CREATE,
};

struct fb_options {
    const char *input; /* path, or "-" for standard input */
    enum fb_format format;
    char *index; /* after strftime expansion (malloc'd) */
    const char *index_pattern;
    const char *es_url; /* base URL, no trailing slash needed */
    int workers;
    size_t batch_bytes;      /* --batch-bytes: bulk body bound */
    size_t batch_docs;       /* --batch-docs */
    size_t max_record_bytes; /* longest record accepted (<= batch_bytes) */
    uint64_t range_bytes;    /* 0: chosen from the file size */
    const char *id_field;    /* NULL: id from the source position */
    enum fb_op op;
    const char *reject_file; /* NULL: <index>.rejects.ndjson is not made;
                              * rejects are only counted and logged */
    const char *summary_json;
    bool compress;   /* gzip request bodies */
    bool csv_null;   /* empty CSV fields as null instead of omitted */
    bool refresh;    /* POST _refresh when the load is done */
    int max_retries; /* per batch, whole-request failures */
    long connect_timeout_ms;
    long request_timeout_ms;
    long grace_ms; /* SIGTERM: time workers get to finish */
    int verbosity; /* 0 warn, 1 info (default), 2 debug */
};

/* fb_options_parse: --help or --version was printed; exit 0. */
#define FB_OPTIONS_DONE (-1)

/*
 * Parses argv into opts.  Returns 0 to go on, FB_OPTIONS_DONE, or
 * FB_EXIT_USAGE after printing what is wrong.
 */
int fb_options_parse(struct fb_options *opts, int argc, char **argv);

void fb_options_free(struct fb_options *opts);

/* Parses "8MiB", "512k", "1048576" into bytes; -1 if malformed. */
int fb_parse_size(const char *text, uint64_t *out);

#endif
