#!/bin/sh
# Ceremony records (issue 18, item 3): each action that changes the token (generate, import,
# delete) appends exactly one JSON line to --record FILE with the fields the issue names, and
# writes one syslog line; the fingerprint in the record is the one `list --fingerprints` shows
# and the one computed independently (openssl on the public key pkcs11-tool reads, or on the
# PEM file imported); the DNS value is what `dns` prints; actions that change nothing record
# nothing; a record file that cannot be appended to stops the change before the token is
# touched; no PIN in any record; a label that is not plain ASCII still makes valid JSON.
#
# The syslog line is observed through --syslog-stderr (openlog's LOG_PERROR: glibc writes the
# very message it sends to syslog to stderr too). Its facility (authpriv) and level (notice) do
# not show there, and no syslog daemon can be read here: they are not asserted.
. "$(dirname "$0")/keytool-lib.sh"
kt_setup
REC=$W/ceremony.jsonl
RUN="env -u SUDO_USER LOGNAME=ceremony-op $KT --record $REC --syslog-stderr"

# check_record N ACTION LABEL: the file has N lines, all JSON; the last is ACTION on LABEL with
# every field; prints its fingerprint.
check_record() {
	python3 - "$REC" "$1" "$2" "$3" "$P11DKIM_TOKEN" "$P11DKIM_SERIAL" <<'PYEOF' || fail "record of $2 $3: $(cat "$REC")"
import json, os, socket, sys, time, calendar
path, n, action, label, token, serial = sys.argv[1:7]
lines = open(path, encoding="ascii").read().splitlines()
assert len(lines) == int(n), "%d lines, expected %s" % (len(lines), n)
recs = [json.loads(l) for l in lines]
r = recs[-1]
want = {"time", "operator", "uid", "host", "action", "token", "token_serial", "key", "key_id",
        "algorithm", "bits", "fingerprint", "dns"}
assert want <= set(r), "missing fields: %s" % (want - set(r))
# The keytool's operator: the login name, else SUDO_USER, LOGNAME, USER (a CI job has no login).
try:
    login = os.getlogin() or None
except OSError:
    login = None
for v in ("SUDO_USER", "LOGNAME", "USER"):
    login = login or os.environ.get(v) or None
assert r["operator"] in (login, "ceremony-op"), (r["operator"], login)
assert r["uid"] == os.getuid() and r["host"] == socket.gethostname(), r
t = calendar.timegm(time.strptime(r["time"], "%Y-%m-%dT%H:%M:%SZ"))
assert abs(t - time.time()) < 300, r["time"]
assert r["action"] == action and r["key"] == label, r
assert r["token"] == token and r["token_serial"] == serial, r
assert r["algorithm"] in ("rsa", "ed25519") and r["bits"] in (2048, 256), r
assert len(r["key_id"]) == 32 and int(r["key_id"], 16) >= 0, r
fp = r["fingerprint"]
assert fp.startswith("SHA256:") and len(fp) == 71 and int(fp[7:], 16) >= 0, fp
assert r["dns"].startswith("v=DKIM1; k=%s; p=" % r["algorithm"]), r["dns"]
print(fp)
PYEOF
}

# syslog_line ACTION LABEL FP: exactly one ceremony line on stderr, naming them.
syslog_line() {
	[ "$(grep -c 'p11dkim-keytool\[[0-9]*\]: ceremony: ' "$W/err")" = 1 ] || fail "syslog lines: $(cat "$W/err")"
	grep -q "ceremony: action=$1 operator=[^ ]* uid=$(id -u) token=\"$P11DKIM_TOKEN\" token_serial=$P11DKIM_SERIAL key=\"$2\" key_id=[0-9a-f]\{32\} algorithm=[a-z0-9]* bits=[0-9]* fingerprint=$3 dns=\"v=DKIM1; " "$W/err" ||
		fail "syslog line of $1 $2: $(cat "$W/err")"
}

# list_fp LABEL: the fingerprint `list --fingerprints` shows.
list_fp() {
	$KT list --fingerprints >"$W/list" || fail "list --fingerprints"
	sed -n "s/^$1 .* fingerprint=\(SHA256:[0-9a-f]*\)\$/\1/p" "$W/list"
}

# --- generate ---------------------------------------------------------------------------------
expect_rc 0 $RUN generate --label rec-rsa --type rsa2048
fp=$(check_record 1 generate rec-rsa)
syslog_line generate rec-rsa "$fp"
[ "$(list_fp rec-rsa)" = "$fp" ] || fail "list --fingerprints: $(cat "$W/list"), record: $fp"
# Independently: pkcs11-tool reads the public key, openssl makes it DER, sha256sum hashes it.
pkcs11-tool --module "$P11DKIM_MODULE" --token-label "$P11DKIM_TOKEN" --read-object --type pubkey \
	--label rec-rsa -o "$W/pub.raw" >/dev/null 2>&1 || fail "pkcs11-tool --read-object"
openssl pkey -pubin -inform DER -in "$W/pub.raw" -outform DER -out "$W/pub.der" || fail "openssl pkey"
[ "SHA256:$(sha256sum <"$W/pub.der" | cut -c1-64)" = "$fp" ] || fail "fingerprint is not SHA-256 of the SPKI"
# ... and from what `dns` prints (an RSA p= is the DER SubjectPublicKeyInfo itself).
expect_rc 0 $KT dns --label rec-rsa --domain example.test --selector s --one-line
dnsval=$(cat "$W/out")
[ "SHA256:$(printf '%s' "${dnsval#*p=}" | openssl base64 -d -A | sha256sum | cut -c1-64)" = "$fp" ] ||
	fail "fingerprint differs from the key of the dns record"
python3 -c 'import json,sys; r=json.loads(open(sys.argv[1]).read().splitlines()[-1]); assert r["dns"] == sys.argv[2], r["dns"]' \
	"$REC" "$dnsval" || fail "the record's dns is not what dns prints"

# --- import (Ed25519 from a PEM file) --------------------------------------------------------
openssl genpkey -algorithm ed25519 -out "$W/ed.pem" 2>/dev/null
expect_rc 0 $RUN import --label rec-ed --pem "$W/ed.pem"
fp=$(check_record 2 import rec-ed)
syslog_line import rec-ed "$fp"
[ "$(list_fp rec-ed)" = "$fp" ] || fail "list --fingerprints (ed): $(cat "$W/list")"
[ "SHA256:$(openssl pkey -in "$W/ed.pem" -pubout -outform DER | sha256sum | cut -c1-64)" = "$fp" ] ||
	fail "Ed25519 fingerprint is not SHA-256 of the file's SPKI"
python3 -c 'import json,sys; r=json.loads(open(sys.argv[1]).read().splitlines()[-1]); assert r["source"] == sys.argv[2], r' \
	"$REC" "$W/ed.pem" || fail "import record: no source"

# --- what changes nothing records nothing ----------------------------------------------------
for cmd in "list" "list --fingerprints" "dns --label rec-ed --domain example.test --selector s"; do
	expect_rc 0 $RUN $cmd
	[ "$(wc -l <"$REC")" = 2 ] || fail "$cmd wrote a record"
	! grep -q 'ceremony:' "$W/err" || fail "$cmd wrote a syslog line"
done
# A failed change records nothing either.
expect_rc 3 $RUN generate --label rec-rsa --type ed25519
[ "$(wc -l <"$REC")" = 2 ] || fail "a refused generate wrote a record"

# --- delete: recorded with the key it destroyed ---------------------------------------------------
expect_rc 0 $RUN delete --label rec-ed --yes
fp_del=$(check_record 3 delete rec-ed)
[ "$fp_del" = "$fp" ] || fail "delete record: $fp_del, the key was $fp"
syslog_line delete rec-ed "$fp"

# --- the configuration's keytool_record, and --record winning over it -------------------------------
cat >"$W/rec.conf" <<EOT
keytool_record = "$W/conf-rec.jsonl";
token: { module = "$P11DKIM_MODULE"; token = "$P11DKIM_TOKEN"; pin_file = "$P11DKIM_PIN_FILE"; };
EOT
chmod 600 "$W/rec.conf"
expect_rc 0 $KTBIN -c "$W/rec.conf" generate --label rec-conf --type ed25519
python3 -c 'import json,sys; r=[json.loads(l) for l in open(sys.argv[1])]; assert len(r) == 1 and r[0]["key"] == "rec-conf", r' \
	"$W/conf-rec.jsonl" || fail "keytool_record: $(cat "$W/conf-rec.jsonl" 2>&1)"
expect_rc 0 $KTBIN -c "$W/rec.conf" --record "$REC" delete --label rec-conf --yes
[ "$(wc -l <"$W/conf-rec.jsonl")" = 1 ] || fail "--record did not win over keytool_record"
fp=$(check_record 4 delete rec-conf)

# --- no record file, no change ---------------------------------------------------------------------
expect_rc 3 $KT --record "$W/nodir/rec.jsonl" generate --label never --type ed25519
grep -q 'cannot append to the record file' "$W/err" && grep -q 'nothing changed' "$W/err" ||
	fail "unwritable record: $(cat "$W/err")"
expect_rc 0 $KT list
! grep -q '^never ' "$W/out" || fail "the token changed without its record"
# The record file is the operator's alone (created 0600), and appended to, never truncated.
[ "$(stat -c %a "$REC")" = 600 ] || fail "record file mode $(stat -c %a "$REC")"

# --- no PIN anywhere; a label that is not ASCII --------------------------------------------------------
! grep -q "$P11DKIM_PIN" "$REC" || fail "the PIN is in a record"
odd=$(printf 'odd"\\lab\303\251l')
expect_rc 0 $RUN generate --label "$odd" --type ed25519
! grep -q "$P11DKIM_PIN" "$W/err" "$W/out" || fail "the PIN is in a message"
python3 - "$REC" "$odd" <<'PYEOF' || fail "odd label: $(tail -1 "$REC")"
import json, sys, os
r = json.loads(open(sys.argv[1], encoding="ascii").read().splitlines()[-1])
# Bytes outside ASCII are written as \u00XX of their value.
assert r["key"].encode("latin-1") == os.fsencode(sys.argv[2]), r["key"]
PYEOF
# The syslog line carries no quote or control byte from the label.
grep -q 'key="odd??lab??l"' "$W/err" || fail "syslog label: $(cat "$W/err")"
echo "record: ok"
