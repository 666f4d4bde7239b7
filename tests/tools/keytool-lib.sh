# tests/tools/keytool-lib.sh: what the keytool end-to-end tests share. Source it from sh.
#
#   kt_setup          fresh temporary directory $W (removed on exit) and a fresh SoftHSM token
#                     (tests/lib/softhsm.sh when present); sets $KT (the keytool with the token
#                     options) and $KTBIN (the bare binary), $P11TOOL (pkcs11-tool, logged in)
#   fail MSG          prints MSG, exits 1
#   expect_rc N CMD   runs CMD (output in $W/out, $W/err), fails unless it exits N
#   dns_join FILE     the contents of the quoted strings of a zone-file record, joined
#   dns_longest FILE  the length of its longest quoted string
#   pubkey_p LABEL    the p= value of LABEL's public key, read independently with pkcs11-tool
#                     and openssl (not through the keytool)
#   on_exit CMD       adds CMD to what runs at exit

set -eu

: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
KTBIN=$top_builddir/tools/p11dkim-keytool
# Under ASan: full stacks through libcrypto (built without frame pointers), so that the
# LeakSanitizer suppression of SoftHSM's own leaks (tests/lsan.supp) can match them.
ASAN_OPTIONS="${ASAN_OPTIONS:-}:fast_unwind_on_malloc=0"
export ASAN_OPTIONS

_kt_exit_cmds=""
on_exit() {
	_kt_exit_cmds="$1; $_kt_exit_cmds"
}
_kt_cleanup() {
	eval "$_kt_exit_cmds" || true
}
trap _kt_cleanup EXIT

fail() {
	echo "FAIL: $*" >&2
	exit 1
}

expect_rc() {
	_want=$1
	shift
	_rc=0
	"$@" >"$W/out" 2>"$W/err" || _rc=$?
	if [ "$_rc" != "$_want" ]; then
		echo "command: $*" >&2
		echo "stdout:" >&2
		cat "$W/out" >&2
		echo "stderr:" >&2
		cat "$W/err" >&2
		fail "exit code $_rc, expected $_want"
	fi
}

kt_setup() {
	for t in softhsm2-util pkcs11-tool openssl; do
		command -v $t >/dev/null 2>&1 || {
			echo "SKIP: $t not installed"
			exit 77
		}
	done
	W=$(mktemp -d "${TMPDIR:-/tmp}/p11dkim-keytool.XXXXXX")
	on_exit "rm -rf '$W'"
	. "$top_srcdir/tests/lib/softhsm.sh"
	softhsm_available || {
		echo "SKIP: SoftHSM not installed"
		exit 77
	}
	softhsm_setup "$W/hsm" || fail "softhsm_setup"
	KT="$KTBIN --module $P11DKIM_MODULE --token $P11DKIM_TOKEN --pin-file $P11DKIM_PIN_FILE"
	P11TOOL="pkcs11-tool --module $P11DKIM_MODULE --token-label $P11DKIM_TOKEN --login --pin $P11DKIM_PIN"
}

dns_join() {
	awk -F'"' '{ for (i = 2; i <= NF; i += 2) printf "%s", $i }' "$1"
}

dns_longest() {
	awk -F'"' 'BEGIN { m = 0 } { for (i = 2; i <= NF; i += 2) if (length($i) > m) m = length($i) } END { print m }' "$1"
}

pubkey_p() {
	pkcs11-tool --module "$P11DKIM_MODULE" --token-label "$P11DKIM_TOKEN" --read-object --type pubkey \
		--label "$1" -o "$W/pub.raw" >/dev/null 2>&1 || fail "pkcs11-tool cannot read public key $1"
	_form=DER
	grep -q -- '-----BEGIN' "$W/pub.raw" 2>/dev/null && _form=PEM
	openssl pkey -pubin -inform $_form -in "$W/pub.raw" -outform DER -out "$W/pub.der" ||
		fail "openssl cannot read public key $1"
	if openssl pkey -pubin -inform DER -in "$W/pub.der" -noout -text | grep -q ED25519; then
		# SubjectPublicKeyInfo of Ed25519 is 12 bytes of header, then the 32-byte key.
		tail -c 32 "$W/pub.der" | openssl base64 -A
	else
		openssl base64 -A <"$W/pub.der"
	fi
}
