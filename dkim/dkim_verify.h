/*
 * dkim_verify.h: does a message already carry a good signature of ours? (RFC 6376 6.1, RFC 8463)
 *
 * The daemon skips signing a message that comes back through it (a content filter re-injects
 * what it already signed) only when a DKIM-Signature with its own d= and s= verifies, over this
 * message, against its own public key; a forged or broken one must not switch signing off. The
 * question is narrower than a verifier's: the body hash is the one our signer computed for this
 * message (so a signature whose c= body canonicalization is not ours, or that has l=, is not
 * ours), there is no DNS, and t=/x= are not judged.
 *
 * Contract
 * - No I/O, no token, no logging (as dkim.h). The public key is the caller's EVP_PKEY (RSA or
 *   Ed25519); the verifier never keeps it.
 * - A dkim_verifier keeps a copy of every header field of the current message (capped as the
 *   signer is: DKIM_MAX_HEADERS fields, DKIM_MAX_HEADER_BYTES bytes), because an h= it did not
 *   write may name any of them. Past the caps it keeps nothing more, and a check that finds a
 *   field with the d= and s= asked for, or any DKIM-Signature it could not keep, says
 *   DKIM_VERIFY_LIMIT: the message is then signed over, never passed.
 * - One thread at a time per verifier; reuse it across messages with dkim_verifier_reset.
 * - Status: DKIM_ERR_NOMEM, DKIM_ERR_SYNTAX (a bad field name, from dkim_verifier_header),
 *   DKIM_ERR_INVALID (NULL arguments). A signature that does not verify is a verdict, not an
 *   error.
 */
#ifndef P11DKIM_DKIM_VERIFY_H
#define P11DKIM_DKIM_VERIFY_H

#include <openssl/evp.h>

#include "dkim/dkim.h"

enum dkim_verdict {
	DKIM_VERIFY_PASS = 0,  /* a field with this d= and s= verifies */
	DKIM_VERIFY_NONE,      /* no (well-formed) field has this d= and s= */
	DKIM_VERIFY_MALFORMED, /* v= not 1, a required tag missing or bad, From not in h= */
	DKIM_VERIFY_CANON,     /* c= names another body canonicalization than ours */
	DKIM_VERIFY_LENGTH,    /* l= limits the body hash to a part of the body */
	DKIM_VERIFY_ALG,       /* a= does not fit the key */
	DKIM_VERIFY_BODY,      /* bh= is not this body's hash */
	DKIM_VERIFY_SIGNATURE, /* b= does not verify over these headers */
	DKIM_VERIFY_LIMIT,     /* past the verifier's caps: a field that may be ours, not checked */
};

/* Static English text ("body hash does not match", ...). Never NULL. */
const char *dkim_verdict_text(enum dkim_verdict);
/* Short name for metric labels ("bad_body_hash", ...). Never NULL. */
const char *dkim_verdict_name(enum dkim_verdict);

typedef struct dkim_verifier dkim_verifier;

dkim_status dkim_verifier_new(dkim_verifier **out);
/* One header field, as dkim_signer_header takes it (name without the colon, value with its
 * leading whitespace, folds by LF or CRLF). Call in message order. Past the caps it returns
 * DKIM_OK and remembers (see above). */
dkim_status dkim_verifier_header(dkim_verifier *, const char *name, const char *value);
/*
 * Judges the DKIM-Signature fields with d= domain and s= selector (both compared without case):
 * DKIM_VERIFY_PASS when one of them verifies with key over this message, whose body hash under
 * body_canon is bh (base64, as dkim_signer_bodyhash gives it); else the verdict on the first such
 * field, or DKIM_VERIFY_NONE. A field whose tag list cannot be parsed names no d= or s=: it is
 * nobody's. a=rsa-sha256 verifies RSASSA-PKCS1-v1_5 with SHA-256; a=ed25519-sha256 verifies
 * Ed25519 over the SHA-256 digest of the header hash input (RFC 8463 3).
 */
dkim_status dkim_verifier_check(dkim_verifier *, const char *domain, const char *selector,
                                dkim_canon body_canon, const char *bh, EVP_PKEY *key,
                                enum dkim_verdict *verdict);
/* Forgets the current message; keeps the buffers. */
void dkim_verifier_reset(dkim_verifier *);
void dkim_verifier_free(dkim_verifier *);

#endif
