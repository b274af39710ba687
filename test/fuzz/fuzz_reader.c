/*
 * fuzz_reader.c
 *    libFuzzer target for the record reader (reader.c): the NDJSON and
 *    CSV splitters and the ownership rule of byte ranges.
 *
 * Input: three option bytes (format, max_record_bytes 1..32, chunk 1..16,
 * or 37 and 61 times as much, a range width 1..16, a seed for random cuts
 * and for which line numbers to ask), then the file content.
 * The content is written to one temporary file per process (rewritten
 * for each input).  A small independent model (below) computes the
 * records of the whole file; then the file is read
 *  - as one range, as a stream, and gzip-compressed,
 *  - as ranges of a fixed width, in order, with one shared checkpoint,
 *  - as ranges between random cuts, in reverse order, sharing a
 *    checkpoint (so it is often past lo-1 and must not be used),
 *  - as the same random ranges without a checkpoint,
 * and every one of these must return exactly the model's records (offset,
 * data or too-long length, line number, header flag), each record from
 * the range holding its first byte.  Any difference aborts.
 */
#include "forkbulk/file_reader.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "fuzz.h"

#define MAX_CUTS 24

struct model_rec {
    uint64_t offset;
    size_t skip; /* a byte-order mark before the first record's data */
    size_t len;
    int too_long;
    int is_header;
    uint64_t line;
};

struct model {
    struct model_rec *recs;
    size_t n;
};

static int
blank(const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (strchr(" \t\r\v\f", p[i]) == NULL || p[i] == '\0')
            return 0;
    return 1;
}

/* The records of the whole file, straight from file_reader.h's rules. */
static void
model_build(struct model *m, const char *c, size_t n, int csv, size_t max_rec)
{
    size_t pos = 0;
    uint64_t line = 1;

    m->n = 0;
    m->recs = malloc((n + 1) * sizeof(*m->recs));
    CHECK(m->recs != NULL);
    while (pos < n) {
        size_t start = pos;
        size_t end = pos;
        uint64_t nl_inside = 0;
        int q = 0;
        int found = 0;
        size_t raw;

        for (; end < n; end++) {
            if (csv && c[end] == '"')
                q ^= 1;
            if (c[end] == '\n') {
                if (!q) {
                    found = 1;
                    break;
                }
                nl_inside++;
            }
        }
        raw = end - start;
        if (raw > max_rec) {
            m->recs[m->n++] =
                (struct model_rec){start, 0, raw, 1, csv && start == 0, line};
        } else {
            size_t len = raw;
            size_t skip =
                start == 0 && len >= 3 && memcmp(c, "\xEF\xBB\xBF", 3) == 0 ? 3
                                                                            : 0;

            if (len > 0 && c[start + len - 1] == '\r')
                len--;
            if (len >= skip && !blank(c + start + skip, len - skip))
                m->recs[m->n++] = (struct model_rec){
                    start, skip, len - skip, 0, csv && start == 0, line};
        }
        line += nl_inside + (uint64_t)found;
        pos = end + 1;
    }
}

/* Which records a pass asks the line number of: all, none, or those at
 * some positions (NDJSON counts the prefix only when asked, and keeps its
 * checkpoint only then). */
static unsigned ask_mask = ~0u;

/* Reads [lo, hi) and checks its records against the model, from *next
 * on; advances *next past them. */
static void
read_range(struct fb_reader *r, const struct model *m, const char *c,
           uint64_t lo, uint64_t hi, struct fb_scan_state *ck, size_t *next)
{
    struct fb_record rec;
    enum fb_read_result res;

    CHECK(fb_reader_begin(r, lo, hi, ck) == 0);
    while ((res = fb_reader_next(r, &rec)) == FB_READ_RECORD) {
        const struct model_rec *e = NULL;

        CHECK(*next < m->n);
        e = &m->recs[*next];
        if (rec.offset != e->offset)
            fprintf(stderr,
                    "fuzz_reader: [%llu,%llu) got offset %llu, "
                    "expected %llu\n",
                    (unsigned long long)lo, (unsigned long long)hi,
                    (unsigned long long)rec.offset,
                    (unsigned long long)e->offset);
        CHECK(rec.offset == e->offset);
        CHECK(rec.offset >= lo && rec.offset < hi);
        CHECK(rec.too_long == e->too_long);
        CHECK(rec.len == e->len);
        CHECK(rec.is_header == e->is_header);
        if (e->too_long)
            CHECK(rec.data == NULL);
        else
            CHECK(rec.data != NULL &&
                  (e->len == 0 ||
                   memcmp(rec.data, c + e->offset + e->skip, e->len) == 0));
        CHECK(rec.line == 0 || rec.line == e->line);
        if (ask_mask >> (*next % 32) & 1)
            CHECK(fb_reader_line(r, &rec) == e->line);
        (*next)++;
    }
    CHECK(res == FB_READ_END);
    CHECK(fb_reader_next(r, &rec) == FB_READ_END);
}

/* Sorted distinct cut points in (0, n), from a seed. */
static size_t
random_cuts(uint64_t *cuts, size_t n, uint32_t seed)
{
    size_t k = 0;

    if (n < 2)
        return 0;
    for (size_t i = 0; i < (seed & 15) + 1 && k < MAX_CUTS; i++) {
        seed = seed * 1103515245u + 12345u;
        cuts[k++] = 1 + (seed >> 8) % (n - 1);
    }
    for (size_t i = 1; i < k; i++)
        for (size_t j = i; j > 0 && cuts[j - 1] > cuts[j]; j--) {
            uint64_t t = cuts[j];

            cuts[j] = cuts[j - 1];
            cuts[j - 1] = t;
        }
    {
        size_t w = 0;

        for (size_t i = 0; i < k; i++)
            if (w == 0 || cuts[i] != cuts[w - 1])
                cuts[w++] = cuts[i];
        k = w;
    }
    return k;
}

/* The ranges between the cuts, read last to first; the records of each
 * range are checked from where the model says that range starts. */
static void
read_reverse(struct fb_reader *r, const struct model *m, const char *c,
             size_t n, const uint64_t *cuts, size_t k, struct fb_scan_state *ck)
{
    uint64_t b[MAX_CUTS + 2];
    size_t total = 0;

    b[0] = 0;
    for (size_t i = 0; i < k; i++)
        b[i + 1] = cuts[i];
    b[k + 1] = n;
    for (size_t i = k + 1; i-- > 0;) {
        uint64_t lo = b[i];
        uint64_t hi = i == k ? FB_RANGE_END : b[i + 1];
        size_t first = 0;
        size_t next;

        while (first < m->n && m->recs[first].offset < lo)
            first++;
        next = first;
        read_range(r, m, c, lo, hi, ck, &next);
        /* Exactly the model's records that start in the range. */
        CHECK(next == m->n || m->recs[next].offset >= hi);
        total += next - first;
    }
    CHECK(total == m->n);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int fd = -1;
    static int gzfd = -1;
    static char path[64];
    static char gzpath[64];
    gzFile gz = NULL;
    struct fb_reader_opts o;
    struct fb_reader *r = NULL;
    struct fb_scan_state ck;
    struct model m = {NULL, 0};
    struct fb_record rec;
    uint64_t cuts[MAX_CUTS];
    const char *c;
    size_t n;
    size_t width;
    size_t next;
    size_t k;
    uint32_t seed;
    int csv;

    if (size < 3)
        return 0;
    csv = data[0] & 1;
    o.format = csv ? FB_FORMAT_CSV : FB_FORMAT_NDJSON;
    o.max_record_bytes = 1 + (size_t)(data[0] >> 1 & 31);
    o.chunk_bytes = 1 + (size_t)(data[1] & 15);
    if (data[2] & 0x80) {
        /* Now and then records and reads of a more usual size. */
        o.max_record_bytes *= 37;
        o.chunk_bytes *= 61;
    }
    width = 1 + (size_t)(data[1] >> 4);
    seed = data[2];
    c = (const char *)data + 3;
    n = size - 3;

    if (fd < 0) {
        char tmpl[] = "/tmp/fuzz_reader.XXXXXX";
        char gztmpl[] = "/tmp/fuzz_reader_gz.XXXXXX";

        fd = mkstemp(tmpl);
        CHECK(fd >= 0);
        unlink(tmpl);
        snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
        gzfd = mkstemp(gztmpl);
        CHECK(gzfd >= 0);
        unlink(gztmpl);
        snprintf(gzpath, sizeof(gzpath), "/proc/self/fd/%d", gzfd);
    }
    CHECK(ftruncate(fd, 0) == 0);
    CHECK(pwrite(fd, c, n, 0) == (ssize_t)n);

    model_build(&m, c, n, csv, o.max_record_bytes);
    r = fb_reader_new(&o);
    CHECK(r != NULL);
    CHECK(fb_reader_open_file(r, path) == 0);

    /* One range. */
    next = 0;
    read_range(r, &m, c, 0, FB_RANGE_END, NULL, &next);
    CHECK(next == m.n);

    /* Fixed width, in order, one checkpoint; the last range runs on. */
    ask_mask = seed & 1 ? 0x92492492u * (seed >> 1 & 3) : ~0u;
    fb_scan_state_init(&ck);
    next = 0;
    for (uint64_t lo = 0; lo < n; lo += width) {
        uint64_t hi = lo + width >= n ? FB_RANGE_END : lo + width;

        read_range(r, &m, c, lo, hi, &ck, &next);
    }
    CHECK(next == m.n);
    /* A range past the end has nothing. */
    read_range(r, &m, c, n + 1, n + 9, &ck, &next);

    /* Random cuts, backwards, with and without a checkpoint. */
    k = random_cuts(cuts, n, seed * 2654435761u + (uint32_t)n);
    fb_scan_state_init(&ck);
    read_reverse(r, &m, c, n, cuts, k, &ck);
    read_reverse(r, &m, c, n, cuts, k, NULL);
    ask_mask = ~0u;

    /* CSV header: the first line, when it is a record of its own. */
    if (csv && m.n > 0 && m.recs[0].offset == 0 && !m.recs[0].too_long) {
        char hdr[2048]; /* more than any max_record_bytes here */
        size_t hlen = 0;
        size_t raw;

        const size_t skip = m.recs[0].skip; /* a byte-order mark */
        const size_t end = skip + m.recs[0].len;

        CHECK(fb_reader_read_header(r, hdr, sizeof(hdr), &hlen) == 0);
        CHECK(hlen == m.recs[0].len && memcmp(hdr, c + skip, hlen) == 0);
        /* A buffer of exactly the line's size is enough; one less is not. */
        raw = end + (end < n && c[end] == '\r');
        hlen = 0;
        CHECK(fb_reader_read_header(r, hdr, raw, &hlen) == 0);
        CHECK(hlen == m.recs[0].len && memcmp(hdr, c + skip, hlen) == 0);
        if (raw > 1)
            CHECK(fb_reader_read_header(r, hdr, raw - 1, &hlen) == -1);
    }

    /* As a stream. */
    CHECK(lseek(fd, 0, SEEK_SET) == 0);
    CHECK(fb_reader_open_stream(r, fd) == 0);
    next = 0;
    read_range(r, &m, c, 0, FB_RANGE_END, NULL, &next);
    CHECK(next == m.n);
    CHECK(fb_reader_begin(r, 0, FB_RANGE_END, NULL) == -1);
    CHECK(fb_reader_next(r, &rec) == FB_READ_END);

    /* Compressed: offsets are those of the decompressed data. */
    gz = gzopen(gzpath, "wb1");
    CHECK(gz != NULL);
    CHECK(n == 0 || gzwrite(gz, c, (unsigned)n) == (int)n);
    CHECK(gzclose(gz) == Z_OK);
    CHECK(fb_reader_open_gzip(r, gzpath) == 0);
    next = 0;
    read_range(r, &m, c, 0, FB_RANGE_END, NULL, &next);
    CHECK(next == m.n);

    fb_reader_free(r);
    free(m.recs);
    return 0;
}
