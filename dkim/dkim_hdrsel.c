/*
 * dkim_hdrsel.c: header field storage and h= selection.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dkim/dkim_canon.h"
#include "dkim/dkim_hdrsel.h"
#include "dkim/dkim_tags.h"

bool
dkim_hdrsel_valid_name(const char *name, size_t len, bool for_tag)
{
	size_t i, core = for_tag ? len : dkim_canon_namelen(name, len);

	if (core == 0 || len > DKIM_MAX_NAME)
		return false;
	for (i = 0; i < core; i++) {
		unsigned char c = (unsigned char)name[i];
		if (c < 33 || c > 126 || c == ':' || (for_tag && c == ';'))
			return false;
	}
	return true;
}

static ssize_t
dkim_hdrsel_find(const struct dkim_hdrsel *hs, const char *name, size_t len)
{
	size_t k;

	for (k = 0; k < hs->nnames; k++)
		if (hs->namelens[k] == len && strncasecmp(hs->names[k], name, len) == 0)
			return (ssize_t)k;
	return -1;
}

/* The fields an MTA completes a message with, after the signer may have seen it: Sendmail
 * adds them once its milters are done and never shows them to them. Listing them absent
 * would make that legitimate addition break the signature. */
static bool
dkim_hdrsel_mta_adds(const char *name)
{
	return strcasecmp(name, "Date") == 0 || strcasecmp(name, "Message-ID") == 0;
}

dkim_status
dkim_hdrsel_init(struct dkim_hdrsel *hs, const char *const *names, size_t n, bool oversign)
{
	ssize_t from;
	size_t i, len;

	memset(hs, 0, sizeof(*hs));
	hs->oversign = oversign;
	hs->data.max = DKIM_MAX_HEADER_BYTES;
	if (n == 0 || n > DKIM_MAX_SIGN_NAMES)
		return DKIM_ERR_INVALID;
	hs->names = calloc(n, sizeof(*hs->names));
	hs->namelens = calloc(n, sizeof(*hs->namelens));
	hs->counts = calloc(n, sizeof(*hs->counts));
	hs->mta_adds = calloc(n, sizeof(*hs->mta_adds));
	if (hs->names == NULL || hs->namelens == NULL || hs->counts == NULL || hs->mta_adds == NULL)
		return DKIM_ERR_NOMEM;
	for (i = 0; i < n; i++) {
		if (names[i] == NULL)
			return DKIM_ERR_INVALID;
		len = strlen(names[i]);
		if (!dkim_hdrsel_valid_name(names[i], len, true))
			return DKIM_ERR_INVALID;
		if (dkim_hdrsel_find(hs, names[i], len) >= 0)
			continue;
		if ((hs->names[hs->nnames] = strdup(names[i])) == NULL)
			return DKIM_ERR_NOMEM;
		hs->mta_adds[hs->nnames] = dkim_hdrsel_mta_adds(names[i]);
		hs->namelens[hs->nnames++] = len;
	}
	/* RFC 6376 5.4: From MUST be signed. */
	if ((from = dkim_hdrsel_find(hs, "From", 4)) < 0)
		return DKIM_ERR_INVALID;
	hs->from = (size_t)from;
	return DKIM_OK;
}

void
dkim_hdrsel_init_all(struct dkim_hdrsel *hs)
{
	memset(hs, 0, sizeof(*hs));
	hs->keep_all = true;
	hs->data.max = DKIM_MAX_HEADER_BYTES;
}

dkim_status
dkim_hdrsel_add(struct dkim_hdrsel *hs, const char *name, const char *value)
{
	size_t len = strlen(name), off;
	struct dkim_hdr *v;
	dkim_status st;
	ssize_t k;

	if (!dkim_hdrsel_valid_name(name, len, false))
		return DKIM_ERR_SYNTAX;
	k = hs->keep_all ? -1 : dkim_hdrsel_find(hs, name, dkim_canon_namelen(name, len));
	if (k < 0 && !hs->keep_all)
		return DKIM_OK;
	if (hs->n == hs->cap) {
		size_t cap = hs->cap != 0 ? hs->cap * 2 : 32;
		if (hs->n >= DKIM_MAX_HEADERS)
			return DKIM_ERR_LIMIT;
		if (cap > DKIM_MAX_HEADERS)
			cap = DKIM_MAX_HEADERS;
		if ((v = reallocarray(hs->v, cap, sizeof(*v))) == NULL)
			return DKIM_ERR_NOMEM;
		hs->v = v;
		hs->cap = cap;
	}
	off = hs->data.len;
	if ((st = dkim_canon_store(&hs->data, name, len, value)) != DKIM_OK) {
		hs->data.len = off;
		return st;
	}
	hs->v[hs->n].off = off;
	hs->v[hs->n].len = hs->data.len - off;
	hs->v[hs->n].name = hs->keep_all ? DKIM_HDRSEL_ANY : (size_t)k;
	hs->n++;
	if (!hs->keep_all)
		hs->counts[k]++;
	return DKIM_OK;
}

size_t
dkim_hdrsel_hcount(const struct dkim_hdrsel *hs, size_t k)
{
	if (hs->counts[k] == 0 && hs->mta_adds[k])
		return 0;
	return hs->counts[k] + (hs->oversign ? 1 : 0);
}

bool
dkim_hdrsel_has_from(const struct dkim_hdrsel *hs)
{
	return hs->counts[hs->from] > 0;
}

dkim_status
dkim_hdrsel_canon(const struct dkim_hdrsel *hs, dkim_canon canon, struct dkim_buf *out)
{
	dkim_status st;
	size_t k, i;

	for (k = 0; k < hs->nnames; k++) {
		if (hs->counts[k] == 0)
			continue;
		for (i = hs->n; i-- > 0;) {
			const struct dkim_hdr *h = &hs->v[i];
			if (h->name != k)
				continue;
			st = dkim_canon_header(out, canon, hs->data.p + h->off, h->len, true);
			if (st != DKIM_OK)
				return st;
		}
	}
	return DKIM_OK;
}

bool
dkim_hdrsel_is(const struct dkim_hdrsel *hs, size_t i, const char *name, size_t len)
{
	const char *f = hs->data.p + hs->v[i].off, *colon = memchr(f, ':', hs->v[i].len);

	return colon != NULL && dkim_canon_namelen(f, (size_t)(colon - f)) == len &&
	       strncasecmp(f, name, len) == 0;
}

/* The instance that the k-th (from 0) mention of a name in h= stands for: the k-th from the
 * bottom, or -1. */
static ssize_t
dkim_hdrsel_nth_up(const struct dkim_hdrsel *hs, const char *name, size_t len, size_t k)
{
	size_t i;

	for (i = hs->n; i-- > 0;)
		if (dkim_hdrsel_is(hs, i, name, len) && k-- == 0)
			return (ssize_t)i;
	return -1;
}

/* Mentions of name among the first `upto` names of an h= value. */
static size_t
dkim_hdrsel_mentions(const char *h, size_t len, const char *name, size_t nl, size_t upto)
{
	const char *q = h, *prev;
	size_t pl, j, k = 0;

	for (j = 0; j < upto && q != NULL; j++) {
		dkim_tags_list_next(&q, h + len, &prev, &pl);
		if (pl == nl && strncasecmp(prev, name, nl) == 0)
			k++;
	}
	return k;
}

size_t
dkim_hdrsel_list_count(const char *h, size_t len, const char *name, size_t namelen)
{
	return dkim_hdrsel_mentions(h, len, name, namelen, (size_t)-1);
}

dkim_status
dkim_hdrsel_canon_list(const struct dkim_hdrsel *hs, dkim_canon canon, const char *h, size_t len,
                       struct dkim_buf *out)
{
	const char *p = h, *end = h + len, *name;
	size_t nl, count;
	dkim_status st;
	ssize_t i;

	for (count = 0; p != NULL; count++) {
		dkim_tags_list_next(&p, end, &name, &nl);
		if (!dkim_hdrsel_valid_name(name, nl, true) || count >= DKIM_MAX_HEADERS)
			return DKIM_ERR_SYNTAX;
		/* Each earlier mention of the name in h= took one of its instances already. */
		i = dkim_hdrsel_nth_up(hs, name, nl, dkim_hdrsel_mentions(h, len, name, nl, count));
		if (i < 0)
			continue;
		st = dkim_canon_header(out, canon, hs->data.p + hs->v[i].off, hs->v[i].len, true);
		if (st != DKIM_OK)
			return st;
	}
	return DKIM_OK;
}

void
dkim_hdrsel_reset(struct dkim_hdrsel *hs)
{
	hs->n = 0;
	hs->data.len = 0;
	if (hs->counts != NULL)
		memset(hs->counts, 0, hs->nnames * sizeof(*hs->counts));
}

void
dkim_hdrsel_free(struct dkim_hdrsel *hs)
{
	size_t i;

	if (hs->names != NULL)
		for (i = 0; i < hs->nnames; i++)
			free(hs->names[i]);
	free(hs->names);
	free(hs->namelens);
	free(hs->counts);
	free(hs->mta_adds);
	free(hs->v);
	dkim_buf_free(&hs->data);
	memset(hs, 0, sizeof(*hs));
}
