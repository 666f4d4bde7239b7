/*
 * check_dkim_message: splitting a raw message into header fields and body.
 * The reference is the same message handed to the signer field by field;
 * the splitter must give the same digest whatever the chunking (every cut,
 * every pair of cuts, byte by byte), with CRLF or bare LF line ends.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "dkim/dkim.h"
#include "dkim/dkim_message.h"
#include "tests/dkim/testutil.h"
#include "tests/lib/check_main.h"

static const char msg_crlf[] = "From: Alice <a@example.com>\r\n"
                               "Subject:\r\n folded right after the colon\r\n"
                               "To: b@example.org,\r\n\tc@example.org\r\n"
                               "X-Empty:\r\n"
                               "Date:Mon, 23 Nov 2026 19:00:00 +0000\r\n"
                               "\r\n"
                               "body line 1  \r\n"
                               "\r\n"
                               " body line 3\r\n"
                               "\r\n"
                               "\r\n";

static const struct {
	const char *name, *value;
} fields[] = {
    {"From", " Alice <a@example.com>"},           {"Subject", "\r\n folded right after the colon"},
    {"To", " b@example.org,\r\n\tc@example.org"}, {"X-Empty", ""},
    {"Date", "Mon, 23 Nov 2026 19:00:00 +0000"},
};
static const char body[] = "body line 1  \r\n\r\n body line 3\r\n\r\n\r\n";

static const char *const names[] = {"From", "Subject", "To", "Date", "X-Empty"};

static dkim_signer *
signer(dkim_canon c)
{
	struct dkim_sign_opts o = {c, c, names, 5, true, 1700000000, 0};
	dkim_signer *s;

	ck_assert_int_eq(dkim_signer_new(&o, &s), DKIM_OK);
	return s;
}

static void
finish(dkim_signer *s, unsigned char out[32])
{
	const unsigned char *tbs;

	ck_assert_int_eq(
	    dkim_signer_add(s, DKIM_ALG_ED25519_SHA256, "example.com", "s", NULL, NULL), DKIM_OK);
	ck_assert_int_eq(dkim_signer_end(s), DKIM_OK);
	ck_assert_int_eq(dkim_signer_digest(s, 0, &tbs, NULL), DKIM_OK);
	memcpy(out, tbs, 32);
	dkim_signer_reset(s);
}

static void
reference(dkim_signer *s, unsigned char out[32])
{
	size_t i;

	for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
		ck_assert_int_eq(dkim_signer_header(s, fields[i].name, fields[i].value), DKIM_OK);
	ck_assert_int_eq(dkim_signer_body(s, (const unsigned char *)body, strlen(body)), DKIM_OK);
	finish(s, out);
}

struct seen {
	size_t n;
	char names[16][32];
	char values[16][128];
};

static dkim_status
record(void *arg, const char *name, const char *value)
{
	struct seen *sn = arg;

	if (sn->n == 16)
		return DKIM_ERR_LIMIT;
	snprintf(sn->names[sn->n], sizeof(sn->names[0]), "%s", name);
	snprintf(sn->values[sn->n], sizeof(sn->values[0]), "%s", value);
	sn->n++;
	return DKIM_OK;
}

/* Feeds msg cut at the given points. */
static void
split(dkim_signer *s, const char *msg, size_t len, const size_t *cuts, size_t ncuts,
      struct seen *sn, unsigned char out[32])
{
	dkim_message *m;
	size_t i, prev = 0;

	ck_assert_int_eq(dkim_message_new(s, sn ? record : NULL, sn, &m), DKIM_OK);
	for (i = 0; i <= ncuts; i++) {
		size_t next = i < ncuts ? cuts[i] : len;
		ck_assert_int_eq(
		    dkim_message_feed(m, (const unsigned char *)msg + prev, next - prev), DKIM_OK);
		prev = next;
	}
	ck_assert_int_eq(dkim_message_finish(m), DKIM_OK);
	dkim_message_free(m);
	finish(s, out);
}

START_TEST(test_fields_seen)
{
	dkim_signer *s = signer(DKIM_CANON_SIMPLE);
	struct seen sn = {0};
	unsigned char h[32];
	size_t i;

	split(s, msg_crlf, strlen(msg_crlf), NULL, 0, &sn, h);
	ck_assert_uint_eq(sn.n, sizeof(fields) / sizeof(fields[0]));
	for (i = 0; i < sn.n; i++) {
		ck_assert_str_eq(sn.names[i], fields[i].name);
		ck_assert_str_eq(sn.values[i], fields[i].value);
	}
	dkim_signer_free(s);
}
END_TEST

START_TEST(test_every_cut)
{
	size_t len = strlen(msg_crlf), i, j, cuts[2];
	unsigned char want[32], got[32];
	int c;

	for (c = 0; c < 2; c++) {
		dkim_signer *s = signer((dkim_canon)c);

		reference(s, want);
		split(s, msg_crlf, len, NULL, 0, NULL, got);
		ck_assert_mem_eq(want, got, 32);
		for (i = 0; i <= len; i++) {
			cuts[0] = i;
			split(s, msg_crlf, len, cuts, 1, NULL, got);
			ck_assert_msg(memcmp(want, got, 32) == 0, "cut at %zu", i);
		}
		for (i = 0; i <= len; i += 3)
			for (j = i; j <= len; j += 2) {
				cuts[0] = i;
				cuts[1] = j;
				split(s, msg_crlf, len, cuts, 2, NULL, got);
				ck_assert_msg(memcmp(want, got, 32) == 0, "cut at %zu,%zu", i, j);
			}
		{
			size_t bytes[sizeof(msg_crlf)];
			for (i = 0; i < len; i++)
				bytes[i] = i;
			split(s, msg_crlf, len, bytes, len, NULL, got);
			ck_assert_mem_eq(want, got, 32);
		}
		dkim_signer_free(s);
	}
}
END_TEST

/* The same message with bare LF line ends (as a local file or Postfix
 * would hand it) signs the same. */
START_TEST(test_lf_message)
{
	char lf[sizeof(msg_crlf)];
	size_t i, o = 0;
	unsigned char want[32], got[32];
	int c;

	for (i = 0; msg_crlf[i]; i++)
		if (msg_crlf[i] != '\r')
			lf[o++] = msg_crlf[i];
	for (c = 0; c < 2; c++) {
		dkim_signer *s = signer((dkim_canon)c);

		reference(s, want);
		for (i = 0; i <= o; i++) {
			size_t cut = i;
			split(s, lf, o, &cut, 1, NULL, got);
			ck_assert_msg(memcmp(want, got, 32) == 0, "%s LF cut at %zu",
			              dkim_canon_name((dkim_canon)c), i);
		}
		dkim_signer_free(s);
	}
}
END_TEST

START_TEST(test_no_body)
{
	static const char *const msgs[] = {"From: a@example.com\r\n\r\n", "From: a@example.com\r\n",
	                                   "From: a@example.com", "From: a@example.com\n\n"};
	unsigned char want[32], got[32];
	dkim_signer *s = signer(DKIM_CANON_SIMPLE);
	size_t i;

	ck_assert_int_eq(dkim_signer_header(s, "From", " a@example.com"), DKIM_OK);
	finish(s, want);
	for (i = 0; i < 4; i++) {
		split(s, msgs[i], strlen(msgs[i]), NULL, 0, NULL, got);
		ck_assert_msg(memcmp(want, got, 32) == 0, "message %zu", i);
	}
	dkim_signer_free(s);
}
END_TEST

static dkim_status
refuse(void *arg, const char *name, const char *value)
{
	(void)arg;
	(void)value;
	return strcmp(name, "To") == 0 ? DKIM_ERR_INVALID : DKIM_OK;
}

START_TEST(test_errors)
{
	static const struct {
		const char *msg;
		size_t len;
		dkim_status st;
	} cases[] = {
	    {"From: a@example.com\r\nno colon here\r\n\r\nbody", 0, DKIM_ERR_SYNTAX},
	    {" From: a@example.com\r\n\r\n", 0, DKIM_ERR_SYNTAX},
	    {"From: a@exa\0mple.com\r\n\r\n", 24, DKIM_ERR_SYNTAX},
	    {"Bad Name: x\r\n\r\n", 0, DKIM_ERR_SYNTAX},
	    {"From user@example.com Mon Nov 23 12:00:00 2026\r\n\r\n", 0, DKIM_ERR_SYNTAX},
	};
	dkim_signer *s = signer(DKIM_CANON_RELAXED);
	dkim_message *m;
	size_t i;
	char *big;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t len = cases[i].len ? cases[i].len : strlen(cases[i].msg);
		dkim_status st;

		ck_assert_int_eq(dkim_message_new(s, NULL, NULL, &m), DKIM_OK);
		st = dkim_message_feed(m, (const unsigned char *)cases[i].msg, len);
		if (st == DKIM_OK)
			st = dkim_message_finish(m);
		ck_assert_msg(st == cases[i].st, "case %zu: %s", i, dkim_strerror(st));
		/* sticky */
		ck_assert_int_eq(dkim_message_feed(m, (const unsigned char *)"x", 1), cases[i].st);
		ck_assert_int_eq(dkim_message_finish(m), cases[i].st);
		dkim_message_free(m);
		dkim_signer_reset(s);
	}
	/* the callback's error stops the feed */
	ck_assert_int_eq(dkim_message_new(s, refuse, NULL, &m), DKIM_OK);
	ck_assert_int_eq(
	    dkim_message_feed(m, (const unsigned char *)"From: a\r\nTo: b\r\n\r\n", 18),
	    DKIM_ERR_INVALID);
	/* reset makes it usable again */
	dkim_signer_reset(s);
	dkim_message_reset(m);
	ck_assert_int_eq(dkim_message_feed(m, (const unsigned char *)"From: a\r\n\r\n", 11),
	                 DKIM_OK);
	dkim_message_free(m);
	dkim_signer_reset(s);
	/* a header field beyond the cap */
	big = malloc(DKIM_MAX_HEADER_BYTES + 16);
	ck_assert_ptr_nonnull(big);
	memcpy(big, "X-Big: ", 7);
	memset(big + 7, 'a', DKIM_MAX_HEADER_BYTES);
	ck_assert_int_eq(dkim_message_new(s, NULL, NULL, &m), DKIM_OK);
	ck_assert_int_eq(
	    dkim_message_feed(m, (const unsigned char *)big, DKIM_MAX_HEADER_BYTES + 7),
	    DKIM_ERR_LIMIT);
	dkim_message_free(m);
	free(big);
	ck_assert_int_eq(dkim_message_new(NULL, NULL, NULL, &m), DKIM_ERR_INVALID);
	dkim_message_free(NULL);
	dkim_signer_free(s);
}
END_TEST

static Suite *
message_suite(void)
{
	Suite *s = suite_create("dkim_message");
	TCase *tc = tcase_create("message");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_fields_seen);
	tcase_add_test(tc, test_every_cut);
	tcase_add_test(tc, test_lf_message);
	tcase_add_test(tc, test_no_body);
	tcase_add_test(tc, test_errors);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return check_run(message_suite(), NULL);
}
