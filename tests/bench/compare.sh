#!/bin/bash
# tests/bench/compare.sh: p11dkim on a SoftHSM token against Debian's OpenDKIM, side by side in
# one run on the same messages, and the token's raw signing rate. A program that prints figures,
# not a test (speed is never asserted by make check). Builds nothing: give it a build directory.
#
#   tests/bench/compare.sh [-s SECONDS] [-r ROUNDS] [-q] [-k] [BUILD_DIR]  (default _build/plain)
#     -s SECONDS  length of each timed run (default 6)
#     -r ROUNDS   rounds of the 3 KB and 1 MB runs (default 3); the table shows each figure's
#                 median over the rounds
#     -q          quick: 2-second runs, 1 round, a 10 MB instead of a 50 MB message
#     -k          keep the temporary directory (configurations, logs, each run's figures)
#
# What it does: an RSA-2048 and an Ed25519 key made by openssl, as key files for OpenDKIM and
# imported into a fresh SoftHSM token for p11dkim (p11dkim-keytool import), so both sign with
# the same keys; both daemons sign relaxed/relaxed with the same header list (p11dkim's default
# list, oversigned: OpenDKIM's SignHeaders and OversignHeaders set to it), for internal client
# 127.0.0.1. The configurations: RSA alone, Ed25519 alone, and RSA + Ed25519 side by side
# (p11dkim: one daemon, two signatures; OpenDKIM signs with one key per instance, so two
# instances chained: p11dkim-load sends each message to one and then the other, as Postfix
# calls each of its milters in turn, and their CPU is added). The messages: 3 KB of prose, and
# 1 MB of three kinds (a base64 attachment, prose, HTML). Every configuration signs each
# message once first, and dkimpy verifies every signature. p11dkim-load drives each daemon in
# turn, case by case, so that a change in the machine's load hits both alike; the order
# alternates between rounds (p11dkim first in odd rounds), and each round measures the token's
# raw rate again. The machine is shared, so one run of a case can be 30% off the next: the
# table takes the median of each figure over the rounds, and each ratio is the median of the
# rounds' ratios. Daemon CPU comes from /proc/PID/stat (utime + stime) before and after each
# run; memory from /proc/PID/status (VmRSS, VmHWM). Needs: softhsm2, opendkim, python3 with
# dkimpy, and the build's daemon/p11dkim, tools/p11dkim-load, p11dkim-keytool.
set -u

SECONDS_RUN=6
ROUNDS=3
QUICK=0
KEEP=0
while getopts "s:r:qkh" opt; do
	case $opt in
	s) SECONDS_RUN=$OPTARG ;;
	r) ROUNDS=$OPTARG ;;
	q) QUICK=1 ;;
	k) KEEP=1 ;;
	*)
		sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'
		exit 2
		;;
	esac
done
shift $((OPTIND - 1))
[ "$QUICK" -eq 1 ] && SECONDS_RUN=2 && ROUNDS=1
case $ROUNDS in
'' | *[!0-9]* | 0) echo "compare.sh: -r wants a number of rounds, 1 or more" >&2 && exit 2 ;;
esac
BIG_MB=50
[ "$QUICK" -eq 1 ] && BIG_MB=10

top_srcdir=$(cd "$(dirname "$0")/../.." && pwd)
PY=/usr/bin/python3
. "$top_srcdir/tests/bench/compare-lib.sh"
cmp_setup "${1:-}" opendkim openssl softhsm2-util
. "$top_srcdir/tests/bench/compare-table.sh"
. "$top_srcdir/tests/lib/softhsm.sh"

# ---------------------------------------------------------------- keys, messages, daemons
cmp_workdir p11cmp
cmp_messages "$T" "$BIG_MB"

cmp_p11_conf "$T/p11.conf" "unix:$T/p11.sock" rsa
cmp_p11_conf "$T/p11-ed.conf" "unix:$T/p11-ed.sock" ed
cmp_p11_conf "$T/p11-dual.conf" "unix:$T/p11-dual.sock" rsa ed
PORT_P=$(cmp_free_port)
cmp_p11_conf "$T/p11-inet.conf" "inet:$PORT_P@127.0.0.1"

cmp_machine >"$T/machine.txt"
cat "$T/machine.txt"
echo "run length ${SECONDS_RUN} s; $ROUNDS round(s); big message ${BIG_MB} MB; temp dir $T"
echo

# ---------------------------------------------------------------- the token alone
cmp_note "token: keytool bench, 1 and 2 threads"
cmp_token_bench tok1 1 "$SECONDS_RUN"
cmp_token_bench tok2 2 "$SECONDS_RUN"
cmp_token_bench tokshort 1 0.5

# ---------------------------------------------------------------- both daemons, unix socket
# The daemons by configuration: PIDs and sockets (two of each for OpenDKIM's chain).
declare -A PIDS SOCKS
cmp_start_p11 p11 "$T/p11.conf"
P11_PID=$CMP_PID
cmp_start_p11 p11-ed "$T/p11-ed.conf"
PIDS[p11-ed]=$CMP_PID
cmp_start_p11 p11-dual "$T/p11-dual.conf"
PIDS[p11-dual]=$CMP_PID
PIDS[p11]=$P11_PID
SOCKS[p11]=unix:$T/p11.sock
SOCKS[p11-ed]=unix:$T/p11-ed.sock
SOCKS[p11-dual]=unix:$T/p11-dual.sock
# OpenDKIM signs the header fields p11dkim signs, oversigned as p11dkim does.
H_P11=$(cmp_sanity p11 "${SOCKS[p11]}" 1) || exit 1
CMP_HLIST=$(echo "$H_P11" | tr ':' '\n' | awk '!seen[tolower($0)]++' | paste -sd, -)
cmp_odk_conf "$T/odk.conf" "unix:$T/odk.sock" rsa
cmp_odk_conf "$T/odk-ed.conf" "unix:$T/odk-ed.sock" ed
PORT_O=$(cmp_free_port)
cmp_odk_conf "$T/odk-inet.conf" "inet:$PORT_O@127.0.0.1" rsa
cmp_start_odk odk "$T/odk.conf" "unix:$T/odk.sock"
ODK_PID=$CMP_PID
cmp_start_odk odk-ed "$T/odk-ed.conf" "unix:$T/odk-ed.sock"
PIDS[odk]=$ODK_PID
PIDS[odk-ed]=$CMP_PID
PIDS[odk-dual]="$ODK_PID $CMP_PID"
SOCKS[odk]=unix:$T/odk.sock
SOCKS[odk-ed]=unix:$T/odk-ed.sock
SOCKS[odk-dual]="unix:$T/odk.sock unix:$T/odk-ed.sock"
H_ODK=$(cmp_sanity odk "${SOCKS[odk]}" 1) || exit 1
for d in p11-ed p11-dual odk-ed odk-dual; do
	n=1
	[ "${d#*-}" = dual ] && n=2
	cmp_sanity "$d" "${SOCKS[$d]}" $n >/dev/null || exit 1
done
cmp_verify || exit 1
echo "p11dkim  h=$H_P11"
echo "OpenDKIM h=$H_ODK"
# The same names as often (the order differs: OpenDKIM lists the oversigned ones last).
[ "$(echo "$H_P11" | tr A-Z: a-z'\n' | sort)" = "$(echo "$H_ODK" | tr A-Z: a-z'\n' | sort)" ] ||
	echo "WARNING: the h= lists differ" | tee -a "$T/warnings"

# cmp_pair ROUND CASE CONNS MESSAGE [CONFIG]: both daemons on one case (CONFIG: "" for RSA,
# ed, dual), the order set by the round.
cmp_pair() {
	local first=p11 second=odk d cf=${5:+-$5} CMP_SIGS=1
	[ $(($1 % 2)) -eq 0 ] && first=odk second=p11
	[ "$cf" = -dual ] && CMP_SIGS=2
	for d in $first $second; do
		cmp_load "$d-$2-r$1" "${PIDS[$d$cf]}" "${SOCKS[$d$cf]}" "$3" "$4" --seconds "$SECONDS_RUN"
	done
}

# The cases: name, connections, message, configuration (see the table in compare-table.sh).
CASES="3k-1:1:m3k: 3k-8:8:m3k: 3k-64:64:m3k: 1m-8:8:m1m: 1m-64:64:m1m: prose-8:8:mprose:
	html-8:8:mhtml: ed-3k-8:8:m3k:ed ed-prose-8:8:mprose:ed dual-3k-8:8:m3k:dual
	dual-prose-8:8:mprose:dual"
for r in $(seq 1 "$ROUNDS"); do
	cmp_note "round $r of $ROUNDS: token, 2 threads"
	cmp_token_bench "tok2-r$r" 2 "$SECONDS_RUN"
	for c in $CASES; do
		IFS=: read -r k n m cf <<<"$c"
		cmp_note "round $r: $k ($m.eml, $n connection(s)${cf:+, $cf})"
		cmp_pair "$r" "$k" "$n" "$T/$m.eml" "$cf"
		# Memory after the 3 KB RSA runs of round 1, before any larger message.
		if [ "$r" -eq 1 ] && [ "$k" = 3k-64 ]; then
			cmp_mem p11 "$P11_PID" 3k
			cmp_mem odk "$ODK_PID" 3k
		fi
	done
done
cmp_note "token again, 2 threads (drift check)"
cmp_token_bench tok2b 2 "$SECONDS_RUN"
cmp_median tok2 "$ROUNDS"
for c in $CASES; do
	cmp_median "p11-${c%%:*}" "$ROUNDS"
	cmp_median "odk-${c%%:*}" "$ROUNDS"
done
for d in p11-ed p11-dual odk-ed; do
	cmp_stop "${PIDS[$d]}"
done
cmp_note "${BIG_MB} MB message, 64 connections, 64 messages"
cmp_load p11-big-64 "$P11_PID" "unix:$T/p11.sock" 64 "$T/mbig.eml" --messages 64 --timeout 600000
cmp_mem p11 "$P11_PID" big
cmp_load odk-big-64 "$ODK_PID" "unix:$T/odk.sock" 64 "$T/mbig.eml" --messages 64 --timeout 600000
cmp_mem odk "$ODK_PID" big
cmp_stop "$P11_PID"
cmp_stop "$ODK_PID"

# ---------------------------------------------------------------- one connection over TCP
cmp_note "inet, 1 connection, quick ACKs off (as Postfix)"
cmp_start_p11 p11-inet "$T/p11-inet.conf"
P11I_PID=$CMP_PID
cmp_load p11-inet-1 "$P11I_PID" "inet:$PORT_P@127.0.0.1" 1 "$T/m3k.eml" --seconds "$SECONDS_RUN" \
	--quickack off
cmp_stop "$P11I_PID"
cmp_start_odk odk-inet "$T/odk-inet.conf" "inet:$PORT_O@127.0.0.1"
ODKI_PID=$CMP_PID
cmp_load odk-inet-1 "$ODKI_PID" "inet:$PORT_O@127.0.0.1" 1 "$T/m3k.eml" --seconds "$SECONDS_RUN" \
	--quickack off
cmp_stop "$ODKI_PID"

echo
cmp_table | tee "$T/table.txt"
echo "Targets failed: $(grep -o 'FAIL' "$T/table.txt" | wc -l)."
[ -s "$T/warnings" ] && echo "Warnings:" && cat "$T/warnings"
exit 0
