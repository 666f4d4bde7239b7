#!/bin/sh
# Key administration (p11-admin-test: generate, import, public key, destroy) on a fresh SoftHSM
# token.
exec "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/pkcs11/p11-test.sh" p11-admin-test "$@"
