/*
 * test_options.c
 *    The settings table: argv and INI files in, settings (and messages,
 *    --help, --print-config, --print-man) out, in this process:
 *    fb_options_parse() restarts getopt, and its stdout and stderr are
 *    caught in files.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "forkbulk/config.h"
#include "forkbulk/options.h"
#include "forkbulk/options_parse.h"
#include "forkbulk/options_print.h"
#include "forkbulk/options_table.h"
#include "forkbulk/status.h"
#include "forkbulk/version.h"

#define MiB (1024u * 1024u)

static char dir[] = "/tmp/fb-options-XXXXXX";

/* One fb_options_parse() with what it printed. */
struct run {
    struct fb_options opts;
    int rc;
    char *out;
    char *err;
};

/* All of f, NUL-terminated (what was printed never holds a NUL). */
static char *
slurp(FILE *f)
{
    char *buf = NULL;
    size_t cap = 0;

    rewind(f);
    if (getdelim(&buf, &cap, '\0', f) < 0) {
        free(buf);
        buf = strdup("");
    }
    assert_non_null(buf);
    fclose(f);
    return buf;
}

/* Points fd (1 or 2) at a temporary file; returns the saved fd. */
static int
catch_fd(int fd, FILE **tmp)
{
    int saved = dup(fd);

    *tmp = tmpfile();
    assert_non_null(*tmp);
    assert_true(saved >= 0);
    assert_true(dup2(fileno(*tmp), fd) >= 0);
    return saved;
}

static void
release_fd(int fd, int saved)
{
    assert_true(dup2(saved, fd) >= 0);
    close(saved);
}

static void
run_argv(struct run *r, int argc, char **argv)
{
    FILE *out, *err;
    int saved_out, saved_err;

    fflush(stdout);
    fflush(stderr);
    saved_out = catch_fd(1, &out);
    saved_err = catch_fd(2, &err);
    r->rc = fb_options_parse(&r->opts, argc, argv);
    if (r->rc < 0) /* as main() does */
        fb_options_print_action(r->rc, &r->opts, stdout);
    fflush(stdout);
    fflush(stderr);
    release_fd(1, saved_out);
    release_fd(2, saved_err);
    r->out = slurp(out);
    r->err = slurp(err);
}

/* "forkbulk" and the arguments up to NULL. */
static void
run(struct run *r, ...)
{
    char *argv[32];
    int argc = 0;
    va_list ap;

    argv[argc++] = "forkbulk";
    va_start(ap, r);
    while ((argv[argc] = va_arg(ap, char *)) != NULL)
        argc++;
    va_end(ap);
    run_argv(r, argc, argv);
}

#define RUN(r, ...) run(r, __VA_ARGS__, (char *)NULL)

static void
done(struct run *r)
{
    fb_options_free(&r->opts);
    free(r->out);
    free(r->err);
    memset(r, 0, sizeof(*r));
}

static void
assert_contains(const char *text, const char *part)
{
    if (strstr(text, part) == NULL)
        fail_msg("'%s' not found in:\n%s", part, text);
}

/* A file in the test's directory; returns its path (static storage per
 * name slot, so that two files can be open at once). */
static const char *
write_file(const char *name, const char *text, mode_t mode)
{
    static char paths[4][PATH_MAX];
    static int slot;
    char *path = paths[slot++ % 4];
    FILE *f;

    snprintf(path, PATH_MAX, "%s/%s", dir, name);
    f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    assert_int_equal(chmod(path, mode), 0);
    return path;
}

static const char *const env_vars[] = {"PGPASSWORD", "FORKBULK_ES_USER",
                                       "FORKBULK_ES_PASSWORD",
                                       "FORKBULK_ES_API_KEY"};

static void
clear_env(void)
{
    for (size_t i = 0; i < sizeof(env_vars) / sizeof(env_vars[0]); i++)
        unsetenv(env_vars[i]);
}

static int
setup(void **state)
{
    (void)state;
    if (mkdtemp(dir) == NULL)
        return -1;
    clear_env();
    return 0;
}

static int
teardown(void **state)
{
    static const char *const names[] = {"a.conf",       "b.conf", "c.conf",
                                        "printed.conf", "pw",     "empty-pw",
                                        "pg.conf"};
    char path[PATH_MAX];

    (void)state;
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
        unlink(path);
    }
    return rmdir(dir);
}

/* ------------------------------------------------------------------ */

/* What the parser and the printers rely on in every row. */
static void
test_rows_are_consistent(void **state)
{
    size_t n;
    const struct fb_opt *rows = fb_opt_rows(&n);

    (void)state;
    assert_true(n > 0 && n <= FB_OPT_MAX);
    for (size_t i = 0; i < n; i++) {
        const struct fb_opt *o = &rows[i];
        bool flag_only = o->kind == FB_OPT_ACTION;
        bool bare = o->kind == FB_OPT_BOOL || o->kind == FB_OPT_NOBOOL;
        bool secret = o->kind == FB_OPT_SECRET || o->kind == FB_OPT_SECRET_FILE;

        assert_non_null(o->help);
        assert_true(flag_only == (o->section == NULL));
        assert_true(flag_only == (o->action != FB_ACT_NONE));
        assert_true(o->section == NULL || o->key != NULL);
        assert_true(o->section == NULL || o->doc != NULL);
        assert_true(o->flag != NULL || o->section != NULL);
        if (o->flag != NULL && !flag_only)
            assert_true(bare == (o->arg == NULL));
        /* Never a flag; an example would read as a masked value. */
        if (secret)
            assert_null(o->flag);
        if (o->kind == FB_OPT_SECRET)
            assert_null(o->example);
        assert_true(o->kind != FB_OPT_ENUM || o->names != NULL);
        assert_true(o->def == NULL || o->computed == NULL);
        for (size_t j = 0; j < i; j++) {
            const struct fb_opt *p = &rows[j];

            assert_false(o->flag && p->flag && strcmp(o->flag, p->flag) == 0);
            assert_false(o->short_name && o->short_name == p->short_name);
            assert_false(o->section && p->section &&
                         strcmp(o->section, p->section) == 0 &&
                         strcmp(o->key, p->key) == 0);
        }
    }
}

static void
test_defaults_from_the_rows(void **state)
{
    struct run r;

    (void)state;
    RUN(&r, "--input", "x.ndjson", "--index", "idx");
    assert_int_equal(r.rc, 0);
    assert_string_equal(r.err, "");
    assert_int_equal(r.opts.batch_bytes, 8 * MiB);
    assert_int_equal(r.opts.batch_docs, 5000);
    assert_int_equal(r.opts.max_record_bytes, 1 * MiB);
    assert_int_equal(r.opts.range_bytes, 0);
    assert_int_equal(r.opts.max_retries, 8);
    assert_int_equal(r.opts.retry_time_ms, 600000);
    assert_int_equal(r.opts.connect_timeout_ms, 10000);
    assert_int_equal(r.opts.request_timeout_ms, 120000);
    assert_int_equal(r.opts.grace_ms, 10000);
    assert_int_equal(r.opts.max_rejects, 0);
    assert_true(r.opts.max_rejects_pct == 0);
    assert_true(r.opts.refresh);
    assert_false(r.opts.compress || r.opts.insecure || r.opts.csv_null ||
                 r.opts.pg_null || r.opts.catch_up || r.opts.print_config);
    assert_int_equal(r.opts.op, FB_OP_INDEX);
    assert_string_equal(r.opts.es_url, "http://127.0.0.1:9200");
    assert_string_equal(r.opts.split, "auto");
    assert_string_equal(r.opts.lookback, "48h");
    assert_string_equal(r.opts.ledger_table, "forkbulk_ledger");
    assert_null(r.opts.timezone);
    assert_null(r.opts.pg_password);
    assert_null(r.opts.config_path);
    assert_int_equal(r.opts.verbosity, 1);
    /* Computed, resolved after parsing. */
    assert_true(r.opts.workers >= 1 &&
                r.opts.workers <= FB_DEFAULT_WORKERS_CAP);
    assert_int_equal(r.opts.stall_ms, 120000 + FB_STALL_MARGIN_MS);
    assert_int_equal(r.opts.format, FB_FORMAT_NDJSON);
    assert_string_equal(r.opts.index, "idx");
    done(&r);
}

static void
test_computed_defaults(void **state)
{
    struct run r;

    (void)state;
    RUN(&r, "--input", "a.csv.gz", "--index", "i");
    assert_int_equal(r.rc, 0);
    assert_int_equal(r.opts.format, FB_FORMAT_CSV);
    done(&r);
    RUN(&r, "--input", "a.csv", "--index", "i", "--format", "ndjson");
    assert_int_equal(r.opts.format, FB_FORMAT_NDJSON);
    done(&r);
    RUN(&r, "--input", "x", "--index", "i", "--stall-timeout", "5000",
        "--workers", "7", "--batch-bytes", "4k", "--max-record-bytes", "1m");
    assert_int_equal(r.rc, 0);
    assert_int_equal(r.opts.stall_ms, 5000);
    assert_int_equal(r.opts.workers, 7);
    assert_int_equal(r.opts.max_record_bytes, 4096); /* <= batch_bytes */
    done(&r);
    RUN(&r, "--pg", "dbname=x", "--table", "t", "--time-column", "ts",
        "--request-timeout", "1000");
    assert_int_equal(r.rc, 0);
    assert_string_equal(r.opts.index_pattern, FB_PG_DEFAULT_INDEX);
    assert_null(r.opts.index);
    assert_int_equal(r.opts.format, FB_FORMAT_NDJSON);
    assert_int_equal(r.opts.stall_ms, 1000 + FB_STALL_MARGIN_MS);
    done(&r);
}

static void
test_flags_win_over_the_file(void **state)
{
    const char *conf = write_file("a.conf",
                                  "[input]\npath = in.ndjson\n"
                                  "[elasticsearch]\nindex = idx\nop = create\n"
                                  "[limits]\nworkers = 3\nbatch_bytes = 4MiB\n",
                                  0600);
    struct run r;

    (void)state;
    /* Before or after --config: the flag wins. */
    RUN(&r, "--workers", "2", "--config", conf);
    assert_int_equal(r.rc, 0);
    assert_int_equal(r.opts.workers, 2);
    assert_int_equal(r.opts.batch_bytes, 4 * MiB);
    assert_int_equal(r.opts.op, FB_OP_CREATE);
    assert_string_equal(r.opts.input, "in.ndjson");
    assert_string_equal(r.opts.config_path, conf);
    done(&r);
    RUN(&r, "-c", conf, "-w", "5", "--op", "index", "-i", "other");
    assert_int_equal(r.rc, 0);
    assert_int_equal(r.opts.workers, 5);
    assert_int_equal(r.opts.op, FB_OP_INDEX);
    assert_string_equal(r.opts.input, "other");
    done(&r);
}

/*
 * A file load with "flag text": true when accepted, r then filled;
 * otherwise checks exit 64 and "forkbulk: flag why, not 'text'".
 */
static bool
accepted(struct run *r, const char *flag, const char *text, const char *why)
{
    char expect[512];

    RUN(r, "--input", "x", "--index", "i", flag, text);
    if (r->rc == 0)
        return true;
    snprintf(expect, sizeof(expect),
             "forkbulk: %s %s, not '%s'\nTry 'forkbulk --help'.\n", flag, why,
             text);
    assert_int_equal(r->rc, FB_EXIT_USAGE);
    assert_string_equal(r->err, expect);
    return false;
}

/* Sizes, through the parser every size takes (fb_parse_size is gone). */
static void
test_sizes(void **state)
{
    static const struct {
        const char *text;
        size_t bytes; /* 0: refused */
    } cases[] = {
        {"4096", 4096},      {"4k", 4096},
        {"4K", 4096},        {"4kb", 4096},
        {"4KiB", 4096},      {"2m", 2 * MiB},
        {"8MiB", 8 * MiB},   {"1g", 1024 * MiB},
        {"1024b", 1024},     {"1023", 0},
        {"2g", 0},           {"x", 0},
        {"-1", 0},           {"4kx", 0},
        {"4t", 0},           {"", 0},
        {" 4k", 0},          {"99999999999999999999", 0},
        {"17179869184g", 0},
    };
    struct run r;

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        bool ok = accepted(&r, "--batch-bytes", cases[i].text,
                           "must be a size (like 8MiB) from 1024 to "
                           "1073741824 bytes");

        assert_true(ok == (cases[i].bytes != 0));
        assert_true(!ok || r.opts.batch_bytes == cases[i].bytes);
        done(&r);
    }
}

static void
test_durations(void **state)
{
    static const struct {
        const char *text;
        long ms; /* -1: refused */
    } cases[] = {
        {"1500", 1500},  {"250ms", 250},    {"10s", 10000}, {"5m", 300000},
        {"1h", 3600000}, {"24h", 86400000}, {"25h", -1},    {"0", -1},
        {"10x", -1},     {"s", -1},         {"", -1},       {"1.5s", -1},
    };
    struct run r;

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        bool ok = accepted(&r, "--request-timeout", cases[i].text,
                           "must be milliseconds from 1 to 86400000 (or like "
                           "10s, 5m, 1h)");

        assert_true(ok == (cases[i].ms >= 0));
        assert_true(!ok || r.opts.request_timeout_ms == cases[i].ms);
        done(&r);
    }
}

/* A flag's bad value. */
static void
assert_flag_refused(const char *flag, const char *value, const char *why)
{
    struct run r;

    assert_false(accepted(&r, flag, value, why));
    done(&r);
}

static void
test_bad_flag_values(void **state)
{
    (void)state;
    assert_flag_refused("--workers", "0", "must be an integer from 1 to 64");
    assert_flag_refused("--workers", "65", "must be an integer from 1 to 64");
    assert_flag_refused("--workers", "3x", "must be an integer from 1 to 64");
    assert_flag_refused("--batch-docs", "1000001",
                        "must be an integer from 1 to 1000000");
    assert_flag_refused("--retries", "-1", "must be an integer from 0 to 1000");
    assert_flag_refused("--range-bytes", "2000000g",
                        "must be a size (like 8MiB) from 0 to "
                        "1125899906842624 bytes");
    assert_flag_refused("--format", "xml", "must be ndjson or csv");
    assert_flag_refused("--op", "upsert", "must be index or create");
    assert_flag_refused("--max-rejects", "abc",
                        "must be a count or a percentage (like 100 or 0.5%)");
    assert_flag_refused("--max-rejects", "101%",
                        "must be a count or a percentage (like 100 or 0.5%)");
    assert_flag_refused("--max-rejects", "-1",
                        "must be a count or a percentage (like 100 or 0.5%)");
    assert_flag_refused("--max-rejects", "1.5",
                        "must be a whole count or a percentage");
}

static void
test_max_rejects(void **state)
{
    struct run r;

    (void)state;
    RUN(&r, "--input", "x", "--index", "i", "--max-rejects", "0.5%");
    assert_int_equal(r.rc, 0);
    assert_true(r.opts.max_rejects_pct == 0.5);
    assert_int_equal(r.opts.max_rejects, 0);
    done(&r);
    /* The later value replaces both halves. */
    RUN(&r, "--input", "x", "--index", "i", "--max-rejects", "5%",
        "--max-rejects", "10");
    assert_int_equal(r.opts.max_rejects, 10);
    assert_true(r.opts.max_rejects_pct == 0);
    done(&r);
}

/* A config file's bad line: exit 78 and "forkbulk: path:line: why". */
static void
assert_file_refused(const char *text, int line, const char *why)
{
    const char *conf = write_file("b.conf", text, 0600);
    char expect[PATH_MAX + 512];
    struct run r;

    snprintf(expect, sizeof(expect), "forkbulk: %s:%d: %s\n", conf, line, why);
    RUN(&r, "--config", conf, "--input", "x", "--index", "i");
    assert_int_equal(r.rc, FB_EXIT_CONFIG);
    assert_string_equal(r.err, expect);
    done(&r);
}

static void
test_bad_config_files(void **state)
{
    char line[FB_CONFIG_LINE_MAX + 32];

    (void)state;
    assert_file_refused("# comment\n[limits]\n\nworkerz = 3\n", 4,
                        "unknown setting [limits] workerz");
    assert_file_refused("[input]\nworkers = 3\n", 2,
                        "unknown setting [input] workers");
    assert_file_refused("[limits]\nworkers = 99\n", 2,
                        "[limits] workers must be an integer from 1 to 64, "
                        "not '99'");
    assert_file_refused("[input]\ncsv_null = maybe\n", 2,
                        "[input] csv_null must be true or false, not 'maybe'");
    assert_file_refused("[source]\ntable =\n", 2,
                        "[source] table must not be empty");
    assert_file_refused("[limits]\nbatch_docs = 0\n", 2,
                        "[limits] batch_docs must be an integer from 1 to "
                        "1000000, not '0'");
    assert_file_refused("[limits]\ngrace_ms = 2h\n", 2,
                        "[limits] grace_ms must be milliseconds from 0 to "
                        "3600000 (or like 10s, 5m, 1h), not '2h'");
    assert_file_refused("[input]\nformat = xml\n", 2,
                        "[input] format must be ndjson or csv, not 'xml'");
    assert_file_refused("[limits]\nmax_rejects = 200%\n", 2,
                        "[limits] max_rejects must be a count or a percentage "
                        "(like 100 or 0.5%), not '200%'");
    assert_file_refused("[limits\n", 1, "malformed section header");
    assert_file_refused("[]\n", 1, "malformed section header");
    memset(line, 's', 200);
    line[0] = '[';
    memcpy(line + 200, "]\n", 3);
    assert_file_refused(line, 1, "section name too long");
    assert_file_refused("[limits]\nworkers\n", 2, "expected key = value");
    assert_file_refused("workers = 3\n", 1,
                        "key 'workers' outside any [section]");
    assert_file_refused("[limits]\n= 3\n", 2, "missing key before '='");
    memset(line, 'x', sizeof(line) - 2);
    line[0] = '#';
    line[sizeof(line) - 2] = '\n';
    line[sizeof(line) - 1] = '\0';
    assert_file_refused(line, 1, "line longer than 4096 bytes");
}

static void
test_missing_files(void **state)
{
    char expect[PATH_MAX + 256];
    struct run r;

    (void)state;
    RUN(&r, "--config", "/nonexistent/fb.conf");
    assert_int_equal(r.rc, FB_EXIT_CONFIG);
    assert_string_equal(r.err, "forkbulk: /nonexistent/fb.conf: No such file "
                               "or directory\n");
    done(&r);
    RUN(&r, "--config",
        write_file("a.conf", "[source]\npg_password_file = /nonexistent/pw\n",
                   0644));
    assert_int_equal(r.rc, FB_EXIT_CONFIG);
    assert_contains(r.err, ":2: [source] pg_password_file cannot read secret "
                           "file /nonexistent/pw: No such file or directory\n");
    done(&r);
    write_file("empty-pw", "\n", 0600);
    snprintf(expect, sizeof(expect),
             "[elasticsearch]\npassword_file = %s/empty-pw\n", dir);
    RUN(&r, "--config", write_file("a.conf", expect, 0644));
    snprintf(expect, sizeof(expect),
             ":2: [elasticsearch] password_file secret file %s/empty-pw is "
             "empty\n",
             dir);
    assert_int_equal(r.rc, FB_EXIT_CONFIG);
    assert_contains(r.err, expect);
    done(&r);
}

static void
assert_usage(struct run *r, const char *message)
{
    char expect[512];

    snprintf(expect, sizeof(expect), "forkbulk: %s\nTry 'forkbulk --help'.\n",
             message);
    assert_int_equal(r->rc, FB_EXIT_USAGE);
    assert_string_equal(r->err, expect);
    done(r);
}

static void
test_settings_checked_together(void **state)
{
    struct run r;

    (void)state;
    RUN(&r, "--index", "i");
    assert_usage(&r, "--input is required (or a PostgreSQL source: --pg with "
                     "--table or --query)");
    RUN(&r, "--input", "x");
    assert_usage(&r, "--index is required");
    RUN(&r, "--input", "x", "--pg", "dbname=x", "--table", "t", "--time-column",
        "ts");
    assert_usage(&r, "--input and a PostgreSQL source (--pg, --table, "
                     "--query) exclude each other");
    RUN(&r, "--table", "t");
    assert_usage(&r, "--table needs --time-column");
    RUN(&r, "--pg", "dbname=x");
    assert_usage(&r, "a PostgreSQL load needs either --table (with "
                     "--time-column) or --query");
    RUN(&r, "--table", "t", "--time-column", "ts", "--query", "SELECT 1");
    assert_usage(&r, "a PostgreSQL load needs either --table (with "
                     "--time-column) or --query");
    RUN(&r, "--input", "x", "--index", "i", "--es",
        "http://u:pw@127.0.0.1:9200");
    assert_usage(&r, "--es must not contain credentials; use the config file "
                     "or FORKBULK_ES_USER/_PASSWORD");
    RUN(&r, "--input", "x", "--index", "i", "extra");
    assert_usage(&r, "unexpected argument 'extra'");
    RUN(&r, "--input", "x", "--index", "");
    assert_usage(&r, "--index must not be empty");
    RUN(&r, "--input", "x", "--index",
        "%c%c%c%c%c%c%c%c%c%c%c%c%c%c%c%c%c%c"
        "%c%c%c%c%c%c%c%c%c%c%c%c%c%c%c%c%c%c");
    assert_usage(&r, "--index: index pattern \"%c%c%c%c%c%c%c%c%c%c%c%c%c%c%c"
                     "%c%c%c%c%c%c%c%c%c%c%c%c%c%c%c%c%c%c%c%c%c\" gives an "
                     "empty name or one longer than 255 bytes");
    /* File loads check names by the hourly job's rules too. */
    RUN(&r, "--input", "x", "--index", "Flows-%Y");
    assert_int_equal(r.rc, FB_EXIT_USAGE);
    assert_contains(r.err, "is not valid: it must be lowercase");
    done(&r);
    /* Secrets are never flags. */
    RUN(&r, "--input", "x", "--index", "i", "--password", "pw");
    assert_int_equal(r.rc, FB_EXIT_USAGE);
    assert_string_equal(r.err, "forkbulk: unrecognized option '--password'\n"
                               "Try 'forkbulk --help'.\n");
    done(&r);
}

static void
test_secret_in_a_readable_file(void **state)
{
    const char *conf =
        write_file("a.conf", "[elasticsearch]\npassword = x\n", 0640);
    char expect[PATH_MAX + 256];
    struct run r;

    (void)state;
    snprintf(expect, sizeof(expect),
             "forkbulk: %s holds a secret but is readable by group or others "
             "(mode 640); chmod 600 it or use a *_file key\n",
             conf);
    RUN(&r, "--config", conf, "--input", "x", "--index", "i");
    assert_int_equal(r.rc, FB_EXIT_CONFIG);
    assert_string_equal(r.err, expect);
    done(&r);
    assert_int_equal(chmod(conf, 0600), 0);
    RUN(&r, "--config", conf, "--input", "x", "--index", "i");
    assert_int_equal(r.rc, 0);
    assert_string_equal(r.opts.es_password, "x");
    done(&r);
    /* A *_file key keeps the secret out of the config file. */
    write_file("pw", "s3cret\nsecond line\n", 0600);
    snprintf(expect, sizeof(expect), "[elasticsearch]\napi_key_file = %s/pw\n",
             dir);
    RUN(&r, "--config", write_file("b.conf", expect, 0644), "--input", "x",
        "--index", "i");
    assert_int_equal(r.rc, 0);
    assert_string_equal(r.opts.es_api_key, "s3cret");
    done(&r);
}

static void
test_environment_fills_what_is_unset(void **state)
{
    struct run r;

    (void)state;
    setenv("FORKBULK_ES_USER", "env-user", 1);
    setenv("FORKBULK_ES_PASSWORD", "env-pw", 1);
    setenv("FORKBULK_ES_API_KEY", "env-key", 1);
    RUN(&r, "--config",
        write_file("a.conf", "[elasticsearch]\nuser = file-user\n", 0600),
        "--input", "x", "--index", "i");
    assert_int_equal(r.rc, 0);
    assert_string_equal(r.opts.es_user, "file-user");
    assert_string_equal(r.opts.es_password, "env-pw");
    assert_string_equal(r.opts.es_api_key, "env-key");
    done(&r);
    clear_env();
}

/* The settings of a printed config, one "section key" line each. */
static void
assert_in_section(const char *printed, const char *section, const char *line)
{
    const char *at = strstr(printed, line);
    const char *header = NULL;
    char want[64];

    if (at == NULL)
        fail_msg("'%s' not printed", line);
    for (const char *p = printed; p != NULL && p < at; p = strstr(p + 1, "\n["))
        header = p;
    snprintf(want, sizeof(want), "\n[%s]\n", section);
    assert_non_null(header);
    if (strncmp(header, want, strlen(want)) != 0)
        fail_msg("'%s' is not in [%s]", line, section);
}

static void
test_print_config_round_trip(void **state)
{
    const char *conf = write_file(
        "a.conf",
        "[limits]\nmax_rejects = 0.5%\nworkers = 3\nbatch_bytes = 4MiB\n"
        "request_timeout_ms = 30s\n"
        "[input]\nformat = csv\npath = \" in.csv\"\n"
        "[elasticsearch]\nop = create\nindex = flows-%Y\n"
        "id_field = \"\"quoted\"\"\n[output]\nreject_file = rejects.ndjson\n",
        0600);
    static const char *const sections[] = {
        "\n[input]\n",         "\n[source]\n", "\n[job]\n",
        "\n[elasticsearch]\n", "\n[limits]\n", "\n[output]\n"};
    struct run r, again;
    char *printed;

    (void)state;
    RUN(&r, "--config", conf, "--compress", "--print-config");
    assert_int_equal(r.rc, FB_OPTIONS_PRINT_CONFIG);
    assert_string_equal(r.err, "");
    printed = r.out;
    assert_in_section(printed, "input", "\nformat = csv\n");
    assert_in_section(printed, "input", "\npath = \" in.csv\"\n");
    assert_in_section(printed, "elasticsearch", "\nop = create\n");
    assert_in_section(printed, "elasticsearch", "\ncompress = true\n");
    assert_in_section(printed, "elasticsearch",
                      "\nid_field = \"\"quoted\"\"\n");
    assert_in_section(printed, "limits", "\nmax_rejects = 0.5%\n");
    assert_in_section(printed, "limits", "\nworkers = 3\n");
    assert_in_section(printed, "limits", "\nbatch_bytes = 4194304\n");
    assert_in_section(printed, "limits", "\nrequest_timeout_ms = 30000\n");
    /* Computed defaults as given, whatever the machine. */
    assert_in_section(printed, "limits", "\nstall_timeout_ms = 0\n");
    assert_in_section(printed, "output", "\nreject_file = rejects.ndjson\n");
    assert_in_section(printed, "source", "\n# pg_password =\n");
    assert_contains(printed, "\n# Worker processes, forked before anything");
    assert_contains(printed, "\n# (--batch-bytes SIZE; default 8MiB)\n");
    /* Each section once. */
    for (size_t i = 0; i < sizeof(sections) / sizeof(sections[0]); i++) {
        const char *first = strstr(printed, sections[i]);

        assert_non_null(first);
        assert_null(strstr(first + 1, sections[i]));
    }

    RUN(&again, "--config", write_file("printed.conf", printed, 0600),
        "--print-config");
    assert_int_equal(again.rc, FB_OPTIONS_PRINT_CONFIG);
    assert_string_equal(again.out, printed);
    done(&again);
    done(&r);
}

/* A PostgreSQL load given by flags only, with a query over lines. */
static void
test_print_config_round_trip_pg(void **state)
{
    struct run r, again;

    (void)state;
    RUN(&r, "--pg", "dbname=flows", "--query",
        "SELECT *\nFROM flows\nWHERE ts >= $1 AND ts < $2", "--print-config");
    assert_int_equal(r.rc, FB_OPTIONS_PRINT_CONFIG);
    assert_in_section(r.out, "source",
                      "\nquery = SELECT * FROM flows WHERE ts >= $1 AND "
                      "ts < $2\n");
    assert_in_section(r.out, "elasticsearch", "\n# index =\n");
    assert_in_section(r.out, "limits", "\n# workers =\n");
    assert_in_section(r.out, "input", "\n# format =\n");
    RUN(&again, "--config", write_file("printed.conf", r.out, 0600),
        "--print-config");
    assert_int_equal(again.rc, FB_OPTIONS_PRINT_CONFIG);
    assert_string_equal(again.out, r.out);
    done(&again);
    done(&r);
}

/* A password inside --pg would show in ps and in /proc of every worker:
 * refused as a flag; in a config file it makes the file a secret one,
 * and --print-config never shows it. */
static void
test_password_in_conninfo(void **state)
{
    const char *open_conf =
        write_file("pg.conf",
                   "[source]\npg = host=db user=u password=hunter2\ntable = t\n"
                   "time_column = ts\n",
                   0644);
    struct run r;

    (void)state;
    RUN(&r, "--pg", "host=db password=hunter2", "--table", "t", "--time-column",
        "ts");
    assert_usage(&r, "--pg must not hold a password: use pg_password_file "
                     "in the config file, PGPASSWORD or ~/.pgpass");
    RUN(&r, "--pg", "postgresql://u:hunter2@db/flows", "--table", "t",
        "--time-column", "ts");
    assert_usage(&r, "--pg must not hold a password: use pg_password_file "
                     "in the config file, PGPASSWORD or ~/.pgpass");
    RUN(&r, "--pg", "postgresql://u@db/flows", "--table", "t", "--time-column",
        "ts");
    assert_int_equal(r.rc, 0);
    done(&r);
    RUN(&r, "--config", open_conf);
    assert_int_equal(r.rc, FB_EXIT_CONFIG);
    assert_contains(r.err, "holds a secret but is readable by group or "
                           "others");
    done(&r);
    assert_int_equal(chmod(open_conf, 0600), 0);
    RUN(&r, "--config", open_conf, "--print-config");
    assert_int_equal(r.rc, FB_OPTIONS_PRINT_CONFIG);
    assert_in_section(r.out, "source",
                      "\n# pg = ******** (holds a password)\n");
    assert_null(strstr(r.out, "hunter2"));
    done(&r);
}

static void
test_secrets_never_printed(void **state)
{
    const char *conf =
        write_file("a.conf",
                   "[source]\npg_password = pg-secret\n[elasticsearch]\n"
                   "password = es-secret\n[input]\npath = x\n[elasticsearch]\n"
                   "index = i\n",
                   0600);
    struct run r;

    (void)state;
    RUN(&r, "--config", conf, "--print-config");
    assert_int_equal(r.rc, FB_OPTIONS_PRINT_CONFIG);
    assert_in_section(r.out, "source", "\n# pg_password = ********\n");
    assert_in_section(r.out, "elasticsearch", "\n# password = ********\n");
    assert_in_section(r.out, "elasticsearch", "\n# api_key =\n");
    assert_null(strstr(r.out, "-secret"));
    /* --print-config resolves nothing: no PGPASSWORD yet. */
    assert_null(getenv("PGPASSWORD"));
    done(&r);

    /* The pg_password row once shared its field with input. */
    RUN(&r, "--input", "x", "--index", "i", "--print-config");
    assert_in_section(r.out, "source", "\n# pg_password =\n");
    assert_in_section(r.out, "input", "\npath = x\n");
    done(&r);

    /* A run keeps it for libpq's connection parameters, and never puts
     * it in the environment, where every worker would inherit it. */
    RUN(&r, "--config", conf);
    assert_int_equal(r.rc, 0);
    assert_string_equal(r.opts.pg_password, "pg-secret");
    assert_string_equal(r.opts.input, "x");
    assert_null(getenv("PGPASSWORD"));
    done(&r);
    clear_env();
}

static void
test_help_version_and_verbosity(void **state)
{
    size_t n;
    const struct fb_opt *rows = fb_opt_rows(&n);
    struct run r;

    (void)state;
    RUN(&r, "--input", "x", "--help");
    assert_int_equal(r.rc, FB_OPTIONS_HELP);
    /* Every flag, with the default of its row. */
    for (size_t i = 0; i < n; i++) {
        char want[256];

        if (rows[i].flag == NULL)
            continue;
        snprintf(want, sizeof(want), " --%s%s%s ", rows[i].flag,
                 rows[i].arg ? " " : "", rows[i].arg ? rows[i].arg : "");
        assert_contains(r.out, want);
        if (rows[i].def != NULL && rows[i].arg != NULL) {
            const char *line = strstr(r.out, want);
            char def[128];

            snprintf(def, sizeof(def), "(default %s)\n", rows[i].def);
            assert_contains(line, def);
            assert_true(strstr(line, def) < strchr(line, '\n') + 1);
        }
    }
    assert_contains(r.out, "  [source] pg_password");
    assert_contains(r.out, "\nExit codes:\n   0  complete: every hour (or the "
                           "file) loaded;");
    done(&r);
    RUN(&r, "-V");
    assert_int_equal(r.rc, FB_OPTIONS_VERSION);
    assert_string_equal(r.out, "forkbulk " FB_VERSION "\n");
    done(&r);
    RUN(&r, "-i", "x", "-x", "i", "-v", "--verbose");
    assert_int_equal(r.opts.verbosity, 3);
    done(&r);
    RUN(&r, "-i", "x", "-x", "i", "-v", "-q");
    assert_int_equal(r.opts.verbosity, 0);
    done(&r);
}

/* --print-man and --print-completion print at once, whatever else is
 * given or missing, and take only the values of their rows. */
static void
test_print_docs(void **state)
{
    struct run r;

    (void)state;
    RUN(&r, "--print-man", "1");
    assert_int_equal(r.rc, FB_OPTIONS_PRINT_MAN1);
    assert_contains(r.out, "\n.TH \"FORKBULK\" \"1\" ");
    assert_string_equal(r.err, "");
    done(&r);
    RUN(&r, "--print-man", "5", "--input", "x");
    assert_int_equal(r.rc, FB_OPTIONS_PRINT_MAN5);
    assert_contains(r.out, "\n.TH \"FORKBULK.CONF\" \"5\" ");
    done(&r);
    RUN(&r, "--print-completion=bash");
    assert_int_equal(r.rc, FB_OPTIONS_PRINT_COMPLETION_BASH);
    assert_contains(r.out, "\ncomplete -F _forkbulk forkbulk\n");
    done(&r);
    RUN(&r, "--print-man", "7");
    assert_int_equal(r.rc, FB_EXIT_USAGE);
    assert_string_equal(r.out, "");
    assert_contains(r.err, "--print-man must be 1 or 5, not '7'");
    done(&r);
    RUN(&r, "--print-completion", "zsh");
    assert_int_equal(r.rc, FB_EXIT_USAGE);
    assert_contains(r.err, "--print-completion must be bash, not 'zsh'");
    done(&r);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rows_are_consistent),
        cmocka_unit_test(test_defaults_from_the_rows),
        cmocka_unit_test(test_computed_defaults),
        cmocka_unit_test(test_flags_win_over_the_file),
        cmocka_unit_test(test_sizes),
        cmocka_unit_test(test_durations),
        cmocka_unit_test(test_bad_flag_values),
        cmocka_unit_test(test_max_rejects),
        cmocka_unit_test(test_bad_config_files),
        cmocka_unit_test(test_missing_files),
        cmocka_unit_test(test_settings_checked_together),
        cmocka_unit_test(test_secret_in_a_readable_file),
        cmocka_unit_test(test_environment_fills_what_is_unset),
        cmocka_unit_test(test_print_config_round_trip),
        cmocka_unit_test(test_print_config_round_trip_pg),
        cmocka_unit_test(test_secrets_never_printed),
        cmocka_unit_test(test_password_in_conninfo),
        cmocka_unit_test(test_help_version_and_verbosity),
        cmocka_unit_test(test_print_docs),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
