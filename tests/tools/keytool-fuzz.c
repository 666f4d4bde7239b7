/*
 * keytool-fuzz: fuzz target for the tools' parsers of untrusted text: the DKIM
 * key record parser (records come from DNS) and the OpenDKIM table parser.
 * The first input byte picks the parser; the rest is its input (for the
 * tables: KeyTable, a NUL, SigningTable).
 *
 * With libFuzzer (not part of make check):
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE -DKT_LIBFUZZER -I.
 * -I_build/plain \ tests/tools/keytool-fuzz.c tools/dnsrec_parse.c tools/odkim_tables.c -o
 * keytool-fuzz
 *   ./keytool-fuzz -max_total_time=60
 * In make check (under the sanitizers too), main() below runs the target over
 * seed inputs and a fixed series of deterministic mutations of them.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tools/dnsrec_parse.h"
#include "tools/odkim_tables.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
fuzz_dnsrec(const uint8_t *data, size_t size)
{
	struct dnsrec rec;

	if (dnsrec_parse((const char *)data, size, &rec) == DNSREC_OK) {
		/* What the callers rely on. */
		if (!rec.revoked && (rec.key == NULL || rec.keylen == 0))
			abort();
		if (rec.ktype == DNSREC_K_ED25519 && !rec.revoked && rec.keylen != 32)
			abort();
	} else if (rec.key != NULL)
		abort();
	dnsrec_free(&rec);
}

static void
fuzz_tables(const uint8_t *data, size_t size)
{
	const uint8_t *nul = memchr(data, 0, size);
	size_t klen = nul != NULL ? (size_t)(nul - data) : size;
	struct odkim_tables t;
	char err[256];
	FILE *devnull;
	size_t i, j;

	memset(&t, 0, sizeof(t));
	if (odkim_keytable_parse(&t, (const char *)data, klen, err, sizeof(err)) == 0 &&
	    nul != NULL &&
	    odkim_signingtable_parse(&t, (const char *)nul + 1, size - klen - 1, err,
	                             sizeof(err)) == 0) {
		for (i = 0; i < t.ndoms; i++)
			for (j = 0; j < t.doms[i].nkeys; j++) {
				if (t.doms[i].keys[j] >= t.nkeys)
					abort();
				free(odkim_label(&t, t.doms[i].keys[j], t.doms[i].domain, "p-"));
			}
		if ((devnull = fopen("/dev/null", "w")) != NULL) {
			odkim_print_domains(devnull, &t, "");
			fclose(devnull);
		}
	}
	odkim_tables_free(&t);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0 || size > 1 << 16)
		return 0;
	if (data[0] & 1)
		fuzz_tables(data + 1, size - 1);
	else
		fuzz_dnsrec(data + 1, size - 1);
	return 0;
}

#ifndef KT_LIBFUZZER
/* Byte 0 of a seed picks the parser; the rest is a C string. */
static const char *const seeds[] = {
    "\0v=DKIM1; k=rsa; p=MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQ==",
    "\0v=DKIM1; k=ed25519; t=y:s; h=sha256; s=email; "
    "p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=",
    "\0 v = DKIM1 ;\r\n\tk=rsa; n=note; p= MIGf MA0G ; ",
    "\0v=DKIM1; p=",
    "\1ka example.com:sel:/k\nkb %:s2:/k2 # c\n\2*@example.com ka\n*@*.example.org kb\nexample.net "
    "ka\njoe@x.test kb\n",
    "\1k a.test:s:/p\n\2a.test k\n*.a.test k\n@b.test k\n* k\n",
};

static uint64_t fuzz_state = 0x9e3779b97f4a7c15ull;

static uint64_t
fuzz_rand(void)
{
	fuzz_state ^= fuzz_state << 13;
	fuzz_state ^= fuzz_state >> 7;
	fuzz_state ^= fuzz_state << 17;
	return fuzz_state;
}

/* Mutates BUF (LEN bytes, room for MAX): flips, overwrites with interesting bytes, cuts,
 * duplicates. */
static size_t
fuzz_mutate(uint8_t *buf, size_t len, size_t max)
{
	static const uint8_t interesting[] = {0,   ';',  '=',  ':',  '@', '*', '.',  '%',
	                                      ' ', '\t', '\n', '\r', '"', '#', 0x7f, 0xff,
	                                      'p', 'k',  'v',  't',  '/', '+'};
	int n = 1 + (int)(fuzz_rand() % 4);
	size_t pos, cut;

	while (n-- > 0 && len > 1) {
		pos = 1 + fuzz_rand() % (len - 1); /* keep byte 0: the parser choice */
		switch (fuzz_rand() % 4) {
		case 0:
			buf[pos] ^= (uint8_t)(1u << (fuzz_rand() % 8));
			break;
		case 1:
			buf[pos] = interesting[fuzz_rand() % sizeof(interesting)];
			break;
		case 2:
			len = pos + (len - pos) * (fuzz_rand() % 2);
			break;
		default:
			cut = fuzz_rand() % (len - pos) + 1;
			if (len + cut <= max) {
				memmove(buf + pos + cut, buf + pos, len - pos);
				len += cut;
			}
		}
	}
	return len;
}

int
main(void)
{
	uint8_t buf[4096];
	size_t s, len, base, runs = 0;
	int i;

	for (s = 0; s < sizeof(seeds) / sizeof(seeds[0]); s++) {
		base = 1 + strlen(seeds[s] + 1);
		for (i = 0; i < 10000; i++) {
			memcpy(buf, seeds[s], base);
			/* \2 in a seed stands for the NUL between KeyTable and SigningTable. */
			for (size_t k = 1; k < base; k++)
				if (buf[k] == 2)
					buf[k] = 0;
			len = i == 0 ? base : fuzz_mutate(buf, base, sizeof(buf));
			LLVMFuzzerTestOneInput(buf, len);
			runs++;
		}
	}
	printf("keytool-fuzz: %zu inputs, no crash\n", runs);
	return 0;
}
#endif
