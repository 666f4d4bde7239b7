#!/bin/sh
# The privilege drop (needs root; exits 77 otherwise): with user = "nobody" the daemon gives the
# unix socket to nobody, runs as nobody (every uid and gid), keeps no capability, is not
# dumpable (its /proc files stay root's, and nobody can neither read its environ nor attach to
# it), signs, reloads a file nobody can read, and cannot reread a file only root can read
# (the reload fails and the old state keeps signing).
if [ "$(id -u)" != 0 ]; then
	echo "SKIP: the privilege drop needs root"
	exit 77
fi
. "$top_srcdir/tests/daemon/lib.sh"
dt_init privileges
dt_msg "$T/m" 'From: alice@example.com\r\n'
mkdir -p "$T/run"
# The token's files and the configuration must be readable by nobody.
chmod 711 "$T"
chown -R nobody "$T/hsm/tokens"
chown nobody "$T/run"
dt_conf "$T/p11dkim.conf" "pid_file = \"$T/run/p11dkim.pid\";
user = \"nobody\";"
chmod 644 "$T/p11dkim.conf"
dt_start "$T/p11dkim.conf"
for f in Uid Gid; do
	set -- $(grep "^$f:" "/proc/$DT_PID/status")
	[ "$2 $3 $4 $5" = "65534 65534 65534 65534" ] || dt_fail "$f is $2 $3 $4 $5, expected nobody"
done
for c in CapInh CapPrm CapEff CapAmb; do
	v=$(awk -v c="$c:" '$1 == c {print $2}' "/proc/$DT_PID/status")
	[ -z "$v" ] || [ "$v" = 0000000000000000 ] || dt_fail "$c is $v"
done
[ "$(stat -c %u "/proc/$DT_PID/environ")" = 0 ] || dt_fail "dumpable (environ not root's)"
[ "$(stat -c %U "$T/p11dkim.sock")" = nobody ] || dt_fail "socket not given to nobody"
# As the daemon's own user, its memory is out of reach. Reading /proc/PID/environ is a
# PTRACE_MODE_READ access check, which for the same uid fails only when the process is not
# dumpable (Yama's ptrace_scope restricts attaching, not this); the control shows that nobody
# reads a dumpable process of its own. The gdb attach is extra evidence (Yama may also refuse).
asnobody() { setpriv --reuid=nobody --regid="$(id -g nobody)" --clear-groups "$@"; }
if command -v setpriv >/dev/null 2>&1; then
	asnobody cat /proc/self/environ >/dev/null 2>&1 || dt_fail "setpriv to nobody fails"
	asnobody cat "/proc/$DT_PID/environ" >/dev/null 2>&1 && dt_fail "nobody reads the daemon's environ"
	checked=", environ unreadable by nobody"
	if command -v gdb >/dev/null 2>&1; then
		asnobody gdb -n -batch -p "$DT_PID" -ex 'info threads' >"$T/gdb.out" 2>&1 || true
		grep -q 'ptrace: Operation not permitted' "$T/gdb.out" || {
			cat "$T/gdb.out"
			dt_fail "gdb as nobody was not refused by ptrace"
		}
		checked="$checked, ptrace by nobody refused"
	fi
fi
dt_send "$T/out.n" "$T/m" -q P1
dt_expect "action=c signatures=2"
dt_verify "$T/out.n" 2
kill -HUP "$DT_PID"
dt_wait_log "reloaded " 100 || dt_fail "no reload as nobody"
# The configuration becomes root's only: the reload fails (the daemon cannot regain root), the
# daemon keeps its old state and signs.
chmod 600 "$T/p11dkim.conf"
kill -HUP "$DT_PID"
dt_wait_log "Permission denied" 100 || dt_fail "reload of a root-only configuration did not fail"
kill -0 "$DT_PID" || dt_fail "daemon died on the failed reload"
dt_send "$T/out.n2" "$T/m" -q P2
dt_expect "action=c signatures=2"
dt_verify "$T/out.n2" 2
dt_stop
echo "PASS: runs as nobody (uids, gids, no capabilities), socket given to nobody, not dumpable${checked:-}; reloads, cannot reread root's files; $DT_VERIFIED signatures verified"
