/*
 * tests/contrib/check_example_conf.c: contrib/p11dkim.conf.example is what
 * administrators copy, so config/ must accept it as shipped, and also with
 * every commented-out setting switched on: then each name documented there
 * is a real setting and each value shown is valid (and is the default).
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config/conf.h"
#include "tests/lib/check_main.h"

static char example[4096];

static void
example_path(void)
{
	const char *top = getenv("top_srcdir");

	snprintf(example, sizeof(example), "%s/contrib/p11dkim.conf.example", top ? top : ".");
}

static struct conf *
load_all_ok(const char *path)
{
	struct conf_errors errs = {0};
	struct conf *c = conf_load_errors(path, &errs);
	char buf[5200];
	size_t i;

	for (i = 0; i < errs.n; i++)
		fprintf(stderr, "%s\n", conf_error_format(&errs.v[i], buf, sizeof(buf)));
	ck_assert_msg(c != NULL && errs.n == 0, "%s: %zu error(s)", path, errs.n);
	conf_errors_free(&errs);
	return c;
}

START_TEST(as_shipped)
{
	struct conf *c;
	const struct conf_domain *d;

	example_path();
	c = load_all_ok(example);
	ck_assert_str_eq(c->socket, "unix:/var/spool/postfix/p11dkim/p11dkim.sock");
	ck_assert_ptr_nonnull(c->tokens[0].pin_file);
	ck_assert_uint_eq(c->ndomains, 2);
	d = conf_signtable_lookup(c, "mail.example.com");
	ck_assert_ptr_nonnull(d);
	ck_assert_uint_eq(d->nkeys, 2);
	ck_assert_str_eq(d->keys[1].selector, "ed2026");
	ck_assert_ptr_null(conf_signtable_lookup(c, "sub.example.org"));
	ck_assert_uint_eq(c->sign.ninternal, 4);
	conf_free(c);
}
END_TEST

/* "#name = value;" becomes "name = value;", and so do the commented lines
 * continuing it up to the one ending with ';'. pin_env stays commented:
 * pin_file and pin_env exclude each other; so does login_map, a file this
 * machine does not have (tests/daemon/policy.sh loads one). */
static int
uncomment(const char *in, const char *out)
{
	FILE *fi = fopen(in, "r"), *fo = fopen(out, "w");
	char line[1024], *p;
	int cont = 0, n = 0;

	ck_assert_ptr_nonnull(fi);
	ck_assert_ptr_nonnull(fo);
	while (fgets(line, sizeof(line), fi) != NULL) {
		p = line + strspn(line, " \t");
		if (*p == '#' && (cont || (p[1] >= 'a' && p[1] <= 'z' && strstr(p, " = ") &&
		                           strncmp(p + 1, "pin_env", 7) != 0 &&
		                           strncmp(p + 1, "login_map", 9) != 0))) {
			if (!cont)
				n++;
			*p = ' ';
			cont = strchr(p, ';') == NULL;
		}
		fputs(line, fo);
	}
	fclose(fi);
	ck_assert_int_eq(fclose(fo), 0);
	return n;
}

START_TEST(defaults_switched_on)
{
	char tmpl[] = "/tmp/check_example_conf.XXXXXX", path[64];
	struct conf *c;
	int n;

	example_path();
	ck_assert_ptr_nonnull(mkdtemp(tmpl));
	snprintf(path, sizeof(path), "%s/all.conf", tmpl);
	n = uncomment(example, path);
	/* socket_umask user group pid_file log syslog_facility metrics_file
	 * metrics_interval keytool_record sessions borrow_timeout_ms
	 * allow_extractable canonicalization sign_authenticated login_domains
	 * bare_logins mta on_token_error headers oversign expire_after resign: 22. */
	ck_assert_int_eq(n, 22);
	ck_assert_int_eq(chmod(path, 0600), 0);
	c = load_all_ok(path);
	ck_assert_uint_eq(c->socket_umask, 07);
	ck_assert_str_eq(c->user, "p11dkim");
	ck_assert_str_eq(c->log, "syslog");
	ck_assert_uint_eq(c->metrics_interval, 10);
	ck_assert_str_eq(c->keytool_record, "/var/log/p11dkim/ceremony.jsonl");
	ck_assert_uint_eq(c->tokens[0].borrow_timeout_ms, 5000);
	ck_assert_uint_eq(c->sign.nmta, 1);
	ck_assert_str_eq(c->sign.mta[0], "ORIGINATING");
	ck_assert(c->sign.hdr_canon == CONF_CANON_RELAXED &&
	          c->sign.body_canon == CONF_CANON_RELAXED);
	ck_assert(c->sign.on_token_error == CONF_ON_ERROR_TEMPFAIL);
	ck_assert(c->sign.oversign && c->sign.sign_authenticated && !c->sign.resign);
	ck_assert_uint_eq(c->sign.nheaders, 9);
	conf_free(c);
	unlink(path);
	rmdir(tmpl);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("example_conf");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, as_shipped);
	tcase_add_test(tc, defaults_switched_on);
	suite_add_tcase(s, tc);
	return check_run(s, NULL);
}
