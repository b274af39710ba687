/*
 * options.c
 *    Settings from defaults, the config file and the command line.
 *
 * One table (options[]) names every setting once: its flag, its config
 * key, its kind and bounds, and its help line.  The config file is read
 * first and the flags after it, through the same apply_option(), so a flag
 * always wins and the two can never disagree on what a value means.
 */
#include "forkbulk/options.h"

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "forkbulk/config.h"
#include "forkbulk/status.h"
#include "forkbulk/version.h"

#define MiB (1024u * 1024u)

enum opt_kind {
    K_STR,         /* a string */
    K_SECRET,      /* a string never shown, never a flag */
    K_SECRET_FILE, /* a path whose first line is the secret */
    K_BOOL,        /* a flag without argument; true/false in the config */
    K_NOBOOL,      /* a flag that sets a bool to false */
    K_INT,
    K_SIZE,
    K_SPECIAL, /* handled by name in apply_special() */
};

struct opt {
    const char *flag; /* long flag; NULL: config file only */
    int short_name;
    const char *section;
    const char *key;
    enum opt_kind kind;
    size_t offset;
    long long min, max;
    const char *arg;
    const char *help;
};

#define F(field) offsetof(struct fb_options, field)
/* Settings that have no field of their own in struct fb_options. */
#define NOFIELD ((size_t)-1)

static const struct opt options[] = {
    {"config", 'c', NULL, NULL, K_SPECIAL, 0, 0, 0, "PATH",
     "read settings from this INI file (flags win)"},
    {"input", 'i', "input", "path", K_STR, F(input), 0, 0, "FILE",
     "NDJSON/CSV input; - reads standard input (one worker)"},
    {"format", 0, "input", "format", K_SPECIAL, 0, 0, 0, "FMT",
     "ndjson or csv (default ndjson; .csv and .csv.gz files: csv)"},
    {"csv-null", 0, "input", "csv_null", K_BOOL, F(csv_null), 0, 0, NULL,
     "empty CSV fields become null (default: omitted)"},
    {"pg", 0, "source", "pg", K_STR, F(pg), 0, 0, "CONNINFO",
     "PostgreSQL source (libpq conninfo; PG* variables and ~/.pgpass work)"},
    {NULL, 0, "source", "pg_password", K_SECRET, 0, 0, 0, NULL, NULL},
    {NULL, 0, "source", "pg_password_file", K_SECRET_FILE, 0, 0, 0, NULL, NULL},
    {"table", 0, "source", "table", K_STR, F(table), 0, 0, "NAME",
     "[schema.]table to load (with --time-column)"},
    {"time-column", 0, "source", "time_column", K_STR, F(time_column), 0, 0,
     "COL", "the column the hour applies to"},
    {"query", 0, "source", "query", K_STR, F(query), 0, 0, "SQL",
     "instead of --table: SQL with $1 and $2 = window start and end"},
    {"split", 0, "source", "split", K_STR, F(split), 0, 0, "HOW",
     "auto, ctid, key:COLUMN or time:DURATION (default auto)"},
    {"id-column", 0, "source", "id_column", K_STR, F(id_column), 0, 0, "COL",
     "document id from this column (default: the primary key)"},
    {"id-columns", 0, "source", "id_columns", K_STR, F(id_columns), 0, 0, "A,B",
     "document id = hash of these columns"},
    {"pg-null", 0, "source", "null_as_null", K_BOOL, F(pg_null), 0, 0, NULL,
     "NULL columns become null (default: omitted)"},
    {"job", 0, "job", "name", K_STR, F(job), 0, 0, "NAME",
     "job name for the lock and the ledger (default: the table)"},
    {"hour", 0, "job", "hour", K_STR, F(hour), 0, 0, "H",
     "last (the last complete hour) or 2026-11-27T03"},
    {"from", 0, "job", "from", K_STR, F(from), 0, 0, "T",
     "with --to: every hour in [from, to)"},
    {"to", 0, "job", "to", K_STR, F(to), 0, 0, "T", "end of --from"},
    {"catch-up", 0, "job", "catch_up", K_BOOL, F(catch_up), 0, 0, NULL,
     "load every hour in --lookback whose last run is not done"},
    {"lookback", 0, "job", "lookback", K_STR, F(lookback), 0, 0, "DUR",
     "window of --catch-up (default 48h)"},
    {"timezone", 0, "job", "timezone", K_STR, F(timezone), 0, 0, "TZ",
     "hour labels and index names in this zone (default UTC)"},
    {"ledger-table", 0, "job", "ledger_table", K_STR, F(ledger_table), 0, 0,
     "NAME", "run ledger table (default forkbulk_ledger)"},
    {"lock-file", 0, "job", "lock_file", K_STR, F(lock_file), 0, 0, "PATH",
     "lock file (default /tmp/forkbulk-<job>.lock)"},
    {"index", 'x', "elasticsearch", "index", K_STR, F(index_pattern), 0, 0,
     "NAME",
     "target index, strftime pattern (PostgreSQL default "
     "flows-%Y.%m.%d.%H)"},
    {"es", 'e', "elasticsearch", "url", K_STR, F(es_url), 0, 0, "URL",
     "cluster URL (default http://127.0.0.1:9200)"},
    {NULL, 0, "elasticsearch", "user", K_STR, F(es_user), 0, 0, NULL, NULL},
    {NULL, 0, "elasticsearch", "password", K_SECRET, F(es_password), 0, 0, NULL,
     NULL},
    {NULL, 0, "elasticsearch", "password_file", K_SECRET_FILE, F(es_password),
     0, 0, NULL, NULL},
    {NULL, 0, "elasticsearch", "api_key", K_SECRET, F(es_api_key), 0, 0, NULL,
     NULL},
    {NULL, 0, "elasticsearch", "api_key_file", K_SECRET_FILE, F(es_api_key), 0,
     0, NULL, NULL},
    {"ca-file", 0, "elasticsearch", "ca_file", K_STR, F(ca_file), 0, 0, "PATH",
     "trust these CA certificates for https"},
    {"insecure", 0, "elasticsearch", "insecure", K_BOOL, F(insecure), 0, 0,
     NULL, "do not verify the cluster's TLS certificate"},
    {"op", 0, "elasticsearch", "op", K_SPECIAL, 0, 0, 0, "OP",
     "index or create (default index)"},
    {"id-field", 0, "elasticsearch", "id_field", K_STR, F(id_field), 0, 0,
     "PATH",
     "files: document id from this dotted field (default: file path and "
     "byte offset)"},
    {"compress", 0, "elasticsearch", "compress", K_BOOL, F(compress), 0, 0,
     NULL, "gzip request bodies"},
    {"no-refresh", 0, "elasticsearch", "refresh", K_NOBOOL, F(refresh), 0, 0,
     NULL, "do not refresh the index when a load is done"},
    {"workers", 'w', "limits", "workers", K_INT, F(workers), 1, FB_MAX_WORKERS,
     "N", "worker processes (default: CPUs, at most 4)"},
    {"batch-bytes", 0, "limits", "batch_bytes", K_SIZE, F(batch_bytes), 1024,
     1024ll * MiB, "SIZE", "bulk request body bound (default 8MiB)"},
    {"batch-docs", 0, "limits", "batch_docs", K_INT, F(batch_docs), 1, 1000000,
     "N", "documents per bulk request (default 5000)"},
    {"max-record-bytes", 0, "limits", "max_record_bytes", K_SIZE,
     F(max_record_bytes), 16, 1024ll * MiB, "SIZE",
     "longest record accepted (default 1MiB)"},
    {"range-bytes", 0, "limits", "range_bytes", K_SIZE, F(range_bytes), 0,
     1ll << 50, "SIZE", "files: bytes per range (default 0: from the size)"},
    {"retries", 0, "limits", "retries", K_INT, F(max_retries), 0, 1000, "N",
     "attempts per batch on 429/5xx/network errors (default 8)"},
    {"retry-time", 0, "limits", "retry_time_ms", K_INT, F(retry_time_ms), 1,
     86400000, "MS",
     "stop retrying a batch after this long in all (default 600000)"},
    {"connect-timeout", 0, "limits", "connect_timeout_ms", K_INT,
     F(connect_timeout_ms), 1, 3600000, "MS",
     "connect timeout (default 10000)"},
    {"request-timeout", 0, "limits", "request_timeout_ms", K_INT,
     F(request_timeout_ms), 1, 86400000, "MS",
     "per-request timeout (default 120000)"},
    {"grace", 0, "limits", "grace_ms", K_INT, F(grace_ms), 0, 3600000, "MS",
     "on SIGTERM, time workers get to finish (default 10000)"},
    {"max-rejects", 0, "limits", "max_rejects", K_SPECIAL, NOFIELD, 0, 0,
     "N|N%",
     "stop early (65) past this many rejects, or this share of the "
     "records read (judged from 1000 records on; default 0)"},
    {"stall-timeout", 0, "limits", "stall_timeout_ms", K_INT, F(stall_ms), 0,
     86400000, "MS",
     "kill a worker that shows no progress this long (default: request "
     "timeout + 60000)"},
    {"reject-file", 0, "output", "reject_file", K_STR, F(reject_file), 0, 0,
     "PATH", "rejected records, one JSON line each (default: logged only)"},
    {"summary-json", 0, "output", "summary_json", K_STR, F(summary_json), 0, 0,
     "PATH", "write the run summary as JSON"},
    {"log-file", 0, "output", "log_file", K_STR, F(log_file), 0, 0, "PATH",
     "log here instead of stderr (reopened on SIGHUP)"},
    {"print-config", 0, NULL, NULL, K_SPECIAL, 0, 0, 0, NULL,
     "print the effective settings (secrets masked) and exit"},
    {"verbose", 'v', NULL, NULL, K_SPECIAL, 0, 0, 0, NULL,
     "more log output (repeat for debug)"},
    {"quiet", 'q', NULL, NULL, K_SPECIAL, 0, 0, 0, NULL,
     "warnings and errors only"},
    {"help", 'h', NULL, NULL, K_SPECIAL, 0, 0, 0, NULL, "this help"},
    {"version", 'V', NULL, NULL, K_SPECIAL, 0, 0, 0, NULL, "print the version"},
};

#define N_OPTIONS (sizeof(options) / sizeof(options[0]))

static void
print_help(void)
{
    printf("usage: forkbulk --input FILE --index NAME [options]\n"
           "       forkbulk --pg CONNINFO --table T --time-column C "
           "--hour last [options]\n"
           "       forkbulk --config FILE [--hour H | --from T --to T | "
           "--catch-up]\n\n"
           "Loads records into Elasticsearch/OpenSearch through _bulk with a "
           "capped pool\nof prefork workers; memory is bounded by workers x "
           "batch size.\n\n");
    for (size_t i = 0; i < N_OPTIONS; i++) {
        const struct opt *o = &options[i];
        char left[48];

        if (o->flag == NULL)
            continue;
        snprintf(left, sizeof(left), "%c%c%c --%s%s%s",
                 o->short_name ? '-' : ' ', o->short_name ? o->short_name : ' ',
                 o->short_name ? ',' : ' ', o->flag, o->arg ? " " : "",
                 o->arg ? o->arg : "");
        printf("  %-28s %s\n", left, o->help);
    }
    printf("\nSecrets are never flags: config file keys [elasticsearch] "
           "password,\npassword_file, api_key, api_key_file, [source] "
           "pg_password, pg_password_file,\nor FORKBULK_ES_USER, "
           "FORKBULK_ES_PASSWORD, FORKBULK_ES_API_KEY, PGPASSWORD.\n\n");
    fb_exit_print_help(stdout);
}

int
fb_parse_size(const char *text, uint64_t *out)
{
    char *end = NULL;
    unsigned long long v;
    uint64_t mult = 1;

    if (text == NULL || *text < '0' || *text > '9')
        return -1;
    errno = 0;
    v = strtoull(text, &end, 10);
    if (errno != 0)
        return -1;
    if (*end != '\0') {
        char unit = (char)(*end | 0x20);

        if (unit == 'k')
            mult = 1024;
        else if (unit == 'm')
            mult = 1024 * 1024;
        else if (unit == 'g')
            mult = 1024 * 1024 * 1024;
        else if (unit != 'b')
            return -1;
        end++;
        /* Accept k, kb, kib (any case) and b. */
        if (mult > 1 && (*end | 0x20) == 'i')
            end++;
        if (mult > 1 && (*end | 0x20) == 'b')
            end++;
        if (*end != '\0')
            return -1;
    }
    if (v > UINT64_MAX / mult)
        return -1;
    *out = v * mult;
    return 0;
}

static int
parse_ll(const char *text, long long min, long long max, long long *out)
{
    char *end = NULL;
    long long v;

    errno = 0;
    v = strtoll(text, &end, 10);
    if (errno != 0 || end == text || *end != '\0' || v < min || v > max)
        return -1;
    *out = v;
    return 0;
}

static int
parse_bool(const char *text, bool *out)
{
    if (strcmp(text, "true") == 0 || strcmp(text, "yes") == 0 ||
        strcmp(text, "on") == 0 || strcmp(text, "1") == 0)
        *out = true;
    else if (strcmp(text, "false") == 0 || strcmp(text, "no") == 0 ||
             strcmp(text, "off") == 0 || strcmp(text, "0") == 0)
        *out = false;
    else
        return -1;
    return 0;
}

static int
set_string(char **field, const char *value)
{
    char *copy = strdup(value);

    if (copy == NULL)
        return -1;
    free(*field);
    *field = copy;
    return 0;
}

/* The first line of a secret file, without its newline. */
static int
read_secret_file(const char *path, char **field, char *err, size_t errlen)
{
    char buf[4096];
    FILE *f = fopen(path, "r");
    size_t n;

    if (f == NULL) {
        snprintf(err, errlen, "cannot read secret file %s: %s", path,
                 strerror(errno));
        return -1;
    }
    n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = '\0';
    buf[strcspn(buf, "\r\n")] = '\0';
    if (buf[0] == '\0') {
        snprintf(err, errlen, "secret file %s is empty", path);
        return -1;
    }
    return set_string(field, buf);
}

/* Pointer to the option's field inside opts. */
static void *
field_of(struct fb_options *opts, const struct opt *o)
{
    return (char *)opts + o->offset;
}

/* --format was given (config or flag): do not guess it from the name. */
static bool format_given;

/* Applies one value; 0, or -1 with the reason in err. */
static int
apply_option(struct fb_options *opts, const struct opt *o, const char *value,
             char *err, size_t errlen)
{
    long long v;
    uint64_t size;
    bool b;

    switch (o->kind) {
    case K_STR:
        if (*value == '\0') {
            snprintf(err, errlen, "must not be empty");
            return -1;
        }
        return set_string(field_of(opts, o), value);
    case K_SECRET:
        if (strcmp(o->key, "pg_password") == 0)
            return setenv("PGPASSWORD", value, 1);
        return set_string(field_of(opts, o), value);
    case K_SECRET_FILE:
        if (strcmp(o->key, "pg_password_file") == 0) {
            char *pw = NULL;
            int rc = read_secret_file(value, &pw, err, errlen);

            /* libpq reads it from the environment, in every worker. */
            if (rc == 0)
                rc = setenv("PGPASSWORD", pw, 1);
            free(pw);
            return rc;
        }
        return read_secret_file(value, field_of(opts, o), err, errlen);
    case K_BOOL:
    case K_NOBOOL:
        /* A bare flag sets it (--compress) or clears it (--no-refresh);
         * the config file says true or false. */
        if (value == NULL) {
            *(bool *)field_of(opts, o) = o->kind == K_BOOL;
            return 0;
        }
        if (parse_bool(value, &b) < 0) {
            snprintf(err, errlen, "must be true or false, not '%s'", value);
            return -1;
        }
        *(bool *)field_of(opts, o) = b;
        return 0;
    case K_INT:
        if (parse_ll(value, o->min, o->max, &v) < 0) {
            snprintf(err, errlen,
                     "must be an integer from %lld to %lld, "
                     "not '%s'",
                     o->min, o->max, value);
            return -1;
        }
        if (o->offset == F(workers) || o->offset == F(max_retries))
            *(int *)field_of(opts, o) = (int)v;
        else if (o->offset == F(batch_docs))
            *(size_t *)field_of(opts, o) = (size_t)v;
        else
            *(long *)field_of(opts, o) = (long)v;
        return 0;
    case K_SIZE:
        if (fb_parse_size(value, &size) < 0 || size < (uint64_t)o->min ||
            size > (uint64_t)o->max) {
            snprintf(err, errlen,
                     "must be a size (like 8MiB) from %lld to "
                     "%lld bytes, not '%s'",
                     o->min, o->max, value);
            return -1;
        }
        if (o->offset == F(range_bytes))
            *(uint64_t *)field_of(opts, o) = size;
        else
            *(size_t *)field_of(opts, o) = (size_t)size;
        return 0;
    case K_SPECIAL:
        if (strcmp(o->flag, "format") == 0) {
            if (strcmp(value, "ndjson") == 0)
                opts->format = FB_FORMAT_NDJSON;
            else if (strcmp(value, "csv") == 0)
                opts->format = FB_FORMAT_CSV;
            else {
                snprintf(err, errlen, "must be ndjson or csv, not '%s'", value);
                return -1;
            }
            format_given = true;
            return 0;
        }
        if (strcmp(o->flag, "max-rejects") == 0) {
            char *end = NULL;
            double d;

            errno = 0;
            d = strtod(value, &end);
            if (errno != 0 || end == value || d < 0 ||
                (*end != '\0' && strcmp(end, "%") != 0) ||
                (*end == '%' && d > 100)) {
                snprintf(err, errlen,
                         "must be a count or a percentage "
                         "(like 100 or 0.5%%), not '%s'",
                         value);
                return -1;
            }
            if (*end == '%') {
                opts->max_rejects_pct = d;
                opts->max_rejects = 0;
            } else {
                if (d != (double)(uint64_t)d) {
                    snprintf(err, errlen,
                             "must be a whole count or a "
                             "percentage, not '%s'",
                             value);
                    return -1;
                }
                opts->max_rejects = (uint64_t)d;
                opts->max_rejects_pct = 0;
            }
            return 0;
        }
        if (strcmp(o->flag, "op") == 0) {
            if (strcmp(value, "index") == 0)
                opts->op = FB_OP_INDEX;
            else if (strcmp(value, "create") == 0)
                opts->op = FB_OP_CREATE;
            else {
                snprintf(err, errlen, "must be index or create, not '%s'",
                         value);
                return -1;
            }
            return 0;
        }
        break;
    }
    snprintf(err, errlen, "cannot be set here");
    return -1;
}

static int usage_error(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

static int
usage_error(const char *fmt, ...)
{
    va_list ap;

    fprintf(stderr, "forkbulk: ");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\nTry 'forkbulk --help'.\n");
    return FB_EXIT_USAGE;
}

struct config_ctx {
    struct fb_options *opts;
    bool has_secret;
};

static int
on_config(void *arg, const char *section, const char *key, const char *value,
          char *err, size_t errlen)
{
    struct config_ctx *ctx = arg;

    for (size_t i = 0; i < N_OPTIONS; i++) {
        const struct opt *o = &options[i];
        char why[256];

        if (o->section == NULL || strcmp(o->section, section) != 0 ||
            strcmp(o->key, key) != 0)
            continue;
        if (o->kind == K_SECRET)
            ctx->has_secret = true;
        if (apply_option(ctx->opts, o, value, why, sizeof(why)) < 0) {
            snprintf(err, errlen, "[%s] %s %s", section, key, why);
            return -1;
        }
        return 0;
    }
    snprintf(err, errlen, "unknown setting [%s] %s", section, key);
    return -1;
}

static int
read_config(struct fb_options *opts, const char *path)
{
    struct config_ctx ctx = {opts, false};
    struct stat st;
    char err[768];

    if (fb_config_read(path, on_config, &ctx, err, sizeof(err)) < 0) {
        fprintf(stderr, "forkbulk: %s\n", err);
        return FB_EXIT_CONFIG;
    }
    /* A password in a file others can read is no secret. */
    if (ctx.has_secret && stat(path, &st) == 0 && (st.st_mode & 077) != 0) {
        fprintf(stderr,
                "forkbulk: %s holds a secret but is readable by group or "
                "others (mode %03o); chmod 600 it or use a *_file key\n",
                path, (unsigned)(st.st_mode & 0777));
        return FB_EXIT_CONFIG;
    }
    return set_string(&opts->config_path, path) < 0 ? FB_EXIT_OSERR : 0;
}

static int
default_workers(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);

    if (n < 1)
        n = 1;
    return n > FB_DEFAULT_WORKERS_CAP ? FB_DEFAULT_WORKERS_CAP : (int)n;
}

static char *
expand_index(const char *pattern)
{
    char buf[512];
    time_t now = time(NULL);
    struct tm tm;
    size_t n;

    gmtime_r(&now, &tm);
    /* The pattern is the user's by design: an index name template. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
    n = strftime(buf, sizeof(buf), pattern, &tm);
#pragma GCC diagnostic pop
    if (n == 0)
        return NULL;
    return strdup(buf);
}

static int
has_suffix(const char *s, const char *suffix)
{
    size_t ls = strlen(s), lx = strlen(suffix);

    return ls >= lx && strcmp(s + ls - lx, suffix) == 0;
}

static void
set_defaults(struct fb_options *opts)
{
    memset(opts, 0, sizeof(*opts));
    opts->batch_bytes = 8 * MiB;
    opts->batch_docs = 5000;
    opts->max_record_bytes = 1 * MiB;
    opts->op = FB_OP_INDEX;
    opts->refresh = true;
    opts->max_retries = 8;
    opts->retry_time_ms = 600000;
    opts->connect_timeout_ms = 10000;
    opts->request_timeout_ms = 120000;
    opts->grace_ms = 10000;
    opts->verbosity = 1;
    format_given = false;
}

/* Fills what defaults depend on, and checks settings against each other. */
static int
finish(struct fb_options *opts)
{
    const char *env;

    if (opts->es_url == NULL &&
        set_string(&opts->es_url, "http://127.0.0.1:9200") < 0)
        return FB_EXIT_OSERR;
    /* Credentials in the URL would sit in argv and in logs. */
    if (strchr(opts->es_url, '@') != NULL)
        return usage_error("--es must not contain credentials; use the "
                           "config file or FORKBULK_ES_USER/_PASSWORD");
    if (opts->es_user == NULL && (env = getenv("FORKBULK_ES_USER")) != NULL &&
        set_string(&opts->es_user, env) < 0)
        return FB_EXIT_OSERR;
    if (opts->es_password == NULL &&
        (env = getenv("FORKBULK_ES_PASSWORD")) != NULL &&
        set_string(&opts->es_password, env) < 0)
        return FB_EXIT_OSERR;
    if (opts->es_api_key == NULL &&
        (env = getenv("FORKBULK_ES_API_KEY")) != NULL &&
        set_string(&opts->es_api_key, env) < 0)
        return FB_EXIT_OSERR;

    if (opts->stall_ms == 0)
        opts->stall_ms = opts->request_timeout_ms + 60000;
    if (opts->max_record_bytes > opts->batch_bytes)
        opts->max_record_bytes = opts->batch_bytes;
    if (opts->workers == 0)
        opts->workers = default_workers();

    if (fb_options_pg(opts)) {
        if (opts->input != NULL)
            return usage_error("--input and a PostgreSQL source (--pg, "
                               "--table, --query) exclude each other");
        if ((opts->table == NULL) == (opts->query == NULL))
            return usage_error("a PostgreSQL load needs either --table (with "
                               "--time-column) or --query");
        if (opts->table != NULL && opts->time_column == NULL)
            return usage_error("--table needs --time-column");
        if (opts->index_pattern == NULL &&
            set_string(&opts->index_pattern, "flows-%Y.%m.%d.%H") < 0)
            return FB_EXIT_OSERR;
        return 0;
    }
    if (opts->input == NULL)
        return usage_error("--input is required (or a PostgreSQL source: "
                           "--pg with --table or --query)");
    if (opts->index_pattern == NULL)
        return usage_error("--index is required");
    if (!format_given)
        opts->format = has_suffix(opts->input, ".csv") ||
                               has_suffix(opts->input, ".csv.gz")
                           ? FB_FORMAT_CSV
                           : FB_FORMAT_NDJSON;
    opts->index = expand_index(opts->index_pattern);
    if (opts->index == NULL || opts->index[0] == '\0')
        return usage_error("--index '%s' expands to an empty or too long "
                           "name",
                           opts->index_pattern);
    return 0;
}

bool
fb_options_pg(const struct fb_options *opts)
{
    return opts->pg != NULL || opts->table != NULL || opts->query != NULL;
}

int
fb_options_parse(struct fb_options *opts, int argc, char **argv)
{
    struct option longopts[N_OPTIONS + 1];
    char shortopts[2 * N_OPTIONS + 1];
    size_t n = 0, ns = 0;
    bool print_config = false;
    int c, idx, rc;

    set_defaults(opts);
    for (size_t i = 0; i < N_OPTIONS; i++) {
        const struct opt *o = &options[i];
        bool arg = o->arg != NULL;

        if (o->flag == NULL)
            continue;
        longopts[n].name = o->flag;
        longopts[n].has_arg = arg ? required_argument : no_argument;
        longopts[n].flag = NULL;
        longopts[n].val = 256 + (int)i;
        n++;
        if (o->short_name) {
            shortopts[ns++] = (char)o->short_name;
            if (arg)
                shortopts[ns++] = ':';
        }
    }
    memset(&longopts[n], 0, sizeof(longopts[n]));
    shortopts[ns] = '\0';

    /* First pass: only --config, so that flags can override the file. */
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, shortopts, longopts, &idx)) != -1) {
        if (c == 'c' ||
            (c >= 256 && strcmp(options[c - 256].flag, "config") == 0)) {
            if ((rc = read_config(opts, optarg)) != 0)
                return rc;
        }
    }

    opterr = 1;
    optind = 1;
    while ((c = getopt_long(argc, argv, shortopts, longopts, &idx)) != -1) {
        const struct opt *o = NULL;
        char why[256];

        if (c >= 256)
            o = &options[c - 256];
        else
            for (size_t i = 0; i < N_OPTIONS; i++)
                if (options[i].short_name == c)
                    o = &options[i];
        if (o == NULL) {
            fprintf(stderr, "Try 'forkbulk --help'.\n");
            return FB_EXIT_USAGE;
        }
        if (strcmp(o->flag, "config") == 0)
            continue;
        if (strcmp(o->flag, "help") == 0) {
            print_help();
            return FB_OPTIONS_DONE;
        }
        if (strcmp(o->flag, "version") == 0) {
            printf("forkbulk %s\n", FB_VERSION);
            return FB_OPTIONS_DONE;
        }
        if (strcmp(o->flag, "verbose") == 0) {
            opts->verbosity++;
            continue;
        }
        if (strcmp(o->flag, "quiet") == 0) {
            opts->verbosity = 0;
            continue;
        }
        if (strcmp(o->flag, "print-config") == 0) {
            print_config = true;
            continue;
        }
        if (apply_option(opts, o, o->arg ? optarg : NULL, why, sizeof(why)) < 0)
            return usage_error("--%s %s", o->flag, why);
    }
    if (optind < argc)
        return usage_error("unexpected argument '%s'", argv[optind]);
    if ((rc = finish(opts)) != 0)
        return rc;
    if (print_config) {
        fb_options_print(opts, stdout);
        return FB_OPTIONS_DONE;
    }
    return 0;
}

void
fb_options_print(const struct fb_options *opts, FILE *out)
{
    const char *section = "";

    fprintf(out, "# forkbulk %s effective settings%s%s\n", FB_VERSION,
            opts->config_path ? " from " : "",
            opts->config_path ? opts->config_path : "");
    for (size_t i = 0; i < N_OPTIONS; i++) {
        const struct opt *o = &options[i];
        const void *f;

        if (o->section == NULL || o->kind == K_SECRET_FILE ||
            o->kind == K_SPECIAL)
            continue;
        /* Settings without a field (the PG password) have no address. */
        f = o->offset != NOFIELD ? (const char *)opts + o->offset : NULL;
        if (strcmp(section, o->section) != 0) {
            section = o->section;
            fprintf(out, "\n[%s]\n", section);
        }
        switch (o->kind) {
        case K_STR:
            if (*(char *const *)f != NULL)
                fprintf(out, "%s = %s\n", o->key, *(char *const *)f);
            else
                fprintf(out, "# %s =\n", o->key);
            break;
        case K_SECRET:
            if (f == NULL)
                fprintf(out, "%s = %s\n", o->key,
                        getenv("PGPASSWORD") ? "********" : "(unset)");
            else
                fprintf(out, "%s = %s\n", o->key,
                        *(char *const *)f ? "********" : "(unset)");
            break;
        case K_BOOL:
        case K_NOBOOL:
            fprintf(out, "%s = %s\n", o->key,
                    *(const bool *)f ? "true" : "false");
            break;
        case K_INT:
            if (o->offset == F(workers) || o->offset == F(max_retries))
                fprintf(out, "%s = %d\n", o->key, *(const int *)f);
            else if (o->offset == F(batch_docs))
                fprintf(out, "%s = %zu\n", o->key, *(const size_t *)f);
            else
                fprintf(out, "%s = %ld\n", o->key, *(const long *)f);
            break;
        case K_SIZE:
            if (o->offset == F(range_bytes))
                fprintf(out, "%s = %llu\n", o->key,
                        (unsigned long long)*(const uint64_t *)f);
            else
                fprintf(out, "%s = %zu\n", o->key, *(const size_t *)f);
            break;
        default:
            break;
        }
    }
    if (opts->max_rejects_pct > 0)
        fprintf(out, "max_rejects = %g%%\n", opts->max_rejects_pct);
    else
        fprintf(out, "max_rejects = %llu\n",
                (unsigned long long)opts->max_rejects);
    fprintf(out, "format = %s\nop = %s\n",
            opts->format == FB_FORMAT_CSV ? "csv" : "ndjson",
            opts->op == FB_OP_CREATE ? "create" : "index");
}

void
fb_options_free(struct fb_options *opts)
{
    for (size_t i = 0; i < N_OPTIONS; i++) {
        const struct opt *o = &options[i];

        if ((o->kind == K_STR || o->kind == K_SECRET ||
             o->kind == K_SECRET_FILE) &&
            o->offset != NOFIELD) {
            char **f = (char **)((char *)opts + o->offset);

            free(*f);
            *f = NULL;
        }
    }
    free(opts->index);
    opts->index = NULL;
    free(opts->config_path);
    opts->config_path = NULL;
}
