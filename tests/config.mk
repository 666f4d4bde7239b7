# Tests of config/ (sources under tests/config/).
check_PROGRAMS += tests/config/check_conf
tests_config_check_conf_SOURCES = \
	tests/config/ct.h \
	tests/config/ct.c \
	tests/config/check_bad.c \
	tests/config/check_good.c \
	tests/config/check_net.c \
	tests/config/check_signtable.c
tests_config_check_conf_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) $(LIBCONFIG_CFLAGS)
tests_config_check_conf_LDADD = config/libconf.la $(CHECK_LIBS) $(LIBCONFIG_LIBS)
TESTS += tests/config/check_conf
EXTRA_DIST += tests/config/good-design.conf tests/config/good-full.conf

# Its fuzz target and replay test: tests/fuzz/fuzz_conf.c, in tests/fuzz.mk.

# A benchmark: built by make check, run by hand (it prints figures).
check_PROGRAMS += tests/config/bench_conf
tests_config_bench_conf_SOURCES = tests/config/bench_conf.c
tests_config_bench_conf_LDADD = config/libconf.la $(LIBCONFIG_LIBS)
