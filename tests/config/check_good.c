/*
 * tests/config/check_good.c: files that must load, and what they load into:
 * DESIGN.md's example, a file with every setting, the defaults, and the
 * accepted spellings of sockets, umasks and canonicalizations.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>

#include "tests/config/ct.h"

static struct conf *
good_load_file(const char *name)
{
	struct conf_error err;
	struct conf *c;
	char path[8192], buf[8192];
	const char *src = getenv("top_srcdir");
	FILE *in;
	char *text;
	size_t n;

	snprintf(path, sizeof(path), "%s/tests/config/%s", src ? src : ".", name);
	in = fopen(path, "r");
	ck_assert_msg(in != NULL, "cannot open %s", path);
	text = calloc(1, 1 << 16);
	ck_assert_ptr_nonnull(text);
	n = fread(text, 1, (1 << 16) - 1, in);
	fclose(in);
	text[n] = '\0';
	/* A copy with a known mode: the source tree's may be anything. */
	c = conf_load(ct_write(name, text, 0640), &err);
	free(text);
	ck_assert_msg(c != NULL, "%s", conf_error_format(&err, buf, sizeof(buf)));
	return c;
}

static void
good_assert_cidr(const struct conf_cidr *c, int family, const char *addr, unsigned prefix)
{
	unsigned char want[16] = {0};

	ck_assert_int_eq(c->family, family);
	ck_assert_int_eq(inet_pton(family, addr, want), 1);
	ck_assert_mem_eq(c->addr, want, family == AF_INET ? 4 : 16);
	ck_assert_uint_eq(c->prefix, prefix);
}

/* The sign group's defaults, which the DESIGN.md example also spells out. */
static void
good_assert_sign_defaults(const struct conf *c)
{
	ck_assert_int_eq(c->sign.hdr_canon, CONF_CANON_RELAXED);
	ck_assert_int_eq(c->sign.body_canon, CONF_CANON_RELAXED);
	ck_assert_uint_eq(c->sign.ninternal, 2);
	good_assert_cidr(&c->sign.internal_hosts[0], AF_INET, "127.0.0.1", 32);
	good_assert_cidr(&c->sign.internal_hosts[1], AF_INET6, "::1", 128);
	ck_assert(c->sign.sign_authenticated);
	ck_assert_ptr_null(c->sign.mta);
	ck_assert_int_eq(c->sign.login_domains, CONF_LOGIN_OWN);
	ck_assert_int_eq(c->sign.bare_logins, CONF_BARE_REFUSE);
	ck_assert_ptr_null(c->sign.login_map);
	ck_assert_ptr_null(c->sign.internal_hosts[0].domains);
	ck_assert_int_eq(c->sign.on_token_error, CONF_ON_ERROR_TEMPFAIL);
}

START_TEST(test_good_design)
{
	struct conf *c = good_load_file("good-design.conf");

	ck_assert_str_eq(c->socket, "inet:8891@127.0.0.1");
	ck_assert_int_eq(c->socket_kind, CONF_SOCKET_INET);
	ck_assert_uint_eq(c->socket_port, 8891);
	ck_assert_str_eq(c->socket_host, "127.0.0.1");
	ck_assert_ptr_null(c->socket_path);
	ck_assert_str_eq(c->tokens[0].module, "/usr/lib/softhsm/libsofthsm2.so");
	ck_assert_str_eq(c->tokens[0].token, "dkim");
	ck_assert_str_eq(c->tokens[0].pin_file, "/etc/p11dkim/pin");
	ck_assert_ptr_null(c->tokens[0].pin_env);
	ck_assert_uint_eq(c->tokens[0].sessions, 8);
	ck_assert_uint_eq(c->tokens[0].borrow_timeout_ms, 5000);
	ck_assert(!c->tokens[0].allow_extractable);
	good_assert_sign_defaults(c);
	ck_assert_uint_eq(c->ndomains, 1);
	ck_assert_str_eq(c->domains[0].domain, "example.com");
	ck_assert(c->domains[0].subdomains);
	ck_assert_int_eq(c->domains[0].line, 16);
	ck_assert_uint_eq(c->domains[0].nkeys, 2);
	ck_assert_str_eq(c->domains[0].keys[0].selector, "rsa2026");
	ck_assert_str_eq(c->domains[0].keys[0].key, "example.com-rsa2026");
	ck_assert_int_eq(c->domains[0].keys[0].line, 17);
	ck_assert_str_eq(c->domains[0].keys[1].selector, "ed2026");
	ck_assert_str_eq(c->domains[0].keys[1].key, "example.com-ed2026");
	ck_assert_int_eq(c->domains[0].keys[1].line, 18);
	ck_assert_ptr_eq(conf_signtable_lookup(c, "news.example.com"), &c->domains[0]);
	conf_free(c);
}
END_TEST

START_TEST(test_good_full)
{
	struct conf *c = good_load_file("good-full.conf");
	static const char *const headers[] = {"from", "to", "subject", "date", "message-id"};
	size_t i;

	ck_assert_int_eq(c->socket_kind, CONF_SOCKET_UNIX);
	ck_assert_str_eq(c->socket_path, "/var/spool/postfix/p11dkim/p11dkim.sock");
	ck_assert_ptr_null(c->socket_host);
	ck_assert_uint_eq(c->socket_port, 0);
	ck_assert_uint_eq(c->socket_umask, 0077);
	ck_assert_str_eq(c->user, "p11dkim");
	ck_assert_str_eq(c->group, "postfix");
	ck_assert_str_eq(c->pid_file, "/run/p11dkim/p11dkim.pid");
	ck_assert_str_eq(c->log, "stderr");
	ck_assert_str_eq(c->syslog_facility, "local3");
	ck_assert_int_eq(c->syslog_facility_value, LOG_LOCAL3);
	ck_assert_str_eq(c->metrics_file, "/var/lib/node_exporter/p11dkim.prom");
	ck_assert_uint_eq(c->metrics_interval, 30);
	ck_assert_str_eq(c->keytool_record, "/var/log/p11dkim/ceremony.jsonl");
	ck_assert_str_eq(c->tokens[0].token, "pkcs11:token=YubiHSM;serial=0012345");
	ck_assert_ptr_null(c->tokens[0].pin_file);
	ck_assert_str_eq(c->tokens[0].pin_env, "P11DKIM_PIN");
	ck_assert_uint_eq(c->tokens[0].sessions, 16);
	ck_assert_uint_eq(c->tokens[0].borrow_timeout_ms, 250);
	ck_assert(c->tokens[0].allow_extractable);
	ck_assert_int_eq(c->sign.hdr_canon, CONF_CANON_SIMPLE);
	ck_assert_int_eq(c->sign.body_canon, CONF_CANON_SIMPLE);
	ck_assert_uint_eq(c->sign.ninternal, 4);
	good_assert_cidr(&c->sign.internal_hosts[0], AF_INET, "10.0.0.0", 8);
	good_assert_cidr(&c->sign.internal_hosts[1], AF_INET, "192.168.1.128", 25);
	good_assert_cidr(&c->sign.internal_hosts[2], AF_INET6, "2001:db8::", 32);
	good_assert_cidr(&c->sign.internal_hosts[3], AF_INET6, "fe80::1", 128);
	ck_assert(!c->sign.sign_authenticated);
	ck_assert_uint_eq(c->sign.nmta, 2);
	ck_assert_str_eq(c->sign.mta[0], "ORIGINATING");
	ck_assert_str_eq(c->sign.mta[1], "submission");
	ck_assert_int_eq(c->sign.login_domains, CONF_LOGIN_ANY);
	ck_assert_int_eq(c->sign.bare_logins, CONF_BARE_ANY);
	ck_assert_int_eq(c->sign.on_token_error, CONF_ON_ERROR_ACCEPT);
	ck_assert_uint_eq(c->sign.nheaders, 5);
	for (i = 0; i < 5; i++)
		ck_assert_str_eq(c->sign.headers[i], headers[i]);
	ck_assert(!c->sign.oversign);
	ck_assert_int_eq(c->sign.expire_after, 604800);
	ck_assert(c->sign.resign);
	ck_assert_uint_eq(c->ndomains, 2);
	ck_assert_str_eq(c->domains[0].domain, "example.org");
	ck_assert(!c->domains[0].subdomains);
	ck_assert_str_eq(c->domains[0].keys[0].selector, "y2026.rsa");
	ck_assert_str_eq(c->domains[0].keys[0].key,
	                 "pkcs11:token=YubiHSM;object=example-rsa;type=private");
	ck_assert_str_eq(c->domains[1].domain, "mail.example.org");
	ck_assert_uint_eq(c->domains[1].nkeys, 2);
	ck_assert_str_eq(c->domains[1].keys[0].key, "pkcs11:id=%01%02");
	ck_assert_str_eq(c->domains[1].keys[1].selector, "rsa");
	conf_free(c);
}
END_TEST

/* Only a token: everything else takes its documented default. */
START_TEST(test_good_defaults)
{
	struct conf *c = ct_load_ok("defaults.conf", CT_TOKEN);

	/* A unix socket: the milter protocol has no authentication (issue 16, M1). */
	ck_assert_str_eq(c->socket, "unix:/run/p11dkim/p11dkim.sock");
	ck_assert_int_eq(c->socket_kind, CONF_SOCKET_UNIX);
	ck_assert_uint_eq(c->socket_port, 0);
	ck_assert_ptr_null(c->socket_host);
	ck_assert_str_eq(c->socket_path, "/run/p11dkim/p11dkim.sock");
	ck_assert_uint_eq(c->socket_umask, 0007);
	ck_assert_ptr_null(c->user);
	ck_assert_ptr_null(c->group);
	ck_assert_ptr_null(c->pid_file);
	ck_assert_str_eq(c->log, "syslog");
	ck_assert_str_eq(c->syslog_facility, "mail");
	ck_assert_int_eq(c->syslog_facility_value, LOG_MAIL);
	ck_assert_ptr_null(c->metrics_file);
	ck_assert_uint_eq(c->metrics_interval, 10);
	ck_assert_ptr_null(c->keytool_record);
	ck_assert_uint_eq(c->tokens[0].sessions, 0);
	ck_assert_uint_eq(c->tokens[0].borrow_timeout_ms, 5000);
	ck_assert(!c->tokens[0].allow_extractable);
	ck_assert_str_eq(c->tokens[0].pin_env, "PIN");
	ck_assert_uint_eq(c->ntokens, 1);
	ck_assert_uint_eq(c->sign.token_wait_ms, 120000);
	good_assert_sign_defaults(c);
	ck_assert_ptr_null(c->sign.headers);
	ck_assert_uint_eq(c->sign.nheaders, 0);
	ck_assert(c->sign.oversign);
	ck_assert_int_eq(c->sign.expire_after, 0);
	ck_assert(!c->sign.resign);
	ck_assert_uint_eq(c->ndomains, 0);
	ck_assert_ptr_null(conf_signtable_lookup(c, "example.com"));
	conf_free(c);
}
END_TEST

/* Several tokens holding the same keys (issue 15): file order, each with its own settings. */
START_TEST(test_good_tokens)
{
	struct conf *c = ct_load_ok(
	    "tokens.conf",
	    "tokens = ( { module = \"/usr/lib/softhsm/libsofthsm2.so\"; token = \"dkim-a\";\n"
	    "             pin_file = \"/etc/p11dkim/pin-a\"; },\n"
	    "           { module = \"/usr/lib/softhsm/libsofthsm2.so\"; token = \"dkim-b\";\n"
	    "             pin_file = \"/etc/p11dkim/pin-b\"; sessions = 2; borrow_timeout_ms = 50; } "
	    ");\n"
	    "sign = { token_wait_ms = 30000; };\n");

	ck_assert_uint_eq(c->ntokens, 2);
	ck_assert_str_eq(c->tokens[0].token, "dkim-a");
	ck_assert_str_eq(c->tokens[0].pin_file, "/etc/p11dkim/pin-a");
	ck_assert_uint_eq(c->tokens[0].sessions, 0);
	ck_assert_uint_eq(c->tokens[0].borrow_timeout_ms, 5000);
	ck_assert_int_eq(c->tokens[0].line, 1);
	ck_assert_str_eq(c->tokens[1].token, "dkim-b");
	ck_assert_uint_eq(c->tokens[1].sessions, 2);
	ck_assert_uint_eq(c->tokens[1].borrow_timeout_ms, 50);
	ck_assert_int_eq(c->tokens[1].line, 3);
	ck_assert_uint_eq(c->sign.token_wait_ms, 30000);
	conf_free(c);
}
END_TEST

/* An internal_hosts block may name the domains its clients sign (issue 16, H1). */
START_TEST(test_good_host_domains)
{
	struct conf *c = ct_load_ok("hostdomains.conf", CT_TOKEN
	                            "sign = { internal_hosts = [ \"10.1.0.0/16 example.com, "
	                            "example.org\", \"127.0.0.1\" ]; };\n");
	struct sockaddr_in in;

	ck_assert_uint_eq(c->sign.ninternal, 2);
	ck_assert_uint_eq(c->sign.internal_hosts[0].ndomains, 2);
	ck_assert_str_eq(c->sign.internal_hosts[0].domains[1], "example.org");
	ck_assert_ptr_null(c->sign.internal_hosts[1].domains);
	memset(&in, 0, sizeof(in));
	in.sin_family = AF_INET;
	inet_pton(AF_INET, "10.1.2.3", &in.sin_addr);
	ck_assert(conf_internal_may_sign(c, (struct sockaddr *)&in, "mail.example.com"));
	ck_assert(!conf_internal_may_sign(c, (struct sockaddr *)&in, "example.net"));
	inet_pton(AF_INET, "127.0.0.1", &in.sin_addr);
	ck_assert(conf_internal_may_sign(c, (struct sockaddr *)&in, "example.net"));
	inet_pton(AF_INET, "192.0.2.1", &in.sin_addr);
	ck_assert(!conf_internal_may_sign(c, (struct sockaddr *)&in, "example.com"));
	conf_free(c);
}
END_TEST

static const struct {
	const char *domain, *allowed;
	bool within;
} within_cases[] = {
    {"example.com", "example.com", true},
    {"EXAMPLE.com.", "example.COM", true},
    {"a.b.example.com", "example.com", true},
    {"badexample.com", "example.com", false},
    {"example.com", "a.example.com", false},
    {"com", "example.com", false},
    {"example.com", "", false},
    {"xexample.com", "example.com", false},
};

START_TEST(test_good_domain_within)
{
	ck_assert_int_eq(conf_domain_within(within_cases[_i].domain, within_cases[_i].allowed),
	                 within_cases[_i].within);
}
END_TEST

/* An empty internal_hosts list is allowed: then only SMTP AUTH is signed. */
START_TEST(test_good_no_internal)
{
	struct conf *c =
	    ct_load_ok("nointernal.conf", CT_TOKEN "sign = { internal_hosts = [ ]; };\n");

	ck_assert_uint_eq(c->sign.ninternal, 0);
	conf_free(c);
}
END_TEST

static const struct {
	const char *spec;
	enum conf_socket_kind kind;
	unsigned port;
	const char *host; /* or path for unix */
} socket_cases[] = {
    {"inet:8891@127.0.0.1", CONF_SOCKET_INET, 8891, "127.0.0.1"},
    {"inet:1@localhost", CONF_SOCKET_INET, 1, "localhost"},
    {"inet:65535@[10.0.0.1]", CONF_SOCKET_INET, 65535, "10.0.0.1"},
    {"inet:8891", CONF_SOCKET_INET, 8891, NULL},
    {"inet6:8891@::1", CONF_SOCKET_INET6, 8891, "::1"},
    {"inet6:8891@[2001:db8::25]", CONF_SOCKET_INET6, 8891, "2001:db8::25"},
    {"inet6:12345@mail.example.com", CONF_SOCKET_INET6, 12345, "mail.example.com"},
    {"unix:/var/spool/postfix/p11dkim/p11dkim.sock", CONF_SOCKET_UNIX, 0,
     "/var/spool/postfix/p11dkim/p11dkim.sock"},
    {"local:/run/p11dkim.sock", CONF_SOCKET_UNIX, 0, "/run/p11dkim.sock"},
};

START_TEST(test_good_socket)
{
	char text[1024];
	struct conf *c;

	snprintf(text, sizeof(text), CT_TOKEN "socket = \"%s\";\n", socket_cases[_i].spec);
	c = ct_load_ok("socket.conf", text);
	ck_assert_str_eq(c->socket, socket_cases[_i].spec);
	ck_assert_int_eq(c->socket_kind, socket_cases[_i].kind);
	ck_assert_uint_eq(c->socket_port, socket_cases[_i].port);
	if (socket_cases[_i].kind == CONF_SOCKET_UNIX) {
		ck_assert_str_eq(c->socket_path, socket_cases[_i].host);
		ck_assert_ptr_null(c->socket_host);
	} else {
		ck_assert_ptr_null(c->socket_path);
		if (socket_cases[_i].host == NULL)
			ck_assert_ptr_null(c->socket_host);
		else
			ck_assert_str_eq(c->socket_host, socket_cases[_i].host);
	}
	conf_free(c);
}
END_TEST

static const struct {
	const char *written;
	unsigned umask;
} umask_cases[] = {
    {"\"0007\"", 0007}, {"\"007\"", 0007}, {"\"0\"", 0},    {"\"0777\"", 0777},
    {"\"0117\"", 0117}, {"0077", 0077},    {"77", 0077},    {"7", 0007},
    {"0", 0},           {"0x3F", 0077},    {"0x1FF", 0777},
};

START_TEST(test_good_umask)
{
	char text[1024];
	struct conf *c;

	snprintf(text, sizeof(text), CT_TOKEN "socket_umask = %s;\n", umask_cases[_i].written);
	c = ct_load_ok("umask.conf", text);
	ck_assert_msg(c->socket_umask == umask_cases[_i].umask, "%s: %04o, want %04o",
	              umask_cases[_i].written, c->socket_umask, umask_cases[_i].umask);
	conf_free(c);
}
END_TEST

static const struct {
	const char *written;
	enum conf_canon h, b;
} canon_cases[] = {
    {"relaxed/relaxed", CONF_CANON_RELAXED, CONF_CANON_RELAXED},
    {"relaxed/simple", CONF_CANON_RELAXED, CONF_CANON_SIMPLE},
    {"simple/relaxed", CONF_CANON_SIMPLE, CONF_CANON_RELAXED},
    {"simple/simple", CONF_CANON_SIMPLE, CONF_CANON_SIMPLE},
    {"relaxed", CONF_CANON_RELAXED, CONF_CANON_SIMPLE},
    {"simple", CONF_CANON_SIMPLE, CONF_CANON_SIMPLE},
    {"Relaxed/Relaxed", CONF_CANON_RELAXED, CONF_CANON_RELAXED},
};

START_TEST(test_good_canon)
{
	char text[1024];
	struct conf *c;

	snprintf(text, sizeof(text), CT_TOKEN "sign = { canonicalization = \"%s\"; };\n",
	         canon_cases[_i].written);
	c = ct_load_ok("canon.conf", text);
	ck_assert_int_eq(c->sign.hdr_canon, canon_cases[_i].h);
	ck_assert_int_eq(c->sign.body_canon, canon_cases[_i].b);
	snprintf(text, sizeof(text), "%s/%s", conf_canon_name(c->sign.hdr_canon),
	         conf_canon_name(c->sign.body_canon));
	if (strchr(canon_cases[_i].written, '/') != NULL)
		ck_assert_int_eq(strcasecmp(text, canon_cases[_i].written), 0);
	conf_free(c);
}
END_TEST

/* config/ recognises a pkcs11: URI by its scheme in any case and leaves the rest to pkcs11/
 * (p11dkim -n checks it there): no label limit, no URI syntax check here. */
START_TEST(test_good_uris_left_to_pkcs11)
{
	struct conf *c = ct_load_ok(
	    "uris.conf", "token = { module = \"/usr/lib/softhsm/libsofthsm2.so\"; token = "
	                 "\"PKCS11:token=a%20label%20longer%20than%20thirty-two%20bytes\"; pin_env "
	                 "= \"PIN\"; };\n"
	                 "domains = ( { domain = \"a.example\"; keys = ( { selector = \"s\"; key = "
	                 "\"pkcs11:object=a%zz\"; } ); } );\n");

	ck_assert_str_eq(c->tokens[0].token,
	                 "PKCS11:token=a%20label%20longer%20than%20thirty-two%20bytes");
	ck_assert_str_eq(c->domains[0].keys[0].key, "pkcs11:object=a%zz");
	conf_free(c);
}
END_TEST

/* The names the DKIM side sees are normalised: lowercase, no trailing dot,
 * and an A-label domain is kept as written. */
START_TEST(test_good_names)
{
	struct conf *c = ct_load_ok(
	    "names.conf", CT_TOKEN "domains = ( { domain = \"XN--Bcher-KVA.Example.\"; keys = ( { "
	                           "selector = \"Sel-1.a2\"; key = \"label with spaces\"; } ); },\n"
	                           "  { domain = \"localhost\"; keys = ( { selector = \"s\"; key = "
	                           "\"pkcs11:object=k;token=dkim\"; } ); } );\n");

	ck_assert_uint_eq(c->ndomains, 2);
	ck_assert_str_eq(c->domains[0].domain, "xn--bcher-kva.example");
	ck_assert_str_eq(c->domains[0].keys[0].selector, "Sel-1.a2");
	ck_assert_str_eq(c->domains[0].keys[0].key, "label with spaces");
	ck_assert_str_eq(c->domains[1].domain, "localhost");
	conf_free(c);
}
END_TEST

/* Reloading gives an independent, equal object (the daemon swaps them). */
START_TEST(test_good_twice)
{
	struct conf *a = good_load_file("good-full.conf");
	struct conf *b = good_load_file("good-full.conf");

	ck_assert_ptr_ne(a, b);
	ck_assert_ptr_ne(a->domains, b->domains);
	ck_assert_str_eq(a->domains[1].keys[1].key, b->domains[1].keys[1].key);
	conf_free(a);
	ck_assert_str_eq(b->domains[1].keys[1].key, "mail-rsa");
	conf_free(b);
	conf_free(NULL);
}
END_TEST

/* Numbers written with an L suffix, in hex, with a sign, or next to another
 * setting on the same line are read as written. */
START_TEST(test_good_numbers)
{
	struct conf *c = ct_load_ok(
	    "numbers.conf",
	    "token = { module = \"/m.so\"; token = \"t\"; pin_env = \"P\"; sessions = 8L; "
	    "borrow_timeout_ms=0x10; };\n"
	    "metrics_interval = +30; sign = { expire_after = 86400; };\n"
	    "# metrics_interval = 4294967306;\n");

	ck_assert_uint_eq(c->tokens[0].sessions, 8);
	ck_assert_uint_eq(c->tokens[0].borrow_timeout_ms, 16);
	ck_assert_uint_eq(c->metrics_interval, 30);
	ck_assert_int_eq(c->sign.expire_after, 86400);
	conf_free(c);
}
END_TEST

/* The same text from memory: no file, no file checks, same result. */
START_TEST(test_good_buffer)
{
	static const char text[] = CT_TOKEN "domains = ( { domain = \"b.example\"; keys = ( { "
	                                    "selector = \"s\"; key = \"k\"; } ); } );\n";
	struct conf_errors errs;
	struct conf *c;

	c = conf_load_buffer("mem.conf", text, strlen(text), &errs);
	ck_assert_ptr_nonnull(c);
	ck_assert_uint_eq(errs.n, 0);
	ck_assert_str_eq(c->path, "mem.conf");
	ck_assert_ptr_eq(conf_signtable_lookup(c, "B.Example"), &c->domains[0]);
	conf_free(c);
	conf_errors_free(&errs);

	c = conf_load_buffer("mem.conf", text, 20, &errs);
	ck_assert_ptr_null(c);
	ck_assert_uint_eq(errs.n, 1);
	ck_assert_str_eq(errs.v[0].file, "mem.conf");
	ck_assert_int_eq(errs.v[0].line, 1);
	conf_errors_free(&errs);

	c = conf_load_buffer(NULL, "", 0, &errs);
	ck_assert_ptr_null(c);
	ck_assert_uint_eq(errs.n, 1);
	ck_assert_str_eq(errs.v[0].setting, "token");
	conf_errors_free(&errs);
}
END_TEST

Suite *
ct_suite_good(void)
{
	Suite *s = suite_create("config: accepted files");
	TCase *tc = tcase_create("good");

	/* A safety net for a loaded machine, not a speed test. */
	tcase_set_timeout(tc, CT_TIMEOUT);

	tcase_add_test(tc, test_good_design);
	tcase_add_test(tc, test_good_full);
	tcase_add_test(tc, test_good_defaults);
	tcase_add_test(tc, test_good_tokens);
	tcase_add_test(tc, test_good_host_domains);
	tcase_add_loop_test(tc, test_good_domain_within, 0,
	                    sizeof(within_cases) / sizeof(within_cases[0]));
	tcase_add_test(tc, test_good_no_internal);
	tcase_add_loop_test(tc, test_good_socket, 0,
	                    (int)(sizeof(socket_cases) / sizeof(socket_cases[0])));
	tcase_add_loop_test(tc, test_good_umask, 0,
	                    (int)(sizeof(umask_cases) / sizeof(umask_cases[0])));
	tcase_add_loop_test(tc, test_good_canon, 0,
	                    (int)(sizeof(canon_cases) / sizeof(canon_cases[0])));
	tcase_add_test(tc, test_good_names);
	tcase_add_test(tc, test_good_uris_left_to_pkcs11);
	tcase_add_test(tc, test_good_twice);
	tcase_add_test(tc, test_good_numbers);
	tcase_add_test(tc, test_good_buffer);
	suite_add_tcase(s, tc);
	return s;
}
