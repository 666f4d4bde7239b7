# tools/sign/: p11dkim-sign, one message signed with the daemon's signing table and token,
# through the daemon's own signing flow (sign/); it keeps only its input and output.
bin_PROGRAMS += tools/p11dkim-sign
tools_p11dkim_sign_SOURCES = tools/sign/sign_main.c \
	tools/common/token_opts.c tools/common/token_opts.h
tools_p11dkim_sign_CFLAGS = $(AM_CFLAGS) $(OPENSSL_CFLAGS)
tools_p11dkim_sign_LDADD = sign/libsign.la pkcs11/libp11dkim.la config/libconf.la dkim/libdkim.la \
	$(LIBCONFIG_LIBS) $(OPENSSL_LIBS) $(LIBS)
