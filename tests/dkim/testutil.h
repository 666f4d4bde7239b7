/*
 * testutil.h: small helpers shared by the dkim/ Check suites (tests only).
 */
#ifndef P11DKIM_TESTS_DKIM_TESTUTIL_H
#define P11DKIM_TESTS_DKIM_TESTUTIL_H

#include <stddef.h>
#include <string.h>

#include <check.h>
#include <openssl/evp.h>

#include "dkim/dkim_body.h"

/* SHA-256 of data, computed by libcrypto directly (the reference). */
static inline void
tu_sha256(const void *data, size_t len, unsigned char out[32])
{
	unsigned int n = 0;

	ck_assert_int_eq(EVP_Digest(data, len, out, &n, EVP_sha256(), NULL), 1);
	ck_assert_uint_eq(n, 32);
}

/* Streams data through a dkim_body in pieces cut at the given offsets
 * (ascending, each <= len) and returns its hash. */
static inline void
tu_body_hash(const EVP_MD *md, dkim_canon canon, const unsigned char *data, size_t len,
             const size_t *cuts, size_t ncuts, unsigned char out[32])
{
	struct dkim_body b;
	size_t i, prev = 0;

	ck_assert_int_eq(dkim_body_init(&b, md, canon), DKIM_OK);
	for (i = 0; i <= ncuts; i++) {
		size_t next = i < ncuts ? cuts[i] : len;
		ck_assert_uint_le(prev, next);
		ck_assert_int_eq(dkim_body_update(&b, data + prev, next - prev), DKIM_OK);
		prev = next;
	}
	ck_assert_int_eq(dkim_body_final(&b, out), DKIM_OK);
	dkim_body_free(&b);
}

/* Byte by byte. */
static inline void
tu_body_hash_bytes(const EVP_MD *md, dkim_canon canon, const unsigned char *data, size_t len,
                   unsigned char out[32])
{
	struct dkim_body b;
	size_t i;

	dkim_status st = DKIM_OK;

	/* One assertion, not one per byte: Check records every passing
	 * assertion, which would dominate the run time. */
	ck_assert_int_eq(dkim_body_init(&b, md, canon), DKIM_OK);
	for (i = 0; i < len && st == DKIM_OK; i++)
		st = dkim_body_update(&b, data + i, 1);
	ck_assert_int_eq(st, DKIM_OK);
	ck_assert_int_eq(dkim_body_final(&b, out), DKIM_OK);
	dkim_body_free(&b);
}

/* Printable form of bytes for failure messages (static buffer, tests only). */
static inline const char *
tu_show(const char *s, size_t len)
{
	static char buf[4096];
	size_t o = 0, i;

	for (i = 0; i < len && o + 5 < sizeof(buf); i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '\r')
			o += (size_t)snprintf(buf + o, sizeof(buf) - o, "\\r");
		else if (c == '\n')
			o += (size_t)snprintf(buf + o, sizeof(buf) - o, "\\n");
		else if (c == '\t')
			o += (size_t)snprintf(buf + o, sizeof(buf) - o, "\\t");
		else if (c < 32 || c > 126)
			o += (size_t)snprintf(buf + o, sizeof(buf) - o, "\\x%02x", c);
		else
			buf[o++] = (char)c;
	}
	buf[o] = '\0';
	return buf;
}

#endif
