/*
 * es_failure.h
 *    Why a request to the cluster got no answer, in an operator's words,
 *    and what may be done about it: try another node, retry later, or
 *    nothing (the configuration is wrong).
 *
 * libcurl reports a failure as a code and a message of its TLS library.
 * Codes alone do not tell a cluster that wants a client certificate from
 * a network that dropped the connection: with TLS 1.3 the server's alert
 * only arrives when the client reads the answer (CURLE_RECV_ERROR, "tlsv13
 * alert certificate required"), with TLS 1.2 during the handshake
 * (CURLE_SSL_CONNECT_ERROR, "alert handshake failure" when no certificate
 * was sent, "alert unknown ca" for one the cluster does not trust).  So the
 * alert's name is read from the message too.
 *
 *   curl code                        what it says               exit
 *   SSL_CACERT_BADFILE (77)          the CA file is unusable     78
 *   SSL_CERTPROBLEM (58)             --cert or --key unusable    78
 *                                    (wrong key_password, a key
 *                                    of another certificate)
 *   SSL_CONNECT_ERROR, RECV_ERROR,   the cluster requires a      78
 *   SEND_ERROR with a TLS alert      client certificate, or
 *                                    refuses the one given
 *   SEND_ERROR, RECV_ERROR after a   the same (TLS 1.3: the      78
 *   handshake in which the cluster   alert was lost, see below)
 *   asked for a client certificate
 *   PEER_FAILED_VERIFICATION (60)    not trusted by --ca-file,   69, node down
 *                                    or host name mismatch
 *   other TLS handshake failures     (protocol version, not TLS) 69, node down
 *   any other failure                refused, timed out, ...     69, node down
 *
 * With TLS 1.3 the alert is not always seen: the cluster sends it and
 * closes the connection while the client is already sending its request,
 * and the reset that answers the request throws the unread alert away
 * (curl: "Send failure: Connection reset by peer").  A connection reset
 * right after a handshake in which the cluster asked for a client
 * certificate is that refusal; es.c learns from curl's trace of the
 * handshake whether it asked ("Request CERT").
 *
 * A certificate that is not trusted, or not for the host name, ends 69
 * after the retry policy rather than 78 at once: with several nodes it is
 * one node that is wrong (one being reinstalled, a balancer with an old
 * certificate) and the others can take the load.
 */
#ifndef FORKBULK_ES_FAILURE_H
#define FORKBULK_ES_FAILURE_H

#include <stdbool.h>
#include <stddef.h>

#include "forkbulk/options.h"

/*
 * A transfer failed with curl code curl_code (a CURLcode) and message
 * curl_msg; cert_asked: it made a new TLS connection, whose handshake
 * completed with the cluster asking for a client certificate.  Writes
 * "<why>: <curl_msg>" to why, sets *node_down (the node is to be left
 * alone for a while) and returns FB_EXIT_CONFIG when retrying cannot
 * help, else 0.  opts names the files in the message (--ca-file, --cert,
 * --key) and tells whether a client certificate was given.
 */
int fb_es_failure_explain(int curl_code, const char *curl_msg, bool cert_asked,
                          const struct fb_options *opts, char *why,
                          size_t whylen, bool *node_down);

#endif
