/*
 * tests/fuzz/fuzz_body.c: body canonicalization across chunk splits.
 *
 * Input: byte 0 gives the number k (1..16) of chunk-length bytes that follow;
 * the rest is the body. The body is fed to the signer once in one piece and
 * once in chunks whose lengths cycle through those k bytes (0 = an empty
 * chunk), for simple and for relaxed body canonicalization.
 *
 * Properties: the body hash (bh=) does not depend on where the chunks split
 * (between CR and LF, inside a run of spaces, inside trailing empty lines);
 * appending empty lines changes neither hash (RFC 6376 3.4.3, 3.4.4: both
 * ignore empty lines at the end; not checked after a bare CR, whose line end
 * is the implementation's choice); in relaxed, every run of SP and TAB
 * hashes as one SP; and the canonicalizer gives the same hash as the one it
 * replaced (tests/dkim/body-ref.h, whose text goes through a byte loop), both
 * fed in the same chunks, so the SIMD scanner is judged on chunk ends inside
 * WSP runs and between CR and LF.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dkim/dkim.h"
#include "dkim/dkim_body.h"
#include "tests/dkim/body-ref.h"
#include "tests/fuzz/fuzz.h"

/* The base64 bh= of body fed in chunks of lens[0], lens[1], ... (cycling);
 * nlens = 0: one piece. Returns a malloc'd string. */
static char *
body_hash(dkim_canon bc, const uint8_t *body, size_t size, const uint8_t *lens, size_t nlens)
{
	/* One signer per canonicalization, reset for each use: creating one
	 * costs more than hashing a small body. */
	static dkim_signer *signers[2];
	struct dkim_sign_opts o = {0};
	dkim_signer *s;
	size_t idx, off = 0, k = 0, n;
	int allzero;
	char *bh;

	o.hdr_canon = DKIM_CANON_RELAXED;
	o.body_canon = bc;
	if (signers[bc] == NULL && dkim_signer_new(&o, &signers[bc]) != DKIM_OK)
		abort();
	s = signers[bc];
	dkim_signer_reset(s);
	if (dkim_signer_add(s, DKIM_ALG_ED25519_SHA256, "example.com", "s", NULL, &idx) !=
	        DKIM_OK ||
	    dkim_signer_header(s, "From", " a@example.com") != DKIM_OK)
		abort();
	if (nlens == 0) {
		if (dkim_signer_body(s, body, size) != DKIM_OK)
			abort();
	} else {
		for (n = 0; n < nlens && lens[n] == 0; n++)
			;
		allzero = n == nlens;
		while (off < size) {
			n = lens[k++ % nlens];
			if (n > size - off)
				n = size - off;
			/* A zero-length chunk too: it must change nothing. */
			if (dkim_signer_body(s, body + off, n) != DKIM_OK)
				abort();
			off += n;
			if (allzero && off < size) {
				if (dkim_signer_body(s, body + off, 1) != DKIM_OK)
					abort();
				off++;
			}
		}
	}
	if (dkim_signer_end(s) != DKIM_OK)
		abort();
	bh = strdup(dkim_signer_bodyhash(s));
	if (bh == NULL)
		abort();
	return bh;
}

/* True when the whole-body hashes of a and b are equal under canon bc. */
static int
same_hash(dkim_canon bc, const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
	char *ha = body_hash(bc, a, alen, NULL, 0), *hb = body_hash(bc, b, blen, NULL, 0);
	int same = strcmp(ha, hb) == 0;

	if (!same)
		fprintf(stderr, "%s: %s != %s\n", dkim_canon_name(bc), ha, hb);
	free(ha);
	free(hb);
	return same;
}

static void
check_equivalents(const uint8_t *body, size_t size)
{
	uint8_t *t = malloc(size + 4);
	size_t i, n = 0;

	if (t == NULL)
		abort();
	if (size == 0 || body[size - 1] != '\r') {
		memcpy(t, body, size);
		memcpy(t + size, "\r\n\r\n", 4);
		FUZZ_CHECK(same_hash(DKIM_CANON_SIMPLE, body, size, t, size + 4));
		FUZZ_CHECK(same_hash(DKIM_CANON_RELAXED, body, size, t, size + 4));
	}
	for (i = 0; i < size; i++) {
		if (body[i] == ' ' || body[i] == '\t') {
			if (n == 0 || t[n - 1] != ' ')
				t[n++] = ' ';
		} else {
			t[n++] = body[i];
		}
	}
	FUZZ_CHECK(same_hash(DKIM_CANON_RELAXED, body, size, t, n));
	free(t);
}

/* The body hash from a dkim_body fed by update in chunks cycling through lens
 * (no empty chunk: an all-zero lens gives one-byte chunks). */
static void
chunked_hash(dkim_status (*update)(struct dkim_body *, const unsigned char *, size_t),
             dkim_canon bc, const uint8_t *body, size_t size, const uint8_t *lens, size_t nlens,
             unsigned char h[32])
{
	static EVP_MD *md;
	struct dkim_body b;
	size_t off = 0, k = 0, n;

	if (md == NULL && (md = EVP_MD_fetch(NULL, "SHA256", NULL)) == NULL)
		abort();
	if (dkim_body_init(&b, md, bc) != DKIM_OK)
		abort();
	while (off < size) {
		n = lens[k++ % nlens];
		n = n == 0 ? 1 : n > size - off ? size - off : n;
		if (update(&b, body + off, n) != DKIM_OK)
			abort();
		off += n;
	}
	if (dkim_body_final(&b, h) != DKIM_OK)
		abort();
	dkim_body_free(&b);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const dkim_canon canons[] = {DKIM_CANON_SIMPLE, DKIM_CANON_RELAXED};
	const uint8_t *lens, *body;
	size_t nlens, i;
	char *whole, *split;

	if (size < 1)
		return 0;
	nlens = (size_t)(data[0] % 16) + 1;
	if (size < 1 + nlens)
		return 0;
	lens = data + 1;
	body = data + 1 + nlens;
	size -= 1 + nlens;
	for (i = 0; i < 2; i++) {
		whole = body_hash(canons[i], body, size, NULL, 0);
		split = body_hash(canons[i], body, size, lens, nlens);
		if (strcmp(whole, split) != 0)
			fprintf(stderr, "%s: whole %s split %s\n", dkim_canon_name(canons[i]),
			        whole, split);
		FUZZ_CHECK(strcmp(whole, split) == 0);
		free(whole);
		free(split);
		{
			unsigned char hnew[32], hold[32];

			chunked_hash(dkim_body_update, canons[i], body, size, lens, nlens, hnew);
			chunked_hash(ref_body_update, canons[i], body, size, lens, nlens, hold);
			if (memcmp(hnew, hold, 32) != 0)
				fprintf(stderr, "%s: differs from tests/dkim/body-ref.h\n",
				        dkim_canon_name(canons[i]));
			FUZZ_CHECK(memcmp(hnew, hold, 32) == 0);
		}
	}
	check_equivalents(body, size);
	return 0;
}
