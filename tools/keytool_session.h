/*
 * keytool_session: the tools' door to the token, a thin layer over pkcs11/
 * (p11.h): p11_token_open() loads the module, finds the token (label or
 * pkcs11: URI), reads the PIN (file or environment variable, refused when
 * group/other-readable) and logs in; callbacks then run on a logged-in
 * session of that token (p11_token_with_session()).
 *
 * Ownership: kt_token_open() returns a token that owns its p11_token;
 * kt_token_close() closes it (and with it every p11_key found on it).
 *
 * Errors: every failing function fills a struct kt_error: the CK_RV that
 * caused it (0 if none) and a message naming the module, token, label or
 * file (never the PIN). Nothing is printed here.
 *
 * Threads: kt_token_with_session() may be called from several threads at
 * once (each borrows a pool session). kt_token_open() and kt_token_close()
 * may not.
 */
#ifndef P11DKIM_TOOLS_KEYTOOL_SESSION_H
#define P11DKIM_TOOLS_KEYTOOL_SESSION_H

#include <stdbool.h>
#include <stddef.h>

#include <p11-kit/pkcs11.h>

#include "pkcs11/p11.h"

struct kt_error {
	unsigned long rv; /* CK_RV that caused it, or 0 */
	char msg[512];
};

struct kt_token_opts {
	const char *module;     /* path of the PKCS#11 module */
	const char *token;      /* token label */
	const char *pin_file;   /* file holding the user PIN (one line), or NULL */
	const char *pin_env;    /* name of an environment variable holding it, or NULL */
	unsigned sessions;      /* pool size; 0 = 2 (bench sets one per thread) */
	bool allow_extractable; /* for kt_token_find_key(): accept extractable keys */
};

struct kt_token;

/* NULL on error, err filled. */
struct kt_token *kt_token_open(const struct kt_token_opts *opts, struct kt_error *err);
void kt_token_close(struct kt_token *tok);
const char *kt_token_label(const struct kt_token *tok);

/* The pkcs11/ token underneath, for p11_token_find_key() and p11_sign(). */
p11_token *kt_token_p11(struct kt_token *tok);

typedef CK_RV (*kt_session_fn)(CK_FUNCTION_LIST_PTR fl, CK_SESSION_HANDLE s, void *arg);

/*
 * Runs FN on a logged-in session (a separate read-write one if RW). Returns 0,
 * or -1 with err filled (err->rv = FN's CK_RV when FN failed; FN may have
 * filled err->msg itself through the arg it was given, in which case the
 * message is kept).
 */
int kt_token_with_session(struct kt_token *tok, bool rw, kt_session_fn fn, void *arg,
                          struct kt_error *err);

/* Fills err->msg with printf-style text and sets err->rv. Returns -1. */
int kt_error_set(struct kt_error *err, unsigned long rv, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
