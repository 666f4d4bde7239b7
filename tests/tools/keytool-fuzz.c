/*
 * keytool-fuzz: fuzz target for the keytool's OpenDKIM table parser (the tables
 * an administrator imports): the input is KeyTable, a NUL, SigningTable. The
 * DKIM key record parser has its own target, tests/fuzz/fuzz_dnsrec.c.
 *
 * With libFuzzer (not part of make check):
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE -DKT_LIBFUZZER -I.
 * -I_build/plain \ tests/tools/keytool-fuzz.c tools/keytool/odkim_tables.c -o
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

#include "tools/keytool/odkim_tables.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

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
	if (size > 1 << 16)
		return 0;
	fuzz_tables(data, size);
	return 0;
}

#ifndef KT_LIBFUZZER
/* KeyTable, \2 (the NUL between the tables), SigningTable. */
static const char *const seeds[] = {
    "ka example.com:sel:/k\nkb %:s2:/k2 # c\n\2*@example.com ka\n*@*.example.org kb\nexample.net "
    "ka\njoe@x.test kb\n",
    "k a.test:s:/p\n\2a.test k\n*.a.test k\n@b.test k\n* k\n",
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

	while (n-- > 0 && len > 0) {
		pos = fuzz_rand() % len;
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
		base = strlen(seeds[s]);
		for (i = 0; i < 10000; i++) {
			memcpy(buf, seeds[s], base);
			/* \2 in a seed stands for the NUL between KeyTable and SigningTable. */
			for (size_t k = 0; k < base; k++)
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
