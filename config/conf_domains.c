/*
 * config/conf_domains.c: the domains ( ... ) list, each a signing domain with
 * its keys, and the signing table built from it. Domains are normalised
 * (lowercase, no trailing dot) before duplicates are looked for, so
 * "Example.COM." and "example.com" are the same entry.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config/conf_internal.h"

static const char *const conf_domain_known[] = {
    "domain",
    "subdomains",
    "keys",
    NULL,
};

static const char *const conf_key_known[] = {
    "selector",
    "key",
    NULL,
};

/* Each key is a signature on every message; a few (RSA and Ed25519, old and
 * new during a rotation) is the real use, and the selector check below is
 * quadratic. */

/* selector._domainkey.domain must fit in a DNS name. */
#define CONF_DNS_NAME_MAX 253

static void
conf_key_load(struct conf_ctx *ctx, const config_setting_t *g, const char *kpath,
              const struct conf_domain *d, struct conf_key *k)
{
	char path[CONF_PATH_MAX];
	const char *why;
	size_t len;

	k->line = conf_line(g);
	conf_check_members(ctx, g, kpath, conf_key_known);
	conf_path_member(path, kpath, "selector");
	if (conf_get_string(ctx, g, kpath, "selector", true, &k->selector) == 1) {
		why = conf_check_dns_name(k->selector);
		len = strlen(k->selector) + strlen("._domainkey.") +
		      (d->domain ? strlen(d->domain) : 0);
		if (why != NULL)
			conf_err(ctx, config_setting_get_member(g, "selector"), path,
			         "selector '%s' %s", k->selector, why);
		else if (d->domain != NULL && len > CONF_DNS_NAME_MAX)
			conf_err(ctx, config_setting_get_member(g, "selector"), path,
			         "'%s._domainkey.%s' is longer than %d characters", k->selector,
			         d->domain, CONF_DNS_NAME_MAX);
	}
	conf_path_member(path, kpath, "key");
	/* A label, or a pkcs11: URI that pkcs11/ checks (see CONF_IS_PKCS11_URI). */
	(void)conf_get_string(ctx, g, kpath, "key", true, &k->key);
}

static void
conf_domain_keys(struct conf_ctx *ctx, const config_setting_t *g, const char *dpath,
                 struct conf_domain *d)
{
	config_setting_t *l, *e;
	char path[CONF_PATH_MAX], spath[CONF_PATH_MAX];
	size_t i, j;
	int n, r;

	conf_path_member(path, dpath, "keys");
	r = conf_get_list(ctx, g, dpath, "keys", true, &l);
	if (r == 0 || (r == 1 && config_setting_length(l) == 0)) {
		conf_err(ctx, r == 1 ? l : g, path, "domain %s has no keys",
		         d->domain ? d->domain : "(unnamed)");
		return;
	}
	if (r != 1)
		return;
	n = config_setting_length(l);
	if (n > CONF_MAX_KEYS_PER_DOMAIN) {
		conf_err(ctx, l, path, "domain %s has %d keys; at most %d",
		         d->domain ? d->domain : "(unnamed)", n, CONF_MAX_KEYS_PER_DOMAIN);
		return;
	}
	d->keys = calloc((size_t)n, sizeof(*d->keys));
	if (d->keys == NULL) {
		conf_err_oom(ctx);
		return;
	}
	d->nkeys = (size_t)n;
	for (i = 0; i < d->nkeys; i++) {
		e = config_setting_get_elem(l, (unsigned)i);
		snprintf(path, sizeof(path), "%.*s.keys[%zu]", CONF_PATH_MAX / 2, dpath, i);
		if (config_setting_type(e) != CONFIG_TYPE_GROUP) {
			conf_err(ctx, e, path,
			         "must be a group { selector = ...; key = ...; }, not %s",
			         conf_type_name(config_setting_type(e)));
			continue;
		}
		conf_key_load(ctx, e, path, d, &d->keys[i]);
		for (j = 0; j < i && d->keys[i].selector != NULL; j++) {
			if (d->keys[j].selector != NULL &&
			    strcasecmp(d->keys[j].selector, d->keys[i].selector) == 0) {
				conf_path_member(spath, path, "selector");
				conf_err(ctx, config_setting_get_member(e, "selector"), spath,
				         "duplicate selector '%s' in domain %s (first at line %d)",
				         d->keys[i].selector, d->domain ? d->domain : "(unnamed)",
				         d->keys[j].line);
				break;
			}
		}
	}
}

/* Normalises d->domain in place: lowercase, one trailing dot dropped. */
static void
conf_domain_name(struct conf_ctx *ctx, const config_setting_t *g, const char *dpath,
                 struct conf_domain *d)
{
	char path[CONF_PATH_MAX];
	const char *why;
	size_t len;
	char *p;

	conf_path_member(path, dpath, "domain");
	if (conf_get_string(ctx, g, dpath, "domain", true, &d->domain) != 1)
		return;
	len = strlen(d->domain);
	if (len > 1 && d->domain[len - 1] == '.')
		d->domain[len - 1] = '\0';
	for (p = d->domain; *p != '\0'; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p + ('a' - 'A'));
	why = conf_check_dns_name(d->domain);
	if (why != NULL) {
		conf_err(ctx, config_setting_get_member(g, "domain"), path, "domain '%s' %s",
		         d->domain, why);
		free(d->domain);
		d->domain = NULL;
	}
}

static void
conf_domain_load(struct conf_ctx *ctx, const config_setting_t *g, const char *dpath,
                 struct conf_domain *d)
{
	d->line = conf_line(g);
	conf_check_members(ctx, g, dpath, conf_domain_known);
	conf_domain_name(ctx, g, dpath, d);
	conf_get_bool(ctx, g, dpath, "subdomains", &d->subdomains);
	conf_domain_keys(ctx, g, dpath, d);
}

struct conf_dup_arg {
	struct conf_ctx *ctx;
	const config_setting_t *list;
	const struct conf_domain *domains;
};

static void
conf_domains_dup(void *arg, size_t first, size_t again)
{
	struct conf_dup_arg *a = arg;
	config_setting_t *e = config_setting_get_elem(a->list, (unsigned)again);
	config_setting_t *s = config_setting_get_member(e, "domain");
	char path[CONF_PATH_MAX];

	snprintf(path, sizeof(path), "domains[%zu].domain", again);
	conf_err(a->ctx, s ? s : e, path, "duplicate domain %s (first at line %d)",
	         a->domains[again].domain, a->domains[first].line);
}

void
conf_domains_load(struct conf_ctx *ctx, const config_setting_t *root, struct conf *conf)
{
	struct conf_dup_arg dup;
	config_setting_t *l, *e;
	char path[CONF_PATH_MAX];
	size_t i, n;

	if (conf_get_list(ctx, root, "", "domains", true, &l) != 1)
		return;
	n = (size_t)config_setting_length(l);
	if (n == 0)
		return;
	conf->domains = calloc(n, sizeof(*conf->domains));
	if (conf->domains == NULL) {
		conf_err_oom(ctx);
		return;
	}
	conf->ndomains = n;
	for (i = 0; i < n; i++) {
		e = config_setting_get_elem(l, (unsigned)i);
		conf_path_index(path, "domains", (int)i);
		if (config_setting_type(e) != CONFIG_TYPE_GROUP) {
			conf_err(ctx, e, path,
			         "must be a group { domain = ...; keys = ...; }, not %s",
			         conf_type_name(config_setting_type(e)));
			continue;
		}
		conf_domain_load(ctx, e, path, &conf->domains[i]);
	}
	/* Built even after errors (unnamed entries are left out), so that
	 * duplicates are reported in the same run. */
	dup.ctx = ctx;
	dup.list = l;
	dup.domains = conf->domains;
	conf->signtable = conf_signtable_build(conf->domains, n, conf_domains_dup, &dup);
	if (conf->signtable == NULL)
		conf_err_oom(ctx);
}
