/*
 * options_print.c
 *    --help and config files, written from the rows (options_table.c);
 *    and which of the printers a flag asked for.
 */
#include "forkbulk/options_print.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "forkbulk/options_completion.h"
#include "forkbulk/options_man.h"
#include "forkbulk/options_table.h"
#include "forkbulk/status.h"
#include "forkbulk/version.h"

/* Comment lines of a config file: "# " and at most this many bytes. */
#define COMMENT_WIDTH 76

static const char config_header[] =
    "# forkbulk configuration, as forkbulk --print-config writes it: every\n"
    "# setting under its [section], after what it means.  A commented-out\n"
    "# \"# key =\" line (perhaps with an example value) is a setting left\n"
    "# unset.  A flag on the command line wins over the file.\n"
    "#\n"
    "# Sizes are bytes, or with a unit: 512k, 8MiB, 1g.  Durations are\n"
    "# milliseconds, or with a unit: 500ms, 10s, 5m, 1h.\n"
    "#\n"
    "# Secrets (password, api_key, pg_password) are never printed: a set one\n"
    "# shows as \"# key = ********\".  A file that holds one must not be\n"
    "# readable by group or others (chmod 600); or use the *_file keys, which\n"
    "# name a file whose first line is the secret.\n";

static void
print_flag_help(FILE *out, const struct fb_opt *o)
{
    char left[48];

    snprintf(left, sizeof(left), "%c%c%c --%s%s%s", o->short_name ? '-' : ' ',
             o->short_name ? o->short_name : ' ', o->short_name ? ',' : ' ',
             o->flag, o->arg ? " " : "", o->arg ? o->arg : "");
    fprintf(out, "  %-30s %s", left, o->help);
    /* A bare flag means "on": the default of what it turns on is no help. */
    if (o->arg != NULL && o->def != NULL)
        fprintf(out, " (default %s)", o->def);
    else if (o->arg != NULL && o->computed != NULL)
        fprintf(out, " (default: %s)", o->computed);
    fputc('\n', out);
}

void
fb_options_print_help(FILE *out)
{
    size_t n;
    const struct fb_opt *rows = fb_opt_rows(&n);
    const char *const *usages = fb_opt_usages();

    for (size_t i = 0; usages[i] != NULL; i++)
        fprintf(out, "%s forkbulk %s\n", i == 0 ? "usage:" : "      ",
                usages[i]);
    fprintf(
        out,
        "\nLoads records into Elasticsearch/OpenSearch through _bulk with a "
        "capped pool\nof prefork workers; memory is bounded by workers x "
        "batch size.\n\n");
    for (size_t i = 0; i < n; i++)
        if (rows[i].flag != NULL)
            print_flag_help(out, &rows[i]);
    fprintf(out, "\nConfig file only (secrets are never flags):\n");
    for (size_t i = 0; i < n; i++) {
        char left[48];

        if (rows[i].flag != NULL)
            continue;
        snprintf(left, sizeof(left), "[%s] %s", rows[i].section, rows[i].key);
        fprintf(out, "  %-30s %s", left, rows[i].help);
        if (rows[i].env != NULL)
            fprintf(out, " (or %s)", rows[i].env);
        fputc('\n', out);
    }
    fputc('\n', out);
    fb_exit_print_help(out);
}

/* text as "# " lines of at most COMMENT_WIDTH bytes, cut at spaces. */
static void
print_comment(FILE *out, const char *text)
{
    while (*text != '\0') {
        size_t len = strlen(text), cut = len;

        if (len > COMMENT_WIDTH) {
            cut = COMMENT_WIDTH;
            while (cut > 0 && text[cut] != ' ')
                cut--;
            if (cut == 0) /* one long word: on a line of its own */
                cut = strcspn(text, " ");
        }
        while (cut > 0 && text[cut - 1] == ' ')
            cut--;
        fprintf(out, "# %.*s\n", (int)cut, text);
        text += cut;
        while (*text == ' ')
            text++;
    }
}

/* "(--batch-bytes SIZE; default 8MiB)": where else the setting comes from,
 * and what it is when nothing sets it. */
static void
print_origin(FILE *out, const struct fb_opt *o)
{
    char line[256];
    size_t len = 0;

    if (o->flag != NULL)
        len +=
            (size_t)snprintf(line + len, sizeof(line) - len, "; --%s%s%s",
                             o->flag, o->arg ? " " : "", o->arg ? o->arg : "");
    if (o->env != NULL && len < sizeof(line))
        len += (size_t)snprintf(line + len, sizeof(line) - len, "; or $%s",
                                o->env);
    if (o->def != NULL && len < sizeof(line))
        len += (size_t)snprintf(line + len, sizeof(line) - len, "; default %s",
                                o->def);
    else if (o->computed != NULL && len < sizeof(line))
        len += (size_t)snprintf(line + len, sizeof(line) - len, "; default: %s",
                                o->computed);
    if (len > 0) {
        char comment[sizeof(line) + 2];

        snprintf(comment, sizeof(comment), "(%s)", line + 2);
        print_comment(out, comment);
    }
}

/* key = value, in quotes when the reader would otherwise trim or unquote
 * it.  An INI value is one line: line breaks (a --query given on the
 * command line) are written as spaces. */
static void
print_string(FILE *out, const char *key, const char *s)
{
    size_t len = strlen(s);
    bool quote = isspace((unsigned char)s[0]) ||
                 isspace((unsigned char)s[len - 1]) ||
                 (len >= 2 && s[0] == '"' && s[len - 1] == '"');

    fprintf(out, "%s = %s", key, quote ? "\"" : "");
    for (; *s != '\0'; s++)
        fputc(*s == '\n' || *s == '\r' ? ' ' : *s, out);
    fprintf(out, "%s\n", quote ? "\"" : "");
}

/* "# key =", with the row's example if it has one. */
static void
print_unset(FILE *out, const struct fb_opt *o)
{
    fprintf(out, "# %s =%s%s\n", o->key, o->example ? " " : "",
            o->example ? o->example : "");
}

/* Numbers of every kind; one without a default text is unset while 0
 * (workers, until it is worked out). */
static void
print_number(FILE *out, const struct fb_opt *o, long long v)
{
    if (v == 0 && o->def == NULL)
        print_unset(out, o);
    else
        fprintf(out, "%s = %lld\n", o->key, v);
}

static void
print_value(FILE *out, const struct fb_options *opts, const struct fb_opt *o)
{
    const void *f = (const char *)opts + o->field;
    const double *pct = (const void *)((const char *)opts + o->field2);

    switch (o->kind) {
    case FB_OPT_STRING:
        if (*(char *const *)f != NULL)
            print_string(out, o->key, *(char *const *)f);
        else
            print_unset(out, o);
        break;
    case FB_OPT_CONNINFO:
        if (*(char *const *)f != NULL &&
            fb_opt_secret_value(o, *(char *const *)f))
            fprintf(out, "# %s = ******** (holds a password)\n", o->key);
        else if (*(char *const *)f != NULL)
            print_string(out, o->key, *(char *const *)f);
        else
            print_unset(out, o);
        break;
    case FB_OPT_SECRET:
        fprintf(out, "# %s =%s\n", o->key,
                *(char *const *)f != NULL ? " ********" : "");
        break;
    case FB_OPT_SECRET_FILE: /* the path is not kept; the secret is shown */
        print_unset(out, o);
        break;
    case FB_OPT_BOOL:
    case FB_OPT_NOBOOL:
        fprintf(out, "%s = %s\n", o->key, *(const bool *)f ? "true" : "false");
        break;
    case FB_OPT_INT:
        print_number(out, o, *(const int *)f);
        break;
    case FB_OPT_COUNT:
    case FB_OPT_SIZE:
        print_number(out, o, (long long)*(const size_t *)f);
        break;
    case FB_OPT_DURATION:
        print_number(out, o, *(const long *)f);
        break;
    case FB_OPT_ENUM:
        if (*(const int *)f >= 0)
            fprintf(out, "%s = %s\n", o->key, o->names[*(const int *)f]);
        else
            print_unset(out, o);
        break;
    case FB_OPT_SHARE:
        if (*pct > 0)
            fprintf(out, "%s = %g%%\n", o->key, *pct);
        else
            fprintf(out, "%s = %llu\n", o->key,
                    (unsigned long long)*(const uint64_t *)f);
        break;
    case FB_OPT_ACTION:
        break;
    }
}

void
fb_options_print_config(const struct fb_options *opts, FILE *out)
{
    size_t n;
    const struct fb_opt *rows = fb_opt_rows(&n);

    fputs(config_header, out);
    for (size_t i = 0; i < n; i++) {
        if (!fb_opt_section_starts(i))
            continue;
        fprintf(out, "\n[%s]\n", rows[i].section);
        for (size_t k = i; k < n; k++) {
            if (rows[k].section == NULL ||
                strcmp(rows[k].section, rows[i].section) != 0)
                continue;
            fputc('\n', out);
            print_comment(out, rows[k].doc);
            print_origin(out, &rows[k]);
            print_value(out, opts, &rows[k]);
        }
    }
}

void
fb_options_print_action(int action, const struct fb_options *opts, FILE *out)
{
    if (action == FB_OPTIONS_HELP)
        fb_options_print_help(out);
    else if (action == FB_OPTIONS_VERSION)
        fprintf(out, "forkbulk %s\n", FB_VERSION);
    else if (action == FB_OPTIONS_PRINT_CONFIG)
        fb_options_print_config(opts, out);
    else if (action == FB_OPTIONS_PRINT_MAN1)
        fb_options_man_print_forkbulk(out);
    else if (action == FB_OPTIONS_PRINT_MAN5)
        fb_options_man_print_conf(out);
    else if (action == FB_OPTIONS_PRINT_COMPLETION_BASH)
        fb_options_completion_print_bash(out);
}
