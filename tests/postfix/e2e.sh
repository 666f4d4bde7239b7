#!/bin/sh
# tests/postfix/e2e.sh MILTER: a signing milter behind a real Postfix.
# MILTER names a driver, tests/postfix/milter-MILTER.sh (opendkim, p11dkim).
# PF_MILTER_PROTOCOL sets Postfix's milter_protocol (default 6; 2, 3 and 4 are
# the older versions, without SMFIP_HDR_LEADSPC); MILTER_CANON the p11dkim
# driver's canonicalization (default relaxed/relaxed).
# Run as root (Postfix's daemons need it), else skip (77). KEEP=1 keeps the
# temporary directory for a look at maillog and the captured messages.
#
# Cases (each prints "ok" or "FAIL" with the evidence):
#  1 internal client (XCLIENT ADDR=10.1.2.3) over SMTP: signed, verifies
#    in dkimpy and libopendkim
#  2 loopback client (127.0.0.1, no XCLIENT): signed, verifies
#  3 external client (XCLIENT ADDR=192.0.2.7): relayed without a signature,
#    body byte for byte as sent
#  4 sendmail (non-SMTP, non_smtpd_milters): signed, verifies
#  5 content filter: smtpd (milter) -> content_filter smtp -> re-injection
#    smtpd with no_milters: the message passed Postfix twice (two Received
#    by our smtpd) and carries one signature per key, not two
#  6 control for 5: re-injection smtpd with its milters kept: what the
#    milter does when it sees its own signature again (OpenDKIM signs twice)
#  8 chrooted smtpd (chroot = the spool) with the milter on a unix socket
#    inside it, named relative to the chroot (contrib/postfix/main.cf b):
#    signed, verifies
#  7 milter stopped: an SMTP client gets 4xx; a sendmail message stays
#    queued and is not relayed; once the milter is back the queued message
#    is relayed, signed and verifying
set -u
here=$(cd "$(dirname "$0")" && pwd)
driver=${1:?usage: e2e.sh opendkim|p11dkim}
. "$here/lib.sh"
. "$here/milter-$driver.sh"
. "$here/judge.sh"

pf_require
milter_require
pf_setup "placeholder"
# Every driver's milter listens on a free loopback port and writes the records
# it publishes to MILTER_KEYS.
MILTER_PORT=$(pf_free_port)
MILTER_SOCKET="inet:127.0.0.1:$MILTER_PORT"
MILTER_KEYS=$PF/keys.txt
milter_prepare || exit 1
sed -i "s|^smtpd_milters = .*|smtpd_milters = $MILTER_SOCKET|" "$PF/etc/main.cf"
printf 'TestPublicKeys %s\nMode v\nSyslog no\n' "$MILTER_KEYS" >"$PF/verify-opendkim.conf"
milter_start || exit 1
pf_start || exit 1
pf_log "milter_protocol = ${PF_MILTER_PROTOCOL:-6}, canonicalization ${MILTER_CANON:-relaxed/relaxed}"

msg=$PF/msg

# 1, 2, 3: over SMTP, three kinds of client.
for c in "internal 10.1.2.3 1" "loopback - 1" "external 192.0.2.7 0"; do
	set -- $c
	tag="$1-$$@example.com"
	pf_message "$msg.$1" alice@example.com bob@example.net "$tag"
	if ! r=$(pf_submit_smtp "$PF_SMTP" "$2" "$msg.$1"); then
		fail "$1: submission refused: $r"
		continue
	fi
	if ! f=$(pf_wait_capture "$tag" 30); then
		fail "$1: not relayed to the sink within 30 s"
		continue
	fi
	if [ "$3" = 1 ]; then
		check_signed "$f" "$MILTER_SIGS" "$1 client"
	else
		check_signed "$f" 0 "$1 client"
		milter_says "$1 client" "${MILTER_SAYS_EXTERNAL:-}"
		check_body_unchanged "$msg.$1" "$f" "$1 client"
	fi
done

# 4: sendmail (non-SMTP).
tag="sendmail-$$@example.com"
pf_message "$msg.sendmail" alice@example.com bob@example.net "$tag"
if pf_submit_sendmail "$msg.sendmail"; then
	if f=$(pf_wait_capture "$tag" 30); then
		check_signed "$f" "$MILTER_SIGS" "sendmail"
	else
		fail "sendmail: not relayed within 30 s"
	fi
else
	fail "sendmail: submission failed"
fi

# 5, 6: two passes through Postfix.
for c in "filter $PF_FILTER $MILTER_SIGS" "filter-milters-kept $PF_FILTER2 $MILTER_RESIGN"; do
	set -- $c
	tag="$1-$$@example.com"
	pf_message "$msg.$1" alice@example.com bob@example.net "$tag"
	if ! r=$(pf_submit_smtp "$2" 10.1.2.3 "$msg.$1"); then
		fail "$1: submission refused: $r"
		continue
	fi
	if ! f=$(pf_wait_capture "$tag" 30); then
		fail "$1: not relayed within 30 s"
		continue
	fi
	n=$(grep -c '^Received: ' "$f")
	# smtp-sink's own Received: plus one per pass through our smtpd.
	if [ "$n" = 3 ]; then
		ok "$1: passed Postfix twice ($((n - 1)) Received: from our smtpd)"
	else
		fail "$1: expected two passes through Postfix, found $((n - 1)) Received:"
	fi
	check_signed "$f" "$3" "$1"
	[ "$1" = filter-milters-kept ] && milter_says "$1" "${MILTER_SAYS_RESIGN:-}"
done

# 8: a chrooted smtpd and a milter on a unix socket below the chroot.
milter_start_chroot
tag="chroot-$$@example.com"
pf_message "$msg.chroot" alice@example.com bob@example.net "$tag"
i=0
while ! [ -S "$PF_CHROOT_SOCK" ] && [ $i -lt 100 ]; do
	sleep 0.1
	i=$((i + 1))
done
if ! [ -S "$PF_CHROOT_SOCK" ]; then
	fail "chroot: the milter made no socket $PF_CHROOT_SOCK"
	cat "$PF/milter-chroot.log"
elif ! r=$(pf_submit_smtp "$PF_CHROOT" 10.1.2.3 "$msg.chroot"); then
	fail "chroot: submission refused: $r"
elif ! f=$(pf_wait_capture "$tag" 30); then
	fail "chroot: not relayed within 30 s"
else
	check_signed "$f" "$MILTER_SIGS" "chrooted smtpd, unix:milter/milter.sock"
	# Postfix daemons chdir to the spool, so a relative socket path works
	# unchrooted too: check that the smtpd which served us is chrooted.
	roots=$(for p in $(pgrep -x smtpd); do readlink "/proc/$p/root"; done)
	if echo "$roots" | grep -q -x -F "$PF/spool"; then
		ok "chroot: an smtpd runs with root directory $PF/spool"
	else
		fail "chroot: no smtpd chrooted into $PF/spool (roots: $(echo $roots))"
	fi
	ls -l "$PF_CHROOT_SOCK" | grep -q '^srwxrwx---.* postfix ' &&
	    ok "chroot: socket mode 0770 group postfix" ||
	    fail "chroot: socket is $(ls -l "$PF_CHROOT_SOCK")"
fi
milter_stop_chroot || fail "chroot milter exited with status $?"

# 7: the milter goes away (a clean stop: it must exit 0).
if milter_stop; then
	ok "milter stopped with status 0"
else
	fail "milter exited with status $? on SIGTERM"
fi
tag="down-smtp-$$@example.com"
pf_message "$msg.down" alice@example.com bob@example.net "$tag"
r=$(pf_submit_smtp "$PF_SMTP" 10.1.2.3 "$msg.down")
rc=$?
case "$rc:$r" in
4:4*) ok "milter down: SMTP client got a temporary failure: $r" ;;
*) fail "milter down: SMTP client expected 4xx, got status $rc: $r" ;;
esac
tag="down-sendmail-$$@example.com"
pf_message "$msg.down2" alice@example.com bob@example.net "$tag"
if pf_submit_sendmail "$msg.down2"; then
	# Wait for cleanup to meet the dead milter (pickup hands it the
	# message at once), then give a wrong delivery a moment to show.
	pf_wait_log 'cleanup.*milter-reject: CONNECT from localhost.*4\.7\.1' 15
	sleep 1
	if [ -n "$(pf_find_capture "$tag")" ]; then
		fail "milter down: sendmail message relayed while the milter was down"
	elif [ "$(pf_queued)" -ge 1 ] &&
	    grep -q 'cleanup.*milter-reject: CONNECT from localhost.*4\.7\.1' "$PF/maillog"; then
		ok "milter down: sendmail message held in the queue ($(pf_queued) queued), nothing relayed; maillog: $(grep 'cleanup.*milter-reject' "$PF/maillog" | tail -n 1 | sed 's/.*milter-reject/milter-reject/')"
	else
		fail "milter down: sendmail message neither relayed nor queued"
	fi
	[ -n "$(pf_find_capture "down-smtp-$$")" ] && fail "milter down: refused SMTP message was relayed"
	milter_start || exit 1
	/usr/sbin/postqueue -c "$PF/etc" -f 2>/dev/null
	if f=$(pf_wait_capture "$tag" 40); then
		check_signed "$f" "$MILTER_SIGS" "milter back: held sendmail message"
	else
		fail "milter back: held sendmail message not relayed within 40 s"
	fi
else
	fail "milter down: sendmail submission failed"
fi

if [ "$fails" = 0 ]; then
	pf_log "all cases passed ($driver)"
	exit 0
fi
pf_log "$fails failure(s) ($driver)"
exit 1
