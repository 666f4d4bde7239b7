#!/bin/sh
# tests/fuzz/run.sh: builds every fuzz target (tests/fuzz/fuzz_NAME.c) with
# clang, libFuzzer, AddressSanitizer and UndefinedBehaviorSanitizer, straight
# from the sources (no configure), and runs each for a bounded time on a
# scratch copy of its seed corpus and regression inputs. Fails when any
# target crashes, leaks, hangs or breaks a property, and prints the input
# that did it. The last line is "fuzz: P passed, F failed".
#
# Environment:
#   P11DKIM_FUZZ_SECONDS  time per target (default 60)
#   P11DKIM_FUZZ_JOBS     targets run at once (default 2)
#   P11DKIM_FUZZ_DIR      build and scratch directory, emptied first and kept
#                         (its file "summary" holds the last line); default: a
#                         new temp directory, removed when everything passed
#   P11DKIM_FUZZ_TARGETS  names to run (default: all), e.g. "body header"
# The source tree is only read.
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
secs=${P11DKIM_FUZZ_SECONDS:-60}
jobs=${P11DKIM_FUZZ_JOBS:-2}
CC=${FUZZ_CC:-clang}

if ! command -v "$CC" >/dev/null 2>&1; then
	echo "fuzz: $CC not found (tests/lib/install-deps.sh installs clang and libclang-rt-14-dev)"
	echo "fuzz: 0 passed, 1 failed"
	exit 1
fi

if [ -n "${P11DKIM_FUZZ_DIR:-}" ]; then
	work=$P11DKIM_FUZZ_DIR
	rm -rf "$work"
	mkdir -p "$work"
	keep=1
else
	work=$(mktemp -d "${TMPDIR:-/tmp}/p11dkim-fuzz.XXXXXX")
	keep=0
fi
mkdir -p "$work/obj" "$work/inc" "$work/bin"
# Files that include the autoconf header only need it to exist.
: >"$work/inc/config.h"

cflags="-g -O1 -fno-omit-frame-pointer -fsanitize=address,undefined"
cflags="$cflags -fno-sanitize-recover=undefined -D_GNU_SOURCE -I$top -I$work/inc"
ssl_cflags=$(pkg-config --cflags libcrypto)
ssl_libs=$(pkg-config --libs libcrypto)
cfg_cflags=$(pkg-config --cflags libconfig)
cfg_libs=$(pkg-config --libs libconfig)

# The targets: NAME, then the library sources it needs (shell globs from $top).
targets="header body addr message verify conf signtable dnsrec"
sources_of() {
	case $1 in
	header | body | addr | message | verify) echo "dkim/*.c" ;;
	conf | signtable) echo "config/*.c" ;;
	dnsrec) echo "tools/keytool/dnsrec_parse.c dkim/dkim_tags.c" ;;
	esac
}
libs_of() {
	case $1 in
	header | body | addr | message | verify) echo "$ssl_libs" ;;
	conf | signtable) echo "$cfg_libs" ;;
	dnsrec) echo "$ssl_libs" ;;
	esac
}
if [ -n "${P11DKIM_FUZZ_TARGETS:-}" ]; then
	targets=$P11DKIM_FUZZ_TARGETS
fi

# compile SRC: one object per library source, built once for all targets.
compile() {
	obj="$work/obj/$(echo "$1" | tr / _).o"
	if [ ! -f "$obj" ]; then
		$CC $cflags -fsanitize=fuzzer-no-link $ssl_cflags $cfg_cflags \
		    -c "$top/$1" -o "$obj" >>"$work/build.log" 2>&1 || return 1
	fi
	echo "$obj"
}

built=""
failed=0
passed=0
failed_names=""
for t in $targets; do
	srcs=""
	missing=0
	[ -f "$top/tests/fuzz/fuzz_$t.c" ] || missing=1
	for pat in $(sources_of "$t"); do
		for f in $(cd "$top" && ls $pat 2>/dev/null); do
			srcs="$srcs $f"
		done
	done
	[ -n "$srcs" ] || missing=1
	if [ "$missing" = 1 ]; then
		echo "fuzz $t: sources absent, not built"
		continue
	fi
	objs=""
	ok=1
	for f in $srcs; do
		o=$(compile "$f") || { ok=0; break; }
		objs="$objs $o"
	done
	if [ "$ok" = 1 ] && $CC $cflags -fsanitize=fuzzer $ssl_cflags $cfg_cflags \
	    "$top/tests/fuzz/fuzz_$t.c" $objs $(libs_of "$t") -o "$work/bin/fuzz_$t" \
	    >>"$work/build.log" 2>&1; then
		built="$built $t"
	else
		echo "fuzz $t: build failed"
		tail -n 30 "$work/build.log"
		failed=$((failed + 1))
		failed_names="$failed_names $t"
	fi
done

export LSAN_OPTIONS="suppressions=$top/tests/lsan.supp:print_suppressions=0"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"

# run NAME: the target on a scratch corpus, for $secs seconds.
run() {
	c="$work/corpus/$1"
	mkdir -p "$c" "$work/artifacts/$1"
	cp "$top/tests/fuzz/corpus/$1"/* "$c"/ 2>/dev/null || true
	if [ -d "$top/tests/fuzz/regressions/$1" ]; then
		cp "$top/tests/fuzz/regressions/$1"/* "$c"/ 2>/dev/null || true
	fi
	# -timeout: one input taking 10 s is a hang; -rss_limit_mb: growth.
	rc=0
	"$work/bin/fuzz_$1" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
	    -print_final_stats=1 -artifact_prefix="$work/artifacts/$1/" "$c" \
	    >"$work/$1.log" 2>&1 || rc=$?
	echo "$rc" >"$work/$1.rc"
}

# report NAME: one line of figures, or the failure and its reproducer.
report() {
	rc=$(cat "$work/$1.rc")
	log="$work/$1.log"
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
	last=$(grep -E '^#[0-9]+' "$log" | tail -n 1 | sed -E 's/^#[0-9]+[[:space:]]+[A-Z]+[[:space:]]+//')
	if [ "$rc" = 0 ] && [ -z "$(ls "$work/artifacts/$1")" ]; then
		echo "fuzz $1: ok, ${execs:-?} runs in ${secs} s; $last"
		passed=$((passed + 1))
		return
	fi
	failed=$((failed + 1))
	failed_names="$failed_names $1"
	echo "fuzz $1: FAILED (exit $rc); $last"
	grep -n -E 'ERROR|SUMMARY|property failed|==[0-9]+==' "$log" | head -n 20 || true
	echo "--- $log (last 60 lines)"
	tail -n 60 "$log"
	for a in "$work/artifacts/$1"/*; do
		[ -f "$a" ] || continue
		echo "--- reproducer $a ($(wc -c <"$a") bytes), base64:"
		base64 "$a" | head -n 40
		echo "--- replay: $work/bin/fuzz_$1 $a   (or tests/fuzz/replay_$1 $a in a build)"
		echo "--- keep it: cp $a tests/fuzz/regressions/$1/<what-it-broke>"
	done
}

set -- $built
while [ $# -gt 0 ]; do
	batch=""
	i=0
	while [ $# -gt 0 ] && [ "$i" -lt "$jobs" ]; do
		batch="$batch $1"
		run "$1" &
		shift
		i=$((i + 1))
	done
	wait
	for t in $batch; do
		report "$t"
	done
done

line="fuzz: $passed passed, $failed failed${failed_names:+ (}${failed_names# }${failed_names:+)}"
echo "$line"
echo "$line" >"$work/summary"
if [ "$failed" = 0 ]; then
	[ "$keep" = 1 ] || rm -rf "$work"
	exit 0
fi
echo "fuzz: logs and inputs kept in $work"
exit 1
