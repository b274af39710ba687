/*
 * options.h
 *    The effective settings of one run: defaults, then the config file,
 *    then the command line (flags win).
 *
 * Parsed once in the parent before anything is forked; workers inherit a
 * read-only copy.  Every bound on memory the program has is one of these
 * settings.  A setting is a flag (--batch-bytes), a config key ([limits]
 * batch_bytes) or both; options_table.c holds the one row of each, with
 * its kind, bounds, default, help and doc text (see options_table.h).
 *
 * Secrets (the Elasticsearch password or API key, the passphrase of the
 * TLS client key, the PostgreSQL password) are never flags: they come from
 * the config file (which must then not be readable by group or others),
 * from a file named in it, or from the environment (FORKBULK_ES_PASSWORD,
 * FORKBULK_ES_API_KEY, FORKBULK_ES_KEY_PASSWORD, PGPASSWORD; and ~/.pgpass
 * as libpq reads it).
 *
 * The type of each field is the one C type of its row's kind: char * for
 * strings and secrets, bool, int, size_t for counts and sizes, long for
 * durations (milliseconds), int for enumerations.
 */
#ifndef FORKBULK_OPTIONS_H
#define FORKBULK_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h> /* not used here; job.h relies on it */

#include "forkbulk/file_reader.h" /* enum fb_format */

#define FB_MAX_WORKERS 64
/* Nodes of the cluster (--es given several times): a cap that keeps the
 * per-node counters of a pipe frame small (proto.h). */
#define FB_MAX_NODES 16
/* Computed defaults (resolved by fb_options_parse, described in the rows):
 * workers = online CPUs, at most FB_DEFAULT_WORKERS_CAP; a stall timeout
 * of 0 = request timeout + FB_STALL_MARGIN_MS; a PostgreSQL load without
 * --index loads into FB_PG_DEFAULT_INDEX. */
#define FB_DEFAULT_WORKERS_CAP 4
#define FB_STALL_MARGIN_MS 60000
#define FB_PG_DEFAULT_INDEX "flows-%Y.%m.%d.%H"

/* The bytes a CSV file may separate its fields with. */
enum fb_csv_delimiter {
    FB_CSV_COMMA,
    FB_CSV_SEMICOLON,
    FB_CSV_PIPE,
    FB_CSV_TAB,
};

/* What ±infinity of a date or timestamp column becomes (--pg-infinity). */
enum fb_pg_infinity {
    FB_PG_INFINITY_REJECT, /* the row is rejected, naming the column */
    FB_PG_INFINITY_NULL,   /* null */
};

/* What GET / would have said, when it is refused (403). */
enum fb_es_flavor {
    FB_FLAVOR_ES7,
    FB_FLAVOR_ES8,
    FB_FLAVOR_OPENSEARCH,
};

/* Where log lines go besides --log-file. */
enum fb_log_to {
    FB_LOG_TO_STDERR, /* with sd-daemon priorities under systemd */
    FB_LOG_TO_SYSLOG,
};

enum fb_op {
    FB_OP_INDEX,
    FB_OP_CREATE,
};

/* How a loaded unit reaches readers (lifecycle.h). */
enum fb_publish {
    FB_PUBLISH_DIRECT, /* loaded into the index readers query */
    FB_PUBLISH_ALIAS,  /* loaded into a new generation, then the alias */
};

/* How --time-field values are read (timefield.h). */
enum fb_time_format {
    FB_TIME_AUTO,     /* strings ISO 8601, numbers by magnitude */
    FB_TIME_ISO8601,  /* strings only */
    FB_TIME_EPOCH_S,  /* numbers (or numeric strings): seconds */
    FB_TIME_EPOCH_MS, /* numbers (or numeric strings): milliseconds */
};

struct fb_options {
    /* Input: a file ... */
    char *input;       /* path, or "-" for standard input */
    int format;        /* enum fb_format */
    bool csv_null;     /* empty CSV fields as null instead of omitted */
    int csv_delimiter; /* enum fb_csv_delimiter */
    bool csv_header;   /* the first record names the fields */
    char *csv_columns; /* "a,b,c": the names when there is no header */

    /* ... or PostgreSQL. */
    char *pg;          /* libpq conninfo (no password in it) */
    char *pg_password; /* secret; a connection parameter of libpq */
    char *table;       /* [schema.]table */
    char *time_column; /* the hour window applies to this column */
    char *query;       /* instead of table: SQL with $1, $2 = window */
    char *split;       /* auto, ctid, key:COLUMN, time:DURATION */
    char *id_column;
    char *id_columns; /* "a,b": hashed */
    bool pg_null;     /* NULL columns as null instead of omitted */
    int pg_infinity;  /* enum fb_pg_infinity */

    /* The hourly job. */
    char *job;  /* name for the lock and the ledger */
    char *hour; /* "last" or 2026-11-27T03 */
    char *from, *to;
    bool catch_up;
    char *lookback;  /* with --catch-up, e.g. 48h */
    char *settle;    /* --hour last: ended at least this long ago */
    char *verify;    /* re-count the done hours of this window; "0": off */
    int max_hours;   /* hours one run loads at most */
    char *skip_hour; /* mark this hour skipped in the ledger, with reason */
    char *reason;
    char *state_dir; /* the lock file, state of file loads */
    char *timezone;  /* hour labels and index names; UTC if NULL */
    char *ledger_table;
    char *lock_file;

    /* Target. */
    char *index_pattern; /* strftime pattern */
    char *index;         /* file loads: the pattern expanded once */
    char *es_url;        /* the nodes' base URLs, "URL, URL, ..." */
    /* es_url split (by fb_options_parse): n_es_nodes URLs, checked (http
     * or https, no credentials), without a trailing slash. */
    char *es_nodes[FB_MAX_NODES];
    int n_es_nodes;
    char *es_user;
    char *es_password;     /* secret */
    char *es_api_key;      /* secret */
    char *ca_file;         /* TLS trust anchors; system default if NULL */
    char *cert_file;       /* TLS client certificate (PEM); NULL: none */
    char *key_file;        /* its private key (PEM); NULL: in cert_file */
    char *key_password;    /* secret: the passphrase of key_file */
    bool insecure;         /* do not verify TLS (never the default) */
    int es_flavor;         /* enum fb_es_flavor */
    int op;                /* enum fb_op */
    char *id_field;        /* files: NULL means id from the source position */
    char *time_field;      /* files: each record into its own hour's index */
    int time_field_format; /* enum fb_time_format */
    bool compress;         /* gzip _bulk request bodies */
    int compress_level;    /* at this level (gzip_body.h) */
    bool refresh;          /* POST _refresh when a unit is done */

    /* The index around a load (lifecycle.h). */
    char *load_settings;      /* "KEY=VALUE,...": set while a unit loads */
    bool apply_load_settings; /* false: --no-load-settings */
    char *index_template;     /* a composable index template file */
    char *index_template_name;
    int publish;  /* enum fb_publish */
    bool replace; /* load given hours and files again (they always are) */

    /* Limits. */
    int workers;
    size_t batch_bytes;      /* bulk body bound */
    size_t batch_docs;       /* documents per request */
    size_t max_record_bytes; /* longest record accepted (<= batch_bytes) */
    size_t range_bytes;      /* files: 0 chooses from the file size */
    int max_retries;         /* per batch */
    long retry_time_ms;      /* and at most this long per batch */
    long connect_timeout_ms;
    long request_timeout_ms;
    long grace_ms; /* SIGTERM: time workers get to finish */
    long stall_ms; /* a worker silent this long is killed */

    /* Rejects allowed before the run stops early: more than max_rejects
     * records, or with max_rejects_pct more than that share of the records
     * read.  Both 0: the first reject stops the run. */
    uint64_t max_rejects;
    double max_rejects_pct; /* 0: use max_rejects */

    /* Output. */
    char *reject_file; /* NULL: rejects are logged, not kept */
    char *summary_json;
    char *log_file;     /* NULL: stderr */
    int log_to;         /* enum fb_log_to */
    char *metrics_file; /* node_exporter textfile, written every run */
    int progress_s;     /* log progress this often (s); 0: not */
    bool progress_line; /* a status line on a terminal */
    bool dry_run;       /* plan and print, load nothing */
    bool check;         /* connectivity and permissions only */
    int verbosity;      /* 0 warn, 1 info (default), 2 debug */

    char *config_path; /* the last config file read, if any */
    bool print_config; /* --print-config was given */
};

/* True when the input is PostgreSQL rather than a file. */
static inline bool
fb_options_pg(const struct fb_options *opts)
{
    return opts->pg != NULL || opts->table != NULL || opts->query != NULL;
}

#endif
