/*
 * config/conf_signtable.c: the signing table, From domain -> configured
 * domain entry. An open-addressing hash table (linear probing, at most half
 * full) of indexes into conf->domains, built once at load and only read
 * afterwards, so lookups need no lock. Entries without a name (only in a
 * configuration being rejected) are left out. A lookup hashes the domain and then
 * each parent suffix, so it costs one probe sequence per label.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config/conf_internal.h"

/* A From domain longer than this is no DNS name: nothing can match it. */
#define CONF_DOMAIN_MAX 253

/* The hash's high half rides along, so that a probe that does not match
 * rarely has to touch the domain's string, which lives elsewhere in memory. */
struct conf_signtable_slot {
	uint32_t index; /* domain index + 1; 0 = empty */
	uint32_t check; /* hash >> 32 */
};

struct conf_signtable {
	const struct conf_domain *domains;
	size_t mask; /* slots - 1, slots a power of two */
	struct conf_signtable_slot *slot;
};

/* FNV-1a: the keys come from the operator's own file, not from an attacker,
 * and the probe sequence is short, so flooding is no concern here. */
static uint64_t
conf_signtable_hash(const char *s, size_t len)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	size_t i;

	for (i = 0; i < len; i++) {
		h ^= (unsigned char)s[i];
		h *= 0x100000001b3ULL;
	}
	return h ^ (h >> 29);
}

static const struct conf_domain *
conf_signtable_find(const struct conf_signtable *t, const char *name, size_t len)
{
	uint64_t h = conf_signtable_hash(name, len);
	uint32_t check = (uint32_t)(h >> 32);
	size_t i = (size_t)h & t->mask;
	const struct conf_domain *d;

	while (t->slot[i].index != 0) {
		if (t->slot[i].check == check) {
			d = &t->domains[t->slot[i].index - 1];
			if (strncmp(d->domain, name, len) == 0 && d->domain[len] == '\0')
				return d;
		}
		i = (i + 1) & t->mask;
	}
	return NULL;
}

struct conf_signtable *
conf_signtable_build(const struct conf_domain *domains, size_t n,
                     void (*dup)(void *arg, size_t first, size_t again), void *arg)
{
	struct conf_signtable *t;
	size_t slots = 16, i, j, len;
	uint64_t h;

	if (n > UINT32_MAX / 4)
		return NULL;
	while (slots < n * 2)
		slots *= 2;
	t = calloc(1, sizeof(*t));
	if (t == NULL)
		return NULL;
	t->slot = calloc(slots, sizeof(*t->slot));
	if (t->slot == NULL) {
		free(t);
		return NULL;
	}
	t->domains = domains;
	t->mask = slots - 1;
	for (i = 0; i < n; i++) {
		if (domains[i].domain == NULL)
			continue;
		len = strlen(domains[i].domain);
		h = conf_signtable_hash(domains[i].domain, len);
		j = (size_t)h & t->mask;
		while (t->slot[j].index != 0) {
			if (strcmp(domains[t->slot[j].index - 1].domain, domains[i].domain) == 0)
				break;
			j = (j + 1) & t->mask;
		}
		if (t->slot[j].index != 0) {
			/* The first entry stays; the caller reports the second. */
			if (dup != NULL)
				dup(arg, t->slot[j].index - 1, i);
			continue;
		}
		t->slot[j].index = (uint32_t)(i + 1);
		t->slot[j].check = (uint32_t)(h >> 32);
	}
	return t;
}

void
conf_signtable_free(struct conf_signtable *t)
{
	if (t == NULL)
		return;
	free(t->slot);
	free(t);
}

const struct conf_domain *
conf_signtable_lookup(const struct conf *conf, const char *from_domain)
{
	char name[CONF_DOMAIN_MAX + 2];
	const struct conf_domain *d;
	size_t len, i;

	if (conf == NULL || conf->signtable == NULL || from_domain == NULL)
		return NULL;
	len = strnlen(from_domain, CONF_DOMAIN_MAX + 2);
	if (len > 0 && from_domain[len - 1] == '.')
		len--;
	if (len == 0 || len > CONF_DOMAIN_MAX)
		return NULL;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)from_domain[i];

		name[i] = (char)(c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c);
	}
	name[len] = '\0';

	d = conf_signtable_find(conf->signtable, name, len);
	if (d != NULL)
		return d;
	/* Parents, nearest first: "a.b.example.com" tries "b.example.com",
	 * then "example.com", then "com". */
	for (i = 0; i < len; i++) {
		if (name[i] != '.' || i + 1 == len)
			continue;
		d = conf_signtable_find(conf->signtable, name + i + 1, len - i - 1);
		if (d != NULL && d->subdomains)
			return d;
	}
	return NULL;
}
