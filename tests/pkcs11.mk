# Tests of pkcs11/ (sources under tests/pkcs11/), run against a fresh SoftHSM token that
# tests/pkcs11/p11-test.sh makes with tests/lib/softhsm.sh.

# The fault-injecting PKCS#11 module (see tests/lib/p11fault.h). A real shared object
# (tests/lib/.libs/p11fault.so) built with every `make`, so that the daemon's tests and the
# benchmarks can use it too. No sanitizer flags: it is loaded by programs built without them.
noinst_LTLIBRARIES += tests/lib/p11fault.la
tests_lib_p11fault_la_SOURCES = tests/lib/p11fault.c tests/lib/p11fault.h
tests_lib_p11fault_la_CFLAGS = -pthread $(WARN_CFLAGS) $(P11KIT_CFLAGS)
tests_lib_p11fault_la_LDFLAGS = -pthread -module -avoid-version -shared -rpath /nowhere
tests_lib_p11fault_la_LIBADD = $(LIBS)

P11_TEST_CFLAGS = $(AM_CFLAGS) $(P11KIT_CFLAGS) $(OPENSSL_CFLAGS) $(CHECK_CFLAGS)
P11_TEST_LIBS = pkcs11/libp11dkim.la $(OPENSSL_LIBS) $(CHECK_LIBS)

check_PROGRAMS += tests/pkcs11/p11-test tests/pkcs11/p11-pool-test tests/pkcs11/p11-admin-test
tests_pkcs11_p11_test_SOURCES = tests/pkcs11/p11-test.c tests/pkcs11/testlib.c \
	tests/pkcs11/testlib.h
tests_pkcs11_p11_test_CFLAGS = $(P11_TEST_CFLAGS)
tests_pkcs11_p11_test_LDADD = $(P11_TEST_LIBS)
tests_pkcs11_p11_pool_test_SOURCES = tests/pkcs11/p11-pool-test.c tests/pkcs11/testlib.c \
	tests/pkcs11/testlib.h
tests_pkcs11_p11_pool_test_CFLAGS = $(P11_TEST_CFLAGS)
tests_pkcs11_p11_pool_test_LDADD = $(P11_TEST_LIBS)
tests_pkcs11_p11_admin_test_SOURCES = tests/pkcs11/p11-admin-test.c tests/pkcs11/testlib.c \
	tests/pkcs11/testlib.h
tests_pkcs11_p11_admin_test_CFLAGS = $(P11_TEST_CFLAGS)
tests_pkcs11_p11_admin_test_LDADD = $(P11_TEST_LIBS)

# The fault module itself, with two tokens of one module (p11-fault.sh makes them).
check_PROGRAMS += tests/pkcs11/p11-fault-test
tests_pkcs11_p11_fault_test_SOURCES = tests/pkcs11/p11-fault-test.c tests/pkcs11/testlib.c \
	tests/pkcs11/testlib.h
tests_pkcs11_p11_fault_test_CFLAGS = $(P11_TEST_CFLAGS)
tests_pkcs11_p11_fault_test_LDADD = $(P11_TEST_LIBS)

# The URI parser alone (no token): one table row per RFC 7512 rule.
check_PROGRAMS += tests/pkcs11/check_p11_uri
tests_pkcs11_check_p11_uri_SOURCES = tests/pkcs11/check_p11_uri.c
tests_pkcs11_check_p11_uri_CFLAGS = $(P11_TEST_CFLAGS)
tests_pkcs11_check_p11_uri_LDADD = $(P11_TEST_LIBS)
TESTS += tests/pkcs11/check_p11_uri

TESTS += tests/pkcs11/p11-test.sh tests/pkcs11/p11-pool.sh tests/pkcs11/p11-admin.sh \
	tests/pkcs11/p11-fault.sh
EXTRA_DIST += tests/pkcs11/p11-test.sh tests/pkcs11/p11-pool.sh tests/pkcs11/p11-admin.sh \
	tests/pkcs11/p11-fault.sh \
	tests/bench/pool-bench.sh \
	tests/lib/softhsm.sh

# The benchmark (a program that prints figures, not a test): see tests/bench/pool-bench.c.
noinst_PROGRAMS += tests/bench/pool-bench
tests_bench_pool_bench_SOURCES = tests/bench/pool-bench.c
tests_bench_pool_bench_CFLAGS = $(AM_CFLAGS) $(P11KIT_CFLAGS) $(OPENSSL_CFLAGS)
tests_bench_pool_bench_LDADD = pkcs11/libp11dkim.la $(OPENSSL_LIBS)
