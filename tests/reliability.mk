# Reliability and security (issue 8): faults under load, security checks, hostile milter
# traffic, all against the real daemon on a fresh SoftHSM token (tests/daemon/lib.sh).
# TSan and valgrind runs are tests/reliability/tsan.sh and valgrind.sh, run by tests/run.sh.
check_PROGRAMS += tests/reliability/rl-hostile
tests_reliability_rl_hostile_SOURCES = tests/reliability/rl-hostile.c
tests_reliability_rl_hostile_LDADD = tools/milterclient/libmilterclient.la

RELIABILITY_TESTS = tests/reliability/faultload.sh tests/reliability/security.sh \
	tests/reliability/valgrind.sh \
	tests/reliability/hostile.sh
TESTS += $(RELIABILITY_TESTS)
EXTRA_DIST += $(RELIABILITY_TESTS) tests/reliability/tsan.sh \
	tests/reliability/valgrind.supp tests/reliability/tsan.supp
