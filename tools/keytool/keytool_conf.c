/*
 * keytool_conf: the keytool's view of the daemon's configuration file
 * (config/conf.h): the token settings, and which domains and selectors use
 * which key (for `list`). Options given on the command line (--module,
 * --token, --pin-file, --pin-env) win over the file's.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "config/conf.h"
#include "tools/keytool/keytool.h"

static int
kt_conf_uses(struct kt_ctx *ctx, const struct conf *cf)
{
	size_t i, j, n = 0;

	for (i = 0; i < cf->ndomains; i++)
		n += cf->domains[i].nkeys;
	if (n == 0)
		return 0;
	if ((ctx->uses = calloc(n, sizeof(*ctx->uses))) == NULL)
		return -1;
	for (i = 0; i < cf->ndomains; i++) {
		for (j = 0; j < cf->domains[i].nkeys; j++) {
			struct kt_domain_use *u = &ctx->uses[ctx->nuses];

			u->domain = strdup(cf->domains[i].domain);
			u->selector = strdup(cf->domains[i].keys[j].selector);
			u->key = p11_uri_key_label(cf->domains[i].keys[j].key);
			if (u->domain == NULL || u->selector == NULL || u->key == NULL) {
				free(u->domain);
				free(u->selector);
				free(u->key);
				continue; /* a URI without object=: it names no label */
			}
			ctx->nuses++;
		}
	}
	return 0;
}

/* Copies S into the context's own storage, so the conf can be freed. */
static const char *
kt_conf_keep(struct kt_ctx *ctx, const char *s, int slot)
{
	free(ctx->conf_strings[slot]);
	ctx->conf_strings[slot] = s != NULL ? strdup(s) : NULL;
	return ctx->conf_strings[slot];
}

int
kt_conf_load(struct kt_ctx *ctx)
{
	struct conf_error cerr;
	struct conf *cf;
	char buf[1024];

	memset(&cerr, 0, sizeof(cerr));
	cf = conf_load(ctx->conf_path, &cerr);
	if (cf == NULL) {
		kt_errx(ctx, "%s", conf_error_format(&cerr, buf, sizeof(buf)));
		return -1;
	}
	ctx->conf_loaded = true;
	if (ctx->topts.module == NULL)
		ctx->topts.module = kt_conf_keep(ctx, cf->tokens[0].module, 0);
	/* A label or a pkcs11: URI: pkcs11/ understands both. */
	if (ctx->topts.token == NULL)
		ctx->topts.token = kt_conf_keep(ctx, cf->tokens[0].token, 1);
	ctx->topts.allow_extractable = cf->tokens[0].allow_extractable;
	if (ctx->topts.pin_file == NULL && ctx->topts.pin_env == NULL) {
		ctx->topts.pin_file = kt_conf_keep(ctx, cf->tokens[0].pin_file, 2);
		ctx->topts.pin_env = kt_conf_keep(ctx, cf->tokens[0].pin_env, 3);
	}
	if (kt_conf_uses(ctx, cf) != 0) {
		kt_errx(ctx, "out of memory");
		conf_free(cf);
		return -1;
	}
	conf_free(cf);
	return 0;
}

void
kt_conf_free(struct kt_ctx *ctx)
{
	size_t i;

	for (i = 0; i < ctx->nuses; i++) {
		free(ctx->uses[i].domain);
		free(ctx->uses[i].selector);
		free(ctx->uses[i].key);
	}
	free(ctx->uses);
	ctx->uses = NULL;
	ctx->nuses = 0;
	for (i = 0; i < sizeof(ctx->conf_strings) / sizeof(ctx->conf_strings[0]); i++) {
		free(ctx->conf_strings[i]);
		ctx->conf_strings[i] = NULL;
	}
}
