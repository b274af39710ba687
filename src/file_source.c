/*
 * file_source.c
 *    NDJSON and CSV files as a source (source.h).
 *
 * Parent: one unit, the whole input, planned from its size alone
 * (file_plan.h) into opts->index.  Worker: a bounded reader of byte ranges
 * (file_reader.h); each NDJSON line is validated, each CSV row rendered as a
 * JSON object, and each record gets the id that makes a re-send overwrite
 * it: from --id-field, or the file's identity and the record's offset
 * (docid.h); with --time-field, also the index of its own hour
 * (timefield.h).
 */
#include "forkbulk/source.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "forkbulk/check.h"
#include "forkbulk/file_csv.h"
#include "forkbulk/clock.h"
#include "forkbulk/docid.h"
#include "forkbulk/dry_run.h"
#include "forkbulk/file_plan.h"
#include "forkbulk/jsonout.h"
#include "forkbulk/jsonscan.h"
#include "forkbulk/log.h"
#include "forkbulk/file_reader.h"
#include "forkbulk/publish.h"
#include "forkbulk/status.h"
#include "forkbulk/timefield.h"

/* ---- parent ------------------------------------------------------- */

struct file_plan {
    const struct fb_options *opts;
    struct fb_plan plan;
    bool planned;
};

static bool
file_claims(const struct fb_options *opts)
{
    return opts->input != NULL;
}

static const char *
file_name(const struct fb_options *opts)
{
    return opts->input;
}

static int
file_max_workers(const struct fb_options *opts)
{
    /* Standard input has one reader. */
    return strcmp(opts->input, "-") == 0 ? 1 : opts->workers;
}

/* The byte of each --csv-delimiter. */
static const char csv_delimiters[] = {
    [FB_CSV_COMMA] = ',',
    [FB_CSV_SEMICOLON] = ';',
    [FB_CSV_PIPE] = '|',
    [FB_CSV_TAB] = '\t',
};

/* --csv-columns are checked before any work, as a header would be. */
static int
check_columns(const struct fb_options *opts)
{
    struct fb_csv_opts co = {0, 0, 0, ','};
    struct fb_csv *csv;
    int rc = FB_EXIT_OK;

    if (opts->format != FB_FORMAT_CSV || opts->csv_columns == NULL)
        return FB_EXIT_OK;
    if ((csv = fb_csv_new(&co)) == NULL)
        return FB_EXIT_OSERR;
    if (fb_csv_set_columns(csv, opts->csv_columns) < 0) {
        fb_error("--csv-columns: %s", fb_csv_error(csv));
        rc = FB_EXIT_USAGE;
    }
    fb_csv_free(csv);
    return rc;
}

/* --time-field: the zone and the pattern can name every hour. */
static int
check_time_field(const struct fb_options *opts)
{
    char err[1024];

    if (opts->time_field == NULL ||
        fb_timefield_check(opts->index_pattern, opts->timezone, err,
                           sizeof(err)) == 0)
        return FB_EXIT_OK;
    fb_error("%s", err);
    return FB_EXIT_USAGE;
}

static int
file_plan_open(const struct fb_options *opts, void **plan)
{
    struct file_plan *fp;
    int rc = check_columns(opts);

    if (rc == FB_EXIT_OK)
        rc = check_time_field(opts);
    if (rc != FB_EXIT_OK)
        return rc;
    if ((fp = calloc(1, sizeof(*fp))) == NULL)
        return FB_EXIT_OSERR;
    fp->opts = opts;
    *plan = fp;
    return FB_EXIT_OK;
}

static int
file_next_unit(void *plan, struct fb_unit *unit)
{
    struct file_plan *fp = plan;
    int rc;

    if (fp->planned)
        return 0;
    fp->planned = true;
    if ((rc = fb_plan_input(fp->opts, &fp->plan)) != 0)
        return -rc;
    if ((rc = fb_publish_target(fp->opts, fp->opts->index, unit->index,
                                sizeof(unit->index))) != 0)
        return -rc;
    snprintf(unit->name, sizeof(unit->name), "%s", fp->opts->input);
    unit->n_ranges = fp->plan.n_ranges;
    unit->time_us = fb_unix_us();
    return 1;
}

static void
file_range(void *plan, uint64_t i, struct fb_msg *range)
{
    struct file_plan *fp = plan;

    fb_plan_range(&fp->plan, i, &range->lo, &range->hi);
}

static void
file_plan_close(void *plan)
{
    free(plan);
}

static const char *
kind_name(enum fb_input_kind kind)
{
    return kind == FB_INPUT_GZIP     ? "gzip"
           : kind == FB_INPUT_STREAM ? "stream"
                                     : "file";
}

/* --dry-run: the input's kind and size, and each range's bytes. */
static void
file_describe(const void *plan, const struct fb_unit *unit, FILE *out)
{
    const struct file_plan *fp = plan;
    enum fb_input_kind kind = FB_INPUT_STREAM;
    uint64_t size = 0, lo, hi;
    char lo_text[32], hi_text[32];

    (void)unit;
    /* The plan keeps no kind: ask again (the size is the plan's). */
    if (fb_input_kind(fp->opts->input, &kind, &size) < 0)
        kind = fp->plan.whole ? FB_INPUT_STREAM : FB_INPUT_FILE;
    if (fp->plan.whole)
        fprintf(out, "  input: %s, read whole by one worker from the start\n",
                kind_name(kind));
    else
        fprintf(out,
                "  input: %s, %" PRIu64 " bytes, ranges of %" PRIu64 " bytes\n",
                kind_name(kind), fp->plan.size, fp->plan.range_bytes);
    if (fp->opts->time_field != NULL)
        fprintf(out,
                "  index: each record's own, %s for the time in its field "
                "%s (%s)\n",
                fp->opts->index_pattern, fp->opts->time_field,
                fp->opts->timezone != NULL ? fp->opts->timezone : "UTC");
    for (uint64_t i = 0; i < fp->plan.n_ranges; i++) {
        fb_plan_range(&fp->plan, i, &lo, &hi);
        snprintf(lo_text, sizeof(lo_text), "%" PRIu64, lo);
        snprintf(hi_text, sizeof(hi_text), "%" PRIu64, hi);
        fb_dry_run_range(out, i, "bytes", lo_text,
                         hi == UINT64_MAX ? NULL : hi_text);
    }
}

/* --check: the input can be opened; its kind and size. */
static int
file_check(const struct fb_options *opts, FILE *out)
{
    enum fb_input_kind kind;
    uint64_t size;
    char what[PATH_MAX + 16], detail[256];

    snprintf(what, sizeof(what), "input %s", opts->input);
    if (fb_input_kind(opts->input, &kind, &size) < 0) {
        snprintf(detail, sizeof(detail), "cannot read it: %s", strerror(errno));
        return fb_check_say(out, what, FB_EXIT_NOINPUT, detail);
    }
    if (kind == FB_INPUT_FILE)
        snprintf(detail, sizeof(detail), "file, %" PRIu64 " bytes", size);
    else
        snprintf(detail, sizeof(detail), "%s", kind_name(kind));
    return fb_check_say(out, what, FB_EXIT_OK, detail);
}

/* ---- worker ------------------------------------------------------- */

struct file_reader {
    const struct fb_options *opts;
    enum fb_input_kind kind;
    struct fb_reader *reader;
    struct fb_scan_state ckpt; /* lets consecutive ranges skip prefixes */
    struct fb_docid_source idsrc;
    struct fb_timefield *tf; /* --time-field, or NULL */
    struct fb_csv *csv;
    char *scratch; /* CSV record rendered as JSON; the header */
    size_t scratch_cap;
    uint64_t lo, hi;     /* the current range */
    uint64_t blank_seen; /* of the range's blank lines, told already */
    char id[FB_DOCID_BUFSIZE];
    char err[512];
};

static void file_reader_close(void *reader);

/* The reader for the kind of input opts->input is. */
static int
open_input(struct file_reader *fr)
{
    const char *path = fr->opts->input;
    uint64_t size;
    int rc;

    if (fb_input_kind(path, &fr->kind, &size) < 0) {
        fb_error("cannot read input %s: %s", path, strerror(errno));
        return FB_EXIT_NOINPUT;
    }
    if (fr->kind == FB_INPUT_STREAM && strcmp(path, "-") == 0) {
        rc = fb_reader_open_stream(fr->reader, STDIN_FILENO);
    } else if (fr->kind == FB_INPUT_STREAM) {
        int fd = open(path, O_RDONLY | O_CLOEXEC);

        /* The reader does not own a stream's fd; this one lives as long
         * as the worker. */
        rc = fd < 0 ? -1 : fb_reader_open_stream(fr->reader, fd);
    } else if (fr->kind == FB_INPUT_GZIP) {
        rc = fb_reader_open_gzip(fr->reader, path);
    } else {
        rc = fb_reader_open_file(fr->reader, path);
    }
    if (rc < 0) {
        fb_error("cannot open input %s: %s", path, fb_reader_error(fr->reader));
        return FB_EXIT_NOINPUT;
    }
    if (fb_docid_source_init(&fr->idsrc,
                             fr->kind == FB_INPUT_STREAM ? NULL : path) < 0) {
        fb_error("cannot resolve the path of %s: %s", path, strerror(errno));
        return FB_EXIT_NOINPUT;
    }
    return FB_EXIT_OK;
}

/* CSV field names from the header record (a stream's comes as its first
 * record instead). */
static int
set_csv_header(struct file_reader *fr, const char *data, size_t len)
{
    if (fb_csv_set_header(fr->csv, data, len) < 0) {
        fb_error("%s: bad CSV header: %s", fr->opts->input,
                 fb_csv_error(fr->csv));
        return FB_EXIT_DATAERR;
    }
    return FB_EXIT_OK;
}

static int
read_csv_header(struct file_reader *fr)
{
    size_t len;

    if (fb_reader_read_header(fr->reader, fr->scratch, fr->scratch_cap, &len) <
        0) {
        fb_error("%s: cannot read the CSV header: %s", fr->opts->input,
                 fb_reader_error(fr->reader));
        return FB_EXIT_DATAERR;
    }
    return set_csv_header(fr, fr->scratch, len);
}

/* A CSV file's field names: --csv-columns, or its header row (a
 * stream's comes as its first record instead). */
static int
field_names(struct file_reader *fr)
{
    if (!fr->opts->csv_header)
        return fb_csv_set_columns(fr->csv, fr->opts->csv_columns) < 0
                   ? FB_EXIT_USAGE /* the parent checked them already */
                   : FB_EXIT_OK;
    return fr->kind == FB_INPUT_FILE ? read_csv_header(fr) : FB_EXIT_OK;
}

static int
alloc_reader(struct file_reader *fr, const struct fb_options *opts)
{
    struct fb_reader_opts ro;
    struct fb_csv_opts co;

    memset(&ro, 0, sizeof(ro));
    ro.format = opts->format;
    ro.max_record_bytes = opts->max_record_bytes;
    fr->reader = fb_reader_new(&ro);
    if (fr->reader == NULL)
        return FB_EXIT_OSERR;
    if (opts->time_field != NULL &&
        (fr->tf = fb_timefield_new(opts->time_field, opts->time_field_format,
                                   opts->index_pattern, opts->timezone)) ==
            NULL)
        return FB_EXIT_OSERR;
    if (opts->format != FB_FORMAT_CSV)
        return FB_EXIT_OK;
    memset(&co, 0, sizeof(co));
    co.max_record_bytes = opts->max_record_bytes;
    co.empty_as_null = opts->csv_null;
    co.delimiter = csv_delimiters[opts->csv_delimiter];
    fr->csv = fb_csv_new(&co);
    /* Names and quoting make a rendered row longer than the record. */
    fr->scratch_cap = opts->max_record_bytes * 2 + 65536;
    fr->scratch = malloc(fr->scratch_cap);
    return fr->csv == NULL || fr->scratch == NULL ? FB_EXIT_OSERR : FB_EXIT_OK;
}

static int
file_reader_open(const struct fb_options *opts, void **reader)
{
    struct file_reader *fr = calloc(1, sizeof(*fr));
    int rc;

    if (fr == NULL)
        return FB_EXIT_OSERR;
    fr->opts = opts;
    fb_scan_state_init(&fr->ckpt);
    rc = alloc_reader(fr, opts);
    if (rc == FB_EXIT_OSERR)
        fb_error("cannot allocate the reader of %s: out of memory",
                 opts->input);
    if (rc == FB_EXIT_OK)
        rc = open_input(fr);
    if (rc == FB_EXIT_OK && opts->format == FB_FORMAT_CSV)
        rc = field_names(fr);
    if (rc != FB_EXIT_OK) {
        file_reader_close(fr);
        return rc;
    }
    *reader = fr;
    return FB_EXIT_OK;
}

static int
file_reader_begin(void *reader, const struct fb_msg *range)
{
    struct file_reader *fr = reader;

    fr->lo = range->lo;
    fr->hi = range->hi;
    fr->blank_seen = 0;
    if (fb_reader_begin(fr->reader, fr->lo, fr->hi, &fr->ckpt) < 0) {
        fb_error("%s: cannot read range [%" PRIu64 ", %" PRIu64 "): %s",
                 fr->opts->input, fr->lo, fr->hi, fb_reader_error(fr->reader));
        return FB_EXIT_IOERR;
    }
    return FB_EXIT_OK;
}

/* The record refused, with why (err is the reader's own buffer). */
static void
refuse(struct fb_doc *doc, const char *type, const char *why)
{
    doc->json = NULL;
    doc->error_type = type;
    doc->error = why;
}

/* The id of a ready document: --id-field, else the file and offset. */
static void
derive_id(struct file_reader *fr, struct fb_doc *doc)
{
    if (fr->opts->id_field == NULL) {
        doc->id_len =
            fb_docid_position(&fr->idsrc, doc->offset, fr->id, sizeof(fr->id));
        doc->id = fr->id;
        return;
    }
    if (fb_docid_from_field(doc->json, doc->len, fr->opts->id_field, fr->id,
                            sizeof(fr->id), &doc->id_len, fr->err,
                            sizeof(fr->err)) < 0) {
        refuse(doc, "invalid_id", fr->err);
        return;
    }
    doc->id = fr->id;
}

/* Turns one record into a document: NDJSON validated, CSV rendered. */
static void
to_document(struct file_reader *fr, const struct fb_record *rec,
            struct fb_doc *doc)
{
    size_t pos = 0;

    if (rec->too_long) {
        snprintf(fr->err, sizeof(fr->err),
                 "record is %zu bytes, more than --max-record-bytes %zu",
                 rec->len, fr->opts->max_record_bytes);
        refuse(doc, "record_too_large", fr->err);
        return;
    }
    if (fr->opts->format == FB_FORMAT_NDJSON) {
        if (fb_json_validate_object(rec->data, rec->len, fr->err,
                                    sizeof(fr->err)) < 0) {
            refuse(doc, "invalid_json", fr->err);
            return;
        }
        doc->json = rec->data;
        doc->len = rec->len;
        derive_id(fr, doc);
        return;
    }
    /* JSON can carry only UTF-8: a Latin-1 record is refused, not
     * silently altered. */
    if (!fb_utf8_valid(rec->data, rec->len)) {
        refuse(doc, "invalid_csv", "record is not valid UTF-8");
        return;
    }
    if (fb_csv_to_json(fr->csv, rec->data, rec->len, fr->scratch,
                       fr->scratch_cap, &pos) < 0) {
        refuse(doc, "invalid_csv", fb_csv_error(fr->csv));
        return;
    }
    doc->json = fr->scratch;
    doc->len = pos;
    derive_id(fr, doc);
}

/* --time-field: the document goes to the index of its own hour. */
static void
place(struct file_reader *fr, struct fb_doc *doc)
{
    if (fb_timefield_index(fr->tf, doc->json, doc->len, &doc->index, fr->err,
                           sizeof(fr->err)) < 0)
        refuse(doc, "invalid_time", fr->err);
}

/* Blank lines the reader skipped since it was last asked. */
static uint64_t
blank_since(struct file_reader *fr)
{
    uint64_t n = fb_reader_blank_lines(fr->reader) - fr->blank_seen;

    fr->blank_seen += n;
    return n;
}

/* A CSV file's header record (a stream's comes as its first record),
 * unless the file has none and --csv-columns names the fields. */
static bool
is_header(const struct file_reader *fr, const struct fb_record *rec)
{
    return rec->is_header && fr->opts->format == FB_FORMAT_CSV &&
           fr->opts->csv_header;
}

static int
file_reader_next(void *reader, struct fb_doc *doc)
{
    struct file_reader *fr = reader;
    struct fb_record rec;

    for (;;) {
        enum fb_read_result r = fb_reader_next(fr->reader, &rec);
        int rc;

        if (r == FB_READ_END) {
            doc->blank = blank_since(fr);
            return 0;
        }
        if (r == FB_READ_ERROR) {
            fb_error("%s: read error in range [%" PRIu64 ", %" PRIu64 "): %s",
                     fr->opts->input, fr->lo, fr->hi,
                     fb_reader_error(fr->reader));
            return -FB_EXIT_IOERR;
        }
        if (!is_header(fr, &rec))
            break;
        if ((rc = set_csv_header(fr, rec.data, rec.len)) != FB_EXIT_OK)
            return -rc;
    }
    memset(doc, 0, sizeof(*doc));
    doc->blank = blank_since(fr);
    doc->offset = rec.offset;
    doc->line = rec.rel_line;
    doc->raw = rec.data;
    doc->raw_len = rec.data != NULL ? rec.len : 0;
    to_document(fr, &rec, doc);
    if (fr->tf != NULL && doc->json != NULL)
        place(fr, doc);
    return 1;
}

static void
file_reader_locate(void *reader, struct fb_reject *r)
{
    struct file_reader *fr = reader;

    r->where = NULL; /* the reject file names the file already */
    r->line = fb_reader_line_at(fr->reader, r->line);
}

static int
file_reader_end(void *reader)
{
    struct file_reader *fr = reader;

    if (fr->kind == FB_INPUT_FILE && fb_reader_file_changed(fr->reader) == 1) {
        fb_error("%s changed (size, inode or mtime) while range [%" PRIu64
                 ", %" PRIu64 ") was loaded; the load is not consistent",
                 fr->opts->input, fr->lo, fr->hi);
        return FB_EXIT_IOERR;
    }
    return FB_EXIT_OK;
}

static void
file_reader_close(void *reader)
{
    struct file_reader *fr = reader;

    if (fr == NULL)
        return;
    fb_reader_free(fr->reader);
    fb_timefield_free(fr->tf);
    fb_csv_free(fr->csv);
    free(fr->scratch);
    free(fr);
}

const struct fb_source fb_file_source = {
    .kind = "file",
    .claims = file_claims,
    .name = file_name,
    .max_workers = file_max_workers,
    .plan_open = file_plan_open,
    .next_unit = file_next_unit,
    .range = file_range,
    .plan_close = file_plan_close,
    .describe = file_describe,
    .check = file_check,
    .reader_open = file_reader_open,
    .reader_begin = file_reader_begin,
    .reader_next = file_reader_next,
    .reader_locate = file_reader_locate,
    .reader_end = file_reader_end,
    .reader_close = file_reader_close,
};
