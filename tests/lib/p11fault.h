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
 *   fail_init N CKR   the next N C_Initialize calls return CKR (module-wide in any scope)
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
 *   hang_ms T         for T ms from now the token hangs: a C_Sign made meanwhile waits until
 *                     the T ms are over, then goes on as usual (a device that stops answering
 *                     and comes back; latency_ms is a fixed delay on every call instead). The
 *                     wait holds no lock: other tokens, and closing sessions, go on meanwhile
 *   reset             clears pending failures, absence, hangs, latency and the session limit
 *                     (of every token when unscoped, of its token only under "token LABEL")
 *   dump              writes the counters to P11FAULT_STATS now (module-wide in any scope)
 *   token LABEL       the lines after it, up to the next "token" line or the end of this read,
 *                     apply only to the slot(s) whose token label (CK_TOKEN_INFO.label,
 *                     trailing blanks trimmed) is LABEL (the rest of the line, blanks inside
 *                     kept); "token *" applies them to every slot again, as at the start of
 *                     every read. Scoped to a token: fail_sign/fail_login count only calls on
 *                     its sessions, fail_open and session_limit only C_OpenSession on its slot
 *                     (session_limit counts its sessions only), close_sessions closes its slot's
 *                     sessions only (C_CloseAllSessions on that slot), absent_ms hides that slot
 *                     only (the others stay listed and usable), latency_ms and hang_ms hold only
 *                     C_Sign on its sessions. A call obeys both the unscoped faults and its
 *                     token's: a pending failure of its token is taken before an unscoped one,
 *                     the latencies add up, the later hang wins.
 *                     Labels are matched to slots with the real C_GetSlotList + C_GetTokenInfo
 *                     at the first call after the read (after C_Initialize, if the file is read
 *                     before it), and again after every C_Initialize. A label that matches no
 *                     slot is told once on stderr ("p11fault: token X matches no slot") and its
 *                     lines act on nothing. Sessions are matched to their slot when opened
 *                     through this module (forgotten at C_CloseSession, C_CloseAllSessions,
 *                     C_Finalize), others with the real C_GetSessionInfo.
 *
 * Example: token B fails its next 3 signatures and hangs for 2 s; token A and others are fine:
 *   token B
 *   fail_sign 3 0x30
 *   hang_ms 2000
 *
 * Counters (one "name value" a line in P11FAULT_STATS, in this order):
 *   signs          C_Sign calls answered by the real module with CKR_OK
 *   faults         calls answered with an injected error
 *   max_inflight   most calls ever running at the same time on one session handle
 *   cross_thread   C_Sign calls made by another thread than the one that did C_SignInit
 *   closed_all     close_sessions/absent events applied (one per scope that closed)
 *   logins         C_Login calls made, failed or not
 *   initializes    C_Initialize calls forwarded to the real module that returned CKR_OK (two
 *                  tokens of one module opened by one process: 1)
 *   signs.LABEL    one line per token label known (seen in a slot, or named by "token"): the
 *                  C_Sign calls on that token's sessions answered with CKR_OK
 * In-process: dlsym(handle, "p11fault_get_stats") fills struct p11fault_stats (the first six,
 * layout unchanged for its existing users); dlsym(handle, "p11fault_get_counter") reads any
 * counter by its name in the file ("initializes", "signs.B", ...): 0 and *out set, or -1 when
 * the name is unknown (a label never seen).
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
typedef int (*p11fault_get_counter_fn)(const char *name, uint64_t *out);

#endif
