# Tests of daemon/ (sources under tests/daemon/): the real p11dkim against a fresh SoftHSM
# token, driven over the milter protocol by dm-send (tools/milterclient), judged by dkimpy and
# libopendkim. fault.sh and signals.sh load the token through tests/lib/p11fault.
check_PROGRAMS += tests/daemon/dm-send
tests_daemon_dm_send_SOURCES = tests/daemon/dm-send.c
tests_daemon_dm_send_LDADD = tools/milterclient/libmilterclient.la

DAEMON_TESTS = tests/daemon/notify.sh tests/daemon/sign.sh tests/daemon/fault.sh tests/daemon/signals.sh \
	tests/daemon/inet.sh tests/daemon/process.sh tests/daemon/protocol.sh \
	tests/daemon/privileges.sh tests/daemon/instance.sh tests/daemon/dumpable.sh \
	tests/daemon/policy.sh tests/daemon/tokens.sh tests/daemon/resign.sh
TESTS += $(DAEMON_TESTS)
EXTRA_DIST += tests/daemon/lib.sh $(DAEMON_TESTS)

# Check suites of the daemon's pure modules.
check_PROGRAMS += tests/daemon/daemon-test
tests_daemon_daemon_test_SOURCES = tests/daemon/daemon-test.c
tests_daemon_daemon_test_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) $(OPENSSL_CFLAGS)
tests_daemon_daemon_test_LDADD = daemon/libdaemon.la sign/libsign.la dkim/libdkim.la config/libconf.la \
	pkcs11/libp11dkim.la $(MILTER_LIBS) $(LIBCONFIG_LIBS) $(OPENSSL_LIBS) $(CHECK_LIBS) $(LIBS)
TESTS += tests/daemon/daemon-test
check_PROGRAMS += tests/daemon/check_listen
tests_daemon_check_listen_SOURCES = tests/daemon/check_listen.c
tests_daemon_check_listen_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_daemon_check_listen_LDADD = $(tests_daemon_daemon_test_LDADD)
TESTS += tests/daemon/check_listen

# Tests of daemon/metrics.{c,h} (tests/daemon/check_metrics.c). The module is
# compiled in directly: it has no dependency on the rest of the daemon.
check_PROGRAMS += tests/daemon/check_metrics
TESTS += tests/daemon/check_metrics
tests_daemon_check_metrics_SOURCES = tests/daemon/check_metrics.c daemon/metrics.c \
	daemon/metrics.h
tests_daemon_check_metrics_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_daemon_check_metrics_LDADD = $(CHECK_LIBS)

# The LD_PRELOAD probe of dumpable.sh (tests/lib/dumpable_probe.c): a real shared object.
noinst_LTLIBRARIES += tests/lib/dumpable_probe.la
tests_lib_dumpable_probe_la_SOURCES = tests/lib/dumpable_probe.c
tests_lib_dumpable_probe_la_CFLAGS = $(WARN_CFLAGS)
tests_lib_dumpable_probe_la_LDFLAGS = -module -avoid-version -shared -rpath /nowhere
tests_lib_dumpable_probe_la_LIBADD = -ldl
