/* clock.c: see clock.h. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/timex.h>

#include "daemon/clock.h"

bool
clock_synced(char *why, size_t len)
{
	struct timex tx;
	int state;

	memset(&tx, 0, sizeof(tx)); /* modes 0: read only */
	state = adjtimex(&tx);
	if (state < 0) {
		snprintf(why, len, "adjtimex: %s", strerror(errno));
		return false;
	}
	if (state == TIME_ERROR || (tx.status & STA_UNSYNC) != 0) {
		snprintf(
		    why, len,
		    "the kernel reports the clock unsynchronised (no NTP): t= may be wrong and "
		    "receivers reject signatures dated in their future");
		return false;
	}
	return true;
}
