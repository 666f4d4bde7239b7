/*
 * dnsrec_parse: DKIM key record parser; see dnsrec_parse.h for the contract.
 * The tag list itself (RFC 6376 3.2), its colon lists and its base64 are dkim/dkim_tags.c's, the
 * one parser of that grammar; what is here is the meaning of a key record's tags (3.6.1).
 */
#include "config.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dkim/dkim_tags.h"
#include "tools/keytool/dnsrec_parse.h"

struct dnsrec_span {
	const char *ptr;
	size_t len;
};

static void
dnsrec_detail(struct dnsrec *rec, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(rec->detail, sizeof(rec->detail), fmt, ap);
	va_end(ap);
}

static int
dnsrec_span_is(const struct dnsrec_span *s, const char *word)
{
	return s->len == strlen(word) && memcmp(s->ptr, word, s->len) == 0;
}

static int
dnsrec_span_casei(const struct dnsrec_span *s, const char *word)
{
	return s->len == strlen(word) && strncasecmp(s->ptr, word, s->len) == 0;
}

/*
 * Calls FN on each element of a colon-separated list (h=, s=, t=), with FWS
 * around the elements removed. Returns 1 if FN returned 1 for any element.
 */
static int
dnsrec_list_any(const struct dnsrec_span *val, int (*fn)(const struct dnsrec_span *, void *),
                void *arg)
{
	const char *p = val->ptr;
	struct dnsrec_span el;
	int hit = 0;

	while (p != NULL) {
		dkim_tags_list_next(&p, val->ptr + val->len, &el.ptr, &el.len);
		if (fn(&el, arg))
			hit = 1;
	}
	return hit;
}

static int
dnsrec_el_equals(const struct dnsrec_span *el, void *word)
{
	return dnsrec_span_casei(el, word);
}

static int
dnsrec_el_service(const struct dnsrec_span *el, void *unused)
{
	return dnsrec_span_casei(el, "email") || dnsrec_span_is(el, "*");
}

static enum dnsrec_status
dnsrec_tag_key(struct dnsrec *rec, const struct dnsrec_span *val)
{
	if (val->len == 0) {
		rec->revoked = 1;
		return DNSREC_OK;
	}
	if (dkim_tags_base64(val->ptr, val->len, &rec->key, &rec->keylen) != 0) {
		dnsrec_detail(rec, "p= is not valid base64");
		return DNSREC_EBASE64;
	}
	if (rec->keylen == 0)
		rec->revoked = 1;
	return DNSREC_OK;
}

/* Interprets one tag=value pair; unknown tags are ignored as RFC 6376 asks. */
static enum dnsrec_status
dnsrec_tag(struct dnsrec *rec, const struct dnsrec_span *name, const struct dnsrec_span *val,
           int index)
{
	if (dnsrec_span_is(name, "v")) {
		if (index != 0 || !dnsrec_span_is(val, "DKIM1")) {
			dnsrec_detail(rec, "v= must be the first tag and equal \"DKIM1\"");
			return DNSREC_EVERSION;
		}
		rec->has_version = 1;
	} else if (dnsrec_span_is(name, "k")) {
		if (dnsrec_span_casei(val, "rsa"))
			rec->ktype = DNSREC_K_RSA;
		else if (dnsrec_span_casei(val, "ed25519"))
			rec->ktype = DNSREC_K_ED25519;
		else {
			dnsrec_detail(rec, "k=%.*s is not rsa or ed25519",
			              (int)(val->len > 32 ? 32 : val->len), val->ptr);
			return DNSREC_EKEYTYPE;
		}
	} else if (dnsrec_span_is(name, "h")) {
		if (!dnsrec_list_any(val, dnsrec_el_equals, "sha256")) {
			dnsrec_detail(rec, "h= does not list sha256");
			return DNSREC_EHASH;
		}
	} else if (dnsrec_span_is(name, "s")) {
		if (!dnsrec_list_any(val, dnsrec_el_service, NULL)) {
			dnsrec_detail(rec, "s= does not list email or *");
			return DNSREC_ESERVICE;
		}
	} else if (dnsrec_span_is(name, "t")) {
		rec->testing = dnsrec_list_any(val, dnsrec_el_equals, "y");
		rec->strict = dnsrec_list_any(val, dnsrec_el_equals, "s");
	} else if (dnsrec_span_is(name, "p")) {
		return dnsrec_tag_key(rec, val);
	}
	return DNSREC_OK;
}

/* Why dkim_tags_parse refused the text, in rec->detail. */
static enum dnsrec_status
dnsrec_syntax(struct dnsrec *rec, const struct dkim_tags *t)
{
	const struct dkim_tag *dup = &t->v[t->n];

	switch (t->error) {
	case DKIM_TAGS_DUPLICATE:
		dnsrec_detail(rec, "tag %.*s= appears twice",
		              (int)(dup->namelen > 32 ? 32 : dup->namelen), dup->name);
		return DNSREC_EDUPTAG;
	case DKIM_TAGS_TOO_MANY:
		dnsrec_detail(rec, "more than %d tags", DKIM_TAGS_MAX);
		return DNSREC_ESYNTAX;
	default:
		dnsrec_detail(rec, "not a tag=value list at offset %zu", t->error_at);
		return DNSREC_ESYNTAX;
	}
}

/* Checks what depends on several tags at once, after all were read. */
static enum dnsrec_status
dnsrec_finish(struct dnsrec *rec, int have_key)
{
	if (!have_key) {
		dnsrec_detail(rec, "no p= tag");
		return DNSREC_ENOKEY;
	}
	if (rec->ktype == DNSREC_K_ED25519 && !rec->revoked && rec->keylen != 32) {
		dnsrec_detail(rec, "k=ed25519 but p= holds %zu bytes, not 32", rec->keylen);
		return DNSREC_EBASE64;
	}
	return DNSREC_OK;
}

enum dnsrec_status
dnsrec_parse(const char *text, size_t len, struct dnsrec *rec)
{
	struct dkim_tags t;
	struct dnsrec_span name, val;
	enum dnsrec_status st = DNSREC_OK;
	int have_key = 0;
	size_t i;

	memset(rec, 0, sizeof(*rec));
	if (dkim_tags_parse(text != NULL ? text : "", text != NULL ? len : 0, &t) != DKIM_OK)
		return dnsrec_syntax(rec, &t);
	for (i = 0; i < t.n && st == DNSREC_OK; i++) {
		name = (struct dnsrec_span){t.v[i].name, t.v[i].namelen};
		val = (struct dnsrec_span){t.v[i].val, t.v[i].vallen};
		st = dnsrec_tag(rec, &name, &val, (int)i);
		if (dnsrec_span_is(&name, "p"))
			have_key = 1;
	}
	if (st == DNSREC_OK)
		st = dnsrec_finish(rec, have_key);
	if (st == DNSREC_OK)
		return DNSREC_OK;
	dnsrec_free(rec);
	return st;
}

void
dnsrec_free(struct dnsrec *rec)
{
	if (rec == NULL)
		return;
	free(rec->key);
	rec->key = NULL;
	rec->keylen = 0;
}

const char *
dnsrec_strerror(enum dnsrec_status st)
{
	switch (st) {
	case DNSREC_OK:
		return "ok";
	case DNSREC_ESYNTAX:
		return "syntax error in the tag list";
	case DNSREC_EDUPTAG:
		return "duplicate tag";
	case DNSREC_EVERSION:
		return "bad v= tag";
	case DNSREC_ENOKEY:
		return "no public key (p=) tag";
	case DNSREC_EBASE64:
		return "bad public key data in p=";
	case DNSREC_EKEYTYPE:
		return "unknown key type in k=";
	case DNSREC_EHASH:
		return "h= excludes sha256";
	case DNSREC_ESERVICE:
		return "s= excludes email";
	case DNSREC_ENOMEM:
		return "out of memory";
	}
	return "unknown error";
}
