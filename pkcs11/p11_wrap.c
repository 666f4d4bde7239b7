/*
 * p11_wrap.c: moving a key between the tokens of a set without it ever leaving hardware in the
 * clear: the AES wrap key the security officer puts on every token (p11_wrapkey_create), and
 * the copy itself (p11_key_replicate: C_WrapKey on one token, C_UnwrapKey on the other, under
 * CKM_AES_KEY_WRAP_PAD). What each token does with the attributes involved, and why the wrap
 * key is made this way, is in contrib/KEY-CEREMONY.md.
 *
 * The wrap key is made by the SO because PKCS#11 lets only the SO set CKA_TRUSTED, and a key
 * generated wrap-only (CKA_WRAP_WITH_TRUSTED) may be wrapped only under a trusted key. An SO
 * session may only create public objects (CKA_PRIVATE false): the key is still sensitive and
 * never extractable. Its CKA_UNWRAP_TEMPLATE makes every key unwrapped under it sensitive and
 * wrap-only again, so the user PIN alone cannot unwrap a copy that is readable.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>

#include "pkcs11/p11_attr.h"
#include "pkcs11/p11_int.h"

/* Keys of the tokens we know wrap to a few KiB at most (RSA-16384 in PKCS#8: about 9.3 KiB). */
#define P11_WRAP_BLOB_MAX 16384

static CK_BBOOL p11_wrap_true = CK_TRUE;

/* What every key unwrapped under our wrap key must ask for (CKA_UNWRAP_TEMPLATE). */
static CK_ATTRIBUTE p11_wrap_unwrap_tmpl[] = {
    {CKA_SENSITIVE, &p11_wrap_true, sizeof(CK_BBOOL)},
    {CKA_WRAP_WITH_TRUSTED, &p11_wrap_true, sizeof(CK_BBOOL)},
};

/* The one secret key labelled label on this session's token, or an error naming both. */
static CK_RV
p11_wrap_find_wrapkey(CK_FUNCTION_LIST_PTR fl, CK_SESSION_HANDLE s, const p11_token *tok,
                      const char *label, CK_OBJECT_HANDLE *h, struct p11_error *err)
{
	CK_OBJECT_HANDLE found[2];
	CK_ULONG n;
	CK_RV rv;

	rv = p11_key_search(fl, s, CKO_SECRET_KEY, label, NULL, 0, false, found, 2, &n);
	if (rv != CKR_OK)
		return rv;
	if (n != 1) {
		p11_err_set(
		    err, n == 0 ? P11_ERR_KEY_NOT_FOUND : P11_ERR_KEY_AMBIGUOUS, 0,
		    "token \"%s\": %s wrap key labelled \"%s\" (make one on every token with "
		    "`p11dkim-keytool wrapkey`)",
		    tok->label, n == 0 ? "no" : "more than one", label);
		return CKR_GENERAL_ERROR;
	}
	*h = found[0];
	return CKR_OK;
}

/* --- the wrap key, made by the security officer --- */

/* A token found by its options, with an SO session: none of p11_token's pool or user login,
   since the SO cannot log in while read-only or user sessions are open. */
struct p11_wrap_so {
	p11_token tok; /* only mod, want, want_text, state, slot, label, serial are used */
	CK_SESSION_HANDLE s;
	bool locked, session, login;
};

static p11_status
p11_wrap_so_open(struct p11_wrap_so *so, const struct p11_token_opts *o, struct p11_pin *pin,
                 struct p11_error *err)
{
	p11_token *tok = &so->tok;
	p11_status st;
	CK_RV rv;

	pthread_mutex_init(&tok->state, NULL);
	tok->slot_gen = UINT64_MAX;
	if ((tok->want_text = strdup(o->token)) == NULL) {
		p11_err_set(err, P11_ERR_NOMEM, 0, "out of memory");
		return P11_ERR_NOMEM;
	}
	snprintf(tok->label, sizeof(tok->label), "%.32s", o->token);
	if (p11_uri_is(o->token) && (st = p11_uri_parse(o->token, &tok->want, err)) != P11_OK)
		return st;
	if ((st = p11_module_get(o->module, &tok->mod, err)) != P11_OK)
		return st;
	p11_module_rdlock(tok->mod);
	so->locked = true;
	if ((st = p11_token_ensure_slot(tok, atomic_load(&tok->mod->gen), err)) != P11_OK)
		return st;
	rv = tok->mod->fl->C_OpenSession(tok->slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL,
	                                 &so->s);
	if (rv != CKR_OK) {
		p11_err_set(err, P11_ERR_TOKEN_GONE, rv, "cannot open a session on token \"%s\"",
		            tok->label);
		return P11_ERR_TOKEN_GONE;
	}
	so->session = true;
	rv = tok->mod->fl->C_Login(so->s, CKU_SO, (CK_UTF8CHAR_PTR)pin->buf, pin->len);
	if (rv != CKR_OK) {
		st = p11_status_login(rv);
		p11_err_set(err, st, rv, "security officer login to token \"%s\" failed",
		            tok->label);
		return st;
	}
	so->login = true;
	return P11_OK;
}

static void
p11_wrap_so_close(struct p11_wrap_so *so)
{
	p11_token *tok = &so->tok;

	if (so->login)
		(void)tok->mod->fl->C_Logout(so->s);
	if (so->session)
		(void)tok->mod->fl->C_CloseSession(so->s);
	if (so->locked)
		p11_module_unlock(tok->mod);
	if (tok->mod != NULL)
		p11_module_put(tok->mod);
	p11_uri_free(&tok->want);
	free(tok->want_text);
	pthread_mutex_destroy(&tok->state);
}

static CK_RV
p11_wrap_create(struct p11_wrap_so *so, const char *label, const unsigned char *id, size_t id_len,
                const unsigned char *value, struct p11_error *err)
{
	static CK_OBJECT_CLASS cls = CKO_SECRET_KEY;
	static CK_KEY_TYPE kt = CKK_AES;
	CK_FUNCTION_LIST_PTR fl = so->tok.mod->fl;
	struct p11_tmpl t = {.n = 0};
	CK_OBJECT_HANDLE h;
	CK_ULONG n;
	CK_RV rv;

	rv = p11_key_search(fl, so->s, P11_ANY_CLASS, label, NULL, 0, false, &h, 1, &n);
	if (rv == CKR_OK && n > 0) {
		p11_err_set(err, P11_ERR_INVALID, 0,
		            "token \"%s\": an object labelled \"%s\" exists already", so->tok.label,
		            label);
		return CKR_GENERAL_ERROR;
	}
	p11_tmpl_add(&t, CKA_CLASS, &cls, sizeof(cls));
	p11_tmpl_add(&t, CKA_KEY_TYPE, &kt, sizeof(kt));
	p11_tmpl_bool(&t, CKA_TOKEN, true);
	p11_tmpl_bool(&t, CKA_PRIVATE, false); /* the SO may create public objects only */
	p11_tmpl_bool(&t, CKA_SENSITIVE, true);
	p11_tmpl_bool(&t, CKA_EXTRACTABLE, false);
	p11_tmpl_bool(&t, CKA_TRUSTED, true);
	p11_tmpl_bool(&t, CKA_WRAP, true);
	p11_tmpl_bool(&t, CKA_UNWRAP, true);
	p11_tmpl_bool(&t, CKA_ENCRYPT, false);
	p11_tmpl_bool(&t, CKA_DECRYPT, false);
	p11_tmpl_bool(&t, CKA_SIGN, false);
	p11_tmpl_bool(&t, CKA_VERIFY, false);
	p11_tmpl_bool(&t, CKA_DERIVE, false);
	p11_tmpl_add(&t, CKA_UNWRAP_TEMPLATE, p11_wrap_unwrap_tmpl, sizeof(p11_wrap_unwrap_tmpl));
	p11_tmpl_add(&t, CKA_VALUE, value, P11_WRAPKEY_LEN);
	p11_tmpl_add(&t, CKA_LABEL, label, strlen(label));
	p11_tmpl_add(&t, CKA_ID, id, id_len);
	rv = rv != CKR_OK ? rv : fl->C_CreateObject(so->s, t.a, t.n, &h);
	if (rv == CKR_ATTRIBUTE_READ_ONLY || rv == CKR_ATTRIBUTE_TYPE_INVALID ||
	    rv == CKR_TEMPLATE_INCONSISTENT)
		p11_err_set(err, P11_ERR_MODULE, rv,
		            "token \"%s\" refuses the wrap key \"%s\": it does not let its "
		            "security officer set CKA_TRUSTED or CKA_UNWRAP_TEMPLATE; see "
		            "contrib/KEY-CEREMONY.md for this token's own way",
		            so->tok.label, label);
	return rv;
}

p11_status
p11_wrapkey_create(const struct p11_token_opts *o, const char *label, const unsigned char *id,
                   size_t id_len, const unsigned char value[P11_WRAPKEY_LEN],
                   struct p11_token_names *where, struct p11_error *err)
{
	struct p11_wrap_so so;
	struct p11_pin pin;
	p11_status st;
	CK_RV rv;

	if (err != NULL)
		memset(err, 0, sizeof(*err));
	memset(&so, 0, sizeof(so));
	memset(&pin, 0, sizeof(pin));
	if (o == NULL || o->module == NULL || o->token == NULL || label == NULL || *label == '\0' ||
	    strlen(label) > 128 || id_len == 0) {
		p11_err_set(
		    err, P11_ERR_INVALID, 0,
		    "a wrap key needs a module, a token, an id and a label of 1 to 128 bytes");
		return P11_ERR_INVALID;
	}
	if ((st = p11_pin_load(&pin, o->pin_file, o->pin_env, err)) != P11_OK)
		return st;
	st = p11_wrap_so_open(&so, o, &pin, err);
	p11_pin_wipe(&pin);
	if (st == P11_OK) {
		rv = p11_wrap_create(&so, label, id, id_len, value, err);
		if (rv != CKR_OK && err != NULL && err->status != P11_OK)
			st = err->status;
		else if (rv != CKR_OK) {
			p11_err_set(err, P11_ERR_MODULE, rv,
			            "cannot create the wrap key \"%s\" on token \"%s\"", label,
			            so.tok.label);
			st = P11_ERR_MODULE;
		}
	}
	if (where != NULL) {
		memcpy(where->label, so.tok.label, sizeof(where->label));
		memcpy(where->serial, so.tok.serial, sizeof(where->serial));
	}
	p11_wrap_so_close(&so);
	return st;
}

/* --- replicate: wrap on one token, unwrap on the other --- */

struct p11_wrap_job {
	p11_token *tok;
	const char *label, *wrap_label;
	CK_KEY_TYPE kt;
	unsigned char *id;
	size_t id_len;
	unsigned char blob[P11_WRAP_BLOB_MAX];
	CK_ULONG blob_len;
	EVP_PKEY *pub; /* the source's public key, for the target's public object */
	struct p11_error *err;
};

static CK_RV
p11_wrap_out_fn(CK_FUNCTION_LIST_PTR fl, CK_SESSION_HANDLE s, void *arg)
{
	struct p11_wrap_job *j = arg;
	CK_MECHANISM mech = {CKM_AES_KEY_WRAP_PAD, NULL, 0};
	CK_OBJECT_HANDLE key[2], wk;
	CK_ULONG n;
	CK_RV rv;

	rv = p11_key_search(fl, s, CKO_PRIVATE_KEY, j->label, NULL, 0, false, key, 2, &n);
	if (rv == CKR_OK && n != 1) {
		p11_err_set(j->err, n == 0 ? P11_ERR_KEY_NOT_FOUND : P11_ERR_KEY_AMBIGUOUS, 0,
		            "token \"%s\": %s private key labelled \"%s\"", j->tok->label,
		            n == 0 ? "no" : "more than one", j->label);
		return CKR_GENERAL_ERROR;
	}
	if (rv != CKR_OK || (rv = p11_attr_ulong(fl, s, key[0], CKA_KEY_TYPE, &j->kt)) != CKR_OK)
		return rv;
	(void)p11_attr_get(fl, s, key[0], CKA_ID, &j->id, &j->id_len);
	if ((rv = p11_wrap_find_wrapkey(fl, s, j->tok, j->wrap_label, &wk, j->err)) != CKR_OK)
		return rv;
	j->blob_len = sizeof(j->blob);
	rv = fl->C_WrapKey(s, &mech, wk, key[0], j->blob, &j->blob_len);
	if (rv == CKR_KEY_UNEXTRACTABLE || rv == CKR_KEY_NOT_WRAPPABLE)
		p11_err_set(j->err, P11_ERR_KEY_UNSAFE, rv,
		            "token \"%s\" will not wrap key \"%s\" under \"%s\": only a key "
		            "generated wrappable can be copied, only under a trusted wrap key, and "
		            "only if the token can wrap its type",
		            j->tok->label, j->label, j->wrap_label);
	return rv;
}

/* The target's public key object, from the source's public key. */
static CK_RV
p11_wrap_public(CK_FUNCTION_LIST_PTR fl, CK_SESSION_HANDLE s, struct p11_wrap_job *j,
                CK_OBJECT_HANDLE *h)
{
	struct p11_tmpl t = {.n = 0};
	unsigned char point[34], n[2048], e[16];
	size_t plen = 32;
	BIGNUM *bn = NULL, *be = NULL;
	int nlen = 0, elen = 0;

	p11_tmpl_public(&t, true, &j->kt, j->label, j->id, j->id_len);
	if (j->kt == CKK_RSA) {
		if (EVP_PKEY_get_bn_param(j->pub, OSSL_PKEY_PARAM_RSA_N, &bn) == 1 &&
		    EVP_PKEY_get_bn_param(j->pub, OSSL_PKEY_PARAM_RSA_E, &be) == 1) {
			if (BN_num_bytes(bn) <= (int)sizeof(n) &&
			    BN_num_bytes(be) <= (int)sizeof(e)) {
				nlen = BN_bn2bin(bn, n);
				elen = BN_bn2bin(be, e);
			}
		}
		BN_free(bn);
		BN_free(be);
		if (nlen <= 0 || elen <= 0)
			return CKR_GENERAL_ERROR;
		p11_tmpl_add(&t, CKA_MODULUS, n, (size_t)nlen);
		p11_tmpl_add(&t, CKA_PUBLIC_EXPONENT, e, (size_t)elen);
	} else {
		if (EVP_PKEY_get_raw_public_key(j->pub, point + 2, &plen) != 1 || plen != 32)
			return CKR_GENERAL_ERROR;
		point[0] = 0x04; /* DER OCTET STRING, as import writes it */
		point[1] = 0x20;
		p11_tmpl_add(&t, CKA_EC_PARAMS, p11_attr_ed25519_oid, sizeof(p11_attr_ed25519_oid));
		p11_tmpl_add(&t, CKA_EC_POINT, point, sizeof(point));
	}
	return fl->C_CreateObject(s, t.a, t.n, h);
}

static CK_RV
p11_wrap_in_fn(CK_FUNCTION_LIST_PTR fl, CK_SESSION_HANDLE s, void *arg)
{
	struct p11_wrap_job *j = arg;
	CK_MECHANISM mech = {CKM_AES_KEY_WRAP_PAD, NULL, 0};
	struct p11_tmpl t = {.n = 0};
	CK_OBJECT_HANDLE wk, priv, pub, h;
	CK_ULONG n;
	CK_RV rv;

	rv = p11_key_search(fl, s, P11_ANY_CLASS, j->label, NULL, 0, false, &h, 1, &n);
	if (rv == CKR_OK && n > 0) {
		p11_err_set(j->err, P11_ERR_INVALID, 0,
		            "token \"%s\": an object labelled \"%s\" exists already", j->tok->label,
		            j->label);
		return CKR_GENERAL_ERROR;
	}
	if (rv != CKR_OK ||
	    (rv = p11_wrap_find_wrapkey(fl, s, j->tok, j->wrap_label, &wk, j->err)) != CKR_OK)
		return rv;
	/* The copy is wrap-only too: it can go on to a third token, never out in the clear. */
	p11_tmpl_private(&t, true, &j->kt, j->label, j->id, j->id_len, true);
	if ((rv = fl->C_UnwrapKey(s, &mech, wk, j->blob, j->blob_len, t.a, t.n, &priv)) != CKR_OK)
		return rv;
	if ((rv = p11_wrap_public(fl, s, j, &pub)) != CKR_OK)
		fl->C_DestroyObject(s, priv); /* no half-copied key left behind */
	return rv;
}

p11_status
p11_key_replicate(p11_token *from, p11_token *to, const char *label, const char *wrap_label,
                  struct p11_error *err)
{
	struct p11_wrap_job *j;
	p11_status st;

	if (err != NULL)
		memset(err, 0, sizeof(*err));
	if (from == NULL || to == NULL || label == NULL || *label == '\0' || wrap_label == NULL ||
	    *wrap_label == '\0') {
		p11_err_set(err, P11_ERR_INVALID, 0, "replicate needs two tokens and two labels");
		return P11_ERR_INVALID;
	}
	if ((j = calloc(1, sizeof(*j))) == NULL) {
		p11_err_set(err, P11_ERR_NOMEM, 0, "out of memory");
		return P11_ERR_NOMEM;
	}
	j->label = label;
	j->wrap_label = wrap_label;
	j->err = err;
	j->tok = from;
	st = p11_token_public_key(from, label, &j->pub, err);
	if (st == P11_OK)
		st = p11_token_with_session(from, false, p11_wrap_out_fn, j, err);
	if (st == P11_OK) {
		j->tok = to;
		st = p11_token_with_session(to, true, p11_wrap_in_fn, j, err);
	}
	/* The blob is the key encrypted, but nobody else needs it either. */
	OPENSSL_cleanse(j->blob, sizeof(j->blob));
	EVP_PKEY_free(j->pub);
	free(j->id);
	free(j);
	return st;
}
