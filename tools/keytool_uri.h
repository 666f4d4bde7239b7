/*
 * keytool_uri: the object= attribute of pkcs11: URIs (RFC 7512), for the
 * keytool, which shows keys by label. Returned strings are malloc'ed and the
 * caller's; NULL means absent, malformed, or out of memory. Reentrant.
 */
#ifndef P11DKIM_TOOLS_KEYTOOL_URI_H
#define P11DKIM_TOOLS_KEYTOOL_URI_H

/* A key reference as a label: REF itself, or a pkcs11: URI's object= value. */
char *kt_uri_key_label(const char *ref);

#endif
