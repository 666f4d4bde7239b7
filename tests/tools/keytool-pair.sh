#!/bin/sh
# A pair of SoftHSM tokens holding the same keys (issue 15, item 7): a wrap key put on both by
# their security officers; a key generated --wrappable copied with replicate, whose copy signs
# (through pkcs11/'s key check, the daemon's) a signature that openssl verifies with the first
# token's public key, and that `p11dkim -n` accepts on a configuration listing both tokens; what
# SoftHSM 2.6 refuses (a key not made wrappable, a wrap key not trusted, CKA_TRUSTED set by the
# user, an Ed25519 key to wrap); import and import-opendkim into both tokens in one step; list
# and check flagging a label whose keys differ between the tokens.
. "$(dirname "$0")/keytool-lib.sh"
SIGNER=$top_builddir/tests/tools/keytool-signer
PROBE=$top_builddir/tests/tools/keytool-wrap-probe
DAEMON=$top_builddir/daemon/p11dkim
kt_setup

# The second token, in the same SoftHSM store.
T1=$P11DKIM_TOKEN
T2=${T1}2
softhsm2-util --init-token --free --label "$T2" --pin "$P11DKIM_PIN" --so-pin "$P11DKIM_SO_PIN" \
	>"$W/init2.out" 2>&1 || fail "second token: $(cat "$W/init2.out")"
(umask 077 && printf '%s' "$P11DKIM_SO_PIN" >"$W/sopin")
KT2="$KTBIN --module $P11DKIM_MODULE --pin-file $P11DKIM_PIN_FILE"
PAIR="$KT2 --token $T1 --token $T2"

# pub_der TOKEN LABEL OUT: the public key as DER SubjectPublicKeyInfo, read with pkcs11-tool.
pub_der() {
	pkcs11-tool --module "$P11DKIM_MODULE" --token-label "$1" --read-object --type pubkey \
		--label "$2" -o "$W/pub.raw" >/dev/null 2>&1 || fail "pkcs11-tool cannot read $2 on $1"
	openssl pkey -pubin -inform DER -in "$W/pub.raw" -outform DER -out "$3" 2>/dev/null ||
		openssl pkey -pubin -inform PEM -in "$W/pub.raw" -outform DER -out "$3" ||
		fail "openssl cannot read the public key $2 of $1"
}

# --- the wrap key, by each token's security officer ---------------------------------------
expect_rc 2 $PAIR wrapkey
grep -q 'security officer' "$W/err" || fail "wrapkey without SO PIN: $(cat "$W/err")"
expect_rc 0 $PAIR --record "$W/rec" wrapkey --so-pin-file "$W/sopin"
[ "$(grep -c 'created wrap key "p11dkim-wrap"' "$W/out")" = 2 ] || fail "wrapkey: $(cat "$W/out")"
python3 -c '
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
assert len(recs) == 2, recs
assert {r["token"] for r in recs} == {sys.argv[2], sys.argv[3]}, recs
for r in recs:
    assert r["action"] == "wrapkey" and r["algorithm"] == "aes" and r["bits"] == 256, r
    assert r["fingerprint"] is None and r["dns"] is None, r
assert recs[0]["key_id"] == recs[1]["key_id"], recs
' "$W/rec" "$T1" "$T2" || fail "wrapkey records: $(cat "$W/rec")"
# pkcs11-tool, independently: an AES key, wrap and unwrap only, sensitive, on both tokens.
for t in "$T1" "$T2"; do
	pkcs11-tool --module "$P11DKIM_MODULE" --token-label "$t" --login --pin "$P11DKIM_PIN" -O \
		--type secrkey --label p11dkim-wrap >"$W/wk" 2>/dev/null || fail "pkcs11-tool -O on $t"
	grep -q 'AES length 32' "$W/wk" && grep -E -q 'Usage: +wrap, unwrap$' "$W/wk" &&
		grep -q 'Access: .*sensitive' "$W/wk" || fail "wrap key on $t: $(cat "$W/wk")"
done
# A label in use changes nothing and says which token (a wrong SO PIN: at the end).
expect_rc 3 $PAIR wrapkey --so-pin-file "$W/sopin"
grep -q "\"$T1\": an object labelled \"p11dkim-wrap\" exists already" "$W/err" || fail "wrapkey twice: $(cat "$W/err")"
# --- replicate -------------------------------------------------------------------------------
expect_rc 0 $KT2 --token "$T1" generate --label pair-rsa --type rsa2048 --wrappable
expect_rc 0 $KT2 --token "$T1" list
grep -E -q '^pair-rsa .* sensitive=yes extractable=wrapped-only public=yes$' "$W/out" ||
	fail "list of a wrappable key: $(cat "$W/out")"
: >"$W/rec"
expect_rc 0 $KT2 --record "$W/rec" replicate --label pair-rsa --from "$T1" --to "$T2"
grep -q "copied \"pair-rsa\" from token \"$T1\" to token \"$T2\": same public key, sensitive and wrapped-only" \
	"$W/out" || fail "replicate: $(cat "$W/out")"
python3 -c '
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
assert len(recs) == 1, recs
r = recs[0]
assert r["action"] == "replicate" and r["token"] == sys.argv[3] and r["from_token"] == sys.argv[2], r
assert r["wrap_key"] == "p11dkim-wrap" and r["algorithm"] == "rsa" and r["bits"] == 2048, r
' "$W/rec" "$T1" "$T2" || fail "replicate record: $(cat "$W/rec")"
# Both copies: the same CKA_ID, the same public key (pkcs11-tool and openssl, not our code).
pub_der "$T1" pair-rsa "$W/p1.der"
pub_der "$T2" pair-rsa "$W/p2.der"
cmp -s "$W/p1.der" "$W/p2.der" || fail "the copy has another public key"
# The copy signs through pkcs11/'s key check (the daemon's), and the first token's public key
# verifies it.
printf 'signed on the second token\n' >"$W/msg"
"$SIGNER" "$P11DKIM_MODULE" "$T2" "$P11DKIM_PIN_FILE" pair-rsa rsa <"$W/msg" >"$W/sig" ||
	fail "the copy does not sign"
openssl dgst -sha256 -verify "$W/p1.der" -keyform DER -signature "$W/sig" "$W/msg" >/dev/null ||
	fail "the copy's signature does not verify with the original's public key"
# The judge can fail: another message does not verify.
printf 'another message\n' >"$W/msg2"
! openssl dgst -sha256 -verify "$W/p1.der" -keyform DER -signature "$W/sig" "$W/msg2" >/dev/null 2>&1 ||
	fail "openssl verified the wrong message"
# The daemon, on a configuration listing both tokens, accepts the wrapped-only key on both.
cat >"$W/pair.conf" <<EOT
tokens = ( { module = "$P11DKIM_MODULE"; token = "$T1"; pin_file = "$P11DKIM_PIN_FILE"; },
           { module = "$P11DKIM_MODULE"; token = "$T2"; pin_file = "$P11DKIM_PIN_FILE"; } );
domains = ( { domain = "example.test"; keys = ( { selector = "pair"; key = "pair-rsa"; } ); } );
EOT
chmod 600 "$W/pair.conf"
expect_rc 0 "$DAEMON" -n -c "$W/pair.conf"
grep -q "key \"pair-rsa\": RSA 2048 bits, .*the same public key on \"$T1\", \"$T2\"" "$W/out" ||
	fail "p11dkim -n: $(cat "$W/out" "$W/err")"
# ... and says that it may leave the token, wrapped.
grep -q 'warning: domain example.test selector pair: key "pair-rsa" is extractable only wrapped under a trusted key' "$W/err" ||
	fail "p11dkim -n does not say the key is wrap-only: $(cat "$W/err")"
# The same with the tokens named as the configuration lists them.
expect_rc 0 $KTBIN -c "$W/pair.conf" generate --token "$T1" --label pair-conf --type rsa2048 --wrappable
expect_rc 0 $KTBIN -c "$W/pair.conf" replicate --label pair-conf --from "$T1" --to "$T2"
grep -q 'copied "pair-conf" .*same public key' "$W/out" || fail "replicate -c: $(cat "$W/out")"
# The copy cannot be copied back over itself, and a wrong label is named.
expect_rc 3 $KT2 replicate --label pair-rsa --from "$T1" --to "$T2"
grep -q "\"$T2\": an object labelled \"pair-rsa\" exists already" "$W/err" || fail "replicate twice: $(cat "$W/err")"
expect_rc 3 $KT2 replicate --label nosuch --from "$T1" --to "$T2"
grep -q "\"$T1\": no private key labelled \"nosuch\"" "$W/err" || fail "missing key: $(cat "$W/err")"
expect_rc 3 $KT2 replicate --label pair-rsa --from "$T1" --to "$T2" --wrap-key nowrap
grep -q "no wrap key labelled \"nowrap\"" "$W/err" || fail "missing wrap key: $(cat "$W/err")"

# What SoftHSM 2.6 refuses. A key generated the usual way (never extractable) is not copied.
expect_rc 0 $KT2 --token "$T1" generate --label plain-rsa --type rsa2048
expect_rc 3 $KT2 replicate --label plain-rsa --from "$T1" --to "$T2"
grep -q 'CKR_KEY_UNEXTRACTABLE' "$W/err" || fail "non-extractable key: $(cat "$W/err")"
# CKA_WRAP_WITH_TRUSTED is honoured: a wrap key the user made (not trusted) does not wrap it.
"$PROBE" "$P11DKIM_MODULE" "$T1" "$P11DKIM_PIN" --untrusted untrusted-wrap || fail "no untrusted wrap key"
expect_rc 0 $KT2 --token "$T1" generate --label pair-rsa2 --type rsa2048 --wrappable
expect_rc 3 $KT2 replicate --label pair-rsa2 --from "$T1" --to "$T2" --wrap-key untrusted-wrap
grep -q 'CKR_KEY_NOT_WRAPPABLE' "$W/err" || fail "untrusted wrap key: $(cat "$W/err")"
# Ed25519: SoftHSM 2.6 wraps no EdDSA private key (C_WrapKey: CKR_KEY_NOT_WRAPPABLE); a later
# SoftHSM that does must give a copy with the same public key.
expect_rc 0 $KT2 --token "$T1" generate --label pair-ed --type ed25519 --wrappable
rc=0
$KT2 replicate --label pair-ed --from "$T1" --to "$T2" >"$W/out" 2>"$W/err" || rc=$?
if [ $rc = 0 ]; then
	grep -q 'same public key' "$W/out" || fail "Ed25519 replicate: $(cat "$W/out")"
	echo "note: this SoftHSM wraps Ed25519 keys"
else
	grep -q "token \"$T1\" will not wrap key \"pair-ed\".*CKR_KEY_NOT_WRAPPABLE" "$W/err" ||
		fail "Ed25519 replicate: $(cat "$W/err")"
	echo "note: this SoftHSM cannot wrap Ed25519 keys (CKR_KEY_NOT_WRAPPABLE): use import into both"
fi
# Below our code: the user cannot make a trusted key, nor unwrap a readable copy under the wrap
# key (its unwrap template), checked with Cryptoki calls of the probe's own.
"$PROBE" "$P11DKIM_MODULE" "$T1" "$P11DKIM_PIN" pair-rsa p11dkim-wrap >"$W/probe" 2>&1 ||
	fail "wrap probe: $(cat "$W/probe")"
cat "$W/probe"

# --- import into both tokens in one step -----------------------------------------------------
openssl genpkey -algorithm ed25519 -out "$W/both.pem" 2>/dev/null
: >"$W/rec"
expect_rc 0 $PAIR --record "$W/rec" import --label both-ed --pem "$W/both.pem"
[ "$(grep -c 'imported .* as "both-ed" on token' "$W/out")" = 2 ] || fail "import into two: $(cat "$W/out")"
python3 -c '
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
assert len(recs) == 2 and {r["token"] for r in recs} == {sys.argv[2], sys.argv[3]}, recs
assert all(r["action"] == "import" and r["source"] == sys.argv[4] for r in recs), recs
assert recs[0]["fingerprint"] == recs[1]["fingerprint"], recs
' "$W/rec" "$T1" "$T2" "$W/both.pem" || fail "import records: $(cat "$W/rec")"
# A label one token has already: nothing is imported anywhere.
expect_rc 0 $KT2 --token "$T2" import --label only-two --pem "$W/both.pem"
expect_rc 3 $PAIR import --label only-two --pem "$W/both.pem"
grep -q "token \"$T2\": a key labelled \"only-two\" exists already; nothing imported" "$W/err" ||
	fail "import over a used label: $(cat "$W/err")"
expect_rc 0 $KT2 --token "$T1" list
! grep -q '^only-two ' "$W/out" || fail "import changed the first token"
expect_rc 0 $KT2 --token "$T2" delete --label only-two --yes
# import-opendkim into both, from an OpenDKIM table.
mkdir "$W/od"
openssl genrsa -traditional -out "$W/od/s1.private" 2048 2>/dev/null
printf 'key-a\ta.test:s1:%s\n' "$W/od/s1.private" >"$W/od/KeyTable"
printf '*@a.test\tkey-a\n' >"$W/od/SigningTable"
expect_rc 0 $PAIR import-opendkim --keytable "$W/od/KeyTable" --signingtable "refile:$W/od/SigningTable"
[ "$(grep -c 'as "a.test-s1" on token' "$W/err")" = 2 ] || fail "import-opendkim into two: $(cat "$W/err")"
# Every label so far is the same on both tokens, or missing on the second: list passes.
expect_rc 0 $PAIR list --fingerprints
grep -q "^token=$T1 serial=" "$W/out" && grep -q "^token=$T2 serial=" "$W/out" || fail "list of two: $(cat "$W/out")"
! grep -q MISMATCH "$W/out" || fail "list flags a mismatch: $(cat "$W/out")"
grep -q "missing: \"plain-rsa\" is not readable on token \"$T2\"" "$W/out" || fail "missing key not flagged: $(cat "$W/out")"
[ "$(grep -c '^both-ed .*fingerprint=SHA256:' "$W/out")" = 2 ] || fail "list: both-ed: $(cat "$W/out")"

# --- a label whose keys differ ------------------------------------------------------------------
openssl genpkey -algorithm ed25519 -out "$W/d1.pem" 2>/dev/null
openssl genpkey -algorithm ed25519 -out "$W/d2.pem" 2>/dev/null
expect_rc 0 $KT2 --token "$T1" import --label differ --pem "$W/d1.pem"
expect_rc 0 $KT2 --token "$T2" import --label differ --pem "$W/d2.pem"
expect_rc 1 $PAIR list
grep -q "MISMATCH: \"differ\": the public key on token \"$T2\" is not the one on token \"$T1\"" "$W/out" ||
	fail "list: mismatch not flagged: $(cat "$W/out")"
[ "$(grep -c MISMATCH "$W/out")" = 1 ] || fail "list flags more than \"differ\": $(cat "$W/out")"
# check: the record of either key is refused while the tokens disagree; with -c as well.
expect_rc 0 $KT2 --token "$T1" dns --label differ --domain example.test --selector d --one-line
cp "$W/out" "$W/differ.txt"
expect_rc 1 $PAIR check --label differ --domain example.test --selector d --record "$W/differ.txt"
grep -q 'verdict=mismatch: the tokens hold different keys labelled "differ"' "$W/out" ||
	fail "check: $(cat "$W/out")"
expect_rc 1 $KTBIN -c "$W/pair.conf" check --label differ --domain example.test --selector d --record "$W/differ.txt"
grep -q 'verdict=mismatch' "$W/out" || fail "check -c: $(cat "$W/out")"
expect_rc 1 $KTBIN -c "$W/pair.conf" list
grep -q 'MISMATCH: "differ"' "$W/out" || fail "list -c: $(cat "$W/out")"
# The same check passes for a label both tokens hold alike.
expect_rc 0 $KT2 --token "$T1" dns --label both-ed --domain example.test --selector b --one-line
cp "$W/out" "$W/both.txt"
expect_rc 0 $PAIR check --label both-ed --domain example.test --selector b --record "$W/both.txt"
grep -q 'verdict=ok' "$W/out" || fail "check of a shared key: $(cat "$W/out")"
# delete takes the key off every token of the run, one record each.
: >"$W/rec"
expect_rc 0 $PAIR --record "$W/rec" delete --label both-ed --yes
[ "$(grep -c 'destroyed 2 objects labelled "both-ed"' "$W/out")" = 2 ] || fail "delete from two: $(cat "$W/out")"
python3 -c '
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
assert len(recs) == 2 and all(r["action"] == "delete" and r["key"] == "both-ed" for r in recs), recs
' "$W/rec" || fail "delete records: $(cat "$W/rec")"
expect_rc 1 $PAIR list
! grep -q '^both-ed ' "$W/out" || fail "both-ed left: $(cat "$W/out")"
# generate works on one token only.
expect_rc 3 $PAIR generate --label two --type ed25519
grep -q 'works on one token' "$W/err" || fail "generate on two: $(cat "$W/err")"
# A wrong SO PIN changes nothing and says which token.
(umask 077 && echo 0000 >"$W/badsopin")
expect_rc 3 $PAIR wrapkey --label other-wrap --so-pin-file "$W/badsopin"
grep -q 'security officer login to token' "$W/err" && grep -q CKR_PIN_INCORRECT "$W/err" ||
	fail "bad SO PIN: $(cat "$W/err")"
! grep -q 0000 "$W/err" || fail "SO PIN in a message"
echo "pair: ok"
