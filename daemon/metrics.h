/*
 * daemon/metrics.h: the daemon's counters, gauges and token sign latency
 * histogram, written in the Prometheus text exposition format to a file for
 * node_exporter's textfile collector (no HTTP server in the daemon).
 *
 * Owns: one struct metrics, allocated by metrics_new() and freed by
 * metrics_free(); it holds numbers only, no pointers into other modules.
 * Token figures are copied in with metrics_set_token() (the daemon fills a
 * struct metrics_token from p11_token_stats()), so this module does not
 * depend on pkcs11/.
 *
 * Why a message passed unsigned is the daemon's business (daemon/policy.h
 * has the reasons and their label names); metrics_new() takes the label
 * names and counts per index, so the two never drift apart.
 *
 * Errors: metrics_new() returns NULL with errno ENOMEM, or EINVAL for a bad
 * reason list. metrics_write()
 * returns 0, or -1 with errno set (from mkstemp, write, fsync, rename); the
 * old file, if any, is then left as it was and no temporary file remains.
 *
 * Thread-safety: every update function (metrics_signed() ...
 * metrics_set_token()) may be called from any number of threads at once:
 * each is one or two relaxed atomic operations, no lock, no allocation.
 * metrics_write() and metrics_format() may run while updates go on; each
 * value is read atomically, but the output is not one snapshot across
 * values (a counter may be one message ahead of another), which monitoring
 * tolerates. Run one metrics_write() at a time per path.
 */
#ifndef P11DKIM_DAEMON_METRICS_H
#define P11DKIM_DAEMON_METRICS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Figures of the token, as p11_token_stats() reports them. The counters are
 * monotonic in the token; the last four are gauges. */
struct metrics_token {
	uint64_t signs;
	uint64_t sign_errors;
	uint64_t retries;
	uint64_t recoveries;
	uint64_t session_drops;
	uint64_t reinits;
	uint64_t pool_timeouts;
	uint64_t sign_cpu_ns;   /* CPU time of signing threads inside C_SignInit + C_Sign */
	unsigned sessions;      /* pool size */
	unsigned sessions_open; /* open now */
	unsigned sessions_busy; /* borrowed now */
	unsigned login_blocked; /* 1 while a refused PIN stops logins, else 0 */
};

/* One token of the set, as p11_set_member_stats() reports it, for the per-token series
 * (labels token and serial, so that two tokens of one label stay apart). */
#define METRICS_MAX_TOKENS 32
struct metrics_member {
	char token[33], serial[17];
	unsigned in_rotation; /* 1 or 0 */
	unsigned outstanding; /* operations waiting for a session or signing */
	unsigned sessions;
	uint64_t signs, failures, left;
	uint64_t sign_ns; /* time of those signatures, session wait included */
};

/* Upper bounds (seconds) of the sign latency histogram buckets, +Inf aside:
 * 0.5 ms (SoftHSM Ed25519) up to 5 s (a network HSM recovering). */
#define METRICS_LATENCY_BUCKETS 14
extern const double metrics_latency_bounds[METRICS_LATENCY_BUCKETS];

struct metrics;

/* reasons[0..nreasons-1]: label values of
 * p11dkim_messages_unsigned_total{reason=...}, e.g. policy_reason_name(i)
 * for every i; each must be 1..63 characters of [a-z0-9_], and the strings
 * must outlive the metrics object (static strings: they are not copied).
 * nreasons 1..64. */
struct metrics *metrics_new(const char *const *reasons, size_t nreasons);
/* Copies n (at most METRICS_MAX_TOKENS) members in. Unlike the other updates, not atomic:
 * call it from the thread that calls metrics_write()/metrics_format(), and only there. */
void metrics_set_members(struct metrics *, const struct metrics_member *v, size_t n);
void metrics_free(struct metrics *);

/* A message left signed with nsigs DKIM-Signature fields. */
void metrics_signed(struct metrics *, unsigned nsigs);
/* A message passed unsigned, and why: an index into metrics_new()'s
 * reasons. An index out of range is counted under reason="unknown". */
void metrics_unsigned(struct metrics *, size_t reason);
/* A message answered with a temporary failure (token error, on_token_error
 * = "tempfail", or an internal error). */
void metrics_tempfailed(struct metrics *);
/* An MTA connection refused at option negotiation: the MTA cannot take a
 * DKIM-Signature (it does not allow SMFIF_ADDHDRS), so its mail passes unsigned or is
 * tempfailed, per the MTA's own default action. */
void metrics_mta_refused(struct metrics *);
/* An MTA connection whose protocol has no SMFIP_HDR_LEADSPC (milter protocol older than 6):
 * the space after each header field's colon is rebuilt, not seen. */
void metrics_mta_no_leadspc(struct metrics *);
/* A message carried a DKIM-Signature with our d= and s= that did not verify (forged, or
 * broken on the way) and was signed over. */
void metrics_signed_over(struct metrics *);
/* One C_Sign on the token took ns nanoseconds (pool borrow included). */
void metrics_sign_latency(struct metrics *, uint64_t ns);
/* Replace the token figures with these. */
void metrics_set_token(struct metrics *, const struct metrics_token *);

/* Writes every metric in Prometheus text format (version 0.0.4) to fp.
 * Returns 0, or -1 when writing failed (ferror(fp)). */
int metrics_format(const struct metrics *, FILE *fp);

/* Writes the metrics to path atomically: a temporary file in the same
 * directory (path.XXXXXX, mode 0644 so that node_exporter can read it),
 * fsync, then rename over path. A reader sees the old file or the new one,
 * never a partial one. */
int metrics_write(const struct metrics *, const char *path);

#endif
