/*
 * keytool_keys: list, inspect, read and destroy key objects; see
 * keytool_keys.h for the contract. Generation and import are in
 * keytool_keygen.c.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/param_build.h>

#include "tools/keytool_keys.h"
#include "tools/keytool_keys_int.h"

const unsigned char kt_ed25519_oid[5] = {0x06, 0x03, 0x2b, 0x65, 0x70};
/* PrintableString "edwards25519": what some tokens (and old SoftHSM) use instead of the OID. */
static const unsigned char kt_ed25519_name[14] = {0x13, 0x0c, 'e', 'd', 'w', 'a', 'r',
                                                  'd',  's',  '2', '5', '5', '1', '9'};

#define KT_FIND_MAX 256

CK_RV
kt_keys_find(CK_FUNCTION_LIST_PTR fl, CK_SESSION_HANDLE s, CK_OBJECT_CLASS cls, const char *label,
             CK_OBJECT_HANDLE *h, CK_ULONG max, CK_ULONG *n)
{
	CK_ATTRIBUTE tmpl[2];
	CK_ULONG nt = 0;
	CK_RV rv;

	if (cls != KT_ANY_CLASS) {
		tmpl[nt].type = CKA_CLASS;
		tmpl[nt].pValue = &cls;
		tmpl[nt].ulValueLen = sizeof(cls);
		nt++;
	}
	if (label != NULL) {
		tmpl[nt].type = CKA_LABEL;
		tmpl[nt].pValue = (void *)label;
		tmpl[nt].ulValueLen = strlen(label);
		nt++;
	}
	*n = 0;
	rv = fl->C_FindObjectsInit(s, tmpl, nt);
	if (rv != CKR_OK)
		return rv;
	rv = fl->C_FindObjects(s, h, max, n);
	fl->C_FindObjectsFinal(s);
	return rv;
}

CK_RV
kt_keys_attr(CK_FUNCTION_LIST_PTR fl, CK_SESSION_HANDLE s, CK_OBJECT_HANDLE h,
             CK_ATTRIBUTE_TYPE type, unsigned char **val, CK_ULONG *len)
{
	CK_ATTRIBUTE a = {type, NULL, 0};
	CK_RV rv;

	*val = NULL;
	*len = 0;
	rv = fl->C_GetAttributeValue(s, h, &a, 1);
	if (rv != CKR_OK)
		return rv;
	if (a.ulValueLen == CK_UNAVAILABLE_INFORMATION)
		return CKR_ATTRIBUTE_TYPE_INVALID;
	if (a.ulValueLen == 0)
		return CKR_OK;
	if (a.ulValueLen > 65536)
		return CKR_ATTRIBUTE_VALUE_INVALID;
	a.pValue = malloc(a.ulValueLen);
	if (a.pValue == NULL)
		return CKR_HOST_MEMORY;
	rv = fl->C_GetAttributeValue(s, h, &a, 1);
	if (rv != CKR_OK) {
		free(a.pValue);
		return rv;
	}
	*val = a.pValue;
	*len = a.ulValueLen;
	return CKR_OK;
}

static bool
kt_keys_attr_bool(CK_FUNCTION_LIST_PTR fl, CK_SESSION_HANDLE s, CK_OBJECT_HANDLE h,
                  CK_ATTRIBUTE_TYPE type, bool dflt)
{
	CK_BBOOL b = CK_FALSE;
	CK_ATTRIBUTE a = {type, &b, sizeof(b)};

	if (fl->C_GetAttributeValue(s, h, &a, 1) != CKR_OK)
		return dflt;
	return b == CK_TRUE;
}

static bool
kt_keys_is_ed25519_params(const unsigned char *p, CK_ULONG len)
{
	return (len == sizeof(kt_ed25519_oid) && memcmp(p, kt_ed25519_oid, len) == 0) ||
	       (len == sizeof(kt_ed25519_name) && memcmp(p, kt_ed25519_name, len) == 0);
}

/* Finds the public object of the private key PRIV: same CKA_ID, else same label. */
static CK_OBJECT_HANDLE
kt_keys_public_of(CK_FUNCTION_LIST_PTR fl, CK_SESSION_HANDLE s, CK_OBJECT_HANDLE priv,
                  const char *label)
{
	CK_OBJECT_CLASS cls = CKO_PUBLIC_KEY;
	CK_ATTRIBUTE tmpl[2] = {{CKA_CLASS, &cls, sizeof(cls)}, {CKA_ID, NULL, 0}};
	CK_OBJECT_HANDLE h[2];
	CK_ULONG n = 0, idlen;
	unsigned char *id;

	if (kt_keys_attr(fl, s, priv, CKA_ID, &id, &idlen) == CKR_OK && id != NULL) {
		tmpl[1].pValue = id;
		tmpl[1].ulValueLen = idlen;
		if (fl->C_FindObjectsInit(s, tmpl, 2) == CKR_OK) {
			if (fl->C_FindObjects(s, h, 2, &n) != CKR_OK)
				n = 0;
			fl->C_FindObjectsFinal(s);
		}
		free(id);
		if (n == 1)
			return h[0];
	}
	if (label != NULL && kt_keys_find(fl, s, CKO_PUBLIC_KEY, label, h, 2, &n) == CKR_OK &&
	    n == 1)
		return h[0];
	return CK_INVALID_HANDLE;
}

static void
kt_keys_fill_info(CK_FUNCTION_LIST_PTR fl, CK_SESSION_HANDLE s, CK_OBJECT_HANDLE h,
                  struct kt_keyinfo *ki)
{
	CK_KEY_TYPE kt = (CK_KEY_TYPE)-1;
	CK_ATTRIBUTE a = {CKA_KEY_TYPE, &kt, sizeof(kt)};
	unsigned char *v;
	CK_ULONG len;
	CK_OBJECT_HANDLE pub;

	memset(ki, 0, sizeof(*ki));
	if (kt_keys_attr(fl, s, h, CKA_LABEL, &v, &len) == CKR_OK && v != NULL) {
		snprintf(ki->label, sizeof(ki->label), "%.*s", (int)(len < 128 ? len : 128),
		         (char *)v);
		free(v);
	}
	if (kt_keys_attr(fl, s, h, CKA_ID, &v, &len) == CKR_OK && v != NULL) {
		if (len <= sizeof(ki->id)) {
			memcpy(ki->id, v, len);
			ki->idlen = len;
		}
		free(v);
	}
	ki->sensitive = kt_keys_attr_bool(fl, s, h, CKA_SENSITIVE, false);
	ki->extractable = kt_keys_attr_bool(fl, s, h, CKA_EXTRACTABLE, true);
	pub = kt_keys_public_of(fl, s, h, ki->label[0] ? ki->label : NULL);
	ki->has_public = pub != CK_INVALID_HANDLE;
	ki->type = KT_KEY_OTHER;
	if (fl->C_GetAttributeValue(s, h, &a, 1) != CKR_OK)
		return;
	if (kt == CKK_RSA) {
		ki->type = KT_KEY_RSA;
		if (kt_keys_attr(fl, s, h, CKA_MODULUS, &v, &len) != CKR_OK &&
		    pub != CK_INVALID_HANDLE)
			(void)kt_keys_attr(fl, s, pub, CKA_MODULUS, &v, &len);
		if (v != NULL) {
			CK_ULONG i = 0;

			while (i < len && v[i] == 0)
				i++;
			ki->bits = (unsigned)((len - i) * 8);
			if (i < len) {
				unsigned char top = v[i];

				while (!(top & 0x80)) {
					ki->bits--;
					top <<= 1;
				}
			}
			free(v);
		}
	} else if (kt == CKK_EC_EDWARDS) {
		if (kt_keys_attr(fl, s, h, CKA_EC_PARAMS, &v, &len) == CKR_OK && v != NULL) {
			if (kt_keys_is_ed25519_params(v, len)) {
				ki->type = KT_KEY_ED25519;
				ki->bits = 256;
			}
			free(v);
		}
	}
}

struct kt_list_arg {
	int (*cb)(const struct kt_keyinfo *, void *);
	void *arg;
};

static CK_RV
kt_key_list_fn(CK_FUNCTION_LIST_PTR fl, CK_SESSION_HANDLE s, void *arg)
{
	struct kt_list_arg *la = arg;
	CK_OBJECT_HANDLE h[KT_FIND_MAX];
	struct kt_keyinfo ki;
	CK_ULONG n, i;
	CK_RV rv;

	rv = kt_keys_find(fl, s, CKO_PRIVATE_KEY, NULL, h, KT_FIND_MAX, &n);
	if (rv != CKR_OK)
		return rv;
	for (i = 0; i < n; i++) {
		kt_keys_fill_info(fl, s, h[i], &ki);
		if (la->cb(&ki, la->arg) != 0)
			break;
	}
	return CKR_OK;
}

int
kt_key_list(struct kt_token *tok, int (*cb)(const struct kt_keyinfo *, void *), void *arg,
            struct kt_error *err)
{
	struct kt_list_arg la = {cb, arg};

	return kt_token_with_session(tok, false, kt_key_list_fn, &la, err);
}

/* The one private key labelled LABEL, or an error naming it. */
static CK_RV
kt_keys_one_private(CK_FUNCTION_LIST_PTR fl, CK_SESSION_HANDLE s, const char *label,
                    const char *token, CK_OBJECT_HANDLE *h, struct kt_error *err)
{
	CK_OBJECT_HANDLE hh[2];
	CK_ULONG n;
	CK_RV rv;

	rv = kt_keys_find(fl, s, CKO_PRIVATE_KEY, label, hh, 2, &n);
	if (rv != CKR_OK)
		return rv;
	if (n == 0) {
		kt_error_set(err, 0, "token \"%s\": no private key labelled \"%s\"", token, label);
		return CKR_GENERAL_ERROR;
	}
	if (n > 1) {
		kt_error_set(err, 0, "token \"%s\": several private keys are labelled \"%s\"",
		             token, label);
		return CKR_GENERAL_ERROR;
	}
	*h = hh[0];
	return CKR_OK;
}

/*
 * The raw 32-byte Ed25519 key inside a CKA_EC_POINT value: either a DER
 * OCTET STRING (04 20 + 32 bytes, what PKCS#11 3.0 prescribes) or the 32
 * bytes bare (what some tokens return). -1 for anything else.
 */
static int
kt_key_ec_point_unwrap(const unsigned char *pt, size_t len, unsigned char out[32])
{
	if (len == 34 && pt[0] == 0x04 && pt[1] == 0x20) {
		memcpy(out, pt + 2, 32);
		return 0;
	}
	if (len == 32) {
		memcpy(out, pt, 32);
		return 0;
	}
	return -1;
}

static EVP_PKEY *
kt_keys_rsa_pkey(const unsigned char *n, CK_ULONG nlen, const unsigned char *e, CK_ULONG elen)
{
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	OSSL_PARAM *params = NULL;
	BIGNUM *bn = BN_bin2bn(n, (int)nlen, NULL), *be = BN_bin2bn(e, (int)elen, NULL);
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
	EVP_PKEY *pk = NULL;

	if (bld != NULL && bn != NULL && be != NULL && ctx != NULL &&
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, bn) &&
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, be) &&
	    (params = OSSL_PARAM_BLD_to_param(bld)) != NULL && EVP_PKEY_fromdata_init(ctx) == 1)
		(void)EVP_PKEY_fromdata(ctx, &pk, EVP_PKEY_PUBLIC_KEY, params);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	BN_free(bn);
	BN_free(be);
	EVP_PKEY_CTX_free(ctx);
	return pk;
}

struct kt_public_arg {
	const char *label;
	const char *token;
	EVP_PKEY *pkey;
	struct kt_error *err;
};

static CK_RV
kt_key_public_rsa(CK_FUNCTION_LIST_PTR fl, CK_SESSION_HANDLE s, CK_OBJECT_HANDLE priv,
                  CK_OBJECT_HANDLE pub, struct kt_public_arg *pa)
{
	unsigned char *n = NULL, *e = NULL;
	CK_ULONG nlen, elen;
	CK_OBJECT_HANDLE from = pub != CK_INVALID_HANDLE ? pub : priv;

	if (kt_keys_attr(fl, s, from, CKA_MODULUS, &n, &nlen) != CKR_OK || n == NULL ||
	    kt_keys_attr(fl, s, from, CKA_PUBLIC_EXPONENT, &e, &elen) != CKR_OK || e == NULL) {
		free(n);
		free(e);
		kt_error_set(pa->err, 0, "token \"%s\": cannot read the RSA public key of \"%s\"",
		             pa->token, pa->label);
		return CKR_GENERAL_ERROR;
	}
	pa->pkey = kt_keys_rsa_pkey(n, nlen, e, elen);
	free(n);
	free(e);
	return pa->pkey != NULL ? CKR_OK : CKR_HOST_MEMORY;
}

static CK_RV
kt_key_public_ed25519(CK_FUNCTION_LIST_PTR fl, CK_SESSION_HANDLE s, CK_OBJECT_HANDLE pub,
                      struct kt_public_arg *pa)
{
	unsigned char *pt = NULL, raw[32];
	CK_ULONG len;
	int bad;

	if (pub == CK_INVALID_HANDLE) {
		kt_error_set(pa->err, 0,
		             "token \"%s\": Ed25519 key \"%s\" has no public key object "
		             "(the private object does not hold the public key)",
		             pa->token, pa->label);
		return CKR_GENERAL_ERROR;
	}
	if (kt_keys_attr(fl, s, pub, CKA_EC_POINT, &pt, &len) != CKR_OK || pt == NULL) {
		kt_error_set(pa->err, 0, "token \"%s\": cannot read CKA_EC_POINT of \"%s\"",
		             pa->token, pa->label);
		return CKR_GENERAL_ERROR;
	}
	bad = kt_key_ec_point_unwrap(pt, len, raw);
	free(pt);
	if (bad) {
		kt_error_set(pa->err, 0,
		             "token \"%s\": CKA_EC_POINT of \"%s\" is not an Ed25519 point",
		             pa->token, pa->label);
		return CKR_GENERAL_ERROR;
	}
	pa->pkey = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, raw, sizeof(raw));
	return pa->pkey != NULL ? CKR_OK : CKR_HOST_MEMORY;
}

static CK_RV
kt_key_public_fn(CK_FUNCTION_LIST_PTR fl, CK_SESSION_HANDLE s, void *arg)
{
	struct kt_public_arg *pa = arg;
	struct kt_keyinfo ki;
	CK_OBJECT_HANDLE priv, pub;
	CK_RV rv;

	rv = kt_keys_one_private(fl, s, pa->label, pa->token, &priv, pa->err);
	if (rv != CKR_OK)
		return rv;
	kt_keys_fill_info(fl, s, priv, &ki);
	pub = kt_keys_public_of(fl, s, priv, pa->label);
	if (ki.type == KT_KEY_RSA)
		return kt_key_public_rsa(fl, s, priv, pub, pa);
	if (ki.type == KT_KEY_ED25519)
		return kt_key_public_ed25519(fl, s, pub, pa);
	kt_error_set(pa->err, 0, "token \"%s\": key \"%s\" is neither RSA nor Ed25519", pa->token,
	             pa->label);
	return CKR_GENERAL_ERROR;
}

int
kt_key_public(struct kt_token *tok, const char *label, EVP_PKEY **out, struct kt_error *err)
{
	struct kt_public_arg pa = {label, kt_token_label(tok), NULL, err};

	*out = NULL;
	if (kt_token_with_session(tok, false, kt_key_public_fn, &pa, err) != 0)
		return -1;
	*out = pa.pkey;
	return 0;
}

struct kt_destroy_arg {
	const char *label;
	const char *token;
	int n;
	struct kt_error *err;
};

static CK_RV
kt_key_destroy_fn(CK_FUNCTION_LIST_PTR fl, CK_SESSION_HANDLE s, void *arg)
{
	struct kt_destroy_arg *da = arg;
	CK_OBJECT_HANDLE h[KT_FIND_MAX];
	CK_ULONG n, npub, i;
	CK_RV rv;

	/* Keys only: a certificate or data object sharing the label is not ours to destroy. */
	rv = kt_keys_find(fl, s, CKO_PRIVATE_KEY, da->label, h, KT_FIND_MAX / 2, &n);
	if (rv == CKR_OK)
		rv = kt_keys_find(fl, s, CKO_PUBLIC_KEY, da->label, h + n, KT_FIND_MAX / 2, &npub);
	if (rv != CKR_OK)
		return rv;
	n += npub;
	if (n == 0) {
		kt_error_set(da->err, 0, "token \"%s\": no key labelled \"%s\"", da->token,
		             da->label);
		return CKR_GENERAL_ERROR;
	}
	for (i = 0; i < n; i++) {
		rv = fl->C_DestroyObject(s, h[i]);
		if (rv != CKR_OK)
			return rv;
		da->n++;
	}
	return CKR_OK;
}

int
kt_key_destroy(struct kt_token *tok, const char *label, int *n, struct kt_error *err)
{
	struct kt_destroy_arg da = {label, kt_token_label(tok), 0, err};
	int rc;

	rc = kt_token_with_session(tok, true, kt_key_destroy_fn, &da, err);
	*n = da.n;
	return rc;
}
