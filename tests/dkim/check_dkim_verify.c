/*
 * check_dkim_verify.c: the check of an existing signature of ours (dkim/dkim_verify.h), judged
 * against an independent signer: dkimpy's signatures (the messages in tests/dkim/data/dkimpy,
 * made by make-dkimpy.py there with verify-{rsa,ed}.key) must verify, and every way of breaking
 * one (another body, a changed or reordered signed field, a forged b=, another key, c=, l=, a=,
 * tag names in capitals) must give its own verdict. Our own signer's fields, made with the same
 * keys, must verify too (the re-injection case), oversigned or not.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/pem.h>
#include <openssl/rsa.h>

#include "dkim/dkim.h"
#include "dkim/dkim_message.h"
#include "dkim/dkim_verify.h"
#include "tests/lib/check_main.h"

static EVP_PKEY *rsa_key, *ed_key, *other_rsa;

static char *
slurp(const char *name, size_t *len)
{
	const char *top = getenv("top_srcdir");
	char path[4096];
	char *p;
	FILE *f;
	long n;

	snprintf(path, sizeof(path), "%s/tests/dkim/data/dkimpy/%s", top != NULL ? top : ".", name);
	f = fopen(path, "rb");
	ck_assert_msg(f != NULL, "cannot open %s", path);
	ck_assert_int_eq(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	ck_assert_int_ge(n, 0);
	rewind(f);
	p = malloc((size_t)n + 1);
	ck_assert_ptr_nonnull(p);
	ck_assert_uint_eq(fread(p, 1, (size_t)n, f), (size_t)n);
	p[n] = '\0';
	fclose(f);
	if (len != NULL)
		*len = (size_t)n;
	return p;
}

static EVP_PKEY *
load_key(const char *name)
{
	const char *top = getenv("top_srcdir");
	char path[4096];
	EVP_PKEY *k;
	FILE *f;

	snprintf(path, sizeof(path), "%s/tests/dkim/data/dkimpy/%s", top != NULL ? top : ".", name);
	f = fopen(path, "r");
	ck_assert_msg(f != NULL, "cannot open %s", path);
	k = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	fclose(f);
	ck_assert_ptr_nonnull(k);
	return k;
}

static void
setup(void)
{
	rsa_key = load_key("verify-rsa.key");
	ed_key = load_key("verify-ed.key");
	other_rsa = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	ck_assert_ptr_nonnull(other_rsa);
}

static void
teardown(void)
{
	EVP_PKEY_free(rsa_key);
	EVP_PKEY_free(ed_key);
	EVP_PKEY_free(other_rsa);
}

/* Replaces the first `from` in *msg by `to` (the mutation must apply). */
static void
mutate(char **msg, const char *from, const char *to)
{
	char *at = strstr(*msg, from), *n;
	size_t fl = strlen(from), tl = strlen(to), len = strlen(*msg);

	ck_assert_msg(at != NULL, "mutation \"%s\" does not apply", from);
	n = malloc(len - fl + tl + 1);
	ck_assert_ptr_nonnull(n);
	memcpy(n, *msg, (size_t)(at - *msg));
	memcpy(n + (at - *msg), to, tl);
	strcpy(n + (at - *msg) + tl, at + fl);
	free(*msg);
	*msg = n;
}

static dkim_status
to_verifier(void *arg, const char *name, const char *value)
{
	return dkim_verifier_header(arg, name, value);
}

/* Runs msg through our signer (for its body hash, in body canonicalization bc) and the
 * verifier, as the daemon does; the verdict for d=dom s=sel with key. */
static enum dkim_verdict
judge(const char *msg, const char *dom, dkim_canon bc, const char *sel, EVP_PKEY *key)
{
	struct dkim_sign_opts o = {DKIM_CANON_RELAXED, bc, NULL, 0, false, 0, 0};
	enum dkim_verdict v = DKIM_VERIFY_PASS;
	dkim_verifier *vf;
	dkim_message *m;
	dkim_signer *s;

	ck_assert_int_eq(dkim_signer_new(&o, &s), DKIM_OK);
	ck_assert_int_eq(dkim_verifier_new(&vf), DKIM_OK);
	ck_assert_int_eq(dkim_message_new(s, to_verifier, vf, &m), DKIM_OK);
	ck_assert_int_eq(dkim_message_feed(m, (const unsigned char *)msg, strlen(msg)), DKIM_OK);
	ck_assert_int_eq(dkim_message_finish(m), DKIM_OK);
	ck_assert_int_eq(dkim_signer_add(s, DKIM_ALG_RSA_SHA256, "example.com", "x", NULL, NULL),
	                 DKIM_OK);
	ck_assert_int_eq(dkim_signer_end(s), DKIM_OK);
	ck_assert_int_eq(dkim_verifier_check(vf, dom, sel, bc, dkim_signer_bodyhash(s), key, &v),
	                 DKIM_OK);
	dkim_message_free(m);
	dkim_signer_free(s);
	dkim_verifier_free(vf);
	return v;
}

/* One row: a dkimpy fixture, a mutation (from -> to, or none), and what must come out. */
struct vcase {
	const char *file;
	const char *from, *to;
	dkim_canon bc; /* ours */
	const char *sel;
	int key; /* 0 = its own, 1 = another RSA key */
	enum dkim_verdict want;
	const char *dom; /* ours; NULL = example.com */
};

static const struct vcase vcases[] = {
    /* dkimpy's own signatures, as made: h= "from : to : to : ..." with spaces, a missing Cc,
     * two To instances taken bottom-up, an X-Extra we never sign ourselves. */
    {"dkimpy-rsa-relaxed.eml", NULL, NULL, DKIM_CANON_RELAXED, "rsa", 0, DKIM_VERIFY_PASS, NULL},
    {"dkimpy-rsa-simple.eml", NULL, NULL, DKIM_CANON_SIMPLE, "rsa", 0, DKIM_VERIFY_PASS, NULL},
    {"dkimpy-ed-relaxed.eml", NULL, NULL, DKIM_CANON_RELAXED, "ed", 0, DKIM_VERIFY_PASS, NULL},
    {"dkimpy-ed-simple.eml", NULL, NULL, DKIM_CANON_SIMPLE, "ed", 0, DKIM_VERIFY_PASS, NULL},
    /* A copied signature over another body. */
    {"dkimpy-rsa-relaxed.eml", "Hello  there", "Hello there!", DKIM_CANON_RELAXED, "rsa", 0,
     DKIM_VERIFY_BODY, NULL},
    {"dkimpy-ed-simple.eml", "world", "World", DKIM_CANON_SIMPLE, "ed", 0, DKIM_VERIFY_BODY, NULL},
    /* relaxed ignores what simple does not: the same change verifies or breaks. */
    {"dkimpy-rsa-relaxed.eml", "Hello  there", "Hello there", DKIM_CANON_RELAXED, "rsa", 0,
     DKIM_VERIFY_PASS, NULL},
    {"dkimpy-rsa-simple.eml", "Hello  there", "Hello there", DKIM_CANON_SIMPLE, "rsa", 0,
     DKIM_VERIFY_BODY, NULL},
    /* A changed signed field, an unsigned one, two signed instances swapped. */
    {"dkimpy-rsa-relaxed.eml", "Subject: a folded", "Subject: b folded", DKIM_CANON_RELAXED, "rsa",
     0, DKIM_VERIFY_SIGNATURE, NULL},
    {"dkimpy-ed-relaxed.eml", "X-Extra: named", "X-Extra: Named", DKIM_CANON_RELAXED, "ed", 0,
     DKIM_VERIFY_SIGNATURE, NULL},
    {"dkimpy-rsa-relaxed.eml", "Received: from a", "Received: from z", DKIM_CANON_RELAXED, "rsa", 0,
     DKIM_VERIFY_PASS, NULL},
    {"dkimpy-rsa-simple.eml", "To: bob@example.org\r\n", "To: carol@example.org\r\n",
     DKIM_CANON_SIMPLE, "rsa", 0, DKIM_VERIFY_SIGNATURE, NULL},
    /* An added Cc: dkimpy signed its absence. */
    {"dkimpy-rsa-relaxed.eml", "Date:", "Cc: eve@example.net\r\nDate:", DKIM_CANON_RELAXED, "rsa",
     0, DKIM_VERIFY_SIGNATURE, NULL},
    /* Forged b= (well-formed base64 of the right size, wrong bytes). */
    {"dkimpy-ed-relaxed.eml", " b=", " b=AAAA", DKIM_CANON_RELAXED, "ed", 0, DKIM_VERIFY_SIGNATURE,
     NULL},
    /* Another key: our selector on someone else's signature. */
    {"dkimpy-rsa-relaxed.eml", NULL, NULL, DKIM_CANON_RELAXED, "rsa", 1, DKIM_VERIFY_SIGNATURE,
     NULL},
    /* Not ours to judge: another body canonicalization, a length limit, the wrong a=. */
    {"dkimpy-rsa-relaxed.eml", NULL, NULL, DKIM_CANON_SIMPLE, "rsa", 0, DKIM_VERIFY_CANON, NULL},
    {"dkimpy-rsa-relaxed.eml", "q=dns/txt;", "q=dns/txt; l=5;", DKIM_CANON_RELAXED, "rsa", 0,
     DKIM_VERIFY_LENGTH, NULL},
    {"dkimpy-ed-relaxed.eml", NULL, NULL, DKIM_CANON_RELAXED, "ed", 1, DKIM_VERIFY_ALG, NULL},
    /* Malformed: no v=1, bh= missing, From not signed, a tag twice, h= not a name list. */
    {"dkimpy-rsa-relaxed.eml", "v=1;", "v=2;", DKIM_CANON_RELAXED, "rsa", 0, DKIM_VERIFY_MALFORMED,
     NULL},
    {"dkimpy-rsa-relaxed.eml", "bh=", "xh=", DKIM_CANON_RELAXED, "rsa", 0, DKIM_VERIFY_MALFORMED,
     NULL},
    {"dkimpy-rsa-relaxed.eml", "h=from :", "h=sender :", DKIM_CANON_RELAXED, "rsa", 0,
     DKIM_VERIFY_MALFORMED, NULL},
    {"dkimpy-rsa-relaxed.eml", "h=from :", "h=from : :", DKIM_CANON_RELAXED, "rsa", 0,
     DKIM_VERIFY_MALFORMED, NULL},
    {"dkimpy-rsa-relaxed.eml", "q=dns/txt;", "q=dns/txt; s=rsa;", DKIM_CANON_RELAXED, "rsa", 0,
     DKIM_VERIFY_NONE, NULL},
    /* Tag names are case-sensitive (RFC 6376 3.2): "D=" is no d=, so the field is nobody's. */
    {"dkimpy-rsa-relaxed.eml", "d=example.com", "D=example.com", DKIM_CANON_RELAXED, "rsa", 0,
     DKIM_VERIFY_NONE, NULL},
    /* d= and s= compare without case; another selector or domain is not ours. */
    {"dkimpy-rsa-relaxed.eml", NULL, NULL, DKIM_CANON_RELAXED, "rsa", 0, DKIM_VERIFY_PASS,
     "Example.COM"},
    {"dkimpy-rsa-relaxed.eml", NULL, NULL, DKIM_CANON_RELAXED, "ed", 0, DKIM_VERIFY_NONE, NULL},
    {"dkimpy-rsa-relaxed.eml", "d=example.com", "d=example.org", DKIM_CANON_RELAXED, "rsa", 0,
     DKIM_VERIFY_NONE, NULL},
};

START_TEST(test_dkimpy)
{
	const struct vcase *c = &vcases[_i];
	EVP_PKEY *key = c->key == 1 ? other_rsa : strstr(c->file, "-ed-") ? ed_key : rsa_key;
	char *msg = slurp(c->file, NULL);
	enum dkim_verdict v;

	if (c->from != NULL)
		mutate(&msg, c->from, c->to);
	v = judge(msg, c->dom != NULL ? c->dom : "example.com", c->bc, c->sel, key);
	ck_assert_msg(v == c->want, "row %d (%s, \"%s\"): %s, expected %s", _i, c->file,
	              c->from != NULL ? c->from : "", dkim_verdict_name(v),
	              dkim_verdict_name(c->want));
	free(msg);
}
END_TEST

/* Our own signer's field over msg, with key (the re-injection case). */
static char *
sign_own(const char *msg, dkim_canon hc, dkim_canon bc, bool oversign, EVP_PKEY *key)
{
	struct dkim_sign_opts o = {hc, bc, NULL, 0, oversign, 1796531715, 0};
	bool ed = EVP_PKEY_get_base_id(key) == EVP_PKEY_ED25519;
	unsigned char sig[512];
	size_t slen = sizeof(sig);
	const unsigned char *tbs;
	EVP_PKEY_CTX *pctx;
	EVP_MD_CTX *mctx;
	dkim_message *m;
	dkim_signer *s;
	char *field, *out;

	ck_assert_int_eq(dkim_signer_new(&o, &s), DKIM_OK);
	ck_assert_int_eq(dkim_message_new(s, NULL, NULL, &m), DKIM_OK);
	ck_assert_int_eq(dkim_message_feed(m, (const unsigned char *)msg, strlen(msg)), DKIM_OK);
	ck_assert_int_eq(dkim_message_finish(m), DKIM_OK);
	ck_assert_int_eq(dkim_signer_add(s, ed ? DKIM_ALG_ED25519_SHA256 : DKIM_ALG_RSA_SHA256,
	                                 "example.com", ed ? "ed" : "rsa", NULL, NULL),
	                 DKIM_OK);
	ck_assert_int_eq(dkim_signer_end(s), DKIM_OK);
	ck_assert_int_eq(dkim_signer_digest(s, 0, &tbs, NULL), DKIM_OK);
	if (ed) {
		mctx = EVP_MD_CTX_new();
		ck_assert_int_eq(EVP_DigestSignInit(mctx, NULL, NULL, NULL, key), 1);
		ck_assert_int_eq(EVP_DigestSign(mctx, sig, &slen, tbs, DKIM_DIGEST_LEN), 1);
		EVP_MD_CTX_free(mctx);
	} else {
		pctx = EVP_PKEY_CTX_new(key, NULL);
		ck_assert_int_eq(EVP_PKEY_sign_init(pctx), 1);
		ck_assert_int_eq(EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING), 1);
		ck_assert_int_eq(EVP_PKEY_CTX_set_signature_md(pctx, EVP_sha256()), 1);
		ck_assert_int_eq(EVP_PKEY_sign(pctx, sig, &slen, tbs, DKIM_DIGEST_LEN), 1);
		EVP_PKEY_CTX_free(pctx);
	}
	ck_assert_int_eq(dkim_signer_set_signature(s, 0, sig, slen), DKIM_OK);
	ck_assert_int_eq(dkim_signer_field(s, 0, "\r\n", &field), DKIM_OK);
	out = malloc(strlen("DKIM-Signature:") + strlen(field) + 2 + strlen(msg) + 1);
	ck_assert_ptr_nonnull(out);
	sprintf(out, "DKIM-Signature:%s\r\n%s", field, msg);
	free(field);
	dkim_message_free(m);
	dkim_signer_free(s);
	return out;
}

static const char own_msg[] = "From: Alice <alice@example.com>\r\n"
                              "To: bob@example.org\r\n"
                              "Subject:  spaced \r\n\tand folded\r\n"
                              "To: carol@example.org\r\n"
                              "\r\n"
                              "Body  line \r\n\r\n";

START_TEST(test_own)
{
	static const dkim_canon canons[][2] = {{DKIM_CANON_SIMPLE, DKIM_CANON_SIMPLE},
	                                       {DKIM_CANON_RELAXED, DKIM_CANON_RELAXED},
	                                       {DKIM_CANON_RELAXED, DKIM_CANON_SIMPLE},
	                                       {DKIM_CANON_SIMPLE, DKIM_CANON_RELAXED}};
	const dkim_canon *c = canons[_i % 4];
	bool oversign = _i >= 4;
	EVP_PKEY *keys[] = {rsa_key, ed_key};
	size_t k;

	for (k = 0; k < 2; k++) {
		const char *sel = k == 0 ? "rsa" : "ed";
		char *signed_msg = sign_own(own_msg, c[0], c[1], oversign, keys[k]);

		ck_assert_int_eq(judge(signed_msg, "example.com", c[1], sel, keys[k]),
		                 DKIM_VERIFY_PASS);
		/* The two To swapped: bottom-up selection must notice. */
		mutate(&signed_msg, "To: bob@example.org", "To: dave@example.org");
		ck_assert_int_eq(judge(signed_msg, "example.com", c[1], sel, keys[k]),
		                 DKIM_VERIFY_SIGNATURE);
		free(signed_msg);
		/* One more To above the others: oversigned, its absence was signed; else h= takes
		 * the two lowest To fields, which did not change. */
		signed_msg = sign_own(own_msg, c[0], c[1], oversign, keys[k]);
		mutate(&signed_msg, "\r\nFrom: Alice", "\r\nTo: eve@example.net\r\nFrom: Alice");
		ck_assert_int_eq(judge(signed_msg, "example.com", c[1], sel, keys[k]),
		                 (oversign ? DKIM_VERIFY_SIGNATURE : DKIM_VERIFY_PASS));
		/* One more below breaks it either way: it is the lowest now. */
		mutate(&signed_msg, "\r\n\r\nBody", "\r\nTo: eve@example.net\r\n\r\nBody");
		ck_assert_int_eq(judge(signed_msg, "example.com", c[1], sel, keys[k]),
		                 DKIM_VERIFY_SIGNATURE);
		free(signed_msg);
	}
}
END_TEST

/* The body hash of an empty body (relaxed). */
#define BH_EMPTY "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="

/* Past the header caps nothing is judged: the daemon then signs over, never passes. */
START_TEST(test_limit)
{
	dkim_verifier *v;
	enum dkim_verdict out = DKIM_VERIFY_PASS;
	size_t i;

	ck_assert_int_eq(dkim_verifier_new(&v), DKIM_OK);
	ck_assert_int_eq(dkim_verifier_header(v, "DKIM-Signature", " d=example.com; s=rsa; b=x"),
	                 DKIM_OK);
	for (i = 0; i < DKIM_MAX_HEADERS + 5; i++)
		ck_assert_int_eq(dkim_verifier_header(v, "Received", " x"), DKIM_OK);
	ck_assert_int_eq(dkim_verifier_check(v, "example.com", "rsa", DKIM_CANON_RELAXED, BH_EMPTY,
	                                     rsa_key, &out),
	                 DKIM_OK);
	ck_assert_int_eq(out, DKIM_VERIFY_LIMIT);
	/* Not ours, and nothing lost that could be: past the caps still no verdict on it. */
	ck_assert_int_eq(dkim_verifier_check(v, "example.org", "rsa", DKIM_CANON_RELAXED, BH_EMPTY,
	                                     rsa_key, &out),
	                 DKIM_OK);
	ck_assert_int_eq(out, DKIM_VERIFY_NONE);
	/* A DKIM-Signature that came past the caps may be ours: not checked, never passed. */
	ck_assert_int_eq(dkim_verifier_header(v, "dkim-signature", " d=example.org; s=rsa"),
	                 DKIM_OK);
	ck_assert_int_eq(dkim_verifier_check(v, "example.org", "rsa", DKIM_CANON_RELAXED, BH_EMPTY,
	                                     rsa_key, &out),
	                 DKIM_OK);
	ck_assert_int_eq(out, DKIM_VERIFY_LIMIT);
	/* reset starts over */
	dkim_verifier_reset(v);
	ck_assert_int_eq(dkim_verifier_check(v, "example.com", "rsa", DKIM_CANON_RELAXED, BH_EMPTY,
	                                     rsa_key, &out),
	                 DKIM_OK);
	ck_assert_int_eq(out, DKIM_VERIFY_NONE);
	ck_assert_int_eq(dkim_verifier_header(v, "Bad Name", " x"), DKIM_ERR_SYNTAX);
	ck_assert_int_eq(
	    dkim_verifier_check(v, "example.com", "rsa", DKIM_CANON_RELAXED, "x", NULL, &out),
	    DKIM_ERR_INVALID);
	ck_assert_str_eq(dkim_verdict_name(DKIM_VERIFY_BODY), "bad_body_hash");
	dkim_verifier_free(v);
}
END_TEST

/* The header hash input can outgrow its cap only through the DKIM-Signature itself, hashed
 * once more than h= names it: a field of over half the cap named in its own h= makes the input
 * hold it twice. Such a message is not checked, and the check does not fail. */
START_TEST(test_input_cap)
{
	enum dkim_verdict out = DKIM_VERIFY_PASS;
	size_t big = DKIM_MAX_HEADER_BYTES / 2 + 4096, i, o;
	dkim_verifier *v;
	char *sig;

	sig = malloc(big + 256);
	ck_assert_ptr_nonnull(sig);
	o = (size_t)sprintf(sig,
	                    " v=1; a=rsa-sha256; c=relaxed/relaxed; d=example.com; s=rsa; "
	                    "h=From:DKIM-Signature:DKIM-Signature; bh=%s; b=AAAA; z=",
	                    BH_EMPTY);
	for (i = o; i < big; i++)
		sig[i] = 'y';
	sig[big] = '\0';
	ck_assert_int_eq(dkim_verifier_new(&v), DKIM_OK);
	ck_assert_int_eq(dkim_verifier_header(v, "DKIM-Signature", sig), DKIM_OK);
	ck_assert_int_eq(dkim_verifier_header(v, "From", " a@example.com"), DKIM_OK);
	ck_assert_int_eq(dkim_verifier_check(v, "example.com", "rsa", DKIM_CANON_RELAXED, BH_EMPTY,
	                                     rsa_key, &out),
	                 DKIM_OK);
	ck_assert_int_eq(out, DKIM_VERIFY_LIMIT);
	dkim_verifier_free(v);
	free(sig);
}
END_TEST

static Suite *
verify_suite(void)
{
	Suite *s = suite_create("dkim_verify");
	TCase *tc = tcase_create("verify");

	tcase_add_unchecked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, test_dkimpy, 0, (int)(sizeof(vcases) / sizeof(vcases[0])));
	tcase_add_loop_test(tc, test_own, 0, 8);
	tcase_add_test(tc, test_limit);
	tcase_add_test(tc, test_input_cap);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return check_run(verify_suite(), NULL);
}
