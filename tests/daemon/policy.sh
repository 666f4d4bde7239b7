#!/bin/sh
# Who is signed beyond "internal or authenticated" (issue 16). H1: an SMTP AUTH login signs
# only its own domain (and subdomains) and what sign.login_map gives it; a login without a
# domain only with bare_logins = "any"; internal_hosts blocks may name their domains; the map
# is read again at SIGHUP; sign_authenticated = false signs no outside login. M3: sign.mta
# signs only mail that the MTA marks as outgoing with its {daemon_name} macro (Postfix: -o
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
dt_send "$T/out.2" "$T/m" -q M2 -D Submission -a 192.0.2.7 -u alice@example.com
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

# --- H1: logins and domains.
DT_DOMAINS='{ domain = "example.com"; subdomains = true; keys = ( { selector = "rsa"; key = "dkim-rsa"; } ); },
	{ domain = "example.org"; keys = ( { selector = "rsa"; key = "dkim-rsa"; } ); }'
dt_msg "$T/com" 'From: alice@example.com\r\n'
dt_msg "$T/sub" 'From: news@lists.example.com\r\n'
dt_msg "$T/org" 'From: carol@example.org\r\n'
printf '# login  domains\nalice   example.org\n\nwebmail example.com, example.org\n' >"$T/logins"
chmod 600 "$T/logins"
DT_SIGN="login_map = \"$T/logins\";" DT_INTERNAL='[ "127.0.0.1 example.org", "10.1.0.0/16" ]' \
	dt_conf "$T/p11dkim.conf"
dt_start "$T/p11dkim.conf"
ext="-a 192.0.2.7"
# Its own domain, and a subdomain of it.
dt_send "$T/out.h1" "$T/com" -q H1 $ext -u bob@example.com
dt_expect "action=c signatures=1"
dt_verify "$T/out.h1" 1
dt_send "$T/out.h2" "$T/sub" -q H2 $ext -u bob@example.com
dt_expect "action=c signatures=1"
# Another domain: refused, one log line naming the login and the domain.
dt_send "$T/out.h3" "$T/org" -q H3 $ext -u bob@example.com
dt_expect "action=a signatures=0"
dt_log_has "H3: not signed: sender may not sign for the domain example.org (login bob@example.com)"
# A look-alike is not a subdomain: the login's domain must end at a dot.
dt_send "$T/out.h4" "$T/org" -q H4 $ext -u mallory@evilexample.org
dt_expect "action=a signatures=0"
# A bare login: refused by default; the map gives alice example.org only.
dt_send "$T/out.h5" "$T/com" -q H5 $ext -u carol
dt_expect "action=a signatures=0"
dt_log_has "H5: not signed: sender may not sign for the domain example.com (login carol)"
dt_send "$T/out.h6" "$T/org" -q H6 $ext -u alice
dt_expect "action=c signatures=1"
dt_send "$T/out.h7" "$T/com" -q H7 $ext -u alice
dt_expect "action=a signatures=0"
dt_send "$T/out.h8" "$T/org" -q H8 $ext -u webmail
dt_expect "action=c signatures=1"
# An authenticated sender follows the login rule from an internal host too.
dt_send "$T/out.h9" "$T/org" -q H9 -a 10.1.2.3 -u bob@example.com
dt_expect "action=a signatures=0"
# Internal hosts: 127.0.0.1 may sign example.org only; 10.1.0.0/16 everything.
dt_send "$T/out.h10" "$T/com" -q H10
dt_expect "action=a signatures=0"
dt_log_has "H10: not signed: sender may not sign for the domain example.com (client 127.0.0.1)"
dt_send "$T/out.h11" "$T/org" -q H11
dt_expect "action=c signatures=1"
dt_send "$T/out.h12" "$T/com" -q H12 -a 10.1.2.3
dt_expect "action=c signatures=1"
dt_wait_metric 'p11dkim_messages_unsigned_total{reason="not_allowed"} 6'
# The map is read again at SIGHUP: now carol may sign example.com.
printf 'carol example.com\n' >"$T/logins"
kill -HUP "$DT_PID"
dt_wait_log "reloaded $T/p11dkim.conf" 100 || dt_fail "not reloaded"
dt_send "$T/out.h13" "$T/com" -q H13 $ext -u carol
dt_expect "action=c signatures=1"
dt_stop

# bare_logins = "any" and login_domains = "any" (the old behaviour); sign_authenticated = false.
DT_SIGN='bare_logins = "any";' dt_conf "$T/p11dkim.conf"
dt_start "$T/p11dkim.conf"
dt_send "$T/out.h14" "$T/com" -q H14 $ext -u carol
dt_expect "action=c signatures=1"
dt_send "$T/out.h15" "$T/org" -q H15 $ext -u bob@example.com
dt_expect "action=a signatures=0"
dt_stop
DT_SIGN='login_domains = "any";' dt_conf "$T/p11dkim.conf"
dt_start "$T/p11dkim.conf"
dt_send "$T/out.h16" "$T/org" -q H16 $ext -u bob@example.com
dt_expect "action=c signatures=1"
dt_stop
DT_SIGN_AUTH=false dt_conf "$T/p11dkim.conf"
dt_start "$T/p11dkim.conf"
dt_send "$T/out.h17" "$T/com" -q H17 $ext -u bob@example.com
dt_expect "action=a signatures=0"
dt_log_has "H17: not signed: not internal and not authenticated"
dt_send "$T/out.h18" "$T/com" -q H18
dt_expect "action=c signatures=1"
dt_stop

# A map file others may write is refused, naming it.
chmod 666 "$T/logins"
DT_SIGN="login_map = \"$T/logins\";" dt_conf "$T/bad.conf"
st=0
"$DT_BIN" -n -c "$T/bad.conf" >"$T/n.out" 2>&1 || st=$?
[ "$st" = 1 ] && grep -q "$T/logins.*can be written by group or others" "$T/n.out" ||
	{ cat "$T/n.out"; dt_fail "-n accepted a world-writable login map"; }
chmod 600 "$T/logins"
printf 'dave\nerin bad_domain!\n' >"$T/logins"
st=0
"$DT_BIN" -n -c "$T/bad.conf" >"$T/n.out" 2>&1 || st=$?
grep -q "$T/logins:1: sign.login_map: login 'dave' has no domain" "$T/n.out" &&
	grep -q "$T/logins:2: sign.login_map: domain 'bad_domain!'" "$T/n.out" ||
	{ cat "$T/n.out"; dt_fail "-n does not name the map's bad lines"; }

# An empty list is a configuration error, not a daemon that signs nothing.
DT_SIGN='mta = [ ];' dt_conf "$T/empty.conf"
st=0
"$DT_BIN" -n -c "$T/empty.conf" >"$T/n.out" 2>&1 || st=$?
[ "$st" = 1 ] || dt_fail "-n accepted an empty sign.mta"
grep -q "sign.mta: is empty" "$T/n.out" || { cat "$T/n.out"; dt_fail "-n does not name sign.mta"; }
echo "PASS: logins and domains, internal hosts with domains, sign.mta; $DT_VERIFIED signatures verified"
