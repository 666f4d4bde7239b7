# tests/lib/softhsm.sh: a fresh SoftHSMv2 token for one test run. Source it from sh/bash:
#
#   . "$top_srcdir/tests/lib/softhsm.sh"
#   softhsm_setup DIR           # DIR: an empty temporary directory the caller removes
#   softhsm_keygen LABEL TYPE [ID] [extractable]
#                               # TYPE: rsa:2048 (any rsa:BITS) or ed25519; ID hex, default derived
#   softhsm_default_keys        # "dkim-rsa" (rsa:2048, id 01) and "dkim-ed" (ed25519, id 02)
#   softhsm_add_token LABEL     # one more token (one more slot of the same module), same PINs,
#                               # with the default keys; P11DKIM_TOKEN stays the first one
#   softhsm_available           # true when softhsm2-util, pkcs11-tool and the module exist
#   softhsm_tool ARGS...        # pkcs11-tool on the module, logged in with the user PIN
#
# softhsm_setup writes DIR/softhsm2.conf and DIR/tokens/, initialises one token and exports:
#   SOFTHSM2_CONF      the configuration (SoftHSM reads it; every process of the test needs it)
#   P11DKIM_MODULE     path of libsofthsm2.so
#   P11DKIM_TOKEN      token label ("dkim", or $P11DKIM_TOKEN_LABEL if set before the call)
#   P11DKIM_PIN        the user PIN          P11DKIM_SO_PIN  the security officer PIN
#   P11DKIM_PIN_FILE   DIR/pin, mode 0600, holding the user PIN (no newline)
#   P11DKIM_SERIAL     the token's serial number
#
# Keys made by softhsm_keygen (pkcs11-tool --keypairgen --sensitive --usage-sign, without
# --extractable) are CKA_SENSITIVE=true, CKA_EXTRACTABLE=false, CKA_PRIVATE=true, with a public
# key object of the same CKA_ID and label. Pass "extractable" as 4th argument for a key with
# CKA_EXTRACTABLE=true (for tests that a daemon refuses it). Ed25519 keys come out of
# pkcs11-tool with CKA_EC_PARAMS as the PrintableString "edwards25519"; the OID form
# (06 03 2b 65 70) is made by tests/pkcs11/p11-test's own generator (C_GenerateKeyPair).
# Everything prints to stderr only on failure; functions return non-zero on error.

softhsm_module_path() {
	for m in /usr/lib/softhsm/libsofthsm2.so /usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so \
		/usr/lib/aarch64-linux-gnu/softhsm/libsofthsm2.so /usr/local/lib/softhsm/libsofthsm2.so; do
		if [ -f "$m" ]; then
			echo "$m"
			return 0
		fi
	done
	return 1
}

softhsm_available() {
	command -v softhsm2-util >/dev/null 2>&1 &&
		command -v pkcs11-tool >/dev/null 2>&1 &&
		softhsm_module_path >/dev/null
}

# softhsm_require: a test that needs a token skips (exit 77) where SoftHSM cannot run.
softhsm_require() {
	softhsm_available && return 0
	echo "SKIP: SoftHSMv2 or pkcs11-tool not installed"
	exit 77
}

softhsm_setup() {
	_sh_dir=$1
	[ -n "$_sh_dir" ] && mkdir -p "$_sh_dir/tokens" || return 1
	P11DKIM_MODULE=$(softhsm_module_path) || {
		echo "softhsm.sh: libsofthsm2.so not found" >&2
		return 1
	}
	cat >"$_sh_dir/softhsm2.conf" <<EOF
directories.tokendir = $_sh_dir/tokens
objectstore.backend = file
log.level = ERROR
slots.removable = false
EOF
	SOFTHSM2_CONF=$_sh_dir/softhsm2.conf
	P11DKIM_TOKEN=${P11DKIM_TOKEN_LABEL:-dkim}
	P11DKIM_PIN=${P11DKIM_PIN:-4711-dkim}
	P11DKIM_SO_PIN=${P11DKIM_SO_PIN:-0815-so}
	P11DKIM_PIN_FILE=$_sh_dir/pin
	export SOFTHSM2_CONF P11DKIM_MODULE P11DKIM_TOKEN P11DKIM_PIN P11DKIM_SO_PIN P11DKIM_PIN_FILE
	softhsm2-util --init-token --free --label "$P11DKIM_TOKEN" --pin "$P11DKIM_PIN" \
		--so-pin "$P11DKIM_SO_PIN" >"$_sh_dir/init.out" 2>&1 || {
		cat "$_sh_dir/init.out" >&2
		return 1
	}
	(umask 077 && printf '%s' "$P11DKIM_PIN" >"$P11DKIM_PIN_FILE") || return 1
	chmod 600 "$P11DKIM_PIN_FILE"
	P11DKIM_SERIAL=$(softhsm2-util --show-slots 2>/dev/null | awk -v l="$P11DKIM_TOKEN" '
		$1 == "Serial" { s = $3 }
		$1 == "Label:" && $2 == l { print s; exit }')
	export P11DKIM_SERIAL
	[ -n "$P11DKIM_SERIAL" ]
}

softhsm_tool() {
	pkcs11-tool --module "$P11DKIM_MODULE" --token-label "$P11DKIM_TOKEN" \
		--login --pin "$P11DKIM_PIN" "$@"
}

softhsm_keygen() {
	_sh_label=$1
	_sh_type=$2
	_sh_id=${3:-$(printf '%s' "$_sh_label" | od -An -tx1 | tr -d ' \n' | cut -c1-16)}
	case $_sh_type in
	rsa:*) _sh_kt=$_sh_type ;;
	ed25519) _sh_kt=EC:edwards25519 ;;
	*)
		echo "softhsm_keygen: unknown key type $_sh_type" >&2
		return 1
		;;
	esac
	_sh_extra=""
	[ "${4:-}" = extractable ] && _sh_extra=--extractable
	# shellcheck disable=SC2086
	softhsm_tool --keypairgen --key-type "$_sh_kt" --label "$_sh_label" --id "$_sh_id" \
		--sensitive --usage-sign $_sh_extra >"${SOFTHSM2_CONF%/*}/keygen.out" 2>&1 || {
		cat "${SOFTHSM2_CONF%/*}/keygen.out" >&2
		return 1
	}
}

softhsm_default_keys() {
	softhsm_keygen dkim-rsa rsa:2048 01 && softhsm_keygen dkim-ed ed25519 02
}

# softhsm_add_token LABEL: a second (third...) token in the same configuration, for tests of
# several tokens of one module.
softhsm_add_token() {
	softhsm2-util --init-token --free --label "$1" --pin "$P11DKIM_PIN" \
		--so-pin "$P11DKIM_SO_PIN" >"${SOFTHSM2_CONF%/*}/init-$1.out" 2>&1 || {
		cat "${SOFTHSM2_CONF%/*}/init-$1.out" >&2
		return 1
	}
	# A subshell: softhsm_tool reads P11DKIM_TOKEN, which must stay the first token's label.
	(P11DKIM_TOKEN=$1 && softhsm_default_keys)
}
