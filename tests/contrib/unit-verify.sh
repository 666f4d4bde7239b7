#!/bin/sh
# The generated contrib/p11dkim.service passes `systemd-analyze verify`:
# every directive known to this systemd, values well-formed. The program
# paths are replaced with /bin/true (verify insists that they exist).
# Any output at all fails the test: verify reports an unknown key, section or
# value as a warning and still exits 0. systemd-analyze comes with Debian's
# systemd package (tests/lib/install-deps.sh); no running systemd is needed.
set -u
unit=${top_builddir:?}/contrib/p11dkim.service
command -v systemd-analyze >/dev/null 2>&1 || { echo "SKIP: no systemd-analyze"; exit 77; }
[ -f "$unit" ] || { echo "FAIL: $unit not built"; exit 1; }
d=$(mktemp -d)
trap 'rm -rf "$d"' EXIT
sed -e 's|^\(ExecStart[A-Za-z]*=\)[^ ]*|\1/bin/true|' "$unit" >"$d/p11dkim.service"
out=$(systemd-analyze verify --man=no "$d/p11dkim.service" 2>&1)
rc=$?
[ -z "$out" ] || echo "$out"
if [ $rc != 0 ] || [ -n "$out" ]; then
	echo "FAIL: systemd-analyze verify complained"
	exit 1
fi
grep -q '^Type=\(simple\|notify\)$' "$d/p11dkim.service" || { echo "FAIL: Type not substituted"; exit 1; }
grep -q '@[A-Za-z_]*@' "$d/p11dkim.service" && { echo "FAIL: unsubstituted @VAR@ left"; exit 1; }
echo "ok: $(grep -c '=' "$d/p11dkim.service") settings verified"
