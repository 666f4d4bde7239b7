#!/bin/sh
# Who is signed beyond "internal or authenticated" (issue 16): sign.mta signs only mail that
# the MTA marks as outgoing with its {daemon_name} macro (Postfix: -o
# milter_macro_daemon_name=ORIGINATING on the submission service), the answer to mail that
# comes back through 127.0.0.1 (content filters, list managers, sendmail(1)).
. "$top_srcdir/tests/daemon/lib.sh"
dt_init policy
dt_msg "$T/m" 'From: alice@example.com\r\n'
DT_EXTRA="metrics_file = \"$T/p11dkim.prom\"; metrics_interval = 1;"

# Without sign.mta every service is signed, whatever its name.
dt_conf "$T/p11dkim.conf"
dt_start "$T/p11dkim.conf"
dt_send "$T/out.0" "$T/m" -q M0 -D smtpd
dt_expect "action=c signatures=2"
dt_stop

DT_SIGN='canonicalization = "relaxed/relaxed"; mta = [ "ORIGINATING", "submission" ];' \
	dt_conf "$T/p11dkim.conf"
dt_start "$T/p11dkim.conf"
# Listed (case does not matter): signed.
dt_send "$T/out.1" "$T/m" -q M1 -D ORIGINATING
dt_expect "action=c signatures=2"
dt_verify "$T/out.1" 2
dt_send "$T/out.2" "$T/m" -q M2 -D Submission -a 192.0.2.7 -u alice
dt_expect "action=c signatures=2"
dt_verify "$T/out.2" 2
# An internal client through another service (a content filter's re-injection, say): not.
dt_send "$T/out.3" "$T/m" -q M3 -D reinject
dt_expect "action=a signatures=0"
dt_log_has "M3: not signed: MTA service not in sign.mta ({daemon_name} reinject, client 127.0.0.1)"
# Listed service, but neither internal nor authenticated: still not (both must hold).
dt_send "$T/out.4" "$T/m" -q M4 -D ORIGINATING -a 192.0.2.7
dt_expect "action=a signatures=0"
dt_log_has "M4: not signed: not internal and not authenticated"
dt_wait_metric 'p11dkim_messages_unsigned_total{reason="not_outgoing"} 1'
dt_stop

# An empty list is a configuration error, not a daemon that signs nothing.
DT_SIGN='mta = [ ];' dt_conf "$T/empty.conf"
st=0
"$DT_BIN" -n -c "$T/empty.conf" >"$T/n.out" 2>&1 || st=$?
[ "$st" = 1 ] || dt_fail "-n accepted an empty sign.mta"
grep -q "sign.mta: is empty" "$T/n.out" || { cat "$T/n.out"; dt_fail "-n does not name sign.mta"; }
echo "PASS: sign.mta; $DT_VERIFIED signatures verified"
