/*
 * tests/fuzz/fuzz_dnsrec.c: the DKIM key record (DNS TXT) parser of the
 * keytool, and its base64 decoder.
 *
 * Input: a record's text, exactly as long as the input (not NUL-terminated).
 *
 * Properties: on success the key is absent exactly when the record is
 * revoked, and an Ed25519 key has 32 bytes; on error nothing is left to free;
 * the detail text is always terminated; any bytes encoded by OpenSSL's base64
 * encoder decode back to themselves.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "tests/fuzz/fuzz.h"
#include "dkim/dkim_tags.h"
#include "tools/keytool/dnsrec_parse.h"

static void
check_base64_roundtrip(const uint8_t *data, size_t size)
{
	unsigned char *b64, *out;
	size_t outlen;

	if (size > 3 * 4096)
		size = 3 * 4096;
	b64 = malloc((size + 2) / 3 * 4 + 1);
	if (b64 == NULL)
		abort();
	EVP_EncodeBlock(b64, data, (int)size);
	FUZZ_CHECK(dkim_tags_base64((const char *)b64, strlen((char *)b64), &out, &outlen) == 0);
	FUZZ_CHECK(outlen == size);
	FUZZ_CHECK(size == 0 ? out == NULL : memcmp(out, data, size) == 0);
	free(out);
	free(b64);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dnsrec rec;
	enum dnsrec_status st;
	unsigned char *out;
	size_t outlen;

	st = dnsrec_parse((const char *)data, size, &rec);
	FUZZ_CHECK(dnsrec_strerror(st) != NULL);
	FUZZ_CHECK(strnlen(rec.detail, sizeof(rec.detail)) < sizeof(rec.detail));
	if (st == DNSREC_OK) {
		FUZZ_CHECK((rec.key == NULL) == (rec.keylen == 0));
		FUZZ_CHECK(rec.revoked == (rec.keylen == 0));
		FUZZ_CHECK(rec.ktype != DNSREC_K_ED25519 || rec.revoked || rec.keylen == 32);
	} else {
		FUZZ_CHECK(rec.key == NULL && rec.keylen == 0);
	}
	dnsrec_free(&rec);

	if (dkim_tags_base64((const char *)data, size, &out, &outlen) == 0) {
		FUZZ_CHECK((out == NULL) == (outlen == 0));
		FUZZ_CHECK(outlen <= size / 4 * 3);
		free(out);
	} else {
		FUZZ_CHECK(out == NULL && outlen == 0);
	}
	check_base64_roundtrip(data, size);
	return 0;
}
