#!/bin/sh
# ThreadSanitizer runs (issue 8, item 3): builds, in _build/tsan, what they need with
# CFLAGS=-fsanitize=thread (TSan cannot share a process with ASan, so this is a third build,
# run by tests/run.sh after the other two; P11DKIM_SKIP_TSAN=1 skips it there), then runs
#   1. the pool test (tests/pkcs11/p11-pool-test: threads x signs over few sessions, every
#      fault of the fault module) on a fresh SoftHSM token;
#   2. the daemon end to end: tests/daemon/sign.sh, tests/daemon/tokens.sh (two tokens: the
#      balance, failover and the watcher threads), and tests/reliability/faultload.sh with
#      reduced counts (64 connections through the fault module: failed signs, closed
#      sessions, an absent token, a slow token).
# TSAN_OPTIONS log_path keeps every report in _build/tsan/tsan-reports/ (exitcode=0: the tests
# run to their end); any report with a frame of our code fails this script, reports made only of
# libmilter's uninstrumented internals are counted and listed.
# tests/reliability/tsan.supp: one libmilter-internal report. The resumption bound of
# faultload.sh is relaxed to 10 s here (RELIAB_RESUME_LIMIT): TSan slows every message.
# Runs under `setarch -R` when available: GCC 12's TSan cannot map its shadow with the high
# mmap randomisation of recent kernels. Usage: tests/reliability/tsan.sh (from anywhere).
# Environment: P11DKIM_TSAN_DIR (build dir, default _build/tsan), CC (default gcc).
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
dir=${P11DKIM_TSAN_DIR:-$top/_build/tsan}
[ -x "$top/configure" ] || (cd "$top" && ./autogen.sh >/dev/null)
mkdir -p "$dir"
cd "$dir"
if [ ! -f Makefile ]; then
	"$top/configure" -q --enable-werror CC="${CC:-gcc}" \
		CFLAGS="-g -O1 -fsanitize=thread -fno-omit-frame-pointer" \
		LDFLAGS="-fsanitize=thread" >configure.out 2>&1 || {
		cat configure.out
		exit 1
	}
fi
make -s -j2 tests/lib/p11fault.la tests/pkcs11/p11-pool-test daemon/p11dkim \
	tests/daemon/dm-send tools/p11dkim-load tools/p11dkim-keytool >make.out 2>&1 || {
	cat make.out
	exit 1
}
if grep -q 'warning:' make.out; then
	grep 'warning:' make.out
	exit 1
fi
reports=$dir/tsan-reports
rm -rf "$reports"
mkdir -p "$reports"
TSAN_OPTIONS="exitcode=0 second_deadlock_stack=1 log_path=$reports/tsan suppressions=$top/tests/reliability/tsan.supp ${TSAN_OPTIONS:-}"
top_srcdir=$top
top_builddir=$dir
PYTHON=/usr/bin/python3
RELIAB_MESSAGES=${RELIAB_MESSAGES:-500}
RELIAB_SLOW_MESSAGES=${RELIAB_SLOW_MESSAGES:-150}
# The resumption bound is the plain build's business; TSan makes every message ~10x slower.
RELIAB_RESUME_LIMIT=${RELIAB_RESUME_LIMIT:-10.0}
# Nor is memory: TSan's shadow and history grow with every access; bounds are checked in the
# plain and ASan builds.
RELIAB_RSS_SLACK_KB=${RELIAB_RSS_SLACK_KB:-1048576}
export TSAN_OPTIONS top_srcdir top_builddir PYTHON RELIAB_MESSAGES RELIAB_SLOW_MESSAGES \
	RELIAB_RESUME_LIMIT RELIAB_RSS_SLACK_KB
run=""
if command -v setarch >/dev/null 2>&1 && setarch "$(uname -m)" -R true 2>/dev/null; then
	run="setarch $(uname -m) -R"
fi
status=0
for t in "$top/tests/pkcs11/p11-test.sh p11-pool-test" "$top/tests/daemon/sign.sh" \
	"$top/tests/daemon/tokens.sh" "$top/tests/reliability/faultload.sh"; do
	echo "=== tsan: $t"
	st=0
	# shellcheck disable=SC2086
	$run sh $t >"$reports/out" 2>&1 || st=$?
	tail -n 12 "$reports/out"
	[ "$st" -eq 0 ] || {
		echo "=== tsan: FAIL ($st): $t"
		status=1
	}
done
# Judge the reports: one that shows a frame of our code (every p11dkim program and library is
# built instrumented, with symbols, from $top) fails; one made only of third-party frames
# (libmilter's stripped, uninstrumented internals: its worker pool and teardown at exit) is
# listed and counted, not failed.
ours=0
theirs=0
for f in "$reports"/tsan.*; do
	[ -e "$f" ] || continue
	awk -v out="$f.split" 'BEGIN {n = 0} /^WARNING: ThreadSanitizer/ {n++} n > 0 {print > (out "." n)}' "$f"
	for r in "$f".split.*; do
		[ -e "$r" ] || continue
		if grep -q "$top/\|(p11dkim+\|(p11-pool-test+\|(p11fault.so+" "$r"; then
			echo "=== tsan report in our code: $r"
			head -n 80 "$r"
			ours=$((ours + 1))
			status=1
		else
			echo "=== tsan: third-party only: $(grep -m1 '^SUMMARY' "$r")"
			theirs=$((theirs + 1))
		fi
	done
done
echo "=== tsan: $ours report(s) in our code, $theirs in third-party code only"
[ "$status" -eq 0 ] && echo "=== tsan: pool test and daemon end to end: no data race reported"
exit $status
