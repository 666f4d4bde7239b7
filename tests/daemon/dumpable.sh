#!/bin/sh
# Every program that will hold a PIN turns core dumps and ptrace by its own uid off on its
# first line, before it reads its configuration (issue 16, L3): p11dkim (-n and the daemon),
# p11dkim-keytool and p11dkim-sign. An LD_PRELOAD probe (tests/lib/dumpable_probe.c) records
# PR_GET_DUMPABLE at the moment each opens the configuration file.
. "$top_srcdir/tests/daemon/lib.sh"
if dt_sanitized; then
	echo "SKIP: an LD_PRELOAD probe cannot go before the sanitizer runtime"
	exit 77
fi
dt_init dumpable
PROBE=$top_builddir/tests/lib/.libs/dumpable_probe.so
[ -f "$PROBE" ] || dt_fail "probe $PROBE not built"
dt_conf "$T/p11dkim.conf"
dt_msg "$T/m" 'From: alice@example.com\r\n'
probe() {
	: >"$T/probe.out"
	LD_PRELOAD=$PROBE PROBE_PATH=$T/p11dkim.conf PROBE_OUT=$T/probe.out "$@" >"$T/run.out" 2>&1 </dev/null ||
		{ cat "$T/run.out"; dt_fail "$*"; }
	[ -s "$T/probe.out" ] || dt_fail "$1 never opened its configuration"
	grep -qv '^0$' "$T/probe.out" && dt_fail "$1 is dumpable when it reads its configuration: $(tr '\n' ' ' <"$T/probe.out")"
	:
}
probe "$DT_BIN" -n -c "$T/p11dkim.conf"
probe "$top_builddir/tools/p11dkim-keytool" -c "$T/p11dkim.conf" list
LD_PRELOAD=$PROBE PROBE_PATH=$T/p11dkim.conf PROBE_OUT=$T/probe.out \
	"$top_builddir/tools/p11dkim-sign" -c "$T/p11dkim.conf" <"$T/m" >"$T/signed" 2>"$T/run.out" ||
	{ cat "$T/run.out"; dt_fail "p11dkim-sign"; }
grep -qv '^0$' "$T/probe.out" && dt_fail "p11dkim-sign is dumpable when it reads its configuration"
# The daemon itself, started in the foreground and stopped.
: >"$T/probe.out"
LD_PRELOAD=$PROBE PROBE_PATH=$T/p11dkim.conf PROBE_OUT=$T/probe.out dt_start "$T/p11dkim.conf"
dt_stop
[ "$(cat "$T/probe.out")" = 0 ] || dt_fail "the daemon is dumpable when it reads its configuration"
echo "PASS: p11dkim -n, the daemon, p11dkim-keytool and p11dkim-sign are not dumpable before reading their configuration"
