/*
 * check_dkim_addr: mailbox domains of From/Sender values (RFC 5322 3.4 and
 * its obsolete forms), errors, and hostile input (deep nesting, many
 * mailboxes, random bytes).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "dkim/dkim_addr.h"
#include "tests/lib/check_main.h"

struct addr_case {
	const char *value;
	dkim_status st;
	const char *domains; /* space-separated, expected on DKIM_OK */
};

static const struct addr_case cases[] = {
    {"a@example.com", DKIM_OK, "example.com"},
    {" Alice <alice@Example.COM>", DKIM_OK, "example.com"},
    {"<a@x.org>", DKIM_OK, "x.org"},
    {"\"Alice, Q\" <a@x.org>", DKIM_OK, "x.org"},
    {"\"b@evil.com\" <a@x.org>", DKIM_OK, "x.org"},
    {"\"quo\\\"ted\" <a@x.org>", DKIM_OK, "x.org"},
    {"a@x.org, b@y.org", DKIM_OK, "x.org y.org"},
    {"A <a@x.org>, \"B\" <b@Y.org>,c@z.org", DKIM_OK, "x.org y.org z.org"},
    {"Alice (comment) <a@x.org> (trailing)", DKIM_OK, "x.org"},
    {"(nested (comment (deep) \\) ) ) a@x.org", DKIM_OK, "x.org"},
    {"a@x.org (comment with <b@evil.com>)", DKIM_OK, "x.org"},
    {"Group: a@x.org, B <b@y.org>;", DKIM_OK, "x.org y.org"},
    {"undisclosed-recipients:;", DKIM_OK, ""},
    {"G1: a@x.org;, b@y.org", DKIM_OK, "x.org y.org"},
    {"John Q. Public <jqp@x.org>", DKIM_OK, "x.org"},
    {"<@route.example,@r2.example:a@x.org>", DKIM_OK, "x.org"},
    {"a@[192.0.2.1]", DKIM_OK, "[192.0.2.1]"},
    {"a @ x . org", DKIM_OK, "x.org"},
    {"\"a b\"@x.org", DKIM_OK, "x.org"},
    {"first.last@sub.x.org", DKIM_OK, "sub.x.org"},
    {" Alice\r\n <a@x.org>", DKIM_OK, "x.org"},
    {" Alice\n\t<a@x.org>", DKIM_OK, "x.org"},
    {"J\xc3\xb6hn <j@EX\xc3\xa4mple.com>", DKIM_OK, "ex\xc3\xa4mple.com"},
    {"a@x.org,,b@y.org", DKIM_OK, "x.org y.org"},
    {"a@x.org,", DKIM_OK, "x.org"},
    {"", DKIM_ERR_SYNTAX, NULL},
    {"   ", DKIM_ERR_SYNTAX, NULL},
    {"(only a comment)", DKIM_ERR_SYNTAX, NULL},
    {"Alice", DKIM_ERR_SYNTAX, NULL},
    {"a@", DKIM_ERR_SYNTAX, NULL},
    {"@x.org", DKIM_ERR_SYNTAX, NULL},
    {"<a@x.org", DKIM_ERR_SYNTAX, NULL},
    {"a@x.org>", DKIM_ERR_SYNTAX, NULL},
    {"Alice <a@x.org", DKIM_ERR_SYNTAX, NULL},
    {"(unterminated a@x.org", DKIM_ERR_SYNTAX, NULL},
    {"\"unterminated a@x.org", DKIM_ERR_SYNTAX, NULL},
    {"a@x.org b@y.org", DKIM_ERR_SYNTAX, NULL},
    {"G: a@x.org", DKIM_ERR_SYNTAX, NULL},
    {"a@x..org", DKIM_ERR_SYNTAX, NULL},
    {"a@.x.org", DKIM_ERR_SYNTAX, NULL},
    {"a@x.org.", DKIM_ERR_SYNTAX, NULL},
    {"a@[1.2.3.4", DKIM_ERR_SYNTAX, NULL},
    {"a@x.org\\", DKIM_ERR_SYNTAX, NULL},
    {"<>", DKIM_ERR_SYNTAX, NULL},
};

START_TEST(test_cases)
{
	const struct addr_case *c = &cases[_i];
	struct dkim_addr_list l;
	char got[1024] = "";
	size_t i;

	ck_assert_int_eq(dkim_addr_domains(c->value, strlen(c->value), &l), c->st);
	if (c->st != DKIM_OK) {
		ck_assert_uint_eq(l.n, 0);
		ck_assert_ptr_null(l.domain);
		return;
	}
	for (i = 0; i < l.n; i++) {
		if (i > 0)
			strcat(got, " ");
		strcat(got, l.domain[i]);
	}
	ck_assert_msg(strcmp(got, c->domains) == 0, "%s: got \"%s\"", c->value, got);
	dkim_addr_free(&l);
	ck_assert_uint_eq(l.n, 0);
	dkim_addr_free(&l);
}
END_TEST

/* The length bounds the parse: bytes after it are never read. */
START_TEST(test_length_bound)
{
	static const char v[] = "a@x.org, b@evil.com";
	struct dkim_addr_list l;

	ck_assert_int_eq(dkim_addr_domains(v, 7, &l), DKIM_OK);
	ck_assert_uint_eq(l.n, 1);
	ck_assert_str_eq(l.domain[0], "x.org");
	dkim_addr_free(&l);
	/* a NUL inside the length is not an address character */
	ck_assert_int_eq(dkim_addr_domains("a@x.org\0b", 9, &l), DKIM_ERR_SYNTAX);
	ck_assert_int_eq(dkim_addr_domains(NULL, 0, &l), DKIM_ERR_INVALID);
	ck_assert_int_eq(dkim_addr_domains("a@x.org", 7, NULL), DKIM_ERR_INVALID);
}
END_TEST

START_TEST(test_hostile)
{
	size_t n = 200000, i, o;
	char *v = malloc(2 * n + 64);
	struct dkim_addr_list l;

	ck_assert_ptr_nonnull(v);
	/* deep comment nesting, closed: fine, and no recursion */
	for (i = 0; i < n; i++)
		v[i] = '(';
	for (i = 0; i < n; i++)
		v[n + i] = ')';
	strcpy(v + 2 * n, " a@x.org");
	ck_assert_int_eq(dkim_addr_domains(v, strlen(v), &l), DKIM_OK);
	ck_assert_uint_eq(l.n, 1);
	dkim_addr_free(&l);
	/* unclosed */
	v[n] = '\0';
	ck_assert_int_eq(dkim_addr_domains(v, n, &l), DKIM_ERR_SYNTAX);
	/* too many mailboxes */
	for (o = 0, i = 0; i < DKIM_ADDR_MAX + 1; i++)
		o += (size_t)sprintf(v + o, "a@x.org,");
	ck_assert_int_eq(dkim_addr_domains(v, o, &l), DKIM_ERR_LIMIT);
	ck_assert_uint_eq(l.n, 0);
	/* a domain longer than DNS allows */
	strcpy(v, "a@");
	for (i = 0; i < 300; i++)
		v[2 + i] = 'd';
	v[302] = '\0';
	ck_assert_int_eq(dkim_addr_domains(v, strlen(v), &l), DKIM_ERR_SYNTAX);
	free(v);
}
END_TEST

/* Random strings over the grammar's special characters: any status but a
 * crash, and an empty list on error. */
START_TEST(test_random)
{
	static const char alpha[] = "a@.<>()\"\\:;, \t\r\n[]x";
	uint32_t seed = 2463534242u;
	char v[64];
	int k;

	for (k = 0; k < 100000; k++) {
		struct dkim_addr_list l;
		size_t len, i;
		dkim_status st;
		bool bad;

		seed ^= seed << 13;
		seed ^= seed >> 17;
		seed ^= seed << 5;
		len = seed % sizeof(v);
		for (i = 0; i < len; i++) {
			seed ^= seed << 13;
			seed ^= seed >> 17;
			seed ^= seed << 5;
			v[i] = alpha[seed % (sizeof(alpha) - 1)];
		}
		/* plain checks, one assertion per case: Check records each
		 * passing assertion */
		st = dkim_addr_domains(v, len, &l);
		bad = !(st == DKIM_OK || st == DKIM_ERR_SYNTAX) || (st != DKIM_OK && l.n != 0);
		for (i = 0; i < l.n; i++)
			bad |= l.domain[i][0] == '\0';
		dkim_addr_free(&l);
		if (bad)
			ck_abort_msg("case %d: status %d, n %zu", k, st, l.n);
	}
}
END_TEST

/* The author-domain rule the daemon and p11dkim-sign share. */
static const struct {
	unsigned nfrom;
	const char *from;
	unsigned nsender;
	const char *sender;
	enum dkim_author want;
	const char *domain;
} author_cases[] = {
    {1, " a@Example.COM", 0, NULL, DKIM_AUTHOR_OK, "example.com"},
    {1, " a@x.org, b@y.org", 1, " s@z.org", DKIM_AUTHOR_OK, "z.org"},
    {0, NULL, 1, " s@z.org", DKIM_AUTHOR_NO_FROM, NULL},
    {2, " a@x.org", 0, NULL, DKIM_AUTHOR_SEVERAL_FROM, NULL},
    {1, " a@[192.0.2.1]", 0, NULL, DKIM_AUTHOR_BAD_FROM, NULL},
    {1, " undisclosed-recipients:;", 0, NULL, DKIM_AUTHOR_BAD_FROM, NULL},
    {1, " a@x.org, b@y.org", 0, NULL, DKIM_AUTHOR_NO_SENDER, NULL},
    {1, " a@x.org, b@y.org", 1, " s@[192.0.2.1]", DKIM_AUTHOR_NO_SENDER, NULL},
    {1, " a@x.org, b@y.org", 2, " s@z.org", DKIM_AUTHOR_NO_SENDER, NULL},
};

START_TEST(test_author)
{
	char d[256] = "";
	enum dkim_author r;

	r = dkim_addr_author(author_cases[_i].nfrom, author_cases[_i].from,
	                     author_cases[_i].nsender, author_cases[_i].sender, d, sizeof(d));
	ck_assert_msg(r == author_cases[_i].want, "case %d: %s", _i, dkim_addr_author_text(r));
	if (author_cases[_i].domain != NULL)
		ck_assert_str_eq(d, author_cases[_i].domain);
	ck_assert_int_eq(dkim_addr_author(1, " a@example.com", 0, NULL, d, 5),
	                 DKIM_AUTHOR_BAD_FROM);
}
END_TEST

static Suite *
addr_suite(void)
{
	Suite *s = suite_create("dkim_addr");
	TCase *tc = tcase_create("addr");

	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, test_cases, 0, sizeof(cases) / sizeof(cases[0]));
	tcase_add_test(tc, test_length_bound);
	tcase_add_test(tc, test_hostile);
	tcase_add_test(tc, test_random);
	tcase_add_loop_test(tc, test_author, 0, sizeof(author_cases) / sizeof(author_cases[0]));
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return check_run(addr_suite(), NULL);
}
