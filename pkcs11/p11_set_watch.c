/*
 * p11_set_watch.c: one watcher thread per token of a set of several. While its token is in the
 * rotation it looks for a C_Sign that has run longer than hang_ms (a device that stopped
 * answering) and takes the token out; while it is out, it probes it with backoff and puts it
 * back when a test signature with every key the set found on it verifies (contract in
 * p11_set.h).
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "pkcs11/p11_int.h"

#define P11_SET_PROBE_MIN_MS 50
/* A token out this long may need its module re-initialised even while another token of the
 * same module works (a device that came back in a new slot is seen only after C_Initialize). */
#define P11_SET_REINIT_AFTER_MS 30000

/* Sleeps up to ms on the member's condition; false when the set closes. */
static bool
p11_set_nap(struct p11_set_member *m, unsigned ms)
{
	struct timespec until;

	p11_deadline_ms(ms, &until);
	pthread_mutex_lock(&m->mu);
	while (!atomic_load(&m->set->closing) &&
	       pthread_cond_timedwait(&m->wake, &m->mu, &until) == 0 &&
	       atomic_load(&m->in_rotation))
		;
	pthread_mutex_unlock(&m->mu);
	return !atomic_load(&m->set->closing);
}

/* Whether another token of the same module is in the rotation: then the module works, and
 * re-initialising it would only cut that token's sessions. */
static bool
p11_set_module_busy(const struct p11_set_member *m)
{
	const p11_set *set = m->set;

	for (size_t i = 0; i < set->n; i++)
		if (&set->m[i] != m && set->m[i].tok->mod == m->tok->mod &&
		    atomic_load(&set->m[i].in_rotation))
			return true;
	return false;
}

/* A fixed digest signed with key k on m and checked with k's public key. */
static bool
p11_set_probe_key(struct p11_set_member *m, const p11_set_key *k, bool recover, char *why,
                  size_t len)
{
	static const unsigned char digest[P11_DIGEST_LEN] = "p11dkim probe: same key, alive?";
	unsigned char sig[1024];
	size_t sig_len = sizeof(sig);
	struct p11_sign_how how = {.borrow_ms = 1000, .recover = recover};
	struct p11_error e = {0};

	if (p11_sign_run(m->tok, k->on[m->index], digest, sizeof(digest), sig, &sig_len, &how,
	                 &e) != P11_OK) {
		snprintf(why, len, "%s", e.msg);
		return false;
	}
	if (!p11_set_verify(k, digest, sig, sig_len)) {
		snprintf(why, len, "the test signature with key \"%s\" does not verify with its "
		         "public key", k->ref);
		return false;
	}
	return true;
}

/* Probes every key the set found on m; true when all signed and verified. A set without keys
 * yet: a session that opens and logs in is enough. */
static bool
p11_set_probe(struct p11_set_member *m, bool recover, char *why, size_t len)
{
	const p11_set_key *k;
	bool ok = true, any = false;
	struct p11_pool_slot *s;
	struct p11_error e = {0};

	/* The slot may have changed while the token was away: find it again. */
	pthread_mutex_lock(&m->tok->state);
	m->tok->slot_gen = UINT64_MAX;
	pthread_mutex_unlock(&m->tok->state);
	/* Only the head is read under the lock: keys are added at the head, never changed and
	 * never freed before the watchers stop, so the walk needs no lock. A probe may wait
	 * seconds for a recovering token, and a reload (p11_set_find_key) must not wait with it. */
	pthread_mutex_lock(&m->set->keys_mu);
	k = m->set->keys;
	pthread_mutex_unlock(&m->set->keys_mu);
	for (; k != NULL && ok; k = k->next)
		if (k->on[m->index] != NULL) {
			any = true;
			ok = p11_set_probe_key(m, k, recover, why, len);
		}
	if (any)
		return ok;
	if (p11_token_acquire(m->tok, &s, &e) != P11_OK) {
		snprintf(why, len, "%s", e.msg);
		return false;
	}
	p11_token_release(m->tok, s);
	return true;
}

static void *
p11_set_watch(void *arg)
{
	struct p11_set_member *m = arg;
	p11_set *set = m->set;
	unsigned pause = P11_SET_PROBE_MIN_MS;
	unsigned check = set->hang_ms / 4 > 250 ? 250 : set->hang_ms / 4 + 1;
	uint64_t now, hung, out_since, last_reinit = 0;
	char why[512], msg[560];
	bool recover;

	while (p11_set_nap(m, atomic_load(&m->in_rotation) ? check : pause)) {
		now = p11_now_ms();
		hung = p11_pool_longest_sign_ms(&m->tok->pool, now);
		if (atomic_load(&m->in_rotation)) {
			pause = P11_SET_PROBE_MIN_MS;
			if (hung > set->hang_ms) {
				snprintf(msg, sizeof(msg), "no answer to C_Sign for %llu ms",
				         (unsigned long long)hung);
				p11_set_leave(m, msg);
			}
			continue;
		}
		if (hung > set->hang_ms)
			goto later; /* still not answering: a probe would queue behind it */
		pthread_mutex_lock(&m->mu);
		out_since = m->out_since_ms;
		pthread_mutex_unlock(&m->mu);
		recover = !p11_set_module_busy(m) ||
		          (now - out_since >= P11_SET_REINIT_AFTER_MS &&
		           now - last_reinit >= P11_SET_REINIT_AFTER_MS);
		if (recover)
			last_reinit = now;
		if (p11_set_probe(m, recover, why, sizeof(why))) {
			snprintf(msg, sizeof(msg), "test signature verified after %llu ms out",
			         (unsigned long long)(p11_now_ms() - out_since));
			p11_set_rejoin(m, msg);
			continue;
		}
		pthread_mutex_lock(&m->mu);
		snprintf(m->why, sizeof(m->why), "%s", why);
		pthread_mutex_unlock(&m->mu);
	later:
		if ((pause *= 2) > set->probe_max_ms)
			pause = set->probe_max_ms;
	}
	return NULL;
}

p11_status
p11_set_watch_start(p11_set *set, struct p11_error *err)
{
	for (size_t i = 0; i < set->n; i++) {
		if (pthread_create(&set->m[i].watcher, NULL, p11_set_watch, &set->m[i]) != 0) {
			p11_err_set(err, P11_ERR_NOMEM, 0, "cannot start the watcher of token \"%s\": %s",
			            set->m[i].tok->label, strerror(errno));
			return P11_ERR_NOMEM;
		}
		set->m[i].watching = true;
	}
	return P11_OK;
}

void
p11_set_watch_stop(p11_set *set)
{
	size_t i;

	atomic_store(&set->closing, true);
	for (i = 0; i < set->n; i++) {
		pthread_mutex_lock(&set->m[i].mu);
		pthread_cond_broadcast(&set->m[i].wake);
		pthread_mutex_unlock(&set->m[i].mu);
	}
	for (i = 0; i < set->n; i++)
		if (set->m[i].watching) {
			pthread_join(set->m[i].watcher, NULL);
			set->m[i].watching = false;
		}
}
