# tests/sendmail/debs.sh: Debian's Sendmail, unpacked for a private instance, never
# installed. Sourced by tests/sendmail/lib.sh; POSIX sh.
#
# Postfix and Sendmail both provide mail-transport-agent and conflict, and the Postfix tests
# need Postfix installed; so the Sendmail packages are fetched with `apt-get download` into a
# cache that outlives the run (SM_DEB_CACHE, default /var/cache/p11dkim-tests/sendmail) and
# unpacked with `dpkg-deb -x` into the run's own directory. Nothing runs their maintainer
# scripts: no smmsp user, no /etc/mail, no init script. The libraries sendmail-bin links
# against (libwrap0, liblockfile1, ...) do not conflict with anything and are installed by
# tests/lib/install-deps.sh; m4 builds the .cf files.

SM_PACKAGES="sendmail-bin sendmail-base sendmail-cf"

# sm_debs_fetch: every package of SM_PACKAGES as a .deb in SM_DEB_CACHE, downloading what is
# missing. apt's package lists may be older than the archive (a point release replaces the
# files), so a failed download is tried once more after `apt-get update`.
sm_debs_fetch() {
	SM_DEB_CACHE=${SM_DEB_CACHE:-/var/cache/p11dkim-tests/sendmail}
	mkdir -p "$SM_DEB_CACHE" || return 1
	need=""
	for p in $SM_PACKAGES; do
		ls "$SM_DEB_CACHE/${p}_"*.deb >/dev/null 2>&1 || need="$need $p"
	done
	[ -n "$need" ] || return 0
	# apt downloads as _apt where it can; a cache only root writes would make it warn.
	# shellcheck disable=SC2086
	(cd "$SM_DEB_CACHE" && apt-get -q download $need >download.log 2>&1) ||
	    { apt-get -qq update >/dev/null 2>&1 &&
	      (cd "$SM_DEB_CACHE" && apt-get -q download $need >download.log 2>&1); } || {
		cat "$SM_DEB_CACHE/download.log" >&2
		return 1
	}
}

# sm_debs_unpack DIR: the cached packages unpacked below DIR (DIR/usr/libexec/sendmail/sendmail,
# DIR/usr/share/sendmail/cf/...).
sm_debs_unpack() {
	for p in $SM_PACKAGES; do
		# The newest cached version: names sort by version within one package here.
		deb=$(ls "$SM_DEB_CACHE/${p}_"*.deb | tail -n 1)
		dpkg-deb -x "$deb" "$1" || return 1
	done
}
