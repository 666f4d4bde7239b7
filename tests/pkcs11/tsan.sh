#!/bin/sh
# Builds the pool test (and the fault module) under ThreadSanitizer in _build/tsan and runs it
# on a fresh SoftHSM token: 16 threads x 1050 signs over 4 sessions, and every fault of the fault
# module. TSan cannot share a process with ASan, so this is its own build, not part of
# `make check`; tests/run.sh or CI can call it after the other builds:
#     tests/pkcs11/tsan.sh            (from the top of the source tree; exit 0 = no race)
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
make -s -j2 tests/lib/p11fault.la tests/pkcs11/p11-pool-test >make.out 2>&1 || {
	cat make.out
	exit 1
}
# halt_on_error: the first race fails the test (exit 66) instead of a report at the end.
TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 ${TSAN_OPTIONS:-}"
export TSAN_OPTIONS
top_srcdir=$top top_builddir=$dir "$top/tests/pkcs11/p11-test.sh" p11-pool-test
