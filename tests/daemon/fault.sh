#!/bin/sh
# Token faults through the fault-injecting module (tests/lib/p11fault): a dead token gives a
# tempfail (451 4.7.0) under on_token_error = tempfail and an unsigned accept under accept,
# each logged; a single failed C_Sign is recovered inside the pool; once the token is back,
# messages are signed again. A refused PIN is tried once, not with every message, until SIGHUP.
. "$top_srcdir/tests/daemon/lib.sh"
dt_init fault
dt_fault_init
DT_MODULE=$FAULT
P11FAULT_STATS=$T/fault.stats
export P11FAULT_STATS
DT_EXTRA="metrics_file = \"$T/p11dkim.prom\"; metrics_interval = 1;"
dt_msg "$T/m" 'From: alice@example.com\r\n'
dt_conf "$T/p11dkim.conf"
dt_start "$T/p11dkim.conf"

dt_send "$T/out.ok" "$T/m" -q F1OK
dt_expect "action=c signatures=2"
dt_verify "$T/out.ok" 2

# One failed C_Sign: the pool retries on a fresh session; the message is signed.
dt_fault "fail_sign 1 0x6"
dt_send "$T/out.retry" "$T/m" -q F2RETRY
dt_expect "action=c signatures=2"
dt_verify "$T/out.retry" 2

# A dead token under tempfail: 451, never an unsigned accept.
dt_fault "fail_sign 100000 0x30"
dt_send "$T/out.tf" "$T/m" -q F3TEMP -t 30000
dt_expect "action=y signatures=0 reply=451 4.7.0"
dt_log_has "F3TEMP: tempfail: token error: "

# The token is back: signed again.
dt_fault reset
dt_send "$T/out.back" "$T/m" -q F4BACK
dt_expect "action=c signatures=2"
dt_verify "$T/out.back" 2

# The same under on_token_error = accept (switched in by SIGHUP).
DT_SIGN='on_token_error = "accept";' dt_conf "$T/p11dkim.conf"
kill -HUP "$DT_PID"
dt_wait_log "reloaded " 100 || dt_fail "no reload"
dt_fault "fail_sign 100000 0x30"
dt_send "$T/out.acc" "$T/m" -q F5ACC -t 30000
dt_expect "action=a signatures=0"
dt_log_has "F5ACC: not signed: token error: "
dt_log_has "accepted unsigned (on_token_error = accept)"
dt_fault reset
dt_send "$T/out.back2" "$T/m" -q F6BACK
dt_expect "action=c signatures=2"
dt_verify "$T/out.back2" 2

# The token logs us out and refuses the PIN (it was changed, say): one C_Login, not one per
# message, since tokens lock a PIN after a few failures; the reason logged once a minute, the
# metric set; after SIGHUP, one more try, and signed again.
fault_logins() {
	sed -n 's/^logins //p' "$T/fault.stats"
}
dt_fault dump
dt_send "$T/out.p0" "$T/m" -q P0PIN
dt_expect "action=c signatures=2"
l0=$(fault_logins)
dt_fault "fail_login 1000 0xa0" close_sessions
for q in P1PIN P2PIN P3PIN; do
	dt_send "$T/out.$q" "$T/m" -q $q -t 30000
	dt_expect "action=a signatures=0"
done
dt_fault "fail_login 1000 0xa0" dump
dt_send "$T/out.p4" "$T/m" -q P4PIN -t 30000
l1=$(fault_logins)
[ "$((l1 - l0))" -eq 1 ] || dt_fail "C_Login called $((l1 - l0)) times for a refused PIN, not once"
[ "$(grep -c 'refused the PIN (CKR_PIN_INCORRECT): no login is tried' "$T/log")" -eq 1 ] ||
	dt_fail "the refused PIN is not logged exactly once"
dt_log_has "P3PIN: not signed: token error: "
dt_wait_metric "p11dkim_token_login_blocked 1"
dt_fault reset
dt_send "$T/out.p5" "$T/m" -q P5PIN -t 30000
dt_expect "action=a signatures=0"
kill -HUP "$DT_PID"
dt_wait_log "the next login tries the PIN again (SIGHUP)" 100 || dt_fail "SIGHUP did not lift the stop"
dt_send "$T/out.p6" "$T/m" -q P6PIN
dt_expect "action=c signatures=2"
dt_verify "$T/out.p6" 2
dt_wait_metric "p11dkim_token_login_blocked 0"

dt_stop
echo "PASS: tempfail and accept policies, recovery, a refused PIN tried once; $DT_VERIFIED signatures verified"
