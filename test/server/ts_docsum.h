/*
 * ts_docsum.h
 *    The per-document checksum es-test-server keeps for every live document,
 *    so that tests can check that what arrived is exactly what was sent.
 *
 * The server sums ts_docsum() over the live documents of an index (mod
 * 2^64), which makes the total independent of arrival order, retries and
 * worker count.  Loader tests link this module and compute the expected sum
 * from their input files.
 *
 * The hash is XXH64 (Yann Collet's xxHash, 64-bit variant, as specified in
 * https://github.com/Cyan4973/xxHash/blob/dev/doc/xxhash_spec.md), written
 * from that specification; it reads 8 bytes at a time.
 */
#ifndef TS_DOCSUM_H
#define TS_DOCSUM_H

#include <stddef.h>
#include <stdint.h>

/* XXH64 of len bytes at data with the given seed. */
uint64_t ts_xxh64(const void *data, size_t len, uint64_t seed);

/*
 * The contribution of one document:
 *     fmix64(XXH64(source, seed 0) ^ XXH64(id, seed 1))
 * where fmix64 is MurmurHash3's 64-bit finaliser.  source is the source
 * line exactly as sent, without its '\n' and without a trailing '\r'.
 * With id_len 0 the value depends on the source only (the server's
 * source_checksum).  The id and the source are mixed, so moving a source
 * to another id changes the sum; each is hashed once, so the server can
 * reuse the id's hash for its id table.
 */
uint64_t ts_docsum(const char *id, size_t id_len, const char *source,
                   size_t source_len);

/* The same from the two hashes: ts_docsum_mix(XXH64(src,0), XXH64(id,1)). */
uint64_t ts_docsum_mix(uint64_t source_hash, uint64_t id_hash);

#endif
