/*
 * keytool_dns: the DKIM key record of a public key, as text for a zone file
 * or a web form (RFC 6376 3.6.1, RFC 8463), and the DNS side of `check`:
 * fetching the TXT record of SELECTOR._domainkey.DOMAIN and judging it
 * against the token's key.
 *
 * Ownership: returned strings are malloc'ed and the caller's (free()).
 *
 * Errors: NULL / -1 with a reason in a caller's buffer; nothing
 * is printed except by the *_print functions, which write to the FILE given.
 *
 * Threads: the resolver state is local to each call; reentrant.
 */
#ifndef P11DKIM_TOOLS_KEYTOOL_DNS_H
#define P11DKIM_TOOLS_KEYTOOL_DNS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include <openssl/evp.h>

/* Longest character-string a TXT record may hold (RFC 1035 3.3). */
#define KT_DNS_STRING_MAX 255

/*
 * "v=DKIM1; k=rsa; p=BASE64" for PKEY (RSA: p= is the DER SubjectPublicKeyInfo;
 * Ed25519: the raw 32-byte key). TESTING adds t=y; REVOKE leaves p= empty
 * (PKEY may then be NULL and ED25519 chooses k=). NULL on allocation failure.
 */
char *kt_dns_value(EVP_PKEY *pkey, bool ed25519, bool testing, bool revoke);

/*
 * Writes the record for NAME (e.g. "sel._domainkey.example.com"):
 * as a zone-file line NAME. IN TXT ( "..." "..." ) with every string at most
 * 255 bytes, or (ONE_LINE) the bare value on one line for web forms.
 */
void kt_dns_print(FILE *out, const char *name, const char *value, bool one_line);

enum kt_dns_lookup {
	KT_DNS_FOUND,   /* one TXT record, its strings joined into *txt */
	KT_DNS_MISSING, /* NXDOMAIN, or the name has no TXT record */
	KT_DNS_SEVERAL, /* more than one TXT record: verifiers may pick any */
	KT_DNS_FAILED,  /* no answer: server unreachable, SERVFAIL, bad reply */
};

/*
 * Looks up the TXT record of NAME, through NAMESERVER ("IPv4[:PORT]") when
 * not NULL, else the system resolver. *TXT (NUL-terminated, *LEN bytes) is
 * the caller's when KT_DNS_FOUND is returned; DETAIL says why otherwise.
 */
enum kt_dns_lookup kt_dns_lookup(const char *name, const char *nameserver, char **txt, size_t *len,
                                 char *detail, size_t dlen);

enum kt_verdict {
	KT_VERDICT_OK,       /* the record publishes the token's key, in production mode */
	KT_VERDICT_MISSING,  /* no record */
	KT_VERDICT_SYNTAX,   /* not a valid DKIM key record, or ambiguous */
	KT_VERDICT_REVOKED,  /* p= empty */
	KT_VERDICT_MISMATCH, /* a valid key, but not the token's */
	KT_VERDICT_WEAK,     /* the token's key, but RSA under 2048 bits */
	KT_VERDICT_TESTING,  /* the token's key, but t=y is still set */
	KT_VERDICT_DNSFAIL,  /* the lookup itself failed */
};

const char *kt_verdict_name(enum kt_verdict v);

/* Judges the record TXT (LEN bytes) against the token's public key. */
enum kt_verdict kt_dns_judge(const char *txt, size_t len, EVP_PKEY *token_key, char *detail,
                             size_t dlen);

#endif
