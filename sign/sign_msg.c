/* sign_msg.c: see sign_msg.h. */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "sign/sign_msg.h"

int
sign_msg_add(dkim_signer *sg, const struct sign_keys *keys, const struct conf *conf,
             const struct conf_domain *d, const struct sign_key **entry, char *detail, size_t len)
{
	dkim_status s = DKIM_OK;
	size_t k, idx = 0;

	for (k = 0; k < d->nkeys && k < DKIM_MAX_SIGNATURES; k++) {
		entry[k] = sign_keys_get(keys, conf, d, k);
		if (entry[k] == NULL ||
		    (s = dkim_signer_add(sg, entry[k]->alg, d->domain, d->keys[k].selector, NULL,
		                         &idx)) != DKIM_OK ||
		    idx != k) {
			snprintf(detail, len, "adding signature %s/%s: %s", d->domain,
			         d->keys[k].selector,
			         entry[k] == NULL ? "no key in the map" : dkim_strerror(s));
			return -1;
		}
	}
	return (int)k;
}

static uint64_t
sign_msg_ns_since(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (uint64_t)(t1.tv_sec - t0->tv_sec) * 1000000000u + (uint64_t)t1.tv_nsec -
	       (uint64_t)t0->tv_nsec;
}

int
sign_msg_sign(dkim_signer *sg, p11_set *set, const struct conf_domain *d,
              const struct sign_key *const *entry, const char *eol, char **fields,
              p11_set_progress_fn progress, void *progress_arg, struct sign_msg_result *r)
{
	const unsigned char *digest;
	unsigned char sig[DKIM_MAX_SIG_BYTES];
	struct p11_error perr;
	struct timespec t0;
	size_t i, sig_len;
	dkim_status s;
	p11_status ps;

	memset(r, 0, sizeof(*r));
	r->fail = SIGN_MSG_INTERNAL;
	/* The daemon may have ended it already, to read the body hash before deciding. */
	if (dkim_signer_bodyhash(sg) == NULL && (s = dkim_signer_end(sg)) != DKIM_OK) {
		snprintf(r->detail, sizeof(r->detail), "end of message: %s", dkim_strerror(s));
		return -1;
	}
	for (i = 0; i < dkim_signer_count(sg); i++) {
		if ((s = dkim_signer_digest(sg, i, &digest, NULL)) != DKIM_OK) {
			snprintf(r->detail, sizeof(r->detail), "digest: %s", dkim_strerror(s));
			return -1;
		}
		sig_len = sizeof(sig);
		memset(&perr, 0, sizeof(perr));
		clock_gettime(CLOCK_MONOTONIC, &t0);
		ps = p11_set_sign(set, entry[i]->key, digest, DKIM_DIGEST_LEN, sig, &sig_len, progress,
		                  progress_arg, &perr);
		r->ns[i] = sign_msg_ns_since(&t0);
		r->total_ns += r->ns[i];
		if (ps != P11_OK) {
			r->fail = SIGN_MSG_TOKEN;
			snprintf(r->detail, sizeof(r->detail), "%s/%s: %s", d->domain,
			         d->keys[i].selector,
			         perr.msg[0] != '\0' ? perr.msg : p11_strerror(ps));
			return -1;
		}
		if ((s = dkim_signer_set_signature(sg, i, sig, sig_len)) != DKIM_OK ||
		    (s = dkim_signer_field(sg, i, eol, &fields[i])) != DKIM_OK) {
			snprintf(r->detail, sizeof(r->detail), "signature %zu: %s", i,
			         dkim_strerror(s));
			return -1;
		}
		r->nsigned = i + 1;
	}
	return 0;
}
