/*
 * p11_pubkey.c: read a key's public half from the token, for DNS records and for verifying.
 * RSA: CKA_MODULUS and CKA_PUBLIC_EXPONENT of the private key object (public attributes there),
 * else of the public key object with the same CKA_ID. Ed25519: CKA_EC_POINT of the private key
 * object where the module keeps it there, else of the public key object with the same CKA_ID
 * (or label when the key has no id). That lookup must find exactly one object: two (a stale
 * one left behind) are refused with P11_ERR_KEY_AMBIGUOUS rather than guessed between. For the
 * keytool, the same by label, without p11_token_find_key's fitness checks. And the public key's
 * fingerprint, as the keytool shows and records it.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/param_build.h>
#include <openssl/x509.h>

#include "pkcs11/p11_attr.h"
#include "pkcs11/p11_int.h"

/* The public key object of k: the one with its CKA_ID, or with its label when it has no id.
 * Several are refused (P11_ERR_KEY_AMBIGUOUS): a stale object left under the same label would
 * make DNS records and checks vouch for a key the token does not sign with. None, or a failed
 * search: P11_ERR_KEY_NOT_FOUND, err untouched (the caller names what it could not read). */
static p11_status
p11_pubkey_object(p11_token *tok, CK_SESSION_HANDLE s, const p11_key *k, CK_OBJECT_HANDLE *out,
                  struct p11_error *err)
{
	CK_OBJECT_HANDLE found[2];
	CK_ULONG n = 0;
	CK_RV rv;

	rv = p11_key_search(tok->mod->fl, s, CKO_PUBLIC_KEY, k->id_len > 0 ? NULL : k->label, k->id,
	                    k->id_len, k->id_len > 0, found, 2, &n);
	if (rv != CKR_OK || n == 0)
		return P11_ERR_KEY_NOT_FOUND;
	if (n > 1) {
		p11_err_set(
		    err, P11_ERR_KEY_AMBIGUOUS, 0,
		    "token \"%s\": more than one public key object with the %s of key \"%s\": "
		    "cannot tell which one is its own (remove the stale one)",
		    tok->label, k->id_len > 0 ? "id" : "label", k->label);
		return P11_ERR_KEY_AMBIGUOUS;
	}
	*out = found[0];
	return P11_OK;
}

static EVP_PKEY *
p11_pubkey_rsa(const unsigned char *n, size_t nlen, const unsigned char *e, size_t elen)
{
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	BIGNUM *bn = BN_bin2bn(n, (int)nlen, NULL), *be = BN_bin2bn(e, (int)elen, NULL);
	OSSL_PARAM *params = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	EVP_PKEY *pk = NULL;

	if (bld == NULL || bn == NULL || be == NULL ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, bn) ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, be) ||
	    (params = OSSL_PARAM_BLD_to_param(bld)) == NULL ||
	    (ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL)) == NULL ||
	    EVP_PKEY_fromdata_init(ctx) <= 0 ||
	    EVP_PKEY_fromdata(ctx, &pk, EVP_PKEY_PUBLIC_KEY, params) <= 0)
		pk = NULL;
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	BN_free(bn);
	BN_free(be);
	return pk;
}

/* Module read-locked; h is the private key's handle in this generation. */
static p11_status
p11_pubkey_read_rsa(p11_token *tok, const p11_key *k, CK_SESSION_HANDLE s, CK_OBJECT_HANDLE h,
                    EVP_PKEY **out, struct p11_error *err)
{
	CK_FUNCTION_LIST_PTR fl = tok->mod->fl;
	unsigned char *n = NULL, *e = NULL;
	size_t nlen, elen;
	CK_OBJECT_HANDLE pub;
	p11_status st;

	if (p11_attr_get(fl, s, h, CKA_MODULUS, &n, &nlen) != CKR_OK ||
	    p11_attr_get(fl, s, h, CKA_PUBLIC_EXPONENT, &e, &elen) != CKR_OK) {
		free(n);
		free(e);
		n = e = NULL;
		if ((st = p11_pubkey_object(tok, s, k, &pub, err)) == P11_ERR_KEY_AMBIGUOUS)
			return st;
		if (st == P11_OK) {
			(void)p11_attr_get(fl, s, pub, CKA_MODULUS, &n, &nlen);
			(void)p11_attr_get(fl, s, pub, CKA_PUBLIC_EXPONENT, &e, &elen);
		}
	}
	*out = n != NULL && e != NULL ? p11_pubkey_rsa(n, nlen, e, elen) : NULL;
	free(n);
	free(e);
	if (*out == NULL) {
		p11_err_set(err, P11_ERR_KEY_NOT_FOUND, 0,
		            "cannot read the public key of \"%s\" on token \"%s\"", k->label,
		            tok->label);
		return P11_ERR_KEY_NOT_FOUND;
	}
	return P11_OK;
}

static p11_status
p11_pubkey_read_ed25519(p11_token *tok, const p11_key *k, CK_SESSION_HANDLE s, CK_OBJECT_HANDLE h,
                        unsigned char raw[32], struct p11_error *err)
{
	CK_FUNCTION_LIST_PTR fl = tok->mod->fl;
	CK_OBJECT_HANDLE pub;
	unsigned char *v = NULL;
	size_t len = 0;
	p11_status st;
	bool ok;

	/* Some modules keep the point on the private object too: the key's own, preferred. */
	if (p11_attr_get(fl, s, h, CKA_EC_POINT, &v, &len) != CKR_OK) {
		if ((st = p11_pubkey_object(tok, s, k, &pub, err)) == P11_ERR_KEY_AMBIGUOUS)
			return st;
		if (st == P11_OK)
			(void)p11_attr_get(fl, s, pub, CKA_EC_POINT, &v, &len);
	}
	ok = v != NULL && p11_attr_ed25519_point(v, len, raw);
	free(v);
	if (!ok) {
		p11_err_set(
		    err, P11_ERR_KEY_NOT_FOUND, 0,
		    "cannot read the Ed25519 public key of \"%s\" on token \"%s\" (no public key "
		    "object with its id?)",
		    k->label, tok->label);
		return P11_ERR_KEY_NOT_FOUND;
	}
	return P11_OK;
}

static p11_status
p11_pubkey_read(p11_token *tok, const p11_key *key, EVP_PKEY **out, unsigned char raw[32],
                struct p11_error *err)
{
	struct p11_pool_slot *s;
	CK_OBJECT_HANDLE h;
	p11_status st;

	if (err != NULL)
		memset(err, 0, sizeof(*err));
	if ((st = p11_token_acquire(tok, &s, err)) != P11_OK)
		return st;
	st = p11_key_refresh(tok, (p11_key *)key, s->h, s->gen, &h, err);
	if (st == P11_OK && key->type == P11_KEY_RSA)
		st = p11_pubkey_read_rsa(tok, key, s->h, h, out, err);
	else if (st == P11_OK)
		st = p11_pubkey_read_ed25519(tok, key, s->h, h, raw, err);
	p11_token_release(tok, s);
	return st;
}

/* An Ed25519 EVP_PKEY for raw, or P11_ERR_NOMEM. */
static p11_status
p11_pubkey_ed25519(const p11_key *key, const unsigned char raw[32], EVP_PKEY **out,
                   struct p11_error *err)
{
	*out = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, raw, 32);
	if (*out == NULL) {
		p11_err_set(err, P11_ERR_NOMEM, 0, "cannot build the Ed25519 public key of \"%s\"",
		            key->label);
		return P11_ERR_NOMEM;
	}
	return P11_OK;
}

p11_status
p11_key_public(p11_token *tok, const p11_key *key, EVP_PKEY **out, struct p11_error *err)
{
	unsigned char raw[32];
	p11_status st;

	*out = NULL;
	if ((st = p11_pubkey_read(tok, key, out, raw, err)) != P11_OK || key->type == P11_KEY_RSA)
		return st;
	return p11_pubkey_ed25519(key, raw, out, err);
}

/* The one private key labelled label, described in k (label and id borrowed from the caller).
   Module read-locked. */
static p11_status
p11_pubkey_by_label(p11_token *tok, CK_SESSION_HANDLE s, const char *label, p11_key *k,
                    CK_OBJECT_HANDLE *h, struct p11_error *err)
{
	CK_FUNCTION_LIST_PTR fl = tok->mod->fl;
	CK_OBJECT_HANDLE found[2];
	struct p11_key_info ki;
	CK_KEY_TYPE kt = (CK_KEY_TYPE)-1;
	CK_ULONG n;
	CK_RV rv;

	rv = p11_key_search(fl, s, CKO_PRIVATE_KEY, label, NULL, 0, false, found, 2, &n);
	if (rv != CKR_OK) {
		p11_err_set(err, P11_ERR_TOKEN_GONE, rv,
		            "searching token \"%s\" for the key \"%s\"", tok->label, label);
		return P11_ERR_TOKEN_GONE;
	}
	if (n != 1) {
		p11_status st = n == 0 ? P11_ERR_KEY_NOT_FOUND : P11_ERR_KEY_AMBIGUOUS;

		p11_err_set(err, st, 0, "token \"%s\": %s private key labelled \"%s\"", tok->label,
		            n == 0 ? "no" : "more than one", label);
		return st;
	}
	*h = found[0];
	(void)p11_attr_get(fl, s, *h, CKA_ID, &k->id, &k->id_len);
	p11_key_kind(fl, s, *h, k->id, k->id_len, &ki, &kt);
	if (!ki.type_known) {
		p11_err_set(err, P11_ERR_KEY_TYPE, 0,
		            "token \"%s\": key \"%s\" is neither RSA nor Ed25519", tok->label,
		            label);
		return P11_ERR_KEY_TYPE;
	}
	k->type = ki.type;
	k->bits = ki.bits;
	return P11_OK;
}

p11_status
p11_token_public_key(p11_token *tok, const char *label, EVP_PKEY **out, struct p11_error *err)
{
	struct p11_pool_slot *s;
	p11_key k = {.label = (char *)label};
	CK_OBJECT_HANDLE h = CK_INVALID_HANDLE;
	unsigned char raw[32];
	p11_status st;

	*out = NULL;
	if (err != NULL)
		memset(err, 0, sizeof(*err));
	if (label == NULL || *label == '\0') {
		p11_err_set(err, P11_ERR_INVALID, 0, "no key label given");
		return P11_ERR_INVALID;
	}
	if ((st = p11_token_acquire(tok, &s, err)) != P11_OK)
		return st;
	st = p11_pubkey_by_label(tok, s->h, label, &k, &h, err);
	if (st == P11_OK && k.type == P11_KEY_RSA)
		st = p11_pubkey_read_rsa(tok, &k, s->h, h, out, err);
	else if (st == P11_OK)
		st = p11_pubkey_read_ed25519(tok, &k, s->h, h, raw, err);
	p11_token_release(tok, s);
	free(k.id);
	if (st == P11_OK && k.type == P11_KEY_ED25519)
		st = p11_pubkey_ed25519(&k, raw, out, err);
	return st;
}

p11_status
p11_key_public_raw_ed25519(p11_token *tok, const p11_key *key, unsigned char out[32],
                           struct p11_error *err)
{
	EVP_PKEY *unused = NULL;

	if (key->type != P11_KEY_ED25519) {
		p11_err_set(err, P11_ERR_KEY_TYPE, 0, "key \"%s\" is not an Ed25519 key",
		            key->label);
		return P11_ERR_KEY_TYPE;
	}
	return p11_pubkey_read(tok, key, &unused, out, err);
}

p11_status
p11_pubkey_fingerprint(EVP_PKEY *pk, char out[P11_FINGERPRINT_SIZE])
{
	unsigned char *der = NULL, md[32];
	int len = pk != NULL ? i2d_PUBKEY(pk, &der) : -1;

	out[0] = '\0';
	if (len <= 0 || EVP_Digest(der, (size_t)len, md, NULL, EVP_sha256(), NULL) != 1) {
		OPENSSL_free(der);
		return P11_ERR_NOMEM;
	}
	OPENSSL_free(der);
	memcpy(out, "SHA256:", 7);
	for (size_t i = 0; i < sizeof(md); i++)
		snprintf(out + 7 + 2 * i, 3, "%02x", md[i]);
	return P11_OK;
}
