# pkcs11/: token access, key lookup, the session pool and signing (see p11.h).
noinst_LTLIBRARIES += pkcs11/libp11dkim.la
pkcs11_libp11dkim_la_SOURCES = pkcs11/p11.h pkcs11/p11_int.h pkcs11/p11_attr.h \
	pkcs11/p11_status.c pkcs11/p11_module.c pkcs11/p11_pin.c pkcs11/p11_uri.c \
	pkcs11/p11_pool.c pkcs11/p11_token.c pkcs11/p11_attr.c pkcs11/p11_key.c \
	pkcs11/p11_pubkey.c pkcs11/p11_sign.c pkcs11/p11_admin.c pkcs11/p11_wrap.c \
	pkcs11/p11_set.h pkcs11/p11_set.c pkcs11/p11_set_sign.c pkcs11/p11_set_watch.c
pkcs11_libp11dkim_la_CFLAGS = $(AM_CFLAGS) $(P11KIT_CFLAGS) $(OPENSSL_CFLAGS)
pkcs11_libp11dkim_la_LIBADD = $(OPENSSL_LIBS) $(LIBS)
