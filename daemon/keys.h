/*
 * keys.h: the configuration's key references mapped to keys on the token.
 *
 * Contract
 * - keys_build() finds every key of every domain of a configuration on an open token (at start
 *   and on reload) and records its algorithm, which follows the key type (RSA -> rsa-sha256,
 *   Ed25519 -> ed25519-sha256). All keys must be found: the first missing or unusable one fails
 *   the whole build with a message naming the domain, selector, key label and token (and the
 *   file:line of the key in the configuration).
 * - Weak keys (RSA under 2048 bits) are accepted; keys_build reports them through the warn
 *   callback (the daemon logs them, `p11dkim -n` prints them).
 * - A struct keys owns only its arrays; the p11_key pointers belong to the token and stay valid
 *   until the token is closed. It is immutable after keys_build and may be read by any thread.
 */
#ifndef P11DKIM_DAEMON_KEYS_H
#define P11DKIM_DAEMON_KEYS_H

#include <stddef.h>

#include "config/conf.h"
#include "dkim/dkim.h"
#include "pkcs11/p11.h"

struct keys_entry {
	p11_key *key;
	dkim_alg alg;
};

struct keys;

typedef void (*keys_warn_fn)(void *arg, const char *msg);

/* The token options a configuration asks for. */
void keys_token_opts(const struct conf *, struct p11_token_opts *);

/* NULL on error with msg filled. */
struct keys *keys_build(const struct conf *, p11_token *, keys_warn_fn warn, void *arg, char *msg,
                        size_t msglen);
void keys_free(struct keys *);

/* The entry for key k of the domain d (d a pointer into conf->domains of the configuration the
 * map was built for). */
const struct keys_entry *keys_get(const struct keys *, const struct conf *,
                                  const struct conf_domain *d, size_t k);

#endif
