# daemon/: p11dkim, the milter (see DESIGN.md, "The process"). The daemon's modules are a
# convenience library so that tests can link them too; main.c is the program.
noinst_LTLIBRARIES += daemon/libdaemon.la
daemon_libdaemon_la_SOURCES = \
	daemon/log.h daemon/log.c \
	daemon/policy.h daemon/policy.c \
	daemon/state.h daemon/state.c \
	daemon/process.h daemon/process.c \
	daemon/clock.h daemon/clock.c \
	daemon/signals.h daemon/signals.c \
	daemon/listen.h daemon/listen.c \
	daemon/milter.h daemon/milter_int.h daemon/milter.c daemon/milter_negotiate.c daemon/milter_sign.c \
	daemon/check.h daemon/check.c \
	daemon/metrics.h daemon/metrics.c
daemon_libdaemon_la_CFLAGS = $(AM_CFLAGS) $(OPENSSL_CFLAGS) $(LIBSYSTEMD_CFLAGS)
daemon_libdaemon_la_LIBADD = $(LIBSYSTEMD_LIBS)

sbin_PROGRAMS += daemon/p11dkim
daemon_p11dkim_SOURCES = daemon/main.c
daemon_p11dkim_CFLAGS = $(AM_CFLAGS) $(OPENSSL_CFLAGS)
daemon_p11dkim_LDADD = daemon/libdaemon.la sign/libsign.la dkim/libdkim.la config/libconf.la \
	pkcs11/libp11dkim.la $(MILTER_LIBS) $(LIBCONFIG_LIBS) $(OPENSSL_LIBS) $(LIBS)
