#!/bin/sh
# p11dkim-load against real OpenDKIM daemons: the figures it prints must match
# what happened (messages, signatures, connections, refusals, errors), and the
# message it writes with --print must carry a signature dkimpy verifies.
set -eu
. "$top_srcdir/tests/tools/milter-client-opendkim.sh"
odk_setup

LOAD=$top_builddir/tools/p11dkim-load
VERIFY="$PYTHON $top_srcdir/tests/lib/dkim-verify.py $KEYTXT"
port=$(odk_inet_port)
odk_start relaxed "unix:$T/relaxed.sock" relaxed/relaxed
odk_start simple "inet:$port@127.0.0.1" simple/simple
odk_start reject "unix:$T/reject.sock" relaxed/relaxed "MaximumHeaders 50" "On-Default reject"
odk_start tempfail "unix:$T/tempfail.sock" relaxed/relaxed "MaximumHeaders 50"

printf 'From: Alice <alice@example.com>\nTo: bob@example.net\nSubject: one\n\tfolded\nDate: Mon, 23 Nov 2026 19:00:00 +0000\n\nHello.\n' >"$T/m1.eml"
printf 'From: alice@example.com\r\nSubject:  two\r\n\r\nBody two\r\n\r\n' >"$T/m2.eml"
# 200 KB body of 78-byte lines.
{
	printf 'From: alice@example.com\nSubject: big\n\n'
	$PYTHON -c 'import sys; sys.stdout.write(("x" * 76 + "\n") * 2600)'
} >"$T/big.eml"

fail=0
# run NAME LOAD-ARGS...: runs p11dkim-load, keeps its figures in $T/NAME.out.
run() {
	name=$1
	shift
	rc=0
	"$LOAD" "$@" >"$T/$name.out" 2>"$T/$name.err" || rc=$?
	echo "== $name (exit $rc): $(grep -v '^#' "$T/$name.out" | tr '\n' ' ')"
	[ ! -s "$T/$name.err" ] || sed 's/^/   stderr: /' "$T/$name.err"
	return $rc
}
# fig NAME KEY: one figure of run NAME.
fig() {
	sed -n "s/^$2=//p" "$T/$1.out"
}
# expect NAME KEY OP VALUE: compares a whole-number figure (OP: -eq, -ge, -le, -gt, -lt).
expect() {
	v=$(fig "$1" "$2")
	if [ -z "$v" ] || ! [ "$v" "$3" "$4" ]; then
		echo "FAIL: $1: $2=$v, expected $3 $4"
		fail=1
	fi
}
# verify FILE: queued for one dkimpy run at the end (Python starts slowly).
verify() {
	echo "$1 1" >>"$T/verify.list"
}

# Unix socket, two connections, two messages round-robin, all on reused connections.
run unix --socket "unix:$T/relaxed.sock" --conns 2 --messages 20 \
	--message "$T/m1.eml" --message "$T/m2.eml" --print "$T/unix.eml" --fail-on-error
expect unix messages -eq 20
expect unix signatures -eq 20
expect unix errors -eq 0
expect unix connections -eq 2
[ $(($(fig unix continued) + $(fig unix accepted))) -eq 20 ] || { echo "FAIL: unix answers"; fail=1; }
verify "$T/unix.eml"

# Inet socket (simple/simple: byte-exact headers), a new connection every 4 messages.
run inet --socket "inet:$port@127.0.0.1" --conns 3 --messages 30 --per-conn 4 \
	--message "$T/m1.eml" --message "$T/m2.eml" --print "$T/inet.eml" --quickack on \
	--fail-on-error
expect inet messages -eq 30
expect inet signatures -eq 30
expect inet connections -ge 8
expect inet connections -le 10
expect inet errors -eq 0
verify "$T/inet.eml"

# A 200 KB body in 1000-byte chunks, and in 65535-byte ones, over TCP.
run big --socket "inet:$port@127.0.0.1" --messages 4 --chunk 1000 \
	--message "$T/big.eml" --print "$T/big-out.eml" --fail-on-error
expect big signatures -eq 4
verify "$T/big-out.eml"
run big2 --socket "unix:$T/relaxed.sock" --messages 4 --message "$T/big.eml" \
	--print "$T/big2-out.eml" --fail-on-error
expect big2 signatures -eq 4
verify "$T/big2-out.eml"

# A chain of two milters (several --socket), as Postfix calls each in turn: every message goes
# through both, so two signatures each; --print applies both milters' changes.
run chain --socket "unix:$T/relaxed.sock" --socket "inet:$port@127.0.0.1" --conns 2 --messages 10 \
	--message "$T/m1.eml" --print "$T/chain.eml" --fail-on-error
expect chain messages -eq 10
expect chain signatures -eq 20
expect chain connections -eq 4
expect chain errors -eq 0
echo "$T/chain.eml 2" >>"$T/verify.list"
# The second milter absent: each message is an error, none is counted as passed.
run chain-absent --socket "unix:$T/relaxed.sock" --socket "unix:$T/absent.sock" --messages 3 \
	--message "$T/m1.eml"
expect chain-absent errors -eq 3
expect chain-absent messages -eq 0

# Timed run: whatever got through was signed.
run timed --socket "unix:$T/relaxed.sock" --conns 2 --seconds 1 --message "$T/m1.eml"
expect timed messages -gt 0
expect timed signatures -eq "$(fig timed messages)"
expect timed errors -eq 0
awk -v s="$(fig timed seconds)" 'BEGIN { exit !(s >= 0.9 && s < 5) }' ||
	{ echo "FAIL: timed: seconds=$(fig timed seconds), expected about 1"; fail=1; }

# Who gets signed follows the macros: an outside client only when authenticated.
run outside --socket "unix:$T/relaxed.sock" --messages 3 --client-addr 192.0.2.7 \
	--message "$T/m1.eml"
expect outside messages -eq 3
expect outside signatures -eq 0
run auth --socket "unix:$T/relaxed.sock" --messages 3 --client-addr 192.0.2.7 --auth alice@example.com \
	--message "$T/m1.eml" --print "$T/auth.eml"
expect auth signatures -eq 3
verify "$T/auth.eml"

# inet6, where the machine has an IPv6 loopback; an IPv6 client that is not
# internal is passed unsigned (the address reached OpenDKIM in the CONNECT step).
if port6=$($PYTHON -c 'import socket; s=socket.socket(socket.AF_INET6); s.bind(("::1", 0)); print(s.getsockname()[1])' 2>/dev/null); then
	odk_start six "inet6:$port6@[::1]" relaxed/relaxed
	run six --socket "inet6:$port6@[::1]" --messages 5 --message "$T/m1.eml" --fail-on-error
	expect six signatures -eq 5
	run six-outside --socket "inet6:$port6@::1" --messages 5 --message "$T/m1.eml" \
		--client-addr 2001:db8::7 --fail-on-error
	expect six-outside messages -eq 5
	expect six-outside signatures -eq 0
else
	echo "no IPv6 loopback: inet6 case not run"
fi

# Refusals are counted as such, not as errors.
run reject --socket "unix:$T/reject.sock" --messages 5 --message "$T/m1.eml"
expect reject rejects -eq 5
expect reject errors -eq 0
run tempfail --socket "unix:$T/tempfail.sock" --messages 5 --message "$T/m1.eml"
expect tempfail tempfails -eq 5
expect tempfail signatures -eq 0

# No milter there: errors, a clean message, and exit 1 with --fail-on-error.
if run absent --socket "unix:$T/absent.sock" --messages 3 --message "$T/m1.eml" \
	--fail-on-error; then
	echo "FAIL: absent milter: exit 0 with --fail-on-error"
	fail=1
fi
expect absent errors -eq 3
expect absent messages -eq 0
grep -q 'absent.sock' "$T/absent.err" || { echo "FAIL: absent: no reason given"; fail=1; }
run absent2 --socket "unix:$T/absent.sock" --messages 2 --message "$T/m1.eml" ||
	{ echo "FAIL: exit non-zero without --fail-on-error"; fail=1; }

# Usage errors: exit 2.
for args in "--messages 1" "--socket unix:/x --message /nonexistent" \
	"--socket unix:/x --message $T/m1.eml --chunk 70000" \
	"--socket unix:/x --message $T/m1.eml --quickack maybe"; do
	rc=0
	# shellcheck disable=SC2086
	"$LOAD" $args >/dev/null 2>&1 || rc=$?
	[ "$rc" = 2 ] || { echo "FAIL: p11dkim-load $args: exit $rc, expected 2"; fail=1; }
done

# Every --print output above carries its signatures (one, two for the chain), and dkimpy
# verifies them.
[ "$(wc -l <"$T/verify.list")" = 6 ] || { echo "FAIL: verify list"; fail=1; }
$VERIFY --list "$T/verify.list" || { echo "FAIL: dkimpy did not verify every output"; fail=1; }

exit $fail
