# contrib/: examples and guides for running p11dkim (see DESIGN.md, "The parts").
# Installed as examples and documentation under $(docdir); the systemd unit
# goes into systemd's directory only with --with-systemdsystemunitdir=DIR.

contribexamplesdir = $(docdir)/examples
dist_contribexamples_DATA = contrib/p11dkim.conf.example
nodist_contribexamples_DATA = contrib/p11dkim.service
contribpostfixdir = $(docdir)/examples/postfix
dist_contribpostfix_DATA = contrib/postfix/main.cf contrib/postfix/master.cf
dist_doc_DATA = contrib/METRICS.md contrib/YUBIHSM.md contrib/P11-KIT-REMOTE.md \
	contrib/POSTFIX.md contrib/KEY-CEREMONY.md contrib/SENDMAIL.md

if INSTALL_SYSTEMD_UNIT
systemdsystemunit_DATA = contrib/p11dkim.service
endif

# Paths in the unit follow configure's --prefix, --sbindir, --sysconfdir.
contrib/p11dkim.service: $(srcdir)/contrib/p11dkim.service.in Makefile
	$(AM_V_GEN)$(MKDIR_P) contrib && \
	sed -e 's|@sbindir[@]|$(sbindir)|g' \
	    -e 's|@sysconfdir[@]|$(sysconfdir)|g' \
	    -e 's|@SYSTEMD_SERVICE_TYPE[@]|$(SYSTEMD_SERVICE_TYPE)|g' \
	    $(srcdir)/contrib/p11dkim.service.in >$@.tmp && mv $@.tmp $@

EXTRA_DIST += contrib/p11dkim.service.in
CLEANFILES += contrib/p11dkim.service
EXTRA_DIST += contrib/demo.sh
# The Debian packaging (contrib/debian/build.sh builds it); in the release tarball too, so
# that a site can build the package from it.
EXTRA_DIST += contrib/debian/build.sh contrib/debian/control contrib/debian/rules \
	contrib/debian/copyright contrib/debian/source/format contrib/debian/README.Debian \
	contrib/debian/p11dkim.docs contrib/debian/p11dkim.lintian-overrides \
	contrib/debian/p11dkim.postinst contrib/debian/p11dkim.prerm contrib/debian/p11dkim.postrm
