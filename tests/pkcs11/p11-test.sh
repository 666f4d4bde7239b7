#!/bin/sh
# Runs a pkcs11/ Check program (default p11-test) against a fresh SoftHSM token made here:
# keys dkim-rsa (RSA-2048, id 01), dkim-ed (Ed25519, id 02), loose-rsa (RSA-2048, extractable,
# id 03); the fault module (tests/lib/p11fault) forwards to SoftHSM. With P11DKIM_TOKEN2_LABEL
# set, a second token of that label (same PINs, default keys) in the same configuration, its
# label exported as P11DKIM_TOKEN2.
# Usage: p11-test.sh [PROGRAM [ARGS...]]   (PROGRAM relative to the build tree's tests/pkcs11/)
set -eu
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_builddir=${top_builddir:-$(pwd)}
. "$top_srcdir/tests/lib/softhsm.sh"
softhsm_require
prog=${1:-p11-test}
[ $# -gt 0 ] && shift
dir=$(mktemp -d "${TMPDIR:-/tmp}/p11dkim-test.XXXXXX")
[ -n "${P11DKIM_KEEP:-}" ] && echo "keeping $dir" >&2 || trap 'rm -rf "$dir"' EXIT INT TERM
softhsm_setup "$dir"
softhsm_default_keys
softhsm_keygen loose-rsa rsa:2048 03 extractable
if [ -n "${P11DKIM_TOKEN2_LABEL:-}" ]; then
	softhsm_add_token "$P11DKIM_TOKEN2_LABEL"
	P11DKIM_TOKEN2=$P11DKIM_TOKEN2_LABEL
	export P11DKIM_TOKEN2
fi
P11DKIM_TEST_DIR=$dir
P11FAULT_SO=$top_builddir/tests/lib/.libs/p11fault.so
P11FAULT_MODULE=$P11DKIM_MODULE
P11FAULT_CONTROL=$dir/fault-control
P11FAULT_STATS=$dir/fault-stats
export P11DKIM_TEST_DIR P11FAULT_SO P11FAULT_MODULE P11FAULT_CONTROL P11FAULT_STATS
# SoftHSM leaks inside its calls into libcrypto, which has no frame pointers: only the slow
# unwinder sees the libsofthsm2.so frames that tests/lsan.supp matches.
case ${ASAN_OPTIONS:-} in *detect_leaks=0*) ;; *) ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}fast_unwind_on_malloc=0" ;; esac
export ASAN_OPTIONS
"$top_builddir/tests/pkcs11/$prog" "$@"
