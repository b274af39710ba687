/*
 * es_docsum.c
 *    Prints what es-test-server should hold after loading an NDJSON file:
 *    "<records> <checksum> <source_checksum>" in the server's hex format.
 *
 *    es-docsum [--id-field NAME] FILE
 *
 * The checksums are sums of ts_docsum() over the file's records (empty
 * lines skipped, a trailing CR dropped), so the integration tests compare
 * the index with the file without trusting any loader code.  Ids come from
 * a top-level field (string, or integer text); without --id-field only
 * the source checksum is meaningful.
 */
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ts_docsum.h"

static int
id_of(const char *line, size_t len, const char *field, char *out, size_t cap)
{
    json_t *doc = json_loadb(line, len, 0, NULL);
    json_t *v = json_object_get(doc, field);
    int rc = -1;

    if (json_is_string(v)) {
        snprintf(out, cap, "%s", json_string_value(v));
        rc = 0;
    } else if (json_is_integer(v)) {
        snprintf(out, cap, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        rc = 0;
    }
    json_decref(doc);
    return rc;
}

int
main(int argc, char **argv)
{
    const char *field = NULL;
    const char *path;
    FILE *f;
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    uint64_t records = 0, sum = 0, source_sum = 0;

    if (argc == 4 && strcmp(argv[1], "--id-field") == 0) {
        field = argv[2];
        path = argv[3];
    } else if (argc == 2) {
        path = argv[1];
    } else {
        fprintf(stderr, "usage: es-docsum [--id-field NAME] FILE\n");
        return 64;
    }
    f = fopen(path, "r");
    if (f == NULL) {
        perror(path);
        return 66;
    }
    while ((n = getline(&line, &cap, f)) >= 0) {
        size_t len = (size_t)n;
        char id[1024] = "";

        if (len > 0 && line[len - 1] == '\n')
            len--;
        if (len > 0 && line[len - 1] == '\r')
            len--;
        if (len == 0)
            continue;
        if (field != NULL && id_of(line, len, field, id, sizeof(id)) < 0) {
            fprintf(stderr, "%s: record %" PRIu64 " has no usable [%s]\n", path,
                    records + 1, field);
            free(line);
            fclose(f);
            return 65;
        }
        records++;
        sum += ts_docsum(id, strlen(id), line, len);
        source_sum += ts_docsum("", 0, line, len);
    }
    free(line);
    fclose(f);
    printf("%" PRIu64 " %016" PRIx64 " %016" PRIx64 "\n", records, sum,
           source_sum);
    return 0;
}
