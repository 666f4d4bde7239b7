#!/bin/sh
# The cases of e2e.sh with Postfix's milter_protocol = 2 and p11dkim signing simple/simple.
PF_MILTER_PROTOCOL=2
MILTER_CANON=simple/simple
export PF_MILTER_PROTOCOL MILTER_CANON
exec sh "$(dirname "$0")/e2e.sh" p11dkim
