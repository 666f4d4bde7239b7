# tests/postfix/judge.sh: the verdicts of the end-to-end tests on what reached the sink, for
# the Postfix (tests/postfix/e2e.sh) and the Sendmail (tests/sendmail/sendmail-p11dkim.sh)
# instances and the Debian package test (tests/package/package.sh, with its own ok and fail).
# Sourced after tests/postfix/lib.sh; POSIX sh. Needs $here (the case script's folder, a
# sibling of tests/lib), MILTER_KEYS (the records the milter publishes), MILTER_LOG and
# $PF/verify-opendkim.conf (written from MILTER_KEYS when missing). Counts failures in $fails.

fails=0
ok() { pf_log "ok: $*"; }
fail() {
	pf_log "FAIL: $*"
	fails=$((fails + 1))
}

# check_signed CAPTURE NSIGS WHAT: dkimpy and libopendkim both verify NSIGS
# signatures (NSIGS = 0: none present).
check_signed() {
	clean=$1.clean
	if out=$("$PYTHON" "$here/../lib/dkim-verify.py" --sink --expect "$2" \
	    --clean "$clean" "$MILTER_KEYS" "$1" 2>&1); then
		ok "$3: dkimpy: $(echo "$out" | tr '\n' ' ')"
	else
		fail "$3: dkimpy: $out"
		return
	fi
	[ "$2" = 0 ] && return
	# libopendkim (opendkim -t) writes the Authentication-Results it would add.
	[ -f "$PF/verify-opendkim.conf" ] ||
	    printf 'TestPublicKeys %s\nMode v\nSyslog no\n' "$MILTER_KEYS" >"$PF/verify-opendkim.conf"
	ar=$(opendkim -x "$PF/verify-opendkim.conf" -vvv -t "$clean" 2>&1)
	npass=$(echo "$ar" | grep -o 'dkim=pass' | wc -l)
	nfail=$(echo "$ar" | grep -o 'dkim=[a-z]*' | grep -v -c 'dkim=pass')
	if [ "$npass" = "$2" ] && [ "$nfail" = 0 ]; then
		ok "$3: libopendkim: $npass dkim=pass"
	else
		fail "$3: libopendkim: $npass pass, $nfail other, expected $2 pass: $ar"
	fi
}

# milter_says WHAT TEXT: the milter's log has a line holding TEXT (a fixed
# string); nothing to check when the driver gives no text.
milter_says() {
	[ -n "$2" ] || return 0
	if grep -q -F -- "$2" "$MILTER_LOG"; then
		ok "$1: milter log: $2"
	else
		fail "$1: milter log lacks: $2"
	fi
}

# check_body_unchanged MESSAGE CAPTURE WHAT: the body that reached the sink (CAPTURE.clean,
# written by check_signed) is the body sent, everything after the first empty line.
check_body_unchanged() {
	if [ "$(sed '1,/^\r$/d' "$1" | tr -d '\r')" = "$(sed '1,/^\r*$/d' "$2.clean" | tr -d '\r')" ]; then
		ok "$3: body unchanged"
	else
		fail "$3: body changed"
	fi
}
