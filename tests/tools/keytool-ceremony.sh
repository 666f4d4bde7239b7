#!/bin/sh
# The key ceremony on a fresh SoftHSM token: generate RSA-2048 and Ed25519 keys,
# check their attributes independently (pkcs11-tool), refuse a duplicate label,
# print DNS records and compare them with the public keys read by pkcs11-tool,
# bench briefly, delete; plus --help and the exit codes of usage and token errors.
. "$(dirname "$0")/keytool-lib.sh"
kt_setup

# --help of every command exits 0 and documents the exit codes.
for cmd in list generate import import-opendkim dns check delete bench wrapkey replicate; do
	expect_rc 0 $KTBIN $cmd --help
	grep -q '^usage: p11dkim-keytool' "$W/out" || fail "$cmd --help: no usage line"
	grep -q 'Exit codes' "$W/out" || fail "$cmd --help: exit codes not documented"
done
expect_rc 2 $KTBIN
expect_rc 2 $KTBIN frobnicate
expect_rc 2 $KT generate --label x --type rsa1024
expect_rc 2 $KT generate --type ed25519

# Token errors name the token; a wrong PIN is exit 3.
expect_rc 3 $KTBIN --module "$P11DKIM_MODULE" --token nosuchtoken --pin-file "$P11DKIM_PIN_FILE" list
grep -q '"nosuchtoken"' "$W/err" || fail "missing token not named: $(cat "$W/err")"
(umask 077 && echo 0000 >"$W/badpin")
expect_rc 3 $KTBIN --module "$P11DKIM_MODULE" --token "$P11DKIM_TOKEN" --pin-file "$W/badpin" list
grep -q 'CKR_PIN_INCORRECT' "$W/err" || fail "wrong PIN not reported: $(cat "$W/err")"
chmod 644 "$W/badpin"
expect_rc 3 $KTBIN --module "$P11DKIM_MODULE" --token "$P11DKIM_TOKEN" --pin-file "$W/badpin" list
grep -q 'group or others' "$W/err" || fail "readable PIN file accepted"

# Generate.
expect_rc 0 $KT generate --label ceremony-rsa --type rsa2048
expect_rc 0 $KT generate --label ceremony-ed --type ed25519
expect_rc 3 $KT generate --label ceremony-rsa --type ed25519
grep -q '"ceremony-rsa" exists already' "$W/err" || fail "duplicate label: $(cat "$W/err")"
grep -q "\"$P11DKIM_TOKEN\"" "$W/err" || fail "duplicate label: token not named"

# list: type, size, attributes, public key object.
expect_rc 0 $KT list
grep -E -q '^ceremony-rsa +id=[0-9a-f]{32} type=rsa2048 sensitive=yes extractable=no public=yes$' "$W/out" ||
	fail "list (rsa): $(cat "$W/out")"
grep -E -q '^ceremony-ed +id=[0-9a-f]{32} type=ed25519 sensitive=yes extractable=no public=yes$' "$W/out" ||
	fail "list (ed25519): $(cat "$W/out")"
[ "$(wc -l <"$W/out")" = 2 ] || fail "list shows $(wc -l <"$W/out") keys, expected 2"
# The token as a URI, scheme in capitals (RFC 3986: case-insensitive) and percent-encoded.
tok_enc=$(printf '%s' "$P11DKIM_TOKEN" | od -An -tx1 | tr -d ' \n' | sed 's/../%&/g')
expect_rc 0 $KTBIN --module "$P11DKIM_MODULE" --token "PKCS11:token=$tok_enc" --pin-file "$P11DKIM_PIN_FILE" list
grep -q '^ceremony-ed ' "$W/out" || fail "list with PKCS11:token=$tok_enc: $(cat "$W/out")"
# A URI that can match nothing (RFC 7512 2.4) or carries a PIN is refused, naming the reason.
expect_rc 3 $KTBIN --module "$P11DKIM_MODULE" --token "pkcs11:token=$P11DKIM_TOKEN;slot-id=0" --pin-file "$P11DKIM_PIN_FILE" list
grep -q "'slot-id'" "$W/err" || fail "unknown URI attribute not named: $(cat "$W/err")"
expect_rc 3 $KTBIN --module "$P11DKIM_MODULE" --token "pkcs11:token=$P11DKIM_TOKEN?pin-value=s3cret" --pin-file "$P11DKIM_PIN_FILE" list
grep -q 'pin_file or pin_env' "$W/err" && ! grep -q s3cret "$W/err" || fail "pin-value: $(cat "$W/err")"

# -c FILE: the daemon's configuration gives the token, and list shows who uses each key.
cat >"$W/p11dkim.conf" <<EOT
token: { module = "$P11DKIM_MODULE"; token = "$P11DKIM_TOKEN"; pin_file = "$P11DKIM_PIN_FILE"; };
domains = (
  { domain = "example.test"; subdomains = true;
    keys = ( { selector = "rsa1"; key = "ceremony-rsa"; },
             { selector = "ed1"; key = "PKCS11:object=ceremony%2Ded;type=private"; } ); },
  { domain = "other.test"; keys = ( { selector = "s"; key = "ceremony-rsa"; },
                                    { selector = "gone"; key = "not-on-token"; } ); }
);
EOT
chmod 600 "$W/p11dkim.conf"
expect_rc 0 $KTBIN -c "$W/p11dkim.conf" list
grep -E -q '^ceremony-rsa .* used-by=example.test:rsa1,other.test:s$' "$W/out" || fail "list -c (rsa): $(cat "$W/out")"
grep -E -q '^ceremony-ed .* used-by=example.test:ed1$' "$W/out" || fail "list -c (ed): $(cat "$W/out")"
grep -q 'other.test:gone uses key "not-on-token", which is not on token' "$W/err" ||
	fail "list -c: missing key not reported: $(cat "$W/err")"
echo 'token: { module = ' >"$W/bad.conf"
chmod 600 "$W/bad.conf"
expect_rc 3 $KTBIN -c "$W/bad.conf" list
grep -q 'bad.conf' "$W/err" || fail "bad configuration not named: $(cat "$W/err")"

# The same attributes seen by pkcs11-tool, independently of our code.
$P11TOOL -O --type privkey >"$W/objs" 2>/dev/null || fail "pkcs11-tool -O"
for l in ceremony-rsa ceremony-ed; do
	awk -v l="$l" '/label:/ { cur = $2 } /Access:/ && cur == l { print }' "$W/objs" >"$W/access"
	grep -q 'sensitive, always sensitive, never extractable, local' "$W/access" ||
		fail "$l attributes per pkcs11-tool: $(cat "$W/access")"
	awk -v l="$l" '/label:/ { cur = $2 } /Usage:/ && cur == l { print }' "$W/objs" >"$W/usage"
	grep -E -q 'Usage: +sign$' "$W/usage" || fail "$l usage per pkcs11-tool: $(cat "$W/usage")"
done

# dns: zone-file line, strings <= 255 bytes, joined value carries the token's key.
for l in ceremony-rsa ceremony-ed; do
	case $l in *rsa) k=rsa ;; *) k=ed25519 ;; esac
	expect_rc 0 $KT dns --label $l --domain example.test --selector sel1
	cp "$W/out" "$W/zone"
	head -1 "$W/zone" | grep -q '^sel1._domainkey.example.test. IN TXT ( "' || fail "$l dns: $(cat "$W/zone")"
	[ "$(dns_longest "$W/zone")" -le 255 ] || fail "$l dns: a string over 255 bytes"
	want="v=DKIM1; k=$k; p=$(pubkey_p $l)"
	got=$(dns_join "$W/zone")
	[ "$got" = "$want" ] || fail "$l dns record
got:  $got
want: $want"
	# --one-line is the same value; --testing adds t=y; --revoke empties p=.
	expect_rc 0 $KT dns --label $l --domain example.test --selector sel1 --one-line
	[ "$(cat "$W/out")" = "$want" ] || fail "$l dns --one-line: $(cat "$W/out")"
	expect_rc 0 $KT dns --label $l --domain example.test --selector sel1 --one-line --testing
	[ "$(cat "$W/out")" = "v=DKIM1; k=$k; t=y; p=$(pubkey_p $l)" ] || fail "$l dns --testing: $(cat "$W/out")"
	expect_rc 0 $KT dns --label $l --domain example.test. --selector sel1 --revoke
	[ "$(dns_join "$W/out")" = "v=DKIM1; k=$k; p=" ] || fail "$l dns --revoke: $(cat "$W/out")"
done
# The RSA record needs more than one string.
expect_rc 0 $KT dns --label ceremony-rsa --domain example.test --selector sel1
[ "$(grep -c '"' "$W/out")" -ge 3 ] || fail "RSA-2048 record not split: $(cat "$W/out")"
expect_rc 0 $KTBIN dns --revoke --type ed25519 --domain example.test --selector old
[ "$(dns_join "$W/out")" = "v=DKIM1; k=ed25519; p=" ] || fail "dns --revoke --type: $(cat "$W/out")"
expect_rc 2 $KT dns --label ceremony-rsa --domain 'bad domain' --selector sel1
expect_rc 3 $KT dns --label nosuchkey --domain example.test --selector sel1
grep -q '"nosuchkey"' "$W/err" || fail "missing key not named: $(cat "$W/err")"

# bench: key=value figures, signatures made by both keys.
for l in ceremony-rsa ceremony-ed; do
	expect_rc 0 $KT bench --label $l --threads 2 --seconds 0.3
	total=$(sed -n 's/^label=.* signs=\([0-9]*\) .*/\1/p' "$W/out")
	[ -n "$total" ] && [ "$total" -gt 0 ] || fail "$l bench: $(cat "$W/out")"
	[ "$(grep -c '^thread=' "$W/out")" = 2 ] || fail "$l bench: not 2 thread lines"
	grep -E -q '^label=.* signs_per_sec=[0-9.]+$' "$W/out" || fail "$l bench: no rate"
	# Through the daemon's pool: one session per thread, nothing dropped.
	grep -q '^pool_sessions=2 retries=0 session_drops=0 pool_timeouts=0$' "$W/out" || fail "$l bench pool: $(cat "$W/out")"
	grep '^label=' "$W/out"
done

# delete: needs --yes, destroys private and public objects, then the label is free again.
expect_rc 2 $KT delete --label ceremony-ed
expect_rc 0 $KT delete --label ceremony-ed --yes
grep -q 'destroyed 2 objects' "$W/out" || fail "delete: $(cat "$W/out")"
expect_rc 3 $KT delete --label ceremony-ed --yes
$P11TOOL -O >"$W/objs" 2>/dev/null || fail "pkcs11-tool -O"
! grep -q 'ceremony-ed' "$W/objs" || fail "ceremony-ed objects left: $(cat "$W/objs")"
grep -q 'ceremony-rsa' "$W/objs" || fail "delete removed the other key"
expect_rc 0 $KT generate --label ceremony-ed --type ed25519
echo "ceremony: ok"
