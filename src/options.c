/*
 * options.c
 *    Command-line parsing and --help.
 */
#include "forkbulk/options.h"

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "forkbulk/status.h"
#include "forkbulk/version.h"

#define MiB (1024u * 1024u)

enum {
    OPT_BATCH_BYTES = 256,
    OPT_BATCH_DOCS,
    OPT_MAX_RECORD,
    OPT_RANGE_BYTES,
    OPT_ID_FIELD,
    OPT_OP,
    OPT_REJECT_FILE,
    OPT_SUMMARY_JSON,
    OPT_COMPRESS,
    OPT_CSV_NULL,
    OPT_NO_REFRESH,
    OPT_RETRIES,
    OPT_CONNECT_TIMEOUT,
    OPT_REQUEST_TIMEOUT,
    OPT_GRACE,
    OPT_FORMAT,
};

static const struct option long_options[] = {
    {"input", required_argument, NULL, 'i'},
    {"index", required_argument, NULL, 'x'},
    {"es", required_argument, NULL, 'e'},
    {"workers", required_argument, NULL, 'w'},
    {"format", required_argument, NULL, OPT_FORMAT},
    {"batch-bytes", required_argument, NULL, OPT_BATCH_BYTES},
    {"batch-docs", required_argument, NULL, OPT_BATCH_DOCS},
    {"max-record-bytes", required_argument, NULL, OPT_MAX_RECORD},
    {"range-bytes", required_argument, NULL, OPT_RANGE_BYTES},
    {"id-field", required_argument, NULL, OPT_ID_FIELD},
    {"op", required_argument, NULL, OPT_OP},
    {"reject-file", required_argument, NULL, OPT_REJECT_FILE},
    {"summary-json", required_argument, NULL, OPT_SUMMARY_JSON},
    {"compress", no_argument, NULL, OPT_COMPRESS},
    {"csv-null", no_argument, NULL, OPT_CSV_NULL},
    {"no-refresh", no_argument, NULL, OPT_NO_REFRESH},
    {"retries", required_argument, NULL, OPT_RETRIES},
    {"connect-timeout", required_argument, NULL, OPT_CONNECT_TIMEOUT},
    {"request-timeout", required_argument, NULL, OPT_REQUEST_TIMEOUT},
    {"grace", required_argument, NULL, OPT_GRACE},
    {"verbose", no_argument, NULL, 'v'},
    {"quiet", no_argument, NULL, 'q'},
    {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, 'V'},
    {NULL, 0, NULL, 0},
};

static void
print_help(void)
{
    printf("usage: forkbulk --input FILE --index NAME [options]\n"
           "\n"
           "Loads NDJSON or CSV records into Elasticsearch/OpenSearch through "
           "_bulk,\nwith a capped pool of prefork workers.\n"
           "\n"
           "  -i, --input FILE         input file; - reads standard input "
           "(one worker)\n"
           "  -x, --index NAME         target index; strftime patterns "
           "expanded once (UTC)\n"
           "  -e, --es URL             cluster URL (default "
           "http://127.0.0.1:9200)\n"
           "  -w, --workers N          worker processes (default: online CPUs, "
           "at most 4; max 64)\n"
           "      --format FMT         ndjson or csv (default ndjson; .csv "
           "files: csv)\n"
           "      --batch-bytes SIZE   bulk request body bound (default 8MiB)\n"
           "      --batch-docs N       documents per bulk request (default "
           "5000)\n"
           "      --max-record-bytes SIZE  longest record accepted (default "
           "1MiB, <= batch)\n"
           "      --range-bytes SIZE   bytes per dispatched range (default: "
           "from file size)\n"
           "      --id-field PATH      document id from this field (dotted); "
           "default:\n"
           "                           derived from file path and byte offset\n"
           "      --op OP              index or create (default index)\n"
           "      --reject-file PATH   rejected records, one JSON line each "
           "(default: none,\n"
           "                           rejects are logged)\n"
           "      --summary-json PATH  write the run summary as JSON\n"
           "      --compress           gzip request bodies\n"
           "      --csv-null           empty CSV fields become null (default: "
           "omitted)\n"
           "      --no-refresh         do not refresh the index at the end\n"
           "      --retries N          attempts per batch on 429/5xx/network "
           "errors (default 8)\n"
           "      --connect-timeout MS connect timeout (default 10000)\n"
           "      --request-timeout MS per-request timeout (default 120000)\n"
           "      --grace MS           on SIGTERM, time workers get to finish "
           "(default 10000)\n"
           "  -v, --verbose            more log output (repeat for debug)\n"
           "  -q, --quiet              warnings and errors only\n"
           "  -h, --help               this help\n"
           "  -V, --version            print the version\n"
           "\n"
           "Exit codes:\n"
           "   0  every record loaded\n"
           "  64  usage error\n"
           "  65  some records rejected (see the reject file)\n"
           "  66  input missing or unreadable\n"
           "  69  Elasticsearch unreachable or failing after retries\n"
           "  70  internal error (a range kept killing workers)\n"
           "  71  fork or pipe failure\n"
           "  73  reject file cannot be created\n"
           "  75  temporary failure, worth retrying later\n"
           "  78  bad configuration\n"
           " 130  interrupted by SIGINT      143  interrupted by SIGTERM\n");
}

int
fb_parse_size(const char *text, uint64_t *out)
{
    char *end = NULL;
    unsigned long long v;
    uint64_t mult = 1;

    if (text == NULL || *text < '0' || *text > '9')
        return -1;
    errno = 0;
    v = strtoull(text, &end, 10);
    if (errno != 0)
        return -1;
    if (*end != '\0') {
        char unit = (char)(*end | 0x20);

        if (unit == 'k')
            mult = 1024;
        else if (unit == 'm')
            mult = 1024 * 1024;
        else if (unit == 'g')
            mult = 1024 * 1024 * 1024;
        else if (unit != 'b')
            return -1;
        end++;
        /* Accept k, kb, kib (any case) and b. */
        if (mult > 1 && (*end | 0x20) == 'i')
            end++;
        if (mult > 1 && (*end | 0x20) == 'b')
            end++;
        if (*end != '\0')
            return -1;
    }
    if (v > UINT64_MAX / mult)
        return -1;
    *out = v * mult;
    return 0;
}

static int
parse_long(const char *text, long min, long max, long *out)
{
    char *end = NULL;
    long v;

    errno = 0;
    v = strtol(text, &end, 10);
    if (errno != 0 || end == text || *end != '\0' || v < min || v > max)
        return -1;
    *out = v;
    return 0;
}

static int usage_error(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

static int
usage_error(const char *fmt, ...)
{
    va_list ap;

    fprintf(stderr, "forkbulk: ");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\nTry 'forkbulk --help'.\n");
    return FB_EXIT_USAGE;
}

static int
default_workers(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);

    if (n < 1)
        n = 1;
    return n > FB_DEFAULT_WORKERS_CAP ? FB_DEFAULT_WORKERS_CAP : (int)n;
}

static char *
expand_index(const char *pattern)
{
    char buf[512];
    time_t now = time(NULL);
    struct tm tm;
    size_t n;

    gmtime_r(&now, &tm);
    /* The pattern is the user's by design: an index name template. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
    n = strftime(buf, sizeof(buf), pattern, &tm);
#pragma GCC diagnostic pop
    if (n == 0)
        return NULL;
    return strdup(buf);
}

static int
has_suffix(const char *s, const char *suffix)
{
    size_t ls = strlen(s), lx = strlen(suffix);

    return ls >= lx && strcmp(s + ls - lx, suffix) == 0;
}

int
fb_options_parse(struct fb_options *opts, int argc, char **argv)
{
    const char *format = NULL;
    uint64_t size;
    long v;
    int c;

    memset(opts, 0, sizeof(*opts));
    opts->es_url = "http://127.0.0.1:9200";
    opts->workers = 0;
    opts->batch_bytes = 8 * MiB;
    opts->batch_docs = 5000;
    opts->max_record_bytes = 1 * MiB;
    opts->op = FB_OP_INDEX;
    opts->refresh = true;
    opts->max_retries = 8;
    opts->connect_timeout_ms = 10000;
    opts->request_timeout_ms = 120000;
    opts->grace_ms = 10000;
    opts->verbosity = 1;

    optind = 1;
    while ((c = getopt_long(argc, argv, "i:x:e:w:vqhV", long_options, NULL)) !=
           -1) {
        switch (c) {
        case 'i':
            opts->input = optarg;
            break;
        case 'x':
            opts->index_pattern = optarg;
            break;
        case 'e':
            opts->es_url = optarg;
            break;
        case 'w':
            if (parse_long(optarg, 1, FB_MAX_WORKERS, &v) < 0)
                return usage_error("--workers must be an integer from 1 to "
                                   "64, not '%s'",
                                   optarg);
            opts->workers = (int)v;
            break;
        case OPT_FORMAT:
            format = optarg;
            break;
        case OPT_BATCH_BYTES:
            if (fb_parse_size(optarg, &size) < 0 || size < 1024 ||
                size > 1024 * MiB)
                return usage_error("--batch-bytes must be a size from 1KiB "
                                   "to 1GiB, not '%s'",
                                   optarg);
            opts->batch_bytes = (size_t)size;
            break;
        case OPT_BATCH_DOCS:
            if (parse_long(optarg, 1, 1000000, &v) < 0)
                return usage_error("--batch-docs must be from 1 to 1000000, "
                                   "not '%s'",
                                   optarg);
            opts->batch_docs = (size_t)v;
            break;
        case OPT_MAX_RECORD:
            if (fb_parse_size(optarg, &size) < 0 || size < 16 ||
                size > 1024 * MiB)
                return usage_error("--max-record-bytes must be a size from "
                                   "16 bytes to 1GiB, not '%s'",
                                   optarg);
            opts->max_record_bytes = (size_t)size;
            break;
        case OPT_RANGE_BYTES:
            if (fb_parse_size(optarg, &size) < 0 || size < 1)
                return usage_error("--range-bytes must be a positive size, "
                                   "not '%s'",
                                   optarg);
            opts->range_bytes = size;
            break;
        case OPT_ID_FIELD:
            if (*optarg == '\0')
                return usage_error("--id-field must not be empty");
            opts->id_field = optarg;
            break;
        case OPT_OP:
            if (strcmp(optarg, "index") == 0)
                opts->op = FB_OP_INDEX;
            else if (strcmp(optarg, "create") == 0)
                opts->op = FB_OP_CREATE;
            else
                return usage_error("--op must be index or create, not '%s'",
                                   optarg);
            break;
        case OPT_REJECT_FILE:
            opts->reject_file = optarg;
            break;
        case OPT_SUMMARY_JSON:
            opts->summary_json = optarg;
            break;
        case OPT_COMPRESS:
            opts->compress = true;
            break;
        case OPT_CSV_NULL:
            opts->csv_null = true;
            break;
        case OPT_NO_REFRESH:
            opts->refresh = false;
            break;
        case OPT_RETRIES:
            if (parse_long(optarg, 0, 1000, &v) < 0)
                return usage_error("--retries must be from 0 to 1000, not "
                                   "'%s'",
                                   optarg);
            opts->max_retries = (int)v;
            break;
        case OPT_CONNECT_TIMEOUT:
            if (parse_long(optarg, 1, 3600000, &v) < 0)
                return usage_error("--connect-timeout must be milliseconds "
                                   "from 1 to 3600000, not '%s'",
                                   optarg);
            opts->connect_timeout_ms = v;
            break;
        case OPT_REQUEST_TIMEOUT:
            if (parse_long(optarg, 1, 86400000, &v) < 0)
                return usage_error("--request-timeout must be milliseconds "
                                   "from 1 to 86400000, not '%s'",
                                   optarg);
            opts->request_timeout_ms = v;
            break;
        case OPT_GRACE:
            if (parse_long(optarg, 0, 3600000, &v) < 0)
                return usage_error("--grace must be milliseconds from 0 to "
                                   "3600000, not '%s'",
                                   optarg);
            opts->grace_ms = v;
            break;
        case 'v':
            opts->verbosity++;
            break;
        case 'q':
            opts->verbosity = 0;
            break;
        case 'h':
            print_help();
            return FB_OPTIONS_DONE;
        case 'V':
            printf("forkbulk %s\n", FB_VERSION);
            return FB_OPTIONS_DONE;
        default:
            fprintf(stderr, "Try 'forkbulk --help'.\n");
            return FB_EXIT_USAGE;
        }
    }
    if (optind < argc)
        return usage_error("unexpected argument '%s'", argv[optind]);
    if (opts->input == NULL)
        return usage_error("--input is required");
    if (opts->index_pattern == NULL)
        return usage_error("--index is required");

    if (format == NULL)
        opts->format = has_suffix(opts->input, ".csv") ||
                               has_suffix(opts->input, ".csv.gz")
                           ? FB_FORMAT_CSV
                           : FB_FORMAT_NDJSON;
    else if (strcmp(format, "ndjson") == 0)
        opts->format = FB_FORMAT_NDJSON;
    else if (strcmp(format, "csv") == 0)
        opts->format = FB_FORMAT_CSV;
    else
        return usage_error("--format must be ndjson or csv, not '%s'", format);

    if (opts->max_record_bytes > opts->batch_bytes)
        opts->max_record_bytes = opts->batch_bytes;
    if (opts->workers == 0)
        opts->workers = default_workers();

    opts->index = expand_index(opts->index_pattern);
    if (opts->index == NULL || opts->index[0] == '\0')
        return usage_error("--index '%s' expands to an empty or too long "
                           "name",
                           opts->index_pattern);
    return 0;
}

void
fb_options_free(struct fb_options *opts)
{
    free(opts->index);
    opts->index = NULL;
}
