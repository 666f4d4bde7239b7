/*
 * dkim_tags.c: the tag=value list (RFC 6376 3.2), one function per grammar rule; lists and
 * base64 inside values.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dkim/dkim_tags.h"

int
dkim_tags_is_fws(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static int
dkim_tags_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* tag-name = ALPHA *ALNUMPUNC; ALNUMPUNC = ALPHA / DIGIT / "_" */
static int
dkim_tags_name_ok(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || !dkim_tags_alpha(s[0]))
		return 0;
	for (i = 1; i < n; i++)
		if (!dkim_tags_alpha(s[i]) && !(s[i] >= '0' && s[i] <= '9') && s[i] != '_')
			return 0;
	return 1;
}

/* tag-value: VALCHARs (%x21-3A / %x3C-7E) separated by folding whitespace. */
static int
dkim_tags_value_ok(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (!dkim_tags_is_fws(s[i]) && (c < 0x21 || c > 0x7e || c == ';'))
			return 0;
	}
	return 1;
}

/* Trims folding whitespace from both ends of [*s, *s + *n). */
static void
dkim_tags_trim(const char **s, size_t *n)
{
	while (*n > 0 && dkim_tags_is_fws(**s)) {
		(*s)++;
		(*n)--;
	}
	while (*n > 0 && dkim_tags_is_fws((*s)[*n - 1]))
		(*n)--;
}

/* tag-spec = [FWS] tag-name [FWS] "=" [FWS] tag-value [FWS] */
static dkim_status
dkim_tags_spec(const char *s, size_t n, struct dkim_tag *t)
{
	const char *eq = memchr(s, '=', n);

	if (eq == NULL)
		return DKIM_ERR_SYNTAX;
	t->name = s;
	t->namelen = (size_t)(eq - s);
	dkim_tags_trim(&t->name, &t->namelen);
	t->raw = eq + 1;
	t->rawlen = (size_t)(s + n - t->raw);
	t->val = t->raw;
	t->vallen = t->rawlen;
	dkim_tags_trim(&t->val, &t->vallen);
	if (!dkim_tags_name_ok(t->name, t->namelen) || !dkim_tags_value_ok(t->val, t->vallen))
		return DKIM_ERR_SYNTAX;
	return DKIM_OK;
}

static int
dkim_tags_same(const struct dkim_tag *a, const char *name, size_t len)
{
	return a->namelen == len && memcmp(a->name, name, len) == 0;
}

static dkim_status
dkim_tags_fail(struct dkim_tags *out, enum dkim_tags_error e, const char *text, const char *at)
{
	out->error = e;
	out->error_at = (size_t)(at - text);
	return DKIM_ERR_SYNTAX;
}

/* tag-list = tag-spec *( ";" tag-spec ) [ ";" ] */
dkim_status
dkim_tags_parse(const char *text, size_t len, struct dkim_tags *out)
{
	const char *p = text, *end = text + len, *semi;
	size_t n, i;

	out->n = 0;
	out->error = DKIM_TAGS_OK;
	out->error_at = 0;
	while (p < end) {
		semi = memchr(p, ';', (size_t)(end - p));
		n = semi != NULL ? (size_t)(semi - p) : (size_t)(end - p);
		/* Only the last tag-spec may be empty: the optional final ';'. */
		if (semi == NULL) {
			const char *q = p;
			size_t m = n;
			dkim_tags_trim(&q, &m);
			if (m == 0)
				break;
		}
		if (out->n == DKIM_TAGS_MAX)
			return dkim_tags_fail(out, DKIM_TAGS_TOO_MANY, text, p);
		if (dkim_tags_spec(p, n, &out->v[out->n]) != DKIM_OK)
			return dkim_tags_fail(out, DKIM_TAGS_SYNTAX, text, p);
		for (i = 0; i < out->n; i++)
			if (dkim_tags_same(&out->v[i], out->v[out->n].name, out->v[out->n].namelen))
				return dkim_tags_fail(out, DKIM_TAGS_DUPLICATE, text, p);
		out->n++;
		p = semi != NULL ? semi + 1 : end;
	}
	return out->n > 0 ? DKIM_OK : dkim_tags_fail(out, DKIM_TAGS_SYNTAX, text, text);
}

const struct dkim_tag *
dkim_tags_get(const struct dkim_tags *t, const char *name)
{
	size_t i, len = strlen(name);

	for (i = 0; i < t->n; i++)
		if (dkim_tags_same(&t->v[i], name, len))
			return &t->v[i];
	return NULL;
}

void
dkim_tags_list_next(const char **p, const char *end, const char **el, size_t *len)
{
	const char *colon = memchr(*p, ':', (size_t)(end - *p));

	if (colon == NULL)
		colon = end;
	*el = *p;
	*len = (size_t)(colon - *p);
	dkim_tags_trim(el, len);
	*p = colon < end ? colon + 1 : NULL;
}

static int
dkim_tags_b64_value(char c)
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
dkim_tags_base64(const char *in, size_t len, unsigned char **out, size_t *outlen)
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

		if (dkim_tags_is_fws(ch))
			continue;
		if (ch == '=') {
			if (++pad > 2)
				goto bad;
			nchars++;
			acc <<= 6;
			continue;
		}
		v = dkim_tags_b64_value(ch);
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
