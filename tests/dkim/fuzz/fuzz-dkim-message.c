/*
 * libFuzzer target: a raw message, split at a point taken from the input,
 * through dkim_message into a signer with both algorithms; whatever the
 * input, no crash, and the digest does not depend on the split.
 * Build: clang -g -O1 -fsanitize=fuzzer,address,undefined -I../../.. -D_GNU_SOURCE \
 *        fuzz-dkim-message.c (every dkim/ .c file) -lcrypto -o fuzz-dkim-message
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dkim/dkim.h"
#include "dkim/dkim_message.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
run(const uint8_t *data, size_t size, size_t cut, unsigned char out[64], dkim_canon c)
{
	struct dkim_sign_opts o = {c, c, NULL, 0, true, 1700000000, 3600};
	dkim_signer *s;
	dkim_message *m;
	const unsigned char *tbs;
	size_t len;
	int ok = 0;

	if (dkim_signer_new(&o, &s) != DKIM_OK)
		abort();
	if (dkim_message_new(s, NULL, NULL, &m) != DKIM_OK)
		abort();
	if (dkim_message_feed(m, data, cut) == DKIM_OK &&
	    dkim_message_feed(m, data + cut, size - cut) == DKIM_OK &&
	    dkim_message_finish(m) == DKIM_OK &&
	    dkim_signer_add(s, DKIM_ALG_ED25519_SHA256, "example.com", "s", NULL, NULL) ==
	        DKIM_OK &&
	    dkim_signer_add(s, DKIM_ALG_RSA_SHA256, "example.com", "r", NULL, NULL) == DKIM_OK &&
	    dkim_signer_end(s) == DKIM_OK) {
		char *f;
		unsigned char sig[64] = {1};
		if (dkim_signer_tbs(s, 0, &tbs, &len) != DKIM_OK || len != 32)
			abort();
		memcpy(out, tbs, 32);
		if (dkim_signer_tbs(s, 1, &tbs, &len) != DKIM_OK || len != 51)
			abort();
		memcpy(out + 32, tbs + 19, 32);
		if (dkim_signer_set_signature(s, 0, sig, 64) != DKIM_OK ||
		    dkim_signer_field(s, 0, "\n", &f) != DKIM_OK)
			abort();
		free(f);
		ok = 1;
	}
	dkim_message_free(m);
	dkim_signer_free(s);
	return ok;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned char a[64], b[64];
	size_t cut;
	int c;

	if (size < 2)
		return 0;
	cut = (data[0] | (size_t)data[1] << 8) % (size - 1);
	data += 2;
	size -= 2;
	for (c = 0; c < 2; c++) {
		int ra = run(data, size, 0, a, (dkim_canon)c);
		int rb = run(data, size, cut, b, (dkim_canon)c);
		if (ra != rb || (ra && memcmp(a, b, 64) != 0))
			abort();
	}
	return 0;
}
