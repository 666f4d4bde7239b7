/*
 * dnsrec_parse: a strict parser for DKIM key records (RFC 6376 section 3.6.1,
 * RFC 8463 for k=ed25519), the text a verifier finds in the TXT record at
 * SELECTOR._domainkey.DOMAIN once its strings are joined.
 *
 * Ownership: dnsrec_parse() fills a caller-provided struct dnsrec; the decoded
 * public key (p=) is malloc'ed into rec->key and freed by dnsrec_free(). On
 * any error the struct holds nothing that needs freeing (dnsrec_free() is
 * still safe to call).
 *
 * Input is untrusted (it comes from DNS): every byte is checked, nothing is
 * assumed NUL-terminated, and no input makes the parser read out of bounds.
 *
 * Errors: a dnsrec_status value; dnsrec_strerror() gives its text, and the
 * parser also writes a detail (which tag, which offset) into rec->detail.
 *
 * Thread-safety: no shared state; reentrant.
 */
#ifndef P11DKIM_TOOLS_DNSREC_PARSE_H
#define P11DKIM_TOOLS_DNSREC_PARSE_H

#include <stdbool.h>
#include <stddef.h>

enum dnsrec_status {
	DNSREC_OK = 0,
	DNSREC_ESYNTAX,  /* not a tag-list: bad tag name, missing '=', bad character */
	DNSREC_EDUPTAG,  /* a tag appears twice (RFC 6376 3.2: the record is invalid) */
	DNSREC_EVERSION, /* v= present but not first or not "DKIM1" */
	DNSREC_ENOKEY,   /* p= missing */
	DNSREC_EBASE64,  /* p= is not valid base64 */
	DNSREC_EKEYTYPE, /* k= names a key type we do not know */
	DNSREC_EHASH,    /* h= does not allow sha256 */
	DNSREC_ESERVICE, /* s= does not allow email ("email" or "*") */
	DNSREC_ENOMEM,
};

enum dnsrec_keytype {
	DNSREC_K_RSA = 0, /* the default when k= is absent */
	DNSREC_K_ED25519,
};

struct dnsrec {
	enum dnsrec_keytype ktype;
	bool has_version; /* v=DKIM1 was present */
	bool testing;     /* t= contains the flag y */
	bool strict;      /* t= contains the flag s */
	bool revoked;     /* p= is empty */
	unsigned char
	    *key; /* decoded p= (DER SubjectPublicKeyInfo for RSA, 32 raw bytes for Ed25519) */
	size_t keylen;
	char detail[160]; /* what went wrong and where, for an error message */
};

/* Parses LEN bytes at TEXT (which need not be NUL-terminated) into REC. */
enum dnsrec_status dnsrec_parse(const char *text, size_t len, struct dnsrec *rec);

/* Frees what dnsrec_parse() allocated in REC; REC itself is the caller's. */
void dnsrec_free(struct dnsrec *rec);

const char *dnsrec_strerror(enum dnsrec_status st);

#endif
