#!/bin/sh
# Runs tests/sign/check_sign against a fresh SoftHSM token made here (tests/lib/softhsm.sh):
# dkim-rsa (RSA-2048), dkim-ed (Ed25519), weak-rsa (RSA-1024), and a configuration
# $P11DKIM_TEST_DIR/sign.conf that signs good.test with the first two, weak.test with the third
# and names a key missing from the token for broken.test.
set -eu
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_builddir=${top_builddir:-$(pwd)}
. "$top_srcdir/tests/lib/softhsm.sh"
softhsm_require
dir=$(mktemp -d "${TMPDIR:-/tmp}/p11dkim-sign.XXXXXX")
trap 'rm -rf "$dir"' EXIT INT TERM
softhsm_setup "$dir"
softhsm_default_keys
softhsm_keygen weak-rsa rsa:1024 03
cat >"$dir/sign.conf" <<EOT
token: { module = "$P11DKIM_MODULE"; token = "$P11DKIM_TOKEN"; pin_file = "$P11DKIM_PIN_FILE";
         sessions = 3; borrow_timeout_ms = 1234; };
sign: { canonicalization = "simple/relaxed"; expire_after = 86400; oversign = false; };
domains = (
  { domain = "good.test";
    keys = ( { selector = "rsa"; key = "dkim-rsa"; }, { selector = "ed"; key = "pkcs11:object=dkim-ed"; } ); },
  { domain = "weak.test"; keys = ( { selector = "w"; key = "weak-rsa"; } ); },
  { domain = "broken.test"; keys = ( { selector = "x"; key = "not-on-token"; } ); }
);
EOT
chmod 600 "$dir/sign.conf"
P11DKIM_TEST_DIR=$dir
export P11DKIM_TEST_DIR
case ${ASAN_OPTIONS:-} in *detect_leaks=0*) ;; *) ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}fast_unwind_on_malloc=0" ;; esac
export ASAN_OPTIONS
"$top_builddir/tests/sign/check_sign"
