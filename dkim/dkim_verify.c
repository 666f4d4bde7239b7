/*
 * dkim_verify.c: the check of an existing signature (dkim_verify.h) on top of the header store
 * (dkim_hdrsel, in keep-everything mode), the tag-list parser and header canonicalization: the
 * same pieces the signer is made of, so that what we verify is hashed as what we sign.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>

#include "dkim/dkim_buf.h"
#include "dkim/dkim_canon.h"
#include "dkim/dkim_hdrsel.h"
#include "dkim/dkim_tags.h"
#include "dkim/dkim_verify.h"

#define DKIM_VERIFY_SIGNAME "DKIM-Signature"

struct dkim_verifier {
	struct dkim_hdrsel hs; /* every field of the message */
	bool over_limit;
	bool sig_unkept;       /* a DKIM-Signature came past the caps: it may be ours */
	struct dkim_buf input; /* the header hash input of the field being checked */
	struct dkim_buf field; /* that field with b= emptied */
};

static const struct {
	const char *text, *name;
} dkim_verdicts[] = {
    [DKIM_VERIFY_PASS] = {"verifies", "pass"},
    [DKIM_VERIFY_NONE] = {"no signature with this d= and s=", "none"},
    [DKIM_VERIFY_MALFORMED] = {"malformed (v=, a=, b=, bh=, h= or From in h=)", "malformed"},
    [DKIM_VERIFY_CANON] = {"another body canonicalization (c=)", "canonicalization"},
    [DKIM_VERIFY_LENGTH] = {"body length limit (l=)", "length_limit"},
    [DKIM_VERIFY_ALG] = {"algorithm (a=) does not fit our key", "algorithm"},
    [DKIM_VERIFY_BODY] = {"body hash (bh=) does not match this body", "bad_body_hash"},
    [DKIM_VERIFY_SIGNATURE] = {"signature (b=) does not verify", "bad_signature"},
    [DKIM_VERIFY_LIMIT] = {"not checked: headers beyond the verifier's caps", "too_large"},
};

const char *
dkim_verdict_text(enum dkim_verdict v)
{
	return (unsigned)v <= DKIM_VERIFY_LIMIT ? dkim_verdicts[v].text : "unknown";
}

const char *
dkim_verdict_name(enum dkim_verdict v)
{
	return (unsigned)v <= DKIM_VERIFY_LIMIT ? dkim_verdicts[v].name : "unknown";
}

dkim_status
dkim_verifier_new(dkim_verifier **out)
{
	dkim_verifier *v;

	if (out == NULL)
		return DKIM_ERR_INVALID;
	if ((v = calloc(1, sizeof(*v))) == NULL)
		return DKIM_ERR_NOMEM;
	dkim_hdrsel_init_all(&v->hs);
	v->input.max = DKIM_MAX_HEADER_BYTES + 4096;
	*out = v;
	return DKIM_OK;
}

dkim_status
dkim_verifier_header(dkim_verifier *v, const char *name, const char *value)
{
	dkim_status st;

	if (v == NULL || name == NULL || value == NULL)
		return DKIM_ERR_INVALID;
	if (!v->over_limit) {
		st = dkim_hdrsel_add(&v->hs, name, value);
		if (st != DKIM_ERR_LIMIT)
			return st;
		v->over_limit = true;
	}
	if (strcasecmp(name, DKIM_VERIFY_SIGNAME) == 0)
		v->sig_unkept = true;
	return DKIM_OK;
}

/* Does tag t of a parsed field equal s (compared without case)? */
static bool
dkim_verify_tag_is(const struct dkim_tags *tags, const char *t, const char *s)
{
	const struct dkim_tag *g = dkim_tags_get(tags, t);

	return g != NULL && g->vallen == strlen(s) && strncasecmp(g->val, s, g->vallen) == 0;
}

/* Whether two base64 texts hold the same bytes; ours must be a valid body hash. */
static dkim_status
dkim_verify_same_b64(const char *ours, size_t ol, const char *theirs, size_t tl, bool *same)
{
	unsigned char *a = NULL, *b = NULL;
	size_t al, bl;
	int bad;

	if (dkim_tags_base64(ours, ol, &a, &al) != 0 || al != DKIM_DIGEST_LEN) {
		free(a);
		return DKIM_ERR_INVALID;
	}
	bad = dkim_tags_base64(theirs, tl, &b, &bl);
	*same = bad == 0 && bl == al && memcmp(a, b, al) == 0;
	free(a);
	free(b);
	return DKIM_OK;
}

/* The header hash input of field i (tags parsed): the fields its h= names, then the field
 * itself with b= emptied and without its final CRLF (RFC 6376 3.7). */
static dkim_status
dkim_verify_input(struct dkim_verifier *v, size_t i, const struct dkim_tags *tags, dkim_canon hc)
{
	const struct dkim_tag *h = dkim_tags_get(tags, "h"), *b = dkim_tags_get(tags, "b");
	const char *f = v->hs.data.p + v->hs.v[i].off;
	size_t len = v->hs.v[i].len, head = (size_t)(b->raw - f);
	dkim_status st;

	v->input.len = v->field.len = 0;
	if ((st = dkim_hdrsel_canon_list(&v->hs, hc, h->val, h->vallen, &v->input)) != DKIM_OK ||
	    (st = dkim_buf_append(&v->field, f, head)) != DKIM_OK ||
	    (st = dkim_buf_append(&v->field, b->raw + b->rawlen, len - head - b->rawlen)) !=
	        DKIM_OK)
		return st;
	return dkim_canon_header(&v->input, hc, v->field.p, v->field.len, false);
}

/* Verifies b= over the header hash input with key; DKIM_ERR_CRYPTO only when libcrypto fails
 * for another reason than a bad signature (then *ok stays false). */
static dkim_status
dkim_verify_sig(struct dkim_verifier *v, const struct dkim_tag *b, EVP_PKEY *key, bool *ok)
{
	unsigned char *sig = NULL, digest[DKIM_DIGEST_LEN];
	bool ed = EVP_PKEY_get_base_id(key) == EVP_PKEY_ED25519;
	unsigned int dlen = 0;
	EVP_MD_CTX *ctx;
	size_t slen;
	int r;

	*ok = false;
	if (dkim_tags_base64(b->val, b->vallen, &sig, &slen) != 0 || slen == 0 ||
	    slen > DKIM_MAX_SIG_BYTES) {
		free(sig);
		return DKIM_OK;
	}
	if ((ctx = EVP_MD_CTX_new()) == NULL) {
		free(sig);
		return DKIM_ERR_NOMEM;
	}
	if (ed) {
		/* RFC 8463 3: Ed25519 (PureEdDSA) signs the SHA-256 digest, not the input. */
		if (EVP_Digest(v->input.p, v->input.len, digest, &dlen, EVP_sha256(), NULL) != 1 ||
		    EVP_DigestVerifyInit(ctx, NULL, NULL, NULL, key) != 1)
			r = -2;
		else
			r = EVP_DigestVerify(ctx, sig, slen, digest, dlen);
	} else if (EVP_DigestVerifyInit(ctx, NULL, EVP_sha256(), NULL, key) != 1) {
		r = -2;
	} else {
		r = EVP_DigestVerify(ctx, sig, slen, (const unsigned char *)v->input.p,
		                     v->input.len);
	}
	EVP_MD_CTX_free(ctx);
	free(sig);
	*ok = r == 1;
	return r == -2 ? DKIM_ERR_CRYPTO : DKIM_OK;
}

/* The verdict on field i, whose tags name our d= and s=. */
static dkim_status
dkim_verify_one(struct dkim_verifier *v, size_t i, const struct dkim_tags *tags,
                dkim_canon body_canon, const char *bh, EVP_PKEY *key, enum dkim_verdict *out)
{
	const struct dkim_tag *c = dkim_tags_get(tags, "c"), *h = dkim_tags_get(tags, "h");
	const struct dkim_tag *bht = dkim_tags_get(tags, "bh");
	bool ed = EVP_PKEY_get_base_id(key) == EVP_PKEY_ED25519, ok, same;
	dkim_canon hc = DKIM_CANON_SIMPLE, bc = DKIM_CANON_SIMPLE;
	char ctext[32];
	dkim_status st;

	*out = DKIM_VERIFY_MALFORMED;
	/* RFC 6376 5.4: a signature that does not cover From is not acceptable. */
	if (!dkim_verify_tag_is(tags, "v", "1") || dkim_tags_get(tags, "a") == NULL ||
	    dkim_tags_get(tags, "b") == NULL || bht == NULL || h == NULL ||
	    dkim_hdrsel_list_count(h->val, h->vallen, "From", 4) == 0)
		return DKIM_OK;
	if (c != NULL) {
		if (c->vallen >= sizeof(ctext))
			return DKIM_OK;
		memcpy(ctext, c->val, c->vallen);
		ctext[c->vallen] = '\0';
		if (dkim_canon_parse(ctext, &hc, &bc) != DKIM_OK)
			return DKIM_OK;
	}
	if (dkim_tags_get(tags, "l") != NULL) {
		*out = DKIM_VERIFY_LENGTH;
		return DKIM_OK;
	}
	if (bc != body_canon) {
		*out = DKIM_VERIFY_CANON;
		return DKIM_OK;
	}
	if (!dkim_verify_tag_is(tags, "a", ed ? "ed25519-sha256" : "rsa-sha256")) {
		*out = DKIM_VERIFY_ALG;
		return DKIM_OK;
	}
	if ((st = dkim_verify_same_b64(bh, strlen(bh), bht->val, bht->vallen, &same)) != DKIM_OK)
		return st;
	if (!same) {
		*out = DKIM_VERIFY_BODY;
		return DKIM_OK;
	}
	if ((st = dkim_verify_input(v, i, tags, hc)) != DKIM_OK) {
		/* An h= that is not a list of field names is a malformed field, and one that makes
		 * the input outgrow its cap (naming a huge field twice) is not checked: the
		 * message's fault, never a reason to fail it. */
		if (st == DKIM_ERR_LIMIT)
			*out = DKIM_VERIFY_LIMIT;
		return st == DKIM_ERR_SYNTAX || st == DKIM_ERR_LIMIT ? DKIM_OK : st;
	}
	if ((st = dkim_verify_sig(v, dkim_tags_get(tags, "b"), key, &ok)) != DKIM_OK)
		return st;
	*out = ok ? DKIM_VERIFY_PASS : DKIM_VERIFY_SIGNATURE;
	return DKIM_OK;
}

dkim_status
dkim_verifier_check(dkim_verifier *v, const char *domain, const char *selector,
                    dkim_canon body_canon, const char *bh, EVP_PKEY *key,
                    enum dkim_verdict *verdict)
{
	static const size_t pre = sizeof(DKIM_VERIFY_SIGNAME); /* the name and its colon */
	enum dkim_verdict first = DKIM_VERIFY_NONE, one;
	struct dkim_tags tags;
	dkim_status st;
	size_t i;

	if (v == NULL || domain == NULL || selector == NULL || bh == NULL || key == NULL ||
	    verdict == NULL)
		return DKIM_ERR_INVALID;
	for (i = 0; i < v->hs.n; i++) {
		const char *f = v->hs.data.p + v->hs.v[i].off;

		size_t len = v->hs.v[i].len;
		const char *value;

		if (!dkim_hdrsel_is(&v->hs, i, DKIM_VERIFY_SIGNAME, pre - 1))
			continue;
		/* Stored as "name:value" (dkim_hdrsel_is found the colon). */
		value = (const char *)memchr(f, ':', len) + 1;
		if (dkim_tags_parse(value, len - (size_t)(value - f), &tags) != DKIM_OK ||
		    !dkim_verify_tag_is(&tags, "d", domain) ||
		    !dkim_verify_tag_is(&tags, "s", selector))
			continue;
		/* Past the caps an h= may name fields that were not kept: nothing is judged. */
		if (v->over_limit)
			one = DKIM_VERIFY_LIMIT;
		else if ((st = dkim_verify_one(v, i, &tags, body_canon, bh, key, &one)) != DKIM_OK)
			return st;
		if (one == DKIM_VERIFY_PASS) {
			*verdict = DKIM_VERIFY_PASS;
			return DKIM_OK;
		}
		if (first == DKIM_VERIFY_NONE)
			first = one;
	}
	*verdict = first == DKIM_VERIFY_NONE && v->sig_unkept ? DKIM_VERIFY_LIMIT : first;
	return DKIM_OK;
}

void
dkim_verifier_reset(dkim_verifier *v)
{
	if (v == NULL)
		return;
	dkim_hdrsel_reset(&v->hs);
	v->over_limit = v->sig_unkept = false;
}

void
dkim_verifier_free(dkim_verifier *v)
{
	if (v == NULL)
		return;
	dkim_hdrsel_free(&v->hs);
	dkim_buf_free(&v->input);
	dkim_buf_free(&v->field);
	free(v);
}
