#!/usr/bin/python3
"""The careful Python loader: streams the hour, never holds it.

A psycopg2 server-side (named) cursor fetches --itersize rows at a time; a
generator turns each row into an action; helpers.streaming_bulk (default) or
helpers.parallel_bulk with 4 threads (--mode parallel4) sends requests of at
most --chunk actions and 8 MiB.  Any failed item raises (raise_on_error).

  py_careful.py --dsn CONNINFO --es URL --index NAME \
      --start 2026-11-27T03:00:00Z --end 2026-11-27T04:00:00Z \
      [--chunk 5000] [--itersize 5000] [--mode streaming|parallel4]
"""

import os
import sys

import psycopg2
from elasticsearch import helpers

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pyflows  # noqa: E402

MAX_CHUNK_BYTES = 8 * 1024 * 1024


def actions(cursor, index):
    for row in cursor:
        yield pyflows.action(index, row)


def load(args):
    es = pyflows.client(args.es)
    conn = psycopg2.connect(args.dsn)
    try:
        # Named cursor: rows stay on the server until fetched, itersize a time.
        cur = conn.cursor(name="bench_flows")
        cur.itersize = args.itersize
        cur.execute(pyflows.QUERY, {"start": args.start, "end": args.end})
        kw = {"chunk_size": args.chunk, "max_chunk_bytes": MAX_CHUNK_BYTES,
              "raise_on_error": True}
        if args.mode == "parallel4":
            results = helpers.parallel_bulk(es, actions(cur, args.index),
                                            thread_count=4, **kw)
        else:
            results = helpers.streaming_bulk(es, actions(cur, args.index), **kw)
        loaded = errors = 0
        for ok, _item in results:
            if ok:
                loaded += 1
            else:
                errors += 1
        cur.close()
    finally:
        conn.close()
    return loaded, errors


def main():
    p = pyflows.parser(__doc__.splitlines()[0], 5000,
                       "actions per _bulk request (chunk_size)")
    p.add_argument("--itersize", type=int, default=5000,
                   help="rows per fetch from the server-side cursor")
    p.add_argument("--mode", choices=("streaming", "parallel4"),
                   default="streaming")
    return pyflows.run(load, p.parse_args())


if __name__ == "__main__":
    sys.exit(main())
