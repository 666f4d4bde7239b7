/*
 * keytool_dns: DKIM key record text and its judgement against the token's
 * key; see keytool_dns.h. The DNS lookup itself is in keytool_resolve.c.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/x509.h>

#include "tools/keytool/dnsrec_parse.h"
#include "tools/keytool/keytool_dns.h"

/* The public key as DKIM publishes it: SPKI DER for RSA, the raw key for Ed25519. */
static int
kt_dns_key_bytes(EVP_PKEY *pk, unsigned char **out, size_t *len)
{
	*out = NULL;
	if (EVP_PKEY_get_base_id(pk) == EVP_PKEY_ED25519) {
		*len = 32;
		*out = malloc(32);
		if (*out == NULL || EVP_PKEY_get_raw_public_key(pk, *out, len) != 1 || *len != 32) {
			free(*out);
			*out = NULL;
			return -1;
		}
		return 0;
	}
	{
		int n = i2d_PUBKEY(pk, out);

		if (n <= 0)
			return -1;
		*len = (size_t)n;
		return 0;
	}
}

static void
kt_dns_free_key(EVP_PKEY *pk, unsigned char *buf)
{
	if (pk != NULL && EVP_PKEY_get_base_id(pk) == EVP_PKEY_ED25519)
		free(buf);
	else
		OPENSSL_free(buf);
}

char *
kt_dns_value(EVP_PKEY *pkey, bool ed25519, bool testing, bool revoke)
{
	unsigned char *der = NULL;
	size_t derlen = 0, b64len, total;
	char *out;
	int n;

	if (pkey != NULL)
		ed25519 = EVP_PKEY_get_base_id(pkey) == EVP_PKEY_ED25519;
	if (!revoke && (pkey == NULL || kt_dns_key_bytes(pkey, &der, &derlen) != 0))
		return NULL;
	b64len = 4 * ((derlen + 2) / 3);
	total = 64 + b64len;
	out = malloc(total);
	if (out == NULL) {
		kt_dns_free_key(pkey, der);
		return NULL;
	}
	n = snprintf(out, total, "v=DKIM1; k=%s; %sp=", ed25519 ? "ed25519" : "rsa",
	             testing ? "t=y; " : "");
	if (derlen > 0)
		EVP_EncodeBlock((unsigned char *)out + n, der, (int)derlen);
	else
		out[n] = '\0';
	kt_dns_free_key(pkey, der);
	return out;
}

void
kt_dns_print(FILE *out, const char *name, const char *value, bool one_line)
{
	const char *p = strstr(value, "p=");
	size_t head, rest, chunk;

	if (one_line) {
		fprintf(out, "%s\n", value);
		return;
	}
	/* The tags before p= in one string, then p= in strings of at most 255 bytes. */
	head = p != NULL ? (size_t)(p - value) : strlen(value);
	fprintf(out, "%s. IN TXT ( \"%.*s\"", name, (int)head, value);
	value += head;
	rest = strlen(value);
	while (rest > 0) {
		chunk = rest > KT_DNS_STRING_MAX ? KT_DNS_STRING_MAX : rest;
		fprintf(out, "\n\t\"%.*s\"", (int)chunk, value);
		value += chunk;
		rest -= chunk;
	}
	fprintf(out, " )\n");
}

const char *
kt_verdict_name(enum kt_verdict v)
{
	switch (v) {
	case KT_VERDICT_OK:
		return "ok";
	case KT_VERDICT_MISSING:
		return "missing";
	case KT_VERDICT_SYNTAX:
		return "syntax";
	case KT_VERDICT_REVOKED:
		return "revoked";
	case KT_VERDICT_MISMATCH:
		return "mismatch";
	case KT_VERDICT_WEAK:
		return "weak";
	case KT_VERDICT_TESTING:
		return "testing";
	case KT_VERDICT_DNSFAIL:
		return "dnsfail";
	}
	return "unknown";
}

static enum kt_verdict
kt_dns_verdict(enum kt_verdict v, char *detail, size_t dlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(detail, dlen, fmt, ap);
	va_end(ap);
	return v;
}

/* The key a record publishes, as an EVP_PKEY of the type k= names. */
static EVP_PKEY *
kt_dns_record_key(const struct dnsrec *rec)
{
	const unsigned char *p = rec->key;
	EVP_PKEY *pk;

	if (rec->ktype == DNSREC_K_ED25519)
		return EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, rec->key, rec->keylen);
	if (rec->keylen > 0x7fffffff)
		return NULL;
	pk = d2i_PUBKEY(NULL, &p, (long)rec->keylen);
	if (pk != NULL &&
	    (EVP_PKEY_get_base_id(pk) != EVP_PKEY_RSA || p != rec->key + rec->keylen)) {
		EVP_PKEY_free(pk);
		return NULL;
	}
	return pk;
}

enum kt_verdict
kt_dns_judge(const char *txt, size_t len, EVP_PKEY *token_key, char *detail, size_t dlen)
{
	struct dnsrec rec;
	enum dnsrec_status st;
	enum kt_verdict v;
	EVP_PKEY *pk;
	int token_ed = EVP_PKEY_get_base_id(token_key) == EVP_PKEY_ED25519;

	st = dnsrec_parse(txt, len, &rec);
	if (st != DNSREC_OK)
		return kt_dns_verdict(KT_VERDICT_SYNTAX, detail, dlen, "%s: %s",
		                      dnsrec_strerror(st), rec.detail);
	if (rec.revoked) {
		dnsrec_free(&rec);
		return kt_dns_verdict(KT_VERDICT_REVOKED, detail, dlen,
		                      "p= is empty: the key is revoked");
	}
	if ((rec.ktype == DNSREC_K_ED25519) != token_ed) {
		dnsrec_free(&rec);
		return kt_dns_verdict(KT_VERDICT_MISMATCH, detail, dlen,
		                      "the record has k=%s, the token's key is %s",
		                      rec.ktype == DNSREC_K_ED25519 ? "ed25519" : "rsa",
		                      token_ed ? "Ed25519" : "RSA");
	}
	pk = kt_dns_record_key(&rec);
	dnsrec_free(&rec);
	if (pk == NULL)
		return kt_dns_verdict(KT_VERDICT_SYNTAX, detail, dlen,
		                      "p= does not hold a valid %s public key",
		                      token_ed ? "Ed25519" : "RSA");
	if (EVP_PKEY_eq(pk, token_key) != 1)
		v = kt_dns_verdict(KT_VERDICT_MISMATCH, detail, dlen,
		                   "the published key is not the token's key");
	else if (!token_ed && EVP_PKEY_get_bits(pk) < 2048)
		v = kt_dns_verdict(
		    KT_VERDICT_WEAK, detail, dlen,
		    "RSA key of %d bits: under 2048 bits (RFC 8301); generate a new key",
		    EVP_PKEY_get_bits(pk));
	else if (rec.testing)
		v = kt_dns_verdict(KT_VERDICT_TESTING, detail, dlen,
		                   "t=y is still set: verifiers treat failures as if unsigned");
	else
		v = kt_dns_verdict(KT_VERDICT_OK, detail, dlen,
		                   "the published key is the token's key");
	EVP_PKEY_free(pk);
	return v;
}
