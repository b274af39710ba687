/*
 * pgutil.c
 *    Helpers shared by the PostgreSQL modules.
 */
#include "forkbulk/pgutil.h"

void
fb_pg_flatten(char *s)
{
    char *w = s;
    const char *r = s;

    for (; *r != '\0'; r++) {
        if (*r == '\n' || *r == '\t' || *r == '\r') {
            if (w > s && w[-1] != ' ')
                *w++ = ' ';
            continue;
        }
        *w++ = *r;
    }
    while (w > s && w[-1] == ' ')
        w--;
    *w = '\0';
}
