/*
 * keytool.h: what the p11dkim-keytool subcommands share: the exit codes, the
 * run context (token options, the configuration, the open token) and the
 * option handling common to all subcommands.
 *
 * The context is built by main() from the options, the token is opened on
 * demand by kt_ctx_token() (so `dns --revoke` and `--help` need none) and
 * closed by main(). Only this program prints; the modules below it return
 * errors.
 */
#ifndef P11DKIM_TOOLS_KEYTOOL_H
#define P11DKIM_TOOLS_KEYTOOL_H

#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>

#include "pkcs11/p11.h"
#include "tools/common/token_opts.h"

enum kt_exit {
	KT_EXIT_OK = 0,    /* done; for check: the published key is the token's key */
	KT_EXIT_FAIL = 1,  /* check: the record is missing, invalid, revoked, not the token's key,
	                      weak or in testing mode; bench/import: a key could not be used */
	KT_EXIT_USAGE = 2, /* bad command line */
	KT_EXIT_TOKEN = 3, /* configuration, module, token, login, key or file error */
	KT_EXIT_DNS = 4,   /* check: the DNS lookup itself failed (no answer, SERVFAIL) */
};

#define KT_EXIT_CODES_HELP                                                                         \
	"Exit codes: 0 ok, 1 check failed (see the verdict), 2 usage error,\n"                     \
	"            3 configuration/token/key/file error, 4 DNS lookup failed.\n"

struct kt_domain_use {
	char *domain;
	char *selector;
	char *key; /* the label the configuration names (a URI's object=) */
	bool seen; /* list: the token has a private key with this label */
};

struct kt_ctx {
	const char *prog;
	const char *conf_path;
	struct p11_token_opts topts; /* sessions: 0 = KT_SESSIONS */
	p11_token *tok;
	/* From the configuration file: which domains and selectors use which key. */
	struct kt_domain_use *uses;
	size_t nuses;
	bool conf_loaded;
	char *conf_strings[4]; /* copies of the file's module, token, pin_file, pin_env */
};

/* Options every subcommand accepts (-c, --module, --token, --pin-file, --pin-env). */
#define KT_COMMON_LONGOPTS                                                                         \
	{"config", required_argument, NULL, 'c'}, TOKEN_OPTS_LONG,                                 \
	{                                                                                          \
		"help", no_argument, NULL, 'h'                                                     \
	}
#define KT_COMMON_SHORTOPTS "c:h"
#define KT_COMMON_HELP                                                                             \
	"Token (one of):\n"                                                                        \
	"  -c FILE            the daemon's configuration file (token settings, domains)\n"         \
	"  --module PATH --token LABEL (--pin-file FILE | --pin-env VAR)\n"

/* Handles a common option; returns 0 if C was one, -1 if not. */
int kt_common_opt(struct kt_ctx *ctx, int c, const char *arg);

/*
 * Parses a subcommand's options (LO includes KT_COMMON_LONGOPTS): common ones
 * go to CTX, the others to FN. Returns -1 to go on, or an exit code: for
 * --help it prints HELP and returns KT_EXIT_OK + 100 (KT_OPTS_DONE maps it).
 */
int kt_opts(struct kt_ctx *ctx, int argc, char **argv, const struct option *lo, const char *help,
            int (*fn)(int c, const char *arg, void *a), void *a);
#define KT_OPTS_DONE(r) ((r) == KT_EXIT_OK + 100 ? KT_EXIT_OK : (r))

/* The tools run one operation at a time, bench aside (which asks for one session a thread). */
#define KT_SESSIONS 2

/* Opens the token (once) from the options or configuration; NULL after printing why. A one-shot
   tool never logs in again: the PIN is wiped after the login (forget_pin). */
p11_token *kt_ctx_token(struct kt_ctx *ctx);

/* Prints "PROG: MSG" on stderr. */
void kt_errx(const struct kt_ctx *ctx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Reads the configuration named by -c into CTX (token options, domain uses). */
int kt_conf_load(struct kt_ctx *ctx);
void kt_conf_free(struct kt_ctx *ctx);

int kt_cmd_list(struct kt_ctx *ctx, int argc, char **argv);
int kt_cmd_generate(struct kt_ctx *ctx, int argc, char **argv);
int kt_cmd_import(struct kt_ctx *ctx, int argc, char **argv);
int kt_cmd_import_opendkim(struct kt_ctx *ctx, int argc, char **argv);
int kt_cmd_dns(struct kt_ctx *ctx, int argc, char **argv);
int kt_cmd_check(struct kt_ctx *ctx, int argc, char **argv);
int kt_cmd_delete(struct kt_ctx *ctx, int argc, char **argv);
int kt_cmd_bench(struct kt_ctx *ctx, int argc, char **argv);

/* Imports one PEM private key file under LABEL; says what it did on MSG. Returns a kt_exit. */
int kt_import_pem_file(struct kt_ctx *ctx, const char *label, const char *path, FILE *msg);

#endif
