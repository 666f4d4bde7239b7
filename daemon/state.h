/*
 * state.h: the daemon's current configuration and key map, swapped atomically on reload.
 *
 * Contract
 * - A struct state bundles one immutable struct conf with the struct sign_keys built for it. It is
 *   reference-counted: state_acquire() hands out the current one with a reference, which the
 *   holder keeps for as long as it uses it (a message keeps the state it started with, even
 *   across a reload) and gives back with state_release(). The last release frees the
 *   configuration and the key map (never the token: the holder does not own it).
 * - state_swap() installs a new state (taking over the caller's reference) and releases the
 *   old one; messages already running keep theirs.
 * - Thread-safe: a mutex guards only the pointer and the counts; nothing slow runs under it.
 * - generation grows by one per installed state, so per-connection caches (the dkim signer built
 *   from the options of a configuration) can tell that they are stale.
 */
#ifndef P11DKIM_DAEMON_STATE_H
#define P11DKIM_DAEMON_STATE_H

#include <pthread.h>

#include "config/conf.h"
#include "sign/sign_keys.h"

struct state {
	struct conf *conf;
	struct sign_keys *keys;
	unsigned long generation;
	unsigned refs; /* guarded by the holder's mutex */
};

struct state_holder {
	pthread_mutex_t mu;
	struct state *cur;
	unsigned long next_generation;
};

void state_holder_init(struct state_holder *);
/* Releases the current state; call when no other thread uses the holder. */
void state_holder_destroy(struct state_holder *);

/* A new state owning conf and keys, with one reference (for the caller). NULL: out of memory
 * (conf and keys are then left to the caller). */
struct state *state_new(struct conf *conf, struct sign_keys *keys);
/* Installs s (the caller's reference passes to the holder). */
void state_swap(struct state_holder *, struct state *s);
/* The current state with a new reference, or NULL before the first swap. */
struct state *state_acquire(struct state_holder *);
void state_release(struct state_holder *, struct state *);

#endif
