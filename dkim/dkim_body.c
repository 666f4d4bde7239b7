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

/* Byte classes: 0 line content, 1 CR, 2 LF, 3 WSP (relaxed only). */
static const unsigned char dkim_body_cls_simple[256] = {['\r'] = 1, ['\n'] = 2};
static const unsigned char dkim_body_cls_relaxed[256] = {
    ['\r'] = 1, ['\n'] = 2, [' '] = 3, ['\t'] = 3};

/*
 * The byte loop keeps the state in locals and touches the dkim_body only on
 * entry and exit: stores through the unsigned char output buffer may alias
 * anything, which would otherwise force a reload of every field per byte.
 * Content bytes are copied a run at a time.
 */
struct dkim_body_st {
	uint64_t pending_crlf;
	size_t o;
	bool pending_cr, pending_wsp, line_nonempty, started;
};

#define DKIM_BODY_FLUSH()                                                                          \
	do {                                                                                       \
		if (s.o > 0 && EVP_DigestUpdate(b->ctx, b->out, s.o) != 1)                         \
			goto fail;                                                                 \
		s.o = 0;                                                                           \
	} while (0)
#define DKIM_BODY_ROOM(n)                                                                          \
	do {                                                                                       \
		if (s.o + (n) > DKIM_BODY_BUFSIZE)                                                 \
			DKIM_BODY_FLUSH();                                                         \
	} while (0)
/* Content follows: the held-back empty lines and WSP run were not trailing. */
#define DKIM_BODY_PENDING()                                                                        \
	do {                                                                                       \
		for (; s.pending_crlf > 0; s.pending_crlf--) {                                     \
			DKIM_BODY_ROOM(2);                                                         \
			b->out[s.o++] = '\r';                                                      \
			b->out[s.o++] = '\n';                                                      \
		}                                                                                  \
		if (s.pending_wsp) {                                                               \
			DKIM_BODY_ROOM(1);                                                         \
			b->out[s.o++] = ' ';                                                       \
			s.pending_wsp = false;                                                     \
		}                                                                                  \
		s.line_nonempty = s.started = true;                                                \
	} while (0)
#define DKIM_BODY_EOL()                                                                            \
	do {                                                                                       \
		s.pending_wsp = false;                                                             \
		if (s.line_nonempty) {                                                             \
			DKIM_BODY_ROOM(2);                                                         \
			b->out[s.o++] = '\r';                                                      \
			b->out[s.o++] = '\n';                                                      \
			s.line_nonempty = false;                                                   \
		} else {                                                                           \
			s.pending_crlf++;                                                          \
		}                                                                                  \
	} while (0)
/* A CR not followed by LF is ordinary content. */
#define DKIM_BODY_LONE_CR()                                                                        \
	do {                                                                                       \
		DKIM_BODY_PENDING();                                                               \
		DKIM_BODY_ROOM(1);                                                                 \
		b->out[s.o++] = '\r';                                                              \
	} while (0)

static void
dkim_body_load(struct dkim_body_st *s, const struct dkim_body *b)
{
	s->pending_crlf = b->pending_crlf;
	s->o = b->outlen;
	s->pending_cr = b->pending_cr;
	s->pending_wsp = b->pending_wsp;
	s->line_nonempty = b->line_nonempty;
	s->started = b->started;
}

static void
dkim_body_save(struct dkim_body *b, const struct dkim_body_st *s)
{
	b->pending_crlf = s->pending_crlf;
	b->outlen = s->o;
	b->pending_cr = s->pending_cr;
	b->pending_wsp = s->pending_wsp;
	b->line_nonempty = s->line_nonempty;
	b->started = s->started;
}

/*
 * Skips whole 8-byte words in which no byte is below '!': no CR, LF, SP, HTAB (nor any other
 * control byte) can be there, so every byte is line content in both canonicalizations. Base64
 * attachments, the bulk of a large message, then cost a fraction of the byte loop. The test is
 * the "has a byte less than n" bit trick: exact as a yes/no answer for n <= 128, and the same on
 * either byte order.
 */
static const unsigned char *
dkim_body_skip_plain(const unsigned char *q, const unsigned char *end)
{
	const uint64_t ones = UINT64_C(0x0101010101010101), highs = UINT64_C(0x8080808080808080);
	uint64_t w;

	while (end - q >= 8) {
		memcpy(&w, q, sizeof(w));
		if (((w - ones * '!') & ~w & highs) != 0)
			break;
		q += 8;
	}
	return q;
}

dkim_status
dkim_body_update(struct dkim_body *b, const unsigned char *data, size_t len)
{
	const unsigned char *cls =
	    b->canon == DKIM_CANON_RELAXED ? dkim_body_cls_relaxed : dkim_body_cls_simple;
	const unsigned char *p = data, *end = data + len, *q;
	struct dkim_body_st s;
	size_t n;

	if (b->failed)
		return DKIM_ERR_CRYPTO;
	dkim_body_load(&s, b);
	if (s.pending_cr && p < end) {
		s.pending_cr = false;
		if (*p == '\n') {
			p++;
			DKIM_BODY_EOL();
		} else {
			DKIM_BODY_LONE_CR();
		}
	}
	while (p < end) {
		switch (cls[*p]) {
		case 0:
			DKIM_BODY_PENDING();
			/* One SP between words stays as it is under relaxed too: keep it in the
			 * run, so that prose is copied a line at a time, not a word. */
			for (q = p + 1;;) {
				q = dkim_body_skip_plain(q, end);
				while (q < end && cls[*q] == 0)
					q++;
				if (q + 1 < end && *q == ' ' && cls[q[1]] == 0) {
					q += 2;
					continue;
				}
				/* A line with content ends in CRLF and the next starts with
				 * content: both canonicalizations keep that CRLF as it is, so
				 * the run goes on (base64 goes through a buffer at a time). */
				if (q + 2 < end && q[0] == '\r' && q[1] == '\n' && cls[q[2]] == 0) {
					q += 3;
					continue;
				}
				break;
			}
			n = (size_t)(q - p);
			if (n > DKIM_BODY_BUFSIZE - s.o) {
				DKIM_BODY_FLUSH();
				if (n >= DKIM_BODY_BUFSIZE) {
					if (EVP_DigestUpdate(b->ctx, p, n) != 1)
						goto fail;
					p = q;
					break;
				}
			}
			memcpy(b->out + s.o, p, n);
			s.o += n;
			p = q;
			break;
		case 1:
			if (++p == end) {
				s.pending_cr = true;
			} else if (*p == '\n') {
				p++;
				DKIM_BODY_EOL();
			} else {
				DKIM_BODY_LONE_CR();
			}
			break;
		case 2:
			p++;
			DKIM_BODY_EOL();
			break;
		default:
			p++;
			s.pending_wsp = true;
			break;
		}
	}
	dkim_body_save(b, &s);
	return DKIM_OK;
fail:
	b->failed = true;
	return DKIM_ERR_CRYPTO;
}

dkim_status
dkim_body_final(struct dkim_body *b, unsigned char hash[32])
{
	struct dkim_body_st s;
	unsigned int n = 0;

	if (b->failed)
		return DKIM_ERR_CRYPTO;
	dkim_body_load(&s, b);
	if (s.pending_cr) {
		s.pending_cr = false;
		DKIM_BODY_LONE_CR();
	}
	s.pending_wsp = false;
	/* RFC 6376 3.4.3, 3.4.4: a last line without CRLF gets one. */
	if (s.line_nonempty)
		DKIM_BODY_EOL();
	s.pending_crlf = 0;
	/* simple: an empty body is one CRLF; relaxed: it stays empty. */
	if (b->canon == DKIM_CANON_SIMPLE && !s.started) {
		DKIM_BODY_ROOM(2);
		b->out[s.o++] = '\r';
		b->out[s.o++] = '\n';
		s.started = true;
	}
	DKIM_BODY_FLUSH();
	dkim_body_save(b, &s);
	if (EVP_DigestFinal_ex(b->ctx, hash, &n) != 1 || n != 32)
		goto fail;
	return DKIM_OK;
fail:
	b->failed = true;
	return DKIM_ERR_CRYPTO;
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
