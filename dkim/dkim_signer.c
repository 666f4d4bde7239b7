/*
 * dkim_signer.c: the public signer (dkim.h) on top of the header store, the
 * body hash and the tag list builder.
 *
 * All signatures of a message share the canonicalizations and the h= list,
 * so the body is hashed once and the canonical header block is built once;
 * only the DKIM-Signature field itself differs per signature.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "dkim/dkim.h"
#include "dkim/dkim_body.h"
#include "dkim/dkim_canon.h"
#include "dkim/dkim_hdrsel.h"
#include "dkim/dkim_sig.h"

enum dkim_phase { DKIM_PH_HEADERS, DKIM_PH_BODY, DKIM_PH_END };

struct dkim_sigslot {
	dkim_alg alg;
	char *domain, *selector, *identity;
	struct dkim_buf field; /* value up to "b=", CRLF folds: what is hashed */
	unsigned char digest[DKIM_DIGEST_LEN];
	char *b64; /* the signature, base64; NULL until set */
};

struct dkim_signer {
	dkim_canon hdr_canon, body_canon;
	time_t timestamp;
	long expire_after;
	enum dkim_phase phase;
	bool failed; /* an error lost the message: only reset helps */
	EVP_MD *md;
	EVP_MD_CTX *hctx;
	struct dkim_hdrsel hs;
	struct dkim_body body;
	struct dkim_buf canon; /* canonical selected headers */
	struct dkim_buf scratch;
	char bh[48];
	struct dkim_sigslot sig[DKIM_MAX_SIGNATURES];
	size_t nsig;
};

dkim_status
dkim_signer_new(const struct dkim_sign_opts *o, dkim_signer **out)
{
	const char *const *names;
	dkim_signer *s;
	dkim_status st;
	size_t n;

	if (o == NULL || out == NULL)
		return DKIM_ERR_INVALID;
	*out = NULL;
	if ((o->hdr_canon != DKIM_CANON_SIMPLE && o->hdr_canon != DKIM_CANON_RELAXED) ||
	    (o->body_canon != DKIM_CANON_SIMPLE && o->body_canon != DKIM_CANON_RELAXED) ||
	    o->expire_after < 0 || o->timestamp < 0 || (o->expire_after > 0 && o->timestamp == 0))
		return DKIM_ERR_INVALID;
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return DKIM_ERR_NOMEM;
	s->hdr_canon = o->hdr_canon;
	s->body_canon = o->body_canon;
	s->timestamp = o->timestamp;
	s->expire_after = o->expire_after;
	s->canon.max = DKIM_MAX_HEADER_BYTES + 4096;
	names = o->headers;
	n = o->nheaders;
	if (names == NULL)
		names = dkim_default_headers(&n);
	if ((st = dkim_hdrsel_init(&s->hs, names, n, o->oversign)) != DKIM_OK)
		goto fail;
	/* Fetched once: an implicit fetch per EVP_DigestInit costs a lock and a lookup. */
	st = DKIM_ERR_CRYPTO;
	if ((s->md = EVP_MD_fetch(NULL, "SHA256", NULL)) == NULL)
		goto fail;
	st = DKIM_ERR_NOMEM;
	if ((s->hctx = EVP_MD_CTX_new()) == NULL)
		goto fail;
	if ((st = dkim_body_init(&s->body, s->md, s->body_canon)) != DKIM_OK)
		goto fail;
	*out = s;
	return DKIM_OK;
fail:
	dkim_signer_free(s);
	return st;
}

dkim_status
dkim_signer_set_time(dkim_signer *s, time_t timestamp)
{
	if (s == NULL || timestamp < 0 || (s->expire_after > 0 && timestamp == 0))
		return DKIM_ERR_INVALID;
	if (s->phase == DKIM_PH_END)
		return DKIM_ERR_STATE;
	s->timestamp = timestamp;
	return DKIM_OK;
}

dkim_status
dkim_signer_add(dkim_signer *s, dkim_alg alg, const char *domain, const char *selector,
                const char *identity, size_t *index)
{
	struct dkim_sigslot *g;

	if (s == NULL || domain == NULL || selector == NULL || dkim_alg_name(alg) == NULL)
		return DKIM_ERR_INVALID;
	if (s->phase == DKIM_PH_END || s->failed)
		return DKIM_ERR_STATE;
	if (dkim_sig_check_name(domain) != 0 || dkim_sig_check_name(selector) != 0 ||
	    (identity != NULL && dkim_sig_check_identity(identity, domain) != 0))
		return DKIM_ERR_INVALID;
	if (s->nsig == DKIM_MAX_SIGNATURES)
		return DKIM_ERR_LIMIT;
	g = &s->sig[s->nsig];
	g->alg = alg;
	g->domain = strdup(domain);
	g->selector = strdup(selector);
	g->identity = identity != NULL ? strdup(identity) : NULL;
	if (g->domain == NULL || g->selector == NULL || (identity != NULL && g->identity == NULL)) {
		free(g->domain);
		free(g->selector);
		free(g->identity);
		g->domain = g->selector = g->identity = NULL;
		return DKIM_ERR_NOMEM;
	}
	if (index != NULL)
		*index = s->nsig;
	s->nsig++;
	return DKIM_OK;
}

static dkim_status
dkim_signer_fail(dkim_signer *s, dkim_status st)
{
	if (st != DKIM_OK && st != DKIM_ERR_STATE)
		s->failed = true;
	return st;
}

dkim_status
dkim_signer_header(dkim_signer *s, const char *name, const char *value)
{
	if (s == NULL || name == NULL || value == NULL)
		return DKIM_ERR_INVALID;
	if (s->phase != DKIM_PH_HEADERS || s->failed)
		return DKIM_ERR_STATE;
	return dkim_signer_fail(s, dkim_hdrsel_add(&s->hs, name, value));
}

dkim_status
dkim_signer_body(dkim_signer *s, const unsigned char *chunk, size_t len)
{
	if (s == NULL || (chunk == NULL && len > 0))
		return DKIM_ERR_INVALID;
	if (s->phase == DKIM_PH_END || s->failed)
		return DKIM_ERR_STATE;
	s->phase = DKIM_PH_BODY;
	return dkim_signer_fail(s, dkim_body_update(&s->body, chunk, len));
}

/* The header hash input of one signature: the shared canonical block, then
 * its own field canonicalized without the final CRLF (RFC 6376 3.7). */
static dkim_status
dkim_signer_hash_one(dkim_signer *s, struct dkim_sigslot *g)
{
	struct dkim_sig_params p = {g->alg,      s->hdr_canon, s->body_canon, g->domain,
	                            g->selector, g->identity,  s->timestamp,  s->expire_after,
	                            &s->hs,      s->bh};
	unsigned int n = 0;
	dkim_status st;

	g->field.len = 0;
	if ((st = dkim_sig_build(&g->field, &p)) != DKIM_OK)
		return st;
	s->scratch.len = 0;
	if ((st = dkim_buf_puts(&s->scratch, "DKIM-Signature:")) != DKIM_OK ||
	    (st = dkim_buf_append(&s->scratch, g->field.p, g->field.len)) != DKIM_OK)
		return st;
	/* Canonicalize in place after the raw copy, then hash only that part. */
	{
		size_t raw = s->scratch.len;
		/* Reserved first: the input lives in the buffer being appended to. */
		if ((st = dkim_buf_reserve(&s->scratch, raw + 3)) != DKIM_OK)
			return st;
		if ((st = dkim_canon_header(&s->scratch, s->hdr_canon, s->scratch.p, raw, false)) !=
		    DKIM_OK)
			return st;
		if (EVP_DigestInit_ex(s->hctx, s->md, NULL) != 1 ||
		    EVP_DigestUpdate(s->hctx, s->canon.p, s->canon.len) != 1 ||
		    EVP_DigestUpdate(s->hctx, s->scratch.p + raw, s->scratch.len - raw) != 1 ||
		    EVP_DigestFinal_ex(s->hctx, g->digest, &n) != 1 || n != DKIM_DIGEST_LEN)
			return DKIM_ERR_CRYPTO;
	}
	return DKIM_OK;
}

dkim_status
dkim_signer_end(dkim_signer *s)
{
	unsigned char bh[32];
	dkim_status st;
	size_t i;

	if (s == NULL)
		return DKIM_ERR_INVALID;
	if (s->phase == DKIM_PH_END || s->failed || s->nsig == 0)
		return DKIM_ERR_STATE;
	if (!dkim_hdrsel_has_from(&s->hs))
		return dkim_signer_fail(s, DKIM_ERR_SYNTAX);
	if ((st = dkim_body_final(&s->body, bh)) != DKIM_OK)
		return dkim_signer_fail(s, st);
	EVP_EncodeBlock((unsigned char *)s->bh, bh, 32);
	s->canon.len = 0;
	if ((st = dkim_hdrsel_canon(&s->hs, s->hdr_canon, &s->canon)) != DKIM_OK)
		return dkim_signer_fail(s, st);
	for (i = 0; i < s->nsig; i++)
		if ((st = dkim_signer_hash_one(s, &s->sig[i])) != DKIM_OK)
			return dkim_signer_fail(s, st);
	s->phase = DKIM_PH_END;
	return DKIM_OK;
}

size_t
dkim_signer_count(const dkim_signer *s)
{
	return s != NULL ? s->nsig : 0;
}

dkim_status
dkim_signer_digest(dkim_signer *s, size_t i, const unsigned char **digest, dkim_alg *alg)
{
	if (s == NULL || digest == NULL || i >= s->nsig)
		return DKIM_ERR_INVALID;
	if (s->phase != DKIM_PH_END)
		return DKIM_ERR_STATE;
	*digest = s->sig[i].digest;
	if (alg != NULL)
		*alg = s->sig[i].alg;
	return DKIM_OK;
}

dkim_status
dkim_signer_set_signature(dkim_signer *s, size_t i, const unsigned char *sig, size_t len)
{
	struct dkim_sigslot *g;
	char *b64;

	if (s == NULL || sig == NULL || i >= s->nsig)
		return DKIM_ERR_INVALID;
	if (s->phase != DKIM_PH_END)
		return DKIM_ERR_STATE;
	g = &s->sig[i];
	if (g->alg == DKIM_ALG_ED25519_SHA256 ? len != 64 : (len < 64 || len > DKIM_MAX_SIG_BYTES))
		return DKIM_ERR_INVALID;
	if ((b64 = malloc((len + 2) / 3 * 4 + 1)) == NULL)
		return DKIM_ERR_NOMEM;
	EVP_EncodeBlock((unsigned char *)b64, sig, (int)len);
	free(g->b64);
	g->b64 = b64;
	return DKIM_OK;
}

dkim_status
dkim_signer_field(const dkim_signer *s, size_t i, const char *eol, char **value)
{
	const struct dkim_sigslot *g;

	if (s == NULL || eol == NULL || value == NULL || i >= s->nsig)
		return DKIM_ERR_INVALID;
	if (strcmp(eol, "\r\n") != 0 && strcmp(eol, "\n") != 0)
		return DKIM_ERR_INVALID;
	g = &s->sig[i];
	if (s->phase != DKIM_PH_END || g->b64 == NULL)
		return DKIM_ERR_STATE;
	return dkim_sig_finish(g->field.p, g->field.len, g->b64, eol, value);
}

const char *
dkim_signer_bodyhash(const dkim_signer *s)
{
	return (s != NULL && s->phase == DKIM_PH_END) ? s->bh : NULL;
}

dkim_status
dkim_signer_hash_input(const dkim_signer *s, size_t i, char **data, size_t *len)
{
	struct dkim_buf b = {NULL, 0, 0, 0};
	const struct dkim_sigslot *g;
	dkim_status st;

	if (s == NULL || data == NULL || len == NULL || i >= s->nsig)
		return DKIM_ERR_INVALID;
	if (s->phase != DKIM_PH_END)
		return DKIM_ERR_STATE;
	g = &s->sig[i];
	if ((st = dkim_buf_append(&b, s->canon.p, s->canon.len)) != DKIM_OK ||
	    (st = dkim_buf_puts(&b, "DKIM-Signature:")) != DKIM_OK ||
	    (st = dkim_buf_append(&b, g->field.p, g->field.len)) != DKIM_OK)
		goto out;
	{
		size_t raw = b.len - s->canon.len;
		if ((st = dkim_buf_reserve(&b, raw + 3)) != DKIM_OK)
			goto out;
		if ((st = dkim_canon_header(&b, s->hdr_canon, b.p + s->canon.len, raw, false)) !=
		    DKIM_OK)
			goto out;
		memmove(b.p + s->canon.len, b.p + s->canon.len + raw, b.len - s->canon.len - raw);
		b.len -= raw;
	}
	if ((st = dkim_buf_putc(&b, '\0')) != DKIM_OK)
		goto out;
	*data = b.p;
	*len = b.len - 1;
	return DKIM_OK;
out:
	dkim_buf_free(&b);
	return st;
}

static void
dkim_signer_clear_sigs(dkim_signer *s)
{
	size_t i;

	for (i = 0; i < s->nsig; i++) {
		struct dkim_sigslot *g = &s->sig[i];
		free(g->domain);
		free(g->selector);
		free(g->identity);
		free(g->b64);
		g->domain = g->selector = g->identity = g->b64 = NULL;
		g->field.len = 0;
	}
	s->nsig = 0;
}

void
dkim_signer_reset(dkim_signer *s)
{
	if (s == NULL)
		return;
	dkim_signer_clear_sigs(s);
	dkim_hdrsel_reset(&s->hs);
	s->canon.len = s->scratch.len = 0;
	s->bh[0] = '\0';
	s->phase = DKIM_PH_HEADERS;
	/* A failed re-init leaves the body marked failed: every later call
	 * reports DKIM_ERR_CRYPTO instead of hashing garbage. */
	s->failed = dkim_body_reset(&s->body) != DKIM_OK;
}

void
dkim_signer_free(dkim_signer *s)
{
	size_t i;

	if (s == NULL)
		return;
	dkim_signer_clear_sigs(s);
	for (i = 0; i < DKIM_MAX_SIGNATURES; i++)
		dkim_buf_free(&s->sig[i].field);
	dkim_hdrsel_free(&s->hs);
	dkim_body_free(&s->body);
	dkim_buf_free(&s->canon);
	dkim_buf_free(&s->scratch);
	EVP_MD_CTX_free(s->hctx);
	EVP_MD_free(s->md);
	free(s);
}
