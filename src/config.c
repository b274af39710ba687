/*
 * config.c
 *    INI file reading (see config.h for why it is ours).
 */
#include "forkbulk/config.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

static char *
trim(char *s)
{
    char *end;

    while (isspace((unsigned char)*s))
        s++;
    end = s + strlen(s);
    while (end > s && isspace((unsigned char)end[-1]))
        *--end = '\0';
    return s;
}

int
fb_config_read(const char *path, fb_config_fn fn, void *arg, char *err,
               size_t errlen)
{
    char line[FB_CONFIG_LINE_MAX + 2];
    char section[128] = "";
    char why[512];
    int lineno = 0;
    int rc = 0;
    FILE *f = fopen(path, "r");

    if (f == NULL) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    while (fgets(line, sizeof(line), f) != NULL) {
        char *s, *eq, *key, *value;
        size_t len = strlen(line);

        lineno++;
        if (len > FB_CONFIG_LINE_MAX && line[len - 1] != '\n') {
            snprintf(why, sizeof(why), "line longer than %d bytes",
                     FB_CONFIG_LINE_MAX);
            goto bad;
        }
        s = trim(line);
        if (*s == '\0' || *s == '#' || *s == ';')
            continue;
        if (*s == '[') {
            char *close = strchr(s, ']');

            if (close == NULL || close[1] != '\0' || close == s + 1) {
                snprintf(why, sizeof(why), "malformed section header");
                goto bad;
            }
            *close = '\0';
            if (strlen(s + 1) >= sizeof(section)) {
                snprintf(why, sizeof(why), "section name too long");
                goto bad;
            }
            snprintf(section, sizeof(section), "%s", trim(s + 1));
            continue;
        }
        eq = strchr(s, '=');
        if (eq == NULL) {
            snprintf(why, sizeof(why), "expected key = value");
            goto bad;
        }
        *eq = '\0';
        key = trim(s);
        value = trim(eq + 1);
        if (*key == '\0') {
            snprintf(why, sizeof(why), "missing key before '='");
            goto bad;
        }
        if (section[0] == '\0') {
            snprintf(why, sizeof(why), "key '%s' outside any [section]", key);
            goto bad;
        }
        len = strlen(value);
        if (len >= 2 && value[0] == '"' && value[len - 1] == '"') {
            value[len - 1] = '\0';
            value++;
        }
        if (fn(arg, section, key, value, why, sizeof(why)) != 0)
            goto bad;
    }
    if (ferror(f)) {
        snprintf(err, errlen, "%s: read error", path);
        rc = -1;
    }
    fclose(f);
    return rc;
bad:
    snprintf(err, errlen, "%s:%d: %s", path, lineno, why);
    fclose(f);
    return -1;
}
