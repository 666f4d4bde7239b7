/*
 * keytool_cmd_keys: the subcommands that make and destroy key objects: generate,
 * import (one PEM file, into every token of the run) and delete (from every token
 * of the run). Each change is recorded (keytool_record.h).
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/pem.h>

#include "tools/keytool/keytool.h"
#include "tools/keytool/keytool_record.h"

struct kt_label_type {
	const char *label;
	const char *type;
	const char *pem;
	int yes;
	int wrappable;
};

static int
kt_label_type_opt(int c, const char *arg, void *a)
{
	struct kt_label_type *lt = a;

	switch (c) {
	case 'l':
		lt->label = arg;
		return 0;
	case 't':
		lt->type = arg;
		return 0;
	case 'p':
		lt->pem = arg;
		return 0;
	case 'y':
		lt->yes = 1;
		return 0;
	case 'w':
		lt->wrappable = 1;
		return 0;
	}
	return -1;
}

/* A --type: rsa2048, rsa3072, rsa4096 or ed25519. */
static bool
kt_key_type(const char *s, enum p11_key_type *type, unsigned *bits)
{
	static const struct {
		const char *name;
		enum p11_key_type type;
		unsigned bits;
	} types[] = {{"rsa2048", P11_KEY_RSA, 2048},
	             {"rsa3072", P11_KEY_RSA, 3072},
	             {"rsa4096", P11_KEY_RSA, 4096},
	             {"ed25519", P11_KEY_ED25519, 256}};

	for (size_t i = 0; s != NULL && i < sizeof(types) / sizeof(types[0]); i++)
		if (strcmp(s, types[i].name) == 0) {
			*type = types[i].type;
			*bits = types[i].bits;
			return true;
		}
	return false;
}

/* The one token generate works on: a new key cannot be made identical on two tokens. */
static p11_token *
kt_one_token(struct kt_ctx *ctx, const char *what)
{
	if (kt_ctx_targets(ctx) != 0)
		return NULL;
	if (ctx->ntargets > 1) {
		kt_errx(
		    ctx,
		    "%s works on one token, and this run names %zu: pick one with --token, then "
		    "copy the key with replicate (generate --wrappable) or use import, which "
		    "takes several",
		    what, ctx->ntargets);
		return NULL;
	}
	return kt_ctx_token(ctx);
}

int
kt_cmd_generate(struct kt_ctx *ctx, int argc, char **argv)
{
	static const struct option lo[] = {KT_COMMON_LONGOPTS,
	                                   KT_RECORD_LONGOPTS,
	                                   {"label", required_argument, NULL, 'l'},
	                                   {"type", required_argument, NULL, 't'},
	                                   {"wrappable", no_argument, NULL, 'w'},
	                                   {NULL, 0, NULL, 0}};
	static const char help[] =
	    "usage: p11dkim-keytool generate --label LABEL --type rsa2048|rsa3072|rsa4096|ed25519\n"
	    "                                [--wrappable]\n"
	    "Generates a key pair on the token: private key sensitive, not extractable, sign "
	    "only;\n"
	    "CKA_LABEL and a random CKA_ID set at creation. Refuses a label already in use.\n"
	    "--wrappable: extractable only wrapped under a trusted wrap key "
	    "(CKA_WRAP_WITH_TRUSTED),\n"
	    "so that `replicate` can copy it to the other tokens of a set; still "
	    "sensitive.\n" KT_RECORD_HELP;
	struct kt_label_type lt = {NULL, NULL, NULL, 0, 0};
	struct p11_error err;
	enum p11_key_type type;
	unsigned bits;
	p11_token *tok;
	p11_status st;
	int r;

	if ((r = kt_opts(ctx, argc, argv, lo, help, kt_label_type_opt, &lt)) >= 0)
		return KT_OPTS_DONE(r);
	if (lt.label == NULL || !kt_key_type(lt.type, &type, &bits)) {
		kt_errx(ctx,
		        "generate needs --label and --type (rsa2048, rsa3072, rsa4096 or ed25519)");
		return KT_EXIT_USAGE;
	}
	if ((tok = kt_one_token(ctx, "generate")) == NULL)
		return KT_EXIT_TOKEN;
	if ((r = kt_ctx_record_ready(ctx)) != KT_EXIT_OK)
		return r;
	st = lt.wrappable ? p11_key_generate_wrappable(tok, lt.label, type, bits, &err)
	                  : p11_key_generate(tok, lt.label, type, bits, &err);
	if (st != P11_OK) {
		kt_errx(ctx, "cannot generate %s key \"%s\": %s", lt.type, lt.label, err.msg);
		return KT_EXIT_TOKEN;
	}
	printf("generated %s%s key \"%s\" on token \"%s\"\n", lt.wrappable ? "wrappable " : "",
	       lt.type, lt.label, p11_token_label(tok));
	return kt_ctx_record_key(ctx, tok, "generate", lt.label, NULL);
}

/* Reads a PEM private key file; NULL after printing why. */
static EVP_PKEY *
kt_read_pem(struct kt_ctx *ctx, const char *path)
{
	EVP_PKEY *pk;
	FILE *f;

	f = fopen(path, "r");
	if (f == NULL) {
		kt_errx(ctx, "cannot open %s: %s", path, strerror(errno));
		return NULL;
	}
	/* Reads PKCS#1 ("RSA PRIVATE KEY", as opendkim-genkey writes) and PKCS#8 alike. */
	pk = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	fclose(f);
	if (pk == NULL) {
		kt_errx(ctx, "%s holds no PEM private key (unencrypted PKCS#1 or PKCS#8 expected)",
		        path);
		ERR_clear_error();
	}
	return pk;
}

/* Before changing a set: a label some token has already would leave the tokens different. */
static int
kt_label_free(struct kt_ctx *ctx, size_t i, const char *label)
{
	struct p11_error err;
	EVP_PKEY *pk = NULL;

	if (p11_token_public_key(ctx->targets[i].tok, label, &pk, &err) != P11_OK)
		return 0; /* p11_key_import refuses any other object of that label itself */
	EVP_PKEY_free(pk);
	kt_errx(ctx, "token \"%s\": a key labelled \"%s\" exists already; nothing imported",
	        p11_token_label(ctx->targets[i].tok), label);
	return -1;
}

int
kt_import_pem_file(struct kt_ctx *ctx, const char *label, const char *path, FILE *msg)
{
	struct p11_error err;
	p11_token *tok;
	EVP_PKEY *pk;
	int rc = KT_EXIT_OK, r;

	/* Every token first: a set is changed only when all of it can be reached. */
	if (kt_ctx_targets(ctx) != 0)
		return KT_EXIT_TOKEN;
	for (size_t i = 0; i < ctx->ntargets; i++)
		if (kt_ctx_target_token(ctx, i) == NULL || kt_label_free(ctx, i, label) != 0)
			return KT_EXIT_TOKEN;
	if ((r = kt_ctx_record_ready(ctx)) != KT_EXIT_OK)
		return r;
	if ((pk = kt_read_pem(ctx, path)) == NULL)
		return KT_EXIT_TOKEN;
	for (size_t i = 0; i < ctx->ntargets; i++) {
		tok = ctx->targets[i].tok;
		if (p11_key_import(tok, label, pk, &err) != P11_OK) {
			kt_errx(ctx, "cannot import %s as \"%s\": %s", path, label, err.msg);
			rc = KT_EXIT_TOKEN;
			continue;
		}
		fprintf(msg, "imported %s (%s, %d bits) as \"%s\" on token \"%s\"\n", path,
		        EVP_PKEY_get_base_id(pk) == EVP_PKEY_ED25519 ? "ed25519" : "rsa",
		        EVP_PKEY_get_bits(pk), label, p11_token_label(tok));
		if ((r = kt_ctx_record_key(ctx, tok, "import", label, path)) != KT_EXIT_OK)
			rc = r;
	}
	if (EVP_PKEY_get_base_id(pk) == EVP_PKEY_RSA && EVP_PKEY_get_bits(pk) < 2048)
		fprintf(stderr,
		        "%s: warning: \"%s\": RSA keys under 2048 bits are weak (RFC 8301); plan a "
		        "new key\n",
		        ctx->prog, label);
	EVP_PKEY_free(pk); /* frees and wipes OpenSSL's copy of the key */
	return rc;
}

int
kt_cmd_import(struct kt_ctx *ctx, int argc, char **argv)
{
	static const struct option lo[] = {KT_COMMON_LONGOPTS,
	                                   KT_RECORD_LONGOPTS,
	                                   {"label", required_argument, NULL, 'l'},
	                                   {"pem", required_argument, NULL, 'p'},
	                                   {NULL, 0, NULL, 0}};
	static const char help[] =
	    "usage: p11dkim-keytool import --label LABEL --pem FILE\n"
	    "Moves a PEM private key (PKCS#1 as opendkim-genkey writes it, or PKCS#8; RSA or\n"
	    "Ed25519) into the token as a sensitive, non-extractable key plus its public key;\n"
	    "into every token at once with --token repeated (or every token of -c FILE).\n"
	    "The file is left alone: destroy it yourself afterwards (shred -u "
	    "FILE).\n" KT_RECORD_HELP;
	struct kt_label_type lt = {NULL, NULL, NULL, 0, 0};
	int r;

	if ((r = kt_opts(ctx, argc, argv, lo, help, kt_label_type_opt, &lt)) >= 0)
		return KT_OPTS_DONE(r);
	if (lt.label == NULL || lt.pem == NULL) {
		kt_errx(ctx, "import needs --label and --pem");
		return KT_EXIT_USAGE;
	}
	r = kt_import_pem_file(ctx, lt.label, lt.pem, stdout);
	if (r == KT_EXIT_OK)
		printf("the key now lives on the token: destroy %s and its backups (e.g. shred -u "
		       "%s)\n",
		       lt.pem, lt.pem);
	return r;
}

/* Deletes LABEL from one token, recorded with what it was. */
static int
kt_delete_one(struct kt_ctx *ctx, p11_token *tok, const char *label)
{
	struct kt_record rec;
	struct p11_error err;
	char why[512];
	unsigned n = 0;
	int rc;

	/* Described before it is gone: the record says which key was destroyed. */
	if (kt_record_describe(&rec, tok, "delete", label, why, sizeof(why)) != 0)
		kt_errx(ctx, "warning: the record of delete \"%s\" lacks the public key: %s", label,
		        why);
	if (p11_key_destroy(tok, label, &n, &err) != P11_OK) {
		kt_errx(ctx, "cannot delete \"%s\" (%u objects destroyed): %s", label, n, err.msg);
		rc = KT_EXIT_TOKEN;
		if (n > 0) /* half done is a change too */
			(void)kt_ctx_record(ctx, &rec);
	} else {
		printf("destroyed %u objects labelled \"%s\" on token \"%s\"\n", n, label,
		       p11_token_label(tok));
		rc = kt_ctx_record(ctx, &rec);
	}
	kt_record_clear(&rec);
	return rc;
}

int
kt_cmd_delete(struct kt_ctx *ctx, int argc, char **argv)
{
	static const struct option lo[] = {KT_COMMON_LONGOPTS,
	                                   KT_RECORD_LONGOPTS,
	                                   {"label", required_argument, NULL, 'l'},
	                                   {"yes", no_argument, NULL, 'y'},
	                                   {NULL, 0, NULL, 0}};
	static const char help[] =
	    "usage: p11dkim-keytool delete --label LABEL --yes\n"
	    "Destroys the private and public key objects labelled LABEL on every token of the\n"
	    "run. There is no undo: --yes is required.\n" KT_RECORD_HELP;
	struct kt_label_type lt = {NULL, NULL, NULL, 0, 0};
	int r, rc = KT_EXIT_OK;

	if ((r = kt_opts(ctx, argc, argv, lo, help, kt_label_type_opt, &lt)) >= 0)
		return KT_OPTS_DONE(r);
	if (lt.label == NULL || !lt.yes) {
		kt_errx(ctx, "delete needs --label and --yes (destroying a key cannot be undone)");
		return KT_EXIT_USAGE;
	}
	if (kt_ctx_targets(ctx) != 0)
		return KT_EXIT_TOKEN;
	for (size_t i = 0; i < ctx->ntargets; i++)
		if (kt_ctx_target_token(ctx, i) == NULL)
			return KT_EXIT_TOKEN;
	if ((r = kt_ctx_record_ready(ctx)) != KT_EXIT_OK)
		return r;
	for (size_t i = 0; i < ctx->ntargets; i++)
		if ((r = kt_delete_one(ctx, ctx->targets[i].tok, lt.label)) != KT_EXIT_OK)
			rc = r;
	return rc;
}
