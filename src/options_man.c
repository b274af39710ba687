/*
 * options_man.c
 *    forkbulk(1) and forkbulk.conf(5), written from the rows (see
 *    options_man.h).
 *
 * The macros are written here, one a line; every text, whether a row's
 * or the prose below, goes through roff.h, which escapes it.  What a row
 * says (its flag, key, values, default) is written by the same functions
 * in both pages.  Defaults never appear in the prose: only the rows state
 * them, so a changed default changes every page that names it.
 */
#include "forkbulk/options_man.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "forkbulk/config.h"
#include "forkbulk/options_table.h"
#include "forkbulk/roff.h"
#include "forkbulk/status.h"
#include "forkbulk/version.h"

/* The install layout of the build (options_man.h). */
#ifndef FB_MAN_SYSCONFDIR
#define FB_MAN_SYSCONFDIR "/etc"
#endif
#ifndef FB_MAN_LIBEXECDIR
#define FB_MAN_LIBEXECDIR "/usr/libexec"
#endif
#ifndef FB_MAN_UNITDIR
#define FB_MAN_UNITDIR "/lib/systemd/system"
#endif

#define CONF FB_MAN_SYSCONFDIR "/forkbulk/forkbulk.conf"
#define WRAPPER FB_MAN_LIBEXECDIR "/forkbulk/forkbulk-cron"
#define SOURCE "forkbulk " FB_VERSION

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

/* A tagged paragraph of prose (.TP). */
struct item {
    const char *tag;
    const char *text;
};

/* An example: what it does, then its command lines. */
struct example {
    const char *text;
    const char *lines[6];
};

static void
put_text(FILE *out, const char *text)
{
    fb_roff_text(out, text, FB_ROFF_FLAGS_BOLD);
}

/* s in bold (or italic) inside a line. */
static void
put_font(FILE *out, char font, const char *s)
{
    fprintf(out, "\\f%c", font);
    fb_roff_code(out, s);
    fputs("\\fR", out);
}

/* "--flag" in bold inside a line. */
static void
put_flag(FILE *out, const char *flag)
{
    fputs("\\fB\\-\\-", out);
    fb_roff_code(out, flag);
    fputs("\\fR", out);
}

/* "[section] key" in bold inside a line. */
static void
put_setting(FILE *out, const struct fb_opt *o)
{
    fputs("\\fB[", out);
    fb_roff_code(out, o->section);
    fputs("] ", out);
    fb_roff_code(out, o->key);
    fputs("\\fR", out);
}

/* A text of a row as a sentence on its lines: a capital first, a full
 * stop last ("do not refresh" becomes "Do not refresh."). */
static void
put_sentence(FILE *out, const char *text)
{
    char buf[1024];
    size_t len;

    len = (size_t)snprintf(buf, sizeof(buf) - 1, "%s", text);
    if (len >= sizeof(buf) - 1)
        len = sizeof(buf) - 2;
    buf[0] = (char)toupper((unsigned char)buf[0]);
    if (len > 0 && buf[len - 1] != '.')
        buf[len++] = '.';
    buf[len] = '\0';
    put_text(out, buf);
}

/* "prefix text suffix" as text: for facts made of a row's prose. */
static void
put_joined(FILE *out, const char *prefix, const char *text, const char *suffix)
{
    char buf[1024];

    snprintf(buf, sizeof(buf), "%s%s%s", prefix, text, suffix);
    put_text(out, buf);
}

/* The values of a row, in bold, between sep. */
static void
put_values(FILE *out, const char *const *names, const char *sep)
{
    for (size_t i = 0; names[i] != NULL; i++) {
        if (i > 0)
            fputs(sep, out);
        put_font(out, 'B', names[i]);
    }
}

static void
put_items(FILE *out, const struct item *items, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        fputs(".TP\n.B ", out);
        fb_roff_text(out, items[i].tag, 0);
        put_text(out, items[i].text);
    }
}

static void
put_paragraphs(FILE *out, const char *const *texts, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        fputs(".PP\n", out);
        put_text(out, texts[i]);
    }
}

static void
put_examples(FILE *out, const struct example *ex, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        fputs(".PP\n", out);
        put_text(out, ex[i].text);
        fputs(".PP\n.RS 4\n.nf\n", out);
        for (size_t j = 0; j < N_OF(ex[i].lines) && ex[i].lines[j] != NULL; j++)
            fb_roff_code_line(out, ex[i].lines[j]);
        fputs(".fi\n.RE\n", out);
    }
}

/* What a row's value is when nothing sets it, as a sentence. */
static void
put_default(FILE *out, const struct fb_opt *o)
{
    if (o->def != NULL) {
        fputs("Default: ", out);
        put_font(out, 'B', o->def);
        fputs(".\n", out);
    } else if (o->computed != NULL) {
        put_joined(out, "Default: ", o->computed, ".");
    }
}

/* The environment variable that supplies a row, as a sentence. */
static void
put_env(FILE *out, const struct fb_opt *o)
{
    if (o->env == NULL)
        return;
    fputs("Environment: ", out);
    put_font(out, 'B', o->env);
    fputs(", when no config file sets it.\n", out);
}

/* After .TH: flags, keys and paths must read as they are typed, never
 * broken at a hyphen of roff's choosing; and ragged right, as flags and
 * paths make justified lines gappy. */
static const char no_hyphenation[] = ".nh\n.ad l\n";

/* ---------------------------------------------------------------- */
/* forkbulk(1)                                                       */

static const char *const description[] = {
    "forkbulk loads records into Elasticsearch 7 and 8 and OpenSearch 1 "
    "and 2 through the _bulk API: the rows of a PostgreSQL table or query, "
    "an hour at a time, or NDJSON and CSV files.  Its memory is bounded by "
    "workers x batch size, whatever the data holds: it forks a capped "
    "number of worker processes before it reads any data, then hands them "
    "ranges of the input (never records) over pipes.  Each worker reads "
    "only its own slice of the source, turns it into bulk requests of "
    "bounded size, uploads them with retries, and reports its counts back; "
    "a worker that dies loses only its range, which is loaded again.",
    "Settings come from their defaults, then from the config files that "
    "--config names (see forkbulk.conf(5)), then from the other flags, "
    "then from the environment for credentials that neither sets: a flag "
    "wins over a file.  Every setting of the file but the secrets is also "
    "a flag.",
};

static const struct item hourly_job[] = {
    {"Hours",
     "--hour last is the last hour that ended at least --settle ago (rows "
     "commit after their time stamp), in UTC unless --timezone names a "
     "zone; --from and --to give every hour in between.  Each hour goes to "
     "the index that the strftime pattern of --index names for it, and has "
     "a line in the summary with its outcome (done, failed, interrupted)."},
    {"Consistency",
     "For each hour the parent exports a snapshot and plans from metadata "
     "only; every worker reads its ranges inside that snapshot, so rows "
     "inserted or deleted during the load never make the index differ from "
     "one moment of the table."},
    {"A failed hour never blocks the next",
     "--max-rejects is the budget of rejected records of each hour: within "
     "it the hour is done and its rejects are reported; past it the hour "
     "stops, is recorded failed, and the next hours still load (exit 65).  "
     "Only a cluster or PostgreSQL that stays unreachable, a lost lock or a "
     "signal end a run of several hours early."},
    {"Ids",
     "Document ids come from --id-column, a hash of --id-columns, or the "
     "primary key, so that loading an hour again overwrites its documents; "
     "without one forkbulk warns that a re-run may duplicate them."},
    {"Ledger",
     "A table in the source database (--ledger-table, created on first "
     "use) records every run of an hour: start, end, status (running, done, "
     "failed, interrupted, skipped) and counts, and every range it "
     "completed."},
    {"Catch-up",
     "--catch-up loads every hour that is not done: the hours whose last "
     "run failed or was interrupted, those after the job's newest done "
     "hour, and those of --lookback; at most --max-hours a run, oldest "
     "first.  An hour that cannot load is retried by every run until it "
     "loads or --skip-hour records it as skipped."},
    {"Late rows",
     "With --verify, each run counts the rows of the done hours of that "
     "window again, and loads an hour again when its source gained rows."},
    {"Lock",
     "Two runs of one job never overlap: a lock file in --state-dir and a "
     "PostgreSQL advisory lock keyed on the job name.  The second run exits "
     "75 at once and names the holder."},
    {"Signals",
     "SIGINT and SIGTERM stop the run cleanly (within --grace); forkbulk "
     "then dies of the signal, so a shell loop around it stops too (the "
     "shell reports 130 or 143)."},
};

static const char *const file_loads[] = {
    "--input loads an NDJSON or CSV file into one index, the strftime "
    "pattern of --index applied to the time of the run.  A regular file is "
    "cut into byte ranges; a record belongs to the range its first byte "
    "lies in, so every record is read by exactly one worker.  Standard "
    "input, pipes and gzip files cannot be cut and are read by one worker.",
    "In CSV the header line names the fields; an unquoted number is a "
    "number, unquoted true and false are booleans, an unquoted empty field "
    "is left out (--csv-null: null), and anything quoted is a string.  "
    "Document ids come from --id-field, else from the file's path and the "
    "record's byte offset, so that loading a file again overwrites.",
};

static void
man1_head(FILE *out)
{
    const char *const *usages = fb_opt_usages();

    fputs(".\\\" Written by forkbulk --print-man 1 from its table of "
          "options; do not edit.\n",
          out);
    fb_roff_th(out, "FORKBULK", 1, SOURCE, "User Commands");
    fputs(no_hyphenation, out);
    fputs(".SH NAME\n", out);
    fputs("forkbulk \\- load PostgreSQL rows and NDJSON or CSV files into "
          "Elasticsearch and OpenSearch\n",
          out);
    fputs(".SH SYNOPSIS\n", out);
    for (size_t i = 0; usages[i] != NULL; i++) {
        const char *u = usages[i];

        fputs(i > 0 ? ".br\n.B forkbulk\n" : ".B forkbulk\n", out);
        /* Flags and literal values in bold, placeholders in italics. */
        while (*u != '\0') {
            size_t len = strcspn(u, " []|");
            char word[64];

            if (len == 0) {
                fputc(*u++, out);
                continue;
            }
            snprintf(word, sizeof(word), "%.*s", (int)len, u);
            put_font(out,
                     isupper((unsigned char)word[0]) ||
                             strcmp(word, "options") == 0
                         ? 'I'
                         : 'B',
                     word);
            u += len;
        }
        fputc('\n', out);
    }
}

static void
man1_description(FILE *out)
{
    fputs(".SH DESCRIPTION\n", out);
    put_paragraphs(out, description, N_OF(description));
    fputs(".SS \"The hourly job\"\n.PP\n", out);
    put_text(out, "Run by cron or a systemd timer through a wrapper (see "
                  "FILES), forkbulk loads each hour of a PostgreSQL table "
                  "into an index of its own:");
    put_items(out, hourly_job, N_OF(hourly_job));
    fputs(".SS \"Loading a file\"\n", out);
    put_paragraphs(out, file_loads, N_OF(file_loads));
}

/* "-x, --flag ARG" as the tag of a .TP. */
static void
put_flag_tag(FILE *out, const struct fb_opt *o)
{
    fputs(".TP\n", out);
    if (o->short_name != 0) {
        char dash[3] = {'-', o->short_name, '\0'};

        put_font(out, 'B', dash);
        fputs(", ", out);
    }
    put_flag(out, o->flag);
    if (o->arg != NULL) {
        fputc(' ', out);
        put_font(out, 'I', o->arg);
    }
    fputc('\n', out);
}

/* A flag: what it does, its values, its default, its config key. */
static void
put_flag_entry(FILE *out, const struct fb_opt *o)
{
    put_flag_tag(out, o);
    /* The doc text says what the setting is; --no-x also needs its help,
     * which says what the flag does to it. */
    if (o->doc == NULL || o->kind == FB_OPT_NOBOOL)
        put_sentence(out, o->help);
    if (o->doc != NULL)
        put_text(out, o->doc);
    if (o->names != NULL) {
        fputs("Values: ", out);
        put_values(out, o->names, ", ");
        fputs(".\n", out);
    }
    /* A bare flag turns its setting on (or off): its key says more. */
    if (o->arg != NULL)
        put_default(out, o);
    if (o->section == NULL)
        return;
    fputs("Config: ", out);
    put_setting(out, o);
    if (o->arg == NULL) {
        fprintf(out, " \\fB= %s\\fR (default ",
                o->kind == FB_OPT_BOOL ? "true" : "false");
        put_font(out, 'B', o->def != NULL ? o->def : "none");
        fputc(')', out);
    }
    fputs(".\n", out);
    put_env(out, o);
}

static void
man1_options(FILE *out)
{
    size_t n;
    const struct fb_opt *rows = fb_opt_rows(&n);

    fputs(".SH OPTIONS\n", out);
    put_text(out, "Sizes (SIZE) are bytes, or with a unit: 512k, 8MiB, 1g.  "
                  "Durations (MS) are milliseconds, or with a unit: 500ms, "
                  "10s, 5m, 1h.  Each setting's key in the config file is "
                  "given as [section] key (see forkbulk.conf(5)).");
    for (size_t i = 0; i < n; i++)
        if (rows[i].flag != NULL)
            put_flag_entry(out, &rows[i]);
    fputs(".SS \"Settings that are not flags\"\n.PP\n", out);
    put_text(out, "Secrets are never flags, which would show them in ps(1): "
                  "they come from the config file, from a file that it "
                  "names, or from the environment.");
    for (size_t i = 0; i < n; i++) {
        if (rows[i].flag != NULL)
            continue;
        fputs(".TP\n", out);
        put_setting(out, &rows[i]);
        fputc('\n', out);
        put_sentence(out, rows[i].help);
        put_env(out, &rows[i]);
    }
}

/* The exit codes, as --help lists them (status.c). */
static void
man1_exit_status(FILE *out)
{
    const char *text;
    int code;

    fputs(".SH \"EXIT STATUS\"\n", out);
    put_text(out, "Stable: wrapper scripts may rely on them.  When several "
                  "things went wrong, forkbulk reports the most severe.");
    for (size_t i = 0; (text = fb_exit_help_at(i, &code)) != NULL; i++) {
        fprintf(out, ".TP\n.B %d\n", code);
        put_text(out, text);
    }
}

static const struct item environment[] = {
    {"PGHOST, PGPORT, PGUSER, PGDATABASE, PGPASSFILE, PGSSLMODE, ...",
     "libpq's environment variables, and ~/.pgpass, supply what the "
     "conninfo of --pg leaves out, as they do for psql(1)."},
    {"JOURNAL_STREAM",
     "Set by systemd when standard error goes to the journal: log lines "
     "then carry the priority prefixes of sd-daemon(3) (<3> error to <7> "
     "debug) and no time stamp of their own, the journal having one."},
    {"TZ", "Not used: log times are UTC, and hours and index names are UTC "
           "unless --timezone names a zone (looked up under TZDIR when that is "
           "set)."},
};

static void
man1_environment(FILE *out)
{
    size_t n;
    const struct fb_opt *rows = fb_opt_rows(&n);

    fputs(".SH ENVIRONMENT\n", out);
    for (size_t i = 0; i < n; i++) {
        if (rows[i].env == NULL)
            continue;
        fputs(".TP\n", out);
        put_font(out, 'B', rows[i].env);
        fputc('\n', out);
        put_sentence(out, rows[i].help);
        fputs("It sets ", out);
        put_setting(out, &rows[i]);
        fputs(" when no config file does.\n", out);
    }
    put_items(out, environment, N_OF(environment));
}

/* A path of FILES, then what it is. */
static void
put_file(FILE *out, const char *path, const char *text)
{
    fputs(".TP\n", out);
    put_font(out, 'I', path);
    fputc('\n', out);
    put_text(out, text);
}

static void
man1_files(FILE *out)
{
    const struct fb_opt *state = fb_opt_find("job", "state_dir");
    const struct fb_opt *lock = fb_opt_find("job", "lock_file");
    const struct fb_opt *metrics = fb_opt_find("output", "metrics_file");
    char text[512];

    fputs(".SH FILES\n", out);
    put_file(out, CONF,
             "The configuration of the hourly job, which the cron entry and "
             "the service give the wrapper (see forkbulk.conf(5)); forkbulk "
             "itself reads only the files that --config names.");
    if (state != NULL && lock != NULL && state->def != NULL) {
        snprintf(text, sizeof(text),
                 "The state directory of the job (--state-dir), created with "
                 "mode 0700 when forkbulk can create it.  It holds the lock "
                 "file, %s (--lock-file), and the summary of the wrapper's "
                 "last run, last-summary.json.",
                 lock->computed != NULL ? lock->computed : "");
        put_file(out, state->def, text);
    }
    if (metrics != NULL && metrics->example != NULL)
        put_file(out, metrics->example,
                 "The metrics of the last run, which the wrapper writes "
                 "(--metrics-file) when that directory exists, for the "
                 "textfile collector of the Prometheus node exporter.");
    put_file(out, FB_MAN_SYSCONFDIR "/cron.d/forkbulk",
             "Runs the wrapper as the user forkbulk five minutes past every "
             "hour, unless systemd runs the timer instead.");
    put_file(out, FB_MAN_UNITDIR "/forkbulk.timer",
             "The same under systemd: starts forkbulk.service, which runs "
             "the wrapper as the user forkbulk.  Not enabled when installed: "
             "systemctl enable --now forkbulk.timer.");
    put_file(out, FB_MAN_UNITDIR "/forkbulk.service",
             "The hourly job as a oneshot service.");
    put_file(out, WRAPPER,
             "The wrapper: runs forkbulk with the configuration, "
             "--catch-up and --verify 6h, logs the outcome and every failed "
             "hour through logger(1), and keeps the summary of the run in "
             "the state directory.");
}

static const struct example examples[] = {
    {"What cron runs every hour (the line of " FB_MAN_SYSCONFDIR
     "/cron.d/forkbulk), and what the wrapper then runs: the last settled "
     "hour, and every hour that is not done.",
     {"5 * * * *  forkbulk  " WRAPPER " " CONF,
      "forkbulk --config " CONF " --catch-up --verify 6h"}},
    {"Load one hour, again after a fix:",
     {"forkbulk --config " CONF " --hour 2026-11-27T03"}},
    {"Backfill a week, with a progress line in the log every minute; first "
     "see what it would load, without loading or changing anything:",
     {"forkbulk --config " CONF " \\",
      "    --from 2026-11-20T00 --to "
      "2026-11-27T00 --dry-run",
      "forkbulk --config " CONF " \\",
      "    --from 2026-11-20T00 --to 2026-11-27T00 --progress 60"}},
    {"Load every hour of the last two days that is not done, then give up "
     "on one that cannot load:",
     {"forkbulk --config " CONF " --catch-up --lookback 48h",
      "forkbulk --config " CONF " \\",
      "    --skip-hour 2026-11-27T03 --reason 'source rows lost'"}},
    {"Check that PostgreSQL and the cluster can be reached, and that the "
     "credentials may do what the job does:",
     {"forkbulk --config " CONF " --check"}},
    {"Load a file with four workers, ids from a field, rejects kept; and a "
     "compressed one from standard input:",
     {"forkbulk --input flows.ndjson --index 'flows-%Y.%m.%d' --workers 4 \\",
      "    --id-field id --reject-file flows.rejects.ndjson",
      "zcat flows.ndjson.gz | forkbulk --input - --index flows"}},
    {"A secured cluster, with the credentials in the environment:",
     {"FORKBULK_ES_USER=loader FORKBULK_ES_PASSWORD=... \\",
      "    forkbulk --input flows.csv --index flows \\",
      "    --es https://es.example.net:9200"}},
    {"Complete forkbulk's flags in bash:",
     {"forkbulk --print-completion bash \\",
      "    > ~/.local/share/bash-completion/completions/forkbulk"}},
};

void
fb_options_man_print_forkbulk(FILE *out)
{
    man1_head(out);
    man1_description(out);
    man1_options(out);
    man1_exit_status(out);
    man1_environment(out);
    man1_files(out);
    fputs(".SH EXAMPLES\n", out);
    put_examples(out, examples, N_OF(examples));
    fputs(".SH \"SEE ALSO\"\n"
          ".BR forkbulk.conf (5),\n"
          ".BR crontab (5),\n"
          ".BR systemd.timer (5),\n"
          ".BR journalctl (1),\n"
          ".BR logger (1)\n",
          out);
}

/* ---------------------------------------------------------------- */
/* forkbulk.conf(5)                                                  */

static const char *const conf_description[] = {
    "forkbulk(1) reads its settings from the INI files that --config "
    "names, in order, before any other flag: a later file wins over an "
    "earlier one, a flag on the command line wins over every file, and "
    "the environment supplies the credentials that no file sets.  Every "
    "key but the secrets is also a flag.",
    "forkbulk --config FILE --print-config prints the settings as such a "
    "file, every key under its section after what it means, with its flag "
    "and its default; the configuration installed as " CONF " was written so.",
};

static const char *const conf_syntax[] = {
    "Lines are [section] headers, key = value settings, blank lines, and "
    "comments: lines that start with # or ;.  Spaces around keys and "
    "values are trimmed; a value may be put in double quotes to keep "
    "spaces at its ends.  A value is one line.  A key given again wins "
    "over its earlier value.",
    "A key outside a section, an unknown section or key, or a value that "
    "is not one the key takes is an error: forkbulk names the file and "
    "the line, and exits 78.",
    "Sizes are bytes, or with a unit: 512k, 8MiB, 1g.  Durations are "
    "milliseconds, or with a unit: 500ms, 10s, 5m, 1h.  Booleans are "
    "true, yes, on or 1, and false, no, off or 0.",
};

static bool
is_secret(const struct fb_opt *o)
{
    return o->kind == FB_OPT_SECRET;
}

static bool
is_secret_file(const struct fb_opt *o)
{
    return o->kind == FB_OPT_SECRET_FILE;
}

static bool
is_conninfo(const struct fb_opt *o)
{
    return o->kind == FB_OPT_CONNINFO;
}

static bool
has_env(const struct fb_opt *o)
{
    return o->env != NULL;
}

/* The settings of the rows that pred picks, as "[a] b, [c] d and [e] f",
 * each after its variable when env, then end: a line of its own. */
static void
put_setting_list(FILE *out, bool (*pred)(const struct fb_opt *), bool env,
                 const char *end)
{
    size_t n, count = 0, k = 0;
    const struct fb_opt *rows = fb_opt_rows(&n);

    for (size_t i = 0; i < n; i++)
        count += pred(&rows[i]) && rows[i].section != NULL;
    for (size_t i = 0; i < n; i++) {
        if (!pred(&rows[i]) || rows[i].section == NULL)
            continue;
        fputs(k == 0 ? "" : k + 1 < count ? ", " : " and ", out);
        if (env) {
            put_font(out, 'B', rows[i].env);
            fputs(" for ", out);
        }
        put_setting(out, &rows[i]);
        k++;
    }
    fprintf(out, "%s\n", end);
}

static void
man5_secrets(FILE *out)
{
    fputs(".SH SECRETS\n.PP\nThe secrets are\n", out);
    put_setting_list(out, is_secret, false, ".");
    put_text(out, "They are never flags, which ps(1) and the /proc of every "
                  "worker would show, and never printed: --print-config "
                  "shows a set one as # key = ********.");
    fputs(".PP\n", out);
    put_text(out, "A config file that holds a secret must not be readable by "
                  "group or others (chmod 600; its owner the user forkbulk "
                  "runs as): forkbulk refuses it, and exits 78.  Or keep the "
                  "secret in a file of its own, whose first line is the "
                  "secret, and name that file with");
    put_setting_list(out, is_secret_file, false, "");
    put_text(out, "(forkbulk does not check the mode of that file: let only "
                  "the user forkbulk runs as read it).  Or leave the secret "
                  "out of the files, to the environment:");
    put_setting_list(out, has_env, true, "");
    put_text(out, "(and ~/.pgpass, as libpq reads it).");
    fputs(".PP\n", out);
    put_text(out, "A PostgreSQL connection string that holds a password is "
                  "a secret too:");
    put_setting_list(out, is_conninfo, false, "");
    put_text(out, "with a password makes its file one that holds a secret, "
                  "is masked by --print-config, and is refused as a flag.");
}

/* What stands for a key's value after "key = ". */
static void
put_placeholder(FILE *out, const struct fb_opt *o)
{
    static const char *const bools[] = {"true", "false", NULL};

    if (o->names != NULL)
        put_values(out, o->names, "|");
    else if (o->kind == FB_OPT_BOOL || o->kind == FB_OPT_NOBOOL)
        put_values(out, bools, "|");
    else if (o->arg != NULL)
        put_font(out, 'I', o->arg);
    else
        put_font(out, 'I',
                 o->kind == FB_OPT_SECRET        ? "SECRET"
                 : o->kind == FB_OPT_SECRET_FILE ? "PATH"
                 : o->kind == FB_OPT_CONNINFO    ? "CONNINFO"
                                                 : "TEXT");
}

/* "Value: ..." of a key, from its kind and bounds. */
static void
put_kind(FILE *out, const struct fb_opt *o)
{
    fputs("Value: ", out);
    switch (o->kind) {
    case FB_OPT_STRING:
    case FB_OPT_SECRET:
        fputs(o->kind == FB_OPT_SECRET ? "text, a secret" : "text", out);
        break;
    case FB_OPT_CONNINFO:
        fputs("a libpq connection string (conninfo), a secret when it holds "
              "a password",
              out);
        break;
    case FB_OPT_SECRET_FILE:
        fputs("the path of a file whose first line is the secret", out);
        break;
    case FB_OPT_BOOL:
    case FB_OPT_NOBOOL:
        fputs("a boolean", out);
        break;
    case FB_OPT_INT:
    case FB_OPT_COUNT:
        fprintf(out, "an integer from %lld to %lld", o->min, o->max);
        break;
    case FB_OPT_SIZE:
        fprintf(out, "a size from %lld to %lld bytes", o->min, o->max);
        break;
    case FB_OPT_DURATION:
        fprintf(out, "a duration from %lld to %lld milliseconds", o->min,
                o->max);
        break;
    case FB_OPT_ENUM:
        fputs("one of ", out);
        put_values(out, o->names, ", ");
        break;
    case FB_OPT_SHARE:
        fputs("a count, or a percentage of the records read (0.5%)", out);
        break;
    case FB_OPT_ACTION:
        break;
    }
    fputs(".\n", out);
}

/* "Flag: --x ARG." of a key; a bare flag says what it sets the key to. */
static void
put_key_flag(FILE *out, const struct fb_opt *o)
{
    if (o->flag == NULL) {
        fputs("Not a flag.\n", out);
        return;
    }
    fputs("Flag: ", out);
    put_flag(out, o->flag);
    if (o->arg != NULL) {
        fputc(' ', out);
        put_font(out, 'I', o->arg);
    } else {
        fprintf(out, ", which sets it to \\fB%s\\fR",
                o->kind == FB_OPT_BOOL ? "true" : "false");
    }
    fputs(".\n", out);
}

/* A key of a section: "key = VALUE", its text, then its facts. */
static void
put_key_entry(FILE *out, const struct fb_opt *o)
{
    fputs(".TP\n", out);
    put_font(out, 'B', o->key);
    fputs(" = ", out);
    put_placeholder(out, o);
    fputc('\n', out);
    put_text(out, o->doc);
    fputs(".br\n", out);
    put_kind(out, o);
    if (o->def == NULL && o->computed == NULL)
        fputs("Default: unset.\n", out);
    else
        put_default(out, o);
    put_key_flag(out, o);
    put_env(out, o);
    if (o->example != NULL && o->def == NULL) {
        fputs("Example: \\fB", out);
        fb_roff_code(out, o->key);
        fputs(" = ", out);
        fb_roff_code(out, o->example);
        fputs("\\fR\n", out);
    }
}

static void
man5_settings(FILE *out)
{
    size_t n;
    const struct fb_opt *rows = fb_opt_rows(&n);

    fputs(".SH SETTINGS\n", out);
    put_text(out, "Every key, by section, in the order --print-config "
                  "writes them.");
    for (size_t i = 0; i < n; i++) {
        if (!fb_opt_section_starts(i))
            continue;
        fprintf(out, ".SS \"[%s]\"\n", rows[i].section);
        for (size_t k = i; k < n; k++)
            if (rows[k].section != NULL &&
                strcmp(rows[k].section, rows[i].section) == 0)
                put_key_entry(out, &rows[k]);
    }
}

static const char *const conf_example[] = {
    "[source]",
    "pg = host=db.example.net dbname=netflow user=forkbulk",
    "pg_password_file = " FB_MAN_SYSCONFDIR "/forkbulk/pg.password",
    "table = public.flows",
    "time_column = ts",
    "id_column = id",
    "",
    "[elasticsearch]",
    "url = https://es.example.net:9200",
    "index = flows-%Y.%m.%d.%H",
    "api_key_file = " FB_MAN_SYSCONFDIR "/forkbulk/es.api_key",
    "",
    "[limits]",
    "workers = 4",
    "max_rejects = 0.1%",
};

void
fb_options_man_print_conf(FILE *out)
{
    fputs(".\\\" Written by forkbulk --print-man 5 from its table of "
          "options; do not edit.\n",
          out);
    fb_roff_th(out, "FORKBULK.CONF", 5, SOURCE, "File Formats");
    fputs(no_hyphenation, out);
    fputs(".SH NAME\nforkbulk.conf \\- settings of forkbulk\n"
          ".SH SYNOPSIS\n",
          out);
    put_font(out, 'I', CONF);
    fputs("\n.SH DESCRIPTION\n", out);
    put_paragraphs(out, conf_description, N_OF(conf_description));
    fputs(".SH SYNTAX\n", out);
    put_paragraphs(out, conf_syntax, N_OF(conf_syntax));
    fprintf(out, "A line holds at most %d bytes.\n", FB_CONFIG_LINE_MAX);
    man5_secrets(out);
    man5_settings(out);
    fputs(".SH EXAMPLES\n.PP\n", out);
    put_text(out, "The hourly job of a table, with the secrets in files of "
                  "their own:");
    fputs(".PP\n.RS 4\n.nf\n", out);
    for (size_t i = 0; i < N_OF(conf_example); i++)
        fb_roff_code_line(out, conf_example[i]);
    fputs(".fi\n.RE\n.SH \"SEE ALSO\"\n.BR forkbulk (1)\n", out);
}
