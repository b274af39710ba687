/*
 * lock.h
 *    Two runs of the same job never overlap: a lock file (flock) on this
 *    host and a PostgreSQL advisory lock across hosts.
 *
 * The lock file is opened through safefile.h (never through a symbolic
 * link; created 0600; refused when it is not a regular file, not owned
 * by forkbulk's user, has more than one link, or is writable by group or
 * others), set to mode 0600 (flock works on a read-only descriptor, so
 * whoever can read the file can hold the lock), and locked with
 * flock(LOCK_EX | LOCK_NB); the holder writes "pid host start\n" into it
 * (start in ISO 8601 UTC) so that a second run can name it.  The file is
 * never unlinked: removing a lock file lets a third run lock a new file
 * while the second still holds the old one.  Its default place is the
 * job's state directory (fb_lock_default_path), which only forkbulk's
 * user may enter.
 *
 * The advisory lock is pg_try_advisory_lock(key) on a dedicated
 * connection that stays open for the whole run; the session holds it, so
 * it goes away when the run ends or dies.  key = fb_lock_key(job): FNV-1a
 * 64 of "forkbulk:" + job, stable across hosts, builds and PostgreSQL
 * versions.  The connection's application_name is "forkbulk <pid> <start>
 * <host>" (cut to PostgreSQL's 63 bytes), which any user can read from
 * pg_stat_activity: that is how a second run on another host names the
 * holder.
 *
 * Both locks die with their holder's process, but a forked child holds
 * copies of the lock file's descriptor and of the connection's socket,
 * and a child outliving a killed parent would keep the job locked.
 * forkbulk's workers close every descriptor they inherit as they start
 * (supervisor.c, close_inherited()), which drops both copies without
 * touching the parent's locks: closing a socket sends nothing to the
 * server, and a flock is released only when its last descriptor closes.
 * Any other child must do the same, and must not call fb_lock_release().
 *
 * The ledger (ledger.h) relies on this lock: a "running" row of a job
 * whose lock we hold belongs to a run that has died.
 */
#ifndef FORKBULK_LOCK_H
#define FORKBULK_LOCK_H

#include <stddef.h>
#include <stdint.h>

struct fb_lock;
struct fb_pg_target;

/* Advisory lock key of a job. */
int64_t fb_lock_key(const char *job);

/*
 * The default lock file of job: <state_dir>/<job>.lock, with every byte
 * of job but [A-Za-z0-9-] written as '_'.  Creates state_dir (mode 0700)
 * when it does not exist; its parent must.  0, or -1 with err set (the
 * directory cannot be made, or the path does not fit in len).
 */
int fb_lock_default_path(const char *state_dir, const char *job, char *path,
                         size_t len, char *err, size_t errlen);

/*
 * Takes the job's locks: the lock file at path (NULL or "": none), then
 * the advisory lock on a connection to pg (pg_conn.h; NULL: none, as for
 * file loads without PostgreSQL).  At least one of them must be given;
 * pg's strings are copied.  Returns an exit code of status.h:
 *   FB_EXIT_OK           *out holds both locks;
 *   FB_EXIT_TEMPFAIL     another run holds one; err names it, e.g.
 *                        job "flows" is already running: pid 4242 on
 *                        host web-01 since 2026-11-27T03:05:01Z (lock
 *                        file /var/lib/forkbulk/flows.lock)
 *   FB_EXIT_CANTCREAT    the lock file cannot be opened or locked, or
 *                        is refused (see above; err names the file,
 *                        what is wrong and, for ownership, its owner);
 *   FB_EXIT_UNAVAILABLE  PostgreSQL cannot be reached or the lock query
 *                        failed;
 *   FB_EXIT_CONFIG       empty job name, or neither lock requested.
 * On any failure nothing stays locked and *out is NULL.
 */
int fb_lock_acquire(const char *job, const char *path,
                    const struct fb_pg_target *pg, struct fb_lock **out,
                    char *err, size_t errlen);

/*
 * Before each hour of a long run: is the advisory lock still ours?  A
 * PostgreSQL restart ends the session that held it, and with it the
 * lock.  If the session is gone, the lock is taken again on a new one.
 *   FB_EXIT_OK           held (or no advisory lock was requested);
 *   FB_EXIT_TEMPFAIL     another run took it meanwhile; err names it;
 *   FB_EXIT_UNAVAILABLE  PostgreSQL cannot be reached; err says why.
 * The lock file is unaffected either way.
 */
int fb_lock_check(struct fb_lock *l, char *err, size_t errlen);

/* Releases both locks (the file is truncated, not removed) and frees l.
 * NULL does nothing. */
void fb_lock_release(struct fb_lock *l);

#endif
