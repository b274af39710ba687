/*
 * test_proto.c
 *    Supervisor <-> worker frames: encoding, validation, and transfer over
 *    a real pipe.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "forkbulk/proto.h"

static struct fb_msg
sample(enum fb_msg_type type)
{
    struct fb_msg m;

    memset(&m, 0, sizeof(m));
    m.type = type;
    m.range_id = 0xfedcba98u;
    m.lo = 0x0123456789abcdefull;
    m.hi = UINT64_MAX;
    m.status = -143;
    m.counts.read = 1;
    m.counts.loaded = 2;
    m.counts.rejected = 3;
    m.counts.conflicts = 4;
    m.counts.retried = 5;
    m.counts.bytes_sent = UINT64_MAX - 1;
    m.counts.requests = 7;
    m.counts.blank = 8;
    m.counts.bytes_wire = 9;
    m.counts.gzip_in = 0x7fffffffffffffffull;
    m.counts.gzip_us = 11;
    for (int i = 0; i < FB_MAX_NODES; i++) {
        m.counts.nodes[i].requests = 0x0101010101010101ull * (uint64_t)(i + 1);
        m.counts.nodes[i].failures = UINT64_MAX - (uint64_t)i;
    }
    m.win_start = -1;
    m.win_end = INT64_MAX;
    m.kind = 3;
    m.rejects_done = 0x8000000000000009ull;
    m.unit_time = INT64_MIN + 3;
    snprintf(m.index, sizeof(m.index), "flows-2026.11.27.03");
    snprintf(m.snapshot, sizeof(m.snapshot), "00000003-0000001B-1");
    return m;
}

static void
assert_msg_equal(const struct fb_msg *a, const struct fb_msg *b)
{
    assert_int_equal(a->type, b->type);
    assert_int_equal(a->range_id, b->range_id);
    assert_true(a->lo == b->lo);
    assert_true(a->rejects_done == b->rejects_done);
    assert_true(a->unit_time == b->unit_time);
    assert_true(a->hi == b->hi);
    assert_int_equal(a->status, b->status);
    assert_memory_equal(&a->counts, &b->counts, sizeof(a->counts));
    assert_true(a->win_start == b->win_start);
    assert_true(a->win_end == b->win_end);
    assert_int_equal(a->kind, b->kind);
    assert_string_equal(a->index, b->index);
    assert_string_equal(a->snapshot, b->snapshot);
}

static void
test_round_trip_every_type(void **state)
{
    (void)state;
    for (int t = FB_MSG_RANGE; t <= FB_MSG_INDEX_COUNT; t++) {
        struct fb_msg in = sample((enum fb_msg_type)t);
        struct fb_msg out;
        unsigned char frame[FB_MSG_SIZE];

        fb_msg_encode(&in, frame);
        assert_int_equal(frame[0], FB_PROTO_VERSION);
        assert_int_equal(fb_msg_decode(frame, &out), 0);
        assert_msg_equal(&in, &out);
    }
}

/* INDEX_COUNT: an index name (or "" for the unlisted) and a count. */
static void
test_index_count_frame(void **state)
{
    struct fb_msg in, out;
    unsigned char frame[FB_MSG_SIZE];

    (void)state;
    memset(&in, 0, sizeof(in));
    in.type = FB_MSG_INDEX_COUNT;
    in.range_id = 7;
    in.counts.loaded = 123456789;
    memset(in.index, 'i', FB_MSG_INDEX_MAX - 1);
    fb_msg_encode(&in, frame);
    assert_int_equal(fb_msg_decode(frame, &out), 0);
    assert_msg_equal(&in, &out);
    assert_int_equal(strlen(out.index), FB_MSG_INDEX_MAX - 1);
    in.index[0] = '\0';
    fb_msg_encode(&in, frame);
    assert_int_equal(fb_msg_decode(frame, &out), 0);
    assert_string_equal(out.index, "");
    assert_true(out.counts.loaded == 123456789);
}

static void
test_layout_is_little_endian_and_fixed(void **state)
{
    struct fb_msg in = sample(FB_MSG_RANGE);
    unsigned char frame[FB_MSG_SIZE];

    (void)state;
    fb_msg_encode(&in, frame);
    /* range_id at byte 4, lo at 8: the wire format does not depend on the
     * compiler's struct layout. */
    assert_int_equal(frame[4], 0x98);
    assert_int_equal(frame[7], 0xfe);
    assert_int_equal(frame[8], 0xef);
    assert_int_equal(frame[15], 0x01);
    /* The first node's requests follow the 11 counters (at 116). */
    assert_int_equal(frame[92], 0x09);
    assert_int_equal(frame[116], 0x01);
    assert_int_equal(frame[124], 0xff);
    assert_int_equal(FB_MSG_SIZE, 724);
    assert_true(FB_MSG_SIZE <= PIPE_BUF);
}

static void
test_decode_rejects_bad_frames(void **state)
{
    struct fb_msg in = sample(FB_MSG_DONE);
    struct fb_msg out;
    unsigned char frame[FB_MSG_SIZE];

    (void)state;
    fb_msg_encode(&in, frame);
    frame[0] = FB_PROTO_VERSION + 1;
    assert_int_equal(fb_msg_decode(frame, &out), -1);
    fb_msg_encode(&in, frame);
    frame[1] = 0;
    assert_int_equal(fb_msg_decode(frame, &out), -1);
    frame[1] = FB_MSG_INDEX_COUNT + 1;
    assert_int_equal(fb_msg_decode(frame, &out), -1);
    /* An index slot without its NUL would be read past. */
    fb_msg_encode(&in, frame);
    memset(frame + FB_MSG_SIZE - FB_MSG_SNAPSHOT_MAX - FB_MSG_INDEX_MAX, 'x',
           FB_MSG_INDEX_MAX);
    assert_int_equal(fb_msg_decode(frame, &out), -1);
}

static void
test_long_index_is_cut_not_overrun(void **state)
{
    struct fb_msg in = sample(FB_MSG_RANGE);
    struct fb_msg out;
    unsigned char frame[FB_MSG_SIZE];

    (void)state;
    memset(in.index, 'a', sizeof(in.index));
    fb_msg_encode(&in, frame);
    assert_int_equal(fb_msg_decode(frame, &out), 0);
    assert_int_equal(strlen(out.index), FB_MSG_INDEX_MAX - 1);
}

static void
test_pipe_transfer_and_eof(void **state)
{
    int fds[2];
    struct fb_msg a = sample(FB_MSG_RANGE);
    struct fb_msg b = sample(FB_MSG_DONE);
    struct fb_msg got;

    (void)state;
    assert_int_equal(pipe(fds), 0);
    assert_int_equal(fb_msg_send(fds[1], &a), 0);
    assert_int_equal(fb_msg_send(fds[1], &b), 0);
    close(fds[1]);
    assert_int_equal(fb_msg_recv(fds[0], &got), 1);
    assert_msg_equal(&a, &got);
    assert_int_equal(fb_msg_recv(fds[0], &got), 1);
    assert_msg_equal(&b, &got);
    assert_int_equal(fb_msg_recv(fds[0], &got), 0);
    close(fds[0]);
}

static void
test_truncated_frame_is_an_error(void **state)
{
    int fds[2];
    unsigned char frame[FB_MSG_SIZE];
    struct fb_msg m = sample(FB_MSG_DONE);

    (void)state;
    fb_msg_encode(&m, frame);
    assert_int_equal(pipe(fds), 0);
    /* A writer that died mid-frame. */
    assert_int_equal(write(fds[1], frame, 10), 10);
    close(fds[1]);
    errno = 0;
    assert_int_equal(fb_msg_recv(fds[0], &m), -1);
    assert_int_equal(errno, EPROTO);
    close(fds[0]);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip_every_type),
        cmocka_unit_test(test_index_count_frame),
        cmocka_unit_test(test_layout_is_little_endian_and_fixed),
        cmocka_unit_test(test_decode_rejects_bad_frames),
        cmocka_unit_test(test_long_index_is_cut_not_overrun),
        cmocka_unit_test(test_pipe_transfer_and_eof),
        cmocka_unit_test(test_truncated_frame_is_an_error),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
