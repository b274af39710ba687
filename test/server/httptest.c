/*
 * httptest.c
 *    What the tests of es-test-server over real HTTP share (httptest.h):
 *    starting and stopping the server binary, one request with libcurl,
 *    and reading /_test/stats.
 */
#include "httptest.h"

#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#define MAX_SERVERS 8
#define MAX_ARGS 32
#define BODY_MAX ((size_t)64 * 1024 * 1024) /* largest response we keep */

/* ------------------------------------------------------------------ */
/* Servers                                                             */
/* ------------------------------------------------------------------ */

static struct server servers[MAX_SERVERS];
static size_t n_servers;

/* Stops and reaps one server; false if it did not exit cleanly with 0. */
bool
server_stop(struct server *s)
{
    int status = 0;
    char path[128];
    bool clean = true;

    if (s->pid > 0) {
        kill(s->pid, SIGTERM);
        while (waitpid(s->pid, &status, 0) < 0 && errno == EINTR)
            ;
        /* a crash, a sanitizer report or a leak shows here */
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
            fprintf(stderr, "es-test-server (port %u) ended with status %d\n",
                    s->port, status);
            clean = false;
        }
        s->pid = 0;
    }
    if (s->dir[0] != '\0') {
        snprintf(path, sizeof(path), "%s/ready", s->dir);
        unlink(path);
        snprintf(path, sizeof(path), "%s/auth", s->dir);
        unlink(path);
        rmdir(s->dir);
        s->dir[0] = '\0';
    }
    return clean;
}

bool
servers_stop_all(void)
{
    bool clean = true;

    while (n_servers > 0)
        if (!server_stop(&servers[--n_servers]))
            clean = false;
    return clean;
}

void
servers_stop_at_exit(void)
{
    servers_stop_all();
}

int
teardown(void **state)
{
    (void)state;
    return servers_stop_all() ? 0 : -1;
}

/* Reads a small file whole; NULL if it cannot. */
char *
read_file(const char *path, size_t *len)
{
    FILE *f = NULL;
    char *buf = NULL;
    long size;

    f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    if (fseek(f, 0, SEEK_END) != 0 || (size = ftell(f)) < 0 ||
        fseek(f, 0, SEEK_SET) != 0)
        goto out;
    buf = malloc((size_t)size + 1);
    if (buf == NULL)
        goto out;
    if (fread(buf, 1, (size_t)size, f) != (size_t)size) {
        free(buf);
        buf = NULL;
        goto out;
    }
    buf[size] = '\0';
    if (len != NULL)
        *len = (size_t)size;
out:
    fclose(f);
    return buf;
}

/* Writes user:password to a file for --auth-file. */
static void
write_auth(const char *path, const char *auth)
{
    FILE *f = fopen(path, "w");

    assert_non_null(f);
    fprintf(f, "%s\n", auth);
    fclose(f);
}

/*
 * The command line: TS_SERVER_WRAP, if set, runs first (a valgrind
 * wrapper, say), then the server with --port 0, the ready file, --quiet,
 * --nodes when nodes > 1, the auth file, and flags.
 */
static void
server_argv(const struct server *s, const char *auth, unsigned nodes,
            const char *const *flags, const char **argv, char *nodes_arg)
{
    static char ready[128];
    static char authpath[128];
    const char *wrap = getenv("TS_SERVER_WRAP");
    size_t argc = 0;
    int i;

    snprintf(ready, sizeof(ready), "%s/ready", s->dir);
    snprintf(authpath, sizeof(authpath), "%s/auth", s->dir);
    if (wrap != NULL && wrap[0] != '\0')
        argv[argc++] = wrap;
    argv[argc++] = TS_SERVER_BIN;
    argv[argc++] = "--port";
    argv[argc++] = "0";
    argv[argc++] = "--ready-file";
    argv[argc++] = ready;
    argv[argc++] = "--quiet";
    if (nodes > 1) {
        sprintf(nodes_arg, "%u", nodes);
        argv[argc++] = "--nodes";
        argv[argc++] = nodes_arg;
    }
    if (auth != NULL) {
        write_auth(authpath, auth);
        argv[argc++] = "--auth-file";
        argv[argc++] = authpath;
    }
    for (i = 0; flags != NULL && flags[i] != NULL; i++) {
        assert_true(argc < MAX_ARGS - 1);
        argv[argc++] = flags[i];
    }
    argv[argc] = NULL;
}

/* Waits for the ready file and reads the ports in it. */
static void
server_wait_ready(struct server *s)
{
    char ready[128];
    char *text = NULL;
    char *p = NULL;
    int i;

    snprintf(ready, sizeof(ready), "%s/ready", s->dir);
    /* 60 s: a server under valgrind takes a while to start */
    for (i = 0; i < 6000; i++) {
        struct timespec ts = {0, 10 * 1000 * 1000};
        int status;

        text = read_file(ready, NULL);
        if (text != NULL)
            break;
        if (waitpid(s->pid, &status, WNOHANG) == s->pid) {
            s->pid = 0;
            fail_msg("es-test-server exited before listening");
        }
        nanosleep(&ts, NULL);
    }
    assert_non_null(text);
    for (p = text; *p != '\0' && s->nports < TS_NODES_MAX;) {
        char *end = NULL;
        unsigned long port = strtoul(p, &end, 10);

        assert_true(end != p && port > 0 && port < 65536);
        s->ports[s->nports++] = (unsigned)port;
        p = end;
        while (*p == '\n')
            p++;
    }
    free(text);
    s->port = s->ports[0];
}

static struct server *
server_spawn(const char *auth, unsigned nodes, const char *const *flags)
{
    struct server *s = NULL;
    const char *argv[MAX_ARGS + 1];
    char nodes_arg[16];

    assert_true(n_servers < MAX_SERVERS);
    s = &servers[n_servers++];
    memset(s, 0, sizeof(*s));
    snprintf(s->dir, sizeof(s->dir), "/tmp/es-test-server.XXXXXX");
    assert_non_null(mkdtemp(s->dir));
    server_argv(s, auth, nodes, flags, argv, nodes_arg);

    fflush(NULL);
    s->pid = fork();
    assert_true(s->pid >= 0);
    if (s->pid == 0) {
        int devnull = open("/dev/null", O_WRONLY);

        /* If this test dies, its servers must not outlive it. */
        prctl(PR_SET_PDEATHSIG, SIGTERM);
        if (devnull >= 0)
            dup2(devnull, STDOUT_FILENO);
        execv(argv[0], (char *const *)(uintptr_t)argv);
        _exit(127);
    }
    server_wait_ready(s);
    assert_int_equal(s->nports, nodes);
    return s;
}

unsigned
server_start_auth(const char *auth, const char *const *flags)
{
    return server_spawn(auth, 1, flags)->port;
}

unsigned
server_start(const char *const *flags)
{
    return server_start_auth(NULL, flags);
}

const struct server *
server_start_nodes(unsigned nodes, const char *const *flags)
{
    return server_spawn(NULL, nodes, flags);
}

/* ------------------------------------------------------------------ */
/* HTTP                                                                */
/* ------------------------------------------------------------------ */

static size_t
on_body(char *data, size_t size, size_t nmemb, void *arg)
{
    struct reply *r = arg;
    size_t n = size * nmemb;
    char *grown = NULL;

    if (r->len + n > BODY_MAX)
        return 0;
    grown = realloc(r->body, r->len + n + 1);
    if (grown == NULL)
        return 0;
    r->body = grown;
    memcpy(r->body + r->len, data, n);
    r->len += n;
    r->body[r->len] = '\0';
    return n;
}

static size_t
on_header(char *data, size_t size, size_t nmemb, void *arg)
{
    struct reply *r = arg;
    size_t n = size * nmemb;

    /* A new status line: forget the interim response's headers. */
    if (n >= 5 && memcmp(data, "HTTP/", 5) == 0) {
        if (n >= 12 && memcmp(data + 9, "100", 3) == 0)
            r->got_100 = true;
        r->hlen = 0;
    }
    if (r->hlen + n < sizeof(r->headers)) {
        memcpy(r->headers + r->hlen, data, n);
        r->hlen += n;
        r->headers[r->hlen] = '\0';
    }
    return n;
}

void
reply_free(struct reply *r)
{
    free(r->body);
    memset(r, 0, sizeof(*r));
}

/*
 * The value of a response header (copied into out), or NULL if absent.
 */
const char *
header(const struct reply *r, const char *name, char *out, size_t size)
{
    size_t nlen = strlen(name);
    const char *p = r->headers;

    while ((p = strchr(p, '\n')) != NULL) {
        p++;
        if (strncasecmp(p, name, nlen) == 0 && p[nlen] == ':') {
            const char *v = p + nlen + 1;
            size_t vlen;

            while (*v == ' ')
                v++;
            vlen = strcspn(v, "\r\n");
            if (vlen >= size)
                vlen = size - 1;
            memcpy(out, v, vlen);
            out[vlen] = '\0';
            return out;
        }
    }
    return NULL;
}

void
assert_header(const struct reply *r, const char *name, const char *want)
{
    char value[512];
    const char *v = header(r, name, value, sizeof(value));

    if (want == NULL) {
        if (v != NULL)
            fail_msg("header %s: %s, expected none", name, v);
        return;
    }
    if (v == NULL)
        fail_msg("header %s missing, expected %s", name, want);
    assert_string_equal(v, want);
}

/*
 * One request.  h may be a reused handle (keep-alive) or NULL for a fresh
 * one.  ctype NULL sends no Content-Type at all.  extra: more header
 * lines, NULL-terminated, or NULL.
 */
void
http(CURL *h, unsigned port, const char *method, const char *target,
     const char *ctype, const void *body, size_t len, const char *const *extra,
     struct reply *r)
{
    struct curl_slist *hdrs = NULL;
    char url[2048];
    char line[256];
    bool own = h == NULL;
    int i;

    memset(r, 0, sizeof(*r));
    if (own)
        h = curl_easy_init();
    assert_non_null(h);
    snprintf(url, sizeof(url), "http://127.0.0.1:%u%s", port, target);
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_TIMEOUT, 60L);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, r);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, r);
    curl_easy_setopt(h, CURLOPT_NOBODY, 0L);
    curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
    if (strcmp(method, "HEAD") == 0) {
        curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
    } else if (body != NULL) {
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
    }
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST,
                     strcmp(method, "HEAD") == 0 ? NULL : method);
    snprintf(line, sizeof(line), "Content-Type:%s%s", ctype ? " " : "",
             ctype ? ctype : "");
    hdrs = curl_slist_append(hdrs, line);
    /* libcurl asks 100-continue for big bodies; tests that want it say so */
    hdrs = curl_slist_append(hdrs, "Expect:");
    for (i = 0; extra != NULL && extra[i] != NULL; i++)
        hdrs = curl_slist_append(hdrs, extra[i]);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
    r->rc = curl_easy_perform(h);
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &r->status);
    curl_easy_getinfo(h, CURLINFO_NUM_CONNECTS, &r->connects);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, NULL);
    curl_slist_free_all(hdrs);
    if (own)
        curl_easy_cleanup(h);
}

void
post_bulk(unsigned port, const char *target, const char *body, struct reply *r)
{
    http(NULL, port, "POST", target, NDJSON, body, strlen(body), NULL, r);
}

json_t *
reply_json(const struct reply *r)
{
    json_error_t err;
    json_t *j = NULL;

    assert_int_equal(r->rc, CURLE_OK);
    assert_non_null(r->body);
    j = json_loadb(r->body, r->len, 0, &err);
    if (j == NULL)
        fail_msg("response is not JSON (%s): %.300s", err.text, r->body);
    return j;
}

/* A HEAD request answered status, with no body. */
void
check_head(unsigned port, const char *target, long status)
{
    struct reply r;

    http(NULL, port, "HEAD", target, NULL, NULL, 0, NULL, &r);
    assert_int_equal(r.rc, CURLE_OK);
    assert_int_equal(r.status, status);
    assert_int_equal(r.len, 0);
    reply_free(&r);
}

/* ------------------------------------------------------------------ */
/* Stats                                                               */
/* ------------------------------------------------------------------ */

json_t *
stats(unsigned port)
{
    struct reply r;
    json_t *j = NULL;

    http(NULL, port, "GET", "/_test/stats", NULL, NULL, 0, NULL, &r);
    assert_int_equal(r.status, 200);
    j = reply_json(&r);
    reply_free(&r);
    return j;
}

/* stats path like "faults.drop" or "indices.x.docs"; -1 if absent. */
long long
stat_int(const json_t *st, const char *a, const char *b, const char *c)
{
    const json_t *v = json_object_get(st, a);

    if (b != NULL)
        v = json_object_get(v, b);
    if (c != NULL)
        v = json_object_get(v, c);
    if (!json_is_integer(v))
        return -1;
    return (long long)json_integer_value(v);
}

uint64_t
stat_checksum(const json_t *st, const char *index, const char *key)
{
    const json_t *v = json_object_get(
        json_object_get(json_object_get(st, "indices"), index), key);
    const char *s = json_string_value(v);

    if (s == NULL || strlen(s) != 16)
        fail_msg("indices.%s.%s is not 16 hex digits", index, key);
    return (uint64_t)strtoull(s, NULL, 16);
}

int
httptest_run(const char *name, const struct CMUnitTest *tests, size_t n)
{
    int rc;

    curl_global_init(CURL_GLOBAL_DEFAULT);
    atexit(servers_stop_at_exit);
    rc = _cmocka_run_group_tests(name, tests, n, NULL, NULL);
    curl_global_cleanup();
    return rc;
}
