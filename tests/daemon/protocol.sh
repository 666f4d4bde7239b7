#!/bin/sh
# Every milter protocol version the MTAs speak (issue 19): Postfix at milter_protocol 2, 3, 4
# and 6 and the flag sets of Sendmail 8.13 and 8.14-8.18, each offered by dm-send as that MTA
# offers it. Each signs relaxed/relaxed and simple/simple, judged by dkimpy and libopendkim.
# Below version 6 there is no SMFIP_HDR_LEADSPC: the MTA removes one space after each colon
# and the daemon puts it back, which simple canonicalization depends on: a field written with
# two spaces still verifies, one written with none (documented) does not. An MTA that does
# not let a milter add header fields is refused with one log line naming what it offered,
# and counted.
. "$top_srcdir/tests/daemon/lib.sh"
dt_init protocol
M=$T/msg
mkdir -p "$M"
DT_EXTRA="metrics_file = \"$T/p11dkim.prom\"; metrics_interval = 1;"

# One space after each colon (opendkim's test mode re-reads the fields and would drop more).
dt_msg "$M/plain" 'From: Alice <alice@example.com>\r\nReferences: <a@example.com>  \r\n\t<b@example.com>\r\n'
# Two spaces after a colon, a tab after another: dkimpy judges these under simple.
dt_msg "$M/spaces" 'From: Alice <alice@example.com>\r\nReply-To:  <two@example.com>\r\nKeywords: x\r\nIn-Reply-To: \t<tab@example.com>\r\n'
# No space after the colon: cannot be rebuilt without SMFIP_HDR_LEADSPC.
dt_msg "$M/nospace" 'From: Alice <alice@example.com>\r\nReply-To:<none@example.com>\r\n'

n=0
for canon in relaxed/relaxed simple/simple; do
	DT_SIGN="canonicalization = \"$canon\";" dt_conf "$T/p11dkim.conf"
	dt_start "$T/p11dkim.conf"
	for mta in postfix-2 postfix-3 postfix-4 postfix-6 sendmail-8.13 sendmail-8.14; do
		n=$((n + 1))
		dt_send "$T/out.$n" "$M/plain" -q "QP$n" -P "$mta" -b 9
		dt_expect "action=c signatures=2"
		tr -d '\r\n\t' <"$T/out.$n" | grep -q "c=$canon;" || dt_fail "$mta: no c=$canon"
		dt_verify "$T/out.$n" 2
		# Exactly one space after the colon of our own field, whatever the version.
		grep -q '^DKIM-Signature: v=1;' "$T/out.$n" || dt_fail "$mta: DKIM-Signature field spacing"
		dt_send "$T/out.s$n" "$M/spaces" -q "QS$n" -P "$mta"
		dt_expect "action=c signatures=2"
		"$PYTHON" "$top_srcdir/tests/lib/dkim-verify.py" "$T/dns.txt" "$T/out.s$n" >"$T/dkimpy.out" 2>&1 ||
			{ cat "$T/dkimpy.out"; dt_fail "$mta $canon: dkimpy rejects two spaces / a tab after the colon"; }
		dt_send "$T/out.n$n" "$M/nospace" -q "QN$n" -P "$mta"
		dt_expect "action=c signatures=2"
		st=0
		"$PYTHON" "$top_srcdir/tests/lib/dkim-verify.py" "$T/dns.txt" "$T/out.n$n" >"$T/dkimpy.out" 2>&1 || st=$?
		case $canon,$mta in
		simple/*,postfix-6 | simple/*,sendmail-8.14 | relaxed/*)
			[ "$st" = 0 ] || { cat "$T/dkimpy.out"; dt_fail "$mta $canon: no space after the colon"; } ;;
		*)
			# The documented limit: the MTA hid that the field had no space.
			[ "$st" != 0 ] || dt_fail "$mta $canon: a field without a space verified; update the docs" ;;
		esac
	done
	# Said once per process, counted per connection (3 messages x 4 profiles without it).
	[ "$(grep -c 'without SMFIP_HDR_LEADSPC' "$T/log")" = 1 ] || dt_fail "the no-LEADSPC notice is not logged exactly once"
	dt_log_has "the MTA speaks milter protocol 2 or a restricted 6"
	dt_wait_metric "p11dkim_mta_connections_without_leadspc_total 12"

	# An MTA that reuses its milter connection (SMFIC_QUIT_NC, then CONNECT again without a
	# new negotiation): every session's message is signed (issue 16, L9).
	"$DT_SEND" -s "$DT_SOCKET" -m "$M/plain" -q QNC -P sendmail-8.14 -n 3 -N >"$T/res.nc" ||
		dt_fail "dm-send with SMFIC_QUIT_NC"
	[ "$(grep -c '^action=c signatures=2' "$T/res.nc")" = 3 ] ||
		{ cat "$T/res.nc"; dt_fail "after SMFIC_QUIT_NC a session was not signed"; }

	# An MTA that does not allow adding header fields: refused at negotiation, said and counted.
	st=0
	"$DT_SEND" -s "$DT_SOCKET" -m "$M/plain" -A 1fe >"$T/res.noadd" 2>&1 || st=$?
	[ "$st" = 1 ] || dt_fail "an MTA without SMFIF_ADDHDRS: dm-send exited $st"
	dt_log_has "refusing the MTA (milter protocol 6, actions 0x1fe"
	dt_wait_metric "p11dkim_mta_connections_refused_total 1"
	dt_stop
	mv "$T/log" "$T/log.$n"
done
echo "PASS: $DT_VERIFIED signatures verified by dkimpy and libopendkim at protocols 2, 3, 4, 6 and Sendmail 8.13/8.14"
