/*
 * ts_store.c
 *    What es-test-server remembers: indices with their id tables, dynamic
 *    mappings and settings, aliases and index templates (see ts_state.h).
 */
#include "ts_state.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "ts_docsum.h"

int64_t
ts_now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- id table ---- */

uint64_t
ts_id_hash(const char *id, size_t len)
{
    /* the same hash ts_docsum() uses for the id, so it is computed once */
    uint64_t h = ts_xxh64(id, len, 1);

    return h ? h : 1;
}

/*
 * Field paths are short and hashed for every value of every document, so
 * they get a cheaper hash than XXH64: 8 bytes at a time, multiply and
 * rotate, MurmurHash3's finaliser at the end.
 */
uint64_t
ts_path_hash(const char *path, size_t len)
{
    uint64_t h = UINT64_C(0x9e3779b97f4a7c15) ^ (len * UINT64_C(0x100000001b3));
    size_t i = 0;

    for (; i + 8 <= len; i += 8) {
        uint64_t w;

        memcpy(&w, path + i, 8);
        h ^= w * UINT64_C(0x87c37b91114253d5);
        h = ((h << 31) | (h >> 33)) * UINT64_C(0x4cf5ad432745937f);
    }
    if (i < len) {
        uint64_t w = 0;

        memcpy(&w, path + i, len - i);
        h ^= w * UINT64_C(0x87c37b91114253d5);
        h = ((h << 31) | (h >> 33)) * UINT64_C(0x4cf5ad432745937f);
    }
    h ^= h >> 33;
    h *= UINT64_C(0xff51afd7ed558ccd);
    h ^= h >> 33;
    h *= UINT64_C(0xc4ceb9fe1a85ec53);
    h ^= h >> 33;
    return h ? h : 1;
}

struct ts_idslot *
ts_idtab_find(struct ts_idtab *tab, uint64_t h)
{
    size_t mask;
    size_t i;

    if (tab->cap == 0)
        return NULL;
    mask = tab->cap - 1;
    for (i = (size_t)h & mask;; i = (i + 1) & mask) {
        if (tab->slots[i].h == h)
            return &tab->slots[i];
        if (tab->slots[i].h == 0)
            return NULL;
    }
}

/*
 * Big tables are mapped on their own with every page populated up front:
 * filled through calloc, each page would fault twice (read, then write)
 * as the rehash touches it.
 */
#define IDTAB_MAP_MIN ((size_t)1 << 20)

static struct ts_idslot *
idtab_alloc(size_t cap)
{
    size_t bytes = cap * sizeof(struct ts_idslot);
    void *p = NULL;

    if (bytes < IDTAB_MAP_MIN)
        return calloc(cap, sizeof(struct ts_idslot));
    /* anonymous mappings come zeroed */
    p = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
             MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
    return p == MAP_FAILED ? NULL : p;
}

static void
idtab_release(struct ts_idslot *slots, size_t cap)
{
    size_t bytes = cap * sizeof(struct ts_idslot);

    if (slots == NULL)
        return;
    if (bytes < IDTAB_MAP_MIN)
        free(slots);
    else
        munmap(slots, bytes);
}

static int
idtab_grow(struct ts_idtab *tab)
{
    size_t ncap = tab->cap ? tab->cap * 2 : 1024;
    struct ts_idslot *ns = NULL;
    size_t i;

    if (ncap > TS_IDTAB_MAX)
        return -1;
    ns = idtab_alloc(ncap);
    if (ns == NULL)
        return -1;
    for (i = 0; i < tab->cap; i++) {
        size_t j;

        /* every move lands at a random place of the new table */
        if (i + 16 < tab->cap && tab->slots[i + 16].h != 0)
            __builtin_prefetch(&ns[tab->slots[i + 16].h & (ncap - 1)], 1);
        if (tab->slots[i].h == 0)
            continue;
        for (j = (size_t)tab->slots[i].h & (ncap - 1); ns[j].h != 0;
             j = (j + 1) & (ncap - 1))
            ;
        ns[j] = tab->slots[i];
    }
    idtab_release(tab->slots, tab->cap);
    tab->slots = ns;
    tab->cap = ncap;
    return 0;
}

struct ts_idslot *
ts_idtab_upsert(struct ts_idtab *tab, uint64_t h)
{
    size_t mask;
    size_t i;

    if ((tab->used + 1) * 5 > tab->cap * 4 && idtab_grow(tab) != 0)
        return NULL;
    mask = tab->cap - 1;
    for (i = (size_t)h & mask;; i = (i + 1) & mask) {
        if (tab->slots[i].h == h)
            return &tab->slots[i];
        if (tab->slots[i].h == 0) {
            memset(&tab->slots[i], 0, sizeof(tab->slots[i]));
            tab->slots[i].h = h;
            tab->used++;
            return &tab->slots[i];
        }
    }
}

struct ts_idslot *
ts_idtab_probe(struct ts_idtab *tab, uint64_t h)
{
    size_t mask;
    size_t i;

    if ((tab->used + 1) * 5 > tab->cap * 4 && idtab_grow(tab) != 0)
        return NULL;
    mask = tab->cap - 1;
    for (i = (size_t)h & mask;; i = (i + 1) & mask)
        if (tab->slots[i].h == h || tab->slots[i].h == 0)
            return &tab->slots[i];
}

void
ts_idtab_claim(struct ts_idtab *tab, struct ts_idslot *slot, uint64_t h)
{
    /* empty slots are all zero: tables start zeroed, grow copies only
     * used slots, and no slot is ever emptied */
    slot->h = h;
    tab->used++;
}

void
ts_idtab_free(struct ts_idtab *tab)
{
    idtab_release(tab->slots, tab->cap);
    tab->slots = NULL;
    tab->cap = 0;
    tab->used = 0;
}

/* ---- field map ---- */

static const struct {
    const char *name;
    enum ts_ftype type;
} type_names[] = {
    {"long", TS_FT_LONG},
    {"integer", TS_FT_LONG},
    {"short", TS_FT_LONG},
    {"byte", TS_FT_LONG},
    {"unsigned_long", TS_FT_LONG},
    {"float", TS_FT_FLOAT},
    {"double", TS_FT_FLOAT},
    {"half_float", TS_FT_FLOAT},
    {"scaled_float", TS_FT_FLOAT},
    {"boolean", TS_FT_BOOL},
    {"date", TS_FT_DATE},
    {"date_nanos", TS_FT_DATE},
    {"text", TS_FT_TEXT},
    {"keyword", TS_FT_TEXT},
    {"wildcard", TS_FT_TEXT},
    {"constant_keyword", TS_FT_TEXT},
    {"ip", TS_FT_IP},
    {"object", TS_FT_OBJECT},
    {"nested", TS_FT_OBJECT},
    {"flattened", TS_FT_OTHER},
};

#define N_TYPE_NAMES (sizeof(type_names) / sizeof(type_names[0]))

const char *
ts_ftype_name(uint8_t name)
{
    return name < N_TYPE_NAMES ? type_names[name].name : "object";
}

uint8_t
ts_ftype_default_name(enum ts_ftype type)
{
    switch (type) {
    case TS_FT_LONG:
        return 0;
    case TS_FT_FLOAT:
        return 5; /* ES maps JSON floating point dynamically to float */
    case TS_FT_BOOL:
        return 9;
    case TS_FT_DATE:
        return 10;
    case TS_FT_TEXT:
        return 12;
    case TS_FT_IP:
        return 16;
    default:
        return 17;
    }
}

/* Finds a type by name; TS_FT_OTHER (name index 255) if unknown. */
static enum ts_ftype
type_by_name(const char *name, uint8_t *idx)
{
    size_t i;

    for (i = 0; i < N_TYPE_NAMES; i++) {
        if (strcmp(type_names[i].name, name) == 0) {
            *idx = (uint8_t)i;
            return type_names[i].type;
        }
    }
    *idx = 19;
    return TS_FT_OTHER;
}

const struct ts_fieldslot *
ts_fieldmap_get(const struct ts_fieldmap *fm, uint64_t h)
{
    size_t mask;
    size_t i;

    if (fm->cap == 0)
        return NULL;
    mask = fm->cap - 1;
    for (i = (size_t)h & mask;; i = (i + 1) & mask) {
        if (fm->slots[i].h == h)
            return &fm->slots[i];
        if (fm->slots[i].h == 0)
            return NULL;
    }
}

int
ts_fieldmap_put(struct ts_fieldmap *fm, uint64_t h, enum ts_ftype type,
                uint8_t name)
{
    size_t mask;
    size_t i;

    if ((fm->n + 1) * 2 > fm->cap) {
        size_t ncap = fm->cap ? fm->cap * 2 : 64;
        struct ts_fieldslot *ns = calloc(ncap, sizeof(*ns));

        if (ns == NULL)
            return -1;
        for (i = 0; i < fm->cap; i++) {
            size_t j;

            if (fm->slots[i].h == 0)
                continue;
            for (j = (size_t)fm->slots[i].h & (ncap - 1); ns[j].h != 0;
                 j = (j + 1) & (ncap - 1))
                ;
            ns[j] = fm->slots[i];
        }
        free(fm->slots);
        fm->slots = ns;
        fm->cap = ncap;
    }
    mask = fm->cap - 1;
    for (i = (size_t)h & mask;; i = (i + 1) & mask) {
        if (fm->slots[i].h == h) {
            fm->slots[i].type = (uint8_t)type;
            fm->slots[i].name = name;
            return 0;
        }
        if (fm->slots[i].h == 0) {
            fm->slots[i].h = h;
            fm->slots[i].type = (uint8_t)type;
            fm->slots[i].name = name;
            fm->n++;
            /* text gets a keyword sub-field, which counts too */
            fm->counted += type == TS_FT_TEXT ? 2 : 1;
            return 0;
        }
    }
}

/* ---- indices ---- */

struct ts_index *
ts_store_index(struct ts_state *st, const char *name, size_t len)
{
    struct ts_index *idx;

    for (idx = st->indices; idx != NULL; idx = idx->next)
        if (strlen(idx->name) == len && memcmp(idx->name, name, len) == 0)
            return idx;
    return NULL;
}

bool
ts_store_alias_exists(struct ts_state *st, const char *name, size_t len)
{
    struct ts_alias *a;

    for (a = st->aliases; a != NULL; a = a->next)
        if (strlen(a->name) == len && memcmp(a->name, name, len) == 0)
            return true;
    return false;
}

bool
ts_store_name_valid(const char *name, size_t len, char *reason, size_t cap)
{
    size_t i;

    if (len == 0) {
        snprintf(reason, cap, "Invalid index name [], must not be empty");
        return false;
    }
    for (i = 0; i < len; i++) {
        if (strchr(" \"*\\<|,>/?#:", name[i]) != NULL || name[i] == 0) {
            snprintf(reason, cap,
                     "Invalid index name [%.*s], must not contain the "
                     "following characters [ , \", *, \\, <, |, ,, >, /, ?]",
                     (int)len, name);
            return false;
        }
    }
    if (name[0] == '_' || name[0] == '-' || name[0] == '+') {
        snprintf(reason, cap,
                 "Invalid index name [%.*s], must not start with '_', '-', "
                 "or '+'",
                 (int)len, name);
        return false;
    }
    for (i = 0; i < len; i++) {
        if (name[i] >= 'A' && name[i] <= 'Z') {
            snprintf(reason, cap,
                     "Invalid index name [%.*s], must be lowercase", (int)len,
                     name);
            return false;
        }
    }
    if ((len == 1 && name[0] == '.') ||
        (len == 2 && name[0] == '.' && name[1] == '.')) {
        snprintf(reason, cap,
                 "Invalid index name [%.*s], must not be '.' "
                 "or '..'",
                 (int)len, name);
        return false;
    }
    if (len > 255) {
        snprintf(reason, cap, "index name is too long, (%zu > 255)", len);
        return false;
    }
    return true;
}

static void
apply_properties(struct ts_index *idx, json_t *props, char *path, size_t plen,
                 size_t cap)
{
    const char *key;
    json_t *def;

    if (!json_is_object(props))
        return;
    json_object_foreach(props, key, def)
    {
        size_t klen = strlen(key);
        size_t n = plen;
        json_t *type;
        json_t *sub;
        uint8_t name = 17;
        enum ts_ftype ft = TS_FT_OBJECT;

        if (n + klen + 2 > cap)
            continue;
        if (n > 0)
            path[n++] = '.';
        memcpy(path + n, key, klen);
        n += klen;
        path[n] = 0;
        type = json_object_get(def, "type");
        if (json_is_string(type))
            ft = type_by_name(json_string_value(type), &name);
        ts_fieldmap_put(&idx->fields, ts_path_hash(path, n), ft, name);
        sub = json_object_get(def, "properties");
        if (sub != NULL)
            apply_properties(idx, sub, path, n, cap);
    }
}

void
ts_store_apply_mappings(struct ts_index *idx, json_t *mappings)
{
    char path[1024];

    if (!json_is_object(mappings))
        return;
    apply_properties(idx, json_object_get(mappings, "properties"), path, 0,
                     sizeof(path));
}

void
ts_store_refresh(struct ts_index *idx)
{
    idx->visible = idx->live;
    idx->dirty = false;
}

void
ts_store_maybe_refresh(struct ts_index *idx, int64_t now)
{
    if (idx->dirty && idx->refresh_ms >= 0 &&
        now - idx->last_write_ms >= idx->refresh_ms)
        ts_store_refresh(idx);
}

/* A 22-character base64url uuid, unique per state. */
static void
make_uuid(struct ts_state *st, char *out)
{
    static const char b64[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    uint64_t a =
        ts_xxh64(&st->uuid_counter, sizeof(st->uuid_counter), st->config.seed);
    uint64_t b = ts_xxh64(&a, sizeof(a), st->uuid_counter);
    int i;

    st->uuid_counter++;
    for (i = 0; i < 11; i++) {
        out[i] = b64[a & 63];
        a >>= 6;
        out[11 + i] = b64[b & 63];
        b >>= 6;
    }
    out[22] = 0;
}

bool
ts_glob_match(const char *p, const char *s)
{
    if (*p == 0)
        return *s == 0;
    if (*p == '*')
        return ts_glob_match(p + 1, s) || (*s != 0 && ts_glob_match(p, s + 1));
    return *s == *p && ts_glob_match(p + 1, s + 1);
}

static int apply_aliases(struct ts_state *st, struct ts_index *idx,
                         json_t *aliases);

/* The template of highest priority whose patterns match name, or NULL. */
static struct ts_template *
template_for(struct ts_state *st, const char *name)
{
    struct ts_template *t;
    struct ts_template *best = NULL;
    int i;

    for (t = st->templates; t != NULL; t = t->next) {
        for (i = 0; i < t->npatterns; i++) {
            if (ts_glob_match(t->patterns[i], name) &&
                (best == NULL || t->priority > best->priority)) {
                best = t;
                break;
            }
        }
    }
    return best;
}

static void
put_default(json_t *flat, const char *key, const char *value)
{
    if (json_object_get(flat, key) == NULL)
        json_object_set_new(flat, key, json_string(value));
}

/*
 * What a node adds to the settings of every index it creates, as GET
 * /{index}/_settings then shows them.
 */
static void
add_created_settings(struct ts_state *st, struct ts_index *idx)
{
    static const char *const created[] = {"7172499", "8512000", "136387827"};
    struct timespec now;
    char date[32];

    clock_gettime(CLOCK_REALTIME, &now);
    snprintf(date, sizeof(date), "%lld",
             (long long)now.tv_sec * 1000 + now.tv_nsec / 1000000);
    put_default(idx->settings, "index.number_of_shards", "1");
    put_default(idx->settings, "index.number_of_replicas", "1");
    json_object_set_new(idx->settings, "index.creation_date",
                        json_string(date));
    json_object_set_new(idx->settings, "index.provided_name",
                        json_string(idx->name));
    json_object_set_new(idx->settings, "index.uuid", json_string(idx->uuid));
    json_object_set_new(idx->settings, "index.version.created",
                        json_string(created[st->config.mode]));
    /* ES since 7.10 puts new indices on the content tier; OpenSearch
     * writes how it replicates */
    if (st->config.mode == TS_MODE_OPENSEARCH)
        put_default(idx->settings, "index.replication.type", "DOCUMENT");
    else
        put_default(idx->settings,
                    "index.routing.allocation.include._tier_preference",
                    "data_content");
}

/* Applies a template, then the create body, to a new index. */
static int
apply_create(struct ts_index *idx, const struct ts_template *t, json_t *body,
             char *reason, size_t cap)
{
    if (t != NULL && t->settings != NULL &&
        json_object_update(idx->settings, t->settings) != 0) {
        snprintf(reason, cap, "out of memory");
        return -1;
    }
    if (t != NULL && t->template != NULL)
        ts_store_apply_mappings(idx, json_object_get(t->template, "mappings"));
    if (body == NULL)
        return 0;
    if (ts_settings_apply(idx->settings, json_object_get(body, "settings"),
                          true, idx->name, idx->uuid, reason, cap) != 0)
        return -1;
    ts_store_apply_mappings(idx, json_object_get(body, "mappings"));
    return 0;
}

static void
index_free(struct ts_index *idx)
{
    ts_idtab_free(&idx->ids);
    free(idx->fields.slots);
    json_decref(idx->settings);
    free(idx);
}

struct ts_index *
ts_store_create(struct ts_state *st, const char *name, size_t len, json_t *body,
                char *reason, size_t cap)
{
    struct ts_index *idx = NULL;
    struct ts_template *t = NULL;
    char numeric[TS_NAME_MAX];

    if (len >= TS_NAME_MAX) {
        snprintf(reason, cap, "index name is too long, (%zu > 255)", len);
        return NULL;
    }
    idx = calloc(1, sizeof(*idx));
    if (idx == NULL || (idx->settings = json_object()) == NULL) {
        free(idx);
        snprintf(reason, cap, "out of memory");
        return NULL;
    }
    memcpy(idx->name, name, len);
    idx->name[len] = 0;
    make_uuid(st, idx->uuid);
    idx->last_write_ms = ts_now_ms();
    if (st->numeric_field != NULL) {
        snprintf(numeric, sizeof(numeric), "%s", st->numeric_field);
        ts_fieldmap_put(&idx->fields, ts_path_hash(numeric, strlen(numeric)),
                        TS_FT_LONG, 0);
    }
    t = template_for(st, idx->name);
    if (apply_create(idx, t, body, reason, cap) != 0) {
        index_free(idx);
        return NULL;
    }
    add_created_settings(st, idx);
    ts_settings_sync(idx);
    idx->next = st->indices;
    st->indices = idx;
    if (t != NULL && t->template != NULL)
        apply_aliases(st, idx, json_object_get(t->template, "aliases"));
    if (body != NULL)
        apply_aliases(st, idx, json_object_get(body, "aliases"));
    return idx;
}

static int
apply_aliases(struct ts_state *st, struct ts_index *idx, json_t *aliases)
{
    const char *key;
    json_t *def;

    if (!json_is_object(aliases))
        return 0;
    json_object_foreach(aliases, key, def)
    {
        json_t *w = json_object_get(def, "is_write_index");
        int is_write = json_is_boolean(w) ? json_is_true(w) : -1;

        if (ts_store_alias_add(st, key, idx, is_write) != 0)
            return -1;
    }
    return 0;
}

int
ts_store_resolve_write(struct ts_state *st, const char *name, size_t len,
                       struct ts_index **out, char *reason, size_t cap)
{
    struct ts_index *idx = ts_store_index(st, name, len);
    struct ts_alias *a;
    struct ts_index *only = NULL;
    int members = 0;

    if (idx != NULL) {
        *out = idx;
        return 0;
    }
    for (a = st->aliases; a != NULL; a = a->next) {
        if (strlen(a->name) != len || memcmp(a->name, name, len) != 0)
            continue;
        if (a->is_write == 1) {
            *out = a->index;
            return 0;
        }
        members++;
        if (a->is_write == -1)
            only = a->index;
    }
    if (members == 0)
        return 1;
    if (members == 1 && only != NULL) {
        *out = only;
        return 0;
    }
    snprintf(reason, cap,
             "no write index is defined for alias [%.*s]. The write index "
             "may be explicitly disabled using is_write_index=false or the "
             "alias points to multiple indices without one being designated "
             "as a write index",
             (int)len, name);
    return -1;
}

int
ts_store_alias_add(struct ts_state *st, const char *alias, struct ts_index *idx,
                   int is_write)
{
    struct ts_alias *a;

    for (a = st->aliases; a != NULL; a = a->next) {
        if (a->index == idx && strcmp(a->name, alias) == 0) {
            a->is_write = is_write;
            goto write_flag;
        }
    }
    a = calloc(1, sizeof(*a));
    if (a == NULL)
        return -1;
    snprintf(a->name, sizeof(a->name), "%s", alias);
    a->index = idx;
    a->is_write = is_write;
    a->next = st->aliases;
    st->aliases = a;
write_flag:
    /* Only one index of an alias can be its write index. */
    if (is_write == 1) {
        struct ts_alias *o;

        for (o = st->aliases; o != NULL; o = o->next)
            if (o != a && strcmp(o->name, alias) == 0 && o->is_write == 1)
                o->is_write = 0;
    }
    return 0;
}

struct ts_alias *
ts_store_alias_on(struct ts_state *st, const char *alias,
                  const struct ts_index *idx)
{
    struct ts_alias *a;

    for (a = st->aliases; a != NULL; a = a->next)
        if (a->index == idx && strcmp(a->name, alias) == 0)
            return a;
    return NULL;
}

/* ---- index expressions ---- */

struct expand {
    struct ts_state *st;
    int flags;
    struct ts_index **list;
    int n;
    int cap;
};

static bool
expand_add(struct expand *e, struct ts_index *idx)
{
    struct ts_index **grown = NULL;
    int i;

    for (i = 0; i < e->n; i++)
        if (e->list[i] == idx)
            return true;
    if (e->n == e->cap) {
        e->cap = e->cap ? e->cap * 2 : 16;
        grown = realloc(e->list, (size_t)e->cap * sizeof(*grown));
        if (grown == NULL)
            return false;
        e->list = grown;
    }
    e->list[e->n++] = idx;
    return true;
}

static void
expand_remove(struct expand *e, const char *pattern)
{
    int i = 0;

    while (i < e->n) {
        if (ts_glob_match(pattern, e->list[i]->name))
            e->list[i] = e->list[--e->n];
        else
            i++;
    }
}

int
ts_index_name_cmp(const void *a, const void *b)
{
    return strcmp((*(struct ts_index *const *)a)->name,
                  (*(struct ts_index *const *)b)->name);
}

/* A pattern: the indices it matches (and the aliases', if allowed). */
static bool
expand_pattern(struct expand *e, const char *pattern)
{
    struct ts_index *idx;
    struct ts_alias *a;
    int from = e->n;

    for (idx = e->st->indices; idx != NULL; idx = idx->next)
        if (ts_glob_match(pattern, idx->name) && !expand_add(e, idx))
            return false;
    for (a = e->st->aliases; a != NULL; a = a->next)
        if ((e->flags & TS_EXPAND_ALIASES) && ts_glob_match(pattern, a->name) &&
            !expand_add(e, a->index))
            return false;
    /* the store lists indices newest first; ES answers in name order */
    if (e->n > from)
        qsort(e->list + from, (size_t)(e->n - from), sizeof(*e->list),
              ts_index_name_cmp);
    return true;
}

/* One name: an index, or an alias's indices. */
static enum ts_expand_result
expand_name(struct expand *e, const char *name)
{
    struct ts_index *idx = ts_store_index(e->st, name, strlen(name));
    struct ts_alias *a;
    bool alias = false;

    if (idx != NULL)
        return expand_add(e, idx) ? TS_EXPAND_OK : TS_EXPAND_NOMEM;
    for (a = e->st->aliases; a != NULL; a = a->next) {
        if (strcmp(a->name, name) != 0)
            continue;
        alias = true;
        if ((e->flags & TS_EXPAND_ALIASES) && !expand_add(e, a->index))
            return TS_EXPAND_NOMEM;
    }
    if (!alias)
        return TS_EXPAND_MISSING;
    return (e->flags & TS_EXPAND_ALIASES) ? TS_EXPAND_OK : TS_EXPAND_ALIAS;
}

static enum ts_expand_result
expand_part(struct expand *e, const char *part, bool *wildcard_seen)
{
    if (part[0] == '-' && *wildcard_seen) {
        expand_remove(e, part + 1);
        return TS_EXPAND_OK;
    }
    if (strcmp(part, "_all") == 0 || strchr(part, '*') != NULL) {
        *wildcard_seen = true;
        return expand_pattern(e, strcmp(part, "_all") == 0 ? "*" : part)
                   ? TS_EXPAND_OK
                   : TS_EXPAND_NOMEM;
    }
    return expand_name(e, part);
}

enum ts_expand_result
ts_store_expand(struct ts_state *st, const char *expr, int flags,
                struct ts_index ***out, int *n, char *bad, size_t cap)
{
    struct expand e = {st, flags, NULL, 0, 0};
    enum ts_expand_result rc = TS_EXPAND_OK;
    bool wildcard_seen = false;
    const char *p = expr;
    char part[TS_NAME_MAX + 1];

    *out = NULL;
    *n = 0;
    while (rc == TS_EXPAND_OK) {
        size_t len = strcspn(p, ",");

        snprintf(part, sizeof(part), "%.*s", (int)len, p);
        if (len > 0)
            rc = expand_part(&e, part, &wildcard_seen);
        if (p[len] == 0)
            break;
        p += len + 1;
    }
    if (rc == TS_EXPAND_OK && e.list == NULL &&
        (e.list = malloc(sizeof(*e.list))) == NULL)
        rc = TS_EXPAND_NOMEM;
    if (rc != TS_EXPAND_OK) {
        snprintf(bad, cap, "%s", part);
        free(e.list);
        return rc;
    }
    *out = e.list;
    *n = e.n;
    return TS_EXPAND_OK;
}

void
ts_store_delete(struct ts_state *st, struct ts_index *idx)
{
    struct ts_index **pp;
    struct ts_alias **ap;

    for (pp = &st->indices; *pp != NULL && *pp != idx; pp = &(*pp)->next)
        ;
    if (*pp == NULL)
        return;
    *pp = idx->next;
    for (ap = &st->aliases; *ap != NULL;) {
        struct ts_alias *a = *ap;

        if (a->index == idx) {
            *ap = a->next;
            free(a);
        } else {
            ap = &a->next;
        }
    }
    index_free(idx);
}

void
ts_store_template_free(struct ts_template *t)
{
    int i;

    if (t == NULL)
        return;
    for (i = 0; i < t->npatterns; i++)
        free(t->patterns[i]);
    json_decref(t->body);
    json_decref(t->settings);
    free(t);
}

void
ts_store_reset(struct ts_state *st)
{
    while (st->indices != NULL)
        ts_store_delete(st, st->indices);
    while (st->templates != NULL) {
        struct ts_template *t = st->templates;

        st->templates = t->next;
        ts_store_template_free(t);
    }
    memset(&st->stats, 0, sizeof(st->stats));
}
