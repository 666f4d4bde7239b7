/*
 * keytool_cmd_pair: the commands for a set of tokens holding the same keys. `wrapkey` puts one
 * AES wrap key, generated here in memory and never written anywhere, on every token of the
 * run, as each token's security officer; `replicate` copies a key generated --wrappable from one
 * token to another under that wrap key, so that it leaves hardware only encrypted. Why this way,
 * and what other tokens do instead: contrib/KEY-CEREMONY.md.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "pkcs11/p11_set.h" /* p11_token_serial */
#include "tools/keytool/keytool.h"
#include "tools/keytool/keytool_record.h"

#define KT_WRAP_DEFAULT "p11dkim-wrap"

struct kt_pair_opts {
	const char *label;
	const char *wrap_label;
	const char *from, *to;
	const char *so_pin[KT_MAX_TOKENS];
	size_t nso_pin;
};

static int
kt_pair_opt(int c, const char *arg, void *a)
{
	struct kt_pair_opts *o = a;

	switch (c) {
	case 'l':
		o->label = arg;
		return 0;
	case 'w':
		o->wrap_label = arg;
		return 0;
	case 'f':
		o->from = arg;
		return 0;
	case 't':
		o->to = arg;
		return 0;
	case 's':
		if (o->nso_pin == KT_MAX_TOKENS)
			return -1;
		o->so_pin[o->nso_pin++] = arg;
		return 0;
	}
	return -1;
}

/* One token's wrap key, and its record. */
static int
kt_wrapkey_one(struct kt_ctx *ctx, const struct p11_token_opts *o, const char *label,
               const unsigned char *id, const unsigned char *value)
{
	struct p11_token_names where;
	struct kt_record r;
	struct p11_error err;

	if (p11_wrapkey_create(o, label, id, P11_ADMIN_ID_BYTES, value, &where, &err) != P11_OK) {
		kt_errx(ctx, "cannot create wrap key \"%s\": %s", label, err.msg);
		return KT_EXIT_TOKEN;
	}
	printf("created wrap key \"%s\" (AES-256, trusted) on token \"%s\"\n", label, where.label);
	memset(&r, 0, sizeof(r));
	r.action = "wrapkey";
	memcpy(r.token, where.label, sizeof(r.token));
	memcpy(r.token_serial, where.serial, sizeof(r.token_serial));
	r.key = label;
	kt_record_hex(id, P11_ADMIN_ID_BYTES, r.key_id, sizeof(r.key_id));
	r.algorithm = "aes";
	r.bits = 8 * P11_WRAPKEY_LEN;
	return kt_ctx_record(ctx, &r);
}

int
kt_cmd_wrapkey(struct kt_ctx *ctx, int argc, char **argv)
{
	static const struct option lo[] = {KT_COMMON_LONGOPTS,
	                                   KT_RECORD_LONGOPTS,
	                                   {"label", required_argument, NULL, 'l'},
	                                   {"so-pin-file", required_argument, NULL, 's'},
	                                   {NULL, 0, NULL, 0}};
	static const char help[] =
	    "usage: p11dkim-keytool wrapkey [--label LABEL] --so-pin-file FILE [--so-pin-file "
	    "FILE]...\n"
	    "                               (--token T --token T... | -c FILE)\n"
	    "Generates one AES-256 wrap key in memory and creates it on every token of the run,\n"
	    "logged in as each token's security officer (one --so-pin-file for all, or one per\n"
	    "token in order): CKA_TRUSTED, wrap and unwrap only, sensitive, never extractable, "
	    "and\n"
	    "every key unwrapped under it sensitive and wrapped-only. The value is wiped after;\n"
	    "it is never written. LABEL defaults to " KT_WRAP_DEFAULT
	    ". The user PIN is not used.\n" KT_RECORD_HELP;
	struct kt_pair_opts o;
	unsigned char value[P11_WRAPKEY_LEN], id[P11_ADMIN_ID_BYTES];
	int r, rc = KT_EXIT_OK;

	memset(&o, 0, sizeof(o));
	if ((r = kt_opts(ctx, argc, argv, lo, help, kt_pair_opt, &o)) >= 0)
		return KT_OPTS_DONE(r);
	if (o.label == NULL)
		o.label = KT_WRAP_DEFAULT;
	if (o.nso_pin == 0) {
		kt_errx(ctx,
		        "wrapkey needs --so-pin-file: only the security officer may mark a key "
		        "trusted");
		return KT_EXIT_USAGE;
	}
	/* The SO PIN stands in for the user PIN the token options would otherwise need. */
	if (ctx->topts.pin_file == NULL && ctx->topts.pin_env == NULL)
		ctx->topts.pin_file = o.so_pin[0];
	if (kt_ctx_targets(ctx) != 0)
		return KT_EXIT_TOKEN;
	if (o.nso_pin != 1 && o.nso_pin != ctx->ntargets) {
		kt_errx(ctx, "%zu --so-pin-file for %zu tokens: give one, or one per token",
		        o.nso_pin, ctx->ntargets);
		return KT_EXIT_USAGE;
	}
	if ((r = kt_ctx_record_ready(ctx)) != KT_EXIT_OK)
		return r;
	if (RAND_priv_bytes(value, sizeof(value)) != 1 || RAND_bytes(id, sizeof(id)) != 1) {
		kt_errx(ctx, "no random bytes for the wrap key");
		return KT_EXIT_TOKEN;
	}
	for (size_t i = 0; i < ctx->ntargets && rc == KT_EXIT_OK; i++) {
		struct p11_token_opts t = ctx->targets[i].o;

		t.pin_file = o.so_pin[o.nso_pin == 1 ? 0 : i];
		t.pin_env = NULL;
		rc = kt_wrapkey_one(ctx, &t, o.label, id, value);
		if (rc != KT_EXIT_OK && i > 0)
			kt_errx(ctx,
			        "the first %zu token(s) hold wrap key \"%s\" now; remove it there "
			        "(contrib/KEY-CEREMONY.md) or run again with another label",
			        i, o.label);
	}
	OPENSSL_cleanse(value, sizeof(value));
	return rc;
}

/* The indexes of the --from and --to tokens among the run's; -1 after printing why. */
static int
kt_replicate_tokens(struct kt_ctx *ctx, const struct kt_pair_opts *o, p11_token **from,
                    p11_token **to)
{
	int f, t;

	if (ctx->ntok_names == 0) { /* --from and --to name the run's tokens */
		ctx->tok_names[ctx->ntok_names++] = o->from;
		ctx->tok_names[ctx->ntok_names++] = o->to;
	}
	if (kt_ctx_targets(ctx) != 0)
		return -1;
	f = kt_ctx_target_find(ctx, o->from);
	t = kt_ctx_target_find(ctx, o->to);
	if (f < 0 || t < 0 || f == t) {
		kt_errx(ctx, "--from \"%s\" and --to \"%s\" must name two tokens of the run",
		        o->from, o->to);
		return -1;
	}
	if ((*from = kt_ctx_target_token(ctx, (size_t)f)) == NULL ||
	    (*to = kt_ctx_target_token(ctx, (size_t)t)) == NULL)
		return -1;
	return 0;
}

/* After the copy: the same public key on both, and the daemon's key check passes on the copy. */
static int
kt_replicate_verify(struct kt_ctx *ctx, p11_token *from, p11_token *to, const char *label)
{
	EVP_PKEY *a = NULL, *b = NULL;
	struct p11_error err;
	p11_key *k;
	int same;

	if (p11_token_public_key(from, label, &a, &err) != P11_OK ||
	    p11_token_public_key(to, label, &b, &err) != P11_OK) {
		EVP_PKEY_free(a);
		kt_errx(ctx, "copied \"%s\" but cannot read it back: %s", label, err.msg);
		return KT_EXIT_TOKEN;
	}
	same = EVP_PKEY_eq(a, b) == 1;
	EVP_PKEY_free(a);
	EVP_PKEY_free(b);
	if (!same) {
		kt_errx(ctx, "the copy of \"%s\" on token \"%s\" has another public key", label,
		        p11_token_label(to));
		return KT_EXIT_TOKEN;
	}
	if ((k = p11_token_find_key(to, label, &err)) == NULL) {
		kt_errx(ctx, "the copy of \"%s\" is unfit to sign: %s", label, err.msg);
		return KT_EXIT_TOKEN;
	}
	printf("copied \"%s\" from token \"%s\" to token \"%s\": same public key, %s\n", label,
	       p11_token_label(from), p11_token_label(to),
	       p11_key_wrap_only(k) ? "sensitive and wrapped-only" : "sensitive");
	return KT_EXIT_OK;
}

int
kt_cmd_replicate(struct kt_ctx *ctx, int argc, char **argv)
{
	static const struct option lo[] = {KT_COMMON_LONGOPTS,
	                                   KT_RECORD_LONGOPTS,
	                                   {"label", required_argument, NULL, 'l'},
	                                   {"from", required_argument, NULL, 'f'},
	                                   {"to", required_argument, NULL, 't'},
	                                   {"wrap-key", required_argument, NULL, 'w'},
	                                   {NULL, 0, NULL, 0}};
	static const char help[] =
	    "usage: p11dkim-keytool replicate --label LABEL --from TOKEN --to TOKEN\n"
	    "                                 [--wrap-key LABEL]\n"
	    "Copies the key LABEL (generated --wrappable) from one token to the other: wrapped\n"
	    "(C_WrapKey, CKM_AES_KEY_WRAP_PAD) under the wrap key on the first token, unwrapped\n"
	    "under the wrap key of the same label on the second (see wrapkey; "
	    "default\n" KT_WRAP_DEFAULT
	    "). The copy keeps label and CKA_ID and is sensitive and wrapped-only\n"
	    "too. TOKEN is a token label or URI (with --module and --pin-file) or the token of a\n"
	    "configured tokens entry (-c FILE).\n" KT_RECORD_HELP;
	struct kt_pair_opts o;
	struct p11_error err;
	struct kt_record r;
	p11_token *from, *to;
	char why[512];
	int rc;

	memset(&o, 0, sizeof(o));
	if ((rc = kt_opts(ctx, argc, argv, lo, help, kt_pair_opt, &o)) >= 0)
		return KT_OPTS_DONE(rc);
	if (o.label == NULL || o.from == NULL || o.to == NULL) {
		kt_errx(ctx, "replicate needs --label, --from and --to");
		return KT_EXIT_USAGE;
	}
	if (o.wrap_label == NULL)
		o.wrap_label = KT_WRAP_DEFAULT;
	if (kt_replicate_tokens(ctx, &o, &from, &to) != 0)
		return KT_EXIT_TOKEN;
	if ((rc = kt_ctx_record_ready(ctx)) != KT_EXIT_OK)
		return rc;
	if (p11_key_replicate(from, to, o.label, o.wrap_label, &err) != P11_OK) {
		kt_errx(ctx, "cannot copy \"%s\" from token \"%s\" to token \"%s\": %s", o.label,
		        p11_token_label(from), p11_token_label(to), err.msg);
		return KT_EXIT_TOKEN;
	}
	rc = kt_replicate_verify(ctx, from, to, o.label);
	if (kt_record_describe(&r, to, "replicate", o.label, why, sizeof(why)) != 0)
		kt_errx(ctx, "warning: the record of replicate \"%s\" lacks the public key: %s",
		        o.label, why);
	r.from_token = p11_token_label(from);
	r.from_serial = p11_token_serial(from);
	r.wrap_key = o.wrap_label;
	if (kt_ctx_record(ctx, &r) != KT_EXIT_OK)
		rc = KT_EXIT_TOKEN;
	kt_record_clear(&r);
	return rc;
}
