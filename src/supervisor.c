/*
 * supervisor.c
 *    Forking, dispatching and supervising workers (see supervisor.h).
 *
 * The parent waits in poll() on every worker's result pipe plus a
 * self-pipe that the signal handlers write to, so signals are handled in
 * the main loop and the handlers do nothing but write one byte.
 */
/* pipe2(2) */
#define _GNU_SOURCE
#include "forkbulk/supervisor.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "forkbulk/clock.h"
#include "forkbulk/index_counts.h"
#include "forkbulk/log.h"
#include "forkbulk/status.h"

enum range_state {
    RANGE_PENDING,
    RANGE_RUNNING,
    RANGE_DONE,
    RANGE_FAILED,
};

struct range {
    uint64_t lo, hi;
    uint64_t rejects_done; /* reject lines already written (PROGRESS) */
    uint8_t state;
    uint8_t deaths;
};

struct slot {
    pid_t pid;             /* 0: no process */
    int cmd_fd;            /* parent -> worker; -1 once closed ("stop") */
    int res_fd;            /* worker -> parent; -1 once EOF */
    int64_t range;         /* index of the range it holds, or -1 */
    double seen;           /* when it last showed progress (monotonic s) */
    struct fb_counts live; /* its current range so far (PROGRESS) */
    bool stall_kill;       /* killed for making no progress */
    /* Its current range's INDEX_COUNT reports, until its DONE; NULL until
     * the first. */
    struct fb_index_counts *pending;
};

struct supervisor {
    const struct fb_options *opts;
    const struct fb_source *src;
    void *plan; /* the source's parent side */
    const struct fb_supervisor_hooks *hooks;
    struct fb_unit unit;              /* the unit being loaded */
    struct fb_summary usum;           /* its summary */
    struct fb_index_counts *uindices; /* its per-index counts, once a range
                                       * reported some (usum.indices) */
    struct range *ranges;             /* its ranges */
    struct slot *slots;
    int n_slots;
    uint64_t next_range;     /* ranges before this were dispatched once */
    uint64_t requeued;       /* pending ranges below next_range */
    uint64_t idle_deaths;    /* workers that died holding nothing */
    bool stopping;           /* no more dispatching */
    bool unit_stopping;      /* no more ranges of this unit */
    int ustatus;             /* why the unit failed, or 0 */
    bool draining;           /* no more units: idle workers may exit */
    int stop_signal;         /* SIGINT/SIGTERM received, or 0 */
    struct timespec kill_at; /* grace deadline while stopping */
    bool kill_armed;
    int status;                 /* worst exit code so far */
    struct fb_summary *summary; /* the whole run */
    uint64_t units_done;        /* units ended, loaded or not */
    double started;             /* the run's start (monotonic s) */
    double unit_started;        /* the current unit's */
    double progress_at;         /* when the progress hook is due next */
};

static int signal_pipe[2] = {-1, -1};

/* This process's slot: set in a worker when it starts. */
static int own_slot = -1;

int
fb_supervisor_slot(void)
{
    return own_slot;
}

static void
on_signal(int signo)
{
    int saved = errno;
    unsigned char b = (unsigned char)signo;

    /* Only async-signal-safe work here: the main loop does the rest. */
    (void)!write(signal_pipe[1], &b, 1);
    errno = saved;
}

static int
install_signals(void)
{
    struct sigaction sa;

    if (pipe2(signal_pipe, O_CLOEXEC | O_NONBLOCK) < 0)
        return -1;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    /* A worker gone away shows as EPIPE on its command pipe. */
    signal(SIGPIPE, SIG_IGN);
    return 0;
}

static void
restore_signals(void)
{
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    signal(SIGHUP, SIG_DFL);
    if (signal_pipe[0] >= 0) {
        close(signal_pipe[0]);
        close(signal_pipe[1]);
        signal_pipe[0] = signal_pipe[1] = -1;
    }
}

static void
close_fd(int *fd)
{
    if (*fd >= 0) {
        close(*fd);
        *fd = -1;
    }
}

/*
 * In a new child: close every descriptor but stdio and its own pipes.
 * The parent may hold connections (the snapshot exporter, the ledger, the
 * advisory lock) and the lock file; a worker must never use or keep them.
 * Closing a copy sends nothing to a server and releases no flock (the
 * parent's descriptor still holds it).
 */
static void
close_inherited(int keep_a, int keep_b, int keep_c)
{
    DIR *d = opendir("/proc/self/fd");
    struct dirent *e;
    int self;

    if (d == NULL)
        return;
    self = dirfd(d);
    while ((e = readdir(d)) != NULL) {
        char *end = NULL;
        long fd = strtol(e->d_name, &end, 10);

        if (end == e->d_name || *end != '\0' || fd <= 2 || fd == self ||
            fd == keep_a || fd == keep_b || fd == keep_c)
            continue;
        close((int)fd);
    }
    closedir(d);
}

/*
 * In the new child: make sure it cannot outlive the parent, drop every
 * descriptor that is not its own, and run the worker loop.
 */
static void
run_child(struct supervisor *sv, int self, int cmd_fd, int res_fd, pid_t parent)
{
    char role[32];
    int code;

    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) /* the parent died before prctl took hold */
        _exit(FB_EXIT_SOFTWARE);

    restore_signals();
    fb_log_forked();
    close_inherited(cmd_fd, res_fd, fb_log_fd());

    own_slot = self;
    snprintf(role, sizeof(role), "worker %d", self);
    fb_log_set_role(role);
    code = sv->hooks->worker_main(sv->hooks->arg, cmd_fd, res_fd);
    _exit(code);
}

static int
spawn(struct supervisor *sv, int i)
{
    struct slot *s = &sv->slots[i];
    int cmd[2], res[2];
    pid_t parent = getpid();
    pid_t pid;

    if (pipe2(cmd, O_CLOEXEC) < 0)
        goto fail;
    if (pipe2(res, O_CLOEXEC) < 0) {
        close(cmd[0]);
        close(cmd[1]);
        goto fail;
    }
    /* Nothing buffered may be written twice by the child. */
    fflush(NULL);
    pid = fork();
    if (pid < 0) {
        close(cmd[0]);
        close(cmd[1]);
        close(res[0]);
        close(res[1]);
        goto fail;
    }
    if (pid == 0) {
        close(cmd[1]);
        close(res[0]);
        run_child(sv, i, cmd[0], res[1], parent);
    }
    close(cmd[0]);
    close(res[1]);
    s->pid = pid;
    s->cmd_fd = cmd[1];
    s->res_fd = res[0];
    s->range = -1;
    s->seen = fb_monotonic_seconds();
    s->stall_kill = false;
    fb_debug("started worker %d (pid %ld)", i, (long)pid);
    return 0;
fail:
    fb_error("cannot start worker %d: %s", i, strerror(errno));
    return -1;
}

/* A range of the unit still to hand out (none once the unit failed). */
static bool
range_pending(const struct supervisor *sv)
{
    return !sv->unit_stopping &&
           (sv->requeued > 0 || sv->next_range < sv->unit.n_ranges);
}

/* Ranges of the current unit not yet done or given up. */
static bool
unit_busy(const struct supervisor *sv)
{
    if (range_pending(sv))
        return true;
    for (int i = 0; i < sv->n_slots; i++)
        if (sv->slots[i].pid > 0 && sv->slots[i].range >= 0)
            return true;
    return false;
}

/* The next range to hand out: re-queued ones first, then in order. */
static int64_t
take_range(struct supervisor *sv)
{
    if (sv->requeued > 0) {
        for (uint64_t j = 0; j < sv->next_range; j++) {
            if (sv->ranges[j].state == RANGE_PENDING) {
                sv->requeued--;
                return (int64_t)j;
            }
        }
    }
    if (sv->next_range < sv->unit.n_ranges)
        return (int64_t)sv->next_range++;
    return -1;
}

static void
stop_worker(struct slot *s)
{
    /* EOF on its command pipe tells an idle worker to exit. */
    close_fd(&s->cmd_fd);
}

static void
dispatch(struct supervisor *sv)
{
    for (int i = 0; i < sv->n_slots; i++) {
        struct slot *s = &sv->slots[i];
        struct fb_msg msg;
        int64_t j;

        if (s->pid == 0 || s->range >= 0 || s->cmd_fd < 0)
            continue;
        if (sv->stopping || sv->draining) {
            stop_worker(s);
            continue;
        }
        if (!range_pending(sv))
            continue; /* idle until the next unit */
        j = take_range(sv);
        memset(&msg, 0, sizeof(msg));
        msg.type = FB_MSG_RANGE;
        msg.range_id = (uint32_t)j;
        snprintf(msg.index, sizeof(msg.index), "%s", sv->unit.index);
        sv->src->range(sv->plan, (uint64_t)j, &msg);
        msg.rejects_done = sv->ranges[j].rejects_done;
        msg.unit_time = sv->unit.time_us;
        sv->ranges[j].lo = msg.lo;
        sv->ranges[j].hi = msg.hi;
        if (fb_msg_send(s->cmd_fd, &msg) < 0) {
            /* It died; its EOF will be seen on the result pipe. */
            sv->ranges[j].state = RANGE_PENDING;
            sv->requeued++;
            stop_worker(s);
            continue;
        }
        sv->ranges[j].state = RANGE_RUNNING;
        s->range = j;
        s->seen = fb_monotonic_seconds();
        memset(&s->live, 0, sizeof(s->live));
        fb_debug("range %lld [%llu, %llu) -> worker %d", (long long)j,
                 (unsigned long long)msg.lo, (unsigned long long)msg.hi, i);
    }
}

static void
add_counts(struct fb_counts *to, const struct fb_counts *c)
{
    to->read += c->read;
    to->loaded += c->loaded;
    to->rejected += c->rejected;
    to->conflicts += c->conflicts;
    to->retried += c->retried;
    to->bytes_sent += c->bytes_sent;
    to->requests += c->requests;
    to->blank += c->blank;
    to->bytes_wire += c->bytes_wire;
    to->gzip_in += c->gzip_in;
    to->gzip_us += c->gzip_us;
    for (int i = 0; i < FB_MAX_NODES; i++) {
        to->nodes[i].requests += c->nodes[i].requests;
        to->nodes[i].failures += c->nodes[i].failures;
    }
}

/* The current unit's counts so far: its finished ranges, plus what the
 * workers reported of the ranges they hold. */
static void
unit_counts(const struct supervisor *sv, struct fb_counts *c)
{
    *c = sv->usum.counts;
    for (int i = 0; i < sv->n_slots; i++)
        if (sv->slots[i].pid > 0 && sv->slots[i].range >= 0)
            add_counts(c, &sv->slots[i].live);
}

/* A worker's exit status that respawning cannot fix. */
static bool
fatal_exit(int code)
{
    return code == FB_EXIT_CONFIG || code == FB_EXIT_USAGE ||
           code == FB_EXIT_SOFTWARE || code == FB_EXIT_UNAVAILABLE ||
           code == FB_EXIT_NOINPUT || code == FB_EXIT_CANTCREAT ||
           code == FB_EXIT_IOERR || code == FB_EXIT_OSERR;
}

static void
begin_stop(struct supervisor *sv, const char *why)
{
    if (!sv->stopping)
        fb_info("stopping: %s", why);
    sv->stopping = true;
}

/*
 * A worker reports its range's counts so far: for --max-rejects, and so
 * that a replacement after its death knows how many of the range's
 * rejects are already in the reject file (it sends PROGRESS after each).
 */
static void
on_progress(struct supervisor *sv, int i, const struct fb_msg *msg)
{
    struct slot *s = &sv->slots[i];
    struct range *range;

    if (s->range < 0 || (uint32_t)s->range != msg->range_id)
        return; /* stale: the range was finished or taken back */
    range = &sv->ranges[s->range];
    s->live = msg->counts;
    if (msg->counts.rejected > range->rejects_done)
        range->rejects_done = msg->counts.rejected;
}

/* A table for per-index counts, made when the first report comes;
 * NULL (after a warning) when out of memory. */
static struct fb_index_counts *
table(struct fb_index_counts **t)
{
    if (*t == NULL && (*t = fb_index_counts_new(FB_INDEX_COUNTS_MAX)) == NULL)
        fb_warn("out of memory: the summary will lack documents per index");
    return *t;
}

/* A worker reports documents of its range loaded into one index; they
 * count once the range is DONE (a death before drops them: the range's
 * next attempt reports it all again). */
static void
on_index_count(struct supervisor *sv, int i, const struct fb_msg *msg)
{
    struct slot *s = &sv->slots[i];

    if (s->range < 0 || (uint32_t)s->range != msg->range_id ||
        table(&s->pending) == NULL)
        return;
    if (msg->index[0] == '\0')
        fb_index_counts_add_unlisted(s->pending, msg->counts.loaded);
    else
        fb_index_counts_add(s->pending, msg->index, strlen(msg->index),
                            msg->counts.loaded);
}

/* The range slot i held is DONE: its per-index reports are the unit's. */
static void
take_index_counts(struct supervisor *sv, struct slot *s)
{
    if (s->pending == NULL || (fb_index_counts_size(s->pending) == 0 &&
                               fb_index_counts_unlisted(s->pending) == 0))
        return;
    if (table(&sv->uindices) != NULL) {
        fb_index_counts_merge(sv->uindices, s->pending);
        sv->usum.indices = sv->uindices;
    }
    fb_index_counts_clear(s->pending);
}

/* Codes after which nothing more can load: the cluster or PostgreSQL
 * stays away, the configuration or the system is wrong.  Anything else
 * (a range that kept killing workers) fails the unit alone. */
static bool
ends_run(int code)
{
    return code == FB_EXIT_UNAVAILABLE || code == FB_EXIT_CONFIG ||
           code == FB_EXIT_USAGE || code == FB_EXIT_OSERR ||
           code == FB_EXIT_NOINPUT || code == FB_EXIT_CANTCREAT ||
           code == FB_EXIT_IOERR || code == FB_EXIT_TEMPFAIL;
}

/*
 * The current unit cannot be complete: no more of its ranges are handed
 * out (those in flight finish), it ends failed, and the next unit still
 * loads unless code ends the whole run.
 */
static void
fail_unit_with(struct supervisor *sv, int code, const char *why)
{
    sv->ustatus = fb_exit_worse(sv->ustatus, code);
    sv->status = fb_exit_worse(sv->status, code);
    if (ends_run(code)) {
        begin_stop(sv, why);
    } else if (!sv->unit_stopping) {
        fb_info("%s: not loading the rest of it: %s", sv->unit.name, why);
        sv->unit_stopping = true;
    }
}

static void
on_done(struct supervisor *sv, int i, const struct fb_msg *msg)
{
    struct slot *s = &sv->slots[i];
    struct range *range;

    if (s->range < 0 || (uint32_t)s->range != msg->range_id) {
        fb_error("worker %d reported range %u it does not hold; killing it", i,
                 msg->range_id);
        /* It cannot be trusted with the range it does hold either. */
        kill(s->pid, SIGKILL);
        sv->status = fb_exit_worse(sv->status, FB_EXIT_SOFTWARE);
        begin_stop(sv, "protocol error");
        return;
    }
    range = &sv->ranges[s->range];
    add_counts(&sv->usum.counts, &msg->counts);
    take_index_counts(sv, s);
    memset(&s->live, 0, sizeof(s->live));
    if (sv->src->range_done != NULL)
        sv->src->range_done(sv->plan, (uint64_t)s->range, msg);
    s->range = -1;
    /* Rejects do not fail a range (check_rejects() judges the unit's
     * budget from the counts); a range that could not read its data at
     * all (a bad CSV header: 65) fails its unit below. */
    if (msg->status == FB_EXIT_OK) {
        range->state = RANGE_DONE;
        sv->usum.ranges_done++;
        return;
    }
    /* Interrupted, or the cluster kept failing: the range is not loaded;
     * source ids make a later run redo it without duplicates. */
    range->state = RANGE_FAILED;
    if (msg->status == FB_EXIT_SIGINT || msg->status == FB_EXIT_SIGTERM) {
        sv->status = fb_exit_worse(sv->status, msg->status);
        return;
    }
    fb_error("%s: range %u [%llu, %llu) failed with exit code %d",
             sv->unit.name, msg->range_id, (unsigned long long)range->lo,
             (unsigned long long)range->hi, msg->status);
    fail_unit_with(sv, msg->status, "a range failed");
}

static void
describe_exit(int wstatus, char *buf, size_t len)
{
    if (WIFSIGNALED(wstatus))
        snprintf(buf, len, "killed by signal %d (%s)", WTERMSIG(wstatus),
                 strsignal(WTERMSIG(wstatus)));
    else
        snprintf(buf, len, "exited with code %d", WEXITSTATUS(wstatus));
}

/* The worker in slot i died holding its range: the range is handed out
 * again, or given up once it has killed FB_MAX_RANGE_DEATHS workers. */
static void
on_range_death(struct supervisor *sv, int i, const char *how)
{
    struct slot *s = &sv->slots[i];
    struct range *range = &sv->ranges[s->range];

    range->deaths++;
    sv->usum.worker_deaths++;
    if (s->pending != NULL)
        fb_index_counts_clear(s->pending);
    if (sv->stopping && sv->stop_signal != 0) {
        range->state = RANGE_FAILED;
    } else if (range->deaths >= FB_MAX_RANGE_DEATHS) {
        fb_error("worker %d %s while loading range %lld [%llu, %llu) of "
                 "%s; that range has now killed %d workers and is given up",
                 i, how, (long long)s->range, (unsigned long long)range->lo,
                 (unsigned long long)range->hi, sv->unit.name, range->deaths);
        range->state = RANGE_FAILED;
        fail_unit_with(sv, FB_EXIT_SOFTWARE, "a range kept killing workers");
    } else {
        fb_warn("worker %d %s while loading range %lld [%llu, %llu); "
                "range re-queued (death %d of %d)",
                i, how, (long long)s->range, (unsigned long long)range->lo,
                (unsigned long long)range->hi, range->deaths,
                FB_MAX_RANGE_DEATHS);
        range->state = RANGE_PENDING;
        sv->requeued++;
    }
    s->range = -1;
}

/* The worker in slot i closed its result pipe: reap it and decide. */
static void
on_exit_of(struct supervisor *sv, int i)
{
    struct slot *s = &sv->slots[i];
    struct rusage ru;
    char how[96];
    int wstatus = 0;
    pid_t pid;

    close_fd(&s->res_fd);
    close_fd(&s->cmd_fd);
    do {
        pid = wait4(s->pid, &wstatus, 0, &ru);
    } while (pid < 0 && errno == EINTR);
    if (pid > 0 && ru.ru_maxrss > sv->summary->worker_rss_kb)
        sv->summary->worker_rss_kb = ru.ru_maxrss;
    s->pid = 0;
    describe_exit(wstatus, how, sizeof(how));

    if (s->range >= 0) {
        on_range_death(sv, i, how);
    } else if (WIFSIGNALED(wstatus) ||
               (WIFEXITED(wstatus) && WEXITSTATUS(wstatus) != 0)) {
        fb_warn("worker %d %s while idle", i, how);
        if (!WIFSIGNALED(wstatus))
            sv->status = fb_exit_worse(sv->status, WEXITSTATUS(wstatus));
        sv->idle_deaths++;
    }

    if (WIFEXITED(wstatus) && fatal_exit(WEXITSTATUS(wstatus))) {
        /* Respawning cannot fix configuration or a dead cluster. */
        sv->status = fb_exit_worse(sv->status, WEXITSTATUS(wstatus));
        begin_stop(sv, "a worker exited with a fatal status");
        return;
    }
    if (!sv->stopping && !sv->draining) {
        if (sv->idle_deaths > (uint64_t)sv->n_slots * FB_MAX_RANGE_DEATHS) {
            fb_error("workers keep dying before taking work; giving up");
            sv->status = fb_exit_worse(sv->status, FB_EXIT_SOFTWARE);
            begin_stop(sv, "workers keep dying");
            return;
        }
        if (spawn(sv, i) < 0) {
            sv->status = fb_exit_worse(sv->status, FB_EXIT_OSERR);
            begin_stop(sv, "cannot fork a replacement worker");
        }
    }
}

static void
signal_workers(struct supervisor *sv, int signo)
{
    for (int i = 0; i < sv->n_slots; i++)
        if (sv->slots[i].pid > 0)
            kill(sv->slots[i].pid, signo);
}

static void
on_signal_byte(struct supervisor *sv, int signo)
{
    if (signo == SIGHUP) {
        /* logrotate moved the file: reopen it here and in every worker
         * (a failure is logged by fb_log_open, which keeps the old one). */
        if (sv->opts->log_file != NULL)
            (void)fb_log_open(sv->opts->log_file);
        signal_workers(sv, SIGHUP);
        fb_info("SIGHUP: log reopened");
        return;
    }
    if (sv->stop_signal != 0) {
        fb_warn("second signal: killing workers now");
        signal_workers(sv, SIGKILL);
        return;
    }
    sv->stop_signal = signo;
    sv->status = fb_exit_worse(sv->status, signo == SIGINT ? FB_EXIT_SIGINT
                                                           : FB_EXIT_SIGTERM);
    begin_stop(sv, signo == SIGINT ? "SIGINT received" : "SIGTERM received");
    signal_workers(sv, SIGTERM);
    clock_gettime(CLOCK_MONOTONIC, &sv->kill_at);
    sv->kill_at.tv_sec += sv->opts->grace_ms / 1000;
    sv->kill_at.tv_nsec += (sv->opts->grace_ms % 1000) * 1000000L;
    if (sv->kill_at.tv_nsec >= 1000000000L) {
        sv->kill_at.tv_sec++;
        sv->kill_at.tv_nsec -= 1000000000L;
    }
    sv->kill_armed = true;
}

static int
alive_workers(const struct supervisor *sv)
{
    int n = 0;

    for (int i = 0; i < sv->n_slots; i++)
        if (sv->slots[i].pid > 0)
            n++;
    return n;
}

/* Whether the progress hook is wanted now: while a unit loads. */
static bool
progress_on(const struct supervisor *sv)
{
    return sv->hooks->progress != NULL && sv->hooks->progress_ms > 0 &&
           !sv->draining;
}

/* The live state to the progress hook, when it is due. */
static void
report_progress(struct supervisor *sv)
{
    struct fb_supervisor_state st;
    double now;

    if (!progress_on(sv) || (now = fb_monotonic_seconds()) < sv->progress_at)
        return;
    sv->progress_at = now + sv->hooks->progress_ms / 1000.0;
    memset(&st, 0, sizeof(st));
    st.unit = sv->unit.name;
    st.units_done = sv->units_done;
    st.ranges_done = sv->usum.ranges_done;
    st.ranges_total = sv->unit.n_ranges;
    st.done = sv->usum.counts;
    unit_counts(sv, &st.counts);
    st.unit_seconds = now - sv->unit_started;
    st.seconds = now - sv->started;
    sv->hooks->progress(sv->hooks->progress_arg, &st);
}

/* Milliseconds until the grace deadline (>= 0), or 1000 if none is set. */
static int
grace_timeout(struct supervisor *sv)
{
    struct timespec now;
    long ms;

    if (!sv->kill_armed)
        return 1000;
    clock_gettime(CLOCK_MONOTONIC, &now);
    ms = (sv->kill_at.tv_sec - now.tv_sec) * 1000 +
         (sv->kill_at.tv_nsec - now.tv_nsec) / 1000000;
    if (ms <= 0) {
        fb_warn("grace period over: killing %d worker(s)", alive_workers(sv));
        signal_workers(sv, SIGKILL);
        sv->kill_armed = false;
        return 1000;
    }
    return ms > 1000 ? 1000 : (int)ms;
}

/* How long poll() may wait: until the grace deadline or the next
 * progress report, whichever comes first. */
static int
poll_timeout(struct supervisor *sv)
{
    int ms = grace_timeout(sv);
    double until;

    if (!progress_on(sv))
        return ms;
    until = (sv->progress_at - fb_monotonic_seconds()) * 1000.0;
    if (until <= 0)
        return 0;
    return until < ms ? (int)until + 1 : ms;
}

/*
 * --max-rejects applies to each unit (an hour; for files the whole run):
 * past it the unit stops dispatching (the ranges in flight finish) and
 * ends failed (65); the next unit still loads.  A percentage is judged
 * once 1000 records of the unit have been read, so one early reject is
 * not 100%.  Counts are those of the unit's finished ranges plus its
 * ranges in flight so far.
 */
static void
check_rejects(struct supervisor *sv)
{
    const struct fb_options *o = sv->opts;
    struct fb_counts so_far;
    uint64_t rejected, read;
    bool over;

    if (sv->stopping || sv->unit_stopping)
        return;
    unit_counts(sv, &so_far);
    rejected = so_far.rejected;
    read = so_far.read;
    if (o->max_rejects_pct > 0)
        over = read >= 1000 &&
               (double)rejected > o->max_rejects_pct / 100.0 * (double)read;
    else
        over = rejected > o->max_rejects;
    if (!over)
        return;
    if (o->max_rejects_pct > 0)
        fb_error("%s: %llu of %llu records rejected, more than --max-rejects "
                 "%g%%: stopping early, it is incomplete",
                 sv->unit.name, (unsigned long long)rejected,
                 (unsigned long long)read, o->max_rejects_pct);
    else
        fb_error("%s: %llu records rejected, more than --max-rejects %llu: "
                 "stopping early, it is incomplete",
                 sv->unit.name, (unsigned long long)rejected,
                 (unsigned long long)o->max_rejects);
    fail_unit_with(sv, FB_EXIT_DATAERR, "too many rejects");
}

/*
 * A worker holding a range reports progress before every request and
 * after every batch; one silent for --stall-timeout is stuck (a dead
 * connection without a timeout, a wedged source): kill it, and its range
 * is re-queued like any other death's.
 */
static void
kill_stalled(struct supervisor *sv)
{
    double now = fb_monotonic_seconds();

    for (int i = 0; i < sv->n_slots; i++) {
        struct slot *s = &sv->slots[i];

        if (s->pid <= 0 || s->range < 0 || s->stall_kill ||
            (now - s->seen) * 1000 < (double)sv->opts->stall_ms)
            continue;
        fb_error("worker %d (pid %ld) made no progress for %.0f s on range "
                 "%lld of %s; killing it",
                 i, (long)s->pid, now - s->seen, (long long)s->range,
                 sv->unit.name);
        s->stall_kill = true;
        kill(s->pid, SIGKILL);
    }
}

/*
 * Waits for workers until the current unit has no range pending or
 * running (or, when draining, until every worker has exited).
 */
static int
main_loop(struct supervisor *sv)
{
    struct pollfd *pfd;
    int *owner;

    pfd = calloc((size_t)sv->n_slots + 1, sizeof(*pfd));
    owner = calloc((size_t)sv->n_slots + 1, sizeof(*owner));
    if (pfd == NULL || owner == NULL) {
        free(pfd);
        free(owner);
        return -1;
    }

    dispatch(sv);
    while (alive_workers(sv) > 0 &&
           (sv->draining || sv->stopping || unit_busy(sv))) {
        int n = 0;

        pfd[n].fd = signal_pipe[0];
        pfd[n].events = POLLIN;
        owner[n++] = -1;
        for (int i = 0; i < sv->n_slots; i++) {
            if (sv->slots[i].pid > 0 && sv->slots[i].res_fd >= 0) {
                pfd[n].fd = sv->slots[i].res_fd;
                pfd[n].events = POLLIN;
                owner[n++] = i;
            }
        }
        if (poll(pfd, (nfds_t)n, poll_timeout(sv)) < 0) {
            if (errno == EINTR)
                continue;
            fb_error("poll: %s", strerror(errno));
            sv->status = fb_exit_worse(sv->status, FB_EXIT_OSERR);
            signal_workers(sv, SIGKILL);
            begin_stop(sv, "poll failed");
            continue;
        }
        for (int k = 0; k < n; k++) {
            if (pfd[k].revents == 0)
                continue;
            if (owner[k] < 0) {
                unsigned char b;

                while (read(signal_pipe[0], &b, 1) == 1)
                    on_signal_byte(sv, b);
            } else {
                int i = owner[k];
                struct fb_msg msg;
                int rc = fb_msg_recv(sv->slots[i].res_fd, &msg);

                if (rc == 1)
                    sv->slots[i].seen = fb_monotonic_seconds();
                if (rc == 1 && msg.type == FB_MSG_PROGRESS)
                    on_progress(sv, i, &msg);
                else if (rc == 1 && msg.type == FB_MSG_INDEX_COUNT)
                    on_index_count(sv, i, &msg);
                else if (rc == 1 && msg.type == FB_MSG_DONE)
                    on_done(sv, i, &msg);
                else
                    on_exit_of(sv, i);
            }
        }
        kill_stalled(sv);
        check_rejects(sv);
        dispatch(sv);
        report_progress(sv);
    }
    free(pfd);
    free(owner);
    return 0;
}

static void
add_summary(struct fb_summary *to, const struct fb_summary *u)
{
    add_counts(&to->counts, &u->counts);
    if (u->indices != NULL && table(&to->indices) != NULL)
        fb_index_counts_merge(to->indices, u->indices);
    to->ranges += u->ranges;
    to->ranges_done += u->ranges_done;
    to->ranges_failed += u->ranges_failed;
    to->worker_deaths += u->worker_deaths;
}

/* The unit is over: the hooks and the source hear of it, the run's
 * summary takes its counts. */
static void
end_unit(struct supervisor *sv)
{
    if (sv->hooks->unit_end != NULL)
        sv->hooks->unit_end(sv->hooks->arg, &sv->unit, &sv->usum);
    if (sv->src->unit_done != NULL)
        sv->src->unit_done(sv->plan, &sv->unit, &sv->usum);
    add_summary(sv->summary, &sv->usum);
    sv->units_done++;
}

static void
begin_unit_summary(struct supervisor *sv)
{
    memset(&sv->usum, 0, sizeof(sv->usum));
    if (sv->uindices != NULL)
        fb_index_counts_clear(sv->uindices);
    snprintf(sv->usum.cluster, sizeof(sv->usum.cluster), "%s",
             sv->summary->cluster);
    sv->usum.ranges = sv->unit.n_ranges;
}

/* A unit that cannot start (unit_begin refused it) fails whole. */
static void
fail_unit(struct supervisor *sv, int rc)
{
    begin_unit_summary(sv);
    sv->usum.ranges_failed = sv->usum.ranges;
    sv->usum.exit_code = rc;
    sv->status = fb_exit_worse(sv->status, rc);
    end_unit(sv);
}

/*
 * A unit is complete when every range loaded and its rejects stayed
 * within the budget (0); otherwise its exit code says why it is not: its
 * own failure, else the run's (a signal, a lost cluster).
 */
static int
unit_exit_code(const struct supervisor *sv)
{
    if (sv->ustatus != FB_EXIT_OK)
        return sv->ustatus;
    if (sv->usum.ranges_failed > 0)
        return sv->status != FB_EXIT_OK ? sv->status : FB_EXIT_SOFTWARE;
    return FB_EXIT_OK;
}

/* Loads one planned unit with the workers there are. */
static void
load_unit(struct supervisor *sv)
{
    sv->unit_started = fb_monotonic_seconds();
    begin_unit_summary(sv);
    sv->next_range = 0;
    sv->requeued = 0;
    sv->unit_stopping = false;
    sv->ustatus = FB_EXIT_OK;
    sv->ranges =
        calloc(sv->unit.n_ranges ? sv->unit.n_ranges : 1, sizeof(*sv->ranges));
    if (sv->ranges == NULL) {
        sv->status = fb_exit_worse(sv->status, FB_EXIT_OSERR);
        begin_stop(sv, "out of memory");
        return;
    }
    fb_info("%s: %llu range(s) into index %s", sv->unit.name,
            (unsigned long long)sv->unit.n_ranges, sv->unit.index);
    if (main_loop(sv) != 0) {
        sv->status = fb_exit_worse(sv->status, FB_EXIT_OSERR);
        begin_stop(sv, "out of memory");
    }
    /* Every range not loaded to its end failed: given up, interrupted,
     * or never dispatched because the run stopped early. */
    sv->usum.ranges_failed = sv->usum.ranges - sv->usum.ranges_done;
    sv->usum.seconds = fb_monotonic_seconds() - sv->unit_started;
    sv->usum.exit_code = unit_exit_code(sv);
    end_unit(sv);
    free(sv->ranges);
    sv->ranges = NULL;
}

/* Plans and loads one unit after another until none is left or the run
 * stops. */
static void
load_units(struct supervisor *sv)
{
    while (!sv->stopping) {
        int rc;

        memset(&sv->unit, 0, sizeof(sv->unit));
        rc = sv->src->next_unit(sv->plan, &sv->unit);
        if (rc == 0)
            break;
        if (rc < 0) {
            sv->status = fb_exit_worse(sv->status, -rc);
            break;
        }
        if (sv->hooks->unit_begin != NULL &&
            (rc = sv->hooks->unit_begin(sv->hooks->arg, &sv->unit,
                                        sv->summary)) != 0) {
            fail_unit(sv, rc);
            break;
        }
        load_unit(sv);
    }
}

/*
 * The parent's own peak RSS.  getrusage's ru_maxrss survives execve, so
 * it would report the peak of whatever forked us (a Python test runner,
 * a shell); VmHWM belongs to this process image alone.
 */
static long
self_peak_rss_kb(void)
{
    struct rusage self;
    char line[128];
    long kb = -1;
    FILE *f = fopen("/proc/self/status", "r");

    if (f != NULL) {
        while (fgets(line, sizeof(line), f) != NULL)
            if (sscanf(line, "VmHWM: %ld kB", &kb) == 1)
                break;
        fclose(f);
    }
    if (kb >= 0)
        return kb;
    getrusage(RUSAGE_SELF, &self);
    return self.ru_maxrss;
}

/* Forks the workers: they start with nothing but the options. */
static int
start_workers(struct supervisor *sv, int n)
{
    sv->slots = calloc((size_t)n, sizeof(*sv->slots));
    if (sv->slots == NULL)
        return -1;
    sv->n_slots = n;
    for (int i = 0; i < n; i++)
        sv->slots[i].cmd_fd = sv->slots[i].res_fd = -1;
    for (int i = 0; i < n; i++)
        if (spawn(sv, i) < 0)
            return -1;
    return 0;
}

/* Whatever happened, no child outlives the run: after a failure the
 * workers are killed, otherwise they have exited or are about to. */
static void
reap_workers(struct supervisor *sv)
{
    for (int i = 0; i < sv->n_slots; i++) {
        struct slot *s = &sv->slots[i];
        struct rusage ru;
        int ws;

        if (s->pid <= 0)
            continue;
        close_fd(&s->cmd_fd);
        close_fd(&s->res_fd);
        if (sv->status != FB_EXIT_OK && sv->status != FB_EXIT_DATAERR)
            kill(s->pid, SIGKILL);
        memset(&ru, 0, sizeof(ru));
        while (wait4(s->pid, &ws, 0, &ru) < 0 && errno == EINTR)
            ;
        if (ru.ru_maxrss > sv->summary->worker_rss_kb)
            sv->summary->worker_rss_kb = ru.ru_maxrss;
        s->pid = 0;
    }
}

int
fb_supervisor_run(const struct fb_options *opts, const struct fb_source *src,
                  void *plan, const struct fb_supervisor_hooks *hooks,
                  struct fb_summary *summary)
{
    struct supervisor sv;

    memset(&sv, 0, sizeof(sv));
    sv.started = fb_monotonic_seconds();
    if (hooks->progress_ms > 0)
        sv.progress_at = sv.started + hooks->progress_ms / 1000.0;
    memset(summary, 0, sizeof(*summary));
    sv.opts = opts;
    sv.src = src;
    sv.plan = plan;
    sv.hooks = hooks;
    sv.summary = summary;
    sv.status = FB_EXIT_OK;

    if (install_signals() < 0) {
        fb_error("cannot create the signal pipe: %s", strerror(errno));
        return summary->exit_code = FB_EXIT_OSERR;
    }
    if (start_workers(&sv, fb_source_workers(src, opts)) < 0) {
        sv.status = FB_EXIT_OSERR;
    } else {
        load_units(&sv);
        /* No more units: idle workers get EOF and exit; wait for all. */
        sv.draining = true;
        if (main_loop(&sv) != 0)
            sv.status = fb_exit_worse(sv.status, FB_EXIT_OSERR);
    }
    reap_workers(&sv);
    restore_signals();
    for (int i = 0; i < sv.n_slots; i++)
        fb_index_counts_free(sv.slots[i].pending);
    free(sv.slots);
    fb_index_counts_free(sv.uindices);
    if (summary->indices != NULL)
        fb_index_counts_sort(summary->indices);
    summary->parent_rss_kb = self_peak_rss_kb();
    summary->seconds = fb_monotonic_seconds() - sv.started;
    summary->exit_code = sv.status;
    summary->stop_signal = sv.stop_signal;
    return sv.status;
}
