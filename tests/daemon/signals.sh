#!/bin/sh
# SIGHUP reloads atomically: a good new file signs a new domain afterwards, a broken file (or
# one naming a missing key) keeps the old configuration and logs file:line; twenty SIGHUPs in a
# row never stop the daemon. SIGTERM lets messages in flight (kept there by 1.5 s of token
# latency per signature) finish signed, then exits 0 and removes the pid file.
. "$top_srcdir/tests/daemon/lib.sh"
dt_init signals
dt_fault_init
DT_MODULE=$FAULT
PIDF="pid_file = \"$T/p11dkim.pid\";"
DT_START_ARGS=-v

DT_DOMAINS='{ domain = "example.com"; keys = ( { selector = "rsa"; key = "dkim-rsa"; } ); }'
dt_conf "$T/p11dkim.conf" "$PIDF"
dt_start "$T/p11dkim.conf"
[ "$(cat "$T/p11dkim.pid")" = "$DT_PID" ] || dt_fail "pid file does not hold the daemon's pid"
# Only the main thread may take SIGHUP, SIGINT or SIGTERM: every other thread, libmilter's
# signal thread included, has all three blocked (SigBlk bits 0, 1 and 14). A thread in sigwait
# shows them unblocked, and the kernel could hand it a reload, which libmilter reads as "stop".
n=0
for st in /proc/"$DT_PID"/task/*/status; do
	tid=$(basename "$(dirname "$st")")
	[ "$tid" = "$DT_PID" ] && continue
	blk=$(sed -n 's/^SigBlk:[[:space:]]*//p' "$st")
	[ $((0x$blk & 0x4003)) -eq $((0x4003)) ] ||
		dt_fail "thread $tid ($(cat /proc/"$DT_PID"/task/"$tid"/comm)) takes SIGHUP/SIGINT/SIGTERM: SigBlk $blk"
	n=$((n + 1))
done
[ "$n" -ge 2 ] || dt_fail "only $n threads besides the main one: the milter is not running"
dt_msg "$T/org" 'From: carol@example.org\r\n'
dt_send "$T/out.1" "$T/org" -q S1
dt_expect "action=a signatures=0"
dt_log_has "S1: not signed: no signing domain for example.org"

# A good new file: example.org is signed afterwards.
GOOD='{ domain = "example.com"; keys = ( { selector = "rsa"; key = "dkim-rsa"; } ); },
	{ domain = "example.org"; keys = ( { selector = "ed"; key = "dkim-ed"; },
	                                   { selector = "rsa"; key = "dkim-rsa"; } ); }'
DT_DOMAINS=$GOOD dt_conf "$T/p11dkim.conf" "$PIDF"
kill -HUP "$DT_PID"
dt_wait_log "reloaded $T/p11dkim.conf: 2 domains" 100 || dt_fail "good file not reloaded"
dt_send "$T/out.2" "$T/org" -q S2
dt_expect "action=c signatures=2"
dt_verify "$T/out.2" 2
tr -d '\r\n\t' <"$T/out.2" | grep -q 'd=example.org; *s=ed;' || dt_fail "example.org not signed with s=ed"

# Settings only a restart changes are named, not silently ignored (issue 16, L5); the rest of
# the file is reloaded.
sed -e 's/sessions = 4;/sessions = 3; allow_extractable = true;/' "$T/p11dkim.conf" >"$T/restart.conf"
cp "$T/restart.conf" "$T/p11dkim.conf"
kill -HUP "$DT_PID"
dt_wait_log "reload: token.sessions, token.allow_extractable changed: kept as at start until a restart" 100 ||
	dt_fail "reload does not name the settings that need a restart"
DT_DOMAINS=$GOOD dt_conf "$T/p11dkim.conf" "$PIDF"
kill -HUP "$DT_PID"
dt_wait_log "reloaded $T/p11dkim.conf: 2 domains" 100 || dt_fail "not reloaded"

# A broken file: the old configuration stays, the error names file and line.
DT_DOMAINS=$GOOD dt_conf "$T/p11dkim.conf" "$PIDF
bogus_setting = 1;"
line=$(grep -n bogus_setting "$T/p11dkim.conf" | cut -d: -f1)
kill -HUP "$DT_PID"
dt_wait_log "reload: $T/p11dkim.conf:$line" 100 || dt_fail "no reload error naming $T/p11dkim.conf:$line"
dt_log_has "keeping the current configuration"
dt_send "$T/out.3" "$T/org" -q S3
dt_expect "action=c signatures=2"
dt_verify "$T/out.3" 2

# A file naming a key the token lacks: kept too, the error names the key and the token.
DT_DOMAINS='{ domain = "example.net"; keys = ( { selector = "x"; key = "lost-key"; } ); }' \
	dt_conf "$T/p11dkim.conf" "$PIDF"
kill -HUP "$DT_PID"
dt_wait_log "key \"lost-key\" on token \"$P11DKIM_TOKEN\"" 100 || dt_fail "missing key not reported"
dt_send "$T/out.4" "$T/org" -q S4
dt_expect "action=c signatures=2"

# Twenty SIGHUPs in a row (libmilter's own signal thread would stop the milter on any of them).
DT_DOMAINS=$GOOD dt_conf "$T/p11dkim.conf" "$PIDF"
before=$(grep -c "reloaded " "$T/log")
i=0
while [ $i -lt 20 ]; do
	kill -HUP "$DT_PID"
	i=$((i + 1))
done
sleep 1
kill -0 "$DT_PID" || dt_fail "daemon died from SIGHUPs"
after=$(grep -c "reloaded " "$T/log")
[ "$after" -gt "$before" ] || dt_fail "no reload after 20 SIGHUPs"
grep -q "stopping" "$T/log" && dt_fail "SIGHUP stopped the daemon"
dt_send "$T/out.5" "$T/org" -q S5
dt_expect "action=c signatures=2"
dt_verify "$T/out.5" 2

# SIGTERM with three messages in flight: each waits 1.5 s per signature on the token.
dt_fault 'latency_ms 1500'
for n in 1 2 3; do
	"$DT_SEND" -s "$DT_SOCKET" -m "$T/org" -q "INFLIGHT$n" -o "$T/out.fl$n" -t 30000 \
		>"$T/fl$n.res" 2>&1 &
	eval "p$n=\$!"
done
# Each client may start late on a loaded machine: up to 10 s each, not 1 s once another started.
for n in 1 2 3; do
	dt_wait_log "INFLIGHT$n: candidate" 100 || dt_fail "in-flight message $n did not start"
done
sleep 0.3
kill -TERM "$DT_PID"
for n in 1 2 3; do
	eval "wait \$p$n" || { cat "$T/fl$n.res"; dt_fail "in-flight message $n failed"; }
	grep -q "action=c signatures=2" "$T/fl$n.res" || { cat "$T/fl$n.res"; dt_fail "in-flight message $n not signed"; }
	dt_verify "$T/out.fl$n" 2
done
st=0
wait "$DT_PID" || st=$?
DT_PID=""
[ "$st" -eq 0 ] || dt_fail "daemon exited $st after SIGTERM"
grep -q "stopping: [1-9][0-9]* messages in flight" "$T/log" || dt_fail "no in-flight count at stop"
dt_log_has "stopped"
dt_sanitizer_check
[ -e "$T/p11dkim.pid" ] && dt_fail "pid file left behind"
# SIGHUP during start-up (the pid file is there, the token not yet open): taken by our handler
# once the start is done, a reload, never libmilter's "stop" (issue 16, L8).
dt_fault reset
rm -f "$T/p11dkim.pid"
: >"$T/log"
# (dt_start's sanitizer options: the full unwinder, for tests/lsan.supp's module frames.)
ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1}:fast_unwind_on_malloc=0" \
	"$DT_BIN" -f -c "$T/p11dkim.conf" 2>>"$T/log" &
DT_PID=$!
i=0
while ! [ -s "$T/p11dkim.pid" ] && [ $i -lt 500 ]; do
	sleep 0.01
	i=$((i + 1))
done
kill -HUP "$DT_PID"
dt_wait_log " started: " 300 || dt_fail "daemon did not start after an early SIGHUP"
dt_wait_log "reloaded $T/p11dkim.conf" 100 || dt_fail "early SIGHUP did not reload"
grep -q "stopped unexpectedly\|stopping" "$T/log" && dt_fail "an early SIGHUP stopped the daemon"
dt_send "$T/out.6" "$T/org" -q S6
dt_expect "action=c signatures=2"
dt_stop
echo "PASS: reloads, 20 SIGHUPs, SIGTERM with 3 messages in flight, SIGHUP during start; $DT_VERIFIED signatures verified"
