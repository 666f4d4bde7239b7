/*
 * check_dkim_tags.c: the DKIM-Signature tag list (dkim/dkim_tags.h, RFC 6376 3.2), one row per
 * rule: values trimmed of folding whitespace, names case-sensitive, a tag twice or a bad name
 * or value invalidating the whole list, the optional last ';'.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dkim/dkim_tags.h"
#include "tests/lib/check_main.h"

static const struct {
	const char *text;
	bool ok;
	const char *d, *s; /* values when ok; NULL: the tag is absent */
} tag_cases[] = {
    {" v=1; a=rsa-sha256; d=Example.COM; s=sel; b=abc", true, "Example.COM", "sel"},
    {" v=1;\r\n\td = example.com ;\r\n\ts =\tsel2026;", true, "example.com", "sel2026"},
    {"s=x;d=y", true, "y", "x"},
    {"s=x;d=y;  ", true, "y", "x"},
    {" v=1; d=example.com; b=xyz", true, "example.com", NULL},
    {" d=; s=sel", true, "", "sel"},
    /* Tag names are case-sensitive: D= and S= are other tags. */
    {" D=example.com; S=sel", true, NULL, NULL},
    {" dd=example.com; ss=sel", true, NULL, NULL},
    {" d=a b; s=x", true, "a b", "x"},
    {"", false, NULL, NULL},
    {";;;===;", false, NULL, NULL},
    {" d=a; d=b; s=x", false, NULL, NULL},
    {" d=a;; s=x", false, NULL, NULL},
    {" 1d=a; s=x", false, NULL, NULL},
    {" d-x=a; s=x", false, NULL, NULL},
    {" d a=a; s=x", false, NULL, NULL},
    {" d=a\x7f; s=x", false, NULL, NULL},
    {" d=\xc3\xa9; s=x", false, NULL, NULL},
    {" d", false, NULL, NULL},
};

static void
check_tag(const struct dkim_tags *t, const char *name, const char *want)
{
	const struct dkim_tag *g = dkim_tags_get(t, name);

	if (want == NULL) {
		ck_assert_ptr_null(g);
		return;
	}
	ck_assert_ptr_nonnull(g);
	ck_assert_uint_eq(g->vallen, strlen(want));
	ck_assert_int_eq(memcmp(g->val, want, g->vallen), 0);
}

START_TEST(test_tags)
{
	struct dkim_tags t;
	dkim_status st = dkim_tags_parse(tag_cases[_i].text, strlen(tag_cases[_i].text), &t);

	ck_assert_msg((st == DKIM_OK) == tag_cases[_i].ok, "case %d: %s", _i, dkim_strerror(st));
	if (st != DKIM_OK)
		return;
	check_tag(&t, "d", tag_cases[_i].d);
	check_tag(&t, "s", tag_cases[_i].s);
}
END_TEST

/* raw spans everything between '=' and ';', so b= can be emptied with its whitespace. */
START_TEST(test_raw)
{
	static const char text[] = " a=1; b= AB\r\n\tCD ; c=2";
	struct dkim_tags t;
	const struct dkim_tag *b;

	ck_assert_int_eq(dkim_tags_parse(text, strlen(text), &t), DKIM_OK);
	b = dkim_tags_get(&t, "b");
	ck_assert_ptr_nonnull(b);
	ck_assert_uint_eq(b->rawlen, strlen(" AB\r\n\tCD "));
	ck_assert_int_eq(memcmp(b->raw, " AB\r\n\tCD ", b->rawlen), 0);
	ck_assert_uint_eq(b->vallen, strlen("AB\r\n\tCD"));
}
END_TEST

/* More tags than DKIM_TAGS_MAX: refused, not truncated. */
START_TEST(test_too_many)
{
	char text[DKIM_TAGS_MAX * 8 + 16];
	struct dkim_tags t;
	size_t i, o = 0;

	for (i = 0; i <= DKIM_TAGS_MAX; i++)
		o += (size_t)sprintf(text + o, "t%zu=x;", i);
	ck_assert_int_eq(dkim_tags_parse(text, o, &t), DKIM_ERR_SYNTAX);
	ck_assert_int_eq(dkim_tags_parse(text, o - 6, &t), DKIM_OK);
	ck_assert_uint_eq(t.n, DKIM_TAGS_MAX);
}
END_TEST

/* Base64 inside a value (b=, bh=, p=): padding required, folding whitespace anywhere. */
struct b64_case {
	const char *in;
	int rc;
	const char *out;
};

static const struct b64_case b64_cases[] = {
    {"", 0, ""},        {"Zg==", 0, "f"},           {"Zm8=", 0, "fo"},
    {"Zm9v", 0, "foo"}, {"Zm9v YmFy", 0, "foobar"}, {"Zm9vYg", -1, NULL},
    {"Zg=", -1, NULL},  {"Z===", -1, NULL},         {"Zg==Zg==", -1, NULL},
    {"Zm9*", -1, NULL},
};

START_TEST(test_b64_table)
{
	const struct b64_case *tc = &b64_cases[_i];
	unsigned char *out;
	size_t outlen;
	int rc;

	rc = dkim_tags_base64(tc->in, strlen(tc->in), &out, &outlen);
	ck_assert_int_eq(rc, tc->rc);
	if (rc == 0) {
		ck_assert_uint_eq(outlen, strlen(tc->out));
		ck_assert(outlen == 0 || memcmp(out, tc->out, outlen) == 0);
	}
	free(out);
}
END_TEST

/* A colon list (h=): elements trimmed, empty ones kept for the caller to judge. */
START_TEST(test_list)
{
	static const char h[] = " From : to:\r\n\tSubject ::";
	static const char *const want[] = {"From", "to", "Subject", "", ""};
	const char *p = h, *el;
	size_t len, i = 0;

	while (p != NULL) {
		dkim_tags_list_next(&p, h + strlen(h), &el, &len);
		ck_assert_uint_lt(i, 5);
		ck_assert_uint_eq(len, strlen(want[i]));
		ck_assert_int_eq(memcmp(el, want[i], len), 0);
		i++;
	}
	ck_assert_uint_eq(i, 5);
}
END_TEST

static Suite *
tags_suite(void)
{
	Suite *s = suite_create("dkim_tags");
	TCase *tc = tcase_create("tags");

	tcase_add_loop_test(tc, test_tags, 0, (int)(sizeof(tag_cases) / sizeof(tag_cases[0])));
	tcase_add_test(tc, test_raw);
	tcase_add_test(tc, test_too_many);
	tcase_add_loop_test(tc, test_b64_table, 0, (int)(sizeof(b64_cases) / sizeof(b64_cases[0])));
	tcase_add_test(tc, test_list);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return check_run(tags_suite(), NULL);
}
