/*
 * ts_settings.c
 *    Index settings as Elasticsearch keeps and shows them (see ts_state.h):
 *    a flat map of "index.*" keys to string values, changed all or
 *    nothing, written nested in the order a real node writes them, or
 *    flat and sorted with ?flat_settings=true.
 *
 * A real node turns its sorted settings into nested Java HashMaps and
 * writes them in the maps' iteration order, which is the order of their
 * hash buckets: that order is worked out here from Java's String hash,
 * so GET /{index}/_settings gives the very bytes a node gives
 * ("routing" before "number_of_shards" before "provided_name" ...).
 */
#include "ts_state.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The settings a PUT /{index}/_settings may not change on an open index. */
static const char *const static_settings[] = {
    "index.number_of_shards",
    "index.uuid",
    "index.creation_date",
    "index.provided_name",
    "index.version.created",
    "index.routing_partition_size",
    "index.codec",
    "index.replication.type",
};

#define N_STATIC (sizeof(static_settings) / sizeof(static_settings[0]))

static bool
is_static(const char *key)
{
    size_t i;

    for (i = 0; i < N_STATIC; i++)
        if (strcmp(key, static_settings[i]) == 0)
            return true;
    return false;
}

/*
 * An ES time value in ms: "-1", "0", or a whole number with one of the
 * units nanos, micros, ms, s, m, h, d.  False if it is none of these.
 */
static bool
parse_time_ms(const char *s, int64_t *ms)
{
    static const struct {
        const char *unit;
        double ms;
    } units[] = {{"nanos", 1e-6}, {"micros", 1e-3}, {"ms", 1},    {"s", 1e3},
                 {"m", 6e4},      {"h", 3.6e6},     {"d", 8.64e7}};
    char *end = NULL;
    long long v;
    size_t i;

    if (strcmp(s, "-1") == 0 || strcmp(s, "0") == 0) {
        *ms = strcmp(s, "0") == 0 ? 0 : -1;
        return true;
    }
    if (*s < '0' || *s > '9')
        return false;
    v = strtoll(s, &end, 10);
    for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
        if (strcmp(end, units[i].unit) == 0) {
            *ms = (int64_t)((double)v * units[i].ms);
            return true;
        }
    }
    return false;
}

/* A whole number from lo to hi written in decimal, nothing else. */
static bool
parse_count(const char *s, long lo, long hi, long *out)
{
    char *end = NULL;
    long v;

    if (*s < '0' || *s > '9')
        return false;
    v = strtol(s, &end, 10);
    if (*end != 0 || v < lo || v > hi)
        return false;
    *out = v;
    return true;
}

/* Checks one value against what its key allows; reason on failure. */
static bool
value_valid(const char *key, const char *v, char *reason, size_t cap)
{
    int64_t ms;
    long n;

    if (strcmp(key, "index.refresh_interval") == 0 && !parse_time_ms(v, &ms)) {
        snprintf(reason, cap,
                 "failed to parse setting [index.refresh_interval] with "
                 "value [%s] as a time value: unit is missing or "
                 "unrecognized",
                 v);
        return false;
    }
    if (strcmp(key, "index.number_of_replicas") == 0 &&
        !parse_count(v, 0, 1024, &n)) {
        snprintf(reason, cap,
                 "Failed to parse value [%s] for setting "
                 "[index.number_of_replicas] must be >= 0",
                 v);
        return false;
    }
    if (strcmp(key, "index.number_of_shards") == 0 &&
        !parse_count(v, 1, 1024, &n)) {
        snprintf(reason, cap,
                 "Failed to parse value [%s] for setting "
                 "[index.number_of_shards] must be >= 1",
                 v);
        return false;
    }
    return true;
}

/* A JSON scalar as the string ES keeps; NULL for anything else. */
static json_t *
as_setting_string(const json_t *v)
{
    char buf[64];

    if (json_is_string(v))
        return json_string(json_string_value(v));
    if (json_is_integer(v)) {
        snprintf(buf, sizeof(buf), "%lld", (long long)json_integer_value(v));
        return json_string(buf);
    }
    if (json_is_real(v)) {
        snprintf(buf, sizeof(buf), "%.17g", json_real_value(v));
        return json_string(buf);
    }
    if (json_is_boolean(v))
        return json_string(json_is_true(v) ? "true" : "false");
    return NULL;
}

struct apply {
    json_t *flat;
    bool creating;
    const char *index; /* for the messages: name/uuid */
    const char *uuid;
    char *reason;
    size_t cap;
};

/* Sets (or with null, removes) one normalized key. */
static int
apply_one(struct apply *a, const char *key, const json_t *v)
{
    json_t *s = NULL;
    size_t i;

    if (strncmp(key, "index.", 6) != 0) {
        snprintf(a->reason, a->cap,
                 "unknown setting [%s] please check that any required "
                 "plugins are installed, or check the breaking changes "
                 "documentation for removed settings",
                 key);
        return -1;
    }
    if (!a->creating && is_static(key)) {
        snprintf(a->reason, a->cap,
                 "Can't update non dynamic settings [[%s]] for open "
                 "indices [[%s/%s]]",
                 key, a->index, a->uuid);
        return -1;
    }
    if (json_is_null(v)) {
        json_object_del(a->flat, key);
        return 0;
    }
    if (json_is_array(v)) {
        s = json_array();
        for (i = 0; s != NULL && i < json_array_size(v); i++)
            json_array_append_new(s, as_setting_string(json_array_get(v, i)));
    } else {
        s = as_setting_string(v);
    }
    if (s == NULL) {
        snprintf(a->reason, a->cap, "illegal value for setting [%s]", key);
        return -1;
    }
    if (json_is_string(s) &&
        !value_valid(key, json_string_value(s), a->reason, a->cap)) {
        json_decref(s);
        return -1;
    }
    json_object_set_new(a->flat, key, s);
    return 0;
}

/* Flattens given under prefix, adding "index." where a key lacks it. */
static int
apply_tree(struct apply *a, const char *prefix, json_t *given)
{
    const char *k;
    json_t *v;
    char key[512];

    json_object_foreach(given, k, v)
    {
        if (prefix[0] != 0)
            snprintf(key, sizeof(key), "%s.%s", prefix, k);
        else if (strcmp(k, "index") == 0 || strncmp(k, "index.", 6) == 0)
            snprintf(key, sizeof(key), "%s", k);
        else
            snprintf(key, sizeof(key), "index.%s", k);
        if (json_is_object(v)) {
            if (apply_tree(a, key, v) != 0)
                return -1;
            continue;
        }
        if (apply_one(a, key, v) != 0)
            return -1;
    }
    return 0;
}

int
ts_settings_apply(json_t *flat, json_t *given, bool creating, const char *index,
                  const char *uuid, char *reason, size_t cap)
{
    struct apply a = {flat, creating, index, uuid, reason, cap};

    if (!json_is_object(given))
        return 0;
    return apply_tree(&a, "", given);
}

void
ts_settings_sync(struct ts_index *idx)
{
    const char *r = json_string_value(
        json_object_get(idx->settings, "index.refresh_interval"));
    const char *n = json_string_value(
        json_object_get(idx->settings, "index.number_of_replicas"));
    int64_t ms = 1000;
    long replicas = 1;

    if (r != NULL)
        parse_time_ms(r, &ms);
    if (n != NULL)
        parse_count(n, 0, 1024, &replicas);
    idx->refresh_ms = ms;
    idx->replicas = (int)replicas;
}

int
ts_settings_update(struct ts_index **list, int n, json_t *given, char *reason,
                   size_t cap)
{
    json_t **copies = calloc((size_t)(n > 0 ? n : 1), sizeof(*copies));
    int rc = -1;
    int i;

    if (copies == NULL) {
        snprintf(reason, cap, "out of memory");
        return -1;
    }
    for (i = 0; i < n; i++) {
        copies[i] = json_deep_copy(list[i]->settings);
        if (copies[i] == NULL ||
            ts_settings_apply(copies[i], given, false, list[i]->name,
                              list[i]->uuid, reason, cap) != 0)
            goto out;
        /* ES keeps number_of_replicas set: a null puts the default back */
        if (json_object_get(copies[i], "index.number_of_replicas") == NULL)
            json_object_set_new(copies[i], "index.number_of_replicas",
                                json_string("1"));
    }
    /* every index took it: only now does any of them change */
    for (i = 0; i < n; i++) {
        json_decref(list[i]->settings);
        list[i]->settings = copies[i];
        copies[i] = NULL;
        ts_settings_sync(list[i]);
    }
    rc = 0;
out:
    for (i = 0; i < n; i++)
        json_decref(copies[i]);
    free(copies);
    return rc;
}

/* ---- writing ---- */

/* Java's String.hashCode() of an ASCII key, spread as HashMap spreads it. */
static uint32_t
java_hash(const char *s)
{
    uint32_t h = 0;

    for (; *s != 0; s++)
        h = 31 * h + (unsigned char)*s;
    return h ^ (h >> 16);
}

struct slot {
    const char *key;
    json_t *value;
    size_t bucket;
    size_t order; /* insertion order */
};

static int
slot_cmp(const void *a, const void *b)
{
    const struct slot *x = a;
    const struct slot *y = b;

    if (x->bucket != y->bucket)
        return x->bucket < y->bucket ? -1 : 1;
    return x->order < y->order ? -1 : x->order > y->order;
}

static void write_nested(struct ts_out *out, json_t *map);

static void
write_value(struct ts_out *out, json_t *v)
{
    size_t i;

    if (json_is_object(v)) {
        write_nested(out, v);
    } else if (json_is_array(v)) {
        ts_out_char(out, '[');
        for (i = 0; i < json_array_size(v); i++) {
            if (i > 0)
                ts_out_char(out, ',');
            write_value(out, json_array_get(v, i));
        }
        ts_out_char(out, ']');
    } else {
        ts_out_json_cstr(out, json_string_value(v));
    }
}

/*
 * Writes one level in the order of a Java HashMap filled in map's order:
 * its table doubles from 2 slots whenever it is more than 3/4 full, and
 * it iterates bucket by bucket, a bucket's keys in the order they came.
 */
static void
write_nested(struct ts_out *out, json_t *map)
{
    size_t n = json_object_size(map);
    struct slot *slots = calloc(n > 0 ? n : 1, sizeof(*slots));
    size_t tab = 2;
    size_t i = 0;
    const char *k;
    json_t *v;

    if (slots == NULL) {
        out->overflow = true;
        return;
    }
    while (n > tab * 3 / 4)
        tab *= 2;
    json_object_foreach(map, k, v)
    {
        slots[i].key = k;
        slots[i].value = v;
        slots[i].bucket = java_hash(k) & (tab - 1);
        slots[i].order = i;
        i++;
    }
    qsort(slots, n, sizeof(*slots), slot_cmp);
    ts_out_char(out, '{');
    for (i = 0; i < n; i++) {
        if (i > 0)
            ts_out_char(out, ',');
        ts_out_json_cstr(out, slots[i].key);
        ts_out_char(out, ':');
        write_value(out, slots[i].value);
    }
    ts_out_char(out, '}');
    free(slots);
}

static int
str_cmp(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Does key match one of the comma-separated patterns (NULL: all)? */
static bool
name_wanted(const char *names, const char *key)
{
    char pat[512];
    const char *p = names;

    if (names == NULL)
        return true;
    while (*p != 0) {
        size_t len = strcspn(p, ",");

        snprintf(pat, sizeof(pat), "%.*s", (int)len, p);
        if (ts_glob_match(pat, key))
            return true;
        p += len;
        if (*p == ',')
            p++;
    }
    return false;
}

/* The wanted keys of flat, sorted as a Java TreeMap sorts them. */
static const char **
sorted_keys(json_t *flat, const char *names, size_t *n)
{
    const char **keys = calloc(json_object_size(flat) + 1, sizeof(*keys));
    const char *k;
    json_t *v;

    *n = 0;
    if (keys == NULL)
        return NULL;
    json_object_foreach(flat, k, v)
    {
        (void)v;
        if (name_wanted(names, k))
            keys[(*n)++] = k;
    }
    qsort(keys, *n, sizeof(*keys), str_cmp);
    return keys;
}

size_t
ts_settings_count(json_t *flat, const char *names)
{
    size_t n = 0;
    const char **keys = sorted_keys(flat, names, &n);

    free(keys);
    return n;
}

/*
 * Puts value at the dotted key in tree; a key that is both a value and a
 * prefix of others keeps its value (ES falls back to dotted names there,
 * which no setting this server knows needs).
 */
static void
tree_put(json_t *tree, const char *key, json_t *value)
{
    char part[512];
    const char *dot = strchr(key, '.');
    json_t *sub;

    if (dot == NULL) {
        json_object_set(tree, key, value);
        return;
    }
    snprintf(part, sizeof(part), "%.*s", (int)(dot - key), key);
    sub = json_object_get(tree, part);
    if (sub == NULL) {
        sub = json_object();
        json_object_set_new(tree, part, sub);
    }
    if (json_is_object(sub))
        tree_put(sub, dot + 1, value);
}

void
ts_settings_write(struct ts_out *out, json_t *flat, bool flat_form,
                  const char *names)
{
    size_t n = 0;
    const char **keys = sorted_keys(flat, names, &n);
    json_t *tree = NULL;
    size_t i;

    if (keys == NULL) {
        out->overflow = true;
        return;
    }
    if (flat_form) {
        ts_out_char(out, '{');
        for (i = 0; i < n; i++) {
            if (i > 0)
                ts_out_char(out, ',');
            ts_out_json_cstr(out, keys[i]);
            ts_out_char(out, ':');
            write_value(out, json_object_get(flat, keys[i]));
        }
        ts_out_char(out, '}');
        free(keys);
        return;
    }
    tree = json_object();
    for (i = 0; tree != NULL && i < n; i++)
        tree_put(tree, keys[i], json_object_get(flat, keys[i]));
    if (tree != NULL)
        write_nested(out, tree);
    else
        out->overflow = true;
    json_decref(tree);
    free(keys);
}
