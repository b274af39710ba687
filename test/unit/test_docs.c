/*
 * test_docs.c
 *    The man pages and the bash completion against the rows they are
 *    written from: every flag in forkbulk(1) and in the completion, every
 *    key in forkbulk.conf(5) under its section, every exit code; and roff
 *    that holds nothing roff would misread.  A printer that leaves a row
 *    out fails here.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "forkbulk/options_completion.h"
#include "forkbulk/options_man.h"
#include "forkbulk/options_table.h"
#include "forkbulk/roff.h"
#include "forkbulk/status.h"

/* What print wrote, NUL-terminated; the caller frees it.  Not inlined:
 * gcc -O3 takes the memstream's pointer for one to this frame's buf. */
__attribute__((noinline)) static char *
printed(void (*print)(FILE *))
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);

    assert_non_null(f);
    print(f);
    assert_int_equal(fclose(f), 0);
    return buf;
}

__attribute__((noinline)) static char *
roff_text(const char *text, unsigned flags)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);

    assert_non_null(f);
    fb_roff_text(f, text, flags);
    assert_int_equal(fclose(f), 0);
    return buf;
}

static void
assert_contains(const char *text, const char *part)
{
    if (strstr(text, part) == NULL)
        fail_msg("'%s' not found in:\n%.3000s", part, text);
}

/* assert_contains() of a part made from fmt. */
__attribute__((format(printf, 2, 3))) static void
assert_containsf(const char *text, const char *fmt, ...)
{
    char part[1024];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(part, sizeof(part), fmt, ap);
    va_end(ap);
    assert_contains(text, part);
}

/* s as roff writes a literal: '-' as \-, '\' as \e. */
static const char *
code(const char *s)
{
    static char bufs[4][256];
    static int slot;
    char *out = bufs[slot++ % 4];
    size_t k = 0;

    for (; *s != '\0' && k + 3 < sizeof(bufs[0]); s++) {
        if (*s == '-' || *s == '\\')
            out[k++] = '\\';
        out[k++] = *s == '\\' ? 'e' : *s;
    }
    out[k] = '\0';
    return out;
}

/* A copy of page from head to the next .TP (or, with whole_section, to
 * the next .SS or .SH); fails if head is not there. */
static char *
part(const char *page, const char *head, bool whole_section)
{
    const char *start = strstr(page, head);
    const char *end;

    if (start == NULL)
        fail_msg("'%s' not found", head);
    end = start + strlen(head);
    for (;;) {
        const char *nl = strchr(end, '\n');

        if (nl == NULL) {
            end += strlen(end);
            break;
        }
        end = nl + 1;
        if (strncmp(end, ".SS ", 4) == 0 || strncmp(end, ".SH ", 4) == 0 ||
            (!whole_section && strncmp(end, ".TP\n", 4) == 0))
            break;
    }
    return strndup(start, (size_t)(end - start));
}

/* ------------------------------------------------------------------ */

static void
test_roff_text(void **state)
{
    static const struct {
        const char *in;
        unsigned flags;
        const char *out;
    } cases[] = {
        {".leading dot", 0, "\\&.leading dot\n"},
        {"'quote", 0, "\\&'quote\n"},
        {"a\\b", 0, "a\\eb\n"},
        {"  spaces   inside  ", 0, "spaces inside\n"},
        {"Done.  Next: .x", 0, "Done.\nNext: .x\n"},
        {"One.  .hidden", 0, "One.\n\\&.hidden\n"},
        {"a re-run of sd-daemon", 0, "a re-run of sd-daemon\n"},
        {"--batch-bytes, -w and -", 0, "\\-\\-batch\\-bytes, \\-w and \\-\n"},
        {"(--max-rejects) x", FB_ROFF_FLAGS_BOLD,
         "(\\fB\\-\\-max\\-rejects\\fR) x\n"},
        {"2026-11-27T03 /usr/node-exporter/x", 0,
         "2026\\-11\\-27T03 /usr/node\\-exporter/x\n"},
        {"line\nbreak", 0, "line break\n"},
        {"", 0, ""},
    };

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *got = roff_text(cases[i].in, cases[i].flags);

        assert_string_equal(got, cases[i].out);
        free(got);
    }
}

/* Every line of a page is a known macro, a comment or text (indented
 * only where it is not filled); every escape is one the printers mean;
 * no "--" is left for roff to misread. */
static void
assert_clean_roff(const char *page)
{
    static const char *const macros[] = {
        ".TH ", ".SH ",  ".SS ",  ".TP\n", ".PP\n", ".B ",   ".BR ",
        ".RS ", ".RE\n", ".nf\n", ".fi\n", ".br\n", ".nh\n", ".ad l\n",
    };
    bool nofill = false;

    for (const char *line = page; *line != '\0';) {
        const char *nl = strchr(line, '\n');
        bool macro = false;

        assert_non_null(nl);
        if (strncmp(line, ".\\\" ", 4) == 0) { /* a comment */
            line = nl + 1;
            continue;
        }
        for (size_t i = 0; i < sizeof(macros) / sizeof(macros[0]); i++)
            macro = macro || strncmp(line, macros[i], strlen(macros[i])) == 0;
        if (!macro &&
            (line[0] == '.' || line[0] == '\'' || (line[0] == ' ' && !nofill)))
            fail_msg("not a macro the printers write: %.*s", (int)(nl - line),
                     line);
        nofill = strncmp(line, ".nf\n", 4) == 0 ||
                 (nofill && strncmp(line, ".fi\n", 4) != 0);
        for (const char *p = line; p < nl; p++) {
            if (*p == '-' && p[1] == '-')
                fail_msg("unescaped --: %.*s", (int)(nl - line), line);
            if (*p == '\\' && strchr("-e&f", p[1]) == NULL)
                fail_msg("unknown escape: %.*s", (int)(nl - line), line);
            if (*p == '\\' && p[1] == 'f' && strchr("BIR", p[2]) == NULL)
                fail_msg("unknown font: %.*s", (int)(nl - line), line);
            if (*p == '\\')
                p++;
        }
        line = nl + 1;
    }
}

static void
test_pages_are_clean_roff(void **state)
{
    char *man1 = printed(fb_options_man_print_forkbulk);
    char *man5 = printed(fb_options_man_print_conf);

    (void)state;
    assert_clean_roff(man1);
    assert_clean_roff(man5);
    assert_contains(man1, ".TH \"FORKBULK\" \"1\" ");
    assert_contains(man5, ".TH \"FORKBULK.CONF\" \"5\" ");
    free(man1);
    free(man5);
}

/* forkbulk(1): each flag's entry with its argument, default and key. */
static void
test_man1_names_every_flag(void **state)
{
    size_t n;
    const struct fb_opt *rows = fb_opt_rows(&n);
    char *man = printed(fb_options_man_print_forkbulk);
    char *options = part(man, ".SH OPTIONS\n", true);

    (void)state;
    for (size_t i = 0; i < n; i++) {
        const struct fb_opt *o = &rows[i];
        char want[512];
        char *entry;

        if (o->flag == NULL)
            continue;
        snprintf(want, sizeof(want), "\\fB\\-\\-%s\\fR%s%s%s\n", code(o->flag),
                 o->arg ? " \\fI" : "", o->arg ? code(o->arg) : "",
                 o->arg ? "\\fR" : "");
        entry = part(options, want, false);
        /* Then a text, before any macro. */
        assert_true(entry[strlen(want)] != '\0' && entry[strlen(want)] != '.');
        if (o->short_name != 0) {
            assert_containsf(options, ".TP\n\\fB\\-%c\\fR, \\fB\\-\\-%s",
                             o->short_name, code(o->flag));
        }
        if (o->arg != NULL && o->def != NULL) {
            assert_containsf(entry, "Default: \\fB%s\\fR.\n", code(o->def));
        }
        if (o->section != NULL) {
            assert_containsf(entry, "Config: \\fB[%s] %s", o->section, o->key);
        }
        for (size_t v = 0; o->names != NULL && o->names[v] != NULL; v++) {
            assert_containsf(entry, "\\fB%s\\fR", code(o->names[v]));
        }
        free(entry);
    }
    free(options);
    free(man);
}

/* forkbulk(1): the settings that are not flags, and their variables. */
static void
test_man1_names_the_rest(void **state)
{
    size_t n;
    const struct fb_opt *rows = fb_opt_rows(&n);
    char *man = printed(fb_options_man_print_forkbulk);
    char *rest = part(man, ".SS \"Settings that are not flags\"\n", true);
    char *env = part(man, ".SH ENVIRONMENT\n", true);
    char *exits = part(man, ".SH \"EXIT STATUS\"\n", true);
    static const int codes[] = {
        FB_EXIT_OK,       FB_EXIT_USAGE,       FB_EXIT_DATAERR,
        FB_EXIT_NOINPUT,  FB_EXIT_UNAVAILABLE, FB_EXIT_SOFTWARE,
        FB_EXIT_OSERR,    FB_EXIT_CANTCREAT,   FB_EXIT_IOERR,
        FB_EXIT_TEMPFAIL, FB_EXIT_CONFIG,      FB_EXIT_SIGINT,
        FB_EXIT_SIGTERM,
    };

    (void)state;
    for (size_t i = 0; i < n; i++) {
        if (rows[i].flag == NULL) {
            assert_containsf(rest, ".TP\n\\fB[%s] %s\\fR\n", rows[i].section,
                             rows[i].key);
        }
        if (rows[i].env != NULL) {
            assert_containsf(env, ".TP\n\\fB%s\\fR\n", rows[i].env);
            assert_containsf(env, "\\fB[%s] %s\\fR", rows[i].section,
                             rows[i].key);
        }
    }
    for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
        assert_containsf(exits, ".TP\n.B %d\n", codes[i]);
    }
    assert_contains(env, "JOURNAL_STREAM");
    assert_contains(man, ".SH FILES\n");
    assert_contains(man, ".SH EXAMPLES\n");
    assert_contains(man, ".BR forkbulk.conf (5)");
    free(rest);
    free(env);
    free(exits);
    free(man);
}

/* forkbulk.conf(5): each key under its section, with its flag. */
static void
test_man5_names_every_key(void **state)
{
    size_t n;
    const struct fb_opt *rows = fb_opt_rows(&n);
    char *man = printed(fb_options_man_print_conf);
    char *secrets = part(man, ".SH SECRETS\n", true);

    (void)state;
    for (size_t i = 0; i < n; i++) {
        const struct fb_opt *o = &rows[i];
        char want[256];
        char *section, *entry;

        if (o->section == NULL)
            continue;
        snprintf(want, sizeof(want), ".SS \"[%s]\"\n", o->section);
        section = part(man, want, true);
        snprintf(want, sizeof(want), ".TP\n\\fB%s\\fR = ", o->key);
        entry = part(section, want, false);
        if (o->flag != NULL) {
            assert_containsf(entry, "Flag: \\fB\\-\\-%s\\fR", code(o->flag));
        }
        if (o->def != NULL) {
            assert_containsf(entry, "Default: \\fB%s\\fR.\n", code(o->def));
        }
        if (o->kind == FB_OPT_SECRET || o->kind == FB_OPT_SECRET_FILE ||
            o->kind == FB_OPT_CONNINFO) {
            assert_containsf(secrets, "\\fB[%s] %s\\fR", o->section, o->key);
        }
        free(entry);
        free(section);
    }
    free(secrets);
    free(man);
}

/* The example of forkbulk.conf(5) sets only keys that exist. */
static void
test_man5_example_keys_exist(void **state)
{
    size_t n;
    const struct fb_opt *rows = fb_opt_rows(&n);
    char *man = printed(fb_options_man_print_conf);
    char *example = part(man, ".SH EXAMPLES\n", true);
    char section[64] = "";
    int keys = 0;

    (void)state;
    for (char *line = strstr(example, ".nf\n"); line != NULL;) {
        char *nl = strchr(line, '\n');
        char key[64];
        bool found = false;

        if (nl == NULL || strncmp(line, ".fi\n", 4) == 0)
            break;
        *nl = '\0';
        if (sscanf(line, "[%63[a-z]]", section) == 1 ||
            sscanf(line, "%63[a-z_] =", key) != 1) {
            line = nl + 1;
            continue;
        }
        for (size_t i = 0; i < n && !found; i++)
            found = rows[i].section != NULL &&
                    strcmp(rows[i].section, section) == 0 &&
                    strcmp(rows[i].key, key) == 0;
        if (!found)
            fail_msg("the example sets [%s] %s, which is no key", section, key);
        keys++;
        line = nl + 1;
    }
    assert_true(keys >= 5);
    free(example);
    free(man);
}

/* The completion: every flag, the values of the flags that have them,
 * file names after FILE and PATH. */
static void
test_completion_offers_every_flag(void **state)
{
    size_t n;
    const struct fb_opt *rows = fb_opt_rows(&n);
    char *script = printed(fb_options_completion_print_bash);
    const char *flags = strstr(script, "\n    esac\n");
    const char *files = strstr(script, "compgen -f");

    (void)state;
    assert_non_null(flags);
    assert_non_null(files);
    for (size_t i = 0; i < n; i++) {
        const struct fb_opt *o = &rows[i];
        char want[256];

        if (o->flag == NULL)
            continue;
        snprintf(want, sizeof(want), "--%s", o->flag);
        /* A whole word of the list: followed by a space or the quote. */
        for (const char *p = flags;; p += strlen(want)) {
            p = strstr(p, want);
            if (p == NULL)
                fail_msg("%s is not offered", want);
            if ((p[-1] == ' ' || p[-1] == '\'') &&
                (p[strlen(want)] == ' ' || p[strlen(want)] == '\''))
                break;
        }
        if (o->names != NULL) {
            int len = snprintf(want, sizeof(want), "    --%s)\n", o->flag);

            len += snprintf(want + len, sizeof(want) - (size_t)len,
                            "        mapfile -t COMPREPLY < <(compgen -W '");
            for (size_t v = 0; o->names[v] != NULL; v++)
                len += snprintf(want + len, sizeof(want) - (size_t)len, "%s%s",
                                v == 0 ? "" : " ", o->names[v]);
            assert_contains(script, want);
        }
        if (o->arg != NULL &&
            (strcmp(o->arg, "FILE") == 0 || strcmp(o->arg, "PATH") == 0)) {
            const char *branch;

            snprintf(want, sizeof(want), "--%s", o->flag);
            branch = strstr(script, want);
            while (branch != NULL && branch[strlen(want)] != ' ' &&
                   branch[strlen(want)] != ')')
                branch = strstr(branch + 1, want);
            assert_non_null(branch);
            assert_true(branch < files);
            assert_null(memchr(branch, ';', (size_t)(files - branch)));
        }
    }
    assert_contains(script, "complete -F _forkbulk forkbulk\n");
    free(script);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_roff_text),
        cmocka_unit_test(test_pages_are_clean_roff),
        cmocka_unit_test(test_man1_names_every_flag),
        cmocka_unit_test(test_man1_names_the_rest),
        cmocka_unit_test(test_man5_names_every_key),
        cmocka_unit_test(test_man5_example_keys_exist),
        cmocka_unit_test(test_completion_offers_every_flag),
    };

    /* The date of .TH comes from here when set. */
    unsetenv("SOURCE_DATE_EPOCH");
    return cmocka_run_group_tests(tests, NULL, NULL);
}
