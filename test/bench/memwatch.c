/*
 * memwatch.c
 *    fb-memwatch: runs one command and measures the memory and CPU of its
 *    whole process tree, for scripts/bench.sh.
 *
 *    fb-memwatch [--interval-ms 100] [--cap-mb N] [--timeout-s S]
 *                [--stdout FILE] --out FILE.json -- CMD ARGS...
 *
 * CMD is started with execvp (no shell) in a process group of its own;
 * --stdout FILE opens FILE (truncated) as its standard output, so a
 * command's output can go to /dev/null or a file without a shell.
 * fb-memwatch makes itself a child subreaper, so descendants whose parent
 * dies stay in the tree (and are reaped here).
 *
 * What it measures (memory in MiB = 2^20 bytes; /proc reports KiB):
 *  - pss_peak_mb: the largest, over all samples, of the SUM of "Pss:" in
 *    /proc/PID/smaps_rollup over every live process of the tree (CMD and
 *    all its descendants, found each sample by scanning /proc for parent
 *    chains).  PSS shares each shared page among its users, so the sum
 *    does not count a page inherited over fork twice.  Sampled every
 *    --interval-ms: a peak shorter than that can be missed.
 *  - rss_sampled_mb: the largest VmRSS of any single process in any sample.
 *  - ru_maxrss_mb: the largest ru_maxrss of any process reaped here
 *    (wait4; the kernel's exact peak RSS of that process or of a
 *    descendant it waited for).  rss_max_mb is the larger of the two.
 *  - cpu_user_s, cpu_sys_s: the sum of the rusage of every process reaped
 *    here.  Each covers that process and the descendants it waited for,
 *    so the sum covers the whole tree as long as every process in it is
 *    waited for by someone (true for the contestants: forkbulk, Python
 *    pools, psql).  Work done in other processes on the tree's behalf
 *    (the PostgreSQL backend, the server) is NOT included.
 *  - wall_s: from fork to the reaping of CMD (CLOCK_MONOTONIC).  Tree
 *    members still alive then ("stragglers") are sampled for up to 2 s
 *    more and then get SIGKILL ("stragglers_killed").
 *  - with --cap-mb: when the PSS sum exceeds the cap, the process group
 *    and every tree member get SIGKILL; "capped" and "capped_at_s" say so.
 *  - with --timeout-s: past S seconds the tree gets SIGKILL ("timed_out").
 *  - SIGINT, SIGTERM or SIGHUP to fb-memwatch: the tree gets SIGKILL, the
 *    JSON is written ("interrupted_by") and it exits 128 + that signal.
 * It writes one JSON object to --out and exits with CMD's exit code
 * (128 + signal if it was killed by a signal; 127 if exec failed).
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* Bounds: processes on the machine per /proc scan, and in the tree. */
#define MW_MAX_PROCS 32768
#define MW_MAX_TREE 1024
#define MW_EXIT_USAGE 64
#define MW_EXIT_OSERR 71

struct mw_proc {
    int pid;
    int ppid;
};

struct mw_stats {
    double t0;
    long samples;
    long pss_peak_kb;
    double pss_peak_at;
    int procs_at_peak;
    int procs_max;
    long rss_sampled_kb;
    long ru_maxrss_kb;
    double cpu_user, cpu_sys;
    bool table_full;
    bool capped;
    double capped_at;
    bool timed_out;
};

static struct mw_proc all[MW_MAX_PROCS];
static int tree[MW_MAX_TREE];

static double
mw_now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static bool
mw_parse_long(const char *s, long min, long max, long *out)
{
    char *end = NULL;
    long v;

    if (s == NULL || *s == '\0')
        return false;
    errno = 0;
    v = strtol(s, &end, 10);
    if (errno != 0 || *end != '\0' || v < min || v > max)
        return false;
    *out = v;
    return true;
}

/* The first "Key: N kB" value in /proc/PID/FILE, or -1. */
static long
mw_read_kb(int pid, const char *file, const char *key)
{
    char path[64], line[256];
    size_t kl = strlen(key);
    long v = -1;
    FILE *f = NULL;

    snprintf(path, sizeof(path), "/proc/%d/%s", pid, file);
    f = fopen(path, "r");
    if (f == NULL)
        return -1;
    while (fgets(line, sizeof(line), f) != NULL) {
        if (strncmp(line, key, kl) == 0) {
            char *end = NULL;

            errno = 0;
            v = strtol(line + kl, &end, 10);
            if (errno != 0 || end == line + kl || v < 0)
                v = -1;
            break;
        }
    }
    fclose(f);
    return v;
}

/* Parent pid from /proc/PID/stat (after the last ')' of comm), or -1. */
static int
mw_read_ppid(int pid)
{
    char path[64], buf[512];
    char *p;
    ssize_t n;
    int fd, ppid = -1;

    snprintf(path, sizeof(path), "/proc/%d/stat", pid);
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    n = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    if (n <= 0)
        return -1;
    buf[n] = '\0';
    p = strrchr(buf, ')');
    if (p != NULL && sscanf(p + 1, " %*c %d", &ppid) != 1)
        ppid = -1;
    return ppid;
}

/* Fills tree[] with the live descendants of self; returns how many. */
static int
mw_find_tree(int self, struct mw_stats *st)
{
    DIR *d = opendir("/proc");
    struct dirent *e;
    int n = 0, nt = 0, i, k;
    bool grew = true;

    if (d == NULL)
        return 0;
    while ((e = readdir(d)) != NULL) {
        long pid;

        if (!isdigit((unsigned char)e->d_name[0]) ||
            !mw_parse_long(e->d_name, 1, 1L << 30, &pid))
            continue;
        if (n == MW_MAX_PROCS) {
            st->table_full = true;
            break;
        }
        all[n].pid = (int)pid;
        all[n].ppid = mw_read_ppid((int)pid);
        n++;
    }
    closedir(d);
    /* Parent chains: add any process whose parent is in the tree. */
    while (grew) {
        grew = false;
        for (i = 0; i < n; i++) {
            bool parent_in = all[i].ppid == self;

            for (k = 0; k < nt && !parent_in; k++)
                parent_in = tree[k] == all[i].ppid;
            if (!parent_in || all[i].pid == 0)
                continue;
            if (nt == MW_MAX_TREE) {
                st->table_full = true;
                return nt;
            }
            tree[nt++] = all[i].pid;
            all[i].pid = 0; /* taken */
            grew = true;
        }
    }
    return nt;
}

static void
mw_kill_tree(int pgid, int nt)
{
    int i;

    kill(-pgid, SIGKILL);
    for (i = 0; i < nt; i++)
        kill(tree[i], SIGKILL);
}

/* One sample; returns the number of live tree members. */
static int
mw_sample(int self, int child, long cap_kb, struct mw_stats *st)
{
    int nt = mw_find_tree(self, st), i;
    long sum = 0;

    for (i = 0; i < nt; i++) {
        long pss = mw_read_kb(tree[i], "smaps_rollup", "Pss:");
        long rss = mw_read_kb(tree[i], "status", "VmRSS:");

        sum += pss > 0 ? pss : 0;
        if (rss > st->rss_sampled_kb)
            st->rss_sampled_kb = rss;
    }
    st->samples++;
    if (nt > st->procs_max)
        st->procs_max = nt;
    if (sum > st->pss_peak_kb) {
        st->pss_peak_kb = sum;
        st->pss_peak_at = mw_now() - st->t0;
        st->procs_at_peak = nt;
    }
    if (cap_kb > 0 && sum > cap_kb && !st->capped) {
        st->capped = true;
        st->capped_at = mw_now() - st->t0;
        mw_kill_tree(child, nt);
    }
    return nt;
}

/* Reaps every finished process; returns true once child is reaped. */
static bool
mw_reap(int child, int *status, struct mw_stats *st)
{
    bool done = false;
    struct rusage ru;
    int s, pid;

    while ((pid = wait4(-1, &s, WNOHANG, &ru)) > 0) {
        st->cpu_user += (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6;
        st->cpu_sys += (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
        if (ru.ru_maxrss > st->ru_maxrss_kb)
            st->ru_maxrss_kb = ru.ru_maxrss;
        if (pid == child) {
            *status = s;
            done = true;
        }
    }
    return done;
}

static void
mw_json_str(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s != '\0'; s++) {
        unsigned char c = (unsigned char)*s;

        if (c == '"' || c == '\\')
            fprintf(f, "\\%c", c);
        else if (c < 0x20)
            fprintf(f, "\\u%04x", c);
        else
            fputc(c, f);
    }
    fputc('"', f);
}

static void
mw_usage(FILE *f)
{
    fputs("usage: fb-memwatch [--interval-ms MS] [--cap-mb N] [--timeout-s S]\n"
          "                   [--stdout FILE] --out FILE.json -- CMD ARGS...\n",
          f);
}

int
main(int argc, char **argv)
{
    struct mw_stats st;
    const char *out = NULL, *out_stdout = NULL;
    long interval = 100, cap_mb = 0, timeout_s = 0, ms;
    int i, status = 0, child, code, self = (int)getpid(), stragglers = 0;
    bool killed = false;
    int interrupted = 0;
    double wall, deadline;
    sigset_t chld, old;
    FILE *f = NULL;

    memset(&st, 0, sizeof(st));
    for (i = 1; i < argc && strcmp(argv[i], "--") != 0; i += 2) {
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        bool ok = v != NULL;

        if (strcmp(argv[i], "--interval-ms") == 0)
            ok = ok && mw_parse_long(v, 1, 60000, &interval);
        else if (strcmp(argv[i], "--timeout-s") == 0)
            ok = ok && mw_parse_long(v, 1, 1L << 30, &timeout_s);
        else if (strcmp(argv[i], "--cap-mb") == 0)
            ok = ok && mw_parse_long(v, 1, 1L << 30, &cap_mb);
        else if (strcmp(argv[i], "--out") == 0)
            out = v;
        else if (strcmp(argv[i], "--stdout") == 0)
            out_stdout = v;
        else
            ok = false;
        if (!ok) {
            mw_usage(stderr);
            return MW_EXIT_USAGE;
        }
    }
    if (out == NULL || i + 1 >= argc) {
        mw_usage(stderr);
        return MW_EXIT_USAGE;
    }
    sigemptyset(&chld);
    sigaddset(&chld, SIGCHLD);
    /* Stopped by a signal, the tree goes too: it is not in our process
     * group, so a Ctrl-C does not reach it. */
    sigaddset(&chld, SIGINT);
    sigaddset(&chld, SIGTERM);
    sigaddset(&chld, SIGHUP);
    sigprocmask(SIG_BLOCK, &chld, &old);
    prctl(PR_SET_CHILD_SUBREAPER, 1L, 0L, 0L, 0L);
    fflush(NULL);
    st.t0 = mw_now();
    child = fork();
    if (child < 0) {
        perror("fb-memwatch: fork");
        return MW_EXIT_OSERR;
    }
    if (child == 0) {
        setpgid(0, 0);
        sigprocmask(SIG_SETMASK, &old, NULL);
        if (out_stdout != NULL) {
            int fd = open(out_stdout, O_WRONLY | O_CREAT | O_TRUNC, 0644);

            if (fd < 0 || dup2(fd, STDOUT_FILENO) < 0) {
                perror(out_stdout);
                _exit(127);
            }
            close(fd);
        }
        execvp(argv[i + 1], argv + i + 1);
        perror(argv[i + 1]);
        _exit(127);
    }
    setpgid(child, child); /* also here: no race with the first kill */
    /* The first sample 10 ms after the fork (after the exec, for any
     * real command), then one every interval. */
    for (ms = interval < 10 ? interval : 10;; ms = interval) {
        struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
        int nt, sig = sigtimedwait(&chld, NULL, &ts);

        if (sig < 0 && errno != EAGAIN && errno != EINTR)
            break;
        if (sig == SIGINT || sig == SIGTERM || sig == SIGHUP) {
            interrupted = sig;
            mw_kill_tree(child, mw_find_tree(self, &st));
        }
        if (mw_reap(child, &status, &st))
            break;
        nt = mw_sample(self, child, cap_mb * 1024, &st);
        if (timeout_s > 0 && !st.timed_out &&
            mw_now() - st.t0 > (double)timeout_s) {
            st.timed_out = true;
            mw_kill_tree(child, nt);
        }
    }
    wall = mw_now() - st.t0;
    /* Stragglers of the tree get 2 s to finish, then SIGKILL. */
    deadline = mw_now() + 2.0;
    for (;;) {
        struct timespec ts = {0, 50000000L};
        int nt = mw_sample(self, child, cap_mb * 1024, &st);

        if (nt == 0)
            break;
        if (nt > stragglers)
            stragglers = nt;
        if (mw_now() > deadline) {
            mw_kill_tree(child, nt);
            killed = true;
        }
        sigtimedwait(&chld, NULL, &ts);
        mw_reap(child, &status, &st);
    }
    code = WIFEXITED(status)     ? WEXITSTATUS(status)
           : WIFSIGNALED(status) ? 128 + WTERMSIG(status)
                                 : 1;
    f = fopen(out, "w");
    if (f == NULL) {
        perror(out);
        return code != 0 ? code : MW_EXIT_OSERR;
    }
    fputs("{\"command\":", f);
    mw_json_str(f, argv[i + 1]);
    fprintf(f,
            ",\"wall_s\":%.3f,\"cpu_user_s\":%.3f,\"cpu_sys_s\":%.3f,"
            "\"cpu_s\":%.3f,\"pss_peak_mb\":%.1f,\"pss_peak_at_s\":%.2f,"
            "\"procs_at_peak\":%d,\"procs_max\":%d,"
            "\"rss_sampled_mb\":%.1f,\"ru_maxrss_mb\":%.1f,"
            "\"rss_max_mb\":%.1f,\"samples\":%ld,\"interval_ms\":%ld,"
            "\"exit_code\":%d,\"capped\":%s,\"cap_mb\":%ld,",
            wall, st.cpu_user, st.cpu_sys, st.cpu_user + st.cpu_sys,
            (double)st.pss_peak_kb / 1024, st.pss_peak_at, st.procs_at_peak,
            st.procs_max, (double)st.rss_sampled_kb / 1024,
            (double)st.ru_maxrss_kb / 1024,
            (double)(st.rss_sampled_kb > st.ru_maxrss_kb ? st.rss_sampled_kb
                                                         : st.ru_maxrss_kb) /
                1024,
            st.samples, interval, code, st.capped ? "true" : "false", cap_mb);
    if (st.capped)
        fprintf(f, "\"capped_at_s\":%.2f,", st.capped_at);
    else
        fputs("\"capped_at_s\":null,", f);
    fprintf(f, "\"stragglers\":%d,\"stragglers_killed\":%s,", stragglers,
            killed ? "true" : "false");
    fprintf(f, "\"timed_out\":%s,\"interrupted_by\":%d,",
            st.timed_out ? "true" : "false", interrupted);
    fprintf(f, "\"table_full\":%s}\n", st.table_full ? "true" : "false");
    if (fclose(f) != 0) {
        perror(out);
        return code != 0 ? code : MW_EXIT_OSERR;
    }
    if (interrupted != 0)
        return 128 + interrupted;
    return code;
}
