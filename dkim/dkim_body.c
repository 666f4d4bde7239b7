/*
 * dkim_body.c: streamed body canonicalization and hash.
 *
 * simple: lines are kept; empty lines at the end are dropped; a body that
 * hashes nothing hashes one CRLF; a last line without CRLF gets one.
 * relaxed: WSP runs become one SP, WSP at the end of a line goes (so a
 * whitespace-only line is an empty line), empty lines at the end are dropped,
 * and an empty result stays empty (RFC 6376 errata 1384 / 3.4.4).
 */
#include <string.h>

#include "dkim/dkim_body.h"

static dkim_status
dkim_body_flush(struct dkim_body *b)
{
	if (b->outlen > 0 && EVP_DigestUpdate(b->ctx, b->out, b->outlen) != 1) {
		b->failed = true;
		return DKIM_ERR_CRYPTO;
	}
	b->outlen = 0;
	return DKIM_OK;
}

static dkim_status
dkim_body_emit(struct dkim_body *b, const void *data, size_t n)
{
	dkim_status st;

	b->started = true;
	if (n > sizeof(b->out) - b->outlen) {
		if ((st = dkim_body_flush(b)) != DKIM_OK)
			return st;
		if (n >= sizeof(b->out)) {
			if (EVP_DigestUpdate(b->ctx, data, n) != 1) {
				b->failed = true;
				return DKIM_ERR_CRYPTO;
			}
			return DKIM_OK;
		}
	}
	memcpy(b->out + b->outlen, data, n);
	b->outlen += n;
	return DKIM_OK;
}

/* Line content: first the empty lines and the WSP run it proves not to be
 * trailing, then the bytes themselves. */
static dkim_status
dkim_body_text(struct dkim_body *b, const unsigned char *data, size_t n)
{
	dkim_status st;

	for (; b->pending_crlf > 0; b->pending_crlf--)
		if ((st = dkim_body_emit(b, "\r\n", 2)) != DKIM_OK)
			return st;
	if (b->pending_wsp) {
		b->pending_wsp = false;
		if ((st = dkim_body_emit(b, " ", 1)) != DKIM_OK)
			return st;
	}
	b->line_nonempty = true;
	return dkim_body_emit(b, data, n);
}

static dkim_status
dkim_body_eol(struct dkim_body *b)
{
	b->pending_wsp = false;
	if (!b->line_nonempty) {
		b->pending_crlf++;
		return DKIM_OK;
	}
	b->line_nonempty = false;
	return dkim_body_emit(b, "\r\n", 2);
}

static bool
dkim_body_special(dkim_canon canon, unsigned char c)
{
	if (c == '\r' || c == '\n')
		return true;
	return canon == DKIM_CANON_RELAXED && (c == ' ' || c == '\t');
}

dkim_status
dkim_body_update(struct dkim_body *b, const unsigned char *data, size_t len)
{
	static const unsigned char cr = '\r';
	dkim_status st = DKIM_OK;
	size_t i = 0, j;

	if (b->failed)
		return DKIM_ERR_CRYPTO;
	while (i < len && st == DKIM_OK) {
		unsigned char c = data[i];

		if (b->pending_cr) {
			b->pending_cr = false;
			if (c == '\n') {
				st = dkim_body_eol(b);
				i++;
				continue;
			}
			if ((st = dkim_body_text(b, &cr, 1)) != DKIM_OK)
				break;
		}
		if (c == '\r') {
			b->pending_cr = true;
			i++;
		} else if (c == '\n') {
			st = dkim_body_eol(b);
			i++;
		} else if (b->canon == DKIM_CANON_RELAXED && (c == ' ' || c == '\t')) {
			b->pending_wsp = true;
			i++;
		} else {
			for (j = i + 1; j < len && !dkim_body_special(b->canon, data[j]); j++)
				;
			st = dkim_body_text(b, data + i, j - i);
			i = j;
		}
	}
	return st;
}

dkim_status
dkim_body_final(struct dkim_body *b, unsigned char hash[32])
{
	static const unsigned char cr = '\r';
	unsigned int n = 0;
	dkim_status st;

	if (b->failed)
		return DKIM_ERR_CRYPTO;
	if (b->pending_cr) {
		b->pending_cr = false;
		if ((st = dkim_body_text(b, &cr, 1)) != DKIM_OK)
			return st;
	}
	b->pending_wsp = false;
	if (b->line_nonempty && (st = dkim_body_eol(b)) != DKIM_OK)
		return st;
	b->pending_crlf = 0;
	if (b->canon == DKIM_CANON_SIMPLE && !b->started &&
	    (st = dkim_body_emit(b, "\r\n", 2)) != DKIM_OK)
		return st;
	if ((st = dkim_body_flush(b)) != DKIM_OK)
		return st;
	if (EVP_DigestFinal_ex(b->ctx, hash, &n) != 1 || n != 32) {
		b->failed = true;
		return DKIM_ERR_CRYPTO;
	}
	return DKIM_OK;
}

dkim_status
dkim_body_reset(struct dkim_body *b)
{
	b->pending_crlf = 0;
	b->pending_cr = b->pending_wsp = b->line_nonempty = b->started = false;
	b->outlen = 0;
	b->failed = EVP_DigestInit_ex(b->ctx, b->md, NULL) != 1;
	return b->failed ? DKIM_ERR_CRYPTO : DKIM_OK;
}

dkim_status
dkim_body_init(struct dkim_body *b, const EVP_MD *md, dkim_canon canon)
{
	memset(b, 0, offsetof(struct dkim_body, out));
	b->canon = canon;
	b->md = md;
	if ((b->ctx = EVP_MD_CTX_new()) == NULL)
		return DKIM_ERR_NOMEM;
	return dkim_body_reset(b);
}

void
dkim_body_free(struct dkim_body *b)
{
	EVP_MD_CTX_free(b->ctx);
	b->ctx = NULL;
}
