# Tests of tools/ (sources under tests/tools/).

# --- p11dkim-keytool tests ----------------------------------------------------
check_PROGRAMS += tests/tools/keytool-dnsrec
tests_tools_keytool_dnsrec_SOURCES = tests/tools/keytool-dnsrec.c
tests_tools_keytool_dnsrec_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_tools_keytool_dnsrec_LDADD = tools/libdnsrec.la $(CHECK_LIBS)
TESTS += tests/tools/keytool-dnsrec

check_PROGRAMS += tests/tools/keytool-odkim
tests_tools_keytool_odkim_SOURCES = tests/tools/keytool-odkim.c
tests_tools_keytool_odkim_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_tools_keytool_odkim_LDADD = tools/libkeytool.la $(CHECK_LIBS)
TESTS += tests/tools/keytool-odkim

# Signs stdin in one part through Cryptoki (pkcs11-tool 0.23 cannot for Ed25519 on SoftHSM).
check_PROGRAMS += tests/tools/keytool-signer
tests_tools_keytool_signer_SOURCES = tests/tools/keytool-signer.c
tests_tools_keytool_signer_CFLAGS = $(AM_CFLAGS) $(P11KIT_CFLAGS)
tests_tools_keytool_signer_LDADD = tools/libkeytool.la

TESTS += tests/tools/keytool-ceremony.sh tests/tools/keytool-check.sh tests/tools/keytool-import.sh
EXTRA_DIST += tests/tools/keytool-lib.sh tests/tools/keytool-ceremony.sh tests/tools/keytool-check.sh \
	tests/tools/keytool-import.sh
# --- end p11dkim-keytool tests ------------------------------------------------
