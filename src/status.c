/*
 * status.c
 *    Ordering of exit codes, so that a run reports its worst outcome.
 */
#include "forkbulk/status.h"

#include <signal.h>

int
fb_exit_severity(int code)
{
    switch (code) {
    case FB_EXIT_OK:
        return 0;
    case FB_EXIT_DATAERR:
        return 1;
    case FB_EXIT_TEMPFAIL:
        return 2;
    case FB_EXIT_UNAVAILABLE:
        return 3;
    case FB_EXIT_NOINPUT:
    case FB_EXIT_CANTCREAT:
    case FB_EXIT_IOERR:
        return 4;
    case FB_EXIT_OSERR:
        return 5;
    case FB_EXIT_SOFTWARE:
        return 6;
    case FB_EXIT_USAGE:
    case FB_EXIT_CONFIG:
        return 7;
    case FB_EXIT_SIGINT:
    case FB_EXIT_SIGTERM:
        return 8;
    default:
        return 6;
    }
}

int
fb_exit_worse(int a, int b)
{
    return fb_exit_severity(b) > fb_exit_severity(a) ? b : a;
}

int
fb_exit_for_signal(int signo)
{
    return signo == SIGINT ? FB_EXIT_SIGINT : FB_EXIT_SIGTERM;
}
