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

#include "tools/keytool/keytool.h"

static void
kt_hex(const unsigned char *v, size_t n, char *out, size_t outlen)
{
	size_t i;

	out[0] = '\0';
	for (i = 0; i < n && 2 * i + 2 < outlen; i++)
		snprintf(out + 2 * i, 3, "%02x", v[i]);
}

/* CKA_ID longer than this is shown as "-", as an id nobody types. */
#define KT_ID_SHOW_MAX 64

static int
kt_list_one(const struct p11_key_info *ki, void *arg)
{
	struct kt_ctx *ctx = arg;
	char id[2 * KT_ID_SHOW_MAX + 1], type[32];
	bool show_id = ki->id_len > 0 && ki->id_len <= KT_ID_SHOW_MAX;
	size_t i;
	int used = 0;

	kt_hex(ki->id, show_id ? ki->id_len : 0, id, sizeof(id));
	if (ki->type_known && ki->type == P11_KEY_RSA)
		snprintf(type, sizeof(type), "rsa%u", ki->bits);
	else if (ki->type_known && ki->type == P11_KEY_ED25519)
		snprintf(type, sizeof(type), "ed25519");
	else
		snprintf(type, sizeof(type), "other");
	printf("%-32s id=%s type=%s sensitive=%s extractable=%s public=%s",
	       ki->label[0] ? ki->label : "(no label)", show_id ? id : "-", type,
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
	struct p11_error err;
	p11_token *tok;
	size_t i;
	int r;

	if ((r = kt_opts(ctx, argc, argv, lo, help, NULL, NULL)) >= 0)
		return KT_OPTS_DONE(r);
	if ((tok = kt_ctx_token(ctx)) == NULL)
		return KT_EXIT_TOKEN;
	if (p11_token_list_keys(tok, kt_list_one, ctx, &err) != P11_OK) {
		kt_errx(ctx, "%s", err.msg);
		return KT_EXIT_TOKEN;
	}
	/* The daemon would refuse to start over these: say so now. */
	for (i = 0; i < ctx->nuses; i++)
		if (!ctx->uses[i].seen)
			kt_errx(ctx, "warning: %s:%s uses key \"%s\", which is not on token \"%s\"",
			        ctx->uses[i].domain, ctx->uses[i].selector, ctx->uses[i].key,
			        p11_token_label(tok));
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
	struct p11_error err;
	enum p11_key_type type;
	unsigned bits;
	p11_token *tok;
	int r;

	if ((r = kt_opts(ctx, argc, argv, lo, help, kt_label_type_opt, &lt)) >= 0)
		return KT_OPTS_DONE(r);
	if (lt.label == NULL || !kt_key_type(lt.type, &type, &bits)) {
		kt_errx(ctx,
		        "generate needs --label and --type (rsa2048, rsa3072, rsa4096 or ed25519)");
		return KT_EXIT_USAGE;
	}
	if ((tok = kt_ctx_token(ctx)) == NULL)
		return KT_EXIT_TOKEN;
	if (p11_key_generate(tok, lt.label, type, bits, &err) != P11_OK) {
		kt_errx(ctx, "cannot generate %s key \"%s\": %s", lt.type, lt.label, err.msg);
		return KT_EXIT_TOKEN;
	}
	printf("generated %s key \"%s\" on token \"%s\"\n", lt.type, lt.label,
	       p11_token_label(tok));
	return KT_EXIT_OK;
}

int
kt_import_pem_file(struct kt_ctx *ctx, const char *label, const char *path, FILE *msg)
{
	struct p11_error err;
	p11_token *tok;
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
	if (p11_key_import(tok, label, pk, &err) != P11_OK) {
		EVP_PKEY_free(pk);
		kt_errx(ctx, "cannot import %s as \"%s\": %s", path, label, err.msg);
		return KT_EXIT_TOKEN;
	}
	fprintf(msg, "imported %s (%s, %d bits) as \"%s\" on token \"%s\"\n", path,
	        EVP_PKEY_get_base_id(pk) == EVP_PKEY_ED25519 ? "ed25519" : "rsa",
	        EVP_PKEY_get_bits(pk), label, p11_token_label(tok));
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
	struct p11_error err;
	p11_token *tok;
	unsigned n = 0;
	int r;

	if ((r = kt_opts(ctx, argc, argv, lo, help, kt_label_type_opt, &lt)) >= 0)
		return KT_OPTS_DONE(r);
	if (lt.label == NULL || !lt.yes) {
		kt_errx(ctx, "delete needs --label and --yes (destroying a key cannot be undone)");
		return KT_EXIT_USAGE;
	}
	if ((tok = kt_ctx_token(ctx)) == NULL)
		return KT_EXIT_TOKEN;
	if (p11_key_destroy(tok, lt.label, &n, &err) != P11_OK) {
		kt_errx(ctx, "cannot delete \"%s\" (%u objects destroyed): %s", lt.label, n,
		        err.msg);
		return KT_EXIT_TOKEN;
	}
	printf("destroyed %u objects labelled \"%s\" on token \"%s\"\n", n, lt.label,
	       p11_token_label(tok));
	return KT_EXIT_OK;
}
