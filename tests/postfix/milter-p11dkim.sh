# tests/postfix/milter-p11dkim.sh: p11dkim (this build's daemon/p11dkim) as the
# milter under test, its keys in a fresh SoftHSM token made for this run by
# this build's p11dkim-keytool (generate, then dns for the TXT records, which
# are checked against pkcs11-tool's reading of the token): one RSA-2048 and
# one Ed25519 key for example.com, so each signed message must carry two
# signatures. Sourced by e2e.sh after lib.sh.
# Listens on MILTER_PORT; writes MILTER_KEYS ("NAME TXT" lines). Sets:
# MILTER_SIGS (signatures on one signed message), MILTER_RESIGN (signatures
# after two signing passes: p11dkim does not sign again a message that
# already has its d= and s= signatures, resign = false), MILTER_LOG and the
# fixed strings its log must show for the unsigned external message
# (MILTER_SAYS_EXTERNAL) and the second pass (MILTER_SAYS_RESIGN).
# milter_stop and milter_stop_chroot come from lib.sh.

SOFTHSM_MODULE=${SOFTHSM_MODULE:-/usr/lib/softhsm/libsofthsm2.so}

milter_require() {
	# Under ASan: the full unwinder, so that SoftHSM's own leaks (tests/lsan.supp) show the
	# module's frames past libcrypto's, as tests/daemon/lib.sh does.
	ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1}:fast_unwind_on_malloc=0"
	export ASAN_OPTIONS
	P11DKIM=${P11DKIM:-${top_builddir:-$here/../..}/daemon/p11dkim}
	KEYTOOL=${KEYTOOL:-${top_builddir:-$here/../..}/tools/p11dkim-keytool}
	if ! [ -x "$P11DKIM" ]; then
		# Before the daemon's sources are in this tree there is nothing to
		# test; once they are, a missing binary is a failure.
		if ! [ -f "${top_srcdir:-$here/../..}/daemon/main.c" ]; then
			pf_log "SKIP: this tree has no daemon (daemon/main.c) yet"
			exit 77
		fi
		pf_log "FAIL: $P11DKIM not built"
		exit 1
	fi
	[ -x "$KEYTOOL" ] || { pf_log "FAIL: $KEYTOOL not built"; exit 1; }
	for t in softhsm2-util pkcs11-tool; do
		command -v "$t" >/dev/null 2>&1 || { pf_log "SKIP: $t missing"; exit 77; }
	done
	[ -f "$SOFTHSM_MODULE" ] || { pf_log "SKIP: $SOFTHSM_MODULE missing"; exit 77; }
}

# p11_pubkey LABEL: the token's public key LABEL as a DKIM p= value: the
# SubjectPublicKeyInfo for RSA, the raw 32 bytes for Ed25519 (RFC 8463).
p11_pubkey() {
	pkcs11-tool --module "$SOFTHSM_MODULE" --token-label dkim --read-object \
	    --type pubkey --label "$1" -o "$PF/$1.pub" >/dev/null 2>&1 || return 1
	"$PYTHON" - "$PF/$1.pub" <<'EOP'
import base64, re, sys
raw = open(sys.argv[1], "rb").read()
if raw.startswith(b"-----BEGIN"):
    raw = base64.b64decode(b"".join(re.findall(rb"^[A-Za-z0-9+/=]+$", raw, re.M)))
# Ed25519 SPKI: 30 2a 30 05 06 03 2b 65 70 03 21 00 || key
if len(raw) == 44 and raw[:12] == bytes.fromhex("302a300506032b6570032100"):
    raw = raw[12:]
print(base64.b64encode(raw).decode())
EOP
}

milter_prepare() {
	MILTER_SIGS=2
	MILTER_RESIGN=2
	MILTER_LOG=$PF/milter.log
	MILTER_SAYS_EXTERNAL="not signed: not internal and not authenticated (client 192.0.2.7)"
	MILTER_SAYS_RESIGN="not signed: already signed by d=example.com s=rsa2026 (verified)"
	d=$PF/p11dkim
	mkdir -p "$d"
	chmod 700 "$d"
	. "${top_srcdir:-$here/../..}/tests/lib/softhsm.sh"
	softhsm_setup "$d" || return 1
	: >"$MILTER_KEYS"
	for k in "rsa2048 example.com-rsa rsa2026" "ed25519 example.com-ed ed2026"; do
		set -- $k
		kt="--module $SOFTHSM_MODULE --token dkim --pin-file $d/pin --label $2"
		# shellcheck disable=SC2086
		"$KEYTOOL" generate $kt --type "$1" >>"$PF/milter.log" 2>&1 || return 1
		# shellcheck disable=SC2086
		rec=$("$KEYTOOL" dns $kt --domain example.com --selector "$3" --one-line) ||
		    return 1
		pub=$(p11_pubkey "$2") || return 1
		case "$rec" in
		*"; p=$pub") ;;
		*)
			pf_log "keytool's record for $2 does not hold the token's key: $rec"
			return 1
			;;
		esac
		printf '%s._domainkey.example.com %s\n' "$3" "$rec" >>"$MILTER_KEYS"
	done
	cat >"$d/p11dkim.conf" <<EOC
socket = "inet:$MILTER_PORT@127.0.0.1";
log = "stderr";
token: {
  module = "$SOFTHSM_MODULE";
  token = "dkim";
  pin_file = "$d/pin";
  sessions = 4;
};
sign: {
  canonicalization = "${MILTER_CANON:-relaxed/relaxed}";
  internal_hosts = [ "127.0.0.1", "10.0.0.0/8" ];
  on_token_error = "tempfail";
};
domains = (
  { domain = "example.com";
    keys = ( { selector = "rsa2026"; key = "example.com-rsa"; },
             { selector = "ed2026"; key = "example.com-ed"; } ); }
);
EOC
	chmod 600 "$d/p11dkim.conf"
	"$P11DKIM" -c "$d/p11dkim.conf" -n >>"$PF/milter.log" 2>&1 || {
		pf_log "p11dkim -n refused the configuration:"
		cat "$PF/milter.log"
		return 1
	}
}

# milter_start_chroot: a second p11dkim (same token and keys) on
# $PF_CHROOT_SOCK, for the chrooted smtpd; socket_umask as recommended.
milter_start_chroot() {
	sed -e "s|^socket = .*|socket = \"unix:$PF_CHROOT_SOCK\";\nsocket_umask = \"0007\";|" \
	    "$PF/p11dkim/p11dkim.conf" >"$PF/p11dkim/chroot.conf"
	chmod 600 "$PF/p11dkim/chroot.conf"
	pf_milter_bg MILTER_CHROOT_PID "$PF/milter-chroot.log" \
	    "$P11DKIM" -c "$PF/p11dkim/chroot.conf" -f
}

milter_start() {
	pf_milter_start p11dkim "$P11DKIM" -c "$PF/p11dkim/p11dkim.conf" -f
}
