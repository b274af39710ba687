/*
 * testutil.h
 *    What the unit tests share (linked into every test/unit program and
 *    the test programs of test/server).
 */
#ifndef FB_TESTUTIL_H
#define FB_TESTUTIL_H

#include <stdint.h>

/*
 * The next number of a xorshift64* generator whose state is *state (any
 * value but 0), advancing it: a small deterministic PRNG, so a random case
 * that fails fails again with the same seed.
 */
uint64_t testutil_rng(uint64_t *state);

#endif
