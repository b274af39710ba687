/*
 * proto.c
 *    Encoding and transfer of supervisor <-> worker frames.
 *
 * Frames are encoded field by field in little-endian order rather than by
 * writing the struct, so padding never leaks stack bytes into the pipe and
 * the layout is fixed by this file alone.
 */
#include "forkbulk/proto.h"

#include <errno.h>
#include <limits.h>
#include <string.h>
#include <unistd.h>

_Static_assert(FB_MSG_SIZE <= PIPE_BUF, "a frame must be written atomically");

static unsigned char *
put_u32(unsigned char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        *p++ = (unsigned char)(v >> (8 * i));
    return p;
}

static unsigned char *
put_u64(unsigned char *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        *p++ = (unsigned char)(v >> (8 * i));
    return p;
}

/* A fixed slot of len bytes: the string, NUL-padded (cut if longer). */
static unsigned char *
put_text(unsigned char *p, const char *s, size_t len)
{
    size_t n = strnlen(s, len - 1);

    memcpy(p, s, n);
    memset(p + n, 0, len - n);
    return p + len;
}

static const unsigned char *
get_u32(const unsigned char *p, uint32_t *v)
{
    *v = 0;
    for (int i = 0; i < 4; i++)
        *v |= (uint32_t)p[i] << (8 * i);
    return p + 4;
}

static const unsigned char *
get_u64(const unsigned char *p, uint64_t *v)
{
    *v = 0;
    for (int i = 0; i < 8; i++)
        *v |= (uint64_t)p[i] << (8 * i);
    return p + 8;
}

void
fb_msg_encode(const struct fb_msg *msg, unsigned char frame[FB_MSG_SIZE])
{
    unsigned char *p = frame;

    *p++ = FB_PROTO_VERSION;
    *p++ = msg->type;
    *p++ = msg->kind;
    *p++ = 0;
    p = put_u32(p, msg->range_id);
    p = put_u64(p, msg->lo);
    p = put_u64(p, msg->hi);
    p = put_u32(p, (uint32_t)msg->status);
    p = put_u64(p, msg->counts.read);
    p = put_u64(p, msg->counts.loaded);
    p = put_u64(p, msg->counts.rejected);
    p = put_u64(p, msg->counts.conflicts);
    p = put_u64(p, msg->counts.retried);
    p = put_u64(p, msg->counts.bytes_sent);
    p = put_u64(p, msg->counts.requests);
    p = put_u64(p, msg->counts.blank);
    p = put_u64(p, msg->counts.bytes_wire);
    p = put_u64(p, msg->counts.gzip_in);
    p = put_u64(p, msg->counts.gzip_us);
    for (int i = 0; i < FB_MAX_NODES; i++) {
        p = put_u64(p, msg->counts.nodes[i].requests);
        p = put_u64(p, msg->counts.nodes[i].failures);
    }
    p = put_u64(p, (uint64_t)msg->win_start);
    p = put_u64(p, (uint64_t)msg->win_end);
    p = put_u64(p, msg->rejects_done);
    p = put_u64(p, (uint64_t)msg->unit_time);
    p = put_text(p, msg->index, FB_MSG_INDEX_MAX);
    put_text(p, msg->snapshot, FB_MSG_SNAPSHOT_MAX);
}

int
fb_msg_decode(const unsigned char frame[FB_MSG_SIZE], struct fb_msg *msg)
{
    const unsigned char *p = frame;
    uint32_t status;
    uint64_t win;

    if (p[0] != FB_PROTO_VERSION)
        return -1;
    if (p[1] < FB_MSG_RANGE || p[1] > FB_MSG_INDEX_COUNT)
        return -1;
    memset(msg, 0, sizeof(*msg));
    msg->type = p[1];
    msg->kind = p[2];
    p += 4;
    p = get_u32(p, &msg->range_id);
    p = get_u64(p, &msg->lo);
    p = get_u64(p, &msg->hi);
    p = get_u32(p, &status);
    msg->status = (int32_t)status;
    p = get_u64(p, &msg->counts.read);
    p = get_u64(p, &msg->counts.loaded);
    p = get_u64(p, &msg->counts.rejected);
    p = get_u64(p, &msg->counts.conflicts);
    p = get_u64(p, &msg->counts.retried);
    p = get_u64(p, &msg->counts.bytes_sent);
    p = get_u64(p, &msg->counts.requests);
    p = get_u64(p, &msg->counts.blank);
    p = get_u64(p, &msg->counts.bytes_wire);
    p = get_u64(p, &msg->counts.gzip_in);
    p = get_u64(p, &msg->counts.gzip_us);
    for (int i = 0; i < FB_MAX_NODES; i++) {
        p = get_u64(p, &msg->counts.nodes[i].requests);
        p = get_u64(p, &msg->counts.nodes[i].failures);
    }
    p = get_u64(p, &win);
    msg->win_start = (int64_t)win;
    p = get_u64(p, &win);
    msg->win_end = (int64_t)win;
    p = get_u64(p, &msg->rejects_done);
    p = get_u64(p, &win);
    msg->unit_time = (int64_t)win;
    /* Text fields must be NUL-terminated inside their slot. */
    if (memchr(p, '\0', FB_MSG_INDEX_MAX) == NULL ||
        memchr(p + FB_MSG_INDEX_MAX, '\0', FB_MSG_SNAPSHOT_MAX) == NULL)
        return -1;
    memcpy(msg->index, p, FB_MSG_INDEX_MAX);
    memcpy(msg->snapshot, p + FB_MSG_INDEX_MAX, FB_MSG_SNAPSHOT_MAX);
    return 0;
}

int
fb_msg_send(int fd, const struct fb_msg *msg)
{
    unsigned char frame[FB_MSG_SIZE];
    ssize_t n;

    fb_msg_encode(msg, frame);
    /* Atomic because FB_MSG_SIZE <= PIPE_BUF: all or nothing. */
    do {
        n = write(fd, frame, sizeof(frame));
    } while (n < 0 && errno == EINTR);
    if (n < 0)
        return -1;
    if ((size_t)n != sizeof(frame)) {
        errno = EPROTO;
        return -1;
    }
    return 0;
}

int
fb_msg_recv(int fd, struct fb_msg *msg)
{
    unsigned char frame[FB_MSG_SIZE];
    size_t got = 0;

    while (got < sizeof(frame)) {
        ssize_t n = read(fd, frame + got, sizeof(frame) - got);

        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        if (n == 0) {
            if (got == 0)
                return 0;
            errno = EPROTO; /* the writer died mid-frame */
            return -1;
        }
        got += (size_t)n;
    }
    if (fb_msg_decode(frame, msg) < 0) {
        errno = EPROTO;
        return -1;
    }
    return 1;
}
