/*
 * bench_client.c
 *    es-bench-client: measures how fast es-test-server takes _bulk bodies.
 *
 * It builds one bulk body of flow documents in memory (about 126 bytes
 * per action + document pair, the size DESIGN.md measured), then sends
 * it again and again over ONE keep-alive connection, rewriting the ids in
 * place before each request so every document of the run has its own id.
 * Every response must say errors:false and hold one 201 per document.
 *
 * With --file PATH it sends an NDJSON file instead, once, in order: each
 * non-blank line becomes a document behind the action line
 * {"index":{"_id":"<id>"}} (the value of the top-level --id-field, a
 * string or an integer, as written) or {"index":{}}, in bodies of at most
 * --body-mib cut at document boundaries.  It reads the file through one
 * fixed buffer and builds each body in another, with no allocation per
 * line, because it is the "test server alone" floor of the benchmark and
 * must not be the bottleneck.  Every response must say errors:false and
 * hold one 200 or 201 per document.
 *
 * It prints MB/s (10^6 bytes of request body per second) and docs/s, and
 * a last line "docs=N" for scripts.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "ts_parse.h"

#define EXIT_USAGE 64
#define EXIT_FAIL 1
#define ID_DIGITS 8
#define ID_LIMIT 100000000ULL /* 10^ID_DIGITS: ids must stay distinct */
/* Responses with filter_path are ~27 bytes per item; room for 64 MiB. */
#define RESP_MAX ((size_t)64 * 1024 * 1024)
/* Elasticsearch refuses longer ids (forkbulk's FB_DOCID_MAX). */
#define ID_MAX 512
#define ACTION_ID_HEAD "{\"index\":{\"_id\":\""
#define ACTION_ID_TAIL "\"}}\n"
#define ACTION_NO_ID "{\"index\":{}}\n"

struct bench {
    char *body;
    size_t len;
    size_t *id_at; /* offset of each id's first digit in body */
    size_t docs;   /* documents per body */
    char *resp;
    size_t resp_len;
    bool resp_overflow;
};

/* --file: the NDJSON file and the one buffer it is read through. */
struct src {
    const char *path;
    int fd;
    const char *id_field; /* NULL: no _id */
    size_t id_field_len;
    char *buf;
    size_t cap;
    size_t pos; /* start of the first line not yet in a body */
    size_t len; /* bytes of buf holding file data */
    bool eof;
    uint64_t line_no; /* lines consumed so far */
};

static void
usage(FILE *out)
{
    fputs("usage: es-bench-client --port N [--host ADDR] [--index NAME]\n"
          "           [--seconds S | --requests N | --file PATH\n"
          "           [--id-field NAME]] [--body-mib M]\n",
          out);
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

/* Index of the first non-blank byte of p[i..n), or n. */
static size_t
skip_ws(const char *p, size_t n, size_t i)
{
    while (i < n && (p[i] == ' ' || p[i] == '\t' || p[i] == '\r'))
        i++;
    return i;
}

/*
 * p[i] is '"': the index just past the closing quote, or 0 if the string
 * is not closed (never a valid answer: a closed string ends at 2 or more).
 */
static size_t
skip_string(const char *p, size_t n, size_t i)
{
    for (i++; i < n; i++) {
        if (p[i] == '\\')
            i++;
        else if (p[i] == '"')
            return i + 1;
    }
    return 0;
}

/*
 * The index just past the value starting at p[i] (a string, a number, a
 * literal, or a nested object or array, skipped by counting brackets
 * outside strings), or 0 if it is cut short.  Only used for the fields
 * before the id field.
 */
static size_t
skip_value(const char *p, size_t n, size_t i)
{
    size_t depth = 0;

    while (i < n) {
        char c = p[i];

        if (c == '"') {
            i = skip_string(p, n, i);
            if (i == 0)
                return 0;
            if (depth == 0)
                return i;
            continue;
        }
        if (c == '{' || c == '[') {
            depth++;
        } else if (c == '}' || c == ']') {
            if (depth == 0)
                return i;
            if (--depth == 0)
                return i + 1;
        } else if (c == ',' && depth == 0) {
            return i;
        }
        i++;
    }
    return 0;
}

/*
 * The raw text of the value of the top-level field s->id_field in the
 * object line p[0..n): a string's content as written (still JSON-escaped,
 * so it goes into the action line unchanged) or an integer's digits.
 * NULL with the reason in *why.  The usual line starts with the id field
 * ({"id":...), which is checked first; other lines are walked key by key.
 */
static const char *
find_id(const struct src *s, const char *p, size_t n, size_t *idlen,
        const char **why)
{
    const char *key = s->id_field;
    size_t kl = s->id_field_len, i, v;

    if (n > kl + 4 && p[0] == '{' && p[1] == '"' &&
        memcmp(p + 2, key, kl) == 0 && p[2 + kl] == '"' && p[3 + kl] == ':') {
        v = kl + 4;
        goto value;
    }
    i = skip_ws(p, n, 0);
    if (i == n || p[i] != '{') {
        *why = "is not a JSON object";
        return NULL;
    }
    i = skip_ws(p, n, i + 1);
    while (i < n && p[i] == '"') {
        size_t k0 = i + 1, k1 = skip_string(p, n, i);

        if (k1 == 0)
            break;
        i = skip_ws(p, n, k1);
        if (i == n || p[i] != ':')
            break;
        v = skip_ws(p, n, i + 1);
        /* keys compare as written: an escaped key does not match */
        if (k1 - 1 - k0 == kl && memcmp(p + k0, key, kl) == 0)
            goto value;
        i = skip_value(p, n, v);
        if (i == 0)
            break;
        i = skip_ws(p, n, i);
        if (i == n || p[i] != ',')
            break;
        i = skip_ws(p, n, i + 1);
    }
    *why = i < n && p[i] == '}' ? "has no id field" : "is not a JSON object";
    return NULL;
value:
    v = skip_ws(p, n, v);
    if (v < n && p[v] == '"') {
        size_t end = skip_string(p, n, v);

        if (end == 0) {
            *why = "has an unterminated id string";
            return NULL;
        }
        *idlen = end - v - 2;
        if (*idlen == 0) {
            *why = "has an empty id";
            return NULL;
        }
        if (*idlen > ID_MAX) {
            *why = "has an id longer than 512 bytes";
            return NULL;
        }
        return p + v + 1;
    }
    if (v < n && (p[v] == '-' || (p[v] >= '0' && p[v] <= '9'))) {
        size_t end = v + 1;

        while (end < n && p[end] >= '0' && p[end] <= '9')
            end++;
        if (end < n && (p[end] == '.' || p[end] == 'e' || p[end] == 'E')) {
            *why = "has an id that is not an integer";
            return NULL;
        }
        *idlen = end - v;
        if (*idlen > ID_MAX) {
            *why = "has an id longer than 512 bytes";
            return NULL;
        }
        return p + v;
    }
    *why = "has an id that is neither a string nor an integer";
    return NULL;
}

/*
 * Moves the unconsumed tail of the read buffer to its front and reads
 * once more after it.  false on a read error (message printed).
 */
static bool
src_refill(struct src *s)
{
    ssize_t got;

    if (s->pos > 0) {
        memmove(s->buf, s->buf + s->pos, s->len - s->pos);
        s->len -= s->pos;
        s->pos = 0;
    }
    do {
        got = read(s->fd, s->buf + s->len, s->cap - s->len);
    } while (got < 0 && errno == EINTR);
    if (got < 0) {
        fprintf(stderr, "es-bench-client: %s: %s\n", s->path, strerror(errno));
        return false;
    }
    if (got == 0)
        s->eof = true;
    s->len += (size_t)got;
    return true;
}

/*
 * Fills b->body (capacity max) with the next documents of the file.
 * 1: a body of b->docs documents; 0: the file is exhausted; -1: an error
 * (message printed, with the line number when a line is to blame).
 */
static int
src_fill_body(struct src *s, struct bench *b, size_t max)
{
    const size_t head = sizeof(ACTION_ID_HEAD) - 1;
    const size_t tail = sizeof(ACTION_ID_TAIL) - 1;
    const size_t noid = sizeof(ACTION_NO_ID) - 1;

    b->len = 0;
    b->docs = 0;
    for (;;) {
        const char *p = s->buf + s->pos, *nl = NULL, *id = NULL;
        const char *why = NULL;
        size_t n, idlen = 0, need, used;

        nl = memchr(p, '\n', s->len - s->pos);
        if (nl == NULL && !s->eof) {
            if (s->pos == 0 && s->len == s->cap) {
                fprintf(stderr,
                        "es-bench-client: %s: line %llu is longer than the "
                        "body bound (%zu bytes)\n",
                        s->path, (unsigned long long)s->line_no + 1, max);
                return -1;
            }
            if (!src_refill(s))
                return -1;
            continue;
        }
        if (nl == NULL && s->pos == s->len)
            return b->docs > 0 ? 1 : 0;
        /* the last line may lack its newline */
        n = nl != NULL ? (size_t)(nl - p) : s->len - s->pos;
        used = nl != NULL ? n + 1 : n;
        if (skip_ws(p, n, 0) == n) {
            s->pos += used;
            s->line_no++;
            continue;
        }
        if (s->id_field != NULL) {
            id = find_id(s, p, n, &idlen, &why);
            if (id == NULL) {
                fprintf(stderr, "es-bench-client: %s: line %llu %s [%s]\n",
                        s->path, (unsigned long long)s->line_no + 1, why,
                        s->id_field);
                return -1;
            }
            need = head + idlen + tail + n + 1;
        } else {
            need = noid + n + 1;
        }
        if (need > max) {
            fprintf(stderr,
                    "es-bench-client: %s: line %llu is longer than the body "
                    "bound (%zu bytes)\n",
                    s->path, (unsigned long long)s->line_no + 1, max);
            return -1;
        }
        if (b->len + need > max)
            return 1;
        if (id != NULL) {
            memcpy(b->body + b->len, ACTION_ID_HEAD, head);
            memcpy(b->body + b->len + head, id, idlen);
            memcpy(b->body + b->len + head + idlen, ACTION_ID_TAIL, tail);
            b->len += head + idlen + tail;
        } else {
            memcpy(b->body + b->len, ACTION_NO_ID, noid);
            b->len += noid;
        }
        memcpy(b->body + b->len, p, n);
        b->body[b->len + n] = '\n';
        b->len += n + 1;
        b->docs++;
        s->pos += used;
        s->line_no++;
    }
}

static double
now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/*
 * The response to one body of `docs` documents: errors:false and one
 * status per document, 201 (created) or, from a file that repeats an id
 * and only when allow_200, 200.  false with a message otherwise.
 */
static bool
check_response(const struct bench *b, unsigned long req, size_t docs,
               bool allow_200)
{
    size_t created = count_of(b->resp, b->resp_len, "{\"status\":201}");
    size_t updated =
        allow_200 ? count_of(b->resp, b->resp_len, "{\"status\":200}") : 0;
    const char *show = b->resp_len ? b->resp : "(empty)";
    int show_len = b->resp_len > 300 ? 300 : (int)b->resp_len;

    if (b->resp_len >= 16 && memcmp(b->resp, "{\"errors\":false,", 16) == 0 &&
        created + updated == docs)
        return true;
    if (b->resp_len >= 15 && memcmp(b->resp, "{\"errors\":true,", 15) == 0) {
        /* the first error is the one worth reading */
        size_t k;

        for (k = 15; k + 8 <= b->resp_len; k++)
            if (memcmp(b->resp + k, "\"error\":", 8) == 0)
                break;
        if (k + 8 <= b->resp_len) {
            show = b->resp + k;
            show_len = b->resp_len - k > 300 ? 300 : (int)(b->resp_len - k);
        }
    }
    fprintf(stderr,
            "es-bench-client: request %lu: %zu of %zu documents stored: "
            "%.*s\n",
            req, created + updated, docs, b->resp_len ? show_len : 7, show);
    return false;
}

int
main(int argc, char **argv)
{
    struct bench b;
    struct src s;
    const char *host = "127.0.0.1";
    const char *index = "bench";
    const char *file = NULL;
    const char *id_field = NULL;
    uint64_t port = 0, seconds = 10, requests = 0, mib = 8;
    unsigned long sent = 0;
    uint64_t next_id = 0, docs_total = 0, bytes_total = 0;
    struct curl_slist *hdrs = NULL;
    CURL *h = NULL;
    char url[512];
    double t0, t1, elapsed;
    long connects_total = 0;
    size_t max;
    bool timed = false;
    int rc = EXIT_FAIL;
    int i;

    memset(&b, 0, sizeof(b));
    memset(&s, 0, sizeof(s));
    s.fd = -1;
    for (i = 1; i < argc; i += 2) {
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        bool ok = v != NULL;

        if (strcmp(argv[i], "--help") == 0) {
            usage(stdout);
            return 0;
        } else if (strcmp(argv[i], "--port") == 0) {
            ok = ok && ts_parse_u64(v, 65535, &port) && port > 0;
        } else if (strcmp(argv[i], "--host") == 0) {
            host = v;
        } else if (strcmp(argv[i], "--index") == 0) {
            index = v;
        } else if (strcmp(argv[i], "--seconds") == 0) {
            ok = ok && ts_parse_u64(v, 86400, &seconds);
            requests = 0;
            timed = true;
        } else if (strcmp(argv[i], "--requests") == 0) {
            ok = ok && ts_parse_u64(v, 1000000, &requests);
            timed = true;
        } else if (strcmp(argv[i], "--body-mib") == 0) {
            ok = ok && ts_parse_u64(v, 1024, &mib) && mib > 0;
        } else if (strcmp(argv[i], "--file") == 0) {
            file = v;
            ok = ok && *v != '\0';
        } else if (strcmp(argv[i], "--id-field") == 0) {
            /* compared as written, so no quotes or escapes in the name */
            id_field = v;
            ok = ok && *v != '\0' && strpbrk(v, "\"\\") == NULL;
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
    if ((file != NULL && timed) || (file == NULL && id_field != NULL)) {
        fprintf(stderr, "es-bench-client: --file sends the whole file once "
                        "(no --seconds or --requests); --id-field needs "
                        "--file\n");
        usage(stderr);
        return EXIT_USAGE;
    }
    max = (size_t)mib * 1024 * 1024;

    b.resp = malloc(RESP_MAX);
    if (b.resp == NULL) {
        fprintf(stderr, "es-bench-client: out of memory\n");
        goto out;
    }
    if (file != NULL) {
        s.path = file;
        s.id_field = id_field;
        s.id_field_len = id_field != NULL ? strlen(id_field) : 0;
        s.cap = max;
        s.buf = malloc(s.cap);
        b.body = malloc(max);
        if (s.buf == NULL || b.body == NULL) {
            fprintf(stderr, "es-bench-client: out of memory\n");
            goto out;
        }
        s.fd = open(file, O_RDONLY | O_CLOEXEC);
        if (s.fd < 0) {
            fprintf(stderr, "es-bench-client: %s: %s\n", file, strerror(errno));
            goto out;
        }
        (void)posix_fadvise(s.fd, 0, 0, POSIX_FADV_SEQUENTIAL);
    } else if (!build_body(&b, max)) {
        fprintf(stderr, "es-bench-client: out of memory\n");
        goto out;
    }
    snprintf(url, sizeof(url),
             "http://%s:%" PRIu64 "/%s/_bulk?filter_path=errors,items.*.error,"
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
    /* not copied: each request sends what the buffer holds then */
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, b.body);

    if (file != NULL)
        printf("file: %s, bodies of up to %zu bytes, %s\n", file, max,
               id_field != NULL ? "_id from the id field" : "no _id");
    else
        printf("body: %zu bytes, %zu docs, %.1f bytes per pair\n", b.len,
               b.docs, (double)b.len / (double)b.docs);
    t0 = now();
    for (;;) {
        long status = 0, connects = 0;
        CURLcode cc;
        size_t d;

        if (file != NULL) {
            int got = src_fill_body(&s, &b, max);

            if (got < 0)
                goto out;
            if (got == 0)
                break;
        } else {
            if (requests > 0 ? sent >= requests : now() - t0 >= (double)seconds)
                break;
            if (next_id + b.docs > ID_LIMIT) {
                fprintf(stderr, "es-bench-client: out of distinct ids\n");
                goto out;
            }
            for (d = 0; d < b.docs; d++)
                put_id(b.body + b.id_at[d], next_id + d);
        }
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)b.len);
        b.resp_len = 0;
        b.resp_overflow = false;
        cc = curl_easy_perform(h);
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
        curl_easy_getinfo(h, CURLINFO_NUM_CONNECTS, &connects);
        connects_total += connects;
        if (cc != CURLE_OK || status != 200) {
            fprintf(stderr, "es-bench-client: request %lu: %s, HTTP %ld\n",
                    sent, curl_easy_strerror(cc), status);
            goto out;
        }
        if (!check_response(&b, sent, b.docs, file != NULL))
            goto out;
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
    if (s.fd >= 0)
        close(s.fd);
    free(s.buf);
    free(b.body);
    free(b.id_at);
    free(b.resp);
    return rc;
}
