# Tests of daemon/metrics.{c,h} (sources under tests/metrics/). The module is
# compiled in directly: it has no dependency on the rest of the daemon.
check_PROGRAMS += tests/metrics/check_metrics
TESTS += tests/metrics/check_metrics
tests_metrics_check_metrics_SOURCES = tests/metrics/check_metrics.c daemon/metrics.c \
	daemon/metrics.h
tests_metrics_check_metrics_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_metrics_check_metrics_LDADD = $(CHECK_LIBS)
