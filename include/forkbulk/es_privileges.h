/*
 * es_privileges.h
 *    --check: may the credentials do what a load with these settings
 *    does to the cluster?
 *
 * What a load does, and the Elasticsearch privilege it takes:
 *   write documents                          create_doc     (index)
 *   create the index before its first _bulk  create_index   (index)
 *   read and set the load settings; aliases  manage         (index)
 *   delete an old generation (alias)         delete_index   (index)
 *   install --index-template                 manage_index_templates
 *                                                           (cluster)
 * OpenSearch's security plugin answers the same API only with its REST
 * layer enabled; a cluster without any is "not checked", no failure.
 */
#ifndef FORKBULK_ES_PRIVILEGES_H
#define FORKBULK_ES_PRIVILEGES_H

#include <stdbool.h>
#include <stddef.h>

#include "forkbulk/options.h"

/*
 * Asks POST /_security/user/_has_privileges for the privileges a load
 * with opts takes on the indices pattern names ("flows-*"; with
 * --publish alias its generations too).  Logs nothing.
 *   0, *checked true: every one is held; why lists them ("create_doc,
 *      create_index, manage").
 *   0, *checked false: the cluster has no security API to ask (400, 404,
 *      405, 501, or Elasticsearch's 500 "security must be explicitly
 *      enabled"); why says so.
 *   78: a privilege is lacking (why names each, where, and what needs
 *      it) or the credentials are refused; 69: no usable answer.
 */
int fb_es_privileges_check(const struct fb_options *opts, const char *pattern,
                           bool *checked, char *why, size_t whylen);

#endif /* FORKBULK_ES_PRIVILEGES_H */
