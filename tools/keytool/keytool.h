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

/* The most tokens one run works on (--token repeated, or the configuration's tokens). */
#define KT_MAX_TOKENS 16

/* One token the run works on: its options (strings borrowed from argv or the context's copies
   of the configuration) and, once opened, the token. */
struct kt_target {
	struct p11_token_opts o;
	p11_token *tok;
};

struct kt_ctx {
	const char *prog;
	const char *conf_path;
	struct p11_token_opts topts; /* command-line token options; sessions: 0 = KT_SESSIONS */
	const char *tok_names[KT_MAX_TOKENS]; /* every --token, in order */
	size_t ntok_names;
	struct kt_target targets[KT_MAX_TOKENS]; /* see kt_ctx_targets() */
	size_t ntargets;
	bool targets_ready;
	struct p11_token_opts conf_tokens[KT_MAX_TOKENS]; /* the file's tokens (own strings) */
	size_t nconf_tokens;
	const char *record_path; /* --record FILE: the ceremony records (keytool_record.h) */
	bool syslog_stderr;      /* --syslog-stderr: the syslog lines on stderr too */
	p11_token *tok;          /* targets[0].tok once opened */
	/* From the configuration file: which domains and selectors use which key. */
	struct kt_domain_use *uses;
	size_t nuses;
	bool conf_loaded;
	char *conf_record; /* the file's keytool_record, when --record is not given */
};

/* Options every subcommand accepts (-c, --module, --token, --pin-file, --pin-env). */
#define KT_COMMON_LONGOPTS                                                                         \
	{"config", required_argument, NULL, 'c'}, TOKEN_OPTS_LONG,                                 \
	{                                                                                          \
		"help", no_argument, NULL, 'h'                                                     \
	}
/* Options of the commands that change a token (and of the program itself, before the command). */
enum { KT_OPT_RECORD = 0x100, KT_OPT_SYSLOG_STDERR };
#define KT_RECORD_LONGOPTS                                                                         \
	{"record", required_argument, NULL, KT_OPT_RECORD},                                        \
	{                                                                                          \
		"syslog-stderr", no_argument, NULL, KT_OPT_SYSLOG_STDERR                           \
	}
#define KT_RECORD_HELP                                                                             \
	"Records: --record FILE appends one JSON line per token changed (and one syslog line,\n"   \
	"  authpriv.notice, is always written); --syslog-stderr copies the syslog line to "        \
	"stderr.\n"
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

/* Opens the first token (once) from the options or configuration; NULL after printing why. A
   one-shot tool never logs in again: the PIN is wiped after the login (forget_pin). */
p11_token *kt_ctx_token(struct kt_ctx *ctx);

/*
 * The tokens of this run, resolved once (the configuration read if -c was given): every --token
 * (a configured token of that name keeps its module and PIN; else --module and --pin-file, or the
 * configuration's first token's), or without --token every configured token, or the one token
 * of the command line. -1 after printing why.
 */
int kt_ctx_targets(struct kt_ctx *ctx);
/* Opens targets[i] (once); NULL after printing why. */
p11_token *kt_ctx_target_token(struct kt_ctx *ctx, size_t i);
/* The target whose token option is NAME (as configured or given), or -1. */
int kt_ctx_target_find(struct kt_ctx *ctx, const char *name);

/* Records a change to TOK (keytool_record.h) as --record and --syslog-stderr say, after the
   change; R filled. Prints why and returns KT_EXIT_TOKEN when the record could not be written
   (the change stays made), else KT_EXIT_OK. */
struct kt_record;
int kt_ctx_record(struct kt_ctx *ctx, const struct kt_record *r);
/* Before a change: KT_EXIT_TOKEN after printing why when the record file cannot be appended to. */
int kt_ctx_record_ready(struct kt_ctx *ctx);
/* Describes the key LABEL on TOK for a record of ACTION and writes it; a key that cannot be read
   whole is recorded with what is known. Returns as kt_ctx_record(). */
int kt_ctx_record_key(struct kt_ctx *ctx, p11_token *tok, const char *action, const char *label,
                      const char *source);

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
int kt_cmd_replicate(struct kt_ctx *ctx, int argc, char **argv);
int kt_cmd_wrapkey(struct kt_ctx *ctx, int argc, char **argv);

/* Imports one PEM private key file under LABEL into every target token (and records each);
   says what it did on MSG. Returns a kt_exit. */
int kt_import_pem_file(struct kt_ctx *ctx, const char *label, const char *path, FILE *msg);

/* keytool_set.c: compares the public key of LABEL on every target token, printing a line on OUT
   for each token where it is missing or differs from the first one found; that first key goes
   to *FIRST (caller frees; NULL when on no token) when FIRST is not NULL. */
enum { KT_SET_SAME, KT_SET_MISSING, KT_SET_DIFFER, KT_SET_ERROR };
int kt_set_compare_label(struct kt_ctx *ctx, const char *label, FILE *out, EVP_PKEY **first);

/* "rsa2048", "ed25519" or "other" for a listed key, into BUF. */
const char *kt_key_type_name(const struct p11_key_info *ki, char *buf, size_t len);

#endif
