#!/usr/bin/env bash
# Benchmark es-test-server: how many MB/s of _bulk NDJSON it takes.
#
# Builds a Release tree in build/bench if needed, starts the server (default
# mode es8, full validation) on a free loopback port, sends 8 MiB bulk
# bodies of flow documents over one keep-alive connection with
# es-bench-client, checks that /_test/stats holds exactly the documents
# sent, prints the figure and the server's CPU time per GB of body (the
# figure to compare on a busy machine), and stops the server.
#
#   scripts/bench-es-server.sh [--seconds S | --requests N] [server flags...]
#
# Target on the 2-core reference machine: at least 150 MB/s.
set -euo pipefail

cd "$(dirname "$0")/.."
root=$PWD
build=$root/build/bench
client_args=(--seconds 10)
if [ "${1:-}" = "--seconds" ] || [ "${1:-}" = "--requests" ]; then
    client_args=("$1" "$2")
    shift 2
fi

if [ ! -x "$build/test/server/es-test-server" ] || [ ! -x "$build/test/server/es-bench-client" ]; then
    cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
fi
cmake --build "$build" --target es-test-server es-bench-client -j"$(nproc)" >/dev/null

# shellcheck source=lib.sh
source "$root/scripts/lib.sh"
work=$(mktemp -d)
cleanup() {
    fb_services_stop
    rm -rf "$work"
}
trap cleanup EXIT

fb_es_start "$work" "$build" "$@"
server_pid=$fb_es_pid
port=$fb_es_port

# The server's CPU time (user and system, in clock ticks) so far.
server_ticks() {
    awk '{ print $14, $15 }' "/proc/$server_pid/stat"
}
tck=$(getconf CLK_TCK)
read -r u0 s0 < <(server_ticks)
"$build/test/server/es-bench-client" --port "$port" --index bench "${client_args[@]}" | tee "$work/client.out"
read -r u1 s1 < <(server_ticks)
sent=$(sed -n 's/^docs=//p' "$work/client.out")
bytes=$(sed -n 's/^[0-9]* requests, [0-9]* docs, \([0-9]*\) bytes.*/\1/p' "$work/client.out")

stored=$(curl -sf "http://127.0.0.1:$port/_test/stats" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["indices"]["bench"]["docs"])')
if [ "$sent" != "$stored" ]; then
    echo "bench: sent $sent documents but the server holds $stored" >&2
    exit 1
fi
echo "bench: server holds all $stored documents"
# On a shared machine the wall figure depends on what else runs; the
# server's CPU time per GB does not (much), and bounds the rate it could
# reach with a core to itself.
awk -v u=$((u1 - u0)) -v s=$((s1 - s0)) -v t="$tck" -v b="$bytes" 'BEGIN {
    gb = b / 1e9; cpu = (u + s) / t
    printf "bench: server CPU %.2f s user + %.2f s sys per GB of body (%.0f MB/s if CPU-bound)\n",
        u / t / gb, s / t / gb, b / 1e6 / cpu
}'
grep 'MB/s,' "$work/client.out"
