/*
 * check_dkim_split: the body hash does not depend on how the body is cut.
 *
 * Every body is hashed whole and compared with a reference canonicalizer
 * written here line by line, non-streamed (RFC 6376 3.4.3/3.4.4 read
 * literally), then cut at every offset into two pieces, into three pieces at
 * every pair of offsets (small bodies), and fed byte by byte; every two-piece
 * cut is also fed to the canonicalizer as it was before its SIMD scanner
 * (tests/dkim/body-ref.h, a byte loop for text), which must agree. Bodies:
 * crafted ones full of traps, random ones over a tiny alphabet (so that CR,
 * LF, WSP and runs of empty lines meet in every order), random text of up to
 * 300 bytes with WSP runs longer than the scanner's 16-byte blocks and a SP
 * at every block offset, a 4 KB one cut at every offset, and a 1 MB one (see
 * test_big).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "dkim/dkim.h"
#include "dkim/dkim_body.h"
#include "tests/dkim/body-ref.h"
#include "tests/dkim/testutil.h"
#include "tests/lib/check_main.h"

static EVP_MD *md;

/* The reference: split into lines, canonicalize each, drop trailing empty
 * lines, join with CRLF. Returns a malloc'd buffer. */
static unsigned char *
ref_canon(dkim_canon canon, const unsigned char *in, size_t len, size_t *outlen)
{
	unsigned char *out = malloc(2 * len + 3), *o = out;
	size_t i = 0, last_content = 0; /* output length after the last non-empty line */
	bool any = false;

	ck_assert_ptr_nonnull(out);
	while (i < len) {
		size_t start = i, end, j;
		bool has_lf;

		while (i < len && in[i] != '\n')
			i++;
		has_lf = i < len;
		end = i;
		if (has_lf && end > start && in[end - 1] == '\r')
			end--;
		if (has_lf)
			i++;
		/* one line: [start, end) */
		if (canon == DKIM_CANON_SIMPLE) {
			memcpy(o, in + start, end - start);
			o += end - start;
			if (end > start)
				last_content = (size_t)(o - out) + 2;
		} else {
			bool wsp = false, content = false;
			for (j = start; j < end; j++) {
				if (in[j] == ' ' || in[j] == '\t') {
					wsp = true;
					continue;
				}
				if (wsp)
					*o++ = ' ';
				wsp = false;
				*o++ = in[j];
				content = true;
			}
			if (content)
				last_content = (size_t)(o - out) + 2;
		}
		*o++ = '\r';
		*o++ = '\n';
		any = true;
	}
	(void)any;
	*outlen = last_content;
	if (canon == DKIM_CANON_SIMPLE && *outlen == 0) {
		memcpy(out, "\r\n", 2);
		*outlen = 2;
	}
	return out;
}

static void
ref_hash(dkim_canon canon, const unsigned char *in, size_t len, unsigned char h[32])
{
	size_t n;
	unsigned char *c = ref_canon(canon, in, len, &n);

	tu_sha256(c, n, h);
	free(c);
}

/* The hash of the old canonicalizer (body-ref.h), cut once at cut. */
static void
old_hash(dkim_canon canon, const unsigned char *in, size_t len, size_t cut, unsigned char h[32])
{
	struct dkim_body b;

	ck_assert_int_eq(dkim_body_init(&b, md, canon), DKIM_OK);
	ck_assert_int_eq(ref_body_update(&b, in, cut), DKIM_OK);
	ck_assert_int_eq(ref_body_update(&b, in + cut, len - cut), DKIM_OK);
	ck_assert_int_eq(dkim_body_final(&b, h), DKIM_OK);
	dkim_body_free(&b);
}

static const char *const crafted[] = {
    "",
    "\r\n",
    "a",
    "hello world\r\n",
    " C \r\nD \t E\r\n\r\n\r\n",
    "line\r\n\r\n\r\n\r\n\r\n",
    "line \t \r\n \t\r\n\t \r\n\r\n \r\n",
    "a\n\nb\r\n\r\n\n\r\n",
    "x\ry\r\r\n\r\r\n\r",
    "  lead\r\n\t\ttabs\t\r\nmid  dle  \r\n\r\n   \r\nend",
    "\r\n\r\n  \r\n\tfirst after blanks\r\n\r\n",
    "no final line end   \t",
    "trailing blanks then text\r\n\r\n\r\n \r\n\r\nlate\r\n\r\n \r\n",
    /* Longer than the scanner's blocks: a SP, a TAB, a double SP, a CR and a
     * CRLF at and around offsets 15, 16, 31 and 32, WSP runs across blocks. */
    "abcdefghijklmno pqrstuvwxyzabcde fghijklmnopqrstu vwxyz\r\n",
    "abcdefghijklmnop qrstuvwxyzabcdef  ghijklmnopqrstuv\twxyz \r\n",
    "abcdefghijklmn  opqrstuvwxyzabc \tdefghijklmnopqrs \r\nxyz\rabc",
    "abcdefghijklmno\r\npqrstuvwxyzabcd\r\nefghijklmnopqrs\r\n\r\n",
    "word                                                   "
    "word\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\tend",
    "trailing run                                                        \r\n",
    "a a a a a a a a a a a a a a a a a a a a a a a a a a a a a a a a a a  \r\n",
    "a\r\nb\r\nc\r\nd\r\ne\r\nf\r\ng\r\nh\r\ni\r\nj\r\nk\r\nl\r\nm\r\nn\r\no\r\n \r\n",
};

/* Checks whole == reference, then every 2-cut, every 3-cut (if small) and bytewise. */
static void
check_all_cuts(const unsigned char *body, size_t len, bool three)
{
	unsigned char want[32], got[32];
	size_t cuts[2], i, j;
	int c;

	for (c = 0; c < 2; c++) {
		dkim_canon canon = (dkim_canon)c;

		ref_hash(canon, body, len, want);
		tu_body_hash(md, canon, body, len, NULL, 0, got);
		ck_assert_msg(memcmp(want, got, 32) == 0, "%s whole differs from reference: \"%s\"",
		              dkim_canon_name(canon), tu_show((const char *)body, len));
		for (i = 0; i <= len; i++) {
			cuts[0] = i;
			tu_body_hash(md, canon, body, len, cuts, 1, got);
			ck_assert_msg(memcmp(want, got, 32) == 0, "%s cut at %zu: \"%s\"",
			              dkim_canon_name(canon), i, tu_show((const char *)body, len));
			old_hash(canon, body, len, i, got);
			ck_assert_msg(memcmp(want, got, 32) == 0, "%s old, cut at %zu: \"%s\"",
			              dkim_canon_name(canon), i, tu_show((const char *)body, len));
		}
		if (three)
			for (i = 0; i <= len; i++)
				for (j = i; j <= len; j++) {
					cuts[0] = i;
					cuts[1] = j;
					tu_body_hash(md, canon, body, len, cuts, 2, got);
					ck_assert_msg(memcmp(want, got, 32) == 0,
					              "%s cut at %zu,%zu: \"%s\"",
					              dkim_canon_name(canon), i, j,
					              tu_show((const char *)body, len));
				}
		tu_body_hash_bytes(md, canon, body, len, got);
		ck_assert_msg(memcmp(want, got, 32) == 0, "%s bytewise", dkim_canon_name(canon));
	}
}

START_TEST(test_crafted)
{
	const char *b = crafted[_i];

	check_all_cuts((const unsigned char *)b, strlen(b), true);
}
END_TEST

/* xorshift: deterministic bodies across runs and machines. */
static uint32_t
rnd(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

START_TEST(test_random_small)
{
	static const char alphabet[] = "ab \t\r\n\n\r\n";
	unsigned char body[48];
	uint32_t seed = 0x9e3779b9u;
	int k;

	for (k = 0; k < 300; k++) {
		size_t len = rnd(&seed) % sizeof(body), i;
		for (i = 0; i < len; i++)
			body[i] = (unsigned char)alphabet[rnd(&seed) % (sizeof(alphabet) - 1)];
		check_all_cuts(body, len, k < 40);
	}
}
END_TEST

/* Text over tokens rather than bytes, so that words, SP between words, WSP
 * runs up to 40 long, line ends, lone CRs, NUL and 8-bit bytes fall at every
 * offset of the scanner's blocks. */
START_TEST(test_random_text)
{
	static const char *const tokens[] = {"w",       "word", "longerwordthanablock",
	                                     " ",       " ",    " ",
	                                     "  ",      "\t",   "\r\n",
	                                     "\n",      "\r",   " \r\n",
	                                     "\r\n\r\n"};
	unsigned char body[340];
	uint32_t seed = 0x2545f491u;
	int k;

	for (k = 0; k < 400; k++) {
		/* below 300 + 40 (the longest token), the size of body */
		size_t want = rnd(&seed) % 300, len = 0, n;

		while (len < want) {
			uint32_t r = rnd(&seed) % 20;
			if (r < 13) {
				n = strlen(tokens[r]);
				memcpy(body + len, tokens[r], n);
				len += n;
			} else if (r < 15) { /* a long WSP run */
				for (n = 1 + rnd(&seed) % 40; n > 0; n--)
					body[len++] = rnd(&seed) % 3 ? ' ' : '\t';
			} else if (r < 16) {
				body[len++] = rnd(&seed) % 2 ? 0 : 0xe9;
			} else { /* a word of 1..12 letters */
				for (n = 1 + rnd(&seed) % 12; n > 0; n--)
					body[len++] = (unsigned char)('a' + rnd(&seed) % 26);
			}
		}
		check_all_cuts(body, len, false);
	}
}
END_TEST

/* About `size` bytes of text lines with every trap, ending in about 1 KB of
 * trailing blank and whitespace-only lines. */
static unsigned char *
make_body(size_t size, uint32_t seed, size_t *len)
{
	unsigned char *b = malloc(size);
	size_t o = 0;

	ck_assert_ptr_nonnull(b);
	ck_assert_uint_ge(size, 2048);
	while (o < size - 1024) {
		uint32_t r = rnd(&seed) % 100, n, i;
		if (r < 8) { /* a run of empty lines, CRLF or LF */
			for (n = rnd(&seed) % 5; n > 0; n--) {
				if (r & 1)
					b[o++] = '\r';
				b[o++] = '\n';
			}
		} else if (r < 12) { /* a whitespace-only line */
			for (n = 1 + rnd(&seed) % 6; n > 0; n--)
				b[o++] = n & 1 ? ' ' : '\t';
			memcpy(b + o, "\r\n", 2);
			o += 2;
		} else if (r < 13) { /* a lone CR */
			b[o++] = '\r';
		} else if (r < 40) {
			/* A long run with no WSP, as base64 or 8-bit text: the body's
			 * word-at-a-time path. Bytes from '!' (its edge) up to 0xff, with now and
			 * then a control byte that is content in both canonicalizations (VT, 0x1f,
			 * NUL). */
			for (n = rnd(&seed) % 200, i = 0; i < n; i++) {
				uint32_t c = rnd(&seed) % 225;
				b[o++] = c == 0   ? 0x0b
				         : c == 1 ? 0x1f
				         : c == 2 ? 0
				                  : (unsigned char)(0x1e + c);
			}
			memcpy(b + o, r & 1 ? "\r\n" : "\n", 2 - (r & 1 ? 0 : 1));
			o += r & 1 ? 2 : 1;
		} else { /* a line of words, WSP runs and trailing WSP */
			for (n = rnd(&seed) % 70, i = 0; i < n; i++) {
				uint32_t c = rnd(&seed) % 16;
				b[o++] = c < 2 ? ' ' : c < 3 ? '\t' : (unsigned char)('a' + c);
			}
			if (r & 1) {
				memcpy(b + o, "\r\n", 2);
				o += 2;
			} else {
				b[o++] = '\n';
			}
		}
	}
	while (o < size - 8) { /* the tail: blank and whitespace-only lines */
		static const char tail[] = "\r\n \r\n\t\r\n\n  \t\r\n";
		size_t n = sizeof(tail) - 1 < size - 8 - o ? sizeof(tail) - 1 : size - 8 - o;
		memcpy(b + o, tail, n);
		o += n;
	}
	*len = o;
	return b;
}

/* Every offset of a 4 KB body. */
START_TEST(test_medium)
{
	size_t len;
	unsigned char *b = make_body(4096, 4242, &len);

	check_all_cuts(b, len, false);
	free(b);
}
END_TEST

/* 1 MB: each cut costs a full megabyte of hashing, so every offset only near
 * both ends (where the body starts and the trailing blank lines are), a
 * stride elsewhere, random three-piece cuts, milter-sized chunks, bytewise. */
START_TEST(test_big)
{
	unsigned char want[32], got[32];
	size_t len, i, k, cuts[64], offsets[1024], n = 0;
	unsigned char *b = make_body(1024 * 1024, 12345, &len);
	uint32_t seed = 777;
	int c;

	for (i = 0; i < 256; i++)
		offsets[n++] = i;
	for (i = 256 + 7; i < len - 256; i += 32771)
		offsets[n++] = i;
	for (i = len - 256; i <= len; i++)
		offsets[n++] = i;
	for (c = 0; c < 2; c++) {
		dkim_canon canon = (dkim_canon)c;

		ref_hash(canon, b, len, want);
		tu_body_hash(md, canon, b, len, NULL, 0, got);
		ck_assert_msg(memcmp(want, got, 32) == 0, "%s 1 MB whole", dkim_canon_name(canon));
		for (k = 0; k < n; k++) {
			cuts[0] = offsets[k];
			tu_body_hash(md, canon, b, len, cuts, 1, got);
			ck_assert_msg(memcmp(want, got, 32) == 0, "%s 1 MB cut at %zu",
			              dkim_canon_name(canon), offsets[k]);
		}
		for (k = 0; k < 16; k++) {
			cuts[0] = rnd(&seed) % (len + 1);
			cuts[1] = rnd(&seed) % (len + 1);
			if (cuts[0] > cuts[1]) {
				size_t t = cuts[0];
				cuts[0] = cuts[1];
				cuts[1] = t;
			}
			tu_body_hash(md, canon, b, len, cuts, 2, got);
			ck_assert_msg(memcmp(want, got, 32) == 0, "%s 1 MB cut at %zu,%zu",
			              dkim_canon_name(canon), cuts[0], cuts[1]);
		}
		/* 65535-byte chunks, as a milter receives them */
		for (k = 0; (k + 1) * 65535 < len; k++)
			cuts[k] = (k + 1) * 65535;
		tu_body_hash(md, canon, b, len, cuts, k, got);
		ck_assert_msg(memcmp(want, got, 32) == 0, "%s 1 MB in milter chunks",
		              dkim_canon_name(canon));
		tu_body_hash_bytes(md, canon, b, len, got);
		ck_assert_msg(memcmp(want, got, 32) == 0, "%s 1 MB bytewise",
		              dkim_canon_name(canon));
	}
	free(b);
}
END_TEST

/* The reference itself must see what matters, or agreeing with it proves
 * nothing: trailing WSP matters to simple, not to relaxed. */
START_TEST(test_reference_sane)
{
	unsigned char h1[32], h2[32];

	ref_hash(DKIM_CANON_SIMPLE, (const unsigned char *)"a \r\n", 4, h1);
	ref_hash(DKIM_CANON_SIMPLE, (const unsigned char *)"a\r\n", 3, h2);
	ck_assert(memcmp(h1, h2, 32) != 0);
	ref_hash(DKIM_CANON_RELAXED, (const unsigned char *)"a \r\n", 4, h1);
	ref_hash(DKIM_CANON_RELAXED, (const unsigned char *)"a\r\n", 3, h2);
	ck_assert(memcmp(h1, h2, 32) == 0);
}
END_TEST

static Suite *
split_suite(void)
{
	Suite *s = suite_create("dkim_split");
	TCase *tc = tcase_create("split");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_reference_sane);
	tcase_add_loop_test(tc, test_crafted, 0, sizeof(crafted) / sizeof(crafted[0]));
	tcase_add_test(tc, test_random_small);
	tcase_add_test(tc, test_random_text);
	tcase_add_test(tc, test_medium);
	tcase_add_test(tc, test_big);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	int rc;

	md = EVP_MD_fetch(NULL, "SHA256", NULL);
	if (md == NULL)
		return 99;
	rc = check_run(split_suite(), NULL);
	EVP_MD_free(md);
	return rc;
}
