/*
 * rl-hostile: hostile milter traffic for tests/reliability/hostile.sh. Speaks the milter
 * protocol step by step (tools/milterclient/mc_proto's mc_proto_event, so the milter's negotiated
 * options are honoured) and misbehaves in the ways an MTA or an attacker can.
 *
 * usage: rl-hostile SOCKET CASE QID
 *   abort-connect abort-helo abort-mail abort-rcpt abort-header abort-eoh abort-body
 *                 the steps up to that phase, then SMFIC_ABORT and QUIT
 *   drop-body     part of the body, then the connection closed without a word
 *   big-header    one 1 MB header field      many-headers  10,000 header fields
 *   nul-body      a 200 KB body of NUL bytes mid-line   a body ending without a line end
 * Prints "case=CASE action=X signatures=N" (X: the final answer, '-' when the case sends no
 * end of message, 'E' when the milter closed the connection or the protocol failed).
 * Exit 0 unless the usage or the message setup is wrong (2).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tools/milterclient/mc_proto.h"
#include "tools/milterclient/mc_result.h"
#include "tools/milterclient/milter_client.h"

struct rl_run {
	struct mc_conn *c;
	struct mc_result res;
	const char *qid;
	int final; /* the milter gave its decision */
};

/* One step; 0 = go on, 1 = stop here (decision given or the connection failed). */
static int
rl_step(struct rl_run *r, char cmd, const char *const *mac, uint32_t skip, uint32_t nr,
        const void *const *parts, const size_t *lens, int n)
{
	enum mc_answer ans = MC_ANS_CONTINUE;

	if (mc_proto_event(r->c, cmd, mac, skip, nr, parts, lens, n, &r->res, &ans) != MC_OK) {
		r->final = 'E';
		return 1;
	}
	if (ans == MC_ANS_FINAL) {
		r->final = r->res.action;
		return 1;
	}
	return 0;
}

static int
rl_str(struct rl_run *r, char cmd, const char *const *mac, uint32_t skip, uint32_t nr,
       const char *s)
{
	const void *p = s;
	size_t len = strlen(s) + 1;

	return rl_step(r, cmd, mac, skip, nr, &p, &len, 1);
}

static int
rl_header(struct rl_run *r, const char *name, const char *value)
{
	const void *p[2] = {name, value};
	size_t l[2] = {strlen(name) + 1, strlen(value) + 1};
	const char *mac[] = {"i", r->qid, NULL};

	return rl_step(r, SMFIC_HEADER, mac, SMFIP_NOHDRS, SMFIP_NR_HDR, p, l, 2);
}

static int
rl_body(struct rl_run *r, const char *data, size_t len)
{
	size_t off, n;
	const void *p;

	for (off = 0; off < len; off += n) {
		n = len - off < 65535 ? len - off : 65535;
		p = data + off;
		if (rl_step(r, SMFIC_BODY, NULL, SMFIP_NOBODY, SMFIP_NR_BODY, &p, &n, 1))
			return 1;
	}
	return 0;
}

/* SMFIC_ABORT has no answer: written straight to the wire. */
static void
rl_abort(struct rl_run *r)
{
	if (mc_wire_put(&r->c->w, SMFIC_ABORT, NULL, NULL, 0) != MC_OK ||
	    mc_wire_flush(&r->c->w) != MC_OK)
		r->final = 'E';
}

/* The phases in order; a case stops after the one it names. */
enum rl_phase { RL_CONNECT, RL_HELO, RL_MAIL, RL_RCPT, RL_HEADER, RL_EOH, RL_BODY, RL_ALL };

static int
rl_run_case(struct rl_run *r, enum rl_phase upto, int drop, const char *body, size_t blen, int nbig)
{
	unsigned char fam[3] = {SMFIA_INET, 0, 25};
	const void *cp[3] = {"client.example.net", fam, "127.0.0.1"};
	size_t cl[3] = {sizeof("client.example.net"), 3, sizeof("127.0.0.1")};
	const char *cmac[] = {"j", "mx.example.net", "{client_addr}", "127.0.0.1", NULL};
	const char *imac[] = {"i", r->qid, NULL};
	char name[32];
	int i;

	if (rl_step(r, SMFIC_CONNECT, cmac, SMFIP_NOCONNECT, SMFIP_NR_CONN, cp, cl, 3))
		return 0;
	if (upto == RL_CONNECT)
		return 1;
	if (rl_str(r, SMFIC_HELO, NULL, SMFIP_NOHELO, SMFIP_NR_HELO, "client.example.net"))
		return 0;
	if (upto == RL_HELO)
		return 1;
	if (rl_str(r, SMFIC_MAIL, imac, SMFIP_NOMAIL, SMFIP_NR_MAIL, "<alice@example.com>"))
		return 0;
	if (upto == RL_MAIL)
		return 1;
	if (rl_str(r, SMFIC_RCPT, imac, SMFIP_NORCPT, SMFIP_NR_RCPT, "<bob@example.net>"))
		return 0;
	if (upto == RL_RCPT)
		return 1;
	if (rl_header(r, "From", "Alice <alice@example.com>") ||
	    rl_header(r, "To", "bob@example.net") || rl_header(r, "Subject", "hostile"))
		return 0;
	if (nbig == 1) {
		char *big = malloc(1 << 20);

		if (big == NULL)
			return 0;
		memset(big, 'x', (1 << 20) - 1);
		big[(1 << 20) - 1] = '\0';
		i = rl_header(r, "X-Big", big);
		free(big);
		if (i)
			return 0;
	}
	for (i = 0; nbig > 1 && i < nbig; i++) {
		snprintf(name, sizeof(name), "X-H%d", i);
		if (rl_header(r, name, "v"))
			return 0;
	}
	if (upto == RL_HEADER)
		return 1;
	if (rl_step(r, SMFIC_EOH, imac, SMFIP_NOEOH, SMFIP_NR_EOH, NULL, NULL, 0))
		return 0;
	if (upto == RL_EOH)
		return 1;
	if (rl_body(r, body, drop ? blen / 2 : blen))
		return 0;
	if (upto == RL_BODY || drop)
		return 1;
	if (!rl_step(r, SMFIC_BODYEOB, imac, 0, 0, NULL, NULL, 0))
		r->final = 'c';
	return 0;
}

int
main(int argc, char **argv)
{
	static const char *aborts[] = {"abort-connect", "abort-helo", "abort-mail", "abort-rcpt",
	                               "abort-header",  "abort-eoh",  "abort-body"};
	static const char plain[] = "Hello,\r\nthis is the body.\r\n";
	static const char midline[] = "Hello,\r\nthis line never ends";
	struct mc_opts opts;
	struct rl_run r;
	char err[256];
	const char *cs, *body = plain;
	char *nul = NULL;
	size_t blen = sizeof(plain) - 1, i;
	enum rl_phase upto = RL_ALL;
	int drop = 0, nbig = 0, stopped;

	if (argc != 4)
		return 2;
	cs = argv[2];
	for (i = 0; i < sizeof(aborts) / sizeof(aborts[0]); i++)
		if (strcmp(cs, aborts[i]) == 0)
			upto = (enum rl_phase)i;
	if (strcmp(cs, "drop-body") == 0 || strcmp(cs, "nul-body") == 0) {
		blen = 200 * 1024;
		if ((nul = calloc(1, blen)) == NULL)
			return 2;
		if (cs[0] == 'd')
			memset(nul, 'a', blen);
		body = nul;
		drop = cs[0] == 'd';
	} else if (strcmp(cs, "big-header") == 0) {
		nbig = 1;
	} else if (strcmp(cs, "many-headers") == 0) {
		nbig = 10000;
	} else if (strcmp(cs, "mid-line") == 0) {
		body = midline;
		blen = sizeof(midline) - 1;
	} else if (upto == RL_ALL) {
		fprintf(stderr, "rl-hostile: unknown case %s\n", cs);
		return 2;
	}
	memset(&r, 0, sizeof(r));
	r.qid = argv[3];
	mc_result_init(&r.res);
	mc_opts_init(&opts);
	opts.timeout_ms = 30000;
	if (milter_client_connect(argv[1], &opts, &r.c, err, sizeof(err)) != MC_OK) {
		fprintf(stderr, "rl-hostile: %s\n", err);
		free(nul);
		return 1;
	}
	mc_result_reset(&r.res);
	stopped = rl_run_case(&r, upto, drop, body, blen, nbig);
	mc_result_finish(&r.res);
	if (stopped && !drop) {
		rl_abort(&r);
		if (r.final != 'E')
			(void)mc_wire_put(&r.c->w, SMFIC_QUIT, NULL, NULL, 0);
		(void)mc_wire_flush(&r.c->w);
	}
	/* No further word from milter_client_close(): a dropped connection just closes. */
	if (stopped)
		r.c->state = MC_ST_ERROR;
	printf("case=%s action=%c signatures=%zu\n", cs, r.final ? r.final : '-',
	       r.final && r.final != 'E' ? mc_result_count_added(&r.res, "DKIM-Signature") : 0);
	milter_client_close(r.c);
	mc_result_free(&r.res);
	free(nul);
	return 0;
}
