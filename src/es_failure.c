/*
 * es_failure.c
 *    A failed transfer in an operator's words (see es_failure.h).
 */
#include "forkbulk/es_failure.h"

#include <curl/curl.h>
#include <stdio.h>
#include <string.h>

#include "forkbulk/status.h"

/* TLS alerts by which a cluster refuses the client certificate it got
 * (or, without one, tells that it wants one), as OpenSSL names them in
 * its messages ("tlsv1 alert unknown ca", "sslv3 alert bad certificate"). */
static const char *const refusal_alerts[] = {
    "alert certificate required",    "alert unknown ca",
    "alert bad certificate",         "alert certificate unknown",
    "alert unsupported certificate", "alert certificate revoked",
    "alert certificate expired",     "alert access denied",
    "alert handshake failure",
};

static bool
refused_certificate(const char *msg)
{
    for (size_t i = 0; i < sizeof(refusal_alerts) / sizeof(refusal_alerts[0]);
         i++)
        if (strstr(msg, refusal_alerts[i]) != NULL)
            return true;
    return false;
}

/* The cluster's certificate was not accepted: 69, the node is down. */
static int
untrusted(const char *msg, const struct fb_options *opts, char *why,
          size_t whylen)
{
    if (strstr(msg, "subject name") != NULL ||
        strstr(msg, "does not match") != NULL)
        snprintf(why, whylen,
                 "TLS: the cluster's certificate is not for the host name of "
                 "the URL (hostname mismatch): %s",
                 msg);
    else if (opts->ca_file != NULL)
        snprintf(why, whylen,
                 "TLS: the cluster's certificate is not trusted by --ca-file "
                 "%s: %s",
                 opts->ca_file, msg);
    else
        snprintf(why, whylen,
                 "TLS: the cluster's certificate is not trusted by the "
                 "system's CA certificates (give its CA with --ca-file): %s",
                 msg);
    return 0;
}

/* The client certificate or key could not be loaded: 78. */
static int
unusable_certificate(const char *msg, const struct fb_options *opts, char *why,
                     size_t whylen)
{
    if (strstr(msg, "private key") != NULL)
        snprintf(why, whylen,
                 "TLS: the client key %s cannot be used with the certificate "
                 "%s (--key, --cert): a wrong or missing key_password, a key "
                 "of another certificate, or not a PEM key: %s",
                 opts->key_file != NULL ? opts->key_file : opts->cert_file,
                 opts->cert_file != NULL ? opts->cert_file : "(none)", msg);
    else
        snprintf(why, whylen,
                 "TLS: the client certificate %s (--cert) cannot be read as "
                 "PEM: %s",
                 opts->cert_file != NULL ? opts->cert_file : "(none)", msg);
    return FB_EXIT_CONFIG;
}

/* The cluster does not take the client certificate, or wants one: 78.
 * how says how it told us, when not by an alert of msg. */
static int
certificate_refused(const char *msg, const char *how,
                    const struct fb_options *opts, char *why, size_t whylen)
{
    if (opts->cert_file == NULL)
        snprintf(why, whylen,
                 "TLS: the cluster requires a client certificate (give "
                 "--cert and --key)%s: %s",
                 how, msg);
    else
        snprintf(why, whylen,
                 "TLS: the cluster refused the client certificate %s "
                 "(--cert)%s: %s",
                 opts->cert_file, how, msg);
    return FB_EXIT_CONFIG;
}

/* The handshake failed, or the connection right after it: a TLS alert
 * of the cluster about the client certificate is 78. */
static int
handshake_failed(const char *msg, const struct fb_options *opts, char *why,
                 size_t whylen)
{
    if (refused_certificate(msg))
        return certificate_refused(msg, "", opts, why, whylen);
    if (strstr(msg, "alert protocol version") != NULL)
        snprintf(why, whylen,
                 "TLS: the node does not speak TLS 1.2 or later: %s", msg);
    else if (strstr(msg, "wrong version number") != NULL)
        snprintf(why, whylen,
                 "TLS: the node does not answer in TLS (an http:// port given "
                 "as https://?): %s",
                 msg);
    else
        snprintf(why, whylen, "TLS handshake failed: %s", msg);
    return 0;
}

int
fb_es_failure_explain(int curl_code, const char *curl_msg, bool cert_asked,
                      const struct fb_options *opts, char *why, size_t whylen,
                      bool *node_down)
{
    int fatal = 0;

    *node_down = true;
    switch ((CURLcode)curl_code) {
    case CURLE_SSL_CACERT_BADFILE:
        snprintf(why, whylen, "TLS: cannot use the CA file %s (--ca-file): %s",
                 opts->ca_file != NULL ? opts->ca_file : "of the system",
                 curl_msg);
        fatal = FB_EXIT_CONFIG;
        break;
    case CURLE_SSL_CERTPROBLEM:
        fatal = unusable_certificate(curl_msg, opts, why, whylen);
        break;
    case CURLE_PEER_FAILED_VERIFICATION:
        fatal = untrusted(curl_msg, opts, why, whylen);
        break;
    case CURLE_SSL_CONNECT_ERROR:
        fatal = handshake_failed(curl_msg, opts, why, whylen);
        break;
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
        /* TLS 1.3: the alert comes when the answer is read. */
        if (strstr(curl_msg, " alert ") != NULL)
            fatal = handshake_failed(curl_msg, opts, why, whylen);
        else if (cert_asked)
            fatal = certificate_refused(
                curl_msg,
                "; it asked for one and closed the connection at the end of "
                "the handshake",
                opts, why, whylen);
        else
            snprintf(why, whylen, "%s", curl_msg);
        break;
    case CURLE_WRITE_ERROR: /* ours: the answer was too large, or ENOMEM */
        *node_down = false;
        snprintf(why, whylen, "%s", curl_msg);
        break;
    default:
        snprintf(why, whylen, "%s", curl_msg);
        break;
    }
    if (fatal != 0)
        *node_down = false;
    return fatal;
}
