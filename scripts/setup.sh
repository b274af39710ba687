#!/usr/bin/env bash
# Install what forkbulk needs on Debian 12 (only what is missing), then
# build it in build/release.  Other scripts source this file for
# fb_install_deps and fb_build; run directly, it does both.
set -euo pipefail

fb_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

# libclang-rt-14-dev: clang's sanitizer and libFuzzer runtimes (only a
# Recommends of clang on Debian 12, so --no-install-recommends skips it).
fb_packages=(build-essential cmake pkg-config clang clang-format valgrind
             libclang-rt-14-dev
             libcurl4-openssl-dev libjansson-dev libpq-dev libcmocka-dev
             libmicrohttpd-dev zlib1g-dev postgresql python3 curl)

fb_install_deps() {
    local missing=() p
    for p in "${fb_packages[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null \
            | grep -q "install ok installed" || missing+=("$p")
    done
    if [ ${#missing[@]} -gt 0 ]; then
        echo "setup: installing ${missing[*]}" >&2
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq
        apt-get install -y -qq --no-install-recommends "${missing[@]}" \
            >/dev/null
    fi
}

# fb_build DIR [cmake args...]: configure and build every target in DIR.
fb_build() {
    local dir=$1; shift
    cmake -S "$fb_root" -B "$dir" "$@" >/dev/null
    cmake --build "$dir" -j "$(nproc)" -- --no-print-directory >/dev/null
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
    fb_install_deps
    fb_build "$fb_root/build/release" -DCMAKE_BUILD_TYPE=Release
    echo "built: $fb_root/build/release/forkbulk"
fi
