/*
 * p11_pool.c: N session slots, each lent to one thread at a time. The pool only decides who
 * holds which slot; opening, probing and dropping the sessions in them is p11_token.c's job,
 * done by the borrower.
 *
 * No lock: a counting semaphore holds one token per free slot, and a borrower that got a token
 * claims a slot with a compare-and-swap on its busy flag. Every thread scanning holds a token,
 * so there are at least as many free slots as scanners and each scan ends. Under load (many
 * more threads than sessions) this keeps a returning thread from queueing behind a mutex that
 * the woken borrower must take again, which is where a mutex and condition variable spent
 * their time (perf, 64 milter connections).
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>

#include "pkcs11/p11_int.h"

p11_status
p11_pool_init(struct p11_pool *p, unsigned n, unsigned timeout_ms)
{
	p->slots = calloc(n, sizeof(*p->slots));
	if (p->slots == NULL)
		return P11_ERR_NOMEM;
	if (sem_init(&p->free, 0, n) != 0) {
		free(p->slots);
		p->slots = NULL;
		return P11_ERR_NOMEM;
	}
	p->n = n;
	atomic_init(&p->busy, 0);
	atomic_init(&p->parked, 0);
	p->timeout_ms = timeout_ms;
	return P11_OK;
}

void
p11_pool_destroy(struct p11_pool *p)
{
	if (p->slots == NULL)
		return;
	sem_destroy(&p->free);
	free(p->slots);
	p->slots = NULL;
}

static bool
p11_pool_claim(struct p11_pool *p, struct p11_pool_slot *s)
{
	bool expected = false;

	if (!atomic_compare_exchange_strong(&s->busy, &expected, true))
		return false;
	atomic_fetch_add(&p->busy, 1);
	return true;
}

void
p11_pool_shrink(struct p11_pool *p, unsigned n)
{
	/* Nothing is lent yet, so each surplus token is there to take: the semaphore must count
	   the slots that exist, or a borrower passes it with no slot to claim. */
	while (p->n > n && sem_trywait(&p->free) == 0)
		p->n--;
}

/* Passes over the slots before a borrower gives up: with the semaphore right one is always
 * enough but for races lost to other scanners, so reaching it means the count is wrong. */
#define P11_POOL_MAX_SCANS 1000

/* Claims a free slot, preferring one whose session is open (no C_OpenSession needed). The
 * caller holds a token of p->free, so one is free; NULL (the token given back) if the scan
 * still finds none after P11_POOL_MAX_SCANS passes, rather than spin. */
static struct p11_pool_slot *
p11_pool_pick(struct p11_pool *p)
{
	for (unsigned scan = 0; scan < P11_POOL_MAX_SCANS; scan++) {
		for (unsigned i = 0; i < p->n; i++)
			if (atomic_load(&p->slots[i].open) && !atomic_load(&p->slots[i].busy) &&
			    p11_pool_claim(p, &p->slots[i]))
				return &p->slots[i];
		for (unsigned i = 0; i < p->n; i++)
			if (p11_pool_claim(p, &p->slots[i]))
				return &p->slots[i];
	}
	sem_post(&p->free);
	return NULL;
}

struct p11_pool_slot *
p11_pool_borrow(struct p11_pool *p)
{
	return p11_pool_borrow_for(p, p->timeout_ms);
}

struct p11_pool_slot *
p11_pool_borrow_for(struct p11_pool *p, unsigned timeout_ms)
{
	struct timespec deadline;

	if (sem_trywait(&p->free) != 0) {
		p11_deadline_ms(timeout_ms, &deadline);
		while (sem_clockwait(&p->free, CLOCK_MONOTONIC, &deadline) != 0)
			if (errno != EINTR)
				return NULL;
	}
	return p11_pool_pick(p);
}

struct p11_pool_slot *
p11_pool_try_borrow_slot(struct p11_pool *p, struct p11_pool_slot *s)
{
	if (sem_trywait(&p->free) != 0)
		return NULL;
	if (!p11_pool_claim(p, s)) {
		sem_post(&p->free);
		return NULL;
	}
	return s;
}

void
p11_pool_return(struct p11_pool *p, struct p11_pool_slot *s)
{
	atomic_fetch_sub(&p->busy, 1);
	atomic_store(&s->busy, false);
	sem_post(&p->free);
}

void
p11_pool_park(struct p11_pool *p, struct p11_pool_slot *s, uint64_t now_ms)
{
	/* Still claimed (busy) and its semaphore token not given back: to borrowers the pool is
	   one session smaller until p11_pool_unpark_due. */
	atomic_fetch_sub(&p->busy, 1);
	atomic_store(&s->parked_ms, now_ms);
	atomic_fetch_add(&p->parked, 1);
}

unsigned
p11_pool_unpark_due(struct p11_pool *p, uint64_t now_ms, unsigned after_ms)
{
	uint_fast64_t t;
	unsigned n = 0;

	if (atomic_load(&p->parked) == 0)
		return 0;
	for (unsigned i = 0; i < p->n; i++) {
		t = atomic_load(&p->slots[i].parked_ms);
		if (t == 0 || now_ms - t < after_ms ||
		    !atomic_compare_exchange_strong(&p->slots[i].parked_ms, &t, 0))
			continue;
		atomic_fetch_sub(&p->parked, 1);
		atomic_store(&p->slots[i].busy, false);
		sem_post(&p->free);
		n++;
	}
	return n;
}

uint64_t
p11_pool_longest_sign_ms(struct p11_pool *p, uint64_t now_ms)
{
	uint_fast64_t t, longest = 0;

	for (unsigned i = 0; i < p->n; i++) {
		t = atomic_load(&p->slots[i].sign_since_ms);
		if (t != 0 && now_ms > t && now_ms - t > longest)
			longest = now_ms - t;
	}
	return longest;
}

void
p11_pool_counts(struct p11_pool *p, unsigned *open, unsigned *busy)
{
	unsigned o = 0;

	for (unsigned i = 0; i < p->n; i++)
		o += atomic_load(&p->slots[i].open);
	*busy = atomic_load(&p->busy);
	*open = o;
}
