/*
 * tests/config/check_signtable.c: From domain -> signing domain. Exact
 * entries beat a parent's subdomain rule, subdomains = false matches only
 * itself, case and a trailing dot do not matter, and a table of 50,000
 * domains answers every lookup correctly.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>

#include "tests/config/ct.h"

static const char st_conf[] = CT_TOKEN
    "domains = (\n"
    "  { domain = \"example.com\"; subdomains = true; keys = ( { selector = \"a\"; key = \"k1\"; } "
    "); },\n"
    "  { domain = \"shop.example.com\"; keys = ( { selector = \"b\"; key = \"k2\"; } ); },\n"
    "  { domain = \"example.net\"; keys = ( { selector = \"c\"; key = \"k3\"; } ); },\n"
    "  { domain = \"deep.a.example.org\"; subdomains = true; keys = ( { selector = \"d\"; key = "
    "\"k4\"; } ); },\n"
    "  { domain = \"example.org\"; subdomains = true; keys = ( { selector = \"e\"; key = \"k5\"; } "
    "); },\n"
    "  { domain = \"mid.example.org\"; subdomains = false; keys = ( { selector = \"f\"; key = "
    "\"k6\"; } ); },\n"
    "  { domain = \"org\"; keys = ( { selector = \"g\"; key = \"k7\"; } ); }\n"
    ");\n";

static const struct {
	const char *from;
	const char *want; /* the entry's domain, NULL = none */
} st_cases[] = {
    {"example.com", "example.com"},
    {"news.example.com", "example.com"},
    {"a.b.c.d.e.f.news.example.com", "example.com"},
    {"shop.example.com", "shop.example.com"}, /* exact beats the parent's rule */
    {"eu.shop.example.com", "example.com"},   /* shop has no subdomain rule */
    {"EXAMPLE.COM", "example.com"},
    {"News.Example.Com.", "example.com"},
    {"example.com.", "example.com"},
    {"Shop.Example.COM", "shop.example.com"},
    {"example.net", "example.net"},
    {"www.example.net", NULL}, /* subdomains = false */
    {"example.net.", "example.net"},
    {"example.org", "example.org"},
    {"x.example.org", "example.org"},
    {"deep.a.example.org", "deep.a.example.org"},
    {"q.deep.a.example.org", "deep.a.example.org"}, /* nearest parent */
    {"a.example.org", "example.org"},
    {"mid.example.org", "mid.example.org"},
    {"z.mid.example.org", "example.org"}, /* past mid's false to example.org */
    {"org", "org"},
    {"other.org", NULL},
    {"xexample.com", NULL}, /* a suffix is not a parent */
    {"com", NULL},
    {"example.co", NULL},
    {"", NULL},
    {".", NULL},
    {"example.com..", NULL},
    {".example.com", "example.com"},
    {"unknown.test", NULL},
};

START_TEST(test_st_table)
{
	struct conf *c = ct_load_ok("st.conf", st_conf);
	const struct conf_domain *d = conf_signtable_lookup(c, st_cases[_i].from);

	if (st_cases[_i].want == NULL)
		ck_assert_msg(d == NULL, "%s: got %s", st_cases[_i].from, d ? d->domain : "");
	else {
		ck_assert_msg(d != NULL, "%s: no entry, want %s", st_cases[_i].from,
		              st_cases[_i].want);
		ck_assert_str_eq(d->domain, st_cases[_i].want);
		ck_assert(d >= c->domains && d < c->domains + c->ndomains);
	}
	conf_free(c);
}
END_TEST

START_TEST(test_st_long)
{
	struct conf *c = ct_load_ok("st-long.conf", st_conf);
	char name[2048];
	size_t i;

	/* 253 bytes is a name; 254 is not (255 with the trailing dot). */
	memset(name, 'a', sizeof(name));
	for (i = 63; i < 253; i += 64)
		name[i] = '.';
	memcpy(name + 253 - strlen(".example.com"), ".example.com", strlen(".example.com"));
	name[253] = '\0';
	ck_assert_ptr_nonnull(conf_signtable_lookup(c, name));
	name[253] = '.';
	name[254] = '\0';
	ck_assert_ptr_nonnull(conf_signtable_lookup(c, name));
	memmove(name + 1, name, 254);
	name[0] = 'a';
	name[255] = '\0';
	ck_assert_ptr_null(conf_signtable_lookup(c, name));
	memset(name, 'a', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	ck_assert_ptr_null(conf_signtable_lookup(c, name));
	ck_assert_ptr_null(conf_signtable_lookup(c, NULL));
	ck_assert_ptr_null(conf_signtable_lookup(NULL, "example.com"));
	/* Bytes that are no DNS name are no match, not a crash. */
	ck_assert_ptr_null(conf_signtable_lookup(c, "\xff\xfe.example.net"));
	ck_assert_ptr_nonnull(conf_signtable_lookup(c, "\xff\xfe.example.com"));
	conf_free(c);
}
END_TEST

#define ST_BIG 50000

/* Domain i of the generated table: spread over a few TLDs and depths so
 * that parents and children are both in it. Even i: subdomains = true. */
static void
st_big_name(char *buf, size_t len, int i)
{
	static const char *const tld[] = {"com", "net", "org", "de", "example"};

	if (i % 10 == 9)
		snprintf(buf, len, "sub%d.host%d.%s", i, i - 1, tld[(i - 1) % 5]);
	else
		snprintf(buf, len, "host%d.%s", i, tld[i % 5]);
}

START_TEST(test_st_big)
{
	struct conf *c;
	const struct conf_domain *d;
	char *text, name[256], probe[512];
	size_t cap = (size_t)ST_BIG * 128, len;
	int i, n;

	text = malloc(cap);
	ck_assert_ptr_nonnull(text);
	len = (size_t)snprintf(text, cap, "%sdomains = (\n", CT_TOKEN);
	for (i = 0; i < ST_BIG; i++) {
		st_big_name(name, sizeof(name), i);
		n = snprintf(text + len, cap - len,
		             "{ domain = \"%s\"; subdomains = %s; keys = ( { selector = \"s%d\"; "
		             "key = \"key-%d\"; } ); }%s\n",
		             name, i % 2 == 0 ? "true" : "false", i, i, i + 1 < ST_BIG ? "," : "");
		ck_assert(n > 0 && (size_t)n < cap - len);
		len += (size_t)n;
	}
	ck_assert_uint_lt(len + 4, cap);
	memcpy(text + len, ");\n", 4);
	c = ct_load_ok("big.conf", text);
	free(text);
	ck_assert_uint_eq(c->ndomains, ST_BIG);

	for (i = 0; i < ST_BIG; i++) {
		st_big_name(name, sizeof(name), i);
		d = conf_signtable_lookup(c, name);
		ck_assert_msg(d == &c->domains[i], "%s: wrong entry", name);
		ck_assert_int_eq(d->line, i + 3);
		snprintf(probe, sizeof(probe), "%s.", name);
		probe[0] = (char)(probe[0] - 'a' + 'A');
		ck_assert_ptr_eq(conf_signtable_lookup(c, probe), d);

		/* A child: signed by i if i has a subdomain rule; for an odd
		 * "subN.hostM" entry, hostM (even, a rule) takes it. */
		snprintf(probe, sizeof(probe), "mail.x%d.%s", i, name);
		d = conf_signtable_lookup(c, probe);
		if (i % 2 == 0)
			ck_assert_ptr_eq(d, &c->domains[i]);
		else if (i % 10 == 9)
			ck_assert_ptr_eq(d, &c->domains[i - 1]);
		else
			ck_assert_msg(d == NULL, "%s: got %s", probe, d->domain);
	}
	for (i = 0; i < 1000; i++) {
		snprintf(probe, sizeof(probe), "host%d.%s", ST_BIG + i, "com");
		ck_assert_ptr_null(conf_signtable_lookup(c, probe));
	}
	conf_free(c);
}
END_TEST

/* A duplicate hidden among thousands is still found, with both lines. */
START_TEST(test_st_big_duplicate)
{
	struct conf_error err;
	char *text, name[256];
	size_t cap = 3000 * 128, len;
	int i;

	text = malloc(cap);
	ck_assert_ptr_nonnull(text);
	len = (size_t)snprintf(text, cap, "%sdomains = (\n", CT_TOKEN);
	for (i = 0; i < 3000; i++) {
		st_big_name(name, sizeof(name), i == 2500 ? 1234 : i);
		len += (size_t)snprintf(
		    text + len, cap - len,
		    "{ domain = \"%s\"; keys = ( { selector = \"s\"; key = \"k\"; } ); }%s\n", name,
		    i + 1 < 3000 ? "," : "");
	}
	snprintf(text + len, cap - len, ");\n");
	ck_assert_ptr_null(conf_load(ct_write("bigdup.conf", text, 0600), &err));
	free(text);
	ck_assert_int_eq(err.line, 2503);
	ck_assert_str_eq(err.setting, "domains[2500].domain");
	ck_assert_str_eq(err.msg, "duplicate domain host1234.example (first at line 1237)");
	ck_assert_uint_eq(err.more, 0);
}
END_TEST

/* One loaded configuration read by several threads at once, as the daemon's
 * connection threads do; under TSan this shows the lookups share nothing
 * writable. */
#define ST_THREADS 4
#define ST_THREAD_DOMAINS 2000

struct st_thread_arg {
	const struct conf *c;
	unsigned bad;
};

static void *
st_thread(void *p)
{
	struct st_thread_arg *a = p;
	struct sockaddr_in6 sin6;
	char name[256], child[300];
	int round, i;

	memset(&sin6, 0, sizeof(sin6));
	sin6.sin6_family = AF_INET6;
	sin6.sin6_addr.s6_addr[15] = 1;
	for (round = 0; round < 5; round++) {
		for (i = 0; i < ST_THREAD_DOMAINS; i++) {
			st_big_name(name, sizeof(name), i);
			snprintf(child, sizeof(child), "a.%s", name);
			if (conf_signtable_lookup(a->c, name) != &a->c->domains[i])
				a->bad++;
			if ((conf_signtable_lookup(a->c, child) != NULL) !=
			    (i % 2 == 0 || i % 10 == 9))
				a->bad++;
			if (!conf_is_internal(a->c, (const struct sockaddr *)&sin6))
				a->bad++;
		}
	}
	return NULL;
}

START_TEST(test_st_threads)
{
	struct st_thread_arg args[ST_THREADS];
	pthread_t t[ST_THREADS];
	struct conf *c;
	char *text, name[256];
	size_t cap = ST_THREAD_DOMAINS * 128, len;
	int i;

	text = malloc(cap);
	ck_assert_ptr_nonnull(text);
	len = (size_t)snprintf(text, cap, "%sdomains = (\n", CT_TOKEN);
	for (i = 0; i < ST_THREAD_DOMAINS; i++) {
		st_big_name(name, sizeof(name), i);
		len += (size_t)snprintf(text + len, cap - len,
		                        "{ domain = \"%s\"; subdomains = %s; keys = ( { selector = "
		                        "\"s\"; key = \"k\"; } ); }%s\n",
		                        name, i % 2 == 0 ? "true" : "false",
		                        i + 1 < ST_THREAD_DOMAINS ? "," : "");
	}
	snprintf(text + len, cap - len, ");\n");
	c = ct_load_ok("threads.conf", text);
	free(text);
	for (i = 0; i < ST_THREADS; i++) {
		args[i].c = c;
		args[i].bad = 0;
		ck_assert_int_eq(pthread_create(&t[i], NULL, st_thread, &args[i]), 0);
	}
	for (i = 0; i < ST_THREADS; i++) {
		ck_assert_int_eq(pthread_join(t[i], NULL), 0);
		ck_assert_uint_eq(args[i].bad, 0);
	}
	conf_free(c);
}
END_TEST

Suite *
ct_suite_signtable(void)
{
	Suite *s = suite_create("config: signing table");
	TCase *tc = tcase_create("signtable");

	tcase_set_timeout(tc, CT_TIMEOUT);

	tcase_add_loop_test(tc, test_st_table, 0, (int)(sizeof(st_cases) / sizeof(st_cases[0])));
	tcase_add_test(tc, test_st_long);
	suite_add_tcase(s, tc);
	tc = tcase_create("signtable-big");
	/* Loading 50,000 domains under the sanitizers takes a few seconds. */
	tcase_set_timeout(tc, 5 * CT_TIMEOUT);
	tcase_add_test(tc, test_st_big);
	tcase_add_test(tc, test_st_big_duplicate);
	tcase_add_test(tc, test_st_threads);
	suite_add_tcase(s, tc);
	return s;
}
