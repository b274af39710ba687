#!/usr/bin/env bash
# Install what forkbulk needs on Debian 12 (only what is missing), then
# build it in build/release.  The other scripts share these steps through
# lib.sh.
set -euo pipefail

source "$(dirname "$0")/lib.sh"
fb_install_deps
fb_build "$fb_root/build/release" -DCMAKE_BUILD_TYPE=Release
echo "built: $fb_root/build/release/forkbulk"
