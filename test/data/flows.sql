-- The flows table: one network flow a row, in the shape of DESIGN.md, with
-- the index on ts that the hourly job's time splits use.  The demo and the
-- benchmark (scripts/lib.sh, fb_flows_fill) and the tests of the hourly
-- job (test/integration/test_pg_job.py) all create it from this file.
CREATE TABLE flows (
    id bigint PRIMARY KEY, ts timestamptz NOT NULL,
    src_ip inet NOT NULL, dst_ip inet NOT NULL,
    src_port int, dst_port int, proto smallint,
    bytes bigint, packets bigint, tcp_flags smallint, in_if int, out_if int);
CREATE INDEX flows_ts_idx ON flows (ts);
