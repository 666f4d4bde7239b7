#!/bin/bash
# tests/bench/profile.sh: where p11dkim's CPU time goes while it signs, by perf. A program that
# prints figures, not a test. Builds nothing: give it a build directory.
#
#   tests/bench/profile.sh [-c CONNS] [-s SECONDS] [-m MESSAGE] [-K KEYS] [-v] [-k] [BUILD_DIR]
#     -c CONNS    connections of p11dkim-load (default 1; try 8 and 64)
#     -s SECONDS  length of the recorded run, whole seconds (default 4)
#     -m MESSAGE  the message to sign (default: the 3 KB message of compare.sh)
#     -K KEYS     the domain's keys, one signature each: "rsa" (default), "ed" or "rsa ed"
#     -v          also the heaviest functions of each part
#     -k          keep the temporary directory (perf.data, the perf script output)
#
# A fresh SoftHSM token with compare.sh's RSA-2048 and Ed25519 keys, p11dkim signing
# relaxed/relaxed for 127.0.0.1 with the keys of -K, p11dkim-load driving it; `perf record -a
# --call-graph dwarf` samples the whole machine during the run, and tests/bench/profile-split.py
# splits p11dkim's samples into the token (C_SignInit + C_Sign on the stack), libmilter,
# p11dkim's own code and the rest (of this daemon's PID only: other p11dkim processes on the
# machine, a test suite's, are left out). It also prints the same run's figures from p11dkim's
# metrics file (CPU per message, inside C_Sign and beyond it).
# Needs perf (Debian: linux-perf) and root or kernel.perf_event_paranoid <= -1 for -a.
set -u

CONNS=1
SECONDS_RUN=4
MSG=""
VERBOSE=""
KEEP=0
KEYS=rsa
while getopts "c:s:m:K:vkh" opt; do
	case $opt in
	c) CONNS=$OPTARG ;;
	s) SECONDS_RUN=$OPTARG ;;
	m) MSG=$OPTARG ;;
	K) KEYS=$OPTARG ;;
	v) VERBOSE=-v ;;
	k) KEEP=1 ;;
	*)
		sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'
		exit 2
		;;
	esac
done
shift $((OPTIND - 1))

top_srcdir=$(cd "$(dirname "$0")/../.." && pwd)
PY=/usr/bin/python3
. "$top_srcdir/tests/bench/compare-lib.sh"
cmp_setup "${1:-}" perf softhsm2-util
. "$top_srcdir/tests/lib/softhsm.sh"

cmp_workdir p11prof
if [ -z "$MSG" ]; then
	cmp_messages "$T" 1
	MSG=$T/m3k.eml
fi
# shellcheck disable=SC2086
cmp_p11_conf "$T/p11.conf" "unix:$T/p11.sock" $KEYS
cmp_start_p11 p11 "$T/p11.conf"
PID=$CMP_PID

cmp_note "warm-up, $CONNS connection(s)"
"$LOAD" --socket "unix:$T/p11.sock" --conns "$CONNS" --message "$MSG" --seconds 1 >/dev/null ||
	cmp_die "p11dkim-load failed"
cmp_note "recording ${SECONDS_RUN} s, $CONNS connection(s), $(wc -c <"$MSG") bytes a message"
# perf stops a little before the load so that every sample falls inside the run.
perf record -a -e cpu-clock -F 997 --call-graph dwarf,16384 -o "$T/perf.data" \
	-- sleep "$SECONDS_RUN" >"$T/perf.out" 2>&1 &
PERF=$!
cmp_load run "$PID" "unix:$T/p11.sock" "$CONNS" "$MSG" --seconds $((SECONDS_RUN + 1))
wait "$PERF" || cmp_die "perf record failed: $(tail -3 "$T/perf.out")"
perf script -i "$T/perf.data" --pid "$PID" -F comm,tid,ip,sym,dso >"$T/perf.txt" 2>"$T/script.err" ||
	cmp_die "perf script failed: $(tail -3 "$T/script.err")"
echo
"$PY" "$top_srcdir/tests/bench/profile-split.py" $VERBOSE <"$T/perf.txt"
echo
echo "the same run: $(cmp_fig run messages_per_second) messages/s; daemon CPU per message" \
	"$(cmp_fig run daemon_cpu_ms_per_message) ms, of which in C_Sign" \
	"$(cmp_fig run token_cpu_ms_per_sign) ms and beyond it" \
	"$(cmp_fig run beyond_sign_cpu_ms_per_message) ms (metrics file)"
cmp_stop "$PID"
