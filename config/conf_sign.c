/*
 * config/conf_sign.c: the sign { ... } group: canonicalization, who is
 * signed (internal_hosts, sign_authenticated, mta, and for which domains: login_domains,
 * bare_logins, login_map), what a token failure does, and
 * the signature's shape (headers, oversign, expire_after, resign).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config/conf_internal.h"

static const char *const conf_sign_known[] = {
    "canonicalization",
    "internal_hosts",
    "sign_authenticated",
    "mta",
    "login_domains",
    "bare_logins",
    "login_map",
    "on_token_error",
    "token_wait_ms",
    "headers",
    "oversign",
    "expire_after",
    "resign",
    NULL,
};

/* x= must leave receivers time to verify; ten years is surely a mistake. */
#define CONF_EXPIRE_MIN 3600L
#define CONF_EXPIRE_MAX 315360000L

const char *
conf_canon_name(enum conf_canon c)
{
	return c == CONF_CANON_RELAXED ? "relaxed" : "simple";
}

static bool
conf_canon_word(const char *s, size_t len, enum conf_canon *out)
{
	if (len == 6 && strncasecmp(s, "simple", 6) == 0)
		*out = CONF_CANON_SIMPLE;
	else if (len == 7 && strncasecmp(s, "relaxed", 7) == 0)
		*out = CONF_CANON_RELAXED;
	else
		return false;
	return true;
}

static void
conf_sign_canon(struct conf_ctx *ctx, const config_setting_t *g, struct conf_sign *sg)
{
	char *v = NULL;
	const char *slash;
	enum conf_canon h, b = CONF_CANON_SIMPLE;
	bool ok;

	if (conf_get_string(ctx, g, "sign", "canonicalization", false, &v) != 1)
		return;
	slash = strchr(v, '/');
	if (slash == NULL)
		ok = conf_canon_word(v, strlen(v), &h);
	else
		ok = conf_canon_word(v, (size_t)(slash - v), &h) &&
		     conf_canon_word(slash + 1, strlen(slash + 1), &b);
	if (!ok)
		conf_err(ctx, config_setting_get_member(g, "canonicalization"),
		         "sign.canonicalization",
		         "unknown canonicalization '%s' (use simple or relaxed, as header/body, "
		         "e.g. \"relaxed/relaxed\")",
		         v);
	else {
		sg->hdr_canon = h;
		sg->body_canon = b;
	}
	free(v);
}

/* "CIDR" or "CIDR domain, domain...": a block and the From domains its clients may sign. */
static bool
conf_sign_host(struct conf_ctx *ctx, const config_setting_t *e, const char *path, char *text,
               struct conf_cidr *c)
{
	char why[256], *rest;
	size_t len = strcspn(text, " \t");
	int r;

	rest = text[len] != '\0' ? text + len + 1 : NULL;
	text[len] = '\0';
	memset(c, 0, sizeof(*c));
	if (!conf_cidr_parse(text, c, why, sizeof(why))) {
		conf_err(ctx, e, path, "%s", why);
		return false;
	}
	if (rest == NULL)
		return true;
	r = conf_domain_list(rest, &c->domains, &c->ndomains, why, sizeof(why));
	if (r == -2)
		conf_err_oom(ctx);
	else if (r == -1)
		conf_err(ctx, e, path, "%s", why);
	else if (c->ndomains == 0)
		conf_err(ctx, e, path, "has no domain after the address block");
	return r == 0 && c->ndomains > 0;
}

static void
conf_sign_logins(struct conf_ctx *ctx, const config_setting_t *g, struct conf_sign *sg)
{
	const config_setting_t *m;
	char *v = NULL;
	const char *why;

	if (conf_get_string(ctx, g, "sign", "login_domains", false, &v) == 1) {
		if (strcmp(v, "own") == 0)
			sg->login_domains = CONF_LOGIN_OWN;
		else if (strcmp(v, "any") == 0)
			sg->login_domains = CONF_LOGIN_ANY;
		else
			conf_err(ctx, config_setting_get_member(g, "login_domains"),
			         "sign.login_domains", "must be \"own\" or \"any\", not \"%s\"", v);
		free(v);
	}
	if (conf_get_string(ctx, g, "sign", "bare_logins", false, &v) == 1) {
		if (strcmp(v, "refuse") == 0)
			sg->bare_logins = CONF_BARE_REFUSE;
		else if (strcmp(v, "any") == 0)
			sg->bare_logins = CONF_BARE_ANY;
		else
			conf_err(ctx, config_setting_get_member(g, "bare_logins"),
			         "sign.bare_logins", "must be \"refuse\" or \"any\", not \"%s\"",
			         v);
		free(v);
	}
	if (conf_get_string(ctx, g, "sign", "login_map", false, &sg->login_map) != 1)
		return;
	m = config_setting_get_member(g, "login_map");
	if ((why = conf_check_abs_path(sg->login_map)) != NULL)
		conf_err(ctx, m, "sign.login_map", "%s", why);
	else
		sg->loginmap = conf_loginmap_load(ctx, sg->login_map);
}

static void
conf_sign_hosts(struct conf_ctx *ctx, const config_setting_t *g, struct conf_sign *sg)
{
	config_setting_t *l, *e;
	char path[CONF_PATH_MAX], *text;
	struct conf_cidr *v;
	int i, n;

	if (conf_get_list(ctx, g, "sign", "internal_hosts", false, &l) != 1)
		return;
	n = config_setting_length(l);
	free(sg->internal_hosts);
	sg->internal_hosts = NULL;
	sg->ninternal = 0;
	if (n == 0)
		return;
	v = calloc((size_t)n, sizeof(*v));
	if (v == NULL) {
		conf_err_oom(ctx);
		return;
	}
	sg->internal_hosts = v;
	for (i = 0; i < n; i++) {
		e = config_setting_get_elem(l, (unsigned)i);
		conf_path_index(path, "sign.internal_hosts", i);
		if (conf_elem_string(ctx, e, path, &text) != 1)
			continue;
		if (conf_sign_host(ctx, e, path, text, &v[sg->ninternal]))
			sg->ninternal++;
		free(text);
	}
}

/* MTA service names ({daemon_name}): printable, no spaces, as Postfix and Sendmail take them. */
#define CONF_MTA_NAME_MAX 64

static void
conf_sign_mta(struct conf_ctx *ctx, const config_setting_t *g, struct conf_sign *sg)
{
	config_setting_t *l, *e;
	char path[CONF_PATH_MAX], *text;
	size_t k;
	int i, n;

	if (conf_get_list(ctx, g, "sign", "mta", false, &l) != 1)
		return;
	n = config_setting_length(l);
	if (n == 0) {
		conf_err(ctx, l, "sign.mta",
		         "is empty: nothing would be signed (leave it out to "
		         "sign from every MTA service)");
		return;
	}
	sg->mta = calloc((size_t)n, sizeof(*sg->mta));
	if (sg->mta == NULL) {
		conf_err_oom(ctx);
		return;
	}
	for (i = 0; i < n; i++) {
		e = config_setting_get_elem(l, (unsigned)i);
		conf_path_index(path, "sign.mta", i);
		if (conf_elem_string(ctx, e, path, &text) != 1)
			continue;
		for (k = 0; text[k] != '\0' && text[k] > 32 && text[k] < 127; k++)
			;
		if (k == 0 || text[k] != '\0' || k > CONF_MTA_NAME_MAX) {
			conf_err(ctx, e, path,
			         "'%s' is not an MTA service name (1..%d printable "
			         "characters, no spaces)",
			         text, CONF_MTA_NAME_MAX);
			free(text);
			continue;
		}
		sg->mta[sg->nmta++] = text;
	}
}

/* RFC 5322 field-name: printable US-ASCII except ':'. */
static bool
conf_header_name_ok(const char *s)
{
	/* ';' ends a tag in the h= list the names go into. */
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 33 || (unsigned char)*s > 126 || *s == ':' || *s == ';')
			return false;
	return true;
}

static void
conf_sign_header_one(struct conf_ctx *ctx, const config_setting_t *e, const char *path,
                     struct conf_sign *sg, bool *from)
{
	char *h, *p;
	size_t k;

	if (conf_elem_string(ctx, e, path, &h) != 1)
		return;
	if (!conf_header_name_ok(h)) {
		conf_err(ctx, e, path, "'%s' is not a header field name", h);
		free(h);
		return;
	}
	for (p = h; *p != '\0'; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p + ('a' - 'A'));
	for (k = 0; k < sg->nheaders; k++) {
		if (strcmp(sg->headers[k], h) == 0) {
			conf_err(ctx, e, path,
			         "'%s' is listed twice (oversign guards against added copies)", h);
			free(h);
			return;
		}
	}
	if (strcmp(h, "from") == 0)
		*from = true;
	sg->headers[sg->nheaders++] = h;
}

static void
conf_sign_headers(struct conf_ctx *ctx, const config_setting_t *g, struct conf_sign *sg)
{
	config_setting_t *l;
	char path[CONF_PATH_MAX];
	bool from = false;
	int i, n;

	if (conf_get_list(ctx, g, "sign", "headers", false, &l) != 1)
		return;
	n = config_setting_length(l);
	if (n > CONF_MAX_SIGN_HEADERS) {
		conf_err(ctx, l, "sign.headers", "has %d names; at most %d", n,
		         CONF_MAX_SIGN_HEADERS);
		return;
	}
	sg->headers = calloc((size_t)n + 1, sizeof(*sg->headers));
	if (sg->headers == NULL) {
		conf_err_oom(ctx);
		return;
	}
	for (i = 0; i < n; i++) {
		conf_path_index(path, "sign.headers", i);
		conf_sign_header_one(ctx, config_setting_get_elem(l, (unsigned)i), path, sg, &from);
	}
	if (!from)
		conf_err(ctx, l, "sign.headers", "must include From (RFC 6376 requires it signed)");
}

static void
conf_sign_policy(struct conf_ctx *ctx, const config_setting_t *g, struct conf_sign *sg)
{
	char *v = NULL;

	if (conf_get_string(ctx, g, "sign", "on_token_error", false, &v) != 1)
		return;
	if (strcmp(v, "tempfail") == 0)
		sg->on_token_error = CONF_ON_ERROR_TEMPFAIL;
	else if (strcmp(v, "accept") == 0)
		sg->on_token_error = CONF_ON_ERROR_ACCEPT;
	else
		conf_err(ctx, config_setting_get_member(g, "on_token_error"), "sign.on_token_error",
		         "unknown value '%s' (use \"tempfail\" or \"accept\")", v);
	free(v);
}

static void
conf_sign_expire(struct conf_ctx *ctx, const config_setting_t *g, struct conf_sign *sg)
{
	long long v;

	if (conf_get_int(ctx, g, "sign", "expire_after", 0, CONF_EXPIRE_MAX, &v) != 1)
		return;
	if (v != 0 && v < CONF_EXPIRE_MIN) {
		conf_err(ctx, config_setting_get_member(g, "expire_after"), "sign.expire_after",
		         "%lld seconds is too short: 0 (no x=) or at least %ld", v,
		         CONF_EXPIRE_MIN);
		return;
	}
	sg->expire_after = (long)v;
}

static void
conf_sign_defaults(struct conf_ctx *ctx, struct conf_sign *sg)
{
	char why[128];

	sg->hdr_canon = CONF_CANON_RELAXED;
	sg->body_canon = CONF_CANON_RELAXED;
	sg->sign_authenticated = true;
	sg->on_token_error = CONF_ON_ERROR_TEMPFAIL;
	sg->token_wait_ms = 120000;
	sg->oversign = true;
	sg->expire_after = 0;
	sg->resign = false;
	sg->internal_hosts = calloc(2, sizeof(*sg->internal_hosts));
	if (sg->internal_hosts == NULL) {
		conf_err_oom(ctx);
		return;
	}
	if (conf_cidr_parse("127.0.0.1", &sg->internal_hosts[0], why, sizeof(why)) &&
	    conf_cidr_parse("::1", &sg->internal_hosts[1], why, sizeof(why)))
		sg->ninternal = 2;
}

void
conf_sign_load(struct conf_ctx *ctx, const config_setting_t *root, struct conf_sign *sg)
{
	config_setting_t *g;
	long long v;

	conf_sign_defaults(ctx, sg);
	if (conf_get_group(ctx, root, "", "sign", false, &g) != 1)
		return;
	conf_check_members(ctx, g, "sign", conf_sign_known);
	conf_sign_canon(ctx, g, sg);
	conf_sign_hosts(ctx, g, sg);
	conf_get_bool(ctx, g, "sign", "sign_authenticated", &sg->sign_authenticated);
	conf_sign_mta(ctx, g, sg);
	conf_sign_logins(ctx, g, sg);
	conf_sign_policy(ctx, g, sg);
	if (conf_get_int(ctx, g, "sign", "token_wait_ms", 1, 3600000, &v) == 1)
		sg->token_wait_ms = (unsigned)v;
	conf_sign_headers(ctx, g, sg);
	conf_get_bool(ctx, g, "sign", "oversign", &sg->oversign);
	conf_sign_expire(ctx, g, sg);
	conf_get_bool(ctx, g, "sign", "resign", &sg->resign);
}
