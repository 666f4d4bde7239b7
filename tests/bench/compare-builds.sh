#!/bin/bash
# tests/bench/compare-builds.sh: p11dkim of one build against p11dkim of another (say main
# before a change), side by side in one run on the same token and messages, to see whether a
# change costs anything where it should not. A program that prints figures, not a test.
#
#   tests/bench/compare-builds.sh [-s SECONDS] [-r ROUNDS] [-k] OLD_BUILD [NEW_BUILD]
#     OLD_BUILD   a build directory of the other tree (its daemon/p11dkim is all that is used)
#     NEW_BUILD   this tree's build (default _build/plain): its tools drive both daemons
#     -s SECONDS  length of each timed run (default 6)
#     -r ROUNDS   rounds (default 5); the table shows medians, and new/old in each round
#     -k          keep the temporary directory
#
# Both daemons run at once on compare.sh's token, keys and messages (RSA-2048, relaxed/relaxed);
# in each round p11dkim-load drives one and then the other on each case, the order alternating
# between rounds, so that the machine's load hits both alike. Cases: 3 KB at 1, 8 and 64
# connections, 1 MB of prose at 8. Needs what compare.sh needs, but not OpenDKIM.
set -u

SECONDS_RUN=6
ROUNDS=5
KEEP=0
while getopts "s:r:kh" opt; do
	case $opt in
	s) SECONDS_RUN=$OPTARG ;;
	r) ROUNDS=$OPTARG ;;
	k) KEEP=1 ;;
	*)
		sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'
		exit 2
		;;
	esac
done
shift $((OPTIND - 1))
[ $# -ge 1 ] || {
	sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'
	exit 2
}
OLD=$(cd "$1" 2>/dev/null && pwd)/daemon/p11dkim
[ -x "$OLD" ] || {
	echo "compare-builds.sh: $1/daemon/p11dkim is not built" >&2
	exit 2
}

top_srcdir=$(cd "$(dirname "$0")/../.." && pwd)
PY=/usr/bin/python3
. "$top_srcdir/tests/bench/compare-lib.sh"
cmp_setup "${2:-}" openssl softhsm2-util
. "$top_srcdir/tests/lib/softhsm.sh"

cmp_workdir p11ab
cmp_messages "$T" 1
cmp_p11_conf "$T/new.conf" "unix:$T/new.sock" rsa
cmp_p11_conf "$T/old.conf" "unix:$T/old.sock" rsa
cmp_machine
echo "old: $OLD"
echo "new: $P11DKIM"
echo "run length ${SECONDS_RUN} s; $ROUNDS round(s); temp dir $T"

cmp_start_p11 new "$T/new.conf"
NEW_PID=$CMP_PID
# cmp_start_p11 starts $P11DKIM: the old build's daemon in its place, once.
NEW_BIN=$P11DKIM
P11DKIM=$OLD
cmp_start_p11 old "$T/old.conf"
OLD_PID=$CMP_PID
P11DKIM=$NEW_BIN
cmp_sanity new "unix:$T/new.sock" 1 >/dev/null || exit 1
cmp_sanity old "unix:$T/old.sock" 1 >/dev/null || exit 1
cmp_verify || exit 1

CASES="3k-1:1:m3k 3k-8:8:m3k 3k-64:64:m3k prose-8:8:mprose"
for r in $(seq 1 "$ROUNDS"); do
	for c in $CASES; do
		IFS=: read -r k n m <<<"$c"
		cmp_note "round $r: $k"
		order="new old"
		[ $((r % 2)) -eq 0 ] && order="old new"
		for d in $order; do
			if [ "$d" = new ]; then
				cmp_load "new-$k-r$r" "$NEW_PID" "unix:$T/new.sock" "$n" "$T/$m.eml" \
					--seconds "$SECONDS_RUN"
			else
				cmp_load "old-$k-r$r" "$OLD_PID" "unix:$T/old.sock" "$n" "$T/$m.eml" \
					--seconds "$SECONDS_RUN"
			fi
		done
	done
done

# new/old of FIGURE in each round of case K, then its median.
ab_ratios() {
	local i out="" n o
	read -r -a n <<<"$(cmp_fig "new-$1" "$2_rounds")"
	read -r -a o <<<"$(cmp_fig "old-$1" "$2_rounds")"
	for i in "${!n[@]}"; do
		out="$out $(cmp_calc "${n[$i]} / ${o[$i]}")"
	done
	echo "${out# }"
}

echo
printf '%-28s %10s %10s %8s  %s\n' "case" "new" "old" "new/old" "new/old in each round"
for c in $CASES; do
	k=${c%%:*}
	cmp_median "new-$k" "$ROUNDS"
	cmp_median "old-$k" "$ROUNDS"
	for f in messages_per_second daemon_cpu_ms_per_message; do
		r=$(ab_ratios "$k" $f)
		printf '%-28s %10s %10s %8s  %s\n' "$k $([ $f = messages_per_second ] && echo msg/s ||
			echo CPU/msg ms)" "$(cmp_fig "new-$k" $f)" "$(cmp_fig "old-$k" $f)" \
			"$(cmp_median_of "$r" %.2f)" "$r"
	done
done
echo "Medians over $ROUNDS round(s); new/old: the median of the rounds' ratios."
echo "Load at the end: $(cut -d' ' -f1-3 /proc/loadavg)."
