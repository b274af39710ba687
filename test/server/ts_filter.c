/*
 * ts_filter.c
 *    filter_path response filtering (see ts_filter.h).
 *
 * The walk keeps, for every pattern, the set of pattern positions reached
 * so far as a bit mask, so one pass over the body suffices whatever the
 * number of patterns.  A container is written tentatively and rolled back
 * when nothing inside it survived.
 */
#include "ts_filter.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "ts_json.h"

#define MAX_PATTERNS TS_FILTER_PATTERNS
#define MAX_SEGS TS_FILTER_SEGS

/* One walk over one body. */
struct fctx {
    const struct ts_filter *f;
    const char *json;
    size_t len;
    struct ts_out *out;
};

static bool
glob(const char *p, size_t pn, const char *s, size_t sn)
{
    size_t pi = 0;
    size_t si = 0;
    size_t star = (size_t)-1;
    size_t mark = 0;

    while (si < sn) {
        if (pi < pn && p[pi] == '*') {
            star = pi++;
            mark = si;
        } else if (pi < pn && p[pi] == s[si]) {
            pi++;
            si++;
        } else if (star != (size_t)-1) {
            pi = star + 1;
            si = ++mark;
        } else {
            return false;
        }
    }
    while (pi < pn && p[pi] == '*')
        pi++;
    return pi == pn;
}

static bool
is_dstar(const struct ts_filter_seg *sg)
{
    return sg->n == 2 && sg->s[0] == '*' && sg->s[1] == '*';
}

static int
parse_filter(struct ts_filter *c, const char *f, size_t n)
{
    size_t i = 0;

    while (i <= n) {
        size_t j = i;
        struct ts_filter_pattern *pt;
        size_t k;
        size_t segstart;

        while (j < n && f[j] != ',')
            j++;
        while (i < j && f[i] == ' ')
            i++;
        k = j;
        while (k > i && f[k - 1] == ' ')
            k--;
        if (k > i) {
            if (c->npat >= MAX_PATTERNS)
                return -1;
            pt = &c->pats[c->npat++];
            memset(pt, 0, sizeof(*pt));
            if (f[i] == '-') {
                pt->exclude = true;
                i++;
            } else {
                c->any_include = true;
            }
            segstart = i;
            for (size_t q = i; q <= k; q++) {
                if (q == k || f[q] == '.') {
                    if (pt->nseg >= MAX_SEGS || q == segstart)
                        return -1;
                    pt->segs[pt->nseg].s = f + segstart;
                    pt->segs[pt->nseg].n = q - segstart;
                    pt->nseg++;
                    segstart = q + 1;
                }
            }
        }
        i = j + 1;
    }
    return 0;
}

/* Positions reachable without consuming a key ("**" may match nothing). */
static uint32_t
closure(const struct ts_filter_pattern *pt, uint32_t m)
{
    for (int p = 0; p < pt->nseg; p++)
        if ((m & (1u << p)) && is_dstar(&pt->segs[p]))
            m |= 1u << (p + 1);
    return m;
}

static uint32_t
step(const struct ts_filter_pattern *pt, uint32_t m, const char *key, size_t kn)
{
    uint32_t r = 0;

    for (int p = 0; p < pt->nseg; p++) {
        const struct ts_filter_seg *sg = &pt->segs[p];

        if (!(m & (1u << p)))
            continue;
        if (is_dstar(sg))
            r |= 1u << p;
        else if (glob(sg->s, sg->n, key, kn))
            r |= 1u << (p + 1);
    }
    return closure(pt, r);
}

/* Child state for key; returns false if the child is excluded or cannot
 * contribute anything. */
static bool
child_state(const struct ts_filter *c, const struct ts_filter_state *st,
            const char *key, size_t kn, struct ts_filter_state *ch)
{
    bool alive = st->included;

    ch->included = st->included;
    for (int i = 0; i < c->npat; i++) {
        const struct ts_filter_pattern *pt = &c->pats[i];

        ch->mask[i] = step(pt, st->mask[i], key, kn);
        if (ch->mask[i] & (1u << pt->nseg)) {
            if (pt->exclude)
                return false;
            ch->included = true;
            alive = true;
        } else if (!pt->exclude && ch->mask[i] != 0) {
            alive = true;
        }
    }
    return alive || ch->included;
}

static bool
excl_alive(const struct ts_filter *c, const struct ts_filter_state *st)
{
    for (int i = 0; i < c->npat; i++)
        if (c->pats[i].exclude && st->mask[i] != 0)
            return true;
    return false;
}

static int walk(struct fctx *c, size_t *pos, const struct ts_filter_state *st,
                bool *emitted);

static int
skip_ws_at(struct fctx *c, size_t *pos)
{
    ts_json_skip_ws(c->json, c->len, pos);
    return *pos < c->len ? 0 : -1;
}

static int
walk_object(struct fctx *c, size_t *pos, const struct ts_filter_state *st,
            bool *emitted)
{
    size_t mark = c->out->len;
    bool any = false;
    struct ts_json_err err;

    ts_out_char(c->out, '{');
    (*pos)++;
    if (skip_ws_at(c, pos) != 0)
        return -1;
    if (c->json[*pos] == '}') {
        (*pos)++;
        goto done;
    }
    for (;;) {
        size_t kstart;
        size_t kend;
        enum ts_json_kind kind;
        struct ts_filter_state ch;
        bool sub = false;
        size_t before;

        if (skip_ws_at(c, pos) != 0 || c->json[*pos] != '"')
            return -1;
        kstart = *pos;
        if (ts_json_skip_value(c->json, c->len, pos, &kind, &err) != 0)
            return -1;
        kend = *pos;
        if (skip_ws_at(c, pos) != 0 || c->json[*pos] != ':')
            return -1;
        (*pos)++;
        if (child_state(c->f, st, c->json + kstart + 1, kend - kstart - 2,
                        &ch)) {
            before = c->out->len;
            if (any)
                ts_out_char(c->out, ',');
            ts_out_put(c->out, c->json + kstart, kend - kstart);
            ts_out_char(c->out, ':');
            if (walk(c, pos, &ch, &sub) != 0)
                return -1;
            if (sub)
                any = true;
            else
                c->out->len = before;
        } else {
            if (ts_json_skip_value(c->json, c->len, pos, &kind, &err) != 0)
                return -1;
        }
        if (skip_ws_at(c, pos) != 0)
            return -1;
        if (c->json[*pos] == ',') {
            (*pos)++;
            continue;
        }
        if (c->json[*pos] != '}')
            return -1;
        (*pos)++;
        break;
    }
done:
    ts_out_char(c->out, '}');
    *emitted = any || st->included;
    if (!*emitted)
        c->out->len = mark;
    return 0;
}

static int
walk_array(struct fctx *c, size_t *pos, const struct ts_filter_state *st,
           bool *emitted)
{
    size_t mark = c->out->len;
    bool any = false;

    ts_out_char(c->out, '[');
    (*pos)++;
    if (skip_ws_at(c, pos) != 0)
        return -1;
    if (c->json[*pos] == ']') {
        (*pos)++;
        goto done;
    }
    for (;;) {
        size_t before = c->out->len;
        bool sub = false;

        if (any)
            ts_out_char(c->out, ',');
        if (walk(c, pos, st, &sub) != 0)
            return -1;
        if (sub)
            any = true;
        else
            c->out->len = before;
        if (skip_ws_at(c, pos) != 0)
            return -1;
        if (c->json[*pos] == ',') {
            (*pos)++;
            continue;
        }
        if (c->json[*pos] != ']')
            return -1;
        (*pos)++;
        break;
    }
done:
    ts_out_char(c->out, ']');
    *emitted = any || st->included;
    if (!*emitted)
        c->out->len = mark;
    return 0;
}

static int
walk(struct fctx *c, size_t *pos, const struct ts_filter_state *st,
     bool *emitted)
{
    size_t start;
    enum ts_json_kind kind;
    struct ts_json_err err;

    *emitted = false;
    if (skip_ws_at(c, pos) != 0)
        return -1;
    if (c->json[*pos] == '{' && !(st->included && !excl_alive(c->f, st)))
        return walk_object(c, pos, st, emitted);
    if (c->json[*pos] == '[' && !(st->included && !excl_alive(c->f, st)))
        return walk_array(c, pos, st, emitted);
    start = *pos;
    if (ts_json_skip_value(c->json, c->len, pos, &kind, &err) != 0)
        return -1;
    if (st->included) {
        ts_out_put(c->out, c->json + start, *pos - start);
        *emitted = true;
    }
    return 0;
}

int
ts_filter_compile(struct ts_filter *f, const char *filter, size_t len)
{
    memset(f, 0, sizeof(*f));
    return parse_filter(f, filter, len);
}

void
ts_filter_root(const struct ts_filter *f, struct ts_filter_state *st)
{
    memset(st, 0, sizeof(*st));
    for (int i = 0; i < f->npat; i++)
        st->mask[i] = closure(&f->pats[i], 1u);
    st->included = !f->any_include;
}

bool
ts_filter_child(const struct ts_filter *f, const struct ts_filter_state *st,
                const char *key, size_t kn, struct ts_filter_state *ch)
{
    return child_state(f, st, key, kn, ch);
}

int
ts_filter_value(const struct ts_filter *f, const struct ts_filter_state *st,
                const char *json, size_t len, struct ts_out *out, bool *emitted)
{
    struct fctx c;
    size_t pos = 0;

    c.f = f;
    c.json = json;
    c.len = len;
    c.out = out;
    *emitted = false;
    return walk(&c, &pos, st, emitted);
}

int
ts_filter_apply(const char *filter, size_t filter_len, const char *json,
                size_t len, struct ts_out *out)
{
    struct ts_filter f;
    struct ts_filter_state root;
    bool emitted = false;

    if (ts_filter_compile(&f, filter, filter_len) != 0)
        return -1;
    ts_filter_root(&f, &root);
    if (ts_filter_value(&f, &root, json, len, out, &emitted) != 0)
        return -1;
    if (!emitted)
        ts_out_str(out, "{}");
    return 0;
}
