/*
 * Unit tests of tools/keytool/odkim_tables: OpenDKIM KeyTable and SigningTable texts,
 * each with the domains, keys and warnings p11dkim must make of them, or the
 * error it must report.
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tools/keytool/odkim_tables.h"
#include "tests/lib/check_main.h"

static const char keytable[] = "# comment\n"
                               "\n"
                               "ka  example.com:sel1:/etc/keys/a.private\n"
                               "kb\tExample.NET:sel2:/etc/keys/b.private   # trailing comment\n"
                               "kc %:sel3:/etc/keys/c.private\r\n"
                               "kd unused.org:s:/k";

struct st_case {
	const char *signingtable;
	int rc;
	/* "domain:apex:subdomains:key,key" per domain, ';'-separated; NULL on error */
	const char *want;
	size_t nwarnings;
};

static const struct st_case st_cases[] = {
    {"*@example.com ka\n", 0, "example.com:1:0:ka", 3},
    {"*@*.example.com ka\n", 0, "example.com:0:1:ka", 3},
    {"*@example.com ka\n*@*.example.com ka\n", 0, "example.com:1:1:ka", 3},
    {"example.com ka\n*.example.com ka\n", 0, "example.com:1:1:ka", 3},
    {"@example.com ka\n", 0, "example.com:1:0:ka", 3},
    {"*@EXAMPLE.com ka\n*@example.com kb\n", 0, "example.com:1:0:ka,kb", 3},
    {"*@example.net kb\n*@example.org kc\n", 0, "example.net:1:0:kb;example.org:1:0:kc", 2},
    {"*@a.test ka\n*@b.test kb\n*@c.test kc\n*@d.test kd\n", 0,
     "a.test:1:0:ka;b.test:1:0:kb;c.test:1:0:kc;d.test:1:0:kd", 3},
    {"joe@example.com ka\n", 0, "", 5},
    {"* ka\n*example.com ka\n", 0, "", 6},
    {"*@example.com nosuchkey\n", -1, NULL, 0},
    {"*@example.com\n", -1, NULL, 0},
    {"*@example.com ka extra\n", -1, NULL, 0},
};

static void
render(const struct odkim_tables *t, char *buf, size_t len)
{
	size_t i, j, n = 0;

	buf[0] = '\0';
	for (i = 0; i < t->ndoms && n < len; i++) {
		const struct odkim_dom *d = &t->doms[i];

		n += (size_t)snprintf(buf + n, len - n, "%s%s:%d:%d:", i ? ";" : "", d->domain,
		                      d->apex, d->subdomains);
		for (j = 0; j < d->nkeys && n < len; j++)
			n += (size_t)snprintf(buf + n, len - n, "%s%s", j ? "," : "",
			                      t->keys[d->keys[j]].name);
	}
}

START_TEST(test_signingtable)
{
	const struct st_case *tc = &st_cases[_i];
	struct odkim_tables t;
	char err[256], got[512];
	int rc;

	memset(&t, 0, sizeof(t));
	ck_assert_int_eq(odkim_keytable_parse(&t, keytable, strlen(keytable), err, sizeof(err)), 0);
	ck_assert_uint_eq(t.nkeys, 4);
	rc = odkim_signingtable_parse(&t, tc->signingtable, strlen(tc->signingtable), err,
	                              sizeof(err));
	ck_assert_msg(rc == tc->rc, "case %d: rc %d (%s)", _i, rc, err);
	if (rc == 0) {
		render(&t, got, sizeof(got));
		ck_assert_msg(strcmp(got, tc->want) == 0, "case %d: got \"%s\", want \"%s\"", _i,
		              got, tc->want);
		ck_assert_msg(t.nwarnings == tc->nwarnings, "case %d: %zu warnings, want %zu", _i,
		              t.nwarnings, tc->nwarnings);
	} else
		ck_assert_msg(strncmp(err, "line 1: ", 8) == 0,
		              "case %d: error \"%s\" names no line", _i, err);
	odkim_tables_free(&t);
}
END_TEST

struct kt_case {
	const char *text;
	int rc;
	const char *err_part;
};

static const struct kt_case kt_cases[] = {
    {"k a.test:s:/p\n", 0, NULL},
    {"k a.test:s\n", -1, "DOMAIN:SELECTOR:KEYFILE"},
    {"k a.test:s:\n", -1, "no key file"},
    {"k bad..domain:s:/p\n", -1, "bad domain"},
    {"k a.test:bad sel:/p\n", -1, "two fields"},
    {"k a.test:s:/p\nk b.test:s:/q\n", -1, "line 2: key name k defined twice"},
    {"k\n", -1, "two fields"},
    {"k a.test:s\"x:/p\n", -1, "bad selector"},
};

START_TEST(test_keytable)
{
	const struct kt_case *tc = &kt_cases[_i];
	struct odkim_tables t;
	char err[256] = "";
	int rc;

	memset(&t, 0, sizeof(t));
	rc = odkim_keytable_parse(&t, tc->text, strlen(tc->text), err, sizeof(err));
	ck_assert_msg(rc == tc->rc, "case %d: rc %d (%s)", _i, rc, err);
	if (tc->err_part != NULL)
		ck_assert_msg(strstr(err, tc->err_part) != NULL,
		              "case %d: error \"%s\" lacks \"%s\"", _i, err, tc->err_part);
	odkim_tables_free(&t);
}
END_TEST

START_TEST(test_labels_and_output)
{
	const char st[] = "*@example.org kc\n*@*.example.com ka\n";
	struct odkim_tables t;
	char err[256], *label, *out = NULL;
	size_t outlen = 0;
	FILE *f;

	memset(&t, 0, sizeof(t));
	ck_assert_int_eq(odkim_keytable_parse(&t, keytable, strlen(keytable), err, sizeof(err)), 0);
	ck_assert_int_eq(odkim_signingtable_parse(&t, st, strlen(st), err, sizeof(err)), 0);
	label = odkim_label(&t, 0, "ignored.test", "p-");
	ck_assert_str_eq(label, "p-example.com-sel1");
	free(label);
	/* d=% takes the domain the rule matched. */
	label = odkim_label(&t, 2, "example.org", NULL);
	ck_assert_str_eq(label, "example.org-sel3");
	free(label);
	f = open_memstream(&out, &outlen);
	ck_assert_ptr_nonnull(f);
	odkim_print_domains(f, &t, "");
	fclose(f);
	ck_assert_msg(strstr(out, "{ domain = \"example.org\";\n") != NULL, "%s", out);
	ck_assert_msg(strstr(out, "{ domain = \"example.com\"; subdomains = true;") != NULL, "%s",
	              out);
	ck_assert_msg(strstr(out, "{ selector = \"sel3\"; key = \"example.org-sel3\"; }") != NULL,
	              "%s", out);
	ck_assert_msg(strstr(out, "# OpenDKIM signed only the subdomains of example.com") != NULL,
	              "%s", out);
	free(out);
	odkim_tables_free(&t);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("odkim_tables");
	TCase *tc = tcase_create("core");

	tcase_add_loop_test(tc, test_signingtable, 0,
	                    (int)(sizeof(st_cases) / sizeof(st_cases[0])));
	tcase_add_loop_test(tc, test_keytable, 0, (int)(sizeof(kt_cases) / sizeof(kt_cases[0])));
	tcase_add_test(tc, test_labels_and_output);
	suite_add_tcase(s, tc);
	return check_run(s, NULL);
}
