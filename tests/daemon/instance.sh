#!/bin/sh
# One daemon per pid file and per socket, and the start-up warnings about who can reach it
# (issue 16: L12, M1, L4). A second daemon on the same pid file or the same unix socket is
# refused and the first keeps serving with its pid file; an inet socket beyond loopback and a
# root start without `user` are warned about; the default socket is a unix socket.
. "$top_srcdir/tests/daemon/lib.sh"
dt_init instance
dt_msg "$T/m" 'From: alice@example.com\r\n'
mkdir -p "$T/run"
PIDF="pid_file = \"$T/run/p11dkim.pid\";"

dt_conf "$T/p11dkim.conf" "$PIDF"
dt_start "$T/p11dkim.conf"
first=$(cat "$T/run/p11dkim.pid")
[ "$first" = "$DT_PID" ] || dt_fail "pid file says '$first', daemon is $DT_PID"

# Same pid file: refused, naming the running daemon's pid; nothing of the first is touched.
st=0
"$DT_BIN" -f -c "$T/p11dkim.conf" >"$T/second.err" 2>&1 || st=$?
[ "$st" = 1 ] || { cat "$T/second.err"; dt_fail "second daemon on the same pid file exited $st"; }
grep -qF "locked by a running p11dkim (pid $first)" "$T/second.err" ||
	{ cat "$T/second.err"; dt_fail "refusal does not name pid $first"; }
[ "$(cat "$T/run/p11dkim.pid" 2>/dev/null)" = "$first" ] || dt_fail "the first daemon's pid file changed or vanished"

# Same unix socket, no pid file: refused before libmilter would remove the live socket.
dt_conf "$T/nopid.conf"
st=0
"$DT_BIN" -f -c "$T/nopid.conf" >"$T/third.err" 2>&1 || st=$?
[ "$st" = 1 ] || { cat "$T/third.err"; dt_fail "second daemon on the same socket exited $st"; }
grep -qF "another process accepts connections on it" "$T/third.err" || { cat "$T/third.err"; dt_fail "no socket refusal"; }
dt_send "$T/out.1" "$T/m" -q I1
dt_expect "action=c signatures=2"
dt_verify "$T/out.1" 2
dt_stop
[ -e "$T/run/p11dkim.pid" ] && dt_fail "pid file left behind"

# A stale pid file (a crash) is taken over.
echo 999999 >"$T/run/p11dkim.pid"
dt_start "$T/p11dkim.conf"
[ "$(cat "$T/run/p11dkim.pid")" = "$DT_PID" ] || dt_fail "stale pid file not replaced"
dt_stop

# An inet socket on every address: warned about at start and by -n; loopback: not.
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
DT_SOCKET="inet:$port" dt_conf "$T/any.conf"
dt_start "$T/any.conf"
dt_log_has "socket inet:$port listens on every address: the milter protocol has no authentication"
dt_stop
"$DT_BIN" -n -c "$T/any.conf" >"$T/n.out" 2>&1 || { cat "$T/n.out"; dt_fail "-n"; }
grep -qF "warning: socket inet:$port listens on every address" "$T/n.out" || { cat "$T/n.out"; dt_fail "-n does not warn"; }
DT_SOCKET="inet:$port@127.0.0.1" dt_conf "$T/lo.conf"
dt_start "$T/lo.conf"
grep -q "has no authentication" "$T/log" && dt_fail "warned about a loopback socket"
# Root without `user`: warned (the tests start the daemon without `user`).
if [ "$(id -u)" = 0 ]; then
	dt_log_has "running as root: no \"user\" is set"
fi
dt_stop

echo "PASS: one daemon per pid file and socket, exposure and root warnings; $DT_VERIFIED signatures verified"
