/* milter_client: connection, negotiation and the sending of messages; see milter_client.h. */
#include "config.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tools/milterclient/mc_message.h"
#include "tools/milterclient/mc_proto.h"
#include "tools/milterclient/mc_result.h"
#include "tools/milterclient/mc_sock.h"

/* What Postfix 3.x offers: every step flag, no-reply flag, SKIP, RCPT_REJ, LEADSPC. */
#define MC_PROTOCOL_ALL 0x001FFFFFu

const char *
mc_strerror(enum mc_status st)
{
	switch (st) {
	case MC_OK:
		return "success";
	case MC_ERR_ARG:
		return "bad argument";
	case MC_ERR_SPEC:
		return "bad socket specification";
	case MC_ERR_CONNECT:
		return "cannot connect to the milter";
	case MC_ERR_TIMEOUT:
		return "timeout waiting for the milter";
	case MC_ERR_IO:
		return "I/O error on the milter connection";
	case MC_ERR_CLOSED:
		return "the milter closed the connection";
	case MC_ERR_PROTO:
		return "milter protocol error";
	case MC_ERR_NOMEM:
		return "out of memory";
	case MC_ERR_MESSAGE:
		return "message cannot be sent";
	case MC_ERR_STATE:
		return "connection unusable after an earlier error";
	}
	return "unknown error";
}

void
mc_opts_init(struct mc_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->timeout_ms = 10000;
	o->abort_after_message = 1;
	o->version = SMFI_PROT_VERSION;
	o->actions = SMFI_CURR_ACTS;
	o->protocol = MC_PROTOCOL_ALL;
	o->hostname = "localhost";
	o->daemon_name = "p11dkim-load";
}

/* What each MTA offers at option negotiation: Postfix milter8.c sends all its actions at
 * every version and only the steps of the version; Sendmail 8.13 had neither the 8.14
 * actions nor the no-reply steps. */
static const struct mc_mta {
	const char *name;
	uint32_t version, actions, protocol;
} mc_mtas[] = {
    {"postfix-2", 2, SMFI_CURR_ACTS, SMFI_V2_PROT},
    {"postfix-3", 3, SMFI_CURR_ACTS, SMFI_V2_PROT | SMFIP_NOUNKNOWN},
    {"postfix-4", 4, SMFI_CURR_ACTS, SMFI_V2_PROT | SMFIP_NOUNKNOWN | SMFIP_NODATA},
    {"postfix-6", 6, SMFI_CURR_ACTS, MC_PROTOCOL_ALL},
    {"sendmail-8.13", 4, SMFI_V2_ACTS, SMFI_V2_PROT | SMFIP_NOHREPL},
    {"sendmail-8.14", 6, SMFI_CURR_ACTS, SMFI_CURR_PROT},
};

int
mc_opts_mta(struct mc_opts *o, const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(mc_mtas) / sizeof(mc_mtas[0]); i++) {
		if (strcmp(mc_mtas[i].name, name) == 0) {
			o->version = mc_mtas[i].version;
			o->actions = mc_mtas[i].actions;
			o->protocol = mc_mtas[i].protocol;
			return 0;
		}
	}
	return -1;
}

/* SMFIC_OPTNEG and the milter's answer (version, actions, steps, macro lists). */
static enum mc_status
mc_negotiate(struct mc_conn *c)
{
	unsigned char buf[12];
	const void *part = buf;
	size_t len = sizeof(buf);
	const unsigned char *d;
	char cmd;
	enum mc_status st;

	mc_wire_put32(buf, c->opts.version);
	mc_wire_put32(buf + 4, c->opts.actions);
	mc_wire_put32(buf + 8, c->opts.protocol);
	if ((st = mc_wire_put(&c->w, SMFIC_OPTNEG, &part, &len, 1)) != MC_OK ||
	    (st = mc_wire_read(&c->w, &cmd, &d, &len)) != MC_OK)
		return mc_proto_fail(c, st, c->w.err);
	if (cmd != SMFIC_OPTNEG || len < 12)
		return mc_proto_fail(c, MC_ERR_PROTO, "bad answer to option negotiation");
	c->version = mc_wire_get32(d);
	c->actions = mc_wire_get32(d + 4);
	c->protocol = mc_wire_get32(d + 8);
	/* The rest (macro lists wanted per step) only narrows what we send. */
	if (c->version < 2 || c->version > c->opts.version)
		return mc_proto_fail(c, MC_ERR_PROTO, "unsupported milter protocol version");
	if ((c->actions & c->opts.actions) != c->actions)
		return mc_proto_fail(c, MC_ERR_PROTO, "milter wants actions not offered");
	/* Size bits say how large the milter's packets may be; we take up to 1 MB. */
	c->protocol &= c->opts.protocol | SMFIP_MDS_256K | SMFIP_MDS_1M;
	/* Steps the offered version does not define are not sent (Postfix's np_mask). */
	if (c->opts.version < 3)
		c->protocol |= SMFIP_NOUNKNOWN;
	if (c->opts.version < 4)
		c->protocol |= SMFIP_NODATA;
	c->state = MC_ST_READY;
	return MC_OK;
}

enum mc_status
milter_client_connect(const char *spec, const struct mc_opts *opts, struct mc_conn **out,
                      char *errbuf, size_t errlen)
{
	struct mc_conn *c;
	char err[256];
	int fd, is_tcp;
	enum mc_status st;

	*out = NULL;
	if (errbuf == NULL || errlen == 0) {
		errbuf = err;
		errlen = sizeof(err);
	}
	errbuf[0] = '\0';
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return MC_ERR_NOMEM;
	if (opts != NULL)
		c->opts = *opts;
	else
		mc_opts_init(&c->opts);
	c->w.fd = -1;
	st = mc_sock_connect(spec, c->opts.timeout_ms, &fd, &is_tcp, errbuf, errlen);
	if (st != MC_OK) {
		free(c);
		return st;
	}
	c->is_tcp = is_tcp;
	c->pid = (unsigned)getpid();
	if ((st = mc_wire_init(&c->w, fd, c->opts.timeout_ms, is_tcp && c->opts.quickack)) == MC_OK)
		st = mc_negotiate(c);
	if (st != MC_OK) {
		snprintf(errbuf, errlen, "%s: %s", spec, c->err[0] ? c->err : c->w.err);
		mc_wire_free(&c->w);
		free(c);
		return st;
	}
	*out = c;
	return MC_OK;
}

/* CONNECT and HELO, once per connection. */
static enum mc_status
mc_session(struct mc_conn *c, const struct mc_prepared *p, struct mc_result *res)
{
	const struct mc_msg *m = &p->msg;
	unsigned char fam[3];
	const void *parts[3];
	size_t lens[3];
	char client[300];
	const char *macros[] = {"j",
	                        c->opts.hostname,
	                        "{daemon_name}",
	                        c->opts.daemon_name,
	                        "v",
	                        "Postfix 3.7",
	                        "_",
	                        client,
	                        "{client_addr}",
	                        m->client_addr,
	                        "{client_name}",
	                        m->client_name,
	                        NULL};
	enum mc_answer ans;
	enum mc_status st;

	snprintf(client, sizeof(client), "%s [%s]", m->client_name, m->client_addr);
	fam[0] = m->family == 6 ? SMFIA_INET6 : m->family == 'L' ? SMFIA_UNIX : SMFIA_INET;
	fam[1] = (unsigned char)((m->client_port >> 8) & 0xff);
	fam[2] = (unsigned char)(m->client_port & 0xff);
	parts[0] = m->client_name;
	lens[0] = strlen(m->client_name) + 1;
	parts[1] = fam;
	lens[1] = 3;
	parts[2] = m->client_addr;
	lens[2] = strlen(m->client_addr) + 1;
	st = mc_proto_event(c, SMFIC_CONNECT, macros, SMFIP_NOCONNECT, SMFIP_NR_CONN, parts, lens,
	                    3, res, &ans);
	if (st == MC_OK && ans == MC_ANS_CONTINUE) {
		parts[0] = m->helo;
		lens[0] = strlen(m->helo) + 1;
		st = mc_proto_event(c, SMFIC_HELO, NULL, SMFIP_NOHELO, SMFIP_NR_HELO, parts, lens,
		                    1, res, &ans);
	}
	if (st != MC_OK)
		return st;
	c->state = MC_ST_SESSION;
	if (ans == MC_ANS_FINAL) {
		c->state = res->action == SMFIR_ACCEPT ? MC_ST_ACCEPT_CON : MC_ST_REJECT_CON;
		c->con_action = res->action;
		snprintf(c->con_reply, sizeof(c->con_reply), "%s", res->reply ? res->reply : "");
	}
	return MC_OK;
}

/* MAIL, RCPT (each) and DATA; *ans is FINAL when the message ends early. */
static enum mc_status
mc_envelope(struct mc_conn *c, const struct mc_prepared *p, const char *qid, struct mc_result *res,
            enum mc_answer *ans)
{
	const struct mc_msg *m = &p->msg;
	const char *mmac[] = {"i",
	                      qid,
	                      "{auth_type}",
	                      m->auth_type,
	                      "{auth_authen}",
	                      m->auth_authen,
	                      "{mail_addr}",
	                      m->mail_from,
	                      NULL};
	const char *rmac[] = {"i", qid, "{rcpt_addr}", NULL, NULL};
	const char *dmac[] = {"i", qid, NULL};
	const void *part;
	size_t len, i, ok = 0;
	enum mc_status st;

	part = p->store + p->mail_off;
	len = strlen(part) + 1;
	st = mc_proto_event(c, SMFIC_MAIL, mmac, SMFIP_NOMAIL, SMFIP_NR_MAIL, &part, &len, 1, res,
	                    ans);
	if (st != MC_OK || *ans == MC_ANS_FINAL)
		return st;
	for (i = 0; i < m->nrcpts; i++) {
		rmac[3] = m->rcpts[i];
		part = p->store + p->rcpt_offs[i];
		len = strlen(part) + 1;
		st = mc_proto_event(c, SMFIC_RCPT, rmac, SMFIP_NORCPT, SMFIP_NR_RCPT, &part, &len,
		                    1, res, ans);
		if (st != MC_OK)
			return st;
		/* A refused recipient is dropped; the message goes on with the others. */
		if (*ans == MC_ANS_FINAL && res->action != SMFIR_ACCEPT) {
			res->rcpt_rejected++;
			continue;
		}
		ok++;
		if (*ans == MC_ANS_FINAL)
			return MC_OK;
	}
	if (ok == 0)
		return MC_OK; /* every recipient refused: *ans is FINAL with the last answer */
	res->action = 0;
	return mc_proto_event(c, SMFIC_DATA, dmac, SMFIP_NODATA, SMFIP_NR_DATA, NULL, NULL, 0, res,
	                      ans);
}

/* Header fields and end of headers. */
static enum mc_status
mc_headers(struct mc_conn *c, const struct mc_prepared *p, const char *qid, struct mc_result *res,
           enum mc_answer *ans)
{
	const char *hmac[] = {"i", qid, NULL};
	int leadspc = (c->protocol & SMFIP_HDR_LEADSPC) != 0;
	const void *parts[2];
	size_t lens[2], i, skip;
	enum mc_status st;

	for (i = 0; i < p->nhdrs; i++) {
		const struct mc_hdr *h = &p->hdrs[i];
		const char *v = p->store + h->value_off;

		parts[0] = p->store + h->name_off;
		lens[0] = h->name_len + 1;
		/* Without LEADSPC the MTA eats one space (not a tab) after the colon. */
		skip = !leadspc && v[0] == ' ';
		parts[1] = v + skip;
		lens[1] = h->value_len + 1 - skip;
		/* Postfix sends the end-of-header macros before every header field, and the
		 * end-of-data macros before every body chunk: one more command each for the milter.
		 */
		st = mc_proto_event(c, SMFIC_HEADER, hmac, SMFIP_NOHDRS, SMFIP_NR_HDR, parts, lens,
		                    2, res, ans);
		if (st != MC_OK || *ans == MC_ANS_FINAL)
			return st;
		if (*ans == MC_ANS_SKIP)
			break;
	}
	return mc_proto_event(c, SMFIC_EOH, hmac, SMFIP_NOEOH, SMFIP_NR_EOH, NULL, NULL, 0, res,
	                      ans);
}

/* Body chunks and end of body; the answer to the last is the decision. */
static enum mc_status
mc_body(struct mc_conn *c, const struct mc_prepared *p, const char *qid, struct mc_result *res,
        enum mc_answer *ans)
{
	const char *bmac[] = {"i", qid, NULL};
	const char *body = p->store + p->body_off;
	const void *part;
	size_t len, off;
	enum mc_status st;

	for (off = 0; off < p->body_len; off += len) {
		len = p->body_len - off < p->body_chunk ? p->body_len - off : p->body_chunk;
		part = body + off;
		st = mc_proto_event(c, SMFIC_BODY, bmac, SMFIP_NOBODY, SMFIP_NR_BODY, &part, &len,
		                    1, res, ans);
		if (st != MC_OK || *ans == MC_ANS_FINAL)
			return st;
		if (*ans == MC_ANS_SKIP) {
			res->body_skipped = 1;
			break;
		}
	}
	st = mc_proto_event(c, SMFIC_BODYEOB, bmac, 0, 0, NULL, NULL, 0, res, ans);
	if (st == MC_OK && *ans != MC_ANS_FINAL) {
		res->action = SMFIR_CONTINUE;
		res->stage = SMFIC_BODYEOB;
	}
	return st;
}

/* Runs the steps of one message; res->action is set when it returns MC_OK. */
static enum mc_status
mc_message(struct mc_conn *c, const struct mc_prepared *p, struct mc_result *res)
{
	static atomic_ulong mc_qid_seq;
	const char *qid = p->msg.queue_id;
	enum mc_answer ans = MC_ANS_CONTINUE;
	enum mc_status st;

	if (qid == NULL) {
		snprintf(c->qid, sizeof(c->qid), "%05X%06lX", c->pid & 0xfffffu,
		         atomic_fetch_add(&mc_qid_seq, 1) & 0xffffffUL);
		qid = c->qid;
	}
	if ((st = mc_envelope(c, p, qid, res, &ans)) != MC_OK || ans == MC_ANS_FINAL)
		return st;
	if ((st = mc_headers(c, p, qid, res, &ans)) != MC_OK || ans == MC_ANS_FINAL)
		return st;
	return mc_body(c, p, qid, res, &ans);
}

enum mc_status
milter_client_send_prepared(struct mc_conn *c, const struct mc_prepared *p, struct mc_result *res)
{
	enum mc_status st;

	if (c == NULL || p == NULL || res == NULL)
		return MC_ERR_ARG;
	mc_result_reset(res);
	if (c->state == MC_ST_ERROR)
		return MC_ERR_STATE;
	if (c->state == MC_ST_READY && (st = mc_session(c, p, res)) != MC_OK)
		return st;
	if (c->state == MC_ST_SESSION) {
		mc_result_reset(res);
		if ((st = mc_message(c, p, res)) != MC_OK)
			return st;
		if (res->action == SMFIR_SHUTDOWN || res->action == SMFIR_CONN_FAIL) {
			/* The milter is done with this connection. */
			c->state = MC_ST_REJECT_CON;
			c->con_action = res->action;
		} else if (res->stage != SMFIC_BODYEOB || c->opts.abort_after_message) {
			/* A message that ended early always resets the milter. */
			if (mc_wire_put(&c->w, SMFIC_ABORT, NULL, NULL, 0) != MC_OK)
				return mc_proto_fail(c, MC_ERR_NOMEM, "cannot queue abort");
		}
	} else {
		res->action = c->con_action;
		res->stage = SMFIC_CONNECT;
		if (c->con_reply[0] &&
		    mc_result_set_reply(res, c->con_reply, strlen(c->con_reply)) != MC_OK)
			return MC_ERR_NOMEM;
	}
	mc_result_finish(res);
	return MC_OK;
}

enum mc_status
milter_client_send(struct mc_conn *c, const struct mc_msg *msg, struct mc_result *res)
{
	struct mc_prepared *p;
	enum mc_status st;

	if ((st = mc_prepare(msg, &p)) != MC_OK)
		return st;
	st = milter_client_send_prepared(c, p, res);
	mc_prepared_free(p);
	return st;
}

void
milter_client_negotiated(const struct mc_conn *c, uint32_t *version, uint32_t *actions,
                         uint32_t *protocol)
{
	if (version != NULL)
		*version = c->version;
	if (actions != NULL)
		*actions = c->actions;
	if (protocol != NULL)
		*protocol = c->protocol;
}

const char *
milter_client_error(const struct mc_conn *c)
{
	return c != NULL ? c->err : "";
}

enum mc_status
milter_client_new_session(struct mc_conn *c)
{
	enum mc_status st;

	if (c == NULL || c->state == MC_ST_ERROR || c->version < 6)
		return MC_ERR_STATE;
	if ((st = mc_wire_put(&c->w, SMFIC_QUIT_NC, NULL, NULL, 0)) != MC_OK ||
	    (st = mc_wire_flush(&c->w)) != MC_OK)
		return mc_proto_fail(c, st, c->w.err);
	c->state = MC_ST_READY;
	return MC_OK;
}

void
milter_client_close(struct mc_conn *c)
{
	if (c == NULL)
		return;
	if (c->state != MC_ST_ERROR && mc_wire_put(&c->w, SMFIC_QUIT, NULL, NULL, 0) == MC_OK)
		(void)mc_wire_flush(&c->w);
	mc_wire_free(&c->w);
	free(c);
}

enum mc_status
milter_client_apply(const struct mc_conn *c, const struct mc_msg *msg, const struct mc_result *res,
                    FILE *out)
{
	struct mc_prepared *p;
	enum mc_status st;

	if (c == NULL)
		return MC_ERR_ARG;
	if ((st = mc_prepare(msg, &p)) != MC_OK)
		return st;
	st = mc_apply(p, res, (c->protocol & SMFIP_HDR_LEADSPC) != 0, out);
	mc_prepared_free(p);
	return st;
}
