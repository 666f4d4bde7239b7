/*
 * keytool_keygen: key pairs born on the token (C_GenerateKeyPair) or moved
 * into it from a PEM key (C_CreateObject); see keytool_keys.h.
 *
 * Import uses raw C_CreateObject rather than libp11's
 * PKCS11_store_private_key(): we must set CKA_SENSITIVE, CKA_EXTRACTABLE,
 * CKA_ID and the usage flags ourselves at creation, and libp11 (0.4.12)
 * stores no Ed25519 keys.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "tools/keytool_keys.h"
#include "tools/keytool_keys_int.h"

#define KT_ID_LEN 16
#define KT_ATTR_MAX 24

static CK_BBOOL kt_true = CK_TRUE;
static CK_BBOOL kt_false = CK_FALSE;

/* A template under construction; the attribute values stay the caller's. */
struct kt_tmpl {
	CK_ATTRIBUTE a[KT_ATTR_MAX];
	CK_ULONG n;
};

static void
kt_tmpl_add(struct kt_tmpl *t, CK_ATTRIBUTE_TYPE type, const void *val, size_t len)
{
	if (t->n >= KT_ATTR_MAX)
		abort(); /* a programming error: the templates here are fixed */
	t->a[t->n].type = type;
	t->a[t->n].pValue = (void *)val;
	t->a[t->n].ulValueLen = len;
	t->n++;
}

static void
kt_tmpl_bool(struct kt_tmpl *t, CK_ATTRIBUTE_TYPE type, bool v)
{
	kt_tmpl_add(t, type, v ? &kt_true : &kt_false, sizeof(CK_BBOOL));
}

/* What every private key we make carries: kept on the token, never readable, only for signing. */
static void
kt_tmpl_private(struct kt_tmpl *t, const char *label, const unsigned char *id)
{
	kt_tmpl_bool(t, CKA_TOKEN, true);
	kt_tmpl_bool(t, CKA_PRIVATE, true);
	kt_tmpl_bool(t, CKA_SENSITIVE, true);
	kt_tmpl_bool(t, CKA_EXTRACTABLE, false);
	kt_tmpl_bool(t, CKA_SIGN, true);
	kt_tmpl_bool(t, CKA_DECRYPT, false);
	kt_tmpl_bool(t, CKA_UNWRAP, false);
	kt_tmpl_bool(t, CKA_DERIVE, false);
	kt_tmpl_add(t, CKA_LABEL, label, strlen(label));
	kt_tmpl_add(t, CKA_ID, id, KT_ID_LEN);
}

static void
kt_tmpl_public(struct kt_tmpl *t, const char *label, const unsigned char *id)
{
	kt_tmpl_bool(t, CKA_TOKEN, true);
	kt_tmpl_bool(t, CKA_PRIVATE, false);
	kt_tmpl_bool(t, CKA_VERIFY, true);
	kt_tmpl_bool(t, CKA_ENCRYPT, false);
	kt_tmpl_bool(t, CKA_WRAP, false);
	kt_tmpl_add(t, CKA_LABEL, label, strlen(label));
	kt_tmpl_add(t, CKA_ID, id, KT_ID_LEN);
}

bool
kt_key_type_valid(const char *type)
{
	return strcmp(type, "rsa2048") == 0 || strcmp(type, "rsa3072") == 0 ||
	       strcmp(type, "rsa4096") == 0 || strcmp(type, "ed25519") == 0;
}

struct kt_gen_arg {
	const char *label;
	const char *type;
	const char *token;
	struct kt_error *err;
	EVP_PKEY *pkey; /* import only */
};

/* Refuses a label already in use: two keys with one label make every later lookup ambiguous. */
static CK_RV
kt_gen_label_free(CK_FUNCTION_LIST_PTR fl, CK_SESSION_HANDLE s, struct kt_gen_arg *ga)
{
	CK_OBJECT_HANDLE h[1];
	CK_ULONG n;
	CK_RV rv;

	rv = kt_keys_find(fl, s, KT_ANY_CLASS, ga->label, h, 1, &n);
	if (rv != CKR_OK)
		return rv;
	if (n > 0) {
		kt_error_set(ga->err, 0, "token \"%s\": an object labelled \"%s\" exists already",
		             ga->token, ga->label);
		return CKR_GENERAL_ERROR;
	}
	if (strlen(ga->label) == 0 || strlen(ga->label) > 128) {
		kt_error_set(ga->err, 0, "label must be 1 to 128 bytes long");
		return CKR_GENERAL_ERROR;
	}
	return CKR_OK;
}

static CK_RV
kt_gen_id(struct kt_gen_arg *ga, unsigned char *id)
{
	if (RAND_bytes(id, KT_ID_LEN) != 1) {
		kt_error_set(ga->err, 0, "no random bytes for the key's CKA_ID");
		return CKR_GENERAL_ERROR;
	}
	return CKR_OK;
}

static CK_RV
kt_key_generate_fn(CK_FUNCTION_LIST_PTR fl, CK_SESSION_HANDLE s, void *arg)
{
	static const unsigned char e65537[] = {0x01, 0x00, 0x01};
	struct kt_gen_arg *ga = arg;
	struct kt_tmpl pub = {.n = 0}, priv = {.n = 0};
	CK_MECHANISM mech = {CKM_RSA_PKCS_KEY_PAIR_GEN, NULL, 0};
	CK_OBJECT_HANDLE hpub, hpriv;
	CK_ULONG bits = 0;
	CK_KEY_TYPE kt = CKK_RSA;
	unsigned char id[KT_ID_LEN];
	CK_RV rv;

	if ((rv = kt_gen_label_free(fl, s, ga)) != CKR_OK || (rv = kt_gen_id(ga, id)) != CKR_OK)
		return rv;
	if (strcmp(ga->type, "ed25519") == 0) {
		mech.mechanism = CKM_EC_EDWARDS_KEY_PAIR_GEN;
		kt = CKK_EC_EDWARDS;
	} else
		bits = strtoul(ga->type + 3, NULL, 10);
	kt_tmpl_add(&pub, CKA_KEY_TYPE, &kt, sizeof(kt));
	kt_tmpl_public(&pub, ga->label, id);
	kt_tmpl_add(&priv, CKA_KEY_TYPE, &kt, sizeof(kt));
	kt_tmpl_private(&priv, ga->label, id);
	if (kt == CKK_RSA) {
		kt_tmpl_add(&pub, CKA_MODULUS_BITS, &bits, sizeof(bits));
		kt_tmpl_add(&pub, CKA_PUBLIC_EXPONENT, e65537, sizeof(e65537));
	} else
		kt_tmpl_add(&pub, CKA_EC_PARAMS, kt_ed25519_oid, sizeof(kt_ed25519_oid));
	rv = fl->C_GenerateKeyPair(s, &mech, pub.a, pub.n, priv.a, priv.n, &hpub, &hpriv);
	if (rv == CKR_MECHANISM_INVALID)
		kt_error_set(ga->err, rv,
		             "token \"%s\" cannot generate %s keys (CKR_MECHANISM_INVALID)",
		             ga->token, ga->type);
	return rv;
}

int
kt_key_generate(struct kt_token *tok, const char *label, const char *type, struct kt_error *err)
{
	struct kt_gen_arg ga = {label, type, kt_token_label(tok), err, NULL};

	if (!kt_key_type_valid(type))
		return kt_error_set(
		    err, 0, "unknown key type \"%s\" (rsa2048, rsa3072, rsa4096, ed25519)", type);
	return kt_token_with_session(tok, true, kt_key_generate_fn, &ga, err);
}

/* An RSA key's numbers as big-endian bytes, wiped when freed. */
#define KT_RSA_NPARTS 8

struct kt_rsa_parts {
	unsigned char *v[KT_RSA_NPARTS];
	size_t len[KT_RSA_NPARTS];
};

static const char *const kt_rsa_param[KT_RSA_NPARTS] = {
    OSSL_PKEY_PARAM_RSA_N,         OSSL_PKEY_PARAM_RSA_E,
    OSSL_PKEY_PARAM_RSA_D,         OSSL_PKEY_PARAM_RSA_FACTOR1,
    OSSL_PKEY_PARAM_RSA_FACTOR2,   OSSL_PKEY_PARAM_RSA_EXPONENT1,
    OSSL_PKEY_PARAM_RSA_EXPONENT2, OSSL_PKEY_PARAM_RSA_COEFFICIENT1,
};

static const CK_ATTRIBUTE_TYPE kt_rsa_attr[KT_RSA_NPARTS] = {
    CKA_MODULUS, CKA_PUBLIC_EXPONENT, CKA_PRIVATE_EXPONENT, CKA_PRIME_1,
    CKA_PRIME_2, CKA_EXPONENT_1,      CKA_EXPONENT_2,       CKA_COEFFICIENT,
};

static void
kt_rsa_parts_free(struct kt_rsa_parts *rp)
{
	int i;

	for (i = 0; i < KT_RSA_NPARTS; i++)
		if (rp->v[i] != NULL) {
			OPENSSL_cleanse(rp->v[i], rp->len[i]);
			free(rp->v[i]);
		}
}

static int
kt_rsa_parts_get(EVP_PKEY *pk, struct kt_rsa_parts *rp)
{
	int i;

	memset(rp, 0, sizeof(*rp));
	for (i = 0; i < KT_RSA_NPARTS; i++) {
		BIGNUM *bn = NULL;
		int len;

		if (EVP_PKEY_get_bn_param(pk, kt_rsa_param[i], &bn) != 1)
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
kt_import_create(CK_FUNCTION_LIST_PTR fl, CK_SESSION_HANDLE s, struct kt_tmpl *priv,
                 struct kt_tmpl *pub)
{
	CK_OBJECT_HANDLE hpriv, hpub;
	CK_RV rv;

	rv = fl->C_CreateObject(s, priv->a, priv->n, &hpriv);
	if (rv != CKR_OK)
		return rv;
	rv = fl->C_CreateObject(s, pub->a, pub->n, &hpub);
	if (rv != CKR_OK)
		fl->C_DestroyObject(s, hpriv); /* no half-imported key left behind */
	return rv;
}

static CK_RV
kt_import_rsa(CK_FUNCTION_LIST_PTR fl, CK_SESSION_HANDLE s, struct kt_gen_arg *ga,
              const unsigned char *id)
{
	CK_OBJECT_CLASS cpriv = CKO_PRIVATE_KEY, cpub = CKO_PUBLIC_KEY;
	CK_KEY_TYPE kt = CKK_RSA;
	struct kt_tmpl priv = {.n = 0}, pub = {.n = 0};
	struct kt_rsa_parts rp;
	CK_RV rv;
	int i;

	if (kt_rsa_parts_get(ga->pkey, &rp) != 0) {
		kt_rsa_parts_free(&rp);
		kt_error_set(ga->err, 0, "the RSA key lacks a part (CRT parameters) PKCS#11 needs");
		return CKR_GENERAL_ERROR;
	}
	kt_tmpl_add(&priv, CKA_CLASS, &cpriv, sizeof(cpriv));
	kt_tmpl_add(&priv, CKA_KEY_TYPE, &kt, sizeof(kt));
	kt_tmpl_private(&priv, ga->label, id);
	for (i = 0; i < KT_RSA_NPARTS; i++)
		kt_tmpl_add(&priv, kt_rsa_attr[i], rp.v[i], rp.len[i]);
	kt_tmpl_add(&pub, CKA_CLASS, &cpub, sizeof(cpub));
	kt_tmpl_add(&pub, CKA_KEY_TYPE, &kt, sizeof(kt));
	kt_tmpl_public(&pub, ga->label, id);
	kt_tmpl_add(&pub, CKA_MODULUS, rp.v[0], rp.len[0]);
	kt_tmpl_add(&pub, CKA_PUBLIC_EXPONENT, rp.v[1], rp.len[1]);
	rv = kt_import_create(fl, s, &priv, &pub);
	kt_rsa_parts_free(&rp);
	return rv;
}

static CK_RV
kt_import_ed25519(CK_FUNCTION_LIST_PTR fl, CK_SESSION_HANDLE s, struct kt_gen_arg *ga,
                  const unsigned char *id)
{
	CK_OBJECT_CLASS cpriv = CKO_PRIVATE_KEY, cpub = CKO_PUBLIC_KEY;
	CK_KEY_TYPE kt = CKK_EC_EDWARDS;
	struct kt_tmpl priv = {.n = 0}, pub = {.n = 0};
	unsigned char seed[32], point[34];
	size_t slen = sizeof(seed), plen = 32;
	CK_RV rv;

	if (EVP_PKEY_get_raw_private_key(ga->pkey, seed, &slen) != 1 || slen != 32 ||
	    EVP_PKEY_get_raw_public_key(ga->pkey, point + 2, &plen) != 1 || plen != 32) {
		OPENSSL_cleanse(seed, sizeof(seed));
		kt_error_set(ga->err, 0, "cannot read the Ed25519 key");
		return CKR_GENERAL_ERROR;
	}
	/* CKA_EC_POINT is the DER OCTET STRING around the 32 bytes (PKCS#11 3.0, 2.3.6). */
	point[0] = 0x04;
	point[1] = 0x20;
	kt_tmpl_add(&priv, CKA_CLASS, &cpriv, sizeof(cpriv));
	kt_tmpl_add(&priv, CKA_KEY_TYPE, &kt, sizeof(kt));
	kt_tmpl_private(&priv, ga->label, id);
	kt_tmpl_add(&priv, CKA_EC_PARAMS, kt_ed25519_oid, sizeof(kt_ed25519_oid));
	kt_tmpl_add(&priv, CKA_VALUE, seed, sizeof(seed));
	kt_tmpl_add(&pub, CKA_CLASS, &cpub, sizeof(cpub));
	kt_tmpl_add(&pub, CKA_KEY_TYPE, &kt, sizeof(kt));
	kt_tmpl_public(&pub, ga->label, id);
	kt_tmpl_add(&pub, CKA_EC_PARAMS, kt_ed25519_oid, sizeof(kt_ed25519_oid));
	kt_tmpl_add(&pub, CKA_EC_POINT, point, sizeof(point));
	rv = kt_import_create(fl, s, &priv, &pub);
	OPENSSL_cleanse(seed, sizeof(seed));
	return rv;
}

static CK_RV
kt_key_import_fn(CK_FUNCTION_LIST_PTR fl, CK_SESSION_HANDLE s, void *arg)
{
	struct kt_gen_arg *ga = arg;
	unsigned char id[KT_ID_LEN];
	CK_RV rv;

	if ((rv = kt_gen_label_free(fl, s, ga)) != CKR_OK || (rv = kt_gen_id(ga, id)) != CKR_OK)
		return rv;
	if (EVP_PKEY_get_base_id(ga->pkey) == EVP_PKEY_ED25519)
		return kt_import_ed25519(fl, s, ga, id);
	return kt_import_rsa(fl, s, ga, id);
}

int
kt_key_import(struct kt_token *tok, const char *label, EVP_PKEY *pkey, struct kt_error *err)
{
	struct kt_gen_arg ga = {label, NULL, kt_token_label(tok), err, pkey};
	int id = EVP_PKEY_get_base_id(pkey);

	if (id == EVP_PKEY_RSA) {
		if (EVP_PKEY_get_bits(pkey) < 1024)
			return kt_error_set(
			    err, 0, "RSA key of %d bits refused: under 1024 bits (RFC 8301)",
			    EVP_PKEY_get_bits(pkey));
	} else if (id != EVP_PKEY_ED25519)
		return kt_error_set(err, 0, "key is neither RSA nor Ed25519");
	return kt_token_with_session(tok, true, kt_key_import_fn, &ga, err);
}
