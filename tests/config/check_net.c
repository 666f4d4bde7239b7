/*
 * tests/config/check_net.c: who is internal. Client addresses as the daemon
 * gets them (sockaddr_in, sockaddr_in6, IPv4-mapped IPv6) against blocks of
 * every prefix shape.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/un.h>

#include "tests/config/ct.h"

static const char net_conf[] = CT_TOKEN
    "sign = { internal_hosts = [ \"10.0.0.0/8\", \"192.168.1.128/25\", \"172.16.0.1\",\n"
    "  \"2001:db8::/32\", \"fe80::1\", \"::ffff:100.64.0.0/106\", \"2001:db9:fe00::/39\",\n"
    "  \"198.51.100.6/31\" ]; };\n";

static const struct {
	const char *addr;
	bool internal;
} net_cases[] = {
    {"10.0.0.0", true},
    {"10.255.255.255", true},
    {"11.0.0.0", false},
    {"9.255.255.255", false},
    {"192.168.1.128", true},
    {"192.168.1.255", true},
    {"192.168.1.127", false},
    {"192.168.0.200", false},
    {"172.16.0.1", true},
    {"172.16.0.2", false},
    {"127.0.0.1", false}, /* the list replaces the defaults */
    {"100.64.0.1", true}, /* from the mapped block, /106 = /10 */
    {"100.127.255.255", true},
    {"100.128.0.0", false},
    {"198.51.100.6", true},
    {"198.51.100.7", true},
    {"198.51.100.8", false},
    {"2001:db8::", true},
    {"2001:db8:ffff:ffff:ffff:ffff:ffff:ffff", true},
    {"2001:db9::1", false},
    {"2001:db9:fe00::1", true},
    {"2001:db9:ffff::1", true},
    {"2001:db9:fdff:ffff::1", false},
    {"2001:db7:ffff::1", false},
    {"fe80::1", true},
    {"fe80::2", false},
    {"::1", false},
    {"::ffff:10.1.2.3", true}, /* mapped client, IPv4 block */
    {"::ffff:11.1.2.3", false},
    {"::ffff:100.64.3.4", true},
    {"::10.1.2.3", false}, /* IPv4-compatible is not mapped */
    {"64:ff9b::10.1.2.3", false},
};

static void
net_sockaddr(const char *text, struct sockaddr_storage *ss)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (strchr(text, ':') == NULL) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(25);
		ck_assert_int_eq(inet_pton(AF_INET, text, &sin->sin_addr), 1);
	} else {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(25);
		ck_assert_int_eq(inet_pton(AF_INET6, text, &sin6->sin6_addr), 1);
	}
}

START_TEST(test_net_table)
{
	struct conf *c = ct_load_ok("net.conf", net_conf);
	struct sockaddr_storage ss;

	ck_assert_uint_eq(c->sign.ninternal, 8);
	ck_assert_int_eq(c->sign.internal_hosts[5].family, AF_INET);
	ck_assert_uint_eq(c->sign.internal_hosts[5].prefix, 10);
	net_sockaddr(net_cases[_i].addr, &ss);
	ck_assert_msg(conf_is_internal(c, (struct sockaddr *)&ss) == net_cases[_i].internal,
	              "%s: internal %d, want %d", net_cases[_i].addr, !net_cases[_i].internal,
	              net_cases[_i].internal);
	conf_free(c);
}
END_TEST

START_TEST(test_net_defaults)
{
	struct conf *c = ct_load_ok("netdef.conf", CT_TOKEN);
	struct sockaddr_storage ss;

	net_sockaddr("127.0.0.1", &ss);
	ck_assert(conf_is_internal(c, (struct sockaddr *)&ss));
	net_sockaddr("::1", &ss);
	ck_assert(conf_is_internal(c, (struct sockaddr *)&ss));
	net_sockaddr("::ffff:127.0.0.1", &ss);
	ck_assert(conf_is_internal(c, (struct sockaddr *)&ss));
	net_sockaddr("127.0.0.2", &ss);
	ck_assert(!conf_is_internal(c, (struct sockaddr *)&ss));
	net_sockaddr("192.0.2.1", &ss);
	ck_assert(!conf_is_internal(c, (struct sockaddr *)&ss));
	net_sockaddr("::2", &ss);
	ck_assert(!conf_is_internal(c, (struct sockaddr *)&ss));
	conf_free(c);
}
END_TEST

/* Whole address families, NULL, and a unix-socket client: never internal
 * unless a block says so. */
START_TEST(test_net_edges)
{
	struct conf *all = ct_load_ok(
	    "netall.conf", CT_TOKEN "sign = { internal_hosts = [ \"0.0.0.0/0\", \"::/0\" ]; };\n");
	struct conf *none =
	    ct_load_ok("netnone.conf", CT_TOKEN "sign = { internal_hosts = ( ); };\n");
	struct sockaddr_storage ss;
	struct sockaddr_un sun;

	net_sockaddr("203.0.113.9", &ss);
	ck_assert(conf_is_internal(all, (struct sockaddr *)&ss));
	ck_assert(!conf_is_internal(none, (struct sockaddr *)&ss));
	net_sockaddr("2001:db8::9", &ss);
	ck_assert(conf_is_internal(all, (struct sockaddr *)&ss));
	ck_assert(!conf_is_internal(none, (struct sockaddr *)&ss));
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	ck_assert(!conf_is_internal(all, (struct sockaddr *)&sun));
	ck_assert(!conf_is_internal(all, NULL));
	ck_assert(!conf_is_internal(NULL, (struct sockaddr *)&ss));
	conf_free(all);
	conf_free(none);
}
END_TEST

Suite *
ct_suite_net(void)
{
	Suite *s = suite_create("config: internal hosts");
	TCase *tc = tcase_create("net");

	/* A safety net for a loaded machine, not a speed test. */
	tcase_set_timeout(tc, CT_TIMEOUT);

	tcase_add_loop_test(tc, test_net_table, 0, (int)(sizeof(net_cases) / sizeof(net_cases[0])));
	tcase_add_test(tc, test_net_defaults);
	tcase_add_test(tc, test_net_edges);
	suite_add_tcase(s, tc);
	return s;
}
