/*
 * p11_admin.c: key administration for the keytool: generate a key pair on the token, import a
 * PEM key into it, destroy a key's objects. Each runs on its own read-write session
 * (p11_token_with_session), never on a pool session.
 *
 * Every private key made here is born with CKA_TOKEN, CKA_PRIVATE, CKA_SENSITIVE true,
 * CKA_EXTRACTABLE false, CKA_SIGN true (decrypt, unwrap and derive off), its CKA_LABEL and a
 * random 16-byte CKA_ID, because some tokens (AWS CloudHSM) refuse C_SetAttributeValue later.
 * Import uses C_CreateObject rather than libp11: we must set those attributes at creation, and
 * libp11 (0.4.12) stores no Ed25519 keys. The one exception, a key generated to be copied to the
 * other tokens of a set (p11_key_generate_wrappable), is CKA_EXTRACTABLE with
 * CKA_WRAP_WITH_TRUSTED: still sensitive, it leaves only wrapped (p11_wrap.c). The attribute
 * templates (p11_tmpl_*) are p11_wrap.c's too.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "pkcs11/p11_attr.h"
#include "pkcs11/p11_int.h"

#define P11_ADMIN_DESTROY_MAX 128

static CK_BBOOL p11_admin_true = CK_TRUE;
static CK_BBOOL p11_admin_false = CK_FALSE;

void
p11_tmpl_add(struct p11_tmpl *t, CK_ATTRIBUTE_TYPE type, const void *val, size_t len)
{
	if (t->n >= P11_TMPL_MAX)
		abort(); /* a programming error: the templates here are fixed */
	t->a[t->n++] = (CK_ATTRIBUTE){type, (void *)val, len};
}

void
p11_tmpl_bool(struct p11_tmpl *t, CK_ATTRIBUTE_TYPE type, bool v)
{
	p11_tmpl_add(t, type, v ? &p11_admin_true : &p11_admin_false, sizeof(CK_BBOOL));
}

/* What every private key we make carries: kept on the token, never readable, only for signing.
   A wrap-only key may leave the token, but only encrypted under a wrap key the SO trusted. */
void
p11_tmpl_private(struct p11_tmpl *t, bool create, CK_KEY_TYPE *kt, const char *label,
                 const unsigned char *id, size_t id_len, bool wrap_only)
{
	static CK_OBJECT_CLASS cls = CKO_PRIVATE_KEY;

	if (create) /* C_GenerateKeyPair knows the class */
		p11_tmpl_add(t, CKA_CLASS, &cls, sizeof(cls));
	p11_tmpl_add(t, CKA_KEY_TYPE, kt, sizeof(*kt));
	p11_tmpl_bool(t, CKA_TOKEN, true);
	p11_tmpl_bool(t, CKA_PRIVATE, true);
	p11_tmpl_bool(t, CKA_SENSITIVE, true);
	p11_tmpl_bool(t, CKA_EXTRACTABLE, wrap_only);
	if (wrap_only)
		p11_tmpl_bool(t, CKA_WRAP_WITH_TRUSTED, true);
	p11_tmpl_bool(t, CKA_SIGN, true);
	p11_tmpl_bool(t, CKA_DECRYPT, false);
	p11_tmpl_bool(t, CKA_UNWRAP, false);
	p11_tmpl_bool(t, CKA_DERIVE, false);
	p11_tmpl_add(t, CKA_LABEL, label, strlen(label));
	p11_tmpl_add(t, CKA_ID, id, id_len);
}

void
p11_tmpl_public(struct p11_tmpl *t, bool create, CK_KEY_TYPE *kt, const char *label,
                const unsigned char *id, size_t id_len)
{
	static CK_OBJECT_CLASS cls = CKO_PUBLIC_KEY;

	if (create) /* C_GenerateKeyPair knows the class */
		p11_tmpl_add(t, CKA_CLASS, &cls, sizeof(cls));
	p11_tmpl_add(t, CKA_KEY_TYPE, kt, sizeof(*kt));
	p11_tmpl_bool(t, CKA_TOKEN, true);
	p11_tmpl_bool(t, CKA_PRIVATE, false);
	p11_tmpl_bool(t, CKA_VERIFY, true);
	p11_tmpl_bool(t, CKA_ENCRYPT, false);
	p11_tmpl_bool(t, CKA_WRAP, false);
	p11_tmpl_add(t, CKA_LABEL, label, strlen(label));
	p11_tmpl_add(t, CKA_ID, id, id_len);
}

/* The request of one operation, and where it reports. */
struct p11_admin {
	p11_token *tok;
	const char *label;
	enum p11_key_type type;
	unsigned bits;  /* generate, RSA */
	bool wrap_only; /* generate: extractable only under a trusted wrap key */
	EVP_PKEY *pkey; /* import */
	unsigned destroyed;
	unsigned char id[P11_ADMIN_ID_LEN];
	struct p11_error *err;
};

/* Refuses a label in use (two keys with one label make every later lookup ambiguous), and makes
   the new key's CKA_ID. */
static CK_RV
p11_admin_prepare(CK_FUNCTION_LIST_PTR fl, CK_SESSION_HANDLE s, struct p11_admin *a)
{
	CK_OBJECT_HANDLE h;
	CK_ULONG n;
	CK_RV rv;

	rv = p11_key_search(fl, s, P11_ANY_CLASS, a->label, NULL, 0, false, &h, 1, &n);
	if (rv != CKR_OK)
		return rv;
	if (n > 0) {
		p11_err_set(a->err, P11_ERR_INVALID, 0,
		            "token \"%s\": an object labelled \"%s\" exists already", a->tok->label,
		            a->label);
		return CKR_GENERAL_ERROR;
	}
	if (RAND_bytes(a->id, P11_ADMIN_ID_LEN) != 1) {
		p11_err_set(a->err, P11_ERR_NOMEM, 0, "no random bytes for the key's CKA_ID");
		return CKR_GENERAL_ERROR;
	}
	return CKR_OK;
}

static CK_RV
p11_admin_generate_fn(CK_FUNCTION_LIST_PTR fl, CK_SESSION_HANDLE s, void *arg)
{
	static const unsigned char e65537[] = {0x01, 0x00, 0x01};
	struct p11_admin *a = arg;
	struct p11_tmpl pub = {.n = 0}, priv = {.n = 0};
	CK_MECHANISM mech = {CKM_RSA_PKCS_KEY_PAIR_GEN, NULL, 0};
	CK_KEY_TYPE kt = CKK_RSA;
	CK_ULONG bits = a->bits;
	CK_OBJECT_HANDLE hpub, hpriv;
	CK_RV rv;

	if ((rv = p11_admin_prepare(fl, s, a)) != CKR_OK)
		return rv;
	if (a->type == P11_KEY_ED25519) {
		mech.mechanism = CKM_EC_EDWARDS_KEY_PAIR_GEN;
		kt = CKK_EC_EDWARDS;
	}
	p11_tmpl_public(&pub, false, &kt, a->label, a->id, P11_ADMIN_ID_LEN);
	p11_tmpl_private(&priv, false, &kt, a->label, a->id, P11_ADMIN_ID_LEN, a->wrap_only);
	if (kt == CKK_RSA) {
		p11_tmpl_add(&pub, CKA_MODULUS_BITS, &bits, sizeof(bits));
		p11_tmpl_add(&pub, CKA_PUBLIC_EXPONENT, e65537, sizeof(e65537));
	} else
		p11_tmpl_add(&pub, CKA_EC_PARAMS, p11_attr_ed25519_oid,
		             sizeof(p11_attr_ed25519_oid));
	rv = fl->C_GenerateKeyPair(s, &mech, pub.a, pub.n, priv.a, priv.n, &hpub, &hpriv);
	if (rv == CKR_MECHANISM_INVALID)
		p11_err_set(a->err, P11_ERR_MECHANISM, rv,
		            "token \"%s\" cannot generate %s keys (CKR_MECHANISM_INVALID)",
		            a->tok->label, kt == CKK_RSA ? "RSA" : "Ed25519");
	return rv;
}

static p11_status
p11_key_generate_any(p11_token *tok, const char *label, enum p11_key_type type, unsigned bits,
                     bool wrap_only, struct p11_error *err)
{
	struct p11_admin a = {.tok = tok,
	                      .label = label,
	                      .type = type,
	                      .bits = bits,
	                      .wrap_only = wrap_only,
	                      .err = err};

	if (err != NULL)
		memset(err, 0, sizeof(*err));
	if (label == NULL || *label == '\0' || strlen(label) > 128 ||
	    (type == P11_KEY_RSA && (bits < 2048 || bits > 16384))) {
		p11_err_set(err, P11_ERR_INVALID, 0,
		            "key generation needs a label of 1 to 128 bytes and, for RSA, 2048 to "
		            "16384 bits");
		return P11_ERR_INVALID;
	}
	return p11_token_with_session(tok, true, p11_admin_generate_fn, &a, err);
}

p11_status
p11_key_generate(p11_token *tok, const char *label, enum p11_key_type type, unsigned bits,
                 struct p11_error *err)
{
	return p11_key_generate_any(tok, label, type, bits, false, err);
}

p11_status
p11_key_generate_wrappable(p11_token *tok, const char *label, enum p11_key_type type, unsigned bits,
                           struct p11_error *err)
{
	return p11_key_generate_any(tok, label, type, bits, true, err);
}

/* An RSA key's numbers as big-endian bytes, wiped when freed. */
#define P11_RSA_NPARTS 8

struct p11_rsa_parts {
	unsigned char *v[P11_RSA_NPARTS];
	size_t len[P11_RSA_NPARTS];
};

static const char *const p11_rsa_param[P11_RSA_NPARTS] = {
    OSSL_PKEY_PARAM_RSA_N,         OSSL_PKEY_PARAM_RSA_E,
    OSSL_PKEY_PARAM_RSA_D,         OSSL_PKEY_PARAM_RSA_FACTOR1,
    OSSL_PKEY_PARAM_RSA_FACTOR2,   OSSL_PKEY_PARAM_RSA_EXPONENT1,
    OSSL_PKEY_PARAM_RSA_EXPONENT2, OSSL_PKEY_PARAM_RSA_COEFFICIENT1,
};

static const CK_ATTRIBUTE_TYPE p11_rsa_attr[P11_RSA_NPARTS] = {
    CKA_MODULUS, CKA_PUBLIC_EXPONENT, CKA_PRIVATE_EXPONENT, CKA_PRIME_1,
    CKA_PRIME_2, CKA_EXPONENT_1,      CKA_EXPONENT_2,       CKA_COEFFICIENT,
};

static void
p11_rsa_parts_free(struct p11_rsa_parts *rp)
{
	for (int i = 0; i < P11_RSA_NPARTS; i++)
		if (rp->v[i] != NULL) {
			OPENSSL_cleanse(rp->v[i], rp->len[i]);
			free(rp->v[i]);
		}
}

static int
p11_rsa_parts_get(EVP_PKEY *pk, struct p11_rsa_parts *rp)
{
	memset(rp, 0, sizeof(*rp));
	for (int i = 0; i < P11_RSA_NPARTS; i++) {
		BIGNUM *bn = NULL;
		int len;

		if (EVP_PKEY_get_bn_param(pk, p11_rsa_param[i], &bn) != 1)
			return -1;
		len = BN_num_bytes(bn);
		rp->v[i] = malloc(len > 0 ? (size_t)len : 1);
		if (rp->v[i] == NULL) {
			BN_clear_free(bn);
			return -1;
		}
		rp->len[i] = (size_t)BN_bn2bin(bn, rp->v[i]);
		BN_clear_free(bn);
	}
	return 0;
}

static CK_RV
p11_admin_create(CK_FUNCTION_LIST_PTR fl, CK_SESSION_HANDLE s, struct p11_tmpl *priv,
                 struct p11_tmpl *pub)
{
	CK_OBJECT_HANDLE hpriv, hpub;
	CK_RV rv;

	if ((rv = fl->C_CreateObject(s, priv->a, priv->n, &hpriv)) != CKR_OK)
		return rv;
	if ((rv = fl->C_CreateObject(s, pub->a, pub->n, &hpub)) != CKR_OK)
		fl->C_DestroyObject(s, hpriv); /* no half-imported key left behind */
	return rv;
}

static CK_RV
p11_admin_import_rsa(CK_FUNCTION_LIST_PTR fl, CK_SESSION_HANDLE s, struct p11_admin *a)
{
	CK_KEY_TYPE kt = CKK_RSA;
	struct p11_tmpl priv = {.n = 0}, pub = {.n = 0};
	struct p11_rsa_parts rp;
	CK_RV rv;

	if (p11_rsa_parts_get(a->pkey, &rp) != 0) {
		p11_rsa_parts_free(&rp);
		p11_err_set(a->err, P11_ERR_KEY_TYPE, 0,
		            "the RSA key lacks a part (CRT parameters) PKCS#11 needs");
		return CKR_GENERAL_ERROR;
	}
	p11_tmpl_private(&priv, true, &kt, a->label, a->id, P11_ADMIN_ID_LEN, false);
	for (int i = 0; i < P11_RSA_NPARTS; i++)
		p11_tmpl_add(&priv, p11_rsa_attr[i], rp.v[i], rp.len[i]);
	p11_tmpl_public(&pub, true, &kt, a->label, a->id, P11_ADMIN_ID_LEN);
	p11_tmpl_add(&pub, CKA_MODULUS, rp.v[0], rp.len[0]);
	p11_tmpl_add(&pub, CKA_PUBLIC_EXPONENT, rp.v[1], rp.len[1]);
	rv = p11_admin_create(fl, s, &priv, &pub);
	p11_rsa_parts_free(&rp);
	return rv;
}

static CK_RV
p11_admin_import_ed25519(CK_FUNCTION_LIST_PTR fl, CK_SESSION_HANDLE s, struct p11_admin *a)
{
	CK_KEY_TYPE kt = CKK_EC_EDWARDS;
	struct p11_tmpl priv = {.n = 0}, pub = {.n = 0};
	unsigned char seed[32], point[34];
	size_t slen = sizeof(seed), plen = 32;
	CK_RV rv;

	if (EVP_PKEY_get_raw_private_key(a->pkey, seed, &slen) != 1 || slen != 32 ||
	    EVP_PKEY_get_raw_public_key(a->pkey, point + 2, &plen) != 1 || plen != 32) {
		OPENSSL_cleanse(seed, sizeof(seed));
		p11_err_set(a->err, P11_ERR_KEY_TYPE, 0, "cannot read the Ed25519 key");
		return CKR_GENERAL_ERROR;
	}
	/* CKA_EC_POINT is the DER OCTET STRING around the 32 bytes (PKCS#11 3.0, 2.3.6). */
	point[0] = 0x04;
	point[1] = 0x20;
	p11_tmpl_private(&priv, true, &kt, a->label, a->id, P11_ADMIN_ID_LEN, false);
	p11_tmpl_add(&priv, CKA_EC_PARAMS, p11_attr_ed25519_oid, sizeof(p11_attr_ed25519_oid));
	p11_tmpl_add(&priv, CKA_VALUE, seed, sizeof(seed));
	p11_tmpl_public(&pub, true, &kt, a->label, a->id, P11_ADMIN_ID_LEN);
	p11_tmpl_add(&pub, CKA_EC_PARAMS, p11_attr_ed25519_oid, sizeof(p11_attr_ed25519_oid));
	p11_tmpl_add(&pub, CKA_EC_POINT, point, sizeof(point));
	rv = p11_admin_create(fl, s, &priv, &pub);
	OPENSSL_cleanse(seed, sizeof(seed));
	return rv;
}

static CK_RV
p11_admin_import_fn(CK_FUNCTION_LIST_PTR fl, CK_SESSION_HANDLE s, void *arg)
{
	struct p11_admin *a = arg;
	CK_RV rv;

	if ((rv = p11_admin_prepare(fl, s, a)) != CKR_OK)
		return rv;
	if (a->type == P11_KEY_ED25519)
		return p11_admin_import_ed25519(fl, s, a);
	return p11_admin_import_rsa(fl, s, a);
}

p11_status
p11_key_import(p11_token *tok, const char *label, EVP_PKEY *pkey, struct p11_error *err)
{
	struct p11_admin a = {.tok = tok, .label = label, .pkey = pkey, .err = err};
	int id = pkey != NULL ? EVP_PKEY_get_base_id(pkey) : EVP_PKEY_NONE;

	if (err != NULL)
		memset(err, 0, sizeof(*err));
	if (label == NULL || *label == '\0' || strlen(label) > 128) {
		p11_err_set(err, P11_ERR_INVALID, 0, "label must be 1 to 128 bytes long");
		return P11_ERR_INVALID;
	}
	if (id == EVP_PKEY_RSA && EVP_PKEY_get_bits(pkey) < 1024) {
		p11_err_set(err, P11_ERR_KEY_WEAK, 0,
		            "RSA key of %d bits refused: under 1024 bits (RFC 8301)",
		            EVP_PKEY_get_bits(pkey));
		return P11_ERR_KEY_WEAK;
	}
	if (id != EVP_PKEY_RSA && id != EVP_PKEY_ED25519) {
		p11_err_set(err, P11_ERR_KEY_TYPE, 0, "key is neither RSA nor Ed25519");
		return P11_ERR_KEY_TYPE;
	}
	a.type = id == EVP_PKEY_ED25519 ? P11_KEY_ED25519 : P11_KEY_RSA;
	return p11_token_with_session(tok, true, p11_admin_import_fn, &a, err);
}

static CK_RV
p11_admin_destroy_fn(CK_FUNCTION_LIST_PTR fl, CK_SESSION_HANDLE s, void *arg)
{
	struct p11_admin *a = arg;
	CK_OBJECT_HANDLE h[2 * P11_ADMIN_DESTROY_MAX];
	CK_ULONG n = 0, npub = 0;
	CK_RV rv;

	/* Keys only: a certificate or data object sharing the label is not ours to destroy. */
	rv = p11_key_search(fl, s, CKO_PRIVATE_KEY, a->label, NULL, 0, false, h,
	                    P11_ADMIN_DESTROY_MAX, &n);
	if (rv == CKR_OK)
		rv = p11_key_search(fl, s, CKO_PUBLIC_KEY, a->label, NULL, 0, false, h + n,
		                    P11_ADMIN_DESTROY_MAX, &npub);
	if (rv != CKR_OK)
		return rv;
	if (n + npub == 0) {
		p11_err_set(a->err, P11_ERR_KEY_NOT_FOUND, 0,
		            "token \"%s\": no key labelled \"%s\"", a->tok->label, a->label);
		return CKR_GENERAL_ERROR;
	}
	for (CK_ULONG i = 0; i < n + npub; i++) {
		if ((rv = fl->C_DestroyObject(s, h[i])) != CKR_OK)
			return rv;
		a->destroyed++;
	}
	return CKR_OK;
}

p11_status
p11_key_destroy(p11_token *tok, const char *label, unsigned *n, struct p11_error *err)
{
	struct p11_admin a = {.tok = tok, .label = label, .err = err};
	p11_status st;

	if (err != NULL)
		memset(err, 0, sizeof(*err));
	if (label == NULL || *label == '\0') {
		p11_err_set(err, P11_ERR_INVALID, 0, "no label given");
		return P11_ERR_INVALID;
	}
	st = p11_token_with_session(tok, true, p11_admin_destroy_fn, &a, err);
	if (n != NULL)
		*n = a.destroyed;
	return st;
}
