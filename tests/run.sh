#!/bin/sh
# The project's one test command, for a fresh Debian 12 machine and for CI:
# installs what the build and the tests need (apt-get, only what is missing),
# then builds and runs `make check` twice: a plain -Werror build, and one under
# AddressSanitizer + UndefinedBehaviorSanitizer. Each build lives in _build/.
#
# Then `make distcheck` (the release tarball built and tested out of tree), a bounded
# libFuzzer run of every fuzz target (tests/fuzz/run.sh), and a ThreadSanitizer build running
# the pool test and the daemon end to end (tests/reliability/tsan.sh).
#
# Last, as root, the Debian package (contrib/debian/build.sh), installed on this machine and
# used with the system's Postfix, then purged (tests/package/package.sh).
#
# Environment: P11DKIM_SKIP_SANITIZERS=1 runs the plain build only;
# P11DKIM_SKIP_DISTCHECK=1 skips `make distcheck`; P11DKIM_SKIP_FUZZ=1 skips the fuzzing,
# P11DKIM_FUZZ_SECONDS sets its time per target (default 60; targets run two at a time);
# P11DKIM_SKIP_TSAN=1 skips the TSan step; P11DKIM_SKIP_PACKAGE=1 the package.
set -eu
cd "$(dirname "$0")/.."
top=$(pwd)

tests/lib/install-deps.sh

./autogen.sh >/dev/null 2>&1 || ./autogen.sh

jobs=$(nproc 2>/dev/null || echo 2)
status=0
summary=""

# build NAME CONFIGURE-FLAGS...: configure in _build/NAME, make, make check.
build() {
	name=$1
	shift
	dir="$top/_build/$name"
	rm -rf "$dir"
	mkdir -p "$dir"
	echo "=== $name build: configure $*"
	(cd "$dir" && "$top/configure" -q "$@" >configure.out 2>&1) || {
		cat "$dir/configure.out"
		return 1
	}
	(cd "$dir" && make -s -j"$jobs" >make.out 2>&1) || {
		cat "$dir/make.out"
		return 1
	}
	# Warnings are errors here (--enable-werror), but say so if any slipped through.
	if grep -q 'warning:' "$dir/make.out"; then
		grep 'warning:' "$dir/make.out"
		return 1
	fi
	rc=0
	(cd "$dir" && make -j"$jobs" check) || rc=$?
	# The Check summary of each unit suite.
	for log in $(find "$dir" -name '*.log' ! -name 'test-suite.log' ! -name 'config.log' | sort); do
		grep -H -E '^[0-9]+%: Checks:' "$log" 2>/dev/null | sed "s|^$dir/||" || true
	done
	if [ -f "$dir/test-suite.log" ]; then
		p=$(grep -c '^:test-result: PASS' $(find "$dir" -name '*.trs') 2>/dev/null | awk -F: '{s+=$2} END {print s+0}')
		f=$(grep -h -E '^:test-result: (FAIL|ERROR|XPASS)' $(find "$dir" -name '*.trs') 2>/dev/null | wc -l)
		s=$(grep -h '^:test-result: SKIP' $(find "$dir" -name '*.trs') 2>/dev/null | wc -l)
		summary="$summary $name: $p passed, $f failed, $s skipped;"
		total_p=$((total_p + p))
		total_f=$((total_f + f))
		total_s=$((total_s + s))
	fi
	[ "$rc" = 0 ] || {
		echo "=== $name build: make check failed"
		[ -f "$dir/test-suite.log" ] && sed -n '1,400p' "$dir/test-suite.log"
		return 1
	}
}

total_p=0
total_f=0
total_s=0
build plain --enable-werror || status=1
if [ "${P11DKIM_SKIP_SANITIZERS:-0}" != 1 ]; then
	build sanitizers --enable-werror --enable-sanitizers || status=1
fi
# The release tarball (issue 6): `make distcheck` unpacks it, builds it out of tree with a
# read-only source directory, runs every test again, installs and uninstalls.
# P11DKIM_SKIP_DISTCHECK=1 skips it.
if [ "${P11DKIM_SKIP_DISTCHECK:-0}" != 1 ]; then
	echo "=== distcheck"
	if (cd "$top/_build/plain" && make -j"$jobs" distcheck >distcheck.out 2>&1); then
		summary="$summary distcheck: passed;"
	else
		tail -n 80 "$top/_build/plain/distcheck.out"
		summary="$summary distcheck: FAILED;"
		status=1
	fi
fi
fuzz_line=""
if [ "${P11DKIM_SKIP_FUZZ:-0}" != 1 ]; then
	echo "=== fuzz: libFuzzer, ${P11DKIM_FUZZ_SECONDS:-60} s a target"
	P11DKIM_FUZZ_DIR="$top/_build/fuzz" tests/fuzz/run.sh || status=1
	fuzz_line=$(cat "$top/_build/fuzz/summary" 2>/dev/null || echo "fuzz: did not finish")
fi
# --- reliability (issue 8): ThreadSanitizer build (_build/tsan) running the pool test and the
# daemon end to end; TSan cannot share a process with ASan, hence its own build.
# P11DKIM_SKIP_TSAN=1 skips it.
if [ "${P11DKIM_SKIP_TSAN:-0}" != 1 ]; then
	rm -rf "$top/_build/tsan"
	if tests/reliability/tsan.sh; then
		summary="$summary tsan: passed;"
	else
		summary="$summary tsan: FAILED;"
		status=1
	fi
fi
# --- end reliability
# --- package (issue 18): after every other build, because it installs into this machine and
# runs the system's Postfix (the Postfix tests above use private instances). About 2 minutes.
if [ "${P11DKIM_SKIP_PACKAGE:-0}" != 1 ]; then
	echo "=== package: contrib/debian/build.sh, tests/package/package.sh"
	if [ "$(id -u)" != 0 ]; then
		echo "package: SKIP: installs a package and runs the system's Postfix: needs root"
		summary="$summary package: skipped (not root);"
	elif sh contrib/debian/build.sh; then
		rc=0
		sh tests/package/package.sh || rc=$?
		case $rc in
		0) summary="$summary package: passed;" ;;
		77) summary="$summary package: skipped;" ;;
		*)
			summary="$summary package: FAILED;"
			status=1
			;;
		esac
	else
		summary="$summary package: build FAILED;"
		status=1
	fi
fi
echo "===$summary"
echo "tests: $total_p passed, $total_f failed, $total_s skipped"
[ -z "$fuzz_line" ] || echo "$fuzz_line"
exit $status
