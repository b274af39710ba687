/*
 * test_file_reader.c
 *    The record reader: every record returned by exactly one range for any
 *    partition, with the right offset, content and line number, compared
 *    against a plain whole-file split; too-long records; CSV quoted
 *    newlines; checkpoints; gzip and stream inputs; the header; identity.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "forkbulk/file_reader.h"

#include "testutil.h"

#define MAX_FILE 4096
#define MAX_RECS 4096

struct ref_rec {
    uint64_t off;
    size_t len;
    uint64_t line;
    int too_long;
};

struct ref {
    struct ref_rec recs[MAX_RECS];
    size_t n;
};

static uint64_t rng_state;

static size_t
rnd(size_t n)
{
    return (size_t)(testutil_rng(&rng_state) % n);
}

/*
 * The reference: split the whole file in one pass, the obvious way.  A
 * record ends at '\n' (CSV: at a '\n' with an even number of '"' since the
 * record started).
 */
static void
ref_split(const char *d, size_t n, enum fb_format fmt, size_t max_rec,
          struct ref *ref)
{
    size_t start = 0;
    uint64_t line = 1;

    ref->n = 0;
    while (start < n) {
        size_t end = start;
        int q = 0;
        uint64_t nl = 0;
        size_t len;
        size_t i;
        int blank = 1;

        while (end < n) {
            if (d[end] == '"' && fmt == FB_FORMAT_CSV)
                q ^= 1;
            else if (d[end] == '\n' && !q)
                break;
            else if (d[end] == '\n')
                nl++;
            end++;
        }
        len = end - start;
        if (len > max_rec) {
            ref->recs[ref->n].off = start;
            ref->recs[ref->n].len = len;
            ref->recs[ref->n].line = line;
            ref->recs[ref->n].too_long = 1;
            ref->n++;
        } else {
            if (len > 0 && d[start + len - 1] == '\r')
                len--;
            for (i = start; i < start + len; i++)
                if (strchr(" \t\r\v\f", d[i]) == NULL || d[i] == '\0')
                    blank = 0;
            if (!blank) {
                ref->recs[ref->n].off = start;
                ref->recs[ref->n].len = len;
                ref->recs[ref->n].line = line;
                ref->recs[ref->n].too_long = 0;
                ref->n++;
            }
        }
        line += nl + (end < n ? 1 : 0);
        start = end + 1;
    }
}

static void
write_file(const char *path, const char *d, size_t n)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

    assert_true(fd >= 0);
    assert_int_equal(write(fd, d, n), (ssize_t)n);
    assert_int_equal(close(fd), 0);
}

static void
temp_path(char *path, size_t cap)
{
    int fd;

    snprintf(path, cap, "/tmp/fb_test_reader_XXXXXX");
    fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
}

/* Random NDJSON-ish content: empty, blank, short, long lines, CRLF. */
static size_t
gen_ndjson(char *d, size_t cap, size_t max_rec)
{
    size_t n = 0;
    size_t lines = 1 + rnd(60);
    size_t k;

    for (k = 0; k < lines; k++) {
        size_t kind = rnd(20);
        size_t len = 0;
        size_t i;

        if (kind < 3)
            len = 0; /* empty line */
        else if (kind < 4)
            len = 1 + rnd(4); /* whitespace only */
        else if (kind < 7)
            len = max_rec + rnd(3 * max_rec + 2) - 1; /* around / too long */
        else
            len = 1 + rnd(max_rec);
        if (n + len + 2 > cap)
            break;
        for (i = 0; i < len; i++) {
            if (kind >= 3 && kind < 4)
                d[n++] = " \t\r"[rnd(3)];
            else
                d[n++] = "{}abc:,\" 09\t"[rnd(12)];
        }
        if (rnd(5) == 0)
            d[n++] = '\r';
        d[n++] = '\n';
    }
    if (n > 0 && rnd(3) == 0)
        n--; /* no final newline */
    return n;
}

/* Random CSV: quoted fields with "", ',', '\n' and "\r\n" inside. */
static size_t
gen_csv(char *d, size_t cap, int allow_bare_quote)
{
    size_t n = 0;
    size_t recs = 1 + rnd(40);
    size_t k;

    for (k = 0; k < recs; k++) {
        size_t fields = 1 + rnd(4);
        size_t f;

        if (k > 0 && rnd(8) == 0) {
            if (n + 2 > cap)
                break;
            d[n++] = '\n'; /* empty line */
            continue;
        }
        for (f = 0; f < fields; f++) {
            size_t len = rnd(12);
            size_t i;

            if (n + 3 * len + 8 > cap)
                goto done;
            if (f > 0)
                d[n++] = ',';
            if (rnd(2) == 0) {
                d[n++] = '"';
                for (i = 0; i < len; i++) {
                    size_t c = rnd(10);

                    if (c == 0) {
                        d[n++] = '"';
                        d[n++] = '"';
                    } else if (c == 1) {
                        d[n++] = '\n';
                    } else if (c == 2) {
                        d[n++] = '\r';
                        d[n++] = '\n';
                    } else if (c == 3) {
                        d[n++] = ',';
                    } else {
                        d[n++] = "xyz 1"[rnd(5)];
                    }
                }
                d[n++] = '"';
            } else {
                for (i = 0; i < len; i++)
                    d[n++] = "abc 12."[rnd(7)];
                if (allow_bare_quote && rnd(50) == 0)
                    d[n++] = '"';
            }
        }
        if (rnd(4) == 0)
            d[n++] = '\r';
        d[n++] = '\n';
    }
done:
    if (n > 0 && d[n - 1] == '\n' && rnd(3) == 0)
        n--;
    return n;
}

/*
 * Reads the ranges [cuts[i], cuts[i+1]) in the order given by order[] and
 * checks the union against the reference: each record exactly once.
 */
static void
check_partition(const char *path, const char *d, size_t n, enum fb_format fmt,
                size_t max_rec, size_t chunk, const uint64_t *cuts,
                size_t nranges, const size_t *order, int use_ckpt,
                int ask_lines, const struct ref *ref, uint64_t seed)
{
    struct fb_reader_opts opts = {fmt, max_rec, chunk};
    struct fb_reader *r = fb_reader_new(&opts);
    struct fb_scan_state ck;
    unsigned char *seen = calloc(ref->n + 1, 1);
    size_t total = 0;
    size_t k;
    int increasing = 1;

    assert_non_null(r);
    assert_non_null(seen);
    fb_scan_state_init(&ck);
    assert_int_equal(fb_reader_open_file(r, path), 0);
    for (k = 0; k + 1 < nranges; k++)
        if (order[k] > order[k + 1])
            increasing = 0;
    for (k = 0; k < nranges; k++) {
        size_t ri = order[k];
        uint64_t lo = cuts[ri];
        uint64_t hi = cuts[ri + 1];
        struct fb_record rec;
        enum fb_read_result res;
        size_t idx = 0;
        uint64_t before;

        /* Records of this range: those of the reference with lo<=off<hi. */
        while (idx < ref->n && ref->recs[idx].off < lo)
            idx++;
        assert_int_equal(fb_reader_begin(r, lo, hi, use_ckpt ? &ck : NULL), 0);
        before = fb_reader_prefix_bytes(r);
        while ((res = fb_reader_next(r, &rec)) == FB_READ_RECORD) {
            const struct ref_rec *e = &ref->recs[idx];

            if (idx >= ref->n || e->off >= hi || rec.offset != e->off ||
                rec.len != e->len || rec.too_long != e->too_long)
                fail_msg("seed %llu range [%llu,%llu): got off %llu len %zu "
                         "too_long %d, want off %llu len %zu too_long %d",
                         (unsigned long long)seed, (unsigned long long)lo,
                         (unsigned long long)hi, (unsigned long long)rec.offset,
                         rec.len, rec.too_long,
                         idx < ref->n ? (unsigned long long)e->off : 0ULL,
                         idx < ref->n ? e->len : 0,
                         idx < ref->n ? e->too_long : -1);
            if (rec.too_long)
                assert_null(rec.data);
            else
                assert_memory_equal(rec.data, d + e->off, e->len);
            assert_int_equal(rec.is_header,
                             fmt == FB_FORMAT_CSV && e->off == 0);
            /* NDJSON must not count the prefix until asked. */
            if (fmt == FB_FORMAT_NDJSON && lo > 1 && !use_ckpt &&
                fb_reader_prefix_bytes(r) == before)
                assert_int_equal(rec.line, 0);
            if (ask_lines == 1 || (ask_lines == 2 && rnd(3) == 0)) {
                if (fb_reader_line(r, &rec) != e->line)
                    fail_msg("seed %llu: line of offset %llu is %llu, want "
                             "%llu",
                             (unsigned long long)seed,
                             (unsigned long long)e->off,
                             (unsigned long long)rec.line,
                             (unsigned long long)e->line);
            } else if (rec.line != 0) {
                assert_int_equal(rec.line, e->line);
            }
            assert_int_equal(seen[idx], 0);
            seen[idx] = 1;
            idx++;
            total++;
        }
        assert_int_equal(res, FB_READ_END);
        /* Nothing of this range was left unread. */
        if (idx < ref->n && ref->recs[idx].off < hi)
            fail_msg("seed %llu range [%llu,%llu) missed offset %llu",
                     (unsigned long long)seed, (unsigned long long)lo,
                     (unsigned long long)hi,
                     (unsigned long long)ref->recs[idx].off);
        assert_int_equal(fb_reader_next(r, &rec), FB_READ_END);
    }
    assert_int_equal(total, ref->n);
    /* Increasing ranges with one checkpoint: each prefix byte is scanned at
     * most once in total. */
    if (use_ckpt && increasing && fb_reader_prefix_bytes(r) > n)
        fail_msg("seed %llu: prefix scans read %llu bytes of a %zu-byte file",
                 (unsigned long long)seed,
                 (unsigned long long)fb_reader_prefix_bytes(r), n);
    free(seen);
    fb_reader_free(r);
}

static size_t
make_cuts(size_t n, uint64_t *cuts, size_t cap)
{
    size_t mode = rnd(4);
    size_t k = 0;
    size_t i;

    cuts[k++] = 0;
    if (mode == 0 && n <= 600 && n + 1 < cap) {
        for (i = 1; i <= n; i++)
            cuts[k++] = i; /* every range one byte long */
    } else if (mode == 1) {
        size_t step = 1 + rnd(40);

        for (i = step; i < n && k + 1 < cap; i += step)
            cuts[k++] = i;
    } else {
        size_t m = rnd(12);
        uint64_t prev = 0;

        for (i = 0; i < m && k + 1 < cap; i++) {
            uint64_t c = prev + rnd(n / (m + 1) + 2);

            if (c > n)
                break;
            cuts[k++] = c; /* may repeat: empty ranges */
            prev = c;
        }
    }
    /* The last range sometimes ends past the end of the file. */
    cuts[k++] = mode == 3 ? n + 1 + rnd(100) : n;
    return k - 1;
}

static void
run_property(enum fb_format fmt, int iterations, int bare_quotes)
{
    static char d[MAX_FILE];
    static struct ref ref;
    static uint64_t cuts[MAX_FILE + 2];
    static size_t order[MAX_FILE + 1];
    char path[64];
    int it;

    temp_path(path, sizeof(path));
    for (it = 0; it < iterations; it++) {
        uint64_t seed = 0x9e3779b97f4a7c15ULL * (uint64_t)(it + 1) +
                        (uint64_t)fmt * 1000003u + (uint64_t)bare_quotes;
        size_t max_rec;
        size_t chunk;
        size_t n;
        size_t nranges;
        size_t i;
        int pass;

        rng_state = seed;
        max_rec = 4 + rnd(40);
        chunk = 1 + rnd(24);
        n = fmt == FB_FORMAT_NDJSON ? gen_ndjson(d, sizeof(d), max_rec)
                                    : gen_csv(d, 1500, bare_quotes);
        write_file(path, d, n);
        ref_split(d, n, fmt, max_rec, &ref);
        for (pass = 0; pass < 3; pass++) {
            nranges = make_cuts(n, cuts, MAX_FILE + 2);
            for (i = 0; i < nranges; i++)
                order[i] = i;
            if (pass == 2) {
                /* Any order, one shared checkpoint. */
                for (i = nranges; i > 1; i--) {
                    size_t j = rnd(i);
                    size_t t = order[i - 1];

                    order[i - 1] = order[j];
                    order[j] = t;
                }
            }
            check_partition(path, d, n, fmt, max_rec, chunk, cuts, nranges,
                            order, pass != 1, pass == 1 ? 2 : 1, &ref, seed);
        }
    }
    unlink(path);
}

static void
test_ndjson_ownership_property(void **state)
{
    (void)state;
    run_property(FB_FORMAT_NDJSON, 400, 0);
}

static void
test_csv_ownership_property(void **state)
{
    (void)state;
    run_property(FB_FORMAT_CSV, 400, 0);
}

/* Malformed quoting: ranges still agree with a whole-file read. */
static void
test_csv_bare_quotes_property(void **state)
{
    (void)state;
    run_property(FB_FORMAT_CSV, 150, 1);
}

/* A record kept past the next call: its content copied (up to 63 bytes). */
struct kept {
    struct fb_record rec;
    int had_data;
    char text[64];
};

/* Reads all records of [lo, hi), asking each its line; returns the count. */
static size_t
read_range(struct fb_reader *r, uint64_t lo, uint64_t hi,
           struct fb_scan_state *ck, struct kept *out, size_t cap)
{
    size_t k = 0;
    struct fb_record rec;

    assert_int_equal(fb_reader_begin(r, lo, hi, ck), 0);
    while (fb_reader_next(r, &rec) == FB_READ_RECORD) {
        assert_true(k < cap);
        fb_reader_line(r, &rec);
        out[k].rec = rec;
        out[k].had_data = rec.data != NULL;
        memset(out[k].text, 0, sizeof(out[k].text));
        if (rec.data != NULL)
            memcpy(out[k].text, rec.data,
                   rec.len < sizeof(out[k].text) - 1 ? rec.len
                                                     : sizeof(out[k].text) - 1);
        out[k].rec.data = out[k].text;
        k++;
    }
    return k;
}

static void
test_too_long_not_buffered(void **state)
{
    static char d[20000];
    struct fb_reader_opts opts = {FB_FORMAT_NDJSON, 100, 64};
    struct fb_reader *r = NULL;
    struct kept recs[8];
    char path[64];
    size_t n = 0;
    size_t k;

    (void)state;
    /* "a\n" + 5000 x 'x' + "\r\n" + "b\n" + 9000 x 'y' (no final '\n') */
    d[n++] = 'a';
    d[n++] = '\n';
    memset(d + n, 'x', 5000);
    n += 5000;
    d[n++] = '\r';
    d[n++] = '\n';
    d[n++] = 'b';
    d[n++] = '\n';
    memset(d + n, 'y', 9000);
    n += 9000;
    temp_path(path, sizeof(path));
    write_file(path, d, n);
    r = fb_reader_new(&opts);
    assert_non_null(r);
    assert_int_equal(fb_reader_open_file(r, path), 0);
    k = read_range(r, 0, n, NULL, recs, 8);
    assert_int_equal(k, 4);
    assert_int_equal(recs[0].rec.offset, 0);
    assert_int_equal(recs[0].rec.len, 1);
    assert_int_equal(recs[0].had_data, 1);
    assert_int_equal(recs[1].rec.too_long, 1);
    assert_int_equal(recs[1].had_data, 0);
    assert_int_equal(recs[1].rec.offset, 2);
    assert_int_equal(recs[1].rec.len, 5001); /* raw: with its '\r' */
    assert_int_equal(recs[1].rec.line, 2);
    assert_int_equal(recs[2].rec.offset, 5004);
    assert_int_equal(recs[2].rec.len, 1);
    assert_memory_equal(recs[2].text, "b", 1);
    assert_int_equal(recs[2].rec.line, 3);
    assert_int_equal(recs[3].rec.too_long, 1);
    assert_int_equal(recs[3].rec.offset, 5006);
    assert_int_equal(recs[3].rec.len, 9000);
    assert_int_equal(recs[3].rec.line, 4);

    /* A range starting inside the long line owns only what starts in it. */
    k = read_range(r, 100, 5005, NULL, recs, 8);
    assert_int_equal(k, 1);
    assert_int_equal(recs[0].rec.offset, 5004);
    assert_int_equal(recs[0].rec.line, 3);
    k = read_range(r, 5005, 5006, NULL, recs, 8);
    assert_int_equal(k, 0);
    k = read_range(r, 5006, 5007, NULL, recs, 8);
    assert_int_equal(k, 1);
    assert_int_equal(recs[0].rec.len, 9000);

    /* Exactly max_record_bytes is not too long. */
    memset(d, 'z', 100);
    d[100] = '\n';
    write_file(path, d, 101);
    assert_int_equal(fb_reader_open_file(r, path), 0);
    k = read_range(r, 0, 101, NULL, recs, 8);
    assert_int_equal(k, 1);
    assert_int_equal(recs[0].rec.too_long, 0);
    assert_int_equal(recs[0].rec.len, 100);
    fb_reader_free(r);
    unlink(path);
}

static void
test_lazy_lines_and_checkpoint(void **state)
{
    static char d[50000];
    struct fb_reader_opts opts = {FB_FORMAT_NDJSON, 64, 4096};
    struct fb_reader *r = NULL;
    struct fb_scan_state ck;
    struct fb_record rec;
    char path[64];
    size_t n = 0;
    int i;
    static uint64_t lines_a[3100];
    static uint64_t lines_b[3100];
    size_t na = 0;
    size_t nb = 0;
    uint64_t lo;

    (void)state;
    for (i = 0; i < 3000; i++)
        n += (size_t)snprintf(d + n, sizeof(d) - n, "%s{\"i\":%d}\n",
                              i % 7 == 0 ? "\n" : "", i);
    temp_path(path, sizeof(path));
    write_file(path, d, n);
    r = fb_reader_new(&opts);
    assert_non_null(r);
    assert_int_equal(fb_reader_open_file(r, path), 0);

    /* Lazy: no prefix scan until a line number is asked for. */
    assert_int_equal(fb_reader_begin(r, 20000, 20100, NULL), 0);
    assert_int_equal(fb_reader_next(r, &rec), FB_READ_RECORD);
    assert_int_equal(rec.line, 0);
    assert_int_equal(fb_reader_prefix_bytes(r), 0);
    {
        uint64_t want = 1;
        uint64_t j;

        for (j = 0; j < rec.offset; j++)
            want += d[j] == '\n';
        assert_int_equal(fb_reader_line(r, &rec), want);
    }
    assert_int_equal(fb_reader_prefix_bytes(r), 19999);
    /* The next record's line is now known without asking. */
    assert_int_equal(fb_reader_next(r, &rec), FB_READ_RECORD);
    assert_true(rec.line > 0);

    /* Increasing ranges with a checkpoint: same line numbers as without,
     * and the prefix is scanned once in total. */
    fb_scan_state_init(&ck);
    for (lo = 0; lo < n; lo += 1000) {
        uint64_t before = fb_reader_prefix_bytes(r);

        assert_int_equal(fb_reader_begin(r, lo, lo + 1000, &ck), 0);
        while (fb_reader_next(r, &rec) == FB_READ_RECORD) {
            assert_true(na < 3100);
            lines_a[na++] = fb_reader_line(r, &rec);
        }
        /* Checkpoints advance to hi-1 and scanning restarts there. */
        assert_int_equal(fb_reader_prefix_bytes(r), before);
        assert_int_equal(ck.offset, lo + 999);
        {
            uint64_t want = 1;
            uint64_t j;

            for (j = 0; j < lo + 999 && j < n; j++)
                want += d[j] == '\n';
            assert_int_equal(ck.line, want);
        }
    }
    for (lo = 0; lo < n; lo += 1000) {
        assert_int_equal(fb_reader_begin(r, lo, lo + 1000, NULL), 0);
        while (fb_reader_next(r, &rec) == FB_READ_RECORD) {
            assert_true(nb < 3100);
            lines_b[nb++] = fb_reader_line(r, &rec);
        }
    }
    assert_int_equal(na, 3000);
    assert_int_equal(nb, 3000);
    assert_memory_equal(lines_a, lines_b, sizeof(lines_a));
    /* A checkpoint past lo is not used: scanning starts from 0. */
    {
        uint64_t before = fb_reader_prefix_bytes(r);
        uint64_t want = 1;
        uint64_t j;

        ck.offset = 30000;
        ck.line = 999999;
        assert_int_equal(fb_reader_begin(r, 10000, 10100, &ck), 0);
        assert_int_equal(fb_reader_next(r, &rec), FB_READ_RECORD);
        for (j = 0; j < rec.offset; j++)
            want += d[j] == '\n';
        assert_int_equal(fb_reader_line(r, &rec), want);
        assert_int_equal(fb_reader_prefix_bytes(r) - before, 9999);
        assert_int_equal(ck.offset, 9999);
    }
    fb_reader_free(r);
    unlink(path);
}

static void
test_gzip_input(void **state)
{
    static char d[MAX_FILE];
    static struct ref ref;
    struct fb_reader_opts opts = {FB_FORMAT_NDJSON, 30, 7};
    struct fb_reader *r = NULL;
    struct fb_record rec;
    char path[64];
    gzFile gz = NULL;
    size_t n;
    size_t k = 0;
    int it;

    (void)state;
    temp_path(path, sizeof(path));
    for (it = 0; it < 20; it++) {
        rng_state = 77 + (uint64_t)it;
        n = gen_ndjson(d, sizeof(d), 30);
        ref_split(d, n, FB_FORMAT_NDJSON, 30, &ref);
        gz = gzopen(path, "wb");
        assert_non_null(gz);
        assert_int_equal(gzwrite(gz, d, (unsigned)n), (int)n);
        assert_int_equal(gzclose(gz), Z_OK);
        r = fb_reader_new(&opts);
        assert_non_null(r);
        assert_int_equal(fb_reader_open_gzip(r, path), 0);
        /* A gzip input is one range from 0. */
        assert_int_equal(fb_reader_begin(r, 5, FB_RANGE_END, NULL), -1);
        assert_int_equal(fb_reader_begin(r, 0, FB_RANGE_END, NULL), 0);
        k = 0;
        while (fb_reader_next(r, &rec) == FB_READ_RECORD) {
            assert_true(k < ref.n);
            assert_int_equal(rec.offset, ref.recs[k].off);
            assert_int_equal(rec.len, ref.recs[k].len);
            assert_int_equal(rec.too_long, ref.recs[k].too_long);
            assert_int_equal(rec.line, ref.recs[k].line);
            if (!rec.too_long)
                assert_memory_equal(rec.data, d + rec.offset, rec.len);
            k++;
        }
        assert_int_equal(k, ref.n);
        assert_int_equal(fb_reader_begin(r, 0, FB_RANGE_END, NULL), -1);
        fb_reader_free(r);
    }
    /* Not gzip data at all: a read error, not records. */
    {
        static const char junk[] = "\x1f\x8b\x08garbage-garbage-garbage";

        write_file(path, junk, sizeof(junk) - 1);
    }
    r = fb_reader_new(&opts);
    assert_int_equal(fb_reader_open_gzip(r, path), 0);
    assert_int_equal(fb_reader_begin(r, 0, FB_RANGE_END, NULL), 0);
    assert_int_equal(fb_reader_next(r, &rec), FB_READ_ERROR);
    assert_true(strstr(fb_reader_error(r), "gzip error") != NULL);
    fb_reader_free(r);
    unlink(path);
}

static void
test_stream_input(void **state)
{
    static char d[MAX_FILE];
    static struct ref ref;
    struct fb_reader_opts opts = {FB_FORMAT_CSV, 40, 5};
    struct fb_reader *r = NULL;
    struct fb_record rec;
    int fds[2];
    size_t n;
    size_t k = 0;

    (void)state;
    rng_state = 4242;
    n = gen_csv(d, 3000, 0); /* fits a pipe's buffer */
    ref_split(d, n, FB_FORMAT_CSV, 40, &ref);
    assert_true(ref.n > 3);
    assert_int_equal(pipe(fds), 0);
    assert_int_equal(write(fds[1], d, n), (ssize_t)n);
    close(fds[1]);
    r = fb_reader_new(&opts);
    assert_non_null(r);
    assert_int_equal(fb_reader_open_stream(r, fds[0]), 0);
    assert_int_equal(fb_reader_begin(r, 0, FB_RANGE_END, NULL), 0);
    while (fb_reader_next(r, &rec) == FB_READ_RECORD) {
        assert_true(k < ref.n);
        assert_int_equal(rec.offset, ref.recs[k].off);
        assert_int_equal(rec.len, ref.recs[k].len);
        assert_int_equal(rec.line, ref.recs[k].line);
        assert_int_equal(rec.is_header, k == 0 && rec.offset == 0);
        if (!rec.too_long)
            assert_memory_equal(rec.data, d + rec.offset, rec.len);
        k++;
    }
    assert_int_equal(k, ref.n);
    /* The header of a stream is its first record, not a separate read. */
    {
        char h[64];
        size_t hl = 0;

        assert_int_equal(fb_reader_read_header(r, h, sizeof(h), &hl), -1);
    }
    fb_reader_free(r);
    close(fds[0]);
}

/*
 * A header line of exactly the buffer's size fits, whether its '\n' or the
 * end of the file follows (found by fuzz_reader: it was refused as
 * "longer than" the buffer); a quoted '\n' there does not end it.
 */
static void
test_csv_header_exact_fit(void **state)
{
    static const struct {
        const char *d;
        size_t cap;
        int rc;
    } cases[] = {
        {"a,b\n1,2\n", 3, 0},  /* '\n' right after the buffer */
        {"a,b", 3, 0},         /* the end of the file */
        {"a,b\r\n1,2", 4, 0},  /* "a,b\r" fills it; '\r' is trimmed */
        {"a,\"\n\"\n", 3, -1}, /* a quoted '\n': the line goes on */
        {"a,bc\n", 3, -1},     /* one byte too many */
    };
    struct fb_reader_opts opts = {FB_FORMAT_CSV, 100, 3};
    struct fb_reader *r = NULL;
    char path[64];
    char h[8];
    size_t i;

    (void)state;
    temp_path(path, sizeof(path));
    r = fb_reader_new(&opts);
    assert_non_null(r);
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        size_t cap = cases[i].cap;
        size_t hl = 99;

        write_file(path, cases[i].d, strlen(cases[i].d));
        assert_int_equal(fb_reader_open_file(r, path), 0);
        assert_int_equal(fb_reader_read_header(r, h, cap, &hl), cases[i].rc);
        if (cases[i].rc == 0) {
            assert_int_equal(hl, 3);
            assert_memory_equal(h, "a,b", 3);
        } else {
            assert_string_equal(fb_reader_error(r),
                                "header line is longer than 3 bytes");
        }
        /* One byte less never fits. */
        assert_int_equal(fb_reader_read_header(r, h, cap - 1, &hl), -1);
    }
    fb_reader_free(r);
    unlink(path);
}

static void
test_csv_header_and_ranges(void **state)
{
    const char *d = "id,\"note\nline\",v\r\n"
                    "1,\"a\nb\",x\r\n"
                    "2,\"he said \"\"hi\"\"\n\",y\r\n"
                    "\r\n"
                    "3,plain,z";
    size_t n = strlen(d);
    struct fb_reader_opts opts = {FB_FORMAT_CSV, 100, 3};
    struct fb_reader *r = NULL;
    struct kept recs[8];
    char path[64];
    char h[64];
    size_t hl = 0;
    size_t k;
    uint64_t cut;

    (void)state;
    temp_path(path, sizeof(path));
    write_file(path, d, n);
    r = fb_reader_new(&opts);
    assert_non_null(r);
    assert_int_equal(fb_reader_open_file(r, path), 0);
    assert_int_equal(fb_reader_read_header(r, h, sizeof(h), &hl), 0);
    assert_int_equal(hl, 16);
    assert_memory_equal(h, "id,\"note\nline\",v", 16);
    assert_int_equal(fb_reader_read_header(r, h, 10, &hl), -1);
    assert_string_equal(fb_reader_error(r),
                        "header line is longer than 10 bytes");

    k = read_range(r, 0, n, NULL, recs, 8);
    assert_int_equal(k, 4);
    assert_int_equal(recs[0].rec.is_header, 1);
    assert_int_equal(recs[1].rec.is_header, 0);
    assert_int_equal(recs[1].rec.offset, 18);
    assert_int_equal(recs[1].rec.line, 3);
    assert_int_equal(recs[1].rec.len, 9);
    assert_memory_equal(recs[1].text, "1,\"a\nb\",x", 9);
    assert_int_equal(recs[2].rec.line, 5);
    assert_int_equal(recs[2].rec.len, 21);
    assert_memory_equal(recs[2].text, "2,\"he said \"\"hi\"\"\n\",y", 21);
    assert_int_equal(recs[3].rec.line, 8);
    assert_int_equal(recs[3].rec.offset, n - 9);
    assert_memory_equal(recs[3].text, "3,plain,z", 9);

    /* Cut inside the quoted newline of record 1: it stays whole and is
     * owned by the range where it starts. */
    cut = 22; /* the '\n' between a and b */
    assert_int_equal(d[cut], '\n');
    k = read_range(r, 0, cut + 1, NULL, recs, 8);
    assert_int_equal(k, 2);
    assert_int_equal(recs[1].rec.offset, 18);
    k = read_range(r, cut + 1, n, NULL, recs, 8);
    assert_int_equal(k, 2);
    assert_int_equal(recs[0].rec.offset, 29);
    assert_int_equal(recs[0].rec.line, 5);

    /* A file whose first line is empty has no header. */
    write_file(path, "\na,b\n", 5);
    assert_int_equal(fb_reader_open_file(r, path), 0);
    assert_int_equal(fb_reader_read_header(r, h, sizeof(h), &hl), -1);
    assert_string_equal(fb_reader_error(r),
                        "the first line (the CSV header) is empty");
    fb_reader_free(r);
    unlink(path);
}

static void
test_file_identity(void **state)
{
    struct fb_reader_opts opts = {FB_FORMAT_NDJSON, 0, 0};
    struct fb_reader *r = NULL;
    struct fb_file_id id;
    char path[64];
    int fd;

    (void)state;
    temp_path(path, sizeof(path));
    write_file(path, "{}\n", 3);
    r = fb_reader_new(&opts);
    assert_non_null(r);
    assert_int_equal(fb_reader_open_file(r, path), -0);
    assert_int_equal(fb_reader_file_changed(r), 0);
    assert_int_equal(fb_reader_file_id(r)->size, 3);
    fd = open(path, O_WRONLY | O_APPEND);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, "{}\n", 3), 3);
    assert_int_equal(fb_file_id_get(fd, &id), 0);
    close(fd);
    assert_int_equal(fb_reader_file_changed(r), 1);
    assert_int_equal(fb_file_id_equal(&id, fb_reader_file_id(r)), 0);
    assert_int_equal(id.size, 6);
    fb_reader_free(r);
    unlink(path);
    r = fb_reader_new(&opts);
    assert_int_equal(fb_reader_open_file(r, path), -1);
    assert_true(strstr(fb_reader_error(r), "No such file") != NULL);
    assert_int_equal(fb_reader_begin(r, 0, 1, NULL), -1);
    assert_string_equal(fb_reader_error(r), "no input open");
    fb_reader_free(r);
    fb_reader_free(NULL);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ndjson_ownership_property),
        cmocka_unit_test(test_csv_ownership_property),
        cmocka_unit_test(test_csv_bare_quotes_property),
        cmocka_unit_test(test_too_long_not_buffered),
        cmocka_unit_test(test_lazy_lines_and_checkpoint),
        cmocka_unit_test(test_gzip_input),
        cmocka_unit_test(test_stream_input),
        cmocka_unit_test(test_csv_header_and_ranges),
        cmocka_unit_test(test_csv_header_exact_fit),
        cmocka_unit_test(test_file_identity),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
