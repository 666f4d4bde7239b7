/*
 * dnsrec_parse: DKIM key record parser; see dnsrec_parse.h for the contract.
 * Each grammar rule of RFC 6376 3.2 (tag-list) is one small function.
 */
#include "config.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "tools/keytool/dnsrec_parse.h"

/* More tags than this is not a key record but an attempt to make us work. */
#define DNSREC_MAX_TAGS 32

struct dnsrec_span {
	const char *ptr;
	size_t len;
};

struct dnsrec_cursor {
	const char *buf;
	size_t len;
	size_t pos;
};

static void
dnsrec_detail(struct dnsrec *rec, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(rec->detail, sizeof(rec->detail), fmt, ap);
	va_end(ap);
}

/* FWS: DNS records carry no CRLF normally, but RFC 6376 allows folding. */
static int
dnsrec_is_fws(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static int
dnsrec_is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int
dnsrec_is_alnumpunc(char c)
{
	return dnsrec_is_alpha(c) || (c >= '0' && c <= '9') || c == '_';
}

/* VALCHAR = %x21-3A / %x3C-7E: printable ASCII but ';'. */
static int
dnsrec_is_valchar(char c)
{
	unsigned char u = (unsigned char)c;

	return (u >= 0x21 && u <= 0x3a) || (u >= 0x3c && u <= 0x7e);
}

static void
dnsrec_skip_fws(struct dnsrec_cursor *c)
{
	while (c->pos < c->len && dnsrec_is_fws(c->buf[c->pos]))
		c->pos++;
}

/* tag-name = ALPHA *ALNUMPUNC */
static int
dnsrec_tag_name(struct dnsrec_cursor *c, struct dnsrec_span *name)
{
	size_t start = c->pos;

	if (c->pos >= c->len || !dnsrec_is_alpha(c->buf[c->pos]))
		return -1;
	while (c->pos < c->len && dnsrec_is_alnumpunc(c->buf[c->pos]))
		c->pos++;
	name->ptr = c->buf + start;
	name->len = c->pos - start;
	return 0;
}

/*
 * tag-value = [ tval *( 1*(WSP / FWS) tval ) ], ending at ';' or the end.
 * Leading FWS was skipped by the caller; trailing FWS is not part of it.
 */
static int
dnsrec_tag_value(struct dnsrec_cursor *c, struct dnsrec_span *val)
{
	size_t start = c->pos, end = c->pos;

	while (c->pos < c->len && c->buf[c->pos] != ';') {
		char ch = c->buf[c->pos];

		if (dnsrec_is_valchar(ch))
			end = c->pos + 1;
		else if (!dnsrec_is_fws(ch))
			return -1;
		c->pos++;
	}
	val->ptr = c->buf + start;
	val->len = end - start;
	return 0;
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
	size_t i = 0;
	int hit = 0;

	while (i <= val->len) {
		size_t s = i, e;
		struct dnsrec_span el;

		while (i < val->len && val->ptr[i] != ':')
			i++;
		e = i;
		while (s < e && dnsrec_is_fws(val->ptr[s]))
			s++;
		while (e > s && dnsrec_is_fws(val->ptr[e - 1]))
			e--;
		el.ptr = val->ptr + s;
		el.len = e - s;
		if (fn(&el, arg))
			hit = 1;
		i++;
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
	if (dnsrec_base64_decode(val->ptr, val->len, &rec->key, &rec->keylen) != 0) {
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

/* Rejects a tag seen before; SEEN holds the names so far. */
static enum dnsrec_status
dnsrec_tag_unique(struct dnsrec *rec, struct dnsrec_span *seen, int nseen,
                  const struct dnsrec_span *name)
{
	int i;

	for (i = 0; i < nseen; i++) {
		if (seen[i].len == name->len && memcmp(seen[i].ptr, name->ptr, name->len) == 0) {
			dnsrec_detail(rec, "tag %.*s= appears twice",
			              (int)(name->len > 32 ? 32 : name->len), name->ptr);
			return DNSREC_EDUPTAG;
		}
	}
	if (nseen >= DNSREC_MAX_TAGS) {
		dnsrec_detail(rec, "more than %d tags", DNSREC_MAX_TAGS);
		return DNSREC_ESYNTAX;
	}
	seen[nseen] = *name;
	return DNSREC_OK;
}

/* tag-spec = [FWS] tag-name [FWS] "=" [FWS] tag-value [FWS] */
static enum dnsrec_status
dnsrec_tag_spec(struct dnsrec_cursor *c, struct dnsrec *rec, struct dnsrec_span *name,
                struct dnsrec_span *val)
{
	dnsrec_skip_fws(c);
	if (dnsrec_tag_name(c, name) != 0) {
		dnsrec_detail(rec, "expected a tag name at offset %zu", c->pos);
		return DNSREC_ESYNTAX;
	}
	dnsrec_skip_fws(c);
	if (c->pos >= c->len || c->buf[c->pos] != '=') {
		dnsrec_detail(rec, "expected '=' after tag %.*s at offset %zu",
		              (int)(name->len > 32 ? 32 : name->len), name->ptr, c->pos);
		return DNSREC_ESYNTAX;
	}
	c->pos++;
	dnsrec_skip_fws(c);
	if (dnsrec_tag_value(c, val) != 0) {
		dnsrec_detail(rec, "invalid character in the value of %.*s= at offset %zu",
		              (int)(name->len > 32 ? 32 : name->len), name->ptr, c->pos);
		return DNSREC_ESYNTAX;
	}
	return DNSREC_OK;
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
	struct dnsrec_cursor c = {text, len, 0};
	struct dnsrec_span seen[DNSREC_MAX_TAGS];
	struct dnsrec_span name, val;
	enum dnsrec_status st;
	int n = 0, have_key = 0;

	memset(rec, 0, sizeof(*rec));
	if (text == NULL)
		c.len = 0;
	/* tag-list = tag-spec *( ";" tag-spec ) [ ";" ] */
	for (;;) {
		st = dnsrec_tag_spec(&c, rec, &name, &val);
		if (st == DNSREC_OK)
			st = dnsrec_tag_unique(rec, seen, n, &name);
		if (st == DNSREC_OK)
			st = dnsrec_tag(rec, &name, &val, n);
		if (st != DNSREC_OK)
			goto fail;
		if (dnsrec_span_is(&name, "p"))
			have_key = 1;
		n++;
		if (c.pos >= c.len)
			break;
		c.pos++; /* the ';' that ended the value */
		dnsrec_skip_fws(&c);
		if (c.pos >= c.len)
			break;
	}
	st = dnsrec_finish(rec, have_key);
	if (st == DNSREC_OK)
		return DNSREC_OK;
fail:
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

static int
dnsrec_b64_value(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

int
dnsrec_base64_decode(const char *in, size_t len, unsigned char **out, size_t *outlen)
{
	unsigned char *buf;
	uint32_t acc = 0;
	size_t i, n = 0, nchars = 0, pad = 0;

	*out = NULL;
	*outlen = 0;
	/* len / 4 * 3 + 3 cannot overflow: len is an object size. */
	buf = malloc(len / 4 * 3 + 3);
	if (buf == NULL)
		return -1;
	for (i = 0; i < len; i++) {
		char ch = in[i];
		int v;

		if (dnsrec_is_fws(ch))
			continue;
		if (ch == '=') {
			if (++pad > 2)
				goto bad;
			nchars++;
			acc <<= 6;
			continue;
		}
		v = dnsrec_b64_value(ch);
		if (v < 0 || pad > 0)
			goto bad;
		acc = (acc << 6) | (uint32_t)v;
		nchars++;
		if (nchars % 4 == 0) {
			buf[n++] = (unsigned char)(acc >> 16);
			buf[n++] = (unsigned char)(acc >> 8);
			buf[n++] = (unsigned char)acc;
			acc = 0;
		}
	}
	if (pad > 0) {
		if (nchars % 4 != 0)
			goto bad;
		buf[n++] = (unsigned char)(acc >> 16);
		buf[n++] = (unsigned char)(acc >> 8);
		buf[n++] = (unsigned char)acc;
		/* A full quantum of only padding ("====") is not base64. */
		if (pad > 2)
			goto bad;
		n -= pad;
	} else if (nchars % 4 != 0)
		goto bad;
	if (n == 0) {
		free(buf);
		return 0;
	}
	*out = buf;
	*outlen = n;
	return 0;
bad:
	free(buf);
	return -1;
}
