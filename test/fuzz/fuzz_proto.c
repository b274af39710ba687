/*
 * fuzz_proto.c
 *    libFuzzer target for the pipe frame codec (proto.c).
 *
 * Two uses of the input.  As a frame: decode must accept exactly the
 * frames of our version with a known type and NUL-terminated text slots,
 * and what it accepts must survive encode/decode unchanged.  As raw field
 * values: any message we can build must come back from encode/decode, and
 * from send/recv over a pipe, field for field.
 */
#include "forkbulk/proto.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz.h"

/* Offset of the text slots in a frame (see FB_MSG_SIZE). */
#define TEXT_AT (FB_MSG_SIZE - FB_MSG_INDEX_MAX - FB_MSG_SNAPSHOT_MAX)

static void
check_same(const struct fb_msg *a, const struct fb_msg *b)
{
    CHECK(a->type == b->type);
    CHECK(a->range_id == b->range_id);
    CHECK(a->lo == b->lo && a->hi == b->hi);
    CHECK(a->status == b->status);
    CHECK(a->counts.read == b->counts.read);
    CHECK(a->counts.loaded == b->counts.loaded);
    CHECK(a->counts.rejected == b->counts.rejected);
    CHECK(a->counts.conflicts == b->counts.conflicts);
    CHECK(a->counts.retried == b->counts.retried);
    CHECK(a->counts.bytes_sent == b->counts.bytes_sent);
    CHECK(a->counts.requests == b->counts.requests);
    CHECK(a->counts.blank == b->counts.blank);
    CHECK(a->counts.bytes_wire == b->counts.bytes_wire);
    CHECK(a->counts.gzip_in == b->counts.gzip_in);
    CHECK(a->counts.gzip_us == b->counts.gzip_us);
    for (int i = 0; i < FB_MAX_NODES; i++) {
        CHECK(a->counts.nodes[i].requests == b->counts.nodes[i].requests);
        CHECK(a->counts.nodes[i].failures == b->counts.nodes[i].failures);
    }
    CHECK(a->win_start == b->win_start && a->win_end == b->win_end);
    CHECK(a->kind == b->kind);
    CHECK(a->rejects_done == b->rejects_done);
    CHECK(a->unit_time == b->unit_time);
    CHECK(strcmp(a->index, b->index) == 0);
    CHECK(strcmp(a->snapshot, b->snapshot) == 0);
}

/* Decoding the frame as given. */
static void
fuzz_frame(const unsigned char *frame)
{
    struct fb_msg m, m2;
    unsigned char again[FB_MSG_SIZE];
    int expect_ok = frame[0] == FB_PROTO_VERSION && frame[1] >= FB_MSG_RANGE &&
                    frame[1] <= FB_MSG_INDEX_COUNT &&
                    memchr(frame + TEXT_AT, 0, FB_MSG_INDEX_MAX) != NULL &&
                    memchr(frame + TEXT_AT + FB_MSG_INDEX_MAX, 0,
                           FB_MSG_SNAPSHOT_MAX) != NULL;
    int rc = fb_msg_decode(frame, &m);

    CHECK(rc == (expect_ok ? 0 : -1));
    if (rc != 0)
        return;
    CHECK(memchr(m.index, 0, sizeof(m.index)) != NULL);
    CHECK(memchr(m.snapshot, 0, sizeof(m.snapshot)) != NULL);
    fb_msg_encode(&m, again);
    /* Same numbers, same strings; only the spare byte and the bytes after
     * each string's NUL may differ (they are normalised to 0). */
    CHECK(memcmp(again, frame, 3) == 0);
    CHECK(again[3] == 0);
    CHECK(memcmp(again + 4, frame + 4, TEXT_AT - 4) == 0);
    CHECK(strcmp((const char *)again + TEXT_AT, m.index) == 0);
    CHECK(strcmp((const char *)again + TEXT_AT + FB_MSG_INDEX_MAX,
                 m.snapshot) == 0);
    CHECK(fb_msg_decode(again, &m2) == 0);
    check_same(&m, &m2);
}

/* Where fuzz_fields takes each field from in its raw bytes: the counters
 * (11 of them, then requests and failures of each node) at 26. */
#define RAW_COUNTS 26
#define RAW_WIN (RAW_COUNTS + 8 * (11 + 2 * FB_MAX_NODES))
#define RAW_TEXT (RAW_WIN + 16)

/* The bytes fuzz_fields reads must lie inside its raw frame. */
_Static_assert(sizeof(struct fb_counts) == 8 * (11 + 2 * FB_MAX_NODES),
               "struct fb_counts holds only uint64_t counters");
_Static_assert(RAW_TEXT + FB_MSG_INDEX_MAX - 1 + FB_MSG_SNAPSHOT_MAX - 1 + 16 <=
                   FB_MSG_SIZE,
               "fuzz_fields reads past raw");

/* Builds a message from the bytes, field by field. */
static void
fuzz_fields(const uint8_t *data, size_t size)
{
    static int fds[2] = {-1, -1};
    unsigned char raw[FB_MSG_SIZE];
    unsigned char frame[FB_MSG_SIZE];
    struct fb_msg m, d, r;
    size_t n = size < sizeof(raw) ? size : sizeof(raw);
    const unsigned char *p = raw;

    memset(raw, 0, sizeof(raw));
    memcpy(raw, data, n);
    memset(&m, 0, sizeof(m));
    m.type = (uint8_t)(FB_MSG_RANGE + p[0] % 4);
    m.kind = p[1];
    memcpy(&m.range_id, p + 2, 4);
    memcpy(&m.lo, p + 6, 8);
    memcpy(&m.hi, p + 14, 8);
    memcpy(&m.status, p + 22, 4);
    memcpy(&m.counts, p + RAW_COUNTS, sizeof(m.counts));
    memcpy(&m.win_start, p + RAW_WIN, 8);
    memcpy(&m.win_end, p + RAW_WIN + 8, 8);
    /* Strings of any length up to the slot; an over-long one is cut by
     * encode to the slot size minus its NUL. */
    memcpy(m.index, p + RAW_TEXT, sizeof(m.index) - 1);
    memcpy(m.snapshot, p + RAW_TEXT + sizeof(m.index) - 1,
           sizeof(m.snapshot) - 1);
    m.index[sizeof(m.index) - 1] = '\0';
    m.snapshot[sizeof(m.snapshot) - 1] = '\0';
    memcpy(&m.rejects_done,
           p + RAW_TEXT + sizeof(m.index) - 1 + sizeof(m.snapshot) - 1, 8);
    memcpy(&m.unit_time,
           p + RAW_TEXT + sizeof(m.index) - 1 + sizeof(m.snapshot) - 1 + 8, 8);

    fb_msg_encode(&m, frame);
    CHECK(fb_msg_decode(frame, &d) == 0);
    check_same(&m, &d);

    if (fds[0] < 0 && pipe(fds) != 0)
        abort();
    CHECK(fb_msg_send(fds[1], &m) == 0);
    CHECK(fb_msg_recv(fds[0], &r) == 1);
    check_same(&m, &r);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    unsigned char frame[FB_MSG_SIZE];

    /* Short inputs are padded with zeros, so small seeds still reach the
     * decoder with a valid version byte when they start with one. */
    memset(frame, 0, sizeof(frame));
    memcpy(frame, data, size < sizeof(frame) ? size : sizeof(frame));
    fuzz_frame(frame);
    fuzz_fields(data, size);
    return 0;
}
