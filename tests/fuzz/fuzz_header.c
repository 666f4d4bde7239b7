/*
 * tests/fuzz/fuzz_header.c: header fields through the signer and both header
 * canonicalizations.
 *
 * Input: one option byte, then a header block as text, up to an empty line.
 * Lines are split at LF (a CR before it dropped, a NUL ends the line's text),
 * a line starting with SP or TAB continues the field before it (joined with
 * LF as Postfix passes folded values, or CRLF: option bit 32), other lines
 * are "name:value", lines without a colon are skipped. Each field goes to dkim_signer_header; then
 * a short body, dkim_signer_end, and for every signature the hash input, the bytes to sign, a dummy
 * signature and the field in both line-end styles.
 *
 * Properties: the same message through a reset signer gives the same hash
 * input (and so does a second signer with another history); a relaxed hash input has no TAB, no
 * run of spaces, no space before CRLF, and each of its lines starts with a
 * lowercase field name and a colon.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dkim/dkim.h"
#include "tests/fuzz/fuzz.h"

#define FUZZ_MAX_FIELDS 2000

struct field {
	char *name, *value;
};

static char *
dup_range(const char *p, size_t n)
{
	char *s = malloc(n + 1);

	if (s == NULL)
		abort();
	memcpy(s, p, n);
	s[n] = '\0';
	return s;
}

/* Splits size bytes at p into at most max fields (malloc'd strings) up to
 * the first empty line; returns their number. A NUL byte ends a line's text. */
static size_t
split_fields(const char *p, size_t size, const char *fold, struct field *f, size_t max)
{
	const char *end = p + size, *nl, *colon;
	size_t n = 0, len, old;

	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		len = (nl != NULL ? nl : end) - p;
		if (len > 0 && p[len - 1] == '\r')
			len--;
		len = strnlen(p, len);
		if (len == 0)
			break;
		if ((p[0] == ' ' || p[0] == '\t') && n > 0) {
			old = strlen(f[n - 1].value);
			f[n - 1].value = realloc(f[n - 1].value, old + strlen(fold) + len + 1);
			if (f[n - 1].value == NULL)
				abort();
			strcpy(f[n - 1].value + old, fold);
			memcpy(f[n - 1].value + old + strlen(fold), p, len);
			f[n - 1].value[old + strlen(fold) + len] = '\0';
		} else if ((colon = memchr(p, ':', len)) != NULL && n < max) {
			f[n].name = dup_range(p, (size_t)(colon - p));
			f[n].value = dup_range(colon + 1, len - (size_t)(colon + 1 - p));
			n++;
		}
		if (nl == NULL)
			break;
		p = nl + 1;
	}
	return n;
}

static void
check_relaxed(const char *p, size_t len)
{
	size_t i;
	bool at_start = true, in_name = false;

	for (i = 0; i < len; i++) {
		FUZZ_CHECK(p[i] != '\t');
		FUZZ_CHECK(!(p[i] == ' ' && i + 1 < len && p[i + 1] == ' '));
		FUZZ_CHECK(!(p[i] == ' ' && i + 2 < len && p[i + 1] == '\r' && p[i + 2] == '\n'));
		if (at_start) {
			in_name = true;
			at_start = false;
		}
		if (in_name) {
			if (p[i] == ':') {
				in_name = false;
			} else {
				FUZZ_CHECK(p[i] > ' ' && p[i] < 127);
				FUZZ_CHECK(!(p[i] >= 'A' && p[i] <= 'Z'));
			}
		}
		if (p[i] == '\r' && i + 1 < len && p[i + 1] == '\n') {
			FUZZ_CHECK(!in_name);
			at_start = true;
			i++;
		}
	}
}

/* Feeds the fields and ends the message; returns the hash inputs (malloc'd,
 * concatenated with their lengths) or NULL when the message was refused. */
static char *
run_message(dkim_signer *s, const struct field *f, size_t n, bool add_from, size_t *outlen)
{
	static const unsigned char body[] = "Hello\r\n\r\n";
	static unsigned char sig[256];
	char *all = NULL, *in, *field;
	size_t i, idx, len, total = 0;
	const unsigned char *tbs;
	dkim_alg alg;
	dkim_status st;

	if (dkim_signer_add(s, DKIM_ALG_RSA_SHA256, "example.com", "rsa", NULL, &idx) != DKIM_OK ||
	    dkim_signer_add(s, DKIM_ALG_ED25519_SHA256, "example.com", "ed", "u@mail.example.com",
	                    &idx) != DKIM_OK)
		abort();
	for (i = 0; i < n; i++) {
		st = dkim_signer_header(s, f[i].name, f[i].value);
		if (st != DKIM_OK)
			return NULL; /* the message is lost after an error */
	}
	if (add_from && dkim_signer_header(s, "From", " <a@example.com>") != DKIM_OK)
		return NULL;
	if (dkim_signer_body(s, body, sizeof(body) - 1) != DKIM_OK)
		abort();
	if (dkim_signer_end(s) != DKIM_OK)
		return NULL;
	FUZZ_CHECK(dkim_signer_count(s) == 2);
	for (i = 0; i < 2; i++) {
		if (dkim_signer_hash_input(s, i, &in, &len) != DKIM_OK)
			abort();
		all = realloc(all, total + len + sizeof(len));
		if (all == NULL)
			abort();
		memcpy(all + total, &len, sizeof(len));
		memcpy(all + total + sizeof(len), in, len);
		total += len + sizeof(len);
		free(in);
		if (dkim_signer_digest(s, i, &tbs, &alg) != DKIM_OK)
			abort();
		FUZZ_CHECK(alg == (i == 0 ? DKIM_ALG_RSA_SHA256 : DKIM_ALG_ED25519_SHA256));
		if (dkim_signer_set_signature(s, i, sig, i == 0 ? 256 : 64) != DKIM_OK)
			abort();
		if (dkim_signer_field(s, i, "\r\n", &field) != DKIM_OK)
			abort();
		FUZZ_CHECK(field[0] == ' ');
		free(field);
		if (dkim_signer_field(s, i, "\n", &field) != DKIM_OK)
			abort();
		FUZZ_CHECK(strstr(field, "\r") == NULL);
		free(field);
	}
	*outlen = total;
	return all;
}

static void
check_canon(dkim_canon hc, unsigned opt, struct field *f, size_t n)
{
	static const char *const custom[] = {"From", "To", "Subject", "X-A", "received"};
	/* Two signers per option set, kept across inputs and reset before each
	 * message (creating one costs more than the message): the first and
	 * second runs on one signer and the run on the other must agree
	 * whatever came before. */
	static dkim_signer *cache[2][16][2];
	struct dkim_sign_opts o = {0};
	dkim_signer **pair = cache[hc][(opt >> 1) & 15], *s, *s2;
	char *a, *b, *c;
	size_t la = 0, lb = 0, lc = 0, off;

	o.hdr_canon = hc;
	o.body_canon = (opt & 2) ? DKIM_CANON_RELAXED : DKIM_CANON_SIMPLE;
	o.oversign = (opt & 4) != 0;
	if (opt & 8) {
		o.headers = custom;
		o.nheaders = sizeof(custom) / sizeof(custom[0]);
	}
	if (opt & 16) {
		o.timestamp = 1700000000;
		o.expire_after = 86400;
	}
	if (pair[0] == NULL &&
	    (dkim_signer_new(&o, &pair[0]) != DKIM_OK || dkim_signer_new(&o, &pair[1]) != DKIM_OK))
		abort();
	s = pair[0];
	s2 = pair[1];
	dkim_signer_reset(s);
	dkim_signer_reset(s2);
	a = run_message(s, f, n, (opt & 1) != 0, &la);
	dkim_signer_reset(s);
	b = run_message(s, f, n, (opt & 1) != 0, &lb);
	c = run_message(s2, f, n, (opt & 1) != 0, &lc);
	FUZZ_CHECK((a == NULL) == (b == NULL) && (a == NULL) == (c == NULL));
	if (a != NULL) {
		FUZZ_CHECK(la == lb && memcmp(a, b, la) == 0);
		FUZZ_CHECK(la == lc && memcmp(a, c, la) == 0);
		if (hc == DKIM_CANON_RELAXED) {
			for (off = 0; off < la;) {
				size_t len;

				memcpy(&len, a + off, sizeof(len));
				check_relaxed(a + off + sizeof(len), len);
				off += sizeof(len) + len;
			}
		}
	}
	free(a);
	free(b);
	free(c);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct field f[FUZZ_MAX_FIELDS];
	size_t i, n;
	unsigned opt;

	if (size < 1 || size > (1 << 20))
		return 0;
	opt = data[0];
	/* Folded lines joined as Postfix passes them (LF) or as on the wire. */
	n = split_fields((const char *)data + 1, size - 1, (opt & 32) ? "\r\n" : "\n", f,
	                 FUZZ_MAX_FIELDS);
	check_canon(DKIM_CANON_SIMPLE, opt, f, n);
	check_canon(DKIM_CANON_RELAXED, opt, f, n);
	for (i = 0; i < n; i++) {
		free(f[i].name);
		free(f[i].value);
	}
	return 0;
}
