/* sign_opts.c: see sign_opts.h. */
#include "config.h"

#include <string.h>

#include "sign/sign_opts.h"

/* config/ cannot include dkim/: its limits are written again there, and must agree. */
_Static_assert(CONF_MAX_KEYS_PER_DOMAIN == DKIM_MAX_SIGNATURES, "keys per domain");
_Static_assert(CONF_MAX_SIGN_HEADERS == DKIM_MAX_SIGN_NAMES, "names in h=");

void
sign_token_opts(const struct conf_token *t, struct p11_token_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->module = t->module;
	o->token = t->token; /* a label or a pkcs11: URI: pkcs11/ understands both */
	o->pin_file = t->pin_file;
	o->pin_env = t->pin_env;
	o->sessions = t->sessions;
	o->borrow_timeout_ms = t->borrow_timeout_ms;
	o->allow_extractable = t->allow_extractable;
}

void
sign_set_opts(const struct conf *c, struct p11_token_opts *topts, struct p11_set_opts *o)
{
	size_t i;

	memset(o, 0, sizeof(*o));
	for (i = 0; i < c->ntokens && i < CONF_MAX_TOKENS; i++)
		sign_token_opts(&c->tokens[i], &topts[i]);
	o->tokens = topts;
	o->ntokens = i;
	o->wait_ms = c->sign.token_wait_ms;
}

void
sign_dkim_opts(const struct conf_sign *s, time_t when, struct dkim_sign_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->hdr_canon = s->hdr_canon == CONF_CANON_SIMPLE ? DKIM_CANON_SIMPLE : DKIM_CANON_RELAXED;
	o->body_canon = s->body_canon == CONF_CANON_SIMPLE ? DKIM_CANON_SIMPLE : DKIM_CANON_RELAXED;
	o->headers = (const char *const *)s->headers;
	o->nheaders = s->nheaders;
	o->oversign = s->oversign;
	o->timestamp = when;
	o->expire_after = s->expire_after;
}
