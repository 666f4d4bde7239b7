/*
 * p11dkim-keytool: key ceremony for p11dkim. Keys are born on (or moved into)
 * the PKCS#11 token, their DNS records printed, DNS checked against the
 * token, OpenDKIM installations migrated. This file holds main(), the
 * dispatch and the options common to every subcommand.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <sys/prctl.h>

#include "tools/keytool/keytool.h"
#include "tools/keytool/keytool_record.h"

static const struct {
	const char *name;
	int (*fn)(struct kt_ctx *, int, char **);
	const char *what;
} kt_cmds[] = {
    {"list", kt_cmd_list, "the keys on the token and the domains that use them"},
    {"generate", kt_cmd_generate, "create a key pair on the token"},
    {"import", kt_cmd_import, "move a PEM private key into the token"},
    {"import-opendkim", kt_cmd_import_opendkim,
     "import an OpenDKIM KeyTable, print the domains section"},
    {"dns", kt_cmd_dns, "print the DNS TXT record of a key"},
    {"check", kt_cmd_check, "check the published DNS record against the token"},
    {"delete", kt_cmd_delete, "destroy a key pair on the token"},
    {"wrapkey", kt_cmd_wrapkey, "put one AES wrap key on several tokens (security officer)"},
    {"replicate", kt_cmd_replicate, "copy a wrappable key to another token, wrapped"},
    {"bench", kt_cmd_bench, "measure the token's signing rate"},
};

#define KT_NCMDS (sizeof(kt_cmds) / sizeof(kt_cmds[0]))

void
kt_errx(const struct kt_ctx *ctx, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", ctx->prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int
kt_common_opt(struct kt_ctx *ctx, int c, const char *arg)
{
	switch (c) {
	case 'c':
		ctx->conf_path = arg;
		return 0;
	case 'T': /* repeatable: every token of a set */
		if (ctx->ntok_names == KT_MAX_TOKENS)
			return -1;
		ctx->tok_names[ctx->ntok_names++] = arg;
		if (ctx->topts.token == NULL)
			ctx->topts.token = arg;
		return 0;
	case KT_OPT_RECORD:
		ctx->record_path = arg;
		return 0;
	case KT_OPT_SYSLOG_STDERR:
		ctx->syslog_stderr = true;
		return 0;
	}
	return token_opts_take(&ctx->topts, c, arg);
}

/* Parses a subcommand's options: common ones are taken here, others go to FN. */
int
kt_opts(struct kt_ctx *ctx, int argc, char **argv, const struct option *lo, const char *help,
        int (*fn)(int c, const char *arg, void *a), void *a)
{
	int c;

	while ((c = getopt_long(argc, argv, KT_COMMON_SHORTOPTS, lo, NULL)) != -1) {
		if (c == 'h') {
			printf("%s%s%s", help, KT_COMMON_HELP, KT_EXIT_CODES_HELP);
			return KT_EXIT_OK + 100; /* done, exit 0 */
		}
		if (kt_common_opt(ctx, c, optarg) == 0)
			continue;
		if (c == '?' || fn == NULL || fn(c, optarg, a) != 0) {
			fprintf(stderr, "%s", help);
			return KT_EXIT_USAGE;
		}
	}
	if (optind < argc) {
		kt_errx(ctx, "unexpected argument \"%s\"", argv[optind]);
		return KT_EXIT_USAGE;
	}
	return -1;
}

int
kt_ctx_record_ready(struct kt_ctx *ctx)
{
	char err[512];

	if (kt_record_ready(ctx->record_path, err, sizeof(err)) != 0) {
		kt_errx(ctx, "%s; nothing changed", err);
		return KT_EXIT_TOKEN;
	}
	return KT_EXIT_OK;
}

int
kt_ctx_record(struct kt_ctx *ctx, const struct kt_record *r)
{
	char err[512];

	if (kt_record_write(r, ctx->record_path, ctx->syslog_stderr, err, sizeof(err)) != 0) {
		kt_errx(ctx, "%s: %s \"%s\" on token \"%s\" was done but is NOT recorded", err,
		        r->action, r->key, r->token);
		return KT_EXIT_TOKEN;
	}
	return KT_EXIT_OK;
}

int
kt_ctx_record_key(struct kt_ctx *ctx, p11_token *tok, const char *action, const char *label,
                  const char *source)
{
	struct kt_record r;
	char err[512];
	int rc;

	/* A key that cannot be read whole (no public key object) is still recorded by name. */
	if (kt_record_describe(&r, tok, action, label, err, sizeof(err)) != 0)
		kt_errx(ctx, "warning: the record of %s \"%s\" lacks the public key: %s", action,
		        label, err);
	r.source = source;
	rc = kt_ctx_record(ctx, &r);
	kt_record_clear(&r);
	return rc;
}

static void
kt_usage(FILE *out, const char *prog)
{
	size_t i;

	fprintf(out,
	        "usage: %s [-c FILE | --module PATH --token LABEL... --pin-file FILE]\n"
	        "       [--record FILE] [--syslog-stderr] COMMAND [OPTIONS]\n"
	        "Commands (each takes --help):\n",
	        prog);
	for (i = 0; i < KT_NCMDS; i++)
		fprintf(out, "  %-16s %s\n", kt_cmds[i].name, kt_cmds[i].what);
	fprintf(out, "%s", KT_EXIT_CODES_HELP);
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
	    KT_COMMON_LONGOPTS, KT_RECORD_LONGOPTS, {NULL, 0, NULL, 0}};
	struct kt_ctx ctx;
	size_t i;
	int c, rc;

	/* A PIN, and in import a private key, will be in this process: no core, no ptrace. */
	(void)prctl(PR_SET_DUMPABLE, 0);
	memset(&ctx, 0, sizeof(ctx));
	ctx.prog = "p11dkim-keytool";
	/* '+': stop at the command; it and its options are parsed by the command. */
	while ((c = getopt_long(argc, argv, "+" KT_COMMON_SHORTOPTS, opts, NULL)) != -1) {
		if (c == 'h') {
			kt_usage(stdout, ctx.prog);
			return KT_EXIT_OK;
		}
		if (kt_common_opt(&ctx, c, optarg) != 0) {
			kt_usage(stderr, ctx.prog);
			return KT_EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		kt_usage(stderr, ctx.prog);
		return KT_EXIT_USAGE;
	}
	for (i = 0; i < KT_NCMDS; i++)
		if (strcmp(argv[optind], kt_cmds[i].name) == 0)
			break;
	if (i == KT_NCMDS) {
		kt_errx(&ctx, "unknown command \"%s\"", argv[optind]);
		kt_usage(stderr, ctx.prog);
		return KT_EXIT_USAGE;
	}
	argv += optind;
	argc -= optind;
	optind = 0; /* 0 resets glibc's getopt for the command's own options */
	rc = kt_cmds[i].fn(&ctx, argc, argv);
	for (i = 0; i < ctx.ntargets; i++)
		p11_token_close(ctx.targets[i].tok);
	kt_conf_free(&ctx);
	fflush(stdout);
	if (ferror(stdout) && rc == KT_EXIT_OK) {
		kt_errx(&ctx, "error writing the output");
		rc = KT_EXIT_TOKEN;
	}
	return rc;
}
