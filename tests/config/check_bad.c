/*
 * tests/config/check_bad.c: files that must be refused, each with the line,
 * the setting and a fragment of the message the operator will read.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tests/config/ct.h"

struct bad_case {
	const char *name;
	const char *text; /* follows CT_TOKEN (line 1) unless no_token */
	int line;
	const char *setting;
	const char *fragment;
	int no_token;
};

/* Each case has exactly one error; BAD_NT cases bring their own token group. */
#define BAD(name, text, line, setting, fragment)                                                   \
	{                                                                                          \
		name, text, line, setting, fragment, 0                                             \
	}
#define BAD_NT(name, text, line, setting, fragment)                                                \
	{                                                                                          \
		name, text, line, setting, fragment, 1                                             \
	}

#define KEYS "keys = ( { selector = \"s1\"; key = \"k1\"; } );"

static const struct bad_case bad_cases[] = {
    /* Unknown settings, with and without a near miss. */
    BAD("unknown top", "sockett = \"inet:1@127.0.0.1\";\n", 2, "sockett",
        "unknown setting 'sockett' (did you mean 'socket'?)"),
    BAD("unknown top, far", "colour = \"blue\";\n", 2, "colour", "unknown setting 'colour'"),
    BAD_NT("unknown in token",
           "token = { module = \"/m.so\"; token = \"t\"; pin_env = \"P\";\n session = 4; };\n", 2,
           "token.session", "did you mean 'sessions'?"),
    BAD("unknown in sign", "sign = {\n  canonicalisation = \"relaxed\"; };\n", 3,
        "sign.canonicalisation", "did you mean 'canonicalization'?"),
    BAD("unknown in domain",
        "domains = ( { domain = \"a.example\";\n  subdomain = true; " KEYS " } );\n", 3,
        "domains[0].subdomain", "did you mean 'subdomains'?"),
    BAD("unknown in key",
        "domains = ( { domain = \"a.example\";\n keys = ( { selector = \"s\"; key = \"k\";\n  "
        "algorithm = \"rsa\"; } ); } );\n",
        4, "domains[0].keys[0].algorithm", "unknown setting 'algorithm'"),
    /* Wrong types. */
    BAD_NT(
        "sessions string",
        "token = { module = \"/m.so\"; token = \"t\"; pin_env = \"P\";\n  sessions = \"8\"; };\n",
        2, "token.sessions", "must be an integer, not a string"),
    BAD("bool as string", "sign = { sign_authenticated = \"yes\"; };\n", 2,
        "sign.sign_authenticated", "must be a boolean (true or false), not a string"),
    BAD_NT("token not a group", "token = \"dkim\";\n", 1, "token", "must be a group"),
    BAD("socket integer", "socket = 8891;\n", 2, "socket", "must be a string, not an integer"),
    BAD("internal_hosts string", "sign = { internal_hosts = \"10.0.0.0/8\"; };\n", 2,
        "sign.internal_hosts", "must be a list ( ... ) or an array [ ... ], not a string"),
    BAD("domains array", "domains = [ \"a.example\" ];\n", 2, "domains",
        "must be a list ( ... ), not an array"),
    BAD("domain entry string", "domains = ( \"a.example\" );\n", 2, "domains[0]",
        "must be a group"),
    BAD("key entry string", "domains = ( { domain = \"a.example\";\n keys = ( \"k\" ); } );\n", 3,
        "domains[0].keys[0]", "must be a group"),
    BAD("expire float", "sign = { expire_after = 3600.0; };\n", 2, "sign.expire_after",
        "not a float"),
    /* CIDRs. */
    BAD("cidr v4 bad", "sign = { internal_hosts = [ \"127.0.0.1\",\n \"10.0.0.300\" ]; };\n", 3,
        "sign.internal_hosts[1]", "'10.0.0.300' is not a valid IPv4 address"),
    BAD("cidr v6 bad", "sign = { internal_hosts = [ \"fe80::zz/64\" ]; };\n", 2,
        "sign.internal_hosts[0]", "'fe80::zz' is not a valid IPv6 address"),
    BAD("cidr v4 prefix long", "sign = { internal_hosts = [ \"10.0.0.0/33\" ]; };\n", 2,
        "sign.internal_hosts[0]", "prefix length longer than 32"),
    BAD("cidr v6 prefix long", "sign = { internal_hosts = [ \"::1/129\" ]; };\n", 2,
        "sign.internal_hosts[0]", "prefix length longer than 128"),
    BAD("cidr prefix junk", "sign = { internal_hosts = [ \"10.0.0.0/8x\" ]; };\n", 2,
        "sign.internal_hosts[0]", "must be a number"),
    BAD("cidr prefix empty", "sign = { internal_hosts = [ \"10.0.0.0/\" ]; };\n", 2,
        "sign.internal_hosts[0]", "must be a number"),
    BAD("cidr host bits", "sign = { internal_hosts = [ \"10.1.0.0/8\" ]; };\n", 2,
        "sign.internal_hosts[0]", "host bits set past /8 (did you mean 10.0.0.0/8?)"),
    BAD("cidr v6 host bits", "sign = { internal_hosts = [ \"2001:db8::1/32\" ]; };\n", 2,
        "sign.internal_hosts[0]", "did you mean 2001:db8::/32?"),
    BAD("cidr zone", "sign = { internal_hosts = [ \"fe80::1%eth0\" ]; };\n", 2,
        "sign.internal_hosts[0]", "zone indexes"),
    BAD("cidr not string", "sign = { internal_hosts = [ 10 ]; };\n", 2, "sign.internal_hosts[0]",
        "must be a string"),
    /* Domains and keys. */
    BAD("domain without keys", "domains = (\n { domain = \"a.example\"; } );\n", 3,
        "domains[0].keys", "domain a.example has no keys"),
    BAD("domain empty keys", "domains = ( { domain = \"a.example\";\n keys = ( ); } );\n", 3,
        "domains[0].keys", "domain a.example has no keys"),
    BAD("domain missing name", "domains = (\n { " KEYS " } );\n", 3, "domains[0].domain",
        "required setting missing"),
    BAD("duplicate selector",
        "domains = ( { domain = \"a.example\";\n keys = ( { selector = \"s1\"; key = \"k1\"; },\n  "
        "{ selector = \"S1\"; key = \"k2\"; } ); } );\n",
        4, "domains[0].keys[1].selector",
        "duplicate selector 'S1' in domain a.example (first at line 3)"),
    BAD("duplicate domain",
        "domains = (\n { domain = \"a.example\"; " KEYS " },\n { domain = \"A.Example.\"; " KEYS
        " } );\n",
        4, "domains[1].domain", "duplicate domain a.example (first at line 3)"),
    BAD("domain underscore", "domains = ( { domain = \"exa_mple.com\"; " KEYS " } );\n", 2,
        "domains[0].domain", "has a character other than letters"),
    BAD("domain leading hyphen", "domains = ( { domain = \"-a.example\"; " KEYS " } );\n", 2,
        "domains[0].domain", "starts with '-'"),
    BAD("domain empty label", "domains = ( { domain = \"a..example\"; " KEYS " } );\n", 2,
        "domains[0].domain", "empty label"),
    BAD("domain utf8",
        "domains = ( { domain = \"b\xc3\xbc"
        "cher.example\"; " KEYS " } );\n",
        2, "domains[0].domain", "A-label"),
    BAD("domain label 64",
        "domains = ( { domain = "
        "\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.example\"; " KEYS
        " } );\n",
        2, "domains[0].domain", "longer than 63"),
    BAD("selector underscore",
        "domains = ( { domain = \"a.example\";\n keys = ( { selector = \"s_1\"; key = \"k\"; } ); "
        "} );\n",
        3, "domains[0].keys[0].selector", "selector 's_1' has a character"),
    BAD("selector missing",
        "domains = ( { domain = \"a.example\";\n keys = ( { key = \"k\"; } ); } );\n", 3,
        "domains[0].keys[0].selector", "required setting missing"),
    BAD("key empty",
        "domains = ( { domain = \"a.example\";\n keys = ( { selector = \"s\"; key = \"\"; } ); } "
        ");\n",
        3, "domains[0].keys[0].key", "must not be empty"),
    BAD("key control char",
        "domains = ( { domain = \"a.example\";\n keys = ( { selector = \"s\"; key = \"a\\nb\"; } "
        "); } );\n",
        3, "domains[0].keys[0].key", "control character"),
    /* sign { }. */
    BAD("unknown canonicalization", "sign = {\n canonicalization = \"relaxed/loose\"; };\n", 3,
        "sign.canonicalization", "unknown canonicalization 'relaxed/loose'"),
    BAD("canonicalization nowhere", "sign = { canonicalization = \"nowsp\"; };\n", 2,
        "sign.canonicalization", "unknown canonicalization"),
    BAD("on_token_error", "sign = { on_token_error = \"drop\"; };\n", 2, "sign.on_token_error",
        "unknown value 'drop'"),
    BAD("headers without from", "sign = { headers = [ \"to\", \"subject\" ]; };\n", 2,
        "sign.headers", "must include From"),
    BAD("headers twice", "sign = { headers = [ \"From\", \"Subject\",\n \"subject\" ]; };\n", 3,
        "sign.headers[2]", "'subject' is listed twice"),
    BAD("internal host bad domain",
        "sign = { internal_hosts = [ \"10.0.0.0/8 example.com, bad_name\" ]; };\n", 2,
        "sign.internal_hosts[0]", "domain 'bad_name' has a character"),
    BAD("login_domains value", "sign = { login_domains = \"mine\"; };\n", 2, "sign.login_domains",
        "must be \"own\" or \"any\", not \"mine\""),
    BAD("bare_logins value", "sign = { bare_logins = \"yes\"; };\n", 2, "sign.bare_logins",
        "must be \"refuse\" or \"any\""),
    BAD("login_map relative", "sign = { login_map = \"logins\"; };\n", 2, "sign.login_map",
        "absolute"),
    BAD("mta with a space", "sign = { mta = [ \"ORIGINATING\", \"a b\" ]; };\n", 2, "sign.mta[1]",
        "'a b' is not an MTA service name"),
    BAD("mta not a list", "sign = { mta = \"ORIGINATING\"; };\n", 2, "sign.mta", "must be a"),
    BAD("headers semicolon", "sign = { headers = [ \"From\", \"X;Y\" ]; };\n", 2, "sign.headers[1]",
        "'X;Y' is not a header field name"),
    BAD("headers colon", "sign = { headers = [ \"From\", \"X:Y\" ]; };\n", 2, "sign.headers[1]",
        "is not a header field name"),
    BAD("expire too short", "sign = { expire_after = 60; };\n", 2, "sign.expire_after",
        "60 seconds is too short"),
    BAD("expire negative", "sign = { expire_after = -1; };\n", 2, "sign.expire_after",
        "out of range"),
    /* token { }. */
    BAD_NT("token missing", "socket = \"inet:8891@127.0.0.1\";\n", 0, "token",
           "required: token { ... } for one token, or tokens = ( { ... }, ... )"),
    /* tokens = ( ... ) (issue 15). */
    BAD_NT("token and tokens",
           "token = { module = \"/m.so\"; token = \"t\"; pin_env = \"P\"; };\n"
           "tokens = ( { module = \"/m.so\"; token = \"u\"; pin_env = \"P\"; } );\n",
           2, "tokens", "not both (token is at line 1)"),
    BAD_NT("tokens empty", "tokens = ( );\n", 1, "tokens", "is empty"),
    BAD_NT("tokens not a list", "tokens = { module = \"/m.so\"; };\n", 1, "tokens",
           "a list ( ... )"),
    BAD_NT("tokens element not a group", "tokens = ( \"dkim-a\" );\n", 1, "tokens[0]",
           "must be a group"),
    BAD_NT("tokens element lacks pin",
           "tokens = ( { module = \"/m.so\"; token = \"a\"; pin_env = \"P\"; },\n"
           "  { module = \"/m.so\"; token = \"b\"; } );\n",
           2, "tokens[1]", "needs pin_file or pin_env"),
    BAD_NT("tokens element unknown setting",
           "tokens = ( { module = \"/m.so\"; token = \"a\"; pin_env = \"P\";\n"
           "  sesions = 2; } );\n",
           2, "tokens[0].sesions", "did you mean 'sessions'?"),
    BAD_NT("tokens listed twice",
           "tokens = ( { module = \"/m.so\"; token = \"a\"; pin_env = \"P\"; },\n"
           "  { module = \"/m.so\"; token = \"a\"; pin_env = \"Q\"; } );\n",
           2, "tokens[1].token", "listed twice (also at line 1)"),
    BAD("token_wait_ms zero", "sign = { token_wait_ms = 0; };\n", 2, "sign.token_wait_ms",
        "out of range"),
    BAD_NT("module missing", "token = {\n token = \"t\"; pin_env = \"P\"; };\n", 1, "token.module",
           "required setting missing"),
    BAD_NT("no pin", "token = {\n module = \"/m.so\"; token = \"t\"; };\n", 1, "token",
           "needs pin_file or pin_env"),
    BAD_NT(
        "both pins",
        "token = { module = \"/m.so\"; token = \"t\"; pin_file = \"/p\";\n pin_env = \"P\"; };\n",
        2, "token.pin_env", "not both"),
    BAD_NT("pin_file relative",
           "token = { module = \"/m.so\"; token = \"t\";\n pin_file = \"pin\"; };\n", 2,
           "token.pin_file", "must be an absolute path"),
    BAD_NT("pin_env bad", "token = { module = \"/m.so\"; token = \"t\";\n pin_env = \"1PIN\"; };\n",
           2, "token.pin_env", "not an environment variable name"),
    BAD_NT("sessions range",
           "token = { module = \"/m.so\"; token = \"t\"; pin_env = \"P\";\n sessions = 2000; };\n",
           2, "token.sessions", "2000 is out of range (0..1024)"),
    BAD_NT("borrow timeout 0",
           "token = { module = \"/m.so\"; token = \"t\"; pin_env = \"P\";\n borrow_timeout_ms = 0; "
           "};\n",
           2, "token.borrow_timeout_ms", "out of range"),
    BAD_NT("token label long",
           "token = { module = \"/m.so\"; pin_env = \"P\";\n token = "
           "\"0123456789012345678901234567890123\"; };\n",
           2, "token.token", "at most 32 bytes"),
    BAD_NT("extractable string",
           "token = { module = \"/m.so\"; token = \"t\"; pin_env = \"P\";\n allow_extractable = 1; "
           "};\n",
           2, "token.allow_extractable", "must be a boolean"),
    /* Numbers libconfig 1.5 would wrap into range. */
    BAD_NT("sessions wrapped",
           "token = { module = \"/m.so\"; token = \"t\"; pin_env = \"P\";\n sessions = 4294967304; "
           "};\n",
           2, "token.sessions", "the number written is out of range (0..1024)"),
    BAD_NT("sessions int64",
           "token = { module = \"/m.so\"; token = \"t\"; pin_env = \"P\";\n sessions = "
           "4294967304L; };\n",
           2, "token.sessions", "4294967304 is out of range (0..1024)"),
    BAD("expire wrapped", "sign = { expire_after = 4294971496; };\n", 2, "sign.expire_after",
        "the number written is out of range"),
    BAD("metrics wrapped", "metrics_interval=+4294967306;\n", 2, "metrics_interval",
        "the number written is out of range"),
    BAD("umask wrapped", "socket_umask = 4294967303;\n", 2, "socket_umask", "octal digits"),
    BAD("huge literal", "metrics_interval = 99999999999999999999999;\n", 2, "metrics_interval",
        "out of range"),
    /* Sockets. */
    BAD("socket unknown type", "socket = \"tcp:8891@127.0.0.1\";\n", 2, "socket",
        "unknown socket type"),
    BAD("socket port range", "socket = \"inet:99999@127.0.0.1\";\n", 2, "socket",
        "needs a port 1..65535"),
    BAD("socket port zero", "socket = \"inet:0@127.0.0.1\";\n", 2, "socket", "needs a port"),
    BAD("socket no port", "socket = \"inet:@127.0.0.1\";\n", 2, "socket", "needs a port"),
    BAD("socket empty host", "socket = \"inet:8891@\";\n", 2, "socket", "empty host"),
    BAD("socket v6 in inet", "socket = \"inet:8891@::1\";\n", 2, "socket", "use inet6:"),
    BAD("socket v4 in inet6", "socket = \"inet6:8891@127.0.0.1\";\n", 2, "socket", "use inet:"),
    BAD("socket bad v4", "socket = \"inet:8891@127.0.0.300\";\n", 2, "socket", "bad IPv4 address"),
    BAD("socket bad host", "socket = \"inet:8891@bad_host\";\n", 2, "socket",
        "neither an address nor a host name"),
    BAD("socket unix relative", "socket = \"unix:p11dkim.sock\";\n", 2, "socket", "absolute path"),
    BAD("socket unix long",
        "socket = "
        "\"local:/"
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\";\n",
        2, "socket", "too long"),
    /* The rest of the top level. */
    BAD("umask 8", "socket_umask = \"0800\";\n", 2, "socket_umask", "octal digits"),
    BAD("umask int 9", "socket_umask = 0079;\n", 2, "socket_umask", "octal digits"),
    BAD("umask big", "socket_umask = \"01000\";\n", 2, "socket_umask", "0000..0777"),
    BAD("umask bool", "socket_umask = true;\n", 2, "socket_umask", "not a boolean"),
    BAD("pid_file relative", "pid_file = \"run/p11dkim.pid\";\n", 2, "pid_file", "absolute path"),
    BAD("log file", "log = \"file\";\n", 2, "log", "unknown value 'file'"),
    BAD("syslog facility", "syslog_facility = \"local9\";\n", 2, "syslog_facility",
        "unknown facility 'local9'"),
    BAD("metrics relative", "metrics_file = \"p11dkim.prom\";\n", 2, "metrics_file",
        "absolute path"),
    BAD("keytool record relative", "keytool_record = \"ceremony.jsonl\";\n", 2, "keytool_record",
        "absolute path"),
    BAD("metrics interval", "metrics_interval = 0;\n", 2, "metrics_interval",
        "0 is out of range (1..3600)"),
    BAD("user with slash", "user = \"a/b\";\n", 2, "user", "not a user or group name"),
    /* Syntax. */
    BAD("syntax error", "sign = {\n  oversign = true;\n  resign = ;\n};\n", 4, "", "syntax error"),
    BAD("duplicate setting", "socket = \"inet:1@127.0.0.1\";\nsocket = \"inet:2@127.0.0.1\";\n", 3,
        "", "duplicate setting name"),
};

static void
bad_check_one(const struct bad_case *c)
{
	struct conf_errors errs;
	struct conf *conf;
	char text[8192], name[64], buf[8192];
	const char *path;
	size_t i;

	snprintf(text, sizeof(text), "%s%s", c->no_token ? "" : CT_TOKEN, c->text);
	snprintf(name, sizeof(name), "bad-%d.conf", (int)(c - bad_cases));
	path = ct_write(name, text, 0600);
	conf = conf_load_errors(path, &errs);
	ck_assert_msg(conf == NULL, "%s: loaded", c->name);
	for (i = 0; i < errs.n; i++)
		fprintf(stderr, "%s: %s\n", c->name,
		        conf_error_format(&errs.v[i], buf, sizeof(buf)));
	ck_assert_msg(errs.n == 1, "%s: %zu errors, want 1", c->name, errs.n);
	ck_assert_msg(errs.v[0].line == c->line, "%s: line %d, want %d", c->name, errs.v[0].line,
	              c->line);
	ck_assert_msg(strcmp(errs.v[0].setting, c->setting) == 0, "%s: setting '%s', want '%s'",
	              c->name, errs.v[0].setting, c->setting);
	ck_assert_msg(strstr(errs.v[0].msg, c->fragment) != NULL, "%s: message '%s' lacks '%s'",
	              c->name, errs.v[0].msg, c->fragment);
	ck_assert_msg(strstr(errs.v[0].file, name) != NULL, "%s: file '%s'", c->name,
	              errs.v[0].file);
	conf_errors_free(&errs);
}

START_TEST(test_bad_table)
{
	bad_check_one(&bad_cases[_i]);
}
END_TEST

/* conf_load() gives the first error and counts the rest; the formatted text
 * has the file, the line and the setting. */
START_TEST(test_bad_first_and_count)
{
	struct conf_error err;
	struct conf_errors errs;
	char buf[8192], want[8192];
	const char *path;
	static const char text[] = CT_TOKEN "sign = { oversign = 1;\n"
	                                    "  on_token_error = \"drop\"; };\n"
	                                    "domains = ( { domain = \"a.example\"; } );\n"
	                                    "socket = \"tcp:1\";\n";

	path = ct_write("three.conf", text, 0600);
	ck_assert_ptr_null(conf_load(path, &err));
	ck_assert_uint_eq(err.more, 3);
	ck_assert_int_eq(err.line, 2);
	ck_assert_str_eq(err.setting, "sign.oversign");
	snprintf(want, sizeof(want),
	         "%s:2: sign.oversign: must be a boolean (true or false), not an integer", path);
	ck_assert_str_eq(conf_error_format(&err, buf, sizeof(buf)), want);

	ck_assert_ptr_null(conf_load_errors(path, &errs));
	ck_assert_uint_eq(errs.n, 4);
	ck_assert_int_eq(errs.v[0].line, 2);
	ck_assert_int_eq(errs.v[1].line, 3);
	ck_assert_str_eq(errs.v[1].setting, "sign.on_token_error");
	ck_assert_int_eq(errs.v[2].line, 4);
	ck_assert_str_eq(errs.v[2].setting, "domains[0].keys");
	ck_assert_int_eq(errs.v[3].line, 5);
	ck_assert_str_eq(errs.v[3].setting, "socket");
	conf_errors_free(&errs);
}
END_TEST

/* Hundreds of errors: the list is cut, and says so. */
START_TEST(test_bad_many)
{
	struct conf_errors errs;
	char *text, line[128];
	size_t len = 0, cap = 1 << 16;
	int i;

	text = malloc(cap);
	ck_assert_ptr_nonnull(text);
	len = (size_t)snprintf(text, cap, "%s", CT_TOKEN);
	for (i = 0; i < 300; i++) {
		snprintf(line, sizeof(line), "bogus%d = 1;\n", i);
		ck_assert_uint_lt(len + strlen(line), cap);
		memcpy(text + len, line, strlen(line) + 1);
		len += strlen(line);
	}
	ck_assert_ptr_null(conf_load_errors(ct_write("many.conf", text, 0600), &errs));
	ck_assert_uint_eq(errs.n, 101);
	ck_assert_int_eq(errs.v[0].line, 2);
	ck_assert_int_eq(errs.v[99].line, 101);
	ck_assert_ptr_nonnull(strstr(errs.v[100].msg, "too many errors"));
	conf_errors_free(&errs);
	free(text);
}
END_TEST

START_TEST(test_bad_too_many_keys)
{
	struct conf_error err;
	char text[16384];
	size_t len;
	int i;

	len = (size_t)snprintf(text, sizeof(text),
	                       "%sdomains = ( { domain = \"a.example\";\n keys = (", CT_TOKEN);
	for (i = 0; i < 17; i++)
		len += (size_t)snprintf(text + len, sizeof(text) - len,
		                        "%s{ selector = \"s%d\"; key = \"k\"; }", i ? "," : "", i);
	snprintf(text + len, sizeof(text) - len, "); } );\n");
	ck_assert_ptr_null(conf_load(ct_write("keys17.conf", text, 0600), &err));
	ck_assert_int_eq(err.line, 3);
	ck_assert_str_eq(err.setting, "domains[0].keys");
	ck_assert_str_eq(err.msg, "domain a.example has 17 keys; at most 16");
	/* 16 is fine: one message carries at most 16 signatures of ours. */
	len = (size_t)snprintf(text, sizeof(text),
	                       "%sdomains = ( { domain = \"a.example\";\n keys = (", CT_TOKEN);
	for (i = 0; i < 16; i++)
		len += (size_t)snprintf(text + len, sizeof(text) - len,
		                        "%s{ selector = \"s%d\"; key = \"k\"; }", i ? "," : "", i);
	snprintf(text + len, sizeof(text) - len, "); } );\n");
	conf_free(ct_load_ok("keys16.conf", text));
}
END_TEST

/* The signer takes at most 128 names in h=: 129 pass no -n (issue 16, L7). */
START_TEST(test_bad_too_many_headers)
{
	struct conf_error err;
	char text[16384];
	size_t len;
	int i;

	len = (size_t)snprintf(text, sizeof(text), "%ssign = {\n headers = [ \"From\"", CT_TOKEN);
	for (i = 1; i < 129; i++)
		len += (size_t)snprintf(text + len, sizeof(text) - len, ", \"X-H%d\"", i);
	snprintf(text + len, sizeof(text) - len, " ]; };\n");
	ck_assert_ptr_null(conf_load(ct_write("headers129.conf", text, 0600), &err));
	ck_assert_str_eq(err.setting, "sign.headers");
	ck_assert_str_eq(err.msg, "has 129 names; at most 128");
}
END_TEST

/* Line numbers stay right past 16 bits. */
START_TEST(test_bad_far_line)
{
	struct conf_error err;
	size_t cap = 80000 * 3 + 4096, len;
	char *text;
	int i;

	text = malloc(cap);
	ck_assert_ptr_nonnull(text);
	len = (size_t)snprintf(text, cap, "%s", CT_TOKEN);
	for (i = 0; i < 80000; i++) {
		memcpy(text + len, "#\n", 2);
		len += 2;
	}
	snprintf(text + len, cap - len, "metrics_interval = 0;\n");
	ck_assert_ptr_null(conf_load(ct_write("far.conf", text, 0600), &err));
	free(text);
	ck_assert_int_eq(err.line, 80002);
	ck_assert_str_eq(err.setting, "metrics_interval");
}
END_TEST

static const char good_min[] = CT_TOKEN;

START_TEST(test_bad_no_name)
{
	struct conf_error err;

	ck_assert_ptr_null(conf_load("", &err));
	ck_assert_str_eq(err.msg, "no configuration file named");
	ck_assert_ptr_null(conf_load(NULL, &err));
	ck_assert_str_eq(err.msg, "no configuration file named");
	ck_assert_uint_eq(err.more, 0);
}
END_TEST

START_TEST(test_bad_missing_file)
{
	struct conf_error err;
	char path[8192];

	snprintf(path, sizeof(path), "%s/does-not-exist.conf", ct_dir());
	ck_assert_ptr_null(conf_load(path, &err));
	ck_assert_str_eq(err.file, path);
	ck_assert_int_eq(err.line, 0);
	ck_assert_str_eq(err.setting, "");
	ck_assert_str_eq(err.msg, "cannot open: No such file or directory");
}
END_TEST

static const struct {
	mode_t mode;
	bool ok;
} mode_cases[] = {
    {0600, true},  {0644, true},  {0400, true},  {0640, true},  {0666, false},
    {0602, false}, {0620, false}, {0660, false}, {0777, false},
};

START_TEST(test_bad_file_mode)
{
	struct conf_error err;
	struct conf *c;
	char want[64];

	c = conf_load(ct_write("mode.conf", good_min, mode_cases[_i].mode), &err);
	if (mode_cases[_i].ok) {
		ck_assert_msg(c != NULL, "mode %04o refused: %s", (unsigned)mode_cases[_i].mode,
		              err.msg);
		conf_free(c);
		return;
	}
	ck_assert_msg(c == NULL, "mode %04o accepted", (unsigned)mode_cases[_i].mode);
	ck_assert_int_eq(err.line, 0);
	ck_assert_ptr_nonnull(strstr(err.msg, "can be written by group or others"));
	snprintf(want, sizeof(want), "(mode %04o)", (unsigned)mode_cases[_i].mode);
	ck_assert_ptr_nonnull(strstr(err.msg, want));
}
END_TEST

START_TEST(test_bad_not_regular)
{
	struct conf_error err;
	char path[8192];

	snprintf(path, sizeof(path), "%s/adir", ct_dir());
	ck_assert_int_eq(mkdir(path, 0700), 0);
	ck_assert_ptr_null(conf_load(path, &err));
	ck_assert_ptr_nonnull(strstr(err.msg, "is not a regular file"));
	snprintf(path, sizeof(path), "%s/afifo", ct_dir());
	ck_assert_int_eq(mkfifo(path, 0600), 0);
	ck_assert_ptr_null(conf_load(path, &err));
	ck_assert_ptr_nonnull(strstr(err.msg, "is not a regular file"));
	ck_assert_ptr_null(conf_load("/dev/null", &err));
	ck_assert_ptr_nonnull(strstr(err.msg, "is not a regular file"));
}
END_TEST

/* An @include'd file is as dangerous as the main one, and its errors are
 * reported with its own name and lines. */
START_TEST(test_bad_include)
{
	struct conf_error err;
	struct conf *c;
	const char *path;
	char main_path[8192];

	ct_write("inc-domains.conf",
	         "domains = (\n { domain = \"a.example\"; keys = ( { selector = \"s\"; key = "
	         "\"k\"; } ); } );\n",
	         0600);
	path = ct_write("inc-main.conf", CT_TOKEN "@include \"inc-domains.conf\"\n", 0600);
	snprintf(main_path, sizeof(main_path), "%s", path);
	c = conf_load(main_path, &err);
	ck_assert_msg(c != NULL, "%s", err.msg);
	ck_assert_uint_eq(c->ndomains, 1);
	ck_assert_str_eq(c->domains[0].domain, "a.example");
	conf_free(c);

	ct_write("inc-domains.conf",
	         "domains = (\n { domain = \"a.example\"; keys = ( { selector = \"s\"; key = "
	         "\"k\"; } ); } );\n",
	         0666);
	ck_assert_ptr_null(conf_load(main_path, &err));
	ck_assert_ptr_nonnull(strstr(err.file, "inc-domains.conf"));
	ck_assert_ptr_nonnull(strstr(err.msg, "can be written by group or others"));

	ct_write(
	    "inc-domains.conf",
	    "domains = (\n { domain = \"a.example\"; keys = ( { selector = \"s\"; key = \"k\"; } "
	    "); },\n { domain = \"a_b\"; keys = ( { selector = \"s\"; key = \"k\"; } ); } );\n",
	    0600);
	ck_assert_ptr_null(conf_load(main_path, &err));
	ck_assert_ptr_nonnull(strstr(err.file, "/inc-domains.conf"));
	ck_assert_int_eq(err.line, 3);
	ck_assert_str_eq(err.setting, "domains[1].domain");

	ct_write("inc-main.conf", CT_TOKEN "@include \"inc-absent.conf\"\n", 0600);
	ck_assert_ptr_null(conf_load(main_path, &err));
	ck_assert_int_eq(err.line, 2);
	ck_assert_ptr_nonnull(strstr(err.msg, "cannot open include file"));

	/* A file that holds no setting, only an @include, is checked too, before libconfig reads
	 * it: one that others may write was never looked at (issue 16, L1). */
	ct_write("inc-leaf.conf", "# nothing\n", 0600);
	ct_write("inc-mid.conf", "@include \"inc-leaf.conf\"\n", 0666);
	ct_write("inc-main.conf", CT_TOKEN "@include \"inc-mid.conf\"\n", 0600);
	ck_assert_ptr_null(conf_load(main_path, &err));
	ck_assert_ptr_nonnull(strstr(err.file, "/inc-mid.conf"));
	ck_assert_ptr_nonnull(strstr(err.msg, "can be written by group or others"));
	ct_write("inc-mid.conf", "@include \"inc-leaf.conf\"\n", 0600);
	ct_write("inc-leaf.conf", "# nothing\n", 0622);
	ck_assert_ptr_null(conf_load(main_path, &err));
	ck_assert_ptr_nonnull(strstr(err.file, "/inc-leaf.conf"));
}
END_TEST

/* Only root or the user p11dkim runs as may own the configuration (issue 16, L1): it names
 * the module to load. Needs root to give a file away; skipped otherwise. */
START_TEST(test_bad_owner)
{
	struct conf_error err;
	struct conf *c;
	char path[8192];

	if (geteuid() != 0)
		return; /* a non-root user owns every file it writes: nothing to give away */
	snprintf(path, sizeof(path), "%s", ct_write("owned.conf", CT_TOKEN, 0600));
	c = conf_load(path, &err);
	ck_assert_msg(c != NULL, "%s", err.msg);
	conf_free(c);
	ck_assert_int_eq(chown(path, 65534, 65534), 0);
	ck_assert_ptr_null(conf_load(path, &err));
	ck_assert_ptr_nonnull(strstr(err.msg, "is owned by uid 65534, neither root nor the user"));
	ck_assert_int_eq(chown(path, 0, 0), 0);
	/* An included file too. */
	ct_write("owned-inc.conf", "# nothing\n", 0600);
	snprintf(path, sizeof(path), "%s",
	         ct_write("owned.conf", CT_TOKEN "@include \"owned-inc.conf\"\n", 0600));
	ck_assert_int_eq(chown(ct_write("owned-inc.conf", "# nothing\n", 0600), 65534, 65534), 0);
	ck_assert_ptr_null(conf_load(path, &err));
	ck_assert_ptr_nonnull(strstr(err.file, "/owned-inc.conf"));
}
END_TEST

Suite *
ct_suite_bad(void)
{
	Suite *s = suite_create("config: refused files");
	TCase *tc = tcase_create("bad");

	/* A safety net for a loaded machine, not a speed test. */
	tcase_set_timeout(tc, CT_TIMEOUT);

	tcase_add_loop_test(tc, test_bad_table, 0, (int)(sizeof(bad_cases) / sizeof(bad_cases[0])));
	tcase_add_test(tc, test_bad_first_and_count);
	tcase_add_test(tc, test_bad_many);
	tcase_add_test(tc, test_bad_far_line);
	tcase_add_test(tc, test_bad_too_many_keys);
	tcase_add_test(tc, test_bad_too_many_headers);
	tcase_add_test(tc, test_bad_no_name);
	tcase_add_test(tc, test_bad_missing_file);
	tcase_add_loop_test(tc, test_bad_file_mode, 0,
	                    (int)(sizeof(mode_cases) / sizeof(mode_cases[0])));
	tcase_add_test(tc, test_bad_not_regular);
	tcase_add_test(tc, test_bad_include);
	tcase_add_test(tc, test_bad_owner);
	suite_add_tcase(s, tc);
	return s;
}
