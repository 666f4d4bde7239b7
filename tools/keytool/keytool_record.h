/*
 * keytool_record: the ceremony records. Every keytool action that changes a token (generate,
 * import, replicate, delete, wrapkey) leaves one record per token changed: a JSON object on one
 * line appended to the file of --record (O_APPEND, fsync'ed; created 0600), and one syslog line
 * (facility authpriv, level notice). An auditor matches the fingerprints against
 * `p11dkim-keytool list --fingerprints` on the tokens.
 *
 * Fields: time (UTC, RFC 3339), operator (the login user: getlogin(), else SUDO_USER, LOGNAME,
 * USER), uid, host, action, token and token_serial (the token changed), key and key_id (CKA_LABEL,
 * CKA_ID in hex), algorithm ("rsa", "ed25519", "aes" for a wrap key) and bits, fingerprint
 * (p11_pubkey_fingerprint; null for a wrap key), dns (the TXT value `dns` prints for the key;
 * null for a wrap key); replicate adds from_token, from_serial and wrap_key, import adds source
 * (the PEM file). No PIN and no key material is ever in a record.
 *
 * Strings are JSON-escaped: '"', '\\' and control characters escaped, bytes outside ASCII written
 * as \u00XX of their byte value, so that a label that is not UTF-8 still makes valid JSON.
 *
 * Errors: -1 with the reason in the caller's buffer; nothing printed here.
 */
#ifndef P11DKIM_TOOLS_KEYTOOL_RECORD_H
#define P11DKIM_TOOLS_KEYTOOL_RECORD_H

#include <stdbool.h>
#include <stddef.h>

#include "pkcs11/p11.h"

/* What one record says about the key; fill with kt_record_describe() or by hand (wrap keys). */
struct kt_record {
	const char *action;
	char token[33], token_serial[17];
	const char *key;
	char key_id[2 * 64 + 1]; /* hex; "" when the key has none or it is longer than 64 bytes */
	const char *algorithm;
	unsigned bits;
	char fingerprint[P11_FINGERPRINT_SIZE];                   /* "" = null */
	char *dns;                                                /* malloc'ed or NULL (null) */
	const char *from_token, *from_serial, *wrap_key, *source; /* NULL: not written */
};

/* V (N bytes) in lowercase hex into OUT; "" when it does not fit (an id nobody types). */
void kt_record_hex(const unsigned char *v, size_t n, char *out, size_t outlen);

/* Fills r from the key labelled label on tok: names, id, type, fingerprint and DNS value. -1
   (reason in err) when the key cannot be read. Free r->dns with kt_record_clear(). */
int kt_record_describe(struct kt_record *r, p11_token *tok, const char *action, const char *label,
                       char *err, size_t errlen);
void kt_record_clear(struct kt_record *r);

/* Before a change: -1 (reason in err) when path (NULL: no file) cannot be appended to, so that
   a token is never changed without its record. */
int kt_record_ready(const char *path, char *err, size_t errlen);

/* Writes the record: the JSON line to path (when not NULL), then the syslog line (also on
   standard error when to_stderr: LOG_PERROR, for tests and for a ceremony's transcript). -1
   (reason in err) when the line could not be written and synced. */
int kt_record_write(const struct kt_record *r, const char *path, bool to_stderr, char *err,
                    size_t errlen);

#endif
