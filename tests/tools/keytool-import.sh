#!/bin/sh
# `import` and `import-opendkim` from keys and tables made the OpenDKIM way
# (opendkim-genkey): the imported keys are sensitive and not extractable, their
# `dns` records carry the same p= as opendkim-genkey's .txt files, and they sign:
# signatures made on the token (by pkcs11-tool) verify with the original key
# file's public key (by openssl).
. "$(dirname "$0")/keytool-lib.sh"
command -v opendkim-genkey >/dev/null 2>&1 || {
	echo "SKIP: opendkim-genkey (opendkim-tools) not installed"
	exit 77
}
kt_setup
mkdir "$W/od"
opendkim-genkey -D "$W/od" -d a.test -s s1 || fail "opendkim-genkey a.test"
opendkim-genkey -D "$W/od" -d b.test -s s2 || fail "opendkim-genkey b.test"
opendkim-genkey -D "$W/od" -d c.test -s s3 || fail "opendkim-genkey c.test"
# PKCS#1 ("BEGIN RSA PRIVATE KEY"), as older opendkim-genkey wrote it.
openssl pkey -in "$W/od/s2.private" -traditional -out "$W/od/s2.pkcs1" || fail "openssl pkey -traditional"
grep -q 'BEGIN RSA PRIVATE KEY' "$W/od/s2.pkcs1" || fail "no PKCS#1 key"
openssl genpkey -algorithm ed25519 -out "$W/od/ed.pem" || fail "openssl genpkey ed25519"
openssl pkey -in "$W/od/ed.pem" -pubout -out "$W/od/ed.pub" || fail "openssl pkey -pubout"
openssl pkey -in "$W/od/s1.private" -pubout -out "$W/od/s1.pub" || fail "openssl pkey -pubout"

# p= of an opendkim-genkey .txt file.
txt_p() {
	dns_join "$1" | sed -n 's/.*p=\([A-Za-z0-9+/=]*\).*/\1/p'
}
# dns_p LABEL: p= as the keytool prints it.
dns_p() {
	$KT dns --label "$1" --domain x.test --selector s --one-line | sed -n 's/.*p=//p'
}

# import: PKCS#8 RSA, PKCS#1 RSA, PKCS#8 Ed25519.
expect_rc 0 $KT import --label imp-s1 --pem "$W/od/s1.private"
grep -q "destroy $W/od/s1.private" "$W/out" || fail "import does not tell to destroy the file: $(cat "$W/out")"
expect_rc 0 $KT import --label imp-s2 --pem "$W/od/s2.pkcs1"
expect_rc 0 $KT import --label imp-ed --pem "$W/od/ed.pem"
[ -n "$(txt_p "$W/od/s1.txt")" ] || fail "no p= in s1.txt"
[ "$(dns_p imp-s1)" = "$(txt_p "$W/od/s1.txt")" ] || fail "imp-s1: dns p= differs from s1.txt"
[ "$(dns_p imp-s2)" = "$(txt_p "$W/od/s2.txt")" ] || fail "imp-s2: dns p= differs from s2.txt"
[ "$(dns_p imp-ed)" = "$(openssl pkey -pubin -in "$W/od/ed.pub" -outform DER | tail -c 32 | openssl base64 -A)" ] ||
	fail "imp-ed: dns p= differs from the key file's public key"
# check --record against opendkim-genkey's own .txt (comment and h= included).
expect_rc 0 $KT check --label imp-s1 --domain a.test --selector s1 --record "$W/od/s1.txt"

# Attributes: per the keytool and per pkcs11-tool.
expect_rc 0 $KT list
for l in imp-s1 imp-s2 imp-ed; do
	grep -E -q "^$l +id=[0-9a-f]{32} type=(rsa2048|ed25519) sensitive=yes extractable=no public=yes\$" "$W/out" ||
		fail "list $l: $(cat "$W/out")"
done
$P11TOOL -O --type privkey >"$W/objs" 2>/dev/null || fail "pkcs11-tool -O"
for l in imp-s1 imp-s2 imp-ed; do
	awk -v l="$l" '/label:/ { cur = $2 } /Access:/ && cur == l { print }' "$W/objs" >"$W/access"
	grep -q 'sensitive' "$W/access" || fail "$l not sensitive per pkcs11-tool: $(cat "$W/access")"
	! grep -q ' extractable' "$W/access" || fail "$l extractable per pkcs11-tool: $(cat "$W/access")"
done

# The imported keys sign, and the signatures verify with the original files' public keys.
printf 'From: a@a.test\r\n\r\nhello\r\n' >"$W/data"
# pkcs11-tool 0.23 ignores --label when signing (it takes the first key): select by CKA_ID.
id=$($KT list | sed -n 's/^imp-s1 *id=\([0-9a-f]*\) .*/\1/p')
[ -n "$id" ] || fail "no id for imp-s1"
$P11TOOL --sign --mechanism SHA256-RSA-PKCS --id "$id" -i "$W/data" -o "$W/sig" >/dev/null 2>&1 ||
	fail "pkcs11-tool cannot sign with imp-s1"
openssl dgst -sha256 -verify "$W/od/s1.pub" -signature "$W/sig" "$W/data" >/dev/null ||
	fail "imp-s1 signature does not verify with s1.private's public key"
# pkcs11-tool 0.23 signs Ed25519 in several parts, which SoftHSM refuses: our one-part helper signs
# (through p11_sign, which takes 32 bytes: a digest, as DKIM signs).
openssl dgst -sha256 -binary "$W/data" >"$W/data32"
"$top_builddir/tests/tools/keytool-signer" "$P11DKIM_MODULE" "$P11DKIM_TOKEN" "$P11DKIM_PIN_FILE" imp-ed ed25519 \
	<"$W/data32" >"$W/sig" || fail "cannot sign with imp-ed"
[ "$(wc -c <"$W/sig")" = 64 ] || fail "imp-ed signature is not 64 bytes"
mv "$W/data32" "$W/data"
openssl pkeyutl -verify -pubin -inkey "$W/od/ed.pub" -rawin -in "$W/data" -sigfile "$W/sig" >/dev/null ||
	fail "imp-ed signature does not verify with ed.pem's public key"
# Tamper check: the verification can fail.
printf 'x' >>"$W/data"
! openssl pkeyutl -verify -pubin -inkey "$W/od/ed.pub" -rawin -in "$W/data" -sigfile "$W/sig" >/dev/null 2>&1 ||
	fail "a signature over other data verified"

# Refusals.
expect_rc 3 $KT import --label imp-s1 --pem "$W/od/s3.private"
grep -q '"imp-s1" exists already' "$W/err" || fail "duplicate import: $(cat "$W/err")"
echo "not a key" >"$W/junk.pem"
expect_rc 3 $KT import --label junk --pem "$W/junk.pem"
expect_rc 3 $KT import --label junk --pem "$W/nonexistent.pem"
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:768 -out "$W/small.pem" 2>/dev/null || fail "genpkey 768"
expect_rc 3 $KT import --label small --pem "$W/small.pem"
grep -q 'under 1024 bits' "$W/err" || fail "768-bit key: $(cat "$W/err")"
expect_rc 2 $KT import --label nopem

# import-opendkim: KeyTable and refile SigningTable, the wildcard forms, d=%, a per-user rule.
cat >"$W/od/KeyTable" <<EOT
# OpenDKIM KeyTable
key-a	a.test:s1:$W/od/s1.private
key-b   b.test:s2:$W/od/s2.pkcs1
key-c	%:s3:$W/od/s3.private
key-unused unused.test:s9:$W/od/nonexistent
EOT
cat >"$W/od/SigningTable" <<EOT
*@a.test	key-a
*@*.b.test	key-b
c.test key-c   # the plain (file:) form
joe@a.test key-a
EOT
n_before=$($KT list | wc -l)
expect_rc 0 $KT import-opendkim --keytable "$W/od/KeyTable" --signingtable "refile:$W/od/SigningTable" --dry-run
[ "$($KT list | wc -l)" = "$n_before" ] || fail "--dry-run changed the token"
expect_rc 0 $KT import-opendkim --keytable "file:$W/od/KeyTable" --signingtable "refile:$W/od/SigningTable" \
	--label-prefix mig-
cp "$W/out" "$W/domains.conf"
cat "$W/domains.conf"
grep -q 'joe@a.test' "$W/err" || fail "per-user rule not warned about: $(cat "$W/err")"
grep -q 'key-unused' "$W/err" || fail "unused key not warned about: $(cat "$W/err")"
# One entry per domain, selectors kept, subdomains for *@*.b.test.
tr -d '\n' <"$W/domains.conf" | tr -s ' ' >"$W/flat"
grep -q '^domains = ( ' "$W/flat" || fail "no domains section"
grep -q '{ domain = "a.test"; keys = ( { selector = "s1"; key = "mig-a.test-s1"; } ); }' "$W/flat" ||
	fail "a.test entry: $(cat "$W/flat")"
grep -q '{ domain = "b.test"; subdomains = true; keys = ( { selector = "s2"; key = "mig-b.test-s2"; } ); }' "$W/flat" ||
	fail "b.test entry: $(cat "$W/flat")"
grep -q '{ domain = "c.test"; keys = ( { selector = "s3"; key = "mig-c.test-s3"; } ); }' "$W/flat" ||
	fail "c.test entry: $(cat "$W/flat")"
[ "$(grep -c 'domain = ' "$W/domains.conf")" = 3 ] || fail "not 3 domains"
# The imported keys are the OpenDKIM keys.
[ "$(dns_p mig-a.test-s1)" = "$(txt_p "$W/od/s1.txt")" ] || fail "mig-a.test-s1: p= differs from s1.txt"
[ "$(dns_p mig-b.test-s2)" = "$(txt_p "$W/od/s2.txt")" ] || fail "mig-b.test-s2: p= differs from s2.txt"
[ "$(dns_p mig-c.test-s3)" = "$(txt_p "$W/od/s3.txt")" ] || fail "mig-c.test-s3: p= differs from s3.txt"
# Run again: every label exists, so every import fails (exit 1), the section is still printed.
expect_rc 1 $KT import-opendkim --keytable "$W/od/KeyTable" --signingtable "$W/od/SigningTable" --label-prefix mig-
grep -q 'exists already' "$W/err" || fail "second migration: $(cat "$W/err")"
# A SigningTable naming a key the KeyTable lacks is an error.
echo '*@d.test key-d' >"$W/od/BadTable"
expect_rc 3 $KT import-opendkim --keytable "$W/od/KeyTable" --signingtable "$W/od/BadTable"
grep -q 'key-d is not in the KeyTable' "$W/err" || fail "unknown key: $(cat "$W/err")"
echo "import: ok"
