# tools/: keytool, p11dkim-sign, p11dkim-load and the milter client library (see DESIGN.md).

# --- p11dkim-keytool (key ceremony) -------------------------------------------
# The DKIM key record parser is its own library so unit tests and fuzzers can
# link it without the token code.
noinst_LTLIBRARIES += tools/libdnsrec.la
tools_libdnsrec_la_SOURCES = tools/dnsrec_parse.c tools/dnsrec_parse.h
# The keytool's modules, shared by the program and its test helpers.
noinst_LTLIBRARIES += tools/libkeytool.la
tools_libkeytool_la_SOURCES = \
	tools/keytool_dns.c tools/keytool_dns.h tools/keytool_resolve.c \
	tools/odkim_tables.c tools/odkim_tables.h
tools_libkeytool_la_CFLAGS = $(AM_CFLAGS) $(OPENSSL_CFLAGS)
tools_libkeytool_la_LIBADD = tools/libdnsrec.la pkcs11/libp11dkim.la $(OPENSSL_LIBS) -lresolv

bin_PROGRAMS += tools/p11dkim-keytool
tools_p11dkim_keytool_SOURCES = tools/keytool.h tools/keytool_main.c tools/keytool_conf.c \
	tools/keytool_cmd_keys.c tools/keytool_cmd_dns.c tools/keytool_cmd_odkim.c \
	tools/keytool_bench.c
tools_p11dkim_keytool_CFLAGS = $(AM_CFLAGS) $(OPENSSL_CFLAGS)
tools_p11dkim_keytool_LDADD = tools/libkeytool.la config/libconf.la $(OPENSSL_LIBS)

# p11dkim-sign: one message, signed with the daemon's signing table and token.
bin_PROGRAMS += tools/p11dkim-sign
tools_p11dkim_sign_SOURCES = tools/sign_main.c
tools_p11dkim_sign_CFLAGS = $(AM_CFLAGS) $(OPENSSL_CFLAGS)
tools_p11dkim_sign_LDADD = sign/libsign.la pkcs11/libp11dkim.la config/libconf.la dkim/libdkim.la \
	$(LIBCONFIG_LIBS) $(OPENSSL_LIBS) $(LIBS)
# --- end p11dkim-keytool ------------------------------------------------------

# --- milter client library and p11dkim-load (load generator) ----------------
# libmilterclient: the MTA side of the milter protocol, used by p11dkim-load and
# by the daemon's tests (link tools/libmilterclient.la, include
# "tools/milter_client.h").
noinst_LTLIBRARIES += tools/libmilterclient.la
tools_libmilterclient_la_SOURCES = \
	tools/milter_client.c tools/milter_client.h \
	tools/mc_wire.c tools/mc_wire.h \
	tools/mc_sock.c tools/mc_sock.h \
	tools/mc_message.c tools/mc_message.h \
	tools/mc_result.c tools/mc_result.h \
	tools/mc_apply.c \
	tools/mc_proto.c tools/mc_proto.h

bin_PROGRAMS += tools/p11dkim-load
tools_p11dkim_load_SOURCES = \
	tools/load_main.c tools/load_opts.c tools/load_opts.h \
	tools/load_stats.c tools/load_stats.h
tools_p11dkim_load_LDADD = tools/libmilterclient.la
# --- end of milter client block ----------------------------------------------
