/*
 * sign_msg.h: the signatures of one message, from the signing table's keys to the finished
 * DKIM-Signature fields: the one signing flow of the daemon and of p11dkim-sign.
 *
 * Contract
 * - sign_msg_add() adds to a signer one signature per key of a domain (configuration order,
 *   at most DKIM_MAX_SIGNATURES), each with the algorithm of its key in a struct sign_keys.
 * - sign_msg_sign() ends the signer (headers canonicalized, digests taken) unless the caller
 *   already did (dkim_signer_end, to compare body hashes first), signs each digest
 *   on the tokens with p11_set_sign (progress, if not NULL, is called while a signature waits
 *   for a token), sets the signatures and makes the fields. dkim/ never sees the
 *   token and pkcs11/ never sees DKIM: this is where the two meet.
 * - Errors: -1 with a struct sign_msg_result saying whether the token failed (SIGN_MSG_TOKEN:
 *   detail "domain/selector: what the token said") or anything else did (SIGN_MSG_INTERNAL),
 *   and nothing printed or logged: the caller decides. Fields made before a failure are still
 *   the caller's to free.
 * - The result also gives the token time of each signature made (for latency metrics) and of
 *   all attempts together. Thread-safe as far as its arguments are: one signer per thread.
 */
#ifndef P11DKIM_SIGN_SIGN_MSG_H
#define P11DKIM_SIGN_SIGN_MSG_H

#include <stddef.h>
#include <stdint.h>

#include "config/conf.h"
#include "dkim/dkim.h"
#include "pkcs11/p11.h"
#include "sign/sign_keys.h"

enum sign_msg_fail { SIGN_MSG_INTERNAL = 1, SIGN_MSG_TOKEN };

struct sign_msg_result {
	size_t nsigned;                   /* signatures made, fields[0..nsigned) filled */
	uint64_t ns[DKIM_MAX_SIGNATURES]; /* token time of each signature made */
	uint64_t total_ns;                /* token time of every attempt, a failed one included */
	enum sign_msg_fail fail;          /* on -1 */
	char detail[600];                 /* on -1 */
};

/* Returns the number of signatures added (entry[0..n) filled), or -1 with detail filled. */
int sign_msg_add(dkim_signer *, const struct sign_keys *, const struct conf *,
                 const struct conf_domain *d, const struct sign_key **entry, char *detail,
                 size_t len);

/* d and entry[] as given to sign_msg_add; fields: dkim_signer_count() slots receiving the
 * malloc'd field values (after the colon), lines folded with eol. 0 or -1. */
int sign_msg_sign(dkim_signer *, p11_set *, const struct conf_domain *d,
                  const struct sign_key *const *entry, const char *eol, char **fields,
                  p11_set_progress_fn progress, void *progress_arg, struct sign_msg_result *);

#endif
