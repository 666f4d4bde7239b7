# tools/keytool/: p11dkim-keytool, the key ceremony (generate, import, list, DNS records,
# check, OpenDKIM tables, bench; wrap keys and replicate for a set of tokens; ceremony records).

# The DKIM key record parser is its own library so unit tests and fuzzers can link it
# without the token code.
noinst_LTLIBRARIES += tools/keytool/libdnsrec.la
tools_keytool_libdnsrec_la_SOURCES = tools/keytool/dnsrec_parse.c tools/keytool/dnsrec_parse.h
# The tag list itself is dkim/'s (dkim_tags.h).
tools_keytool_libdnsrec_la_LIBADD = dkim/libdkim.la
# The keytool's modules, shared by the program and its test helpers.
noinst_LTLIBRARIES += tools/keytool/libkeytool.la
tools_keytool_libkeytool_la_SOURCES = \
	tools/keytool/keytool_dns.c tools/keytool/keytool_dns.h tools/keytool/keytool_resolve.c \
	tools/keytool/odkim_tables.c tools/keytool/odkim_tables.h
tools_keytool_libkeytool_la_CFLAGS = $(AM_CFLAGS) $(OPENSSL_CFLAGS)
tools_keytool_libkeytool_la_LIBADD = tools/keytool/libdnsrec.la pkcs11/libp11dkim.la \
	$(OPENSSL_LIBS) -lresolv

bin_PROGRAMS += tools/p11dkim-keytool
tools_p11dkim_keytool_SOURCES = tools/keytool/keytool.h tools/keytool/keytool_main.c \
	tools/keytool/keytool_conf.c tools/keytool/keytool_targets.c tools/keytool/keytool_set.c \
	tools/keytool/keytool_record.c tools/keytool/keytool_record.h \
	tools/keytool/keytool_cmd_keys.c tools/keytool/keytool_cmd_list.c \
	tools/keytool/keytool_cmd_pair.c \
	tools/keytool/keytool_cmd_dns.c tools/keytool/keytool_cmd_odkim.c \
	tools/keytool/keytool_bench.c \
	tools/common/token_opts.c tools/common/token_opts.h
tools_p11dkim_keytool_CFLAGS = $(AM_CFLAGS) $(OPENSSL_CFLAGS)
tools_p11dkim_keytool_LDADD = tools/keytool/libkeytool.la config/libconf.la $(OPENSSL_LIBS)
