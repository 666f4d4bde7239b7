/*
 * daemon-test: Check suites for the daemon's pure modules: policy (signing domain from
 * From/Sender, DKIM-Signature d=/s= tags), log_printable (untrusted text in log lines), and the
 * state holder's reference counting across a swap.
 */
#include "config.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/log.h"
#include "daemon/policy.h"
#include "daemon/state.h"
#include "tests/lib/check_main.h"

static const struct {
	unsigned nfrom;
	const char *from;
	unsigned nsender;
	const char *sender;
	enum policy_reason want;
	const char *domain;
} from_cases[] = {
    {1, " alice@example.com", 0, NULL, POLICY_SIGN, "example.com"},
    {1, " \"Alice A.\" <alice@Example.COM>", 0, NULL, POLICY_SIGN, "example.com"},
    {1, " Alice <alice@news.example.com> (comment)", 0, NULL, POLICY_SIGN, "news.example.com"},
    {1, " alice@example.com,\n\tbob@example.org", 1, " bob@example.org", POLICY_SIGN,
     "example.org"},
    {1, " alice@example.com, bob@example.org", 0, NULL, POLICY_NO_SENDER, NULL},
    {1, " alice@example.com, bob@example.org", 2, " bob@example.org", POLICY_NO_SENDER, NULL},
    {1, " alice@example.com, bob@example.org", 1, " a@x.org, b@y.org", POLICY_NO_SENDER, NULL},
    {1, " alice@example.com, bob@example.org", 1, " not an address", POLICY_NO_SENDER, NULL},
    {0, NULL, 1, " bob@example.org", POLICY_NO_FROM, NULL},
    {2, " alice@example.com", 0, NULL, POLICY_SEVERAL_FROM, NULL},
    {1, " undisclosed-recipients:;", 0, NULL, POLICY_BAD_FROM, NULL},
    {1, " <<<", 0, NULL, POLICY_BAD_FROM, NULL},
    {1, "", 0, NULL, POLICY_BAD_FROM, NULL},
    {1, " alice@[192.0.2.1]", 0, NULL, POLICY_BAD_FROM, NULL},
};

START_TEST(test_from_domain)
{
	char domain[256] = "";
	enum policy_reason r;

	r = policy_from_domain(from_cases[_i].nfrom, from_cases[_i].from, from_cases[_i].nsender,
	                       from_cases[_i].sender, domain, sizeof(domain));
	ck_assert_msg(r == from_cases[_i].want, "case %d: got %s, want %s", _i,
	              policy_reason_text(r), policy_reason_text(from_cases[_i].want));
	if (from_cases[_i].domain != NULL)
		ck_assert_str_eq(domain, from_cases[_i].domain);
}
END_TEST

START_TEST(test_from_domain_small_buffer)
{
	char domain[5];

	ck_assert_int_eq(policy_from_domain(1, " a@example.com", 0, NULL, domain, sizeof(domain)),
	                 POLICY_BAD_FROM);
}
END_TEST

START_TEST(test_reason_texts)
{
	int r;

	for (r = 0; r < POLICY_NREASONS; r++) {
		ck_assert_ptr_nonnull(policy_reason_text(r));
		ck_assert_ptr_nonnull(policy_reason_name(r));
		ck_assert_str_ne(policy_reason_text(r), "unknown");
	}
	ck_assert_str_eq(policy_reason_text(POLICY_NREASONS), "unknown");
}
END_TEST

static const struct {
	const char *in;
	size_t outlen;
	const char *want;
} printable_cases[] = {
    {"plain text", 64, "plain text"},
    {"line\nforged: line", 64, "line\\x0aforged: line"},
    {"cr\r\x1b[31m", 64, "cr\\x0d\\x1b[31m"},
    {"back\\slash", 64, "back\\x5cslash"},
    {"\xc3\xa9t\xc3\xa9", 64, "\\xc3\\xa9t\\xc3\\xa9"},
    {"abcdef", 4, "abc"},
    {"a\nb", 5, "a"}, /* an escape never gets cut in half */
    {"", 8, ""},
};

START_TEST(test_printable)
{
	char out[64];

	log_printable(printable_cases[_i].in, out, printable_cases[_i].outlen);
	ck_assert_str_eq(out, printable_cases[_i].want);
}
END_TEST

START_TEST(test_state_refcount)
{
	struct state_holder h;
	struct state *a, *b, *r1, *r2;

	state_holder_init(&h);
	ck_assert_ptr_null(state_acquire(&h));
	a = state_new(NULL, NULL);
	ck_assert_ptr_nonnull(a);
	state_swap(&h, a);
	r1 = state_acquire(&h);
	ck_assert_ptr_eq(r1, a);
	ck_assert_uint_eq(a->refs, 2);
	b = state_new(NULL, NULL);
	state_swap(&h, b);
	ck_assert_uint_gt(b->generation, a->generation);
	/* the message that started under a keeps it after the swap */
	ck_assert_uint_eq(a->refs, 1);
	r2 = state_acquire(&h);
	ck_assert_ptr_eq(r2, b);
	state_release(&h, r1); /* frees a (ASan would catch a use after this) */
	state_release(&h, r2);
	ck_assert_uint_eq(b->refs, 1);
	state_holder_destroy(&h);
}
END_TEST

static Suite *
daemon_suite(void)
{
	Suite *s = suite_create("daemon");
	TCase *tc = tcase_create("policy");

	tcase_add_loop_test(tc, test_from_domain, 0, sizeof(from_cases) / sizeof(from_cases[0]));
	tcase_add_test(tc, test_from_domain_small_buffer);
	tcase_add_test(tc, test_reason_texts);
	suite_add_tcase(s, tc);
	tc = tcase_create("log");
	tcase_add_loop_test(tc, test_printable, 0,
	                    sizeof(printable_cases) / sizeof(printable_cases[0]));
	suite_add_tcase(s, tc);
	tc = tcase_create("state");
	tcase_add_test(tc, test_state_refcount);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return check_run(daemon_suite(), NULL);
}
