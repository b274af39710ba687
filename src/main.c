/*
 * main.c
 *    forkbulk entry point.
 */
#include <stdio.h>
#include <string.h>

#include "forkbulk/status.h"
#include "forkbulk/version.h"

int
main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "--version") == 0) {
        printf("forkbulk %s\n", FB_VERSION);
        return FB_EXIT_OK;
    }
    fprintf(stderr, "usage: forkbulk --version\n");
    return FB_EXIT_USAGE;
}
