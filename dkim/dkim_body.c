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
 * The scanners below find where a run of line content ends, 16 or 8 bytes at a time, so that
 * neither text nor whitespace goes through the byte loop. A run is line content in which, under
 * relaxed, a SP may stand when line content follows it (one SP between words is kept as it is):
 * it ends at the first CR or LF, and under relaxed at the first HTAB or at a SP followed by WSP,
 * CR or LF. Each scanner stops short of the end of the data (16 bytes at most, as it reads one
 * byte ahead); the byte loop does the rest, so they only ever answer "this far is plain".
 */
#if defined(__GNUC__)
#define DKIM_BODY_NOINLINE __attribute__((noinline))
#else
#define DKIM_BODY_NOINLINE
#endif

#if defined(__SSE2__) && !defined(DKIM_BODY_NO_SIMD)
#include <emmintrin.h>

/* _mm_loadu_si128 reads unaligned bytes by definition: no cast pointer is dereferenced. */
#define DKIM_BODY_LOAD(q) _mm_loadu_si128((const __m128i *)(const void *)(q))
#define DKIM_BODY_EQ(v, c) ((unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8((v), (c))))

static inline const unsigned char *
dkim_body_skip_text(const unsigned char *q, const unsigned char *end, bool relaxed)
{
	const __m128i sp = _mm_set1_epi8(' '), ht = _mm_set1_epi8('\t'), cr = _mm_set1_epi8('\r'),
	              lf = _mm_set1_epi8('\n');
	unsigned s, w, w1, stop;
	__m128i v;

	for (; end - q >= 17; q += 16) {
		v = DKIM_BODY_LOAD(q);
		/* Every byte to stop at is at most SP: a block with none (base64, and most
		 * 8-bit text) costs three instructions. */
		if (DKIM_BODY_EQ(_mm_max_epu8(v, sp), sp) == 0)
			continue;
		/* s: SP; w: any byte that is not line content by itself. A SP stops the run when
		 * the byte after it is in w: for the last one of the block, that is byte 16. */
		s = relaxed ? DKIM_BODY_EQ(v, sp) : 0;
		w = s | DKIM_BODY_EQ(v, cr) | DKIM_BODY_EQ(v, lf) |
		    (relaxed ? DKIM_BODY_EQ(v, ht) : 0);
		/* The table, not four tests: those branch on the data. */
		w1 = relaxed ? (w >> 1) | (unsigned)(dkim_body_cls_relaxed[q[16]] != 0) << 15 : 0;
		stop = (w & ~s) | (s & w1);
		if (stop != 0)
			return q + __builtin_ctz(stop);
	}
	return q;
}

/* Skips SP and HTAB: a WSP run becomes one pending SP however long it is. */
static DKIM_BODY_NOINLINE const unsigned char *
dkim_body_skip_wsp(const unsigned char *q, const unsigned char *end)
{
	const __m128i sp = _mm_set1_epi8(' '), ht = _mm_set1_epi8('\t');
	unsigned other;
	__m128i v;

	for (; end - q >= 16; q += 16) {
		v = DKIM_BODY_LOAD(q);
		other = ~(DKIM_BODY_EQ(v, sp) | DKIM_BODY_EQ(v, ht)) & 0xffff;
		if (other != 0)
			return q + __builtin_ctz(other);
	}
	while (q < end && (*q == ' ' || *q == '\t'))
		q++;
	return q;
}
#else
/*
 * The portable fallback, a 64-bit word at a time. dkim_body_zeros marks each zero byte of x with
 * its high bit, exactly (no borrow crosses bytes, unlike the cheaper "has a zero byte" test),
 * and the marks of the word one byte further on line up with the bytes they follow, whatever
 * the byte order. A word with something to stop at is left to the byte loop.
 */
#define DKIM_BODY_ONES UINT64_C(0x0101010101010101)
#define DKIM_BODY_LOWS UINT64_C(0x7f7f7f7f7f7f7f7f)

static uint64_t
dkim_body_zeros(uint64_t x)
{
	return ~(((x & DKIM_BODY_LOWS) + DKIM_BODY_LOWS) | x | DKIM_BODY_LOWS);
}

static uint64_t
dkim_body_marks(uint64_t x, bool relaxed, uint64_t *spaces)
{
	*spaces = relaxed ? dkim_body_zeros(x ^ (DKIM_BODY_ONES * ' ')) : 0;
	return *spaces | dkim_body_zeros(x ^ (DKIM_BODY_ONES * '\r')) |
	       dkim_body_zeros(x ^ (DKIM_BODY_ONES * '\n')) |
	       (relaxed ? dkim_body_zeros(x ^ (DKIM_BODY_ONES * '\t')) : 0);
}

static inline const unsigned char *
dkim_body_skip_text(const unsigned char *q, const unsigned char *end, bool relaxed)
{
	uint64_t x, s, w, s1;

	for (; end - q >= 9; q += 8) {
		memcpy(&x, q, sizeof(x));
		w = dkim_body_marks(x, relaxed, &s);
		memcpy(&x, q + 1, sizeof(x));
		if (((w & ~s) | (s & dkim_body_marks(x, relaxed, &s1))) != 0)
			break;
	}
	return q;
}

static const unsigned char *
dkim_body_skip_wsp(const unsigned char *q, const unsigned char *end)
{
	const uint64_t highs = UINT64_C(0x8080808080808080);
	uint64_t x;

	for (; end - q >= 8; q += 8) {
		memcpy(&x, q, sizeof(x));
		if ((dkim_body_zeros(x ^ (DKIM_BODY_ONES * ' ')) |
		     dkim_body_zeros(x ^ (DKIM_BODY_ONES * '\t'))) != highs)
			break;
	}
	while (q < end && (*q == ' ' || *q == '\t'))
		q++;
	return q;
}
#endif

/* One scanner per canonicalization, out of line: inlined, they make the byte loop around them
 * slower on short runs. */
static DKIM_BODY_NOINLINE const unsigned char *
dkim_body_skip_relaxed(const unsigned char *q, const unsigned char *end)
{
	return dkim_body_skip_text(q, end, true);
}

static DKIM_BODY_NOINLINE const unsigned char *
dkim_body_skip_simple(const unsigned char *q, const unsigned char *end)
{
	return dkim_body_skip_text(q, end, false);
}

dkim_status
dkim_body_update(struct dkim_body *b, const unsigned char *data, size_t len)
{
	const bool relaxed = b->canon == DKIM_CANON_RELAXED;
	const unsigned char *cls = relaxed ? dkim_body_cls_relaxed : dkim_body_cls_simple;
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
				/* The scanner only where the run goes on: where it would stop at
				 * once (a line end, a WSP run) the byte tests below are cheaper. */
				if (q < end && cls[*q] == 0)
					q = relaxed ? dkim_body_skip_relaxed(q, end)
					            : dkim_body_skip_simple(q, end);
				while (q < end && cls[*q] == 0)
					q++;
				/* One SP before content: on to that content, the scanner's. */
				if (q + 1 < end && *q == ' ' && cls[q[1]] == 0) {
					q++;
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
			/* Most WSP runs are one or two bytes (a SP before a TAB or a line end): a
			 * call costs more than testing those. */
			if (++p < end && (*p == ' ' || *p == '\t') && ++p < end &&
			    (*p == ' ' || *p == '\t'))
				p = dkim_body_skip_wsp(p + 1, end);
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
