# tests/postfix/milter-opendkim.sh: Debian's OpenDKIM as the milter under test
# (the reference the harness was proven with). Sourced by e2e.sh after lib.sh.
# Listens on MILTER_PORT; writes MILTER_KEYS ("NAME TXT" lines). Sets:
# MILTER_SIGS (signatures on one signed message), MILTER_RESIGN (signatures
# after two signing passes: OpenDKIM signs again). No MILTER_LOG: it runs
# with Syslog no. milter_stop and milter_stop_chroot come from lib.sh.

milter_require() {
	for t in opendkim opendkim-genkey; do
		command -v "$t" >/dev/null 2>&1 || { pf_log "SKIP: $t missing"; exit 77; }
	done
}

milter_prepare() {
	MILTER_SIGS=1
	MILTER_RESIGN=2
	mkdir -p "$PF/opendkim"
	opendkim-genkey -b 2048 -d example.com -s od2026 -D "$PF/opendkim" || return 1
	# The zone-file snippet: ( "v=DKIM1; h=sha256; k=rsa; " "p=..." "..." )
	txt=$(sed -e 's/^[^(]*(//' -e 's/).*//' "$PF/opendkim/od2026.txt" | tr -d '\n' |
	    sed -e 's/"[[:space:]]*"//g' -e 's/^[[:space:]]*"//' -e 's/"[[:space:]]*$//')
	printf 'od2026._domainkey.example.com %s\n' "$txt" >"$MILTER_KEYS"
	cat >"$PF/opendkim/opendkim.conf" <<EOC
Mode s
Domain example.com
Selector od2026
KeyFile $PF/opendkim/od2026.private
Canonicalization relaxed/relaxed
SignatureAlgorithm rsa-sha256
InternalHosts 127.0.0.1, 10.0.0.0/8
Socket inet:$MILTER_PORT@127.0.0.1
Syslog no
PidFile $PF/opendkim/opendkim.pid
EOC
}

# milter_start_chroot: a second OpenDKIM (same key) on $PF_CHROOT_SOCK, for
# the chrooted smtpd (one OpenDKIM listens on one socket only).
milter_start_chroot() {
	sed -e "s|^Socket .*|Socket local:$PF_CHROOT_SOCK|" \
	    -e "s|^PidFile .*|PidFile $PF/opendkim/chroot.pid|" \
	    "$PF/opendkim/opendkim.conf" >"$PF/opendkim/chroot.conf"
	echo "UMask 007" >>"$PF/opendkim/chroot.conf"
	pf_milter_bg MILTER_CHROOT_PID "$PF/milter-chroot.log" \
	    opendkim -x "$PF/opendkim/chroot.conf" -f
}

milter_start() {
	pf_milter_start opendkim opendkim -x "$PF/opendkim/opendkim.conf" -f
}
