/*
 * p11_sign.c: sign one digest through the pool, and recover from a token that misbehaves.
 *
 * An attempt borrows a session, makes sure it is alive and logged in, C_SignInit + C_Sign, and
 * returns it. The first failure that may mean "dead session" is retried at once on a fresh
 * session; later failures re-initialise the module (with backoff, shared by all threads through
 * the generation number) before the next attempt, until recover_timeout_ms has passed.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "pkcs11/p11_int.h"

/* DER DigestInfo header for SHA-256 (RFC 8017, section 9.2, note 1): CKM_RSA_PKCS pads but does
   not hash, so the DigestInfo is mechanism knowledge and is written here, and only here. */
#define P11_DIGESTINFO_PREFIX_LEN 19
static const unsigned char p11_sha256_prefix[P11_DIGESTINFO_PREFIX_LEN] = {
    0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01,
    0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20};

#define P11_RETRY_SLEEP_MIN_MS 10
#define P11_RETRY_SLEEP_MAX_MS 250

/* What to do after a failed attempt. */
enum p11_verdict { P11_FAIL, P11_RETRY };

static enum p11_verdict
p11_sign_verdict(p11_status st, CK_RV rv)
{
	switch (st) {
	case P11_ERR_PIN: /* retrying a wrong PIN would lock the token */
	case P11_ERR_PIN_FILE:
	case P11_ERR_LOGIN:
	case P11_ERR_KEY_AMBIGUOUS:
	case P11_ERR_KEY_TYPE: /* the key found again is unfit: another try finds it again */
	case P11_ERR_KEY_USAGE:
	case P11_ERR_KEY_UNSAFE:
	case P11_ERR_KEY_WEAK:
	case P11_ERR_MECHANISM:
	case P11_ERR_POOL_TIMEOUT:
	case P11_ERR_MODULE:
	case P11_ERR_NOMEM:
		return P11_FAIL;
	default:
		break;
	}
	switch (rv) {
	/* The request itself is wrong: another session will not change the answer. */
	case CKR_ARGUMENTS_BAD:
	case CKR_DATA_INVALID:
	case CKR_DATA_LEN_RANGE:
	case CKR_MECHANISM_INVALID:
	case CKR_MECHANISM_PARAM_INVALID:
	case CKR_KEY_TYPE_INCONSISTENT:
	case CKR_KEY_FUNCTION_NOT_PERMITTED:
	case CKR_KEY_SIZE_RANGE:
	case CKR_BUFFER_TOO_SMALL:
		return P11_FAIL;
	default:
		/* Real tokens answer CKR_FUNCTION_FAILED or stranger for a dead session. */
		return P11_RETRY;
	}
}

static void
p11_sign_note_users(p11_token *tok, unsigned n)
{
	unsigned m = atomic_load(&tok->st.max_users);

	while (n > m && !atomic_compare_exchange_weak(&tok->st.max_users, &m, n))
		;
}

static p11_status
p11_sign_fail(p11_token *tok, p11_key *k, CK_RV rv, const char *what, struct p11_error *err)
{
	p11_status st;

	switch (rv) {
	case CKR_DEVICE_ERROR:
	case CKR_DEVICE_REMOVED:
	case CKR_TOKEN_NOT_PRESENT:
	case CKR_SESSION_CLOSED:
	case CKR_SESSION_HANDLE_INVALID:
	case CKR_CRYPTOKI_NOT_INITIALIZED:
		st = P11_ERR_TOKEN_GONE;
		break;
	default:
		st = P11_ERR_SIGN;
	}
	p11_err_set(err, st, rv, "%s with key \"%s\" on token \"%s\" failed", what, k->label,
	            tok->label);
	return st;
}

/* CPU time of the calling thread. Around C_Sign it is the token's own work when the token is
 * software in this process (SoftHSM): what an administrator sizes CPUs for, and what separates
 * the daemon's cost per message from the token's. A hardware token's wait is not counted. */
static uint64_t
p11_sign_thread_cpu_ns(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) != 0)
		return 0;
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* One attempt on a borrowed slot; module read-locked by the caller. */
static p11_status
p11_sign_attempt(p11_token *tok, p11_key *k, struct p11_pool_slot *s, uint64_t gen, bool fresh,
                 const unsigned char *tbs, size_t tbs_len, unsigned char *sig, size_t *sig_len,
                 struct p11_error *err)
{
	CK_FUNCTION_LIST_PTR fl = tok->mod->fl;
	CK_MECHANISM mech = {k->type == P11_KEY_RSA ? CKM_RSA_PKCS : CKM_EDDSA, NULL, 0};
	CK_OBJECT_HANDLE h;
	CK_ULONG len = *sig_len;
	uint64_t cpu0, cpu1;
	p11_status st;
	CK_RV rv;

	if ((st = p11_token_slot_ready(tok, s, gen, fresh, err)) != P11_OK)
		return st == P11_ERR_TOKEN_NOT_FOUND ? P11_ERR_TOKEN_GONE : st;
	/* A retry logs in even when the session claims it is: a token that reset may not say. */
	if (fresh && (st = p11_token_login(tok, s->h, err)) != P11_OK)
		return st;
	if ((st = p11_key_refresh(tok, k, s->h, gen, &h, err)) != P11_OK)
		return st;
	p11_sign_note_users(tok, atomic_fetch_add(&s->users, 1) + 1);
	atomic_store(&s->sign_since_ms, p11_now_ms());
	cpu0 = p11_sign_thread_cpu_ns();
	rv = fl->C_SignInit(s->h, &mech, h);
	if (rv == CKR_OK)
		rv = fl->C_Sign(s->h, (CK_BYTE_PTR)tbs, tbs_len, sig, &len);
	cpu1 = p11_sign_thread_cpu_ns();
	atomic_store(&s->sign_since_ms, 0);
	if (cpu1 > cpu0)
		atomic_fetch_add(&tok->st.sign_cpu_ns, cpu1 - cpu0);
	atomic_fetch_sub(&s->users, 1);
	if (rv == CKR_OK) {
		s->last_used_ms = p11_now_ms();
		*sig_len = len;
		return P11_OK;
	}
	if (rv == CKR_KEY_HANDLE_INVALID || rv == CKR_OBJECT_HANDLE_INVALID) {
		pthread_mutex_lock(&tok->state);
		k->gen = UINT64_MAX; /* find it again next time */
		pthread_mutex_unlock(&tok->state);
	}
	/* An operation may be left active, or the session be dead: never reuse it. */
	p11_token_slot_drop(tok, s);
	return p11_sign_fail(tok, k, rv, "signing", err);
}

static p11_status
p11_sign_check(const p11_token *tok, const p11_key *k, const unsigned char *digest, size_t len,
               const unsigned char *sig, const size_t *sig_len, struct p11_error *err)
{
	if (tok == NULL || k == NULL || digest == NULL || sig == NULL || sig_len == NULL) {
		p11_err_set(err, P11_ERR_INVALID, 0, "p11_sign: missing argument");
		return P11_ERR_INVALID;
	}
	/* The key holder accepts only what DKIM signs: a SHA-256 digest, nothing else. */
	if (len != P11_DIGEST_LEN) {
		p11_err_set(err, P11_ERR_INVALID, 0,
		            "key \"%s\": input is not a 32-byte SHA-256 digest (%zu bytes)",
		            k->label, len);
		return P11_ERR_INVALID;
	}
	if (*sig_len < p11_key_sig_len(k)) {
		p11_err_set(err, P11_ERR_INVALID, 0,
		            "signature buffer of %zu bytes too small for key \"%s\" (%zu needed)",
		            *sig_len, k->label, p11_key_sig_len(k));
		return P11_ERR_INVALID;
	}
	return P11_OK;
}

/* What the mechanism signs: the DigestInfo for CKM_RSA_PKCS, the digest for CKM_EDDSA. */
static size_t
p11_sign_input(const p11_key *k, const unsigned char *digest,
               unsigned char out[P11_DIGESTINFO_PREFIX_LEN + P11_DIGEST_LEN])
{
	if (k->type == P11_KEY_ED25519) {
		memcpy(out, digest, P11_DIGEST_LEN);
		return P11_DIGEST_LEN;
	}
	memcpy(out, p11_sha256_prefix, P11_DIGESTINFO_PREFIX_LEN);
	memcpy(out + P11_DIGESTINFO_PREFIX_LEN, digest, P11_DIGEST_LEN);
	return P11_DIGESTINFO_PREFIX_LEN + P11_DIGEST_LEN;
}

static void
p11_sign_sleep(unsigned ms)
{
	struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};

	while (nanosleep(&ts, &ts) != 0)
		;
}

/* True when the attempt failed only because the token would not open one more session. */
static bool
p11_sign_session_refused(p11_status st, const struct p11_error *e)
{
	return st == P11_ERR_POOL_TIMEOUT && e->rv == CKR_SESSION_COUNT;
}

p11_status
p11_sign_run(p11_token *tok, p11_key *k, const unsigned char *digest, size_t digest_len,
             unsigned char *sig, size_t *sig_len, const struct p11_sign_how *how,
             struct p11_error *err)
{
	unsigned char tbs[P11_DIGESTINFO_PREFIX_LEN + P11_DIGEST_LEN];
	struct p11_pool_slot *s;
	unsigned attempts = 0, pause = P11_RETRY_SLEEP_MIN_MS;
	uint64_t start = p11_now_ms(), gen, now, waited;
	struct p11_error e;
	size_t len, tbs_len;
	p11_status st;

	memset(&e, 0, sizeof(e));
	if ((st = p11_sign_check(tok, k, digest, digest_len, sig, sig_len, &e)) != P11_OK ||
	    p11_module_forked(tok->mod, &e)) {
		if (tok != NULL)
			atomic_fetch_add(&tok->st.sign_errors, 1);
		if (err != NULL)
			*err = e;
		return e.status;
	}
	tbs_len = p11_sign_input(k, digest, tbs);
	for (;;) {
		now = p11_now_ms();
		(void)p11_pool_unpark_due(&tok->pool, now, P11_PARK_MS);
		waited = now - start;
		if ((s = p11_pool_borrow_for(&tok->pool, waited < how->borrow_ms
		                                               ? (unsigned)(how->borrow_ms - waited)
		                                               : 0)) == NULL) {
			atomic_fetch_add(&tok->st.pool_timeouts, 1);
			p11_err_set(&e, P11_ERR_POOL_TIMEOUT, 0,
			            "all %u sessions of token \"%s\" busy for %u ms", tok->pool.n,
			            tok->label, how->borrow_ms);
			st = P11_ERR_POOL_TIMEOUT;
			break;
		}
		p11_module_rdlock(tok->mod);
		gen = atomic_load(&tok->mod->gen);
		len = *sig_len;
		st = p11_sign_attempt(tok, k, s, gen, attempts > 0, tbs, tbs_len, sig, &len, &e);
		p11_module_unlock(tok->mod);
		if (p11_sign_session_refused(st, &e)) {
			/* The device has fewer sessions free than the pool has slots (a YubiHSM 2 has
			   16 for every application): wait for one it does give, not an error. */
			p11_pool_park(&tok->pool, s, p11_now_ms());
			continue;
		}
		p11_pool_return(&tok->pool, s);
		if (st == P11_OK) {
			*sig_len = len;
			atomic_fetch_add(&tok->st.signs, 1);
			if (attempts > 0)
				atomic_fetch_add(&tok->st.recoveries, 1);
			if (err != NULL)
				memset(err, 0, sizeof(*err));
			return P11_OK;
		}
		now = p11_now_ms();
		if (p11_sign_verdict(st, e.rv) == P11_FAIL ||
		    now - start >= tok->recover_timeout_ms)
			break;
		/* A key missing from a token that answers: worth one fresh login and one re-init,
		   not the whole recovery time (it may have been deleted). */
		if (st == P11_ERR_KEY_NOT_FOUND && attempts >= 2)
			break;
		/* Another token can take the signature: one retry on a fresh session, and the
		   module's recovery is left to the caller's background probe. */
		if (!how->recover && attempts >= 1)
			break;
		attempts++;
		atomic_fetch_add(&tok->st.retries, 1);
		if (attempts < 2)
			continue; /* at once, on a fresh session */
		if (pause > tok->recover_timeout_ms - (now - start))
			pause = (unsigned)(tok->recover_timeout_ms - (now - start));
		p11_sign_sleep(pause);
		if ((pause *= 2) > P11_RETRY_SLEEP_MAX_MS)
			pause = P11_RETRY_SLEEP_MAX_MS;
		(void)p11_module_reinit(tok->mod, gen, NULL);
	}
	atomic_fetch_add(&tok->st.sign_errors, 1);
	if (attempts > 0) {
		size_t n = strlen(e.msg);
		snprintf(e.msg + n, sizeof(e.msg) - n, "; gave up after %u attempts in %llu ms",
		         attempts + 1, (unsigned long long)(p11_now_ms() - start));
	}
	if (err != NULL)
		*err = e;
	return st;
}

p11_status
p11_sign(p11_token *tok, p11_key *k, const unsigned char *digest, size_t digest_len,
         unsigned char *sig, size_t *sig_len, struct p11_error *err)
{
	struct p11_sign_how how = {.borrow_ms = tok != NULL ? tok->pool.timeout_ms : 0,
	                           .recover = true};

	return p11_sign_run(tok, k, digest, digest_len, sig, sig_len, &how, err);
}
