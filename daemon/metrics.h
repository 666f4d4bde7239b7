/*
 * metrics.h: the daemon's counters in Prometheus text format, written to a file for
 * node_exporter's textfile collector (no HTTP server in the daemon).
 *
 * Contract
 * - metrics_write() renders the milter counters (struct milter_stats) and the token's pool
 *   statistics (p11_token_stats) and replaces path atomically (a temporary file in the same
 *   directory, then rename), so a reader never sees half a file.
 * - Returns 0 or -1 with msg filled; never logs. Called from the main thread every
 *   metrics_interval seconds; reads the counters with relaxed atomics (the figures of one file
 *   are not one snapshot, which Prometheus counters tolerate).
 */
#ifndef P11DKIM_DAEMON_METRICS_H
#define P11DKIM_DAEMON_METRICS_H

#include <stddef.h>

#include "daemon/milter.h"

int metrics_write(const char *path, struct milter_env *env, char *msg, size_t msglen);

#endif
