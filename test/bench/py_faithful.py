#!/usr/bin/python3
"""The Python collector forkbulk replaces, rebuilt faithfully for the benchmark.

What it does is what took the production host down (DESIGN.md, "Why"):
the whole hour is read into a pandas DataFrame, every bulk action of the
hour is built into ONE list, the list is split into chunks, and only then a
ProcessPoolExecutor is created (fork, no max_workers by default), so every
worker is a copy of a parent that already holds the hour.  One task per
chunk posts it with helpers.bulk from a client made in the worker.

  py_faithful.py --dsn CONNINFO --es URL --index NAME \
      --start 2026-11-27T03:00:00Z --end 2026-11-27T04:00:00Z \
      [--chunk 10000] [--pool process|process4|thread4]

Do not "fix" it: its memory is the point of the comparison.
"""

import concurrent.futures
import multiprocessing
import os
import sys
import warnings

import pandas
import psycopg2
from elasticsearch import helpers

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pyflows  # noqa: E402

_client = None  # one per process (or shared by the threads)


def post_chunk(url, chunk):
    """Worker task: post one chunk, as one _bulk request; (ok, errors)."""
    global _client
    if _client is None:
        _client = pyflows.client(url)
    # raise_on_error=False so the parent counts errors instead of pickling
    # a BulkIndexError that holds up to a whole chunk of failed items.
    ok, errors = helpers.bulk(_client, chunk, chunk_size=len(chunk),
                              raise_on_error=False)
    return ok, len(errors)


def read_hour(args):
    # pandas 1.5 warns that it only tests SQLAlchemy; the collector used a
    # plain psycopg2 connection, which works.
    warnings.filterwarnings("ignore", message="pandas only supports SQLAlchemy")
    conn = psycopg2.connect(args.dsn)
    try:
        df = pandas.read_sql(pyflows.QUERY, conn,
                             params={"start": args.start, "end": args.end})
    finally:
        conn.close()
    # NULLs made the smallint columns float64; back to integers, then to
    # plain Python objects with None for NULL (pd.NA and NaN are not JSON).
    df[pyflows.INT_COLUMNS] = df[pyflows.INT_COLUMNS].astype("Int64")
    df = df.astype(object)
    return df.where(df.notna(), None)


def load(args):
    global _client
    df = read_hour(args)
    actions = [pyflows.action(args.index, row)
               for row in df.itertuples(index=False, name=None)]
    chunks = [actions[i:i + args.chunk]
              for i in range(0, len(actions), args.chunk)]
    if args.pool == "thread4":
        _client = pyflows.client(args.es)  # one client, shared: thread-safe
        pool = concurrent.futures.ThreadPoolExecutor(max_workers=4)
    else:
        pool = concurrent.futures.ProcessPoolExecutor(
            max_workers=4 if args.pool == "process4" else None,
            mp_context=multiprocessing.get_context("fork"))
    loaded = errors = 0
    with pool:
        futures = [pool.submit(post_chunk, args.es, c) for c in chunks]
        for f in concurrent.futures.as_completed(futures):
            ok, bad = f.result()
            loaded += ok
            errors += bad
    return loaded, errors


def main():
    p = pyflows.parser(__doc__.splitlines()[0], 10000,
                       "actions per chunk (one task, one _bulk request)")
    p.add_argument("--pool", choices=("process", "process4", "thread4"),
                   default="process",
                   help="process: fork pool without max_workers (default); "
                        "process4: max_workers=4; thread4: 4 threads")
    return pyflows.run(load, p.parse_args())


if __name__ == "__main__":
    sys.exit(main())
