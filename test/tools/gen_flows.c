/*
 * gen_flows.c
 *    Writes an hour of synthetic network flows, as NDJSON or CSV, fast and
 *    deterministically (same seed, same bytes), for the demo, tests and
 *    benchmarks.
 *
 *    fb-gen-flows [--count N] [--hour 2026-11-27T03] [--seed S]
 *                 [--format ndjson|csv] [--output FILE]
 *
 * The shape is DESIGN.md's flow record: ts, src_ip/dst_ip (v4, one in ten
 * v6), ports, proto, bytes, packets, tcp_flags, in_if/out_if and a unique
 * integer "id".  Timestamps spread evenly over the hour.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t state;

static uint64_t
next(void)
{
    /* splitmix64: fast, and good enough for test data. */
    uint64_t z = (state += 0x9E3779B97F4A7C15ull);

    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static unsigned
below(unsigned n)
{
    return (unsigned)(next() % n);
}

static void
ip(char *out, size_t cap, int v6)
{
    if (v6)
        snprintf(out, cap, "2001:db8:%x::%x", below(65536), below(65536));
    else
        snprintf(out, cap, "10.%u.%u.%u", below(256), below(256),
                 1 + below(254));
}

int
main(int argc, char **argv)
{
    uint64_t count = 7850484;
    const char *hour = "2026-11-27T03";
    const char *format = "ndjson";
    const char *output = NULL;
    FILE *out = stdout;
    static const unsigned ports[] = {53, 80, 443, 22, 123, 3306, 5432, 8080};
    static const unsigned protos[] = {6, 6, 6, 17, 17, 1};
    int csv;

    state = 1;
    for (int i = 1; i < argc; i += 2) {
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;

        if (v == NULL) {
            fprintf(stderr, "fb-gen-flows: %s needs a value\n", argv[i]);
            return 64;
        }
        if (strcmp(argv[i], "--count") == 0)
            count = strtoull(v, NULL, 10);
        else if (strcmp(argv[i], "--hour") == 0)
            hour = v;
        else if (strcmp(argv[i], "--seed") == 0)
            state = strtoull(v, NULL, 10);
        else if (strcmp(argv[i], "--format") == 0)
            format = v;
        else if (strcmp(argv[i], "--output") == 0)
            output = v;
        else {
            fprintf(stderr, "usage: fb-gen-flows [--count N] [--hour H] "
                            "[--seed S] [--format ndjson|csv] "
                            "[--output FILE]\n");
            return 64;
        }
    }
    csv = strcmp(format, "csv") == 0;
    if (!csv && strcmp(format, "ndjson") != 0) {
        fprintf(stderr, "fb-gen-flows: --format must be ndjson or csv\n");
        return 64;
    }
    if (output != NULL && (out = fopen(output, "w")) == NULL) {
        perror(output);
        return 73;
    }
    if (csv)
        fputs("id,ts,src_ip,dst_ip,src_port,dst_port,proto,bytes,packets,"
              "tcp_flags,in_if,out_if\n",
              out);
    for (uint64_t i = 0; i < count; i++) {
        /* Evenly over the hour, in milliseconds. */
        uint64_t ms = count > 0 ? i * 3600000ull / count : 0;
        char src[48], dst[48];
        int v6 = below(10) == 0;
        unsigned proto = protos[below(6)];

        ip(src, sizeof(src), v6);
        ip(dst, sizeof(dst), v6);
        if (csv)
            fprintf(out,
                    "%" PRIu64 ",%s:%02u:%02u.%03uZ,%s,%s,%u,%u,%u,%u,%u,%u,"
                    "%u,%u\n",
                    i, hour, (unsigned)(ms / 60000), (unsigned)(ms / 1000 % 60),
                    (unsigned)(ms % 1000), src, dst, 1024 + below(64512),
                    ports[below(8)], proto, 40 + below(1u << 20),
                    1 + below(1000), proto == 6 ? below(64) : 0, 1 + below(48),
                    1 + below(48));
        else
            fprintf(out,
                    "{\"id\":%" PRIu64 ",\"ts\":\"%s:%02u:%02u.%03uZ\","
                    "\"src_ip\":\"%s\",\"dst_ip\":\"%s\",\"src_port\":%u,"
                    "\"dst_port\":%u,\"proto\":%u,\"bytes\":%u,"
                    "\"packets\":%u,\"tcp_flags\":%u,\"in_if\":%u,"
                    "\"out_if\":%u}\n",
                    i, hour, (unsigned)(ms / 60000), (unsigned)(ms / 1000 % 60),
                    (unsigned)(ms % 1000), src, dst, 1024 + below(64512),
                    ports[below(8)], proto, 40 + below(1u << 20),
                    1 + below(1000), proto == 6 ? below(64) : 0, 1 + below(48),
                    1 + below(48));
    }
    if (fflush(out) != 0 || ferror(out)) {
        perror("fb-gen-flows: write");
        return 74;
    }
    if (out != stdout)
        fclose(out);
    return 0;
}
