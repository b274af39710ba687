/*
 * file_reader.c
 *    Records of a byte range of a file (or of a whole stream or gzip
 *    file), with the ownership rule, line numbers and CSV quote state
 *    described in file_reader.h.
 *
 * One buffer holds a window of the input: buf[0..dend) is the input at
 * offsets [buf_off, buf_off + dend); rpos is the start of the line being
 * read and scan how far the search for its end has got, so a line that
 * spans several reads is never searched twice.  A line that outgrows
 * max_record_bytes, or the lead-in of a range (the tail of the record
 * that starts before lo), is streamed through and discarded ("skipping").
 */
#include "forkbulk/file_reader.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

/* Prefix scans read through a stack buffer of this size, so that they
 * never disturb the record the caller still holds. */
#define FB_PREFIX_CHUNK (64 * 1024)

/* Offsets of files over 2 GiB must survive pread(). */
_Static_assert(sizeof(off_t) >= 8, "64-bit off_t required");

enum fb_source {
    FB_SRC_NONE = 0,
    FB_SRC_FILE,
    FB_SRC_STREAM,
    FB_SRC_GZIP,
};

struct fb_reader {
    enum fb_format format;
    size_t max_rec;
    size_t cap;
    char *buf;

    enum fb_source src;
    int fd;
    int own_fd;
    gzFile gz;
    struct fb_file_id id;
    int used; /* a stream or gzip input has had its one range */

    /* The window. */
    uint64_t buf_off;
    size_t rpos;
    size_t dend;
    size_t scan;
    int src_eof;

    /* The range. */
    uint64_t lo;
    uint64_t hi;
    int active;
    struct fb_scan_state *ckpt;

    /* The line being read. */
    int in_line;
    int skipping;
    uint64_t blank; /* whitespace-only lines skipped in the range */
    int lead_in;
    uint64_t line_start;
    int q;             /* '"' parity since line_start (CSV) */
    uint64_t inner_nl; /* '\n' inside quotes since line_start */
    int end_q;         /* quote parity at end of input, if reached */

    /* Line numbers: line of a record = prefix_nl + lead_nl + rel + 1. */
    int prefix_known;
    uint64_t prefix_nl; /* '\n' in [0, lo-1) */
    int prefix_q;       /* '"' parity of [0, lo-1) */
    uint64_t lead_nl;   /* '\n' in [lo-1, first record start) */
    uint64_t rel_lines; /* '\n' from first record start to line_start */

    /* Last line seen (also blank or too long), to advance the checkpoint. */
    int have_last;
    uint64_t last_start;
    uint64_t last_rel;

    uint64_t prefix_bytes;
    char err[256];
};

static void fb_reader_fail(struct fb_reader *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
fb_reader_fail(struct fb_reader *r, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(r->err, sizeof(r->err), fmt, ap);
    va_end(ap);
}

void
fb_scan_state_init(struct fb_scan_state *st)
{
    st->offset = 0;
    st->line = 1;
    st->in_quotes = 0;
}

int
fb_file_id_get(int fd, struct fb_file_id *id)
{
    struct stat st;

    if (fstat(fd, &st) != 0)
        return -1;
    memset(id, 0, sizeof(*id));
    id->dev = st.st_dev;
    id->ino = st.st_ino;
    id->size = st.st_size;
    id->mtime_sec = (int64_t)st.st_mtim.tv_sec;
    id->mtime_nsec = st.st_mtim.tv_nsec;
    return 0;
}

int
fb_file_id_equal(const struct fb_file_id *a, const struct fb_file_id *b)
{
    return a->dev == b->dev && a->ino == b->ino && a->size == b->size &&
           a->mtime_sec == b->mtime_sec && a->mtime_nsec == b->mtime_nsec;
}

/*
 * Number of bytes equal to c in p[0..n), eight at a time: after x ^= c*ones
 * a matching byte is zero, and ((x & 0x7f..) + 0x7f..) | x has the high bit
 * of each byte set exactly when that byte is non-zero (no carry crosses a
 * byte), so the complement's high bits count the matches.
 */
static uint64_t
fb_count_byte(const char *p, size_t n, unsigned char c)
{
    const uint64_t low7 = 0x7f7f7f7f7f7f7f7fULL;
    const uint64_t pat = 0x0101010101010101ULL * c;
    uint64_t cnt = 0;
    size_t i = 0;

    for (; i + 8 <= n; i += 8) {
        uint64_t x;
        uint64_t y;

        memcpy(&x, p + i, 8);
        x ^= pat;
        y = ((x & low7) + low7) | x | low7;
        cnt += (uint64_t)__builtin_popcountll(~y);
    }
    for (; i < n; i++)
        cnt += (unsigned char)p[i] == c;
    return cnt;
}

struct fb_reader *
fb_reader_new(const struct fb_reader_opts *opts)
{
    struct fb_reader *r = NULL;
    size_t max_rec = opts->max_record_bytes;
    size_t chunk = opts->chunk_bytes;

    if (max_rec == 0)
        max_rec = FB_READER_DEFAULT_MAX_RECORD;
    if (chunk == 0)
        chunk = FB_READER_DEFAULT_CHUNK;
    if (opts->format != FB_FORMAT_NDJSON && opts->format != FB_FORMAT_CSV)
        goto out;
    if (max_rec > SIZE_MAX / 2 || chunk > SIZE_MAX / 2)
        goto out;
    r = calloc(1, sizeof(*r));
    if (r == NULL)
        goto out;
    r->format = opts->format;
    r->max_rec = max_rec;
    r->cap = max_rec + chunk;
    r->fd = -1;
    r->buf = malloc(r->cap);
    if (r->buf == NULL) {
        free(r);
        r = NULL;
    }
out:
    return r;
}

static void
fb_reader_close(struct fb_reader *r)
{
    if (r->gz != NULL) {
        gzclose(r->gz); /* closes r->fd too */
        r->gz = NULL;
    } else if (r->own_fd && r->fd >= 0) {
        close(r->fd);
    }
    r->fd = -1;
    r->own_fd = 0;
    r->src = FB_SRC_NONE;
    r->used = 0;
    r->active = 0;
    r->ckpt = NULL;
}

void
fb_reader_free(struct fb_reader *r)
{
    if (r == NULL)
        return;
    fb_reader_close(r);
    free(r->buf);
    free(r);
}

static int
fb_reader_open_path(struct fb_reader *r, const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);

    if (fd < 0) {
        fb_reader_fail(r, "cannot open %s: %s", path, strerror(errno));
        return -1;
    }
    if (fb_file_id_get(fd, &r->id) != 0) {
        fb_reader_fail(r, "cannot stat %s: %s", path, strerror(errno));
        close(fd);
        return -1;
    }
    r->fd = fd;
    r->own_fd = 1;
    return 0;
}

int
fb_reader_open_file(struct fb_reader *r, const char *path)
{
    fb_reader_close(r);
    r->err[0] = '\0';
    if (fb_reader_open_path(r, path) != 0)
        return -1;
    r->src = FB_SRC_FILE;
    return 0;
}

int
fb_reader_open_stream(struct fb_reader *r, int fd)
{
    fb_reader_close(r);
    r->err[0] = '\0';
    if (fb_file_id_get(fd, &r->id) != 0) {
        fb_reader_fail(r, "cannot stat fd %d: %s", fd, strerror(errno));
        return -1;
    }
    r->fd = fd;
    r->own_fd = 0;
    r->src = FB_SRC_STREAM;
    return 0;
}

int
fb_reader_open_gzip(struct fb_reader *r, const char *path)
{
    fb_reader_close(r);
    r->err[0] = '\0';
    if (fb_reader_open_path(r, path) != 0)
        return -1;
    r->gz = gzdopen(r->fd, "rb");
    if (r->gz == NULL) {
        fb_reader_fail(r, "cannot read %s as gzip", path);
        fb_reader_close(r);
        return -1;
    }
    /* zlib's default 8 KiB input buffer costs a syscall per 8 KiB. */
    gzbuffer(r->gz, 128 * 1024);
    r->src = FB_SRC_GZIP;
    return 0;
}

/*
 * Counts '\n' (and '"' for CSV) in [start, lo-1) where start is the
 * checkpoint if it lies at or before lo-1, else 0; stores the state at
 * lo-1 in the reader and in the checkpoint.
 */
static int
fb_reader_scan_prefix(struct fb_reader *r)
{
    char chunk[FB_PREFIX_CHUNK];
    uint64_t target = r->lo - 1;
    uint64_t pos = 0;
    uint64_t nl = 0;
    uint64_t quotes = 0;
    int q0 = 0;

    if (r->ckpt != NULL && r->ckpt->offset <= target && r->ckpt->line >= 1) {
        pos = r->ckpt->offset;
        nl = r->ckpt->line - 1;
        q0 = r->format == FB_FORMAT_CSV ? (r->ckpt->in_quotes & 1) : 0;
    }
    while (pos < target) {
        size_t want = sizeof(chunk);
        ssize_t n;

        if ((uint64_t)want > target - pos)
            want = (size_t)(target - pos);
        n = pread(r->fd, chunk, want, (off_t)pos);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            fb_reader_fail(r, "read error at offset %llu: %s",
                           (unsigned long long)pos, strerror(errno));
            return -1;
        }
        if (n == 0)
            break; /* the file ends before lo: counts stay as they are */
        nl += fb_count_byte(chunk, (size_t)n, '\n');
        if (r->format == FB_FORMAT_CSV)
            quotes += fb_count_byte(chunk, (size_t)n, '"');
        pos += (uint64_t)n;
        r->prefix_bytes += (uint64_t)n;
    }
    r->prefix_nl = nl;
    r->prefix_q = q0 ^ (int)(quotes & 1);
    r->prefix_known = 1;
    if (r->ckpt != NULL) {
        r->ckpt->offset = target;
        r->ckpt->line = nl + 1;
        r->ckpt->in_quotes = r->prefix_q;
    }
    return 0;
}

int
fb_reader_begin(struct fb_reader *r, uint64_t lo, uint64_t hi,
                struct fb_scan_state *ckpt)
{
    r->err[0] = '\0';
    if (r->src == FB_SRC_NONE) {
        fb_reader_fail(r, "no input open");
        return -1;
    }
    if (lo > hi) {
        fb_reader_fail(r, "bad range [%llu, %llu)", (unsigned long long)lo,
                       (unsigned long long)hi);
        return -1;
    }
    if (r->src != FB_SRC_FILE && (lo != 0 || r->used)) {
        fb_reader_fail(r, "a stream or gzip input is read as one range "
                          "from its start");
        return -1;
    }
    r->used = 1;
    r->lo = lo;
    r->hi = hi;
    r->ckpt = ckpt;
    r->active = 1;
    r->src_eof = 0;
    r->rpos = 0;
    r->dend = 0;
    r->scan = 0;
    r->in_line = 0;
    r->skipping = 0;
    r->blank = 0;
    r->lead_in = 0;
    r->q = 0;
    r->inner_nl = 0;
    r->end_q = 0;
    r->rel_lines = 0;
    r->lead_nl = 0;
    r->have_last = 0;
    r->prefix_known = 0;
    r->prefix_nl = 0;
    r->prefix_q = 0;
    if (lo == 0) {
        r->buf_off = 0;
        r->prefix_known = 1;
        return 0;
    }
    /* Skip the tail of the record that holds byte lo-1: the first record
     * start >= lo follows the first record end at or after lo-1. */
    r->buf_off = lo - 1;
    r->in_line = 1;
    r->skipping = 1;
    r->lead_in = 1;
    r->line_start = lo - 1;
    if (r->format == FB_FORMAT_CSV) {
        if (fb_reader_scan_prefix(r) != 0) {
            r->active = 0;
            return -1;
        }
        r->q = r->prefix_q;
    }
    return 0;
}

/*
 * Refills the window: moves the unfinished line to the front and reads as
 * much as fits.  0, or -1 (error set).  Sets src_eof at end of input.
 */
static int
fb_reader_fill(struct fb_reader *r)
{
    size_t want;

    if (r->rpos > 0) {
        memmove(r->buf, r->buf + r->rpos, r->dend - r->rpos);
        r->buf_off += r->rpos;
        r->scan -= r->rpos;
        r->dend -= r->rpos;
        r->rpos = 0;
    }
    want = r->cap - r->dend;
    for (;;) {
        ssize_t n;

        if (r->src == FB_SRC_FILE) {
            n = pread(r->fd, r->buf + r->dend, want,
                      (off_t)(r->buf_off + r->dend));
        } else if (r->src == FB_SRC_STREAM) {
            n = read(r->fd, r->buf + r->dend, want);
        } else {
            int errnum = 0;
            int g = gzread(r->gz, r->buf + r->dend,
                           want > INT_MAX ? INT_MAX : (unsigned)want);

            if (g < 0) {
                fb_reader_fail(r, "gzip error at offset %llu: %s",
                               (unsigned long long)(r->buf_off + r->dend),
                               gzerror(r->gz, &errnum));
                return -1;
            }
            n = g;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            fb_reader_fail(r, "read error at offset %llu: %s",
                           (unsigned long long)(r->buf_off + r->dend),
                           strerror(errno));
            return -1;
        }
        if (n == 0)
            r->src_eof = 1;
        r->dend += (size_t)n;
        return 0;
    }
}

/*
 * Searches buf[scan..dend) for the end of the current line; 1 and *end
 * set if found.  CSV keeps the quote parity and counts quoted newlines
 * across calls.
 */
static int
fb_reader_find_end(struct fb_reader *r, size_t *end)
{
    const char *p = r->buf;
    size_t i;

    if (r->format == FB_FORMAT_NDJSON) {
        const char *nl = memchr(p + r->scan, '\n', r->dend - r->scan);

        if (nl == NULL) {
            r->scan = r->dend;
            return 0;
        }
        *end = (size_t)(nl - p);
        return 1;
    }
    /* CSV: jump from quote to quote and newline to newline with memchr.
     * nl_at caches the next '\n' at or after i (dend: none), so every
     * byte is looked at a bounded number of times even in a record with
     * many quotes and no newline. */
    i = r->scan;
    {
        size_t nl_at = 0;
        int nl_known = 0;

        while (i < r->dend) {
            const char *qt = NULL;

            if (!r->q) {
                if (!nl_known || nl_at < i) {
                    const char *nl = memchr(p + i, '\n', r->dend - i);

                    nl_at = nl != NULL ? (size_t)(nl - p) : r->dend;
                    nl_known = 1;
                }
                qt = memchr(p + i, '"', nl_at - i);
                if (qt == NULL) {
                    if (nl_at == r->dend)
                        break;
                    *end = nl_at;
                    r->scan = nl_at;
                    return 1;
                }
                r->q = 1;
                i = (size_t)(qt - p) + 1;
            } else {
                size_t lim;

                qt = memchr(p + i, '"', r->dend - i);
                lim = qt != NULL ? (size_t)(qt - p) : r->dend;
                r->inner_nl += fb_count_byte(p + i, lim - i, '\n');
                if (qt == NULL)
                    break;
                r->q = 0;
                i = lim + 1;
            }
        }
    }
    r->scan = r->dend;
    return 0;
}

static int
fb_is_blank(const char *p, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        switch (p[i]) {
        case ' ':
        case '\t':
        case '\r':
        case '\v':
        case '\f':
            break;
        default:
            return 0;
        }
    }
    return 1;
}

/*
 * The range is over: moves the checkpoint to hi-1 when the state there
 * follows from what is known without reading (see file_reader.h).
 */
static void
fb_reader_advance_ckpt(struct fb_reader *r)
{
    struct fb_scan_state *ck = r->ckpt;
    uint64_t target;
    uint64_t pos = r->buf_off + r->rpos;
    uint64_t base = r->prefix_nl + r->lead_nl;

    if (ck == NULL || !r->prefix_known || r->src != FB_SRC_FILE || r->hi == 0 ||
        r->hi == FB_RANGE_END)
        return;
    target = r->hi - 1;
    if (pos <= target) {
        /* The input ended before hi: nothing changes past its end. */
        ck->offset = target;
        ck->line = base + r->rel_lines + 1;
        ck->in_quotes = r->end_q;
    } else if (r->have_last) {
        /* The last line started at or before hi-1 and ends at or after
         * it; NDJSON has no '\n' in between, CSV counts its bytes. */
        uint64_t nl = 0;
        uint64_t quotes = 0;

        if (r->format == FB_FORMAT_CSV) {
            const char *s = NULL;
            size_t n;

            if (r->last_start < r->buf_off)
                return; /* a too-long record, no longer in the buffer */
            s = r->buf + (r->last_start - r->buf_off);
            n = (size_t)(target - r->last_start);
            nl = fb_count_byte(s, n, '\n');
            quotes = fb_count_byte(s, n, '"');
        }
        ck->offset = target;
        ck->line = base + r->last_rel + nl + 1;
        ck->in_quotes = (int)(quotes & 1);
    }
    /* Else no line started in the range: the checkpoint stays at lo-1. */
}

static enum fb_read_result
fb_reader_finish(struct fb_reader *r)
{
    fb_reader_advance_ckpt(r);
    r->active = 0;
    return FB_READ_END;
}

/*
 * A UTF-8 byte-order mark, as Excel's "CSV UTF-8" and some editors write,
 * is not part of the first record: it would become part of the first
 * field's name, or make the first NDJSON line invalid.
 */
static void
skip_bom(const char **data, size_t *len)
{
    if (*len >= 3 && memcmp(*data, "\xEF\xBB\xBF", 3) == 0) {
        *data += 3;
        *len -= 3;
    }
}

/* Fills *rec for a line that ended (its '\n' excluded): data or too long. */
static enum fb_read_result
fb_reader_emit(struct fb_reader *r, struct fb_record *rec, const char *data,
               uint64_t len)
{
    memset(rec, 0, sizeof(*rec));
    rec->offset = r->line_start;
    rec->rel_line = r->rel_lines;
    rec->is_header = r->format == FB_FORMAT_CSV && r->line_start == 0;
    if (data == NULL || len > r->max_rec) {
        rec->too_long = 1;
        rec->len = (size_t)len;
    } else {
        rec->data = data;
        rec->len = (size_t)len;
        if (rec->len > 0 && data[rec->len - 1] == '\r')
            rec->len--;
    }
    if (r->prefix_known)
        rec->line = r->prefix_nl + r->lead_nl + rec->rel_line + 1;
    r->have_last = 1;
    r->last_start = r->line_start;
    r->last_rel = r->rel_lines;
    r->rel_lines += r->inner_nl;
    r->in_line = 0;
    if (rec->offset == 0 && !rec->too_long)
        skip_bom(&rec->data, &rec->len);
    if (!rec->too_long && fb_is_blank(rec->data, rec->len)) {
        r->blank++;
        return FB_READ_END; /* not a record; the caller reads on */
    }
    return FB_READ_RECORD;
}

enum fb_read_result
fb_reader_next(struct fb_reader *r, struct fb_record *rec)
{
    if (!r->active)
        return FB_READ_END;
    for (;;) {
        size_t end = 0;

        if (!r->in_line) {
            uint64_t s = r->buf_off + r->rpos;

            if (s >= r->hi || (r->rpos == r->dend && r->src_eof))
                return fb_reader_finish(r);
            r->in_line = 1;
            r->line_start = s;
            r->scan = r->rpos;
            r->q = 0;
            r->inner_nl = 0;
        }
        if (fb_reader_find_end(r, &end)) {
            const char *data = r->buf + r->rpos;
            uint64_t len = (uint64_t)(end - r->rpos);

            r->rpos = end + 1;
            if (r->skipping) {
                len = r->buf_off + end - r->line_start;
                data = NULL;
                r->skipping = 0;
                if (r->lead_in) {
                    r->lead_in = 0;
                    r->lead_nl = r->inner_nl + 1;
                    r->in_line = 0;
                    continue;
                }
            }
            r->inner_nl++; /* the terminating '\n' */
            if (fb_reader_emit(r, rec, data, len) == FB_READ_RECORD)
                return FB_READ_RECORD;
            continue;
        }
        if (!r->skipping && r->dend - r->rpos > r->max_rec)
            r->skipping = 1;
        if (r->skipping)
            r->rpos = r->dend; /* discard: never buffer it whole */
        if (r->src_eof) {
            /* The last line has no '\n'. */
            uint64_t len = r->buf_off + r->dend - r->line_start;
            const char *data = r->skipping ? NULL : r->buf + r->rpos;

            r->end_q = r->q;
            r->rpos = r->dend;
            if (r->lead_in) {
                r->lead_in = 0;
                r->skipping = 0;
                r->lead_nl = r->inner_nl;
                r->in_line = 0;
                continue;
            }
            r->skipping = 0;
            if (len == 0) {
                r->in_line = 0; /* input ends with '\n': no last line */
                continue;
            }
            if (fb_reader_emit(r, rec, data, len) == FB_READ_RECORD)
                return FB_READ_RECORD;
            continue;
        }
        if (fb_reader_fill(r) != 0) {
            r->active = 0;
            return FB_READ_ERROR;
        }
    }
}

uint64_t
fb_reader_line_at(struct fb_reader *r, uint64_t rel_line)
{
    if (!r->prefix_known) {
        if (r->src != FB_SRC_FILE) {
            fb_reader_fail(r, "no input open");
            return 0;
        }
        if (fb_reader_scan_prefix(r) != 0)
            return 0;
    }
    return r->prefix_nl + r->lead_nl + rel_line + 1;
}

uint64_t
fb_reader_line(struct fb_reader *r, struct fb_record *rec)
{
    if (rec->line == 0)
        rec->line = fb_reader_line_at(r, rec->rel_line);
    return rec->line;
}

int
fb_reader_read_header(struct fb_reader *r, char *out, size_t cap, size_t *len)
{
    size_t got = 0;
    size_t i = 0;
    int q = 0;
    int found = 0;
    const char *line = out;

    if (r->src != FB_SRC_FILE) {
        fb_reader_fail(r, "the header of a stream is its first record");
        return -1;
    }
    while (!found) {
        ssize_t n;

        for (; i < got && !found; i++) {
            if (out[i] == '"')
                q ^= 1;
            else if (out[i] == '\n' && !q)
                found = 1;
        }
        if (found) {
            i--; /* back on the '\n' */
            break;
        }
        if (got == cap) {
            /* The line fits exactly if the input ends here or its '\n'
             * comes next: look at that one byte before giving up. */
            char next = 0;

            do {
                n = pread(r->fd, &next, 1, (off_t)got);
            } while (n < 0 && errno == EINTR);
            if (n < 0) {
                fb_reader_fail(r, "cannot read header: %s", strerror(errno));
                return -1;
            }
            if (n == 0 || (next == '\n' && !q))
                break;
            fb_reader_fail(r, "header line is longer than %zu bytes", cap);
            return -1;
        }
        n = pread(r->fd, out + got, cap - got, (off_t)got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            fb_reader_fail(r, "cannot read header: %s", strerror(errno));
            return -1;
        }
        if (n == 0)
            break; /* a file of one line without '\n' */
        got += (size_t)n;
    }
    if (i > 0 && out[i - 1] == '\r')
        i--;
    skip_bom(&line, &i);
    memmove(out, line, i);
    if (fb_is_blank(out, i)) {
        fb_reader_fail(r, "the first line (the CSV header) is empty");
        return -1;
    }
    *len = i;
    return 0;
}

uint64_t
fb_reader_blank_lines(const struct fb_reader *r)
{
    return r->blank;
}

const struct fb_file_id *
fb_reader_file_id(const struct fb_reader *r)
{
    return &r->id;
}

int
fb_reader_file_changed(struct fb_reader *r)
{
    struct fb_file_id now;

    if (r->fd < 0) {
        fb_reader_fail(r, "no input open");
        return -1;
    }
    if (fb_file_id_get(r->fd, &now) != 0) {
        fb_reader_fail(r, "cannot stat input: %s", strerror(errno));
        return -1;
    }
    return fb_file_id_equal(&now, &r->id) ? 0 : 1;
}

uint64_t
fb_reader_prefix_bytes(const struct fb_reader *r)
{
    return r->prefix_bytes;
}

const char *
fb_reader_error(const struct fb_reader *r)
{
    return r->err;
}
