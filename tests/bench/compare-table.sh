# tests/bench/compare-table.sh: compare.sh's table (sourced; bash). Reads the figures that
# compare-lib.sh's functions left in $T/res and prints one table: each figure for p11dkim and
# OpenDKIM, the ratios p11dkim/OpenDKIM and p11dkim/raw token rate (2 threads), and the
# issues' targets with PASS or FAIL (issue 7: 3 KB and the base64 1 MB; issue 17: 1 MB prose).

cmp_row() {
	printf '%-46s %10s %10s %8s %8s  %-24s %s\n' "$@"
}

# cmp_verdict EXPR: PASS when the awk expression is true.
cmp_verdict() {
	if [ "$(cmp_calc "($1) ? 1 : 0" %d)" = 1 ]; then
		echo PASS
	else
		echo FAIL
	fi
}

# CPU milliseconds per signature of a keytool bench run, its start-up cost taken out by
# subtracting the short run: (cpu - cpu_short) / (signs - signs_short).
cmp_sign_cpu() {
	cmp_calc "($(cmp_fig "$1" cpu_seconds) - $(cmp_fig tokshort cpu_seconds)) * 1000 / \
		($(cmp_fig "$1" signs) - $(cmp_fig tokshort signs))" %.3f
}

# cmp_round_ratios CASE FIGURE [NAME FIGURE2]: in each round, p11dkim's FIGURE for CASE over
# OpenDKIM's (or over NAME's FIGURE2: tok2 signs_per_sec, the raw rate), as "a b c". The runs
# of a round are made back to back, so each ratio is a fair pair on a noisy machine.
cmp_round_ratios() {
	local p o i out=""
	read -r -a p <<<"$(cmp_fig "p11-$1" "$2_rounds")"
	if [ $# -ge 4 ]; then
		read -r -a o <<<"$(cmp_fig "$3" "$4_rounds")"
	else
		read -r -a o <<<"$(cmp_fig "odk-$1" "$2_rounds")"
	fi
	for i in "${!p[@]}"; do
		out="$out $(cmp_calc "${p[$i]} / ${o[$i]}")"
	done
	echo "${out# }"
}

# The case's configuration and message, from its name (compare.sh's CASES).
cmp_size() {
	case $1 in
	3k*) echo "3 KB" ;;
	1m*) echo "1 MB base64" ;;
	prose*) echo "1 MB prose" ;;
	html*) echo "1 MB HTML" ;;
	ed-*) echo "Ed25519 $(cmp_size "${1#ed-}")" ;;
	dual-*) echo "RSA+Ed25519 $(cmp_size "${1#dual-}")" ;;
	esac
}

cmp_table() {
	local raw1 raw2 sign1 sign2 sign p o r x v k c
	raw1=$(cmp_fig tok1 signs_per_sec)
	raw2=$(cmp_calc "($(cmp_fig tok2 signs_per_sec) + $(cmp_fig tok2b signs_per_sec)) / 2" %.1f)
	sign1=$(cmp_sign_cpu tok1)
	sign2=$(cmp_sign_cpu tok2)
	# The smaller of the two: the larger share of the daemon's CPU counts as its own.
	sign=$(cmp_calc "$sign1 < $sign2 ? $sign1 : $sign2" %.3f)

	cmp_row "figure" "p11dkim" "OpenDKIM" "p11/ODK" "p11/raw" "target" "verdict"
	cmp_row "----------------------------------------------" "----------" "----------" \
		"--------" "--------" "------------------------" "-------"
	cmp_row "token raw C_Sign rate, 1 thread (sig/s)" "$raw1" "" "" "" "" ""
	cmp_row "token raw C_Sign rate, 2 threads (sig/s)" "$raw2" "" "" "" "" ""
	cmp_row "token CPU per C_Sign, 1 / 2 threads (ms)" "$sign1/$sign2" "" "" "" "" ""
	for k in 3k-1 3k-8 3k-64 1m-8 1m-64 prose-8 html-8 ed-3k-8 ed-prose-8 dual-3k-8 dual-prose-8; do
		p=$(cmp_fig "p11-$k" messages_per_second)
		o=$(cmp_fig "odk-$k" messages_per_second)
		r=$(cmp_median_of "$(cmp_round_ratios "$k" messages_per_second)" %.2f)
		x=$(cmp_median_of "$(cmp_round_ratios "$k" messages_per_second tok2 signs_per_sec)" %.2f)
		c=${k##*-}
		case $k in
		3k-64)
			v="$(cmp_verdict "$r >= 2")/$(cmp_verdict "$x >= 0.75")"
			cmp_row "3 KB, $c connections (messages/s)" "$p" "$o" "$r" "$x" \
				">=2x ODK, >=0.75x raw" "$v"
			echo "  p11/ODK in each round: $(cmp_round_ratios 3k-64 messages_per_second);" \
				"p11/raw: $(cmp_round_ratios 3k-64 messages_per_second tok2 signs_per_sec)"
			;;
		1m-8)
			cmp_row "1 MB base64, $c connections (messages/s)" "$p" "$o" "$r" "$x" ">=3x ODK" \
				"$(cmp_verdict "$r >= 3")"
			echo "  p11/ODK in each round: $(cmp_round_ratios 1m-8 messages_per_second)"
			;;
		prose-8)
			cmp_row "1 MB prose, $c connections (messages/s)" "$p" "$o" "$r" "$x" ">=4x ODK" \
				"$(cmp_verdict "$r >= 4")"
			echo "  p11/ODK in each round: $(cmp_round_ratios "$k" messages_per_second)"
			;;
		3k-* | 1m-*)
			cmp_row "$(cmp_size "$k"), $c connection(s) (messages/s)" "$p" "$o" "$r" "$x" "" ""
			;;
		*)
			# OpenDKIM's RSA+Ed25519 is two instances chained (compare.sh). The raw rate is
			# RSA's, so no p11/raw for Ed25519.
			cmp_row "$(cmp_size "$k"), $c conns (msg/s)" "$p" "$o" "$r" "" "" ""
			echo "  p11/ODK in each round: $(cmp_round_ratios "$k" messages_per_second)"
			;;
		esac
	done
	for k in 3k-8 3k-64 1m-8; do
		p=$(cmp_fig "p11-$k" latency_p99_ms)
		o=$(cmp_fig "odk-$k" latency_p99_ms)
		r=$(cmp_median_of "$(cmp_round_ratios "$k" latency_p99_ms)" %.2f)
		case $k in
		3k-*)
			cmp_row "p99 latency, 3 KB, ${k#*-} connections (ms)" "$p" "$o" "$r" "" \
				"<=0.5x ODK" "$(cmp_verdict "$r <= 0.5")"
			echo "  p11/ODK in each round: $(cmp_round_ratios "$k" latency_p99_ms)"
			;;
		*) cmp_row "p99 latency, 1 MB base64, ${k#*-} conns (ms)" "$p" "$o" "$r" "" "" "" ;;
		esac
	done
	# Percentiles count only the messages that got through: a daemon that leaves a connection
	# waiting for the whole run adds one sample for it, not the many it held back.
	for k in 3k-8 3k-64; do
		cmp_row "  max latency, 3 KB, ${k#*-} connections (ms)" \
			"$(cmp_fig "p11-$k" latency_max_ms)" "$(cmp_fig "odk-$k" latency_max_ms)" "" "" "" ""
		cmp_row "  fewest/most messages on one connection" \
			"$(cmp_fig "p11-$k" messages_per_connection_min)/$(cmp_fig "p11-$k" messages_per_connection_max)" \
			"$(cmp_fig "odk-$k" messages_per_connection_min)/$(cmp_fig "odk-$k" messages_per_connection_max)" \
			"" "" "" ""
	done
	for k in 3k-1 3k-8 3k-64 1m-8; do
		p=$(cmp_fig "p11-$k" daemon_cpu_ms_per_message)
		o=$(cmp_fig "odk-$k" daemon_cpu_ms_per_message)
		cmp_row "CPU/msg, $(cmp_size "$k"), ${k##*-} conns (ms)" "$p" "$o" \
			"$(cmp_calc "$p / $o")" "" "" ""
	done
	for k in prose-8 html-8 ed-3k-8 ed-prose-8 dual-3k-8 dual-prose-8; do
		p=$(cmp_fig "p11-$k" daemon_cpu_ms_per_message)
		o=$(cmp_fig "odk-$k" daemon_cpu_ms_per_message)
		if [ "$k" = prose-8 ]; then
			cmp_row "CPU/msg, 1 MB prose, 8 conns (ms)" "$p" "$o" "$(cmp_calc "$p / $o")" "" \
				"<=2.2 ms" "$(cmp_verdict "$p <= 2.2")"
			echo "  p11dkim's CPU per message in each round:" \
				"$(cmp_fig p11-prose-8 daemon_cpu_ms_per_message_rounds)"
		else
			cmp_row "CPU/msg, $(cmp_size "$k"), 8 conns (ms)" "$p" "$o" "$(cmp_calc "$p / $o")" \
				"" "" ""
		fi
	done
	cmp_row "  CPU inside C_Sign, 3 KB, 1/8/64 conns (ms)" \
		"$(cmp_fig p11-3k-1 token_cpu_ms_per_sign)/$(cmp_fig p11-3k-8 token_cpu_ms_per_sign)/$(cmp_fig p11-3k-64 token_cpu_ms_per_sign)" \
		"" "" "" "" ""
	cmp_row "  beyond C_Sign, 3 KB, 1/8 conns (ms)" \
		"$(cmp_fig p11-3k-1 beyond_sign_cpu_ms_per_message)/$(cmp_fig p11-3k-8 beyond_sign_cpu_ms_per_message)" \
		"" "" "" "" ""
	p=$(cmp_fig p11-3k-64 beyond_sign_cpu_ms_per_message)
	cmp_row "  beyond C_Sign, 3 KB, 64 conns (ms)" "$p" "" "" "" "<0.2 ms" \
		"$(cmp_verdict "$p < 0.2")"
	echo "  beyond C_Sign in each round: $(cmp_fig p11-3k-64 beyond_sign_cpu_ms_per_message_rounds)"
	p=$(cmp_calc "$(cmp_fig p11-3k-64 daemon_cpu_ms_per_message) - $sign" %.3f)
	o=$(cmp_calc "$(cmp_fig odk-3k-64 daemon_cpu_ms_per_message) - $sign" %.3f)
	cmp_row "  minus keytool's C_Sign CPU, 3 KB 64 (ms)" "$p" "$o" "" "" "" ""
	p=$(cmp_fig p11-inet-1 latency_p50_ms)
	o=$(cmp_fig odk-inet-1 latency_p50_ms)
	cmp_row "inet, 1 conn, quick ACKs off: p50 (ms)" "$p" "$o" "$(cmp_calc "$p / $o")" "" \
		"<5 ms" "$(cmp_verdict "$p < 5")"
	cmp_row "inet, 1 conn, quick ACKs off (messages/s)" \
		"$(cmp_fig p11-inet-1 messages_per_second)" "$(cmp_fig odk-inet-1 messages_per_second)" \
		"" "" "" ""
	cmp_row "unix, 1 conn: p50 (ms)" "$(cmp_fig p11-3k-1 latency_p50_ms)" \
		"$(cmp_fig odk-3k-1 latency_p50_ms)" "" "" "" ""
	for v in vmrss vmhwm; do
		p=$(cmp_calc "$(cmp_fig mem-p11-3k $v) / 1024" %.1f)
		o=$(cmp_calc "$(cmp_fig mem-odk-3k $v) / 1024" %.1f)
		cmp_row "$v after 64 conns x 3 KB (MB)" "$p" "$o" "$(cmp_calc "$p / $o")" "" "" ""
		p=$(cmp_calc "$(cmp_fig mem-p11-big $v) / 1024" %.1f)
		o=$(cmp_calc "$(cmp_fig mem-odk-big $v) / 1024" %.1f)
		cmp_row "$v after 64 conns x $BIG_MB MB (MB)" "$p" "$o" "$(cmp_calc "$p / $o")" "" "" ""
	done
	p=$(cmp_calc "($(cmp_fig mem-p11-big vmhwm) - $(cmp_fig mem-p11-3k vmhwm)) / 1024" %.1f)
	o=$(cmp_calc "($(cmp_fig mem-odk-big vmhwm) - $(cmp_fig mem-odk-3k vmhwm)) / 1024" %.1f)
	cmp_row "  peak growth, $BIG_MB MB vs 3 KB (MB)" "$p" "$o" "" "" "<=5 MB" \
		"$(cmp_verdict "$p <= 5")"
	cmp_row "$BIG_MB MB, 64 connections (messages/s)" \
		"$(cmp_fig p11-big-64 messages_per_second)" "$(cmp_fig odk-big-64 messages_per_second)" \
		"" "" "" ""
	cmp_row "load generator CPU per message, 3 KB 64 (ms)" \
		"$(cmp_fig p11-3k-64 cpu_ms_per_message)" "$(cmp_fig odk-3k-64 cpu_ms_per_message)" \
		"" "" "" ""
	echo
	echo "Each figure is the median of its $ROUNDS round(s). The ratios of messages/s and p99 are" \
		"the median of the rounds' ratios, each between runs made back to back in one round;" \
		"p11/raw divides by the token's raw rate with 2 threads measured in the same round" \
		"(rounds: $(cmp_fig tok2 signs_per_sec_rounds); a last run: $(cmp_fig tok2b signs_per_sec))."
	echo "CPU inside C_Sign, beyond C_Sign: from p11dkim's metrics file before and after each run" \
		"(p11dkim_token_sign_cpu_seconds_total: the signing threads' CPU time in C_SignInit +" \
		"C_Sign; p11dkim_process_cpu_seconds_total), per signature and per signed message."
	echo "Token CPU per C_Sign (keytool): keytool bench's process CPU minus that of a 0.5 s run," \
		"over the extra signatures; the smaller figure ($sign ms) is subtracted from each daemon's" \
		"CPU in the keytool row (for OpenDKIM, an estimate of its cost beyond the RSA operation)."
	echo "CPU/msg: the daemon's CPU time (/proc/PID/stat, all threads) over the run's messages."
	echo "RSA+Ed25519: p11dkim is one daemon adding both signatures; OpenDKIM is two instances" \
		"(one per key) chained, each message sent to one and then the other, their CPU added."
	echo "Load at the end: $(cut -d' ' -f1-3 /proc/loadavg)."
}
