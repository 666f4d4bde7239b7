/*
 * dkim.h: the pure DKIM signer (RFC 6376, RFC 8463, RFC 8301).
 *
 * Contract
 * - No I/O, no token calls, no global state, no logging. Depends only on
 *   OpenSSL's libcrypto for SHA-256. The caller's private key never reaches
 *   this module: it hands out the digest to sign (dkim_signer_digest) and takes
 *   the signature back (dkim_signer_set_signature).
 * - A dkim_signer owns every buffer it uses (header copies, canonical header
 *   block, signature fields); all strings passed in are copied. Pointers it
 *   hands out stay valid until the next call that changes the signer
 *   (add, end, set_signature, reset, free). dkim_signer_field returns a
 *   malloc'd string the caller frees.
 * - Thread-safety: a signer is used by one thread at a time; distinct signers
 *   are independent (one per milter connection is the intended use).
 * - Memory does not grow with the body: the body is streamed into SHA-256.
 *   Header storage is capped (DKIM_MAX_HEADERS instances, DKIM_MAX_HEADER_BYTES
 *   bytes); beyond the cap calls fail with DKIM_ERR_LIMIT.
 *
 * Call order for one message:
 *   dkim_signer_new (once) -> [dkim_signer_set_time] ->
 *   dkim_signer_header* -> dkim_signer_add* (may also come before or between
 *   headers and body) -> dkim_signer_body* -> dkim_signer_end ->
 *   for each signature: dkim_signer_digest, sign, dkim_signer_set_signature,
 *   dkim_signer_field -> dkim_signer_reset (next message) or dkim_signer_free.
 * A call out of this order fails with DKIM_ERR_STATE and changes nothing.
 * After any other error the message is lost: call dkim_signer_reset.
 */
#ifndef P11DKIM_DKIM_H
#define P11DKIM_DKIM_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

typedef enum {
	DKIM_OK = 0,
	DKIM_ERR_NOMEM,   /* allocation failed */
	DKIM_ERR_INVALID, /* bad argument or option (e.g. a header list without From) */
	DKIM_ERR_SYNTAX,  /* malformed input: header name, message, address */
	DKIM_ERR_STATE,   /* call out of order (see the call order above) */
	DKIM_ERR_LIMIT,   /* too many headers, too many bytes, too many signatures */
	DKIM_ERR_CRYPTO,  /* libcrypto failed to hash */
} dkim_status;

/* Static English text for a status; never NULL. */
const char *dkim_strerror(dkim_status);

typedef enum { DKIM_CANON_SIMPLE, DKIM_CANON_RELAXED } dkim_canon;
typedef enum { DKIM_ALG_RSA_SHA256, DKIM_ALG_ED25519_SHA256 } dkim_alg;

/* "rsa-sha256" / "ed25519-sha256"; NULL for an unknown value. */
const char *dkim_alg_name(dkim_alg);
/* "simple" / "relaxed"; NULL for an unknown value. */
const char *dkim_canon_name(dkim_canon);
/* Parses "relaxed/simple", "simple" (= simple/simple) etc., case-insensitive, as in
 * a c= tag or a configuration file. DKIM_ERR_INVALID if it is not one of those. */
dkim_status dkim_canon_parse(const char *text, dkim_canon *hdr, dkim_canon *body);

/* Caps on what one message may make the signer keep. */
#define DKIM_MAX_HEADERS 1000               /* header instances kept (signable names only) */
#define DKIM_MAX_HEADER_BYTES (1024 * 1024) /* bytes of those header fields */
#define DKIM_MAX_SIGNATURES 16              /* signatures per message */
#define DKIM_MAX_SIGN_NAMES 128             /* names in the h= list */
#define DKIM_MAX_SIG_BYTES 1024             /* RSA signature (modulus) bytes: 8192-bit keys */

/* Options shared by all signatures of one message. */
struct dkim_sign_opts {
	dkim_canon hdr_canon, body_canon;
	/* Names of the header fields to sign, as they should appear in h=; matched
	 * case-insensitively, duplicates ignored. NULL = dkim_default_headers. Must
	 * contain From. */
	const char *const *headers;
	size_t nheaders;
	/* Sign each listed name once more than it appears, so that nobody can add
	 * one (an absent name then appears once in h=), except an absent Date or
	 * Message-ID, which MTAs add (Sendmail after its milters ran). */
	bool oversign;
	/* t= (seconds since the epoch). 0 = no t= (and then no x=). */
	time_t timestamp;
	/* x = t + expire_after; 0 = no x=. Needs timestamp > 0. */
	long expire_after;
};

/* The default h= list (From, To, Cc, Subject, Date, ...); *n receives its length. */
const char *const *dkim_default_headers(size_t *n);

typedef struct dkim_signer dkim_signer;

/* Creates a signer. DKIM_ERR_INVALID: a header list without From, an invalid
 * header name, negative expire_after, x= without t=. */
dkim_status dkim_signer_new(const struct dkim_sign_opts *, dkim_signer **out);

/* Sets t= for the next message (a signer is reused across messages). */
dkim_status dkim_signer_set_time(dkim_signer *, time_t timestamp);

/* Adds one signature to produce over the same message (RSA and Ed25519 side by
 * side, several domains). Allowed until dkim_signer_end. domain (d=) and
 * selector (s=) must be DNS names (letters, digits, '-', '_', '.'), identity
 * (i=) may be NULL, else "[local]@domain" with a domain equal to d= or one of
 * its subdomains (DKIM_ERR_INVALID otherwise). *index receives its index. */
dkim_status dkim_signer_add(dkim_signer *, dkim_alg, const char *domain, const char *selector,
                            const char *identity, size_t *index);

/* One header field as a milter receives it: name without the colon; value as
 * it follows the colon, with its leading whitespace (SMFIP_HDR_LEADSPC),
 * folded lines separated by bare LF (Postfix) or CRLF: both are normalised to
 * CRLF because the receiver sees CRLF on the wire. Call in message order.
 * DKIM_ERR_SYNTAX: an empty name or one with a byte outside 33..126 or a colon. */
dkim_status dkim_signer_header(dkim_signer *, const char *name, const char *value);

/* Body bytes, in chunks split anywhere (also between CR and LF). Bare LF line
 * ends are treated as CRLF. Constant memory. */
dkim_status dkim_signer_body(dkim_signer *, const unsigned char *chunk, size_t len);

/* End of message: finishes the body hash and computes, for every signature,
 * the header hash input and the bytes to sign. DKIM_ERR_STATE without any
 * signature; DKIM_ERR_SYNTAX if the message has no From header. */
dkim_status dkim_signer_end(dkim_signer *);

/* Number of signatures added to the current message. */
size_t dkim_signer_count(const dkim_signer *);

/* The SHA-256 digest (DKIM_DIGEST_LEN bytes) of the header hash input of
 * signature i (after dkim_signer_end), and its algorithm (alg may be NULL).
 * How it is signed is the token's business: rsa-sha256 signs it wrapped in a
 * DigestInfo (RSASSA-PKCS1-v1_5); ed25519-sha256 (RFC 8463 3) signs these 32
 * bytes themselves (PureEdDSA). Pointer owned by the signer. */
#define DKIM_DIGEST_LEN 32
dkim_status dkim_signer_digest(dkim_signer *, size_t i, const unsigned char **digest,
                               dkim_alg *alg);

/* The signature bytes for signature i (RSA: the modulus size, 64..1024 bytes;
 * Ed25519: 64 bytes; DKIM_ERR_INVALID otherwise). Copied. */
dkim_status dkim_signer_set_signature(dkim_signer *, size_t i, const unsigned char *sig,
                                      size_t len);

/* The DKIM-Signature field value to insert (what follows "DKIM-Signature:"),
 * starting with its leading space, folded with `eol` + TAB between lines
 * ("\r\n" for a file or SMTP, "\n" for a milter insert into Postfix).
 * Byte-identical (modulo eol) to what was hashed, so simple header
 * canonicalization verifies. Malloc'd; the caller frees. DKIM_ERR_STATE
 * before the signature was set; DKIM_ERR_INVALID for another eol. A milter
 * that did not negotiate SMFIP_HDR_LEADSPC must drop the leading space (the
 * MTA adds one) or simple header canonicalization breaks. */
dkim_status dkim_signer_field(const dkim_signer *, size_t i, const char *eol, char **value);

/* The base64 body hash (bh=) of the current message, after dkim_signer_end.
 * Pointer owned by the signer. */
const char *dkim_signer_bodyhash(const dkim_signer *);

/* A malloc'd copy of the header hash input of signature i (the canonical
 * selected headers, then the canonical DKIM-Signature with an empty b= and no
 * final CRLF), after dkim_signer_end. For tests and debugging; caller frees. */
dkim_status dkim_signer_hash_input(const dkim_signer *, size_t i, char **data, size_t *len);

/* Forgets the current message and its signatures; keeps options and buffers. */
void dkim_signer_reset(dkim_signer *);
void dkim_signer_free(dkim_signer *);

#endif
