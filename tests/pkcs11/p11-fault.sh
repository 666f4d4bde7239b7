#!/bin/sh
# The fault module's own suite (p11-fault-test) on two fresh SoftHSM tokens, A and B, in one
# SoftHSM configuration: two slots of one module.
P11DKIM_TOKEN_LABEL=A
P11DKIM_TOKEN2_LABEL=B
export P11DKIM_TOKEN_LABEL P11DKIM_TOKEN2_LABEL
exec "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/pkcs11/p11-test.sh" p11-fault-test "$@"
