/*
 * tests/dkim/body-ref.h: the body canonicalizer as it was before the SIMD
 * scanner (commit 56fd453, dkim/dkim_body.c), kept as a reference for the
 * tests and as the "before" column of dkim-bench (tests only).
 *
 * ref_body_update takes the place of dkim_body_update on the same struct
 * dkim_body: the state it carries between chunks is the same, so
 * dkim_body_init, _final, _reset and _free serve both. Its only fast path
 * skips 8-byte words with no byte below '!' (base64); text goes through the
 * byte loop. Header-only, so the fuzz targets (built by tests/fuzz/run.sh
 * straight from the sources) need nothing more to link.
 */
#ifndef P11DKIM_TESTS_DKIM_BODY_REF_H
#define P11DKIM_TESTS_DKIM_BODY_REF_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "dkim/dkim_body.h"

/* Byte classes: 0 line content, 1 CR, 2 LF, 3 WSP (relaxed only). */
static const unsigned char ref_body_cls_simple[256] = {['\r'] = 1, ['\n'] = 2};
static const unsigned char ref_body_cls_relaxed[256] = {
    ['\r'] = 1, ['\n'] = 2, [' '] = 3, ['\t'] = 3};

/*
 * The byte loop keeps the state in locals and touches the dkim_body only on
 * entry and exit: stores through the unsigned char output buffer may alias
 * anything, which would otherwise force a reload of every field per byte.
 * Content bytes are copied a run at a time.
 */
struct ref_body_st {
	uint64_t pending_crlf;
	size_t o;
	bool pending_cr, pending_wsp, line_nonempty, started;
};

#define REF_BODY_FLUSH()                                                                           \
	do {                                                                                       \
		if (s.o > 0 && EVP_DigestUpdate(b->ctx, b->out, s.o) != 1)                         \
			goto fail;                                                                 \
		s.o = 0;                                                                           \
	} while (0)
#define REF_BODY_ROOM(n)                                                                           \
	do {                                                                                       \
		if (s.o + (n) > DKIM_BODY_BUFSIZE)                                                 \
			REF_BODY_FLUSH();                                                          \
	} while (0)
/* Content follows: the held-back empty lines and WSP run were not trailing. */
#define REF_BODY_PENDING()                                                                         \
	do {                                                                                       \
		for (; s.pending_crlf > 0; s.pending_crlf--) {                                     \
			REF_BODY_ROOM(2);                                                          \
			b->out[s.o++] = '\r';                                                      \
			b->out[s.o++] = '\n';                                                      \
		}                                                                                  \
		if (s.pending_wsp) {                                                               \
			REF_BODY_ROOM(1);                                                          \
			b->out[s.o++] = ' ';                                                       \
			s.pending_wsp = false;                                                     \
		}                                                                                  \
		s.line_nonempty = s.started = true;                                                \
	} while (0)
#define REF_BODY_EOL()                                                                             \
	do {                                                                                       \
		s.pending_wsp = false;                                                             \
		if (s.line_nonempty) {                                                             \
			REF_BODY_ROOM(2);                                                          \
			b->out[s.o++] = '\r';                                                      \
			b->out[s.o++] = '\n';                                                      \
			s.line_nonempty = false;                                                   \
		} else {                                                                           \
			s.pending_crlf++;                                                          \
		}                                                                                  \
	} while (0)
/* A CR not followed by LF is ordinary content. */
#define REF_BODY_LONE_CR()                                                                         \
	do {                                                                                       \
		REF_BODY_PENDING();                                                                \
		REF_BODY_ROOM(1);                                                                  \
		b->out[s.o++] = '\r';                                                              \
	} while (0)

static inline void
ref_body_load(struct ref_body_st *s, const struct dkim_body *b)
{
	s->pending_crlf = b->pending_crlf;
	s->o = b->outlen;
	s->pending_cr = b->pending_cr;
	s->pending_wsp = b->pending_wsp;
	s->line_nonempty = b->line_nonempty;
	s->started = b->started;
}

static inline void
ref_body_save(struct dkim_body *b, const struct ref_body_st *s)
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
static inline const unsigned char *
ref_body_skip_plain(const unsigned char *q, const unsigned char *end)
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

static inline dkim_status
ref_body_update(struct dkim_body *b, const unsigned char *data, size_t len)
{
	const unsigned char *cls =
	    b->canon == DKIM_CANON_RELAXED ? ref_body_cls_relaxed : ref_body_cls_simple;
	const unsigned char *p = data, *end = data + len, *q;
	struct ref_body_st s;
	size_t n;

	if (b->failed)
		return DKIM_ERR_CRYPTO;
	ref_body_load(&s, b);
	if (s.pending_cr && p < end) {
		s.pending_cr = false;
		if (*p == '\n') {
			p++;
			REF_BODY_EOL();
		} else {
			REF_BODY_LONE_CR();
		}
	}
	while (p < end) {
		switch (cls[*p]) {
		case 0:
			REF_BODY_PENDING();
			/* One SP between words stays as it is under relaxed too: keep it in the
			 * run, so that prose is copied a line at a time, not a word. */
			for (q = p + 1;;) {
				q = ref_body_skip_plain(q, end);
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
				REF_BODY_FLUSH();
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
				REF_BODY_EOL();
			} else {
				REF_BODY_LONE_CR();
			}
			break;
		case 2:
			p++;
			REF_BODY_EOL();
			break;
		default:
			p++;
			s.pending_wsp = true;
			break;
		}
	}
	ref_body_save(b, &s);
	return DKIM_OK;
fail:
	b->failed = true;
	return DKIM_ERR_CRYPTO;
}

#endif
