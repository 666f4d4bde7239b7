/*
 * dkim-bench: how fast dkim/ prepares signatures (the token's signing time
 * excluded). Prints messages/s and MB/s for a typical message and a 1 MB one,
 * per canonicalization, with an RSA and an Ed25519 signature per message, a
 * signer reused across messages as the daemon does. A program that prints
 * figures, not a test: nothing is asserted about speed.
 *
 * Usage: dkim-bench [seconds per case, default 1]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dkim/dkim.h"

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

int
main(int argc, char **argv)
{
	static const size_t sizes[] = {3 * 1024, 1024 * 1024};
	double secs = argc > 1 ? atof(argv[1]) : 1.0;
	int c;
	size_t z;

	printf("%-16s %10s %12s %10s\n", "canon", "body", "messages/s", "MB/s");
	for (c = 0; c < 4; c++) {
		struct dkim_sign_opts o = {
		    (dkim_canon)(c >> 1), (dkim_canon)(c & 1), NULL, 0, true, 1700000000, 0};
		dkim_signer *s;
		char name[32];

		if (dkim_signer_new(&o, &s) != DKIM_OK)
			return 1;
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
	return 0;
}
