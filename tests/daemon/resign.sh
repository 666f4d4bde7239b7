#!/bin/sh
# A DKIM-Signature with our d= and s= (issue 16, M2): the daemon skips a message only when such
# a field verifies with its own key over that very message, the content-filter re-injection
# case, in relaxed/relaxed and simple/simple. A forged one (garbage b=, a copied signature over
# another body) is signed over, with one log line naming why and a metric; the new signatures
# are judged by dkimpy and libopendkim, and the old ones seen to fail (negative control).
. "$top_srcdir/tests/daemon/lib.sh"
dt_init resign
M=$T/msg
mkdir -p "$M"
DT_EXTRA="metrics_file = \"$T/p11dkim.prom\"; metrics_interval = 1;"

# The message with only its first N DKIM-Signature fields (ours: the daemon inserts at the top).
keep_sigs() {
	"$PYTHON" - "$1" "$2" "$3" <<'PY'
import re, sys
msg = open(sys.argv[1], "rb").read()
head, sep, body = msg.partition(b"\r\n\r\n")
fields, kept, out = re.split(rb"\r\n(?![ \t])", head), 0, []
for f in fields:
    if f.lower().startswith(b"dkim-signature:"):
        kept += 1
        if kept > int(sys.argv[2]):
            continue
    out.append(f)
open(sys.argv[3], "wb").write(b"\r\n".join(out) + sep + body)
PY
}

# dkimpy on the whole message: exactly $2 signatures pass and $3 fail.
judge_all() {
	"$PYTHON" "$top_srcdir/tests/lib/dkim-verify.py" "$T/dns.txt" "$1" >"$T/all.out" 2>&1 || true
	[ "$(grep -c '^PASS' "$T/all.out")" -eq "$2" ] && [ "$(grep -c '^FAIL' "$T/all.out")" -eq "$3" ] ||
		{ cat "$T/all.out"; dt_fail "$1: expected $2 good and $3 bad signatures"; }
}

for c in relaxed/relaxed simple/simple; do
	DT_SIGN="canonicalization = \"$c\";" dt_conf "$T/p11dkim.conf"
	dt_start "$T/p11dkim.conf"
	q=$(echo "$c" | tr -d /)

	# Signed once, then back through the milter: verified, not signed again.
	dt_msg "$M/first" 'From: Alice <alice@example.com>\r\nCc: x@example.org,\r\n y@example.org\r\n'
	dt_send "$T/out.first" "$M/first" -q "Q1$q"
	dt_expect "action=c signatures=2"
	dt_verify "$T/out.first" 2
	dt_send "$T/out.again" "$T/out.first" -q "Q2$q"
	dt_expect "action=a signatures=0"
	dt_log_has "Q2$q: not signed: already signed by d=example.com s=rsa (verified)"
	dt_verify "$T/out.again" 2

	# Our signature copied onto another body: signed over.
	sed 's/this is  a test body/this is another body/' "$T/out.first" >"$M/copied"
	cmp -s "$M/copied" "$T/out.first" && dt_fail "body not changed"
	dt_send "$T/out.copied" "$M/copied" -q "Q3$q"
	dt_expect "action=c signatures=2"
	dt_log_has "Q3$q: a DKIM-Signature with d=example.com s=rsa is not ours (body hash (bh=) does not match this body): signing over it"
	judge_all "$T/out.copied" 2 2
	keep_sigs "$T/out.copied" 2 "$T/out.copied.ours"
	dt_verify "$T/out.copied.ours" 2

	# A changed signed header field, the body untouched: the old b= fails, signed over.
	sed 's/^Cc: x@example.org,/Cc: z@example.org,/' "$T/out.first" >"$M/hdr"
	cmp -s "$M/hdr" "$T/out.first" && dt_fail "header not changed"
	dt_send "$T/out.hdr" "$M/hdr" -q "Q4$q"
	dt_expect "action=c signatures=2"
	dt_log_has "Q4$q: a DKIM-Signature with d=example.com s=rsa is not ours (signature (b=) does not verify): signing over it"
	judge_all "$T/out.hdr" 2 2
	dt_wait_metric 'p11dkim_messages_signed_over_total 2'
	dt_wait_metric 'p11dkim_messages_unsigned_total{reason="already_signed"} 1'
	dt_stop
done

# Forged fields on a fresh message (relaxed/relaxed from here on): the right body hash with a
# garbage b=, and tag names in capitals (not d= and s= at all, RFC 6376 3.2: nobody's, no line).
DT_SIGN='canonicalization = "relaxed/relaxed";' dt_conf "$T/p11dkim.conf"
dt_start "$T/p11dkim.conf"
body='Hello,\r\n  this is  a test body.\r\n\r\n'
bh=$(printf 'Hello,\r\n this is a test body.\r\n' | openssl dgst -sha256 -binary | base64)
b=$(printf '%064d' 0 | base64 -w0) # an Ed25519 signature's size (dkimpy refuses others)
dt_msg "$M/forged" "DKIM-Signature: v=1; a=ed25519-sha256; c=relaxed/relaxed; d=example.com;\r\n s=ed; h=From:To:Subject; bh=$bh;\r\n b=$b\r\nFrom: alice@example.com\r\n" "$body"
dt_send "$T/out.forged" "$M/forged" -q Q5FORGED
dt_expect "action=c signatures=2"
dt_log_has "Q5FORGED: a DKIM-Signature with d=example.com s=ed is not ours (signature (b=) does not verify): signing over it"
judge_all "$T/out.forged" 2 1
keep_sigs "$T/out.forged" 2 "$T/out.forged.ours"
dt_verify "$T/out.forged.ours" 2
dt_msg "$M/caps" 'DKIM-Signature: D=example.com; S=rsa; b=x\r\nFrom: alice@example.com\r\n'
dt_send "$T/out.caps" "$M/caps" -q Q6CAPS
dt_expect "action=c signatures=2"
grep -q "Q6CAPS: a DKIM-Signature" "$T/log" && dt_fail "a field with D= and S= judged as ours"
dt_log_has "Q6CAPS: signed: "

# More header fields than the verifier keeps (1000; the signer keeps only those it signs):
# signed, and a DKIM-Signature past the caps is not checked, so it is signed over, never passed.
dt_msg_many "$M/many" 'X-Trace: %d' 1100
dt_send "$T/out.many" "$M/many" -q Q8MANY
dt_expect "action=c signatures=2"
grep -q "Q8MANY: a DKIM-Signature" "$T/log" && dt_fail "a message without DKIM-Signature judged"
sed 's/^Subject: many/DKIM-Signature: v=1; d=example.com; s=rsa; b=x\r\nSubject: many/' "$M/many" >"$M/many-sig"
dt_send "$T/out.many-sig" "$M/many-sig" -q Q9MANYSIG
dt_expect "action=c signatures=2"
dt_log_has "Q9MANYSIG: a DKIM-Signature with d=example.com s=rsa is not ours (not checked: headers beyond the verifier's caps): signing over it"
dt_wait_metric 'p11dkim_messages_signed_over_total 2'
dt_stop
DT_SIGN='canonicalization = "relaxed/relaxed"; resign = true;' dt_conf "$T/p11dkim.conf"
dt_start "$T/p11dkim.conf"
# resign = true: our own good signature is no reason to skip; nothing is judged or logged.
dt_send "$T/out.resign" "$T/out.forged.ours" -q Q7RESIGN
dt_expect "action=c signatures=2"
grep -q "Q7RESIGN: a DKIM-Signature" "$T/log" && dt_fail "resign = true still judged the field"
keep_sigs "$T/out.resign" 2 "$T/out.resign.ours"
dt_verify "$T/out.resign.ours" 2
dt_wait_metric 'p11dkim_messages_signed_over_total 0'
dt_stop
echo "PASS: $DT_VERIFIED signatures verified by dkimpy and libopendkim"
