/*
 * p11_set_sign.c: one signature on a set of tokens: pick the least busy token holding the key,
 * wait for a session in slices while others may free up, fail over to another token when one
 * fails, and tell the caller of progress while waiting (contract in p11_set.h).
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "pkcs11/p11_int.h"

/* While another token in the rotation holds the key, a wait for a session is cut into slices
 * this long and the choice made again after each: a token that became free, or one that left
 * the rotation, is seen within a slice. */
#define P11_SET_SLICE_MS 250

/* Sessions the token gives now: its pool less the slots it refused a session for. */
static unsigned
p11_set_sessions(struct p11_set_member *m)
{
	unsigned n = m->tok->pool.n, parked = atomic_load(&m->tok->pool.parked);

	return n > parked ? n - parked : 1;
}

/*
 * The member holding k, in the rotation and not in tried, with the fewest outstanding
 * operations per session (a/sa < b/sb compared as a*sb < b*sa, no division); ties go to the
 * earlier one. *others: how many other such members there are. NULL when none.
 */
static struct p11_set_member *
p11_set_pick(p11_set *set, const p11_set_key *k, const bool *tried, size_t *others)
{
	struct p11_set_member *best = NULL;
	unsigned long long bo = 0, bs = 1, o, s;
	size_t i, n = 0;

	for (i = 0; i < set->n; i++) {
		struct p11_set_member *m = &set->m[i];

		if (k->on[i] == NULL || tried[i] || !atomic_load(&m->in_rotation))
			continue;
		n++;
		o = atomic_load(&m->outstanding);
		s = p11_set_sessions(m);
		if (best == NULL || o * bs < bo * s) {
			best = m;
			bo = o;
			bs = s;
		}
	}
	*others = n > 0 ? n - 1 : 0;
	return best;
}

/* When no token holding k is in the rotation (or every one failed this signature): the first
 * holder not yet given the full recovery. */
static struct p11_set_member *
p11_set_last_resort(p11_set *set, const p11_set_key *k, const bool *recovered)
{
	for (size_t i = 0; i < set->n; i++)
		if (k->on[i] != NULL && !recovered[i])
			return &set->m[i];
	return NULL;
}

struct p11_set_wait {
	uint64_t start;
	unsigned wait_ms;
	p11_set_progress_fn progress;
	void *arg;
};

static unsigned
p11_set_left_ms(const struct p11_set_wait *w, uint64_t now)
{
	return now - w->start >= w->wait_ms ? 0 : (unsigned)(w->wait_ms - (now - w->start));
}

/* After each wait: the caller decides how often to tell the MTA (the waits of one message's
 * signatures add up, which only the caller sees). */
static void
p11_set_tick(struct p11_set_wait *w)
{
	if (w->progress != NULL)
		w->progress(w->arg);
}

/* One attempt on m: counted as outstanding while it waits and signs. */
static p11_status
p11_set_attempt(struct p11_set_member *m, p11_set_key *k, const unsigned char *digest,
                size_t digest_len, unsigned char *sig, size_t *sig_len,
                const struct p11_sign_how *how, struct p11_error *e)
{
	uint64_t t0 = p11_now_ms();
	p11_status st;

	atomic_fetch_add(&m->outstanding, 1);
	st = p11_sign_run(m->tok, k->on[m->index], digest, digest_len, sig, sig_len, how, e);
	atomic_fetch_sub(&m->outstanding, 1);
	if (st == P11_OK) {
		atomic_fetch_add(&m->signs, 1);
		atomic_fetch_add(&m->sign_ns, (p11_now_ms() - t0) * 1000000u);
	}
	return st;
}

/* The borrow wait of one attempt: a slice while another token could take it, else the token's
 * own wait; never past the set's bound, and short enough to tell the MTA of progress. */
static unsigned
p11_set_borrow_ms(const struct p11_set_member *m, size_t others, unsigned left)
{
	unsigned ms = others > 0 ? P11_SET_SLICE_MS : m->tok->pool.timeout_ms;

	if (ms > P11_SET_PROGRESS_MS / 2)
		ms = P11_SET_PROGRESS_MS / 2;
	return ms < left ? ms : left;
}

p11_status
p11_set_sign(p11_set *set, p11_set_key *k, const unsigned char *digest, size_t digest_len,
             unsigned char *sig, size_t *sig_len, p11_set_progress_fn progress, void *progress_arg,
             struct p11_error *err)
{
	bool tried[set->n], recovered[set->n];
	struct p11_set_wait w = {.wait_ms = set->wait_ms, .progress = progress, .arg = progress_arg};
	struct p11_set_member *m;
	struct p11_sign_how how;
	struct p11_error e;
	size_t others, len;
	p11_status st = P11_ERR_TOKEN_GONE;
	uint64_t now;

	memset(tried, 0, sizeof(tried));
	memset(recovered, 0, sizeof(recovered));
	memset(&e, 0, sizeof(e));
	w.start = p11_now_ms();
	for (;;) {
		now = p11_now_ms();
		if ((m = p11_set_pick(set, k, tried, &others)) == NULL &&
		    (m = p11_set_last_resort(set, k, recovered)) == NULL)
			break; /* every holder failed, the last with its full recovery */
		/* The last token able to take it gets the full recovery of one token. */
		how.recover = others == 0;
		how.borrow_ms = p11_set_borrow_ms(m, others, p11_set_left_ms(&w, now));
		len = *sig_len;
		st = p11_set_attempt(m, k, digest, digest_len, sig, &len, &how, &e);
		if (st == P11_OK && !atomic_load(&m->in_rotation) &&
		    !p11_set_verify(k, digest, sig, len)) {
			st = P11_ERR_SIGN;
			p11_err_set(&e, st, 0, "token \"%s\" made a signature with key \"%s\" that does "
			            "not verify with the key's public key", m->tok->label, k->ref);
		}
		if (st == P11_OK) {
			*sig_len = len;
			p11_set_rejoin(m, "a signature it made verified");
			if (err != NULL)
				memset(err, 0, sizeof(*err));
			return P11_OK;
		}
		if (st == P11_ERR_INVALID)
			break; /* the request: every token would refuse it */
		now = p11_now_ms();
		if (st == P11_ERR_POOL_TIMEOUT) {
			if (p11_set_left_ms(&w, now) == 0) {
				p11_err_set(&e, st, 0,
				            "no session of a token holding key \"%s\" free in %u ms",
				            k->ref, set->wait_ms);
				break;
			}
			p11_set_tick(&w);
			continue;
		}
		atomic_fetch_add(&m->failures, 1);
		tried[m->index] = true;
		if (how.recover)
			recovered[m->index] = true;
		p11_set_leave(m, e.msg);
		p11_set_tick(&w);
	}
	if (err != NULL)
		*err = e;
	return e.status != P11_OK ? e.status : st;
}
