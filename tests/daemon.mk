# Tests of daemon/ (sources under tests/daemon/): the real p11dkim against a fresh SoftHSM
# token, driven over the milter protocol by dm-send (tools/milter_client), judged by dkimpy and
# libopendkim.
check_PROGRAMS += tests/daemon/dm-send
tests_daemon_dm_send_SOURCES = tests/daemon/dm-send.c
tests_daemon_dm_send_LDADD = tools/libmilterclient.la

TESTS += tests/daemon/sign.sh
EXTRA_DIST += tests/daemon/lib.sh tests/daemon/sign.sh
