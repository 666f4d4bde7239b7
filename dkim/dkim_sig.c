/*
 * dkim_sig.c: the DKIM-Signature tag list and its folding.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dkim/dkim_sig.h"

#define DKIM_SIG_PREFIX 15 /* strlen("DKIM-Signature:") */
#define DKIM_SIG_TABW 8

struct dkim_sig_w {
	struct dkim_buf *b;
	size_t col;
	dkim_status st;
};

static void
dkim_sig_fold(struct dkim_sig_w *w)
{
	if (w->st == DKIM_OK)
		w->st = dkim_buf_append(w->b, "\r\n\t", 3);
	w->col = DKIM_SIG_TABW;
}

static void
dkim_sig_raw(struct dkim_sig_w *w, const char *s, size_t n)
{
	if (w->st == DKIM_OK)
		w->st = dkim_buf_append(w->b, s, n);
	w->col += n;
}

/* Starts a tag of `need` bytes: on this line after a space if it fits, else
 * on the next one. */
static void
dkim_sig_start(struct dkim_sig_w *w, size_t need)
{
	if (w->col > DKIM_SIG_TABW && w->col + 1 + need > DKIM_SIG_WIDTH)
		dkim_sig_fold(w);
	else
		dkim_sig_raw(w, " ", 1);
}

static void
dkim_sig_tag(struct dkim_sig_w *w, const char *tag, const char *value)
{
	size_t tl = strlen(tag), vl = strlen(value);

	dkim_sig_start(w, tl + 1 + vl + 1);
	dkim_sig_raw(w, tag, tl);
	dkim_sig_raw(w, "=", 1);
	dkim_sig_raw(w, value, vl);
	dkim_sig_raw(w, ";", 1);
}

/* dkim-quoted-printable (RFC 6376 2.11): what is not a plain VALCHAR but ';'
 * and '=' becomes =XX. */
static bool
dkim_sig_qp_plain(unsigned char c)
{
	return c > 0x20 && c < 0x7f && c != ';' && c != '=';
}

static size_t
dkim_sig_qp_len(const char *s)
{
	size_t n = 0;

	for (; *s != '\0'; s++)
		n += dkim_sig_qp_plain((unsigned char)*s) ? 1 : 3;
	return n;
}

static void
dkim_sig_qp(struct dkim_sig_w *w, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	char enc[3];

	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;
		if (dkim_sig_qp_plain(c)) {
			dkim_sig_raw(w, (const char *)s, 1);
			continue;
		}
		enc[0] = '=';
		enc[1] = hex[c >> 4];
		enc[2] = hex[c & 15];
		dkim_sig_raw(w, enc, 3);
	}
}

static void
dkim_sig_h(struct dkim_sig_w *w, const struct dkim_hdrsel *hs)
{
	bool first = true;
	size_t k, r, n;

	for (k = 0; k < hs->nnames; k++) {
		n = dkim_hdrsel_hcount(hs, k);
		for (r = 0; r < n; r++) {
			size_t nl = hs->namelens[k];
			if (first) {
				dkim_sig_start(w, 2 + nl + 1);
				dkim_sig_raw(w, "h=", 2);
				first = false;
			} else {
				dkim_sig_raw(w, ":", 1);
				if (w->col + nl + 1 > DKIM_SIG_WIDTH)
					dkim_sig_fold(w);
			}
			dkim_sig_raw(w, hs->names[k], nl);
		}
	}
	dkim_sig_raw(w, ";", 1);
}

dkim_status
dkim_sig_build(struct dkim_buf *b, const struct dkim_sig_params *p)
{
	struct dkim_sig_w w = {b, DKIM_SIG_PREFIX, DKIM_OK};
	char num[32], canon[32];

	dkim_sig_tag(&w, "v", "1");
	dkim_sig_tag(&w, "a", dkim_alg_name(p->alg));
	snprintf(canon, sizeof(canon), "%s/%s", dkim_canon_name(p->hdr_canon),
	         dkim_canon_name(p->body_canon));
	dkim_sig_tag(&w, "c", canon);
	dkim_sig_tag(&w, "d", p->domain);
	dkim_sig_tag(&w, "s", p->selector);
	if (p->timestamp > 0) {
		snprintf(num, sizeof(num), "%" PRIdMAX, (intmax_t)p->timestamp);
		dkim_sig_tag(&w, "t", num);
		if (p->expire_after > 0) {
			snprintf(num, sizeof(num), "%" PRIdMAX,
			         (intmax_t)p->timestamp + (intmax_t)p->expire_after);
			dkim_sig_tag(&w, "x", num);
		}
	}
	if (p->identity != NULL) {
		dkim_sig_start(&w, 2 + dkim_sig_qp_len(p->identity) + 1);
		dkim_sig_raw(&w, "i=", 2);
		dkim_sig_qp(&w, p->identity);
		dkim_sig_raw(&w, ";", 1);
	}
	dkim_sig_h(&w, p->hs);
	dkim_sig_tag(&w, "bh", p->bh);
	/* b= on a line of its own: its value never moves the text before it. */
	dkim_sig_fold(&w);
	dkim_sig_raw(&w, "b=", 2);
	return w.st;
}

dkim_status
dkim_sig_finish(const char *field, size_t len, const char *b64, const char *eol, char **out)
{
	size_t el = strlen(eol), blen = strlen(b64), nl = 0, i, size, chunk, col;
	char *p, *o;

	for (i = 0; i + 1 < len; i++)
		if (field[i] == '\r' && field[i + 1] == '\n')
			nl++;
	/* Upper bound: every CRLF may become el bytes, every b= line one fold. */
	size = len + nl * el + blen + (blen / 32 + 1) * (el + 1) + 1;
	if ((p = malloc(size)) == NULL)
		return DKIM_ERR_NOMEM;
	o = p;
	for (i = 0; i < len; i++) {
		if (field[i] == '\r' && i + 1 < len && field[i + 1] == '\n') {
			memcpy(o, eol, el);
			o += el;
			i++;
		} else {
			*o++ = field[i];
		}
	}
	/* "b=" starts a continuation line: the value starts at column 10. */
	col = DKIM_SIG_TABW + 2;
	while (blen > 0) {
		chunk = DKIM_SIG_WIDTH - col;
		if (chunk > blen)
			chunk = blen;
		memcpy(o, b64, chunk);
		o += chunk;
		b64 += chunk;
		blen -= chunk;
		if (blen > 0) {
			memcpy(o, eol, el);
			o += el;
			*o++ = '\t';
			col = DKIM_SIG_TABW;
		}
	}
	*o = '\0';
	*out = p;
	return DKIM_OK;
}

int
dkim_sig_check_name(const char *name)
{
	size_t label = 0, total = 0;
	const char *s;

	for (s = name; *s != '\0'; s++, total++) {
		char c = *s;
		if (c == '.') {
			if (label == 0)
				return -1;
			label = 0;
			continue;
		}
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == '_'))
			return -1;
		if (++label > 63)
			return -1;
	}
	return (total == 0 || total > 253 || label == 0) ? -1 : 0;
}

int
dkim_sig_check_identity(const char *identity, const char *d)
{
	const char *at = strrchr(identity, '@'), *dom;
	size_t dl = strlen(d), il;

	if (at == NULL || strlen(identity) > 1024)
		return -1;
	dom = at + 1;
	if (dkim_sig_check_name(dom) != 0)
		return -1;
	il = strlen(dom);
	if (il == dl)
		return strcasecmp(dom, d) == 0 ? 0 : -1;
	/* RFC 6376 3.5 i=: the same domain or a subdomain of d=. */
	if (il > dl && dom[il - dl - 1] == '.' && strcasecmp(dom + il - dl, d) == 0)
		return 0;
	return -1;
}
