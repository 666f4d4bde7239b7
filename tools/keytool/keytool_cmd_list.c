/*
 * keytool_cmd_list: `list`, the private keys on every token of the run (with their
 * fingerprints on request), the configuration's uses of each, and, with several tokens, every
 * label whose keys differ between them.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pkcs11/p11_set.h" /* p11_token_serial */
#include "tools/keytool/keytool.h"
#include "tools/keytool/keytool_record.h"

struct kt_list {
	struct kt_ctx *ctx;
	p11_token *tok;
	bool fingerprints;
	char **labels; /* every label seen on any token, once */
	size_t nlabels;
	bool nomem;
};

const char *
kt_key_type_name(const struct p11_key_info *ki, char *buf, size_t len)
{
	if (ki->type_known && ki->type == P11_KEY_RSA)
		snprintf(buf, len, "rsa%u", ki->bits);
	else if (ki->type_known && ki->type == P11_KEY_ED25519)
		snprintf(buf, len, "ed25519");
	else
		snprintf(buf, len, "other");
	return buf;
}

static void
kt_list_remember(struct kt_list *l, const char *label)
{
	char **nl;

	for (size_t i = 0; i < l->nlabels; i++)
		if (strcmp(l->labels[i], label) == 0)
			return;
	if ((nl = reallocarray(l->labels, l->nlabels + 1, sizeof(*nl))) == NULL ||
	    (nl[l->nlabels] = strdup(label)) == NULL) {
		if (nl != NULL)
			l->labels = nl;
		l->nomem = true;
		return;
	}
	l->labels = nl;
	l->nlabels++;
}

/* " fingerprint=SHA256:..." of the key labelled so, or "-" when it cannot be read. */
static void
kt_list_fingerprint(p11_token *tok, const char *label)
{
	char fp[P11_FINGERPRINT_SIZE];
	struct p11_error err;
	EVP_PKEY *pk = NULL;

	if (*label == '\0' || p11_token_public_key(tok, label, &pk, &err) != P11_OK ||
	    p11_pubkey_fingerprint(pk, fp) != P11_OK)
		snprintf(fp, sizeof(fp), "-");
	EVP_PKEY_free(pk);
	printf(" fingerprint=%s", fp);
}

static int
kt_list_one(const struct p11_key_info *ki, void *arg)
{
	struct kt_list *l = arg;
	struct kt_ctx *ctx = l->ctx;
	char id[2 * 64 + 1], type[32];
	size_t i;
	int used = 0;

	kt_record_hex(ki->id, ki->id_len, id, sizeof(id));
	printf("%-32s id=%s type=%s sensitive=%s extractable=%s public=%s",
	       ki->label[0] ? ki->label : "(no label)", id[0] ? id : "-",
	       kt_key_type_name(ki, type, sizeof(type)), ki->sensitive ? "yes" : "no",
	       !ki->extractable        ? "no"
	       : ki->wrap_with_trusted ? "wrapped-only"
	                               : "yes",
	       ki->has_public ? "yes" : "no");
	if (l->fingerprints)
		kt_list_fingerprint(l->tok, ki->label);
	for (i = 0; i < ctx->nuses; i++) {
		if (strcmp(ctx->uses[i].key, ki->label) != 0)
			continue;
		printf("%s%s:%s", used ? "," : " used-by=", ctx->uses[i].domain,
		       ctx->uses[i].selector);
		ctx->uses[i].seen = true;
		used = 1;
	}
	if (ctx->conf_loaded && !used)
		printf(" used-by=-");
	printf("\n");
	if (ki->label[0])
		kt_list_remember(l, ki->label);
	return 0;
}

static int
kt_list_opt(int c, const char *arg, void *a)
{
	(void)arg;
	if (c != 'f')
		return -1;
	((struct kt_list *)a)->fingerprints = true;
	return 0;
}

/* With several tokens: each label's keys compared across them. */
static int
kt_list_compare(struct kt_ctx *ctx, struct kt_list *l)
{
	int rc = KT_EXIT_OK;

	for (size_t i = 0; i < l->nlabels; i++) {
		int r = kt_set_compare_label(ctx, l->labels[i], stdout, NULL);

		if (r == KT_SET_DIFFER)
			rc = KT_EXIT_FAIL;
		else if (r == KT_SET_ERROR)
			return KT_EXIT_TOKEN;
	}
	return rc;
}

int
kt_cmd_list(struct kt_ctx *ctx, int argc, char **argv)
{
	static const struct option lo[] = {
	    KT_COMMON_LONGOPTS, {"fingerprints", no_argument, NULL, 'f'}, {NULL, 0, NULL, 0}};
	static const char help[] =
	    "usage: p11dkim-keytool list [--fingerprints] [-c FILE | token options]\n"
	    "Lists the private keys on every token of the run (--token repeated, or every token\n"
	    "of the configuration), one line each: label, id (hex), type and size,\n"
	    "sensitive/extractable (wrapped-only: only under a trusted wrap key), whether a "
	    "public\n"
	    "key object exists, with --fingerprints the SHA-256 of the public key\n"
	    "(SHA256:hex of the DER SubjectPublicKeyInfo, as ceremony records show it) and, with "
	    "-c,\n"
	    "the domain:selector pairs of the configuration that use the key. With several\n"
	    "tokens, each one's keys follow a token= line, and a label whose public keys differ\n"
	    "between tokens is flagged MISMATCH (exit 1); one missing on a token is flagged\n"
	    "missing.\n";
	struct kt_list l = {.ctx = ctx};
	struct p11_error err;
	p11_token *tok;
	size_t i;
	int r, rc = KT_EXIT_OK;

	if ((r = kt_opts(ctx, argc, argv, lo, help, kt_list_opt, &l)) >= 0)
		return KT_OPTS_DONE(r);
	if (kt_ctx_targets(ctx) != 0)
		return KT_EXIT_TOKEN;
	for (i = 0; i < ctx->ntargets && rc == KT_EXIT_OK; i++) {
		if ((tok = l.tok = kt_ctx_target_token(ctx, i)) == NULL)
			rc = KT_EXIT_TOKEN;
		else if (ctx->ntargets > 1)
			printf("token=%s serial=%s\n", p11_token_label(tok), p11_token_serial(tok));
		if (tok != NULL && p11_token_list_keys(tok, kt_list_one, &l, &err) != P11_OK) {
			kt_errx(ctx, "%s", err.msg);
			rc = KT_EXIT_TOKEN;
		}
	}
	if (rc == KT_EXIT_OK && l.nomem) {
		kt_errx(ctx, "out of memory");
		rc = KT_EXIT_TOKEN;
	}
	if (rc == KT_EXIT_OK && ctx->ntargets > 1)
		rc = kt_list_compare(ctx, &l);
	/* The daemon would refuse to start over these: say so now. */
	for (i = 0; i < ctx->nuses && ctx->ntargets > 0 && ctx->tok != NULL; i++)
		if (!ctx->uses[i].seen)
			kt_errx(ctx, "warning: %s:%s uses key \"%s\", which is not on token \"%s\"",
			        ctx->uses[i].domain, ctx->uses[i].selector, ctx->uses[i].key,
			        p11_token_label(ctx->tok));
	for (i = 0; i < l.nlabels; i++)
		free(l.labels[i]);
	free(l.labels);
	return rc;
}
