/*
 * options_table.h
 *    The rows of forkbulk's settings: one per flag or config key.
 *
 * Everything about a setting is in its row, written once: its flag, its
 * config section and key, its kind (how text becomes a value, and the one
 * C type of its field in struct fb_options), bounds, its default as
 * config-file text, a help line and a longer doc text.  options_parse.c
 * parses with the rows; options_print.c writes --help and config files
 * from them, options_man.c the man pages forkbulk(1) and forkbulk.conf(5),
 * options_completion.c the bash completion; no other code names a
 * setting.
 *
 * A default is text, applied at startup by the parser that reads the
 * config file, so "8MiB" in a row means what "8MiB" in a file means.  A
 * default worked out after parsing (the number of CPUs, a value that
 * depends on another setting) has no text; the row's computed note says
 * what it is, and fb_options_parse() resolves it in one place.
 */
#ifndef FORKBULK_OPTIONS_TABLE_H
#define FORKBULK_OPTIONS_TABLE_H

#include <stdbool.h>
#include <stddef.h>

/* Kinds of setting, with the C type of the field each one fills. */
enum fb_opt_kind {
    FB_OPT_STRING,      /* char *: any non-empty text */
    FB_OPT_SECRET,      /* char *: never a flag, never printed */
    FB_OPT_CONNINFO,    /* char *: a libpq conninfo; one that holds a
                         * password is refused as a flag, makes its config
                         * file a secret one, and is never printed */
    FB_OPT_SECRET_FILE, /* char * of the secret: the value is a path, the
                         * secret is the file's first line */
    FB_OPT_BOOL,        /* bool: true/false, yes/no, on/off, 1/0; the bare
                         * flag sets it */
    FB_OPT_NOBOOL,      /* bool: the same, but the bare flag (--no-refresh)
                         * clears it */
    FB_OPT_INT,         /* int: a decimal integer */
    FB_OPT_COUNT,       /* size_t: a decimal integer */
    FB_OPT_SIZE,        /* size_t: bytes; k, m, g suffixes (8MiB, 512k) */
    FB_OPT_DURATION,    /* long: milliseconds; plain, or with ms, s, m, h */
    FB_OPT_ENUM,        /* int: the index of the value in names[] */
    FB_OPT_SHARE,       /* "N" or "N%": a uint64_t count at field and a
                         * double percentage at field2, one of them 0 */
    FB_OPT_ACTION,      /* a flag that does something: no field */
};

enum fb_opt_action {
    FB_ACT_NONE,
    FB_ACT_CONFIG,       /* read a config file (before any other flag) */
    FB_ACT_PRINT_CONFIG, /* print the settings as a config file, exit */
    FB_ACT_VERBOSE,      /* one log level more */
    FB_ACT_QUIET,        /* warnings and errors only */
    FB_ACT_HELP,
    FB_ACT_VERSION,
    FB_ACT_DRY_RUN,          /* plan and print, load nothing */
    FB_ACT_CHECK,            /* connectivity and permissions only */
    FB_ACT_SYSLOG,           /* log = syslog */
    FB_ACT_PRINT_MAN,        /* print forkbulk(1) or forkbulk.conf(5), exit */
    FB_ACT_PRINT_COMPLETION, /* print a shell's completion script, exit */
};

struct fb_opt {
    const char *flag;    /* long flag without "--"; NULL: config only */
    char short_name;     /* 0: none */
    const char *section; /* config section; NULL: a flag only (actions) */
    const char *key;     /* config key */
    enum fb_opt_kind kind;
    size_t field;  /* offsetof(struct fb_options, ...) of the kind's type */
    size_t field2; /* FB_OPT_SHARE: offset of the percentage */
    long long min, max; /* numbers: bounds, in bytes or ms */
    /* FB_OPT_ENUM, and an action with an argument: the values, in order,
     * NULL-terminated */
    const char *const *names;
    enum fb_opt_action action;
    const char *env;      /* variable that supplies the value when unset */
    const char *def;      /* default, as config-file text; NULL: none */
    const char *computed; /* no def: the default, as worked out later */
    const char *example;  /* a value to show when unset; not for secrets */
    const char *arg;      /* the flag's argument in help; NULL: none */
    /* FB_OPT_STRING: a list, "a, b, c".  The flag may be given several
     * times: the first on the command line replaces the config file's
     * list, each next one adds its value to it. */
    bool repeat;
    const char *help; /* one line: --help */
    const char *doc;  /* sentences: config file comments, man page */
};

/* A bound on the number of rows, for arrays built from them. */
#define FB_OPT_MAX 128

/* The rows, in --help order; *n is set to their number. */
const struct fb_opt *fb_opt_rows(size_t *n);

/* The row of config key [section] key, or NULL. */
const struct fb_opt *fb_opt_find(const char *section, const char *key);

/* Whether row i has a config section that no earlier row has: the
 * printers list the sections in this order, each with all of its rows. */
bool fb_opt_section_starts(size_t i);

/* The ways to run forkbulk, each as its arguments after "forkbulk":
 * the usage of --help and the SYNOPSIS of forkbulk(1); NULL-terminated. */
const char *const *fb_opt_usages(void);

/* Whether a value of row o must be kept secret: a secret row's, or a
 * conninfo that holds a password (libpq's own parser says). */
bool fb_opt_secret_value(const struct fb_opt *o, const char *value);

#endif
