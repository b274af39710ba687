/*
 * bulk.c
 *    The bounded batch buffer: records copied into one
 *    allocation, never grown, compacted in place for resends.
 */
#include "forkbulk/bulk.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "forkbulk/jsonout.h"

/* The longest action line: an index of FB_ES_INDEX_MAX bytes and an id of
 * FB_ES_ID_MAX bytes, each byte escaped as \u00XX, plus the fixed text. */
#define ACTION_MAX (6u * (FB_ES_INDEX_MAX + FB_ES_ID_MAX) + 64u)

/* What render_action() wrote besides the line's length. */
struct action {
    size_t len;
    size_t index;     /* where the index value starts; 0: none */
    size_t index_len; /* its escaped bytes */
};

struct fb_bulk {
    char *buf;
    size_t cap;   /* bytes allocated */
    size_t limit; /* effective byte limit, <= cap */
    size_t len;   /* bytes used */
    struct fb_bulk_item *items;
    size_t max_docs;
    size_t count;
    enum fb_bulk_op op;
};

struct fb_bulk *
fb_bulk_new(size_t max_bytes, size_t max_docs, enum fb_bulk_op op)
{
    struct fb_bulk *b = NULL;

    if (max_bytes == 0 || max_docs == 0 ||
        max_docs > SIZE_MAX / sizeof(struct fb_bulk_item))
        return NULL;
    b = calloc(1, sizeof *b);
    if (b == NULL)
        goto out;
    b->buf = malloc(max_bytes);
    b->items = malloc(max_docs * sizeof *b->items);
    if (b->buf == NULL || b->items == NULL) {
        fb_bulk_free(b);
        b = NULL;
        goto out;
    }
    b->cap = max_bytes;
    b->limit = max_bytes;
    b->max_docs = max_docs;
    b->op = op;
out:
    return b;
}

void
fb_bulk_free(struct fb_bulk *b)
{
    if (b == NULL)
        return;
    free(b->buf);
    free(b->items);
    free(b);
}

void
fb_bulk_reset(struct fb_bulk *b)
{
    b->len = 0;
    b->count = 0;
}

/* Renders the action line into out[ACTION_MAX]. */
static void
render_action(const struct fb_bulk *b, const char *index, const char *id,
              size_t idlen, char *out, struct action *a)
{
    size_t pos = 0;
    const char *verb =
        b->op == FB_BULK_CREATE ? "{\"create\":{" : "{\"index\":{";
    int rc = fb_json_raw(out, ACTION_MAX, &pos, verb, strlen(verb));

    a->index = a->index_len = 0;
    if (index != NULL) {
        rc |= fb_json_raw(out, ACTION_MAX, &pos, "\"_index\":", 9);
        a->index = pos + 1; /* after the opening quote */
        rc |= fb_json_escape(out, ACTION_MAX, &pos, index, strlen(index));
        a->index_len = pos - 1 - a->index;
        if (id != NULL)
            rc |= fb_json_raw(out, ACTION_MAX, &pos, ",", 1);
    }
    if (id != NULL) {
        rc |= fb_json_raw(out, ACTION_MAX, &pos, "\"_id\":", 6);
        rc |= fb_json_escape(out, ACTION_MAX, &pos, id, idlen);
    }
    rc |= fb_json_raw(out, ACTION_MAX, &pos, "}}\n", 3);
    assert(rc == 0); /* ACTION_MAX covers the longest index and id */
    (void)rc;
    a->len = pos;
}

static size_t
room(const struct fb_bulk *b)
{
    return b->len >= b->limit ? 0 : b->limit - b->len;
}

static void
record_item(struct fb_bulk *b, const struct action *a, size_t srclen,
            uint64_t offset, uint64_t line)
{
    struct fb_bulk_item *it = &b->items[b->count++];

    it->offset = offset;
    it->line = line;
    it->pos = b->len;
    it->len = a->len + srclen + 1;
    it->src = a->len;
    it->index = a->index;
    it->index_len = a->index_len;
    b->buf[b->len + a->len + srclen] = '\n';
    b->len += it->len;
}

enum fb_bulk_result
fb_bulk_add(struct fb_bulk *b, const char *index, const char *id, size_t idlen,
            const char *src, size_t srclen, uint64_t offset, uint64_t line)
{
    char action[ACTION_MAX];
    struct action a;

    if (id != NULL && idlen > FB_ES_ID_MAX)
        return FB_BULK_BAD_ID;
    if (index != NULL && strnlen(index, FB_ES_INDEX_MAX + 1) > FB_ES_INDEX_MAX)
        return FB_BULK_BAD_INDEX;
    render_action(b, index, id, idlen, action, &a);
    if (srclen > b->limit || a.len + 1 > b->limit - srclen)
        return FB_BULK_TOO_LARGE;
    if (b->count == b->max_docs || a.len + srclen + 1 > room(b))
        return FB_BULK_FULL;
    memcpy(b->buf + b->len, action, a.len);
    memcpy(b->buf + b->len + a.len, src, srclen);
    record_item(b, &a, srclen, offset, line);
    return FB_BULK_OK;
}

const char *
fb_bulk_body(const struct fb_bulk *b, size_t *len)
{
    *len = b->len;
    return b->len == 0 ? NULL : b->buf;
}

const char *
fb_bulk_slice(const struct fb_bulk *b, size_t i, size_t j, size_t *len)
{
    const struct fb_bulk_item *last = NULL;

    *len = 0;
    if (i >= j || j > b->count)
        return NULL;
    last = &b->items[j - 1];
    *len = last->pos + last->len - b->items[i].pos;
    return b->buf + b->items[i].pos;
}

size_t
fb_bulk_count(const struct fb_bulk *b)
{
    return b->count;
}

size_t
fb_bulk_bytes(const struct fb_bulk *b)
{
    return b->len;
}

const struct fb_bulk_item *
fb_bulk_item(const struct fb_bulk *b, size_t i)
{
    assert(i < b->count);
    return &b->items[i];
}

const char *
fb_bulk_source(const struct fb_bulk *b, size_t i, size_t *len)
{
    const struct fb_bulk_item *it = fb_bulk_item(b, i);

    *len = it->len - it->src - 1;
    return b->buf + it->pos + it->src;
}

const char *
fb_bulk_index(const struct fb_bulk *b, size_t i, size_t *len)
{
    const struct fb_bulk_item *it = fb_bulk_item(b, i);

    *len = it->index_len;
    return it->index == 0 ? NULL : b->buf + it->pos + it->index;
}

size_t
fb_bulk_keep(struct fb_bulk *b, const bool *keep)
{
    size_t w = 0; /* where the next kept byte goes */
    size_t n = 0; /* kept items so far */
    size_t i = 0;

    while (i < b->count) {
        size_t start, end = 0, j;

        if (!keep[i]) {
            i++;
            continue;
        }
        /* A run of kept items is contiguous: move it with one memmove. */
        start = b->items[i].pos;
        for (j = i; j < b->count && keep[j]; j++) {
            /* Read before writing: items[n] may be items[j] itself. */
            end = b->items[j].pos + b->items[j].len;
            b->items[n] = b->items[j];
            b->items[n].pos = w + (b->items[n].pos - start);
            n++;
        }
        if (w != start)
            memmove(b->buf + w, b->buf + start, end - start);
        w += end - start;
        i = j;
    }
    b->len = w;
    b->count = n;
    return n;
}

int
fb_bulk_set_limit(struct fb_bulk *b, size_t max_bytes)
{
    if (max_bytes == 0 || max_bytes > b->cap)
        return -1;
    b->limit = max_bytes;
    return 0;
}

size_t
fb_bulk_limit(const struct fb_bulk *b)
{
    return b->limit;
}
