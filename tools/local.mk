# tools/: see ../shared/DESIGN.md for what this folder holds.

# --- p11dkim-keytool (key ceremony) -------------------------------------------
# The DKIM key record parser is its own library so unit tests and fuzzers can
# link it without the token code.
noinst_LTLIBRARIES += tools/libdnsrec.la
tools_libdnsrec_la_SOURCES = tools/dnsrec_parse.c tools/dnsrec_parse.h
bin_PROGRAMS += tools/p11dkim-keytool
tools_p11dkim_keytool_SOURCES = tools/keytool.h tools/keytool_main.c \
	tools/keytool_session.c tools/keytool_session.h \
	tools/keytool_keys.c tools/keytool_keys.h tools/keytool_keys_int.h tools/keytool_keygen.c \
	tools/keytool_dns.c tools/keytool_dns.h tools/keytool_resolve.c \
	tools/keytool_cmd_keys.c tools/keytool_cmd_dns.c tools/keytool_conf.c \
	tools/keytool_cmd_odkim.c tools/odkim_tables.c tools/odkim_tables.h tools/keytool_bench.c
tools_p11dkim_keytool_CFLAGS = $(AM_CFLAGS) $(P11KIT_CFLAGS) $(OPENSSL_CFLAGS)
tools_p11dkim_keytool_LDADD = tools/libdnsrec.la $(OPENSSL_LIBS) -lresolv
# --- end p11dkim-keytool ------------------------------------------------------
