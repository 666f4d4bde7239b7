/*
 * dkim-sign-inmem: signs sample messages with dkim/ and in-memory OpenSSL
 * keys, for the independent verifiers (tests only: in production the core
 * never sees a key, the token signs).
 *
 * Usage: dkim-sign-inmem OUTDIR MESSAGE...
 * Generates an RSA-2048 and an Ed25519 key, writes OUTDIR/keys.txt with one
 * "selector._domainkey.domain TXT-value" line per key, and for every message
 * and each of the four canonicalizations writes
 *   OUTDIR/<name>.<hdr>-<body>.{rsa,ed25519,both}.eml
 * (both = RSA and Ed25519 side by side, two domains, oversigned). Output
 * messages have CRLF line ends, as on the wire. Prints each file written.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "dkim/dkim.h"
#include "dkim/dkim_message.h"

#define RSA_DOMAIN "example.com"
#define RSA_SELECTOR "rsa2026"
#define ED_DOMAIN "example.net"
#define ED_SELECTOR "ed2026"

static _Noreturn void
die(const char *what, const char *detail)
{
	fprintf(stderr, "dkim-sign-inmem: %s%s%s\n", what, detail ? ": " : "",
	        detail ? detail : "");
	exit(1);
}

static void
check(dkim_status st, const char *what)
{
	if (st != DKIM_OK)
		die(what, dkim_strerror(st));
}

static unsigned char *
read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	unsigned char *p = NULL;
	size_t cap = 0, n = 0, r;

	if (f == NULL)
		die(path, strerror(errno));
	for (;;) {
		if (n == cap) {
			cap = cap ? cap * 2 : 65536;
			if ((p = realloc(p, cap)) == NULL)
				die("out of memory", NULL);
		}
		r = fread(p + n, 1, cap - n, f);
		if (r == 0)
			break;
		n += r;
	}
	fclose(f);
	*len = n;
	return p;
}

static char *
b64(const unsigned char *d, size_t n)
{
	char *s = malloc((n + 2) / 3 * 4 + 1);

	if (s == NULL)
		die("out of memory", NULL);
	EVP_EncodeBlock((unsigned char *)s, d, (int)n);
	return s;
}

static void
write_keys(const char *dir, EVP_PKEY *rsa, EVP_PKEY *ed)
{
	unsigned char *der = NULL, raw[32];
	size_t rawlen = sizeof(raw);
	char path[4096], *p1, *p2;
	int derlen;
	FILE *f;

	if ((derlen = i2d_PUBKEY(rsa, &der)) <= 0)
		die("i2d_PUBKEY", NULL);
	if (EVP_PKEY_get_raw_public_key(ed, raw, &rawlen) != 1 || rawlen != 32)
		die("EVP_PKEY_get_raw_public_key", NULL);
	p1 = b64(der, (size_t)derlen);
	p2 = b64(raw, rawlen);
	snprintf(path, sizeof(path), "%s/keys.txt", dir);
	if ((f = fopen(path, "w")) == NULL)
		die(path, strerror(errno));
	fprintf(f, "%s._domainkey.%s v=DKIM1; k=rsa; p=%s\n", RSA_SELECTOR, RSA_DOMAIN, p1);
	fprintf(f, "%s._domainkey.%s v=DKIM1; k=ed25519; p=%s\n", ED_SELECTOR, ED_DOMAIN, p2);
	if (fclose(f) != 0)
		die(path, strerror(errno));
	OPENSSL_free(der);
	free(p1);
	free(p2);
}

/* RSA: PKCS#1 v1.5 over the SHA-256 digest (OpenSSL adds the DigestInfo, as
 * pkcs11/ does before CKM_RSA_PKCS); Ed25519: PureEdDSA over the 32 bytes
 * (CKM_EDDSA). */
static size_t
sign_tbs(EVP_PKEY *key, dkim_alg alg, const unsigned char *tbs, size_t tbslen, unsigned char *sig,
         size_t siglen)
{
	EVP_PKEY_CTX *pctx;
	EVP_MD_CTX *mctx;

	if (alg == DKIM_ALG_RSA_SHA256) {
		if ((pctx = EVP_PKEY_CTX_new(key, NULL)) == NULL || EVP_PKEY_sign_init(pctx) != 1 ||
		    EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) != 1 ||
		    EVP_PKEY_CTX_set_signature_md(pctx, EVP_sha256()) != 1 ||
		    EVP_PKEY_sign(pctx, sig, &siglen, tbs, tbslen) != 1)
			die("RSA sign", NULL);
		EVP_PKEY_CTX_free(pctx);
		return siglen;
	}
	if ((mctx = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestSignInit(mctx, NULL, NULL, NULL, key) != 1 ||
	    EVP_DigestSign(mctx, sig, &siglen, tbs, tbslen) != 1)
		die("Ed25519 sign", NULL);
	EVP_MD_CTX_free(mctx);
	return siglen;
}

/* Writes len bytes with every bare LF turned into CRLF. */
static void
put_crlf(FILE *f, const unsigned char *d, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		if (d[i] == '\n' && (i == 0 || d[i - 1] != '\r'))
			fputc('\r', f);
		fputc(d[i], f);
	}
}

struct variant {
	const char *name;
	bool rsa, ed, oversign;
};

static void
sign_one(const char *outdir, const char *msgpath, const unsigned char *msg, size_t len,
         dkim_canon hc, dkim_canon bc, const struct variant *v, EVP_PKEY *rsa, EVP_PKEY *ed,
         size_t chunk)
{
	struct dkim_sign_opts o = {hc, bc, NULL, 0, v->oversign, time(NULL), 0};
	const char *base = strrchr(msgpath, '/');
	unsigned char sig[1024];
	char path[4096];
	dkim_message *m;
	dkim_signer *s;
	size_t i, off;
	FILE *f;

	base = base ? base + 1 : msgpath;
	check(dkim_signer_new(&o, &s), "dkim_signer_new");
	check(dkim_message_new(s, NULL, NULL, &m), "dkim_message_new");
	/* Feed in odd chunks so that lines and CRLF pairs are split. */
	for (off = 0; off < len; off += chunk)
		check(dkim_message_feed(m, msg + off, len - off < chunk ? len - off : chunk),
		      "dkim_message_feed");
	check(dkim_message_finish(m), "dkim_message_finish");
	if (v->rsa)
		check(dkim_signer_add(s, DKIM_ALG_RSA_SHA256, RSA_DOMAIN, RSA_SELECTOR,
		                      "@" RSA_DOMAIN, NULL),
		      "dkim_signer_add rsa");
	if (v->ed)
		check(
		    dkim_signer_add(s, DKIM_ALG_ED25519_SHA256, ED_DOMAIN, ED_SELECTOR, NULL, NULL),
		    "dkim_signer_add ed25519");
	check(dkim_signer_end(s), "dkim_signer_end");
	snprintf(path, sizeof(path), "%s/%s.%s-%s.%s.eml", outdir, base, dkim_canon_name(hc),
	         dkim_canon_name(bc), v->name);
	if ((f = fopen(path, "wb")) == NULL)
		die(path, strerror(errno));
	for (i = 0; i < dkim_signer_count(s); i++) {
		const unsigned char *tbs;
		size_t siglen;
		char *field;
		dkim_alg alg;

		check(dkim_signer_digest(s, i, &tbs, &alg), "dkim_signer_digest");
		siglen = sign_tbs(alg == DKIM_ALG_RSA_SHA256 ? rsa : ed, alg, tbs, DKIM_DIGEST_LEN,
		                  sig, sizeof(sig));
		check(dkim_signer_set_signature(s, i, sig, siglen), "dkim_signer_set_signature");
		check(dkim_signer_field(s, i, "\r\n", &field), "dkim_signer_field");
		fprintf(f, "DKIM-Signature:%s\r\n", field);
		free(field);
	}
	put_crlf(f, msg, len);
	if (fclose(f) != 0)
		die(path, strerror(errno));
	printf("%s\n", path);
	dkim_message_free(m);
	dkim_signer_free(s);
}

int
main(int argc, char **argv)
{
	static const struct variant variants[] = {
	    {"rsa", true, false, false},
	    {"ed25519", false, true, false},
	    {"both", true, true, true},
	};
	static const size_t chunks[] = {1, 7, 4096};
	EVP_PKEY *rsa = NULL, *ed = NULL;
	int a, hc, bc;
	size_t v, n = 0;

	if (argc < 3) {
		fprintf(stderr, "usage: dkim-sign-inmem OUTDIR MESSAGE...\n");
		return 2;
	}
	if ((rsa = EVP_RSA_gen(2048)) == NULL ||
	    (ed = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519")) == NULL)
		die("key generation failed", NULL);
	write_keys(argv[1], rsa, ed);
	for (a = 2; a < argc; a++) {
		size_t len;
		unsigned char *msg = read_file(argv[a], &len);

		for (hc = 0; hc < 2; hc++)
			for (bc = 0; bc < 2; bc++)
				for (v = 0; v < sizeof(variants) / sizeof(variants[0]); v++)
					sign_one(argv[1], argv[a], msg, len, (dkim_canon)hc,
					         (dkim_canon)bc, &variants[v], rsa, ed,
					         chunks[n++ % 3]);
		free(msg);
	}
	EVP_PKEY_free(rsa);
	EVP_PKEY_free(ed);
	return 0;
}
