#!/bin/sh
# Independent verification of dkim/: signs the sample messages with in-memory
# keys (RSA-2048 and Ed25519; all four canonicalizations; RSA, Ed25519 and
# both side by side over two domains) and has two verifiers that share no
# code with us judge every signature: dkimpy (tests/lib/dkim-verify.py) and
# libopendkim (tests/dkim/dkim-odkim-verify), both with the keys from a file
# instead of DNS. Negative controls: a changed body and a changed signed
# header must fail in both, so the judges are seen to judge.
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

"$bin/dkim-sign-inmem" "$tmp" "$top_srcdir"/tests/dkim/data/*.eml >"$tmp/files" ||
	fail "dkim-sign-inmem"
nmsg=$(ls "$top_srcdir"/tests/dkim/data/*.eml | wc -l)
nfiles=$(wc -l <"$tmp/files")
[ "$nfiles" -eq $((nmsg * 12)) ] || fail "expected $((nmsg * 12)) signed files, got $nfiles"
# rsa + ed25519 + both (2) per message and canonicalization
nsigs=$((nmsg * 4 * 4))

# shellcheck disable=SC2046
"$PYTHON" "$top_srcdir/tests/lib/dkim-verify.py" "$tmp/keys.txt" $(cat "$tmp/files") \
	>"$tmp/dkimpy.out" 2>&1 || { cat "$tmp/dkimpy.out"; fail "dkimpy rejected a signature"; }
# shellcheck disable=SC2046
"$bin/dkim-odkim-verify" "$tmp/keys.txt" $(cat "$tmp/files") >"$tmp/odkim.out" 2>&1 ||
	{ cat "$tmp/odkim.out"; fail "libopendkim rejected a signature"; }

for judge in dkimpy odkim; do
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
	done
done
echo "negative controls: altered body and altered signed header fail in both verifiers"
