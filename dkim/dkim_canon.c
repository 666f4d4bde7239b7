/*
 * dkim_canon.c: header field canonicalization.
 *
 * relaxed (RFC 6376 3.4.2): lowercase the name, unfold, squeeze WSP runs to
 * one SP, drop WSP at the end of the value and around the colon. The classic
 * trap is a field folded right after its colon ("Subject:\r\n foo"): the
 * unfolded WSP is then leading whitespace of the value and must go too, which
 * falls out here because CR and LF are dropped before WSP is considered.
 */
#include <string.h>

#include "dkim/dkim_canon.h"

dkim_status
dkim_canon_store(struct dkim_buf *b, const char *name, size_t namelen, const char *value)
{
	const char *p, *lf;
	dkim_status st;

	if ((st = dkim_buf_reserve(b, namelen + 1 + strlen(value))) != DKIM_OK)
		return st;
	if ((st = dkim_buf_append(b, name, namelen)) != DKIM_OK ||
	    (st = dkim_buf_putc(b, ':')) != DKIM_OK)
		return st;
	for (p = value; (lf = strchr(p, '\n')) != NULL; p = lf + 1) {
		if ((st = dkim_buf_append(b, p, (size_t)(lf - p))) != DKIM_OK)
			return st;
		if ((lf == value || lf[-1] != '\r') && (st = dkim_buf_putc(b, '\r')) != DKIM_OK)
			return st;
		if ((st = dkim_buf_putc(b, '\n')) != DKIM_OK)
			return st;
	}
	return dkim_buf_puts(b, p);
}

size_t
dkim_canon_namelen(const char *name, size_t len)
{
	while (len > 0 && (name[len - 1] == ' ' || name[len - 1] == '\t'))
		len--;
	return len;
}

static dkim_status
dkim_canon_relaxed(struct dkim_buf *b, const char *field, size_t len)
{
	const char *colon = memchr(field, ':', len);
	size_t namelen, i, vstart;
	bool wsp = false, any = false;
	dkim_status st;
	char *out;

	if (colon == NULL)
		colon = field + len;
	namelen = dkim_canon_namelen(field, (size_t)(colon - field));
	/* The result is never longer than the input plus CRLF: reserve once. */
	if ((st = dkim_buf_reserve(b, len + 3)) != DKIM_OK)
		return st;
	out = b->p + b->len;
	for (i = 0; i < namelen; i++) {
		char c = field[i];
		*out++ = (c >= 'A' && c <= 'Z') ? (char)(c + ('a' - 'A')) : c;
	}
	*out++ = ':';
	vstart = (size_t)(colon - field) + (colon < field + len ? 1 : 0);
	for (i = vstart; i < len; i++) {
		char c = field[i];
		/* Unfolding removes line ends only (RFC 6376 3.4.2): CRLF, or the bare LF Postfix
		 * sends for one; a lone CR is a character of the value, as verifiers keep it. */
		if (c == '\n' || (c == '\r' && i + 1 < len && field[i + 1] == '\n'))
			continue;
		if (c == ' ' || c == '\t') {
			wsp = true;
			continue;
		}
		if (wsp && any)
			*out++ = ' ';
		wsp = false;
		any = true;
		*out++ = c;
	}
	b->len = (size_t)(out - b->p);
	return DKIM_OK;
}

dkim_status
dkim_canon_header(struct dkim_buf *b, dkim_canon canon, const char *field, size_t len, bool crlf)
{
	dkim_status st;

	if (canon == DKIM_CANON_RELAXED)
		st = dkim_canon_relaxed(b, field, len);
	else
		st = dkim_buf_append(b, field, len);
	if (st == DKIM_OK && crlf)
		st = dkim_buf_append(b, "\r\n", 2);
	return st;
}
