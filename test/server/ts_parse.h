/*
 * ts_parse.h
 *    Whole numbers from the command line and from headers, strictly: the
 *    server's flags, its Content-Length and es-bench-client's flags take
 *    the same syntax.
 */
#ifndef TS_PARSE_H
#define TS_PARSE_H

#include <stdbool.h>
#include <stdint.h>

/*
 * Parses s as a plain decimal number: one or more digits and nothing else
 * (no sign, no space, no unit), at most max.  Returns false for anything
 * else, NULL included, and then leaves *out alone.
 */
bool ts_parse_u64(const char *s, uint64_t max, uint64_t *out);

#endif
