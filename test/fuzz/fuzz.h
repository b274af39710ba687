/*
 * fuzz.h
 *    What every libFuzzer target here shares: the entry point's prototype
 *    and CHECK, the invariant check.
 *
 * A broken invariant aborts, which libFuzzer reports as a crash and keeps
 * the input for; the message starts with FUZZ_TARGET (the target's name,
 * set by CMakeLists.txt), which scripts/fuzz.sh picks out of the log.
 */
#ifndef FB_FUZZ_H
#define FB_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#ifndef FUZZ_TARGET
#error "FUZZ_TARGET must name the target (test/fuzz/CMakeLists.txt sets it)"
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                            \
    do {                                                                       \
        if (!(cond)) {                                                         \
            fprintf(stderr, FUZZ_TARGET ": %s:%d: %s\n", __FILE__, __LINE__,   \
                    #cond);                                                    \
            abort();                                                           \
        }                                                                      \
    } while (0)

#endif
