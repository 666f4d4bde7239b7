/*
 * p11_int.h: internals shared by the files of pkcs11/. Not for use outside this folder.
 *
 * Locks, always taken in this order, each held briefly:
 *   module->inst (rwlock): read-held around every Cryptoki call on an instance; write-held only
 *     by p11_module_reinit() (C_Finalize + C_Initialize), so no call runs across a re-init;
 *   token->login (mutex): held around every C_Login, with the PIN and the login block, so that
 *     after a refused PIN no other thread tries it too;
 *   token->state (mutex): the slot id, the key handles and their generations;
 * The pool takes no lock: a semaphore counts its free slots and a slot is claimed with a
 * compare-and-swap (p11_pool.c).
 * A generation number (module->gen) grows at every re-initialisation; a session, slot id or key
 * handle tagged with an older generation is dead and is found or opened again.
 */
#ifndef P11DKIM_P11_INT_H
#define P11DKIM_P11_INT_H

#include <pthread.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <sys/types.h>
#include <time.h>

#include <p11-kit/pkcs11.h>

#include "pkcs11/p11.h"

/* --- p11_status.c --- */
void p11_err_set(struct p11_error *, p11_status, unsigned long rv, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Status for a CK_RV met while logging in. */
p11_status p11_status_login(CK_RV);

/* --- p11_module.c --- */
struct p11_module {
	struct p11_module *next; /* registry list */
	char *path;
	void *dl;
	CK_FUNCTION_LIST_PTR fl;
	pid_t pid; /* the process that initialised it */
	unsigned refs;
	bool initialized;
	pthread_rwlock_t inst;
	atomic_uint_fast64_t gen;
	atomic_uint_fast64_t reinits;
	struct timespec next_reinit; /* backoff, under inst write lock */
	unsigned backoff_ms;
};
p11_status p11_module_get(const char *path, struct p11_module **out, struct p11_error *err);
void p11_module_put(struct p11_module *);
bool p11_module_forked(const struct p11_module *, struct p11_error *err);
/* Re-initialises unless someone did since seen_gen, or the backoff says not yet. */
p11_status p11_module_reinit(struct p11_module *, uint64_t seen_gen, struct p11_error *err);
void p11_module_rdlock(struct p11_module *);
void p11_module_unlock(struct p11_module *);

/* --- p11_pin.c --- */
struct p11_pin {
	char *buf; /* locked page, NUL-terminated, or NULL */
	size_t len;
	size_t cap;
	struct p11_pin_id {
		dev_t dev;
		ino_t ino;
		off_t size;
		struct timespec mtime;
	} id; /* the PIN file read (zero for a variable): a change is a new PIN */
};
/* Exactly one of file and env. A variable, once read, is zeroed and unset (also on error). */
p11_status p11_pin_load(struct p11_pin *, const char *file, const char *env, struct p11_error *err);
void p11_pin_wipe(struct p11_pin *);
/* True when file no longer is the file id describes (inode, size or mtime differ, or it is
   gone). */
bool p11_pin_changed(const char *file, const struct p11_pin_id *id);

/* --- p11_uri.c (rules in its header comment; p11_uri_is, p11_uri_check and p11_uri_key_label
   are public, in p11.h) --- */
struct p11_uri {
	char *token, *serial, *manufacturer, *model; /* token attributes */
	char *object, *type;                         /* object attributes */
	unsigned char *id;
	size_t id_len;
	bool has_id;
};
/* Fills u (freed with p11_uri_free; left empty on error). */
p11_status p11_uri_parse(const char *s, struct p11_uri *u, struct p11_error *err);
void p11_uri_free(struct p11_uri *);

/* --- p11_pool.c --- */
struct p11_pool_slot {
	CK_SESSION_HANDLE h;
	uint64_t gen;          /* module generation the session belongs to */
	atomic_bool open;      /* read by p11_pool_counts while the slot is lent */
	atomic_bool busy;      /* lent; claimed by compare-and-swap */
	uint64_t last_used_ms; /* p11_now_ms() of the last use */
	atomic_uint users;
	/* p11_now_ms() when the token refused to open a session here (CKR_SESSION_COUNT: the
	   device's sessions are shared with other applications), 0 when not parked. */
	atomic_uint_fast64_t parked_ms;
	/* p11_now_ms() when the C_Sign running on this session started, 0 when none: a token
	   that stops answering shows here (p11_pool_longest_sign_ms). */
	atomic_uint_fast64_t sign_since_ms;
};
struct p11_pool {
	sem_t free; /* one token per slot that is not lent */
	struct p11_pool_slot *slots;
	unsigned n;
	atomic_uint busy;
	atomic_uint parked;
	unsigned timeout_ms;
};
p11_status p11_pool_init(struct p11_pool *, unsigned n, unsigned timeout_ms);
void p11_pool_destroy(struct p11_pool *);
/* Only before any borrow: n slots (n <= p->n) and as many semaphore tokens, when the token
   allowed fewer sessions than asked. */
void p11_pool_shrink(struct p11_pool *, unsigned n);
/* A free slot, or NULL after timeout_ms (or when no free slot is found though the semaphore
   said one was, which a correct count never does). */
struct p11_pool_slot *p11_pool_borrow(struct p11_pool *);
/* The same with another wait than the pool's. */
struct p11_pool_slot *p11_pool_borrow_for(struct p11_pool *, unsigned timeout_ms);
/* For a borrowed slot whose session the token refused (CKR_SESSION_COUNT): it stays out of the
   pool, so borrowers wait for the sessions the token does give, until p11_pool_unpark_due
   gives it back (after_ms later) to try again. Returns how many it gave back. */
void p11_pool_park(struct p11_pool *, struct p11_pool_slot *, uint64_t now_ms);
#define P11_PARK_MS 1000 /* a parked slot is tried again after this long */
unsigned p11_pool_unpark_due(struct p11_pool *, uint64_t now_ms, unsigned after_ms);
/* How long the longest C_Sign running now has been running (0: none). */
uint64_t p11_pool_longest_sign_ms(struct p11_pool *, uint64_t now_ms);
/* That slot if it is free now, else NULL without waiting. */
struct p11_pool_slot *p11_pool_try_borrow_slot(struct p11_pool *, struct p11_pool_slot *);
void p11_pool_return(struct p11_pool *, struct p11_pool_slot *);
void p11_pool_counts(struct p11_pool *, unsigned *open, unsigned *busy);

/* --- p11_token.c --- */
struct p11_token {
	struct p11_module *mod;
	struct p11_uri want; /* which token */
	char *want_text;     /* as configured, for messages */
	char label[33];
	char serial[17];
	bool seen; /* found in a slot once: missing later means removed, not misnamed */
	pthread_mutex_t login;
	struct p11_pin pin; /* under login after p11_token_open */
	char *pin_file;     /* to read it again when it changes; NULL with pin_env */
	/* The CK_RV of a refused PIN (CKR_PIN_INCORRECT ...), 0 if none: while set, C_Login is
	   not called until the PIN file changes or p11_token_pin_retry(), since tokens lock a PIN
	   after a few failures. Written under login, read by p11_token_stats too. */
	atomic_ulong login_blocked;
	bool forget_pin;
	bool allow_extractable;
	unsigned recover_timeout_ms;
	unsigned idle_check_ms;
	pthread_mutex_t state;
	CK_SLOT_ID slot;
	uint64_t slot_gen; /* generation slot was found in; ~0 = none */
	/* Grows at every real C_Login: some modules (SoftHSM) drop private object handles when the
	   application is logged out, so key handles are found again after a new login. */
	atomic_uint_fast64_t login_epoch;
	struct p11_key *keys;
	struct p11_pool pool;
	struct {
		atomic_uint_fast64_t signs, sign_errors, retries, recoveries, session_drops,
		    pool_timeouts, sign_cpu_ns;
		atomic_uint max_users;
	} st;
};
/* Makes sure the token's slot is known for the current generation (under rdlock). */
p11_status p11_token_ensure_slot(p11_token *, uint64_t gen, struct p11_error *err);
/* Opens a session on the token's slot and logs in if the application is not yet logged in.
   Called with the module read-locked and the slot ensured. */
p11_status p11_token_open_session(p11_token *, bool rw, CK_SESSION_HANDLE *out,
                                  struct p11_error *err);
/* Makes the borrowed slot hold a live session of the current generation; fresh = always new. */
p11_status p11_token_slot_ready(p11_token *, struct p11_pool_slot *, uint64_t gen, bool fresh,
                                struct p11_error *err);
void p11_token_slot_drop(p11_token *, struct p11_pool_slot *);
/* C_Login with the kept PIN; CKR_USER_ALREADY_LOGGED_IN is success. After a PIN error,
   P11_ERR_PIN without calling C_Login until the PIN file changed (then read again: a file that
   cannot be read gives P11_ERR_PIN_FILE) or p11_token_pin_retry(). */
p11_status p11_token_login(p11_token *, CK_SESSION_HANDLE, struct p11_error *err);
/*
 * Runs fn with the function list and a logged-in session of this token. rw = false borrows a pool
 * session (do not close it, do not leave an operation active); rw = true opens a separate
 * read-write session for fn (C_GenerateKeyPair, C_CreateObject, C_DestroyObject) and closes it
 * afterwards. err is cleared first; when fn returns a CK_RV other than CKR_OK the call fails: with
 * the status and message fn wrote into err itself (through its arg), else with P11_ERR_MODULE,
 * err->rv set and the CKR named.
 */
typedef CK_RV (*p11_session_fn)(CK_FUNCTION_LIST_PTR fl, CK_SESSION_HANDLE s, void *arg);
p11_status p11_token_with_session(p11_token *, bool rw, p11_session_fn fn, void *arg,
                                  struct p11_error *err);
/* Borrow a pool session ready for use: for key lookup and the keytool (module read-locked on
   success; release with p11_token_release). */
p11_status p11_token_acquire(p11_token *, struct p11_pool_slot **, struct p11_error *err);
void p11_token_release(p11_token *, struct p11_pool_slot *);
uint64_t p11_now_ms(void);
/* CLOCK_MONOTONIC now + ms, for timed waits (sem_clockwait, condition variables on that clock). */
void p11_deadline_ms(unsigned ms, struct timespec *out);

/* --- p11_sign.c --- */
struct p11_sign_how {
	unsigned borrow_ms; /* the whole wait for a session, from the call */
	bool recover;       /* false: one retry on a fresh session, no module re-initialisation
	                       (another token can take the signature) */
};
/* p11_sign with the wait and the recovery chosen by the caller (the token set). A slot the
   token refuses a session for (CKR_SESSION_COUNT) is parked, not an error. */
p11_status p11_sign_run(p11_token *, p11_key *, const unsigned char *digest, size_t digest_len,
                        unsigned char *sig, size_t *sig_len, const struct p11_sign_how *,
                        struct p11_error *err);

/* --- p11_set.c, p11_set_sign.c, p11_set_watch.c (contract in p11_set.h) --- */
#include "pkcs11/p11_set.h"

struct p11_set_member {
	p11_token *tok;
	struct p11_set *set;
	size_t index;
	atomic_bool in_rotation;
	atomic_uint outstanding;
	atomic_uint_fast64_t signs, failures, left, sign_ns;
	uint64_t out_since_ms; /* under mu: when it left the rotation */
	pthread_mutex_t mu;    /* the watcher's sleep, why */
	pthread_cond_t wake;   /* it left the rotation, or the set closes */
	char why[512];         /* why it left, under mu */
	pthread_t watcher;
	bool watching;
};
struct p11_set_key {
	struct p11_set_key *next;
	char *ref;
	p11_key **on; /* per member: the key there, or NULL */
	EVP_PKEY *pub;
	const p11_key *first;
};
struct p11_set {
	struct p11_set_member *m;
	size_t n;
	unsigned wait_ms, hang_ms, probe_max_ms;
	p11_set_event_fn event;
	void *event_arg;
	pthread_mutex_t keys_mu; /* the list's head below (nodes are immutable once listed) */
	struct p11_set_key *keys; /* every key handed out, newest first; freed at close */
	atomic_bool closing;
};
/* Takes m out of the rotation (once; later calls while it is out change nothing) and wakes
   its watcher. No-op in a set of one: nothing would bring it back. */
void p11_set_leave(struct p11_set_member *, const char *why);
/* Puts m back after a verified signature; why is said in the event. */
void p11_set_rejoin(struct p11_set_member *, const char *why);
/* Whether sig is key's signature of the SHA-256 digest, checked with its public key. */
bool p11_set_verify(const p11_set_key *, const unsigned char *digest, const unsigned char *sig,
                    size_t sig_len);
/* The watcher threads (several tokens only). */
p11_status p11_set_watch_start(struct p11_set *, struct p11_error *err);
void p11_set_watch_stop(struct p11_set *);

/* --- p11_key.c --- */
struct p11_key {
	struct p11_key *next;
	char *ref;
	char *label;
	unsigned char *id;
	size_t id_len;
	struct p11_uri match; /* what was asked for: refound with it after a re-init */
	enum p11_key_type type;
	unsigned bits;
	CK_OBJECT_HANDLE h;
	uint64_t gen;   /* generation of h */
	uint64_t epoch; /* login_epoch of h */
	bool wrap_only; /* extractable only wrapped under a trusted key (p11_key_wrap_only) */
};
/* Up to max handles of objects of class cls (P11_ANY_CLASS: any) matching label (NULL: any)
   and, if has_id, id. */
#define P11_ANY_CLASS ((CK_OBJECT_CLASS)-1)
CK_RV p11_key_search(CK_FUNCTION_LIST_PTR, CK_SESSION_HANDLE, CK_OBJECT_CLASS cls,
                     const char *label, const unsigned char *id, size_t id_len, bool has_id,
                     CK_OBJECT_HANDLE *h, CK_ULONG max, CK_ULONG *n);
/* Type and size of a private key object; ki->type_known false when neither RSA nor Ed25519. */
void p11_key_kind(CK_FUNCTION_LIST_PTR, CK_SESSION_HANDLE, CK_OBJECT_HANDLE h,
                  const unsigned char *id, size_t id_len, struct p11_key_info *ki, CK_KEY_TYPE *kt);
/* Finds the key's handle again if its generation is old (token->state held inside). */
p11_status p11_key_refresh(p11_token *, p11_key *, CK_SESSION_HANDLE s, uint64_t gen,
                           CK_OBJECT_HANDLE *h, struct p11_error *err);
void p11_key_free_all(p11_token *);

/* --- p11_admin.c: attribute templates of the key objects we make (p11_wrap.c's too) --- */
#define P11_ADMIN_ID_LEN P11_ADMIN_ID_BYTES /* CKA_ID of the keys we make: random bytes */
#define P11_TMPL_MAX 24
/* A template under construction; the attribute values stay the caller's. */
struct p11_tmpl {
	CK_ATTRIBUTE a[P11_TMPL_MAX];
	CK_ULONG n;
};
void p11_tmpl_add(struct p11_tmpl *, CK_ATTRIBUTE_TYPE, const void *val, size_t len);
void p11_tmpl_bool(struct p11_tmpl *, CK_ATTRIBUTE_TYPE, bool v);
/* A private key: token, private, sensitive, sign only; extractable only under a trusted wrap key
   when wrap_only. create adds CKA_CLASS (C_CreateObject, C_UnwrapKey). */
void p11_tmpl_private(struct p11_tmpl *, bool create, CK_KEY_TYPE *kt, const char *label,
                      const unsigned char *id, size_t id_len, bool wrap_only);
/* Its public key: token, public, verify only. */
void p11_tmpl_public(struct p11_tmpl *, bool create, CK_KEY_TYPE *kt, const char *label,
                     const unsigned char *id, size_t id_len);

#endif
