/*
 * Check suite of the milter client library (tools/milterclient/milter_client.h).
 *
 * Against real OpenDKIM daemons started by milter-client-test.sh (sockets in
 * MC_UNIX: relaxed/relaxed, MC_INET: simple/simple, MC_REJECT and
 * MC_TEMPFAIL: instances that refuse messages with big headers), every signed
 * message is written with the milter's changes applied and verified by dkimpy
 * (MC_VERIFY, with the key record MC_KEYTXT): a signature can only verify if
 * the client sent the headers, their leading space, folding and body exactly
 * and applied the inserted header correctly. Faults (peer closes, goes
 * silent, sends garbage) and the protocol options (no-reply and skip flags,
 * modification requests) are driven by the scripted peer of
 * milter-client-peer.c.
 */
#include "config.h"

#include <check.h>
#include <libmilter/mfdef.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "tests/tools/milter-client-peer.h"
#include "tools/milterclient/milter_client.h"
#include "tests/lib/check_main.h"

static const char *const rcpts[] = {"bob@example.net", "carol@example.org"};

/* Messages OpenDKIM signs (From in example.com); LF-only and CRLF, folded fields. */
static const char *const signed_msgs[] = {
    "From: Alice <alice@example.com>\nTo: bob@example.net\nSubject: hello\n"
    "  folded with spaces\nDate: Mon, 23 Nov 2026 19:00:00 +0000\n"
    "Message-ID: <1@example.com>\n\nHello Bob.\n\n\n",
    "From:alice@example.com\r\nTo: bob@example.net,\r\n\tcarol@example.org\r\n"
    "Subject:\ttab after colon   \r\n\tand a folded tab line\r\nDate: Mon, 23 Nov 2026 "
    "19:00:00 +0000\r\n\r\nLine one  \r\n  Line two with   spaces\r\n",
    "From: \"A. Lice\" <alice@example.com>\nSubject: no final newline\n\nlast line",
    "From: alice@example.com\nSubject: empty body\n\n",
};

static const char *
env(const char *name)
{
	const char *v = getenv(name);

	if (v == NULL || *v == '\0') {
		fprintf(stderr, "%s not set: run through milter-client-test.sh\n", name);
		ck_abort_msg("%s not set", name);
	}
	return v;
}

static void
msg_init(struct mc_msg *m, const char *raw, size_t len)
{
	memset(m, 0, sizeof(*m));
	m->mail_from = "alice@example.com";
	m->rcpts = rcpts;
	m->nrcpts = 2;
	m->raw = raw;
	m->raw_len = len;
}

/*
 * Applies res to m and writes it to a file, listed for test_verify_all (one
 * Python start for all: it is the slow part).
 */
static void
verify_output(struct mc_conn *c, const struct mc_msg *m, const struct mc_result *res, int nsig,
              const char *tag)
{
	char path[512], list[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/out-%s.eml", env("MC_TMP"), tag);
	ck_assert_ptr_nonnull(f = fopen(path, "wb"));
	ck_assert_int_eq(milter_client_apply(c, m, res, f), MC_OK);
	ck_assert_int_eq(fclose(f), 0);
	snprintf(list, sizeof(list), "%s/verify.list", env("MC_TMP"));
	ck_assert_ptr_nonnull(f = fopen(list, "a"));
	fprintf(f, "%s %d\n", path, nsig);
	ck_assert_int_eq(fclose(f), 0);
}

/* dkimpy verifies every message the tests above wrote (all of them: 4 x 4 + 6). */
START_TEST(test_verify_all)
{
	char cmd[2048], list[512], line[600];
	FILE *f;
	int n = 0, rc;

	snprintf(list, sizeof(list), "%s/verify.list", env("MC_TMP"));
	ck_assert_ptr_nonnull(f = fopen(list, "r"));
	while (fgets(line, sizeof(line), f) != NULL)
		n++;
	fclose(f);
	ck_assert_int_eq(n, 22);
	snprintf(cmd, sizeof(cmd), "'%s' '%s' '%s' --list '%s'", env("PYTHON"), env("MC_VERIFY"),
	         env("MC_KEYTXT"), list);
	rc = system(cmd);
	ck_assert_msg(rc == 0, "dkimpy did not verify every message (%s)", list);
}
END_TEST

static struct mc_conn *
connect_ok(const char *spec, const struct mc_opts *o)
{
	struct mc_conn *c = NULL;
	char err[256];
	enum mc_status st = milter_client_connect(spec, o, &c, err, sizeof(err));

	ck_assert_msg(st == MC_OK, "connect %s: %s (%s)", spec, mc_strerror(st), err);
	return c;
}

/* Each message on its own connection and all on one, both sockets. */
START_TEST(test_opendkim_sign)
{
	const char *spec = env(_i < 2 ? "MC_UNIX" : "MC_INET");
	int reuse = _i % 2;
	struct mc_conn *c = NULL;
	struct mc_result res;
	struct mc_msg m;
	uint32_t proto;
	size_t i;
	char tag[64];

	mc_result_init(&res);
	for (i = 0; i < sizeof(signed_msgs) / sizeof(signed_msgs[0]); i++) {
		if (c == NULL)
			c = connect_ok(spec, NULL);
		msg_init(&m, signed_msgs[i], strlen(signed_msgs[i]));
		m.queue_id = i == 1 ? "4XyZ12AbC" : NULL;
		ck_assert_int_eq(milter_client_send(c, &m, &res), MC_OK);
		ck_assert_msg(res.action == 'a' || res.action == 'c', "action %c", res.action);
		ck_assert_int_eq(mc_result_count_added(&res, "dkim-signature"), 1);
		snprintf(tag, sizeof(tag), "sign-%d-%zu", _i, i);
		verify_output(c, &m, &res, 1, tag);
		if (!reuse) {
			milter_client_close(c);
			c = NULL;
		}
	}
	if (c != NULL) {
		/* OpenDKIM asks for leading spaces; the signatures prove they were kept. */
		milter_client_negotiated(c, NULL, NULL, &proto);
		ck_assert_uint_ne(proto & SMFIP_HDR_LEADSPC, 0);
	}
	milter_client_close(c);
	mc_result_free(&res);
}
END_TEST

/* A body over 64 KB, chunked so that chunk edges split CR LF pairs. */
START_TEST(test_opendkim_big_body)
{
	static const size_t chunks[] = {65535, 4097, 777};
	const char *spec = env(_i % 2 ? "MC_INET" : "MC_UNIX");
	const char *hdr = "From: alice@example.com\r\nSubject: big\r\n\r\n";
	size_t chunk = chunks[_i / 2], hlen = strlen(hdr), len = 0, L, pos;
	char *raw = malloc(300000);
	struct mc_conn *c = connect_ok(spec, NULL);
	struct mc_result res;
	struct mc_msg m;
	char tag[64];

	ck_assert_ptr_nonnull(raw);
	/* A line length that puts a CR as the last byte of the first chunk. */
	for (L = 20; L < 1000; L++)
		if ((chunk - 1) >= L && ((chunk - 1) - L) % (L + 2) == 0)
			break;
	memcpy(raw, hdr, hlen);
	len = hlen;
	for (pos = 0; len + L + 2 < 280000; pos++) {
		memset(raw + len, 'a' + (int)(pos % 26), L);
		len += L;
		memcpy(raw + len, "\r\n", 2);
		len += 2;
	}
	ck_assert_msg(L < 1000 && raw[hlen + chunk - 1] == '\r', "no CR at a chunk edge");
	msg_init(&m, raw, len);
	m.body_chunk = chunk;
	mc_result_init(&res);
	ck_assert_int_eq(milter_client_send(c, &m, &res), MC_OK);
	ck_assert_int_eq(mc_result_count_added(&res, "DKIM-Signature"), 1);
	snprintf(tag, sizeof(tag), "big-%d", _i);
	verify_output(c, &m, &res, 1, tag);
	milter_client_close(c);
	mc_result_free(&res);
	free(raw);
}
END_TEST

/* OpenDKIM instances that refuse big header blocks: reject and tempfail. */
START_TEST(test_opendkim_refuses)
{
	const char *spec = env(_i ? "MC_TEMPFAIL" : "MC_REJECT");
	struct mc_conn *c = connect_ok(spec, NULL);
	struct mc_result res;
	struct mc_msg m;
	int k;

	mc_result_init(&res);
	for (k = 0; k < 2; k++) { /* the connection stays usable after a refusal */
		msg_init(&m, signed_msgs[0], strlen(signed_msgs[0]));
		ck_assert_int_eq(milter_client_send(c, &m, &res), MC_OK);
		if (_i == 0)
			ck_assert_msg(res.action == 'r' ||
			                  (res.action == 'y' && res.reply[0] == '5'),
			              "expected a rejection, got %c", res.action);
		else
			ck_assert_msg(res.action == 't' ||
			                  (res.action == 'y' && res.reply[0] == '4'),
			              "expected a tempfail, got %c", res.action);
		ck_assert_int_eq(res.nmods, 0);
	}
	milter_client_close(c);
	mc_result_free(&res);
}
END_TEST

START_TEST(test_not_there)
{
	struct mc_conn *c = (struct mc_conn *)1;
	struct sockaddr_in sin;
	socklen_t slen = sizeof(sin);
	char err[256], spec[64];
	int s;

	ck_assert_int_eq(
	    milter_client_connect("unix:/nonexistent/mc.sock", NULL, &c, err, sizeof(err)),
	    MC_ERR_CONNECT);
	ck_assert_ptr_null(c);
	ck_assert_ptr_nonnull(strstr(err, "/nonexistent/mc.sock"));
	/* A port nobody listens on: bind one, note it, close it. */
	s = socket(AF_INET, SOCK_STREAM, 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(s, (struct sockaddr *)&sin, sizeof(sin)), 0);
	ck_assert_int_eq(getsockname(s, (struct sockaddr *)&sin, &slen), 0);
	close(s);
	snprintf(spec, sizeof(spec), "inet:%u@127.0.0.1", ntohs(sin.sin_port));
	ck_assert_int_eq(milter_client_connect(spec, NULL, &c, err, sizeof(err)), MC_ERR_CONNECT);
	ck_assert_int_eq(milter_client_connect("tcp:1@x", NULL, &c, err, sizeof(err)), MC_ERR_SPEC);
	ck_assert_int_eq(milter_client_connect("inet:@127.0.0.1", NULL, &c, err, sizeof(err)),
	                 MC_ERR_SPEC);
	ck_assert_int_eq(milter_client_connect(NULL, NULL, &c, NULL, 0), MC_ERR_SPEC);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("milter_client");
	TCase *tc = tcase_create("opendkim");

	tcase_set_timeout(tc, 30);
	tcase_add_loop_test(tc, test_opendkim_sign, 0, 4);
	tcase_add_loop_test(tc, test_opendkim_big_body, 0, 6);
	tcase_add_loop_test(tc, test_opendkim_refuses, 0, 2);
	tcase_add_test(tc, test_not_there);
	tcase_add_test(tc, test_verify_all); /* last: verifies what the others wrote */
	suite_add_tcase(s, tc);
	suite_add_tcase(s, peer_tcase());
	return check_run(s, NULL);
}
