# Sourced by the milter client tests: starts real Debian OpenDKIM daemons in
# signing mode, each in the foreground (its own process we kill at exit), with
# a key made by opendkim-genkey in a private temporary directory.
#
# odk_setup                 make $T (temp dir), the key, register cleanup
# odk_start NAME SOCKET CANON [EXTRA-CONFIG-LINE ...]
#                           start one instance; waits until its socket answers
# odk_inet_port             print a free loopback TCP port
# Needs: opendkim, opendkim-genkey (else exit 77), $PYTHON with dkimpy.

odk_pids=""

odk_cleanup() {
	for p in $odk_pids; do
		kill "$p" 2>/dev/null || true
	done
	for p in $odk_pids; do
		wait "$p" 2>/dev/null || true
	done
	[ -n "${T:-}" ] && rm -rf "$T"
}

odk_setup() {
	for tool in opendkim opendkim-genkey; do
		command -v "$tool" >/dev/null 2>&1 || [ -x "/usr/sbin/$tool" ] || {
			echo "SKIP: $tool not installed"
			exit 77
		}
	done
	PATH=$PATH:/usr/sbin
	export PATH
	${PYTHON:=/usr/bin/python3} -c 'import dkim' 2>/dev/null || {
		echo "SKIP: $PYTHON has no dkimpy"
		exit 77
	}
	# Short path: unix socket paths are limited to 108 bytes.
	T=$(mktemp -d /tmp/mctest.XXXXXX)
	trap odk_cleanup EXIT
	trap 'exit 1' INT TERM
	opendkim-genkey -D "$T" -d example.com -s sel1 -b 2048
	KEYTXT=$T/sel1.txt
	export KEYTXT
}

odk_inet_port() {
	$PYTHON -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# odk_start NAME SOCKET CANON [config lines...]
odk_start() {
	name=$1 sock=$2 canon=$3
	shift 3
	conf=$T/$name.conf
	{
		echo "Mode s"
		echo "Socket $sock"
		echo "Domain example.com"
		echo "Selector sel1"
		echo "KeyFile $T/sel1.private"
		echo "Canonicalization $canon"
		echo "InternalHosts 127.0.0.1"
		echo "Syslog no"
		echo "Background no"
		echo "RequireSafeKeys false"
		echo "UserID $(id -un)"
		for line in "$@"; do
			echo "$line"
		done
	} >"$conf"
	opendkim -x "$conf" -f >"$T/$name.log" 2>&1 &
	odk_pids="$odk_pids $!"
	# Ready when the socket exists / the port accepts.
	i=0
	while [ $i -lt 100 ]; do
		case $sock in
		unix:*) [ -S "${sock#unix:}" ] && return 0 ;;
		inet:* | inet6:*)
			port=${sock#inet*:}
			port=${port%%@*}
			$PYTHON -c "import socket,sys; s=socket.create_connection(('127.0.0.1' if '$sock'.startswith('inet:') else '::1', $port), 0.2)" 2>/dev/null && return 0
			;;
		esac
		sleep 0.1
		i=$((i + 1))
	done
	echo "opendkim $name did not start:"
	cat "$T/$name.log"
	exit 1
}
