# tests/: the test layers (see DESIGN.md, "Tests"); one .mk per folder.
EXTRA_DIST += tests/run.sh tests/package/package.sh tests/lsan.supp tests/lib/install-deps.sh tests/lib/check_main.h
include $(srcdir)/tests/dkim.mk
include $(srcdir)/tests/pkcs11.mk
include $(srcdir)/tests/config.mk
include $(srcdir)/tests/sign.mk
include $(srcdir)/tests/daemon.mk
include $(srcdir)/tests/tools.mk
include $(srcdir)/tests/postfix.mk
include $(srcdir)/tests/sendmail.mk
include $(srcdir)/tests/contrib.mk
include $(srcdir)/tests/reliability.mk
include $(srcdir)/tests/fuzz.mk
EXTRA_DIST += tests/bench/README.md tests/bench/compare.sh tests/bench/compare-lib.sh tests/bench/compare-table.sh \
	tests/bench/compare-builds.sh tests/bench/profile.sh tests/bench/profile-split.py
