/*
 * keytool_cmd_keys: the subcommands that manage key objects: list, generate,
 * import (one PEM file) and delete.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/pem.h>

#include "tools/keytool.h"
#include "tools/keytool_keys.h"

static void
kt_hex(const unsigned char *v, size_t n, char *out, size_t outlen)
{
	size_t i;

	out[0] = '\0';
	for (i = 0; i < n && 2 * i + 2 < outlen; i++)
		snprintf(out + 2 * i, 3, "%02x", v[i]);
}

static int
kt_list_one(const struct kt_keyinfo *ki, void *arg)
{
	struct kt_ctx *ctx = arg;
	char id[2 * sizeof(ki->id) + 1], type[32];
	size_t i;
	int used = 0;

	kt_hex(ki->id, ki->idlen, id, sizeof(id));
	if (ki->type == KT_KEY_RSA)
		snprintf(type, sizeof(type), "rsa%u", ki->bits);
	else if (ki->type == KT_KEY_ED25519)
		snprintf(type, sizeof(type), "ed25519");
	else
		snprintf(type, sizeof(type), "other");
	printf("%-32s id=%s type=%s sensitive=%s extractable=%s public=%s",
	       ki->label[0] ? ki->label : "(no label)", ki->idlen ? id : "-", type,
	       ki->sensitive ? "yes" : "no", ki->extractable ? "yes" : "no",
	       ki->has_public ? "yes" : "no");
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
	return 0;
}

int
kt_cmd_list(struct kt_ctx *ctx, int argc, char **argv)
{
	static const struct option lo[] = {KT_COMMON_LONGOPTS, {NULL, 0, NULL, 0}};
	static const char help[] =
	    "usage: p11dkim-keytool list [-c FILE | token options]\n"
	    "Lists the private keys on the token, one line each: label, id (hex), type and size,\n"
	    "sensitive/extractable, whether a public key object exists and, with -c, the\n"
	    "domain:selector pairs of the configuration that use the key.\n";
	struct kt_error err = {0, ""};
	struct kt_token *tok;
	size_t i;
	int r;

	if ((r = kt_opts(ctx, argc, argv, lo, help, NULL, NULL)) >= 0)
		return KT_OPTS_DONE(r);
	if ((tok = kt_ctx_token(ctx)) == NULL)
		return KT_EXIT_TOKEN;
	if (kt_key_list(tok, kt_list_one, ctx, &err) != 0) {
		kt_errx(ctx, "%s", err.msg);
		return KT_EXIT_TOKEN;
	}
	/* The daemon would refuse to start over these: say so now. */
	for (i = 0; i < ctx->nuses; i++)
		if (!ctx->uses[i].seen)
			kt_errx(ctx, "warning: %s:%s uses key \"%s\", which is not on token \"%s\"",
			        ctx->uses[i].domain, ctx->uses[i].selector, ctx->uses[i].key,
			        kt_token_label(tok));
	return KT_EXIT_OK;
}

struct kt_label_type {
	const char *label;
	const char *type;
	const char *pem;
	int yes;
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
	}
	return -1;
}

int
kt_cmd_generate(struct kt_ctx *ctx, int argc, char **argv)
{
	static const struct option lo[] = {KT_COMMON_LONGOPTS,
	                                   {"label", required_argument, NULL, 'l'},
	                                   {"type", required_argument, NULL, 't'},
	                                   {NULL, 0, NULL, 0}};
	static const char help[] =
	    "usage: p11dkim-keytool generate --label LABEL --type rsa2048|rsa3072|rsa4096|ed25519\n"
	    "Generates a key pair on the token: private key sensitive, not extractable, sign "
	    "only;\n"
	    "CKA_LABEL and a random CKA_ID set at creation. Refuses a label already in use.\n";
	struct kt_label_type lt = {NULL, NULL, NULL, 0};
	struct kt_error err = {0, ""};
	struct kt_token *tok;
	int r;

	if ((r = kt_opts(ctx, argc, argv, lo, help, kt_label_type_opt, &lt)) >= 0)
		return KT_OPTS_DONE(r);
	if (lt.label == NULL || lt.type == NULL || !kt_key_type_valid(lt.type)) {
		kt_errx(ctx,
		        "generate needs --label and --type (rsa2048, rsa3072, rsa4096 or ed25519)");
		return KT_EXIT_USAGE;
	}
	if ((tok = kt_ctx_token(ctx)) == NULL)
		return KT_EXIT_TOKEN;
	if (kt_key_generate(tok, lt.label, lt.type, &err) != 0) {
		kt_errx(ctx, "cannot generate %s key \"%s\": %s", lt.type, lt.label, err.msg);
		return KT_EXIT_TOKEN;
	}
	printf("generated %s key \"%s\" on token \"%s\"\n", lt.type, lt.label, kt_token_label(tok));
	return KT_EXIT_OK;
}

int
kt_import_pem_file(struct kt_ctx *ctx, const char *label, const char *path, FILE *msg)
{
	struct kt_error err = {0, ""};
	struct kt_token *tok;
	EVP_PKEY *pk;
	FILE *f;

	if ((tok = kt_ctx_token(ctx)) == NULL)
		return KT_EXIT_TOKEN;
	f = fopen(path, "r");
	if (f == NULL) {
		kt_errx(ctx, "cannot open %s: %s", path, strerror(errno));
		return KT_EXIT_TOKEN;
	}
	/* Reads PKCS#1 ("RSA PRIVATE KEY", as opendkim-genkey writes) and PKCS#8 alike. */
	pk = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	fclose(f);
	if (pk == NULL) {
		kt_errx(ctx, "%s holds no PEM private key (unencrypted PKCS#1 or PKCS#8 expected)",
		        path);
		ERR_clear_error();
		return KT_EXIT_TOKEN;
	}
	if (kt_key_import(tok, label, pk, &err) != 0) {
		EVP_PKEY_free(pk);
		kt_errx(ctx, "cannot import %s as \"%s\": %s", path, label, err.msg);
		return KT_EXIT_TOKEN;
	}
	fprintf(msg, "imported %s (%s, %d bits) as \"%s\" on token \"%s\"\n", path,
	        EVP_PKEY_get_base_id(pk) == EVP_PKEY_ED25519 ? "ed25519" : "rsa",
	        EVP_PKEY_get_bits(pk), label, kt_token_label(tok));
	if (EVP_PKEY_get_base_id(pk) == EVP_PKEY_RSA && EVP_PKEY_get_bits(pk) < 2048)
		fprintf(stderr,
		        "%s: warning: \"%s\": RSA keys under 2048 bits are weak (RFC 8301); plan a "
		        "new key\n",
		        ctx->prog, label);
	EVP_PKEY_free(pk); /* frees and wipes OpenSSL's copy of the key */
	return KT_EXIT_OK;
}

int
kt_cmd_import(struct kt_ctx *ctx, int argc, char **argv)
{
	static const struct option lo[] = {KT_COMMON_LONGOPTS,
	                                   {"label", required_argument, NULL, 'l'},
	                                   {"pem", required_argument, NULL, 'p'},
	                                   {NULL, 0, NULL, 0}};
	static const char help[] =
	    "usage: p11dkim-keytool import --label LABEL --pem FILE\n"
	    "Moves a PEM private key (PKCS#1 as opendkim-genkey writes it, or PKCS#8; RSA or\n"
	    "Ed25519) into the token as a sensitive, non-extractable key plus its public key.\n"
	    "The file is left alone: destroy it yourself afterwards (shred -u FILE).\n";
	struct kt_label_type lt = {NULL, NULL, NULL, 0};
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

int
kt_cmd_delete(struct kt_ctx *ctx, int argc, char **argv)
{
	static const struct option lo[] = {KT_COMMON_LONGOPTS,
	                                   {"label", required_argument, NULL, 'l'},
	                                   {"yes", no_argument, NULL, 'y'},
	                                   {NULL, 0, NULL, 0}};
	static const char help[] =
	    "usage: p11dkim-keytool delete --label LABEL --yes\n"
	    "Destroys the private and public key objects labelled LABEL. There is no undo:\n"
	    "--yes is required.\n";
	struct kt_label_type lt = {NULL, NULL, NULL, 0};
	struct kt_error err = {0, ""};
	struct kt_token *tok;
	int r, n = 0;

	if ((r = kt_opts(ctx, argc, argv, lo, help, kt_label_type_opt, &lt)) >= 0)
		return KT_OPTS_DONE(r);
	if (lt.label == NULL || !lt.yes) {
		kt_errx(ctx, "delete needs --label and --yes (destroying a key cannot be undone)");
		return KT_EXIT_USAGE;
	}
	if ((tok = kt_ctx_token(ctx)) == NULL)
		return KT_EXIT_TOKEN;
	if (kt_key_destroy(tok, lt.label, &n, &err) != 0) {
		kt_errx(ctx, "cannot delete \"%s\" (%d objects destroyed): %s", lt.label, n,
		        err.msg);
		return KT_EXIT_TOKEN;
	}
	printf("destroyed %d objects labelled \"%s\" on token \"%s\"\n", n, lt.label,
	       kt_token_label(tok));
	return KT_EXIT_OK;
}
