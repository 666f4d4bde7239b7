/*
 * load_stats: counters and latency samples of p11dkim-load, and the printing
 * of the figures. Each worker thread owns its own struct load_counts and
 * struct load_lat (no locking); the main thread merges them after joining.
 */
#ifndef P11DKIM_TOOLS_LOAD_STATS_H
#define P11DKIM_TOOLS_LOAD_STATS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct load_counts {
	uint64_t messages;    /* messages that got a final answer */
	uint64_t continued;   /* SMFIR_CONTINUE at end of message */
	uint64_t accepted;    /* SMFIR_ACCEPT */
	uint64_t tempfails;   /* SMFIR_TEMPFAIL, 4xx reply codes, shutdown */
	uint64_t rejects;     /* SMFIR_REJECT, 5xx reply codes */
	uint64_t discards;    /* SMFIR_DISCARD */
	uint64_t errors;      /* connect, I/O, timeout or protocol errors */
	uint64_t signatures;  /* DKIM-Signature fields inserted or added */
	uint64_t connections; /* milter connections opened */
};

/* Latency samples in milliseconds, a growing array. */
struct load_lat {
	double *v;
	size_t n, cap;
};

int load_lat_add(struct load_lat *l, double ms);
/* Appends src to dst (dst grows); returns 0 or -1. */
int load_lat_merge(struct load_lat *dst, const struct load_lat *src);
void load_lat_free(struct load_lat *l);
void load_counts_merge(struct load_counts *dst, const struct load_counts *src);

struct load_run {
	double seconds;  /* wall time of the run */
	double cpu_user; /* this process, seconds */
	double cpu_sys;
	int conns;
	/* messages answered on the least and the most served connection: a milter that starves
	 * some connections shows it here, while its percentiles, taken over the messages that
	 * did get through, look better than what its clients lived through */
	uint64_t conn_min, conn_max;
};

/* Prints key=value lines, then a "# " human summary; sorts l. */
void load_stats_print(FILE *out, const struct load_counts *c, struct load_lat *l,
                      const struct load_run *run);

#endif
