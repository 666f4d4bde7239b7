/*
 * p11_set.h: several tokens holding the same keys, used as one (HSM pairs): each signature goes
 * to the least busy token holding its key, a token that fails leaves the rotation at once and
 * the signature is made on another, and a token out of the rotation is probed in the background
 * until a test signature verifies again. One token is a set of one.
 *
 * Ownership. p11_set_open() opens every token (p11_token_open) and owns them; keys found with
 * p11_set_find_key() belong to the set and die with it. p11_set_close() only when no thread
 * signs any more.
 *
 * Same key everywhere. p11_set_find_key() looks the reference up on every token and reads each
 * holder's public key: two different public keys under one reference are an error naming both
 * tokens (DNS publishes one key, so the other token's share of the mail would fail at every
 * receiver); a key on some tokens only is found, with a warning naming the tokens without it;
 * a key on none is an error. Each call checks again (start, SIGHUP, p11dkim -n) and returns a
 * fresh immutable p11_set_key when what it finds differs from the last answer.
 *
 * Balance (Luna's rule). A signature goes to the token, among those holding the key and in the
 * rotation, with the fewest operations outstanding (waiting for a session or signing) relative
 * to its sessions; ties go to the earlier token in the list. The digest is made by the caller
 * and signed with one single-part C_Sign, as by p11_sign().
 *
 * Waiting. One p11_set_sign() waits at most wait_ms in all. With several tokens holding the key
 * it waits for a session in short slices and looks at every token again after each, so no
 * signature waits behind a slow token while another one is free. progress() is called after
 * each wait for a session (a slice, or the token's borrow_timeout_ms, never longer than
 * P11_SET_PROGRESS_MS / 2), so that the caller can tell the MTA it is still at work (whose
 * timeouts would fire otherwise); the caller throttles it. Only a wait past wait_ms, or no
 * token holding the key working, fails it.
 *
 * Failover. A token whose signature fails (after one retry on a fresh session) leaves the
 * rotation at once and the signature is made on another token holding the key. So does a token
 * whose oldest running C_Sign is older than hang_ms (it stopped answering). A watcher thread per
 * token (only when there are several) probes a token out of the rotation with backoff (at most
 * probe_max_ms apart): a probe signs a fixed digest with every key the set found on it, with
 * the full recovery of p11_sign() (module re-initialisation included: several tokens of one
 * module share one instance, one C_Initialize and one recovery), and verifies each signature
 * with the key's public key; the token rejoins when all verify. When no token holding a key is
 * in the rotation, p11_set_sign() tries the first one with the full recovery of p11_sign()
 * (a set of one behaves exactly as one token always did).
 *
 * Events. event() is called (from a signing or a watcher thread) when a token leaves or rejoins
 * the rotation, with the reason; the caller logs it. Nothing is logged here.
 */
#ifndef P11DKIM_P11_SET_H
#define P11DKIM_P11_SET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pkcs11/p11.h"

typedef struct p11_set p11_set;
typedef struct p11_set_key p11_set_key;

#define P11_SET_PROGRESS_MS 10000

typedef void (*p11_set_event_fn)(void *arg, const char *token_label, const char *serial,
                                 bool in_rotation, const char *why);

struct p11_set_opts {
	const struct p11_token_opts *tokens; /* ntokens >= 1, in the configuration's order */
	size_t ntokens;
	unsigned wait_ms;      /* bound of one p11_set_sign(); 0 = 120000 */
	unsigned hang_ms;      /* a C_Sign running this long takes its token out; 0 = 2000 */
	unsigned probe_max_ms; /* longest pause between probes of a token out; 0 = 1000 */
	p11_set_event_fn event;
	void *event_arg;
};

/* Opens every token. A token that cannot be opened fails the whole set; err's message then
   starts with 'token "T" (module M): '. */
p11_set *p11_set_open(const struct p11_set_opts *, struct p11_error *err);
/* Stops the watchers, closes the tokens. NULL is ok. */
void p11_set_close(p11_set *);
size_t p11_set_size(const p11_set *);
p11_token *p11_set_token(const p11_set *, size_t i);
/* Serial number of a token as it reports it (trailing blanks removed). */
const char *p11_token_serial(const p11_token *);

/* See above. warn (may be NULL) receives "" or the tokens lacking the key. NULL on error. */
p11_set_key *p11_set_find_key(p11_set *, const char *ref, char *warn, size_t warnlen,
                              struct p11_error *err);
/* The key as found on its first holder (type, size, label are the same on every holder). */
const p11_key *p11_set_key_first(const p11_set_key *);
/* Its public key, the same on every holder; the set's. */
EVP_PKEY *p11_set_key_public(const p11_set_key *);
/* Whether token i holds it. */
bool p11_set_key_on(const p11_set_key *, size_t i);

typedef void (*p11_set_progress_fn)(void *arg);
/* As p11_sign(), on the tokens of the set (see above). progress may be NULL. Thread-safe. */
p11_status p11_set_sign(p11_set *, p11_set_key *, const unsigned char *digest, size_t digest_len,
                        unsigned char *sig, size_t *sig_len, p11_set_progress_fn progress,
                        void *progress_arg, struct p11_error *err);

struct p11_set_member_stats {
	bool in_rotation;
	unsigned outstanding;  /* operations waiting for a session or signing now */
	uint64_t signs;        /* signatures made through the set on this token */
	uint64_t failures;     /* signatures that failed here and went to another token */
	uint64_t left;         /* times it left the rotation */
	uint64_t sign_ns;      /* time of those signatures, session wait included */
	struct p11_stats token; /* the token's own counters */
};
void p11_set_member_stats(const p11_set *, size_t i, struct p11_set_member_stats *);
/* The tokens' counters added up, each module's re-initialisations counted once. */
void p11_set_stats(const p11_set *, struct p11_stats *);

#endif
