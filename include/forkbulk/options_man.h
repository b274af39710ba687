/*
 * options_man.h
 *    The man pages forkbulk(1) and forkbulk.conf(5), written as roff with
 *    the man(7) macros from the rows of options_table.h and the exit codes
 *    of status.h, so that they name every flag, key, default and exit code
 *    the program has, and no other.
 *
 * The build writes them with forkbulk --print-man 1 and 5 into
 * build/doc/ (the top-level CMakeLists.txt), where the install rules take
 * them from.  What the rows do not hold (what forkbulk is, its files,
 * examples) is prose here; the paths of the installed files are those of
 * the build's install layout (FB_MAN_SYSCONFDIR, FB_MAN_LIBEXECDIR,
 * FB_MAN_UNITDIR, set by CMake; /etc, /usr/libexec, /lib/systemd/system
 * without it).
 */
#ifndef FORKBULK_OPTIONS_MAN_H
#define FORKBULK_OPTIONS_MAN_H

#include <stdio.h>

/* forkbulk(1): synopsis, description, every flag with its default and
 * config key, exit status, environment, files, examples. */
void fb_options_man_print_forkbulk(FILE *out);

/* forkbulk.conf(5): the syntax, the rules for secrets, and every key by
 * section with its meaning, values, default and flag. */
void fb_options_man_print_conf(FILE *out);

#endif
