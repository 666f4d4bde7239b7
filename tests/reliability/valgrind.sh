#!/bin/sh
# valgrind memcheck on the daemon end to end (issue 8, item 3): p11dkim under memcheck on a
# fresh SoftHSM token signs a handful of messages (RSA and Ed25519), skips an external one,
# tempfails one on an injected token error through the fault module, reloads on SIGHUP, signs
# again and stops. Pass: exit status 0 under --error-exitcode (no invalid read/write, no use
# of uninitialised values, no definite leak: --errors-for-leak-kinds=definite), and the leak
# summary says "definitely lost: 0". tests/reliability/valgrind.supp suppresses only
# third-party internals. Skips (77) when valgrind is missing or the build uses a sanitizer.
. "$top_srcdir/tests/daemon/lib.sh"
command -v valgrind >/dev/null 2>&1 || {
	echo "SKIP: valgrind missing"
	exit 77
}
if dt_sanitized; then
	echo "SKIP: the daemon is built with a sanitizer"
	exit 77
fi
dt_init valgrind
dt_fault_init
REAL=$DT_BIN
cat >"$T/vg" <<EOF
#!/bin/sh
exec valgrind --tool=memcheck --leak-check=full --show-leak-kinds=definite \\
	--errors-for-leak-kinds=definite --error-exitcode=99 --track-origins=yes \\
	--suppressions=$top_srcdir/tests/reliability/valgrind.supp --gen-suppressions=all \\
	--log-file=$T/vg.log "$REAL" "\$@"
EOF
chmod +x "$T/vg"
DT_BIN=$T/vg
DT_MODULE=$FAULT dt_conf "$T/p11dkim.conf"
dt_start "$T/p11dkim.conf"
dt_msg "$T/m" 'From: alice@example.com\r\n'
for i in 1 2 3; do
	dt_send "$T/out.$i" "$T/m" -q "VG$i" -t 60000
	dt_expect "action=c signatures=2"
done
dt_verify "$T/out.3" 2
dt_send "$T/out.ext" "$T/m" -q VGEXT -a 192.0.2.1 -t 60000
dt_expect "action=a signatures=0"
dt_fault 'fail_sign 100000 0x30'
dt_send "$T/out.tf" "$T/m" -q VGTF -t 60000
dt_expect "action=y signatures=0"
dt_fault reset
kill -HUP "$DT_PID"
dt_wait_log "reloaded " 300 || dt_fail "no reload"
dt_send "$T/out.4" "$T/m" -q VG4 -t 60000
dt_expect "action=c signatures=2"
dt_verify "$T/out.4" 2
st=0
kill -TERM "$DT_PID"
wait "$DT_PID" || st=$?
DT_PID=""
grep -E 'ERROR SUMMARY|definitely lost:|indirectly lost:' "$T/vg.log" | sed 's/^==[0-9]*== //'
[ "$st" -eq 0 ] || {
	grep -A 30 'Invalid\|uninitialised\|definitely lost in' "$T/vg.log" | head -n 150
	dt_fail "memcheck: daemon exited $st (99 = memcheck errors)"
}
grep -q 'definitely lost: 0 bytes\|All heap blocks were freed' "$T/vg.log" ||
	dt_fail "memcheck: definite leaks"
echo "PASS: memcheck: 6 messages, reload, stop: no errors, no definite leak"
