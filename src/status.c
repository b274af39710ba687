/*
 * status.c
 *    The one table of exit codes: rank, meaning and --help line of each.
 *
 * README.md's "Exit codes" table repeats the help lines for readers who
 * never run --help; test_config.py fails when the two differ.
 */
#include "forkbulk/status.h"

#include <signal.h>

struct exit_code {
    int code;
    /* When several things went wrong, the run reports the highest rank:
     * an interruption, then a mistake of the user (that no retry fixes),
     * then internal and system errors, then trouble with the input or the
     * reject file, unreachable services, a held lock, and rejects. */
    int severity;
    const char *meaning; /* short: the summary and its JSON */
    const char *help;    /* --help and README */
};

static const struct exit_code exit_codes[] = {
    {FB_EXIT_OK, 0, "complete",
     "complete: every hour (or the file) loaded; rejects within "
     "--max-rejects are reported, not a failure"},
    {FB_EXIT_USAGE, 7, "usage error", "usage error"},
    {FB_EXIT_DATAERR, 1, "incomplete: rejects over --max-rejects",
     "an hour (or the file) is incomplete: its rejects passed --max-rejects "
     "(see the reject file); later hours were still loaded"},
    {FB_EXIT_NOINPUT, 4, "input missing or unreadable",
     "input missing or unreadable"},
    {FB_EXIT_UNAVAILABLE, 3, "cluster unreachable or failing",
     "Elasticsearch or PostgreSQL unreachable, or failing after retries"},
    {FB_EXIT_SOFTWARE, 6, "internal error",
     "internal error (a range kept killing workers)"},
    {FB_EXIT_OSERR, 5, "system error: fork, pipe or memory",
     "system error: fork, pipe or memory (e.g. a worker cannot allocate its "
     "batch)"},
    {FB_EXIT_CANTCREAT, 4, "reject file cannot be created",
     "reject file cannot be created"},
    {FB_EXIT_IOERR, 4, "I/O error",
     "I/O error (also: the input changed during the load)"},
    {FB_EXIT_TEMPFAIL, 2, "temporary failure",
     "temporary failure: another run of the job holds the lock; retry later"},
    {FB_EXIT_CONFIG, 7, "bad configuration",
     "bad configuration: unknown key, secret in a readable file, missing "
     "table or column, SQL error; also credentials refused"},
    {FB_EXIT_SIGINT, 8, "interrupted by SIGINT", "interrupted by SIGINT"},
    {FB_EXIT_SIGTERM, 8, "interrupted by SIGTERM", "interrupted by SIGTERM"},
};

#define N_EXIT_CODES (sizeof(exit_codes) / sizeof(exit_codes[0]))

static const struct exit_code *
find(int code)
{
    for (size_t i = 0; i < N_EXIT_CODES; i++)
        if (exit_codes[i].code == code)
            return &exit_codes[i];
    return NULL;
}

int
fb_exit_severity(int code)
{
    const struct exit_code *e = find(code);

    /* A code we never return is a bug: rank it as an internal error. */
    return e != NULL ? e->severity : find(FB_EXIT_SOFTWARE)->severity;
}

int
fb_exit_worse(int a, int b)
{
    return fb_exit_severity(b) > fb_exit_severity(a) ? b : a;
}

const char *
fb_exit_meaning(int code)
{
    const struct exit_code *e = find(code);

    return e != NULL ? e->meaning : "unknown";
}

void
fb_exit_print_help(FILE *out)
{
    const char *text;
    int code;

    fprintf(out, "Exit codes:\n");
    for (size_t i = 0; (text = fb_exit_help_at(i, &code)) != NULL; i++)
        fprintf(out, "%4d  %s\n", code, text);
}

const char *
fb_exit_help_at(size_t i, int *code)
{
    if (i >= N_EXIT_CODES)
        return NULL;
    *code = exit_codes[i].code;
    return exit_codes[i].help;
}

int
fb_exit_for_signal(int signo)
{
    return signo == SIGINT ? FB_EXIT_SIGINT : FB_EXIT_SIGTERM;
}
