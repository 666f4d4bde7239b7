#!/bin/sh
# The main job in one command: a SoftHSM token in a local directory with an RSA-2048 and an
# Ed25519 key, the real p11dkim on it, one message sent through it over the milter protocol,
# the signed message shown, and both signatures verified by dkimpy and libopendkim.
#
#   top_srcdir=. top_builddir=_build/plain sh tests/daemon/demo.sh
#
# (after a build). Not part of `make check`: tests/daemon/sign.sh covers the same and more.
. "$top_srcdir/tests/daemon/lib.sh"
dt_init demo
echo "== token \"$P11DKIM_TOKEN\" in $T/hsm with keys dkim-rsa (RSA-2048) and dkim-ed (Ed25519)"
dt_conf "$T/p11dkim.conf"
echo "== configuration $T/p11dkim.conf"
cat "$T/p11dkim.conf"
echo "== p11dkim -n"
"$DT_BIN" -n -c "$T/p11dkim.conf" 2>&1
dt_start "$T/p11dkim.conf"
dt_msg "$T/message" 'From: Alice <alice@example.com>\r\n'
dt_send "$T/signed" "$T/message" -q DEMO1
echo "== milter answer: $DT_RESULT"
echo "== signed message"
tr -d '\r' <"$T/signed"
echo "== verification"
"$PYTHON" "$top_srcdir/tests/lib/dkim-verify.py" "$T/dns.txt" "$T/signed"
dt_verify "$T/signed" 2
echo "libopendkim: both signatures verified"
dt_stop
echo "== daemon log"
cat "$T/log"
