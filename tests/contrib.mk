# Tests of contrib/ (sources under tests/contrib/): the example configuration
# loads with config/, as shipped and with every documented default switched on.
check_PROGRAMS += tests/contrib/check_example_conf
TESTS += tests/contrib/check_example_conf
tests_contrib_check_example_conf_SOURCES = tests/contrib/check_example_conf.c
tests_contrib_check_example_conf_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) $(LIBCONFIG_CFLAGS)
tests_contrib_check_example_conf_LDADD = config/libconf.la $(CHECK_LIBS) $(LIBCONFIG_LIBS)
# The systemd unit as built from contrib/p11dkim.service.in.
TESTS += tests/contrib/unit-verify.sh
EXTRA_DIST += tests/contrib/unit-verify.sh
