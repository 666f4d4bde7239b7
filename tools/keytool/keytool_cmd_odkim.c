/*
 * keytool_cmd_odkim: `import-opendkim`, the one-step move from OpenDKIM:
 * every key its KeyTable names (and its SigningTable uses) goes into the
 * token, and the equivalent `domains` section of p11dkim.conf is printed on
 * standard output (progress and warnings go to standard error).
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tools/keytool/keytool.h"
#include "tools/keytool/odkim_tables.h"

/* Tables are small text files; this bounds what we read from one. */
#define KT_TABLE_MAX (4 * 1024 * 1024)

struct kt_odkim_opts {
	const char *keytable;
	const char *signingtable;
	const char *prefix;
	int dry_run;
};

static int
kt_odkim_opt(int c, const char *arg, void *a)
{
	struct kt_odkim_opts *o = a;

	switch (c) {
	case 'k':
		o->keytable = arg;
		return 0;
	case 's':
		o->signingtable = arg;
		return 0;
	case 'p':
		o->prefix = arg;
		return 0;
	case 'n':
		o->dry_run = 1;
		return 0;
	}
	return -1;
}

/* Reads a table, accepting OpenDKIM's "file:" and "refile:" prefixes. */
static char *
kt_odkim_read(struct kt_ctx *ctx, const char *spec, size_t *len)
{
	const char *path = spec;
	char *buf;
	size_t n;
	FILE *f;

	if (strncmp(spec, "file:", 5) == 0)
		path = spec + 5;
	else if (strncmp(spec, "refile:", 7) == 0)
		path = spec + 7;
	if ((f = fopen(path, "r")) == NULL) {
		kt_errx(ctx, "cannot open %s: %s", path, strerror(errno));
		return NULL;
	}
	buf = malloc(KT_TABLE_MAX + 1);
	n = buf != NULL ? fread(buf, 1, KT_TABLE_MAX + 1, f) : 0;
	fclose(f);
	if (buf == NULL || n > KT_TABLE_MAX) {
		kt_errx(ctx, "%s: too large for a table", path);
		free(buf);
		return NULL;
	}
	*len = n;
	return buf;
}

static int
kt_odkim_load(struct kt_ctx *ctx, const struct kt_odkim_opts *o, struct odkim_tables *t)
{
	char err[256], *text;
	size_t len;
	int rc;

	if ((text = kt_odkim_read(ctx, o->keytable, &len)) == NULL)
		return -1;
	rc = odkim_keytable_parse(t, text, len, err, sizeof(err));
	free(text);
	if (rc != 0) {
		kt_errx(ctx, "KeyTable %s: %s", o->keytable, err);
		return -1;
	}
	if ((text = kt_odkim_read(ctx, o->signingtable, &len)) == NULL)
		return -1;
	rc = odkim_signingtable_parse(t, text, len, err, sizeof(err));
	free(text);
	if (rc != 0) {
		kt_errx(ctx, "SigningTable %s: %s", o->signingtable, err);
		return -1;
	}
	return 0;
}

/* Imports each (key, label) once; a key with d=% gets one label per domain. */
static int
kt_odkim_import_all(struct kt_ctx *ctx, const struct odkim_tables *t, const char *prefix)
{
	char **done = NULL;
	size_t ndone = 0, i, j, n;
	int rc = KT_EXIT_OK;

	for (i = 0; i < t->ndoms; i++) {
		for (j = 0; j < t->doms[i].nkeys; j++) {
			size_t k = t->doms[i].keys[j];
			char *label = odkim_label(t, k, t->doms[i].domain, prefix), **nd;
			int r;

			if (label == NULL) {
				kt_errx(ctx, "key %s: label too long", t->keys[k].name);
				rc = KT_EXIT_FAIL;
				continue;
			}
			for (n = 0; n < ndone && strcmp(done[n], label) != 0; n++)
				;
			if (n < ndone ||
			    (nd = reallocarray(done, ndone + 1, sizeof(*nd))) == NULL) {
				free(label);
				continue;
			}
			done = nd;
			done[ndone++] = label;
			fprintf(stderr, "%s: %s -> \"%s\"\n", ctx->prog, t->keys[k].path, label);
			r = kt_import_pem_file(ctx, label, t->keys[k].path, stderr);
			if (r == KT_EXIT_TOKEN && ctx->tok == NULL) {
				rc = r; /* no token at all: nothing else will work */
				goto out;
			}
			if (r != KT_EXIT_OK)
				rc = KT_EXIT_FAIL;
		}
	}
out:
	for (n = 0; n < ndone; n++)
		free(done[n]);
	free(done);
	return rc;
}

int
kt_cmd_import_opendkim(struct kt_ctx *ctx, int argc, char **argv)
{
	static const struct option lo[] = {KT_COMMON_LONGOPTS,
	                                   KT_RECORD_LONGOPTS,
	                                   {"keytable", required_argument, NULL, 'k'},
	                                   {"signingtable", required_argument, NULL, 's'},
	                                   {"label-prefix", required_argument, NULL, 'p'},
	                                   {"dry-run", no_argument, NULL, 'n'},
	                                   {NULL, 0, NULL, 0}};
	static const char help[] =
	    "usage: p11dkim-keytool import-opendkim --keytable [file:]F --signingtable [refile:]F\n"
	    "                                       [--label-prefix P] [--dry-run]\n"
	    "Imports every key that the KeyTable names and the SigningTable uses into the token\n"
	    "(label: P + DOMAIN-SELECTOR), then prints the equivalent `domains` section of\n"
	    "p11dkim.conf on standard output, keeping the selectors. SigningTable patterns\n"
	    "*@domain.tld, domain.tld (the domain) and *@*.domain.tld, *.domain.tld (its\n"
	    "subdomains: subdomains = true) are understood; others are skipped with a warning.\n"
	    "--dry-run prints the section without touching the token. Destroy the key files "
	    "after.\n"
	    "With --token repeated (or -c FILE with several tokens) every key goes into "
	    "each.\n" KT_RECORD_HELP;
	struct kt_odkim_opts o = {NULL, NULL, "", 0};
	struct odkim_tables t;
	size_t i;
	int r;

	if ((r = kt_opts(ctx, argc, argv, lo, help, kt_odkim_opt, &o)) >= 0)
		return KT_OPTS_DONE(r);
	if (o.keytable == NULL || o.signingtable == NULL) {
		kt_errx(ctx, "import-opendkim needs --keytable and --signingtable");
		return KT_EXIT_USAGE;
	}
	memset(&t, 0, sizeof(t));
	if (kt_odkim_load(ctx, &o, &t) != 0) {
		odkim_tables_free(&t);
		return KT_EXIT_TOKEN;
	}
	for (i = 0; i < t.nwarnings; i++)
		fprintf(stderr, "%s: warning: %s\n", ctx->prog, t.warnings[i]);
	r = o.dry_run ? KT_EXIT_OK : kt_odkim_import_all(ctx, &t, o.prefix);
	if (r != KT_EXIT_TOKEN || ctx->tok != NULL) {
		odkim_print_domains(stdout, &t, o.prefix);
		if (!o.dry_run)
			fprintf(stderr,
			        "%s: the keys now live on the token: destroy the key files and "
			        "their backups\n",
			        ctx->prog);
	}
	odkim_tables_free(&t);
	return r;
}
