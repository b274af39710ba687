/*
 * eslimits.h
 *    Limits Elasticsearch and OpenSearch put on what a client sends; the
 *    loader checks them itself, per record, because a single violation
 *    fails a whole bulk request.
 */
#ifndef FORKBULK_ESLIMITS_H
#define FORKBULK_ESLIMITS_H

/* Longest document _id, in bytes. */
#define FB_ES_ID_MAX 512

/* Longest index name, in bytes. */
#define FB_ES_INDEX_MAX 255

#endif
