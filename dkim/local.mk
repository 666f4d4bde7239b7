# dkim/: the pure DKIM signer (see DESIGN.md, "The parts"; dkim/dkim.h for the contract).
# Public headers: dkim/dkim.h (signer), dkim/dkim_verify.h (is our signature on it?),
# dkim/dkim_message.h (raw message splitter), dkim/dkim_addr.h (From/Sender domains),
# dkim/dkim_tags.h (the tag list, for key records too); the others are internal.
noinst_LTLIBRARIES += dkim/libdkim.la
dkim_libdkim_la_SOURCES = \
	dkim/dkim.h dkim/dkim_message.h dkim/dkim_addr.h dkim/dkim_tags.h dkim/dkim_verify.h \
	dkim/dkim_buf.h dkim/dkim_buf.c \
	dkim/dkim_status.c \
	dkim/dkim_canon.h dkim/dkim_canon.c \
	dkim/dkim_body.h dkim/dkim_body.c \
	dkim/dkim_hdrsel.h dkim/dkim_hdrsel.c \
	dkim/dkim_sig.h dkim/dkim_sig.c \
	dkim/dkim_tags.c dkim/dkim_verify.c \
	dkim/dkim_signer.c \
	dkim/dkim_message.c \
	dkim/dkim_addr.c
dkim_libdkim_la_CFLAGS = $(AM_CFLAGS) $(OPENSSL_CFLAGS)
dkim_libdkim_la_LIBADD = $(OPENSSL_LIBS)
