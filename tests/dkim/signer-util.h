/*
 * signer-util.h: helpers shared by the signer Check suites (tests only).
 */
#ifndef P11DKIM_TESTS_DKIM_SIGNER_UTIL_H
#define P11DKIM_TESTS_DKIM_SIGNER_UTIL_H

#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <openssl/evp.h>

#include "dkim/dkim.h"

#define T0 1700000000

static const char *const hdrs_fts[] __attribute__((unused)) = {"From", "To", "Subject"};

static inline dkim_signer *
new_signer(dkim_canon hc, dkim_canon bc, const char *const *names, size_t n, bool oversign)
{
	struct dkim_sign_opts o = {hc, bc, names, n, oversign, T0, 0};
	dkim_signer *s = NULL;

	ck_assert_int_eq(dkim_signer_new(&o, &s), DKIM_OK);
	ck_assert_ptr_nonnull(s);
	return s;
}

static inline void
feed_basic(dkim_signer *s)
{
	ck_assert_int_eq(dkim_signer_header(s, "From", " A <a@example.com>"), DKIM_OK);
	ck_assert_int_eq(dkim_signer_header(s, "To", " first@example.org"), DKIM_OK);
	ck_assert_int_eq(dkim_signer_header(s, "Subject", "  Hi \n\tthere "), DKIM_OK);
	ck_assert_int_eq(dkim_signer_header(s, "To", " second@example.org"), DKIM_OK);
	ck_assert_int_eq(dkim_signer_header(s, "X-Other", " y"), DKIM_OK);
	ck_assert_int_eq(dkim_signer_body(s, (const unsigned char *)"Hi\r\n", 4), DKIM_OK);
}

/* The field with FWS removed and b= emptied: what a verifier hashes, unfolded. */
static inline char *
unfold(const char *field)
{
	char *u = malloc(strlen(field) + 1), *o = u;
	const char *p;

	ck_assert_ptr_nonnull(u);
	for (p = field; *p; p++)
		if (!(*p == '\r' && p[1] == '\n') && !(*p == '\n'))
			*o++ = *p;
	*o = '\0';
	return u;
}

/* Value of tag t (FWS removed) in a field, malloc'd; NULL if absent. */
static inline char *
tag(const char *field, const char *t)
{
	char *u = unfold(field), *p, *v = NULL, *o;
	size_t tl = strlen(t);

	for (p = u; p && *p;) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (strncmp(p, t, tl) == 0 && p[tl] == '=') {
			char *e = strchr(p, ';');
			size_t n = e ? (size_t)(e - p - tl - 1) : strlen(p + tl + 1);
			v = malloc(n + 1);
			ck_assert_ptr_nonnull(v);
			for (o = v, p += tl + 1; n > 0; n--, p++)
				if (*p != ' ' && *p != '\t')
					*o++ = *p;
			*o = '\0';
			break;
		}
		p = strchr(p, ';');
		if (p)
			p++;
	}
	free(u);
	return v;
}

static inline void
b64(const unsigned char *d, size_t n, char *out)
{
	EVP_EncodeBlock((unsigned char *)out, d, (int)n);
}

static inline void
set_dummy_sig(dkim_signer *s, size_t i, size_t len)
{
	unsigned char sig[512];
	size_t k;

	for (k = 0; k < len; k++)
		sig[k] = (unsigned char)(k * 7 + 1);
	ck_assert_int_eq(dkim_signer_set_signature(s, i, sig, len), DKIM_OK);
}

#endif
