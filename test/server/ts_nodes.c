/*
 * ts_nodes.c
 *    The nodes of the cluster es-test-server imitates (see ts_api.h):
 *    each node's port and state, the changes PUT /_test/nodes/<i> asks
 *    for, and a timer that brings a node back after "for_ms".
 *
 * The transport does the socket work (closing or opening a node's
 * listening socket, closing its connections); this module decides when.
 * nodes->lock serialises changes and is never taken with the state's
 * lock held, nor the other way round: a change may wait for the
 * transport, and the transport's threads take the state's lock.
 */
#include "ts_state.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static const char *const state_names[] = {"up", "down", "503"};

int
ts_nodes_init(struct ts_nodes *nodes)
{
    pthread_condattr_t attr;
    int rc;

    memset(nodes, 0, sizeof(*nodes));
    nodes->n = 1;
    if (pthread_mutex_init(&nodes->lock, NULL) != 0)
        return -1;
    /* the timer sleeps on the monotonic clock, as ts_now_ms() counts */
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    rc = pthread_cond_init(&nodes->wake, &attr);
    pthread_condattr_destroy(&attr);
    if (rc != 0) {
        pthread_mutex_destroy(&nodes->lock);
        return -1;
    }
    return 0;
}

void
ts_nodes_stop(struct ts_nodes *nodes)
{
    bool join;

    pthread_mutex_lock(&nodes->lock);
    nodes->stopping = true;
    nodes->has_tp = false;
    join = nodes->timer_running;
    nodes->timer_running = false;
    pthread_cond_broadcast(&nodes->wake);
    pthread_mutex_unlock(&nodes->lock);
    if (join)
        pthread_join(nodes->timer, NULL);
}

void
ts_nodes_free(struct ts_nodes *nodes)
{
    ts_nodes_stop(nodes);
    pthread_cond_destroy(&nodes->wake);
    pthread_mutex_destroy(&nodes->lock);
}

enum ts_node_state
ts_nodes_state(struct ts_nodes *nodes, unsigned node)
{
    if (node >= nodes->n)
        return TS_NODE_UP;
    return (enum ts_node_state)__atomic_load_n(&nodes->node[node].state,
                                               __ATOMIC_ACQUIRE);
}

/*
 * Moves node to state to: the transport first (listening or not), then
 * the state requests see.  nodes->lock is held.
 */
static int
change(struct ts_nodes *nodes, unsigned node, enum ts_node_state to,
       const struct ts_request *req, bool *close_conn, char *reason, size_t cap)
{
    struct ts_node *nd = &nodes->node[node];
    bool listening = nd->state != TS_NODE_DOWN;
    bool listen = to != TS_NODE_DOWN;

    if (listening != listen) {
        if (!nodes->has_tp) {
            snprintf(reason, cap, "no transport to take node [%u] %s", node,
                     listen ? "up" : "down");
            return -1;
        }
        if (nodes->tp.set_listening(nodes->tp.ctx, node, listen, req,
                                    close_conn, reason, cap) != 0)
            return -1;
    }
    __atomic_store_n(&nd->state, (int)to, __ATOMIC_RELEASE);
    return 0;
}

/* Brings back the nodes whose time is up; returns when the next is due
 * (0: none). */
static int64_t
timer_pass(struct ts_nodes *nodes)
{
    char reason[256];
    bool unused = false;
    int64_t now = ts_now_ms();
    int64_t next = 0;
    unsigned i;

    for (i = 0; i < nodes->n; i++) {
        struct ts_node *nd = &nodes->node[i];

        if (nd->until_ms == 0)
            continue;
        if (nd->until_ms <= now) {
            nd->until_ms = 0;
            if (change(nodes, i, TS_NODE_UP, NULL, &unused, reason,
                       sizeof(reason)) != 0)
                fprintf(stderr, "es-test-server: node %u stays down: %s\n", i,
                        reason);
        } else if (next == 0 || nd->until_ms < next) {
            next = nd->until_ms;
        }
    }
    return next;
}

static void *
timer_main(void *arg)
{
    struct ts_nodes *nodes = arg;

    pthread_mutex_lock(&nodes->lock);
    while (!nodes->stopping) {
        int64_t next = timer_pass(nodes);
        struct timespec ts;

        if (next == 0) {
            pthread_cond_wait(&nodes->wake, &nodes->lock);
            continue;
        }
        ts.tv_sec = (time_t)(next / 1000);
        ts.tv_nsec = (long)(next % 1000) * 1000000L;
        pthread_cond_timedwait(&nodes->wake, &nodes->lock, &ts);
    }
    pthread_mutex_unlock(&nodes->lock);
    return NULL;
}

int
ts_nodes_set(struct ts_nodes *nodes, unsigned node, enum ts_node_state to,
             uint32_t for_ms, const struct ts_request *req, bool *close_conn,
             char *reason, size_t cap)
{
    int rc;

    pthread_mutex_lock(&nodes->lock);
    rc = change(nodes, node, to, req, close_conn, reason, cap);
    if (rc == 0) {
        nodes->node[node].until_ms =
            for_ms > 0 && to != TS_NODE_UP ? ts_now_ms() + for_ms : 0;
        if (for_ms > 0 && !nodes->timer_running && !nodes->stopping) {
            rc = pthread_create(&nodes->timer, NULL, timer_main, nodes);
            if (rc != 0) {
                snprintf(reason, cap, "cannot start the timer: %s",
                         strerror(rc));
                rc = -1;
            } else {
                nodes->timer_running = true;
            }
        }
        pthread_cond_broadcast(&nodes->wake);
    }
    pthread_mutex_unlock(&nodes->lock);
    return rc;
}

void
ts_nodes_write(struct ts_nodes *nodes, unsigned node, struct ts_out *out)
{
    ts_out_printf(out, "{\"node\":%u,\"port\":%u,\"state\":\"%s\"}", node,
                  (unsigned)nodes->node[node].port,
                  state_names[ts_nodes_state(nodes, node)]);
}
