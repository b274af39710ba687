/*
 * index_counts.c
 *    A bounded table of documents per index name (see index_counts.h).
 *
 * Entries sit in an array in the order they came; an open-addressing
 * hash of their positions finds a name in constant time, so a worker
 * counting a range that spans thousands of hours does not search the
 * array per document.  Both grow by doubling up to the table's max.
 */
#include "forkbulk/index_counts.h"

#include <stdlib.h>
#include <string.h>

#include "forkbulk/docid.h"

#define NO_ENTRY UINT32_MAX

struct entry {
    char *name; /* NUL-terminated copy */
    size_t len;
    uint64_t n;
    uint64_t hash;
};

struct fb_index_counts {
    size_t max;
    struct entry *entries;
    size_t count, cap;
    uint32_t *slots; /* entry positions, NO_ENTRY when free */
    size_t n_slots;  /* a power of two, at least twice cap */
    size_t last;     /* the entry added to last (a hint) */
    uint64_t unlisted;
};

/* The hash slot of name: where its entry is, or the free one it would
 * take. */
static size_t
slot_of(const struct fb_index_counts *t, const char *name, size_t len,
        uint64_t hash)
{
    size_t mask = t->n_slots - 1;
    size_t s = (size_t)hash & mask;

    for (;;) {
        uint32_t e = t->slots[s];

        if (e == NO_ENTRY ||
            (t->entries[e].hash == hash && t->entries[e].len == len &&
             memcmp(t->entries[e].name, name, len) == 0))
            return s;
        s = (s + 1) & mask;
    }
}

/* Every entry into the hash again, where it now belongs. */
static void
rehash(struct fb_index_counts *t)
{
    for (size_t i = 0; i < t->n_slots; i++)
        t->slots[i] = NO_ENTRY;
    for (size_t i = 0; i < t->count; i++) {
        const struct entry *e = &t->entries[i];

        t->slots[slot_of(t, e->name, e->len, e->hash)] = (uint32_t)i;
    }
}

struct fb_index_counts *
fb_index_counts_new(size_t max)
{
    struct fb_index_counts *t = NULL;

    if (max == 0 || max >= NO_ENTRY)
        return NULL;
    t = calloc(1, sizeof(*t));
    if (t != NULL)
        t->max = max;
    return t;
}

void
fb_index_counts_clear(struct fb_index_counts *t)
{
    for (size_t i = 0; i < t->count; i++)
        free(t->entries[i].name);
    t->count = 0;
    t->last = 0;
    t->unlisted = 0;
    rehash(t);
}

void
fb_index_counts_free(struct fb_index_counts *t)
{
    if (t == NULL)
        return;
    fb_index_counts_clear(t);
    free(t->entries);
    free(t->slots);
    free(t);
}

/* Room for one more entry: the array and the hash doubled when full.
 * -1 when out of memory. */
static int
grow(struct fb_index_counts *t)
{
    size_t cap = t->cap == 0 ? 16 : t->cap * 2;
    size_t n_slots;
    struct entry *entries;
    uint32_t *slots;

    if (t->count < t->cap)
        return 0;
    if (cap > t->max)
        cap = t->max;
    entries = realloc(t->entries, cap * sizeof(*entries));
    if (entries == NULL)
        return -1;
    t->entries = entries;
    for (n_slots = 32; n_slots < cap * 2; n_slots *= 2)
        ;
    slots = malloc(n_slots * sizeof(*slots));
    if (slots == NULL)
        return -1;
    free(t->slots);
    t->slots = slots;
    t->n_slots = n_slots;
    t->cap = cap;
    rehash(t);
    return 0;
}

/* A new entry for name: its position, or -1 when the table is full or
 * out of memory. */
static long
insert(struct fb_index_counts *t, const char *name, size_t len, uint64_t hash)
{
    struct entry *e;
    char *copy;

    if (t->count == t->max || grow(t) < 0 || (copy = malloc(len + 1)) == NULL)
        return -1;
    memcpy(copy, name, len);
    copy[len] = '\0';
    e = &t->entries[t->count];
    e->name = copy;
    e->len = len;
    e->n = 0;
    e->hash = hash;
    /* After grow(): the slot is looked up in the current hash. */
    t->slots[slot_of(t, name, len, hash)] = (uint32_t)t->count;
    return (long)t->count++;
}

void
fb_index_counts_add(struct fb_index_counts *t, const char *name, size_t len,
                    uint64_t n)
{
    uint64_t hash;
    uint32_t e;
    long pos;

    if (t->count > 0 && t->entries[t->last].len == len &&
        memcmp(t->entries[t->last].name, name, len) == 0) {
        t->entries[t->last].n += n;
        return;
    }
    hash = fb_docid_hash(name, len);
    e = t->n_slots == 0 ? NO_ENTRY : t->slots[slot_of(t, name, len, hash)];
    pos = e != NO_ENTRY ? (long)e : insert(t, name, len, hash);
    if (pos < 0) {
        t->unlisted += n;
        return;
    }
    t->entries[pos].n += n;
    t->last = (size_t)pos;
}

void
fb_index_counts_add_unlisted(struct fb_index_counts *t, uint64_t n)
{
    t->unlisted += n;
}

void
fb_index_counts_merge(struct fb_index_counts *to,
                      const struct fb_index_counts *from)
{
    for (size_t i = 0; i < from->count; i++)
        fb_index_counts_add(to, from->entries[i].name, from->entries[i].len,
                            from->entries[i].n);
    to->unlisted += from->unlisted;
}

size_t
fb_index_counts_size(const struct fb_index_counts *t)
{
    return t->count;
}

const char *
fb_index_counts_get(const struct fb_index_counts *t, size_t i, uint64_t *n)
{
    *n = t->entries[i].n;
    return t->entries[i].name;
}

uint64_t
fb_index_counts_unlisted(const struct fb_index_counts *t)
{
    return t->unlisted;
}

static int
by_name(const void *a, const void *b)
{
    return strcmp(((const struct entry *)a)->name,
                  ((const struct entry *)b)->name);
}

void
fb_index_counts_sort(struct fb_index_counts *t)
{
    if (t->count == 0)
        return;
    qsort(t->entries, t->count, sizeof(*t->entries), by_name);
    rehash(t);
    t->last = 0;
}
