#!/bin/sh
# p11dkim-sign: messages signed with keys generated on a fresh SoftHSM token
# (RSA-2048 and Ed25519 side by side) verify with dkimpy and with libopendkim,
# under relaxed and simple canonicalization, LF and CRLF messages; a tampered
# message fails; the signing domain follows From (Sender when From has several
# mailboxes, subdomains when the table says so, --domain when given); a message
# outside the signing table passes unchanged with exit 1; errors write nothing.
. "$(dirname "$0")/keytool-lib.sh"
SIGN=$top_builddir/tools/p11dkim-sign
ODKIM_VERIFY=$top_builddir/tests/dkim/dkim-odkim-verify
DKIMPY_VERIFY=$top_srcdir/tests/lib/dkim-verify.py
[ -x "$ODKIM_VERIFY" ] && [ -f "$DKIMPY_VERIFY" ] || {
	echo "SKIP: the DKIM verifiers (tests/dkim) are not built"
	exit 77
}
kt_setup

expect_rc 0 $KT generate --label sign-rsa --type rsa2048
expect_rc 0 $KT generate --label sign-ed --type ed25519

# conf NAME CANON: a configuration signing example.test (and its subdomains) with both keys.
conf() {
	cat >"$W/$1.conf" <<EOT
token: { module = "$P11DKIM_MODULE"; token = "$P11DKIM_TOKEN"; pin_file = "$P11DKIM_PIN_FILE"; };
sign: { canonicalization = "$2"; };
domains = (
  { domain = "example.test"; subdomains = true;
    keys = ( { selector = "rsa"; key = "sign-rsa"; },
             { selector = "ed"; key = "pkcs11:object=sign-ed"; } ); },
  { domain = "other.test"; keys = ( { selector = "ed"; key = "sign-ed"; } ); },
  { domain = "broken.test"; keys = ( { selector = "x"; key = "not-on-token"; } ); }
);
EOT
	chmod 600 "$W/$1.conf"
}
conf relaxed relaxed/relaxed
conf simple simple/simple

# The verifiers' stand-in for DNS, from the keytool's own records.
for d in example.test other.test; do
	for k in rsa ed; do
		echo "$k._domainkey.$d $($KT dns --label sign-$k --domain $d --selector $k --one-line)"
	done
done >"$W/keys"

printf 'From: Joe <joe@example.test>\nTo: x@y.test\nSubject:  folded\n  subject\nDate: Mon, 23 Nov 2026 20:00:00 +0000\n\nhello  world \n\n\n' >"$W/lf.eml"
printf 'From: a@sub.example.test\r\nTo: x@y.test\r\nSubject: crlf\r\n\r\nline\r\n' >"$W/crlf.eml"
printf 'From: a@example.test, b@elsewhere.test\nSender: s@other.test\nTo: x@y.test\n\nbody\n' >"$W/sender.eml"
printf 'From: a@nowhere.test\nTo: x@y.test\n\nbody\n' >"$W/unsigned.eml"
printf 'To: x@y.test\nSubject: no from\n\nbody\n' >"$W/nofrom.eml"
# The daemon's author rule (dkim_addr_author): a domain literal never signs, nor two From fields.
printf 'From: a@[192.0.2.1]\nTo: x@y.test\n\nbody\n' >"$W/literal.eml"
printf 'From: a@example.test\nFrom: b@example.test\nTo: x@y.test\n\nbody\n' >"$W/twofrom.eml"
printf 'From: a@example.test, b@other.test\nTo: x@y.test\n\nbody\n' >"$W/nosender.eml"
# Counted as the signer names them: "From :" is a From too (issue 16, L11).
printf 'From : x@evil.test\nFrom: a@example.test\nTo: x@y.test\n\nbody\n' >"$W/spacefrom.eml"

# verify FILE NSIG: both verifiers pass every signature, and there are NSIG of them.
verify() {
	[ "$(grep -c '^DKIM-Signature:' "$1")" = "$2" ] || fail "$1: not $2 signatures"
	$PYTHON "$DKIMPY_VERIFY" "$W/keys" "$1" >"$W/v.out" 2>&1 || fail "dkimpy: $(cat "$W/v.out")"
	[ "$(grep -c '^PASS' "$W/v.out")" = "$2" ] || fail "dkimpy: $(cat "$W/v.out")"
	"$ODKIM_VERIFY" "$W/keys" "$1" >"$W/v.out" 2>&1 || fail "libopendkim: $(cat "$W/v.out")"
	[ "$(grep -c '^PASS' "$W/v.out")" = "$2" ] || fail "libopendkim: $(cat "$W/v.out")"
}

for c in relaxed simple; do
	for m in lf crlf; do
		expect_rc 0 $SIGN -c "$W/$c.conf" <"$W/$m.eml"
		cp "$W/out" "$W/$c-$m.signed"
		grep -q 'a=rsa-sha256; c='"$c/$c"'; d=example.test; s=rsa;' "$W/$c-$m.signed" ||
			fail "$c-$m: no RSA signature for example.test: $(cat "$W/out")"
		verify "$W/$c-$m.signed" 2
		# The original message follows the signatures byte for byte.
		tail -c "$(wc -c <"$W/$m.eml")" "$W/$c-$m.signed" | cmp -s - "$W/$m.eml" || fail "$c-$m: message changed"
		echo "$c $m: 2 signatures verified by dkimpy and libopendkim"
	done
done
# CRLF in, CRLF out (the signature folds with CRLF too).
! grep -q "$(printf '[^\r]$')" "$W/relaxed-crlf.signed" || fail "CRLF message got LF lines"

# The judges can fail: a changed body breaks both signatures.
sed 's/^hello  world/hello world!/' "$W/relaxed-lf.signed" >"$W/tampered.eml"
! $PYTHON "$DKIMPY_VERIFY" "$W/keys" "$W/tampered.eml" >/dev/null 2>&1 || fail "dkimpy passed a tampered message"
! "$ODKIM_VERIFY" "$W/keys" "$W/tampered.eml" >/dev/null 2>&1 || fail "libopendkim passed a tampered message"

# Several From mailboxes: the Sender's domain signs (other.test: Ed25519 only).
expect_rc 0 $SIGN -c "$W/relaxed.conf" <"$W/sender.eml"
cp "$W/out" "$W/sender.signed"
grep -q 'd=other.test' "$W/sender.signed" || fail "Sender's domain not used: $(cat "$W/out")"
verify "$W/sender.signed" 1

# --domain and --time.
expect_rc 0 $SIGN -c "$W/relaxed.conf" --domain other.test --time 1700000000 <"$W/lf.eml"
cp "$W/out" "$W/forced.signed"
grep -q 'd=other.test' "$W/forced.signed" && grep -q 't=1700000000;' "$W/forced.signed" ||
	fail "--domain/--time: $(cat "$W/out")"
verify "$W/forced.signed" 1

# Not in the table, or no From: unchanged, exit 1.
for m in unsigned nofrom; do
	expect_rc 1 $SIGN -c "$W/relaxed.conf" <"$W/$m.eml"
	cmp -s "$W/out" "$W/$m.eml" || fail "$m: output differs from input"
	grep -q 'not signed' "$W/err" || fail "$m: no reason given: $(cat "$W/err")"
done
for m in literal:'From names no usable mailbox' twofrom:'several From' spacefrom:'several From' \
	nosender:'From has several mailboxes and no usable Sender'; do
	expect_rc 1 $SIGN -c "$W/relaxed.conf" <"$W/${m%%:*}.eml"
	cmp -s "$W/out" "$W/${m%%:*}.eml" || fail "${m%%:*}: output differs from input"
	grep -q "not signed: ${m#*:}" "$W/err" || fail "${m%%:*}: $(cat "$W/err")"
done

# Errors: nothing written, exit 3 (key missing on the token, bad configuration); usage: 2.
expect_rc 3 $SIGN -c "$W/relaxed.conf" --domain broken.test <"$W/lf.eml"
[ ! -s "$W/out" ] || fail "output written despite a missing key"
grep -q '"not-on-token"' "$W/err" || fail "missing key not named: $(cat "$W/err")"
expect_rc 3 $SIGN -c "$W/nonexistent.conf" <"$W/lf.eml"
expect_rc 2 $SIGN <"$W/lf.eml"
expect_rc 0 $SIGN --help
echo "sign: ok"
