# Tests of tools/ (sources under tests/tools/).

# --- p11dkim-keytool tests ----------------------------------------------------
check_PROGRAMS += tests/tools/keytool-dnsrec
tests_tools_keytool_dnsrec_SOURCES = tests/tools/keytool-dnsrec.c
tests_tools_keytool_dnsrec_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_tools_keytool_dnsrec_LDADD = tools/keytool/libdnsrec.la $(CHECK_LIBS)
TESTS += tests/tools/keytool-dnsrec

check_PROGRAMS += tests/tools/keytool-odkim
tests_tools_keytool_odkim_SOURCES = tests/tools/keytool-odkim.c
tests_tools_keytool_odkim_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_tools_keytool_odkim_LDADD = tools/keytool/libkeytool.la $(CHECK_LIBS)
TESTS += tests/tools/keytool-odkim

# The parsers of untrusted text under seeded mutations (a libFuzzer target too).
check_PROGRAMS += tests/tools/keytool-fuzz
tests_tools_keytool_fuzz_SOURCES = tests/tools/keytool-fuzz.c
tests_tools_keytool_fuzz_LDADD = tools/keytool/libkeytool.la
TESTS += tests/tools/keytool-fuzz

# Signs stdin in one C_Sign through pkcs11/ (pkcs11-tool 0.23 cannot for Ed25519 on SoftHSM).
check_PROGRAMS += tests/tools/keytool-signer
tests_tools_keytool_signer_SOURCES = tests/tools/keytool-signer.c
tests_tools_keytool_signer_CFLAGS = $(AM_CFLAGS) $(OPENSSL_CFLAGS)
tests_tools_keytool_signer_LDADD = pkcs11/libp11dkim.la $(OPENSSL_LIBS)

# What the token itself enforces around a wrap key, with Cryptoki calls of its own (not pkcs11/'s).
check_PROGRAMS += tests/tools/keytool-wrap-probe
tests_tools_keytool_wrap_probe_SOURCES = tests/tools/keytool-wrap-probe.c
tests_tools_keytool_wrap_probe_CFLAGS = $(AM_CFLAGS) $(P11KIT_CFLAGS)

TESTS += tests/tools/keytool-ceremony.sh tests/tools/keytool-check.sh tests/tools/keytool-import.sh \
	tests/tools/keytool-sign.sh tests/tools/keytool-pair.sh tests/tools/keytool-record.sh
EXTRA_DIST += tests/tools/keytool-lib.sh tests/tools/keytool-ceremony.sh tests/tools/keytool-check.sh \
	tests/tools/keytool-import.sh tests/tools/keytool-sign.sh tests/tools/keytool-pair.sh \
	tests/tools/keytool-record.sh
# --- end p11dkim-keytool tests ------------------------------------------------

# --- milter client library and p11dkim-load -----------------------------------
# milter-client-test.sh starts real OpenDKIM daemons, then runs the Check suite
# milter-client-check against them; load-test.sh drives p11dkim-load.
check_PROGRAMS += tests/tools/milter-client-check
tests_tools_milter_client_check_SOURCES = \
	tests/tools/milter-client-check.c \
	tests/tools/milter-client-check-peer.c \
	tests/tools/milter-client-peer.c tests/tools/milter-client-peer.h
tests_tools_milter_client_check_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_tools_milter_client_check_LDADD = tools/milterclient/libmilterclient.la $(CHECK_LIBS)
TESTS += tests/tools/milter-client-test.sh tests/tools/load-test.sh
EXTRA_DIST += tests/tools/milter-client-test.sh tests/tools/load-test.sh \
	tests/tools/milter-client-opendkim.sh
# --- end of milter client block ----------------------------------------------
