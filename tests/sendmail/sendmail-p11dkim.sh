#!/bin/sh
# tests/sendmail/sendmail-p11dkim.sh: p11dkim behind a real Sendmail (Debian's, unpacked privately: see
# lib.sh and debs.sh). Run as root, else skip (77). KEEP=1 keeps the temporary directory.
#
# p11dkim signs with one RSA-2048 and one Ed25519 key (tests/postfix/milter-p11dkim.sh),
# internal_hosts 127.0.0.1 and sign.mta = [ "MTA" ], the Name= of the instance's
# DAEMON_OPTIONS: Sendmail sends {daemon_name} with the connection, p11dkim reads it at MAIL
# FROM, so every signed case below also proves that it arrives.
#
# Cases (each prints "ok" or "FAIL" with the evidence):
#  1 internal client (127.0.0.1) over SMTP: signed twice, both verify in dkimpy and
#    libopendkim
#  2 external client (127.0.0.2, a real other source address: Sendmail has no XCLIENT):
#    relayed unsigned, body unchanged, p11dkim says why
#  3 internal client, a message without Date and Message-ID: Sendmail adds both after its
#    milters ran and never shows them to them; the signatures must not name them (h=) and
#    must verify with them
#  4 `sendmail -t` through the MSP, which submits over SMTP to the MTA (Sendmail calls
#    milters for SMTP only), without Date and Message-ID: the MSP adds them before SMTP, so
#    p11dkim sees and signs them; verifies
#  5 (a limit, documented in contrib/SENDMAIL.md) a header address without a domain
#    ("To: bob") from an SMTP client: Sendmail qualifies it after its milters ran
#    (bob@mx.test.invalid), which no signer can foresee; the case checks that this is still
#    what happens and that the signatures then fail, so that the guide stays true
#  6 milter stopped (exit 0): an SMTP client gets 4xx (F=T); a `sendmail -t` message waits
#    in the MSP's queue, nothing relayed; milter restarted, the MSP's queue run: relayed,
#    signed, verifies
set -u
here=$(cd "$(dirname "$0")" && pwd)
E2E_NAME=sendmail-e2e
. "$here/../postfix/lib.sh"
. "$here/../postfix/milter-p11dkim.sh"
. "$here/../postfix/judge.sh"
. "$here/lib.sh"

sm_require
milter_require
sm_setup || exit 1
# milter_prepare writes an inet socket; this test then moves it to a unix one.
MILTER_PORT=$(pf_free_port)
MILTER_KEYS=$SM/keys.txt
milter_prepare || exit 1
# The socket and the service name of contrib/SENDMAIL.md, in this instance.
sed -i -e "s|^socket = .*|socket = \"unix:$SM_MILTER_SOCK\";|" \
    -e 's|^  on_token_error = .*|&\n  mta = [ "MTA" ];|' "$SM/p11dkim/p11dkim.conf"
"$P11DKIM" -c "$SM/p11dkim/p11dkim.conf" -n >>"$SM/milter.log" 2>&1 ||
    { sm_log "p11dkim -n refused the Sendmail configuration"; exit 1; }
printf 'TestPublicKeys %s\nMode v\nSyslog no\n' "$MILTER_KEYS" >"$PF/verify-opendkim.conf"

# The milter in the foreground as a child of this shell (stop waits for its status), ready
# when its socket exists.
milter_start() {
	rm -f "$SM_MILTER_SOCK"
	pf_milter_bg MILTER_PID "$SM/milter.log" "$P11DKIM" -c "$SM/p11dkim/p11dkim.conf" -f
	i=0
	while ! [ -S "$SM_MILTER_SOCK" ]; do
		i=$((i + 1))
		[ $i -ge 200 ] && { sm_log "p11dkim made no socket"; return 1; }
		sleep 0.1
	done
}

milter_start || exit 1
sm_start || exit 1
msg=$SM/msg

# sm_message FILE TAG [nodate]: a test message tagged TAG in its Subject (and Message-ID);
# "nodate" leaves out Date and Message-ID, as many scripts and devices do.
sm_message() {
	if [ "${3:-}" = nodate ]; then
		printf 'From: Alice <alice@example.com>\r\nTo: <bob@example.net>\r\nSubject: p11dkim sendmail test %s\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\nNo Date, no Message-ID.\r\n' \
		    "$2" >"$1"
	else
		pf_message "$1" alice@example.com bob@example.net "$2"
	fi
}

# signed_names CAPTURE: the h= of each DKIM-Signature, one line each.
signed_names() {
	"$PYTHON" - "$1" <<'EOP'
import re, sys
head = open(sys.argv[1], "rb").read().replace(b"\r\n", b"\n").split(b"\n\n", 1)[0]
for f in re.findall(rb"^DKIM-Signature:(.*(?:\n[ \t].*)*)", head, re.M | re.I):
    h = re.search(rb"\bh=([^;]*)", re.sub(rb"\s+", b"", f))
    print(h.group(1).decode().lower() if h else "")
EOP
}

# 1, 2: two clients over SMTP.
for c in "internal 127.0.0.1 2" "external 127.0.0.2 0"; do
	set -- $c
	tag="$1-$$@example.com"
	sm_message "$msg.$1" "$tag"
	if ! r=$(sm_submit_smtp "$2" "$msg.$1"); then
		fail "$1: submission refused: $r"
		continue
	fi
	if ! f=$(pf_wait_capture "$tag" 30); then
		fail "$1: not relayed to the sink within 30 s"
		continue
	fi
	check_signed "$f" "$3" "$1 client ($2)"
	if [ "$3" = 0 ]; then
		milter_says "$1 client" "not signed: not internal and not authenticated (client $2)"
		check_body_unchanged "$msg.$1" "$f" "$1 client"
	fi
done

# 3, 4: no Date, no Message-ID; over SMTP straight to the MTA, then through the MSP.
for c in "smtp-nodate" "msp-nodate"; do
	tag="$c-$$"
	sm_message "$msg.$c" "$tag" nodate
	if [ "$c" = smtp-nodate ]; then
		r=$(sm_submit_smtp 127.0.0.1 "$msg.$c") || { fail "$c: refused: $r"; continue; }
	else
		sm_submit_msp "$msg.$c" || { fail "$c: sendmail -t failed"; continue; }
	fi
	if ! f=$(pf_wait_capture "$tag" 30); then
		fail "$c: not relayed to the sink within 30 s"
		continue
	fi
	if grep -q -i '^Date: ' "$f" && grep -q -i '^Message-Id: ' "$f"; then
		ok "$c: Sendmail added Date and Message-ID"
	else
		fail "$c: Date or Message-ID missing at the sink"
	fi
	names=$(signed_names "$f" | tr '\n' ' ')
	case "$c:$names" in
	smtp-nodate:*date*|smtp-nodate:*message-id*)
		fail "$c: h= names fields p11dkim never saw: $names" ;;
	msp-nodate:*date:date*message-id:message-id*)
		ok "$c: h= signs (and oversigns) the MSP's Date and Message-ID: $names" ;;
	msp-nodate:*) fail "$c: h= lacks the MSP's Date or Message-ID: $names" ;;
	*) ok "$c: h= leaves out what Sendmail adds after the milters: $names" ;;
	esac
	check_signed "$f" 2 "$c"
done

# 5: Sendmail rewrites a header address it finds unqualified, after the milters.
tag="unqualified-$$"
printf 'From: Alice <alice@example.com>\r\nTo: bob\r\nSubject: p11dkim sendmail test %s\r\nDate: %s\r\nMessage-ID: <%s@example.com>\r\n\r\nTo: a local name.\r\n' \
    "$tag" "$(date -R)" "$tag" >"$msg.uq"
if ! r=$(sm_submit_smtp 127.0.0.1 "$msg.uq"); then
	fail "unqualified: refused: $r"
elif ! f=$(pf_wait_capture "$tag" 30); then
	fail "unqualified: not relayed to the sink within 30 s"
elif ! grep -q '^To: bob@mx.test.invalid' "$f"; then
	fail "unqualified: Sendmail no longer qualifies To: bob ($(grep '^To:' "$f")): update contrib/SENDMAIL.md"
elif "$PYTHON" "$here/../lib/dkim-verify.py" --sink --expect 2 "$MILTER_KEYS" "$f" >/dev/null; then
	fail "unqualified: the signatures survived Sendmail's rewrite: update contrib/SENDMAIL.md"
else
	ok "unqualified: Sendmail wrote To: bob@mx.test.invalid after signing, the signatures fail (the documented limit)"
fi

# 6: the milter goes away (a clean stop: it must exit 0), mail waits, the milter comes back.
if milter_stop; then
	ok "milter stopped with status 0"
else
	fail "milter exited with status $? on SIGTERM"
fi
tag="down-smtp-$$@example.com"
sm_message "$msg.down" "$tag"
r=$(sm_submit_smtp 127.0.0.1 "$msg.down")
rc=$?
case "$rc:$r" in
4:4*) ok "milter down: SMTP client got a temporary failure (F=T): $r" ;;
*) fail "milter down: SMTP client expected 4xx, got status $rc: $r" ;;
esac
tag="down-msp-$$@example.com"
sm_message "$msg.down2" "$tag"
if sm_submit_msp "$msg.down2"; then
	sleep 1
	if [ -n "$(pf_find_capture "$tag")" ]; then
		fail "milter down: the MSP's message was relayed while the milter was down"
	elif [ "$(sm_msp_queued)" = 1 ]; then
		ok "milter down: sendmail -t accepted the message, it waits in the MSP's queue"
	else
		fail "milter down: the MSP's message neither relayed nor queued ($(sm_msp_queued) queued)"
	fi
	[ -n "$(pf_find_capture "down-smtp-$$")" ] && fail "milter down: refused SMTP message relayed"
	milter_start || exit 1
	sm_msp_run
	if f=$(pf_wait_capture "$tag" 30); then
		check_signed "$f" 2 "milter back: the MSP's queued message"
		[ "$(sm_msp_queued)" = 0 ] && ok "milter back: the MSP's queue is empty" ||
		    fail "milter back: $(sm_msp_queued) message(s) still in the MSP's queue"
	else
		fail "milter back: the MSP's queued message not relayed within 30 s"
	fi
else
	fail "milter down: sendmail -t failed"
fi

if [ "$fails" = 0 ]; then
	sm_log "all cases passed"
	exit 0
fi
sm_log "$fails failure(s)"
exit 1
