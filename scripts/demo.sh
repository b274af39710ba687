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

source "$(dirname "$0")/lib.sh"
fb_install_deps
build="$fb_root/build/release"
fb_build "$build" -DCMAKE_BUILD_TYPE=Release

flows=${FLOWS:-7850484}
work=$(mktemp -d /tmp/forkbulk-demo.XXXXXX)
chmod 755 "$work"
cleanup() {
    fb_services_stop
    rm -rf "$work"
}
trap cleanup EXIT

echo "demo: starting a throwaway PostgreSQL and es-test-server"
fb_services_start "$work" "$build"
conninfo=$fb_pg_conninfo
url=$fb_es_url
echo "demo: PostgreSQL at $conninfo; es-test-server at $url"
echo "demo: generating $flows flows of 2026-11-27 03:00-04:00 UTC with generate_series"
fb_flows_fill "$flows"

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
