/*
 * milter.h: the libmilter callbacks: who is signed, collecting headers, streaming the body into
 * the dkim signer, signing on the token at end of message and inserting DKIM-Signature fields.
 *
 * Contract
 * - struct milter_env is the daemon's one shared context: the state holder (configuration +
 *   key map), the open token, the counters, the in-flight count and the stop flag. main owns
 *   it; milter_register() keeps a pointer to it for the callbacks (libmilter passes no user
 *   pointer), so it must outlive smfi_main().
 * - Every milter protocol version from 2 to 6 is accepted (milter_negotiate.c); only an MTA
 *   that does not let a milter add header fields is refused, with a log line and a count.
 * - Per connection, one struct (signer, header buffers) is allocated at negotiation and reused
 *   for every message of the connection; it is freed at close. A message takes a reference on
 *   the current state at MAIL FROM and keeps it to its end, so a reload never changes a message
 *   half way.
 * - Failure policy: a token error, a pool timeout, a library error or headers beyond the
 *   signer's caps give SMFIS_TEMPFAIL with "451 4.7.0" under on_token_error = tempfail, or an
 *   unsigned accept (logged) under accept. Under tempfail no message that should be signed is
 *   ever accepted unsigned. Every message that is not signed is logged once with its reason;
 *   every signed one once with queue id, d=, s=, a= and the token's signing time.
 * - Counters live in daemon/metrics (lock-free); env->metrics is created by main before the
 *   milter starts and outlives it.
 */
#ifndef P11DKIM_DAEMON_MILTER_H
#define P11DKIM_DAEMON_MILTER_H

#include <stdatomic.h>
#include <stdint.h>

#include "daemon/metrics.h"
#include "daemon/policy.h"
#include "daemon/state.h"
#include "pkcs11/p11.h"
#include "pkcs11/p11_set.h"

struct milter_env {
	struct state_holder *states;
	p11_set *tokens; /* one token or several holding the same keys */
	atomic_int stopping;   /* set at SIGTERM: new messages are tempfailed */
	atomic_long in_flight; /* messages between MAIL FROM and their end */
	struct metrics *metrics;
};

/* smfi_register with our callbacks; 0 or -1. */
int milter_register(struct milter_env *);
/* From now on new candidate messages are tempfailed; returns the messages still running. */
long milter_begin_stop(struct milter_env *);
long milter_in_flight(struct milter_env *);

#endif
