#!/bin/sh
# Readiness for systemd (Type=notify): built with libsystemd, the daemon sends READY=1 to
# $NOTIFY_SOCKET once it serves, and a message sent right after that is signed. Without
# libsystemd in the build there is nothing to test (77).
. "$top_srcdir/tests/daemon/lib.sh"
grep -q '^#define HAVE_LIBSYSTEMD 1' "$top_builddir/config.h" || exit 77
dt_init notify
dt_conf "$T/p11dkim.conf"
# A datagram socket standing in for systemd's; the listener prints what it receives.
"$PYTHON" - "$T/notify.sock" "$T/notify.out" <<'PY' &
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
s.settimeout(60)
with open(sys.argv[2] + ".tmp", "wb") as f:
    f.write(s.recv(4096))
import os
os.rename(sys.argv[2] + ".tmp", sys.argv[2])
PY
listener=$!
i=0
while [ ! -S "$T/notify.sock" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
[ -S "$T/notify.sock" ] || dt_fail "notify listener did not start"
NOTIFY_SOCKET=$T/notify.sock
export NOTIFY_SOCKET
dt_start "$T/p11dkim.conf"
unset NOTIFY_SOCKET
i=0
while [ ! -f "$T/notify.out" ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
wait "$listener" || dt_fail "no notification received"
grep -q '^READY=1' "$T/notify.out" || dt_fail "notification was not READY=1: $(cat "$T/notify.out")"
dt_msg "$T/m" 'From: alice@example.com\r\n'
dt_send "$T/out" "$T/m" -q N1
dt_expect "action=c signatures=2"
dt_verify "$T/out" 2
dt_stop
echo "notify: ok"
