/*
 * keytool_targets: which tokens one run of the keytool works on, and opening them. A pair (or
 * more) of tokens holding the same keys is named by --token repeated, or by the configuration's
 * tokens = ( ... ); commands that change keys act on every one (import) or on named ones
 * (replicate --from/--to), list and check compare them. See kt_ctx_targets() in keytool.h.
 */
#include "config.h"

#include <string.h>

#include "tools/keytool/keytool.h"

/* The command line's --module, --pin-file and --pin-env win over the file's. */
static void
kt_targets_override(const struct kt_ctx *ctx, struct p11_token_opts *o)
{
	if (ctx->topts.module != NULL)
		o->module = ctx->topts.module;
	if (ctx->topts.pin_file != NULL || ctx->topts.pin_env != NULL) {
		o->pin_file = ctx->topts.pin_file;
		o->pin_env = ctx->topts.pin_env;
	}
	o->sessions = ctx->topts.sessions != 0 ? ctx->topts.sessions : KT_SESSIONS;
	o->forget_pin = true;
}

static int
kt_targets_conf_index(const struct kt_ctx *ctx, const char *name)
{
	for (size_t i = 0; i < ctx->nconf_tokens; i++)
		if (strcmp(ctx->conf_tokens[i].token, name) == 0)
			return (int)i;
	return -1;
}

static void
kt_targets_add(struct kt_ctx *ctx, const struct p11_token_opts *from, const char *name)
{
	struct kt_target *t = &ctx->targets[ctx->ntargets++];

	memset(t, 0, sizeof(*t));
	if (from != NULL)
		t->o = *from;
	if (name != NULL)
		t->o.token = name;
	kt_targets_override(ctx, &t->o);
}

int
kt_ctx_targets(struct kt_ctx *ctx)
{
	const struct p11_token_opts *first;
	size_t i;

	if (ctx->targets_ready)
		return 0;
	if (ctx->conf_path != NULL && !ctx->conf_loaded && kt_conf_load(ctx) != 0)
		return -1;
	first = ctx->nconf_tokens > 0 ? &ctx->conf_tokens[0] : NULL;
	ctx->ntargets = 0;
	if (ctx->ntok_names > 0) {
		for (i = 0; i < ctx->ntok_names; i++) {
			int c = kt_targets_conf_index(ctx, ctx->tok_names[i]);

			kt_targets_add(ctx, c >= 0 ? &ctx->conf_tokens[c] : first,
			               ctx->tok_names[i]);
		}
	} else if (ctx->nconf_tokens > 0) {
		for (i = 0; i < ctx->nconf_tokens; i++)
			kt_targets_add(ctx, &ctx->conf_tokens[i], NULL);
	} else
		kt_targets_add(ctx, &ctx->topts, NULL);
	for (i = 0; i < ctx->ntargets; i++) {
		const struct p11_token_opts *o = &ctx->targets[i].o;

		if (o->module == NULL || o->token == NULL ||
		    (o->pin_file == NULL && o->pin_env == NULL)) {
			kt_errx(ctx,
			        "no token given: use -c FILE, or --module, --token and --pin-file "
			        "(or --pin-env)");
			return -1;
		}
	}
	ctx->targets_ready = true;
	return 0;
}

int
kt_ctx_target_find(struct kt_ctx *ctx, const char *name)
{
	for (size_t i = 0; i < ctx->ntargets; i++)
		if (strcmp(ctx->targets[i].o.token, name) == 0)
			return (int)i;
	return -1;
}

p11_token *
kt_ctx_target_token(struct kt_ctx *ctx, size_t i)
{
	struct p11_error err;
	struct kt_target *t;

	if (kt_ctx_targets(ctx) != 0 || i >= ctx->ntargets)
		return NULL;
	t = &ctx->targets[i];
	if (t->tok != NULL)
		return t->tok;
	t->tok = p11_token_open(&t->o, &err);
	if (t->tok == NULL)
		kt_errx(ctx, "%s", err.msg);
	if (i == 0)
		ctx->tok = t->tok;
	return t->tok;
}

p11_token *
kt_ctx_token(struct kt_ctx *ctx)
{
	return kt_ctx_target_token(ctx, 0);
}
