#!/bin/sh
# tests/package/package.sh: the Debian package from contrib/debian/build.sh, installed on this
# machine and put to work the way README.Debian tells an administrator to:
#
#  1 lintian on the .deb (its output shown): no error, no warning
#  2 apt-get install: user and group p11dkim, /etc/p11dkim root:p11dkim 0750 with the example
#    as a conffile, the socket directory of a chrooted Postfix (p11dkim:postfix 2750), postfix
#    in group p11dkim, the unit installed and enabled but not started, the man pages,
#    ${shlibs:Depends} and Recommends: softhsm2 in the control data
#  3 the shipped configuration fails `p11dkim -n`: nothing is signed until the administrator
#    makes a token, a PIN file and keys
#  4 a SoftHSM token in the system's token directory, made as p11dkim; keys generated and DNS
#    records printed by the installed p11dkim-keytool
#  5 the daemon started with the installed unit's ExecStartPre and ExecStart, as its User and
#    with its UMask and RuntimeDirectory (no systemd runs here to do it)
#  6 the system's Postfix wired with postconf (smtpd_milters = unix:p11dkim/p11dkim.sock, a
#    chrooted smtpd on a free loopback port, relayhost = smtp-sink); one message over SMTP and
#    one through sendmail, each carrying two signatures that dkimpy and libopendkim verify
#  7 apt-get purge: the package's files, /etc/p11dkim, the socket directory and every file of
#    user p11dkim gone, except the token directory, which must survive with its keys
#
# Run as root after contrib/debian/build.sh; tests/run.sh does both. Skips (77) when not root,
# without apt-get, when p11dkim is installed already, or the system's Postfix runs or has mail
# queued (the test would replace the one and reconfigure the other, or relay that mail). On
# exit, even after a failure, it stops what it started, puts back /etc/postfix/main.cf and
# master.cf, purges the package and removes its token, and the p11dkim user if it made it.
# KEEP=1 keeps its temporary directory.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
here=$top/tests/postfix
PYTHON=/usr/bin/python3

log() { echo "package: $*"; }
skip() {
	log "SKIP: $*"
	exit 77
}
# die WHAT: a failure after which the later steps cannot run.
die() {
	fail "$*"
	exit 1
}

[ "$(id -u)" = 0 ] || skip "installs a package and runs the system's Postfix: needs root"
command -v apt-get >/dev/null 2>&1 && command -v dpkg >/dev/null 2>&1 ||
	skip "no apt-get or dpkg: not a Debian system"
version=$(sed -n 's/^AC_INIT(\[p11dkim\], \[\([^]]*\)\].*/\1/p' "$top/configure.ac")
deb=$top/_build/deb/p11dkim_${version}_$(dpkg --print-architecture).deb
[ -f "$deb" ] || die "$deb missing: run sh contrib/debian/build.sh first"
case $(dpkg-query -W -f='${Status}' p11dkim 2>/dev/null) in
*" not-installed" | "") ;;
*) skip "p11dkim is installed on this machine; the test would replace and purge it" ;;
esac
master_pid=$(tr -d ' ' 2>/dev/null </var/spool/postfix/pid/master.pid)
[ -n "$master_pid" ] && kill -0 "$master_pid" 2>/dev/null &&
	skip "the system's Postfix runs (pid $master_pid); the test would reconfigure it"
queued=$(find /var/spool/postfix/maildrop /var/spool/postfix/incoming /var/spool/postfix/active \
	/var/spool/postfix/deferred /var/spool/postfix/hold -type f 2>/dev/null | wc -l)
[ "$queued" = 0 ] ||
	skip "$queued messages wait in the system's Postfix queue; the test's relayhost would take them"

# The Postfix helpers (pf_free_port, pf_wait_port, pf_message, pf_wait_capture,
# pf_milter_bg; judge.sh: check_signed) work on $PF.
. "$here/lib.sh"
# check_signed (both verifiers); its ok and fail are replaced by this test's own below.
. "$here/judge.sh"
fails=0
ok() { log "ok: $*"; }
fail() {
	log "FAIL: $*"
	fails=$((fails + 1))
}

sh "$top/tests/lib/install-deps.sh" postfix softhsm2 opendkim python3 python3-dkim \
	python3-dnspython lintian || die "could not install what the test needs"

getent passwd p11dkim >/dev/null && made_user=no || made_user=yes
tokendir=$(sed -n 's/^directories.tokendir *= *//p' /etc/softhsm/softhsm2.conf | sed 's|/*$||')
[ -d "$tokendir" ] || die "no SoftHSM token directory ($tokendir)"
PF=$(mktemp -d /run/p11dkim-package.XXXXXX)
chmod 755 "$PF"
mkdir "$PF/sink" "$PF/postfix.orig"
chown postfix "$PF/sink"
cp -p /etc/postfix/master.cf "$PF/postfix.orig/"
[ -f /etc/postfix/main.cf ] && cp -p /etc/postfix/main.cf "$PF/postfix.orig/"
ls "$tokendir" >"$PF/tokens.before"
conf=/etc/p11dkim/p11dkim.conf
sock=/var/spool/postfix/p11dkim/p11dkim.sock
unit=/lib/systemd/system/p11dkim.service

# procs NAME: the pids of the processes whose command is NAME (procps may be absent).
procs() {
	for c in /proc/[0-9]*/comm; do
		[ "$(cat "$c" 2>/dev/null)" = "$1" ] && { p=${c#/proc/}; echo "${p%/comm}"; }
	done
}

cleanup() {
	rc=$?
	trap - EXIT
	[ "$fails" = 0 ] || rc=1
	[ -n "${MILTER_PID:-}" ] && kill "$MILTER_PID" 2>/dev/null && wait "$MILTER_PID"
	[ -n "${sink_pid:-}" ] && kill "$sink_pid" 2>/dev/null
	if [ -n "${postfix_started:-}" ]; then
		postfix stop >/dev/null 2>&1
		i=0
		while [ -f /var/spool/postfix/pid/master.pid ] && [ $i -lt 100 ]; do
			sleep 0.1
			i=$((i + 1))
		done
	fi
	cp -p "$PF/postfix.orig/master.cf" /etc/postfix/master.cf
	if [ -f "$PF/postfix.orig/main.cf" ]; then
		cp -p "$PF/postfix.orig/main.cf" /etc/postfix/main.cf
	else
		rm -f /etc/postfix/main.cf
	fi
	if [ "$rc" != 0 ]; then
		for l in "$PF/maillog" "$PF/milter.log"; do
			[ -f "$l" ] && { echo "--- $l (last 40 lines)"; tail -n 40 "$l"; }
		done
	fi
	case $(dpkg-query -W -f='${Status}' p11dkim 2>/dev/null) in
	*" not-installed" | "") ;;
	*) DEBIAN_FRONTEND=noninteractive apt-get purge -y -qq p11dkim >/dev/null 2>&1 ;;
	esac
	# What a faulty purge left (step 7 failed then): p11dkim was not on this machine before.
	rm -rf /etc/p11dkim /var/spool/postfix/p11dkim /run/p11dkim
	ls "$tokendir" | grep -v -x -F -f "$PF/tokens.before" | while read -r t; do
		rm -rf "${tokendir:?}/$t"
	done
	if [ "$made_user" = yes ] && getent passwd p11dkim >/dev/null; then
		userdel p11dkim
		getent group p11dkim >/dev/null && groupdel p11dkim
	fi
	if [ "${KEEP:-0}" = 1 ]; then
		log "kept $PF"
	else
		rm -rf "$PF"
	fi
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

# --- 1: lintian
log "lintian $deb:"
lintian -i -I --pedantic --show-overrides "$deb" >"$PF/lintian.out" 2>&1
sed 's/^/  /' "$PF/lintian.out"
n=$(grep -c -E '^[EW]: ' "$PF/lintian.out")
[ "$n" = 0 ] && ok "lintian: no error, no warning" || fail "lintian: $n errors or warnings"

# --- 2: installation
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$deb" >"$PF/install.out" 2>&1 || {
	cat "$PF/install.out"
	die "apt-get install $deb failed"
}
ok "apt-get install $deb"
pw=$(getent passwd p11dkim)
case $pw in
p11dkim:*:*:*:*:/nonexistent:/usr/sbin/nologin)
	uid=$(echo "$pw" | cut -d: -f3)
	[ "$uid" -lt 1000 ] && ok "system user p11dkim (uid $uid, no home, no shell)" ||
		fail "p11dkim's uid $uid is not a system uid"
	;;
*) fail "user p11dkim: '$pw'" ;;
esac
getent group p11dkim >/dev/null && ok "group p11dkim" || fail "no group p11dkim"
# expect_stat WHAT PATH "OWNER GROUP MODE"
expect_stat() {
	got=$(stat -c '%U %G %a' "$2" 2>&1)
	[ "$got" = "$3" ] && ok "$1: $2 $got" || fail "$1: $2 is '$got', expected '$3'"
}
expect_stat "configuration directory" /etc/p11dkim "root p11dkim 750"
expect_stat "chrooted Postfix's socket directory" /var/spool/postfix/p11dkim "p11dkim postfix 2750"
dpkg-query -W -f='${Conffiles}\n' p11dkim | grep -q "^ $conf " &&
	ok "$conf is a conffile" || fail "$conf is not a conffile"
cmp -s "$conf" "$top/contrib/p11dkim.conf.example" &&
	ok "$conf is contrib/p11dkim.conf.example" || fail "$conf differs from the example"
id -nG postfix | tr ' ' '\n' | grep -q -x p11dkim &&
	ok "postfix is in group p11dkim" || fail "postfix not in group p11dkim: $(id -nG postfix)"
id -nG p11dkim | tr ' ' '\n' | grep -q -x softhsm &&
	ok "p11dkim is in group softhsm" || fail "p11dkim not in group softhsm: $(id -nG p11dkim)"
missing=""
for m in man8/p11dkim.8 man5/p11dkim.conf.5 man1/p11dkim-keytool.1 man1/p11dkim-sign.1 \
	man1/p11dkim-load.1; do
	[ -f "/usr/share/man/$m.gz" ] || missing="$missing $m"
done
[ -z "$missing" ] && ok "five man pages in /usr/share/man" || fail "man pages missing:$missing"
[ -f "$unit" ] || die "$unit missing"
grep -q '^ExecStartPre=/usr/sbin/p11dkim -n ' "$unit" && grep -q '^User=p11dkim$' "$unit" &&
	grep -q '^Type=notify$' "$unit" &&
	ok "$unit: Type=notify, User=p11dkim, ExecStartPre=$(sed -n 's/^ExecStartPre=//p' "$unit")" ||
	fail "$unit lacks Type=notify, User=p11dkim or ExecStartPre p11dkim -n"
[ "$(readlink /etc/systemd/system/multi-user.target.wants/p11dkim.service)" = "$unit" ] &&
	ok "unit enabled (multi-user.target.wants)" || fail "unit not enabled"
[ -z "$(procs p11dkim)" ] && ok "p11dkim not started by the installation" ||
	fail "p11dkim runs after installation: pid $(procs p11dkim)"
deps=$(dpkg-query -W -f='${Depends}' p11dkim)
case $deps in
*libmilter1.0.1*libssl3* | *libssl3*libmilter1.0.1*) ok "Depends: $deps" ;;
*) fail "Depends lacks the shared libraries: $deps" ;;
esac
[ "$(dpkg-query -W -f='${Recommends}' p11dkim)" = softhsm2 ] && ok "Recommends: softhsm2" ||
	fail "Recommends: $(dpkg-query -W -f='${Recommends}' p11dkim)"

# --- 3: the shipped configuration signs nothing by itself.
if out=$(runuser -u p11dkim -- p11dkim -n 2>&1); then
	fail "p11dkim -n passes on the shipped configuration: $out"
else
	ok "p11dkim -n refuses the shipped configuration: $(echo "$out" | grep -v '^warning:' | tr '\n' ' ')"
fi

# --- 4: token, PIN file, configuration, keys.
label=p11dkim-package-test
pin=4711-pkg
runuser -u p11dkim -- softhsm2-util --init-token --free --label "$label" --pin "$pin" \
	--so-pin 0815-so >"$PF/init.out" 2>&1 || {
	cat "$PF/init.out"
	die "softhsm2-util --init-token as p11dkim failed"
}
install -m 0600 -o p11dkim -g p11dkim /dev/null /etc/p11dkim/pin
printf '%s' "$pin" >/etc/p11dkim/pin
# log = "stderr": no syslog daemon here; under systemd the journal takes stderr as well.
cat >"$conf" <<EOC
socket = "unix:$sock";
log = "stderr";
token: { module = "/usr/lib/softhsm/libsofthsm2.so"; token = "$label";
         pin_file = "/etc/p11dkim/pin"; };
sign:  { internal_hosts = [ "127.0.0.1" ]; };
domains = ( { domain = "example.com";
              keys = ( { selector = "rsa2026"; key = "example.com-rsa2026"; },
                       { selector = "ed2026";  key = "example.com-ed2026"; } ); } );
EOC
MILTER_KEYS=$PF/keys.txt
: >"$MILTER_KEYS"
for k in "rsa2048 rsa2026" "ed25519 ed2026"; do
	set -- $k
	runuser -u p11dkim -- p11dkim-keytool -c "$conf" generate --label "example.com-$2" \
		--type "$1" >>"$PF/keytool.out" 2>&1 || {
		cat "$PF/keytool.out"
		die "p11dkim-keytool generate $1 failed"
	}
	rec=$(runuser -u p11dkim -- p11dkim-keytool -c "$conf" dns --label "example.com-$2" \
		--domain example.com --selector "$2" --one-line) || die "p11dkim-keytool dns failed"
	printf '%s._domainkey.example.com %s\n' "$2" "$rec" >>"$MILTER_KEYS"
done
ok "token $label made as p11dkim; keys and records from p11dkim-keytool:"
runuser -u p11dkim -- p11dkim-keytool -c "$conf" list 2>&1 | sed 's/^/  /'
newtok=$(ls "$tokendir" | grep -v -x -F -f "$PF/tokens.before")
[ -n "$newtok" ] || die "no new token directory in $tokendir"

# --- 5: the daemon, as the unit would run it.
pre=$(sed -n 's/^ExecStartPre=//p' "$unit")
start=$(sed -n 's/^ExecStart=//p' "$unit")
case "$pre$start" in
*[%\$\"\']*) die "the unit's command lines need systemd's expansion: $pre / $start" ;;
esac
# RuntimeDirectory=p11dkim, RuntimeDirectoryMode=0750, UMask=0027.
install -d -o p11dkim -g p11dkim -m 0750 /run/p11dkim
asunit="setpriv --reuid=p11dkim --regid=p11dkim --init-groups"
umask 027
# shellcheck disable=SC2086
if out=$($asunit $pre 2>&1); then
	ok "ExecStartPre passes: $(echo "$out" | tr '\n' ' ')"
else
	echo "$out"
	die "ExecStartPre ($pre) failed on the administrator's configuration"
fi
# In the background as one process (setpriv execs p11dkim), so that SIGTERM reaches it.
# shellcheck disable=SC2086
pf_milter_bg MILTER_PID "$PF/milter.log" $asunit $start
umask 022
i=0
while ! [ -S "$sock" ] && [ $i -lt 200 ]; do
	sleep 0.1
	i=$((i + 1))
done
[ -S "$sock" ] || die "p11dkim made no socket $sock"
expect_stat "socket" "$sock" "p11dkim postfix 770"
dpid=$(procs p11dkim)
[ "$(stat -c %U "/proc/$dpid")" = p11dkim ] && ok "daemon (pid $dpid) runs as p11dkim" ||
	fail "daemon pid '$dpid' does not run as p11dkim"

# --- 6: the system's Postfix, wired with postconf.
set -- $(pf_free_port 2)
smtp_port=$1 sink_port=$2
[ -f /etc/postfix/main.cf ] || : >/etc/postfix/main.cf
# Loopback only, no DNS, no TLS, relayed to smtp-sink: nothing leaves this machine. Port 25
# is the host's, maybe taken: the chrooted smtpd listens on a free port instead.
postconf -e "compatibility_level = 3.6" "myhostname = mx.test.invalid" \
	"mydomain = test.invalid" "myorigin = \$myhostname" "mydestination =" \
	"local_recipient_maps =" "alias_maps =" "alias_database =" \
	"inet_interfaces = loopback-only" "inet_protocols = ipv4" "mynetworks = 127.0.0.0/8" \
	"relayhost = [127.0.0.1]:$sink_port" "smtp_dns_support_level = disabled" \
	"smtp_tls_security_level = none" "smtpd_tls_security_level = none" \
	"maillog_file = $PF/maillog" "maillog_file_prefixes = $PF" \
	"smtpd_milters = unix:p11dkim/p11dkim.sock" "non_smtpd_milters = \$smtpd_milters" \
	"milter_default_action = tempfail" || die "postconf -e failed"
postconf -M# smtp/inet
postconf -M -e "127.0.0.1:$smtp_port/inet = 127.0.0.1:$smtp_port inet n - y - - smtpd" ||
	die "postconf -M failed"
/usr/sbin/smtp-sink -u postfix -d "$PF/sink/%H%M%S." "127.0.0.1:$sink_port" 32 \
	>"$PF/sink.log" 2>&1 &
sink_pid=$!
postfix_started=yes
postfix start >"$PF/start.log" 2>&1 || {
	cat "$PF/start.log"
	die "postfix start failed"
}
pf_wait_port "$smtp_port" || die "Postfix does not listen on $smtp_port"
pf_wait_port "$sink_port" || die "smtp-sink does not listen on $sink_port"
ok "Postfix: smtpd_milters = $(postconf -h smtpd_milters), chrooted smtpd on 127.0.0.1:$smtp_port"

pf_message "$PF/msg.smtp" alice@example.com bob@example.net "smtp-$$@example.com"
pf_message "$PF/msg.sendmail" alice@example.com bob@example.net "sendmail-$$@example.com"
r=$("$PYTHON" "$here/submit.py" --port "$smtp_port" --sender alice@example.com \
	--rcpt bob@example.net "$PF/msg.smtp") || fail "SMTP submission refused: $r"
/usr/sbin/sendmail -f alice@example.com bob@example.net <"$PF/msg.sendmail" ||
	fail "sendmail submission failed"
for how in smtp sendmail; do
	if f=$(pf_wait_capture "$how-$$@example.com" 30); then
		check_signed "$f" 2 "$how through the system's Postfix"
	else
		fail "$how: message not relayed within 30 s"
	fi
done
roots=$(for p in $(procs smtpd); do readlink "/proc/$p/root"; done)
echo "$roots" | grep -q -x /var/spool/postfix &&
	ok "the smtpd that served us runs chrooted into /var/spool/postfix" ||
	fail "no smtpd chrooted into /var/spool/postfix (roots: $(echo $roots))"

if pf_milter_stop MILTER_PID; then
	ok "p11dkim stopped with status 0 on SIGTERM"
else
	fail "p11dkim exited with status $? on SIGTERM"
fi

# --- 7: purge.
DEBIAN_FRONTEND=noninteractive apt-get purge -y -qq p11dkim >"$PF/purge.out" 2>&1 || {
	cat "$PF/purge.out"
	die "apt-get purge p11dkim failed"
}
st=$(dpkg-query -W -f='${Status}' p11dkim 2>/dev/null)
case $st in
*" not-installed" | "") ok "apt-get purge p11dkim" ;;
*) fail "after purge, dpkg says: $st" ;;
esac
left=""
for p in /etc/p11dkim /var/spool/postfix/p11dkim /run/p11dkim "$unit" \
	/etc/systemd/system/multi-user.target.wants/p11dkim.service /usr/sbin/p11dkim \
	/usr/bin/p11dkim-keytool /usr/share/doc/p11dkim; do
	if [ -e "$p" ] || [ -L "$p" ]; then left="$left $p"; fi
done
[ -z "$left" ] && ok "purge removed the configuration, PIN file, socket directory, unit and programs" ||
	fail "left after purge:$left"
left=$(find /etc /var /run /usr /srv /opt /tmp -path "$tokendir/$newtok" -prune -o \
	-user p11dkim -print 2>/dev/null)
[ -z "$left" ] && ok "no file of user p11dkim left outside the token directory" ||
	fail "files of p11dkim left after purge: $(echo $left)"
if [ -f "$tokendir/$newtok/token.object" ] &&
	softhsm2-util --show-slots 2>/dev/null | grep -q "Label: *$label *\$"; then
	ok "token directory $tokendir/$newtok kept: $(ls "$tokendir/$newtok" | wc -l) objects, label $label"
else
	fail "token $label ($tokendir/$newtok) did not survive the purge"
fi
getent passwd p11dkim >/dev/null && ok "user p11dkim kept (token files may belong to it)" ||
	fail "user p11dkim removed by the purge (README.Debian says it stays)"
id -nG postfix | tr ' ' '\n' | grep -q -x p11dkim &&
	fail "postfix still in group p11dkim after purge"

if [ "$fails" = 0 ]; then
	log "all checks passed"
	exit 0
fi
log "$fails failure(s)"
exit 1
