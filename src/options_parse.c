/*
 * options_parse.c
 *    Settings from the rows' defaults, the config file, the command line
 *    and the environment, in that order (each later source wins).
 *
 * Every value, whether a row's default, a config value or a flag's
 * argument, goes through apply_value(), which knows a kind and nothing
 * else: the rows (options_table.c) say which setting is which kind.  What
 * depends on several settings is checked once all sources are read, and
 * the defaults that are computed are resolved last, in resolve_computed(),
 * after --print-config has printed the settings as they were given.
 */
#include "forkbulk/options_parse.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "forkbulk/clock.h"
#include "forkbulk/config.h"
#include "forkbulk/hours.h"
#include "forkbulk/options_table.h"
#include "forkbulk/status.h"

/* An enumeration no source has set (format until it is guessed). */
#define ENUM_UNSET (-1)

static void *
field_of(struct fb_options *opts, size_t offset)
{
    return (char *)opts + offset;
}

static int
set_string(char **field, const char *value, char *err, size_t errlen)
{
    char *copy = strdup(value);

    if (copy == NULL) {
        snprintf(err, errlen, "cannot be stored: out of memory");
        return -1;
    }
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
    return set_string(field, buf, err, errlen);
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

/* "8MiB", "512k", "1048576" as bytes: k, m, g (any case), optionally
 * followed by i and then b; a plain b is bytes. */
static int
parse_size(const char *text, unsigned long long *out)
{
    char *end = NULL;
    unsigned long long v, mult = 1;

    if (*text < '0' || *text > '9')
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
        if (mult > 1 && (*end | 0x20) == 'i')
            end++;
        if (mult > 1 && (*end | 0x20) == 'b')
            end++;
        if (*end != '\0')
            return -1;
    }
    if (v > ULLONG_MAX / mult)
        return -1;
    *out = v * mult;
    return 0;
}

/* Milliseconds: "10000", or with a unit, "500ms", "10s", "5m", "1h". */
static int
parse_duration(const char *text, long long *out)
{
    static const struct {
        const char *unit;
        long long ms;
    } units[] = {{"", 1}, {"ms", 1}, {"s", 1000}, {"m", 60000}, {"h", 3600000}};
    char *end = NULL;
    long long v;

    errno = 0;
    v = strtoll(text, &end, 10);
    if (errno != 0 || end == text)
        return -1;
    for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
        if (strcmp(end, units[i].unit) != 0)
            continue;
        if (v > LLONG_MAX / units[i].ms || v < LLONG_MIN / units[i].ms)
            return -1;
        *out = v * units[i].ms;
        return 0;
    }
    return -1;
}

static int
apply_bool(bool *field, const struct fb_opt *o, const char *value, char *err,
           size_t errlen)
{
    static const char *const yes[] = {"true", "yes", "on", "1"};
    static const char *const no[] = {"false", "no", "off", "0"};

    /* A bare flag sets it (--compress) or clears it (--no-refresh). */
    if (value == NULL) {
        *field = o->kind == FB_OPT_BOOL;
        return 0;
    }
    for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
        if (strcmp(value, yes[i]) == 0 || strcmp(value, no[i]) == 0) {
            *field = strcmp(value, yes[i]) == 0;
            return 0;
        }
    }
    snprintf(err, errlen, "must be true or false, not '%s'", value);
    return -1;
}

/* Numbers of every kind, each stored in its kind's type. */
static int
apply_number(void *field, const struct fb_opt *o, const char *value, char *err,
             size_t errlen)
{
    unsigned long long bytes;
    long long v;

    switch (o->kind) {
    case FB_OPT_SIZE:
        if (parse_size(value, &bytes) < 0 ||
            bytes < (unsigned long long)o->min ||
            bytes > (unsigned long long)o->max || bytes > SIZE_MAX) {
            snprintf(err, errlen,
                     "must be a size (like 8MiB) from %lld to %lld bytes, "
                     "not '%s'",
                     o->min, o->max, value);
            return -1;
        }
        *(size_t *)field = (size_t)bytes;
        return 0;
    case FB_OPT_DURATION:
        if (parse_duration(value, &v) < 0 || v < o->min || v > o->max) {
            snprintf(err, errlen,
                     "must be milliseconds from %lld to %lld (or like 10s, "
                     "5m, 1h), not '%s'",
                     o->min, o->max, value);
            return -1;
        }
        *(long *)field = (long)v;
        return 0;
    default:
        if (parse_ll(value, o->min, o->max, &v) < 0) {
            snprintf(err, errlen,
                     "must be an integer from %lld to %lld, not '%s'", o->min,
                     o->max, value);
            return -1;
        }
        if (o->kind == FB_OPT_INT)
            *(int *)field = (int)v;
        else
            *(size_t *)field = (size_t)v;
        return 0;
    }
}

static int
apply_enum(int *field, const struct fb_opt *o, const char *value, char *err,
           size_t errlen)
{
    size_t n = 0, len;

    for (n = 0; o->names[n] != NULL; n++) {
        if (strcmp(value, o->names[n]) == 0) {
            *field = (int)n;
            return 0;
        }
    }
    /* "must be a, b or c, not 'x'" */
    len = (size_t)snprintf(err, errlen, "must be ");
    for (size_t i = 0; i < n && len < errlen; i++)
        len += (size_t)snprintf(err + len, errlen - len, "%s%s",
                                i == 0      ? ""
                                : i + 1 < n ? ", "
                                            : " or ",
                                o->names[i]);
    if (len < errlen)
        snprintf(err + len, errlen - len, ", not '%s'", value);
    return -1;
}

/* "N" (a count) or "N%" (a share of the records read). */
static int
apply_share(struct fb_options *opts, const struct fb_opt *o, const char *value,
            char *err, size_t errlen)
{
    uint64_t *count = field_of(opts, o->field);
    double *pct = field_of(opts, o->field2);
    char *end = NULL;
    double d;

    errno = 0;
    d = strtod(value, &end);
    if (errno != 0 || end == value || d < 0 ||
        (*end != '\0' && strcmp(end, "%") != 0) || (*end == '%' && d > 100)) {
        snprintf(err, errlen,
                 "must be a count or a percentage (like 100 or 0.5%%), "
                 "not '%s'",
                 value);
        return -1;
    }
    if (*end == '%') {
        *pct = d;
        *count = 0;
        return 0;
    }
    if (d != (double)(uint64_t)d) {
        snprintf(err, errlen, "must be a whole count or a percentage, not '%s'",
                 value);
        return -1;
    }
    *count = (uint64_t)d;
    *pct = 0;
    return 0;
}

/* One value of one setting, whatever its source; NULL is a bare flag.
 * 0, or -1 with the reason in err. */
static int
apply_value(struct fb_options *opts, const struct fb_opt *o, const char *value,
            char *err, size_t errlen)
{
    void *field = field_of(opts, o->field);

    switch (o->kind) {
    case FB_OPT_STRING:
    case FB_OPT_CONNINFO:
        if (*value == '\0') {
            snprintf(err, errlen, "must not be empty");
            return -1;
        }
        return set_string(field, value, err, errlen);
    case FB_OPT_SECRET:
        return set_string(field, value, err, errlen);
    case FB_OPT_SECRET_FILE:
        return read_secret_file(value, field, err, errlen);
    case FB_OPT_BOOL:
    case FB_OPT_NOBOOL:
        return apply_bool(field, o, value, err, errlen);
    case FB_OPT_INT:
    case FB_OPT_COUNT:
    case FB_OPT_SIZE:
    case FB_OPT_DURATION:
        return apply_number(field, o, value, err, errlen);
    case FB_OPT_ENUM:
        return apply_enum(field, o, value, err, errlen);
    case FB_OPT_SHARE:
        return apply_share(opts, o, value, err, errlen);
    case FB_OPT_ACTION:
        break;
    }
    snprintf(err, errlen, "cannot be set here");
    return -1;
}

/* Every setting unset, then every row's default through apply_value(). */
static int
apply_defaults(struct fb_options *opts)
{
    size_t n;
    const struct fb_opt *rows = fb_opt_rows(&n);
    char why[256];

    memset(opts, 0, sizeof(*opts));
    opts->verbosity = 1; /* info; --quiet: 0, each --verbose: one more */
    for (size_t i = 0; i < n; i++) {
        const struct fb_opt *o = &rows[i];

        if (o->kind == FB_OPT_ENUM)
            *(int *)field_of(opts, o->field) = ENUM_UNSET;
        if (o->def != NULL &&
            apply_value(opts, o, o->def, why, sizeof(why)) < 0) {
            fprintf(stderr, "forkbulk: bug: default of [%s] %s %s\n",
                    o->section, o->key, why);
            return FB_EXIT_SOFTWARE;
        }
    }
    return 0;
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
    const struct fb_opt *o = fb_opt_find(section, key);
    char why[256];

    if (o == NULL) {
        snprintf(err, errlen, "unknown setting [%s] %s", section, key);
        return -1;
    }
    if (fb_opt_secret_value(o, value))
        ctx->has_secret = true;
    if (apply_value(ctx->opts, o, value, why, sizeof(why)) < 0) {
        snprintf(err, errlen, "[%s] %s %s", section, key, why);
        return -1;
    }
    return 0;
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
    return set_string(&opts->config_path, path, err, sizeof(err)) < 0
               ? FB_EXIT_OSERR
               : 0;
}

/* getopt_long's view of the rows: a long option returns 256 + its row. */
struct getopt_spec {
    struct option longopts[FB_OPT_MAX + 1];
    char shortopts[2 * FB_OPT_MAX + 1];
};

static void
build_getopt(struct getopt_spec *g)
{
    size_t n, nl = 0, ns = 0;
    const struct fb_opt *rows = fb_opt_rows(&n);

    for (size_t i = 0; i < n; i++) {
        const struct fb_opt *o = &rows[i];

        if (o->flag == NULL)
            continue;
        g->longopts[nl].name = o->flag;
        g->longopts[nl].has_arg = o->arg ? required_argument : no_argument;
        g->longopts[nl].flag = NULL;
        g->longopts[nl].val = 256 + (int)i;
        nl++;
        if (o->short_name) {
            g->shortopts[ns++] = o->short_name;
            if (o->arg)
                g->shortopts[ns++] = ':';
        }
    }
    memset(&g->longopts[nl], 0, sizeof(g->longopts[nl]));
    g->shortopts[ns] = '\0';
}

/* The row of what getopt_long returned; NULL for an error. */
static const struct fb_opt *
row_of(int c)
{
    size_t n;
    const struct fb_opt *rows = fb_opt_rows(&n);

    if (c >= 256 && (size_t)(c - 256) < n)
        return &rows[c - 256];
    for (size_t i = 0; i < n; i++)
        if (rows[i].short_name != 0 && rows[i].short_name == c)
            return &rows[i];
    return NULL;
}

/* Starts getopt_long over argv again (in glibc, optind 0 is a full
 * reset); report: let it print what it does not know. */
static void
restart_getopt(bool report)
{
    opterr = report;
    optind = 0;
}

/* The next flag: 1 with *o its row (NULL for an unknown flag), or 0 at
 * the end. */
static int
next_flag(const struct getopt_spec *g, int argc, char **argv,
          const struct fb_opt **o)
{
    int c = getopt_long(argc, argv, g->shortopts, g->longopts, NULL);

    *o = c == -1 ? NULL : row_of(c);
    return c != -1;
}

/* First pass: only --config, so that every other flag overrides the file. */
static int
read_config_flags(struct fb_options *opts, const struct getopt_spec *g,
                  int argc, char **argv)
{
    const struct fb_opt *o;
    int rc;

    restart_getopt(false);
    while (next_flag(g, argc, argv, &o))
        if (o != NULL && o->action == FB_ACT_CONFIG &&
            (rc = read_config(opts, optarg)) != 0)
            return rc;
    return 0;
}

/* --print-man and --print-completion: what to print, by the value of
 * their argument (one of the row's names). */
static int
print_action(const struct fb_opt *o, const char *value)
{
    char why[256];
    int i;

    if (apply_enum(&i, o, value, why, sizeof(why)) < 0)
        return usage_error("--%s %s", o->flag, why);
    if (o->action == FB_ACT_PRINT_COMPLETION)
        return FB_OPTIONS_PRINT_COMPLETION_BASH;
    return strcmp(value, "5") == 0 ? FB_OPTIONS_PRINT_MAN5
                                   : FB_OPTIONS_PRINT_MAN1;
}

/* A flag that is no setting; value is its argument, if it takes one. */
static int
run_action(struct fb_options *opts, const struct fb_opt *o, const char *value)
{
    switch (o->action) {
    case FB_ACT_NONE:
    case FB_ACT_CONFIG: /* read in the first pass */
        break;
    case FB_ACT_PRINT_CONFIG:
        opts->print_config = true;
        break;
    case FB_ACT_VERBOSE:
        opts->verbosity++;
        break;
    case FB_ACT_QUIET:
        opts->verbosity = 0;
        break;
    case FB_ACT_DRY_RUN:
        opts->dry_run = true;
        break;
    case FB_ACT_CHECK:
        opts->check = true;
        break;
    case FB_ACT_SYSLOG:
        opts->log_to = FB_LOG_TO_SYSLOG;
        break;
    case FB_ACT_HELP:
        return FB_OPTIONS_HELP;
    case FB_ACT_VERSION:
        return FB_OPTIONS_VERSION;
    case FB_ACT_PRINT_MAN:
    case FB_ACT_PRINT_COMPLETION:
        return print_action(o, value);
    }
    return 0;
}

/* A list flag given again: its value is added to the list. */
static int
add_to_list(struct fb_options *opts, const struct fb_opt *o, const char *value,
            char *err, size_t errlen)
{
    char **field = field_of(opts, o->field);
    size_t len = strlen(*field) + strlen(value) + 3;
    char *list;

    if (*value == '\0') {
        snprintf(err, errlen, "must not be empty");
        return -1;
    }
    if ((list = malloc(len)) == NULL) {
        snprintf(err, errlen, "cannot be stored: out of memory");
        return -1;
    }
    snprintf(list, len, "%s, %s", *field, value);
    free(*field);
    *field = list;
    return 0;
}

/* Second pass: every other flag, in order. */
static int
apply_flags(struct fb_options *opts, const struct getopt_spec *g, int argc,
            char **argv)
{
    const struct fb_opt *o;
    bool seen[FB_OPT_MAX] = {false}; /* list flags already given */
    size_t n;
    const struct fb_opt *rows = fb_opt_rows(&n);
    char why[256];
    int rc;

    restart_getopt(true);
    while (next_flag(g, argc, argv, &o)) {
        if (o == NULL) {
            fprintf(stderr, "Try 'forkbulk --help'.\n");
            return FB_EXIT_USAGE;
        }
        if (o->kind == FB_OPT_ACTION) {
            if ((rc = run_action(opts, o, o->arg ? optarg : NULL)) != 0)
                return rc;
            continue;
        }
        if (o->repeat && seen[o - rows])
            rc = add_to_list(opts, o, optarg, why, sizeof(why));
        else
            rc = apply_value(opts, o, o->arg ? optarg : NULL, why, sizeof(why));
        seen[o - rows] = true;
        if (rc < 0)
            return usage_error("--%s %s", o->flag, why);
        /* On the command line it shows in ps and in /proc of every worker. */
        if (o->kind == FB_OPT_CONNINFO && fb_opt_secret_value(o, optarg))
            return usage_error("--%s must not hold a password: use "
                               "pg_password_file in the config file, "
                               "PGPASSWORD or ~/.pgpass",
                               o->flag);
    }
    if (optind < argc)
        return usage_error("unexpected argument '%s'", argv[optind]);
    return 0;
}

/* Settings the environment supplies (credentials, the state directory):
 * over the defaults, under the config file and the flags. */
static int
apply_env(struct fb_options *opts)
{
    size_t n;
    const struct fb_opt *rows = fb_opt_rows(&n);
    char why[256];

    for (size_t i = 0; i < n; i++) {
        char **field = field_of(opts, rows[i].field);
        const char *value;

        if (rows[i].env == NULL || (value = getenv(rows[i].env)) == NULL)
            continue;
        if (set_string(field, value, why, sizeof(why)) < 0)
            return FB_EXIT_OSERR;
    }
    return 0;
}

/* One node's URL, url[0, len) of the list: checked, and stored without
 * the slashes that end it. */
static int
add_node(struct fb_options *opts, const char *url, size_t len)
{
    size_t scheme;

    while (len > 0 && url[len - 1] == '/')
        len--;
    /* Credentials in the URL would sit in argv and in logs. */
    if (memchr(url, '@', len) != NULL)
        return usage_error("--es must not contain credentials; use the "
                           "config file or FORKBULK_ES_USER/_PASSWORD");
    scheme = strncasecmp(url, "http://", 7) == 0    ? 7
             : strncasecmp(url, "https://", 8) == 0 ? 8
                                                    : 0;
    if (scheme == 0 || len <= scheme)
        return usage_error("--es %.*s: not an http:// or https:// URL of a "
                           "node",
                           (int)len, url);
    if (opts->n_es_nodes == FB_MAX_NODES)
        return usage_error("--es: more than %d nodes", FB_MAX_NODES);
    if ((opts->es_nodes[opts->n_es_nodes] = strndup(url, len)) == NULL)
        return FB_EXIT_OSERR;
    opts->n_es_nodes++;
    return 0;
}

/* es_url, "URL, URL, ...", into es_nodes; es_url is then written in that
 * form again, so that --print-config shows one spelling of it. */
static int
split_nodes(struct fb_options *opts)
{
    const char *p = opts->es_url;
    char *list;
    size_t len = 1;
    int rc;

    while (*p != '\0') {
        const char *end = p + strcspn(p, ",");
        const char *last = end;

        while (*p == ' ' || *p == '\t')
            p++;
        while (last > p && (last[-1] == ' ' || last[-1] == '\t'))
            last--;
        if (last == p)
            return usage_error("--es: an empty URL in the list '%s'",
                               opts->es_url);
        if ((rc = add_node(opts, p, (size_t)(last - p))) != 0)
            return rc;
        p = *end == ',' ? end + 1 : end;
    }
    for (int i = 0; i < opts->n_es_nodes; i++)
        len += strlen(opts->es_nodes[i]) + 2;
    if ((list = malloc(len)) == NULL)
        return FB_EXIT_OSERR;
    for (int i = 0, at = 0; i < opts->n_es_nodes; i++)
        at += snprintf(list + at, len - (size_t)at, "%s%s", i > 0 ? ", " : "",
                       opts->es_nodes[i]);
    free(opts->es_url);
    opts->es_url = list;
    return 0;
}

/* Rules that involve more than one setting. */
static int
check_settings(const struct fb_options *opts)
{
    if (opts->key_file != NULL && opts->cert_file == NULL)
        return usage_error("--key needs --cert, the certificate it belongs "
                           "to");
    if (fb_options_pg(opts)) {
        if (opts->input != NULL)
            return usage_error("--input and a PostgreSQL source (--pg, "
                               "--table, --query) exclude each other");
        if ((opts->table == NULL) == (opts->query == NULL))
            return usage_error("a PostgreSQL load needs either --table (with "
                               "--time-column) or --query");
        if (opts->table != NULL && opts->time_column == NULL)
            return usage_error("--table needs --time-column");
        if (opts->time_field != NULL)
            return usage_error("--time-field is for files (--input): a "
                               "PostgreSQL load takes the hour of its "
                               "window");
        return 0;
    }
    if (opts->input == NULL)
        return usage_error("--input is required (or a PostgreSQL source: "
                           "--pg with --table or --query)");
    if (opts->index_pattern == NULL)
        return usage_error("--index is required");
    if (!opts->csv_header != (opts->csv_columns != NULL))
        return usage_error("--csv-no-header and --csv-columns go together: "
                           "without a header row, the columns need names");
    return 0;
}

static int
default_workers(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);

    if (n < 1)
        n = 1;
    return n > FB_DEFAULT_WORKERS_CAP ? FB_DEFAULT_WORKERS_CAP : (int)n;
}

/* The file load's index: the pattern applied to the current time (UTC),
 * checked by the same rules as the hourly job's names. */
static int
expand_index(struct fb_options *opts)
{
    char name[FB_ES_INDEX_MAX + 1];
    char why[512];

    if (fb_hours_index_name(opts->index_pattern, fb_unix_us(), NULL, name,
                            sizeof(name), why, sizeof(why)) < 0)
        return usage_error("--index: %s", why);
    return set_string(&opts->index, name, why, sizeof(why)) < 0 ? FB_EXIT_OSERR
                                                                : FB_EXIT_OK;
}

static bool
has_suffix(const char *s, const char *suffix)
{
    size_t ls = strlen(s), lx = strlen(suffix);

    return ls >= lx && strcmp(s + ls - lx, suffix) == 0;
}

/* The defaults that the rows describe but cannot hold as text: all of
 * them, here.  After this, opts holds what the run uses. */
static int
resolve_computed(struct fb_options *opts)
{
    char why[256];

    if (opts->workers == 0)
        opts->workers = default_workers();
    if (opts->stall_ms == 0)
        opts->stall_ms = opts->request_timeout_ms + FB_STALL_MARGIN_MS;
    if (opts->max_record_bytes > opts->batch_bytes)
        opts->max_record_bytes = opts->batch_bytes;
    /* Workers read PostgreSQL rows as NDJSON documents too. */
    if (opts->format == ENUM_UNSET)
        opts->format =
            opts->input != NULL && (has_suffix(opts->input, ".csv") ||
                                    has_suffix(opts->input, ".csv.gz"))
                ? FB_FORMAT_CSV
                : FB_FORMAT_NDJSON;
    if (fb_options_pg(opts)) {
        if (opts->index_pattern == NULL &&
            set_string(&opts->index_pattern, FB_PG_DEFAULT_INDEX, why,
                       sizeof(why)) < 0)
            return FB_EXIT_OSERR;
        return 0;
    }
    return expand_index(opts);
}

int
fb_options_parse(struct fb_options *opts, int argc, char **argv)
{
    struct getopt_spec g;
    int rc;

    if ((rc = apply_defaults(opts)) != 0 || (rc = apply_env(opts)) != 0)
        return rc;
    build_getopt(&g);
    if ((rc = read_config_flags(opts, &g, argc, argv)) != 0 ||
        (rc = apply_flags(opts, &g, argc, argv)) != 0 ||
        (rc = split_nodes(opts)) != 0 || (rc = check_settings(opts)) != 0)
        return rc;
    if (opts->print_config)
        return FB_OPTIONS_PRINT_CONFIG;
    return resolve_computed(opts);
}

void
fb_options_free(struct fb_options *opts)
{
    size_t n;
    const struct fb_opt *rows = fb_opt_rows(&n);

    for (size_t i = 0; i < n; i++) {
        const struct fb_opt *o = &rows[i];

        /* A secret and its *_file row share one field: freed once. */
        if (o->kind == FB_OPT_STRING || o->kind == FB_OPT_SECRET ||
            o->kind == FB_OPT_SECRET_FILE || o->kind == FB_OPT_CONNINFO) {
            char **f = field_of(opts, o->field);

            free(*f);
            *f = NULL;
        }
    }
    for (int i = 0; i < opts->n_es_nodes; i++) {
        free(opts->es_nodes[i]);
        opts->es_nodes[i] = NULL;
    }
    opts->n_es_nodes = 0;
    free(opts->index);
    opts->index = NULL;
    free(opts->config_path);
    opts->config_path = NULL;
}
