/*
 * daemon/metrics.c: lock-free counters and the Prometheus textfile writer.
 * See metrics.h for the contract.
 */
#include "config.h"

#include "daemon/metrics.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

const double metrics_latency_bounds[METRICS_LATENCY_BUCKETS] = {
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
};

#define METRICS_MAX_REASONS 64

struct metrics {
	atomic_uint_fast64_t signed_msgs;
	atomic_uint_fast64_t signatures;
	const char *const *reasons;
	size_t nreasons;
	/* One per reason, then "unknown" for an index out of range. */
	atomic_uint_fast64_t unsigned_msgs[METRICS_MAX_REASONS + 1];
	atomic_uint_fast64_t tempfailed;
	atomic_uint_fast64_t mta_refused, mta_no_leadspc;
	atomic_uint_fast64_t signed_over;
	/* Per bucket, not cumulative: one increment per observation; the
	 * writer sums them. The last one is +Inf. */
	atomic_uint_fast64_t lat_bucket[METRICS_LATENCY_BUCKETS + 1];
	atomic_uint_fast64_t lat_sum_ns;
	atomic_uint_fast64_t tok_signs, tok_sign_errors, tok_retries, tok_recoveries;
	atomic_uint_fast64_t tok_session_drops, tok_reinits, tok_pool_timeouts, tok_sign_cpu_ns;
	atomic_uint tok_sessions, tok_sessions_open, tok_sessions_busy, tok_login_blocked;
	atomic_uint_fast64_t start_time;
	struct metrics_member members[METRICS_MAX_TOKENS]; /* the writer's thread only */
	size_t nmembers;
};

/* Bucket bounds in nanoseconds, so that the hot path compares integers. */
static uint64_t
metrics_bound_ns(size_t i)
{
	return (uint64_t)(metrics_latency_bounds[i] * 1e9 + 0.5);
}

/* Label values are written unescaped: keep them to a safe alphabet. */
static int
metrics_reason_ok(const char *r)
{
	size_t n = 0;

	if (r == NULL)
		return 0;
	for (; r[n] != '\0'; n++)
		if (!((r[n] >= 'a' && r[n] <= 'z') || (r[n] >= '0' && r[n] <= '9') || r[n] == '_'))
			return 0;
	return n >= 1 && n <= 63;
}

struct metrics *
metrics_new(const char *const *reasons, size_t nreasons)
{
	struct metrics *m;
	size_t i;

	if (reasons == NULL || nreasons == 0 || nreasons > METRICS_MAX_REASONS) {
		errno = EINVAL;
		return NULL;
	}
	for (i = 0; i < nreasons; i++) {
		if (!metrics_reason_ok(reasons[i]) || strcmp(reasons[i], "unknown") == 0) {
			errno = EINVAL;
			return NULL;
		}
	}
	if ((m = calloc(1, sizeof(*m))) == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	m->reasons = reasons;
	m->nreasons = nreasons;
	/* calloc's zero bytes are a valid zero for the lock-free atomic
	 * integer types; say so explicitly all the same. */
	atomic_init(&m->signed_msgs, 0);
	atomic_init(&m->start_time, (uint_fast64_t)time(NULL));
	return m;
}

void
metrics_free(struct metrics *m)
{
	free(m);
}

static void
metrics_inc(atomic_uint_fast64_t *c, uint64_t n)
{
	atomic_fetch_add_explicit(c, n, memory_order_relaxed);
}

static uint64_t
metrics_get(const atomic_uint_fast64_t *c)
{
	return atomic_load_explicit((atomic_uint_fast64_t *)c, memory_order_relaxed);
}

void
metrics_signed(struct metrics *m, unsigned nsigs)
{
	metrics_inc(&m->signed_msgs, 1);
	metrics_inc(&m->signatures, nsigs);
}

void
metrics_unsigned(struct metrics *m, size_t reason)
{
	metrics_inc(&m->unsigned_msgs[reason < m->nreasons ? reason : m->nreasons], 1);
}

void
metrics_tempfailed(struct metrics *m)
{
	metrics_inc(&m->tempfailed, 1);
}

void
metrics_mta_refused(struct metrics *m)
{
	metrics_inc(&m->mta_refused, 1);
}

void
metrics_signed_over(struct metrics *m)
{
	metrics_inc(&m->signed_over, 1);
}

void
metrics_mta_no_leadspc(struct metrics *m)
{
	metrics_inc(&m->mta_no_leadspc, 1);
}

void
metrics_sign_latency(struct metrics *m, uint64_t ns)
{
	size_t i = 0;

	while (i < METRICS_LATENCY_BUCKETS && ns > metrics_bound_ns(i))
		i++;
	metrics_inc(&m->lat_bucket[i], 1);
	metrics_inc(&m->lat_sum_ns, ns);
}

void
metrics_set_token(struct metrics *m, const struct metrics_token *t)
{
	atomic_store_explicit(&m->tok_signs, t->signs, memory_order_relaxed);
	atomic_store_explicit(&m->tok_sign_errors, t->sign_errors, memory_order_relaxed);
	atomic_store_explicit(&m->tok_retries, t->retries, memory_order_relaxed);
	atomic_store_explicit(&m->tok_recoveries, t->recoveries, memory_order_relaxed);
	atomic_store_explicit(&m->tok_session_drops, t->session_drops, memory_order_relaxed);
	atomic_store_explicit(&m->tok_reinits, t->reinits, memory_order_relaxed);
	atomic_store_explicit(&m->tok_pool_timeouts, t->pool_timeouts, memory_order_relaxed);
	atomic_store_explicit(&m->tok_sign_cpu_ns, t->sign_cpu_ns, memory_order_relaxed);
	atomic_store_explicit(&m->tok_sessions, t->sessions, memory_order_relaxed);
	atomic_store_explicit(&m->tok_sessions_open, t->sessions_open, memory_order_relaxed);
	atomic_store_explicit(&m->tok_sessions_busy, t->sessions_busy, memory_order_relaxed);
	atomic_store_explicit(&m->tok_login_blocked, t->login_blocked, memory_order_relaxed);
}

static void
metrics_head(FILE *fp, const char *name, const char *type, const char *help)
{
	fprintf(fp, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void
metrics_one(FILE *fp, const char *name, const char *type, const char *help, uint64_t v)
{
	metrics_head(fp, name, type, help);
	fprintf(fp, "%s %" PRIu64 "\n", name, v);
}

/* A sample of seconds with nanosecond digits ("NAME SUFFIX value"), printed without going
 * through a double. */
static void
metrics_print_seconds(FILE *fp, const char *name, const char *suffix, uint64_t ns)
{
	fprintf(fp, "%s%s %" PRIu64 ".%09" PRIu64 "\n", name, suffix, ns / 1000000000u,
	        ns % 1000000000u);
}

static void
metrics_one_seconds(FILE *fp, const char *name, const char *help, uint64_t ns)
{
	metrics_head(fp, name, "counter", help);
	metrics_print_seconds(fp, name, "", ns);
}

/* User + system CPU time of the whole daemon (all threads) so far. */
static uint64_t
metrics_process_cpu_ns(void)
{
	struct rusage ru;

	if (getrusage(RUSAGE_SELF, &ru) != 0)
		return 0;
	return ((uint64_t)ru.ru_utime.tv_sec + (uint64_t)ru.ru_stime.tv_sec) * 1000000000u +
	       ((uint64_t)ru.ru_utime.tv_usec + (uint64_t)ru.ru_stime.tv_usec) * 1000u;
}

static void
metrics_format_latency(const struct metrics *m, FILE *fp)
{
	const char *name = "p11dkim_token_sign_duration_seconds";
	uint64_t cum = 0;
	size_t i;

	metrics_head(fp, name, "histogram",
	             "Time to sign one digest on the token, session borrow included.");
	for (i = 0; i < METRICS_LATENCY_BUCKETS; i++) {
		cum += metrics_get(&m->lat_bucket[i]);
		fprintf(fp, "%s_bucket{le=\"%g\"} %" PRIu64 "\n", name, metrics_latency_bounds[i],
		        cum);
	}
	cum += metrics_get(&m->lat_bucket[METRICS_LATENCY_BUCKETS]);
	fprintf(fp, "%s_bucket{le=\"+Inf\"} %" PRIu64 "\n", name, cum);
	metrics_print_seconds(fp, name, "_sum", metrics_get(&m->lat_sum_ns));
	fprintf(fp, "%s_count %" PRIu64 "\n", name, cum);
}

void
metrics_set_members(struct metrics *m, const struct metrics_member *v, size_t n)
{
	m->nmembers = n < METRICS_MAX_TOKENS ? n : METRICS_MAX_TOKENS;
	memcpy(m->members, v, m->nmembers * sizeof(*v));
}

/* A label value as the exposition format wants it: backslash, quote and newline escaped. */
static void
metrics_label_value(FILE *fp, const char *v)
{
	for (; *v != '\0'; v++) {
		if (*v == '\\' || *v == '"')
			fputc('\\', fp);
		if (*v == '\n')
			fputs("\\n", fp);
		else
			fputc(*v, fp);
	}
}

enum metrics_member_field {
	MM_IN_ROTATION,
	MM_OUTSTANDING,
	MM_SESSIONS,
	MM_SIGNS,
	MM_FAILURES,
	MM_LEFT,
	MM_SIGN_SECONDS
};

static void
metrics_member_series(const struct metrics *m, FILE *fp, const char *name, const char *type,
                      const char *help, enum metrics_member_field f)
{
	const struct metrics_member *t;
	size_t i;

	metrics_head(fp, name, type, help);
	for (i = 0; i < m->nmembers; i++) {
		t = &m->members[i];
		fprintf(fp, "%s{token=\"", name);
		metrics_label_value(fp, t->token);
		fputs("\",serial=\"", fp);
		metrics_label_value(fp, t->serial);
		fputs("\"}", fp);
		switch (f) {
		case MM_IN_ROTATION: fprintf(fp, " %u\n", t->in_rotation); break;
		case MM_OUTSTANDING: fprintf(fp, " %u\n", t->outstanding); break;
		case MM_SESSIONS: fprintf(fp, " %u\n", t->sessions); break;
		case MM_SIGNS: fprintf(fp, " %" PRIu64 "\n", t->signs); break;
		case MM_FAILURES: fprintf(fp, " %" PRIu64 "\n", t->failures); break;
		case MM_LEFT: fprintf(fp, " %" PRIu64 "\n", t->left); break;
		/* "NAME SUFFIX value": with both empty, the one space before the value. */
		case MM_SIGN_SECONDS: metrics_print_seconds(fp, "", "", t->sign_ns); break;
		}
	}
}

static void
metrics_format_members(const struct metrics *m, FILE *fp)
{
	metrics_member_series(m, fp, "p11dkim_tokens_in_rotation", "gauge",
	                      "1 while the token takes signatures, 0 while it is out of the "
	                      "rotation (failed or not answering) and probed.",
	                      MM_IN_ROTATION);
	metrics_member_series(m, fp, "p11dkim_tokens_operations_outstanding", "gauge",
	                      "Signatures waiting for a session of the token or signing on it now.",
	                      MM_OUTSTANDING);
	metrics_member_series(m, fp, "p11dkim_tokens_sessions", "gauge",
	                      "Sessions of the token's pool.", MM_SESSIONS);
	metrics_member_series(m, fp, "p11dkim_tokens_signatures_total", "counter",
	                      "Signatures made on the token.", MM_SIGNS);
	metrics_member_series(m, fp, "p11dkim_tokens_failovers_total", "counter",
	                      "Signatures that failed on the token and went to another one.",
	                      MM_FAILURES);
	metrics_member_series(m, fp, "p11dkim_tokens_left_rotation_total", "counter",
	                      "Times the token left the rotation.", MM_LEFT);
	metrics_member_series(m, fp, "p11dkim_tokens_sign_seconds_total", "counter",
	                      "Time of the token's signatures, session wait included (divide by "
	                      "p11dkim_tokens_signatures_total for the mean latency).",
	                      MM_SIGN_SECONDS);
}

static void
metrics_format_token(const struct metrics *m, FILE *fp)
{
	metrics_one(fp, "p11dkim_token_signs_total", "counter", "Signatures made by the token.",
	            metrics_get(&m->tok_signs));
	metrics_one(fp, "p11dkim_token_errors_total", "counter",
	            "Sign calls that failed after recovery was tried.",
	            metrics_get(&m->tok_sign_errors));
	metrics_one(fp, "p11dkim_token_retries_total", "counter",
	            "Sign attempts repeated after a failed one.", metrics_get(&m->tok_retries));
	metrics_one(fp, "p11dkim_token_recoveries_total", "counter",
	            "Signs that succeeded only after a retry.", metrics_get(&m->tok_recoveries));
	metrics_one(fp, "p11dkim_token_session_drops_total", "counter",
	            "Token sessions dropped as dead.", metrics_get(&m->tok_session_drops));
	metrics_one(fp, "p11dkim_token_reinits_total", "counter",
	            "PKCS#11 module re-initialisations (C_Finalize + C_Initialize).",
	            metrics_get(&m->tok_reinits));
	metrics_one(fp, "p11dkim_token_pool_timeouts_total", "counter",
	            "Session borrows that timed out.", metrics_get(&m->tok_pool_timeouts));
	metrics_one_seconds(fp, "p11dkim_token_sign_cpu_seconds_total",
	                    "CPU time of signing threads inside C_SignInit and C_Sign: the token's "
	                    "own work for a software token such as SoftHSM, near 0 for hardware.",
	                    metrics_get(&m->tok_sign_cpu_ns));
	metrics_one(fp, "p11dkim_token_sessions", "gauge", "Size of the token session pool.",
	            atomic_load_explicit(&m->tok_sessions, memory_order_relaxed));
	metrics_one(fp, "p11dkim_token_sessions_open", "gauge", "Token sessions open now.",
	            atomic_load_explicit(&m->tok_sessions_open, memory_order_relaxed));
	metrics_one(fp, "p11dkim_token_sessions_in_use", "gauge",
	            "Token sessions borrowed by a signing thread now.",
	            atomic_load_explicit(&m->tok_sessions_busy, memory_order_relaxed));
	metrics_one(fp, "p11dkim_token_login_blocked", "gauge",
	            "1 while the token refused the PIN and no login is tried until the PIN file "
	            "changes or SIGHUP.",
	            atomic_load_explicit(&m->tok_login_blocked, memory_order_relaxed));
}

int
metrics_format(const struct metrics *m, FILE *fp)
{
	const char *un = "p11dkim_messages_unsigned_total";
	size_t i;

	metrics_one(fp, "p11dkim_messages_signed_total", "counter",
	            "Messages that left with at least one DKIM-Signature of ours.",
	            metrics_get(&m->signed_msgs));
	metrics_one(fp, "p11dkim_signatures_total", "counter",
	            "DKIM-Signature fields added (one per key).", metrics_get(&m->signatures));
	metrics_head(fp, un, "counter", "Messages passed without a signature, by reason.");
	for (i = 0; i <= m->nreasons; i++)
		fprintf(fp, "%s{reason=\"%s\"} %" PRIu64 "\n", un,
		        i < m->nreasons ? m->reasons[i] : "unknown",
		        metrics_get(&m->unsigned_msgs[i]));
	metrics_one(fp, "p11dkim_messages_tempfailed_total", "counter",
	            "Messages answered with a temporary failure.", metrics_get(&m->tempfailed));
	metrics_one(fp, "p11dkim_messages_signed_over_total", "counter",
	            "Messages carrying a DKIM-Signature with our d= and s= that did not verify "
	            "with our key (forged, or changed on the way), signed over.",
	            metrics_get(&m->signed_over));
	metrics_one(fp, "p11dkim_mta_connections_refused_total", "counter",
	            "MTA connections refused at option negotiation: the MTA does not let a milter "
	            "add header fields (SMFIF_ADDHDRS), so nothing it sends can be signed.",
	            metrics_get(&m->mta_refused));
	metrics_one(
	    fp, "p11dkim_mta_connections_without_leadspc_total", "counter",
	    "MTA connections at a milter protocol without SMFIP_HDR_LEADSPC (older than 6): "
	    "the space after each header field's colon is rebuilt.",
	    metrics_get(&m->mta_no_leadspc));
	metrics_format_latency(m, fp);
	metrics_format_token(m, fp);
	metrics_format_members(m, fp);
	metrics_one_seconds(fp, "p11dkim_process_cpu_seconds_total",
	                    "User and system CPU time of the daemon, all threads.",
	                    metrics_process_cpu_ns());
	metrics_one(fp, "p11dkim_start_time_seconds", "gauge",
	            "When the daemon started, seconds since the epoch.",
	            metrics_get(&m->start_time));
	metrics_one(fp, "p11dkim_metrics_written_time_seconds", "gauge",
	            "When this file was written, seconds since the epoch: alert when stale.",
	            (uint64_t)time(NULL));
	return ferror(fp) ? -1 : 0;
}

int
metrics_write(const struct metrics *m, const char *path)
{
	size_t len = strlen(path);
	char *tmp;
	int fd, saved;
	FILE *fp;

	if (len > SIZE_MAX - 8 || (tmp = malloc(len + 8)) == NULL) {
		errno = ENOMEM;
		return -1;
	}
	memcpy(tmp, path, len);
	memcpy(tmp + len, ".XXXXXX", 8);
	if ((fd = mkstemp(tmp)) < 0)
		goto fail_free;
	/* node_exporter runs as another user; the figures are not secret. */
	if (fchmod(fd, 0644) < 0 || (fp = fdopen(fd, "w")) == NULL) {
		saved = errno;
		close(fd);
		errno = saved;
		goto fail_unlink;
	}
	if (metrics_format(m, fp) < 0 || fflush(fp) != 0 || fsync(fileno(fp)) < 0) {
		saved = errno ? errno : EIO;
		fclose(fp);
		errno = saved;
		goto fail_unlink;
	}
	if (fclose(fp) != 0 || rename(tmp, path) < 0)
		goto fail_unlink;
	free(tmp);
	return 0;

fail_unlink:
	saved = errno;
	unlink(tmp);
	errno = saved;
fail_free:
	saved = errno;
	free(tmp);
	errno = saved;
	return -1;
}
