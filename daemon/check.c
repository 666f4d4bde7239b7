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

	if (p11_uri_is(conf->tokens[0].token) &&
	    p11_uri_check(conf->tokens[0].token, false, &err) != P11_OK) {
		fprintf(stderr, "%s: token.token: %s\n", conf->path, err.msg);
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

static int
check_keys(const struct conf *conf, p11_token *tok)
{
	struct sign_key e;
	char msg[1024];
	size_t i, j;
	int bad = 0;

	for (i = 0; i < conf->ndomains; i++) {
		const struct conf_domain *d = &conf->domains[i];

		for (j = 0; j < d->nkeys; j++) {
			const struct conf_key *k = &d->keys[j];

			if (sign_keys_find(conf, tok, d, k, &e, NULL, NULL, msg, sizeof(msg)) !=
			    0) {
				fprintf(stderr, "%s\n", msg);
				bad = 1;
				continue;
			}
			printf("domain %s%s selector %s: key \"%s\": %s %u bits, a=%s%s\n",
			       d->domain, d->subdomains ? " (and subdomains)" : "", k->selector,
			       k->key, p11_key_type(e.key) == P11_KEY_ED25519 ? "Ed25519" : "RSA",
			       p11_key_bits(e.key), dkim_alg_name(e.alg),
			       p11_key_weak(e.key) ? " (WEAK: use RSA 2048 or more)" : ", ok");
		}
	}
	return bad;
}

int
check_run(const char *path)
{
	struct conf_errors errs = {0};
	struct p11_token_opts o;
	struct p11_error err;
	struct conf *conf;
	p11_token *tok;
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
	sign_token_opts(&conf->tokens[0], &o);
	tok = p11_token_open(&o, &err);
	if (tok == NULL) {
		fprintf(stderr, "token \"%s\" (module %s): %s\n", conf->tokens[0].token,
		        conf->tokens[0].module,
		        err.msg[0] != '\0' ? err.msg : p11_strerror(err.status));
		conf_free(conf);
		return 1;
	}
	printf("token \"%s\": logged in\n", p11_token_label(tok));
	bad = check_keys(conf, tok);
	p11_token_close(tok);
	conf_free(conf);
	printf("%s\n", bad ? "check failed" : "check passed");
	return bad;
}
