/*
 * dkim_addr.c: RFC 5322 3.4 address lists, one function per grammar rule.
 *
 * Each rule takes the cursor, returns true and advances on a match, and may
 * leave the cursor anywhere on a mismatch: the caller that tries
 * alternatives saves and restores it. Obsolete forms (4.4) are accepted
 * where they change nothing for the domain: dots in display names, CFWS
 * around the dots of a domain, routes in angle addresses, empty list
 * elements. Nested comments are walked with a depth counter, not recursion.
 * Bytes >= 0x80 count as atext and qtext (RFC 6532).
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "dkim/dkim_addr.h"

#define DKIM_ADDR_DOMAIN_MAX 255

struct dkim_addr_cur {
	const char *p, *end;
	char dom[DKIM_ADDR_DOMAIN_MAX + 1]; /* the domain of the last addr-spec */
	size_t domlen;
	struct dkim_addr_list *out;
	dkim_status st; /* a hard error (memory, limit) that stops the parse */
};

static bool
dkim_addr_at(const struct dkim_addr_cur *c, char ch)
{
	return c->p < c->end && *c->p == ch;
}

static bool
dkim_addr_atext(unsigned char ch)
{
	if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
	    ch >= 0x80)
		return true;
	return ch != '\0' && strchr("!#$%&'*+-/=?^_`{|}~", ch) != NULL;
}

/* FWS, with CRLF or bare LF folds. */
static void
dkim_addr_fws(struct dkim_addr_cur *c)
{
	while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\r' || *c->p == '\n'))
		c->p++;
}

/* comment = "(" *([FWS] ccontent) [FWS] ")", ccontent may nest. */
static bool
dkim_addr_comment(struct dkim_addr_cur *c)
{
	size_t depth = 0;

	if (!dkim_addr_at(c, '('))
		return false;
	while (c->p < c->end) {
		char ch = *c->p++;
		if (ch == '\\') {
			if (c->p == c->end)
				return false;
			c->p++;
		} else if (ch == '(') {
			depth++;
		} else if (ch == ')') {
			if (--depth == 0)
				return true;
		}
	}
	return false;
}

/* CFWS, also empty; false only on an unterminated comment. */
static bool
dkim_addr_cfws(struct dkim_addr_cur *c)
{
	for (;;) {
		dkim_addr_fws(c);
		if (!dkim_addr_at(c, '('))
			return true;
		if (!dkim_addr_comment(c))
			return false;
	}
}

/* The 1*atext of an atom, without CFWS; appended to the domain if asked. */
static bool
dkim_addr_atext_run(struct dkim_addr_cur *c, bool collect)
{
	const char *start = c->p;

	while (c->p < c->end && dkim_addr_atext((unsigned char)*c->p))
		c->p++;
	if (c->p == start)
		return false;
	if (collect) {
		size_t n = (size_t)(c->p - start);
		if (n > DKIM_ADDR_DOMAIN_MAX - c->domlen)
			return false;
		memcpy(c->dom + c->domlen, start, n);
		c->domlen += n;
	}
	return true;
}

/* quoted-string = [CFWS] DQUOTE *([FWS] qcontent) [FWS] DQUOTE [CFWS] */
static bool
dkim_addr_quoted_string(struct dkim_addr_cur *c)
{
	if (!dkim_addr_cfws(c) || !dkim_addr_at(c, '"'))
		return false;
	c->p++;
	while (c->p < c->end && *c->p != '"') {
		if (*c->p == '\\' && ++c->p == c->end)
			return false;
		c->p++;
	}
	if (c->p == c->end)
		return false;
	c->p++;
	return dkim_addr_cfws(c);
}

/* word = atom / quoted-string; atom = [CFWS] 1*atext [CFWS] */
static bool
dkim_addr_word(struct dkim_addr_cur *c)
{
	const char *save = c->p;

	if (dkim_addr_cfws(c) && dkim_addr_atext_run(c, false) && dkim_addr_cfws(c))
		return true;
	c->p = save;
	return dkim_addr_quoted_string(c);
}

/* local-part = dot-atom / quoted-string / obs-local-part (word *("." word)) */
static bool
dkim_addr_local_part(struct dkim_addr_cur *c)
{
	if (!dkim_addr_word(c))
		return false;
	while (dkim_addr_at(c, '.')) {
		c->p++;
		if (!dkim_addr_word(c))
			return false;
	}
	return true;
}

/* domain-literal = [CFWS] "[" *([FWS] dtext) [FWS] "]" [CFWS], kept as is. */
static bool
dkim_addr_domain_literal(struct dkim_addr_cur *c)
{
	const char *start;
	size_t n;

	if (!dkim_addr_cfws(c) || !dkim_addr_at(c, '['))
		return false;
	start = c->p++;
	while (c->p < c->end && *c->p != ']' && *c->p != '[') {
		if (*c->p == '\\' && ++c->p == c->end)
			return false;
		c->p++;
	}
	if (!dkim_addr_at(c, ']'))
		return false;
	c->p++;
	n = (size_t)(c->p - start);
	if (n > DKIM_ADDR_DOMAIN_MAX)
		return false;
	memcpy(c->dom, start, n);
	c->domlen = n;
	return dkim_addr_cfws(c);
}

/* domain = dot-atom / domain-literal / obs-domain (atom *("." atom)) */
static bool
dkim_addr_domain(struct dkim_addr_cur *c)
{
	const char *save = c->p;

	c->domlen = 0;
	if (dkim_addr_cfws(c) && dkim_addr_atext_run(c, true) && dkim_addr_cfws(c)) {
		while (dkim_addr_at(c, '.')) {
			c->p++;
			if (c->domlen == DKIM_ADDR_DOMAIN_MAX)
				return false;
			c->dom[c->domlen++] = '.';
			if (!dkim_addr_cfws(c) || !dkim_addr_atext_run(c, true) ||
			    !dkim_addr_cfws(c))
				return false;
		}
		return true;
	}
	c->p = save;
	return dkim_addr_domain_literal(c);
}

/* addr-spec = local-part "@" domain */
static bool
dkim_addr_addr_spec(struct dkim_addr_cur *c)
{
	if (!dkim_addr_local_part(c) || !dkim_addr_at(c, '@'))
		return false;
	c->p++;
	return dkim_addr_domain(c);
}

/* obs-route = obs-domain-list ":"; obs-domain-list = *(CFWS / ",") "@" domain
 * *("," [CFWS] ["@" domain]). Optional: restores the cursor when absent. */
static void
dkim_addr_obs_route(struct dkim_addr_cur *c)
{
	const char *save = c->p;

	while (dkim_addr_cfws(c) && dkim_addr_at(c, ','))
		c->p++;
	if (!dkim_addr_at(c, '@'))
		goto none;
	c->p++;
	if (!dkim_addr_domain(c))
		goto none;
	while (dkim_addr_at(c, ',')) {
		c->p++;
		if (!dkim_addr_cfws(c))
			goto none;
		if (dkim_addr_at(c, '@')) {
			c->p++;
			if (!dkim_addr_domain(c))
				goto none;
		}
	}
	if (dkim_addr_at(c, ':')) {
		c->p++;
		return;
	}
none:
	c->p = save;
}

/* angle-addr = [CFWS] "<" [obs-route] addr-spec ">" [CFWS] */
static bool
dkim_addr_angle_addr(struct dkim_addr_cur *c)
{
	if (!dkim_addr_cfws(c) || !dkim_addr_at(c, '<'))
		return false;
	c->p++;
	dkim_addr_obs_route(c);
	if (!dkim_addr_addr_spec(c) || !dkim_addr_at(c, '>'))
		return false;
	c->p++;
	return dkim_addr_cfws(c);
}

/* display-name = phrase = 1*word / obs-phrase (word *(word / "." / CFWS)) */
static bool
dkim_addr_phrase(struct dkim_addr_cur *c)
{
	const char *save;

	if (!dkim_addr_word(c))
		return false;
	for (;;) {
		save = c->p;
		if (dkim_addr_at(c, '.')) {
			c->p++;
			if (!dkim_addr_cfws(c))
				return false;
			continue;
		}
		if (!dkim_addr_word(c)) {
			c->p = save;
			return true;
		}
	}
}

/* mailbox = name-addr / addr-spec; name-addr = [display-name] angle-addr */
static bool
dkim_addr_mailbox(struct dkim_addr_cur *c)
{
	const char *save = c->p;
	char *d;
	size_t i;

	if (!(dkim_addr_phrase(c) && dkim_addr_angle_addr(c))) {
		c->p = save;
		if (!dkim_addr_angle_addr(c)) {
			c->p = save;
			if (!dkim_addr_addr_spec(c))
				return false;
		}
	}
	if (c->out->n == DKIM_ADDR_MAX) {
		c->st = DKIM_ERR_LIMIT;
		return false;
	}
	if ((d = malloc(c->domlen + 1)) == NULL) {
		c->st = DKIM_ERR_NOMEM;
		return false;
	}
	for (i = 0; i < c->domlen; i++) {
		char ch = c->dom[i];
		d[i] = (ch >= 'A' && ch <= 'Z') ? (char)(ch + ('a' - 'A')) : ch;
	}
	d[i] = '\0';
	c->out->domain[c->out->n++] = d;
	return true;
}

static void
dkim_addr_truncate(struct dkim_addr_list *l, size_t n)
{
	while (l->n > n)
		free(l->domain[--l->n]);
}

/* group = display-name ":" [group-list] ";" [CFWS]; group-list =
 * mailbox-list / CFWS / obs-group-list, read as *([CFWS] ",") mailboxes. */
static bool
dkim_addr_group(struct dkim_addr_cur *c)
{
	size_t n0 = c->out->n;

	if (!dkim_addr_phrase(c) || !dkim_addr_at(c, ':'))
		return false;
	c->p++;
	for (;;) {
		if (!dkim_addr_cfws(c))
			goto fail;
		if (dkim_addr_at(c, ';')) {
			c->p++;
			return dkim_addr_cfws(c);
		}
		if (dkim_addr_at(c, ',')) {
			c->p++;
			continue;
		}
		if (!dkim_addr_mailbox(c))
			goto fail;
		if (!dkim_addr_at(c, ',') && !dkim_addr_at(c, ';'))
			goto fail;
	}
fail:
	dkim_addr_truncate(c->out, n0);
	return false;
}

/* address = mailbox / group */
static bool
dkim_addr_address(struct dkim_addr_cur *c)
{
	const char *save = c->p;
	size_t n0 = c->out->n;

	if (dkim_addr_mailbox(c) && (c->p == c->end || *c->p == ','))
		return true;
	if (c->st != DKIM_OK)
		return false;
	/* Not a whole mailbox: maybe the display name of a group. */
	dkim_addr_truncate(c->out, n0);
	c->p = save;
	return dkim_addr_group(c);
}

/* address-list = address *("," address), with obs-addr-list's empty
 * elements; at least one address. */
dkim_status
dkim_addr_domains(const char *value, size_t len, struct dkim_addr_list *out)
{
	struct dkim_addr_cur c;
	size_t naddr = 0;

	if (out == NULL)
		return DKIM_ERR_INVALID;
	memset(out, 0, sizeof(*out));
	if (value == NULL)
		return DKIM_ERR_INVALID;
	if ((out->domain = calloc(DKIM_ADDR_MAX, sizeof(*out->domain))) == NULL)
		return DKIM_ERR_NOMEM;
	memset(&c, 0, sizeof(c));
	c.p = value;
	c.end = value + len;
	c.out = out;
	c.st = DKIM_OK;
	for (;;) {
		if (!dkim_addr_cfws(&c))
			goto fail;
		if (c.p == c.end)
			break;
		if (*c.p == ',') {
			c.p++;
			continue;
		}
		if (!dkim_addr_address(&c))
			goto fail;
		naddr++;
		if (c.p == c.end)
			break;
		if (*c.p != ',')
			goto fail;
		c.p++;
	}
	if (naddr == 0)
		goto fail;
	return DKIM_OK;
fail:
	dkim_addr_free(out);
	return c.st != DKIM_OK ? c.st : DKIM_ERR_SYNTAX;
}

void
dkim_addr_free(struct dkim_addr_list *l)
{
	if (l == NULL)
		return;
	if (l->domain != NULL)
		dkim_addr_truncate(l, 0);
	free(l->domain);
	l->domain = NULL;
	l->n = 0;
}

/* The one mailbox domain of a header value, if it is a DNS name that fits. */
static enum dkim_author
dkim_addr_one(const char *value, char *domain, size_t len, bool *several)
{
	struct dkim_addr_list list = {0};
	enum dkim_author r = DKIM_AUTHOR_BAD_FROM;

	*several = false;
	if (value == NULL || dkim_addr_domains(value, strlen(value), &list) != DKIM_OK)
		return DKIM_AUTHOR_BAD_FROM;
	if (list.n > 1)
		*several = true;
	else if (list.n == 1 && strlen(list.domain[0]) < len && list.domain[0][0] != '\0' &&
	         list.domain[0][0] != '[') {
		strcpy(domain, list.domain[0]);
		r = DKIM_AUTHOR_OK;
	}
	dkim_addr_free(&list);
	return r;
}

enum dkim_author
dkim_addr_author(unsigned nfrom, const char *from, unsigned nsender, const char *sender,
                 char *domain, size_t len)
{
	enum dkim_author r;
	bool several;

	if (nfrom == 0)
		return DKIM_AUTHOR_NO_FROM;
	if (nfrom > 1)
		return DKIM_AUTHOR_SEVERAL_FROM;
	r = dkim_addr_one(from, domain, len, &several);
	if (!several)
		return r;
	/* RFC 5322 3.6.2: with several authors, Sender names the one who sent it. */
	if (nsender != 1)
		return DKIM_AUTHOR_NO_SENDER;
	r = dkim_addr_one(sender, domain, len, &several);
	return r == DKIM_AUTHOR_OK ? DKIM_AUTHOR_OK : DKIM_AUTHOR_NO_SENDER;
}

const char *
dkim_addr_author_text(enum dkim_author r)
{
	static const char *const text[] = {
	    [DKIM_AUTHOR_OK] = "ok",
	    [DKIM_AUTHOR_NO_FROM] = "no From",
	    [DKIM_AUTHOR_SEVERAL_FROM] = "several From",
	    [DKIM_AUTHOR_BAD_FROM] = "From names no usable mailbox",
	    [DKIM_AUTHOR_NO_SENDER] = "From has several mailboxes and no usable Sender",
	};

	return (unsigned)r < sizeof(text) / sizeof(text[0]) ? text[r] : "unknown";
}
