/*
 * keytool_session: the tools' token, over pkcs11/; see keytool_session.h.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tools/keytool_session.h"

/* The tools run one operation at a time, bench aside (which asks for more). */
#define KT_DEFAULT_SESSIONS 2

struct kt_token {
	p11_token *p11;
};

int
kt_error_set(struct kt_error *err, unsigned long rv, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL)
		return -1;
	err->rv = rv;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return -1;
}

struct kt_token *
kt_token_open(const struct kt_token_opts *opts, struct kt_error *err)
{
	struct p11_token_opts po;
	struct p11_error perr;
	struct kt_token *tok;

	if (opts->module == NULL || opts->token == NULL) {
		kt_error_set(err, 0, "no PKCS#11 module or token given");
		return NULL;
	}
	if ((tok = calloc(1, sizeof(*tok))) == NULL) {
		kt_error_set(err, 0, "out of memory");
		return NULL;
	}
	memset(&po, 0, sizeof(po));
	po.module = opts->module;
	po.token = opts->token;
	po.pin_file = opts->pin_file;
	po.pin_env = opts->pin_env;
	po.sessions = opts->sessions ? opts->sessions : KT_DEFAULT_SESSIONS;
	po.allow_extractable = opts->allow_extractable;
	/* A one-shot tool never needs to log in again: keep no PIN in memory. */
	po.forget_pin = true;
	memset(&perr, 0, sizeof(perr));
	tok->p11 = p11_token_open(&po, &perr);
	if (tok->p11 == NULL) {
		kt_error_set(err, perr.rv, "%s", perr.msg);
		free(tok);
		return NULL;
	}
	return tok;
}

void
kt_token_close(struct kt_token *tok)
{
	if (tok == NULL)
		return;
	p11_token_close(tok->p11);
	free(tok);
}

const char *
kt_token_label(const struct kt_token *tok)
{
	return p11_token_label(tok->p11);
}

p11_token *
kt_token_p11(struct kt_token *tok)
{
	return tok->p11;
}

int
kt_token_with_session(struct kt_token *tok, bool rw, kt_session_fn fn, void *arg,
                      struct kt_error *err)
{
	struct p11_error perr;

	if (err != NULL)
		err->msg[0] = '\0';
	memset(&perr, 0, sizeof(perr));
	if (p11_token_with_session(tok->p11, rw, fn, arg, &perr) == P11_OK)
		return 0;
	/* FN may have said what went wrong in its own words: keep those. */
	if (err != NULL && err->msg[0] != '\0') {
		err->rv = perr.rv;
		return -1;
	}
	return kt_error_set(err, perr.rv, "%s", perr.msg);
}
