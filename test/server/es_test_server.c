/*
 * es_test_server.c
 *    es-test-server: an Elasticsearch-compatible HTTP server that the
 *    tests and benchmarks of forkbulk load into.
 *
 * main() only parses the flags, builds the state (ts_api) and the
 * transport (ts_http), announces the port, and waits for SIGTERM/SIGINT.
 * The signals are blocked in every thread and taken with sigwait() here,
 * so stopping is ordinary code: stop the daemon, free the state, exit 0.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "ts_api.h"
#include "ts_http.h"
#include "ts_parse.h"

#define EXIT_USAGE 64   /* EX_USAGE: bad flags */
#define EXIT_NOINPUT 66 /* EX_NOINPUT: the auth file cannot be read */
#define EXIT_OSERR 71   /* EX_OSERR: cannot listen, no memory */

/* user:password; ES limits neither, but a credential file is small. */
#define AUTH_MAX 1024

struct options {
    struct ts_config config;
    struct ts_http_config http;
    double item_429_rate;
    double item_503_rate;
    double request_429_rate;
    double request_503_rate;
    double drop_rate;
    uint32_t delay_ms;
    uint32_t retry_after_s;
    const char *auth_file;
    const char *ready_file;
    bool no_product_header;
    bool quiet;
    char auth[AUTH_MAX];
};

static void
usage(FILE *out)
{
    fputs("usage: es-test-server [options]\n"
          "  --port N                 port to listen on (0 = any free port; "
          "default 9200)\n"
          "  --bind ADDR              IPv4 address (default 127.0.0.1)\n"
          "  --nodes N                nodes over one shared state, on ports "
          "port..port+N-1\n"
          "                           (free ports with --port 0; default 1, "
          "at most 16)\n"
          "  --mode es7|es8|opensearch  which cluster to imitate (default "
          "es8)\n"
          "  --max-content-length SZ  body limit, e.g. 100mb, 512kb, 1gb, "
          "10b, 4096\n"
          "                           (default 100mb)\n"
          "  --threads N              0 = a thread per connection (default), "
          "N = pool\n"
          "  --seed N                 phase of the fault rates (default 0)\n"
          "  --item-429-rate R        share of bulk items answered 429 "
          "(0..1)\n"
          "  --item-503-rate R        share of bulk items answered 503\n"
          "  --request-429-rate R     share of _bulk requests answered 429\n"
          "  --request-503-rate R     share of _bulk requests answered 503\n"
          "  --drop-rate R            share of requests closed unanswered\n"
          "  --delay-ms N             answer every request N ms late\n"
          "  --retry-after S          Retry-After: S on _bulk's whole-request "
          "429/503\n"
          "                           (default 0: no header)\n"
          "  --numeric-field NAME     map NAME as long in every index\n"
          "  --auth-file PATH         require the user:password held in PATH\n"
          "  --no-product-header      never send X-elastic-product\n"
          "  --ready-file PATH        write the ports (one a line, in node "
          "order) to PATH\n"
          "                           once listening\n"
          "  --quiet                  no log messages on stderr\n"
          "  --help                   this text\n",
          out);
}

static bool
parse_rate(const char *s, double *out)
{
    char *end = NULL;
    double v;

    errno = 0;
    v = strtod(s, &end);
    if (errno != 0 || end == s || *end != '\0' || !isfinite(v) || v < 0.0 ||
        v > 1.0)
        return false;
    *out = v;
    return true;
}

/*
 * ES byte-size syntax (ByteSizeValue): a whole number with an optional
 * unit b, k/kb, m/mb, g/gb, t/tb, any case; units are powers of 1024.
 */
static bool
parse_size(const char *s, size_t *out)
{
    static const struct {
        const char *unit;
        unsigned shift;
    } units[] = {{"", 0},    {"b", 0},  {"k", 10},  {"kb", 10}, {"m", 20},
                 {"mb", 20}, {"g", 30}, {"gb", 30}, {"t", 40},  {"tb", 40}};
    char *end = NULL;
    unsigned long long v;
    size_t i;

    if (s == NULL || *s < '0' || *s > '9')
        return false;
    errno = 0;
    v = strtoull(s, &end, 10);
    if (errno != 0 || v == 0)
        return false;
    for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
        if (strcasecmp(end, units[i].unit) != 0)
            continue;
        if (v > (SIZE_MAX >> units[i].shift))
            return false;
        *out = (size_t)v << units[i].shift;
        return true;
    }
    return false;
}

/* Reads user:password from a file, so it never shows in ps output. */
static int
read_auth(const char *path, char *buf, size_t size)
{
    FILE *f = NULL;
    size_t n;
    int rc = EXIT_NOINPUT;

    f = fopen(path, "r");
    if (f == NULL) {
        fprintf(stderr, "es-test-server: cannot read %s: %s\n", path,
                strerror(errno));
        goto out;
    }
    n = fread(buf, 1, size - 1, f);
    if (ferror(f)) {
        fprintf(stderr, "es-test-server: cannot read %s\n", path);
        goto out;
    }
    rc = EXIT_USAGE;
    if (n == size - 1) {
        fprintf(stderr, "es-test-server: %s is too long\n", path);
        goto out;
    }
    buf[n] = '\0';
    /* A file written by an editor ends with a newline; it is no part. */
    while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
        buf[--n] = '\0';
    if (strchr(buf, ':') == NULL || buf[0] == ':') {
        fprintf(stderr, "es-test-server: %s must hold user:password\n", path);
        goto out;
    }
    rc = 0;
out:
    if (f != NULL)
        fclose(f);
    return rc;
}

static int
parse_args(int argc, char **argv, struct options *o)
{
    enum {
        OPT_PORT = 256,
        OPT_BIND,
        OPT_NODES,
        OPT_MODE,
        OPT_MAX_CONTENT,
        OPT_THREADS,
        OPT_SEED,
        OPT_ITEM_429,
        OPT_ITEM_503,
        OPT_REQ_429,
        OPT_REQ_503,
        OPT_DROP,
        OPT_DELAY,
        OPT_RETRY_AFTER,
        OPT_NUMERIC,
        OPT_AUTH_FILE,
        OPT_NO_PRODUCT,
        OPT_READY,
        OPT_QUIET,
        OPT_HELP,
    };
    static const struct option longopts[] = {
        {"port", required_argument, NULL, OPT_PORT},
        {"bind", required_argument, NULL, OPT_BIND},
        {"nodes", required_argument, NULL, OPT_NODES},
        {"mode", required_argument, NULL, OPT_MODE},
        {"max-content-length", required_argument, NULL, OPT_MAX_CONTENT},
        {"threads", required_argument, NULL, OPT_THREADS},
        {"seed", required_argument, NULL, OPT_SEED},
        {"item-429-rate", required_argument, NULL, OPT_ITEM_429},
        {"item-503-rate", required_argument, NULL, OPT_ITEM_503},
        {"request-429-rate", required_argument, NULL, OPT_REQ_429},
        {"request-503-rate", required_argument, NULL, OPT_REQ_503},
        {"drop-rate", required_argument, NULL, OPT_DROP},
        {"delay-ms", required_argument, NULL, OPT_DELAY},
        {"retry-after", required_argument, NULL, OPT_RETRY_AFTER},
        {"numeric-field", required_argument, NULL, OPT_NUMERIC},
        {"auth-file", required_argument, NULL, OPT_AUTH_FILE},
        {"no-product-header", no_argument, NULL, OPT_NO_PRODUCT},
        {"ready-file", required_argument, NULL, OPT_READY},
        {"quiet", no_argument, NULL, OPT_QUIET},
        {"help", no_argument, NULL, OPT_HELP},
        {NULL, 0, NULL, 0},
    };
    uint64_t v;
    int c;
    bool ok;

    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        ok = true;
        switch (c) {
        case OPT_PORT:
            ok = ts_parse_u64(optarg, 65535, &v);
            o->http.port = (uint16_t)v;
            break;
        case OPT_BIND:
            o->http.bind = optarg;
            break;
        case OPT_NODES:
            ok = ts_parse_u64(optarg, TS_NODES_MAX, &v) && v > 0;
            o->http.nodes = (unsigned)v;
            break;
        case OPT_MODE:
            if (strcmp(optarg, "es7") == 0)
                o->config.mode = TS_MODE_ES7;
            else if (strcmp(optarg, "es8") == 0)
                o->config.mode = TS_MODE_ES8;
            else if (strcmp(optarg, "opensearch") == 0)
                o->config.mode = TS_MODE_OPENSEARCH;
            else
                ok = false;
            break;
        case OPT_MAX_CONTENT:
            ok = parse_size(optarg, &o->config.max_content_length);
            break;
        case OPT_THREADS:
            ok = ts_parse_u64(optarg, 1024, &v);
            o->http.threads = (unsigned)v;
            break;
        case OPT_SEED:
            ok = ts_parse_u64(optarg, UINT64_MAX, &o->config.seed);
            break;
        case OPT_ITEM_429:
            ok = parse_rate(optarg, &o->item_429_rate);
            break;
        case OPT_ITEM_503:
            ok = parse_rate(optarg, &o->item_503_rate);
            break;
        case OPT_REQ_429:
            ok = parse_rate(optarg, &o->request_429_rate);
            break;
        case OPT_REQ_503:
            ok = parse_rate(optarg, &o->request_503_rate);
            break;
        case OPT_DROP:
            ok = parse_rate(optarg, &o->drop_rate);
            break;
        case OPT_DELAY:
            ok = ts_parse_u64(optarg, 3600 * 1000, &v);
            o->delay_ms = (uint32_t)v;
            break;
        case OPT_RETRY_AFTER:
            ok = ts_parse_u64(optarg, TS_RETRY_AFTER_MAX, &v);
            o->retry_after_s = (uint32_t)v;
            break;
        case OPT_NUMERIC:
            ok = optarg[0] != '\0';
            o->config.numeric_field = optarg;
            break;
        case OPT_AUTH_FILE:
            o->auth_file = optarg;
            break;
        case OPT_NO_PRODUCT:
            o->no_product_header = true;
            break;
        case OPT_READY:
            o->ready_file = optarg;
            break;
        case OPT_QUIET:
            o->quiet = true;
            break;
        case OPT_HELP:
            usage(stdout);
            exit(0);
        default:
            /* getopt_long has said what was wrong */
            usage(stderr);
            return EXIT_USAGE;
        }
        if (!ok) {
            fprintf(stderr, "es-test-server: bad value '%s' for --%s\n", optarg,
                    longopts[c - OPT_PORT].name);
            return EXIT_USAGE;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "es-test-server: unexpected argument '%s'\n",
                argv[optind]);
        return EXIT_USAGE;
    }
    return 0;
}

/*
 * Writes the ports, one a line in node order, to path so that whoever
 * waits never reads half a file.
 */
static bool
write_ready_file(const char *path, const struct ts_http *http)
{
    char tmp[PATH_MAX];
    char text[16 * TS_NODES_MAX];
    size_t len = 0;
    unsigned i;
    int fd = -1;
    int n;
    bool ok = false;

    n = snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid());
    if (n < 0 || (size_t)n >= sizeof(tmp))
        goto out;
    for (i = 0; i < ts_http_nodes(http); i++)
        len += (size_t)snprintf(text + len, sizeof(text) - len, "%u\n",
                                (unsigned)ts_http_port(http, i));
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        goto out;
    if (write(fd, text, len) != (ssize_t)len || fsync(fd) != 0)
        goto out;
    if (close(fd) != 0) {
        fd = -1;
        goto out;
    }
    fd = -1;
    if (rename(tmp, path) != 0)
        goto out;
    ok = true;
out:
    if (fd >= 0)
        close(fd);
    if (!ok) {
        fprintf(stderr, "es-test-server: cannot write %s: %s\n", path,
                strerror(errno));
        unlink(tmp);
    }
    return ok;
}

int
main(int argc, char **argv)
{
    struct options o;
    struct ts_state *state = NULL;
    struct ts_http *http = NULL;
    struct ts_faults *faults = NULL;
    sigset_t stop_signals;
    int sig = 0;
    int rc;

    memset(&o, 0, sizeof(o));
    o.config.mode = TS_MODE_ES8;
    o.config.max_content_length = (size_t)100 * 1024 * 1024;
    o.http.bind = "127.0.0.1";
    o.http.port = 9200;
    o.http.nodes = 1;
    rc = parse_args(argc, argv, &o);
    if (rc != 0)
        return rc;
    if (o.auth_file != NULL) {
        rc = read_auth(o.auth_file, o.auth, sizeof(o.auth));
        if (rc != 0)
            return rc;
        o.config.auth = o.auth;
    }
    /* OpenSearch never sends the header; ES 7.14+ and 8 always do. */
    o.config.product_header =
        o.config.mode != TS_MODE_OPENSEARCH && !o.no_product_header;
    o.http.verbose = !o.quiet;

    /*
     * Block the stop signals before any thread exists, so every thread
     * inherits the mask and only sigwait() below ever takes them.  A
     * client that hangs up must not kill us through SIGPIPE.
     */
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGTERM);
    sigaddset(&stop_signals, SIGINT);
    pthread_sigmask(SIG_BLOCK, &stop_signals, NULL);
    signal(SIGPIPE, SIG_IGN);

    rc = EXIT_OSERR;
    state = ts_state_new(&o.config);
    if (state == NULL) {
        fprintf(stderr, "es-test-server: out of memory\n");
        goto out;
    }
    faults = ts_state_faults(state);
    ts_fault_set(&faults->item_429, o.item_429_rate, o.config.seed);
    ts_fault_set(&faults->item_503, o.item_503_rate, o.config.seed);
    ts_fault_set(&faults->request_429, o.request_429_rate, o.config.seed);
    ts_fault_set(&faults->request_503, o.request_503_rate, o.config.seed);
    ts_fault_set(&faults->drop, o.drop_rate, o.config.seed);
    faults->delay_ms = o.delay_ms;
    faults->retry_after_s = o.retry_after_s;

    http = ts_http_start(state, &o.http);
    if (http == NULL)
        goto out;
    for (unsigned i = 0; i < ts_http_nodes(http); i++)
        printf("es-test-server listening on %s:%u\n", o.http.bind,
               (unsigned)ts_http_port(http, i));
    fflush(stdout);
    if (o.ready_file != NULL && !write_ready_file(o.ready_file, http))
        goto out;

    while (sigwait(&stop_signals, &sig) != 0)
        ;
    if (!o.quiet)
        fprintf(stderr, "es-test-server: stopping on %s\n",
                sig == SIGINT ? "SIGINT" : "SIGTERM");
    if (o.ready_file != NULL)
        unlink(o.ready_file);
    rc = 0;
out:
    ts_http_stop(http);
    ts_state_free(state);
    return rc;
}
