/*
 * file_reader.h
 *    A worker's bounded record reader: the records of one byte range of a
 *    file, or of a whole stream or gzip file, NDJSON or CSV.
 *
 * The parent never reads data; it hands each worker byte ranges [lo, hi)
 * of the input file.  This module turns such a range into records.
 *
 * Ownership rule.  A record belongs to the range in which its first byte
 * lies.  A reader at lo > 0 skips to the first record start >= lo; the
 * last record it returns may end past hi (it reads on to its end).  So for
 * ANY partition of a file into ranges, every record is returned by exactly
 * one range, whatever the ranges' sizes (even 1 byte).
 *
 *  - NDJSON: records end at '\n'.  The first record start >= lo is the byte
 *    after the first '\n' at or after lo-1.
 *  - CSV: records end at a '\n' outside double quotes, so a quoted field
 *    may hold newlines.  In RFC 4180 a position is inside a quoted field
 *    iff the number of '"' before it in the file is odd (an escaped quote
 *    "" adds two).  So a reader at lo > 0 determines the quote state at
 *    lo-1 exactly by counting '"' from the start of the file (or from a
 *    checkpoint, below), then starts after the first '\n' outside quotes
 *    at or after lo-1.  This makes CSV byte ranges exact even with quoted
 *    newlines.  Cost: the prefix [checkpoint, lo-1) is read once more,
 *    sequentially, with a word-at-a-time count; a worker that takes its
 *    ranges in increasing order and keeps its checkpoint reads each byte
 *    of the file at most once for these prefix scans in total, so at most
 *    one extra sequential read of the file per worker.  A sequential
 *    reader (range 0, a stream) applies the same parity rule, so ranges
 *    agree with a whole-file read even on malformed quoting.
 *
 * Records.  A trailing "\r" is trimmed.  A UTF-8 byte-order mark at the
 * start of the input is not part of the first record.  Empty and
 * whitespace-only lines (' ', '\t', '\r', '\v', '\f') are skipped, not
 * records, but they count for line numbers and are counted
 * (fb_reader_blank_lines).  A last line without '\n' is a record.  A record
 * whose raw length (without its '\n') exceeds max_record_bytes is
 * returned as "too long": offset and true raw length, no data; it is
 * never buffered whole (the reader streams to its end).  (A too-long line
 * of only whitespace is reported too long, not skipped.)
 *
 * Line numbers are physical 1-based line numbers in the file (a CSV record
 * with quoted newlines is numbered by its first line).  Within a range the
 * reader counts lines as it goes, for free; the absolute number of the
 * range's first line needs a count of '\n' in the prefix, which NDJSON
 * pays only when a line number is first asked for (fb_reader_line(), e.g.
 * to write a reject).  CSV computes it eagerly, with the quote state.
 *
 * Memory.  One buffer of max_record_bytes + chunk_bytes, allocated by
 * fb_reader_new() and never grown, reused for every range; the prefix
 * scan uses a fixed 64 KiB stack buffer.  The NDJSON hot path is a
 * memchr() per line and one read per chunk: no per-line allocation or
 * system call.
 */
#ifndef FORKBULK_FILE_READER_H
#define FORKBULK_FILE_READER_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

enum fb_format {
    FB_FORMAT_NDJSON = 0,
    FB_FORMAT_CSV,
};

/* hi of a range that runs to the end of the input. */
#define FB_RANGE_END UINT64_MAX

#define FB_READER_DEFAULT_MAX_RECORD (1024u * 1024u)
#define FB_READER_DEFAULT_CHUNK (1024u * 1024u)

struct fb_reader_opts {
    enum fb_format format;
    size_t max_record_bytes; /* 0: FB_READER_DEFAULT_MAX_RECORD */
    size_t chunk_bytes;      /* bytes per read; 0: FB_READER_DEFAULT_CHUNK */
};

/*
 * Scan checkpoint, owned by the caller and passed to every range of one
 * file: the state of the file at byte `offset`.  line is the 1-based line
 * number of that byte (the number of '\n' before it, plus one); in_quotes
 * is the parity of '"' before it (CSV; 0 for NDJSON).  A reader uses the
 * checkpoint when checkpoint.offset <= lo-1 and otherwise scans from the
 * start of the file; once it knows the state at lo-1 it stores it there.
 * At the end of a range whose line numbers are known (always for CSV; for
 * NDJSON once one was asked for) it advances it to hi-1 when that needs no
 * reading: so consecutive ranges of one worker scan no prefix at all.  It
 * stays at lo-1 when no line starts in the range, or (CSV) when the last
 * record was too long to still be in the buffer.  Start from
 * fb_scan_state_init().
 */
struct fb_scan_state {
    uint64_t offset;
    uint64_t line;
    int in_quotes;
};

void fb_scan_state_init(struct fb_scan_state *st);

/* What a file was when it was opened, to notice it changing under us. */
struct fb_file_id {
    dev_t dev;
    ino_t ino;
    off_t size;
    int64_t mtime_sec;
    long mtime_nsec;
};

/* Fills *id from fstat(fd); 0, or -1 with errno set. */
int fb_file_id_get(int fd, struct fb_file_id *id);

/* 1 if a and b describe the same unchanged file, 0 otherwise. */
int fb_file_id_equal(const struct fb_file_id *a, const struct fb_file_id *b);

struct fb_record {
    const char *data;  /* NULL for a too-long record; valid until next call */
    size_t len;        /* content length; for too_long the true raw length */
    uint64_t offset;   /* byte offset of the record's first byte */
    uint64_t line;     /* 1-based line number, or 0 until fb_reader_line() */
    uint64_t rel_line; /* lines from the range's first record */
    int too_long;
    int is_header; /* CSV: the record at offset 0, i.e. the header line */
};

enum fb_read_result {
    FB_READ_ERROR = -1, /* see fb_reader_error() */
    FB_READ_END = 0,    /* no more records in this range */
    FB_READ_RECORD = 1,
};

struct fb_reader;

/* Allocates the reader and its one buffer; NULL on bad options or ENOMEM. */
struct fb_reader *fb_reader_new(const struct fb_reader_opts *opts);

/* Closes what the reader has open and frees it; NULL does nothing. */
void fb_reader_free(struct fb_reader *r);

/*
 * Input sources; each closes the previous one.  0, or -1 with the reason in
 * fb_reader_error().
 *  - file: a regular file read with pread(); any number of ranges.
 *  - stream: fd (e.g. stdin) read with read(); one range [0, FB_RANGE_END).
 *    The reader does not close fd.
 *  - gzip: the decompressed content of a gzip file; one range [0, END);
 *    offsets are offsets in the decompressed data.
 */
int fb_reader_open_file(struct fb_reader *r, const char *path);
int fb_reader_open_stream(struct fb_reader *r, int fd);
int fb_reader_open_gzip(struct fb_reader *r, const char *path);

/*
 * Starts the range [lo, hi).  ckpt may be NULL (always scan from 0).  For
 * CSV the prefix scan happens here.  The reader keeps the ckpt pointer
 * (fb_reader_line() may still use it after the range's end) until the
 * next begin, open or free.  0, or -1 (error set).
 */
int fb_reader_begin(struct fb_reader *r, uint64_t lo, uint64_t hi,
                    struct fb_scan_state *ckpt);

/* Next record of the range into *rec: FB_READ_RECORD, _END or _ERROR. */
enum fb_read_result fb_reader_next(struct fb_reader *r, struct fb_record *rec);

/*
 * The 1-based line number of rec (a record of the current range),
 * counting the prefix of the file on first use.  0 on I/O error (error
 * set).  Also fills rec->line.
 */
uint64_t fb_reader_line(struct fb_reader *r, struct fb_record *rec);

/*
 * The same for a record of the current range known only by its rel_line
 * (a batch item whose fb_record is gone), e.g. when the cluster rejects
 * it after the reader has moved on.
 */
uint64_t fb_reader_line_at(struct fb_reader *r, uint64_t rel_line);

/*
 * CSV header: copies the first record of the file (it must start at
 * offset 0; quoted newlines allowed, trailing "\r" trimmed) into
 * out[0..cap), its length in *len.  Any worker may call it, before or
 * between ranges; file input only (a stream returns the header as its
 * first record, flagged is_header).  0, or -1 (error set) if it is empty,
 * longer than cap, or unreadable.
 */
int fb_reader_read_header(struct fb_reader *r, char *out, size_t cap,
                          size_t *len);

/* Whitespace-only lines the current range skipped so far. */
uint64_t fb_reader_blank_lines(const struct fb_reader *r);

/* Identity of the open file as captured at open. */
const struct fb_file_id *fb_reader_file_id(const struct fb_reader *r);

/* 1 if the open file changed since it was opened (fstat now), 0 if not,
 * -1 on error. */
int fb_reader_file_changed(struct fb_reader *r);

/* Bytes the prefix scans have read since fb_reader_new() (for tests and
 * statistics). */
uint64_t fb_reader_prefix_bytes(const struct fb_reader *r);

/* The last error, "" if none. */
const char *fb_reader_error(const struct fb_reader *r);

#endif
