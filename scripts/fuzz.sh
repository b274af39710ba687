#!/usr/bin/env bash
# Builds the libFuzzer targets (test/fuzz, clang, ASan+UBSan) in build/fuzz
# and runs each for SECONDS (default 20).  Exits non-zero if any target
# finds a crash, a leak, a sanitizer report or a broken invariant; the
# input that did it is kept in build/fuzz/artifacts/.
#
#   scripts/fuzz.sh                 every target, 20 s each
#   scripts/fuzz.sh 600             every target, 10 minutes each
#   scripts/fuzz.sh 600 csv reader  only those targets
#   FUZZ_RUNS=20000 scripts/fuzz.sh  a fixed number of inputs from a fixed
#                                    seed (what CI runs: the same inputs
#                                    every time, so CI cannot fail on a
#                                    finding nobody has seen yet)
#
# New interesting inputs accumulate in build/fuzz/corpus/<target>/, so
# later runs start where earlier ones stopped; the seeds in
# test/fuzz/corpus/<target>/ are only read.
set -euo pipefail

source "$(dirname "$0")/lib.sh"
cd "$fb_root"

seconds=${1:-20}
case $seconds in
    '' | *[!0-9]* | 0)
        echo "usage: $0 [SECONDS] [TARGET...]" >&2
        exit 64
        ;;
esac
shift $(($# > 0 ? 1 : 0))
targets=("$@")
# Every target by default: one per test/fuzz/fuzz_<target>.c, the same
# files test/fuzz/CMakeLists.txt builds a target from.
if [ ${#targets[@]} -eq 0 ]; then
    for f in "$fb_root"/test/fuzz/fuzz_*.c; do
        t=${f##*/fuzz_}
        targets+=("${t%.c}")
    done
fi

fb_install_deps

dir=$fb_root/build/fuzz
cmake -S "$fb_root" -B "$dir" -DCMAKE_C_COMPILER=clang -DFORKBULK_FUZZ=ON \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo -DFORKBULK_INTEGRATION_TESTS=OFF \
    >/dev/null
cmake --build "$dir" -j "$(nproc)" --target "${targets[@]/#/fuzz_}" \
    -- --no-print-directory >/dev/null

mkdir -p "$dir/artifacts"
failed=()
for t in "${targets[@]}"; do
    bin=$dir/test/fuzz/fuzz_$t
    seeds=$fb_root/test/fuzz/corpus/$t
    work=$dir/corpus/$t
    log=$dir/artifacts/$t.log
    mkdir -p "$work"
    if [ -n "${FUZZ_RUNS:-}" ]; then
        budget=(-runs="$FUZZ_RUNS" -seed=1)
        echo "== fuzz_$t for $FUZZ_RUNS inputs (seed 1)"
    else
        budget=(-max_total_time="$seconds")
        echo "== fuzz_$t for ${seconds}s"
    fi
    # -timeout: one input taking 10 s is a hang, and a finding too.
    if ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
        "$bin" "${budget[@]}" -timeout=10 -rss_limit_mb=2048 \
        -artifact_prefix="$dir/artifacts/$t-" "$work" "$seeds" \
        >"$log" 2>&1; then
        grep -E '^Done [0-9]+ runs' "$log" || true
    else
        echo "fuzz_$t FAILED (log: $log)" >&2
        grep -E 'fuzz_[a-z]+: |ERROR:|SUMMARY:|Test unit written' "$log" \
            | head -n 20 >&2 || true
        failed+=("$t")
    fi
done

if [ ${#failed[@]} -gt 0 ]; then
    echo "fuzz: failures in: ${failed[*]}" >&2
    exit 1
fi
echo "fuzz: no findings"
