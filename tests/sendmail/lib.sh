# tests/sendmail/lib.sh: a private, throw-away Sendmail instance for end-to-end tests of
# p11dkim. Sourced by tests/sendmail/sendmail-p11dkim.sh after tests/postfix/lib.sh (whose
# port, wait, message and capture helpers it shares); POSIX sh.
#
# Debian's Sendmail, unpacked (tests/sendmail/debs.sh) below $SM/root, runs from there with
# its own configuration: $SM/etc/sendmail.cf (the MTA) and $SM/etc/submit.cf (the mail
# submission program, MSP, that `sendmail -t` is), both made by m4 from the unpacked
# sendmail-cf, with queues $SM/mqueue and $SM/clientmqueue, pid and status files in $SM.
# The MTA listens on 127.0.0.1:SM_SMTP and relays everything to Postfix's smtp-sink on
# 127.0.0.1:SM_SINK (captures in $SM/sink/, the format tests/lib/dkim-verify.py --sink
# reads); its milter is p11dkim on the unix socket $SM/milter/p11dkim.sock, the lines
# contrib/SENDMAIL.md documents. Nothing reads or writes /etc/mail or the system's MTA.
#
# Sendmail writes its log to syslog only; this machine may have none, so what the tests
# show comes from SMTP replies, the MSP's queue (sm_msp_queued), the captures and the
# traffic log of the MTA (-X $SM/traffic.log).
#
# The MTA runs as root, the MSP as user mail: root only, else the caller skips (77).

. "$here/debs.sh"

sm_log() { echo "sendmail-e2e: $*"; }

# sm_require: skip unless root, with the unpacked Sendmail's libraries, m4 and Postfix's
# smtp-sink (the sink) present; the packages themselves are fetched when not cached.
sm_require() {
	if [ "$(id -u)" != 0 ]; then
		sm_log "SKIP: Sendmail's daemon runs as root, its MSP as user mail: needs root"
		exit 77
	fi
	for t in m4 dpkg-deb apt-get /usr/sbin/smtp-sink opendkim; do
		command -v "$t" >/dev/null 2>&1 ||
		    { sm_log "SKIP: $t missing (tests/lib/install-deps.sh installs it)"; exit 77; }
	done
	getent passwd mail >/dev/null && getent group mail >/dev/null ||
	    { sm_log "SKIP: no user or group mail for the MSP to run as"; exit 77; }
	sm_debs_fetch || { sm_log "SKIP: apt-get download $SM_PACKAGES failed"; exit 77; }
}

# sm_sendmail ARGS...: the unpacked sendmail with ARGS. Sendmail qualifies the host's name
# before it reads its .cf, and when it cannot (a machine called "vm", /etc/hosts without a
# dotted name for it) it says "My unqualified host name (vm) unknown; sleeping for retry" and
# waits 60 s, at every start of the daemon, of `sendmail -t` and of a queue run. So each
# runs in a UTS namespace of its own named mx.test.invalid, where the system's host name
# stays untouched; without unshare it is only slow.
sm_sendmail() {
	if [ "$SM_UTS" = 1 ]; then
		unshare --uts sh -c 'hostname mx.test.invalid && exec "$@"' sh "$SENDMAIL" "$@"
	else
		"$SENDMAIL" "$@"
	fi
}

# sm_cf NAME: $SM/etc/NAME.cf from $SM/etc/NAME.mc with the unpacked sendmail-cf.
sm_cf() {
	m4 -D_CF_DIR_="$SM/root/usr/share/sendmail/cf/" \
	    "$SM/root/usr/share/sendmail/cf/m4/cf.m4" "$SM/etc/$1.mc" >"$SM/etc/$1.cf" \
	    2>"$SM/etc/$1.m4.log" || { cat "$SM/etc/$1.m4.log"; return 1; }
}

# sm_setup: $SM with the unpacked packages and both configurations.
sm_setup() {
	base=/run
	[ -d "$base" ] && [ -w "$base" ] || base=/var/lib
	SM=$(mktemp -d "$base/p11dkim-sendmail.XXXXXX")
	PF=$SM # tests/postfix/lib.sh's capture helpers read $PF/sink
	# Sendmail refuses files below a directory others may write (its "unsafe" checks).
	chmod 755 "$SM"
	trap sm_cleanup EXIT
	trap 'exit 1' INT TERM
	mkdir -p "$SM/root" "$SM/etc" "$SM/mqueue" "$SM/clientmqueue" "$SM/sink" "$SM/milter"
	sm_debs_unpack "$SM/root" || return 1
	SENDMAIL=$SM/root/usr/libexec/sendmail/sendmail
	if ldd "$SENDMAIL" | grep -q 'not found'; then
		sm_log "SKIP: the unpacked sendmail lacks libraries: $(ldd "$SENDMAIL" | grep 'not found' | tr '\n' ' ')"
		exit 77
	fi
	SM_UTS=0
	if unshare --uts sh -c 'hostname mx.test.invalid' 2>/dev/null; then
		SM_UTS=1
	else
		sm_log "no UTS namespace (unshare --uts): each Sendmail start may wait 60 s"
	fi
	chmod 700 "$SM/mqueue"
	# The MSP runs as mail and queues what the MTA refuses; Debian's smmsp would be
	# made by the maintainer scripts this test never runs.
	chown mail:mail "$SM/clientmqueue"
	chmod 770 "$SM/clientmqueue"
	chown postfix "$SM/sink"
	# As the systemd unit makes /run/p11dkim (RuntimeDirectoryMode=0750, another owner):
	# Sendmail checks the socket's path, and must accept that.
	chown mail:mail "$SM/milter"
	chmod 750 "$SM/milter"
	# shellcheck disable=SC2046
	set -- $(pf_free_port 2)
	SM_SMTP=$1 SM_SINK=$2
	SM_MILTER_SOCK=$SM/milter/p11dkim.sock
	# Host names from /etc/hosts only: a test must not wait for DNS.
	printf 'hosts\tfiles\naliases\tfiles\n' >"$SM/etc/service.switch"
	sm_mc_mta >"$SM/etc/sendmail.mc"
	sm_mc_msp >"$SM/etc/submit.mc"
	sm_cf sendmail && sm_cf submit
}

# Shared by both .mc files: where the instance keeps its files, no DNS, no aliases.
sm_mc_common() {
	cat <<EOM
divert(-1)
# Private test instance of p11dkim's tests/sendmail (see lib.sh). Generated.
divert(0)dnl
VERSIONID(\`p11dkim tests/sendmail')dnl
OSTYPE(\`linux')dnl
define(\`confDOMAIN_NAME', \`mx.test.invalid')dnl
define(\`confSERVICE_SWITCH_FILE', \`$SM/etc/service.switch')dnl
define(\`confHELP_FILE', \`$SM/root/etc/mail/helpfile')dnl
define(\`confDONT_PROBE_INTERFACES', \`True')dnl
define(\`confTO_IDENT', \`0s')dnl
undefine(\`ALIAS_FILE')dnl
FEATURE(\`nocanonify')dnl
EOM
}

# The MTA: SMTP on SM_SMTP, everything relayed to the sink, p11dkim as its milter.
sm_mc_mta() {
	sm_mc_common
	cat <<EOM
define(\`QUEUE_DIR', \`$SM/mqueue')dnl
define(\`confPID_FILE', \`$SM/sendmail.pid')dnl
define(\`STATUS_FILE', \`$SM/sendmail.st')dnl
define(\`SMART_HOST', \`esmtp:[127.0.0.1]')dnl
define(\`ESMTP_MAILER_ARGS', \`TCP \$h $SM_SINK')dnl
define(\`LOCAL_MAILER_PATH', \`/bin/false')dnl
FEATURE(\`accept_unresolvable_domains')dnl
FEATURE(\`no_default_msa')dnl
DAEMON_OPTIONS(\`Port=$SM_SMTP, Addr=127.0.0.1, Name=MTA')dnl
dnl Relaying is Sendmail's business, signing p11dkim's: the whole loopback net may relay,
dnl so that the "external" client 127.0.0.2 reaches the sink and shows what p11dkim did.
RELAY_DOMAIN(\`127')dnl
dnl The lines of contrib/SENDMAIL.md, the socket moved into this instance.
INPUT_MAIL_FILTER(\`p11dkim', \`S=unix:$SM_MILTER_SOCK, F=T, T=C:10s;S:30s;R:30s;E:2m')dnl
MAILER(\`local')dnl
MAILER(\`smtp')dnl
EOM
}

# The MSP: `sendmail -t` submits over SMTP to the MTA above, as Debian's submit.mc does
# to port 25; what the MTA refuses waits in $SM/clientmqueue.
sm_mc_msp() {
	sm_mc_common
	cat <<EOM
define(\`confRUN_AS_USER', \`mail:mail')dnl
define(\`MSP_QUEUE_DIR', \`$SM/clientmqueue')dnl
define(\`confPID_FILE', \`$SM/sm-client.pid')dnl
define(\`STATUS_FILE', \`$SM/sm-client.st')dnl
define(\`RELAY_MAILER_ARGS', \`TCP \$h $SM_SMTP')dnl
FEATURE(\`msp', \`[127.0.0.1]')dnl
EOM
}

# sm_start: the sink and the MTA daemon (no queue runner: the tests run queues themselves).
sm_start() {
	/usr/sbin/smtp-sink -u postfix -d "$SM/sink/%H%M%S." "127.0.0.1:$SM_SINK" 32 \
	    >"$SM/sink.log" 2>&1 &
	SM_SINK_PID=$!
	sm_sendmail -C "$SM/etc/sendmail.cf" -bd -X "$SM/traffic.log" >"$SM/start.log" 2>&1 || {
		sm_log "sendmail -bd failed:"
		cat "$SM/start.log"
		return 1
	}
	pf_wait_port "$SM_SINK" || { sm_log "smtp-sink did not start"; return 1; }
	pf_wait_port "$SM_SMTP" || { sm_log "Sendmail did not listen on $SM_SMTP"; return 1; }
}

# sm_cleanup: stop what this test started; keep $SM when KEEP=1.
sm_cleanup() {
	rc=$?
	[ -n "${SM_SINK_PID:-}" ] && kill "$SM_SINK_PID" 2>/dev/null
	if [ -n "${SM:-}" ] && [ -s "$SM/sendmail.pid" ]; then
		# The first line of Sendmail's pid file is the daemon's pid.
		kill "$(head -n 1 "$SM/sendmail.pid")" 2>/dev/null
	fi
	command -v milter_stop >/dev/null 2>&1 && milter_stop
	[ "$rc" != 0 ] && [ -n "${SM:-}" ] && pf_show_logs 60 "$SM/milter.log" "$SM/traffic.log"
	pf_remove_dir "${SM:-}"
	exit "$rc"
}

# sm_submit_smtp SOURCE-ADDR FILE: submit over SMTP from SOURCE-ADDR (any 127/8 address is
# this host); prints the reply, returns submit.py's status (0, 4 for 4xx, 5, 1).
sm_submit_smtp() {
	"$PYTHON" "$here/../postfix/submit.py" --port "$SM_SMTP" --bind "$1" \
	    --sender alice@example.com --rcpt bob@example.net "$2"
}

# sm_submit_msp FILE: `sendmail -t` through the MSP, recipients from the message.
sm_submit_msp() {
	sm_sendmail -C "$SM/etc/submit.cf" -f alice@example.com -t <"$1"
}

# sm_msp_queued: messages waiting in the MSP's queue (one qf file each).
sm_msp_queued() {
	find "$SM/clientmqueue" -name 'qf*' -type f | wc -l
}

# sm_msp_run: one run of the MSP's queue, as Debian's cron job does (sendmail -Ac -q).
sm_msp_run() {
	sm_sendmail -C "$SM/etc/submit.cf" -q
}
