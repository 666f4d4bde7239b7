# Fuzz targets (tests/fuzz/fuzz_NAME.c), replayed by make check over their
# seed corpus tests/fuzz/corpus/NAME and the inputs that once failed,
# tests/fuzz/regressions/NAME. libFuzzer itself runs them from tests/fuzz/run.sh
# (clang; called by tests/run.sh), not from make.
FUZZ_REPLAY_LDADD_DKIM = dkim/libdkim.la $(OPENSSL_LIBS)
FUZZ_REPLAY_LDADD_CONF = config/libconf.la $(LIBCONFIG_LIBS)

check_PROGRAMS += tests/fuzz/replay_header
tests_fuzz_replay_header_SOURCES = tests/fuzz/fuzz_header.c tests/fuzz/replay.c tests/fuzz/fuzz.h
tests_fuzz_replay_header_CFLAGS = $(AM_CFLAGS) -DFUZZ_NAME='"header"'
tests_fuzz_replay_header_LDADD = $(FUZZ_REPLAY_LDADD_DKIM)

check_PROGRAMS += tests/fuzz/replay_body
tests_fuzz_replay_body_SOURCES = tests/fuzz/fuzz_body.c tests/fuzz/replay.c tests/fuzz/fuzz.h \
	tests/dkim/body-ref.h
tests_fuzz_replay_body_CFLAGS = $(AM_CFLAGS) -DFUZZ_NAME='"body"'
tests_fuzz_replay_body_LDADD = $(FUZZ_REPLAY_LDADD_DKIM)

check_PROGRAMS += tests/fuzz/replay_addr
tests_fuzz_replay_addr_SOURCES = tests/fuzz/fuzz_addr.c tests/fuzz/replay.c tests/fuzz/fuzz.h
tests_fuzz_replay_addr_CFLAGS = $(AM_CFLAGS) -DFUZZ_NAME='"addr"'
tests_fuzz_replay_addr_LDADD = $(FUZZ_REPLAY_LDADD_DKIM)

check_PROGRAMS += tests/fuzz/replay_message
tests_fuzz_replay_message_SOURCES = tests/fuzz/fuzz_message.c tests/fuzz/replay.c tests/fuzz/fuzz.h
tests_fuzz_replay_message_CFLAGS = $(AM_CFLAGS) -DFUZZ_NAME='"message"'
tests_fuzz_replay_message_LDADD = $(FUZZ_REPLAY_LDADD_DKIM)

check_PROGRAMS += tests/fuzz/replay_conf
tests_fuzz_replay_conf_SOURCES = tests/fuzz/fuzz_conf.c tests/fuzz/replay.c tests/fuzz/fuzz.h
tests_fuzz_replay_conf_CFLAGS = $(AM_CFLAGS) $(LIBCONFIG_CFLAGS) -DFUZZ_NAME='"conf"'
tests_fuzz_replay_conf_LDADD = $(FUZZ_REPLAY_LDADD_CONF)

check_PROGRAMS += tests/fuzz/replay_signtable
tests_fuzz_replay_signtable_SOURCES = tests/fuzz/fuzz_signtable.c tests/fuzz/replay.c tests/fuzz/fuzz.h
tests_fuzz_replay_signtable_CFLAGS = $(AM_CFLAGS) $(LIBCONFIG_CFLAGS) -DFUZZ_NAME='"signtable"'
tests_fuzz_replay_signtable_LDADD = $(FUZZ_REPLAY_LDADD_CONF)

check_PROGRAMS += tests/fuzz/replay_dnsrec
tests_fuzz_replay_dnsrec_SOURCES = tests/fuzz/fuzz_dnsrec.c tests/fuzz/replay.c tests/fuzz/fuzz.h
tests_fuzz_replay_dnsrec_CFLAGS = $(AM_CFLAGS) $(OPENSSL_CFLAGS) -DFUZZ_NAME='"dnsrec"'
tests_fuzz_replay_dnsrec_LDADD = tools/keytool/libdnsrec.la $(OPENSSL_LIBS)

check_PROGRAMS += tests/fuzz/replay_verify
tests_fuzz_replay_verify_SOURCES = tests/fuzz/fuzz_verify.c tests/fuzz/replay.c tests/fuzz/fuzz.h
tests_fuzz_replay_verify_CFLAGS = $(AM_CFLAGS) $(OPENSSL_CFLAGS) -DFUZZ_NAME='"verify"'
tests_fuzz_replay_verify_LDADD = $(FUZZ_REPLAY_LDADD_DKIM)

TESTS += tests/fuzz/replay_verify tests/fuzz/replay_header tests/fuzz/replay_body tests/fuzz/replay_addr \
	tests/fuzz/replay_message tests/fuzz/replay_conf tests/fuzz/replay_signtable \
	tests/fuzz/replay_dnsrec
EXTRA_DIST += tests/fuzz/run.sh tests/fuzz/corpus tests/fuzz/regressions
