/*
 * roff.h
 *    Text for man pages: plain text written as roff, for the man(7) macros.
 *
 * Roff reads a line that starts with '.' or '\'' as a request, a
 * backslash as an escape, and a line that starts with a space as a break;
 * and a '-' is a hyphen, which is not what a flag or a path needs (\- is
 * the character a user types).  These functions write any text so that
 * the page shows it as it is: the man page printers never escape by hand.
 */
#ifndef FORKBULK_ROFF_H
#define FORKBULK_ROFF_H

#include <stdio.h>

/* fb_roff_text() flags. */
#define FB_ROFF_FLAGS_BOLD 1u /* flags in the text (--x, -x) in bold */

/*
 * Writes text as roff input lines, starting at the beginning of a line
 * and ending with a newline.  Runs of white space become one space, and a
 * sentence end followed by two spaces or more ("done.  Then") starts a new
 * input line (roff's rule: a sentence per line).  Backslashes become \e;
 * a '-' becomes \- unless it is a hyphen of prose: between two letters,
 * in a word that is neither a flag nor a path ("re-run", but not
 * "--batch-bytes", "2026-11-27T03" or "/usr/lib/node-exporter").  A line
 * that would start with '.' or '\'' starts with \& instead.  Nothing is
 * written for an empty text.
 */
void fb_roff_text(FILE *out, const char *text, unsigned flags);

/*
 * Writes s as a literal inside a line: a flag, a key, a value, a path or
 * a command; every '-' becomes \-, every backslash \e.  The caller starts
 * the line (a font escape, or fb_roff_code_line()).
 */
void fb_roff_code(FILE *out, const char *s);

/* s as a whole input line of literal text (an example in .EX), with the
 * guard of a leading '.' or '\'' and a newline. */
void fb_roff_code_line(FILE *out, const char *s);

/*
 * The .TH line: title (upper case by convention), section, the date from
 * SOURCE_DATE_EPOCH when it is set (the reproducible-builds convention;
 * else no date, so that a page never depends on when it was built),
 * source ("forkbulk 0.1.0") and volume ("User Commands").
 */
void fb_roff_th(FILE *out, const char *title, int section, const char *source,
                const char *volume);

#endif
