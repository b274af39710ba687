#!/usr/bin/env bash
# The main job end to end on a fresh Debian 12 machine (as root):
# install and build; start a throwaway PostgreSQL and the project's
# ES-compatible test server; generate one hour of network flows in a
# `flows` table with generate_series; run the hourly job as cron would
# (forkbulk --config ... --hour 2026-11-27T03); print its summary, the
# index's document count and the run ledger.  Everything is removed at
# the end.
#
#   FLOWS=N scripts/demo.sh     a smaller hour (default 7850484 flows)
set -euo pipefail

source "$(dirname "$0")/setup.sh"
fb_install_deps
build="$fb_root/build/release"
fb_build "$build" -DCMAKE_BUILD_TYPE=Release

flows=${FLOWS:-7850484}
pgbin=/usr/lib/postgresql/15/bin
work=$(mktemp -d /tmp/forkbulk-demo.XXXXXX)
chmod 755 "$work"
server_pid=
pg_started=0
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
cleanup() {
    [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
    [ $pg_started = 1 ] && as_pg "$pgbin/pg_ctl" -D "$work/pg" -m fast -w stop >/dev/null 2>&1
    rm -rf "$work"
}
trap cleanup EXIT

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
mkdir "$work/pg" && chown postgres: "$work/pg" 2>/dev/null || true
echo "demo: starting a throwaway PostgreSQL on port $port"
as_pg "$pgbin/initdb" -D "$work/pg" -U forkbulk -A trust -E UTF8 --locale=C --no-sync >/dev/null
as_pg "$pgbin/pg_ctl" -D "$work/pg" -l "$work/pg/log" -w \
    -o "-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories=$work/pg -c fsync=off -c synchronous_commit=off" \
    start >/dev/null
pg_started=1
conninfo="host=127.0.0.1 port=$port user=forkbulk dbname=postgres"

echo "demo: generating $flows flows of 2026-11-27 03:00-04:00 UTC with generate_series"
psql -X -q -v ON_ERROR_STOP=1 -d "$conninfo" <<SQL
CREATE TABLE flows (
    id bigint PRIMARY KEY, ts timestamptz NOT NULL,
    src_ip inet NOT NULL, dst_ip inet NOT NULL,
    src_port int, dst_port int, proto smallint,
    bytes bigint, packets bigint, tcp_flags smallint, in_if int, out_if int);
INSERT INTO flows
SELECT g,
       '2026-11-27 03:00:00+00'::timestamptz
         + ((g - 1) * 3600000000::bigint / $flows) * interval '1 microsecond',
       ('10.' || (g % 256) || '.' || ((g / 256) % 256) || '.' || (g % 200 + 1))::inet,
       CASE WHEN g % 10 = 0 THEN ('2001:db8::' || to_hex(g % 65536))::inet
            ELSE ('192.0.' || (g % 250) || '.' || (g % 199 + 1))::inet END,
       1024 + g % 64000, (ARRAY[53, 80, 443, 22, 123])[1 + g % 5],
       (ARRAY[6, 6, 17, 1])[1 + g % 4], 40 + (g::bigint * 7919) % 1048576,
       1 + g % 1000, CASE WHEN g % 4 < 2 THEN g % 64 END, g % 48, (g + 7) % 48
FROM generate_series(1, $flows) g;
CREATE INDEX ON flows (ts);
ANALYZE flows;
SQL

"$build/test/server/es-test-server" --port 0 --ready-file "$work/es-port" \
    --quiet >/dev/null &
server_pid=$!
for _ in $(seq 100); do [ -s "$work/es-port" ] && break; sleep 0.1; done
url="http://127.0.0.1:$(cat "$work/es-port")"
echo "demo: es-test-server listening at $url"

cat > "$work/forkbulk.conf" <<CONF
[source]
pg = $conninfo
table = flows
time_column = ts
[job]
name = flows-demo
lock_file = $work/flows-demo.lock
[elasticsearch]
url = $url
index = flows-%Y.%m.%d.%H
[limits]
workers = 4
[output]
summary_json = $work/summary.json
CONF

echo "demo: forkbulk --config forkbulk.conf --hour 2026-11-27T03"
set +e
"$build/forkbulk" --config "$work/forkbulk.conf" --hour 2026-11-27T03
rc=$?
set -e
echo "demo: forkbulk exited with $rc; index flows-2026.11.27.03 holds" \
    "$(curl -s "$url/flows-2026.11.27.03/_count" | python3 -c \
        'import json,sys; print(json.load(sys.stdin)["count"])') documents"
echo "demo: run ledger:"
psql -X -d "$conninfo" -c "SELECT job, hour_start, index_name, status, read, loaded, rejected, run_end - run_start AS took FROM forkbulk_ledger"
exit $rc
