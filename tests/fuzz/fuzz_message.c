/*
 * tests/fuzz/fuzz_message.c: the raw message splitter in front of the signer,
 * and the address parser on the From and Sender fields it finds.
 *
 * Input: byte 0 is a chunk length (0 = 1..8 varying); the rest is a raw
 * message. It is fed once in one piece and once in chunks, each through its
 * own signer, then finished and ended.
 *
 * Properties: both feeds give the same status, the same header fields seen
 * by the callback, and (when the message signs) the same body hash and hash
 * input; a reset signer and splitter give the same again.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dkim/dkim_addr.h"
#include "dkim/dkim_message.h"
#include "tests/fuzz/fuzz.h"

struct seen {
	unsigned long fields;
	unsigned long sum; /* of the names' and values' lengths and bytes */
	size_t domains;
};

static dkim_status
on_header(void *arg, const char *name, const char *value)
{
	struct seen *seen = arg;
	struct dkim_addr_list l = {0};
	const char *p;

	seen->fields++;
	for (p = name; *p != '\0'; p++)
		seen->sum = seen->sum * 31 + (unsigned char)*p;
	for (p = value; *p != '\0'; p++)
		seen->sum = seen->sum * 31 + (unsigned char)*p;
	if (strcasecmp(name, "From") == 0 || strcasecmp(name, "Sender") == 0) {
		if (dkim_addr_domains(value, strlen(value), &l) == DKIM_OK)
			seen->domains += l.n;
		dkim_addr_free(&l);
	}
	return DKIM_OK;
}

struct result {
	dkim_status st;
	struct seen seen;
	char *bh, *in;
	size_t inlen;
};

static void
feed(dkim_signer *s, dkim_message *m, struct seen *seen, const uint8_t *p, size_t size,
     unsigned chunk, struct result *r)
{
	size_t idx, off = 0, n, k = 0;

	memset(r, 0, sizeof(*r));
	memset(seen, 0, sizeof(*seen));
	if (dkim_signer_add(s, DKIM_ALG_RSA_SHA256, "example.com", "s", NULL, &idx) != DKIM_OK)
		abort();
	r->st = DKIM_OK;
	while (off < size && r->st == DKIM_OK) {
		n = chunk != 0 ? chunk : (k++ % 8) + 1;
		if (n > size - off)
			n = size - off;
		r->st = dkim_message_feed(m, p + off, n);
		off += n;
	}
	if (r->st == DKIM_OK)
		r->st = dkim_message_finish(m);
	if (r->st == DKIM_OK)
		r->st = dkim_signer_end(s);
	r->seen = *seen;
	if (r->st == DKIM_OK) {
		r->bh = strdup(dkim_signer_bodyhash(s));
		if (r->bh == NULL || dkim_signer_hash_input(s, 0, &r->in, &r->inlen) != DKIM_OK)
			abort();
	}
}

static void
same(const struct result *a, const struct result *b)
{
	FUZZ_CHECK(a->st == b->st);
	FUZZ_CHECK(a->seen.fields == b->seen.fields && a->seen.sum == b->seen.sum &&
	           a->seen.domains == b->seen.domains);
	if (a->st == DKIM_OK) {
		FUZZ_CHECK(strcmp(a->bh, b->bh) == 0);
		FUZZ_CHECK(a->inlen == b->inlen && memcmp(a->in, b->in, a->inlen) == 0);
	}
}

static void
result_free(struct result *r)
{
	free(r->bh);
	free(r->in);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* Kept across inputs (creating a signer costs more than a small
	 * message) and reset before each: the runs must agree whatever came
	 * before. */
	static dkim_signer *sg[2][2];
	static dkim_message *mg[2][2];
	static struct seen seen[2][2];
	struct dkim_sign_opts o = {0};
	struct result whole, split, again;
	dkim_signer *s1, *s2;
	dkim_message *m1, *m2;
	struct seen *seen1, *seen2;
	int bc;

	if (size < 1)
		return 0;
	bc = data[0] & 1;
	o.hdr_canon = DKIM_CANON_RELAXED;
	o.body_canon = bc ? DKIM_CANON_SIMPLE : DKIM_CANON_RELAXED;
	if (sg[bc][0] == NULL &&
	    (dkim_signer_new(&o, &sg[bc][0]) != DKIM_OK ||
	     dkim_signer_new(&o, &sg[bc][1]) != DKIM_OK ||
	     dkim_message_new(sg[bc][0], on_header, &seen[bc][0], &mg[bc][0]) != DKIM_OK ||
	     dkim_message_new(sg[bc][1], on_header, &seen[bc][1], &mg[bc][1]) != DKIM_OK))
		abort();
	s1 = sg[bc][0];
	s2 = sg[bc][1];
	m1 = mg[bc][0];
	m2 = mg[bc][1];
	seen1 = &seen[bc][0];
	seen2 = &seen[bc][1];
	dkim_signer_reset(s1);
	dkim_message_reset(m1);
	dkim_signer_reset(s2);
	dkim_message_reset(m2);
	feed(s1, m1, seen1, data + 1, size - 1, (unsigned)size, &whole);
	feed(s2, m2, seen2, data + 1, size - 1, data[0], &split);
	same(&whole, &split);
	dkim_signer_reset(s2);
	dkim_message_reset(m2);
	feed(s2, m2, seen2, data + 1, size - 1, data[0] >> 1, &again);
	same(&whole, &again);
	result_free(&whole);
	result_free(&split);
	result_free(&again);
	return 0;
}
