# Tests of sign/ (sources under tests/sign/): the Check suite check_sign, run by sign-test.sh
# against a fresh SoftHSM token and a configuration it writes.
check_PROGRAMS += tests/sign/check_sign
tests_sign_check_sign_SOURCES = tests/sign/check_sign.c tests/lib/check_main.h
tests_sign_check_sign_CFLAGS = $(AM_CFLAGS) $(P11KIT_CFLAGS) $(OPENSSL_CFLAGS) $(CHECK_CFLAGS)
tests_sign_check_sign_LDADD = sign/libsign.la pkcs11/libp11dkim.la config/libconf.la \
	dkim/libdkim.la $(LIBCONFIG_LIBS) $(OPENSSL_LIBS) $(CHECK_LIBS) $(LIBS)
TESTS += tests/sign/sign-test.sh
EXTRA_DIST += tests/sign/sign-test.sh
