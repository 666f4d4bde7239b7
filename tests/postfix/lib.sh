# tests/postfix/lib.sh: a private, throw-away Postfix instance for end-to-end
# tests of a signing milter. Sourced by the case scripts; POSIX sh.
#
# Everything lives under $PF (a temporary directory): config_directory
# $PF/etc, queue_directory $PF/spool, data_directory $PF/data, the log
# $PF/maillog, and the messages relayed to smtp-sink in $PF/sink/. Postfix
# listens on 127.0.0.1 only, on free high ports; nothing leaves loopback.
# The system's own Postfix configuration (if any) is neither read nor touched.
#
# Postfix's daemons must run as root (master opens its ports and switches to
# mail_owner), so the cases skip (77) unless run as root.
#
# Ports (pf_setup sets them):
#   PF_SMTP      smtpd with the milter (smtpd_milters)
#   PF_FILTER    smtpd with the milter whose mail goes to a content filter:
#                content_filter = smtp:[127.0.0.1]:PF_REINJ
#   PF_REINJ     the re-injection smtpd: receive_override_options=no_milters
#                and smtpd_milters= (as after amavis or any SMTP filter)
#   PF_FILTER2 / PF_REINJ2   the same two-pass path, but the re-injection
#                smtpd keeps its milters: the control case for double signing
#   PF_CHROOT    a chrooted smtpd (chroot = the spool) whose milter is
#                unix:milter/milter.sock, i.e. $PF_CHROOT_SOCK
#   PF_SINK      smtp-sink, where relayhost sends everything
# Non-SMTP mail (sendmail -C $PF/etc) goes through non_smtpd_milters.

PYTHON=${PYTHON:-/usr/bin/python3}
# This folder; a script elsewhere (tests/package/) sets it before sourcing.
here=${here:-$(cd "$(dirname "$0")" && pwd)}

pf_log() { echo "${E2E_NAME:-postfix-e2e}: $*"; }

# pf_require: skip unless root with Postfix installed (installing it when
# missing, as tests/lib/install-deps.sh does for every test dependency).
pf_require() {
	if [ "$(id -u)" != 0 ]; then
		pf_log "SKIP: Postfix's daemons need root"
		exit 77
	fi
	if ! [ -x /usr/sbin/postfix ] || ! [ -x /usr/sbin/smtp-sink ]; then
		top_src=${top_srcdir:-$here/../..}
		"$top_src/tests/lib/install-deps.sh" >&2 || true
	fi
	for t in /usr/sbin/postfix /usr/sbin/smtp-sink /usr/sbin/sendmail; do
		if ! [ -x "$t" ]; then
			pf_log "SKIP: $t missing and could not be installed"
			exit 77
		fi
	done
	if ! getent passwd postfix >/dev/null || ! getent group postdrop >/dev/null; then
		pf_log "SKIP: no postfix user or postdrop group (Postfix not installed properly)"
		exit 77
	fi
}

# pf_free_port [N]: N (default 1) distinct free TCP ports on 127.0.0.1. Another
# process could take one before we bind it; unlikely enough for a test.
pf_free_port() {
	"$PYTHON" - "${1:-1}" <<'EOP'
import socket, sys
socks = []
for _ in range(int(sys.argv[1])):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    socks.append(s)
print(" ".join(str(s.getsockname()[1]) for s in socks))
EOP
}

# pf_setup MILTER: MILTER is Postfix's name for the milter socket
# ("inet:127.0.0.1:PORT" or "unix:/path"). Creates $PF and the configuration.
pf_setup() {
	milter=$1
	# Not under /tmp: OpenDKIM refuses files below a world-writable
	# directory, and so would a careful p11dkim. /run is root's, 0755.
	base=/run
	[ -d "$base" ] && [ -w "$base" ] || base=/var/lib
	PF=$(mktemp -d "$base/p11dkim-postfix.XXXXXX")
	# Postfix's processes (user postfix) must reach the spool below.
	chmod 755 "$PF"
	mkdir -p "$PF/etc" "$PF/spool" "$PF/data" "$PF/sink"
	chown postfix "$PF/data" "$PF/sink"
	# shellcheck disable=SC2046
	set -- $(pf_free_port 7)
	PF_SMTP=$1 PF_FILTER=$2 PF_REINJ=$3 PF_FILTER2=$4 PF_REINJ2=$5 PF_SINK=$6 PF_CHROOT=$7
	# The chrooted smtpd reaches its milter on a unix socket inside the
	# spool, as contrib/postfix/main.cf (b) says: the directory belongs to
	# the milter's user (root here) and group postfix, setgid so that the
	# socket gets group postfix; the milter's umask 0007 does the rest.
	PF_CHROOT_SOCK=$PF/spool/milter/milter.sock
	mkdir -p "$PF/spool/milter"
	chgrp postfix "$PF/spool/milter"
	chmod 2750 "$PF/spool/milter"
	cat >"$PF/etc/main.cf" <<EOM
# Private test instance of p11dkim's tests/postfix (see lib.sh).
compatibility_level = 3.6
queue_directory = $PF/spool
data_directory = $PF/data
mail_owner = postfix
setgid_group = postdrop
maillog_file = $PF/maillog
maillog_file_prefixes = $PF
myhostname = mx.test.invalid
mydomain = test.invalid
myorigin = \$myhostname
mydestination =
local_recipient_maps =
alias_maps =
alias_database =
inet_interfaces = loopback-only
inet_protocols = ipv4
# Relay permission is Postfix's business, signing the milter's: the
# "external" client 192.0.2.7 may relay here so that we can see what the
# milter does with its mail.
mynetworks = 127.0.0.0/8 10.0.0.0/8 192.0.2.0/24
smtpd_relay_restrictions = permit_mynetworks, reject
# Lets the test claim another client address with XCLIENT (10.1.2.3 inside,
# 192.0.2.7 outside) while every packet stays on loopback.
smtpd_authorized_xclient_hosts = 127.0.0.0/8
smtpd_peername_lookup = no
relayhost = [127.0.0.1]:$PF_SINK
smtp_tls_security_level = none
smtpd_tls_security_level = none
smtp_dns_support_level = disabled
# Quick retries: the tests wait for deferred mail.
queue_run_delay = 2s
minimal_backoff_time = 2s
maximal_backoff_time = 4s
smtpd_milters = $milter
non_smtpd_milters = \$smtpd_milters
milter_protocol = ${PF_MILTER_PROTOCOL:-6}
# A signing milter that cannot be reached must not let mail out unsigned:
# receivers with DMARC p=reject would then refuse it, and nobody would know
# until the bounces came back. tempfail makes SMTP clients retry (4xx) and
# keeps non-SMTP mail in the queue until the milter is back; an outage shows
# up as a growing queue, not as lost mail.
milter_default_action = tempfail
milter_connect_timeout = 5s
EOM
	cat >"$PF/etc/master.cf" <<EOM
# service type private unpriv chroot wakeup maxproc command
127.0.0.1:$PF_SMTP inet n - n - - smtpd
127.0.0.1:$PF_FILTER inet n - n - - smtpd
  -o content_filter=smtp:[127.0.0.1]:$PF_REINJ
127.0.0.1:$PF_REINJ inet n - n - - smtpd
  -o content_filter=
  -o receive_override_options=no_unknown_recipient_checks,no_header_body_checks,no_milters
  -o smtpd_milters=
127.0.0.1:$PF_FILTER2 inet n - n - - smtpd
  -o content_filter=smtp:[127.0.0.1]:$PF_REINJ2
127.0.0.1:$PF_REINJ2 inet n - n - - smtpd
  -o content_filter=
127.0.0.1:$PF_CHROOT inet n - y - - smtpd
  -o smtpd_milters=unix:milter/milter.sock
pickup    unix  n - n 2 1 pickup
cleanup   unix  n - n - 0 cleanup
qmgr      unix  n - n 300 1 qmgr
rewrite   unix  - - n - - trivial-rewrite
bounce    unix  - - n - 0 bounce
defer     unix  - - n - 0 bounce
trace     unix  - - n - 0 bounce
verify    unix  - - n - 1 verify
flush     unix  n - n 1000? 0 flush
proxymap  unix  - - n - - proxymap
smtp      unix  - - n - - smtp
relay     unix  - - n - - smtp
showq     unix  n - n - - showq
error     unix  - - n - - error
retry     unix  - - n - - error
discard   unix  - - n - - discard
anvil     unix  - - n - 1 anvil
scache    unix  - - n - 1 scache
postlog   unix-dgram n - n - 1 postlogd
EOM
	trap pf_cleanup EXIT
	trap 'exit 1' INT TERM
}

# pf_cleanup: stop everything this test started; keep $PF when KEEP=1.
pf_cleanup() {
	rc=$?
	[ -n "${PF_SINK_PID:-}" ] && kill "$PF_SINK_PID" 2>/dev/null
	if [ -n "${PF:-}" ] && [ -f "$PF/etc/main.cf" ]; then
		/usr/sbin/postfix -c "$PF/etc" stop >/dev/null 2>&1 || true
		# master waits for its children; don't leave it behind.
		i=0
		while [ -f "$PF/spool/pid/master.pid" ] && [ $i -lt 50 ]; do
			sleep 0.1
			i=$((i + 1))
		done
	fi
	command -v milter_stop >/dev/null 2>&1 && milter_stop
	command -v milter_stop_chroot >/dev/null 2>&1 && milter_stop_chroot
	if [ "$rc" != 0 ] && [ -n "${PF:-}" ] && [ -f "$PF/maillog" ]; then
		pf_show_logs 60 "$PF/maillog"
		pf_show_logs 40 "$PF"/milter*.log
	fi
	pf_remove_dir "${PF:-}"
	exit "$rc"
}

# pf_show_logs N FILE...: the last N lines of each FILE that exists, for a failed run.
pf_show_logs() {
	n=$1
	shift
	for l in "$@"; do
		[ -f "$l" ] || continue
		echo "--- $l (last $n lines)"
		tail -n "$n" "$l"
	done
}

# pf_remove_dir DIR: the test's temporary directory removed, or kept (and said so) with KEEP=1.
pf_remove_dir() {
	if [ "${KEEP:-0}" = 1 ]; then
		pf_log "kept $1"
	elif [ -n "$1" ]; then
		rm -rf "$1"
	fi
}

# pf_wait_port PORT [SECONDS]: wait until something listens on 127.0.0.1:PORT.
pf_wait_port() {
	"$PYTHON" - "$1" "${2:-20}" <<'EOP'
import socket, sys, time
port, limit = int(sys.argv[1]), float(sys.argv[2])
end = time.time() + limit
while time.time() < end:
    try:
        socket.create_connection(("127.0.0.1", port), 1).close()
        sys.exit(0)
    except OSError:
        time.sleep(0.1)
sys.exit(1)
EOP
}

# The milter under test runs in the foreground, as a child of this shell, so
# that a stop can wait for it and report its exit status. A driver
# (milter-*.sh) defines milter_start and milter_start_chroot with the
# command; stopping is the same for every milter.

# pf_milter_bg PIDVAR LOG CMD...: run CMD in the background, its output
# appended to LOG; its pid in $PIDVAR.
pf_milter_bg() {
	pidvar=$1
	log=$2
	shift 2
	"$@" >>"$log" 2>&1 &
	eval "$pidvar=\$!"
}

# pf_milter_start NAME CMD...: start CMD, the milter on $MILTER_PORT (log
# $PF/milter.log, pid MILTER_PID), and wait until it listens.
pf_milter_start() {
	name=$1
	shift
	pf_milter_bg MILTER_PID "$PF/milter.log" "$@"
	pf_wait_port "$MILTER_PORT" || {
		pf_log "$name did not start"
		cat "$PF/milter.log"
		return 1
	}
}

# pf_milter_stop PIDVAR: SIGTERM the process whose pid is in $PIDVAR (none:
# nothing to do), wait for it, clear PIDVAR. Returns its exit status: a
# signing milter must finish the messages in flight and exit 0.
pf_milter_stop() {
	eval "pid=\${$1:-}"
	[ -n "$pid" ] || return 0
	kill "$pid" 2>/dev/null
	wait "$pid"
	st=$?
	eval "$1="
	return $st
}

milter_stop() { pf_milter_stop MILTER_PID; }
milter_stop_chroot() { pf_milter_stop MILTER_CHROOT_PID; }

pf_start() {
	/usr/sbin/smtp-sink -u postfix -d "$PF/sink/%H%M%S." "127.0.0.1:$PF_SINK" 32 \
	    >"$PF/sink.log" 2>&1 &
	PF_SINK_PID=$!
	# `postfix start` checks the configuration and file ownership first
	# (postfix-script check-fatal); its messages go to maillog.
	/usr/sbin/postfix -c "$PF/etc" start >"$PF/start.log" 2>&1 || {
		pf_log "postfix start failed:"
		cat "$PF/start.log" "$PF/maillog" 2>/dev/null
		return 1
	}
	pf_wait_port "$PF_SINK" || { pf_log "smtp-sink did not start"; return 1; }
	for p in "$PF_SMTP" "$PF_FILTER" "$PF_REINJ" "$PF_CHROOT"; do
		pf_wait_port "$p" || { pf_log "Postfix did not listen on $p"; return 1; }
	done
}

# pf_captures: the number of messages smtp-sink has received so far.
pf_captures() {
	find "$PF/sink" -type f | wc -l
}

# pf_wait_log PATTERN [SECONDS]: wait until maillog has a line matching the
# grep PATTERN.
pf_wait_log() {
	i=0
	limit=$((${2:-30} * 10))
	until grep -q -- "$1" "$PF/maillog" 2>/dev/null; do
		i=$((i + 1))
		[ $i -ge $limit ] && return 1
		sleep 0.1
	done
	return 0
}

# pf_find_capture TAG: the captured file whose message holds TAG (a unique
# Message-ID), or nothing.
pf_find_capture() {
	grep -l -r -F -- "$1" "$PF/sink" 2>/dev/null | head -n 1
}

# pf_wait_capture TAG [SECONDS]: wait for the message tagged TAG, print its path.
pf_wait_capture() {
	i=0
	limit=$((${2:-30} * 10))
	while :; do
		f=$(pf_find_capture "$1")
		[ -n "$f" ] && { echo "$f"; return 0; }
		i=$((i + 1))
		[ $i -ge $limit ] && return 1
		sleep 0.1
	done
}

# pf_message FILE FROM TO TAG: write a test message (CRLF) with Message-ID <TAG>.
pf_message() {
	printf 'From: Alice <%s>\r\nTo: <%s>\r\nSubject: p11dkim postfix test %s\r\nDate: %s\r\nMessage-ID: <%s>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\nHello from the %s case.\r\n\r\n  Two spaces, a tab\there, trailing blanks   \r\n.leading dot\r\n\r\n' \
	    "$2" "$3" "$4" "$(date -R)" "$4" "$4" >"$1"
}

# pf_submit_smtp PORT XCLIENT-ADDR|- FILE: submit over SMTP; prints the reply,
# returns submit.py's status (0 accepted, 4 4xx, 5 5xx, 1 other).
pf_submit_smtp() {
	xc=""
	[ "$2" != - ] && xc="--xclient $2"
	# shellcheck disable=SC2086
	"$PYTHON" "$here/submit.py" --port "$1" $xc --sender alice@example.com \
	    --rcpt bob@example.net "$3"
}

# pf_submit_sendmail FILE: non-SMTP submission through this instance.
pf_submit_sendmail() {
	/usr/sbin/sendmail -C "$PF/etc" -f alice@example.com bob@example.net <"$1"
}

# pf_queued: how many messages are still in this instance's maildrop and
# queues (incoming, active, deferred, hold).
pf_queued() {
	find "$PF/spool/maildrop" "$PF/spool/incoming" "$PF/spool/active" \
	    "$PF/spool/deferred" "$PF/spool/hold" -type f 2>/dev/null | wc -l
}
