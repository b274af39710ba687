/*
 * options_table.c
 *    The one row of every setting (see options_table.h).
 *
 * Rows are in --help order; a config file lists the sections in the order
 * they first appear here, each with its rows in this order.  The doc text
 * of a row becomes the comment above the setting in the config file that
 * --print-config writes, and etc/forkbulk.conf is that output: edit the
 * text here, never there.
 */
#include "forkbulk/options_table.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "forkbulk/gzip_body.h"
#include "forkbulk/ledger.h"
#include "forkbulk/options.h"
#include "forkbulk/pg_conn.h"

#define STR_(x) #x
#define STR(x) STR_(x)

/*
 * The offset of a field of struct fb_options, which must have the given
 * type: a row whose kind does not match its field's type does not compile.
 */
#define FIELD(name, type)                                                      \
    (offsetof(struct fb_options, name) +                                       \
     0 * sizeof(char[_Generic(((struct fb_options *)0)->name, type : 1)]))

#define STRING(f) .kind = FB_OPT_STRING, .field = FIELD(f, char *)
#define SECRET(f) .kind = FB_OPT_SECRET, .field = FIELD(f, char *)
#define CONNINFO(f) .kind = FB_OPT_CONNINFO, .field = FIELD(f, char *)
#define SECRET_FILE(f) .kind = FB_OPT_SECRET_FILE, .field = FIELD(f, char *)
#define BOOL(f) .kind = FB_OPT_BOOL, .field = FIELD(f, bool)
#define NOBOOL(f) .kind = FB_OPT_NOBOOL, .field = FIELD(f, bool)
#define INT(f) .kind = FB_OPT_INT, .field = FIELD(f, int)
#define COUNT(f) .kind = FB_OPT_COUNT, .field = FIELD(f, size_t)
#define SIZE(f) .kind = FB_OPT_SIZE, .field = FIELD(f, size_t)
#define DURATION(f) .kind = FB_OPT_DURATION, .field = FIELD(f, long)
#define ENUM(f, values)                                                        \
    .kind = FB_OPT_ENUM, .field = FIELD(f, int), .names = values
#define SHARE(count, pct)                                                      \
    .kind = FB_OPT_SHARE, .field = FIELD(count, uint64_t),                     \
    .field2 = FIELD(pct, double)
#define ACTION(a) .kind = FB_OPT_ACTION, .action = a

#define MiB (1024ll * 1024)
#define DAY_MS 86400000
#define HOUR_MS 3600000

static const char *const format_names[] = {
    [FB_FORMAT_NDJSON] = "ndjson",
    [FB_FORMAT_CSV] = "csv",
    NULL,
};

static const char *const op_names[] = {
    [FB_OP_INDEX] = "index",
    [FB_OP_CREATE] = "create",
    NULL,
};

static const char *const flavor_names[] = {
    [FB_FLAVOR_ES7] = "es7",
    [FB_FLAVOR_ES8] = "es8",
    [FB_FLAVOR_OPENSEARCH] = "opensearch",
    NULL,
};

static const char *const publish_names[] = {
    [FB_PUBLISH_DIRECT] = "direct",
    [FB_PUBLISH_ALIAS] = "alias",
    NULL,
};

static const char *const pg_infinity_names[] = {
    [FB_PG_INFINITY_REJECT] = "reject",
    [FB_PG_INFINITY_NULL] = "null",
    NULL,
};

static const char *const log_to_names[] = {
    [FB_LOG_TO_STDERR] = "stderr",
    [FB_LOG_TO_SYSLOG] = "syslog",
    NULL,
};

/* As written in a config file or on the command line: a tab as \t. */
static const char *const delimiter_names[] = {
    [FB_CSV_COMMA] = ",",
    [FB_CSV_SEMICOLON] = ";",
    [FB_CSV_PIPE] = "|",
    [FB_CSV_TAB] = "\\t",
    NULL,
};

static const char *const time_format_names[] = {
    [FB_TIME_AUTO] = "auto",
    [FB_TIME_ISO8601] = "iso8601",
    [FB_TIME_EPOCH_S] = "epoch_s",
    [FB_TIME_EPOCH_MS] = "epoch_ms",
    NULL,
};

/* --print-man SECTION, --print-completion SHELL */
static const char *const man_sections[] = {"1", "5", NULL};
static const char *const completion_shells[] = {"bash", NULL};

static const struct fb_opt rows[] = {
    {.flag = "config",
     .short_name = 'c',
     ACTION(FB_ACT_CONFIG),
     .arg = "PATH",
     .help = "read settings from this INI file (flags win)",
     .doc = "Reads settings from this INI file; flags given on the command "
            "line win over it."},

    /* [input] */
    {.flag = "input",
     .short_name = 'i',
     .section = "input",
     .key = "path",
     STRING(input),
     .arg = "FILE",
     .example = "/var/spool/flows/flows.ndjson",
     .help = "NDJSON/CSV input; - reads standard input (one worker)",
     .doc = "A file to load instead of PostgreSQL: NDJSON (one JSON object "
            "a line) or CSV with a header line; - is standard input, read "
            "by one worker."},
    {.flag = "format",
     .section = "input",
     .key = "format",
     ENUM(format, format_names),
     .arg = "FMT",
     .computed = "csv for names ending in .csv or .csv.gz, else ndjson",
     .help = "ndjson or csv",
     .doc = "The format of the input: ndjson or csv."},
    {.flag = "csv-null",
     .section = "input",
     .key = "csv_null",
     BOOL(csv_null),
     .def = "false",
     .help = "empty CSV fields become null instead of omitted",
     .doc = "CSV: empty fields become null instead of being left out of the "
            "document."},
    {.flag = "csv-delimiter",
     .section = "input",
     .key = "csv_delimiter",
     ENUM(csv_delimiter, delimiter_names),
     .def = ",",
     .arg = "C",
     .help = "CSV field separator: , ; | or \\t (tab)",
     .doc = "What separates CSV fields: a comma, a semicolon (as spreadsheets "
            "write in many locales), a pipe, or a tab, written \\t."},
    {.flag = "csv-no-header",
     .section = "input",
     .key = "csv_header",
     NOBOOL(csv_header),
     .def = "true",
     .help = "the CSV file has no header row (with --csv-columns)",
     .doc = "Whether the first CSV record names the fields; without one, "
            "csv_columns names them."},
    {.flag = "csv-columns",
     .section = "input",
     .key = "csv_columns",
     STRING(csv_columns),
     .arg = "A,B,C",
     .example = "ts,src_ip,dst_ip,bytes",
     .help = "the field names of a CSV file without a header row",
     .doc = "The field names, comma-separated, of a CSV file that has no "
            "header row (with csv_header = false)."},

    /* [source] */
    {.flag = "pg",
     .section = "source",
     .key = "pg",
     CONNINFO(pg),
     .arg = "CONNINFO",
     .help = "PostgreSQL source (libpq conninfo; PG* variables and ~/.pgpass "
             "work)",
     .doc = "PostgreSQL connection (libpq conninfo).  PG* environment "
            "variables and ~/.pgpass work as for psql.  Never put the "
            "password here: use pg_password or pg_password_file, PGPASSWORD, "
            "or ~/.pgpass."},
    {.section = "source",
     .key = "pg_password",
     SECRET(pg_password),
     .env = "PGPASSWORD",
     .help = "the PostgreSQL password",
     .doc = "The PostgreSQL password (a secret: see the rules for secrets)."},
    {.section = "source",
     .key = "pg_password_file",
     SECRET_FILE(pg_password),
     .example = "/etc/forkbulk/pg.password",
     .help = "a file whose first line is the PostgreSQL password",
     .doc = "A file whose first line is the PostgreSQL password."},
    {.flag = "table",
     .section = "source",
     .key = "table",
     STRING(table),
     .arg = "NAME",
     .help = "[schema.]table to load (with --time-column)",
     .doc = "The table to load, [schema.]table, with the column the hour "
            "applies to."},
    {.flag = "time-column",
     .section = "source",
     .key = "time_column",
     STRING(time_column),
     .arg = "COL",
     .help = "the column the hour applies to",
     .doc = "The column of table that the hour window applies to."},
    {.flag = "query",
     .section = "source",
     .key = "query",
     STRING(query),
     .arg = "SQL",
     .example = "SELECT * FROM flows WHERE ts >= $1 AND ts < $2",
     .help = "instead of --table: SQL with $1 and $2 = window start and end",
     .doc = "Instead of table: a query with $1 and $2 for the window start "
            "and end (timestamptz, passed as parameters, never pasted into "
            "the SQL)."},
    {.flag = "split",
     .section = "source",
     .key = "split",
     STRING(split),
     .def = "auto",
     .arg = "HOW",
     .help = "auto, ctid, key:COLUMN or time:DURATION",
     .doc = "How to cut the hour into ranges: auto (time sub-windows if an "
            "index leads with time_column, else the integer primary key, else "
            "ctid; a view, which has no ctid, always by time), ctid (heap "
            "blocks; of every partition of a partitioned table), key:COLUMN, "
            "or time:DURATION (e.g. time:5m)."},
    {.flag = "id-column",
     .section = "source",
     .key = "id_column",
     STRING(id_column),
     .arg = "COL",
     .computed = "the primary key",
     .example = "id",
     .help = "document id from this column",
     .doc = "Document ids from this column.  Without it, id_columns or a "
            "primary key, a re-run may duplicate documents (forkbulk "
            "warns)."},
    {.flag = "id-columns",
     .section = "source",
     .key = "id_columns",
     STRING(id_columns),
     .arg = "A,B",
     .example = "src_ip,dst_ip,ts",
     .help = "document id = hash of these columns",
     .doc = "Document ids from a hash of these columns (comma-separated), "
            "instead of id_column."},
    {.flag = "pg-null",
     .section = "source",
     .key = "null_as_null",
     BOOL(pg_null),
     .def = "false",
     .help = "NULL columns become null instead of omitted",
     .doc = "NULL columns become null instead of being left out of the "
            "document."},
    {.flag = "pg-infinity",
     .section = "source",
     .key = "infinity",
     ENUM(pg_infinity, pg_infinity_names),
     .def = "reject",
     .arg = "R",
     .help = "reject or null: what an infinite date or timestamp becomes",
     .doc = "What a date, timestamp or timestamptz of infinity or -infinity "
            "becomes: reject (the row is rejected, naming the column) or null "
            "(JSON has no infinite date)."},

    /* [job] */
    {.flag = "job",
     .section = "job",
     .key = "name",
     STRING(job),
     .arg = "NAME",
     .computed = "the table, or \"query\"",
     .help = "job name for the lock and the ledger",
     .doc = "Name of the job, for the lock and the ledger."},
    {.flag = "hour",
     .section = "job",
     .key = "hour",
     STRING(hour),
     .arg = "H",
     .example = "last",
     .help = "last (the last complete hour) or 2026-11-27T03",
     .doc = "Which hour: last (the last complete hour) or one like "
            "2026-11-27T03.  Usually given on the command line."},
    {.flag = "from",
     .section = "job",
     .key = "from",
     STRING(from),
     .arg = "T",
     .example = "2026-11-27T00",
     .help = "with --to: every hour in [from, to)",
     .doc = "With to, instead of hour: every hour in [from, to)."},
    {.flag = "to",
     .section = "job",
     .key = "to",
     STRING(to),
     .arg = "T",
     .example = "2026-11-28T00",
     .help = "end of --from",
     .doc = "The end of from (not included)."},
    {.flag = "catch-up",
     .section = "job",
     .key = "catch_up",
     BOOL(catch_up),
     .def = "false",
     .help = "load every hour in --lookback whose last run is not done",
     .doc = "Load every hour of the lookback window whose last run is not "
            "done (never run, failed, interrupted), oldest first."},
    {.flag = "lookback",
     .section = "job",
     .key = "lookback",
     STRING(lookback),
     .def = "48h",
     .arg = "DUR",
     .help = "window of --catch-up",
     .doc = "The window of catch_up."},
    {.flag = "settle",
     .section = "job",
     .key = "settle",
     STRING(settle),
     .def = "2m",
     .arg = "DUR",
     .help = "--hour last: the last hour that ended at least this long ago",
     .doc = "Rows commit after their time stamp: hour last is the last hour "
            "that ended at least this long ago."},
    {.flag = "verify",
     .section = "job",
     .key = "verify",
     STRING(verify),
     .def = "0",
     .arg = "DUR",
     .help = "re-count the done hours of this window and reload those that "
             "differ (0: off)",
     .doc = "Each run counts the rows of every done hour of this window "
            "again, in a new snapshot, against the ledger and the index, and "
            "loads an hour again when they differ (rows that committed "
            "late).  0 turns it off; the cron wrapper passes 6h."},
    {.flag = "max-hours",
     .section = "job",
     .key = "max_hours",
     INT(max_hours),
     .def = "744",
     .min = 1,
     .max = 100000,
     .arg = "N",
     .help = "hours one run loads at most (catch-up, --from/--to)",
     .doc = "One run loads at most this many hours, oldest first; catch_up "
            "says how many remain for the next run."},
    {.flag = "skip-hour",
     .section = "job",
     .key = "skip_hour",
     STRING(skip_hour),
     .arg = "T",
     .help = "record this hour as skipped (with --reason): catch-up stops "
             "retrying it",
     .doc = "Records the hour (2026-11-27T03) as skipped in the ledger, with "
            "reason, and loads nothing: catch_up stops retrying an hour that "
            "cannot load."},
    {.flag = "reason",
     .section = "job",
     .key = "reason",
     STRING(reason),
     .arg = "TEXT",
     .help = "why --skip-hour skips it (kept in the ledger)",
     .doc = "Why skip_hour skips its hour; kept in the ledger."},
    {.flag = "replace",
     .section = "job",
     .key = "replace",
     BOOL(replace),
     .def = "false",
     .help = "load the given hours (or file) again even if done",
     .doc = "Load the hours given by hour or from/to (or the input file) "
            "again, even if they are done; with publish = alias into a new "
            "generation, which drops documents of rows deleted since.  Not "
            "with catch_up."},
    {.flag = "state-dir",
     .section = "job",
     .key = "state_dir",
     STRING(state_dir),
     .def = "/var/lib/forkbulk",
     .env = "FORKBULK_STATE_DIR",
     .arg = "PATH",
     .help = "the job's lock file and state (created 0700 when it can be)",
     .doc = "Where the job keeps its lock file and its state (for file "
            "loads, the settings to put back on an index); created with "
            "mode 0700 when forkbulk can create it."},
    {.flag = "timezone",
     .section = "job",
     .key = "timezone",
     STRING(timezone),
     .arg = "TZ",
     .computed = "UTC",
     .example = "Europe/Berlin",
     .help = "hour labels and index names in this zone",
     .doc = "Hour labels and index names in this time zone (such as "
            "Europe/Berlin); with time_field, also the zone of times "
            "without an offset."},
    {.flag = "ledger-table",
     .section = "job",
     .key = "ledger_table",
     STRING(ledger_table),
     .def = FB_LEDGER_TABLE,
     .arg = "NAME",
     .help = "run ledger table",
     .doc = "The run ledger, [schema.]table in the source database, created "
            "on first use."},
    {.flag = "lock-file",
     .section = "job",
     .key = "lock_file",
     STRING(lock_file),
     .arg = "PATH",
     .computed = "<state_dir>/<job>.lock",
     .help = "lock file",
     .doc = "The lock file that keeps two runs of the job apart."},

    /* [elasticsearch] */
    {.flag = "index",
     .short_name = 'x',
     .section = "elasticsearch",
     .key = "index",
     STRING(index_pattern),
     .arg = "NAME",
     .computed = FB_PG_DEFAULT_INDEX " for PostgreSQL; files need one",
     .help = "target index, a strftime pattern",
     .doc = "Index name: a strftime pattern, applied to the hour (to the "
            "time of the run for files)."},
    {.flag = "es",
     .short_name = 'e',
     .section = "elasticsearch",
     .key = "url",
     STRING(es_url),
     .repeat = true,
     .def = "http://127.0.0.1:9200",
     .arg = "URL",
     .help = "cluster URL; once per node for several nodes",
     .doc = "Cluster URL, http:// or https:// (no credentials in it).  "
            "Several nodes of one cluster: a list, \"https://a:9200, "
            "https://b:9200\" (at most " STR(
                FB_MAX_NODES) "); as flags, "
                              "--es once per node (the first replaces the "
                              "config file's "
                              "list, the next ones add to it).  Each worker "
                              "sends its "
                              "requests to the nodes in turn.  A node that "
                              "refuses the "
                              "connection, times out or answers 502, 503 or "
                              "504 is left "
                              "alone for 1 s, twice as long after each failure "
                              "in a row up "
                              "to 60 s, and the same request goes to the next "
                              "node at once "
                              "(not counted as a retry); when every node is "
                              "down, --retries "
                              "and --retry-time apply.  Other requests (the "
                              "check, refresh, "
                              "count) go to the first node that answers."},
    {.section = "elasticsearch",
     .key = "user",
     STRING(es_user),
     .env = "FORKBULK_ES_USER",
     .example = "forkbulk",
     .help = "user name, with password",
     .doc = "Credentials: user with password, or api_key."},
    {.section = "elasticsearch",
     .key = "password",
     SECRET(es_password),
     .env = "FORKBULK_ES_PASSWORD",
     .help = "password of user",
     .doc = "The password of user (a secret: see the rules for secrets)."},
    {.section = "elasticsearch",
     .key = "password_file",
     SECRET_FILE(es_password),
     .example = "/etc/forkbulk/es.password",
     .help = "a file whose first line is the password",
     .doc = "A file whose first line is the password."},
    {.section = "elasticsearch",
     .key = "api_key",
     SECRET(es_api_key),
     .env = "FORKBULK_ES_API_KEY",
     .help = "API key, instead of user",
     .doc = "An API key (base64 of id:key) instead of user and password (a "
            "secret: see the rules for secrets)."},
    {.section = "elasticsearch",
     .key = "api_key_file",
     SECRET_FILE(es_api_key),
     .example = "/etc/forkbulk/es.api_key",
     .help = "a file whose first line is the API key",
     .doc = "A file whose first line is the API key."},
    {.flag = "ca-file",
     .section = "elasticsearch",
     .key = "ca_file",
     STRING(ca_file),
     .arg = "PATH",
     .computed = "the system's",
     .example = "/etc/forkbulk/ca.pem",
     .help = "trust these CA certificates for https",
     .doc = "TLS is verified: trust anchors (PEM) for https.  TLS 1.2 at "
            "least; redirects are never followed."},
    {.flag = "cert",
     .section = "elasticsearch",
     .key = "cert",
     STRING(cert_file),
     .arg = "PATH",
     .example = "/etc/forkbulk/client.pem",
     .help = "TLS client certificate (PEM), for a cluster that asks for one",
     .doc = "A TLS client certificate (PEM) to show a cluster that requires "
            "one; its key is in the same file unless key is given."},
    {.flag = "key",
     .section = "elasticsearch",
     .key = "key",
     STRING(key_file),
     .arg = "PATH",
     .example = "/etc/forkbulk/client.key",
     .help = "the private key of --cert (PEM)",
     .doc = "The private key (PEM) of cert; an encrypted one needs "
            "key_password or key_password_file."},
    {.section = "elasticsearch",
     .key = "key_password",
     SECRET(key_password),
     .env = "FORKBULK_ES_KEY_PASSWORD",
     .help = "passphrase of the key",
     .doc = "The passphrase of an encrypted key (a secret: see the rules "
            "for secrets)."},
    {.section = "elasticsearch",
     .key = "key_password_file",
     SECRET_FILE(key_password),
     .example = "/etc/forkbulk/client.key.password",
     .help = "a file whose first line is the passphrase of the key",
     .doc = "A file whose first line is the passphrase of key."},
    {.flag = "es-flavor",
     .section = "elasticsearch",
     .key = "flavor",
     ENUM(es_flavor, flavor_names),
     .def = "es8",
     .arg = "F",
     .help = "es7, es8 or opensearch: what the cluster is when GET / is "
             "refused (403)",
     .doc = "A key that may only write to the target indices is refused GET "
            "/ (403): forkbulk then goes on and takes the cluster to be this "
            "(es7, es8 or opensearch)."},
    {.flag = "insecure",
     .section = "elasticsearch",
     .key = "insecure",
     BOOL(insecure),
     .def = "false",
     .help = "do not verify the cluster's TLS certificate",
     .doc = "Do not verify the cluster's TLS certificate (never in "
            "production)."},
    {.flag = "op",
     .section = "elasticsearch",
     .key = "op",
     ENUM(op, op_names),
     .def = "index",
     .arg = "OP",
     .help = "index or create",
     .doc = "index (overwrite) or create (409 = already there, counted, not "
            "rejected)."},
    {.flag = "id-field",
     .section = "elasticsearch",
     .key = "id_field",
     STRING(id_field),
     .arg = "FIELD",
     .computed = "file path and byte offset",
     .example = "id",
     .help = "files: document id from this dotted field",
     .doc = "Files: take the document id from this field (a dotted path)."},
    {.flag = "time-field",
     .section = "elasticsearch",
     .key = "time_field",
     STRING(time_field),
     .arg = "FIELD",
     .example = "ts",
     .help = "files: each record into the index of its own time, from this "
             "dotted field",
     .doc = "Files: each record goes to the index that the index pattern "
            "names for the time in this field (a dotted path; for CSV a "
            "column), in the time zone of timezone, as the hourly job "
            "names its hours: a file that spans days fills every hour's "
            "index in one run, and the summary counts the documents of "
            "each.  Times are ISO 8601 with or without an offset "
            "(2026-11-27T03:04:05Z, 2026-11-27T03:04:05.123+01:00, "
            "2026-11-27 03:04:05; without one the time is in timezone, and "
            "a local time that a DST change skips or repeats is rejected), "
            "or epoch seconds or milliseconds (see time_field_format), "
            "years 1970 to 9999.  A record without such a time (the field "
            "missing, of another type, unreadable, out of range) is "
            "rejected with the reason.  These indices get no load settings "
            "and no alias publishing (the cluster's index templates still "
            "apply).  Not for PostgreSQL loads: they take the hour from "
            "their window."},
    {.flag = "time-field-format",
     .section = "elasticsearch",
     .key = "time_field_format",
     ENUM(time_field_format, time_format_names),
     .def = "auto",
     .arg = "FMT",
     .help = "auto (ISO strings; numbers: seconds below 10^11, else "
             "milliseconds), iso8601, epoch_s or epoch_ms",
     .doc = "How time_field values are read.  auto: a string is ISO 8601, "
            "or epoch time when it holds a decimal number only; a number is "
            "epoch seconds below 100000000000 (10^11 s is the year 5138) "
            "and epoch milliseconds from there on, so milliseconds before "
            "1973-03-03 need epoch_ms.  iso8601: strings only.  epoch_s, "
            "epoch_ms: a number, or a string holding one, in that unit; a "
            "fraction is kept (1764212645.5)."},
    {.flag = "compress",
     .section = "elasticsearch",
     .key = "compress",
     BOOL(compress),
     .def = "false",
     .help = "gzip _bulk request bodies",
     .doc = "gzip _bulk request bodies (Content-Encoding: gzip): flow "
            "records take about 5x fewer bytes on the wire.  Each batch is "
            "compressed once, however often it is sent; the cluster's "
            "request size limit counts the bytes before compression."},
    {.flag = "compress-level",
     .section = "elasticsearch",
     .key = "compress_level",
     INT(compress_level),
     .def = "1",
     .min = FB_GZIP_LEVEL_MIN,
     .max = FB_GZIP_LEVEL_MAX,
     .arg = "N",
     .help = "gzip level of --compress: 0 fastest .. 3 smallest",
     .doc = "The gzip level of compress, 0 (fastest) to 3 (smallest): "
            "ISA-L's levels.  Flow records shrink 4.0x at 0, 4.9x at 1 and "
            "2, 5.2x at 3; 0 to 2 take the same CPU, 3 three times as much. "
            " Raise it only when the network, not the CPU, limits a load."},
    {.flag = "no-refresh",
     .section = "elasticsearch",
     .key = "refresh",
     NOBOOL(refresh),
     .def = "true",
     .help = "do not refresh the index when a load is done",
     .doc = "Refresh the index when its load is done."},
    {.flag = "load-settings",
     .section = "elasticsearch",
     .key = "load_settings",
     STRING(load_settings),
     .def = "refresh_interval=-1,number_of_replicas=0",
     .arg = "K=V,...",
     .help = "index settings while a load runs, restored after it",
     .doc = "Index settings set while an index loads (comma-separated "
            "KEY=VALUE, keys as in PUT _settings without \"index.\"), and "
            "put back as they were after its last batch, also when the load "
            "fails or is stopped; a run that dies leaves them to the next "
            "run of the job, which puts them back first."},
    {.flag = "no-load-settings",
     .section = "elasticsearch",
     .key = "apply_load_settings",
     NOBOOL(apply_load_settings),
     .def = "true",
     .help = "leave index settings alone during a load",
     .doc = "Set load_settings while an index loads; false leaves the "
            "index's settings alone."},
    {.flag = "index-template",
     .section = "elasticsearch",
     .key = "index_template",
     STRING(index_template),
     .arg = "FILE",
     .example = "/etc/forkbulk/flows-template.json",
     .help = "install this composable index template before the first "
             "index",
     .doc = "A composable index template (JSON, the body of PUT "
            "_index_template/NAME) installed or updated before the first "
            "index is created, so that new indices get its mappings and "
            "settings."},
    {.flag = "index-template-name",
     .section = "elasticsearch",
     .key = "index_template_name",
     STRING(index_template_name),
     .arg = "NAME",
     .computed = "the file's name without .json",
     .help = "the name of the index template",
     .doc = "The name index_template is installed under."},
    {.flag = "publish",
     .section = "elasticsearch",
     .key = "publish",
     ENUM(publish, publish_names),
     .def = "direct",
     .arg = "HOW",
     .help = "direct, or alias: load a new generation, then switch the alias",
     .doc = "direct loads into the index readers query.  alias loads into "
            "a new index NAME.gN and, once it is complete, points the alias "
            "NAME at it in one atomic request and deletes the previous "
            "generation: readers never see a half-loaded index, and "
            "documents of deleted rows go at the next re-load."},

    /* [limits] */
    {.flag = "workers",
     .short_name = 'w',
     .section = "limits",
     .key = "workers",
     INT(workers),
     .min = 1,
     .max = FB_MAX_WORKERS,
     .arg = "N",
     .computed = "online CPUs, at most " STR(FB_DEFAULT_WORKERS_CAP),
     .help = "worker processes",
     .doc = "Worker processes, forked before anything is read (at most " STR(
         FB_MAX_WORKERS) ")."},
    {.flag = "batch-bytes",
     .section = "limits",
     .key = "batch_bytes",
     SIZE(batch_bytes),
     .min = 1024,
     .max = 1024 * MiB,
     .def = "8MiB",
     .arg = "SIZE",
     .help = "bulk request body bound",
     .doc = "A bulk request body is at most this big.  Memory is about "
            "workers x batch_bytes, up to twice that with compress (each "
            "worker's gzip buffer)."},
    {.flag = "batch-docs",
     .section = "limits",
     .key = "batch_docs",
     COUNT(batch_docs),
     .min = 1,
     .max = 1000000,
     .def = "5000",
     .arg = "N",
     .help = "documents per bulk request",
     .doc = "A bulk request holds at most this many documents."},
    {.flag = "max-record-bytes",
     .section = "limits",
     .key = "max_record_bytes",
     SIZE(max_record_bytes),
     .min = 16,
     .max = 1024 * MiB,
     .def = "1MiB",
     .arg = "SIZE",
     .help = "longest record accepted",
     .doc = "Longer records are rejected, never buffered (and never longer "
            "than batch_bytes)."},
    {.flag = "range-bytes",
     .section = "limits",
     .key = "range_bytes",
     SIZE(range_bytes),
     .min = 0,
     .max = 1ll << 50,
     .def = "0",
     .arg = "SIZE",
     .help = "files: bytes per range; 0 chooses from the file size",
     .doc = "Files: bytes per range; 0: file size / (16 x workers), from 1 "
            "to 64 MiB."},
    {.flag = "retries",
     .section = "limits",
     .key = "retries",
     INT(max_retries),
     .min = 0,
     .max = 1000,
     .def = "8",
     .arg = "N",
     .help = "attempts per batch on 429/5xx/network errors",
     .doc = "Attempts per batch on 429, 5xx and network errors."},
    {.flag = "retry-time",
     .section = "limits",
     .key = "retry_time_ms",
     DURATION(retry_time_ms),
     .min = 1,
     .max = DAY_MS,
     .def = "600000",
     .arg = "MS",
     .help = "stop retrying a batch after this long in all",
     .doc = "... and stop retrying one batch after this long in all."},
    {.flag = "connect-timeout",
     .section = "limits",
     .key = "connect_timeout_ms",
     DURATION(connect_timeout_ms),
     .min = 1,
     .max = HOUR_MS,
     .def = "10000",
     .arg = "MS",
     .help = "connect timeout",
     .doc = "Timeout of a connection to the cluster."},
    {.flag = "request-timeout",
     .section = "limits",
     .key = "request_timeout_ms",
     DURATION(request_timeout_ms),
     .min = 1,
     .max = DAY_MS,
     .def = "120000",
     .arg = "MS",
     .help = "per-request timeout",
     .doc = "Timeout of one request to the cluster."},
    {.flag = "grace",
     .section = "limits",
     .key = "grace_ms",
     DURATION(grace_ms),
     .min = 0,
     .max = HOUR_MS,
     .def = "10000",
     .arg = "MS",
     .help = "on SIGTERM, time workers get to finish",
     .doc = "On SIGTERM, the time workers get to finish before they are "
            "killed."},
    {.flag = "max-rejects",
     .section = "limits",
     .key = "max_rejects",
     SHARE(max_rejects, max_rejects_pct),
     .def = "0",
     .arg = "N|N%",
     .help = "a unit (an hour, the file) stops incomplete (exit 65) past N "
             "rejects, or past N% of its records read once 1000 are read",
     .doc = "Rejected records one unit (an hour, or the file) may have: a "
            "count, or a share of its records read such as 0.5% (judged "
            "from 1000 records on).  Past it the unit stops early and is "
            "incomplete (exit 65); later hours still load.  At or under it "
            "the rejects are reported and the unit is complete.  0: the "
            "first reject stops the unit."},
    {.flag = "stall-timeout",
     .section = "limits",
     .key = "stall_timeout_ms",
     DURATION(stall_ms),
     .min = 0,
     .max = DAY_MS,
     .def = "0",
     .arg = "MS",
     .help = "kill a worker that shows no progress this long; 0: request "
             "timeout + " STR(FB_STALL_MARGIN_MS),
     .doc = "A worker silent this long is killed and its range "
            "re-dispatched; 0: request_timeout_ms "
            "+ " STR(FB_STALL_MARGIN_MS) "."},

    /* [output] */
    {.flag = "reject-file",
     .section = "output",
     .key = "reject_file",
     STRING(reject_file),
     .arg = "PATH",
     .computed = "rejects are only logged",
     .example = "/var/log/forkbulk/rejects.ndjson",
     .help = "rejected records, one JSON line each",
     .doc = "One JSON line per rejected record, with the reason."},
    {.flag = "summary-json",
     .section = "output",
     .key = "summary_json",
     STRING(summary_json),
     .arg = "PATH",
     .example = "/var/lib/forkbulk/last-summary.json",
     .help = "write the run summary as JSON",
     .doc = "The run summary as JSON, for wrapper scripts."},
    {.flag = "log-file",
     .section = "output",
     .key = "log_file",
     STRING(log_file),
     .arg = "PATH",
     .computed = "stderr",
     .example = "/var/log/forkbulk/forkbulk.log",
     .help = "log here instead of stderr (reopened on SIGHUP)",
     .doc = "Log here instead of stderr; reopened on SIGHUP.  With log = "
            "syslog, lines go to both."},
    {.flag = "log",
     .section = "output",
     .key = "log",
     ENUM(log_to, log_to_names),
     .def = "stderr",
     .arg = "WHERE",
     .help = "stderr or syslog (facility daemon)",
     .doc = "stderr (under systemd with the journal's priority prefixes "
            "and no time stamp of its own), or syslog, facility daemon."},
    {.flag = "syslog",
     ACTION(FB_ACT_SYSLOG),
     .help = "log through syslog (the same as --log syslog)"},
    {.flag = "metrics-file",
     .section = "output",
     .key = "metrics_file",
     STRING(metrics_file),
     .arg = "PATH",
     .example = "/var/lib/prometheus/node-exporter/forkbulk.prom",
     .help = "write metrics for node_exporter's textfile collector",
     .doc = "Every run, whatever its outcome, writes its metrics here for "
            "node_exporter's textfile collector (Prometheus text format, "
            "replaced whole)."},
    {.flag = "progress",
     .section = "output",
     .key = "progress",
     INT(progress_s),
     .def = "0",
     .min = 0,
     .max = 86400,
     .arg = "SECONDS",
     .help = "log progress every SECONDS (0: only the status line on a "
             "terminal)",
     .doc = "Logs the progress (hour, ranges, documents, rate, rejects, "
            "ETA) as an INFO line this often, for journalctl -f during a "
            "long backfill; 0: only the status line on a terminal."},
    {.flag = "no-progress",
     .section = "output",
     .key = "progress_line",
     NOBOOL(progress_line),
     .def = "true",
     .help = "no status line on a terminal",
     .doc = "On a terminal a status line shows the progress, redrawn at "
            "most twice a second and cleared at the end."},

    {.flag = "dry-run",
     ACTION(FB_ACT_DRY_RUN),
     .help = "plan and print what would be loaded; load nothing, change "
             "nothing (the job's lock is taken, so it never overlaps a run)"},
    {.flag = "check",
     ACTION(FB_ACT_CHECK),
     .help = "check connectivity and permissions only, a line each"},
    {.flag = "print-config",
     ACTION(FB_ACT_PRINT_CONFIG),
     .help = "print the settings as a config file (secrets masked) and exit"},
    {.flag = "print-man",
     ACTION(FB_ACT_PRINT_MAN),
     .names = man_sections,
     .arg = "SECTION",
     .help = "print the man page forkbulk(1) or forkbulk.conf(5) and exit",
     .doc = "Prints the man page of section 1 (forkbulk(1), this one) or 5 "
            "(forkbulk.conf(5)) as roff, written from the table of options "
            "that --help comes from; the build installs them so."},
    {.flag = "print-completion",
     ACTION(FB_ACT_PRINT_COMPLETION),
     .names = completion_shells,
     .arg = "SHELL",
     .help = "print the completion script of SHELL (bash) and exit",
     .doc = "Prints the bash completion script of forkbulk, written from "
            "the table of options: every flag, the values of those that take "
            "one of a few, file names for paths.  Sourced from "
            "~/.local/share/bash-completion/completions/forkbulk, or where "
            "the package puts it."},
    {.flag = "verbose",
     .short_name = 'v',
     ACTION(FB_ACT_VERBOSE),
     .help = "more log output (repeat for debug)"},
    {.flag = "quiet",
     .short_name = 'q',
     ACTION(FB_ACT_QUIET),
     .help = "warnings and errors only"},
    {.flag = "help",
     .short_name = 'h',
     ACTION(FB_ACT_HELP),
     .help = "this help"},
    {.flag = "version",
     .short_name = 'V',
     ACTION(FB_ACT_VERSION),
     .help = "print the version"},
};

#define N_ROWS (sizeof(rows) / sizeof(rows[0]))

/* Without "forkbulk ": the --help usage lines and forkbulk(1)'s SYNOPSIS. */
static const char *const usages[] = {
    "--input FILE --index NAME [options]",
    "--pg CONNINFO --table T --time-column C --hour last [options]",
    "--config FILE [--hour H | --from T --to T | --catch-up]",
    NULL,
};

_Static_assert(N_ROWS <= FB_OPT_MAX, "raise FB_OPT_MAX");

const struct fb_opt *
fb_opt_rows(size_t *n)
{
    *n = N_ROWS;
    return rows;
}

const char *const *
fb_opt_usages(void)
{
    return usages;
}

const struct fb_opt *
fb_opt_find(const char *section, const char *key)
{
    for (size_t i = 0; i < N_ROWS; i++)
        if (rows[i].section != NULL && strcmp(rows[i].section, section) == 0 &&
            strcmp(rows[i].key, key) == 0)
            return &rows[i];
    return NULL;
}

bool
fb_opt_section_starts(size_t i)
{
    if (i >= N_ROWS || rows[i].section == NULL)
        return false;
    for (size_t j = 0; j < i; j++)
        if (rows[j].section != NULL &&
            strcmp(rows[j].section, rows[i].section) == 0)
            return false;
    return true;
}

bool
fb_opt_secret_value(const struct fb_opt *o, const char *value)
{
    char err[256];
    bool has = false;

    if (o->kind == FB_OPT_SECRET)
        return true;
    return o->kind == FB_OPT_CONNINFO && value != NULL &&
           fb_pg_conninfo_has_password(value, &has, err, sizeof(err)) == 0 &&
           has;
}
