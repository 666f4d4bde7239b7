/*
 * keytool_keys: the key objects of the token, as the keytool sees them:
 * list, generate, import, read the public half, destroy. Keys are named by
 * their CKA_LABEL; a key is a private key object plus (normally) a public key
 * object with the same CKA_ID.
 *
 * Every key made here is born with CKA_TOKEN, CKA_PRIVATE, CKA_SENSITIVE
 * true, CKA_EXTRACTABLE false, CKA_SIGN true (and decrypt/unwrap off), its
 * CKA_LABEL and a random 16-byte CKA_ID set at creation, because some tokens
 * (AWS CloudHSM) refuse C_SetAttributeValue afterwards.
 *
 * Ownership: EVP_PKEYs returned are the caller's (EVP_PKEY_free). Key
 * material passed to kt_key_import() stays the caller's; every copy made of
 * it here is wiped (OPENSSL_cleanse) before being freed.
 *
 * Errors: functions return 0, or -1 with err filled, naming the label and
 * the token (err->rv holds the CK_RV when the token refused, 0 otherwise).
 *
 * Threads: as kt_token_with_session().
 */
#ifndef P11DKIM_TOOLS_KEYTOOL_KEYS_H
#define P11DKIM_TOOLS_KEYTOOL_KEYS_H

#include <stdbool.h>
#include <stddef.h>

#include <openssl/evp.h>

#include "tools/keytool_session.h"

enum kt_keytype {
	KT_KEY_RSA,
	KT_KEY_ED25519,
	KT_KEY_OTHER,
};

struct kt_keyinfo {
	char label[129];
	unsigned char id[64];
	size_t idlen; /* 0: no CKA_ID, or longer than 64 bytes */
	enum kt_keytype type;
	unsigned bits; /* RSA modulus bits, 256 for Ed25519, 0 if unknown */
	bool sensitive;
	bool extractable;
	bool has_public; /* a public key object with the same CKA_ID (or label) exists */
};

/* Calls CB for each private key on the token; a non-zero return stops. */
int kt_key_list(struct kt_token *tok, int (*cb)(const struct kt_keyinfo *, void *), void *arg,
                struct kt_error *err);

/* TYPE: "rsa2048", "rsa3072", "rsa4096" or "ed25519". Refuses a label in use. */
int kt_key_generate(struct kt_token *tok, const char *label, const char *type,
                    struct kt_error *err);

/* Creates a private and a public object from the private key PKEY (RSA >= 1024 bits or Ed25519). */
int kt_key_import(struct kt_token *tok, const char *label, EVP_PKEY *pkey, struct kt_error *err);

/* The public key of the key labelled LABEL, read from the token. */
int kt_key_public(struct kt_token *tok, const char *label, EVP_PKEY **out, struct kt_error *err);

/* Destroys the private and public key objects labelled LABEL; *n = how many. Error if none. */
int kt_key_destroy(struct kt_token *tok, const char *label, int *n, struct kt_error *err);

/* True if TYPE names a type kt_key_generate() knows. */
bool kt_key_type_valid(const char *type);

/* DER of the Ed25519 OID 1.3.101.112, for CKA_EC_PARAMS. */
extern const unsigned char kt_ed25519_oid[5];

#endif
