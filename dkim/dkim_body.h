/*
 * dkim_body.h: streamed body canonicalization and hash (RFC 6376 3.4.3,
 * 3.4.4, 3.7) (internal to dkim/; tests use it directly).
 *
 * Contract: a dkim_body owns one EVP_MD_CTX and a fixed output buffer; its
 * memory does not depend on the body. Chunks may split the body anywhere,
 * also between CR and LF and inside runs of empty lines or whitespace,
 * because only counters and flags carry over: the number of empty lines not
 * yet known to be trailing, a pending CR, and (relaxed) a pending WSP run.
 * Bare LF ends a line like CRLF; a CR not followed by LF is ordinary data.
 * Errors: DKIM_ERR_NOMEM from init, DKIM_ERR_CRYPTO from libcrypto.
 */
#ifndef P11DKIM_DKIM_BODY_H
#define P11DKIM_DKIM_BODY_H

#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>

#include <openssl/evp.h>

#include "dkim/dkim.h"

#define DKIM_BODY_BUFSIZE 8192

struct dkim_body {
	dkim_canon canon;
	EVP_MD_CTX *ctx;
	const EVP_MD *md;      /* not owned */
	uint64_t pending_crlf; /* empty lines held back: trailing ones are dropped */
	bool pending_cr;       /* the last byte was CR */
	bool pending_wsp;      /* relaxed: a WSP run not yet known to be trailing */
	bool line_nonempty;    /* the current line has output */
	bool started;          /* anything was hashed (simple hashes CRLF otherwise) */
	bool failed;
	size_t outlen;
	unsigned char out[DKIM_BODY_BUFSIZE];
};

/* md must outlive the dkim_body (the signer fetches SHA-256 once). */
dkim_status dkim_body_init(struct dkim_body *, const EVP_MD *md, dkim_canon);
dkim_status dkim_body_update(struct dkim_body *, const unsigned char *data, size_t len);
/* Finishes the body; hash receives the 32-byte SHA-256. The dkim_body must be
 * reset before it takes another body. */
dkim_status dkim_body_final(struct dkim_body *, unsigned char hash[32]);
dkim_status dkim_body_reset(struct dkim_body *);
void dkim_body_free(struct dkim_body *);

#endif
