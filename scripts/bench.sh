#!/usr/bin/env bash
# The benchmark of issue #6: forkbulk against the Python loader it
# replaces and against the physical floors, on the same data and the same
# server, one contestant after another (test/bench/README.md explains the
# contestants and the exact definition of every figure).
#
# Sets up what it needs (Debian packages, a Release build in build/bench,
# a throwaway PostgreSQL 15, es-test-server in es8 mode), and for each
# size: fills `flows` with generate_series (lib.sh, as demo.sh), writes
# the reference NDJSON with one server-side rendering COPY, computes the
# expected (count, checksum) with es-docsum, then runs every contestant
# under fb-memwatch into a freshly reset server and checks the index it
# leaves.  A wrong result marks the row WRONG and makes the exit status 1.
# Usage: usage() below (scripts/bench.sh --help prints it).
set -euo pipefail

usage() {
    cat >&2 <<'USAGE'
  scripts/bench.sh [--quick] [--sizes 1000000,7850484] [--only PAT,...]
                   [--repeat N] [--out DIR] [--cap-mb 12000] [--timeout-s 3600]

  --quick      20,000 rows, every contestant, correctness only (CI)
  --only       contestant names or shell patterns: --only 'forkbulk-*,floor-*'
  --repeat     run each contestant N times in a row; its row is the run of
               median wall time (every run is kept in rows/runs/)
  --out        results folder (default bench-results/<date-time>/)
  --cap-mb     PSS cap of the faithful Python contestants (MiB)
  --timeout-s  per-contestant time limit

Environment: BENCH_BUILD_DIR (default build/bench), BENCH_PY_DIR (where
py_faithful.py and py_careful.py are; default test/bench).
USAGE
    exit 64
}

# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"

quick=0
sizes=1000000,7850484
only=
repeat=1
out=
cap_mb=12000
timeout_s=3600
while [ $# -gt 0 ]; do
    case $1 in
    --quick) quick=1; shift ;;
    --sizes) [ $# -ge 2 ] || usage; sizes=$2; shift 2 ;;
    --only) [ $# -ge 2 ] || usage; only=$2; shift 2 ;;
    --repeat) [ $# -ge 2 ] || usage; repeat=$2; shift 2 ;;
    --out) [ $# -ge 2 ] || usage; out=$2; shift 2 ;;
    --cap-mb) [ $# -ge 2 ] || usage; cap_mb=$2; shift 2 ;;
    --timeout-s) [ $# -ge 2 ] || usage; timeout_s=$2; shift 2 ;;
    -h | --help) usage ;;
    *) echo "bench: unknown argument '$1'" >&2; usage ;;
    esac
done
if [ $quick = 1 ]; then
    sizes=20000
    [ "$timeout_s" = 3600 ] && timeout_s=300
fi
IFS=, read -r -a size_list <<<"$sizes"
for s in "${size_list[@]}"; do
    [[ $s =~ ^[1-9][0-9]{0,8}$ ]] || { echo "bench: bad size '$s'" >&2; exit 64; }
done
[[ $cap_mb =~ ^[1-9][0-9]*$ ]] || { echo "bench: bad --cap-mb" >&2; exit 64; }
[[ $repeat =~ ^[1-9][0-9]?$ ]] || { echo "bench: bad --repeat" >&2; exit 64; }
[[ $timeout_s =~ ^[1-9][0-9]*$ ]] || { echo "bench: bad --timeout-s" >&2; exit 64; }
IFS=, read -r -a only_list <<<"$only"

# --- packages and build ------------------------------------------------
# The Python contestants' libraries and the plots' gnuplot, besides
# what every script needs.
fb_install_deps python3-elasticsearch python3-pandas python3-psycopg2 gnuplot-nox

build=${BENCH_BUILD_DIR:-$fb_root/build/bench}
pydir=${BENCH_PY_DIR:-$fb_root/test/bench}
echo "bench: building (Release) in $build"
fb_build "$build" -DCMAKE_BUILD_TYPE=Release
forkbulk=$build/forkbulk
memwatch=$build/test/bench/fb-memwatch
docsum=$build/test/integration/es-docsum
server_bin=$build/test/server/es-test-server
bench_client=$build/test/server/es-bench-client
report=$fb_root/test/bench/report.py
py=/usr/bin/python3

if [ -z "$out" ]; then
    out=$fb_root/bench-results/$(date -u +%Y%m%d-%H%M%S)
fi
mkdir -p "$out/rows/runs" "$out/logs"
out=$(cd "$out" && pwd)

# --- PostgreSQL and the server (removed on exit) ------------------------
work=$(mktemp -d /tmp/forkbulk-bench.XXXXXX)
chmod 755 "$work"
cleanup() {
    fb_services_stop
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

echo "bench: starting a throwaway PostgreSQL and es-test-server (es8)"
fb_services_start "$work" "$build"
conninfo=$fb_pg_conninfo
postmaster=$fb_pg_postmaster
es_port=$fb_es_port
url=$fb_es_url
echo "bench: es-test-server at $url; results in $out"

hour_start='2026-11-27T03:00:00Z'
hour_end='2026-11-27T04:00:00Z'
where="ts >= '2026-11-27 03:00:00+00' AND ts < '2026-11-27 04:00:00+00'"
# The document format of /tmp/bench-common.md, rendered by PostgreSQL:
# column order, NULL columns omitted, inet in its output form (format's
# %s uses the type's output function, so a host address has no /32; a
# plain || would cast with text(inet), which adds it), ts in UTC with
# trimmed microseconds.
render="'{\"id\":' || id
  || ',\"ts\":\"' || rtrim(rtrim(to_char(ts AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US'), '0'), '.') || 'Z\"'
  || ',\"src_ip\":\"' || format('%s', src_ip) || '\"' || ',\"dst_ip\":\"' || format('%s', dst_ip) || '\"'
  || coalesce(',\"src_port\":' || src_port, '') || coalesce(',\"dst_port\":' || dst_port, '')
  || coalesce(',\"proto\":' || proto, '') || coalesce(',\"bytes\":' || bytes, '')
  || coalesce(',\"packets\":' || packets, '') || coalesce(',\"tcp_flags\":' || tcp_flags, '')
  || coalesce(',\"in_if\":' || in_if, '') || coalesce(',\"out_if\":' || out_if, '')
  || '}'"

failed=0
wanted() {
    local name=$1 pat
    [ ${#only_list[@]} -eq 0 ] && return 0
    for pat in "${only_list[@]}"; do
        # shellcheck disable=SC2053 # a pattern on purpose
        [[ $name == $pat ]] && return 0
    done
    return 1
}

# run_one NAME KIND [memwatch options...] -- CMD ARGS...
# KIND: es (check the index NAME-SIZE), pg (check the line count of
# $lines_file or the COPY tag).
run_one() {
    local name=$1 kind=$2 tag rep runs=()
    shift 2
    tag=$name-$size
    if [ "$repeat" = 1 ]; then
        run_once "$name" "$kind" "$out/rows/$tag.json" "$@"
        return
    fi
    for rep in $(seq 1 "$repeat"); do
        runs+=("$out/rows/runs/$tag.r$rep.json")
        run_once "$name" "$kind" "$out/rows/runs/$tag.r$rep.json" "$@"
    done
    "$py" "$report" median --out "$out/rows/$tag.json" "${runs[@]}" || failed=1
}

# One run of a contestant into a freshly reset server; its row to $3.
run_once() {
    local name=$1 kind=$2 row=$3 tag rc=0 pg0 pg1 n extra=() mwopts=()
    shift 3
    while [ "$1" != "--" ]; do mwopts+=("$1"); shift; done
    shift
    tag=$name-$size
    curl -sf -X POST "$url/_test/reset" >/dev/null
    pg0=$("$py" "$report" pgcpu "$postmaster")
    "$memwatch" --timeout-s "$timeout_s" --out "$work/$tag.mw.json" "${mwopts[@]}" -- "$@" \
        >>"$out/logs/$tag.out" 2>>"$out/logs/$tag.err" </dev/null || rc=$?
    pg1=$("$py" "$report" pgcpu "$postmaster")
    curl -sf "$url/_test/stats" >"$work/stats.json"
    case $kind in
    es) extra=(--stats "$work/stats.json" --index "$tag") ;;
    pg)
        n=$(check_lines)
        extra=(--lines "${n:-0}") ;;
    esac
    "$py" "$report" row --out "$row" --mw "$work/$tag.mw.json" \
        --name "$name" --size "$size" --rc "$rc" --expected "$work/expected.json" \
        --pg-cpu-s "$(awk -v a="$pg0" -v b="$pg1" 'BEGIN { printf "%.2f", b - a }')" \
        ${note:+--note "$note"} "${extra[@]}" || failed=1
}

# For the PostgreSQL floors: the rows psql wrote: the lines of the file
# in --quick mode, else the "COPY n" tag psql's \copy prints (stdout).
check_lines() {
    if [ -n "$lines_file" ]; then
        if [ -f "$lines_file" ]; then wc -l <"$lines_file"; else echo 0; fi
        rm -f "$lines_file"
    else
        sed -n 's/^COPY \([0-9]*\)$/\1/p' "$out/logs/$tag.out" | tail -n 1
    fi
}

for size in "${size_list[@]}"; do
    echo "bench: size $size: generating flows"
    fb_flows_fill "$size"
    echo "bench: size $size: reference NDJSON and expected checksum"
    ref=$work/ref-$size.ndjson
    t0=$(date +%s.%N)
    psql -X -q -v ON_ERROR_STOP=1 -d "$conninfo" \
        -c "COPY (SELECT $render FROM flows WHERE $where ORDER BY id) TO STDOUT" >"$ref"
    t1=$(date +%s.%N)
    read -r count checksum source_checksum < <("$docsum" --id-field id "$ref")
    id_digits=$(psql -X -qAt -d "$conninfo" -c "SELECT sum(length(id::text)) FROM flows WHERE $where")
    ref_bytes=$(stat -c %s "$ref")
    if [ "$count" != "$size" ]; then
        echo "bench: the reference holds $count documents, not $size" >&2
        exit 1
    fi
    # The bulk body every loader sends for the hour: per document the
    # action line {"index":{"_id":"<id>"}} + newline (21 bytes + the id)
    # and the source line + newline.
    body_bytes=$((ref_bytes + 21 * count + id_digits))
    "$py" "$report" expected --out "$work/expected.json" --size "$size" \
        --count "$count" --checksum "$checksum" --source-checksum "$source_checksum" \
        --ref-bytes "$ref_bytes" --body-bytes "$body_bytes" \
        --ref-copy-s "$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')"
    cp "$work/expected.json" "$out/rows/expected-$size.json"
    # Start every size from the same state: PostgreSQL's dirty buffers
    # and the just-written reference file on disk (otherwise the first
    # contestant pays for their writeback: the 7,850,484 COPY floor took
    # 21.7 s instead of 11.6), and the hour's heap pages read once.
    psql -X -q -v ON_ERROR_STOP=1 -d "$conninfo" -c "CHECKPOINT" \
        -c "SELECT count(*) FROM flows WHERE $where AND bytes >= 0" >/dev/null
    sync

    note=
    lines_file=
    # --- floors ---
    for floor in floor-pg-copy floor-pg-json; do
        wanted "$floor" || continue
        if [ $floor = floor-pg-copy ]; then
            query="SELECT * FROM flows WHERE $where"
        else
            query="SELECT row_to_json(f) FROM flows f WHERE $where"
        fi
        # \copy is COPY (...) TO STDOUT with psql writing the data to the
        # file itself (no shell redirection needed), and it prints the
        # "COPY n" tag, which plain COPY TO STDOUT under -c does not.
        lines_file=
        dest=/dev/null
        if [ $quick = 1 ]; then
            lines_file=$work/$floor.lines
            dest=$lines_file
        fi
        echo "bench: size $size: $floor"
        run_one "$floor" pg -- psql -X -d "$conninfo" -c "\\copy ($query) TO '$dest'"
    done
    lines_file=
    if wanted floor-server; then
        echo "bench: size $size: floor-server"
        # es-bench-client sends the reference file itself, with the same
        # action lines as forkbulk ({"index":{"_id":"<id>"}}), in 8 MiB
        # bodies over one connection: the exact bytes of the hour's bulk
        # body, so its index is checked like every other contestant's.
        run_one floor-server es -- "$bench_client" --port "$es_port" \
            --index "floor-server-$size" --file "$ref" --id-field id --body-mib 8
    fi
    # --- forkbulk ---
    # Load settings (refresh_interval -1, no replicas, put back after) are
    # on by default; forkbulk-pg-w4-plain is the same load without them,
    # to show what their requests cost.  -gzip: --compress (issue #15).
    for name in forkbulk-pg-w1 forkbulk-pg-w2 forkbulk-pg-w4 forkbulk-pg-w4-plain \
        forkbulk-pg-w4-gzip; do
        wanted "$name" || continue
        w=${name#forkbulk-pg-w}
        opt=()
        [[ $w == *-plain ]] && { w=${w%-plain}; opt=(--no-load-settings); }
        [[ $w == *-gzip ]] && { w=${w%-gzip}; opt=(--compress); }
        echo "bench: size $size: $name"
        job=bench-$name-$size-$$
        run_one "$name" es -- "$forkbulk" --pg "$conninfo" --table flows \
            --time-column ts --hour 2026-11-27T03 --workers "$w" --es "$url" \
            --index "$name-$size" --job "$job" --state-dir "$work" \
            --summary-json "$out/logs/$name-$size.summary.json" "${opt[@]}"
    done
    for name in forkbulk-ndjson-w1 forkbulk-ndjson-w2 forkbulk-ndjson-w4 \
        forkbulk-ndjson-w4-gzip; do
        wanted "$name" || continue
        w=${name#forkbulk-ndjson-w}
        opt=()
        [[ $w == *-gzip ]] && { w=${w%-gzip}; opt=(--compress); }
        echo "bench: size $size: $name"
        run_one "$name" es -- "$forkbulk" --input "$ref" --id-field id \
            --index "$name-$size" --workers "$w" --es "$url" \
            --state-dir "$work" \
            --summary-json "$out/logs/$name-$size.summary.json" "${opt[@]}"
    done
    # --- Python ---
    pyargs=(--dsn "$conninfo" --es "$url" --start "$hour_start" --end "$hour_end")
    for name in py-careful py-careful-parallel4 py-faithful-thread4 py-faithful-4 py-faithful; do
        wanted "$name" || continue
        case $name in
        py-careful) script=py_careful.py; opt=() ;;
        py-careful-parallel4) script=py_careful.py; opt=(--mode parallel4) ;;
        py-faithful-thread4) script=py_faithful.py; opt=(--pool thread4) ;;
        py-faithful-4) script=py_faithful.py; opt=(--pool process4) ;;
        py-faithful) script=py_faithful.py; opt=() ;;
        esac
        cap=()
        [[ $name == py-faithful* ]] && cap=(--cap-mb "$cap_mb")
        if [ ! -f "$pydir/$script" ]; then
            echo "bench: $pydir/$script is missing; $name not run" >&2
            failed=1
            continue
        fi
        echo "bench: size $size: $name"
        run_one "$name" es "${cap[@]}" -- "$py" "$pydir/$script" "${pyargs[@]}" \
            --index "$name-$size" "${opt[@]}"
    done
    rm -f "$ref"
done

"$py" "$report" final --dir "$out" --commit "$(git -C "$fb_root" rev-parse --short HEAD 2>/dev/null || echo unknown)" \
    --pg-version "$(psql -X -qAt -d "$conninfo" -c 'SHOW server_version')" || failed=1
echo "bench: results in $out"
if [ $failed != 0 ]; then
    echo "bench: FAILED: at least one contestant was wrong or did not run" >&2
    exit 1
fi
