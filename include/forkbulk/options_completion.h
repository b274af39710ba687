/*
 * options_completion.h
 *    Shell completion of forkbulk's flags, written from the rows of
 *    options_table.h, so that it offers every flag and no other.
 *
 * The build writes it with forkbulk --print-completion bash into
 * build/doc/forkbulk.bash-completion (the top-level CMakeLists.txt), for
 * bash-completion's directory of completions.
 */
#ifndef FORKBULK_OPTIONS_COMPLETION_H
#define FORKBULK_OPTIONS_COMPLETION_H

#include <stdio.h>

/*
 * A bash script that defines _forkbulk and binds it to forkbulk with
 * complete -F: a word that is not a flag's argument completes to the long
 * flags; after a flag whose row has values (--format, --op, --log ...),
 * to those values; after one that takes a FILE or a PATH, to file names;
 * after any other, to nothing.  --flag=value is completed as --flag value
 * is.  Needs bash only, not the bash-completion package.
 */
void fb_options_completion_print_bash(FILE *out);

#endif
