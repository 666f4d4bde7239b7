/* sign_keys.c: see sign_keys.h. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sign/sign_keys.h"

struct sign_keys {
	size_t *first;      /* per domain: index of its first key in v */
	struct sign_key *v; /* zeroed for the domains not built */
	size_t n;
};

void
sign_keys_free(struct sign_keys *k)
{
	if (k == NULL)
		return;
	free(k->first);
	free(k->v);
	free(k);
}

int
sign_keys_find(const struct conf *conf, p11_set *set, const struct conf_domain *d,
               const struct conf_key *ck, struct sign_key *e, sign_keys_warn_fn warn, void *arg,
               char *msg, size_t msglen)
{
	struct p11_error err = {0};
	const p11_key *first;
	char w[768], missing[512], where[64];

	e->key = p11_set_find_key(set, ck->key, missing, sizeof(missing), &err);
	if (e->key == NULL) {
		/* One token: name it, as every message about one token always did. */
		if (p11_set_size(set) == 1)
			snprintf(where, sizeof(where), " on token \"%s\"",
			         p11_token_label(p11_set_token(set, 0)));
		else
			where[0] = '\0';
		snprintf(msg, msglen, "%s:%d: domain %s selector %s: key \"%s\"%s: %s", conf->path,
		         ck->line, d->domain, ck->selector, ck->key, where,
		         err.msg[0] != '\0' ? err.msg : p11_strerror(err.status));
		return -1;
	}
	if (missing[0] != '\0' && warn != NULL) {
		snprintf(w, sizeof(w),
		         "domain %s selector %s: key \"%s\" is not on %s: only the other tokens sign "
		         "with it",
		         d->domain, ck->selector, ck->key, missing);
		warn(arg, w);
	}
	first = p11_set_key_first(e->key);
	e->alg =
	    p11_key_type(first) == P11_KEY_ED25519 ? DKIM_ALG_ED25519_SHA256 : DKIM_ALG_RSA_SHA256;
	/* The signer takes signatures of at most DKIM_MAX_SIG_BYTES: a larger RSA key would pass
	 * -n and then fail every message. */
	if (e->alg == DKIM_ALG_RSA_SHA256 && p11_key_bits(first) > DKIM_MAX_SIG_BYTES * 8) {
		snprintf(msg, msglen,
		         "%s:%d: domain %s selector %s: key \"%s\" is RSA with %u bits; at most %u",
		         conf->path, ck->line, d->domain, ck->selector, ck->key,
		         p11_key_bits(first), DKIM_MAX_SIG_BYTES * 8);
		return -1;
	}
	/* Accepted by pkcs11/, but the administrator should know this key can leave the token,
	 * encrypted under a trusted wrap key (made for copying it to the other token of a pair). */
	if (p11_key_wrap_only(first) && warn != NULL) {
		snprintf(w, sizeof(w),
		         "domain %s selector %s: key \"%s\" is extractable only wrapped under a "
		         "trusted key (CKA_WRAP_WITH_TRUSTED): accepted",
		         d->domain, ck->selector, ck->key);
		warn(arg, w);
	}
	if (p11_key_weak(first) && warn != NULL) {
		snprintf(w, sizeof(w),
		         "domain %s selector %s: key \"%s\" is RSA with %u bits; use 2048 or more "
		         "(RFC 8301)",
		         d->domain, ck->selector, ck->key, p11_key_bits(first));
		warn(arg, w);
	}
	return 0;
}

struct sign_keys *
sign_keys_build(const struct conf *conf, p11_set *set, const struct conf_domain *only,
                sign_keys_warn_fn warn, void *arg, char *msg, size_t msglen)
{
	struct sign_keys *k;
	size_t i, j, n = 0;

	for (i = 0; i < conf->ndomains; i++)
		n += conf->domains[i].nkeys;
	k = calloc(1, sizeof(*k));
	if (k == NULL)
		goto nomem;
	k->first = calloc(conf->ndomains + 1, sizeof(*k->first));
	k->v = calloc(n + 1, sizeof(*k->v));
	if (k->first == NULL || k->v == NULL)
		goto nomem;
	k->n = 0;
	for (i = 0; i < conf->ndomains; i++) {
		const struct conf_domain *d = &conf->domains[i];

		k->first[i] = k->n;
		for (j = 0; j < d->nkeys; j++) {
			if ((only == NULL || only == d) &&
			    sign_keys_find(conf, set, d, &d->keys[j], &k->v[k->n], warn, arg, msg,
			                   msglen) != 0) {
				sign_keys_free(k);
				return NULL;
			}
			k->n++;
		}
	}
	return k;
nomem:
	sign_keys_free(k);
	snprintf(msg, msglen, "out of memory building the key map");
	return NULL;
}

const struct sign_key *
sign_keys_get(const struct sign_keys *k, const struct conf *conf, const struct conf_domain *d,
              size_t key)
{
	size_t i = (size_t)(d - conf->domains);

	if (i >= conf->ndomains || key >= d->nkeys)
		return NULL;
	return k->v[k->first[i] + key].key != NULL ? &k->v[k->first[i] + key] : NULL;
}
