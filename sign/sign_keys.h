/*
 * sign_keys.h: the configuration's key references mapped to keys on the token.
 *
 * Contract
 * - sign_keys_build() finds the keys of every domain of a configuration (or of one domain only)
 *   on the open tokens (every token of the set: the same public key everywhere, or an error
 *   naming two tokens that differ) and records each key's algorithm, which follows the key type (RSA ->
 *   rsa-sha256, Ed25519 -> ed25519-sha256). All of them must be found: the first missing or
 *   unusable one fails the whole build with a message naming the domain, selector, key label
 *   and token (and the file:line of the key in the configuration).
 * - A key that some tokens of the set lack is accepted (those tokens never sign with it) and
 *   reported through the warn callback, naming them.
 * - A key extractable only wrapped under a trusted key (made to be copied between tokens) is
 *   accepted and reported through the warn callback.
 * - Weak keys (RSA under 2048 bits) are accepted and reported through the warn callback (the
 *   daemon logs them, p11dkim-sign prints them). Nothing is printed here.
 * - A struct sign_keys owns only its arrays; the p11_set_key pointers belong to the set and
 *   stay valid until the set is closed. It is immutable after sign_keys_build and may be read by
 *   any thread.
 */
#ifndef P11DKIM_SIGN_SIGN_KEYS_H
#define P11DKIM_SIGN_SIGN_KEYS_H

#include <stddef.h>

#include "config/conf.h"
#include "dkim/dkim.h"
#include "pkcs11/p11.h"
#include "pkcs11/p11_set.h"

struct sign_key {
	p11_set_key *key;
	dkim_alg alg;
};

struct sign_keys;

typedef void (*sign_keys_warn_fn)(void *arg, const char *msg);

/* only: NULL for every domain, else a pointer into conf->domains (the other domains then have
 * no keys in the map). NULL on error with msg filled. */
struct sign_keys *sign_keys_build(const struct conf *, p11_set *, const struct conf_domain *only,
                                  sign_keys_warn_fn warn, void *arg, char *msg, size_t msglen);
void sign_keys_free(struct sign_keys *);

/* One key of the map, alone (for `p11dkim -n`, which reports every key): 0, or -1 with msg. */
int sign_keys_find(const struct conf *, p11_set *, const struct conf_domain *d,
                   const struct conf_key *k, struct sign_key *e, sign_keys_warn_fn warn, void *arg,
                   char *msg, size_t msglen);

/* The key k of the domain d (d a pointer into conf->domains of the configuration the map was
 * built for), or NULL when the map holds none. */
const struct sign_key *sign_keys_get(const struct sign_keys *, const struct conf *,
                                     const struct conf_domain *d, size_t k);

#endif
