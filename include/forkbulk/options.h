/*
 * options.h
 *    The effective settings of one run: defaults, then the config file,
 *    then the command line (flags win).
 *
 * Parsed once in the parent before anything is forked; workers inherit a
 * read-only copy.  Every bound on memory the program has is one of these
 * settings.  Every option is both a flag (--batch-bytes) and a config key
 * ([limits] batch_bytes); options.c holds the one table of them.
 *
 * Secrets (the Elasticsearch password or API key, the PostgreSQL password)
 * are never flags: they come from the config file (which must then not be
 * readable by group or others), from a file named in it, or from the
 * environment (FORKBULK_ES_PASSWORD, FORKBULK_ES_API_KEY, PGPASSWORD and
 * ~/.pgpass as libpq reads them).
 */
#ifndef FORKBULK_OPTIONS_H
#define FORKBULK_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "forkbulk/reader.h" /* enum fb_format */

#define FB_MAX_WORKERS 64
#define FB_DEFAULT_WORKERS_CAP 4

enum fb_op {
    FB_OP_INDEX,
    FB_OP_CREATE,
};

struct fb_options {
    /* Input: a file ... */
    char *input; /* path, or "-" for standard input */
    enum fb_format format;
    bool csv_null; /* empty CSV fields as null instead of omitted */

    /* ... or PostgreSQL. */
    char *pg;          /* libpq conninfo (no password in it) */
    char *table;       /* [schema.]table */
    char *time_column; /* the hour window applies to this column */
    char *query;       /* instead of table: SQL with $1, $2 = window */
    char *split;       /* auto, ctid, key:COLUMN, time:DURATION */
    char *id_column;
    char *id_columns; /* "a,b": hashed */
    bool pg_null;     /* NULL columns as null instead of omitted */

    /* The hourly job. */
    char *job;  /* name for the lock and the ledger */
    char *hour; /* "last" or 2026-11-27T03 */
    char *from, *to;
    bool catch_up;
    char *lookback; /* with --catch-up, e.g. 48h */
    char *timezone; /* hour labels and index names; UTC if NULL */
    char *ledger_table;
    char *lock_file;

    /* Target. */
    char *index_pattern; /* strftime pattern */
    char *index;         /* file loads: the pattern expanded once */
    char *es_url;        /* base URL */
    char *es_user;
    char *es_password; /* secret */
    char *es_api_key;  /* secret */
    char *ca_file;     /* TLS trust anchors; system default if NULL */
    bool insecure;     /* do not verify TLS (never the default) */
    enum fb_op op;
    char *id_field; /* files: NULL means id from the source position */
    bool compress;  /* gzip request bodies */
    bool refresh;   /* POST _refresh when a unit is done */

    /* Limits. */
    int workers;
    size_t batch_bytes;      /* bulk body bound */
    size_t batch_docs;       /* documents per request */
    size_t max_record_bytes; /* longest record accepted (<= batch_bytes) */
    uint64_t range_bytes;    /* files: 0 chooses from the file size */
    int max_retries;         /* per batch */
    long retry_time_ms;      /* and at most this long per batch */
    long connect_timeout_ms;
    long request_timeout_ms;
    long grace_ms; /* SIGTERM: time workers get to finish */
    long stall_ms; /* a worker silent this long is killed; 0: request
                    * timeout + 60 s */

    /* Rejects allowed before the run stops early: more than max_rejects
     * records, or with max_rejects_pct more than that share of the records
     * read.  Default 0: the first reject stops the run. */
    uint64_t max_rejects;
    double max_rejects_pct; /* 0: use max_rejects */

    /* Output. */
    char *reject_file; /* NULL: rejects are logged, not kept */
    char *summary_json;
    char *log_file; /* NULL: stderr */
    int verbosity;  /* 0 warn, 1 info (default), 2 debug */

    char *config_path; /* the config file read, if any */
    bool print_config;
};

/* fb_options_parse: --help, --version or --print-config was printed. */
#define FB_OPTIONS_DONE (-1)

/*
 * Reads the config file named by --config (if any), then argv.  Returns 0
 * to go on, FB_OPTIONS_DONE, FB_EXIT_USAGE or FB_EXIT_CONFIG after
 * printing what is wrong and where.
 */
int fb_options_parse(struct fb_options *opts, int argc, char **argv);

/* True when the input is PostgreSQL rather than a file. */
bool fb_options_pg(const struct fb_options *opts);

void fb_options_free(struct fb_options *opts);

/* Parses "8MiB", "512k", "1048576" into bytes; -1 if malformed. */
int fb_parse_size(const char *text, uint64_t *out);

/* Writes the effective settings as a config file, secrets masked. */
void fb_options_print(const struct fb_options *opts, FILE *out);

#endif
