/*
 * testlib.h: helpers shared by the pkcs11/ test programs. They expect the environment that
 * tests/lib/softhsm.sh exports (P11DKIM_MODULE, P11DKIM_TOKEN, P11DKIM_PIN, P11DKIM_PIN_FILE)
 * plus P11DKIM_TEST_DIR (a scratch directory) and, for fault tests, P11FAULT_SO (the built fault
 * module) with P11FAULT_MODULE set to the real one.
 */
#ifndef P11DKIM_TESTS_PKCS11_TESTLIB_H
#define P11DKIM_TESTS_PKCS11_TESTLIB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The internals too: tests make keys and read attributes with p11_token_with_session(). */
#include "pkcs11/p11_int.h"
#include "tests/lib/p11fault.h"

/* getenv that fails the test when unset. */
const char *tl_env(const char *name);
/* Options for the fixture token through the real module (fault = false) or the fault module. */
void tl_opts(struct p11_token_opts *o, bool fault);
p11_token *tl_open(bool fault, unsigned sessions);
/* The same for the token named by label (a label, serial or URI) instead of the fixture's. */
p11_token *tl_open_token(bool fault, const char *label, unsigned sessions);
p11_key *tl_key(p11_token *tok, const char *ref);
/* What to sign for message number n: a SHA-256 digest (P11_DIGEST_LEN bytes, returned). */
size_t tl_tbs(const p11_key *k, unsigned long n, unsigned char *out);
/* Verifies sig over the tbs of message n with the public key read back from the token. */
bool tl_verify(EVP_PKEY *pub, const p11_key *k, unsigned long n, const unsigned char *sig,
               size_t sig_len);
/* Writes the fault module's control file (atomically, with rename). */
void tl_fault(const char *cmd);
/* Removes the control file: a fault module loaded later starts without faults. */
void tl_fault_clear(void);
/* The fault module's counters (it must be loaded in this process). */
void tl_fault_stats(struct p11fault_stats *st);
/* One counter by its name in the stats file ("initializes", "signs.LABEL"); fails the test when
   the name is unknown. 0 when the fault module is not loaded in this process yet. */
uint64_t tl_fault_counter(const char *name);
void tl_sleep_ms(unsigned ms);

#endif
