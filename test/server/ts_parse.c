/*
 * ts_parse.c
 *    Whole numbers from the command line and from headers.
 */
#include "ts_parse.h"

#include <errno.h>
#include <stdlib.h>

bool
ts_parse_u64(const char *s, uint64_t max, uint64_t *out)
{
    char *end = NULL;
    unsigned long long v;

    /* strtoull would take leading space, a sign, and "-1" as a maximum. */
    if (s == NULL || *s < '0' || *s > '9')
        return false;
    errno = 0;
    v = strtoull(s, &end, 10);
    if (errno != 0 || *end != '\0' || v > max)
        return false;
    *out = v;
    return true;
}
