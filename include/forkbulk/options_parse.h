/*
 * options_parse.h
 *    Reading the settings of a run (options.h) from their defaults in the
 *    table (options_table.h), the config files, the command line and the
 *    environment.
 */
#ifndef FORKBULK_OPTIONS_PARSE_H
#define FORKBULK_OPTIONS_PARSE_H

#include "forkbulk/options.h"

/* fb_options_parse: a flag asks for output instead of a run, which
 * fb_options_print_action() (options_print.h) writes. */
#define FB_OPTIONS_HELP (-1)
#define FB_OPTIONS_VERSION (-2)
#define FB_OPTIONS_PRINT_CONFIG (-3)
#define FB_OPTIONS_PRINT_MAN1 (-4)            /* --print-man 1 */
#define FB_OPTIONS_PRINT_MAN5 (-5)            /* --print-man 5 */
#define FB_OPTIONS_PRINT_COMPLETION_BASH (-6) /* --print-completion bash */

/*
 * Fills opts: every row's default, then the config files named by --config
 * (in order), then the other flags of argv, then the environment for what
 * is still unset; checks the settings against each other, and resolves the
 * computed defaults (so that after 0, workers, stall_ms, index_pattern,
 * format and index hold what the run uses, and a PostgreSQL password is in
 * opts->pg_password).  --help, --version, --print-config, --print-man
 * and --print-completion return FB_OPTIONS_HELP, _VERSION, _PRINT_CONFIG,
 * _PRINT_MAN1 or _PRINT_MAN5, _PRINT_COMPLETION_BASH (parsing prints
 * nothing to stdout); all but --print-config as soon as they are read, so
 * they need no other flag.  Otherwise returns 0, or FB_EXIT_USAGE (a flag),
 * FB_EXIT_CONFIG (the file), FB_EXIT_OSERR after printing what is wrong
 * and where to stderr.  Uses getopt_long, from its start (optind is reset),
 * so it may be called again.  Always call fb_options_free() after it.
 */
int fb_options_parse(struct fb_options *opts, int argc, char **argv);

void fb_options_free(struct fb_options *opts);

#endif
