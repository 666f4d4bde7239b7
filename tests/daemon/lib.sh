# tests/daemon/lib.sh: helpers for the daemon's end-to-end tests. Source it from sh.
#
#   dt_init NAME          temp dir $T, a fresh SoftHSM token with dkim-rsa (RSA-2048) and
#                         dkim-ed (Ed25519), $T/dns.txt with their public keys as TXT records
#                         for sel "rsa" / "ed" of example.com, example.org and example.net
#   dt_conf FILE [EXTRA]  writes a configuration (unix socket $T/p11dkim.sock, log to stderr);
#                         EXTRA and $DT_EXTRA are libconfig text appended verbatim; DT_DOMAINS,
#                         DT_SIGN, DT_INTERNAL, DT_SIGN_AUTH, DT_MODULE and DT_SOCKET override
#                         the parts; DT_TOKENS (the groups of a tokens = ( ... ) list) replaces
#                         the token group
#   dt_start CONF         starts p11dkim -f, waits until it serves; $DT_PID, log in $T/log
#   dt_stop               SIGTERM, waits, asserts exit status 0
#   dt_send OUT MSG ARGS  runs dm-send (ARGS: -a ADDR, -u USER, ...); result line in $DT_RESULT
#   dt_verify FILE N      exactly N signatures, each verified by dkimpy and by libopendkim
#   dt_log_has TEXT       the log has a line containing TEXT (fixed string)
#   dt_msg_many F FMT N   a message with N header fields made by printf FMT (0..N-1)
#   dt_wait_metric LINE   waits up to 5 s for LINE (a whole line) in $T/p11dkim.prom
#   dt_fail MSG           prints MSG and the log tail, exits 1
# Each test calls dt_init first; the EXIT trap stops the daemon and removes $T.

set -u
: "${top_srcdir:?}"
: "${top_builddir:?}"
: "${PYTHON:=/usr/bin/python3}"
DT_BIN=$top_builddir/daemon/p11dkim
DT_SEND=$top_builddir/tests/daemon/dm-send
DT_PID=""

. "$top_srcdir/tests/lib/softhsm.sh"

dt_cleanup() {
	if [ -n "$DT_PID" ] && kill -0 "$DT_PID" 2>/dev/null; then
		kill -TERM "$DT_PID" 2>/dev/null
		sleep 1
		kill -KILL "$DT_PID" 2>/dev/null
	fi
	[ -n "${T:-}" ] && [ -z "${DT_KEEP:-}" ] && rm -rf "$T"
	[ -z "${DT_LSAN:-}" ] || rm -rf "$DT_LSAN"
}

dt_fail() {
	echo "FAIL: $*"
	if [ -f "$T/log" ]; then
		echo "--- daemon log (tail)"
		tail -n 30 "$T/log"
	fi
	exit 1
}

# The TXT record value of a key on the token.
dt_dns_value() {
	softhsm_tool --read-object --type pubkey --label "$1" -o "$T/pub.$1" >/dev/null 2>&1 ||
		return 1
	if ! openssl pkey -pubin -inform DER -in "$T/pub.$1" -outform DER -out "$T/pub.$1.der" \
		2>/dev/null; then
		openssl pkey -pubin -in "$T/pub.$1" -outform DER -out "$T/pub.$1.der" 2>/dev/null ||
			return 1
	fi
	case $2 in
	rsa) echo "v=DKIM1; k=rsa; p=$(base64 -w0 <"$T/pub.$1.der")" ;;
	ed) echo "v=DKIM1; k=ed25519; p=$(tail -c 32 "$T/pub.$1.der" | base64 -w0)" ;;
	esac
}

dt_init() {
	softhsm_available || {
		echo "SKIP: SoftHSM or pkcs11-tool missing"
		exit 77
	}
	command -v opendkim >/dev/null 2>&1 || {
		echo "SKIP: opendkim missing"
		exit 77
	}
	T=$(mktemp -d "${TMPDIR:-/tmp}/p11dkim-$1.XXXXXX")
	chmod 700 "$T"
	trap dt_cleanup EXIT
	# LeakSanitizer reads its suppressions at exit, after a daemon run with `user` has dropped
	# privileges; the source tree may be unreadable to that user (/root), so give it a copy
	# anyone can read.
	case ${LSAN_OPTIONS:-} in
	*suppressions=*)
		DT_LSAN=$(mktemp -d "${TMPDIR:-/tmp}/p11dkim-lsan.XXXXXX")
		chmod 755 "$DT_LSAN"
		cp "$top_srcdir/tests/lsan.supp" "$DT_LSAN/lsan.supp"
		chmod 644 "$DT_LSAN/lsan.supp"
		LSAN_OPTIONS=$(printf '%s' "$LSAN_OPTIONS" |
			sed "s|suppressions=[^:]*|suppressions=$DT_LSAN/lsan.supp|")
		export LSAN_OPTIONS
		;;
	esac
	softhsm_setup "$T/hsm" || dt_fail "softhsm_setup"
	softhsm_default_keys || dt_fail "softhsm keys"
	rsa=$(dt_dns_value dkim-rsa rsa) || dt_fail "reading the RSA public key"
	ed=$(dt_dns_value dkim-ed ed) || dt_fail "reading the Ed25519 public key"
	: >"$T/dns.txt"
	for d in example.com example.org example.net; do
		echo "rsa._domainkey.$d $rsa" >>"$T/dns.txt"
		echo "ed._domainkey.$d $ed" >>"$T/dns.txt"
	done
	cat >"$T/opendkim.conf" <<EOF
Mode v
Syslog no
TestDNSData file:$T/dns.txt
EOF
	DT_SOCKET="unix:$T/p11dkim.sock"
	DT_MODULE=$P11DKIM_MODULE
	DT_SIGN='canonicalization = "relaxed/relaxed";'
	DT_DOMAINS='{ domain = "example.com"; subdomains = true;
	    keys = ( { selector = "rsa"; key = "dkim-rsa"; },
	             { selector = "ed"; key = "dkim-ed"; } ); }'
}

dt_conf() {
	_internal=${DT_INTERNAL:-'[ "127.0.0.1", "::1", "10.1.0.0/16" ]'}
	if [ -n "${DT_TOKENS:-}" ]; then
		_token="tokens = ( $DT_TOKENS );"
	else
		_token="token: {
  module = \"$DT_MODULE\";
  token = \"$P11DKIM_TOKEN\";
  pin_file = \"$P11DKIM_PIN_FILE\";
  sessions = 4;
};"
	fi
	cat >"$1" <<EOF
socket = "$DT_SOCKET";
log = "stderr";
$_token
sign: {
  $DT_SIGN
  internal_hosts = $_internal;
  sign_authenticated = ${DT_SIGN_AUTH:-true};
};
domains = ( $DT_DOMAINS );
${DT_EXTRA:-}
${2:-}
EOF
	chmod 600 "$1"
}

# Waits up to $2 tenths of a second for TEXT in the log.
dt_wait_log() {
	_n=0
	while [ "$_n" -lt "${2:-100}" ]; do
		grep -qF -- "$1" "$T/log" 2>/dev/null && return 0
		sleep 0.1
		_n=$((_n + 1))
	done
	return 1
}

dt_start() {
	: >"$T/log"
	# The full unwinder, so that leaks inside the PKCS#11 module (see tests/lsan.supp) show
	# the module's frames, past libcrypto's frame-pointer-less ones.
	ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1}:fast_unwind_on_malloc=0" \
		"$DT_BIN" -f -c "$1" ${DT_START_ARGS:-} 2>>"$T/log" &
	DT_PID=$!
	dt_wait_log " started: " 300 || dt_fail "daemon did not start"
}

dt_stop() {
	kill -TERM "$DT_PID" || dt_fail "daemon already gone"
	_st=0
	wait "$DT_PID" || _st=$?
	DT_PID=""
	[ "$_st" -eq 0 ] || dt_fail "daemon exited with status $_st"
	dt_sanitizer_check
}

# dt_sanitized: true when the daemon under test is built with a sanitizer (its allocator and
# shadow memory change what VmRSS means, and valgrind cannot run it).
dt_sanitized() {
	nm -D "$DT_BIN" 2>/dev/null | grep -q '__asan_init\|__tsan_init' ||
		ldd "$DT_BIN" | grep -q 'lib[at]san'
}

dt_sanitizer_check() {
	if grep -q "ERROR: \(AddressSanitizer\|LeakSanitizer\)\|runtime error:" "$T/log"; then
		dt_fail "sanitizer report in the daemon log"
	fi
}

dt_send() {
	_out=$1
	_msg=$2
	shift 2
	DT_RESULT=$("$DT_SEND" -s "${DT_SEND_SOCKET:-$DT_SOCKET}" -m "$_msg" -o "$_out" "$@" |
		grep '^action=') || dt_fail "dm-send failed for $_msg"
}

dt_expect() {
	case $DT_RESULT in
	"$1"*) ;;
	*) dt_fail "expected '$1', got '$DT_RESULT'" ;;
	esac
}

# The verdict came at the end of the message: the daemon asks for no reply to connect, MAIL
# FROM, headers, end of headers and body (SMFIP_NR_*), so a verdict reached earlier waits.
dt_expect_at_end() {
	case $DT_RESULT in
	*" stage=E") ;;
	*) dt_fail "expected the verdict at the end of the message, got '$DT_RESULT'" ;;
	esac
}

dt_wait_metric() {
	_w=0
	while ! grep -qx -- "$1" "$T/p11dkim.prom" 2>/dev/null && [ $_w -lt 50 ]; do
		sleep 0.1
		_w=$((_w + 1))
	done
	grep -qx -- "$1" "$T/p11dkim.prom" || { cat "$T/p11dkim.prom"; dt_fail "metrics: no line '$1'"; }
}

dt_log_has() {
	grep -qF -- "$1" "$T/log" || dt_fail "log has no line with: $1"
}

# Each signature alone in a copy of the message, for verifiers that report one result.
dt_split_sigs() {
	"$PYTHON" - "$1" <<'EOF'
import re, sys
path = sys.argv[1]
msg = open(path, "rb").read()
head, sep, body = msg.partition(b"\r\n\r\n")
fields = re.split(rb"\r\n(?![ \t])", head)
sigs = [i for i, f in enumerate(fields) if f.lower().startswith(b"dkim-signature:")]
for n, keep in enumerate(sigs):
    out = [f for i, f in enumerate(fields) if i == keep or i not in sigs]
    open("%s.sig%d" % (path, n), "wb").write(b"\r\n".join(out) + sep + body)
print(len(sigs))
EOF
}

dt_verify() {
	"$PYTHON" "$top_srcdir/tests/lib/dkim-verify.py" "$T/dns.txt" "$1" >"$T/dkimpy.out" 2>&1 ||
		{
			cat "$T/dkimpy.out"
			dt_fail "dkimpy rejects $1"
		}
	_pass=$(grep -c '^PASS' "$T/dkimpy.out")
	[ "$_pass" -eq "$2" ] || dt_fail "dkimpy: $_pass good signatures in $1, expected $2"
	_n=$(dt_split_sigs "$1") || dt_fail "splitting $1"
	[ "$_n" -eq "$2" ] || dt_fail "$_n signatures in $1, expected $2"
	_i=0
	while [ "$_i" -lt "$_n" ]; do
		opendkim -x "$T/opendkim.conf" -t "$1.sig$_i" >"$T/opendkim.out" 2>&1 || true
		grep -q "verification (.*) succeeded" "$T/opendkim.out" || {
			cat "$T/opendkim.out"
			dt_fail "libopendkim rejects signature $_i of $1"
		}
		_i=$((_i + 1))
	done
	DT_VERIFIED=$((${DT_VERIFIED:-0} + $2))
}

# dt_fault_init: the fault-injecting module (tests/lib/p11fault) ready in front of the real one,
# with no fault pending: FAULT is its path (for DT_MODULE), P11FAULT_CONTROL its control file.
# Call it after dt_init.
dt_fault_init() {
	FAULT=$top_builddir/tests/lib/.libs/p11fault.so
	[ -f "$FAULT" ] || dt_fail "fault module $FAULT not built"
	P11FAULT_MODULE=$P11DKIM_MODULE
	P11FAULT_CONTROL=$T/fault.ctl
	export P11FAULT_MODULE P11FAULT_CONTROL
	dt_fault reset
}

# dt_fault LINE...: the fault module's new commands, one a line; the module sees the whole file
# at once (rename), never a half-written one.
dt_fault() {
	printf '%s\n' "$@" >"$T/fault.tmp" && mv "$T/fault.tmp" "$P11FAULT_CONTROL"
}

# A message file: dt_msg FILE FROM-LINES [BODY]; FROM-LINES are the header lines that decide.
# dt_msg_many FILE FORMAT N: From, then N fields printf FORMAT with 0..N-1, Subject: many, a body.
dt_msg_many() {
	{
		printf 'From: alice@example.com\r\n'
		_i=0
		while [ $_i -lt "$3" ]; do
			# shellcheck disable=SC2059
			printf "$2\r\n" $_i
			_i=$((_i + 1))
		done
		printf 'Subject: many\r\n\r\nbody\r\n'
	} >"$1"
}

dt_msg() {
	printf '%b' "$2" >"$1"
	printf 'To: rcpt@example.net\r\nSubject: test %s\r\nDate: Mon, 23 Nov 2026 10:00:00 +0000\r\nMessage-ID: <%s@example.com>\r\n\r\n%b' \
		"$1" "$$.$(date +%s%N)" "${3:-Hello,\r\n  this is  a test body.\r\n\r\n}" >>"$1"
}
