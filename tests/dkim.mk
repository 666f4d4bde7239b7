# Tests of dkim/ (sources under tests/dkim/).
DKIM_TEST_CFLAGS = $(AM_CFLAGS) $(OPENSSL_CFLAGS) $(CHECK_CFLAGS)
DKIM_TEST_LIBS = dkim/libdkim.la $(OPENSSL_LIBS) $(CHECK_LIBS)

# Signs the sample messages with in-memory keys for the independent verifiers.
check_PROGRAMS += tests/dkim/dkim-sign-inmem
tests_dkim_dkim_sign_inmem_SOURCES = tests/dkim/dkim-sign-inmem.c
tests_dkim_dkim_sign_inmem_CFLAGS = $(AM_CFLAGS) $(OPENSSL_CFLAGS)
tests_dkim_dkim_sign_inmem_LDADD = dkim/libdkim.la $(OPENSSL_LIBS)

TESTS += tests/dkim/verify.sh
EXTRA_DIST += tests/dkim/verify.sh tests/lib/dkim-verify.py \
	tests/dkim/data/.gitattributes tests/dkim/data/folded.eml tests/dkim/data/lf.eml \
	tests/dkim/data/empty-body.eml tests/dkim/data/blank-body.eml

# The libopendkim judge (libopendkim-dev). Flags are Debian's pkg-config
# output for opendkim.pc; configure does not check for it (yet).
check_PROGRAMS += tests/dkim/dkim-odkim-verify
tests_dkim_dkim_odkim_verify_SOURCES = tests/dkim/dkim-odkim-verify.c
tests_dkim_dkim_odkim_verify_CPPFLAGS = $(AM_CPPFLAGS) -I/usr/include/opendkim
tests_dkim_dkim_odkim_verify_LDADD = -lopendkim
