/*
 * keytool_cmd_dns: the subcommands about DNS: `dns` prints a key's TXT
 * record, `check` compares the published record with the token's key.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tools/keytool/keytool.h"
#include "tools/keytool/keytool_dns.h"

/* A published record file is small; anything bigger is not one. */
#define KT_RECORD_FILE_MAX 65536

struct kt_dns_opts {
	const char *label;
	const char *domain;
	const char *selector;
	const char *type;
	const char *nameserver;
	const char *record;
	int testing;
	int one_line;
	int revoke;
};

static int
kt_dns_opt(int c, const char *arg, void *a)
{
	struct kt_dns_opts *o = a;

	switch (c) {
	case 'l':
		o->label = arg;
		return 0;
	case 'd':
		o->domain = arg;
		return 0;
	case 's':
		o->selector = arg;
		return 0;
	case 't':
		o->type = arg;
		return 0;
	case 'n':
		o->nameserver = arg;
		return 0;
	case 'r':
		o->record = arg;
		return 0;
	case 'y':
		o->testing = 1;
		return 0;
	case '1':
		o->one_line = 1;
		return 0;
	case 'R':
		o->revoke = 1;
		return 0;
	}
	return -1;
}

/* Letters, digits, '-', '_' and inner dots: what a selector or a domain may hold here. */
static int
kt_dns_name_ok(const char *s)
{
	size_t i, n = strlen(s);

	if (n == 0 || n > 253 || s[0] == '.')
		return 0;
	for (i = 0; i < n; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == '_' || (c == '.' && s[i + 1] != '.')))
			return 0;
	}
	return 1;
}

/* "SEL._domainkey.DOMAIN" (no trailing dot) into BUF; -1 if the parts are not names. */
static int
kt_dns_owner(struct kt_ctx *ctx, const struct kt_dns_opts *o, char *buf, size_t len)
{
	size_t dl;

	if (o->domain == NULL || o->selector == NULL) {
		kt_errx(ctx, "--domain and --selector are required");
		return -1;
	}
	dl = strlen(o->domain);
	if (dl > 0 && o->domain[dl - 1] == '.')
		dl--;
	if ((size_t)snprintf(buf, len, "%s._domainkey.%.*s", o->selector, (int)dl, o->domain) >=
	        len ||
	    !kt_dns_name_ok(buf)) {
		kt_errx(ctx, "\"%s\" and \"%s\" do not make a valid DNS name", o->selector,
		        o->domain);
		return -1;
	}
	return 0;
}

/*
 * What `dns` and `check` start with: their options into O, the record's owner
 * name into OWNER. Returns -1 to go on, or the exit code to return now.
 */
static int
kt_dns_begin(struct kt_ctx *ctx, int argc, char **argv, const struct option *lo, const char *help,
             struct kt_dns_opts *o, char *owner, size_t olen)
{
	int r;

	memset(o, 0, sizeof(*o));
	if ((r = kt_opts(ctx, argc, argv, lo, help, kt_dns_opt, o)) >= 0)
		return KT_OPTS_DONE(r);
	if (kt_dns_owner(ctx, o, owner, olen) != 0)
		return KT_EXIT_USAGE;
	return -1;
}

/* The token's public key LABEL into *PK; KT_EXIT_TOKEN after printing why. */
static int
kt_dns_pubkey(struct kt_ctx *ctx, const char *label, EVP_PKEY **pk)
{
	struct p11_error err;
	p11_token *tok;

	if (kt_ctx_targets(ctx) != 0)
		return KT_EXIT_TOKEN;
	if (ctx->ntargets > 1)
		kt_errx(ctx, "warning: %zu tokens given; the record is made from token \"%s\"",
		        ctx->ntargets, ctx->targets[0].o.token);
	if ((tok = kt_ctx_token(ctx)) == NULL)
		return KT_EXIT_TOKEN;
	if (p11_token_public_key(tok, label, pk, &err) != P11_OK) {
		kt_errx(ctx, "%s", err.msg);
		return KT_EXIT_TOKEN;
	}
	return KT_EXIT_OK;
}

int
kt_cmd_dns(struct kt_ctx *ctx, int argc, char **argv)
{
	static const struct option lo[] = {KT_COMMON_LONGOPTS,
	                                   {"label", required_argument, NULL, 'l'},
	                                   {"domain", required_argument, NULL, 'd'},
	                                   {"selector", required_argument, NULL, 's'},
	                                   {"type", required_argument, NULL, 't'},
	                                   {"testing", no_argument, NULL, 'y'},
	                                   {"one-line", no_argument, NULL, '1'},
	                                   {"revoke", no_argument, NULL, 'R'},
	                                   {NULL, 0, NULL, 0}};
	static const char help[] =
	    "usage: p11dkim-keytool dns --label LABEL --domain D --selector S [--testing] "
	    "[--one-line]\n"
	    "       p11dkim-keytool dns --revoke (--label LABEL | --type rsa|ed25519) --domain D "
	    "--selector S\n"
	    "Prints the DKIM TXT record of the key: a zone-file line with the value split into\n"
	    "strings of at most 255 bytes, or with --one-line the bare value for web forms.\n"
	    "--testing adds t=y; --revoke prints the record with an empty p= to retire a "
	    "selector.\n";
	struct kt_dns_opts o;
	EVP_PKEY *pk = NULL;
	char owner[300], *value;
	int r;

	if ((r = kt_dns_begin(ctx, argc, argv, lo, help, &o, owner, sizeof(owner))) >= 0)
		return r;
	if (o.type != NULL &&
	    (!o.revoke || (strcmp(o.type, "rsa") != 0 && strcmp(o.type, "ed25519") != 0))) {
		kt_errx(ctx, "--type rsa|ed25519 goes with --revoke only");
		return KT_EXIT_USAGE;
	}
	if (o.label == NULL && !(o.revoke && o.type != NULL)) {
		kt_errx(ctx, "--label is required (or --revoke --type)");
		return KT_EXIT_USAGE;
	}
	if (o.label != NULL && (r = kt_dns_pubkey(ctx, o.label, &pk)) != KT_EXIT_OK)
		return r;
	value =
	    kt_dns_value(pk, o.type != NULL && strcmp(o.type, "ed25519") == 0, o.testing, o.revoke);
	EVP_PKEY_free(pk);
	if (value == NULL) {
		kt_errx(ctx, "cannot encode the public key of \"%s\"", o.label);
		return KT_EXIT_TOKEN;
	}
	kt_dns_print(stdout, owner, value, o.one_line);
	free(value);
	return KT_EXIT_OK;
}

/*
 * The record in a file: either the bare value, or text with quoted strings
 * (a zone-file line, e.g. the output of `dns`) whose contents are joined.
 */
static char *
kt_dns_read_record(struct kt_ctx *ctx, const char *path, size_t *len)
{
	char *buf, *out;
	size_t n, i, m = 0;
	int inq = 0;
	FILE *f;

	if ((f = fopen(path, "r")) == NULL) {
		kt_errx(ctx, "cannot open %s: %s", path, strerror(errno));
		return NULL;
	}
	buf = malloc(KT_RECORD_FILE_MAX + 1);
	n = buf != NULL ? fread(buf, 1, KT_RECORD_FILE_MAX + 1, f) : 0;
	fclose(f);
	if (buf == NULL || n > KT_RECORD_FILE_MAX) {
		kt_errx(ctx, "%s: not a DKIM record (over %d bytes)", path, KT_RECORD_FILE_MAX);
		free(buf);
		return NULL;
	}
	buf[n] = '\0';
	if (memchr(buf, '"', n) == NULL) {
		while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
			buf[--n] = '\0';
		*len = n;
		return buf;
	}
	out = buf; /* joining only shrinks: in place */
	for (i = 0; i < n; i++) {
		if (buf[i] == '"')
			inq = !inq;
		else if (inq && buf[i] == '\\' && i + 1 < n)
			out[m++] = buf[++i];
		else if (inq)
			out[m++] = buf[i];
	}
	out[m] = '\0';
	*len = m;
	return out;
}

/* The record, from the file or DNS; NULL with *V set when there is none to judge. */
static char *
kt_check_fetch(struct kt_ctx *ctx, const struct kt_dns_opts *o, const char *owner, size_t *len,
               enum kt_verdict *v, char *detail, size_t dlen)
{
	char *txt;

	if (o->record != NULL)
		return kt_dns_read_record(ctx, o->record, len);
	switch (kt_dns_lookup(owner, o->nameserver, &txt, len, detail, dlen)) {
	case KT_DNS_FOUND:
		return txt;
	case KT_DNS_MISSING:
		*v = KT_VERDICT_MISSING;
		return NULL;
	case KT_DNS_SEVERAL:
		*v = KT_VERDICT_SYNTAX;
		return NULL;
	case KT_DNS_FAILED:
		break;
	}
	*v = KT_VERDICT_DNSFAIL;
	return NULL;
}

/*
 * The key to judge: the token's, or with several tokens the one they all hold. -1 to go on
 * with *PK set; else the exit code, after printing why (verdict=mismatch when the tokens hold
 * different keys under LABEL: DNS can publish only one of them).
 */
static int
kt_check_tokens(struct kt_ctx *ctx, const char *label, const char *owner, EVP_PKEY **pk)
{
	int r;

	if (kt_ctx_targets(ctx) != 0)
		return KT_EXIT_TOKEN;
	if (ctx->ntargets == 1)
		return (r = kt_dns_pubkey(ctx, label, pk)) == KT_EXIT_OK ? -1 : r;
	switch (kt_set_compare_label(ctx, label, stdout, pk)) {
	case KT_SET_ERROR:
		EVP_PKEY_free(*pk);
		return KT_EXIT_TOKEN;
	case KT_SET_DIFFER:
		EVP_PKEY_free(*pk);
		printf("%s: verdict=mismatch: the tokens hold different keys labelled \"%s\"\n",
		       owner, label);
		return KT_EXIT_FAIL;
	default:
		break;
	}
	if (*pk == NULL) {
		kt_errx(ctx, "no token of the run holds a key labelled \"%s\"", label);
		return KT_EXIT_TOKEN;
	}
	return -1;
}

int
kt_cmd_check(struct kt_ctx *ctx, int argc, char **argv)
{
	static const struct option lo[] = {KT_COMMON_LONGOPTS,
	                                   {"label", required_argument, NULL, 'l'},
	                                   {"domain", required_argument, NULL, 'd'},
	                                   {"selector", required_argument, NULL, 's'},
	                                   {"nameserver", required_argument, NULL, 'n'},
	                                   {"record", required_argument, NULL, 'r'},
	                                   {NULL, 0, NULL, 0}};
	static const char help[] =
	    "usage: p11dkim-keytool check --label LABEL --domain D --selector S\n"
	    "                             [--nameserver IPv4[:PORT]] [--record FILE]\n"
	    "Looks up the TXT record of S._domainkey.D (or reads it from FILE: the bare value,\n"
	    "or quoted strings as `dns` prints them) and judges it against the token's key.\n"
	    "Prints verdict=ok|missing|syntax|revoked|mismatch|weak|testing|dnsfail and why;\n"
	    "exits 0 only when the published key is the token's key, at least 2048 bits for RSA,\n"
	    "and t=y is not set. With several tokens (--token repeated, or -c FILE listing\n"
	    "several) their keys labelled LABEL are compared first: keys that differ are\n"
	    "verdict=mismatch; a token lacking the key is reported as missing.\n";
	struct kt_dns_opts o;
	enum kt_verdict v = KT_VERDICT_OK;
	EVP_PKEY *pk = NULL;
	char owner[300], detail[512] = "", *txt;
	size_t len;
	int r;

	if ((r = kt_dns_begin(ctx, argc, argv, lo, help, &o, owner, sizeof(owner))) >= 0)
		return r;
	if (o.label == NULL) {
		kt_errx(ctx, "--label is required");
		return KT_EXIT_USAGE;
	}
	if ((r = kt_check_tokens(ctx, o.label, owner, &pk)) != -1)
		return r;
	txt = kt_check_fetch(ctx, &o, owner, &len, &v, detail, sizeof(detail));
	if (txt == NULL && o.record != NULL) {
		EVP_PKEY_free(pk);
		return KT_EXIT_TOKEN;
	}
	if (txt != NULL) {
		v = kt_dns_judge(txt, len, pk, detail, sizeof(detail));
		free(txt);
	}
	EVP_PKEY_free(pk);
	printf("%s: verdict=%s: %s\n", owner, kt_verdict_name(v), detail);
	if (v == KT_VERDICT_OK)
		return KT_EXIT_OK;
	return v == KT_VERDICT_DNSFAIL ? KT_EXIT_DNS : KT_EXIT_FAIL;
}
