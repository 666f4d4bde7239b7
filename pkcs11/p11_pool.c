/*
 * p11_pool.c: N session slots, each lent to one thread at a time. The pool only decides who
 * holds which slot; opening, probing and dropping the sessions in them is p11_token.c's job,
 * done by the borrower without the pool lock held.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>

#include "pkcs11/p11_int.h"

p11_status
p11_pool_init(struct p11_pool *p, unsigned n, unsigned timeout_ms)
{
	pthread_condattr_t ca;

	p->slots = calloc(n, sizeof(*p->slots));
	if (p->slots == NULL)
		return P11_ERR_NOMEM;
	p->n = n;
	p->busy = 0;
	p->timeout_ms = timeout_ms;
	pthread_mutex_init(&p->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&p->cv, &ca);
	pthread_condattr_destroy(&ca);
	return P11_OK;
}

void
p11_pool_destroy(struct p11_pool *p)
{
	if (p->slots == NULL)
		return;
	pthread_cond_destroy(&p->cv);
	pthread_mutex_destroy(&p->mu);
	free(p->slots);
	p->slots = NULL;
}

/* A free slot, preferring one whose session is open (no C_OpenSession needed). */
static struct p11_pool_slot *
p11_pool_pick(struct p11_pool *p)
{
	struct p11_pool_slot *closed = NULL;

	for (unsigned i = 0; i < p->n; i++) {
		if (p->slots[i].busy)
			continue;
		if (p->slots[i].open)
			return &p->slots[i];
		if (closed == NULL)
			closed = &p->slots[i];
	}
	return closed;
}

struct p11_pool_slot *
p11_pool_borrow(struct p11_pool *p)
{
	struct p11_pool_slot *s;
	struct timespec deadline;
	int rc = 0;

	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += p->timeout_ms / 1000;
	deadline.tv_nsec += (long)(p->timeout_ms % 1000) * 1000000L;
	if (deadline.tv_nsec >= 1000000000L) {
		deadline.tv_sec++;
		deadline.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&p->mu);
	while ((s = p11_pool_pick(p)) == NULL && rc != ETIMEDOUT)
		rc = pthread_cond_timedwait(&p->cv, &p->mu, &deadline);
	if (s != NULL) {
		s->busy = true;
		p->busy++;
	}
	pthread_mutex_unlock(&p->mu);
	return s;
}

void
p11_pool_return(struct p11_pool *p, struct p11_pool_slot *s)
{
	pthread_mutex_lock(&p->mu);
	s->busy = false;
	p->busy--;
	pthread_cond_signal(&p->cv);
	pthread_mutex_unlock(&p->mu);
}

void
p11_pool_counts(struct p11_pool *p, unsigned *open, unsigned *busy)
{
	unsigned o = 0;

	pthread_mutex_lock(&p->mu);
	for (unsigned i = 0; i < p->n; i++)
		o += p->slots[i].open;
	*busy = p->busy;
	pthread_mutex_unlock(&p->mu);
	*open = o;
}
