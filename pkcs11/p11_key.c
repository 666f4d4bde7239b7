/*
 * p11_key.c: find private keys by label or id with C_FindObjects (not libp11, whose key
 * enumeration fails on a token holding an Ed25519 key), check that they are fit to sign DKIM
 * (type, size, sensitivity, mechanism), list them for the keytool, and find them again after the
 * module was re-initialised.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pkcs11/p11_int.h"
#include "pkcs11/p11_attr.h"

CK_RV
p11_key_search(CK_FUNCTION_LIST_PTR fl, CK_SESSION_HANDLE s, CK_OBJECT_CLASS cls, const char *label,
               const unsigned char *id, size_t id_len, bool has_id, CK_OBJECT_HANDLE *h,
               CK_ULONG max, CK_ULONG *n)
{
	CK_ATTRIBUTE t[3];
	CK_ULONG nt = 0;
	CK_RV rv, rv2;

	if (cls != P11_ANY_CLASS)
		t[nt++] = (CK_ATTRIBUTE){CKA_CLASS, &cls, sizeof(cls)};
	if (label != NULL)
		t[nt++] = (CK_ATTRIBUTE){CKA_LABEL, (void *)label, strlen(label)};
	if (has_id)
		t[nt++] = (CK_ATTRIBUTE){CKA_ID, (void *)id, id_len};
	*n = 0;
	if ((rv = fl->C_FindObjectsInit(s, t, nt)) != CKR_OK)
		return rv;
	rv = fl->C_FindObjects(s, h, max, n);
	rv2 = fl->C_FindObjectsFinal(s);
	return rv != CKR_OK ? rv : rv2;
}

/* Describes what a key reference asked for, for messages. */
static void
p11_key_describe(const struct p11_uri *m, char *buf, size_t len)
{
	size_t off = 0;

	buf[0] = '\0';
	if (m->object != NULL)
		off = (size_t)snprintf(buf, len, "labelled \"%s\"", m->object);
	if (m->has_id && off < len) {
		off += (size_t)snprintf(buf + off, len - off, "%swith id ", off ? " " : "");
		for (size_t i = 0; i < m->id_len && off + 3 < len; i++)
			off += (size_t)snprintf(buf + off, len - off, "%02x", m->id[i]);
	}
}

/* RSA modulus bits of a private key, from its own CKA_MODULUS or its public key's. */
static unsigned
p11_key_rsa_bits(CK_FUNCTION_LIST_PTR fl, CK_SESSION_HANDLE s, CK_OBJECT_HANDLE h,
                 const unsigned char *id, size_t id_len)
{
	CK_OBJECT_HANDLE pub;
	CK_ULONG n, bits = 0;
	unsigned char *mod;
	size_t len;
	unsigned r;

	if (p11_attr_get(fl, s, h, CKA_MODULUS, &mod, &len) == CKR_OK && len > 0) {
		r = p11_attr_bits(mod, len);
		free(mod);
		return r;
	}
	if (id_len > 0 &&
	    p11_key_search(fl, s, CKO_PUBLIC_KEY, NULL, id, id_len, true, &pub, 1, &n) == CKR_OK &&
	    n == 1 && p11_attr_ulong(fl, s, pub, CKA_MODULUS_BITS, &bits) == CKR_OK)
		return (unsigned)bits;
	return 0;
}

void
p11_key_kind(CK_FUNCTION_LIST_PTR fl, CK_SESSION_HANDLE s, CK_OBJECT_HANDLE h,
             const unsigned char *id, size_t id_len, struct p11_key_info *ki, CK_KEY_TYPE *kt)
{
	unsigned char *params;
	size_t plen;

	ki->type_known = false;
	ki->bits = 0;
	if (p11_attr_ulong(fl, s, h, CKA_KEY_TYPE, kt) != CKR_OK)
		return;
	if (*kt == CKK_RSA) {
		ki->type = P11_KEY_RSA;
		ki->bits = p11_key_rsa_bits(fl, s, h, id, id_len);
		ki->type_known = ki->bits > 0;
	} else if (*kt == CKK_EC_EDWARDS &&
	           p11_attr_get(fl, s, h, CKA_EC_PARAMS, &params, &plen) == CKR_OK) {
		ki->type = P11_KEY_ED25519;
		ki->bits = 256;
		ki->type_known = p11_attr_is_ed25519(params, plen);
		free(params);
	}
}

/* Checks that a found key is fit to sign here, at start and whenever it is found again;
 * *type and *bits are its kind. k gives the label for messages and is not changed. Module
 * read-locked. */
static p11_status
p11_key_check(p11_token *tok, CK_SESSION_HANDLE s, CK_OBJECT_HANDLE h, const p11_key *k,
              enum p11_key_type *type, unsigned *bits, bool *wrap_only, struct p11_error *err)
{
	CK_FUNCTION_LIST_PTR fl = tok->mod->fl;
	struct p11_key_info ki;
	CK_MECHANISM_INFO mi;
	CK_MECHANISM_TYPE mech;
	/* Unreadable attributes count against the key. */
	CK_BBOOL sens = CK_FALSE, extr = CK_TRUE, sign = CK_FALSE, always = CK_FALSE;
	CK_BBOOL wwt = CK_FALSE;
	CK_KEY_TYPE kt = (CK_KEY_TYPE)-1;
	CK_RV rv;

	p11_key_kind(fl, s, h, k->id, k->id_len, &ki, &kt);
	if (!ki.type_known) {
		p11_err_set(
		    err, P11_ERR_KEY_TYPE, 0,
		    "key \"%s\" on token \"%s\" is neither RSA nor Ed25519 (CKA_KEY_TYPE 0x%lx)",
		    k->label, tok->label, (unsigned long)kt);
		return P11_ERR_KEY_TYPE;
	}
	*type = ki.type;
	*bits = ki.bits;
	if (ki.type == P11_KEY_RSA && ki.bits < 1024) {
		p11_err_set(
		    err, P11_ERR_KEY_WEAK, 0,
		    "RSA key \"%s\" on token \"%s\" has %u bits; RFC 8301 requires at least 1024",
		    k->label, tok->label, ki.bits);
		return P11_ERR_KEY_WEAK;
	}
	(void)p11_attr_bool(fl, s, h, CKA_SENSITIVE, &sens);
	(void)p11_attr_bool(fl, s, h, CKA_EXTRACTABLE, &extr);
	/* A key made to be copied between the tokens of a set (keytool replicate) is extractable,
	   but the token lets it out only encrypted under a wrap key the SO marked CKA_TRUSTED;
	   still sensitive, it never leaves in the clear. */
	(void)p11_attr_bool(fl, s, h, CKA_WRAP_WITH_TRUSTED, &wwt);
	*wrap_only = sens && extr && wwt;
	if ((!sens || (extr && !*wrap_only)) && !tok->allow_extractable) {
		p11_err_set(err, P11_ERR_KEY_UNSAFE, 0,
		            "key \"%s\" on token \"%s\" is %s: its private key can leave the token "
		            "(allow it explicitly with allow_extractable)",
		            k->label, tok->label,
		            extr ? "extractable (and not wrap-only: CKA_WRAP_WITH_TRUSTED)"
		                 : "not sensitive");
		return P11_ERR_KEY_UNSAFE;
	}
	/* Else every sign fails with CKR_KEY_FUNCTION_NOT_PERMITTED: say so at start instead. */
	(void)p11_attr_bool(fl, s, h, CKA_SIGN, &sign);
	if (!sign) {
		p11_err_set(err, P11_ERR_KEY_USAGE, 0,
		            "key \"%s\" on token \"%s\" may not sign (CKA_SIGN is false)", k->label,
		            tok->label);
		return P11_ERR_KEY_USAGE;
	}
	/* It would need a context-specific login (the PIN again) before every signature. */
	(void)p11_attr_bool(fl, s, h, CKA_ALWAYS_AUTHENTICATE, &always);
	if (always) {
		p11_err_set(err, P11_ERR_KEY_USAGE, 0,
		            "key \"%s\" on token \"%s\" needs the PIN for every signature "
		            "(CKA_ALWAYS_AUTHENTICATE), which p11dkim does not give",
		            k->label, tok->label);
		return P11_ERR_KEY_USAGE;
	}
	mech = ki.type == P11_KEY_RSA ? CKM_RSA_PKCS : CKM_EDDSA;
	rv = fl->C_GetMechanismInfo(tok->slot, mech, &mi);
	if (rv != CKR_OK || (mi.flags & CKF_SIGN) == 0) {
		p11_err_set(err, P11_ERR_MECHANISM, rv,
		            "token \"%s\" (module %s) cannot sign with %s: key \"%s\" is unusable",
		            tok->label, tok->mod->path,
		            mech == CKM_EDDSA ? "CKM_EDDSA" : "CKM_RSA_PKCS", k->label);
		return P11_ERR_MECHANISM;
	}
	return P11_OK;
}

/* Finds exactly one private key matching k->match. Module read-locked. */
static p11_status
p11_key_lookup(p11_token *tok, CK_SESSION_HANDLE s, p11_key *k, CK_OBJECT_HANDLE *h,
               struct p11_error *err)
{
	CK_OBJECT_HANDLE found[2];
	char what[200];
	CK_ULONG n;
	CK_RV rv;

	rv = p11_key_search(tok->mod->fl, s, CKO_PRIVATE_KEY, k->match.object, k->match.id,
	                    k->match.id_len, k->match.has_id, found, 2, &n);
	p11_key_describe(&k->match, what, sizeof(what));
	if (rv != CKR_OK) {
		p11_err_set(err, P11_ERR_TOKEN_GONE, rv, "searching token \"%s\" for the key %s",
		            tok->label, what);
		return P11_ERR_TOKEN_GONE;
	}
	if (n == 0) {
		p11_err_set(err, P11_ERR_KEY_NOT_FOUND, 0, "no private key %s on token \"%s\"",
		            what, tok->label);
		return P11_ERR_KEY_NOT_FOUND;
	}
	if (n > 1) {
		p11_err_set(
		    err, P11_ERR_KEY_AMBIGUOUS, 0,
		    "several private keys %s on token \"%s\"; name one by id (pkcs11:id=...)", what,
		    tok->label);
		return P11_ERR_KEY_AMBIGUOUS;
	}
	*h = found[0];
	return P11_OK;
}

static p11_status
p11_key_parse_ref(p11_token *tok, const char *ref, struct p11_uri *m, struct p11_error *err)
{
	p11_status st;

	memset(m, 0, sizeof(*m));
	if (!p11_uri_is(ref)) {
		if ((m->object = strdup(ref)) == NULL)
			return P11_ERR_NOMEM;
		return P11_OK;
	}
	if ((st = p11_uri_parse(ref, m, err)) != P11_OK)
		return st;
	if (m->object == NULL && !m->has_id) {
		p11_err_set(err, P11_ERR_INVALID, 0, "key URI %s names no object= or id=", ref);
		p11_uri_free(m);
		return P11_ERR_INVALID;
	}
	if ((m->token != NULL && strcmp(m->token, tok->label) != 0) ||
	    (m->serial != NULL && strcmp(m->serial, tok->serial) != 0)) {
		p11_err_set(err, P11_ERR_KEY_NOT_FOUND, 0,
		            "key URI %s names another token than \"%s\" (serial %s)", ref,
		            tok->label, tok->serial);
		p11_uri_free(m);
		return P11_ERR_KEY_NOT_FOUND;
	}
	return P11_OK;
}

static void
p11_key_free(p11_key *k)
{
	if (k == NULL)
		return;
	p11_uri_free(&k->match);
	free(k->ref);
	free(k->label);
	free(k->id);
	free(k);
}

/* Reads label and id of the found object into k. */
static p11_status
p11_key_names(CK_FUNCTION_LIST_PTR fl, CK_SESSION_HANDLE s, CK_OBJECT_HANDLE h, p11_key *k)
{
	unsigned char *v;
	size_t len;

	if (p11_attr_get(fl, s, h, CKA_LABEL, &v, &len) == CKR_OK)
		k->label = (char *)v; /* p11_attr_get NUL-terminates */
	else
		k->label = strdup(k->match.object ? k->match.object : "");
	if (p11_attr_get(fl, s, h, CKA_ID, &v, &len) == CKR_OK) {
		k->id = v;
		k->id_len = len;
	}
	return k->label == NULL ? P11_ERR_NOMEM : P11_OK;
}

p11_key *
p11_token_find_key(p11_token *tok, const char *ref, struct p11_error *err)
{
	struct p11_pool_slot *slot;
	CK_OBJECT_HANDLE h;
	p11_status st;
	p11_key *k;

	if (err != NULL)
		memset(err, 0, sizeof(*err));
	if (tok == NULL || ref == NULL || *ref == '\0') {
		p11_err_set(err, P11_ERR_INVALID, 0, "no key reference given");
		return NULL;
	}
	pthread_mutex_lock(&tok->state);
	for (k = tok->keys; k != NULL; k = k->next)
		if (strcmp(k->ref, ref) == 0)
			break;
	pthread_mutex_unlock(&tok->state);
	if (k != NULL)
		return k;
	if ((k = calloc(1, sizeof(*k))) == NULL || (k->ref = strdup(ref)) == NULL) {
		free(k);
		p11_err_set(err, P11_ERR_NOMEM, 0, "out of memory");
		return NULL;
	}
	if ((st = p11_key_parse_ref(tok, ref, &k->match, err)) != P11_OK) {
		if (st == P11_ERR_NOMEM)
			p11_err_set(err, st, 0, "out of memory");
		p11_key_free(k);
		return NULL;
	}
	if ((st = p11_token_acquire(tok, &slot, err)) != P11_OK) {
		p11_key_free(k);
		return NULL;
	}
	st = p11_key_lookup(tok, slot->h, k, &h, err);
	if (st == P11_OK && (st = p11_key_names(tok->mod->fl, slot->h, h, k)) != P11_OK)
		p11_err_set(err, st, 0, "out of memory");
	if (st == P11_OK)
		st = p11_key_check(tok, slot->h, h, k, &k->type, &k->bits, &k->wrap_only, err);
	if (st == P11_OK) {
		k->h = h;
		k->gen = slot->gen;
		k->epoch = atomic_load(&tok->login_epoch);
		pthread_mutex_lock(&tok->state);
		k->next = tok->keys;
		tok->keys = k;
		pthread_mutex_unlock(&tok->state);
	}
	p11_token_release(tok, slot);
	if (st != P11_OK) {
		p11_key_free(k);
		return NULL;
	}
	return k;
}

p11_status
p11_key_refresh(p11_token *tok, p11_key *k, CK_SESSION_HANDLE s, uint64_t gen, CK_OBJECT_HANDLE *h,
                struct p11_error *err)
{
	uint64_t epoch = atomic_load(&tok->login_epoch);
	p11_status st = P11_OK;
	enum p11_key_type type;
	unsigned bits;
	bool wrap_only;

	pthread_mutex_lock(&tok->state);
	if (k->gen != gen || k->epoch != epoch) {
		/* Handles belong to a module instance: find the same key again by what was asked,
		 * and check it as at start: the object found may not be the one checked then. */
		st = p11_key_lookup(tok, s, k, h, err);
		if (st == P11_OK)
			st = p11_key_check(tok, s, *h, k, &type, &bits, &wrap_only, err);
		/* Signature length and DNS record follow type and size: they may not change. */
		if (st == P11_OK && (type != k->type || bits != k->bits)) {
			p11_err_set(err, P11_ERR_KEY_TYPE, 0,
			            "key \"%s\" on token \"%s\" changed type or size (%s %u bits, "
			            "was %s %u bits)",
			            k->label, tok->label, type == P11_KEY_RSA ? "RSA" : "Ed25519",
			            bits, k->type == P11_KEY_RSA ? "RSA" : "Ed25519", k->bits);
			st = P11_ERR_KEY_TYPE;
		}
		if (st == P11_OK) {
			k->h = *h;
			k->gen = gen;
			k->epoch = epoch;
			k->wrap_only = wrap_only;
		}
	}
	*h = k->h;
	pthread_mutex_unlock(&tok->state);
	return st;
}

void
p11_key_free_all(p11_token *tok)
{
	p11_key *k, *next;

	for (k = tok->keys; k != NULL; k = next) {
		next = k->next;
		p11_key_free(k);
	}
	tok->keys = NULL;
}

enum p11_key_type
p11_key_type(const p11_key *k)
{
	return k->type;
}

unsigned
p11_key_bits(const p11_key *k)
{
	return k->bits;
}

const char *
p11_key_label(const p11_key *k)
{
	return k->label;
}

bool
p11_key_wrap_only(const p11_key *k)
{
	return k->wrap_only;
}

bool
p11_key_weak(const p11_key *k)
{
	return k->type == P11_KEY_RSA && k->bits < 2048;
}

size_t
p11_key_sig_len(const p11_key *k)
{
	return k->type == P11_KEY_RSA ? (k->bits + 7) / 8 : 64;
}

/* One private key for p11_token_list_keys. */
static int
p11_key_list_one(p11_token *tok, CK_SESSION_HANDLE s, CK_OBJECT_HANDLE h, p11_key_list_fn cb,
                 void *arg)
{
	CK_FUNCTION_LIST_PTR fl = tok->mod->fl;
	struct p11_key_info ki;
	CK_OBJECT_HANDLE pub;
	CK_BBOOL sens = CK_FALSE, extr = CK_TRUE, wwt = CK_FALSE;
	unsigned char *label = NULL, *id = NULL;
	size_t llen = 0, idlen = 0;
	CK_KEY_TYPE kt;
	CK_ULONG n = 0;
	int r;

	memset(&ki, 0, sizeof(ki));
	(void)p11_attr_get(fl, s, h, CKA_LABEL, &label, &llen);
	(void)p11_attr_get(fl, s, h, CKA_ID, &id, &idlen);
	p11_key_kind(fl, s, h, id, idlen, &ki, &kt);
	(void)p11_attr_bool(fl, s, h, CKA_SENSITIVE, &sens);
	(void)p11_attr_bool(fl, s, h, CKA_EXTRACTABLE, &extr);
	(void)p11_attr_bool(fl, s, h, CKA_WRAP_WITH_TRUSTED, &wwt);
	if (idlen > 0)
		(void)p11_key_search(fl, s, CKO_PUBLIC_KEY, NULL, id, idlen, true, &pub, 1, &n);
	if (n == 0 && label != NULL && llen > 0)
		(void)p11_key_search(fl, s, CKO_PUBLIC_KEY, (char *)label, NULL, 0, false, &pub, 1,
		                     &n);
	ki.label = label != NULL ? (char *)label : "";
	ki.id = id;
	ki.id_len = idlen;
	ki.sensitive = sens;
	ki.extractable = extr;
	ki.wrap_with_trusted = wwt;
	ki.has_public = n > 0;
	r = cb(&ki, arg);
	free(label);
	free(id);
	return r;
}

p11_status
p11_token_list_keys(p11_token *tok, p11_key_list_fn cb, void *arg, struct p11_error *err)
{
	CK_OBJECT_CLASS cls = CKO_PRIVATE_KEY;
	CK_ATTRIBUTE t = {CKA_CLASS, &cls, sizeof(cls)};
	CK_FUNCTION_LIST_PTR fl = tok->mod->fl;
	CK_OBJECT_HANDLE *hs = NULL, *nh, batch[32];
	struct p11_pool_slot *slot;
	size_t count = 0;
	CK_ULONG n;
	p11_status st;
	CK_RV rv;

	if (err != NULL)
		memset(err, 0, sizeof(*err));
	if ((st = p11_token_acquire(tok, &slot, err)) != P11_OK)
		return st;
	rv = fl->C_FindObjectsInit(slot->h, &t, 1);
	while (rv == CKR_OK && (rv = fl->C_FindObjects(slot->h, batch, 32, &n)) == CKR_OK &&
	       n > 0) {
		if ((nh = reallocarray(hs, count + n, sizeof(*hs))) == NULL) {
			rv = CKR_HOST_MEMORY;
			break;
		}
		hs = nh;
		memcpy(hs + count, batch, n * sizeof(*hs));
		count += n;
	}
	fl->C_FindObjectsFinal(slot->h);
	if (rv != CKR_OK) {
		st = rv == CKR_HOST_MEMORY ? P11_ERR_NOMEM : P11_ERR_TOKEN_GONE;
		p11_err_set(err, st, rv, "listing keys of token \"%s\"", tok->label);
	}
	for (size_t i = 0; st == P11_OK && i < count; i++)
		if (p11_key_list_one(tok, slot->h, hs[i], cb, arg) != 0)
			break;
	p11_token_release(tok, slot);
	free(hs);
	return st;
}
