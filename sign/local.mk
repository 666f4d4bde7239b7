# sign/: the signing flow the daemon and p11dkim-sign share (the key map, the configuration as
# library options, one message's signatures). Between the programs and the libraries: it uses
# dkim/, pkcs11/ and config/, never daemon/ or tools/.
noinst_LTLIBRARIES += sign/libsign.la
sign_libsign_la_SOURCES = \
	sign/sign_keys.h sign/sign_keys.c \
	sign/sign_opts.h sign/sign_opts.c \
	sign/sign_msg.h sign/sign_msg.c
sign_libsign_la_CFLAGS = $(AM_CFLAGS) $(P11KIT_CFLAGS) $(OPENSSL_CFLAGS)
