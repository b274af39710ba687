/*
 * ts_filter.h
 *    ES response filtering (?filter_path=...) over a JSON body the server
 *    has already produced, or piece by piece while producing it.
 *
 * Semantics follow ES's FilterPath: a comma list of dotted paths; '*'
 * inside a segment matches any characters of one key, a '**' segment
 * matches any number of levels, a leading '-' makes the path an exclusion.
 * Arrays are transparent.  Objects and arrays left empty by the filter are
 * dropped; if nothing matches at all the result is "{}".
 *
 * Besides filtering a whole body (ts_filter_apply), a compiled filter can
 * be walked key by key (ts_filter_child) and any value filtered from the
 * state reached so far (ts_filter_value), which lets _bulk filter each
 * item as it writes it instead of filtering an 11 MB response afterwards.
 */
#ifndef TS_FILTER_H
#define TS_FILTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ts_out.h"

#define TS_FILTER_PATTERNS 16
#define TS_FILTER_SEGS 16

struct ts_filter_seg {
    const char *s;
    size_t n;
};

struct ts_filter_pattern {
    struct ts_filter_seg segs[TS_FILTER_SEGS];
    int nseg;
    bool exclude;
};

/* A compiled filter; it points into the filter text, which must outlive it. */
struct ts_filter {
    struct ts_filter_pattern pats[TS_FILTER_PATTERNS];
    int npat;
    bool any_include;
};

/* Where a walk stands: the pattern positions reached, per pattern. */
struct ts_filter_state {
    uint32_t mask[TS_FILTER_PATTERNS];
    bool included; /* the whole subtree matched an include */
};

/* Compiles filter[0..len).  Returns 0, or -1 if the filter is invalid. */
int ts_filter_compile(struct ts_filter *f, const char *filter, size_t len);

/* The state at the top of the body. */
void ts_filter_root(const struct ts_filter *f, struct ts_filter_state *st);

/*
 * The state of the object member key[0..kn) (raw, as between its quotes)
 * below st.  False if the member is dropped whatever its value.
 */
bool ts_filter_child(const struct ts_filter *f,
                     const struct ts_filter_state *st, const char *key,
                     size_t kn, struct ts_filter_state *ch);

/*
 * Writes the value json[0..len) as filtered from state st (the state of
 * the member or array holding it) to out, compactly; *emitted tells
 * whether anything was written.  Returns 0, or -1 if the JSON is invalid.
 */
int ts_filter_value(const struct ts_filter *f, const struct ts_filter_state *st,
                    const char *json, size_t len, struct ts_out *out,
                    bool *emitted);

/*
 * Writes json[0..len) filtered by filter (the decoded parameter value) to
 * out, compactly.  Returns 0, or -1 if the filter or the JSON is invalid.
 */
int ts_filter_apply(const char *filter, size_t filter_len, const char *json,
                    size_t len, struct ts_out *out);

#endif
