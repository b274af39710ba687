/*
 * es.c
 *    libcurl connection to Elasticsearch/OpenSearch.
 */
#include "forkbulk/es.h"

#include <curl/curl.h>
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "forkbulk/bulkresp.h"
#include "forkbulk/eslimits.h"
#include "forkbulk/log.h"
#include "forkbulk/status.h"

struct fb_es {
    CURL *curl;
    struct curl_slist *bulk_headers;
    struct curl_slist *json_headers;
    char *base_url; /* without trailing slash */
    char *bulk_url;
    char index[FB_ES_INDEX_MAX + 1];
    char *auth_header;
    bool compress;
    unsigned char *gz; /* compressed body, allocated once */
    size_t gz_cap;
    char *resp; /* response body, grows up to FB_ES_MAX_RESPONSE */
    size_t resp_len;
    size_t resp_cap;
    bool resp_overflow;
    char errbuf[CURL_ERROR_SIZE];
};

static size_t
on_body(char *data, size_t size, size_t nmemb, void *arg)
{
    struct fb_es *es = arg;
    size_t n = size * nmemb;

    if (es->resp_len + n + 1 > es->resp_cap) {
        size_t cap = es->resp_cap ? es->resp_cap : 64 * 1024;
        char *p;

        while (cap < es->resp_len + n + 1)
            cap *= 2;
        if (cap > FB_ES_MAX_RESPONSE + 1) {
            es->resp_overflow = true;
            return 0; /* makes curl fail the transfer */
        }
        p = realloc(es->resp, cap);
        if (p == NULL)
            return 0;
        es->resp = p;
        es->resp_cap = cap;
    }
    memcpy(es->resp + es->resp_len, data, n);
    es->resp_len += n;
    es->resp[es->resp_len] = '\0';
    return n;
}

static char *
join_url(const char *base, const char *a, const char *b, const char *c)
{
    size_t len = strlen(base) + strlen(a) + strlen(b) + strlen(c) + 1;
    char *url = malloc(len);

    if (url != NULL)
        snprintf(url, len, "%s%s%s%s", base, a, b, c);
    return url;
}

static struct curl_slist *
make_headers(const char *content_type, const char *auth, bool gzip)
{
    struct curl_slist *h = NULL;
    struct curl_slist *t;

    /* libcurl would otherwise send a form content type (spec 1.3), and
     * "Expect: 100-continue" costs a round trip per request. */
    h = curl_slist_append(h, content_type);
    if (h == NULL)
        return NULL;
    if ((t = curl_slist_append(h, "Expect:")) == NULL)
        goto fail;
    h = t;
    if (gzip) {
        if ((t = curl_slist_append(h, "Content-Encoding: gzip")) == NULL)
            goto fail;
        h = t;
    }
    if (auth != NULL) {
        if ((t = curl_slist_append(h, auth)) == NULL)
            goto fail;
        h = t;
    }
    return h;
fail:
    curl_slist_free_all(h);
    return NULL;
}

static char *
api_key_header(const char *key)
{
    size_t len;
    char *h;

    if (key == NULL)
        return NULL;
    len = strlen(key) + 32;
    h = malloc(len);
    if (h != NULL)
        snprintf(h, len, "Authorization: ApiKey %s", key);
    return h;
}

struct fb_es *
fb_es_new(const struct fb_options *opts)
{
    struct fb_es *es = calloc(1, sizeof(*es));
    size_t blen;

    if (es == NULL)
        return NULL;
    es->base_url = strdup(opts->es_url);
    if (es->base_url == NULL)
        goto fail;
    blen = strlen(es->base_url);
    while (blen > 0 && es->base_url[blen - 1] == '/')
        es->base_url[--blen] = '\0';
    if (opts->index != NULL && fb_es_set_index(es, opts->index) < 0)
        goto fail;
    es->auth_header = api_key_header(opts->es_api_key);
    if (opts->es_api_key != NULL && es->auth_header == NULL)
        goto fail;
    es->compress = opts->compress;
    es->bulk_headers = make_headers("Content-Type: application/x-ndjson",
                                    es->auth_header, opts->compress);
    es->json_headers =
        make_headers("Content-Type: application/json", es->auth_header, false);
    if (es->bulk_headers == NULL || es->json_headers == NULL)
        goto fail;
    if (opts->compress) {
        es->gz_cap = compressBound((uLong)opts->batch_bytes) + 64;
        es->gz = malloc(es->gz_cap);
        if (es->gz == NULL)
            goto fail;
    }

    es->curl = curl_easy_init();
    if (es->curl == NULL)
        goto fail;
    /* Workers are single-threaded and handle signals themselves. */
    curl_easy_setopt(es->curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(es->curl, CURLOPT_ERRORBUFFER, es->errbuf);
    curl_easy_setopt(es->curl, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(es->curl, CURLOPT_WRITEDATA, es);
    curl_easy_setopt(es->curl, CURLOPT_CONNECTTIMEOUT_MS,
                     opts->connect_timeout_ms);
    curl_easy_setopt(es->curl, CURLOPT_TIMEOUT_MS, opts->request_timeout_ms);
    curl_easy_setopt(es->curl, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(es->curl, CURLOPT_ACCEPT_ENCODING, "");
    curl_easy_setopt(es->curl, CURLOPT_USERAGENT, "forkbulk");
    if (opts->es_user != NULL && es->auth_header == NULL) {
        curl_easy_setopt(es->curl, CURLOPT_HTTPAUTH, CURLAUTH_BASIC);
        curl_easy_setopt(es->curl, CURLOPT_USERNAME, opts->es_user);
        curl_easy_setopt(es->curl, CURLOPT_PASSWORD,
                         opts->es_password ? opts->es_password : "");
    }
    /* TLS is verified unless the operator says otherwise, loudly. */
    if (opts->ca_file != NULL)
        curl_easy_setopt(es->curl, CURLOPT_CAINFO, opts->ca_file);
    if (opts->insecure) {
        curl_easy_setopt(es->curl, CURLOPT_SSL_VERIFYPEER, 0L);
        curl_easy_setopt(es->curl, CURLOPT_SSL_VERIFYHOST, 0L);
    }
    return es;
fail:
    fb_es_free(es);
    return NULL;
}

void
fb_es_free(struct fb_es *es)
{
    if (es == NULL)
        return;
    if (es->curl != NULL)
        curl_easy_cleanup(es->curl);
    curl_slist_free_all(es->bulk_headers);
    curl_slist_free_all(es->json_headers);
    free(es->base_url);
    free(es->bulk_url);
    free(es->auth_header);
    free(es->gz);
    free(es->resp);
    free(es);
}

const char *
fb_es_bulk_url(const struct fb_es *es)
{
    return es->bulk_url != NULL ? es->bulk_url : es->base_url;
}

int
fb_es_set_index(struct fb_es *es, const char *index)
{
    char *bulk = join_url(es->base_url, "/", index,
                          "/_bulk?filter_path=" FB_BULKRESP_FILTER_PATH);

    if (bulk == NULL)
        return -1;
    free(es->bulk_url);
    es->bulk_url = bulk;
    snprintf(es->index, sizeof(es->index), "%s", index);
    return 0;
}

const char *
fb_es_index(const struct fb_es *es)
{
    return es->index;
}

/* Runs the prepared transfer and fills res. */
static int
perform(struct fb_es *es, struct fb_http_result *res)
{
    CURLcode rc;
    curl_off_t retry_after = -1;

    es->resp_len = 0;
    es->resp_overflow = false;
    es->errbuf[0] = '\0';
    if (es->resp != NULL)
        es->resp[0] = '\0';

    rc = curl_easy_perform(es->curl);

    memset(res, 0, sizeof(*res));
    res->retry_after_s = -1;
    res->body = es->resp != NULL ? es->resp : "";
    res->body_len = es->resp_len;
    if (rc != CURLE_OK) {
        res->transport = true;
        if (es->resp_overflow)
            snprintf(res->error, sizeof(res->error),
                     "response larger than %u bytes", FB_ES_MAX_RESPONSE);
        else
            snprintf(res->error, sizeof(res->error), "%s",
                     es->errbuf[0] ? es->errbuf : curl_easy_strerror(rc));
        return -1;
    }
    curl_easy_getinfo(es->curl, CURLINFO_RESPONSE_CODE, &res->status);
    if (curl_easy_getinfo(es->curl, CURLINFO_RETRY_AFTER, &retry_after) ==
            CURLE_OK &&
        retry_after > 0)
        res->retry_after_s = (long)retry_after;
    return 0;
}

static int
gzip_body(struct fb_es *es, const char *body, size_t len, size_t *out_len)
{
    z_stream zs;
    int rc;

    memset(&zs, 0, sizeof(zs));
    /* 16 + MAX_WBITS: a gzip wrapper, which Content-Encoding: gzip means.
     * Level 1: bulk NDJSON compresses ~5x even at the fastest level, and
     * the worker's CPU is the scarcer resource. */
    if (deflateInit2(&zs, 1, Z_DEFLATED, 16 + MAX_WBITS, 8,
                     Z_DEFAULT_STRATEGY) != Z_OK)
        return -1;
    zs.next_in = (Bytef *)(uintptr_t)body;
    zs.avail_in = (uInt)len;
    zs.next_out = es->gz;
    zs.avail_out = (uInt)es->gz_cap;
    rc = deflate(&zs, Z_FINISH);
    *out_len = zs.total_out;
    deflateEnd(&zs);
    return rc == Z_STREAM_END ? 0 : -1;
}

int
fb_es_bulk(struct fb_es *es, const char *body, size_t len,
           struct fb_http_result *res)
{
    const char *send = body;
    size_t send_len = len;

    if (es->compress) {
        if (len + 64 > es->gz_cap || gzip_body(es, body, len, &send_len) < 0) {
            memset(res, 0, sizeof(*res));
            res->transport = true;
            snprintf(res->error, sizeof(res->error), "gzip failed");
            return -1;
        }
        send = (const char *)es->gz;
    }
    curl_easy_setopt(es->curl, CURLOPT_URL, es->bulk_url);
    curl_easy_setopt(es->curl, CURLOPT_HTTPHEADER, es->bulk_headers);
    curl_easy_setopt(es->curl, CURLOPT_POST, 1L);
    curl_easy_setopt(es->curl, CURLOPT_POSTFIELDS, send);
    curl_easy_setopt(es->curl, CURLOPT_POSTFIELDSIZE_LARGE,
                     (curl_off_t)send_len);
    return perform(es, res);
}

int
fb_es_request(struct fb_es *es, const char *method, const char *path,
              const char *body, struct fb_http_result *res)
{
    char *url = join_url(es->base_url, path, "", "");
    int rc;

    if (url == NULL) {
        memset(res, 0, sizeof(*res));
        res->transport = true;
        snprintf(res->error, sizeof(res->error), "out of memory");
        return -1;
    }
    curl_easy_setopt(es->curl, CURLOPT_URL, url);
    curl_easy_setopt(es->curl, CURLOPT_HTTPHEADER, es->json_headers);
    if (body != NULL) {
        curl_easy_setopt(es->curl, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(es->curl, CURLOPT_POSTFIELDSIZE_LARGE,
                         (curl_off_t)strlen(body));
    } else {
        curl_easy_setopt(es->curl, CURLOPT_HTTPGET, 1L);
    }
    /* The method last: HTTPGET and POSTFIELDS set one of their own. */
    curl_easy_setopt(
        es->curl, CURLOPT_CUSTOMREQUEST,
        strcmp(method, body != NULL ? "POST" : "GET") == 0 ? NULL : method);
    curl_easy_setopt(es->curl, CURLOPT_NOBODY,
                     (long)(strcmp(method, "HEAD") == 0));
    rc = perform(es, res);
    /* The handle is reused: the next request must not inherit these. */
    curl_easy_setopt(es->curl, CURLOPT_CUSTOMREQUEST, NULL);
    curl_easy_setopt(es->curl, CURLOPT_NOBODY, 0L);
    free(url);
    return rc;
}

int
fb_es_refresh(struct fb_es *es)
{
    struct fb_http_result res;
    char path[FB_ES_INDEX_MAX + 16];

    snprintf(path, sizeof(path), "/%s/_refresh", es->index);
    if (fb_es_request(es, "POST", path, "", &res) < 0) {
        fb_warn("refresh %s%s failed: %s", es->base_url, path, res.error);
        return -1;
    }
    if (res.status != 200) {
        fb_warn("refresh %s%s answered HTTP %ld", es->base_url, path,
                res.status);
        return -1;
    }
    return 0;
}

int
fb_es_check(struct fb_es *es, const char *flavor_if_refused, char *desc,
            size_t desclen, char *why, size_t whylen)
{
    struct fb_http_result res;
    json_t *root = NULL;
    json_t *version;
    const char *number;
    const char *distribution;
    char url[1024];
    int ret = FB_EXIT_UNAVAILABLE;

    why[0] = '\0';
    snprintf(url, sizeof(url), "%s/", es->base_url);
    if (fb_es_request(es, "GET", "/", NULL, &res) < 0) {
        snprintf(why, whylen, "cannot reach the cluster at %s: %s", url,
                 res.error);
        goto out;
    }
    if (res.status == 401) {
        snprintf(why, whylen,
                 "the cluster at %s refused the credentials (HTTP 401); set "
                 "[elasticsearch] user/password or api_key in the config, "
                 "or FORKBULK_ES_USER/FORKBULK_ES_PASSWORD or "
                 "FORKBULK_ES_API_KEY",
                 url);
        ret = FB_EXIT_CONFIG;
        goto out;
    }
    if (res.status == 403) {
        /* GET / needs the cluster's monitor privilege, which a key that
         * may only write to the target indices does not have. */
        snprintf(desc, desclen, "%s (GET / refused; --es-flavor)",
                 flavor_if_refused);
        snprintf(why, whylen,
                 "the cluster at %s refused GET / (HTTP 403: the credentials "
                 "lack the monitor privilege); going on, taking it to be %s "
                 "(--es-flavor)",
                 url, flavor_if_refused);
        ret = 0;
        goto out;
    }
    if (res.status != 200) {
        snprintf(why, whylen, "GET %s answered HTTP %ld, not 200", url,
                 res.status);
        goto out;
    }
    root = json_loadb(res.body, res.body_len, 0, NULL);
    version = json_object_get(root, "version");
    number = json_string_value(json_object_get(version, "number"));
    if (number == NULL) {
        snprintf(why, whylen,
                 "%s is not Elasticsearch or OpenSearch: GET / has no "
                 "version.number",
                 url);
        goto out;
    }
    distribution = json_string_value(json_object_get(version, "distribution"));
    snprintf(desc, desclen, "%s %s",
             distribution != NULL && strcmp(distribution, "opensearch") == 0
                 ? "OpenSearch"
                 : "Elasticsearch",
             number);
    ret = 0;
out:
    json_decref(root);
    return ret;
}
