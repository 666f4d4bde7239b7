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

# The fuzz target, replayed over its corpus (libFuzzer itself: see fuzz_conf.c).
check_PROGRAMS += tests/config/fuzz_conf_replay
tests_config_fuzz_conf_replay_SOURCES = tests/config/fuzz_conf.c tests/config/fuzz_replay.c
tests_config_fuzz_conf_replay_CFLAGS = $(AM_CFLAGS) $(LIBCONFIG_CFLAGS)
tests_config_fuzz_conf_replay_LDADD = config/libconf.la $(LIBCONFIG_LIBS)
TESTS += tests/config/fuzz_conf_replay
EXTRA_DIST += tests/config/fuzz-corpus

# A benchmark: built by make check, run by hand (it prints figures).
check_PROGRAMS += tests/config/bench_conf
tests_config_bench_conf_SOURCES = tests/config/bench_conf.c
tests_config_bench_conf_LDADD = config/libconf.la $(LIBCONFIG_LIBS)
