#!/usr/bin/env bash
# Set up and run every test of forkbulk on Debian 12 (as root).
#
# Installs what is missing (apt-get; nothing when all is present), checks
# formatting, then builds and runs the whole ctest suite twice: with gcc,
# and with clang under AddressSanitizer + UndefinedBehaviorSanitizer; the
# Debian package is built and tested (lintian, its files, and installed on
# this machine with dpkg -i, its cron job run, then purged: ctest label
# package, which the suites leave out); the unit and server tests also run
# under valgrind (any leak fails); the fuzzers run from a fixed seed; and
# the benchmark runs once on 20,000 flows, checking only that every
# contestant loads the hour exactly.
#
#   scripts/test.sh            everything (what CI runs)
#   scripts/test.sh --quick    gcc build and tests only (no package)
set -euo pipefail

source "$(dirname "$0")/lib.sh"
cd "$fb_root"
quick=0
[ "${1:-}" = "--quick" ] && quick=1

fb_install_deps

echo "== format check"
git ls-files '*.c' '*.h' | xargs -r clang-format --dry-run -Werror

run_suite() {
    local dir=$1; shift
    fb_build "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@"
    (cd "$dir" && ctest --output-on-failure -j "$(nproc)" -LE package)
}

echo "== gcc build and tests"
run_suite "$fb_root/build/gcc" -DCMAKE_C_COMPILER=gcc

if [ $quick -eq 0 ]; then
    # The package installs on this machine (CI's, as root), and is purged.
    echo "== Debian package: build, then test (ctest -L package)"
    bash "$fb_root/scripts/package.sh"
    (cd "$fb_root/build/gcc" && FORKBULK_PACKAGE_TEST=1 \
        ctest -L package --output-on-failure)

    echo "== valgrind: unit and server tests"
    (cd "$fb_root/build/gcc" && ctest -T memcheck -L 'unit|server' \
        --output-on-failure -j "$(nproc)")

    echo "== clang build with ASan+UBSan and tests"
    ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
    UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
        run_suite "$fb_root/build/asan" -DCMAKE_C_COMPILER=clang \
        -DFORKBULK_SANITIZE=ON
    # A fixed budget from a fixed seed: reproducible; fuzz longer by hand.
    FUZZ_RUNS=20000 bash "$fb_root/scripts/fuzz.sh"

    # The benchmark end to end on 20,000 flows: every contestant must load
    # exactly the hour; nothing about time is asserted here.
    echo "== benchmark smoke test (scripts/bench.sh --quick)"
    bash "$fb_root/scripts/bench.sh" --quick --out "$fb_root/build/bench-quick"
fi
