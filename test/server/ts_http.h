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
    uint16_t port;    /* 0: let the kernel pick a free port */
    unsigned threads; /* 0: a thread per connection; N: a pool of N */
    bool verbose;     /* let libmicrohttpd log its errors to stderr */
};

struct ts_http; /* opaque: the running daemon */

/*
 * Starts listening and serving.  The state must outlive the server.
 * Returns NULL (after a message on stderr) if the address cannot be bound.
 */
struct ts_http *ts_http_start(struct ts_state *state,
                              const struct ts_http_config *config);

/* The port actually bound (useful with port 0). */
uint16_t ts_http_port(const struct ts_http *http);

/* Stops accepting, closes every connection, joins threads, frees. */
void ts_http_stop(struct ts_http *http);

#endif
