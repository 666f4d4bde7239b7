/*
 * clock.h: is the system clock synchronised? t= comes from it, and a receiver rejects a
 * signature dated in its future ("Signature date is N seconds in the future").
 *
 * Contract: clock_synced() asks the kernel (adjtimex, read-only); no logging; thread-safe.
 */
#ifndef P11DKIM_DAEMON_CLOCK_H
#define P11DKIM_DAEMON_CLOCK_H

#include <stdbool.h>
#include <stddef.h>

/* true when the kernel reports the clock synchronised. false with why filled otherwise. */
bool clock_synced(char *why, size_t len);

#endif
