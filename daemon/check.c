/* check.c: see check.h. */
#include "config.h"

#include <stdio.h>

#include "config/conf.h"
#include "daemon/check.h"
#include "daemon/clock.h"
#include "daemon/listen.h"
#include "sign/sign_keys.h"
#include "sign/sign_opts.h"
#include "pkcs11/p11.h"

/* Every pkcs11: URI of the configuration through pkcs11/'s parser (config/ only recognises the
   scheme), before the token is opened, each error naming the file, line and setting. */
static int
check_uris(const struct conf *conf)
{
	struct p11_error err;
	int bad = 0;

	for (size_t i = 0; i < conf->ntokens; i++) {
		const struct conf_token *t = &conf->tokens[i];

		if (!p11_uri_is(t->token) || p11_uri_check(t->token, false, &err) == P11_OK)
			continue;
		if (conf->ntokens == 1)
			fprintf(stderr, "%s:%d: token.token: %s\n", conf->path, t->line, err.msg);
		else
			fprintf(stderr, "%s:%d: tokens[%zu].token: %s\n", conf->path, t->line, i,
			        err.msg);
		bad = 1;
	}
	for (size_t i = 0; i < conf->ndomains; i++)
		for (size_t j = 0; j < conf->domains[i].nkeys; j++) {
			const struct conf_key *k = &conf->domains[i].keys[j];

			if (p11_uri_is(k->key) && p11_uri_check(k->key, true, &err) != P11_OK) {
				fprintf(stderr, "%s:%d: domains[%zu].keys[%zu].key: %s\n",
				        conf->path, k->line, i, j, err.msg);
				bad = 1;
			}
		}
	return bad;
}

/* "; the same public key on "a", "b"", for a set of several. */
static const char *
check_holders(p11_set *set, const p11_set_key *k, char *buf, size_t len)
{
	size_t i, o, n = 0;

	o = (size_t)snprintf(buf, len, "; the same public key on");
	for (i = 0; i < p11_set_size(set) && o < len; i++)
		if (p11_set_key_on(k, i))
			o += (size_t)snprintf(buf + o, len - o, "%s \"%s\"", n++ > 0 ? "," : "",
			                      p11_token_label(p11_set_token(set, i)));
	return buf;
}

/* A key some tokens lack is fine (the others sign with it), and said. */
static void
check_warn(void *arg, const char *msg)
{
	(void)arg;
	fprintf(stderr, "warning: %s\n", msg);
}

static int
check_keys(const struct conf *conf, p11_set *set)
{
	const p11_key *first;
	struct sign_key e;
	char msg[1024], buf[512];
	size_t i, j;
	int bad = 0;

	for (i = 0; i < conf->ndomains; i++) {
		const struct conf_domain *d = &conf->domains[i];

		for (j = 0; j < d->nkeys; j++) {
			const struct conf_key *k = &d->keys[j];

			if (sign_keys_find(conf, set, d, k, &e, check_warn, NULL, msg,
			                   sizeof(msg)) != 0) {
				fprintf(stderr, "%s\n", msg);
				bad = 1;
				continue;
			}
			first = p11_set_key_first(e.key);
			printf("domain %s%s selector %s: key \"%s\": %s %u bits, a=%s%s%s\n",
			       d->domain, d->subdomains ? " (and subdomains)" : "", k->selector,
			       k->key, p11_key_type(first) == P11_KEY_ED25519 ? "Ed25519" : "RSA",
			       p11_key_bits(first), dkim_alg_name(e.alg),
			       p11_key_weak(first) ? " (WEAK: use RSA 2048 or more)" : ", ok",
			       p11_set_size(set) > 1 ? check_holders(set, e.key, buf, sizeof(buf))
			                             : "");
		}
	}
	return bad;
}

int
check_run(const char *path)
{
	struct conf_errors errs = {0};
	struct p11_token_opts topts[CONF_MAX_TOKENS];
	struct p11_set_opts so;
	struct p11_error err;
	struct conf *conf;
	p11_set *set;
	char buf[5200];
	size_t i;
	int bad;

	conf = conf_load_errors(path, &errs);
	if (conf == NULL) {
		for (i = 0; i < errs.n; i++)
			fprintf(stderr, "%s\n", conf_error_format(&errs.v[i], buf, sizeof(buf)));
		conf_errors_free(&errs);
		return 1;
	}
	conf_errors_free(&errs);
	if (check_uris(conf) != 0) {
		conf_free(conf);
		return 1;
	}
	printf("configuration %s: ok (%zu domains)\n", conf->path, conf->ndomains);
	if (!clock_synced(buf, sizeof(buf)))
		fprintf(stderr, "warning: %s\n", buf);
	else
		printf("clock: synchronised\n");
	if (listen_exposed(conf, buf, sizeof(buf)))
		fprintf(stderr, "warning: %s: whoever connects can have mail signed\n", buf);
	sign_set_opts(conf, topts, &so);
	set = p11_set_open(&so, &err);
	if (set == NULL) {
		fprintf(stderr, "%s\n", err.msg[0] != '\0' ? err.msg : p11_strerror(err.status));
		conf_free(conf);
		return 1;
	}
	for (i = 0; i < p11_set_size(set); i++)
		printf("token \"%s\" (serial %s): logged in\n",
		       p11_token_label(p11_set_token(set, i)), p11_token_serial(p11_set_token(set, i)));
	bad = check_keys(conf, set);
	p11_set_close(set);
	conf_free(conf);
	printf("%s\n", bad ? "check failed" : "check passed");
	return bad;
}
