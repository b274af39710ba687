/*
 * restore_store.c
 *    What to put back on an index's settings, kept where the next run of
 *    the job finds it: the ledger, or a file per index in the state
 *    directory (see restore_store.h).
 */
#include "forkbulk/restore_store.h"

#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "forkbulk/clock.h"
#include "forkbulk/docid.h"
#include "forkbulk/pg_conn.h"
#include "forkbulk/safefile.h"
#include "forkbulk/status.h"

#define FILE_PREFIX "restore-"
#define FILE_SUFFIX ".json"
/* A record is a few settings: anything larger is not one of ours. */
#define RECORD_MAX (64 * 1024)

struct fb_restore_store {
    struct fb_ledger *ledger; /* a PostgreSQL job's; NULL for files */
    bool present;             /* the table or the directory is there */
    char job[256];
    char dir[PATH_MAX];
    char where[PATH_MAX + 64];
    char host[256];
    const char *cluster; /* --es as given: files name their cluster */
    char cluster_hash[17];
};

/* --- the ledger ------------------------------------------------------- */

static int
open_ledger(struct fb_restore_store *s, const struct fb_options *opts,
            bool create, char *err, size_t errlen)
{
    struct fb_pg_target pg = {opts->pg != NULL ? opts->pg : "",
                              opts->pg_password};
    int rc = fb_ledger_open(&pg, opts->ledger_table, &s->ledger, err, errlen);

    snprintf(s->where, sizeof(s->where), "ledger table %s_restore",
             opts->ledger_table != NULL ? opts->ledger_table : FB_LEDGER_TABLE);
    if (rc == 0)
        rc = fb_ledger_restores_ready(s->ledger, create, &s->present, err,
                                      errlen);
    return rc;
}

/* --- files in the state directory ------------------------------------ */

static int
open_dir(struct fb_restore_store *s, const struct fb_options *opts, bool create,
         char *err, size_t errlen)
{
    struct stat st;

    snprintf(s->dir, sizeof(s->dir), "%s", opts->state_dir);
    s->cluster = opts->es_url != NULL ? opts->es_url : "";
    snprintf(s->cluster_hash, sizeof(s->cluster_hash), "%08x",
             (unsigned)fb_docid_hash(s->cluster, strlen(s->cluster)));
    snprintf(s->where, sizeof(s->where), "state directory %s", s->dir);
    if (gethostname(s->host, sizeof(s->host)) != 0)
        snprintf(s->host, sizeof(s->host), "unknown");
    s->host[sizeof(s->host) - 1] = '\0';
    if (create) {
        if (fb_safefile_mkdir(s->dir, "state directory", 0700, err, errlen) < 0)
            return FB_EXIT_CANTCREAT;
        s->present = true;
    } else {
        s->present = stat(s->dir, &st) == 0 && S_ISDIR(st.st_mode);
    }
    return FB_EXIT_OK;
}

/* The record of index on this run's cluster: the same index name on
 * another cluster is another record. */
static void
record_path(const struct fb_restore_store *s, const char *index, char *path,
            size_t cap)
{
    snprintf(path, cap, "%s/" FILE_PREFIX "%s.%s" FILE_SUFFIX, s->dir, index,
             s->cluster_hash);
}

/*
 * The record at path into *rec (NULL: there is none, or it is not a
 * record).  A file that is there must pass safefile.h's checks.
 */
static int
read_record(const char *path, json_t **rec, char *err, size_t errlen)
{
    struct stat st;
    char *buf = NULL;
    ssize_t len;
    int fd;

    *rec = NULL;
    if (lstat(path, &st) < 0 && errno == ENOENT)
        return FB_EXIT_OK;
    fd = fb_safefile_open(path, "restore file",
                          FB_SAFEFILE_RDWR | FB_SAFEFILE_PRIVATE, 0600, err,
                          errlen);
    if (fd < 0)
        return FB_EXIT_CANTCREAT;
    if ((buf = malloc(RECORD_MAX)) == NULL) {
        close(fd);
        snprintf(err, errlen, "out of memory");
        return FB_EXIT_OSERR;
    }
    do {
        len = pread(fd, buf, RECORD_MAX, 0);
    } while (len < 0 && errno == EINTR);
    if (len > 0)
        *rec = json_loadb(buf, (size_t)len, 0, NULL);
    if (*rec != NULL && !json_is_object(json_object_get(*rec, "settings"))) {
        json_decref(*rec);
        *rec = NULL;
    }
    free(buf);
    close(fd);
    return FB_EXIT_OK;
}

/* Whether the run that wrote rec is alive, as far as this host can
 * tell: a record of another host is taken to be. */
static bool
writer_alive(const struct fb_restore_store *s, const json_t *rec)
{
    const char *host = json_string_value(json_object_get(rec, "host"));
    json_int_t pid = json_integer_value(json_object_get(rec, "pid"));

    if (host == NULL || strcmp(host, s->host) != 0)
        return true;
    if (pid <= 0 || pid == (json_int_t)getpid())
        return false;
    return kill((pid_t)pid, 0) == 0 || errno == EPERM;
}

/* Writes the record of index: settings, this process, now. */
static int
write_record(const struct fb_restore_store *s, const char *index,
             const char *settings, char *err, size_t errlen)
{
    char path[PATH_MAX + 300], when[32];
    time_t now = (time_t)(fb_unix_us() / 1000000);
    struct tm tm;
    json_t *rec;
    char *text = NULL;
    int rc = FB_EXIT_OSERR;

    gmtime_r(&now, &tm);
    strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
    rec =
        json_pack("{s:s, s:s, s:o, s:I, s:s, s:s}", "index", index, "cluster",
                  s->cluster, "settings", json_loads(settings, 0, NULL), "pid",
                  (json_int_t)getpid(), "host", s->host, "written_at", when);
    if (rec != NULL)
        text = json_dumps(rec, JSON_COMPACT | JSON_PRESERVE_ORDER);
    if (text == NULL) {
        snprintf(err, errlen, "restore record of %s: bad settings %s", index,
                 settings);
    } else {
        record_path(s, index, path, sizeof(path));
        rc = fb_safefile_replace(path, "restore file", text, strlen(text), 0600,
                                 err, errlen);
    }
    free(text);
    json_decref(rec);
    return rc;
}

static int
save_file(struct fb_restore_store *s, const char *index, const char *settings,
          enum fb_restore_saved *how, char **earlier, char *err, size_t errlen)
{
    char path[PATH_MAX + 300];
    json_t *rec = NULL;
    int rc;

    record_path(s, index, path, sizeof(path));
    if ((rc = read_record(path, &rec, err, errlen)) != FB_EXIT_OK)
        return rc;
    *how = FB_RESTORE_SAVED;
    if (rec != NULL && writer_alive(s, rec)) {
        *how = FB_RESTORE_BUSY;
    } else if (rec != NULL) {
        /* A dead run's: its settings stay what to put back, now under
         * this process's name. */
        *how = FB_RESTORE_EARLIER;
        *earlier = json_dumps(json_object_get(rec, "settings"),
                              JSON_COMPACT | JSON_PRESERVE_ORDER);
        rc = *earlier != NULL ? write_record(s, index, *earlier, err, errlen)
                              : FB_EXIT_OSERR;
    } else {
        rc = write_record(s, index, settings, err, errlen);
    }
    json_decref(rec);
    return rc;
}

static int
drop_file(struct fb_restore_store *s, const char *index, char *err,
          size_t errlen)
{
    char path[PATH_MAX + 300];

    record_path(s, index, path, sizeof(path));
    if (unlink(path) < 0 && errno != ENOENT) {
        snprintf(err, errlen, "cannot remove restore file %s: %s", path,
                 strerror(errno));
        return FB_EXIT_IOERR;
    }
    return FB_EXIT_OK;
}

/* Appends the record at path to *v if a run that died left it for this
 * run's cluster. */
static int
add_pending(struct fb_restore_store *s, const char *path,
            struct fb_ledger_restore **v, size_t *n, char *err, size_t errlen)
{
    const char *index, *cluster;
    struct fb_ledger_restore *grown;
    json_t *rec = NULL;
    int rc = read_record(path, &rec, err, errlen);

    index = json_string_value(json_object_get(rec, "index"));
    cluster = json_string_value(json_object_get(rec, "cluster"));
    if (rc != FB_EXIT_OK || index == NULL || cluster == NULL ||
        strcmp(cluster, s->cluster) != 0 || writer_alive(s, rec)) {
        json_decref(rec);
        return rc;
    }
    grown = realloc(*v, (*n + 1) * sizeof(**v));
    if (grown == NULL) {
        json_decref(rec);
        snprintf(err, errlen, "out of memory");
        return FB_EXIT_OSERR;
    }
    *v = grown;
    memset(&grown[*n], 0, sizeof(grown[*n]));
    snprintf(grown[*n].index, sizeof(grown[*n].index), "%s", index);
    grown[*n].settings = json_dumps(json_object_get(rec, "settings"),
                                    JSON_COMPACT | JSON_PRESERVE_ORDER);
    (*n)++;
    json_decref(rec);
    return FB_EXIT_OK;
}

static bool
is_record_name(const char *name)
{
    size_t len = strlen(name);
    size_t pre = strlen(FILE_PREFIX), suf = strlen(FILE_SUFFIX);

    return len > pre + suf && strncmp(name, FILE_PREFIX, pre) == 0 &&
           strcmp(name + len - suf, FILE_SUFFIX) == 0;
}

static int
pending_files(struct fb_restore_store *s, struct fb_ledger_restore **out,
              size_t *n, char *err, size_t errlen)
{
    char path[PATH_MAX + 300];
    const struct dirent *d;
    DIR *dir = opendir(s->dir);
    int rc = FB_EXIT_OK;

    if (dir == NULL) {
        snprintf(err, errlen, "cannot read state directory %s: %s", s->dir,
                 strerror(errno));
        return FB_EXIT_IOERR;
    }
    while (rc == FB_EXIT_OK && (d = readdir(dir)) != NULL) {
        if (!is_record_name(d->d_name))
            continue;
        snprintf(path, sizeof(path), "%s/%s", s->dir, d->d_name);
        rc = add_pending(s, path, out, n, err, errlen);
    }
    closedir(dir);
    return rc;
}

/* --- either ------------------------------------------------------------ */

int
fb_restore_store_open(const struct fb_options *opts, const char *job,
                      bool create, struct fb_restore_store **out, char *err,
                      size_t errlen)
{
    struct fb_restore_store *s = calloc(1, sizeof(*s));
    int rc;

    if (s == NULL) {
        snprintf(err, errlen, "out of memory");
        return FB_EXIT_OSERR;
    }
    snprintf(s->job, sizeof(s->job), "%s", job);
    rc = opts->input != NULL ? open_dir(s, opts, create, err, errlen)
                             : open_ledger(s, opts, create, err, errlen);
    if (rc != FB_EXIT_OK) {
        fb_restore_store_close(s);
        return rc;
    }
    *out = s;
    return FB_EXIT_OK;
}

void
fb_restore_store_close(struct fb_restore_store *s)
{
    if (s == NULL)
        return;
    fb_ledger_close(s->ledger);
    free(s);
}

const char *
fb_restore_store_where(const struct fb_restore_store *s)
{
    return s->where;
}

int
fb_restore_store_save(struct fb_restore_store *s, const char *index,
                      const char *settings, enum fb_restore_saved *how,
                      char **earlier, char *err, size_t errlen)
{
    int rc;

    *earlier = NULL;
    *how = FB_RESTORE_SAVED;
    if (!s->present) {
        snprintf(err, errlen, "%s is not there", s->where);
        return FB_EXIT_SOFTWARE;
    }
    if (s->ledger == NULL)
        return save_file(s, index, settings, how, earlier, err, errlen);
    rc = fb_ledger_restore_save(s->ledger, s->job, index, settings, earlier,
                                err, errlen);
    if (rc == FB_EXIT_OK && *earlier != NULL)
        *how = FB_RESTORE_EARLIER;
    return rc;
}

int
fb_restore_store_drop(struct fb_restore_store *s, const char *index, char *err,
                      size_t errlen)
{
    if (!s->present)
        return FB_EXIT_OK;
    if (s->ledger == NULL)
        return drop_file(s, index, err, errlen);
    return fb_ledger_restore_drop(s->ledger, s->job, index, err, errlen);
}

int
fb_restore_store_pending(struct fb_restore_store *s,
                         struct fb_ledger_restore **out, size_t *n, char *err,
                         size_t errlen)
{
    *out = NULL;
    *n = 0;
    if (!s->present)
        return FB_EXIT_OK;
    if (s->ledger != NULL)
        return fb_ledger_restores(s->ledger, s->job, out, n, err, errlen);
    return pending_files(s, out, n, err, errlen);
}
