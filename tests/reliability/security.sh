#!/bin/sh
# Security checks (issue 8, item 4), each a separate section that fails on its own:
#  S1 an external, unauthenticated client is never signed whatever the From says; the same
#     messages from an internal address are (so the judge can fail)
#  S2 the PIN is in no log line (verbose daemon over a run with token errors) and no error
#     message (wrong PIN, unsafe PIN file, missing PIN file)
#  S3 PIN file refused when group/others can read or write it; configuration refused when
#     group/others can write it
#  S4 the unix socket gets the mode socket_umask says
#  S5 an extractable key is refused at start (exit 1, message names the key), accepted and
#     signing with allow_extractable = true
#  S6 (root) the privilege drop to nobody: tests/daemon/privileges.sh (exits 77 when not root)
#  S7 (not root) not dumpable: /proc/PID/environ belongs to root although the daemon runs as us;
#     as root it cannot be told apart from a dumpable daemon, and S6 covers it
. "$top_srcdir/tests/daemon/lib.sh"
dt_init security
dt_fault_init
DT_DOMAINS='{ domain = "example.com"; subdomains = true;
    keys = ( { selector = "ed"; key = "dkim-ed"; } ); },
  { domain = "example.org"; keys = ( { selector = "ed"; key = "dkim-ed"; } ); }'
DT_SIGN='canonicalization = "relaxed/relaxed";'

# --- S1: external unauthenticated clients.
dt_conf "$T/p11dkim.conf"
dt_start "$T/p11dkim.conf"
n=0
for from in 'alice@example.com' 'ALICE@EXAMPLE.COM' 'a@Sub.Example.Com' 'a@example.com.' \
	'a@example.org' 'a@deep.sub.example.com' '"x@example.com" <a@example.com>' \
	'a@example.com, b@example.org' 'Alice <alice@example.com>' 'a@evil.example.net'; do
	n=$((n + 1))
	dt_msg "$T/s1.$n" "From: $from\r\n"
	# Internal: signed where the domain is ours (the control that the judge can fail).
	dt_send "$T/s1.$n.in" "$T/s1.$n" -q "S1IN$n" -a 127.0.0.1
	case $DT_RESULT in "action=c signatures=1"*) signed_in=$((${signed_in:-0} + 1)) ;; esac
	for addr in 192.0.2.7 10.2.0.1 ::ffff:192.0.2.7 ::ffff:10.2.0.1 2001:db8::7 \
		127.0.0.2 ::ffff:127.0.0.2 ::2 ""; do
		dt_send "$T/s1.$n.out" "$T/s1.$n" -q "S1EX$n" -a "${addr:-0.0.0.0}"
		case $DT_RESULT in
		*signatures=0*) ;;
		*) dt_fail "S1: external client ${addr:-0.0.0.0}, From: $from -> $DT_RESULT" ;;
		esac
		grep -qi '^DKIM-Signature' "$T/s1.$n.out" && dt_fail "S1: signature in output ($from)"
		ext=$((${ext:-0} + 1))
	done
done
[ "${signed_in:-0}" -ge 5 ] || dt_fail "S1: only ${signed_in:-0} internal messages signed (control)"
dt_verify "$T/s1.1.in" 1
echo "S1: $ext external unauthenticated messages, none signed; $signed_in of $n internal signed"

# --- S2: the PIN in no log and no error message. A verbose run through the fault module with
# token errors, then start-up failures.
PIN=$P11DKIM_PIN
dt_stop
cp "$T/log" "$T/log.s1"
DT_MODULE=$FAULT dt_conf "$T/p11dkim.conf"
dt_fault reset
DT_START_ARGS=-v dt_start "$T/p11dkim.conf"
dt_msg "$T/m" 'From: alice@example.com\r\n'
dt_send "$T/s2.1" "$T/m" -q S2OK
dt_expect "action=c signatures=1"
dt_fault 'fail_sign 100000 0x30'
dt_send "$T/s2.2" "$T/m" -q S2FAIL -t 30000
dt_expect "action=y"
dt_fault close_sessions reset
dt_send "$T/s2.3" "$T/m" -q S2BACK -t 30000
kill -HUP "$DT_PID"
dt_wait_log "reloaded " 100 || dt_fail "S2: no reload"
dt_stop
grep -q 'S2FAIL' "$T/log" || dt_fail "S2: the verbose log lacks the failed message"
cp "$T/log" "$T/log.s2"
lines=$(cat "$T/log.s1" "$T/log.s2" | wc -l)
# Start-up failures: a wrong PIN, a PIN file others can read, a missing PIN file.
WRONG=9876-wrong-pin
printf '%s' "$WRONG" >"$T/pin.wrong"
chmod 600 "$T/pin.wrong"
errs=""
for case in wrong unsafe missing; do
	f=$P11DKIM_PIN_FILE
	case $case in
	wrong) f=$T/pin.wrong ;;
	unsafe) cp "$P11DKIM_PIN_FILE" "$T/pin.unsafe" && chmod 644 "$T/pin.unsafe" && f=$T/pin.unsafe ;;
	missing) f=$T/pin.none ;;
	esac
	P11DKIM_PIN_FILE=$f dt_conf "$T/s2.$case.conf"
	st=0
	"$DT_BIN" -f -v -c "$T/s2.$case.conf" >"$T/s2.$case.err" 2>&1 || st=$?
	[ "$st" -ne 0 ] || dt_fail "S2: start with the $case PIN file succeeded"
	[ -s "$T/s2.$case.err" ] || dt_fail "S2: no error message for the $case PIN file"
	errs="$errs $case: $(tail -n 1 "$T/s2.$case.err");"
done
for f in "$T/log.s1" "$T/log.s2" "$T"/s2.*.err; do
	grep -qF -- "$PIN" "$f" && dt_fail "S2: the PIN is in $f"
	grep -qF -- "$WRONG" "$f" && dt_fail "S2: the wrong PIN is in $f"
done
grep -qF "pin.unsafe" "$T/s2.unsafe.err" || dt_fail "S2: the unsafe PIN file is not named"
echo "S2: PIN absent from $lines log lines (verbose, token errors) and 3 start-up errors:$errs"

# --- S3: modes of the PIN file and the configuration.
for mode in 0604 0602 0640 0620 0660 0606; do
	cp "$P11DKIM_PIN_FILE" "$T/pin.$mode"
	chmod "$mode" "$T/pin.$mode"
	P11DKIM_PIN_FILE=$T/pin.$mode dt_conf "$T/s3.conf"
	st=0
	"$DT_BIN" -f -c "$T/s3.conf" >"$T/s3.err" 2>&1 || st=$?
	[ "$st" -ne 0 ] || dt_fail "S3: PIN file mode $mode accepted"
	grep -qF "pin.$mode" "$T/s3.err" || { cat "$T/s3.err"; dt_fail "S3: PIN file not named"; }
done
for mode in 0602 0666 0620 0622; do
	dt_conf "$T/s3.$mode.conf"
	chmod "$mode" "$T/s3.$mode.conf"
	st=0
	"$DT_BIN" -f -c "$T/s3.$mode.conf" >"$T/s3.err" 2>&1 || st=$?
	[ "$st" -ne 0 ] || dt_fail "S3: configuration mode $mode accepted"
	grep -qF "s3.$mode.conf" "$T/s3.err" || { cat "$T/s3.err"; dt_fail "S3: conf not named"; }
done
echo "S3: PIN file refused at modes 0604 0602 0640 0620 0660 0606; configuration at 0602 0666 0620 0622"

# --- S4: socket mode from socket_umask.
for um in 0007:770 0077:700 0002:775 0000:777; do
	dt_conf "$T/p11dkim.conf" "socket_umask = \"${um%:*}\";"
	dt_start "$T/p11dkim.conf"
	got=$(stat -c %a "$T/p11dkim.sock")
	[ "$got" = "${um#*:}" ] || dt_fail "S4: socket_umask ${um%:*} gave mode $got, expected ${um#*:}"
	dt_stop
done
echo "S4: socket modes 770 700 775 777 for socket_umask 0007 0077 0002 0000"

# --- S5: an extractable key.
softhsm_keygen dkim-leaky ed25519 09 extractable || dt_fail "S5: keygen"
leaky=$(dt_dns_value dkim-leaky ed) || dt_fail "S5: public key"
echo "leaky._domainkey.example.com $leaky" >>"$T/dns.txt"
DT_DOMAINS='{ domain = "example.com"; keys = ( { selector = "leaky"; key = "dkim-leaky"; } ); }'
dt_conf "$T/s5.conf"
st=0
"$DT_BIN" -f -c "$T/s5.conf" >"$T/s5.err" 2>&1 || st=$?
[ "$st" -ne 0 ] || dt_fail "S5: extractable key accepted"
grep -qF "dkim-leaky" "$T/s5.err" || { cat "$T/s5.err"; dt_fail "S5: message does not name the key"; }
grep -qi "extractable" "$T/s5.err" || { cat "$T/s5.err"; dt_fail "S5: message does not say why"; }
s5msg=$(grep -i extractable "$T/s5.err" | head -n 1)
dt_conf "$T/s5.conf"
sed -i 's/sessions = 4;/sessions = 4; allow_extractable = true;/' "$T/s5.conf"
dt_start "$T/s5.conf"
dt_send "$T/s5.out" "$T/m" -q S5
dt_expect "action=c signatures=1"
dt_verify "$T/s5.out" 1
dt_stop
echo "S5: refused (exit $st: $s5msg); signs with allow_extractable"

DT_DOMAINS='{ domain = "example.com"; keys = ( { selector = "ed"; key = "dkim-ed"; } ); }'
# --- S7: not dumpable (S6, the same as root after the drop to nobody: tests/daemon/privileges.sh).
if [ "$(id -u)" = 0 ]; then
	echo "PASS: security checks S1-S5 (S7 needs a user other than root; S6 is privileges.sh)"
	exit 0
fi
dt_conf "$T/p11dkim.conf"
dt_start "$T/p11dkim.conf"
[ "$(stat -c %u "/proc/$DT_PID/environ")" = 0 ] ||
	dt_fail "S7: /proc/PID/environ belongs to $(stat -c %U "/proc/$DT_PID/environ"): dumpable"
cat "/proc/$DT_PID/environ" >/dev/null 2>&1 && dt_fail "S7: environ readable by its own user"
dt_stop
echo "S7: not dumpable (proc files owned by root, environ unreadable by the daemon's user)"
echo "PASS: security checks S1-S5, S7"
