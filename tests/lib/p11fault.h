/*
 * p11fault.h: a fault-injecting PKCS#11 module for tests (tests/lib/p11fault.c, built as
 * tests/lib/.libs/p11fault.so). It forwards every call to a real module and misbehaves on command.
 *
 * Environment (read when the module is loaded):
 *   P11FAULT_MODULE   path of the real module (required), e.g. /usr/lib/softhsm/libsofthsm2.so
 *   P11FAULT_CONTROL  path of the control file (optional; no file = no faults)
 *   P11FAULT_STATS    path of a file the counters are written to (one "name value" a line) at
 *                     every C_Finalize and whenever the control file says "dump" (optional)
 *
 * Control file: re-read whenever it changes (inode, size or mtime; write it with rename(2) or
 * rewrite it). Each read applies its lines once, in order; unknown lines are ignored. Numbers
 * are decimal or 0x-hex.
 *   fail_sign N CKR   the next N C_Sign calls return CKR (the real C_Sign is not called)
 *   fail_init N CKR   the next N C_Initialize calls return CKR
 *   fail_open N CKR   the next N C_OpenSession calls return CKR
 *   fail_login N CKR  the next N C_Login calls return CKR (the real C_Login is not called, so
 *                     the real token counts no failure)
 *   session_limit N   C_OpenSession answers CKR_SESSION_COUNT while N sessions opened through
 *                     this module are open (0 = no limit; stays until changed)
 *   close_sessions    now: C_CloseAllSessions on every slot (sessions die under the caller, and
 *                     the application is logged out, as when a token resets)
 *   absent_ms T       for T ms from now the token is absent: its sessions are closed at once;
 *                     C_GetSlotList(present) omits it, C_GetTokenInfo and C_OpenSession answer
 *                     CKR_TOKEN_NOT_PRESENT, calls on sessions CKR_DEVICE_REMOVED
 *   latency_ms T      every C_Sign first sleeps T ms (0 = none; stays until changed)
 *   reset             clears pending failures, absence, latency and the session limit
 *   dump              writes the counters to P11FAULT_STATS now
 *
 * Counters, also readable in-process with dlsym(handle, "p11fault_get_stats"):
 *   signs          C_Sign calls answered by the real module with CKR_OK
 *   faults         calls answered with an injected error
 *   max_inflight   most calls ever running at the same time on one session handle
 *   cross_thread   C_Sign calls made by another thread than the one that did C_SignInit
 *   closed_all     close_sessions/absent events applied
 *   logins         C_Login calls made, failed or not
 */
#ifndef P11DKIM_P11FAULT_H
#define P11DKIM_P11FAULT_H

#include <stdint.h>

struct p11fault_stats {
	uint64_t signs;
	uint64_t faults;
	uint64_t max_inflight;
	uint64_t cross_thread;
	uint64_t closed_all;
	uint64_t logins;
};
typedef void (*p11fault_get_stats_fn)(struct p11fault_stats *);

#endif
