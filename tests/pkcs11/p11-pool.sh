#!/bin/sh
# The pool's concurrency and fault-recovery suite (p11-pool-test) on a fresh SoftHSM token.
# Under ASan, leak checking is left to p11-test.sh (same calls, one thread): seeing past
# SoftHSM's own leaks needs the slow unwinder, far too slow for 20,000 signs.
ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
export ASAN_OPTIONS
exec "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/pkcs11/p11-test.sh" p11-pool-test "$@"
