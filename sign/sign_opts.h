/*
 * sign_opts.h: the configuration's settings as the options of the libraries below: the token
 * section(s) as p11_token_opts and p11_set_opts (for the daemon, p11dkim-sign and the keytool
 * alike) and the sign
 * section as dkim_sign_opts.
 *
 * Contract
 * - Both only copy: the strings and arrays they point to stay owned by the configuration,
 *   which must outlive the options. No errors, no I/O; thread-safe.
 * - Fields the configuration does not set (recover_timeout_ms, idle_check_ms, forget_pin) are
 *   zero: pkcs11/'s defaults. A one-shot program sets forget_pin itself.
 */
#ifndef P11DKIM_SIGN_SIGN_OPTS_H
#define P11DKIM_SIGN_SIGN_OPTS_H

#include <time.h>

#include "config/conf.h"
#include "dkim/dkim.h"
#include "pkcs11/p11.h"
#include "pkcs11/p11_set.h"

void sign_token_opts(const struct conf_token *, struct p11_token_opts *);
/* Every token of the configuration as a set's options: topts has room for conf->ntokens
   (at most CONF_MAX_TOKENS) and is filled here; o points into it. Event left NULL. */
void sign_set_opts(const struct conf *, struct p11_token_opts *topts, struct p11_set_opts *o);

/* when: t= of the first message (0 = no t=). */
void sign_dkim_opts(const struct conf_sign *, time_t when, struct dkim_sign_opts *);

#endif
