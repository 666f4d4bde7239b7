#!/bin/sh
# The main job on the embedded default, as a new administrator would do it: a SoftHSM token in a
# local directory (./demo), keys born on the token with p11dkim-keytool, their DNS records, the
# configuration checked with `p11dkim -n`, the real daemon started, one message sent through it
# over the milter protocol (p11dkim-load, acting as Postfix), the signed message shown, and both
# signatures (RSA-2048 and Ed25519) verified by two independent verifiers: dkimpy and libopendkim.
#
#   sh contrib/demo.sh        (installs what it needs with apt-get, builds in _build/demo)
set -eu
cd "$(dirname "$0")/.."
top=$(pwd)

sh tests/lib/install-deps.sh
b=$top/_build/demo
if [ ! -x "$b/daemon/p11dkim" ]; then
	echo "== building p11dkim in $b"
	./autogen.sh >/dev/null 2>&1
	mkdir -p "$b"
	(cd "$b" && "$top/configure" -q && make -s -j"$(nproc)" >/dev/null)
fi
# The libopendkim verifier is a test program; build just that one.
make -s -C "$b" tests/dkim/dkim-odkim-verify >/dev/null
keytool=$b/tools/p11dkim-keytool
p11dkim=$b/daemon/p11dkim

D=$top/demo
daemon_pid=""
cleanup() {
	[ -z "$daemon_pid" ] || kill "$daemon_pid" 2>/dev/null || true
}
trap cleanup EXIT INT TERM
rm -rf "$D"
mkdir -p "$D/tokens"
chmod 700 "$D"

echo "== 1. a SoftHSM token \"dkim\" in $D/tokens"
cat >"$D/softhsm2.conf" <<EOC
directories.tokendir = $D/tokens
objectstore.backend = file
log.level = ERROR
EOC
SOFTHSM2_CONF=$D/softhsm2.conf
export SOFTHSM2_CONF
pin=$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')
so_pin=$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')
(umask 077 && printf '%s' "$pin" >"$D/pin")
softhsm2-util --init-token --free --label dkim --pin "$pin" --so-pin "$so_pin" >/dev/null

echo "== 2. the configuration $D/p11dkim.conf"
module=$(for m in /usr/lib/softhsm/libsofthsm2.so /usr/lib/*/softhsm/libsofthsm2.so; do
	[ -f "$m" ] && echo "$m" && break; done)
(umask 077 && cat >"$D/p11dkim.conf" <<EOC
socket = "unix:$D/p11dkim.sock";
log = "stderr";
token: {
  module   = "$module";
  token    = "dkim";
  pin_file = "$D/pin";
};
sign: {
  canonicalization = "relaxed/relaxed";
  internal_hosts   = [ "127.0.0.1", "::1" ];
};
domains = (
  { domain = "example.com"; subdomains = true;
    keys = ( { selector = "rsa2026"; key = "example.com-rsa2026"; },
             { selector = "ed2026";  key = "example.com-ed2026"; } ); }
);
EOC
)
cat "$D/p11dkim.conf"

echo "== 3. key ceremony: keys generated on the token (sensitive, never extractable)"
"$keytool" -c "$D/p11dkim.conf" generate --label example.com-rsa2026 --type rsa2048
"$keytool" -c "$D/p11dkim.conf" generate --label example.com-ed2026 --type ed25519
"$keytool" -c "$D/p11dkim.conf" list

echo "== 4. the DNS records to publish (t=y while testing)"
"$keytool" -c "$D/p11dkim.conf" dns --label example.com-rsa2026 --domain example.com \
	--selector rsa2026 --testing
"$keytool" -c "$D/p11dkim.conf" dns --label example.com-ed2026 --domain example.com \
	--selector ed2026 --testing
# The verifiers below read the same records from a file instead of DNS.
: >"$D/dns.txt"
for k in rsa2026 ed2026; do
	printf '%s._domainkey.example.com %s\n' "$k" \
		"$("$keytool" -c "$D/p11dkim.conf" dns --label "example.com-$k" --domain example.com \
			--selector "$k" --testing --one-line)" >>"$D/dns.txt"
done

echo "== 5. p11dkim -n: configuration and token checked"
"$p11dkim" -n -c "$D/p11dkim.conf"

echo "== 6. the daemon, and one message through it as Postfix would send it"
"$p11dkim" -f -c "$D/p11dkim.conf" 2>"$D/p11dkim.log" &
daemon_pid=$!
i=0
while [ ! -S "$D/p11dkim.sock" ] && [ $i -lt 100 ]; do
	kill -0 "$daemon_pid" 2>/dev/null || { cat "$D/p11dkim.log"; exit 1; }
	sleep 0.1
	i=$((i + 1))
done
printf '%s\r\n' "From: Alice <alice@example.com>" "To: Bob <bob@example.org>" \
	"Subject: p11dkim demo" "Date: $(LC_ALL=C date -R)" \
	"Message-ID: <demo.$$@example.com>" "" \
	"Hello Bob," "" "this message was signed by keys that never left the token." >"$D/message.eml"
"$b/tools/p11dkim-load" --socket "unix:$D/p11dkim.sock" --message "$D/message.eml" \
	--messages 1 --from alice@example.com --rcpt bob@example.org \
	--print "$D/signed.eml" --fail-on-error | grep -E '^(messages|signatures|tempfails|errors)='
echo "-- the signed message ($D/signed.eml):"
tr -d '\r' <"$D/signed.eml"

echo "== 7. verification by two independent verifiers"
/usr/bin/python3 tests/lib/dkim-verify.py "$D/dns.txt" "$D/signed.eml"
"$b/tests/dkim/dkim-odkim-verify" "$D/dns.txt" "$D/signed.eml"

kill "$daemon_pid"
wait "$daemon_pid" || true
daemon_pid=""
echo "== 8. the daemon's log"
cat "$D/p11dkim.log"
echo "demo: OK (token, keys, records and signed message are in $D)"
