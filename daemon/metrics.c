/* metrics.c: see metrics.h. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "daemon/metrics.h"

#define METRICS_LOAD(x) ((unsigned long long)atomic_load_explicit(&(x), memory_order_relaxed))

static void
metrics_counters(FILE *f, struct milter_stats *s)
{
	int r;

	fprintf(f,
	        "# HELP p11dkim_messages_total Messages seen (MAIL FROM).\n"
	        "# TYPE p11dkim_messages_total counter\n"
	        "p11dkim_messages_total %llu\n",
	        METRICS_LOAD(s->messages));
	fprintf(f,
	        "# HELP p11dkim_signed_total Messages signed.\n"
	        "# TYPE p11dkim_signed_total counter\n"
	        "p11dkim_signed_total %llu\n",
	        METRICS_LOAD(s->signed_msgs));
	fprintf(f,
	        "# HELP p11dkim_signatures_total DKIM-Signature fields added.\n"
	        "# TYPE p11dkim_signatures_total counter\n"
	        "p11dkim_signatures_total %llu\n",
	        METRICS_LOAD(s->signatures));
	fprintf(f,
	        "# HELP p11dkim_tempfailed_total Messages tempfailed (token or internal error).\n"
	        "# TYPE p11dkim_tempfailed_total counter\n"
	        "p11dkim_tempfailed_total %llu\n",
	        METRICS_LOAD(s->tempfailed));
	fprintf(f, "# HELP p11dkim_not_signed_total Messages passed unsigned, by reason.\n"
	           "# TYPE p11dkim_not_signed_total counter\n");
	for (r = 1; r < POLICY_NREASONS; r++)
		fprintf(f, "p11dkim_not_signed_total{reason=\"%s\"} %llu\n", policy_reason_name(r),
		        METRICS_LOAD(s->not_signed[r]));
}

static void
metrics_histogram(FILE *f, struct milter_stats *s)
{
	unsigned long long cum = 0;
	int b;

	fprintf(f, "# HELP p11dkim_token_sign_seconds Token time to sign one message (all its "
	           "signatures).\n"
	           "# TYPE p11dkim_token_sign_seconds histogram\n");
	for (b = 0; b < MILTER_SIGN_BUCKETS; b++) {
		cum += METRICS_LOAD(s->sign_hist[b]);
		fprintf(f, "p11dkim_token_sign_seconds_bucket{le=\"%g\"} %llu\n",
		        milter_sign_bucket_ms[b] / 1000.0, cum);
	}
	cum += METRICS_LOAD(s->sign_hist[MILTER_SIGN_BUCKETS]);
	fprintf(f, "p11dkim_token_sign_seconds_bucket{le=\"+Inf\"} %llu\n", cum);
	fprintf(f, "p11dkim_token_sign_seconds_sum %g\n", METRICS_LOAD(s->sign_ms_total) / 1000.0);
	fprintf(f, "p11dkim_token_sign_seconds_count %llu\n", cum);
}

static void
metrics_token(FILE *f, p11_token *tok)
{
	struct p11_stats ps;

	memset(&ps, 0, sizeof(ps));
	p11_token_stats(tok, &ps);
	fprintf(f,
	        "# HELP p11dkim_token_errors_total Token sign calls that failed.\n"
	        "# TYPE p11dkim_token_errors_total counter\n"
	        "p11dkim_token_errors_total %llu\n",
	        (unsigned long long)ps.sign_errors);
	fprintf(f,
	        "# HELP p11dkim_token_recoveries_total Signs that succeeded after a retry.\n"
	        "# TYPE p11dkim_token_recoveries_total counter\n"
	        "p11dkim_token_recoveries_total %llu\n",
	        (unsigned long long)ps.recoveries);
	fprintf(f,
	        "# HELP p11dkim_token_reinits_total Module re-initialisations.\n"
	        "# TYPE p11dkim_token_reinits_total counter\n"
	        "p11dkim_token_reinits_total %llu\n",
	        (unsigned long long)ps.reinits);
	fprintf(f,
	        "# HELP p11dkim_token_pool_timeouts_total Waits for a session that timed out.\n"
	        "# TYPE p11dkim_token_pool_timeouts_total counter\n"
	        "p11dkim_token_pool_timeouts_total %llu\n",
	        (unsigned long long)ps.pool_timeouts);
	fprintf(f,
	        "# HELP p11dkim_token_sessions Sessions in the pool, open, and in use.\n"
	        "# TYPE p11dkim_token_sessions gauge\n"
	        "p11dkim_token_sessions{state=\"pool\"} %u\n"
	        "p11dkim_token_sessions{state=\"open\"} %u\n"
	        "p11dkim_token_sessions{state=\"busy\"} %u\n",
	        ps.sessions, ps.sessions_open, ps.sessions_busy);
}

int
metrics_write(const char *path, struct milter_env *env, char *msg, size_t msglen)
{
	char tmp[4200];
	FILE *f;
	int ok;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= sizeof(tmp)) {
		snprintf(msg, msglen, "metrics file name too long");
		return -1;
	}
	f = fopen(tmp, "we");
	if (f == NULL) {
		snprintf(msg, msglen, "%s: %s", tmp, strerror(errno));
		return -1;
	}
	metrics_counters(f, &env->stats);
	metrics_histogram(f, &env->stats);
	metrics_token(f, env->token);
	fprintf(f,
	        "# HELP p11dkim_messages_in_flight Messages between MAIL FROM and their end.\n"
	        "# TYPE p11dkim_messages_in_flight gauge\n"
	        "p11dkim_messages_in_flight %ld\n",
	        milter_in_flight(env));
	ok = !ferror(f);
	if (fclose(f) != 0)
		ok = 0;
	if (!ok || rename(tmp, path) != 0) {
		snprintf(msg, msglen, "%s: %s", path, strerror(errno));
		(void)unlink(tmp);
		return -1;
	}
	return 0;
}
