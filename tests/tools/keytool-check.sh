#!/bin/sh
# `p11dkim-keytool check` against a real DNS server (dnsmasq on 127.0.0.1 and a
# free port) serving key records for the token's keys: a matching one, one
# split into many strings, a mismatched one, one with t=y, a revoked one, a
# malformed one, two records at one name, a weak key's, and a missing one;
# each must give its verdict and exit code. Also --record FILE, and a server
# that does not answer.
. "$(dirname "$0")/keytool-lib.sh"
DNSMASQ=$(command -v dnsmasq || echo /usr/sbin/dnsmasq)
[ -x "$DNSMASQ" ] || {
	echo "SKIP: dnsmasq (dnsmasq-base) not installed"
	exit 77
}
kt_setup

expect_rc 0 $KT generate --label chk-rsa --type rsa2048
expect_rc 0 $KT generate --label chk-ed --type ed25519
expect_rc 0 $KT generate --label chk-other --type rsa2048
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:1024 -out "$W/weak.pem" 2>/dev/null ||
	fail "openssl genpkey"
expect_rc 0 $KT import --label chk-weak --pem "$W/weak.pem"

# record LABEL [dns options]: the comma-separated strings dnsmasq wants for --txt-record.
record() {
	_l=$1
	shift
	$KT dns --label "$_l" --domain example.test --selector x "$@" >"$W/rec" || fail "dns $_l"
	awk -F'"' '{ for (i = 2; i <= NF; i += 2) printf ",%s", $i }' "$W/rec"
}
good=$(record chk-rsa)
other=$(record chk-other)
testing=$(record chk-rsa --testing)
weak=$(record chk-weak)
revoked=$(record chk-rsa --revoke)
# The Ed25519 record cut into strings of 7 bytes.
ed_split=$($KT dns --label chk-ed --domain example.test --selector x --one-line | fold -w 7 | tr '\n' ',' | sed 's/,$//')
[ "$(echo "$ed_split" | tr ',' '\n' | wc -l)" -gt 5 ] || fail "ed25519 record not split: $ed_split"

PORT=$($PYTHON -c 'import socket; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
$DNSMASQ --no-daemon --port="$PORT" --listen-address=127.0.0.1 --bind-interfaces --no-resolv \
	--no-hosts --local=/example.test/ --pid-file= --log-facility="$W/dnsmasq.log" \
	--txt-record="good._domainkey.example.test$good" \
	--txt-record="split._domainkey.example.test,$ed_split" \
	--txt-record="mism._domainkey.example.test$other" \
	--txt-record="testing._domainkey.example.test$testing" \
	--txt-record="weak._domainkey.example.test$weak" \
	--txt-record="revoked._domainkey.example.test$revoked" \
	--txt-record="syntax._domainkey.example.test,v=DKIM1; k=rsa; p=MIIB###" \
	--txt-record="several._domainkey.example.test$good" \
	--txt-record="several._domainkey.example.test$other" 2>"$W/dnsmasq.err" &
DNSPID=$!
on_exit "kill $DNSPID 2>/dev/null"

NS="--nameserver 127.0.0.1:$PORT"
# Wait (at most ~5 s) for dnsmasq to answer.
i=0
until $KT check --label chk-rsa --domain example.test --selector good $NS >/dev/null 2>&1; do
	i=$((i + 1))
	[ $i -lt 50 ] || fail "dnsmasq does not answer on port $PORT: $(cat "$W/dnsmasq.err" 2>/dev/null)"
	sleep 0.1
done

# verdict LABEL SELECTOR RC VERDICT
verdict() {
	expect_rc "$3" $KT check --label "$1" --domain example.test --selector "$2" $NS
	grep -q "^$2._domainkey.example.test: verdict=$4: " "$W/out" ||
		fail "check $1 at $2: expected verdict=$4, got: $(cat "$W/out")"
	echo "check $1 at $2: $(cat "$W/out")"
}
verdict chk-rsa good 0 ok
verdict chk-ed split 0 ok
verdict chk-rsa mism 1 mismatch
verdict chk-other good 1 mismatch
verdict chk-ed good 1 mismatch
verdict chk-rsa testing 1 testing
verdict chk-weak weak 1 weak
verdict chk-rsa revoked 1 revoked
verdict chk-rsa syntax 1 syntax
verdict chk-rsa several 1 syntax
verdict chk-rsa missing 1 missing
verdict chk-rsa good.nosuch 1 missing

# --record FILE: the `dns` output itself, and opendkim-style text with a comment.
$KT dns --label chk-ed --domain example.test --selector x >"$W/ed.zone" || fail "dns chk-ed"
expect_rc 0 $KT check --label chk-ed --domain example.test --selector x --record "$W/ed.zone"
grep -q 'verdict=ok' "$W/out" || fail "--record: $(cat "$W/out")"
expect_rc 1 $KT check --label chk-rsa --domain example.test --selector x --record "$W/ed.zone"
grep -q 'verdict=mismatch' "$W/out" || fail "--record mismatch: $(cat "$W/out")"
expect_rc 3 $KT check --label chk-rsa --domain example.test --selector x --record "$W/nonexistent"

# A server that does not answer: exit 4, not a verdict on the record.
kill $DNSPID
wait $DNSPID 2>/dev/null || true
expect_rc 4 $KT check --label chk-rsa --domain example.test --selector good $NS
grep -q 'verdict=dnsfail' "$W/out" || fail "dead server: $(cat "$W/out")"
expect_rc 3 $KT check --label nosuch --domain example.test --selector good $NS
expect_rc 4 $KT check --label chk-rsa --domain example.test --selector good --nameserver 300.1.1.1
echo "check: ok"
