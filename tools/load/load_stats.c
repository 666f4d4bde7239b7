/* load_stats: counters, latency percentiles and figures; see load_stats.h. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "tools/load/load_stats.h"

int
load_lat_add(struct load_lat *l, double ms)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 1024;
		double *nv = reallocarray(l->v, cap, sizeof(*nv));

		if (nv == NULL)
			return -1;
		l->v = nv;
		l->cap = cap;
	}
	l->v[l->n++] = ms;
	return 0;
}

int
load_lat_merge(struct load_lat *dst, const struct load_lat *src)
{
	size_t i;

	for (i = 0; i < src->n; i++)
		if (load_lat_add(dst, src->v[i]) != 0)
			return -1;
	return 0;
}

void
load_lat_free(struct load_lat *l)
{
	free(l->v);
	memset(l, 0, sizeof(*l));
}

void
load_counts_merge(struct load_counts *d, const struct load_counts *s)
{
	d->messages += s->messages;
	d->continued += s->continued;
	d->accepted += s->accepted;
	d->tempfails += s->tempfails;
	d->rejects += s->rejects;
	d->discards += s->discards;
	d->errors += s->errors;
	d->signatures += s->signatures;
	d->connections += s->connections;
}

static int
load_cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Nearest-rank percentile of sorted samples. */
static double
load_pct(const struct load_lat *l, double pct)
{
	size_t rank;

	if (l->n == 0)
		return 0.0;
	rank = (size_t)(pct / 100.0 * (double)l->n + 0.999999);
	if (rank < 1)
		rank = 1;
	if (rank > l->n)
		rank = l->n;
	return l->v[rank - 1];
}

void
load_stats_print(FILE *out, const struct load_counts *c, struct load_lat *l,
                 const struct load_run *run)
{
	double rate = run->seconds > 0 ? (double)c->messages / run->seconds : 0.0;
	double cpu = run->cpu_user + run->cpu_sys, mean = 0.0;
	double cpu_ms = c->messages ? cpu * 1000.0 / (double)c->messages : 0.0;
	size_t i;

	if (l->n > 0)
		qsort(l->v, l->n, sizeof(*l->v), load_cmp_double);
	for (i = 0; i < l->n; i++)
		mean += l->v[i];
	mean = l->n ? mean / (double)l->n : 0.0;
	fprintf(out, "conns=%d\nmessages=%llu\nseconds=%.3f\nmessages_per_second=%.1f\n",
	        run->conns, (unsigned long long)c->messages, run->seconds, rate);
	fprintf(out, "latency_p50_ms=%.3f\nlatency_p90_ms=%.3f\nlatency_p99_ms=%.3f\n",
	        load_pct(l, 50), load_pct(l, 90), load_pct(l, 99));
	fprintf(out, "latency_max_ms=%.3f\nlatency_mean_ms=%.3f\n", l->n ? l->v[l->n - 1] : 0.0,
	        mean);
	fprintf(out, "signatures=%llu\ncontinued=%llu\naccepted=%llu\ntempfails=%llu\n",
	        (unsigned long long)c->signatures, (unsigned long long)c->continued,
	        (unsigned long long)c->accepted, (unsigned long long)c->tempfails);
	fprintf(out, "rejects=%llu\ndiscards=%llu\nerrors=%llu\nconnections=%llu\n",
	        (unsigned long long)c->rejects, (unsigned long long)c->discards,
	        (unsigned long long)c->errors, (unsigned long long)c->connections);
	fprintf(out, "cpu_user_seconds=%.3f\ncpu_system_seconds=%.3f\ncpu_ms_per_message=%.4f\n",
	        run->cpu_user, run->cpu_sys, cpu_ms);
	fprintf(out, "messages_per_connection_min=%llu\nmessages_per_connection_max=%llu\n",
	        (unsigned long long)run->conn_min, (unsigned long long)run->conn_max);
	fprintf(out,
	        "# %llu messages in %.2f s over %d connection(s): %.1f messages/s\n"
	        "# latency ms: p50 %.2f  p90 %.2f  p99 %.2f  max %.2f\n"
	        "# %llu signatures; %llu continue, %llu accept, %llu tempfail, %llu reject, "
	        "%llu discard, %llu errors\n"
	        "# load generator CPU: %.3f s (%.4f ms per message)\n"
	        "# messages per connection: fewest %llu, most %llu\n",
	        (unsigned long long)c->messages, run->seconds, run->conns, rate, load_pct(l, 50),
	        load_pct(l, 90), load_pct(l, 99), l->n ? l->v[l->n - 1] : 0.0,
	        (unsigned long long)c->signatures, (unsigned long long)c->continued,
	        (unsigned long long)c->accepted, (unsigned long long)c->tempfails,
	        (unsigned long long)c->rejects, (unsigned long long)c->discards,
	        (unsigned long long)c->errors, cpu, cpu_ms, (unsigned long long)run->conn_min,
	        (unsigned long long)run->conn_max);
}
