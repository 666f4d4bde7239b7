# Tests of tools/ (sources under tests/tools/).

# --- p11dkim-keytool tests ----------------------------------------------------
check_PROGRAMS += tests/tools/keytool-dnsrec
tests_tools_keytool_dnsrec_SOURCES = tests/tools/keytool-dnsrec.c
tests_tools_keytool_dnsrec_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_tools_keytool_dnsrec_LDADD = tools/libdnsrec.la $(CHECK_LIBS)
TESTS += tests/tools/keytool-dnsrec
# --- end p11dkim-keytool tests ------------------------------------------------
