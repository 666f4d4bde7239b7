#!/bin/sh
# Installs, with apt-get, the Debian packages that building p11dkim and running
# its tests and demo need, but only those that are missing. Used by tests/run.sh
# and contrib/demo.sh so that both work on a fresh Debian 12 machine.
# With arguments, installs those packages instead (the same way: only the missing ones, Postfix
# answered "No configuration"); tests/package/package.sh needs only a few.
set -eu

# Keep in step with configure.ac and with what the tests call. systemd is only
# for systemd-analyze (tests/contrib/unit-verify.sh); nothing here starts it.
# Sendmail itself is never installed (it conflicts with postfix): tests/sendmail
# downloads and unpacks it, and needs m4 and the libraries sendmail-bin links
# against, which conflict with nothing.
packages="gcc make autoconf automake libtool pkg-config
	libmilter-dev libsystemd-dev libp11-kit-dev libssl-dev libconfig-dev check
	softhsm2 opensc python3 python3-dkim python3-dnspython opendkim opendkim-tools libopendkim-dev
	dnsmasq-base clang libclang-rt-14-dev procps
	postfix man-db groff-base valgrind systemd
	m4 libdb5.3 libldap-2.5-0 liblockfile1 libnsl2 libsasl2-2 libwrap0"
[ $# = 0 ] || packages="$*"

missing=""
for p in $packages; do
	if ! dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$'; then
		missing="$missing $p"
	fi
done
[ -n "$missing" ] || exit 0

echo "install-deps: installing:$missing"
sudo=""
[ "$(id -u)" = 0 ] || sudo=sudo
# postfix's postinst asks how to configure the system's mail: answer "No
# configuration" (the tests run private instances with their own main.cf and
# never touch /etc/postfix/main.cf).
case " $missing " in
*" postfix "*)
	echo 'postfix postfix/main_mailer_type select No configuration' | $sudo debconf-set-selections
	echo 'postfix postfix/mailname string localhost.localdomain' | $sudo debconf-set-selections
	;;
esac
$sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq
# shellcheck disable=SC2086
$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >/dev/null
