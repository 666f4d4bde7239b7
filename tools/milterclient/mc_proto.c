/* mc_proto: one protocol step and the milter's answer to it; see mc_proto.h. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "tools/milterclient/mc_proto.h"
#include "tools/milterclient/mc_result.h"

enum mc_status
mc_proto_fail(struct mc_conn *c, enum mc_status st, const char *why)
{
	c->state = MC_ST_ERROR;
	snprintf(c->err, sizeof(c->err), "%s", why);
	return st;
}

/*
 * Splits data into exactly min..max NUL-terminated strings; returns how many,
 * or -1 if the data is not such a list.
 */
static int
mc_proto_strings(const unsigned char *data, size_t len, int min, int max, const char **s,
                 size_t *slen)
{
	size_t pos = 0;
	int n = 0;

	while (pos < len) {
		const unsigned char *nul = memchr(data + pos, '\0', len - pos);

		if (nul == NULL || n == max)
			return -1;
		s[n] = (const char *)data + pos;
		slen[n] = (size_t)(nul - (data + pos));
		pos += slen[n] + 1;
		n++;
	}
	return n >= min ? n : -1;
}

/* Records one modification request received at end of body. */
static enum mc_status
mc_proto_mod(struct mc_conn *c, char cmd, const unsigned char *d, size_t len, struct mc_result *res)
{
	const char *s[2] = {"", ""};
	size_t sl[2] = {0, 0};
	uint32_t index = 0;
	enum mc_mod_type t;
	int min = 1, max = 1, n;

	switch (cmd) {
	case SMFIR_REPLBODY:
		return mc_result_add(res, MC_MOD_REPLBODY, 0, "", 0, (const char *)d, len);
	case SMFIR_INSHEADER:
	case SMFIR_CHGHEADER:
		if (len < 4)
			return mc_proto_fail(c, MC_ERR_PROTO, "header change too short");
		index = mc_wire_get32(d);
		d += 4;
		len -= 4;
		t = cmd == SMFIR_INSHEADER ? MC_MOD_INSHEADER : MC_MOD_CHGHEADER;
		min = max = 2;
		break;
	case SMFIR_ADDHEADER:
		t = MC_MOD_ADDHEADER;
		min = max = 2;
		break;
	case SMFIR_ADDRCPT:
		t = MC_MOD_ADDRCPT;
		break;
	case SMFIR_DELRCPT:
		t = MC_MOD_DELRCPT;
		break;
	case SMFIR_QUARANTINE:
		t = MC_MOD_QUARANTINE;
		break;
	case SMFIR_ADDRCPT_PAR:
		t = MC_MOD_ADDRCPT_PAR;
		max = 2;
		break;
	case SMFIR_CHGFROM:
		t = MC_MOD_CHGFROM;
		max = 2;
		break;
	default:
		return mc_proto_fail(c, MC_ERR_PROTO, "unknown reply from milter");
	}
	if ((n = mc_proto_strings(d, len, min, max, s, sl)) < 0)
		return mc_proto_fail(c, MC_ERR_PROTO, "malformed modification request");
	if (sl[0] == 0 && t != MC_MOD_QUARANTINE)
		return mc_proto_fail(c, MC_ERR_PROTO, "modification request with empty name");
	return mc_result_add(res, t, index, s[0], sl[0], s[1], sl[1]);
}

/* An SMTP reply must start "4xy " or "5xy " (or '-' for multi-line). */
static int
mc_proto_valid_reply(const unsigned char *d, size_t len)
{
	if (len < 3 || (d[0] != '4' && d[0] != '5'))
		return 0;
	if (d[1] < '0' || d[1] > '9' || d[2] < '0' || d[2] > '9')
		return 0;
	return len == 3 || d[3] == ' ' || d[3] == '-' || d[3] == '\0';
}

/* Interprets one answer packet; *done says whether the step is over. */
static enum mc_status
mc_proto_answer(struct mc_conn *c, char event, char cmd, const unsigned char *d, size_t len,
                struct mc_result *res, enum mc_answer *ans, int *done)
{
	*done = 1;
	switch (cmd) {
	case SMFIR_PROGRESS:
		*done = 0;
		res->progress++;
		/* FALLTHROUGH */
	case SMFIR_CONTINUE:
		*ans = MC_ANS_CONTINUE;
		break;
	case SMFIR_ACCEPT:
	case SMFIR_REJECT:
	case SMFIR_TEMPFAIL:
	case SMFIR_DISCARD:
	case SMFIR_SHUTDOWN:
	case SMFIR_CONN_FAIL:
		*ans = MC_ANS_FINAL;
		res->action = cmd;
		break;
	case SMFIR_SKIP:
		if (event != SMFIC_BODY || (c->protocol & SMFIP_SKIP) == 0)
			return mc_proto_fail(c, MC_ERR_PROTO, "SMFIR_SKIP where not allowed");
		*ans = MC_ANS_SKIP;
		break;
	case SMFIR_REPLYCODE:
		if (!mc_proto_valid_reply(d, len) || d[len - 1] != '\0')
			return mc_proto_fail(c, MC_ERR_PROTO, "malformed SMFIR_REPLYCODE");
		*ans = MC_ANS_FINAL;
		res->action = cmd;
		return mc_result_set_reply(res, (const char *)d, len - 1);
	default:
		if (event != SMFIC_BODYEOB) {
			snprintf(c->err, sizeof(c->err), "unexpected reply '%c' to step '%c'",
			         cmd >= 32 && cmd < 127 ? cmd : '?', event);
			c->state = MC_ST_ERROR;
			return MC_ERR_PROTO;
		}
		*done = 0;
		return mc_proto_mod(c, cmd, d, len, res);
	}
	if (len != 0)
		return mc_proto_fail(c, MC_ERR_PROTO, "unexpected data in a reply");
	return MC_OK;
}

/* Appends the macro packet for step cmd. */
static enum mc_status
mc_proto_macros(struct mc_conn *c, char cmd, const char *const *macros)
{
	const void *parts[33];
	size_t lens[33];
	int n = 0, i;

	parts[n] = &cmd;
	lens[n++] = 1;
	for (i = 0; macros[i] != NULL && n < 31; i += 2) {
		if (macros[i + 1] == NULL)
			continue;
		parts[n] = macros[i];
		lens[n++] = strlen(macros[i]) + 1;
		parts[n] = macros[i + 1];
		lens[n++] = strlen(macros[i + 1]) + 1;
	}
	return mc_wire_put(&c->w, SMFIC_MACRO, parts, lens, n);
}

enum mc_status
mc_proto_event(struct mc_conn *c, char cmd, const char *const *macros, uint32_t skip_flag,
               uint32_t nr_flag, const void *const *parts, const size_t *lens, int n,
               struct mc_result *res, enum mc_answer *ans)
{
	const unsigned char *d;
	size_t len;
	char rcmd;
	int done = 0;
	enum mc_status st;

	*ans = MC_ANS_CONTINUE;
	if (macros != NULL && (st = mc_proto_macros(c, cmd, macros)) != MC_OK)
		return mc_proto_fail(c, st, "cannot queue macros");
	if ((c->protocol & skip_flag) != 0)
		return MC_OK;
	if (n == 1 && lens[0] > 4096)
		st = mc_wire_put_direct(&c->w, cmd, parts[0], lens[0]);
	else
		st = mc_wire_put(&c->w, cmd, parts, lens, n);
	if (st != MC_OK)
		return mc_proto_fail(c, st, c->w.err[0] ? c->w.err : "cannot send");
	if ((c->protocol & nr_flag) != 0)
		return MC_OK;
	while (!done) {
		if ((st = mc_wire_read(&c->w, &rcmd, &d, &len)) != MC_OK)
			return mc_proto_fail(c, st, c->w.err);
		if ((st = mc_proto_answer(c, cmd, rcmd, d, len, res, ans, &done)) != MC_OK) {
			c->state = MC_ST_ERROR;
			return st;
		}
	}
	if (*ans == MC_ANS_FINAL)
		res->stage = cmd;
	return MC_OK;
}
