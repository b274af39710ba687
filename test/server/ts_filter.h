/*
 * ts_filter.h
 *    ES response filtering (?filter_path=...) over a JSON body the server
 *    has already produced.
 *
 * Semantics follow ES's FilterPath: a comma list of dotted paths; '*'
 * inside a segment matches any characters of one key, a '**' segment
 * matches any number of levels, a leading '-' makes the path an exclusion.
 * Arrays are transparent.  Objects and arrays left empty by the filter are
 * dropped; if nothing matches at all the result is "{}".
 */
#ifndef TS_FILTER_H
#define TS_FILTER_H

#include <stddef.h>

#include "ts_out.h"

/*
 * Writes json[0..len) filtered by filter (the decoded parameter value) to
 * out, compactly.  Returns 0, or -1 if the filter or the JSON is invalid.
 */
int ts_filter_apply(const char *filter, size_t filter_len, const char *json,
                    size_t len, struct ts_out *out);

#endif
