/*
 * testutil.c
 *    What the unit tests share.
 */
#include "testutil.h"

uint64_t
testutil_rng(uint64_t *state)
{
    /* Vigna's xorshift64*: shifts 12, 25, 27 and his multiplier. */
    *state ^= *state >> 12;
    *state ^= *state << 25;
    *state ^= *state >> 27;
    return *state * UINT64_C(2685821657736338717);
}
