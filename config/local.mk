# config/: the configuration library (see DESIGN.md, "The parts" and "Configuration").
# libconf: the configuration file parsed and validated into immutable structs,
# and the signing table. Depends on libconfig and libc only.
noinst_LTLIBRARIES += config/libconf.la
config_libconf_la_SOURCES = \
	config/conf.h \
	config/conf_internal.h \
	config/conf_cidr.c \
	config/conf_domains.c \
	config/conf_error.c \
	config/conf_literal.c \
	config/conf_load.c \
	config/conf_loginmap.c \
	config/conf_setting.c \
	config/conf_sign.c \
	config/conf_signtable.c \
	config/conf_socket.c \
	config/conf_syntax.c \
	config/conf_token.c \
	config/conf_top.c
config_libconf_la_CFLAGS = $(AM_CFLAGS) $(LIBCONFIG_CFLAGS)
config_libconf_la_LIBADD = $(LIBCONFIG_LIBS)
