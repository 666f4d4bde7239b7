#!/bin/sh
# The cases of e2e.sh with Postfix's milter_protocol = 4 and p11dkim signing relaxed/relaxed.
PF_MILTER_PROTOCOL=4
MILTER_CANON=relaxed/relaxed
export PF_MILTER_PROTOCOL MILTER_CANON
exec sh "$(dirname "$0")/e2e.sh" p11dkim
