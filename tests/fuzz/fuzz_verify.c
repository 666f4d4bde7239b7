/*
 * tests/fuzz/fuzz_verify.c: the check of a DKIM-Signature of ours (dkim/dkim_verify.h, with the
 * tag-list parser and the h= selection under it) on hostile messages.
 *
 * Input: byte 0 picks the canonicalizations (bit 0: header, bit 1: body; 1 = simple); the rest
 * is a raw message, split by dkim_message into the signer (for its body hash) and the verifier,
 * as the daemon feeds them.
 *
 * Properties: the check never fails but for memory, its verdict is known and the same after a
 * reset and a second feed; and the message signed by our own signer with the fuzzer's key and
 * fed again always verifies (PASS; LIMIT past the header caps): whatever the message, the daemon
 * recognises its own signature and does not sign twice.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "dkim/dkim_message.h"
#include "dkim/dkim_verify.h"
#include "tests/fuzz/fuzz.h"

static dkim_status
to_verifier(void *arg, const char *name, const char *value)
{
	return dkim_verifier_header(arg, name, value);
}

/* Feeds msg to a fresh signer (one Ed25519 signature d=example.com s=ed) and to v; the signer
 * after dkim_signer_end, or NULL when the message does not sign. */
static dkim_signer *
fuzz_feed(const struct dkim_sign_opts *o, dkim_verifier *v, const uint8_t *msg, size_t len)
{
	dkim_signer *s = NULL;
	dkim_message *m = NULL;
	dkim_status st;

	dkim_verifier_reset(v);
	if (dkim_signer_new(o, &s) != DKIM_OK || dkim_message_new(s, to_verifier, v, &m) != DKIM_OK)
		abort();
	st = dkim_message_feed(m, msg, len);
	if (st == DKIM_OK)
		st = dkim_message_finish(m);
	if (st == DKIM_OK)
		st = dkim_signer_add(s, DKIM_ALG_ED25519_SHA256, "example.com", "ed", NULL, NULL);
	if (st == DKIM_OK)
		st = dkim_signer_end(s);
	dkim_message_free(m);
	if (st != DKIM_OK) {
		FUZZ_CHECK(st != DKIM_ERR_STATE && st != DKIM_ERR_INVALID && st != DKIM_ERR_CRYPTO);
		dkim_signer_free(s);
		return NULL;
	}
	return s;
}

static enum dkim_verdict
fuzz_judge(dkim_verifier *v, const dkim_signer *s, dkim_canon bc, EVP_PKEY *key)
{
	enum dkim_verdict out = DKIM_VERIFY_PASS;

	FUZZ_CHECK(dkim_verifier_check(v, "example.com", "ed", bc, dkim_signer_bodyhash(s), key,
	                               &out) == DKIM_OK);
	FUZZ_CHECK(out <= DKIM_VERIFY_LIMIT);
	return out;
}

/* msg with our own signature of it on top; NULL when it cannot be made. */
static uint8_t *
fuzz_sign_own(dkim_signer *s, EVP_PKEY *key, const uint8_t *msg, size_t len, size_t *outlen)
{
	unsigned char sig[64];
	size_t slen = sizeof(sig);
	const unsigned char *tbs;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	char *field = NULL;
	uint8_t *out;
	size_t fl;

	if (ctx == NULL || dkim_signer_digest(s, 0, &tbs, NULL) != DKIM_OK ||
	    EVP_DigestSignInit(ctx, NULL, NULL, NULL, key) != 1 ||
	    EVP_DigestSign(ctx, sig, &slen, tbs, DKIM_DIGEST_LEN) != 1 ||
	    dkim_signer_set_signature(s, 0, sig, slen) != DKIM_OK ||
	    dkim_signer_field(s, 0, "\r\n", &field) != DKIM_OK)
		abort();
	EVP_MD_CTX_free(ctx);
	fl = strlen(field);
	if ((out = malloc(15 + fl + 2 + len)) == NULL)
		abort();
	memcpy(out, "DKIM-Signature:", 15);
	memcpy(out + 15, field, fl);
	memcpy(out + 15 + fl, "\r\n", 2);
	memcpy(out + 15 + fl + 2, msg, len);
	*outlen = 15 + fl + 2 + len;
	free(field);
	return out;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static EVP_PKEY *key;
	static dkim_verifier *v;
	struct dkim_sign_opts o = {0};
	enum dkim_verdict first;
	dkim_signer *s, *s2;
	uint8_t *own;
	size_t ownlen;

	if (size < 1)
		return 0;
	if (key == NULL) {
		static const unsigned char seed[32] = {1, 2, 3, 4, 5, 6, 7, 8};
		key = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, seed, sizeof(seed));
		if (key == NULL || dkim_verifier_new(&v) != DKIM_OK)
			abort();
	}
	o.hdr_canon = data[0] & 1 ? DKIM_CANON_SIMPLE : DKIM_CANON_RELAXED;
	o.body_canon = data[0] & 2 ? DKIM_CANON_SIMPLE : DKIM_CANON_RELAXED;
	if ((s = fuzz_feed(&o, v, data + 1, size - 1)) == NULL)
		return 0;
	first = fuzz_judge(v, s, o.body_canon, key);
	dkim_signer_free(s);
	s = fuzz_feed(&o, v, data + 1, size - 1);
	FUZZ_CHECK(s != NULL && fuzz_judge(v, s, o.body_canon, key) == first);
	/* A leading WSP would fold the message's first line into our field: no longer a message
	 * we signed. */
	if (size > 1 && (data[1] == ' ' || data[1] == '\t')) {
		dkim_signer_free(s);
		return 0;
	}
	own = fuzz_sign_own(s, key, data + 1, size - 1, &ownlen);
	dkim_signer_free(s);
	s2 = fuzz_feed(&o, v, own, ownlen);
	if (s2 != NULL) {
		enum dkim_verdict again = fuzz_judge(v, s2, o.body_canon, key);
		FUZZ_CHECK(again == DKIM_VERIFY_PASS || again == DKIM_VERIFY_LIMIT);
	}
	dkim_signer_free(s2);
	free(own);
	return 0;
}
