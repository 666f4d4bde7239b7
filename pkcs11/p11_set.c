/*
 * p11_set.c: the set of tokens itself: opening and closing it, finding a key on every token and
 * proving it is the same key everywhere, the rotation (who is in, who left and why) and the
 * counters. Signing is p11_set_sign.c; the watcher threads are p11_set_watch.c.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/rsa.h>

#include "pkcs11/p11_int.h"

#define P11_SET_DEFAULT_WAIT_MS 120000
#define P11_SET_DEFAULT_HANG_MS 2000
#define P11_SET_DEFAULT_PROBE_MS 1000

const char *
p11_token_serial(const p11_token *tok)
{
	return tok->serial;
}

size_t
p11_set_size(const p11_set *set)
{
	return set->n;
}

p11_token *
p11_set_token(const p11_set *set, size_t i)
{
	return i < set->n ? set->m[i].tok : NULL;
}

static void
p11_set_key_free(struct p11_set_key *k)
{
	free(k->ref);
	free(k->on);
	EVP_PKEY_free(k->pub);
	free(k);
}

void
p11_set_close(p11_set *set)
{
	struct p11_set_key *k, *next;
	size_t i;

	if (set == NULL)
		return;
	p11_set_watch_stop(set);
	for (k = set->keys; k != NULL; k = next) {
		next = k->next;
		p11_set_key_free(k);
	}
	for (i = 0; i < set->n; i++) {
		p11_token_close(set->m[i].tok);
		pthread_mutex_destroy(&set->m[i].mu);
		pthread_cond_destroy(&set->m[i].wake);
	}
	pthread_mutex_destroy(&set->keys_mu);
	free(set->m);
	free(set);
}

/* Prefixes err's message with the token and module that failed to open. */
static void
p11_set_blame(const struct p11_token_opts *t, struct p11_error *err)
{
	char msg[sizeof(err->msg)];

	if (err == NULL)
		return;
	snprintf(msg, sizeof(msg), "%s", err->msg[0] != '\0' ? err->msg : p11_strerror(err->status));
	/* Cut, not refused, when long: the token and module come first. */
	snprintf(err->msg, sizeof(err->msg), "token \"%.64s\" (module %.128s): %.300s",
	         t->token != NULL ? t->token : "", t->module != NULL ? t->module : "", msg);
}

p11_set *
p11_set_open(const struct p11_set_opts *o, struct p11_error *err)
{
	pthread_condattr_t ca;
	p11_set *set;
	size_t i;

	if (err != NULL)
		memset(err, 0, sizeof(*err));
	if (o == NULL || o->tokens == NULL || o->ntokens == 0) {
		p11_err_set(err, P11_ERR_INVALID, 0, "a token set needs at least one token");
		return NULL;
	}
	if ((set = calloc(1, sizeof(*set))) == NULL ||
	    (set->m = calloc(o->ntokens, sizeof(*set->m))) == NULL) {
		free(set);
		p11_err_set(err, P11_ERR_NOMEM, 0, "out of memory");
		return NULL;
	}
	pthread_mutex_init(&set->keys_mu, NULL);
	atomic_init(&set->closing, false);
	set->wait_ms = o->wait_ms ? o->wait_ms : P11_SET_DEFAULT_WAIT_MS;
	set->hang_ms = o->hang_ms ? o->hang_ms : P11_SET_DEFAULT_HANG_MS;
	set->probe_max_ms = o->probe_max_ms ? o->probe_max_ms : P11_SET_DEFAULT_PROBE_MS;
	set->event = o->event;
	set->event_arg = o->event_arg;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	for (i = 0; i < o->ntokens; i++) {
		struct p11_set_member *m = &set->m[i];

		m->set = set;
		m->index = i;
		atomic_init(&m->in_rotation, true);
		pthread_mutex_init(&m->mu, NULL);
		pthread_cond_init(&m->wake, &ca);
		set->n = i + 1;
		if ((m->tok = p11_token_open(&o->tokens[i], err)) == NULL) {
			p11_set_blame(&o->tokens[i], err);
			pthread_condattr_destroy(&ca);
			p11_set_close(set);
			return NULL;
		}
	}
	pthread_condattr_destroy(&ca);
	if (set->n > 1 && p11_set_watch_start(set, err) != P11_OK) {
		p11_set_close(set);
		return NULL;
	}
	return set;
}

/* "token "LABEL" (serial S)", for messages that must tell two tokens of one label apart. */
static const char *
p11_set_name(const p11_token *tok, char *buf, size_t len)
{
	snprintf(buf, len, "token \"%s\" (serial %s)", tok->label,
	         tok->serial[0] != '\0' ? tok->serial : "none");
	return buf;
}

/* The same public key on every holder: EVP_PKEY_eq compares the key material (modulus and
 * exponent, or the Ed25519 point), not the labels or IDs. */
static p11_status
p11_set_key_check(p11_set *set, struct p11_set_key *k, struct p11_error *err)
{
	char a[96], b[96];
	size_t i, first = set->n;
	EVP_PKEY *pub;
	p11_status st;

	for (i = 0; i < set->n; i++) {
		if (k->on[i] == NULL)
			continue;
		if ((st = p11_key_public(set->m[i].tok, k->on[i], &pub, err)) != P11_OK)
			return st;
		if (k->pub == NULL) {
			k->pub = pub;
			k->first = k->on[i];
			first = i;
			continue;
		}
		if (EVP_PKEY_eq(k->pub, pub) != 1) {
			EVP_PKEY_free(pub);
			p11_err_set(err, P11_ERR_KEY_MISMATCH, 0,
			            "%s and %s hold different public keys under this reference; DNS "
			            "publishes one, so signatures made with the other would fail at "
			            "every receiver (replicate the key, see p11dkim-keytool replicate)",
			            p11_set_name(set->m[first].tok, a, sizeof(a)),
			            p11_set_name(set->m[i].tok, b, sizeof(b)));
			return P11_ERR_KEY_MISMATCH;
		}
		EVP_PKEY_free(pub);
	}
	return P11_OK;
}

/* The tokens of the set lacking k, as ""LABEL" (serial S), ..." in warn. */
static void
p11_set_key_missing(const p11_set *set, const struct p11_set_key *k, char *warn, size_t len)
{
	size_t i, o = 0;
	char name[96];

	if (warn == NULL || len == 0)
		return;
	warn[0] = '\0';
	for (i = 0; i < set->n && o < len; i++)
		if (k->on[i] == NULL)
			o += (size_t)snprintf(warn + o, len - o, "%s%s", o > 0 ? ", " : "",
			                      p11_set_name(set->m[i].tok, name, sizeof(name)));
}

static bool
p11_set_key_same(const p11_set *set, const struct p11_set_key *a, const struct p11_set_key *b)
{
	if (strcmp(a->ref, b->ref) != 0 || EVP_PKEY_eq(a->pub, b->pub) != 1)
		return false;
	for (size_t i = 0; i < set->n; i++)
		if (a->on[i] != b->on[i])
			return false;
	return true;
}

/* Looks ref up on every token. A token that answers "no such key" does not hold it; any other
 * error (an unfit key, an ambiguous reference, a token that fails) is the caller's error. */
static p11_status
p11_set_key_find_all(p11_set *set, struct p11_set_key *k, struct p11_error *err)
{
	struct p11_error e, missing = {0};
	size_t i, held = 0;
	char name[96];

	for (i = 0; i < set->n; i++) {
		memset(&e, 0, sizeof(e));
		k->on[i] = p11_token_find_key(set->m[i].tok, k->ref, &e);
		if (k->on[i] != NULL) {
			held++;
			continue;
		}
		if (e.status != P11_ERR_KEY_NOT_FOUND) {
			if (err != NULL)
				*err = e;
			return e.status;
		}
		if (missing.status == P11_OK)
			missing = e;
	}
	if (held > 0)
		return P11_OK;
	if (set->n == 1) {
		if (err != NULL)
			*err = missing;
		return P11_ERR_KEY_NOT_FOUND;
	}
	p11_err_set(err, P11_ERR_KEY_NOT_FOUND, 0, "key \"%s\" is on none of the %zu tokens (%s, ...)",
	            k->ref, set->n, p11_set_name(set->m[0].tok, name, sizeof(name)));
	return P11_ERR_KEY_NOT_FOUND;
}

p11_set_key *
p11_set_find_key(p11_set *set, const char *ref, char *warn, size_t warnlen, struct p11_error *err)
{
	struct p11_set_key *k, *old;
	p11_status st;

	if (err != NULL)
		memset(err, 0, sizeof(*err));
	if (warn != NULL && warnlen > 0)
		warn[0] = '\0';
	if (set == NULL || ref == NULL) {
		p11_err_set(err, P11_ERR_INVALID, 0, "p11_set_find_key: missing argument");
		return NULL;
	}
	if ((k = calloc(1, sizeof(*k))) == NULL || (k->ref = strdup(ref)) == NULL ||
	    (k->on = calloc(set->n, sizeof(*k->on))) == NULL) {
		if (k != NULL)
			p11_set_key_free(k);
		p11_err_set(err, P11_ERR_NOMEM, 0, "out of memory");
		return NULL;
	}
	if ((st = p11_set_key_find_all(set, k, err)) != P11_OK ||
	    (st = p11_set_key_check(set, k, err)) != P11_OK) {
		p11_set_key_free(k);
		return NULL;
	}
	p11_set_key_missing(set, k, warn, warnlen);
	/* Signing threads may hold an older answer: it stays valid (and listed) until close. */
	pthread_mutex_lock(&set->keys_mu);
	for (old = set->keys; old != NULL; old = old->next)
		if (p11_set_key_same(set, old, k))
			break;
	if (old == NULL) {
		k->next = set->keys;
		set->keys = k;
	}
	pthread_mutex_unlock(&set->keys_mu);
	if (old != NULL) {
		p11_set_key_free(k);
		return old;
	}
	return k;
}

const p11_key *
p11_set_key_first(const p11_set_key *k)
{
	return k->first;
}

EVP_PKEY *
p11_set_key_public(const p11_set_key *k)
{
	return k->pub;
}

bool
p11_set_key_on(const p11_set_key *k, size_t i)
{
	return k->on[i] != NULL;
}

bool
p11_set_verify(const p11_set_key *k, const unsigned char *digest, const unsigned char *sig,
               size_t sig_len)
{
	EVP_PKEY_CTX *pc = NULL;
	EVP_MD_CTX *mc = NULL;
	bool ok = false;

	if (p11_key_type(k->first) == P11_KEY_ED25519) {
		/* RFC 8463: Ed25519 signs the SHA-256 digest as its message. */
		mc = EVP_MD_CTX_new();
		ok = mc != NULL && EVP_DigestVerifyInit(mc, NULL, NULL, NULL, k->pub) == 1 &&
		     EVP_DigestVerify(mc, sig, sig_len, digest, P11_DIGEST_LEN) == 1;
		EVP_MD_CTX_free(mc);
		return ok;
	}
	pc = EVP_PKEY_CTX_new(k->pub, NULL);
	ok = pc != NULL && EVP_PKEY_verify_init(pc) == 1 &&
	     EVP_PKEY_CTX_set_rsa_padding(pc, RSA_PKCS1_PADDING) == 1 &&
	     EVP_PKEY_CTX_set_signature_md(pc, EVP_sha256()) == 1 &&
	     EVP_PKEY_verify(pc, sig, sig_len, digest, P11_DIGEST_LEN) == 1;
	EVP_PKEY_CTX_free(pc);
	return ok;
}

static void
p11_set_event(struct p11_set_member *m, bool in, const char *why)
{
	if (m->set->event != NULL)
		m->set->event(m->set->event_arg, m->tok->label, m->tok->serial, in, why);
}

void
p11_set_leave(struct p11_set_member *m, const char *why)
{
	bool was = true;

	if (m->set->n < 2 || !atomic_compare_exchange_strong(&m->in_rotation, &was, false))
		return;
	atomic_fetch_add(&m->left, 1);
	pthread_mutex_lock(&m->mu);
	snprintf(m->why, sizeof(m->why), "%s", why);
	m->out_since_ms = p11_now_ms();
	pthread_cond_signal(&m->wake);
	pthread_mutex_unlock(&m->mu);
	p11_set_event(m, false, why);
}

void
p11_set_rejoin(struct p11_set_member *m, const char *why)
{
	bool was = false;

	if (!atomic_compare_exchange_strong(&m->in_rotation, &was, true))
		return;
	p11_set_event(m, true, why);
}

void
p11_set_member_stats(const p11_set *set, size_t i, struct p11_set_member_stats *out)
{
	struct p11_set_member *m = &set->m[i];

	memset(out, 0, sizeof(*out));
	out->in_rotation = atomic_load(&m->in_rotation);
	out->outstanding = atomic_load(&m->outstanding);
	out->signs = atomic_load(&m->signs);
	out->failures = atomic_load(&m->failures);
	out->left = atomic_load(&m->left);
	out->sign_ns = atomic_load(&m->sign_ns);
	p11_token_stats(m->tok, &out->token);
}

void
p11_set_stats(const p11_set *set, struct p11_stats *out)
{
	struct p11_stats s;
	size_t i, j;

	memset(out, 0, sizeof(*out));
	for (i = 0; i < set->n; i++) {
		p11_token_stats(set->m[i].tok, &s);
		out->signs += s.signs;
		out->sign_errors += s.sign_errors;
		out->retries += s.retries;
		out->recoveries += s.recoveries;
		out->session_drops += s.session_drops;
		out->pool_timeouts += s.pool_timeouts;
		out->sign_cpu_ns += s.sign_cpu_ns;
		out->sessions += s.sessions;
		out->sessions_open += s.sessions_open;
		out->sessions_busy += s.sessions_busy;
		if (s.max_session_users > out->max_session_users)
			out->max_session_users = s.max_session_users;
		if (out->login_blocked == 0)
			out->login_blocked = s.login_blocked;
		/* Re-initialisations belong to the module, shared by its tokens: count it once. */
		for (j = 0; j < i && set->m[j].tok->mod != set->m[i].tok->mod; j++)
			;
		if (j == i)
			out->reinits += s.reinits;
	}
}
