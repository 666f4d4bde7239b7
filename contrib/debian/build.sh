#!/bin/sh
# contrib/debian/build.sh: the Debian package of p11dkim, built from this tree.
#
#   sh contrib/debian/build.sh
#
# Installs what the build needs with apt-get (build-essential, debhelper, then the
# Build-Depends of contrib/debian/control), copies the tree to
# _build/deb/p11dkim-VERSION/ with contrib/debian/ as its debian/, and writes
# _build/deb/p11dkim_VERSION_ARCH.deb. VERSION is configure.ac's. The build log is
# _build/deb/build.log. tests/package/package.sh installs and tests the result.
# DEBFULLNAME and DEBEMAIL, when set, name the site that builds it (Maintainer and changelog).
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"

version=$(sed -n 's/^AC_INIT(\[p11dkim\], \[\([^]]*\)\].*/\1/p' configure.ac)
[ -n "$version" ] || { echo "build.sh: no version in configure.ac's AC_INIT" >&2; exit 1; }

sh tests/lib/install-deps.sh build-essential debhelper

out=$top/_build/deb
src=$out/p11dkim-$version
rm -rf "$out"
mkdir -p "$src"
# The tree as it is (uncommitted changes too), without build output and git's data.
tar -C "$top" --exclude=./_build --exclude=./.git --exclude=./debian -cf - . | tar -C "$src" -xf -
cp -R contrib/debian "$src/debian"
rm -f "$src/debian/build.sh"

maint="${DEBFULLNAME:-p11dkim developers} <${DEBEMAIL:-p11dkim@p11dkim.invalid}>"
sed -i "s|^Maintainer: .*|Maintainer: $maint|" "$src/debian/control"
# The changelog says where the package comes from; its date is the commit's, so that the same
# commit gives the same package.
if rev=$(git -C "$top" rev-parse --short HEAD 2>/dev/null); then
	date=$(git -C "$top" log -1 --format=%aD)
	[ -z "$(git -C "$top" status --porcelain 2>/dev/null)" ] || rev="$rev with local changes"
else
	rev="a tree without git"
	date=$(date -R)
fi
cat >"$src/debian/changelog" <<EOC
p11dkim ($version) unstable; urgency=medium

  * Built from the p11dkim tree at $rev.

 -- $maint  $date
EOC

sudo=""
[ "$(id -u)" = 0 ] || sudo=sudo
$sudo env DEBIAN_FRONTEND=noninteractive apt-get build-dep -y -qq "$src" >/dev/null

echo "=== building p11dkim $version (log: $out/build.log)"
(cd "$src" && dpkg-buildpackage -b -us -uc) >"$out/build.log" 2>&1 || {
	tail -n 60 "$out/build.log"
	echo "build.sh: dpkg-buildpackage failed; the whole log is $out/build.log" >&2
	exit 1
}
arch=$(dpkg --print-architecture)
deb=$out/p11dkim_${version}_$arch.deb
[ -f "$deb" ] || { echo "build.sh: $deb was not made" >&2; exit 1; }
grep -E '^(PASS|FAIL|ERROR|# [A-Z]+:)' "$out/build.log" || true
echo "=== $deb"
dpkg-deb --info "$deb" | sed -n '/Package:/,$p'
