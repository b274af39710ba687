/*
 * roff.c
 *    Plain text as roff input (see roff.h for the rules).
 */
#include "forkbulk/roff.h"

#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Where fb_roff_text() is in its text. */
struct text_pos {
    FILE *out;
    bool bold;       /* FB_ROFF_FLAGS_BOLD */
    bool line_start; /* nothing written on this input line yet */
    bool in_flag;    /* inside a flag: --batch-bytes */
    bool path;       /* inside a word with a '/' */
};

static bool
is_space(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Whether s[i], a '-', begins a flag (-x, --x) rather than sitting inside
 * a word or standing alone ("-" is standard input). */
static bool
flag_starts(const unsigned char *s, size_t i)
{
    if (i > 0 && (isalnum(s[i - 1]) || s[i - 1] == '-' || s[i - 1] == '_'))
        return false;
    if (s[i + 1] == '-')
        return isalpha(s[i + 2]);
    return isalpha(s[i + 1]);
}

static void
end_flag(struct text_pos *p)
{
    if (p->in_flag && p->bold)
        fputs("\\fR", p->out);
    p->in_flag = false;
}

/* The white space at s[i], *i moved to its last byte: one space, or a new
 * input line after a sentence and two spaces or more. */
static void
put_space(struct text_pos *p, const unsigned char *s, size_t *i)
{
    size_t run = strspn((const char *)s + *i, " \t\r\n");

    end_flag(p);
    if (s[*i + run] == '\0') {
        *i += run - 1;
        return;
    }
    if (run >= 2 && *i > 0 && strchr(".:;?!", s[*i - 1]) != NULL) {
        fputc('\n', p->out);
        p->line_start = true;
    } else {
        fputc(' ', p->out);
    }
    *i += run - 1;
}

/* The byte s[i], not white space. */
static void
put_byte(struct text_pos *p, const unsigned char *s, size_t i)
{
    unsigned char c = s[i];

    if (i == 0 || is_space(s[i - 1]))
        p->path =
            memchr(s + i, '/', strcspn((const char *)s + i, " \t\r\n")) != NULL;
    if (p->in_flag && !isalnum(c) && c != '-')
        end_flag(p);
    if (p->line_start && (c == '.' || c == '\''))
        fputs("\\&", p->out);
    p->line_start = false;
    if (c == '-' && !p->in_flag && flag_starts(s, i)) {
        p->in_flag = true;
        if (p->bold)
            fputs("\\fB", p->out);
    }
    if (c == '\\')
        fputs("\\e", p->out);
    else if (c == '-' && (p->in_flag || p->path || i == 0 ||
                          !isalpha(s[i - 1]) || !isalpha(s[i + 1])))
        fputs("\\-", p->out);
    else
        fputc(c, p->out);
}

void
fb_roff_text(FILE *out, const char *text, unsigned flags)
{
    struct text_pos p = {out, (flags & FB_ROFF_FLAGS_BOLD) != 0, true, false,
                         false};
    const unsigned char *s = (const unsigned char *)text;
    size_t i = 0;

    while (is_space(s[i]))
        i++;
    if (s[i] == '\0')
        return;
    for (; s[i] != '\0'; i++) {
        if (is_space(s[i]))
            put_space(&p, s, &i);
        else
            put_byte(&p, s, i);
    }
    end_flag(&p);
    fputc('\n', out);
}

void
fb_roff_code(FILE *out, const char *s)
{
    for (; *s != '\0'; s++) {
        if (*s == '\\')
            fputs("\\e", out);
        else if (*s == '-')
            fputs("\\-", out);
        else
            fputc(*s == '\n' || *s == '\r' ? ' ' : *s, out);
    }
}

void
fb_roff_code_line(FILE *out, const char *s)
{
    if (s[0] == '.' || s[0] == '\'')
        fputs("\\&", out);
    fb_roff_code(out, s);
    fputc('\n', out);
}

void
fb_roff_th(FILE *out, const char *title, int section, const char *source,
           const char *volume)
{
    const char *epoch = getenv("SOURCE_DATE_EPOCH");
    char date[32] = "";

    if (epoch != NULL) {
        char *end = NULL;
        long long v;
        time_t t;
        struct tm tm;

        errno = 0;
        v = strtoll(epoch, &end, 10);
        t = (time_t)v;
        if (errno == 0 && end != epoch && *end == '\0' && v >= 0 &&
            gmtime_r(&t, &tm) != NULL)
            strftime(date, sizeof(date), "%Y-%m-%d", &tm);
    }
    fprintf(out, ".TH \"%s\" \"%d\" \"%s\" \"%s\" \"%s\"\n", title, section,
            date, source, volume);
}
