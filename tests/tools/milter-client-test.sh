#!/bin/sh
# The milter client library against real OpenDKIM daemons (and the scripted
# fault peer): starts four OpenDKIM instances in signing mode (unix socket
# relaxed/relaxed, inet loopback simple/simple, and two that refuse big header
# blocks with reject and tempfail), then runs the Check suite
# milter-client-check, whose output messages dkimpy verifies.
set -eu
. "$top_srcdir/tests/tools/milter-client-opendkim.sh"
odk_setup

port=$(odk_inet_port)
odk_start relaxed "unix:$T/relaxed.sock" relaxed/relaxed
odk_start simple "inet:$port@127.0.0.1" simple/simple
odk_start reject "unix:$T/reject.sock" relaxed/relaxed "MaximumHeaders 50" "On-Default reject"
odk_start tempfail "unix:$T/tempfail.sock" relaxed/relaxed "MaximumHeaders 50"

MC_UNIX=unix:$T/relaxed.sock
MC_INET=inet:$port@127.0.0.1
MC_REJECT=unix:$T/reject.sock
MC_TEMPFAIL=unix:$T/tempfail.sock
MC_VERIFY=$top_srcdir/tests/lib/dkim-verify.py
MC_TMP=$T
MC_KEYTXT=$KEYTXT
export MC_KEYTXT MC_UNIX MC_INET MC_REJECT MC_TEMPFAIL MC_VERIFY MC_TMP PYTHON

"$top_builddir/tests/tools/milter-client-check"
