/*
 * dkim_message.c: splits a raw message into header fields and body.
 *
 * Only the field being assembled is kept: a field is complete when the line
 * after it does not start with WSP, so the decision waits for the first byte
 * of the next line, which may come in the next chunk.
 */
#include <stdlib.h>
#include <string.h>

#include "dkim/dkim_buf.h"
#include "dkim/dkim_message.h"

enum dkim_msg_state {
	DKIM_MSG_LINE_START, /* in the header, at the start of a line */
	DKIM_MSG_IN_LINE,    /* in the header, inside a line */
	DKIM_MSG_EOH_CR,     /* saw CR at the start of a line: the header ends */
	DKIM_MSG_BODY,
};

struct dkim_message {
	dkim_signer *signer;
	dkim_message_header_cb cb;
	void *arg;
	enum dkim_msg_state state;
	dkim_status error;
	struct dkim_buf field; /* the field being assembled, raw line ends */
};

dkim_status
dkim_message_new(dkim_signer *signer, dkim_message_header_cb cb, void *arg, dkim_message **out)
{
	dkim_message *m;

	if (signer == NULL || out == NULL)
		return DKIM_ERR_INVALID;
	if ((m = calloc(1, sizeof(*m))) == NULL)
		return DKIM_ERR_NOMEM;
	m->signer = signer;
	m->cb = cb;
	m->arg = arg;
	m->field.max = DKIM_MAX_HEADER_BYTES;
	*out = m;
	return DKIM_OK;
}

/* Hands the assembled field (without its last line end) to the signer. */
static dkim_status
dkim_message_flush(dkim_message *m)
{
	struct dkim_buf *f = &m->field;
	dkim_status st;
	char *colon;
	size_t off;

	if (f->len == 0)
		return DKIM_OK;
	if (f->p[f->len - 1] == '\n')
		f->len--;
	if (f->len > 0 && f->p[f->len - 1] == '\r')
		f->len--;
	if (memchr(f->p, '\0', f->len) != NULL)
		return DKIM_ERR_SYNTAX;
	if ((colon = memchr(f->p, ':', f->len)) == NULL)
		return DKIM_ERR_SYNTAX;
	off = (size_t)(colon - f->p);
	if ((st = dkim_buf_reserve(f, 1)) != DKIM_OK)
		return st;
	colon = f->p + off;
	f->p[f->len] = '\0';
	*colon = '\0';
	st = dkim_signer_header(m->signer, f->p, colon + 1);
	if (st == DKIM_OK && m->cb != NULL)
		st = m->cb(m->arg, f->p, colon + 1);
	f->len = 0;
	return st;
}

/* Consumes header bytes; returns how many, or sets m->error. */
static size_t
dkim_message_header(dkim_message *m, const unsigned char *data, size_t len)
{
	dkim_status st = DKIM_OK;
	size_t i = 0;
	const unsigned char *lf;

	while (i < len && m->state != DKIM_MSG_BODY && st == DKIM_OK) {
		unsigned char c = data[i];

		switch (m->state) {
		case DKIM_MSG_IN_LINE:
			lf = memchr(data + i, '\n', len - i);
			if (lf == NULL) {
				st = dkim_buf_append(&m->field, data + i, len - i);
				i = len;
			} else {
				st = dkim_buf_append(&m->field, data + i,
				                     (size_t)(lf - (data + i)) + 1);
				i = (size_t)(lf - data) + 1;
				m->state = DKIM_MSG_LINE_START;
			}
			break;
		case DKIM_MSG_LINE_START:
			if (c == ' ' || c == '\t') {
				/* A continuation line; none can open the header. */
				if (m->field.len == 0)
					st = DKIM_ERR_SYNTAX;
				m->state = DKIM_MSG_IN_LINE;
				break;
			}
			st = dkim_message_flush(m);
			if (c == '\n') {
				m->state = DKIM_MSG_BODY;
				i++;
			} else if (c == '\r') {
				m->state = DKIM_MSG_EOH_CR;
				i++;
			} else {
				m->state = DKIM_MSG_IN_LINE;
			}
			break;
		case DKIM_MSG_EOH_CR:
			if (c == '\n')
				i++;
			m->state = DKIM_MSG_BODY;
			break;
		case DKIM_MSG_BODY:
			break;
		}
	}
	m->error = st;
	return i;
}

dkim_status
dkim_message_feed(dkim_message *m, const unsigned char *data, size_t len)
{
	size_t used = 0;

	if (m == NULL || (data == NULL && len > 0))
		return DKIM_ERR_INVALID;
	if (m->error != DKIM_OK)
		return m->error;
	if (m->state != DKIM_MSG_BODY) {
		used = dkim_message_header(m, data, len);
		if (m->error != DKIM_OK)
			return m->error;
	}
	if (used < len)
		m->error = dkim_signer_body(m->signer, data + used, len - used);
	return m->error;
}

dkim_status
dkim_message_finish(dkim_message *m)
{
	if (m == NULL)
		return DKIM_ERR_INVALID;
	if (m->error != DKIM_OK)
		return m->error;
	if (m->state == DKIM_MSG_IN_LINE || m->state == DKIM_MSG_LINE_START)
		m->error = dkim_message_flush(m);
	m->state = DKIM_MSG_BODY;
	return m->error;
}

void
dkim_message_reset(dkim_message *m)
{
	if (m == NULL)
		return;
	m->state = DKIM_MSG_LINE_START;
	m->error = DKIM_OK;
	m->field.len = 0;
}

void
dkim_message_free(dkim_message *m)
{
	if (m == NULL)
		return;
	dkim_buf_free(&m->field);
	free(m);
}
