#!/usr/bin/env bash
# Build the Debian package: build/deb/forkbulk_<version>_<arch>.deb.
#
# Exports the source tree (the files git tracks, as they are in the work
# tree) to build/deb/forkbulk-<version>/, adds scripts/debian/ there as
# debian/ (the top level of the repository keeps no debian/), and runs
# dpkg-buildpackage -b in it with debhelper.  The version is the one of
# CMakeLists.txt's project(), and debian/changelog must name it.  The
# tests do not run in the package build (DEB_BUILD_OPTIONS=nocheck): they
# run in scripts/test.sh, which then tests the package itself (ctest -L
# package).  Installs what is missing first (Debian 12, as root).
set -euo pipefail

source "$(dirname "$0")/lib.sh"
fb_install_deps

version=$(sed -n 's/^project(forkbulk VERSION \([0-9][0-9.]*\).*/\1/p' \
    "$fb_root/CMakeLists.txt")
[ -n "$version" ] || { echo "package: no version in CMakeLists.txt" >&2; exit 1; }
logged=$(dpkg-parsechangelog -l "$fb_root/scripts/debian/changelog" -S Version)
if [ "$logged" != "$version" ]; then
    echo "package: scripts/debian/changelog is at $logged, CMakeLists.txt at" \
         "$version: add a changelog entry (dch -v $version)" >&2
    exit 1
fi

out=$fb_root/build/deb
src=$out/forkbulk-$version
rm -rf "$out"
mkdir -p "$src"
# Tracked files only: no build trees, no editor droppings; a tracked file
# deleted in the work tree is left out.
git -C "$fb_root" ls-files -z --cached \
    | (cd "$fb_root" && while IFS= read -r -d '' f; do
           [ -e "$f" ] && printf '%s\0' "$f"
       done) \
    | tar -C "$fb_root" --null -T - -cf - | tar -C "$src" -xf -
cp -a "$fb_root/scripts/debian" "$src/debian"

echo "== dpkg-buildpackage (forkbulk $version)"
(cd "$src" && DEB_BUILD_OPTIONS="nocheck ${DEB_BUILD_OPTIONS:-}" \
    dpkg-buildpackage -us -uc -b >"$out/build.log" 2>&1) || {
    tail -n 40 "$out/build.log" >&2
    echo "package: dpkg-buildpackage failed; the whole log: $out/build.log" >&2
    exit 1
}
deb=$out/forkbulk_${version}_$(dpkg --print-architecture).deb
[ -f "$deb" ] || { echo "package: $deb was not built" >&2; exit 1; }
echo "built: $deb"
