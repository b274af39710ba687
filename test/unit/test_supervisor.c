/*
 * test_supervisor.c
 *    The supervisor with fake workers and a fake source: real fork, real
 *    pipes and real signals, but worker bodies that finish, crash, hang,
 *    exit with a fatal status or send nonsense, on cue.
 *
 * Each fake worker reads RANGE frames and acts on the range's lo, which
 * the fake source sets to the range's number.  What a range does is in
 * memory shared with every child (MAP_SHARED), so that "crash the first
 * time only" holds across the replacement workers.
 */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cmocka.h>

#include "forkbulk/index_counts.h"
#include "forkbulk/log.h"
#include "forkbulk/proto.h"
#include "forkbulk/source.h"
#include "forkbulk/status.h"
#include "forkbulk/supervisor.h"

#define MAX_RANGES 64

enum act {
    ACT_DONE = 0,      /* DONE with 10 records read and loaded */
    ACT_CRASH,         /* SIGKILL itself while holding the range */
    ACT_HANG,          /* never answer: the stall timeout must end it */
    ACT_FATAL,         /* exit 78 while holding the range */
    ACT_GARBAGE,       /* write half a frame of junk, then exit */
    ACT_WRONG_ID,      /* DONE for a range it does not hold */
    ACT_REJECTS,       /* DONE with 5 of its 10 records rejected */
    ACT_SIGTERM,       /* SIGTERM the parent, then finish the range */
    ACT_INDICES,       /* INDEX_COUNT frames (idx-b 6, idx-a 3, unlisted 1),
                        * then DONE */
    ACT_INDICES_CRASH, /* INDEX_COUNT idx-z 99, then SIGKILL itself */
};

/* Shared with every worker process. */
struct shared {
    int starts;                /* worker processes started */
    int act[MAX_RANGES];       /* what the range does ... */
    int act_times[MAX_RANGES]; /* ... this many times, then ACT_DONE */
};

static struct shared *sh;

/* The fake source: units of n_ranges each, ranges [i, i + 1). */
struct fake_plan {
    int n_units;
    uint64_t n_ranges;
    int units_planned;
    int ranges_done;
    int units_done;
    struct fb_summary last_unit;
};

static int
fake_next_unit(void *plan, struct fb_unit *unit)
{
    struct fake_plan *p = plan;

    if (p->units_planned == p->n_units)
        return 0;
    p->units_planned++;
    snprintf(unit->name, sizeof(unit->name), "unit %d", p->units_planned);
    snprintf(unit->index, sizeof(unit->index), "idx-%d", p->units_planned);
    unit->n_ranges = p->n_ranges;
    return 1;
}

static void
fake_range(void *plan, uint64_t i, struct fb_msg *range)
{
    (void)plan;
    range->lo = i;
    range->hi = i + 1;
}

static void
fake_range_done(void *plan, uint64_t i, const struct fb_msg *done)
{
    struct fake_plan *p = plan;

    (void)i;
    if (done->status == FB_EXIT_OK || done->status == FB_EXIT_DATAERR)
        p->ranges_done++;
}

static void
fake_unit_done(void *plan, const struct fb_unit *unit,
               const struct fb_summary *summary)
{
    struct fake_plan *p = plan;

    (void)unit;
    p->units_done++;
    p->last_unit = *summary;
}

static const struct fb_source fake_source = {
    .kind = "fake",
    .next_unit = fake_next_unit,
    .range = fake_range,
    .range_done = fake_range_done,
    .unit_done = fake_unit_done,
};

static void
send_done(int res_fd, const struct fb_msg *range, uint32_t id,
          uint64_t rejected)
{
    struct fb_msg done;

    memset(&done, 0, sizeof(done));
    done.type = FB_MSG_DONE;
    done.range_id = id;
    done.counts.read = 10;
    done.counts.loaded = 10 - rejected;
    done.counts.rejected = rejected;
    done.status = FB_EXIT_OK; /* rejects are counts, not a failure */
    (void)range;
    fb_msg_send(res_fd, &done);
}

static void
send_index_count(int res_fd, uint32_t id, const char *index, uint64_t n)
{
    struct fb_msg m;

    memset(&m, 0, sizeof(m));
    m.type = FB_MSG_INDEX_COUNT;
    m.range_id = id;
    m.counts.loaded = n;
    snprintf(m.index, sizeof(m.index), "%s", index);
    fb_msg_send(res_fd, &m);
}

/* What range lo does this time (a shared counter per range). */
static int
next_act(uint64_t lo)
{
    int *times = &sh->act_times[lo];

    if (*times == 0)
        return ACT_DONE;
    if (*times > 0)
        __atomic_sub_fetch(times, 1, __ATOMIC_SEQ_CST);
    return sh->act[lo];
}

static int
fake_worker(void *arg, int cmd_fd, int res_fd)
{
    struct fb_msg msg;

    (void)arg;
    __atomic_add_fetch(&sh->starts, 1, __ATOMIC_SEQ_CST);
    while (fb_msg_recv(cmd_fd, &msg) == 1) {
        switch (next_act(msg.lo)) {
        case ACT_CRASH:
            raise(SIGKILL);
            break;
        case ACT_HANG:
            for (;;)
                pause();
        case ACT_FATAL:
            return FB_EXIT_CONFIG;
        case ACT_GARBAGE:
            (void)!write(res_fd, "\x07garbage", 8);
            return FB_EXIT_OK;
        case ACT_WRONG_ID:
            send_done(res_fd, &msg, msg.range_id + 1000, 0);
            break;
        case ACT_REJECTS:
            send_done(res_fd, &msg, msg.range_id, 5);
            break;
        case ACT_INDICES:
            send_index_count(res_fd, msg.range_id, "idx-b", 6);
            send_index_count(res_fd, msg.range_id, "idx-a", 3);
            send_index_count(res_fd, msg.range_id, "", 1);
            send_done(res_fd, &msg, msg.range_id, 0);
            break;
        case ACT_INDICES_CRASH:
            send_index_count(res_fd, msg.range_id, "idx-z", 99);
            raise(SIGKILL);
            break;
        case ACT_SIGTERM:
            kill(getppid(), SIGTERM);
            sleep(1); /* the parent forwards SIGTERM: default action */
            send_done(res_fd, &msg, msg.range_id, 0);
            break;
        default:
            send_done(res_fd, &msg, msg.range_id, 0);
            break;
        }
    }
    return FB_EXIT_OK;
}

static int unit_begin_rc;
static int unit_begins;

static int
fake_unit_begin(void *arg, const struct fb_unit *unit, struct fb_summary *total)
{
    (void)arg;
    (void)unit;
    snprintf(total->cluster, sizeof(total->cluster), "Fake 1.0");
    unit_begins++;
    return unit_begin_rc;
}

static const struct fb_supervisor_hooks hooks = {.worker_main = fake_worker,
                                                 .unit_begin = fake_unit_begin};

static struct fb_options opts;

static int
setup(void **state)
{
    (void)state;
    sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE,
              MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (sh == MAP_FAILED)
        return -1;
    memset(sh, 0, sizeof(*sh));
    memset(&opts, 0, sizeof(opts));
    opts.workers = 2;
    opts.grace_ms = 2000;
    opts.stall_ms = 60000;
    opts.max_rejects = 1000;
    unit_begin_rc = 0;
    unit_begins = 0;
    fb_log_set_level(FB_LOG_ERROR);
    return 0;
}

static int
teardown(void **state)
{
    (void)state;
    munmap(sh, sizeof(*sh));
    return 0;
}

/* Runs n_units units of n_ranges ranges each with the fake workers. */
static int
run(struct fake_plan *p, int n_units, uint64_t n_ranges, struct fb_summary *sum)
{
    memset(p, 0, sizeof(*p));
    p->n_units = n_units;
    p->n_ranges = n_ranges;
    return fb_supervisor_run(&opts, &fake_source, p, &hooks, sum);
}

static void
on_cue(uint64_t range, enum act act, int times)
{
    sh->act[range] = act;
    sh->act_times[range] = times;
}

static void
test_every_range_done(void **state)
{
    struct fake_plan p;
    struct fb_summary sum;

    (void)state;
    assert_int_equal(run(&p, 3, 10, &sum), FB_EXIT_OK);
    assert_int_equal(p.units_done, 3);
    assert_int_equal(p.ranges_done, 30);
    assert_int_equal(sum.ranges, 30);
    assert_int_equal(sum.ranges_done, 30);
    assert_int_equal(sum.ranges_failed, 0);
    assert_int_equal(sum.counts.read, 300);
    assert_int_equal(sum.counts.loaded, 300);
    assert_int_equal(sum.worker_deaths, 0);
    assert_string_equal(sum.cluster, "Fake 1.0");
    /* The workers serve every unit: forked once, before the first. */
    assert_int_equal(sh->starts, 2);
    assert_int_equal(unit_begins, 3);
}

static void
test_crash_requeues_and_respawns(void **state)
{
    struct fake_plan p;
    struct fb_summary sum;

    (void)state;
    on_cue(4, ACT_CRASH, 2);
    assert_int_equal(run(&p, 1, 10, &sum), FB_EXIT_OK);
    assert_int_equal(sum.ranges_done, 10);
    assert_int_equal(sum.worker_deaths, 2);
    assert_int_equal(sum.counts.loaded, 100);
    assert_int_equal(sh->starts, 4); /* two replacements */
    assert_int_equal(p.last_unit.exit_code, FB_EXIT_OK);
}

static void
test_range_that_kills_three_workers_fails(void **state)
{
    struct fake_plan p;
    struct fb_summary sum;

    (void)state;
    on_cue(2, ACT_CRASH, FB_MAX_RANGE_DEATHS);
    assert_int_equal(run(&p, 2, 6, &sum), FB_EXIT_SOFTWARE);
    assert_int_equal(sum.worker_deaths, FB_MAX_RANGE_DEATHS);
    /* The first unit fails (its other ranges may or may not have been
     * handed out before); the second loads whole. */
    assert_int_equal(p.units_done, 2);
    assert_true(sum.ranges_failed >= 1);
    assert_int_equal(p.last_unit.exit_code, FB_EXIT_OK);
    assert_int_equal(p.last_unit.ranges_done, 6);
}

static void
test_fatal_exit_is_not_respawned(void **state)
{
    struct fake_plan p;
    struct fb_summary sum;

    (void)state;
    on_cue(0, ACT_FATAL, -1);
    on_cue(1, ACT_FATAL, -1);
    assert_int_equal(run(&p, 1, 8, &sum), FB_EXIT_CONFIG);
    /* Respawning cannot fix a configuration: no replacement at all. */
    assert_int_equal(sh->starts, 2);
    assert_true(sum.ranges_failed > 0);
}

static void
test_hanging_worker_is_killed(void **state)
{
    struct fake_plan p;
    struct fb_summary sum;

    (void)state;
    opts.stall_ms = 300;
    on_cue(3, ACT_HANG, 1);
    assert_int_equal(run(&p, 1, 6, &sum), FB_EXIT_OK);
    assert_int_equal(sum.worker_deaths, 1);
    assert_int_equal(sum.ranges_done, 6);
    assert_int_equal(sh->starts, 3);
}

static void
test_garbage_frame_is_a_death(void **state)
{
    struct fake_plan p;
    struct fb_summary sum;

    (void)state;
    on_cue(1, ACT_GARBAGE, 1);
    assert_int_equal(run(&p, 1, 5, &sum), FB_EXIT_OK);
    assert_int_equal(sum.worker_deaths, 1);
    assert_int_equal(sum.ranges_done, 5);
}

static void
test_done_for_another_range_stops_the_run(void **state)
{
    struct fake_plan p;
    struct fb_summary sum;

    (void)state;
    on_cue(0, ACT_WRONG_ID, 1);
    assert_int_equal(run(&p, 1, 20, &sum), FB_EXIT_SOFTWARE);
    assert_true(sum.ranges_done < 20);
}

static void
test_max_rejects_stops_dispatching(void **state)
{
    struct fake_plan p;
    struct fb_summary sum;

    (void)state;
    opts.workers = 1;
    opts.max_rejects = 7;
    for (int i = 0; i < 30; i++)
        on_cue((uint64_t)i, ACT_REJECTS, -1);
    assert_int_equal(run(&p, 1, 30, &sum), FB_EXIT_DATAERR);
    /* 5 rejects per range: the second range passes the limit of 7, and
     * nothing more is dispatched. */
    assert_int_equal(sum.ranges_done, 2);
    assert_int_equal(sum.counts.rejected, 10);
    assert_int_equal(sum.ranges_failed, 28);
}

static void
test_reject_budget_is_per_unit(void **state)
{
    struct fake_plan p;
    struct fb_summary sum;

    (void)state;
    opts.workers = 1;
    opts.max_rejects = 7;
    /* Unit 1: ranges 1 and 2 reject 5 each, 10 > 7: it fails.  Unit 2:
     * range 1 rejects 5, within the budget: it is complete, and loads
     * although unit 1 failed. */
    on_cue(1, ACT_REJECTS, 2);
    on_cue(2, ACT_REJECTS, 1);
    assert_int_equal(run(&p, 2, 4, &sum), FB_EXIT_DATAERR);
    assert_int_equal(p.units_done, 2);
    assert_int_equal(p.last_unit.exit_code, FB_EXIT_OK);
    assert_int_equal(p.last_unit.ranges_done, 4);
    assert_int_equal(p.last_unit.counts.rejected, 5);
    assert_int_equal(sum.ranges_failed, 1); /* unit 1's range 3 */
    assert_int_equal(sum.counts.rejected, 15);
}

static void
test_rejects_within_budget_are_not_a_failure(void **state)
{
    struct fake_plan p;
    struct fb_summary sum;

    (void)state;
    opts.max_rejects = 5;
    on_cue(3, ACT_REJECTS, 1);
    assert_int_equal(run(&p, 1, 6, &sum), FB_EXIT_OK);
    assert_int_equal(sum.counts.rejected, 5);
    assert_int_equal(p.last_unit.exit_code, FB_EXIT_OK);
}

static void
test_unit_begin_refusal_fails_the_unit(void **state)
{
    struct fake_plan p;
    struct fb_summary sum;

    (void)state;
    unit_begin_rc = FB_EXIT_UNAVAILABLE;
    assert_int_equal(run(&p, 3, 4, &sum), FB_EXIT_UNAVAILABLE);
    /* The source hears that the unit failed, whole; no more units. */
    assert_int_equal(p.units_planned, 1);
    assert_int_equal(p.units_done, 1);
    assert_int_equal(p.last_unit.ranges_failed, 4);
    assert_int_equal(p.last_unit.exit_code, FB_EXIT_UNAVAILABLE);
    assert_int_equal(p.ranges_done, 0);
}

static void
test_sigterm_stops_with_143(void **state)
{
    struct fake_plan p;
    struct fb_summary sum;

    (void)state;
    on_cue(0, ACT_SIGTERM, 1);
    assert_int_equal(run(&p, 2, 8, &sum), FB_EXIT_SIGTERM);
    assert_int_equal(p.units_planned, 1);
    assert_true(sum.ranges_failed > 0);
    assert_int_equal(p.last_unit.exit_code, FB_EXIT_SIGTERM);
}

/* Per-index reports count once their range is DONE: those of a worker
 * that died first are dropped (its range's next attempt reports again);
 * each unit's table, and the run's sorted by name. */
static void
test_index_counts_per_unit_and_run(void **state)
{
    struct fake_plan p;
    struct fb_summary sum;
    uint64_t n = 0;

    (void)state;
    for (int r = 0; r < 5; r++)
        on_cue((uint64_t)r, ACT_INDICES, -1);
    on_cue(5, ACT_INDICES_CRASH, 1);
    assert_int_equal(run(&p, 2, 6, &sum), FB_EXIT_OK);
    assert_int_equal(sum.worker_deaths, 1);
    assert_non_null(sum.indices);
    assert_int_equal(fb_index_counts_size(sum.indices), 2);
    assert_string_equal(fb_index_counts_get(sum.indices, 0, &n), "idx-a");
    assert_int_equal(n, 2 * 5 * 3);
    assert_string_equal(fb_index_counts_get(sum.indices, 1, &n), "idx-b");
    assert_int_equal(n, 2 * 5 * 6);
    assert_int_equal(fb_index_counts_unlisted(sum.indices), 2 * 5);
    /* The last unit's own table, as unit_done saw it. */
    assert_non_null(p.last_unit.indices);
    fb_index_counts_free(sum.indices);

    /* No reports: no table. */
    memset(sh->act, 0, sizeof(sh->act));
    memset(sh->act_times, 0, sizeof(sh->act_times));
    assert_int_equal(run(&p, 1, 3, &sum), FB_EXIT_OK);
    assert_null(sum.indices);
    assert_null(p.last_unit.indices);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_every_range_done, setup, teardown),
        cmocka_unit_test_setup_teardown(test_crash_requeues_and_respawns, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(
            test_range_that_kills_three_workers_fails, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fatal_exit_is_not_respawned, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_hanging_worker_is_killed, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_garbage_frame_is_a_death, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(
            test_done_for_another_range_stops_the_run, setup, teardown),
        cmocka_unit_test_setup_teardown(test_max_rejects_stops_dispatching,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_reject_budget_is_per_unit, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(
            test_rejects_within_budget_are_not_a_failure, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unit_begin_refusal_fails_the_unit,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_sigterm_stops_with_143, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_index_counts_per_unit_and_run,
                                        setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
