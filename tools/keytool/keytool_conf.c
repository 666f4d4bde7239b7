/*
 * keytool_conf: the keytool's view of the daemon's configuration file
 * (config/conf.h): every token of the file (token { } or tokens = ( ... )),
 * and which domains and selectors use which key (for `list`). Which of them
 * a run works on, and how the command line's options override them, is
 * keytool_targets.c's business.
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

/* The file's tokens, copied, so that the configuration can be freed. */
static int
kt_conf_tokens(struct kt_ctx *ctx, const struct conf *cf)
{
	if (cf->ntokens > KT_MAX_TOKENS) {
		kt_errx(ctx, "%s lists %zu tokens; the keytool handles at most %d", ctx->conf_path,
		        cf->ntokens, KT_MAX_TOKENS);
		return -1;
	}
	for (size_t i = 0; i < cf->ntokens; i++) {
		const struct conf_token *t = &cf->tokens[i];
		struct p11_token_opts *o = &ctx->conf_tokens[ctx->nconf_tokens++];

		o->module = strdup(t->module);
		o->token = strdup(t->token); /* a label or a pkcs11: URI: pkcs11/ takes both */
		o->pin_file = t->pin_file != NULL ? strdup(t->pin_file) : NULL;
		o->pin_env = t->pin_env != NULL ? strdup(t->pin_env) : NULL;
		o->allow_extractable = t->allow_extractable;
		if (o->module == NULL || o->token == NULL ||
		    (t->pin_file != NULL && o->pin_file == NULL) ||
		    (t->pin_env != NULL && o->pin_env == NULL)) {
			kt_errx(ctx, "out of memory");
			return -1;
		}
	}
	return 0;
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
	if (kt_conf_tokens(ctx, cf) != 0) {
		conf_free(cf);
		return -1;
	}
	if (kt_conf_uses(ctx, cf) != 0 ||
	    (cf->keytool_record != NULL &&
	     (ctx->conf_record = strdup(cf->keytool_record)) == NULL)) {
		kt_errx(ctx, "out of memory");
		conf_free(cf);
		return -1;
	}
	if (ctx->record_path == NULL) /* --record wins */
		ctx->record_path = ctx->conf_record;
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
	for (i = 0; i < ctx->nconf_tokens; i++) {
		struct p11_token_opts *o = &ctx->conf_tokens[i];

		free((char *)o->module);
		free((char *)o->token);
		free((char *)o->pin_file);
		free((char *)o->pin_env);
		memset(o, 0, sizeof(*o));
	}
	ctx->nconf_tokens = 0;
	free(ctx->conf_record);
	ctx->conf_record = NULL;
}
