/*
 * p11dkim-sign: signs one message, read on standard input, with the signing
 * table and token of the daemon's configuration, and writes it with its
 * DKIM-Signature header(s) on standard output: for scripts and for MTAs
 * without milter support.
 *
 * Only input and output live here: the signing domain follows the daemon's
 * rule (dkim_addr_author: one From, the Sender when From holds several
 * mailboxes), or --domain; the keys, the options and the signatures are
 * sign/'s, as in the daemon. A message the table does not cover is written
 * unchanged and the exit code says so.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <sys/prctl.h>

#include "config/conf.h"
#include "dkim/dkim.h"
#include "dkim/dkim_addr.h"
#include "dkim/dkim_canon.h"
#include "dkim/dkim_message.h"
#include "pkcs11/p11.h"
#include "sign/sign_keys.h"
#include "sign/sign_msg.h"
#include "sign/sign_opts.h"
#include "tools/common/token_opts.h"

enum sign_exit {
	SIGN_EXIT_OK = 0,       /* signed */
	SIGN_EXIT_UNSIGNED = 1, /* written unchanged: no From domain, or not in the signing table */
	SIGN_EXIT_USAGE = 2,
	SIGN_EXIT_ERROR = 3, /* configuration, token, key or message error: nothing written */
};

/* A message for a one-shot signer fits in memory; this bounds it. */
#define SIGN_MESSAGE_MAX (256u * 1024 * 1024)

struct sign_ctx {
	const char *conf_path;
	const char *domain;         /* --domain */
	time_t when;                /* --time, else now */
	struct p11_token_opts over; /* --module, --token, --pin-file, --pin-env */
	char *from;                 /* the value of the first From field */
	char *sender;               /* the value of the first Sender field */
	unsigned nfrom, nsender;
};

static void
sign_usage(FILE *out)
{
	fprintf(
	    out,
	    "usage: p11dkim-sign -c FILE [--domain D] [--time UNIXTIME] < message > signed\n"
	    "Signs the message with the keys the configuration's signing table gives its From\n"
	    "domain (or D), on the token of the configuration (override with --module, --token,\n"
	    "--pin-file, --pin-env). --time pins t= for reproducible output.\n"
	    "Exit codes: 0 signed, 1 not signed (written unchanged: no usable From, or the\n"
	    "domain is not in the signing table), 2 usage error, 3 configuration, token, key\n"
	    "or message error (nothing written).\n");
}

/* Standard input as one malloc'd buffer; NULL with errno set (EFBIG past SIGN_MESSAGE_MAX). */
static unsigned char *
sign_read_stdin(size_t *len)
{
	char chunk[65536], *buf = NULL;
	FILE *m = open_memstream(&buf, len);
	bool big = false;
	size_t r;

	while (m != NULL && (r = fread(chunk, 1, sizeof(chunk), stdin)) > 0 &&
	       fwrite(chunk, 1, r, m) == r)
		if ((big = ftell(m) > (long)SIGN_MESSAGE_MAX))
			break;
	if (m == NULL || fclose(m) != 0 || ferror(stdin) || big) {
		free(buf);
		errno = big ? EFBIG : errno;
		return NULL;
	}
	return (unsigned char *)buf;
}

static dkim_status
sign_header_cb(void *arg, const char *name, const char *value)
{
	struct sign_ctx *sc = arg;
	/* As the signer matches names: without the white space before the colon ("From :"),
	 * or "From : x" and "From: y" would count as one From and both be signed. */
	size_t n = dkim_canon_namelen(name, strlen(name));
	char **slot = NULL;

	if (n == 4 && strncasecmp(name, "From", 4) == 0 && ++sc->nfrom == 1)
		slot = &sc->from;
	else if (n == 6 && strncasecmp(name, "Sender", 6) == 0 && ++sc->nsender == 1)
		slot = &sc->sender;
	if (slot != NULL && (*slot = strdup(value)) == NULL)
		return DKIM_ERR_NOMEM;
	return DKIM_OK;
}

static int
sign_opts(struct sign_ctx *sc, int argc, char **argv)
{
	static const struct option lo[] = {
	    {"config", required_argument, NULL, 'c'}, {"domain", required_argument, NULL, 'd'},
	    {"time", required_argument, NULL, 't'},   TOKEN_OPTS_LONG,
	    {"help", no_argument, NULL, 'h'},         {NULL, 0, NULL, 0}};
	char *end;
	int c;

	while ((c = getopt_long(argc, argv, "c:d:h", lo, NULL)) != -1) {
		switch (c) {
		case 'c':
			sc->conf_path = optarg;
			break;
		case 'd':
			sc->domain = optarg;
			break;
		case 't':
			sc->when = (time_t)strtoll(optarg, &end, 10);
			if (*end != '\0' || sc->when <= 0)
				return SIGN_EXIT_USAGE;
			break;
		case 'h':
			sign_usage(stdout);
			return SIGN_EXIT_OK;
		default:
			if (token_opts_take(&sc->over, c, optarg) != 0)
				return SIGN_EXIT_USAGE;
		}
	}
	if (optind != argc || sc->conf_path == NULL)
		return SIGN_EXIT_USAGE;
	return -1;
}

static void
sign_warn(void *arg, const char *msg)
{
	(void)arg;
	fprintf(stderr, "p11dkim-sign: warning: %s\n", msg);
}

/* The configuration's tokens, or the one the command line names (--module, --token,
 * --pin-file, --pin-env override the first token's settings and leave the others out). */
static p11_set *
sign_open_set(const struct sign_ctx *sc, const struct conf *cf, struct p11_error *perr)
{
	struct p11_token_opts topts[CONF_MAX_TOKENS];
	struct p11_set_opts so;
	size_t i;

	sign_set_opts(cf, topts, &so);
	if (sc->over.module != NULL || sc->over.token != NULL || sc->over.pin_file != NULL ||
	    sc->over.pin_env != NULL) {
		so.ntokens = 1;
		topts[0].module = sc->over.module != NULL ? sc->over.module : topts[0].module;
		topts[0].token = sc->over.token != NULL ? sc->over.token : topts[0].token;
		if (sc->over.pin_file != NULL || sc->over.pin_env != NULL) {
			topts[0].pin_file = sc->over.pin_file;
			topts[0].pin_env = sc->over.pin_env;
		}
	}
	for (i = 0; i < so.ntokens; i++) {
		topts[i].sessions = 1;
		topts[i].forget_pin = true; /* one message: no second login, no PIN kept */
	}
	return p11_set_open(&so, perr);
}

/* Signs with the keys of DOM on the configuration's tokens (or the command line's one),
 * writes the fields, then the message: all or nothing. */
static int
sign_keys(const struct sign_ctx *sc, dkim_signer *sg, const struct conf *cf,
          const struct conf_domain *dom, const unsigned char *msg, size_t len)
{
	const char *eol = memmem(msg, len, "\r\n", 2) != NULL ? "\r\n" : "\n";
	const struct sign_key *entry[DKIM_MAX_SIGNATURES];
	char *fields[DKIM_MAX_SIGNATURES] = {0};
	struct sign_msg_result r = {0};
	struct sign_keys *keys = NULL;
	struct p11_error perr = {0};
	p11_set *set;
	char detail[1024];
	size_t i;
	int rc = -1;

	if ((set = sign_open_set(sc, cf, &perr)) == NULL)
		fprintf(stderr, "p11dkim-sign: %s\n",
		        perr.msg[0] != '\0' ? perr.msg : p11_strerror(perr.status));
	else if ((keys = sign_keys_build(cf, set, dom, sign_warn, NULL, detail, sizeof(detail))) ==
	             NULL ||
	         sign_msg_add(sg, keys, cf, dom, entry, detail, sizeof(detail)) < 0)
		fprintf(stderr, "p11dkim-sign: %s\n", detail);
	else if (sign_msg_sign(sg, set, dom, entry, eol, fields, NULL, NULL, &r) != 0)
		fprintf(stderr, "p11dkim-sign: signing failed: %s\n", r.detail);
	else
		rc = 0;
	for (i = 0; i < r.nsigned && rc == 0; i++)
		printf("DKIM-Signature:%s%s", fields[i], eol);
	if (rc == 0)
		fwrite(msg, 1, len, stdout);
	for (i = 0; i < DKIM_MAX_SIGNATURES; i++)
		free(fields[i]);
	sign_keys_free(keys);
	p11_set_close(set);
	return rc;
}

static int
sign_run(struct sign_ctx *sc, const struct conf *cf, const unsigned char *msg, size_t len)
{
	const struct conf_domain *dom;
	enum dkim_author a = DKIM_AUTHOR_OK;
	struct dkim_sign_opts o;
	dkim_message *dm = NULL;
	dkim_signer *sg = NULL;
	char domain[256];
	int rc = SIGN_EXIT_ERROR;

	sign_dkim_opts(&cf->sign, sc->when, &o);
	if (dkim_signer_new(&o, &sg) != DKIM_OK) {
		fprintf(stderr, "p11dkim-sign: bad signing options in %s\n", sc->conf_path);
		return SIGN_EXIT_ERROR;
	}
	if (dkim_message_new(sg, sign_header_cb, sc, &dm) != DKIM_OK ||
	    dkim_message_feed(dm, msg, len) != DKIM_OK || dkim_message_finish(dm) != DKIM_OK) {
		fprintf(stderr, "p11dkim-sign: the message cannot be parsed (header syntax)\n");
		goto out;
	}
	if (sc->domain != NULL)
		snprintf(domain, sizeof(domain), "%s", sc->domain);
	else
		a = dkim_addr_author(sc->nfrom, sc->from, sc->nsender, sc->sender, domain,
		                     sizeof(domain));
	if ((dom = a == DKIM_AUTHOR_OK ? conf_signtable_lookup(cf, domain) : NULL) != NULL) {
		rc = sign_keys(sc, sg, cf, dom, msg, len) == 0 ? SIGN_EXIT_OK : SIGN_EXIT_ERROR;
		goto out;
	}
	fprintf(stderr, "p11dkim-sign: not signed: %s%s\n",
	        a != DKIM_AUTHOR_OK ? dkim_addr_author_text(a) : domain,
	        a != DKIM_AUTHOR_OK ? "" : " is not in the signing table");
	fwrite(msg, 1, len, stdout);
	rc = SIGN_EXIT_UNSIGNED;
out:
	dkim_message_free(dm);
	dkim_signer_free(sg);
	return rc;
}

int
main(int argc, char **argv)
{
	struct sign_ctx sc;
	struct conf_error cerr;
	struct conf *cf;
	unsigned char *msg;
	char buf[1024];
	size_t len;
	int rc;

	/* The PIN will be in this process: no core, no ptrace by our own uid. */
	(void)prctl(PR_SET_DUMPABLE, 0);
	memset(&sc, 0, sizeof(sc));
	sc.when = time(NULL);
	if ((rc = sign_opts(&sc, argc, argv)) >= 0) {
		if (rc != SIGN_EXIT_OK)
			sign_usage(stderr);
		return rc;
	}
	memset(&cerr, 0, sizeof(cerr));
	if ((cf = conf_load(sc.conf_path, &cerr)) == NULL) {
		fprintf(stderr, "p11dkim-sign: %s\n", conf_error_format(&cerr, buf, sizeof(buf)));
		return SIGN_EXIT_ERROR;
	}
	if ((msg = sign_read_stdin(&len)) == NULL) {
		fprintf(stderr, "p11dkim-sign: cannot read the message: %s\n", strerror(errno));
		conf_free(cf);
		return SIGN_EXIT_ERROR;
	}
	rc = sign_run(&sc, cf, msg, len);
	free(msg);
	free(sc.from);
	free(sc.sender);
	conf_free(cf);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "p11dkim-sign: error writing the output\n");
		return SIGN_EXIT_ERROR;
	}
	return rc;
}
