/*
 * check_dkim_signer: the public signer API: option checks, call order,
 * errors, limits, LF and CRLF folds, reuse after reset.
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

START_TEST(test_opts_refused)
{
	static const char *const no_from[] = {"To", "Subject"};
	static const char *const colon[] = {"From", "X:Y"};
	static const char *const semi[] = {"From", "X;Y"};
	static const char *const space[] = {"From", "X Y"};
	static const char *const empty[] = {"From", ""};
	static const char *const lower[] = {"from", "to"};
	static const char *const dup[] = {"From", "FROM", "from"};
	const char *many[DKIM_MAX_SIGN_NAMES + 1];
	struct dkim_sign_opts o = {DKIM_CANON_RELAXED, DKIM_CANON_RELAXED, NULL, 0, false, T0, 0};
	dkim_signer *s = (dkim_signer *)1;
	size_t i;

	ck_assert_int_eq(dkim_signer_new(NULL, &s), DKIM_ERR_INVALID);
	ck_assert_int_eq(dkim_signer_new(&o, NULL), DKIM_ERR_INVALID);
	o.headers = no_from;
	o.nheaders = 2;
	ck_assert_int_eq(dkim_signer_new(&o, &s), DKIM_ERR_INVALID);
	ck_assert_ptr_null(s);
	o.headers = colon;
	ck_assert_int_eq(dkim_signer_new(&o, &s), DKIM_ERR_INVALID);
	o.headers = semi;
	ck_assert_int_eq(dkim_signer_new(&o, &s), DKIM_ERR_INVALID);
	o.headers = space;
	ck_assert_int_eq(dkim_signer_new(&o, &s), DKIM_ERR_INVALID);
	o.headers = empty;
	ck_assert_int_eq(dkim_signer_new(&o, &s), DKIM_ERR_INVALID);
	o.headers = hdrs_fts;
	o.nheaders = 0;
	ck_assert_int_eq(dkim_signer_new(&o, &s), DKIM_ERR_INVALID);
	for (i = 0; i < DKIM_MAX_SIGN_NAMES + 1; i++)
		many[i] = "From";
	o.headers = many;
	o.nheaders = DKIM_MAX_SIGN_NAMES + 1;
	ck_assert_int_eq(dkim_signer_new(&o, &s), DKIM_ERR_INVALID);
	o.headers = NULL;
	o.hdr_canon = (dkim_canon)7;
	ck_assert_int_eq(dkim_signer_new(&o, &s), DKIM_ERR_INVALID);
	o.hdr_canon = DKIM_CANON_SIMPLE;
	o.expire_after = -1;
	ck_assert_int_eq(dkim_signer_new(&o, &s), DKIM_ERR_INVALID);
	o.expire_after = 3600;
	o.timestamp = 0;
	ck_assert_int_eq(dkim_signer_new(&o, &s), DKIM_ERR_INVALID);
	/* accepted: From in any case, duplicates */
	o.expire_after = 0;
	o.headers = lower;
	o.nheaders = 2;
	ck_assert_int_eq(dkim_signer_new(&o, &s), DKIM_OK);
	dkim_signer_free(s);
	o.headers = dup;
	o.nheaders = 3;
	ck_assert_int_eq(dkim_signer_new(&o, &s), DKIM_OK);
	dkim_signer_free(s);
	dkim_signer_free(NULL);
}
END_TEST

START_TEST(test_add_refused)
{
	dkim_signer *s = new_signer(DKIM_CANON_RELAXED, DKIM_CANON_RELAXED, NULL, 0, false);
	size_t i, idx = 99;

	ck_assert_int_eq(dkim_signer_add(s, DKIM_ALG_RSA_SHA256, "", "s", NULL, NULL),
	                 DKIM_ERR_INVALID);
	ck_assert_int_eq(dkim_signer_add(s, DKIM_ALG_RSA_SHA256, "a..b", "s", NULL, NULL),
	                 DKIM_ERR_INVALID);
	ck_assert_int_eq(dkim_signer_add(s, DKIM_ALG_RSA_SHA256, "ex ample.com", "s", NULL, NULL),
	                 DKIM_ERR_INVALID);
	ck_assert_int_eq(dkim_signer_add(s, DKIM_ALG_RSA_SHA256, "example.com.", "s", NULL, NULL),
	                 DKIM_ERR_INVALID);
	ck_assert_int_eq(dkim_signer_add(s, DKIM_ALG_RSA_SHA256, "example.com", "s;x", NULL, NULL),
	                 DKIM_ERR_INVALID);
	ck_assert_int_eq(dkim_signer_add(s, DKIM_ALG_RSA_SHA256, "example.com", NULL, NULL, NULL),
	                 DKIM_ERR_INVALID);
	ck_assert_int_eq(dkim_signer_add(s, (dkim_alg)9, "example.com", "s", NULL, NULL),
	                 DKIM_ERR_INVALID);
	ck_assert_int_eq(
	    dkim_signer_add(s, DKIM_ALG_RSA_SHA256, "example.com", "s", "@other.com", NULL),
	    DKIM_ERR_INVALID);
	ck_assert_int_eq(
	    dkim_signer_add(s, DKIM_ALG_RSA_SHA256, "example.com", "s", "@notexample.com", NULL),
	    DKIM_ERR_INVALID);
	ck_assert_int_eq(
	    dkim_signer_add(s, DKIM_ALG_RSA_SHA256, "example.com", "s", "no-at-sign", NULL),
	    DKIM_ERR_INVALID);
	ck_assert_int_eq(dkim_signer_count(s), 0);
	ck_assert_int_eq(dkim_signer_add(s, DKIM_ALG_RSA_SHA256, "Example.COM", "sel.2026",
	                                 "u@mail.example.com", &idx),
	                 DKIM_OK);
	ck_assert_uint_eq(idx, 0);
	for (i = 1; i < DKIM_MAX_SIGNATURES; i++)
		ck_assert_int_eq(
		    dkim_signer_add(s, DKIM_ALG_ED25519_SHA256, "example.com", "s", NULL, &idx),
		    DKIM_OK);
	ck_assert_uint_eq(idx, DKIM_MAX_SIGNATURES - 1);
	ck_assert_int_eq(
	    dkim_signer_add(s, DKIM_ALG_ED25519_SHA256, "example.com", "s", NULL, NULL),
	    DKIM_ERR_LIMIT);
	ck_assert_uint_eq(dkim_signer_count(s), DKIM_MAX_SIGNATURES);
	dkim_signer_free(s);
}
END_TEST

START_TEST(test_call_order)
{
	dkim_signer *s = new_signer(DKIM_CANON_RELAXED, DKIM_CANON_RELAXED, NULL, 0, false);
	const unsigned char *tbs;
	char *f;

	ck_assert_int_eq(dkim_signer_header(s, "From", " a@example.com"), DKIM_OK);
	/* no signature yet */
	ck_assert_int_eq(dkim_signer_end(s), DKIM_ERR_STATE);
	ck_assert_int_eq(dkim_signer_body(s, (const unsigned char *)"x", 1), DKIM_OK);
	ck_assert_int_eq(dkim_signer_body(s, NULL, 1), DKIM_ERR_INVALID);
	ck_assert_int_eq(dkim_signer_body(s, NULL, 0), DKIM_OK);
	ck_assert_int_eq(dkim_signer_header(s, "To", " b@example.com"), DKIM_ERR_STATE);
	/* adding during the body is allowed (the daemon decides at end of headers) */
	ck_assert_int_eq(
	    dkim_signer_add(s, DKIM_ALG_ED25519_SHA256, "example.com", "s", NULL, NULL), DKIM_OK);
	ck_assert_int_eq(dkim_signer_digest(s, 0, &tbs, NULL), DKIM_ERR_STATE);
	ck_assert_int_eq(dkim_signer_set_signature(s, 0, (const unsigned char *)"x", 1),
	                 DKIM_ERR_STATE);
	ck_assert_ptr_null(dkim_signer_bodyhash(s));
	ck_assert_int_eq(dkim_signer_end(s), DKIM_OK);
	ck_assert_ptr_nonnull(dkim_signer_bodyhash(s));
	ck_assert_int_eq(dkim_signer_end(s), DKIM_ERR_STATE);
	ck_assert_int_eq(
	    dkim_signer_add(s, DKIM_ALG_ED25519_SHA256, "example.com", "s", NULL, NULL),
	    DKIM_ERR_STATE);
	ck_assert_int_eq(dkim_signer_body(s, (const unsigned char *)"x", 1), DKIM_ERR_STATE);
	ck_assert_int_eq(dkim_signer_set_time(s, T0), DKIM_ERR_STATE);
	ck_assert_int_eq(dkim_signer_field(s, 0, "\r\n", &f), DKIM_ERR_STATE);
	ck_assert_int_eq(dkim_signer_digest(s, 1, &tbs, NULL), DKIM_ERR_INVALID);
	ck_assert_int_eq(dkim_signer_digest(s, 0, NULL, NULL), DKIM_ERR_INVALID);
	ck_assert_int_eq(dkim_signer_digest(s, 0, &tbs, NULL), DKIM_OK);
	/* Ed25519 signatures are 64 bytes */
	ck_assert_int_eq(dkim_signer_set_signature(s, 0, tbs, 32), DKIM_ERR_INVALID);
	set_dummy_sig(s, 0, 64);
	ck_assert_int_eq(dkim_signer_field(s, 0, "\t", &f), DKIM_ERR_INVALID);
	ck_assert_int_eq(dkim_signer_field(s, 0, "\r\n", &f), DKIM_OK);
	free(f);
	/* reset forgets message and signatures */
	dkim_signer_reset(s);
	ck_assert_uint_eq(dkim_signer_count(s), 0);
	ck_assert_int_eq(dkim_signer_header(s, "From", " a@example.com"), DKIM_OK);
	dkim_signer_free(s);
}
END_TEST

START_TEST(test_bad_header_and_no_from)
{
	dkim_signer *s = new_signer(DKIM_CANON_RELAXED, DKIM_CANON_RELAXED, NULL, 0, false);

	ck_assert_int_eq(dkim_signer_header(s, "", " x"), DKIM_ERR_SYNTAX);
	dkim_signer_reset(s);
	ck_assert_int_eq(dkim_signer_header(s, "Bad Name", " x"), DKIM_ERR_SYNTAX);
	dkim_signer_reset(s);
	ck_assert_int_eq(dkim_signer_header(s, "A:B", " x"), DKIM_ERR_SYNTAX);
	dkim_signer_reset(s);
	ck_assert_int_eq(dkim_signer_header(s, "X\x01", " x"), DKIM_ERR_SYNTAX);
	dkim_signer_reset(s);
	ck_assert_int_eq(dkim_signer_header(s, "Na\xc3\xafve", " x"), DKIM_ERR_SYNTAX);
	dkim_signer_reset(s);
	ck_assert_int_eq(dkim_signer_header(s, NULL, " x"), DKIM_ERR_INVALID);
	/* trailing WSP in a received name is allowed ("Subject :") */
	ck_assert_int_eq(dkim_signer_header(s, "Subject ", " x"), DKIM_OK);
	/* a message without From cannot be signed */
	ck_assert_int_eq(dkim_signer_header(s, "To", " x@example.com"), DKIM_OK);
	ck_assert_int_eq(dkim_signer_add(s, DKIM_ALG_RSA_SHA256, "example.com", "s", NULL, NULL),
	                 DKIM_OK);
	ck_assert_int_eq(dkim_signer_end(s), DKIM_ERR_SYNTAX);
	/* after an error only reset helps */
	ck_assert_int_eq(dkim_signer_end(s), DKIM_ERR_STATE);
	dkim_signer_reset(s);
	ck_assert_int_eq(dkim_signer_header(s, "From", " a@example.com"), DKIM_OK);
	ck_assert_int_eq(dkim_signer_add(s, DKIM_ALG_RSA_SHA256, "example.com", "s", NULL, NULL),
	                 DKIM_OK);
	ck_assert_int_eq(dkim_signer_end(s), DKIM_OK);
	dkim_signer_free(s);
}
END_TEST

START_TEST(test_limits)
{
	dkim_signer *s = new_signer(DKIM_CANON_RELAXED, DKIM_CANON_RELAXED, NULL, 0, false);
	size_t i, big = DKIM_MAX_HEADER_BYTES;
	char *v;

	/* unsigned names are not kept, so they do not count */
	for (i = 0; i < 5 * DKIM_MAX_HEADERS; i++)
		ck_assert_int_eq(dkim_signer_header(s, "Received", " from x by y"), DKIM_OK);
	for (i = 0; i < DKIM_MAX_HEADERS; i++)
		ck_assert_int_eq(dkim_signer_header(s, "To", " x@example.com"), DKIM_OK);
	ck_assert_int_eq(dkim_signer_header(s, "From", " a@example.com"), DKIM_ERR_LIMIT);
	dkim_signer_reset(s);
	v = malloc(big + 1);
	ck_assert_ptr_nonnull(v);
	memset(v, 'a', big);
	v[0] = ' ';
	v[big] = '\0';
	ck_assert_int_eq(dkim_signer_header(s, "Subject", v), DKIM_ERR_LIMIT);
	dkim_signer_reset(s);
	v[big / 2] = '\0';
	ck_assert_int_eq(dkim_signer_header(s, "Subject", v), DKIM_OK);
	ck_assert_int_eq(dkim_signer_header(s, "Subject", v), DKIM_ERR_LIMIT);
	free(v);
	dkim_signer_free(s);
}
END_TEST

/* Folds with bare LF (Postfix) and CRLF hash the same; reuse after reset. */
START_TEST(test_lf_crlf_and_reuse)
{
	static const char *const values[2][2] = {{" first line\n\tsecond", " a@example.com"},
	                                         {" first line\r\n\tsecond", " a@example.com"}};
	unsigned char first[32];
	dkim_signer *s = new_signer(DKIM_CANON_SIMPLE, DKIM_CANON_SIMPLE, NULL, 0, true);
	int round;

	for (round = 0; round < 4; round++) {
		const unsigned char *tbs;

		ck_assert_int_eq(dkim_signer_header(s, "Subject", values[round & 1][0]), DKIM_OK);
		ck_assert_int_eq(dkim_signer_header(s, "From", values[round & 1][1]), DKIM_OK);
		ck_assert_int_eq(dkim_signer_body(s, (const unsigned char *)"b\n", 2), DKIM_OK);
		ck_assert_int_eq(
		    dkim_signer_add(s, DKIM_ALG_ED25519_SHA256, "example.com", "s", NULL, NULL),
		    DKIM_OK);
		ck_assert_int_eq(dkim_signer_end(s), DKIM_OK);
		ck_assert_int_eq(dkim_signer_digest(s, 0, &tbs, NULL), DKIM_OK);
		if (round == 0)
			memcpy(first, tbs, 32);
		else
			ck_assert_mem_eq(first, tbs, 32);
		dkim_signer_reset(s);
	}
	/* a different body gives a different digest: the check above can fail */
	{
		const unsigned char *tbs;

		ck_assert_int_eq(dkim_signer_header(s, "Subject", values[0][0]), DKIM_OK);
		ck_assert_int_eq(dkim_signer_header(s, "From", values[0][1]), DKIM_OK);
		ck_assert_int_eq(dkim_signer_body(s, (const unsigned char *)"c\n", 2), DKIM_OK);
		ck_assert_int_eq(
		    dkim_signer_add(s, DKIM_ALG_ED25519_SHA256, "example.com", "s", NULL, NULL),
		    DKIM_OK);
		ck_assert_int_eq(dkim_signer_end(s), DKIM_OK);
		ck_assert_int_eq(dkim_signer_digest(s, 0, &tbs, NULL), DKIM_OK);
		ck_assert(memcmp(first, tbs, 32) != 0);
	}
	dkim_signer_free(s);
}
END_TEST

static Suite *
signer_suite(void)
{
	Suite *s = suite_create("dkim_signer");
	TCase *tc = tcase_create("signer");

	tcase_add_test(tc, test_opts_refused);
	tcase_add_test(tc, test_add_refused);
	tcase_add_test(tc, test_call_order);
	tcase_add_test(tc, test_bad_header_and_no_from);
	tcase_add_test(tc, test_limits);
	tcase_add_test(tc, test_lf_crlf_and_reuse);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return check_run(signer_suite(), NULL);
}
