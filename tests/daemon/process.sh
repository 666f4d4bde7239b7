#!/bin/sh
# The daemon as a daemon: without -f it detaches (the starting command returns 0 once it
# serves), writes its pid file, signs, and on SIGTERM exits and removes the pid file; a start-up
# error reaches the starting command's exit status. The privilege drop: privileges.sh.
. "$top_srcdir/tests/daemon/lib.sh"
dt_init process
dt_msg "$T/m" 'From: alice@example.com\r\n'
PIDF="pid_file = \"$T/run/p11dkim.pid\";"
mkdir -p "$T/run"

# Detached.
dt_conf "$T/p11dkim.conf" "$PIDF"
"$DT_BIN" -c "$T/p11dkim.conf" 2>"$T/start.err" || { cat "$T/start.err"; dt_fail "start without -f"; }
pid=$(cat "$T/run/p11dkim.pid") || dt_fail "no pid file"
kill -0 "$pid" || dt_fail "daemon $pid not running"
DT_PID=$pid # stopped by the EXIT trap if a check below fails
[ "$(ps -o sid= -p "$pid" | tr -d ' ')" != "$(ps -o sid= -p $$ | tr -d ' ')" ] ||
	dt_fail "daemon still in the caller's session"
dt_send "$T/out.d" "$T/m" -q P1
dt_expect "action=c signatures=2"
dt_verify "$T/out.d" 2
kill -TERM "$pid"
i=0
while kill -0 "$pid" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
kill -0 "$pid" 2>/dev/null && dt_fail "daemon did not stop"
DT_PID=""
[ -e "$T/run/p11dkim.pid" ] && dt_fail "pid file left behind"

# A start-up error reaches the starting command's exit status.
DT_DOMAINS='{ domain = "example.com"; keys = ( { selector = "x"; key = "no-such-key"; } ); }' \
	dt_conf "$T/bad.conf" "$PIDF"
st=0
"$DT_BIN" -c "$T/bad.conf" 2>/dev/null || st=$?
[ "$st" -eq 1 ] || dt_fail "start with a missing key exited $st, expected 1"

echo "PASS: detached start, pid file, start-up error in the exit status; $DT_VERIFIED signatures verified"
