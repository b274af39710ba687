/*
 * options_print.h
 *    forkbulk's settings as text for people: --help and config files, both
 *    written from the rows of options_table.h, so that neither can state a
 *    default or a meaning the parser does not have.
 */
#ifndef FORKBULK_OPTIONS_PRINT_H
#define FORKBULK_OPTIONS_PRINT_H

#include <stdio.h>

#include "forkbulk/options.h"
#include "forkbulk/options_parse.h"

/* --help: usage, every flag with its default, the settings that are not
 * flags (secrets), and the exit codes. */
void fb_options_print_help(FILE *out);

/*
 * A config file that gives back opts when read (with the same
 * environment): a fixed header, then every setting under its [section],
 * after its doc text and a line with its flag and default.  An unset
 * setting is a "# key =" line.  Secrets never appear: a set one is the
 * line "# key = ********", which a reader ignores.  Computed defaults are
 * printed as given (workers unset, stall_timeout_ms = 0), so print before
 * they are resolved, as fb_options_parse() does for --print-config; the
 * output then is the same on every machine.
 */
void fb_options_print_config(const struct fb_options *opts, FILE *out);

/* What fb_options_parse() asked for (FB_OPTIONS_HELP, _VERSION,
 * _PRINT_CONFIG, _PRINT_MAN1, _PRINT_MAN5 or _PRINT_COMPLETION_BASH),
 * written to out. */
void fb_options_print_action(int action, const struct fb_options *opts,
                             FILE *out);

#endif
