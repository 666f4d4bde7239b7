#!/bin/sh
# Several tokens holding the same keys (issue 15): two SoftHSM tokens of one module ("dkim" and
# "dkim-b") hold the same keys, imported from one PEM each. p11dkim -n proves the keys are the
# same and refuses a label whose keys differ (also at start and at SIGHUP); a key on one token
# only is a warning. Under load the signatures spread over both tokens; one token failing
# (CKR_DEVICE_ERROR, absent, hung) loses nothing: no tempfail, and it rejoins the rotation once
# it works. A token that gives fewer sessions than asked, and a slow one, cause no tempfail
# either; a message that waits is kept alive towards the MTA with SMFIR_PROGRESS. Signatures
# are checked by dkimpy and libopendkim.
. "$top_srcdir/tests/daemon/lib.sh"
dt_init tokens
dt_fault_init
KT=$top_builddir/tools/p11dkim-keytool
LOAD=$top_builddir/tools/p11dkim-load
P11FAULT_STATS=$T/fault.stats
export P11FAULT_STATS

# The second token, and the same keys on both.
softhsm2-util --init-token --free --label dkim-b --pin "$P11DKIM_PIN" \
	--so-pin "$P11DKIM_SO_PIN" >"$T/init-b.out" 2>&1 || dt_fail "second token: $(cat "$T/init-b.out")"
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$T/pair-rsa.pem" 2>/dev/null &&
	openssl genpkey -algorithm ed25519 -out "$T/pair-ed.pem" 2>/dev/null &&
	openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$T/other-rsa.pem" 2>/dev/null ||
	dt_fail "openssl genpkey"
kt() {
	_tok=$1
	shift
	"$KT" --module "$P11DKIM_MODULE" --token "$_tok" --pin-file "$P11DKIM_PIN_FILE" "$@" \
		>>"$T/kt.out" 2>&1 || dt_fail "keytool on $_tok $*: $(tail -3 "$T/kt.out")"
}
for tok in dkim dkim-b; do
	kt "$tok" import --label pair-rsa --pem "$T/pair-rsa.pem"
	kt "$tok" import --label pair-ed --pem "$T/pair-ed.pem"
done
kt dkim import --label diff-rsa --pem "$T/pair-rsa.pem"
kt dkim-b import --label diff-rsa --pem "$T/other-rsa.pem"
kt dkim import --label only-a --pem "$T/other-rsa.pem"
rsa="v=DKIM1; k=rsa; p=$(openssl pkey -in "$T/pair-rsa.pem" -pubout -outform DER | base64 -w0)"
ed="v=DKIM1; k=ed25519; p=$(openssl pkey -in "$T/pair-ed.pem" -pubout -outform DER | tail -c 32 | base64 -w0)"
: >"$T/dns.txt"
for d in example.com example.org example.net; do
	echo "rsa._domainkey.$d $rsa" >>"$T/dns.txt"
	echo "ed._domainkey.$d $ed" >>"$T/dns.txt"
done

tok_group() { # LABEL SESSIONS [MODULE]
	printf '{ module = "%s"; token = "%s"; pin_file = "%s"; sessions = %s; }' \
		"${3:-$FAULT}" "$1" "$P11DKIM_PIN_FILE" "$2"
}
DT_TOKENS="$(tok_group dkim 2), $(tok_group dkim-b 2)"
DT_DOMAINS='{ domain = "example.com"; keys = ( { selector = "rsa"; key = "pair-rsa"; },
                                              { selector = "ed"; key = "pair-ed"; } ); }'
METRICS="metrics_file = \"$T/p11dkim.prom\"; metrics_interval = 1;"
dt_conf "$T/p11dkim.conf" "$METRICS"

# p11dkim -n: both tokens, the same public key on both.
"$DT_BIN" -n -c "$T/p11dkim.conf" >"$T/n.out" 2>&1 || { cat "$T/n.out"; dt_fail "-n failed on two good tokens"; }
grep -q 'token "dkim-b" (serial [0-9a-f]*): logged in' "$T/n.out" || dt_fail "-n: dkim-b not logged in"
grep -q 'key "pair-ed": Ed25519 .*the same public key on "dkim", "dkim-b"' "$T/n.out" ||
	{ cat "$T/n.out"; dt_fail "-n does not say pair-ed is the same on both"; }

# A label whose keys differ: -n, the start and a reload refuse it, naming both tokens.
DIFF='{ domain = "example.org"; keys = ( { selector = "rsa"; key = "diff-rsa"; } ); }'
DT_DOMAINS="$DT_DOMAINS, $DIFF" dt_conf "$T/diff.conf" "$METRICS"
"$DT_BIN" -n -c "$T/diff.conf" >"$T/n.diff" 2>&1 && dt_fail "-n passed a label with two different keys"
grep -q 'key "diff-rsa": token "dkim" (serial [0-9a-f]*) and token "dkim-b" (serial [0-9a-f]*) hold different public keys' \
	"$T/n.diff" || { cat "$T/n.diff"; dt_fail "-n does not name both tokens of diff-rsa"; }
"$DT_BIN" -f -c "$T/diff.conf" 2>"$T/start.diff" && dt_fail "the daemon started with two different keys"
grep -q 'hold different public keys' "$T/start.diff" || { cat "$T/start.diff"; dt_fail "start: no mismatch error"; }
# A key on one token only: a warning naming the other, and the check passes.
ONLY='{ domain = "example.net"; keys = ( { selector = "rsa"; key = "only-a"; } ); }'
DT_DOMAINS="$DT_DOMAINS, $ONLY" dt_conf "$T/only.conf" "$METRICS"
"$DT_BIN" -n -c "$T/only.conf" >"$T/n.only" 2>&1 || { cat "$T/n.only"; dt_fail "-n refused a key on one token"; }
grep -q 'warning: domain example.net selector rsa: key "only-a" is not on token "dkim-b"' "$T/n.only" ||
	{ cat "$T/n.only"; dt_fail "-n: no warning for a key on one token"; }

dt_start "$T/p11dkim.conf"
dt_log_has 'tokens "dkim", "dkim-b"'
# One module, two tokens: one C_Initialize.
dt_fault dump
sleep 0.2
grep -qx 'initializes 1' "$T/fault.stats" || { cat "$T/fault.stats"; dt_fail "two tokens of one module initialised it more than once"; }
cp "$T/diff.conf" "$T/p11dkim.conf.new"
cp "$T/p11dkim.conf" "$T/p11dkim.conf.good"
mv "$T/p11dkim.conf.new" "$T/p11dkim.conf"
kill -HUP "$DT_PID"
dt_wait_log "reload: " 50 && grep -q 'reload: .*hold different public keys.*keeping the current configuration' "$T/log" ||
	dt_fail "a reload with two different keys was not refused"
mv "$T/p11dkim.conf.good" "$T/p11dkim.conf"

dt_msg "$T/msg" 'From: alice@example.com\r\n'
load() { # NAME CONNS MESSAGES
	"$LOAD" --socket "$DT_SOCKET" --message "$T/msg" --conns "$2" --messages "$3" \
		--from alice@example.com --client-addr 127.0.0.1 --print "$T/$1.eml" >"$T/$1.out" 2>&1 ||
		{ cat "$T/$1.out"; dt_fail "$1: p11dkim-load failed"; }
	val() { sed -n "s/^$1=//p" "$T/$2.out"; }
	[ "$(val tempfails "$1")" = 0 ] && [ "$(val accepted "$1")" = 0 ] && [ "$(val errors "$1")" = 0 ] &&
		[ "$(val signatures "$1")" = $(($3 * 2)) ] ||
		{ cat "$T/$1.out"; dt_fail "$1: not every message signed twice"; }
	dt_verify "$T/$1.eml" 2
	echo "$1: $(val messages "$1") messages, p99 $(val latency_p99_ms "$1") ms"
}
metric() { # NAME TOKEN -> value
	sed -n "s/^$1{token=\"$2\",serial=\"[0-9a-f]*\"} //p" "$T/p11dkim.prom"
}

# Balance: both tokens slow (40 ms a signature, 2 sessions each): the load spreads over both.
dt_fault "latency_ms 40"
load balance 8 60
sleep 1.5
a=$(metric p11dkim_tokens_signatures_total dkim)
b=$(metric p11dkim_tokens_signatures_total dkim-b)
echo "balance: dkim $a, dkim-b $b signatures"
[ "${a:-0}" -ge 30 ] && [ "${b:-0}" -ge 30 ] || dt_fail "load not spread: dkim $a, dkim-b $b"

# in_rotation: waits (up to 6 s) until dkim-b has come back as often as it left: on a loaded
# machine (sanitizers, parallel tests) a slow C_Sign may have taken it out as "no answer".
in_rotation() {
	_i=0
	while [ "$(grep -c 'token "dkim-b" .*left the rotation' "$T/log")" -gt \
		"$(grep -c 'token "dkim-b" .*is back in the rotation' "$T/log")" ] && [ $_i -lt 60 ]; do
		sleep 0.1
		_i=$((_i + 1))
	done
	[ $_i -lt 60 ] || dt_fail "dkim-b did not come back: $(grep 'rotation' "$T/log" | tail -3)"
}

# Failover: dkim-b answers CKR_DEVICE_ERROR to every C_Sign.
dt_fault reset
in_rotation
dt_fault "token dkim-b" "fail_sign 100000 0x30"
load device_error 8 60
dt_log_has 'token "dkim-b" (serial'
grep -q 'token "dkim-b" (serial [0-9a-f]*) left the rotation: .*CKR_DEVICE_ERROR' "$T/log" ||
	dt_fail "no log line for dkim-b leaving the rotation: $(grep 'rotation' "$T/log" | tail -3)"
dt_wait_metric "$(grep -o '^p11dkim_tokens_in_rotation{token="dkim-b"[^}]*}' "$T/p11dkim.prom") 0" ||
	dt_fail "dkim-b still in rotation in the metrics"
dt_fault reset
n0=$(grep -c 'is back in the rotation' "$T/log")
# back_within NAME TENTHS: dkim-b rejoins (one more "back in the rotation" line) in time.
back_within() {
	_i=0
	while [ "$(grep -c 'is back in the rotation' "$T/log")" -le "$n0" ] && [ $_i -lt "$2" ]; do
		sleep 0.1
		_i=$((_i + 1))
	done
	[ $_i -lt "$2" ] || dt_fail "$1: dkim-b not back in the rotation in time"
	n0=$(grep -c 'is back in the rotation' "$T/log")
	echo "$1: back in the rotation $((_i * 100)) ms after"
}
back_within device_error 30

# No token holding the keys works: only then does on_token_error (tempfail) apply; both come
# back once they sign again.
dt_fault "fail_sign 100000 0x30"
dt_send "$T/none.out" "$T/msg" -q NONE -t 60000
dt_expect "action=y signatures=0 reply=451 4.7.0"
grep -q 'NONE: .*token' "$T/log" || dt_fail "no log line for the message no token could sign"
dt_fault reset
_i=0
while [ "$(grep -c 'is back in the rotation' "$T/log")" -lt "$((n0 + 2))" ] && [ $_i -lt 60 ]; do
	sleep 0.1
	_i=$((_i + 1))
done
[ $_i -lt 60 ] || dt_fail "the tokens did not both come back after failing together"
n0=$(grep -c 'is back in the rotation' "$T/log")
dt_send "$T/both.out" "$T/msg" -q BOTH
dt_expect "action=c signatures=2"

# Absent for 3 s under load, then present again: out, then back within 2 s of its return.
in_rotation
dt_fault "token dkim-b" "absent_ms 3000"
load absent 8 100
grep -q 'token "dkim-b" (serial [0-9a-f]*) left the rotation: .*CKR_TOKEN_NOT_PRESENT' "$T/log" ||
	dt_fail "an absent dkim-b did not leave the rotation"
back_within absent 60
# Hung for 4 s under load (C_Sign blocks), then answering again.
dt_fault reset
in_rotation
dt_fault "token dkim-b" "hang_ms 4000"
load hung 8 150
grep -q 'token "dkim-b" (serial [0-9a-f]*) left the rotation: no answer to C_Sign' "$T/log" ||
	dt_fail "a hung dkim-b did not leave the rotation"
back_within hung 60
dt_fault reset
dt_stop

# Fewer sessions than asked (one token, 4 sessions; the device gives 2 after a reset): messages
# wait for the two, none is tempfailed.
DT_TOKENS="$(tok_group dkim 4)"
dt_conf "$T/p11dkim.conf" "$METRICS"
dt_fault reset
dt_start "$T/p11dkim.conf"
dt_fault "latency_ms 5" "session_limit 2" "close_sessions"
load sessions 16 100
dt_fault reset
dt_stop

# A slow token (1.2 s a signature, one session, 200 ms for a session at a time): five messages
# at once all wait longer than that, and are signed; the longest waits are kept alive with
# SMFIR_PROGRESS.
DT_TOKENS='{ module = "'$FAULT'"; token = "dkim"; pin_file = "'$P11DKIM_PIN_FILE'"; sessions = 1; borrow_timeout_ms = 200; }'
dt_conf "$T/p11dkim.conf" "$METRICS"
dt_start "$T/p11dkim.conf"
dt_fault "latency_ms 1200"
pids=""
for i in 1 2 3 4 5; do
	"$DT_SEND" -s "$DT_SOCKET" -m "$T/msg" -o "$T/slow.$i" -t 60000 >"$T/slow.$i.res" 2>&1 &
	pids="$pids $!"
done
# (not a bare wait: the daemon is a child of this shell too)
for p in $pids; do
	wait "$p"
done
for i in 1 2 3 4 5; do
	grep -q '^action=c signatures=2' "$T/slow.$i.res" || { cat "$T/slow.$i.res"; dt_fail "slow token: message $i not signed"; }
done
cat "$T"/slow.*.res | grep -q '^progress=[1-9]' || dt_fail "no SMFIR_PROGRESS while messages waited up to 12 s"
dt_verify "$T/slow.5" 2
dt_fault reset
dt_stop
dt_sanitizer_check
echo "PASS: two tokens: same key proven, load spread, failover without a tempfail, fewer sessions and a slow token survived; $DT_VERIFIED signatures verified"
