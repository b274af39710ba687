"""Shared parts of the benchmark's Python loaders (py_faithful.py, py_careful.py).

Both loaders must send exactly the documents forkbulk sends for the same
PostgreSQL rows, or the benchmark would compare different work.  That
format lives here once: the column list, the row -> _source rendering (NULL
columns omitted, timestamps in UTC with trailing zeros of the microseconds
trimmed), the common command line and the one-line JSON summary.

Run with Debian's /usr/bin/python3 (python3-elasticsearch 7.17,
python3-pandas, python3-psycopg2).
"""

import argparse
import datetime
import json
import sys
import time

COLUMNS = ("id", "ts", "src_ip", "dst_ip", "src_port", "dst_port", "proto",
           "bytes", "packets", "tcp_flags", "in_if", "out_if")
# Integer columns: pandas turns a nullable one holding NULLs into float64,
# which would be sent as 3.0 instead of 3.
INT_COLUMNS = [c for c in COLUMNS if c not in ("ts", "src_ip", "dst_ip")]
TS_INDEX = COLUMNS.index("ts")
UTC = datetime.timezone.utc

# No ORDER BY: forkbulk does not sort either, and the document set is the same.
# inet comes back as PostgreSQL's own text form ("10.1.2.3", "2001:db8::1f"),
# which psycopg2 returns as str unless told otherwise.
QUERY = ("SELECT " + ", ".join(COLUMNS) + " FROM flows"
         " WHERE ts >= %(start)s AND ts < %(end)s")


def format_ts(ts):
    """2026-11-27T03:00:00.4586Z: UTC, no '.' when the microseconds are 0.

    Works on datetime and on pandas.Timestamp (a datetime subclass)."""
    ts = ts.astimezone(UTC)
    text = "%04d-%02d-%02dT%02d:%02d:%02d" % (
        ts.year, ts.month, ts.day, ts.hour, ts.minute, ts.second)
    if ts.microsecond:
        text += (".%06d" % ts.microsecond).rstrip("0")
    return text + "Z"


def source(row):
    """_source dict of one row given in COLUMNS order; None columns omitted.

    Key order is column order; the client's serializer keeps it and writes
    compact JSON (separators ",", ":"), as forkbulk does."""
    doc = {}
    for i, (name, value) in enumerate(zip(COLUMNS, row)):
        if value is None:
            continue
        doc[name] = format_ts(value) if i == TS_INDEX else value
    return doc


def action(index, row):
    """One bulk action for helpers.*: index op with the id as decimal text."""
    return {"_op_type": "index", "_index": index, "_id": str(row[0]),
            "_source": source(row)}


def _utc(text):
    ts = datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
    if ts.tzinfo is None:
        raise argparse.ArgumentTypeError("timestamp needs a zone: %s" % text)
    return ts.astimezone(UTC)


def parser(description, chunk_default, chunk_help):
    """The flags both loaders take; a loader adds its own to the result."""
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--dsn", required=True, help="libpq conninfo")
    p.add_argument("--es", required=True, help="cluster URL")
    p.add_argument("--index", required=True)
    p.add_argument("--start", required=True, type=_utc,
                   help="window start, inclusive, e.g. 2026-11-27T03:00:00Z")
    p.add_argument("--end", required=True, type=_utc,
                   help="window end, exclusive")
    p.add_argument("--chunk", type=int, default=chunk_default, help=chunk_help)
    return p


def client(url):
    """The client as the collector made it: defaults but a long timeout."""
    # Imported here so --help works without the package.
    from elasticsearch import Elasticsearch
    return Elasticsearch([url], timeout=120)


def run(load, args):
    """Time load(args) -> (loaded, errors); print the summary; exit code.

    Any exception or any bulk error is a failure: stderr and exit 1."""
    t0 = time.monotonic()
    try:
        loaded, errors = load(args)
    except Exception as e:  # report, never a traceback-only failure
        print("%s: %s: %s" % (sys.argv[0], type(e).__name__, str(e)[:2000]),
              file=sys.stderr)
        return 1
    seconds = time.monotonic() - t0
    if errors:
        print("%s: %d bulk errors (%d loaded)" % (sys.argv[0], errors, loaded),
              file=sys.stderr)
        return 1
    print(json.dumps({"loaded": loaded, "errors": 0,
                      "seconds": round(seconds, 3)}))
    return 0
