/*
 * config.h
 *    A small INI reader for forkbulk's config file.
 *
 * Why our own and not libinih: the file is tiny, we need the line number
 * of every key for messages ("forkbulk.conf:12: [limits] workers must be
 * ..."), and a bounded line length; that is forty lines of code, less
 * than adapting a library's callback conventions.
 *
 * Syntax: "[section]" lines, "key = value" lines, blank lines, and
 * comments starting with '#' or ';' at the beginning of a line.  Spaces
 * around keys and values are trimmed; a value may be wrapped in double
 * quotes to keep surrounding spaces.  Lines are at most FB_CONFIG_LINE_MAX
 * bytes.
 */
#ifndef FORKBULK_CONFIG_H
#define FORKBULK_CONFIG_H

#include <stddef.h>

#define FB_CONFIG_LINE_MAX 4096

/* Called for each setting; returns 0 to go on, or -1 with err filled
 * (without the file:line prefix, which the reader adds). */
typedef int (*fb_config_fn)(void *arg, const char *section, const char *key,
                            const char *value, char *err, size_t errlen);

/*
 * Reads path and calls fn for every setting in order.  Returns 0, or -1
 * with err = "path:line: what is wrong" (or "path: strerror").
 */
int fb_config_read(const char *path, fb_config_fn fn, void *arg, char *err,
                   size_t errlen);

#endif
