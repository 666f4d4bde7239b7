/*
 * check_dkim_sigtext: what the signer hashes and writes: golden header hash
 * inputs worked out by hand, the digest to sign, h= selection
 * (bottom-up, case-insensitive, absent names, oversigning), the
 * DKIM-Signature text, its tags and its folding.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <openssl/evp.h>

#include "dkim/dkim.h"
#include "tests/dkim/signer-util.h"
#include "tests/dkim/testutil.h"
#include "tests/lib/check_main.h"

/* The hash input worked out by hand for relaxed/relaxed. */
START_TEST(test_golden_relaxed)
{
	dkim_signer *s = new_signer(DKIM_CANON_RELAXED, DKIM_CANON_RELAXED, hdrs_fts, 3, false);
	unsigned char bh[32], digest[32];
	char bh64[45], want[1024], *in, *f;
	const unsigned char *tbs;
	size_t len;
	dkim_alg alg;

	feed_basic(s);
	ck_assert_int_eq(
	    dkim_signer_add(s, DKIM_ALG_ED25519_SHA256, "example.com", "sel", NULL, NULL), DKIM_OK);
	ck_assert_int_eq(dkim_signer_add(s, DKIM_ALG_RSA_SHA256, "example.net", "rsa", NULL, NULL),
	                 DKIM_OK);
	ck_assert_int_eq(dkim_signer_end(s), DKIM_OK);
	tu_sha256("Hi\r\n", 4, bh);
	b64(bh, 32, bh64);
	ck_assert_str_eq(dkim_signer_bodyhash(s), bh64);
	snprintf(want, sizeof(want),
	         "from:A <a@example.com>\r\n"
	         "to:second@example.org\r\n"
	         "to:first@example.org\r\n"
	         "subject:Hi there\r\n"
	         "dkim-signature:v=1; a=ed25519-sha256; c=relaxed/relaxed; d=example.com; s=sel; "
	         "t=%d; h=From:To:To:Subject; bh=%s; b=",
	         T0, bh64);
	ck_assert_int_eq(dkim_signer_hash_input(s, 0, &in, &len), DKIM_OK);
	ck_assert_msg(len == strlen(want) && memcmp(in, want, len) == 0, "got \"%s\"",
	              tu_show(in, len));
	free(in);
	ck_assert_int_eq(dkim_signer_digest(s, 0, &tbs, &alg), DKIM_OK);
	tu_sha256(want, strlen(want), digest);
	ck_assert_int_eq(alg, DKIM_ALG_ED25519_SHA256);
	ck_assert_mem_eq(tbs, digest, DKIM_DIGEST_LEN);

	/* the RSA one: SHA-256 of its own hash input (the token wraps it in a DigestInfo) */
	ck_assert_int_eq(dkim_signer_hash_input(s, 1, &in, &len), DKIM_OK);
	ck_assert_ptr_nonnull(strstr(in, "a=rsa-sha256; c=relaxed/relaxed; d=example.net; s=rsa;"));
	tu_sha256(in, len, digest);
	free(in);
	ck_assert_int_eq(dkim_signer_digest(s, 1, &tbs, &alg), DKIM_OK);
	ck_assert_int_eq(alg, DKIM_ALG_RSA_SHA256);
	ck_assert_mem_eq(tbs, digest, DKIM_DIGEST_LEN);

	/* the inserted field, its b= value removed and relaxed by hand, is
	 * what was hashed; its b= value is the signature */
	set_dummy_sig(s, 0, 64);
	ck_assert_int_eq(dkim_signer_field(s, 0, "\r\n", &f), DKIM_OK);
	{
		const char *hashed = strstr(want, "dkim-signature:") + 15;
		char *bv = tag(f, "b"), *cut = strstr(f, "\tb="), relaxed[1024], *o = relaxed;
		unsigned char sig[64];
		char sig64[100];
		bool wsp = false;
		const char *p;
		size_t k;

		ck_assert_ptr_nonnull(cut);
		for (p = f; p < cut + 3; p++) {
			if (*p == '\r' || *p == '\n')
				continue;
			if (*p == ' ' || *p == '\t') {
				wsp = true;
				continue;
			}
			if (wsp && o > relaxed)
				*o++ = ' ';
			wsp = false;
			*o++ = *p;
		}
		*o = '\0';
		ck_assert_str_eq(relaxed, hashed);
		for (k = 0; k < 64; k++)
			sig[k] = (unsigned char)(k * 7 + 1);
		b64(sig, 64, sig64);
		ck_assert_str_eq(bv, sig64);
		free(bv);
	}
	free(f);
	dkim_signer_free(s);
}
END_TEST

/* simple/simple: the headers byte for byte, and the DKIM-Signature exactly as
 * inserted (folds included) with b= empty. */
START_TEST(test_golden_simple)
{
	dkim_signer *s = new_signer(DKIM_CANON_SIMPLE, DKIM_CANON_SIMPLE, hdrs_fts, 3, false);
	const char *block = "From: A <a@example.com>\r\n"
	                    "To: second@example.org\r\n"
	                    "To: first@example.org\r\n"
	                    "Subject:  Hi \r\n\tthere \r\n";
	char *in, *f, *bpos;
	size_t len, bl = strlen(block), k;

	feed_basic(s);
	ck_assert_int_eq(dkim_signer_add(s, DKIM_ALG_RSA_SHA256, "example.com", "sel", NULL, NULL),
	                 DKIM_OK);
	ck_assert_int_eq(dkim_signer_end(s), DKIM_OK);
	ck_assert_int_eq(dkim_signer_hash_input(s, 0, &in, &len), DKIM_OK);
	ck_assert_msg(len > bl && memcmp(in, block, bl) == 0, "got \"%s\"", tu_show(in, len));
	set_dummy_sig(s, 0, 256);
	ck_assert_int_eq(dkim_signer_field(s, 0, "\r\n", &f), DKIM_OK);
	/* hashed = "DKIM-Signature:" + field up to and including "b=" */
	bpos = strstr(f, "\tb=");
	ck_assert_ptr_nonnull(bpos);
	k = (size_t)(bpos - f) + 3;
	ck_assert_uint_eq(len, bl + 15 + k);
	ck_assert_mem_eq(in + bl, "DKIM-Signature:", 15);
	ck_assert_mem_eq(in + bl + 15, f, k);
	free(in);
	free(f);
	dkim_signer_free(s);
}
END_TEST

/* One Ed25519 signature over the fields fed to s: its h= (the caller frees it). */
static char *
one_sig_h(dkim_signer *s)
{
	char *f, *h;

	ck_assert_int_eq(
	    dkim_signer_add(s, DKIM_ALG_ED25519_SHA256, "example.com", "s", NULL, NULL), DKIM_OK);
	ck_assert_int_eq(dkim_signer_end(s), DKIM_OK);
	set_dummy_sig(s, 0, 64);
	ck_assert_int_eq(dkim_signer_field(s, 0, "\r\n", &f), DKIM_OK);
	h = tag(f, "h");
	free(f);
	return h;
}

START_TEST(test_hsel_and_oversign)
{
	static const char *const names[] = {"From", "To", "Cc", "Reply-To"};
	static const struct {
		bool oversign;
		const char *h;
	} cases[] = {
	    {false, "From:To:To"},
	    {true, "From:From:To:To:To:Cc:Reply-To"},
	};
	char *in[2] = {NULL, NULL};
	size_t len[2], c;

	for (c = 0; c < 2; c++) {
		dkim_signer *s =
		    new_signer(DKIM_CANON_RELAXED, DKIM_CANON_SIMPLE, names, 4, cases[c].oversign);
		char *h;

		/* case-insensitive names, the configured spelling goes into h= */
		ck_assert_int_eq(dkim_signer_header(s, "to", " one@example.org"), DKIM_OK);
		ck_assert_int_eq(dkim_signer_header(s, "FROM", " a@example.com"), DKIM_OK);
		ck_assert_int_eq(dkim_signer_header(s, "X-Mailer", " m"), DKIM_OK);
		ck_assert_int_eq(dkim_signer_header(s, "TO", " two@example.org"), DKIM_OK);
		h = one_sig_h(s);
		ck_assert_str_eq(h, cases[c].h);
		ck_assert_int_eq(dkim_signer_hash_input(s, 0, &in[c], &len[c]), DKIM_OK);
		/* bottom-up: the last To first */
		ck_assert_msg(
		    strncmp(in[c],
		            "from:a@example.com\r\nto:two@example.org\r\nto:one@example.org\r\n"
		            "dkim-signature:",
		            strlen("from:a@example.com\r\nto:two@example.org\r\n"
		                   "to:one@example.org\r\ndkim-signature:")) == 0,
		    "got \"%s\"", tu_show(in[c], len[c]));
		free(h);
		dkim_signer_free(s);
	}
	/* oversigning adds null entries: the selected headers are the same */
	ck_assert_ptr_nonnull(strstr(in[1], "dkim-signature:"));
	ck_assert_uint_eq((size_t)(strstr(in[0], "dkim-signature:") - in[0]),
	                  (size_t)(strstr(in[1], "dkim-signature:") - in[1]));
	free(in[0]);
	free(in[1]);
}
END_TEST

/* Date and Message-ID, absent, stay out of h= even when oversigning: Sendmail adds them
 * after its milters ran, and a listed absent field would break the signature. Present, they
 * are oversigned like any other field. */
START_TEST(test_oversign_mta_added)
{
	static const char *const names[] = {"From", "Date", "message-id", "Reply-To"};
	static const struct {
		bool oversign, date, msgid;
		const char *h;
	} cases[] = {
	    {true, false, false, "From:From:Reply-To"},
	    {true, true, false, "From:From:Date:Date:Reply-To"},
	    {true, true, true, "From:From:Date:Date:message-id:message-id:Reply-To"},
	    {false, false, true, "From:message-id"},
	};
	size_t c;

	for (c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		dkim_signer *s =
		    new_signer(DKIM_CANON_RELAXED, DKIM_CANON_SIMPLE, names, 4, cases[c].oversign);
		char *h;

		ck_assert_int_eq(dkim_signer_header(s, "From", " a@example.com"), DKIM_OK);
		if (cases[c].date)
			ck_assert_int_eq(
			    dkim_signer_header(s, "DATE", " Sun, 6 Dec 2026 04:40:45 +0000"),
			    DKIM_OK);
		if (cases[c].msgid)
			ck_assert_int_eq(dkim_signer_header(s, "Message-Id", " <x@example.com>"),
			                 DKIM_OK);
		h = one_sig_h(s);
		ck_assert_msg(strcmp(h, cases[c].h) == 0, "case %zu: h=%s, expected %s", c, h,
		              cases[c].h);
		free(h);
		dkim_signer_free(s);
	}
}
END_TEST

START_TEST(test_default_list)
{
	dkim_signer *s = new_signer(DKIM_CANON_RELAXED, DKIM_CANON_RELAXED, NULL, 0, false);
	char *f, *h;

	ck_assert_int_eq(dkim_signer_header(s, "Received", " from x"), DKIM_OK);
	ck_assert_int_eq(dkim_signer_header(s, "subject", " s"), DKIM_OK);
	ck_assert_int_eq(dkim_signer_header(s, "From", " a@example.com"), DKIM_OK);
	ck_assert_int_eq(
	    dkim_signer_header(s, "List-Unsubscribe-Post", " List-Unsubscribe=One-Click"), DKIM_OK);
	ck_assert_int_eq(dkim_signer_add(s, DKIM_ALG_RSA_SHA256, "example.com", "s", NULL, NULL),
	                 DKIM_OK);
	ck_assert_int_eq(dkim_signer_end(s), DKIM_OK);
	set_dummy_sig(s, 0, 128);
	ck_assert_int_eq(dkim_signer_field(s, 0, "\r\n", &f), DKIM_OK);
	h = tag(f, "h");
	ck_assert_str_eq(h, "From:Subject:List-Unsubscribe-Post");
	free(h);
	free(f);
	dkim_signer_free(s);
}
END_TEST

/* Tags, folding width, eol, i= encoding, t= and x=, never rsa-sha1. */
START_TEST(test_field_text)
{
	static const char *const names[] = {"From",         "To",           "Cc",
	                                    "Subject",      "Date",         "Message-ID",
	                                    "Reply-To",     "In-Reply-To",  "References",
	                                    "MIME-Version", "Content-Type", "X-A-Rather-Long-Name"};
	struct dkim_sign_opts o = {
	    DKIM_CANON_SIMPLE, DKIM_CANON_RELAXED, names, 12, true, T0, 86400};
	dkim_signer *s;
	char *crlf, *lf, *v, *line, *save;
	size_t i;

	ck_assert_int_eq(dkim_signer_new(&o, &s), DKIM_OK);
	ck_assert_int_eq(dkim_signer_set_time(s, T0 + 5), DKIM_OK);
	ck_assert_int_eq(dkim_signer_header(s, "From", " a@example.com"), DKIM_OK);
	ck_assert_int_eq(dkim_signer_add(s, DKIM_ALG_RSA_SHA256, "mail.example.com", "s2026",
	                                 "us;er=x y@mail.example.com", NULL),
	                 DKIM_OK);
	ck_assert_int_eq(dkim_signer_end(s), DKIM_OK);
	set_dummy_sig(s, 0, 512);
	ck_assert_int_eq(dkim_signer_field(s, 0, "\r\n", &crlf), DKIM_OK);
	ck_assert_int_eq(dkim_signer_field(s, 0, "\n", &lf), DKIM_OK);
	{
		const char *start = " v=1; a=rsa-sha256; c=simple/relaxed; d=mail.example.com;";
		ck_assert_msg(strncmp(crlf, start, strlen(start)) == 0, "%s", crlf);
	}
	ck_assert_ptr_null(strstr(crlf, "sha1"));
	v = tag(crlf, "t");
	ck_assert_int_eq(atol(v), T0 + 5);
	free(v);
	v = tag(crlf, "x");
	ck_assert_int_eq(atol(v), T0 + 5 + 86400);
	free(v);
	v = tag(crlf, "i");
	ck_assert_str_eq(v, "us=3Ber=3Dx=20y@mail.example.com");
	free(v);
	v = tag(crlf, "bh");
	ck_assert_str_eq(v, dkim_signer_bodyhash(s));
	free(v);
	/* the same text whatever the eol */
	{
		char *u1 = unfold(crlf), *u2 = unfold(lf);
		ck_assert_str_eq(u1, u2);
		ck_assert_ptr_null(strchr(lf, '\r'));
		free(u1);
		free(u2);
	}
	/* every line within 76 columns (tab = 8, "DKIM-Signature:" counted),
	 * every continuation line starts with a TAB, no empty line */
	for (i = 0, line = strtok_r(crlf, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save), i++) {
		size_t len = strlen(line), col;
		ck_assert_msg(len > 0 && line[len - 1] == '\r' ? 1 : i > 0 && !strchr(line, '\r'),
		              "line %zu", i);
		if (line[len - 1] == '\r')
			len--;
		col = i == 0 ? 15 + len : 8 + len - 1;
		if (i > 0)
			ck_assert_int_eq(line[0], '\t');
		ck_assert_msg(col <= 76, "line %zu is %zu columns: %s", i, col, line);
		ck_assert_msg(len > 1, "empty line %zu", i);
	}
	ck_assert_uint_ge(i, 10); /* a 4096-bit signature spans several lines */
	free(crlf);
	free(lf);
	dkim_signer_free(s);
}
END_TEST

static Suite *
sigtext_suite(void)
{
	Suite *s = suite_create("dkim_sigtext");
	TCase *tc = tcase_create("sigtext");

	tcase_add_test(tc, test_golden_relaxed);
	tcase_add_test(tc, test_golden_simple);
	tcase_add_test(tc, test_hsel_and_oversign);
	tcase_add_test(tc, test_oversign_mta_added);
	tcase_add_test(tc, test_default_list);
	tcase_add_test(tc, test_field_text);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return check_run(sigtext_suite(), NULL);
}
