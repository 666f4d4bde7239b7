/* state.c: see state.h. */
#include "config.h"

#include <stdlib.h>

#include "daemon/state.h"

void
state_holder_init(struct state_holder *h)
{
	pthread_mutex_init(&h->mu, NULL);
	h->cur = NULL;
	h->next_generation = 1;
}

static void
state_free(struct state *s)
{
	conf_free(s->conf);
	sign_keys_free(s->keys);
	free(s);
}

void
state_holder_destroy(struct state_holder *h)
{
	struct state *s = h->cur;

	h->cur = NULL;
	if (s != NULL)
		state_release(h, s);
	pthread_mutex_destroy(&h->mu);
}

struct state *
state_new(struct conf *conf, struct sign_keys *keys)
{
	struct state *s = calloc(1, sizeof(*s));

	if (s == NULL)
		return NULL;
	s->conf = conf;
	s->keys = keys;
	s->refs = 1;
	return s;
}

void
state_swap(struct state_holder *h, struct state *s)
{
	struct state *old;

	pthread_mutex_lock(&h->mu);
	s->generation = h->next_generation++;
	old = h->cur;
	h->cur = s;
	pthread_mutex_unlock(&h->mu);
	if (old != NULL)
		state_release(h, old);
}

struct state *
state_acquire(struct state_holder *h)
{
	struct state *s;

	pthread_mutex_lock(&h->mu);
	s = h->cur;
	if (s != NULL)
		s->refs++;
	pthread_mutex_unlock(&h->mu);
	return s;
}

void
state_release(struct state_holder *h, struct state *s)
{
	unsigned left;

	if (s == NULL)
		return;
	pthread_mutex_lock(&h->mu);
	left = --s->refs;
	pthread_mutex_unlock(&h->mu);
	if (left == 0)
		state_free(s);
}
