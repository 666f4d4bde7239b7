/*
 * dkim-bench: how fast dkim/ prepares signatures (the token's signing time
 * excluded). Prints messages/s and MB/s for a typical message and a 1 MB one,
 * per canonicalization, with an RSA and an Ed25519 signature per message, a
 * signer reused across messages as the daemon does. Then the body
 * canonicalizer alone, before and after (tests/dkim/body-ref.h against
 * dkim/dkim_body.c, on the same buffers in the same run): MB/s per 1 MB input
 * fed in 65,535-byte chunks as the milter receives them, with the null
 * digest, so that only canonicalization is timed, and once with SHA-256. A
 * program that prints figures, not a test: nothing is asserted about speed,
 * but both canonicalizers must give the same hash on every input.
 *
 * Usage: dkim-bench [-b] [seconds per case, default 1]   (-b: the body table only)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dkim/dkim.h"
#include "dkim/dkim_body.h"
#include "tests/dkim/body-ref.h"

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static unsigned char *
make_body(size_t size)
{
	static const char words[] = "lorem ipsum dolor sit amet, consectetur adipiscing elit  ";
	unsigned char *b = malloc(size);
	size_t o = 0, col = 0;

	if (b == NULL)
		exit(1);
	while (o < size) {
		if (col >= 72 && o + 2 <= size) {
			b[o++] = '\r';
			b[o++] = '\n';
			col = 0;
			continue;
		}
		b[o] = (unsigned char)words[(o * 7) % (sizeof(words) - 1)];
		o++;
		col++;
	}
	return b;
}

static void
one(dkim_signer *s, const unsigned char *body, size_t len)
{
	static const char *const h[][2] = {
	    {"Received", " from mail.example.org (mail.example.org [192.0.2.1])\n\tby mx"},
	    {"From", " Alice Example <alice@example.com>"},
	    {"To", " Bob <bob@example.org>, Carol <carol@example.org>"},
	    {"Subject", " A quarterly report with a reasonably long subject line"},
	    {"Date", " Mon, 23 Nov 2026 19:00:00 +0000"},
	    {"Message-ID", " <20261123190000.12345@example.com>"},
	    {"MIME-Version", " 1.0"},
	    {"Content-Type", " text/plain; charset=utf-8"},
	    {"Content-Transfer-Encoding", " 8bit"},
	    {"X-Mailer", " bench"},
	};
	const unsigned char *tbs;
	size_t i;

	for (i = 0; i < sizeof(h) / sizeof(h[0]); i++)
		if (dkim_signer_header(s, h[i][0], h[i][1]) != DKIM_OK)
			exit(1);
	for (i = 0; i < len; i += 65535)
		if (dkim_signer_body(s, body + i, len - i < 65535 ? len - i : 65535) != DKIM_OK)
			exit(1);
	if (dkim_signer_add(s, DKIM_ALG_RSA_SHA256, "example.com", "rsa", NULL, NULL) != DKIM_OK ||
	    dkim_signer_add(s, DKIM_ALG_ED25519_SHA256, "example.com", "ed", NULL, NULL) !=
	        DKIM_OK ||
	    dkim_signer_end(s) != DKIM_OK || dkim_signer_digest(s, 0, &tbs, NULL) != DKIM_OK)
		exit(1);
	dkim_signer_reset(s);
}

static void
signer_table(double secs)
{
	static const size_t sizes[] = {3 * 1024, 1024 * 1024};
	int c;
	size_t z;

	printf("%-16s %10s %12s %10s\n", "canon", "body", "messages/s", "MB/s");
	for (c = 0; c < 4; c++) {
		struct dkim_sign_opts o = {
		    (dkim_canon)(c >> 1), (dkim_canon)(c & 1), NULL, 0, true, 1700000000, 0};
		dkim_signer *s;
		char name[32];

		if (dkim_signer_new(&o, &s) != DKIM_OK)
			exit(1);
		snprintf(name, sizeof(name), "%s/%s", dkim_canon_name(o.hdr_canon),
		         dkim_canon_name(o.body_canon));
		for (z = 0; z < 2; z++) {
			unsigned char *body = make_body(sizes[z]);
			double t0 = now(), t;
			long n = 0;

			do {
				one(s, body, sizes[z]);
				n++;
			} while ((t = now() - t0) < secs);
			printf("%-16s %9zuK %12.0f %10.1f\n", name, sizes[z] / 1024, (double)n / t,
			       (double)n * (double)sizes[z] / t / 1e6);
			free(body);
		}
		dkim_signer_free(s);
	}
}

/* The body inputs: 1 MB each, made of one pattern repeated, or by a function. */
#define BODY_SIZE (1024 * 1024)

static uint32_t
rnd(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

/* Words and single spaces, lines of at most 70 columns; flowed: each line but
 * the paragraph's last ends in a SP (format=flowed, RFC 3676), which relaxed
 * drops. */
static void
fill_prose(unsigned char *b, bool flowed)
{
	static const char *const words[] = {
	    "the",      "of",     "and",    "a",     "to",        "in",      "is",
	    "message",  "signed", "token",  "that",  "it",        "for",     "was",
	    "on",       "are",    "with",   "as",    "mail",      "server",  "be",
	    "at",       "this",   "have",   "from",  "or",        "one",     "had",
	    "by",       "word",   "but",    "not",   "what",      "all",     "were",
	    "when",     "we",     "there",  "can",   "quarterly", "report,", "figures.",
	    "receiver", "domain", "header", "body.", "signature", "key",     "selector"};
	uint32_t seed = 17;
	size_t o = 0, col = 0;

	while (o < BODY_SIZE - 80) {
		const char *w = words[rnd(&seed) % (sizeof(words) / sizeof(words[0]))];
		size_t n = strlen(w);

		if (col + 1 + n > 70) {
			if (flowed)
				b[o++] = ' ';
			memcpy(b + o, "\r\n", 2);
			o += 2;
			col = 0;
		} else if (col > 0) {
			b[o++] = ' ';
			col++;
		}
		memcpy(b + o, w, n);
		o += n;
		col += n;
	}
	for (; o < BODY_SIZE; o++)
		b[o] = o % 2 ? '\n' : '\r';
}

static void
fill_base64(unsigned char *b)
{
	static const char b64[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	uint32_t seed = 64;
	size_t o;

	for (o = 0; o < BODY_SIZE; o++)
		b[o] = (o + 2) % 78 == 0   ? '\r'
		       : (o + 1) % 78 == 0 ? '\n'
		                           : (unsigned char)b64[rnd(&seed) % 64];
}

static void
fill_pattern(unsigned char *b, const char *pat)
{
	size_t o, n = strlen(pat);

	for (o = 0; o < BODY_SIZE; o++)
		b[o] = (unsigned char)pat[o % n];
}

static void
fill_html(unsigned char *b)
{
	fill_pattern(b, "<table class=\"report\">\r\n"
	                "  <tr>\r\n"
	                "    <td style=\"padding: 4px; font-family: Arial, sans-serif\">Quarterly "
	                "figures for the third quarter</td>\r\n"
	                "    <td>\t<a href=\"https://example.com/report?id=1234\">open the "
	                "report</a></td>  \r\n"
	                "  </tr>\r\n"
	                "</table>\r\n");
}

typedef dkim_status (*update_fn)(struct dkim_body *, const unsigned char *, size_t);

/* MB/s of one canonicalizer on one input; hash receives the body hash. */
static double
body_rate(update_fn update, const EVP_MD *md, dkim_canon canon, const unsigned char *in,
          double secs, unsigned char hash[32])
{
	struct dkim_body b;
	double t0, t;
	long n = 0;
	size_t i;

	if (dkim_body_init(&b, md, canon) != DKIM_OK)
		exit(1);
	t0 = now();
	do {
		if (dkim_body_reset(&b) != DKIM_OK)
			exit(1);
		for (i = 0; i < BODY_SIZE; i += 65535)
			if (update(&b, in + i, BODY_SIZE - i < 65535 ? BODY_SIZE - i : 65535) !=
			    DKIM_OK)
				exit(1);
		/* The null digest gives no 32 bytes, so final fails there; only
		 * its flush is wanted. */
		if (dkim_body_final(&b, hash) != DKIM_OK && md == EVP_sha256())
			exit(1);
		n++;
	} while ((t = now() - t0) < secs);
	dkim_body_free(&b);
	return (double)n * BODY_SIZE / t / 1e6;
}

static void
best(double *b, double r)
{
	if (r > *b)
		*b = r;
}

static void
body_table(double secs)
{
	static const char *const names[] = {"prose",
	                                    "prose, flowed",
	                                    "base64",
	                                    "HTML",
	                                    "NUL body",
	                                    "a a a (SP every 2nd)",
	                                    "a\\r\\n (CRLF every 2nd)",
	                                    "\\r\\n only",
	                                    "a \\t (WSP run every 3rd)",
	                                    " \\r\\n (WSP-only lines)",
	                                    "a\\n (bare LF)"};
	unsigned char *in = malloc(BODY_SIZE), h[4][32];
	size_t k;

	if (in == NULL)
		exit(1);
	printf("\nbody canonicalization, 1 MB in 65,535-byte chunks, MB/s, best of 5 (before: "
	       "tests/dkim/body-ref.h)\n");
	printf("%-26s %9s %9s %6s %9s %9s %6s %9s %9s\n", "input", "rel.bef", "rel.aft", "x",
	       "sim.bef", "sim.aft", "x", "+sha bef", "+sha aft");
	for (k = 0; k < sizeof(names) / sizeof(names[0]); k++) {
		double r[6];
		int c, rep;

		switch (k) {
		case 0:
		case 1:
			fill_prose(in, k == 1);
			break;
		case 2:
			fill_base64(in);
			break;
		case 3:
			fill_html(in);
			break;
		case 4:
			memset(in, 0, BODY_SIZE);
			break;
		default:
			fill_pattern(in, (const char *[]){"a ", "a\r\n", "\r\n", "a \t", " \r\n",
			                                  "a\n"}[k - 5]);
			break;
		}
		/* The machine is shared: each figure is the best of 5 runs, the old and
		 * the new canonicalizer taking turns. */
		memset(r, 0, sizeof(r));
		for (rep = 0; rep < 5; rep++) {
			for (c = 1; c >= 0; c--) {
				dkim_canon canon = (dkim_canon)c;
				double *rc = r + (c == DKIM_CANON_RELAXED ? 0 : 2);

				best(&rc[0], body_rate(ref_body_update, EVP_md_null(), canon, in,
				                       secs / 5, h[0]));
				best(&rc[1], body_rate(dkim_body_update, EVP_md_null(), canon, in,
				                       secs / 5, h[1]));
			}
			best(&r[4], body_rate(ref_body_update, EVP_sha256(), DKIM_CANON_RELAXED, in,
			                      secs / 5, h[2]));
			best(&r[5], body_rate(dkim_body_update, EVP_sha256(), DKIM_CANON_RELAXED,
			                      in, secs / 5, h[3]));
		}
		if (memcmp(h[2], h[3], 32) != 0) {
			fprintf(stderr, "dkim-bench: %s: the canonicalizers disagree\n", names[k]);
			exit(1);
		}
		printf("%-26s %9.0f %9.0f %6.2f %9.0f %9.0f %6.2f %9.0f %9.0f\n", names[k], r[0],
		       r[1], r[1] / r[0], r[2], r[3], r[3] / r[2], r[4], r[5]);
		fflush(stdout);
	}
	free(in);
}

int
main(int argc, char **argv)
{
	bool body_only = argc > 1 && strcmp(argv[1], "-b") == 0;
	double secs;

	if (body_only) {
		argc--;
		argv++;
	}
	secs = argc > 1 ? atof(argv[1]) : 1.0;
	if (!body_only)
		signer_table(secs);
	body_table(secs / 3);
	return 0;
}
