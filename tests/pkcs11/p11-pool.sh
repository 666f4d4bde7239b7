#!/bin/sh
# The pool's concurrency and fault-recovery suite (p11-pool-test) on a fresh SoftHSM token.
exec "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/pkcs11/p11-test.sh" p11-pool-test "$@"
