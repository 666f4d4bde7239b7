/*
 * p11dkim-sign: signs one message, read on standard input, with the signing
 * table and token of the daemon's configuration, and writes it with its
 * DKIM-Signature header(s) on standard output: for scripts and for MTAs
 * without milter support.
 *
 * The signing domain is the From header's (the Sender's when From holds
 * several mailboxes), or --domain. A message the table does not cover is
 * written unchanged and the exit code says so.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "config/conf.h"
#include "dkim/dkim.h"
#include "dkim/dkim_addr.h"
#include "dkim/dkim_message.h"
#include "pkcs11/p11.h"

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
	const char *domain; /* --domain */
	time_t when;        /* --time, else now */
	struct p11_token_opts topts;
	char *from;   /* the From value, when there is exactly one From field */
	char *sender; /* the Sender value, likewise */
	int nfrom, nsender;
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

static unsigned char *
sign_read_stdin(size_t *len)
{
	unsigned char *buf = NULL, *nb;
	size_t cap = 0, n = 0, r;

	for (;;) {
		if (n == cap) {
			if (cap >= SIGN_MESSAGE_MAX) {
				free(buf);
				errno = EFBIG;
				return NULL;
			}
			cap = cap ? cap * 2 : 65536;
			if ((nb = realloc(buf, cap)) == NULL) {
				free(buf);
				return NULL;
			}
			buf = nb;
		}
		r = fread(buf + n, 1, cap - n, stdin);
		if (r == 0)
			break;
		n += r;
	}
	if (ferror(stdin)) {
		free(buf);
		return NULL;
	}
	*len = n;
	return buf;
}

static dkim_status
sign_header_cb(void *arg, const char *name, const char *value)
{
	struct sign_ctx *sc = arg;
	char **slot = NULL;

	if (strcasecmp(name, "From") == 0 && ++sc->nfrom == 1)
		slot = &sc->from;
	else if (strcasecmp(name, "Sender") == 0 && ++sc->nsender == 1)
		slot = &sc->sender;
	if (slot != NULL && (*slot = strdup(value)) == NULL)
		return DKIM_ERR_NOMEM;
	return DKIM_OK;
}

/* The one mailbox domain of VALUE, or NULL. */
static char *
sign_one_domain(const char *value, size_t *count)
{
	struct dkim_addr_list al = {NULL, 0};
	char *d = NULL;

	*count = 0;
	if (value == NULL || dkim_addr_domains(value, strlen(value), &al) != DKIM_OK)
		return NULL;
	*count = al.n;
	if (al.n == 1)
		d = strdup(al.domain[0]);
	dkim_addr_free(&al);
	return d;
}

/* RFC 5322 3.6.2: From with several mailboxes names its author in Sender. */
static char *
sign_pick_domain(struct sign_ctx *sc)
{
	size_t n;
	char *d;

	if (sc->domain != NULL)
		return strdup(sc->domain);
	if (sc->nfrom != 1)
		return NULL;
	d = sign_one_domain(sc->from, &n);
	if (d != NULL || n <= 1)
		return d;
	return sc->nsender == 1 ? sign_one_domain(sc->sender, &n) : NULL;
}

static int
sign_opts(struct sign_ctx *sc, int argc, char **argv)
{
	static const struct option lo[] = {{"config", required_argument, NULL, 'c'},
	                                   {"domain", required_argument, NULL, 'd'},
	                                   {"time", required_argument, NULL, 't'},
	                                   {"module", required_argument, NULL, 'M'},
	                                   {"token", required_argument, NULL, 'T'},
	                                   {"pin-file", required_argument, NULL, 'P'},
	                                   {"pin-env", required_argument, NULL, 'E'},
	                                   {"help", no_argument, NULL, 'h'},
	                                   {NULL, 0, NULL, 0}};
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
		case 'M':
			sc->topts.module = optarg;
			break;
		case 'T':
			sc->topts.token = optarg;
			break;
		case 'P':
			sc->topts.pin_file = optarg;
			break;
		case 'E':
			sc->topts.pin_env = optarg;
			break;
		case 'h':
			sign_usage(stdout);
			return SIGN_EXIT_OK;
		default:
			return SIGN_EXIT_USAGE;
		}
	}
	if (optind != argc || sc->conf_path == NULL)
		return SIGN_EXIT_USAGE;
	return -1;
}

/* Finds each key of DOM on the token (as the daemon does) and adds its signature. */
static int
sign_add_keys(dkim_signer *sg, p11_token *tok, const struct conf_domain *dom, p11_key **keys)
{
	struct p11_error perr;
	size_t i, idx;

	for (i = 0; i < dom->nkeys; i++) {
		memset(&perr, 0, sizeof(perr));
		keys[i] = p11_token_find_key(tok, dom->keys[i].key, &perr);
		if (keys[i] == NULL) {
			fprintf(stderr, "p11dkim-sign: %s\n", perr.msg);
			return -1;
		}
		if (p11_key_weak(keys[i]))
			fprintf(stderr,
			        "p11dkim-sign: warning: key \"%s\" is RSA under 2048 bits\n",
			        p11_key_label(keys[i]));
		if (dkim_signer_add(sg,
		                    p11_key_type(keys[i]) == P11_KEY_ED25519
		                        ? DKIM_ALG_ED25519_SHA256
		                        : DKIM_ALG_RSA_SHA256,
		                    dom->domain, dom->keys[i].selector, NULL, &idx) != DKIM_OK) {
			fprintf(stderr, "p11dkim-sign: cannot add a signature for %s\n",
			        dom->domain);
			return -1;
		}
	}
	return 0;
}

/* Signs every signature on the token and writes the fields, then the message. */
static int
sign_finish(dkim_signer *sg, p11_token *tok, p11_key **keys, const unsigned char *msg, size_t len)
{
	const char *eol = memmem(msg, len, "\r\n", 2) != NULL ? "\r\n" : "\n";
	size_t i, n = dkim_signer_count(sg), siglen;
	const unsigned char *digest;
	unsigned char sig[1024];
	struct p11_error perr;
	char **fields;
	int rc = 0;

	if ((fields = calloc(n, sizeof(*fields))) == NULL)
		return -1;
	for (i = 0; i < n && rc == 0; i++) {
		siglen = sizeof(sig);
		memset(&perr, 0, sizeof(perr));
		if (dkim_signer_digest(sg, i, &digest, NULL) != DKIM_OK ||
		    p11_sign(tok, keys[i], digest, DKIM_DIGEST_LEN, sig, &siglen, &perr) !=
		        P11_OK ||
		    dkim_signer_set_signature(sg, i, sig, siglen) != DKIM_OK ||
		    dkim_signer_field(sg, i, eol, &fields[i]) != DKIM_OK) {
			fprintf(stderr, "p11dkim-sign: signing with \"%s\" failed%s%s\n",
			        p11_key_label(keys[i]), perr.msg[0] ? ": " : "", perr.msg);
			rc = -1;
		}
	}
	/* All or nothing: the signatures are written only once every one was made. */
	for (i = 0; i < n && rc == 0; i++)
		printf("DKIM-Signature:%s%s", fields[i], eol);
	if (rc == 0)
		fwrite(msg, 1, len, stdout);
	for (i = 0; i < n; i++)
		free(fields[i]);
	free(fields);
	return rc;
}

static dkim_signer *
sign_new_signer(const struct conf *cf, time_t when)
{
	struct dkim_sign_opts o;
	dkim_signer *sg = NULL;

	memset(&o, 0, sizeof(o));
	o.hdr_canon =
	    cf->sign.hdr_canon == CONF_CANON_SIMPLE ? DKIM_CANON_SIMPLE : DKIM_CANON_RELAXED;
	o.body_canon =
	    cf->sign.body_canon == CONF_CANON_SIMPLE ? DKIM_CANON_SIMPLE : DKIM_CANON_RELAXED;
	o.headers = (const char *const *)cf->sign.headers;
	o.nheaders = cf->sign.nheaders;
	o.oversign = cf->sign.oversign;
	o.timestamp = when;
	o.expire_after = cf->sign.expire_after;
	return dkim_signer_new(&o, &sg) == DKIM_OK ? sg : NULL;
}

static int
sign_run(struct sign_ctx *sc, const struct conf *cf, const unsigned char *msg, size_t len)
{
	const struct conf_domain *dom;
	struct p11_error err;
	p11_token *tok = NULL;
	dkim_message *dm = NULL;
	dkim_signer *sg;
	p11_key **keys = NULL;
	char *domain = NULL;
	int rc = SIGN_EXIT_ERROR;

	if ((sg = sign_new_signer(cf, sc->when)) == NULL) {
		fprintf(stderr, "p11dkim-sign: bad signing options in %s\n", sc->conf_path);
		return SIGN_EXIT_ERROR;
	}
	if (dkim_message_new(sg, sign_header_cb, sc, &dm) != DKIM_OK ||
	    dkim_message_feed(dm, msg, len) != DKIM_OK || dkim_message_finish(dm) != DKIM_OK) {
		fprintf(stderr, "p11dkim-sign: the message cannot be parsed (header syntax)\n");
		goto out;
	}
	domain = sign_pick_domain(sc);
	dom = domain != NULL ? conf_signtable_lookup(cf, domain) : NULL;
	if (dom == NULL) {
		fprintf(stderr, "p11dkim-sign: not signed: %s%s\n",
		        domain ? domain : "no single From domain",
		        domain ? " is not in the signing table" : "");
		fwrite(msg, 1, len, stdout);
		rc = SIGN_EXIT_UNSIGNED;
		goto out;
	}
	if ((keys = calloc(dom->nkeys, sizeof(*keys))) == NULL)
		goto out;
	/* As the keytool: two sessions, and no PIN kept after the login. */
	sc->topts.sessions = 2;
	sc->topts.forget_pin = true;
	if ((tok = p11_token_open(&sc->topts, &err)) == NULL) {
		fprintf(stderr, "p11dkim-sign: %s\n", err.msg);
		goto out;
	}
	if (sign_add_keys(sg, tok, dom, keys) != 0 || dkim_signer_end(sg) != DKIM_OK)
		goto out;
	if (sign_finish(sg, tok, keys, msg, len) == 0)
		rc = SIGN_EXIT_OK;
out:
	free(keys); /* the keys themselves belong to the token */
	free(domain);
	p11_token_close(tok);
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
	if (sc.topts.module == NULL)
		sc.topts.module = cf->token.module;
	if (sc.topts.token == NULL)
		sc.topts.token = cf->token.token; /* a label or a pkcs11: URI */
	sc.topts.allow_extractable = cf->token.allow_extractable;
	if (sc.topts.pin_file == NULL && sc.topts.pin_env == NULL) {
		sc.topts.pin_file = cf->token.pin_file;
		sc.topts.pin_env = cf->token.pin_env;
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
