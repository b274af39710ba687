/*
 * status.h
 *    Exit codes of forkbulk: a stable contract with wrapper scripts.
 *
 * The values are those of <sysexits.h>, plus the shell's 128+signal
 * convention for interruption.  status.c holds the one table of them (rank,
 * meaning, help line), from which --help and the summary take their text;
 * the README repeats it.  Never renumber one.
 */
#ifndef FORKBULK_STATUS_H
#define FORKBULK_STATUS_H

#include <stdio.h>

enum fb_exit {
    FB_EXIT_OK = 0,           /* every record loaded */
    FB_EXIT_USAGE = 64,       /* bad command line */
    FB_EXIT_DATAERR = 65,     /* some records rejected */
    FB_EXIT_NOINPUT = 66,     /* input missing or unreadable */
    FB_EXIT_UNAVAILABLE = 69, /* Elasticsearch/PostgreSQL unreachable */
    FB_EXIT_SOFTWARE = 70,    /* internal error; a range kept killing workers */
    FB_EXIT_OSERR = 71,       /* fork, pipe or memory failure */
    FB_EXIT_CANTCREAT = 73,   /* reject file cannot be created */
    FB_EXIT_IOERR = 74,       /* I/O error */
    FB_EXIT_TEMPFAIL = 75,    /* temporary failure, worth retrying later */
    FB_EXIT_CONFIG = 78,      /* bad configuration */
    FB_EXIT_SIGINT = 130,     /* interrupted by SIGINT */
    FB_EXIT_SIGTERM = 143,    /* interrupted by SIGTERM */
};

/* Rank of an exit code: when several things went wrong, the run reports
 * the most severe. */
int fb_exit_severity(int code);

/* The more severe of two exit codes (the first when they rank equal). */
int fb_exit_worse(int a, int b);

/* Short meaning of an exit code, for the summary and the summary JSON's
 * "exit_meaning" (which scripts/forkbulk-cron logs); "unknown" for a code
 * forkbulk never returns. */
const char *fb_exit_meaning(int code);

/* The "Exit codes:" section of --help: one "%4d  text" line per code.
 * README.md's table holds the same texts (test_config.py checks). */
void fb_exit_print_help(FILE *out);

/* Row i of that list: its text, with its code in *code; NULL past the
 * last one (for the man page). */
const char *fb_exit_help_at(size_t i, int *code);

/* The exit code of a run stopped by signo: 130 for SIGINT, else 143. */
int fb_exit_for_signal(int signo);

#endif
