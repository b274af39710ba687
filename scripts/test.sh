#!/usr/bin/env bash
# Set up and run every test of forkbulk on Debian 12.
#
# Installs what is missing (apt-get; nothing when all is present), checks
# formatting, then builds and runs the whole ctest suite twice: with gcc,
# and with clang under AddressSanitizer + UndefinedBehaviorSanitizer.
#
#   scripts/test.sh            everything (what CI runs)
#   scripts/test.sh --quick    gcc build and tests only
set -euo pipefail

cd "$(dirname "$0")/.."
root=$PWD
quick=0
[ "${1:-}" = "--quick" ] && quick=1

packages=(build-essential cmake pkg-config clang clang-format valgrind
          libcurl4-openssl-dev libjansson-dev libpq-dev libcmocka-dev
          libmicrohttpd-dev zlib1g-dev postgresql python3)

missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" \
        || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "test.sh: installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

jobs=$(nproc)

echo "== format check"
git ls-files '*.c' '*.h' | xargs -r clang-format --dry-run -Werror

build_and_test() {
    local dir=$1; shift
    cmake -S "$root" -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" >/dev/null
    cmake --build "$dir" -j "$jobs" -- --no-print-directory >/dev/null
    (cd "$dir" && ctest --output-on-failure -j "$jobs")
}

echo "== gcc build and tests"
build_and_test "$root/build/gcc" -DCMAKE_C_COMPILER=gcc

if [ $quick -eq 0 ]; then
    echo "== clang build with ASan+UBSan and tests"
    ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
    UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
        build_and_test "$root/build/asan" -DCMAKE_C_COMPILER=clang \
        -DFORKBULK_SANITIZE=ON
fi
