/*
 * main.c
 *    forkbulk entry point: options, logging, libcurl, then the run.
 */
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <unistd.h>

#include "forkbulk/log.h"
#include "forkbulk/options.h"
#include "forkbulk/options_parse.h"
#include "forkbulk/options_print.h"
#include "forkbulk/run.h"
#include "forkbulk/status.h"

/*
 * Under cron, fds 0-2 may be closed; a file opened later would then become
 * "stderr" and receive log lines.  Occupy them with /dev/null first.
 */
static void
ensure_std_fds(void)
{
    for (int fd = 0; fd <= 2; fd++) {
        if (fcntl(fd, F_GETFD) < 0 && errno == EBADF) {
            int null = open("/dev/null", O_RDWR);

            if (null > 2)
                close(null);
        }
    }
}

/*
 * A run stopped by SIGINT or SIGTERM ends by that signal, after its
 * cleanup, so that what started it sees the signal and not an exit: a
 * shell loop around forkbulk stops on Ctrl-C (the shell still reports
 * 130 or 143).
 */
static void
die_of(int signo)
{
    signal(signo, SIG_DFL);
    raise(signo);
    _exit(fb_exit_for_signal(signo)); /* the signal was blocked */
}

int
main(int argc, char **argv)
{
    struct fb_options opts;
    int signo = 0;
    int rc;

    ensure_std_fds();
    rc = fb_options_parse(&opts, argc, argv);
    if (rc < 0) { /* --help, --version or --print-config */
        fb_options_print_action(rc, &opts, stdout);
        fb_options_free(&opts);
        return FB_EXIT_OK;
    }
    if (rc != 0) {
        fb_options_free(&opts);
        return rc;
    }
    fb_log_set_level(opts.verbosity <= 0   ? FB_LOG_WARN
                     : opts.verbosity == 1 ? FB_LOG_INFO
                                           : FB_LOG_DEBUG);
    /* Before the first line: the journal's format or syslog (log.h). */
    fb_log_init(opts.log_to == FB_LOG_TO_SYSLOG);
    if (opts.log_file != NULL && fb_log_open(opts.log_file) < 0) {
        /* fb_log_open() said why, on stderr (or to syslog). */
        fb_options_free(&opts);
        return FB_EXIT_CANTCREAT;
    }
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        fb_error("cannot initialise libcurl");
        fb_options_free(&opts);
        return FB_EXIT_SOFTWARE;
    }
    rc = fb_run(&opts, &signo);
    curl_global_cleanup();
    fb_options_free(&opts);
    if (signo != 0)
        die_of(signo);
    return rc;
}
