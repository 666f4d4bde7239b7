# Tests of tools/ (sources under tests/tools/).

# --- milter client library and p11dkim-load -----------------------------------
# milter-client-test.sh starts real OpenDKIM daemons, then runs the Check suite
# milter-client-check against them; load-test.sh drives p11dkim-load.
check_PROGRAMS += tests/tools/milter-client-check
tests_tools_milter_client_check_SOURCES = \
	tests/tools/milter-client-check.c \
	tests/tools/milter-client-check-peer.c \
	tests/tools/milter-client-peer.c tests/tools/milter-client-peer.h
tests_tools_milter_client_check_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_tools_milter_client_check_LDADD = tools/libmilterclient.la $(CHECK_LIBS)
TESTS += tests/tools/milter-client-test.sh tests/tools/load-test.sh
EXTRA_DIST += tests/tools/milter-client-test.sh tests/tools/load-test.sh \
	tests/tools/milter-client-opendkim.sh tests/tools/milter-client-verify.py
# --- end of milter client block ----------------------------------------------
