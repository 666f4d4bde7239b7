/*
 * p11.h: token access for p11dkim: load a PKCS#11 module, find the token, log in, find
 * private keys, and sign digests through a pool of sessions that survives a misbehaving token.
 *
 * Ownership. p11_token_open() returns a token that owns everything below it: the module
 * reference, the sessions, the PIN and every p11_key found on it. p11_token_close() frees it
 * all; keys are never freed by the caller and die with their token.
 *
 * Module instances. A process has one instance per module path (reference-counted): opening two
 * tokens of the same module shares it. The module is initialised (C_Initialize with
 * CKF_OS_LOCKING_OK) by p11_token_open() in the process that calls it; every call made later from
 * a forked child fails with P11_ERR_MODULE instead of touching the parent's instance. Open
 * tokens after any fork (daemonise first).
 *
 * PIN. Read from a file (refused when group or others may read it, or when it is not a regular
 * file) or from a named environment variable, which is then zeroed and removed from the
 * environment (unsetenv: p11_token_open() is not thread-safe anyway). It never appears in any
 * error text. Every transient copy is wiped (OPENSSL_cleanse); one copy is kept in a locked (mlock,
 * excluded from core dumps) buffer owned by the token, because recovery must log in again after the
 * token came back or the module was re-initialised (tokens such as AWS CloudHSM never log in again
 * by themselves). Set forget_pin to wipe it right after the first login instead; recovery that
 * needs a login then fails with P11_ERR_LOGIN.
 *
 * Errors. Every function that can fail fills a struct p11_error (when non-NULL): the status, the
 * CK_RV that caused it (0 if none) and a message naming the module, token, key label or file
 * concerned. Nothing is printed or logged here.
 *
 * Cryptoki stays inside pkcs11/: this header needs no Cryptoki header, and the keytool's key
 * administration (list, public key, generate, import, destroy) is here too.
 *
 * Threads. p11_sign(), p11_key_public(), p11_token_public_key(), p11_token_list_keys(),
 * p11_token_keepalive() and p11_token_stats() may be called from any number of threads at once.
 * p11_token_find_key() is safe too, but the daemon finds keys at start. p11_token_open() and
 * p11_token_close() are not: close only when no other thread uses the token.
 *
 * Recovery (inside p11_sign). A sign that fails with a CK_RV that may mean "this session or this
 * device is dead" (session closed or invalid, device error or removed, token absent, not logged
 * in, CKR_FUNCTION_FAILED and other unexpected values) drops the session and is retried at once
 * on a fresh one (logging in again if needed). If that fails too, the module is re-initialised
 * (C_Finalize + C_Initialize, then the token, login and key handles are found again, since object
 * handles belong to one module instance) with backoff, and the sign retried, until
 * recover_timeout_ms has passed; then p11_sign returns P11_ERR_TOKEN_GONE (token absent or
 * unusable) or P11_ERR_SIGN (the token answered but refused to sign), which the daemon turns into
 * a tempfail. Errors in the request itself (bad length, mechanism refused) are never retried.
 * Sessions idle for longer than idle_check_ms are probed with C_GetSessionInfo before use and
 * reopened when dead (YubiHSM 2 closes a session idle for 30 s); p11_token_keepalive() lets a
 * timer keep idle sessions alive instead.
 */
#ifndef P11DKIM_P11_H
#define P11DKIM_P11_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

typedef enum {
	P11_OK = 0,
	P11_ERR_NOMEM,   /* out of memory */
	P11_ERR_INVALID, /* bad argument: NULL, bad URI, wrong digest length, small buffer */
	P11_ERR_MODULE,  /* module cannot be loaded or initialised; or used after fork */
	P11_ERR_TOKEN_NOT_FOUND, /* no present token matches the label, serial or URI */
	P11_ERR_PIN_FILE,      /* PIN file or variable unreadable, empty, or group/other-readable */
	P11_ERR_PIN,           /* PIN wrong, expired or locked */
	P11_ERR_LOGIN,         /* login failed for another reason */
	P11_ERR_KEY_NOT_FOUND, /* no private key matches the reference */
	P11_ERR_KEY_AMBIGUOUS, /* more than one private key matches */
	P11_ERR_KEY_UNSAFE,    /* extractable or not sensitive, and not allowed */
	P11_ERR_KEY_WEAK,      /* RSA key under 1024 bits: refused (RFC 8301) */
	P11_ERR_KEY_TYPE,      /* neither RSA nor Ed25519 (or EC_PARAMS not Ed25519); or a key
	                          found again after a recovery changed type or size */
	P11_ERR_KEY_USAGE,     /* CKA_SIGN false, or CKA_ALWAYS_AUTHENTICATE true */
	P11_ERR_MECHANISM,     /* token lacks CKM_RSA_PKCS / CKM_EDDSA for this key */
	P11_ERR_POOL_TIMEOUT,  /* no session became free before borrow_timeout_ms */
	P11_ERR_TOKEN_GONE,    /* token absent or dead, recovery gave up */
	P11_ERR_SIGN,          /* the token refused to sign */
	P11_ERR_KEY_MISMATCH,  /* two tokens of a set hold different keys under one reference */
} p11_status;

struct p11_error {
	p11_status status;
	unsigned long rv; /* CK_RV that caused it, or 0 */
	char msg[512];    /* names the label, token, module or file; never the PIN */
};

/* Short fixed text for a status. Never NULL. */
const char *p11_strerror(p11_status);
/* Symbolic name of a CK_RV ("CKR_PIN_INCORRECT"), or "CKR_0x..." into buf when unknown. */
const char *p11_ckr_name(unsigned long rv, char *buf, size_t len);

typedef struct p11_token p11_token;
typedef struct p11_key p11_key;

struct p11_token_opts {
	const char *module;          /* path of the PKCS#11 module */
	const char *token;           /* token label, serial, or pkcs11: URI (token=, serial=,
	                                manufacturer=, model=; see below) */
	const char *pin_file;        /* path of the PIN file, or NULL */
	const char *pin_env;         /* name of an environment variable holding the PIN, or NULL */
	unsigned sessions;           /* pool size; 0 = min(8, ulMaxSessionCount - 1) */
	unsigned borrow_timeout_ms;  /* wait for a free session; 0 = 5000 */
	unsigned recover_timeout_ms; /* give up recovering a sign after this; 0 = 5000 */
	unsigned idle_check_ms;      /* probe sessions idle this long before use; 0 = 20000 */
	bool allow_extractable;      /* accept keys that are extractable or not sensitive */
	bool forget_pin;             /* wipe the PIN after the first login (see above) */
};

/* Loads the module, finds the token, logs in, opens the pool. NULL on error (err filled). */
p11_token *p11_token_open(const struct p11_token_opts *, struct p11_error *err);
/* Closes the sessions, releases the module (C_Finalize when last), wipes the PIN. NULL is ok. */
void p11_token_close(p11_token *);
/* Token label as the token reports it (trailing blanks removed). */
const char *p11_token_label(const p11_token *);

/*
 * pkcs11: URIs (RFC 7512), parsed here and nowhere else; the rules are in p11_uri.c's header.
 * In short: scheme and attribute names case-insensitive; values percent-decoded, a bad escape or
 * a character that must be escaped refused; path attributes other than token, serial,
 * manufacturer, model, object, id and type=private refused (RFC 7512 2.4: such a URI matches
 * nothing); pin-source and pin-value refused (the PIN comes from pin_file or pin_env only);
 * other query attributes ignored.
 */
/* True if s starts with the pkcs11: scheme, in any case: s is then a URI, never a label. */
bool p11_uri_is(const char *s);
/* Checks a URI without a token: a token reference (key = false) or a key reference (key = true:
   it must name object= or id=). P11_ERR_INVALID with the reason in err, which never shows a
   pin-value. For configuration checks (p11dkim -n). */
p11_status p11_uri_check(const char *uri, bool key, struct p11_error *err);
/* The label a key reference names: a copy of ref itself, or a URI's decoded object= value.
   NULL when the URI is invalid or names no object=, or out of memory. The caller frees it. */
char *p11_uri_key_label(const char *ref);

/*
 * ref = a key label, or a pkcs11: URI (object=, id=, type=private; token=/serial= must name this
 * token). Exactly one private key must match. Checks the type (RSA, or CKK_EC_EDWARDS with
 * EC_PARAMS the OID 1.3.101.112 or the printable string "edwards25519"), the size (RSA < 1024
 * refused, < 2048 weak but usable), CKA_SENSITIVE and !CKA_EXTRACTABLE unless allowed, CKA_SIGN
 * true and CKA_ALWAYS_AUTHENTICATE not true (P11_ERR_KEY_USAGE; an attribute that cannot be read
 * counts against the key), and C_GetMechanismInfo for CKM_RSA_PKCS / CKM_EDDSA. A key found again
 * after a recovery is checked the same way and must keep its type and size; else p11_sign fails
 * with that status. Finding the same key twice returns the same p11_key. Owned by the token.
 */
p11_key *p11_token_find_key(p11_token *, const char *ref, struct p11_error *err);

enum p11_key_type { P11_KEY_RSA, P11_KEY_ED25519 };
enum p11_key_type p11_key_type(const p11_key *);
unsigned p11_key_bits(const p11_key *); /* RSA modulus bits; 256 for Ed25519 */
const char *p11_key_label(const p11_key *);
bool p11_key_weak(const p11_key *); /* RSA < 2048: the caller warns */
/* Sensitive, extractable only under a trusted wrap key (CKA_WRAP_WITH_TRUSTED): a key made to be
   copied to the other tokens of a set; the daemon says so at start. */
bool p11_key_wrap_only(const p11_key *);
size_t p11_key_sig_len(const p11_key *); /* signature bytes (modulus bytes, or 64) */

#define P11_DIGEST_LEN 32

/*
 * Signs a SHA-256 digest (exactly P11_DIGEST_LEN bytes; anything else is refused with
 * P11_ERR_INVALID, as is *sig_len < p11_key_sig_len()). RSA: RSASSA-PKCS1-v1_5, i.e. CKM_RSA_PKCS
 * over the DER DigestInfo that is built here around the digest. Ed25519: CKM_EDDSA over the 32
 * bytes themselves (RFC 8463 signs the digest). On success *sig_len is the length written.
 * Borrows a session (waits up to borrow_timeout_ms), C_SignInit + C_Sign, returns it; recovers
 * per the contract above. Thread-safe.
 */
p11_status p11_sign(p11_token *, p11_key *, const unsigned char *digest, size_t digest_len,
                    unsigned char *sig, size_t *sig_len, struct p11_error *err);

/* Public key read from the token (CKA_MODULUS/CKA_PUBLIC_EXPONENT of the private object, or the
   public key object with the same CKA_ID; CKA_EC_POINT for Ed25519). *out is the caller's. */
p11_status p11_key_public(p11_token *, const p11_key *, EVP_PKEY **out, struct p11_error *err);
/* Raw 32-byte Ed25519 public key (for the DNS record p=); P11_ERR_KEY_TYPE for RSA. */
p11_status p11_key_public_raw_ed25519(p11_token *, const p11_key *, unsigned char out[32],
                                      struct p11_error *err);

struct p11_stats {
	uint64_t signs;              /* signatures made */
	uint64_t sign_errors;        /* p11_sign calls that returned an error */
	uint64_t retries;            /* sign attempts repeated after a failed one */
	uint64_t recoveries;         /* signs that succeeded only after a retry */
	uint64_t session_drops;      /* sessions dropped as dead */
	uint64_t reinits;            /* C_Finalize + C_Initialize done */
	uint64_t pool_timeouts;      /* borrows that timed out */
	uint64_t sign_cpu_ns;        /* CPU time of the calling threads in C_SignInit + C_Sign */
	unsigned sessions;           /* pool size */
	unsigned sessions_open;      /* sessions currently open */
	unsigned sessions_busy;      /* sessions currently borrowed */
	unsigned max_session_users;  /* most threads ever seen on one session at once: must be 1 */
	unsigned long login_blocked; /* CK_RV of a refused PIN while logins are stopped, else 0 */
};
void p11_token_stats(const p11_token *, struct p11_stats *);

struct p11_key_info {
	const char *label;       /* "" when the key has none */
	const unsigned char *id; /* CKA_ID bytes, id_len may be 0 */
	size_t id_len;
	enum p11_key_type type;
	bool type_known; /* false: not RSA/Ed25519 (type and bits meaningless) */
	unsigned bits;
	bool sensitive;
	bool extractable;
	bool wrap_with_trusted; /* CKA_WRAP_WITH_TRUSTED: extractable only under a trusted key */
	bool has_public;        /* a public key object with the same CKA_ID exists */
};
/* Calls cb once per private key object on the token (valid only during the call); a non-zero
   return stops the listing. Does not use libp11 (whose enumerate fails with Ed25519 keys). */
typedef int (*p11_key_list_fn)(const struct p11_key_info *, void *arg);
p11_status p11_token_list_keys(p11_token *, p11_key_list_fn cb, void *arg, struct p11_error *err);

/*
 * Key administration, for the keytool. Keys are named by CKA_LABEL; a key is a private key object
 * plus (normally) a public key object with the same CKA_ID. Each call runs on its own read-write
 * session. Errors: P11_ERR_INVALID for a bad argument or a label already in use,
 * P11_ERR_KEY_NOT_FOUND / P11_ERR_KEY_AMBIGUOUS for no / several keys with the label,
 * P11_ERR_MECHANISM when the token cannot generate that type, P11_ERR_MODULE (err->rv set) when
 * the token refused; err->msg names the label and the token.
 */
/* The public key of the one private key labelled label; no fitness checks (unlike
   p11_token_find_key: a weak or extractable key still has a DNS record). *out is the caller's. */
p11_status p11_token_public_key(p11_token *, const char *label, EVP_PKEY **out,
                                struct p11_error *err);
/* Generates a key pair on the token: Ed25519, or RSA of bits (2048..16384) with e = 65537.
   The private key is born CKA_SENSITIVE, not CKA_EXTRACTABLE, sign only, with its CKA_LABEL and
   a random 16-byte CKA_ID (some tokens refuse C_SetAttributeValue later). */
p11_status p11_key_generate(p11_token *, const char *label, enum p11_key_type, unsigned bits,
                            struct p11_error *err);
/* The same, but the private key is extractable only wrapped under a trusted key (CKA_EXTRACTABLE
   and CKA_WRAP_WITH_TRUSTED true, still CKA_SENSITIVE): made to be copied to the other tokens of
   a set with p11_key_replicate. */
p11_status p11_key_generate_wrappable(p11_token *, const char *label, enum p11_key_type,
                                      unsigned bits, struct p11_error *err);
/* Creates a private and a public object from pkey (RSA >= 1024 bits with CRT parts, or Ed25519),
   with the attributes of a generated key. pkey stays the caller's; every copy of its secret
   made here is wiped (OPENSSL_cleanse). A failure leaves no half-imported key. */
p11_status p11_key_import(p11_token *, const char *label, EVP_PKEY *pkey, struct p11_error *err);
/* Destroys the private and public key objects labelled label (not certificates or data objects);
 *n = how many were destroyed, also on error. P11_ERR_KEY_NOT_FOUND when there is none. */
p11_status p11_key_destroy(p11_token *, const char *label, unsigned *n, struct p11_error *err);

/*
 * Copying a key between the tokens of a set (p11_wrap.c; what each token honours:
 * contrib/KEY-CEREMONY.md). The key leaves the first token only encrypted: C_WrapKey under the
 * AES wrap key labelled wrap_label with CKM_AES_KEY_WRAP_PAD, C_UnwrapKey on the second token under
 * the wrap key of the same label (the same AES value, put on both by p11_wrapkey_create).
 */
#define P11_WRAPKEY_LEN 32    /* AES-256 */
#define P11_ADMIN_ID_BYTES 16 /* CKA_ID of the keys and wrap keys the keytool makes */
struct p11_token_names {
	char label[33];
	char serial[17];
};
/* Creates the wrap key on the token o names, logged in as its security officer: o->pin_file or
   o->pin_env holds the SO PIN (the user PIN is not needed; no user session may be open on that
   module in this process, since the SO cannot log in beside one). The key: AES with the given
   value, CKA_TRUSTED (only the SO may set it), CKA_WRAP and CKA_UNWRAP, sensitive, never
   extractable, public (an SO may create no private object), with a CKA_UNWRAP_TEMPLATE that makes
   every key unwrapped under it sensitive and wrap-only. where (may be NULL) gets the token's
   label and serial. P11_ERR_INVALID for a label in use, P11_ERR_PIN for a refused SO PIN,
   P11_ERR_MODULE when the token refuses the template (err names the token). Not thread-safe,
   like p11_token_open(). */
p11_status p11_wrapkey_create(const struct p11_token_opts *o, const char *label,
                              const unsigned char *id, size_t id_len,
                              const unsigned char value[P11_WRAPKEY_LEN],
                              struct p11_token_names *where, struct p11_error *err);
/* Copies the private key labelled label (and its public key) from one token to the other, with
   its CKA_ID; the copy is wrap-only and sensitive too. P11_ERR_KEY_UNSAFE when from will not wrap
   it (not generated wrap-only, wrap key not trusted, or a key type the token cannot wrap),
   P11_ERR_KEY_NOT_FOUND when the key or either wrap key is missing, P11_ERR_INVALID when the
   label is in use on to. Nothing is left half-copied. */
p11_status p11_key_replicate(p11_token *from, p11_token *to, const char *label,
                             const char *wrap_label, struct p11_error *err);

/* "SHA256:" and the lowercase hex SHA-256 of pk's DER SubjectPublicKeyInfo: what the keytool's
   list --fingerprints and its ceremony records show (the same as
   `openssl pkey -pubin -outform DER | sha256sum`). P11_ERR_NOMEM when pk cannot be encoded. */
#define P11_FINGERPRINT_SIZE (7 + 64 + 1)
p11_status p11_pubkey_fingerprint(EVP_PKEY *pk, char out[P11_FINGERPRINT_SIZE]);

/*
 * A refused PIN (CKR_PIN_INCORRECT, CKR_PIN_INVALID, CKR_PIN_LEN_RANGE, CKR_PIN_EXPIRED,
 * CKR_PIN_LOCKED) stops logins: smart-card-class tokens lock a PIN after a few failures, so
 * after one such answer C_Login is not called again (every login fails at once with
 * P11_ERR_PIN) until the PIN file changes (inode, size or mtime; it is then read again) or
 * p11_token_pin_retry() is called. The library says nothing itself: p11_token_login_blocked()
 * and p11_stats.login_blocked give the CK_RV that stopped it (0: not stopped), for the caller
 * to log and export.
 */
/* Lifts the stop (the next login tries once more); with a PIN file that changed, reads it
   again first. An error (P11_ERR_PIN_FILE) means the old PIN stays; the stop is lifted
   anyway. For SIGHUP. Thread-safe. */
p11_status p11_token_pin_retry(p11_token *, struct p11_error *err);
unsigned long p11_token_login_blocked(const p11_token *);

/* Probes idle sessions (C_GetSessionInfo) and reopens dead ones; for a periodic timer. */
void p11_token_keepalive(p11_token *);

#endif
