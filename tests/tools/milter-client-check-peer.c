/*
 * Peer-driven cases of the milter client suite: faults (closed connection,
 * silence, garbage), protocol options (no-reply flags, skipped steps,
 * SMFIR_SKIP), modification requests and how they are applied.
 */
#include "config.h"

#include <check.h>
#include <libmilter/mfdef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tests/tools/milter-client-peer.h"
#include "tools/milterclient/milter_client.h"

static const char *const peer_rcpts[] = {"bob@example.net"};
static const char peer_raw[] = "From: alice@example.com\nSubject: s1\nX-Two:  two\n"
                               "Subject: s2\n\nbody line\n";

static void
peer_msg(struct mc_msg *m, const char *raw, size_t len)
{
	memset(m, 0, sizeof(*m));
	m->mail_from = "alice@example.com";
	m->rcpts = peer_rcpts;
	m->nrcpts = 1;
	m->raw = raw;
	m->raw_len = len;
}

static void
peer_setup(struct peer *p)
{
	const char *tmp = getenv("MC_TMP");

	memset(p, 0, sizeof(*p));
	snprintf(p->path, sizeof(p->path), "%s/peer.sock", tmp ? tmp : "/tmp");
}

static struct mc_conn *
peer_connect(struct peer *p, int timeout_ms)
{
	struct mc_opts o;
	struct mc_conn *c = NULL;
	char spec[160], err[256];
	enum mc_status st;

	mc_opts_init(&o);
	o.timeout_ms = timeout_ms;
	ck_assert_int_eq(peer_start(p), 0);
	snprintf(spec, sizeof(spec), "unix:%s", p->path);
	st = milter_client_connect(spec, &o, &c, err, sizeof(err));
	ck_assert_msg(st == MC_OK, "connect: %s", err);
	return c;
}

/* The peer closes the connection at a given step: a clean error, then MC_ERR_STATE. */
START_TEST(test_peer_closes)
{
	static const char steps[] = {SMFIC_CONNECT, SMFIC_RCPT, SMFIC_HEADER, SMFIC_BODY,
	                             SMFIC_BODYEOB};
	struct peer p;
	struct mc_conn *c;
	struct mc_result res;
	struct mc_msg m;
	enum mc_status st;

	peer_setup(&p);
	p.fault = PEER_CLOSE;
	p.fault_at = steps[_i];
	c = peer_connect(&p, 5000);
	mc_result_init(&res);
	peer_msg(&m, peer_raw, strlen(peer_raw));
	st = milter_client_send(c, &m, &res);
	ck_assert_msg(st == MC_ERR_CLOSED || st == MC_ERR_IO, "status %s", mc_strerror(st));
	ck_assert_int_eq(res.action, 0);
	ck_assert_str_ne(milter_client_error(c), "");
	ck_assert_int_eq(milter_client_send(c, &m, &res), MC_ERR_STATE);
	milter_client_close(c);
	peer_wait(&p);
	mc_result_free(&res);
}
END_TEST

/* The peer goes silent: the read times out, in about the configured time. */
START_TEST(test_peer_silent)
{
	struct peer p;
	struct mc_conn *c;
	struct mc_result res;
	struct mc_msg m;
	struct timespec t0, t1;
	double ms;

	peer_setup(&p);
	p.fault = PEER_SILENT;
	p.fault_at = SMFIC_BODYEOB;
	c = peer_connect(&p, 300);
	mc_result_init(&res);
	peer_msg(&m, peer_raw, strlen(peer_raw));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ck_assert_int_eq(milter_client_send(c, &m, &res), MC_ERR_TIMEOUT);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
	ck_assert_msg(ms >= 250 && ms < 1500, "timed out after %.0f ms", ms);
	milter_client_close(c);
	peer_wait(&p);
	mc_result_free(&res);
}
END_TEST

/* Garbage: an impossible packet length in negotiation, an unknown reply later. */
START_TEST(test_peer_garbage)
{
	struct peer p;
	struct mc_conn *c = NULL;
	struct mc_result res;
	struct mc_msg m;
	char spec[160], err[256];

	peer_setup(&p);
	p.fault = PEER_BADLEN;
	ck_assert_int_eq(peer_start(&p), 0);
	snprintf(spec, sizeof(spec), "unix:%s", p.path);
	ck_assert_int_eq(milter_client_connect(spec, NULL, &c, err, sizeof(err)), MC_ERR_PROTO);
	ck_assert_ptr_null(c);
	peer_wait(&p);

	peer_setup(&p);
	p.fault = PEER_BADREPLY;
	p.fault_at = SMFIC_MAIL;
	c = peer_connect(&p, 5000);
	mc_result_init(&res);
	peer_msg(&m, peer_raw, strlen(peer_raw));
	ck_assert_int_eq(milter_client_send(c, &m, &res), MC_ERR_PROTO);
	milter_client_close(c);
	peer_wait(&p);
	mc_result_free(&res);
}
END_TEST

/*
 * Options honoured: with every no-reply flag the peer answers only the end of
 * the message (the client would time out waiting otherwise), and skipped
 * steps are not sent. Two messages on one connection: ABORT after each.
 */
START_TEST(test_peer_options)
{
	static const struct {
		uint32_t protocol;
		const char *seen;
	} cases[] = {
	    {0, "OCHMRTLLLLNBEAMRTLLLLNBEAQ"},
	    {SMFIP_NR_CONN | SMFIP_NR_HELO | SMFIP_NR_MAIL | SMFIP_NR_RCPT | SMFIP_NR_DATA |
	         SMFIP_NR_HDR | SMFIP_NR_EOH | SMFIP_NR_BODY,
	     "OCHMRTLLLLNBEAMRTLLLLNBEAQ"},
	    {SMFIP_NOHELO | SMFIP_NODATA | SMFIP_NOBODY | SMFIP_NR_HDR, "OCMRLLLLNEAMRLLLLNEAQ"},
	    {SMFIP_NOCONNECT | SMFIP_NOMAIL | SMFIP_NORCPT | SMFIP_NOHDRS | SMFIP_NOEOH,
	     "OHTBEATBEAQ"},
	};
	struct peer p;
	struct mc_conn *c;
	struct mc_result res;
	struct mc_msg m;
	int k;

	peer_setup(&p);
	p.protocol = cases[_i].protocol;
	c = peer_connect(&p, 2000);
	mc_result_init(&res);
	peer_msg(&m, peer_raw, strlen(peer_raw));
	for (k = 0; k < 2; k++) {
		ck_assert_int_eq(milter_client_send(c, &m, &res), MC_OK);
		ck_assert_int_eq(res.action, 'c');
		ck_assert_int_eq(res.stage, SMFIC_BODYEOB);
	}
	milter_client_close(c);
	peer_wait(&p);
	ck_assert_str_eq(p.seen, cases[_i].seen);
	mc_result_free(&res);
}
END_TEST

/*
 * Each MTA's offer (mc_opts_mta): the version, actions and protocol flags the peer sees, and
 * only the steps of that version (no DATA below 4, as Postfix). The peer asks for every
 * flag, and gets only those offered: no no-reply flag below 6, so every step is answered.
 */
START_TEST(test_peer_mta_versions)
{
	static const struct {
		const char *mta;
		uint32_t version, actions, protocol;
		const char *seen;
	} cases[] = {
	    {"postfix-2", 2, 0x1ff, 0x7f, "OCHMRLLLLNBEAQ"},
	    {"postfix-3", 3, 0x1ff, 0x17f, "OCHMRLLLLNBEAQ"},
	    {"postfix-4", 4, 0x1ff, 0x37f, "OCHMRTLLLLNBEAQ"},
	    {"postfix-6", 6, 0x1ff, 0x1fffff, "OCHMRTLLLLNBEAQ"},
	    {"sendmail-8.13", 4, 0x3f, 0xff, "OCHMRTLLLLNBEAQ"},
	    {"sendmail-8.14", 6, 0x1ff, 0x1fffff, "OCHMRTLLLLNBEAQ"},
	};
	struct peer p;
	struct mc_opts o;
	struct mc_conn *c = NULL;
	struct mc_result res;
	struct mc_msg m;
	char spec[160], err[256];
	uint32_t version = 0;

	peer_setup(&p);
	p.protocol = SMFIP_NR_CONN | SMFIP_NR_HELO | SMFIP_NR_MAIL | SMFIP_NR_RCPT | SMFIP_NR_DATA |
	             SMFIP_NR_EOH | SMFIP_NR_BODY;
	mc_opts_init(&o);
	o.timeout_ms = 2000;
	ck_assert_int_eq(mc_opts_mta(&o, cases[_i].mta), 0);
	ck_assert_int_eq(peer_start(&p), 0);
	snprintf(spec, sizeof(spec), "unix:%s", p.path);
	ck_assert_msg(milter_client_connect(spec, &o, &c, err, sizeof(err)) == MC_OK, "%s", err);
	mc_result_init(&res);
	peer_msg(&m, peer_raw, strlen(peer_raw));
	ck_assert_int_eq(milter_client_send(c, &m, &res), MC_OK);
	ck_assert_int_eq(res.action, 'c');
	milter_client_negotiated(c, &version, NULL, NULL);
	ck_assert_uint_eq(version, cases[_i].version);
	milter_client_close(c);
	peer_wait(&p);
	ck_assert_uint_eq(p.offered[0], cases[_i].version);
	ck_assert_uint_eq(p.offered[1], cases[_i].actions);
	ck_assert_uint_eq(p.offered[2], cases[_i].protocol);
	ck_assert_str_eq(p.seen, cases[_i].seen);
	mc_result_free(&res);
}
END_TEST

/* An unknown MTA name changes nothing. */
START_TEST(test_mta_unknown)
{
	struct mc_opts o, d;

	mc_opts_init(&o);
	mc_opts_init(&d);
	ck_assert_int_eq(mc_opts_mta(&o, "exim-4"), -1);
	ck_assert_int_eq(memcmp(&o, &d, sizeof(o)), 0);
}
END_TEST

/* SMFIR_SKIP to the first body chunk: no more chunks, straight to end of body. */
START_TEST(test_peer_skip)
{
	static const struct peer_packet skip[] = {{SMFIR_SKIP, NULL, 0}};
	struct peer p;
	struct mc_conn *c;
	struct mc_result res;
	struct mc_msg m;

	peer_setup(&p);
	p.protocol = SMFIP_SKIP;
	p.answer_at = SMFIC_BODY;
	p.answers = skip;
	p.nanswers = 1;
	c = peer_connect(&p, 2000);
	mc_result_init(&res);
	peer_msg(&m, peer_raw, strlen(peer_raw));
	m.body_chunk = 3; /* "body line\r\n" is 4 chunks */
	ck_assert_int_eq(milter_client_send(c, &m, &res), MC_OK);
	ck_assert_int_eq(res.body_skipped, 1);
	milter_client_close(c);
	peer_wait(&p);
	ck_assert_str_eq(p.seen, "OCHMRTLLLLNBEAQ");
	mc_result_free(&res);
}
END_TEST

/* A refusal at MAIL ends the message; ABORT; the next message goes on. */
START_TEST(test_peer_refuse_mail)
{
	static const struct peer_packet rej[] = {{SMFIR_PROGRESS, NULL, 0},
	                                         {SMFIR_TEMPFAIL, NULL, 0}};
	struct peer p;
	struct mc_conn *c;
	struct mc_result res;
	struct mc_msg m;

	peer_setup(&p);
	p.answer_at = SMFIC_MAIL;
	p.answers = rej;
	p.nanswers = 2;
	c = peer_connect(&p, 2000);
	mc_result_init(&res);
	peer_msg(&m, peer_raw, strlen(peer_raw));
	ck_assert_int_eq(milter_client_send(c, &m, &res), MC_OK);
	ck_assert_int_eq(res.action, 't');
	ck_assert_int_eq(res.stage, SMFIC_MAIL);
	ck_assert_int_eq(milter_client_send(c, &m, &res), MC_OK);
	ck_assert_int_eq(res.action, 't');
	milter_client_close(c);
	peer_wait(&p);
	ck_assert_str_eq(p.seen, "OCHMAMAQ");
	mc_result_free(&res);
}
END_TEST

/* Every modification request recorded in order, and applied as Postfix would. */
START_TEST(test_peer_mods)
{
	static const char ins[] = "\0\0\0\0X-Ins\0 a\n\tb";
	static const char chg[] = "\0\0\0\2subject\0";
	static const char chg2[] = "\0\0\0\1X-Two\0 new two";
	static const struct peer_packet mods[] = {
	    {SMFIR_INSHEADER, ins, sizeof(ins)},
	    {SMFIR_CHGHEADER, chg, sizeof(chg)},
	    {SMFIR_CHGHEADER, chg2, sizeof(chg2)},
	    {SMFIR_ADDHEADER, "X-Add\0 v", 9},
	    {SMFIR_REPLBODY, "new\nbo", 6},
	    {SMFIR_REPLBODY, "dy\r\nend", 7},
	    {SMFIR_ADDRCPT, "<dave@example.net>", 19},
	    {SMFIR_QUARANTINE, "held", 5},
	    {SMFIR_REPLYCODE, "550 5.7.1 no", 13},
	};
	static const char want[] = "X-Ins: a\r\n\tb\r\nFrom: alice@example.com\r\n"
	                           "Subject: s1\r\nX-Two: new two\r\nX-Add: v\r\n\r\n"
	                           "new\r\nbody\r\nend\r\n";
	struct peer p;
	struct mc_conn *c;
	struct mc_result res;
	struct mc_msg m;
	char *out = NULL;
	size_t outlen = 0;
	FILE *f;

	peer_setup(&p);
	p.protocol = SMFIP_HDR_LEADSPC | SMFIP_NR_HDR;
	p.answer_at = SMFIC_BODYEOB;
	p.answers = mods;
	p.nanswers = sizeof(mods) / sizeof(mods[0]);
	c = peer_connect(&p, 2000);
	mc_result_init(&res);
	peer_msg(&m, peer_raw, strlen(peer_raw));
	ck_assert_int_eq(milter_client_send(c, &m, &res), MC_OK);
	ck_assert_int_eq(res.action, 'y');
	ck_assert_str_eq(res.reply, "550 5.7.1 no");
	ck_assert_uint_eq(res.nmods, 8);
	ck_assert_int_eq(res.mods[0].type, MC_MOD_INSHEADER);
	ck_assert_str_eq(res.mods[0].value, " a\n\tb");
	ck_assert_int_eq(res.mods[1].type, MC_MOD_CHGHEADER);
	ck_assert_uint_eq(res.mods[1].index, 2);
	ck_assert_int_eq(res.mods[6].type, MC_MOD_ADDRCPT);
	ck_assert_str_eq(res.mods[6].name, "<dave@example.net>");
	ck_assert_int_eq(res.mods[7].type, MC_MOD_QUARANTINE);
	ck_assert_uint_eq(mc_result_count_added(&res, "x-ins"), 1);
	ck_assert_ptr_nonnull(f = open_memstream(&out, &outlen));
	ck_assert_int_eq(milter_client_apply(c, &m, &res, f), MC_OK);
	fclose(f);
	ck_assert_str_eq(out, want);
	free(out);
	milter_client_close(c);
	peer_wait(&p);
	mc_result_free(&res);
}
END_TEST

/* Malformed modification requests are protocol errors, not crashes. */
START_TEST(test_peer_bad_mods)
{
	static const struct peer_packet bad[][1] = {
	    {{SMFIR_INSHEADER, "\0\0", 2}},   {{SMFIR_ADDHEADER, "X-No-Nul", 8}},
	    {{SMFIR_ADDHEADER, "\0v", 3}},    {{SMFIR_CHGHEADER, "\0\0\0\1a\0b\0c", 10}},
	    {{SMFIR_REPLYCODE, "250 ok", 7}}, {{SMFIR_ACCEPT, "x", 1}},
	};
	struct peer p;
	struct mc_conn *c;
	struct mc_result res;
	struct mc_msg m;

	peer_setup(&p);
	p.answer_at = SMFIC_BODYEOB;
	p.answers = bad[_i];
	p.nanswers = 1;
	c = peer_connect(&p, 2000);
	mc_result_init(&res);
	peer_msg(&m, peer_raw, strlen(peer_raw));
	ck_assert_int_eq(milter_client_send(c, &m, &res), MC_ERR_PROTO);
	milter_client_close(c);
	peer_wait(&p);
	mc_result_free(&res);
}
END_TEST

/*
 * Random answers at each step (a seed per run): the client returns a result
 * or an error, never crashes or hangs (the sanitizer build checks memory).
 */
/* One random conversation; returns nothing, asserts the client's behaviour. */
static void
peer_random_run(unsigned seed)
{
	static const char steps[] = {SMFIC_CONNECT, SMFIC_MAIL, SMFIC_HEADER, SMFIC_BODYEOB};
	struct peer p;
	struct mc_conn *c;
	struct mc_result res;
	struct mc_msg m;
	enum mc_status st;
	FILE *f;

	peer_setup(&p);
	p.fault = PEER_RANDOM;
	p.fault_at = steps[seed % 4];
	p.seed = seed * 7919u + 1u;
	c = peer_connect(&p, 2000);
	mc_result_init(&res);
	peer_msg(&m, peer_raw, strlen(peer_raw));
	st = milter_client_send(c, &m, &res);
	ck_assert_msg(st != MC_ERR_TIMEOUT, "seed %u: timeout", seed);
	if (st == MC_OK) {
		ck_assert_int_ne(res.action, 0);
		ck_assert_ptr_nonnull(f = fopen("/dev/null", "w"));
		ck_assert_int_eq(milter_client_apply(c, &m, &res, f), MC_OK);
		fclose(f);
	}
	milter_client_close(c);
	peer_wait(&p);
	mc_result_free(&res);
}

/* 300 conversations in one process (a fork each would be slow under ASan). */
START_TEST(test_peer_random)
{
	unsigned seed;

	for (seed = 0; seed < 300; seed++)
		peer_random_run(seed);
}
END_TEST

/* Applying no changes: the message with CRLF line ends, without LEADSPC too. */
START_TEST(test_apply_plain)
{
	static const char raw[] = "A: 1\nB:2\n\tfold\nnot a header line\nbody";
	static const char want[] = "A: 1\r\nB:2\r\n\tfold\r\nnot a header line\r\nbody\r\n";
	struct mc_prepared *prep;
	struct mc_result res;
	struct mc_msg m;
	char *out = NULL;
	size_t outlen = 0;
	FILE *f;

	peer_msg(&m, raw, strlen(raw));
	ck_assert_int_eq(mc_prepare(&m, &prep), MC_OK);
	ck_assert_uint_eq(mc_prepared_nheaders(prep), 2);
	mc_result_init(&res);
	ck_assert_ptr_nonnull(f = open_memstream(&out, &outlen));
	ck_assert_int_eq(mc_apply(prep, &res, 0, f), MC_OK);
	fclose(f);
	ck_assert_str_eq(out, want);
	free(out);
	mc_prepared_free(prep);
	m.nrcpts = 0;
	ck_assert_int_eq(mc_prepare(&m, &prep), MC_ERR_ARG);
	mc_result_free(&res);
}
END_TEST

TCase *
peer_tcase(void)
{
	TCase *tc = tcase_create("peer");

	tcase_set_timeout(tc, 20);
	tcase_add_loop_test(tc, test_peer_closes, 0, 5);
	tcase_add_test(tc, test_peer_silent);
	tcase_add_test(tc, test_peer_garbage);
	tcase_add_loop_test(tc, test_peer_options, 0, 4);
	tcase_add_loop_test(tc, test_peer_mta_versions, 0, 6);
	tcase_add_test(tc, test_mta_unknown);
	tcase_add_test(tc, test_peer_skip);
	tcase_add_test(tc, test_peer_refuse_mail);
	tcase_add_test(tc, test_peer_mods);
	tcase_add_loop_test(tc, test_peer_bad_mods, 0, 6);
	tcase_add_test(tc, test_peer_random);
	tcase_add_test(tc, test_apply_plain);
	return tc;
}
