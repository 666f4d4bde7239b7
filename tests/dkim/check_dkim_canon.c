/*
 * check_dkim_canon: header and body canonicalization tables worked out from
 * RFC 6376 3.4 (including the 3.4.5 example), each body case fed whole and
 * byte by byte; names and parsing of canonicalizations and algorithms.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "dkim/dkim.h"
#include "dkim/dkim_buf.h"
#include "dkim/dkim_canon.h"
#include "tests/dkim/testutil.h"
#include "tests/lib/check_main.h"

struct hdr_case {
	const char *name, *value; /* as a milter passes them */
	const char *simple, *relaxed;
};

static const struct hdr_case hdr_cases[] = {
    /* RFC 6376 3.4.5 */
    {"A", " X", "A: X\r\n", "a:X\r\n"},
    {"B ", " Y\t\r\n\tZ  ", "B : Y\t\r\n\tZ  \r\n", "b:Y Z\r\n"},
    /* the same fold with Postfix's bare LF */
    {"B ", " Y\t\n\tZ  ", "B : Y\t\r\n\tZ  \r\n", "b:Y Z\r\n"},
    {"From", " a@example.com", "From: a@example.com\r\n", "from:a@example.com\r\n"},
    /* folded right after the colon: relaxed drops that WSP too */
    {"Subject", "\r\n foo bar", "Subject:\r\n foo bar\r\n", "subject:foo bar\r\n"},
    {"Subject", "\n\tfoo", "Subject:\r\n\tfoo\r\n", "subject:foo\r\n"},
    {"Subject", "   \r\n   foo", "Subject:   \r\n   foo\r\n", "subject:foo\r\n"},
    /* no space after the colon (SMFIP_HDR_LEADSPC keeps it exact) */
    {"From", "a@example.com", "From:a@example.com\r\n", "from:a@example.com\r\n"},
    {"From", "\t  a@example.com", "From:\t  a@example.com\r\n", "from:a@example.com\r\n"},
    /* bare header names */
    {"X-Empty", "", "X-Empty:\r\n", "x-empty:\r\n"},
    {"X-Blank", "   \t", "X-Blank:   \t\r\n", "x-blank:\r\n"},
    {"X-Fold", "\r\n ", "X-Fold:\r\n \r\n", "x-fold:\r\n"},
    /* case, inner runs, trailing WSP */
    {"MiXeD-CaSe", "\tv  a \t l \t", "MiXeD-CaSe:\tv  a \t l \t\r\n", "mixed-case:v a l\r\n"},
    {"To", " a,\n\tb,\r\n c", "To: a,\r\n\tb,\r\n c\r\n", "to:a, b, c\r\n"},
    /* 8-bit (RFC 6532) bytes are kept */
    {"Subject", " caf\xc3\xa9  x", "Subject: caf\xc3\xa9  x\r\n", "subject:caf\xc3\xa9 x\r\n"},
    /* a lone CR is part of the value, not a line end (issue 16, L10) */
    {"X", " a\rb", "X: a\rb\r\n", "x:a\rb\r\n"},
    {"X", " a \r b", "X: a \r b\r\n", "x:a \r b\r\n"},
    /* a CRLF already present is not doubled */
    {"X", " a\r\n b", "X: a\r\n b\r\n", "x:a b\r\n"},
};

START_TEST(test_header_canon)
{
	const struct hdr_case *c = &hdr_cases[_i];
	struct dkim_buf raw = {0}, out = {0};

	ck_assert_int_eq(dkim_canon_store(&raw, c->name, strlen(c->name), c->value), DKIM_OK);
	ck_assert_int_eq(dkim_canon_header(&out, DKIM_CANON_SIMPLE, raw.p, raw.len, true), DKIM_OK);
	ck_assert_msg(out.len == strlen(c->simple) && memcmp(out.p, c->simple, out.len) == 0,
	              "simple %d: got \"%s\"", _i, tu_show(out.p, out.len));
	out.len = 0;
	ck_assert_int_eq(dkim_canon_header(&out, DKIM_CANON_RELAXED, raw.p, raw.len, true),
	                 DKIM_OK);
	ck_assert_msg(out.len == strlen(c->relaxed) && memcmp(out.p, c->relaxed, out.len) == 0,
	              "relaxed %d: got \"%s\"", _i, tu_show(out.p, out.len));
	/* Without the final CRLF (how the DKIM-Signature itself is hashed). */
	out.len = 0;
	ck_assert_int_eq(dkim_canon_header(&out, DKIM_CANON_RELAXED, raw.p, raw.len, false),
	                 DKIM_OK);
	ck_assert_uint_eq(out.len, strlen(c->relaxed) - 2);
	dkim_buf_free(&raw);
	dkim_buf_free(&out);
}
END_TEST

struct body_case {
	const char *in;
	size_t inlen; /* 0: strlen */
	const char *simple, *relaxed;
};

static const struct body_case body_cases[] = {
    /* empty body: simple hashes one CRLF, relaxed nothing */
    {"", 0, "\r\n", ""},
    {"\r\n", 0, "\r\n", ""},
    {"\r\n\r\n\r\n", 0, "\r\n", ""},
    {"\n\n", 0, "\r\n", ""},
    /* RFC 6376 3.4.5 */
    {" C \r\nD \t E\r\n\r\n\r\n", 0, " C \r\nD \t E\r\n", " C\r\nD E\r\n"},
    /* last line without CRLF gets one */
    {"a", 0, "a\r\n", "a\r\n"},
    {"a  ", 0, "a  \r\n", "a\r\n"},
    {"a\r\n", 0, "a\r\n", "a\r\n"},
    /* trailing empty lines go, leading and inner ones stay */
    {"a\r\n\r\n\r\n", 0, "a\r\n", "a\r\n"},
    {"\r\n\r\na\r\n", 0, "\r\n\r\na\r\n", "\r\n\r\na\r\n"},
    {"a\r\n\r\n\r\nb\r\n\r\n", 0, "a\r\n\r\n\r\nb\r\n", "a\r\n\r\n\r\nb\r\n"},
    /* trailing whitespace */
    {"a \r\n", 0, "a \r\n", "a\r\n"},
    {"a\t\t\r\nb \t \r\n", 0, "a\t\t\r\nb \t \r\n", "a\r\nb\r\n"},
    /* inner and leading runs become one SP */
    {"a \t b\r\n", 0, "a \t b\r\n", "a b\r\n"},
    {"\t\t a\r\n", 0, "\t\t a\r\n", " a\r\n"},
    /* whitespace-only lines: kept by simple, empty (and so trailing) in relaxed */
    {"a\r\n \r\n\t\r\n", 0, "a\r\n \r\n\t\r\n", "a\r\n"},
    {"a\r\n \r\nb\r\n", 0, "a\r\n \r\nb\r\n", "a\r\n\r\nb\r\n"},
    {" \r\n", 0, " \r\n", ""},
    {"a\r\n\r\n \r\n", 0, "a\r\n\r\n \r\n", "a\r\n"},
    {"a\r\n \r\n\r\n", 0, "a\r\n \r\n", "a\r\n"},
    /* bare LF ends a line like CRLF */
    {"a\n\nb\n\n", 0, "a\r\n\r\nb\r\n", "a\r\n\r\nb\r\n"},
    {"a \nb\r\n", 0, "a \r\nb\r\n", "a\r\nb\r\n"},
    /* a CR without LF is content */
    {"a\rb\r\n", 0, "a\rb\r\n", "a\rb\r\n"},
    {"a\r", 0, "a\r\r\n", "a\r\r\n"},
    {"\r", 0, "\r\r\n", "\r\r\n"},
    {"a\r\r\n", 0, "a\r\r\n", "a\r\r\n"},
    {"a \r \r\n", 0, "a \r \r\n", "a \r\r\n"},
    /* NUL and 8-bit bytes are content */
    {"a\0b\r\n", 5, "a\0b\r\n", "a\0b\r\n"},
    {"caf\xc3\xa9 \r\n", 0, "caf\xc3\xa9 \r\n", "caf\xc3\xa9\r\n"},
};

static void
check_body(const EVP_MD *md, const struct body_case *c, dkim_canon canon, const char *expect,
           size_t elen)
{
	size_t len = c->inlen ? c->inlen : strlen(c->in);
	unsigned char want[32], got[32];

	tu_sha256(expect, elen, want);
	tu_body_hash(md, canon, (const unsigned char *)c->in, len, NULL, 0, got);
	ck_assert_msg(memcmp(want, got, 32) == 0, "%s whole: \"%s\"", dkim_canon_name(canon),
	              tu_show(c->in, len));
	tu_body_hash_bytes(md, canon, (const unsigned char *)c->in, len, got);
	ck_assert_msg(memcmp(want, got, 32) == 0, "%s bytewise: \"%s\"", dkim_canon_name(canon),
	              tu_show(c->in, len));
}

START_TEST(test_body_canon)
{
	const struct body_case *c = &body_cases[_i];
	EVP_MD *md = EVP_MD_fetch(NULL, "SHA256", NULL);
	size_t sl = strlen(c->simple), rl = strlen(c->relaxed);

	/* expected outputs with an embedded NUL have the input's shape */
	if (c->inlen) {
		sl = c->inlen;
		rl = c->inlen;
	}
	ck_assert_ptr_nonnull(md);
	check_body(md, c, DKIM_CANON_SIMPLE, c->simple, sl);
	check_body(md, c, DKIM_CANON_RELAXED, c->relaxed, rl);
	EVP_MD_free(md);
}
END_TEST

/* A body hash mismatch must be detectable: different bodies, different hashes. */
START_TEST(test_body_canon_distinguishes)
{
	EVP_MD *md = EVP_MD_fetch(NULL, "SHA256", NULL);
	unsigned char h1[32], h2[32];

	tu_body_hash(md, DKIM_CANON_RELAXED, (const unsigned char *)"a b\r\n", 5, NULL, 0, h1);
	tu_body_hash(md, DKIM_CANON_RELAXED, (const unsigned char *)"ab\r\n", 4, NULL, 0, h2);
	ck_assert(memcmp(h1, h2, 32) != 0);
	tu_body_hash(md, DKIM_CANON_SIMPLE, (const unsigned char *)"a\r\n", 3, NULL, 0, h1);
	tu_body_hash(md, DKIM_CANON_SIMPLE, (const unsigned char *)"a \r\n", 4, NULL, 0, h2);
	ck_assert(memcmp(h1, h2, 32) != 0);
	EVP_MD_free(md);
}
END_TEST

START_TEST(test_canon_parse)
{
	static const struct {
		const char *text;
		dkim_status st;
		dkim_canon h, b;
	} cases[] = {
	    {"relaxed/relaxed", DKIM_OK, DKIM_CANON_RELAXED, DKIM_CANON_RELAXED},
	    {"simple/simple", DKIM_OK, DKIM_CANON_SIMPLE, DKIM_CANON_SIMPLE},
	    {"relaxed/simple", DKIM_OK, DKIM_CANON_RELAXED, DKIM_CANON_SIMPLE},
	    {"Simple/Relaxed", DKIM_OK, DKIM_CANON_SIMPLE, DKIM_CANON_RELAXED},
	    {"relaxed", DKIM_OK, DKIM_CANON_RELAXED, DKIM_CANON_SIMPLE},
	    {"simple", DKIM_OK, DKIM_CANON_SIMPLE, DKIM_CANON_SIMPLE},
	    {"", DKIM_ERR_INVALID, 0, 0},
	    {"relaxed/", DKIM_ERR_INVALID, 0, 0},
	    {"/relaxed", DKIM_ERR_INVALID, 0, 0},
	    {"relaxed/relaxed/", DKIM_ERR_INVALID, 0, 0},
	    {"nowsp", DKIM_ERR_INVALID, 0, 0},
	    {"relaxed /simple", DKIM_ERR_INVALID, 0, 0},
	    {"simplex", DKIM_ERR_INVALID, 0, 0},
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		dkim_canon h = (dkim_canon)-1, b = (dkim_canon)-1;
		ck_assert_msg(dkim_canon_parse(cases[i].text, &h, &b) == cases[i].st, "%s",
		              cases[i].text);
		if (cases[i].st == DKIM_OK) {
			ck_assert_int_eq(h, cases[i].h);
			ck_assert_int_eq(b, cases[i].b);
		}
	}
	ck_assert_int_eq(dkim_canon_parse(NULL, NULL, NULL), DKIM_ERR_INVALID);
}
END_TEST

START_TEST(test_names)
{
	dkim_status st;
	size_t n = 0, i;
	const char *const *def = dkim_default_headers(&n);

	ck_assert_str_eq(dkim_alg_name(DKIM_ALG_RSA_SHA256), "rsa-sha256");
	ck_assert_str_eq(dkim_alg_name(DKIM_ALG_ED25519_SHA256), "ed25519-sha256");
	ck_assert_ptr_null(dkim_alg_name((dkim_alg)42));
	ck_assert_str_eq(dkim_canon_name(DKIM_CANON_SIMPLE), "simple");
	ck_assert_str_eq(dkim_canon_name(DKIM_CANON_RELAXED), "relaxed");
	ck_assert_ptr_null(dkim_canon_name((dkim_canon)42));
	for (st = DKIM_OK; st <= DKIM_ERR_CRYPTO; st++)
		ck_assert_ptr_nonnull(dkim_strerror(st));
	ck_assert_str_eq(dkim_strerror((dkim_status)1000), "unknown DKIM status");
	ck_assert_uint_ge(n, 12);
	ck_assert_str_eq(def[0], "From");
	for (i = 0; i < n; i++)
		ck_assert_ptr_nonnull(def[i]);
}
END_TEST

static Suite *
canon_suite(void)
{
	Suite *s = suite_create("dkim_canon");
	TCase *tc = tcase_create("tables");

	tcase_add_loop_test(tc, test_header_canon, 0, sizeof(hdr_cases) / sizeof(hdr_cases[0]));
	tcase_add_loop_test(tc, test_body_canon, 0, sizeof(body_cases) / sizeof(body_cases[0]));
	tcase_add_test(tc, test_body_canon_distinguishes);
	tcase_add_test(tc, test_canon_parse);
	tcase_add_test(tc, test_names);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return check_run(canon_suite(), NULL);
}
