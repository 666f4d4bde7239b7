/* mc_message: parse a message once for the milter protocol; see mc_message.h. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tools/milterclient/mc_message.h"

/* A growing byte store; offsets stay valid when it moves. */
struct mc_store {
	char *p;
	size_t len, cap;
	int failed;
};

static int
mc_store_reserve(struct mc_store *s, size_t more)
{
	size_t cap;
	char *np;

	if (s->failed)
		return -1;
	if (more <= s->cap - s->len)
		return 0;
	if (more > SIZE_MAX / 2 - s->len) {
		s->failed = 1;
		return -1;
	}
	cap = s->cap ? s->cap : 4096;
	while (cap - s->len < more)
		cap *= 2;
	if ((np = realloc(s->p, cap)) == NULL) {
		s->failed = 1;
		return -1;
	}
	s->p = np;
	s->cap = cap;
	return 0;
}

static size_t
mc_store_add(struct mc_store *s, const void *data, size_t len)
{
	size_t off = s->len;

	if (mc_store_reserve(s, len) != 0)
		return 0;
	if (len > 0)
		memcpy(s->p + s->len, data, len);
	s->len += len;
	return off;
}

/* Appends "<addr>\0" and returns its offset. */
static size_t
mc_store_addr(struct mc_store *s, const char *addr)
{
	size_t off = mc_store_add(s, "<", 1);

	mc_store_add(s, addr, strlen(addr));
	mc_store_add(s, ">", 2);
	return off;
}

/* Next line of raw from *pos: its content (without CR LF or LF) and whether it ended. */
static int
mc_next_line(const char *raw, size_t len, size_t *pos, const char **line, size_t *llen)
{
	const char *start = raw + *pos, *nl;
	size_t rest = len - *pos;

	if (*pos >= len)
		return 0;
	nl = memchr(start, '\n', rest);
	if (nl == NULL) {
		*line = start;
		*llen = rest;
		*pos = len;
		return 1;
	}
	*line = start;
	*llen = (size_t)(nl - start);
	if (*llen > 0 && start[*llen - 1] == '\r')
		(*llen)--;
	*pos += (size_t)(nl - start) + 1;
	return 1;
}

/* Length of the field name if line starts a header field ("name WSP* :"), else 0. */
static size_t
mc_field_name(const char *line, size_t len, size_t *colon)
{
	size_t i = 0, n;

	while (i < len && (unsigned char)line[i] > 32 && (unsigned char)line[i] < 127 &&
	       line[i] != ':')
		i++;
	n = i;
	while (i < len && (line[i] == ' ' || line[i] == '\t'))
		i++;
	if (n == 0 || i >= len || line[i] != ':')
		return 0;
	*colon = i;
	return n;
}

/* Adds the field whose lines are raw[start, end) to prep; returns 0 or -1. */
static int
mc_add_header(struct mc_prepared *p, struct mc_store *s, const char *raw, size_t start, size_t end,
              size_t *cap)
{
	struct mc_hdr *h;
	const char *line;
	size_t pos = start, llen, colon = 0;

	if (p->nhdrs == *cap) {
		size_t ncap = *cap ? *cap * 2 : 32;
		struct mc_hdr *nh = reallocarray(p->hdrs, ncap, sizeof(*nh));

		if (nh == NULL)
			return -1;
		p->hdrs = nh;
		*cap = ncap;
	}
	h = &p->hdrs[p->nhdrs++];
	/* The whole field with CRLF line ends, for mc_apply. */
	h->crlf_off = s->len;
	while (mc_next_line(raw, end, &pos, &line, &llen)) {
		mc_store_add(s, line, llen);
		mc_store_add(s, "\r\n", 2);
	}
	h->crlf_len = s->len - h->crlf_off;
	/* name\0value\0 with LF between folded lines, as Postfix sends it. */
	pos = start;
	mc_next_line(raw, end, &pos, &line, &llen);
	h->name_len = mc_field_name(line, llen, &colon);
	h->name_off = mc_store_add(s, line, h->name_len);
	mc_store_add(s, "", 1);
	h->value_off = mc_store_add(s, line + colon + 1, llen - colon - 1);
	while (mc_next_line(raw, end, &pos, &line, &llen)) {
		mc_store_add(s, "\n", 1);
		mc_store_add(s, line, llen);
	}
	h->value_len = s->len - h->value_off;
	mc_store_add(s, "", 1);
	return s->failed ? -1 : 0;
}

/* Splits the header block; returns the offset in raw where the body begins. */
static int
mc_parse_headers(struct mc_prepared *p, struct mc_store *s, size_t *body_start)
{
	const char *raw = p->msg.raw, *line;
	size_t len = p->msg.raw_len, pos = 0, prev, llen, colon, cap = 0;
	size_t field_start = 0;
	int in_field = 0;

	for (;;) {
		prev = pos;
		if (!mc_next_line(raw, len, &pos, &line, &llen)) {
			*body_start = len;
			break;
		}
		if (in_field && llen > 0 && (line[0] == ' ' || line[0] == '\t'))
			continue;
		if (in_field && mc_add_header(p, s, raw, field_start, prev, &cap) != 0)
			return -1;
		in_field = 0;
		if (llen == 0) {
			p->has_separator = 1;
			*body_start = pos;
			return 0;
		}
		if (mc_field_name(line, llen, &colon) == 0) {
			/* Not a header field: the body starts here (as in Postfix). */
			*body_start = prev;
			return 0;
		}
		field_start = prev;
		in_field = 1;
	}
	if (in_field && mc_add_header(p, s, raw, field_start, len, &cap) != 0)
		return -1;
	return 0;
}

/* Copies the body with every line ending in CRLF. */
static void
mc_parse_body(struct mc_prepared *p, struct mc_store *s, size_t start)
{
	const char *line;
	size_t pos = start, llen;

	p->body_off = s->len;
	mc_store_reserve(s, (p->msg.raw_len - start) + (p->msg.raw_len - start) / 8 + 16);
	while (mc_next_line(p->msg.raw, p->msg.raw_len, &pos, &line, &llen)) {
		mc_store_add(s, line, llen);
		mc_store_add(s, "\r\n", 2);
	}
	p->body_len = s->len - p->body_off;
}

static void
mc_prepare_defaults(struct mc_msg *m)
{
	if (m->client_addr == NULL)
		m->client_addr = "127.0.0.1";
	if (m->client_name == NULL)
		m->client_name = "localhost";
	if (m->family == 0)
		m->family = strchr(m->client_addr, ':') != NULL ? 6 : 4;
	if (m->helo == NULL)
		m->helo = "localhost";
	if (m->auth_authen != NULL && m->auth_type == NULL)
		m->auth_type = "PLAIN";
}

enum mc_status
mc_prepare(const struct mc_msg *msg, struct mc_prepared **out)
{
	struct mc_prepared *p;
	struct mc_store s = {NULL, 0, 0, 0};
	size_t body_start = 0, i;

	*out = NULL;
	if (msg == NULL || msg->raw == NULL || msg->mail_from == NULL || msg->nrcpts == 0 ||
	    msg->rcpts == NULL || msg->body_chunk > 65535)
		return MC_ERR_ARG;
	for (i = 0; i < msg->nrcpts; i++)
		if (msg->rcpts[i] == NULL)
			return MC_ERR_ARG;
	if ((p = calloc(1, sizeof(*p))) == NULL)
		return MC_ERR_NOMEM;
	p->msg = *msg;
	mc_prepare_defaults(&p->msg);
	p->body_chunk = msg->body_chunk ? msg->body_chunk : 65535;
	if ((p->rcpt_offs = calloc(msg->nrcpts, sizeof(*p->rcpt_offs))) == NULL)
		goto nomem;
	if (mc_parse_headers(p, &s, &body_start) != 0)
		goto nomem;
	mc_parse_body(p, &s, body_start);
	p->mail_off = mc_store_addr(&s, msg->mail_from);
	for (i = 0; i < msg->nrcpts; i++)
		p->rcpt_offs[i] = mc_store_addr(&s, msg->rcpts[i]);
	if (s.failed)
		goto nomem;
	p->store = s.p;
	p->store_len = s.len;
	*out = p;
	return MC_OK;
nomem:
	free(s.p);
	mc_prepared_free(p);
	return MC_ERR_NOMEM;
}

void
mc_prepared_free(struct mc_prepared *p)
{
	if (p == NULL)
		return;
	free(p->store);
	free(p->hdrs);
	free(p->rcpt_offs);
	free(p);
}

size_t
mc_prepared_nheaders(const struct mc_prepared *p)
{
	return p->nhdrs;
}

size_t
mc_prepared_body_len(const struct mc_prepared *p)
{
	return p->body_len;
}
