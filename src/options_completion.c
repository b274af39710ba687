/*
 * options_completion.c
 *    The bash completion script, written from the rows (see
 *    options_completion.h).
 */
#include "forkbulk/options_completion.h"

#include <string.h>

#include "forkbulk/options_table.h"
#include "forkbulk/version.h"

/* What follows a flag on the command line. */
enum arg_class {
    ARG_NONE,   /* a bare flag */
    ARG_VALUES, /* one of the row's names */
    ARG_FILE,   /* a file name: FILE or PATH */
    ARG_OTHER,  /* anything: a name, a number, a time */
};

static enum arg_class
arg_class(const struct fb_opt *o)
{
    if (o->flag == NULL || o->arg == NULL)
        return ARG_NONE;
    if (o->names != NULL)
        return ARG_VALUES;
    if (strcmp(o->arg, "FILE") == 0 || strcmp(o->arg, "PATH") == 0)
        return ARG_FILE;
    return ARG_OTHER;
}

/* "-x | --flag", a pattern of a case branch. */
static void
put_pattern(FILE *out, const struct fb_opt *o)
{
    if (o->short_name != 0)
        fprintf(out, "-%c | ", o->short_name);
    fprintf(out, "--%s", o->flag);
}

/* One case branch for every flag of class c, "    -x | --a | --b)" and
 * body; nothing if there is none. */
static void
put_branch_of(FILE *out, enum arg_class c, const char *body)
{
    size_t n, k = 0;
    const struct fb_opt *rows = fb_opt_rows(&n);

    for (size_t i = 0; i < n; i++) {
        if (arg_class(&rows[i]) != c)
            continue;
        fputs(k++ == 0 ? "    " : " | ", out);
        put_pattern(out, &rows[i]);
    }
    if (k > 0)
        fprintf(out, ")\n%s        return\n        ;;\n", body);
}

/* A branch per flag with values: its values, those that match cur. */
static void
put_value_branches(FILE *out)
{
    size_t n;
    const struct fb_opt *rows = fb_opt_rows(&n);

    for (size_t i = 0; i < n; i++) {
        if (arg_class(&rows[i]) != ARG_VALUES)
            continue;
        fputs("    ", out);
        put_pattern(out, &rows[i]);
        fputs(")\n        mapfile -t COMPREPLY < <(compgen -W '", out);
        for (size_t v = 0; rows[i].names[v] != NULL; v++)
            fprintf(out, "%s%s", v == 0 ? "" : " ", rows[i].names[v]);
        fputs("' -- \"$cur\")\n        return\n        ;;\n", out);
    }
}

static const char script_head[] =
    "_forkbulk()\n"
    "{\n"
    "    local cur=${COMP_WORDS[COMP_CWORD]} prev=\n"
    "    if ((COMP_CWORD > 0)); then\n"
    "        prev=${COMP_WORDS[COMP_CWORD - 1]}\n"
    "    fi\n"
    "    # bash splits --flag=value at the = (COMP_WORDBREAKS): complete\n"
    "    # the value as that of --flag value.\n"
    "    if [[ $cur == = ]]; then\n"
    "        cur=\n"
    "    elif [[ $prev == = ]] && ((COMP_CWORD > 1)); then\n"
    "        prev=${COMP_WORDS[COMP_CWORD - 2]}\n"
    "    fi\n"
    "    COMPREPLY=()\n"
    "    case $prev in\n";

void
fb_options_completion_print_bash(FILE *out)
{
    size_t n;
    const struct fb_opt *rows = fb_opt_rows(&n);

    fprintf(out,
            "# bash completion for forkbulk(1), written by forkbulk "
            "--print-completion bash\n"
            "# from its table of options (forkbulk %s); do not edit.\n",
            FB_VERSION);
    fputs(script_head, out);
    put_value_branches(out);
    put_branch_of(out, ARG_FILE,
                  "        compopt -o filenames 2>/dev/null\n"
                  "        mapfile -t COMPREPLY < <(compgen -f -- \"$cur\")\n");
    put_branch_of(out, ARG_OTHER, "");
    fputs("    esac\n    mapfile -t COMPREPLY < <(compgen -W '", out);
    for (size_t i = 0, k = 0; i < n; i++)
        if (rows[i].flag != NULL)
            fprintf(out, "%s--%s", k++ == 0 ? "" : " ", rows[i].flag);
    fputs("' -- \"$cur\")\n}\ncomplete -F _forkbulk forkbulk\n", out);
}
