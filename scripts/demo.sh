#!/usr/bin/env bash
# The main job end to end on a fresh Debian 12 machine (as root):
# install and build, generate an hour of network flows, start the
# project's ES-compatible test server, load the hour with 4 workers and
# print the summary.
#
#   FLOWS=N scripts/demo.sh     a smaller hour (default 7850484 flows)
set -euo pipefail

source "$(dirname "$0")/setup.sh"
fb_install_deps
build="$fb_root/build/release"
fb_build "$build" -DCMAKE_BUILD_TYPE=Release

flows=${FLOWS:-7850484}
work=$(mktemp -d /tmp/forkbulk-demo.XXXXXX)
server_pid=
cleanup() {
    [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT

echo "demo: generating $flows flows of 2026-11-27 03:00-04:00 UTC"
"$build/test/fb-gen-flows" --count "$flows" --hour 2026-11-27T03 \
    --output "$work/flows.ndjson"

"$build/test/server/es-test-server" --port 0 --ready-file "$work/port" \
    --quiet >/dev/null &
server_pid=$!
for _ in $(seq 100); do [ -s "$work/port" ] && break; sleep 0.1; done
url="http://127.0.0.1:$(cat "$work/port")"
echo "demo: es-test-server listening at $url"

set +e
"$build/forkbulk" --input "$work/flows.ndjson" --index flows-2026.11.27.03 \
    --es "$url" --workers 4 --summary-json "$work/summary.json"
rc=$?
set -e
echo "demo: forkbulk exited with $rc; the index now holds" \
    "$(curl -s "$url/flows-2026.11.27.03/_count" | python3 -c \
        'import json,sys; print(json.load(sys.stdin)["count"])') documents"
exit $rc
