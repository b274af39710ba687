/*
 * bench_client.c
 *    es-bench-client: measures how fast es-test-server takes _bulk bodies.
 *
 * It builds one bulk body of flow documents in memory (about 126 bytes
 * per action + document pair, the size DESIGN.md measured), then sends
 * it again and again over ONE keep-alive connection, rewriting the ids in
 * place before each request so every document of the run has its own id.
 * Every response must say errors:false and hold one 201 per document.
 * It prints MB/s (10^6 bytes of request body per second) and docs/s, and
 * a last line "docs=N" for scripts.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

#define EXIT_USAGE 64
#define EXIT_FAIL 1
#define ID_DIGITS 8
#define ID_LIMIT 100000000ULL /* 10^ID_DIGITS: ids must stay distinct */
/* Responses with filter_path are ~27 bytes per item; room for 64 MiB. */
#define RESP_MAX ((size_t)64 * 1024 * 1024)

struct bench {
    char *body;
    size_t len;
    size_t *id_at; /* offset of each id's first digit in body */
    size_t docs;   /* documents per body */
    char *resp;
    size_t resp_len;
    bool resp_overflow;
};

static void
usage(FILE *out)
{
    fputs("usage: es-bench-client --port N [--host ADDR] [--index NAME]\n"
          "           [--seconds S | --requests N] [--body-mib M]\n",
          out);
}

static bool
parse_ul(const char *s, unsigned long max, unsigned long *out)
{
    char *end = NULL;
    unsigned long v;

    if (s == NULL || *s < '0' || *s > '9')
        return false;
    errno = 0;
    v = strtoul(s, &end, 10);
    if (errno != 0 || *end != '\0' || v > max)
        return false;
    *out = v;
    return true;
}

/* Writes n as ID_DIGITS decimal digits, zero-padded. */
static void
put_id(char *at, uint64_t n)
{
    int i;

    for (i = ID_DIGITS - 1; i >= 0; i--) {
        at[i] = (char)('0' + n % 10);
        n /= 10;
    }
}

/*
 * One flow record, as the collector wrote it: short keys, epoch-ms time,
 * IPv4 addresses, ports, protocol and a byte count.
 */
static int
put_pair(char *out, size_t room, uint64_t i)
{
    return snprintf(
        out, room,
        "{\"index\":{\"_id\":\"%0*llu\"}}\n"
        "{\"ts\":%llu,\"src\":\"10.%u.%u.%u\",\"dst\":\"10.%u.%u.%u\","
        "\"sp\":%u,\"dp\":%u,\"p\":%u,\"b\":%u}\n",
        ID_DIGITS, (unsigned long long)i,
        1795921200000ULL + (unsigned long long)(i % 3600000),
        (unsigned)(i >> 16 & 255), (unsigned)(i >> 8 & 255),
        (unsigned)(i & 255), (unsigned)(i >> 4 & 255),
        (unsigned)(i >> 12 & 255), (unsigned)(i * 7 & 255),
        (unsigned)(1024 + i % 60000), (unsigned)(443 + i % 3),
        (unsigned)(i % 3 == 0 ? 17 : 6), (unsigned)(60 + i * 13 % 150000));
}

static bool
build_body(struct bench *b, size_t max)
{
    size_t cap_docs = max / 64;
    uint64_t i = 0;

    b->body = malloc(max);
    b->id_at = malloc(cap_docs * sizeof(*b->id_at));
    if (b->body == NULL || b->id_at == NULL)
        return false;
    b->len = 0;
    for (;;) {
        char pair[256];
        int n = put_pair(pair, sizeof(pair), i);

        if (n <= 0 || (size_t)n >= sizeof(pair))
            return false;
        if (b->len + (size_t)n > max || b->docs == cap_docs)
            break;
        memcpy(b->body + b->len, pair, (size_t)n);
        /* {"index":{"_id":" is 17 bytes */
        b->id_at[b->docs++] = b->len + 17;
        b->len += (size_t)n;
        i++;
    }
    return b->docs > 0;
}

static size_t
on_body(char *data, size_t size, size_t nmemb, void *arg)
{
    struct bench *b = arg;
    size_t n = size * nmemb;

    if (b->resp_len + n > RESP_MAX) {
        b->resp_overflow = true;
        return 0;
    }
    memcpy(b->resp + b->resp_len, data, n);
    b->resp_len += n;
    return n;
}

/* Counts non-overlapping occurrences of needle in hay. */
static size_t
count_of(const char *hay, size_t len, const char *needle)
{
    size_t nl = strlen(needle), n = 0, i = 0;

    while (i + nl <= len) {
        const char *p = memchr(hay + i, needle[0], len - i - nl + 1);

        if (p == NULL)
            break;
        i = (size_t)(p - hay);
        if (memcmp(p, needle, nl) == 0) {
            n++;
            i += nl;
        } else {
            i++;
        }
    }
    return n;
}

static double
now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int
main(int argc, char **argv)
{
    struct bench b;
    const char *host = "127.0.0.1";
    const char *index = "bench";
    unsigned long port = 0, seconds = 10, requests = 0, mib = 8;
    unsigned long sent = 0;
    uint64_t next_id = 0, docs_total = 0, bytes_total = 0;
    struct curl_slist *hdrs = NULL;
    CURL *h = NULL;
    char url[512];
    double t0, t1, elapsed;
    long connects_total = 0;
    int rc = EXIT_FAIL;
    int i;

    memset(&b, 0, sizeof(b));
    for (i = 1; i < argc; i += 2) {
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        bool ok = v != NULL;

        if (strcmp(argv[i], "--help") == 0) {
            usage(stdout);
            return 0;
        } else if (strcmp(argv[i], "--port") == 0) {
            ok = ok && parse_ul(v, 65535, &port) && port > 0;
        } else if (strcmp(argv[i], "--host") == 0) {
            host = v;
        } else if (strcmp(argv[i], "--index") == 0) {
            index = v;
        } else if (strcmp(argv[i], "--seconds") == 0) {
            ok = ok && parse_ul(v, 86400, &seconds);
            requests = 0;
        } else if (strcmp(argv[i], "--requests") == 0) {
            ok = ok && parse_ul(v, 1000000, &requests);
        } else if (strcmp(argv[i], "--body-mib") == 0) {
            ok = ok && parse_ul(v, 1024, &mib) && mib > 0;
        } else {
            ok = false;
        }
        if (!ok) {
            fprintf(stderr, "es-bench-client: bad argument '%s'\n", argv[i]);
            usage(stderr);
            return EXIT_USAGE;
        }
    }
    if (port == 0 || host == NULL || index == NULL) {
        usage(stderr);
        return EXIT_USAGE;
    }

    b.resp = malloc(RESP_MAX);
    if (b.resp == NULL || !build_body(&b, (size_t)mib * 1024 * 1024)) {
        fprintf(stderr, "es-bench-client: out of memory\n");
        goto out;
    }
    snprintf(url, sizeof(url),
             "http://%s:%lu/%s/_bulk?filter_path=errors,items.*.error,"
             "items.*.status",
             host, port, index);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    h = curl_easy_init();
    if (h == NULL)
        goto out;
    hdrs = curl_slist_append(hdrs, "Content-Type: application/x-ndjson");
    /* no 100-continue round trip per request */
    hdrs = curl_slist_append(hdrs, "Expect:");
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_TIMEOUT, 120L);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &b);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, b.body);
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)b.len);

    printf("body: %zu bytes, %zu docs, %.1f bytes per pair\n", b.len, b.docs,
           (double)b.len / (double)b.docs);
    t0 = now();
    for (;;) {
        long status = 0, connects = 0;
        CURLcode cc;
        size_t d, created;

        if (requests > 0 ? sent >= requests : now() - t0 >= (double)seconds)
            break;
        if (next_id + b.docs > ID_LIMIT) {
            fprintf(stderr, "es-bench-client: out of distinct ids\n");
            goto out;
        }
        for (d = 0; d < b.docs; d++)
            put_id(b.body + b.id_at[d], next_id + d);
        b.resp_len = 0;
        cc = curl_easy_perform(h);
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
        curl_easy_getinfo(h, CURLINFO_NUM_CONNECTS, &connects);
        connects_total += connects;
        if (cc != CURLE_OK || status != 200) {
            fprintf(stderr, "es-bench-client: request %lu: %s, HTTP %ld\n",
                    sent, curl_easy_strerror(cc), status);
            goto out;
        }
        created = count_of(b.resp, b.resp_len, "{\"status\":201}");
        if (b.resp_len < 16 || memcmp(b.resp, "{\"errors\":false,", 16) != 0 ||
            created != b.docs) {
            fprintf(stderr,
                    "es-bench-client: request %lu: %zu of %zu created: "
                    "%.200s\n",
                    sent, created, b.docs, b.resp_len ? b.resp : "(empty)");
            goto out;
        }
        next_id += b.docs;
        docs_total += b.docs;
        bytes_total += b.len;
        sent++;
    }
    t1 = now();
    elapsed = t1 - t0;
    if (sent == 0) {
        fprintf(stderr, "es-bench-client: no request was sent\n");
        goto out;
    }
    if (connects_total != 1) {
        fprintf(stderr, "es-bench-client: used %ld connections, not 1\n",
                connects_total);
        goto out;
    }
    printf("%lu requests, %llu docs, %llu bytes in %.2f s\n", sent,
           (unsigned long long)docs_total, (unsigned long long)bytes_total,
           elapsed);
    printf("%.1f MB/s, %.0f docs/s\n", (double)bytes_total / elapsed / 1e6,
           (double)docs_total / elapsed);
    printf("docs=%llu\n", (unsigned long long)docs_total);
    rc = 0;
out:
    if (h != NULL)
        curl_easy_cleanup(h);
    curl_slist_free_all(hdrs);
    curl_global_cleanup();
    free(b.body);
    free(b.id_at);
    free(b.resp);
    return rc;
}
