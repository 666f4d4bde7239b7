/*
 * p11_token.c: a token: find its slot, log in, keep the pool's sessions alive, and the
 * token-wide calls of p11.h (open, close, stats, with_session, keepalive).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pkcs11/p11_int.h"

#define P11_DEFAULT_SESSIONS 8
#define P11_DEFAULT_TIMEOUT_MS 5000
#define P11_DEFAULT_IDLE_MS 20000

uint64_t
p11_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

void
p11_deadline_ms(unsigned ms, struct timespec *out)
{
	clock_gettime(CLOCK_MONOTONIC, out);
	out->tv_sec += ms / 1000;
	out->tv_nsec += (long)(ms % 1000) * 1000000L;
	if (out->tv_nsec >= 1000000000L) {
		out->tv_sec++;
		out->tv_nsec -= 1000000000L;
	}
}

/* Copies a blank-padded Cryptoki string into a C string without the trailing blanks. */
static void
p11_token_unpad(char *dst, const unsigned char *src, size_t len)
{
	memcpy(dst, src, len);
	while (len > 0 && (dst[len - 1] == ' ' || dst[len - 1] == '\0'))
		len--;
	dst[len] = '\0';
}

static bool
p11_token_matches(const p11_token *tok, const CK_TOKEN_INFO *ti)
{
	char label[33], serial[17], manuf[33], model[17];

	p11_token_unpad(label, ti->label, sizeof(ti->label));
	p11_token_unpad(serial, ti->serialNumber, sizeof(ti->serialNumber));
	p11_token_unpad(manuf, ti->manufacturerID, sizeof(ti->manufacturerID));
	p11_token_unpad(model, ti->model, sizeof(ti->model));
	if (tok->want_text != NULL && !p11_uri_is(tok->want_text))
		return strcmp(label, tok->want_text) == 0 || strcmp(serial, tok->want_text) == 0;
	return (tok->want.token == NULL || strcmp(label, tok->want.token) == 0) &&
	       (tok->want.serial == NULL || strcmp(serial, tok->want.serial) == 0) &&
	       (tok->want.manufacturer == NULL || strcmp(manuf, tok->want.manufacturer) == 0) &&
	       (tok->want.model == NULL || strcmp(model, tok->want.model) == 0);
}

/* Finds the slot holding the token. Module read-locked, tok->state held. */
static p11_status
p11_token_find_slot(p11_token *tok, CK_TOKEN_INFO *found, struct p11_error *err)
{
	CK_FUNCTION_LIST_PTR fl = tok->mod->fl;
	CK_SLOT_ID slots[64];
	CK_ULONG n = 64;
	CK_TOKEN_INFO ti;
	CK_RV rv;
	char label[sizeof(tok->label)], serial[sizeof(tok->serial)];

	if (!tok->mod->initialized) {
		p11_err_set(err, P11_ERR_TOKEN_GONE, 0, "module %s is not initialised",
		            tok->mod->path);
		return P11_ERR_TOKEN_GONE;
	}
	rv = fl->C_GetSlotList(CK_TRUE, slots, &n);
	if (rv != CKR_OK) {
		p11_err_set(err, P11_ERR_TOKEN_GONE, rv, "listing slots of %s", tok->mod->path);
		return P11_ERR_TOKEN_GONE;
	}
	for (CK_ULONG i = 0; i < n; i++) {
		if (fl->C_GetTokenInfo(slots[i], &ti) != CKR_OK || !p11_token_matches(tok, &ti))
			continue;
		if (found != NULL)
			*found = ti;
		tok->slot = slots[i];
		/* Other threads read label and serial without tok->state (error texts): a
		 * re-find after the token came back writes them only if they changed. */
		p11_token_unpad(label, ti.label, sizeof(ti.label));
		p11_token_unpad(serial, ti.serialNumber, sizeof(ti.serialNumber));
		if (strcmp(label, tok->label) != 0)
			memcpy(tok->label, label, sizeof(tok->label));
		if (strcmp(serial, tok->serial) != 0)
			memcpy(tok->serial, serial, sizeof(tok->serial));
		tok->seen = true;
		return P11_OK;
	}
	/* Said as a session on it would say it (CKR_TOKEN_NOT_PRESENT), whichever call noticed. */
	if (tok->seen) {
		p11_err_set(err, P11_ERR_TOKEN_NOT_FOUND, CKR_TOKEN_NOT_PRESENT,
		            "token \"%s\" is no longer present in module %s (CKR_TOKEN_NOT_PRESENT)",
		            tok->label, tok->mod->path);
		return P11_ERR_TOKEN_NOT_FOUND;
	}
	p11_err_set(err, P11_ERR_TOKEN_NOT_FOUND, 0, "no token \"%s\" present in module %s",
	            tok->want_text, tok->mod->path);
	return P11_ERR_TOKEN_NOT_FOUND;
}

p11_status
p11_token_ensure_slot(p11_token *tok, uint64_t gen, struct p11_error *err)
{
	p11_status st = P11_OK;

	pthread_mutex_lock(&tok->state);
	if (tok->slot_gen != gen) {
		st = p11_token_find_slot(tok, NULL, err);
		if (st == P11_OK)
			tok->slot_gen = gen;
	}
	pthread_mutex_unlock(&tok->state);
	return st;
}

/* Reads the PIN file into a new page and puts it in place of the old PIN; the old PIN stays
 * when the file cannot be read. tok->login held. */
static p11_status
p11_token_pin_reload(p11_token *tok, struct p11_error *err)
{
	struct p11_pin fresh;
	p11_status st;

	if ((st = p11_pin_load(&fresh, tok->pin_file, NULL, err)) != P11_OK)
		return st;
	p11_pin_wipe(&tok->pin);
	tok->pin = fresh;
	return P11_OK;
}

/* While a refused PIN blocks logins: P11_OK when the PIN file changed and was read again (the
 * block lifted), else why not to log in. tok->login held. */
static p11_status
p11_token_login_unblock(p11_token *tok, unsigned long blocked, struct p11_error *err)
{
	char name[32];
	p11_status st;

	if (tok->pin_file != NULL && tok->pin.buf != NULL &&
	    p11_pin_changed(tok->pin_file, &tok->pin.id)) {
		if ((st = p11_token_pin_reload(tok, err)) != P11_OK)
			return st;
		atomic_store(&tok->login_blocked, 0);
		return P11_OK;
	}
	p11_err_set(err, P11_ERR_PIN, 0,
	            "login to token \"%s\" not tried: the PIN was refused (%s); waiting for the "
	            "PIN file to change or a retry (SIGHUP)",
	            tok->label, p11_ckr_name(blocked, name, sizeof(name)));
	return P11_ERR_PIN;
}

p11_status
p11_token_login(p11_token *tok, CK_SESSION_HANDLE s, struct p11_error *err)
{
	unsigned long blocked;
	p11_status st;
	CK_RV rv;

	pthread_mutex_lock(&tok->login);
	if (tok->pin.buf == NULL) {
		pthread_mutex_unlock(&tok->login);
		p11_err_set(err, P11_ERR_LOGIN, 0,
		            "token \"%s\" needs a login again but the PIN was wiped (forget_pin)",
		            tok->label);
		return P11_ERR_LOGIN;
	}
	if ((blocked = atomic_load(&tok->login_blocked)) != 0 &&
	    (st = p11_token_login_unblock(tok, blocked, err)) != P11_OK) {
		pthread_mutex_unlock(&tok->login);
		return st;
	}
	rv = tok->mod->fl->C_Login(s, CKU_USER, (CK_UTF8CHAR_PTR)tok->pin.buf, tok->pin.len);
	if (rv == CKR_OK)
		atomic_fetch_add(&tok->login_epoch, 1);
	st = rv == CKR_OK || rv == CKR_USER_ALREADY_LOGGED_IN ? P11_OK : p11_status_login(rv);
	/* Each try of a refused PIN counts towards the token locking it: no more tries. */
	if (st == P11_ERR_PIN)
		atomic_store(&tok->login_blocked, rv);
	pthread_mutex_unlock(&tok->login);
	if (st != P11_OK)
		p11_err_set(err, st, rv, "login to token \"%s\" failed", tok->label);
	return st;
}

p11_status
p11_token_pin_retry(p11_token *tok, struct p11_error *err)
{
	p11_status st = P11_OK;

	if (err != NULL)
		memset(err, 0, sizeof(*err));
	pthread_mutex_lock(&tok->login);
	if (tok->pin_file != NULL && tok->pin.buf != NULL &&
	    p11_pin_changed(tok->pin_file, &tok->pin.id))
		st = p11_token_pin_reload(tok, err);
	atomic_store(&tok->login_blocked, 0);
	pthread_mutex_unlock(&tok->login);
	return st;
}

unsigned long
p11_token_login_blocked(const p11_token *tok)
{
	return atomic_load(&((p11_token *)tok)->login_blocked);
}

/* Logs in unless the application already is (login state is per application, not session). */
static p11_status
p11_token_check_login(p11_token *tok, CK_SESSION_HANDLE s, struct p11_error *err)
{
	CK_SESSION_INFO si;
	CK_RV rv;

	rv = tok->mod->fl->C_GetSessionInfo(s, &si);
	if (rv != CKR_OK) {
		p11_err_set(err, P11_ERR_TOKEN_GONE, rv, "session of token \"%s\" is dead",
		            tok->label);
		return P11_ERR_TOKEN_GONE;
	}
	if (si.state == CKS_RO_USER_FUNCTIONS || si.state == CKS_RW_USER_FUNCTIONS)
		return P11_OK;
	return p11_token_login(tok, s, err);
}

p11_status
p11_token_open_session(p11_token *tok, bool rw, CK_SESSION_HANDLE *out, struct p11_error *err)
{
	CK_FLAGS flags = CKF_SERIAL_SESSION | (rw ? CKF_RW_SESSION : 0);
	CK_SLOT_ID slot;
	p11_status st;
	CK_RV rv;

	pthread_mutex_lock(&tok->state);
	slot = tok->slot;
	pthread_mutex_unlock(&tok->state);
	rv = tok->mod->fl->C_OpenSession(slot, flags, NULL, NULL, out);
	if (rv != CKR_OK) {
		st = rv == CKR_SESSION_COUNT ? P11_ERR_POOL_TIMEOUT : P11_ERR_TOKEN_GONE;
		p11_err_set(err, st, rv, "cannot open a session on token \"%s\"", tok->label);
		return st;
	}
	if ((st = p11_token_check_login(tok, *out, err)) != P11_OK) {
		tok->mod->fl->C_CloseSession(*out);
		return st;
	}
	return P11_OK;
}

void
p11_token_slot_drop(p11_token *tok, struct p11_pool_slot *s)
{
	/* A session of an older instance died with it: closing it could hit a new session. */
	if (atomic_load(&s->open) && s->gen == atomic_load(&tok->mod->gen))
		tok->mod->fl->C_CloseSession(s->h);
	if (atomic_load(&s->open))
		atomic_fetch_add(&tok->st.session_drops, 1);
	atomic_store(&s->open, false);
}

p11_status
p11_token_slot_ready(p11_token *tok, struct p11_pool_slot *s, uint64_t gen, bool fresh,
                     struct p11_error *err)
{
	CK_SESSION_INFO si;
	uint64_t now = p11_now_ms();
	p11_status st;

	if (atomic_load(&s->open) && s->gen == gen && !fresh) {
		if (now - s->last_used_ms < tok->idle_check_ms)
			return P11_OK;
		/* Idle for long: some tokens (YubiHSM 2) close it behind our back. */
		if (tok->mod->fl->C_GetSessionInfo(s->h, &si) == CKR_OK) {
			s->last_used_ms = now;
			if (si.state == CKS_RO_USER_FUNCTIONS || si.state == CKS_RW_USER_FUNCTIONS)
				return P11_OK;
			return p11_token_login(tok, s->h, err);
		}
	}
	p11_token_slot_drop(tok, s);
	if ((st = p11_token_ensure_slot(tok, gen, err)) != P11_OK)
		return st;
	if ((st = p11_token_open_session(tok, false, &s->h, err)) != P11_OK)
		return st;
	s->gen = gen;
	s->last_used_ms = now;
	atomic_store(&s->open, true);
	return P11_OK;
}

p11_status
p11_token_acquire(p11_token *tok, struct p11_pool_slot **out, struct p11_error *err)
{
	struct p11_pool_slot *s;
	p11_status st;
	uint64_t gen;

	if (p11_module_forked(tok->mod, err))
		return P11_ERR_MODULE;
	if ((s = p11_pool_borrow(&tok->pool)) == NULL) {
		atomic_fetch_add(&tok->st.pool_timeouts, 1);
		p11_err_set(err, P11_ERR_POOL_TIMEOUT, 0,
		            "no session of token \"%s\" free in %u ms", tok->label,
		            tok->pool.timeout_ms);
		return P11_ERR_POOL_TIMEOUT;
	}
	p11_module_rdlock(tok->mod);
	gen = atomic_load(&tok->mod->gen);
	st = p11_token_slot_ready(tok, s, gen, false, err);
	if (st != P11_OK && st != P11_ERR_PIN && st != P11_ERR_PIN_FILE && st != P11_ERR_LOGIN)
		st = p11_token_slot_ready(tok, s, gen, true, err);
	if (st != P11_OK) {
		p11_module_unlock(tok->mod);
		p11_pool_return(&tok->pool, s);
		return st;
	}
	*out = s;
	return P11_OK;
}

void
p11_token_release(p11_token *tok, struct p11_pool_slot *s)
{
	p11_module_unlock(tok->mod);
	p11_pool_return(&tok->pool, s);
}

static unsigned
p11_token_pool_size(const struct p11_token_opts *o, const CK_TOKEN_INFO *ti)
{
	CK_ULONG max = ti->ulMaxSessionCount;

	if (o->sessions > 0)
		return o->sessions;
	/* Leave one session for the keytool or a second process. */
	if (max == CK_EFFECTIVELY_INFINITE || max == CK_UNAVAILABLE_INFORMATION ||
	    max > P11_DEFAULT_SESSIONS)
		return P11_DEFAULT_SESSIONS;
	return max > 1 ? (unsigned)(max - 1) : 1;
}

/* Opens the pool's sessions now, so a token that cannot give them fails at start. */
static p11_status
p11_token_fill_pool(p11_token *tok, struct p11_error *err)
{
	uint64_t gen = atomic_load(&tok->mod->gen);
	p11_status st;

	for (unsigned i = 0; i < tok->pool.n; i++) {
		st = p11_token_slot_ready(tok, &tok->pool.slots[i], gen, true, err);
		if (st != P11_OK && i == 0)
			return st;
		if (st != P11_OK && err != NULL && err->rv == CKR_SESSION_COUNT) {
			p11_pool_shrink(&tok->pool, i); /* the token allows fewer than asked */
			break;
		}
		if (st != P11_OK)
			return st;
	}
	return P11_OK;
}

static p11_status
p11_token_setup(p11_token *tok, const struct p11_token_opts *o, struct p11_error *err)
{
	CK_TOKEN_INFO ti;
	p11_status st;

	if ((st = p11_module_get(o->module, &tok->mod, err)) != P11_OK)
		return st;
	p11_module_rdlock(tok->mod);
	pthread_mutex_lock(&tok->state);
	st = p11_token_find_slot(tok, &ti, err);
	if (st == P11_OK)
		tok->slot_gen = atomic_load(&tok->mod->gen);
	pthread_mutex_unlock(&tok->state);
	if (st == P11_ERR_TOKEN_GONE)
		st = P11_ERR_TOKEN_NOT_FOUND;
	if (st == P11_OK &&
	    p11_pool_init(&tok->pool, p11_token_pool_size(o, &ti),
	                  o->borrow_timeout_ms ? o->borrow_timeout_ms : P11_DEFAULT_TIMEOUT_MS) !=
	        P11_OK) {
		p11_err_set(err, P11_ERR_NOMEM, 0, "out of memory");
		st = P11_ERR_NOMEM;
	}
	if (st == P11_OK)
		st = p11_token_fill_pool(tok, err);
	p11_module_unlock(tok->mod);
	return st;
}

p11_token *
p11_token_open(const struct p11_token_opts *o, struct p11_error *err)
{
	p11_token *tok;
	p11_status st;

	if (err != NULL)
		memset(err, 0, sizeof(*err));
	if (o == NULL || o->module == NULL || o->token == NULL || *o->token == '\0') {
		p11_err_set(err, P11_ERR_INVALID, 0, "token options need a module and a token");
		return NULL;
	}
	if ((tok = calloc(1, sizeof(*tok))) == NULL ||
	    (tok->want_text = strdup(o->token)) == NULL) {
		free(tok);
		p11_err_set(err, P11_ERR_NOMEM, 0, "out of memory");
		return NULL;
	}
	pthread_mutex_init(&tok->state, NULL);
	pthread_mutex_init(&tok->login, NULL);
	atomic_init(&tok->login_blocked, 0);
	tok->slot_gen = UINT64_MAX;
	tok->allow_extractable = o->allow_extractable;
	tok->forget_pin = o->forget_pin;
	tok->recover_timeout_ms = o->recover_timeout_ms ? o->recover_timeout_ms : 5000;
	tok->idle_check_ms = o->idle_check_ms ? o->idle_check_ms : P11_DEFAULT_IDLE_MS;
	snprintf(tok->label, sizeof(tok->label), "%.32s", o->token);
	st = P11_OK;
	if (p11_uri_is(o->token))
		st = p11_uri_parse(o->token, &tok->want, err);
	/* The PIN first: a PIN file others can read stops us before the module is touched. */
	if (st == P11_OK && o->pin_file != NULL && (tok->pin_file = strdup(o->pin_file)) == NULL) {
		p11_err_set(err, P11_ERR_NOMEM, 0, "out of memory");
		st = P11_ERR_NOMEM;
	}
	if (st == P11_OK)
		st = p11_pin_load(&tok->pin, o->pin_file, o->pin_env, err);
	if (st == P11_OK)
		st = p11_token_setup(tok, o, err);
	if (st != P11_OK) {
		p11_token_close(tok);
		return NULL;
	}
	if (tok->forget_pin)
		p11_pin_wipe(&tok->pin);
	return tok;
}

void
p11_token_close(p11_token *tok)
{
	if (tok == NULL)
		return;
	if (tok->mod != NULL && tok->pool.slots != NULL && !p11_module_forked(tok->mod, NULL)) {
		p11_module_rdlock(tok->mod);
		for (unsigned i = 0; i < tok->pool.n; i++)
			p11_token_slot_drop(tok, &tok->pool.slots[i]);
		p11_module_unlock(tok->mod);
	}
	p11_pool_destroy(&tok->pool);
	p11_key_free_all(tok);
	p11_pin_wipe(&tok->pin);
	p11_module_put(tok->mod);
	p11_uri_free(&tok->want);
	pthread_mutex_destroy(&tok->state);
	pthread_mutex_destroy(&tok->login);
	free(tok->pin_file);
	free(tok->want_text);
	free(tok);
}

const char *
p11_token_label(const p11_token *tok)
{
	return tok->label;
}

void
p11_token_stats(const p11_token *tok, struct p11_stats *out)
{
	p11_token *t = (p11_token *)tok; /* atomics are read through a non-const pointer */

	memset(out, 0, sizeof(*out));
	out->signs = atomic_load(&t->st.signs);
	out->sign_errors = atomic_load(&t->st.sign_errors);
	out->retries = atomic_load(&t->st.retries);
	out->recoveries = atomic_load(&t->st.recoveries);
	out->session_drops = atomic_load(&t->st.session_drops);
	out->pool_timeouts = atomic_load(&t->st.pool_timeouts);
	out->sign_cpu_ns = atomic_load(&t->st.sign_cpu_ns);
	out->reinits = atomic_load(&t->mod->reinits);
	out->max_session_users = atomic_load(&t->st.max_users);
	out->login_blocked = atomic_load(&t->login_blocked);
	out->sessions = t->pool.n;
	p11_pool_counts(&t->pool, &out->sessions_open, &out->sessions_busy);
}

p11_status
p11_token_with_session(p11_token *tok, bool rw, p11_session_fn fn, void *arg, struct p11_error *err)
{
	struct p11_pool_slot *s;
	CK_SESSION_HANDLE h;
	char name[32];
	p11_status st;
	CK_RV rv;

	if (err != NULL)
		memset(err, 0, sizeof(*err));
	if ((st = p11_token_acquire(tok, &s, err)) != P11_OK)
		return st;
	h = s->h;
	if (rw && (st = p11_token_open_session(tok, true, &h, err)) != P11_OK) {
		p11_token_release(tok, s);
		return st;
	}
	rv = fn(tok->mod->fl, h, arg);
	if (rw)
		tok->mod->fl->C_CloseSession(h);
	p11_token_release(tok, s);
	if (rv != CKR_OK && err != NULL && err->status != P11_OK)
		return err->status; /* fn said what went wrong in its own words */
	if (rv != CKR_OK) {
		p11_err_set(err, P11_ERR_MODULE, rv, "operation on token \"%s\" failed: %s",
		            tok->label, p11_ckr_name(rv, name, sizeof(name)));
		return P11_ERR_MODULE;
	}
	return P11_OK;
}

void
p11_token_keepalive(p11_token *tok)
{
	uint64_t gen, now;
	struct p11_pool_slot *s;

	if (p11_module_forked(tok->mod, NULL))
		return;
	(void)p11_pool_unpark_due(&tok->pool, p11_now_ms(), P11_PARK_MS);
	for (unsigned i = 0; i < tok->pool.n; i++) {
		s = &tok->pool.slots[i];
		if (!atomic_load(&s->open) || p11_pool_try_borrow_slot(&tok->pool, s) == NULL)
			continue;
		if (!atomic_load(&s->open)) {
			p11_pool_return(&tok->pool, s);
			continue;
		}
		now = p11_now_ms();
		p11_module_rdlock(tok->mod);
		gen = atomic_load(&tok->mod->gen);
		/* Probing now (the threshold halved) keeps it from ever reaching the idle limit. */
		if (now - s->last_used_ms >= tok->idle_check_ms / 2) {
			CK_SESSION_INFO si;
			if (s->gen != gen || tok->mod->fl->C_GetSessionInfo(s->h, &si) != CKR_OK)
				(void)p11_token_slot_ready(tok, s, gen, true, NULL);
			else
				s->last_used_ms = now;
		}
		p11_module_unlock(tok->mod);
		p11_pool_return(&tok->pool, s);
	}
}
