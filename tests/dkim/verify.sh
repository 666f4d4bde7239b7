#!/bin/sh
# Independent verification of dkim/: signs the sample messages with in-memory
# keys (RSA-2048 and Ed25519; all four canonicalizations; RSA, Ed25519 and
# both side by side over two domains; a 250 KB message of traps and 1 MB of
# prose among them) and has two verifiers that share no code with us judge
# every signature: dkimpy (tests/lib/dkim-verify.py) and
# libopendkim (tests/dkim/dkim-odkim-verify), both with the keys from a file
# instead of DNS; then the opendkim filter in test mode where it can judge.
# Negative controls: a changed body and a changed signed header must fail,
# so the judges are seen to judge.
set -eu
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=.}"
: "${PYTHON:=/usr/bin/python3}"

bin="$top_builddir/tests/dkim"
if ! "$PYTHON" -c 'import dkim' 2>/dev/null; then
	echo "SKIP: dkimpy (python3-dkim) is not installed for $PYTHON"
	exit 77
fi
tmp=$(mktemp -d "${TMPDIR:-/tmp}/dkim-verify.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM

fail() {
	echo "FAIL: $*"
	exit 1
}

# A larger message too: about 250 KB, lines with WSP runs, trailing WSP,
# whitespace-only and empty lines, bare LF and CRLF mixed, 8-bit text.
mkdir "$tmp/in"
"$PYTHON" - "$tmp/in/large.eml" <<'PY'
import random, sys
r = random.Random(6376)
out = [b"From: Large <large@example.com>\r\nTo: someone@example.org\r\n",
       b"Subject: a large message,\r\n\tfolded once\r\nMIME-Version: 1.0\r\n",
       b"Content-Type: text/plain; charset=utf-8\r\n\r\n"]
words = [b"alpha", b"beta", b"gamma", b"caf\xc3\xa9", b"  ", b"\t", b"delta"]
for i in range(6000):
    k = r.random()
    if k < 0.08:
        line = b""
    elif k < 0.12:
        line = b" \t "
    else:
        line = b" ".join(r.choice(words) for _ in range(r.randint(1, 12)))
        if r.random() < 0.2:
            line += b"  \t"
    out.append(line + (b"\n" if r.random() < 0.3 else b"\r\n"))
out.append(b"\r\n \r\n\r\n")
open(sys.argv[1], "wb").write(b"".join(out))
PY
# And 1 MB of prose as the daemon meets it (issue 17): words and single SPs in
# lines of at most 70 columns, now and then two SPs after a full stop and a
# flowed line's trailing SP, so that the body canonicalizer's SIMD scanner
# does nearly all of the work.
"$PYTHON" - "$tmp/in/prose-1m.eml" <<'PY'
import random, sys
r = random.Random(17)
words = (b"the of and a to in is message signed token that it for was on are with as mail "
         b"server be at this have from or one quarterly report, figures. domain body. key").split()
out = [b"From: Prose <prose@example.com>\r\nTo: someone@example.org\r\n",
       b"Subject: one megabyte of prose\r\nMIME-Version: 1.0\r\n",
       b"Content-Type: text/plain; charset=utf-8\r\n\r\n"]
size = sum(map(len, out))
line = b""
while size < 1024 * 1024:
    w = r.choice(words)
    if len(line) + 1 + len(w) > 70:
        k = r.random()
        line += b" " if k < 0.1 else b""
        out.append(line + b"\r\n" + (b"\r\n" if k > 0.95 else b""))
        size += len(out[-1])
        line = w
    else:
        line += (b"  " if line.endswith(b".") else b" ") + w if line else w
out.append(line + b"\r\n")
open(sys.argv[1], "wb").write(b"".join(out))
PY
cp "$top_srcdir"/tests/dkim/data/*.eml "$tmp/in/"
"$bin/dkim-sign-inmem" "$tmp" "$tmp"/in/*.eml >"$tmp/files" || fail "dkim-sign-inmem"
nmsg=$(ls "$tmp"/in/*.eml | wc -l)
nfiles=$(wc -l <"$tmp/files")
[ "$nfiles" -eq $((nmsg * 12)) ] || fail "expected $((nmsg * 12)) signed files, got $nfiles"
# rsa + ed25519 + both (2) per message and canonicalization
nsigs=$((nmsg * 4 * 4))

# shellcheck disable=SC2046
"$PYTHON" "$top_srcdir/tests/lib/dkim-verify.py" "$tmp/keys.txt" $(cat "$tmp/files") \
	>"$tmp/dkimpy.out" 2>&1 || { cat "$tmp/dkimpy.out"; fail "dkimpy rejected a signature"; }
# shellcheck disable=SC2046
"$bin/dkim-odkim-verify" "$tmp/keys.txt" $(cat "$tmp/files") >"$tmp/libopendkim.out" 2>&1 ||
	{ cat "$tmp/libopendkim.out"; fail "libopendkim rejected a signature"; }

for judge in dkimpy libopendkim; do
	n=$(grep -c '^PASS ' "$tmp/$judge.out" || true)
	[ "$n" -eq "$nsigs" ] || { cat "$tmp/$judge.out"; fail "$judge: $n of $nsigs signatures passed"; }
	for c in simple/simple simple/relaxed relaxed/simple relaxed/relaxed; do
		for a in rsa-sha256 ed25519-sha256; do
			n=$(grep '^PASS ' "$tmp/$judge.out" | grep -c " a=$a c=$c" || true)
			[ "$n" -eq $((nmsg * 2)) ] ||
				fail "$judge: $n passes for $a $c, expected $((nmsg * 2))"
		done
	done
	echo "$judge: $nsigs of $nsigs signatures verified (4 canonicalizations x 2 algorithms x $nmsg messages)"
done

# The opendkim filter itself, in test mode (opendkim -t), as receivers run it.
# Only relaxed header canonicalization: its milter layer rebuilds each header
# as "name: value" (one space after the colon), which simple cannot survive
# for fields like "Cc:" folded right after the colon; and only bodies that
# end in CRLF, as every SMTP body does (lf.eml's last line has none, which
# libopendkim accepts only with FIXCRLF, an option the filter does not set).
# It is one of the judges: without the binary the test fails, it does not
# quietly judge with two.
command -v opendkim >/dev/null 2>&1 || fail "opendkim (the opendkim package) is not installed"
printf 'Mode v\nSyslog no\nTestPublicKeys %s\n' "$tmp/keys.txt" >"$tmp/opendkim.conf"
want=0
got=0
for f in $(grep '\.relaxed-' "$tmp/files" | grep -v '/lf\.eml\.'); do
	case "$f" in *.both.eml) want=$((want + 2)) ;; *) want=$((want + 1)) ;; esac
	n=$(opendkim -x "$tmp/opendkim.conf" -vvv -t "$f" 2>&1 | grep -c '^[[:space:]]*dkim=pass' || true)
	[ "$n" -gt 0 ] || echo "opendkim -t: no pass for $f"
	got=$((got + n))
done
[ "$got" -eq "$want" ] || fail "opendkim -t: $got of $want signatures passed"
[ "$want" -ge 16 ] || fail "opendkim -t: only $want signatures checked"
echo "opendkim -t: $got of $want relaxed-header signatures verified"

# Negative controls on the message with folded headers, both signatures.
for c in simple-simple relaxed-relaxed; do
	src="$tmp/folded.eml.$c.both.eml"
	sed 's/^Hello Bob,/Hello Rob,/' "$src" >"$tmp/body-$c.eml"
	sed 's/^Date: Mon, 23 Nov/Date: Tue, 24 Nov/' "$src" >"$tmp/hdr-$c.eml"
	for t in body hdr; do
		cmp -s "$src" "$tmp/$t-$c.eml" && fail "negative control $t-$c did not change the message"
		if "$PYTHON" "$top_srcdir/tests/lib/dkim-verify.py" "$tmp/keys.txt" "$tmp/$t-$c.eml" \
			>"$tmp/neg.out" 2>&1; then
			cat "$tmp/neg.out"
			fail "dkimpy accepted the altered message $t-$c"
		fi
		[ "$(grep -c '^FAIL ' "$tmp/neg.out")" -eq 2 ] || fail "dkimpy: $t-$c not failed twice"
		if "$bin/dkim-odkim-verify" "$tmp/keys.txt" "$tmp/$t-$c.eml" >"$tmp/neg.out" 2>&1; then
			cat "$tmp/neg.out"
			fail "libopendkim accepted the altered message $t-$c"
		fi
		[ "$(grep -c '^FAIL ' "$tmp/neg.out")" -eq 2 ] || fail "libopendkim: $t-$c not failed twice"
		if [ "$c" = relaxed-relaxed ]; then
			n=$(opendkim -x "$tmp/opendkim.conf" -vvv -t "$tmp/$t-$c.eml" 2>&1 |
				grep -c '^[[:space:]]*dkim=fail' || true)
			[ "$n" -eq 2 ] || fail "opendkim -t: $t-$c not failed twice"
		fi
	done
done
echo "negative controls: altered body and altered signed header fail in every verifier"
