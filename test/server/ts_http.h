/*
 * ts_http.h
 *    The HTTP transport of es-test-server, on libmicrohttpd.
 *
 * It accepts connections on a loopback address, reads each request body
 * (de-chunked and gunzipped, bounded by the state's max_content_length),
 * answers by itself what a real cluster's Netty layer answers (413, 417,
 * dropped connections, delays), and hands every other complete request to
 * ts_api_handle().  See README.md in this folder for the fault model.
 */
#ifndef TS_HTTP_H
#define TS_HTTP_H

#include <stdbool.h>
#include <stdint.h>

#include "ts_api.h"

struct ts_http_config {
    const char *bind; /* dotted IPv4 address to listen on */
    uint16_t port;    /* node i listens on port + i; 0: on free ports */
    unsigned nodes;   /* 1..TS_NODES_MAX (0 counts as 1) */
    unsigned threads; /* 0: a thread per connection; N: a pool of N */
    bool verbose;     /* let libmicrohttpd log its errors to stderr */
};

struct ts_http; /* opaque: the running nodes */

/*
 * Starts listening and serving on every node, and tells the state its
 * nodes' ports and how to take them down and up (ts_state_set_nodes()).
 * The state must outlive the server.  Returns NULL (after a message on
 * stderr) if an address cannot be bound.
 */
struct ts_http *ts_http_start(struct ts_state *state,
                              const struct ts_http_config *config);

/* How many nodes there are. */
unsigned ts_http_nodes(const struct ts_http *http);

/* The port node listens on (with port 0, the one the kernel gave). */
uint16_t ts_http_port(const struct ts_http *http, unsigned node);

/*
 * Stops accepting, closes every connection, joins threads, frees; first
 * detaches from the state, so no node goes down or up meanwhile.
 */
void ts_http_stop(struct ts_http *http);

#endif
