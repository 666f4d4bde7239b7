/*
 * p11dkim-load: drives a milter with many messages over N connections (one
 * thread each) and prints throughput, latency, answers and its own CPU time.
 * Messages are read and parsed once before the run; the run itself only
 * writes prepared bytes and reads answers, so that the milter under test, not
 * this program, is what the figures measure.
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "tools/load/load_opts.h"
#include "tools/load/load_stats.h"
#include "tools/milterclient/milter_client.h"

struct load_ctx {
	const struct load_opts *o;
	struct mc_opts mco;
	struct mc_msg *msgs;
	struct mc_prepared **preps;
	size_t nmsgs;
	atomic_long next;     /* next message number to claim */
	double deadline;      /* --seconds: monotonic end time */
	pthread_mutex_t lock; /* guards first_error and the --print file */
	char first_error[300];
};

struct load_worker {
	pthread_t tid;
	struct load_ctx *ctx;
	struct load_counts counts;
	struct load_lat lat;
};

static double
load_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Claims the next message; returns its number or -1 when the run is over. */
static long
load_claim(struct load_ctx *ctx)
{
	long n;

	if (ctx->o->seconds > 0)
		return load_now() < ctx->deadline ? atomic_fetch_add(&ctx->next, 1) : -1;
	n = atomic_fetch_add(&ctx->next, 1);
	return n < ctx->o->messages ? n : -1;
}

static void
load_error(struct load_ctx *ctx, struct load_worker *w, const char *what)
{
	w->counts.errors++;
	pthread_mutex_lock(&ctx->lock);
	if (ctx->first_error[0] == '\0')
		snprintf(ctx->first_error, sizeof(ctx->first_error), "%s", what);
	pthread_mutex_unlock(&ctx->lock);
}

/* One message's answers from each milter of the chain: the signatures of all, the answer of the
 * first milter that did more than continue or accept (the MTA stops there), else the last. */
static void
load_count(struct load_counts *c, const struct mc_result *res, size_t n)
{
	const struct mc_result *fin = &res[n - 1];
	size_t j;

	c->messages++;
	for (j = 0; j < n; j++) {
		c->signatures += mc_result_count_added(&res[j], "DKIM-Signature");
		if (res[j].action != 'c' && res[j].action != 'a' && fin == &res[n - 1])
			fin = &res[j];
	}
	switch (fin->action) {
	case 'c':
		c->continued++;
		break;
	case 'a':
		c->accepted++;
		break;
	case 'r':
		c->rejects++;
		break;
	case 'd':
		c->discards++;
		break;
	case 'y':
		if (fin->reply != NULL && fin->reply[0] == '5')
			c->rejects++;
		else
			c->tempfails++;
		break;
	default:
		c->tempfails++;
		break; /* tempfail, shutdown, connection failure */
	}
}

/* Writes the message with every milter's changes, in chain order (each milter saw the message
 * as received, as p11dkim-load sends it; Postfix applies their changes in the same order). */
static void
load_print(struct load_ctx *ctx, struct mc_conn **conns, size_t i, const struct mc_result *res)
{
	const struct load_opts *o = ctx->o;
	struct mc_result all = res[o->nsockets - 1];
	struct mc_mod *mods = NULL;
	FILE *f = fopen(o->print, "w");
	size_t j, n = 0;
	char err[300];
	int ok = f != NULL;

	for (j = 0; j < o->nsockets; j++)
		n += res[j].nmods;
	if (ok && n > 0 && (mods = calloc(n, sizeof(*mods))) == NULL)
		ok = 0;
	for (j = 0, n = 0; ok && j < o->nsockets; j++) {
		if (res[j].nmods > 0)
			memcpy(mods + n, res[j].mods, res[j].nmods * sizeof(*mods));
		n += res[j].nmods;
	}
	all.mods = mods;
	all.nmods = n;
	if (!ok || milter_client_apply(conns[0], &ctx->msgs[i], &all, f) != MC_OK) {
		snprintf(err, sizeof(err), "--print %s: %s", o->print,
		         f == NULL ? strerror(errno) : "cannot write");
		fprintf(stderr, "p11dkim-load: %s\n", err);
	}
	free(mods);
	if (f != NULL)
		fclose(f);
}

/* Connects what is not connected; 0, or -1 after counting the error. */
static int
load_connect(struct load_worker *w, struct mc_conn **conns)
{
	struct load_ctx *ctx = w->ctx;
	char err[300];
	size_t j;

	for (j = 0; j < ctx->o->nsockets; j++) {
		if (conns[j] != NULL)
			continue;
		if (milter_client_connect(ctx->o->sockets[j], &ctx->mco, &conns[j], err,
		                          sizeof(err)) != MC_OK) {
			load_error(ctx, w, err);
			return -1;
		}
		w->counts.connections++;
	}
	return 0;
}

static void
load_close(struct mc_conn **conns, size_t n)
{
	size_t j;

	for (j = 0; j < n; j++) {
		milter_client_close(conns[j]);
		conns[j] = NULL;
	}
}

static void *
load_worker_run(void *arg)
{
	struct load_worker *w = arg;
	struct load_ctx *ctx = w->ctx;
	size_t j, ns = ctx->o->nsockets;
	struct mc_conn **conns = calloc(ns, sizeof(*conns));
	struct mc_result *res = calloc(ns, sizeof(*res));
	char err[300];
	long n, on_conn = 0;
	double t0;
	enum mc_status st = MC_OK;

	if (conns == NULL || res == NULL) {
		load_error(ctx, w, "out of memory");
		free(conns);
		free(res);
		return NULL;
	}
	for (j = 0; j < ns; j++)
		mc_result_init(&res[j]);
	while ((n = load_claim(ctx)) >= 0) {
		size_t i = (size_t)n % ctx->nmsgs;

		t0 = load_now();
		if (conns[ns - 1] == NULL) {
			if (load_connect(w, conns) != 0) {
				load_close(conns, ns);
				usleep(10000); /* a dead milter must not turn into a busy loop */
				continue;
			}
			on_conn = 0;
		}
		/* One milter after the other, each to its end of message: the same work for each
		 * as Postfix's per-event turns, in one thread per connection. */
		for (j = 0; j < ns; j++) {
			st = milter_client_send_prepared(conns[j], ctx->preps[i], &res[j]);
			if (st != MC_OK)
				break;
		}
		if (st != MC_OK) {
			snprintf(err, sizeof(err), "%s: %s", mc_strerror(st),
			         milter_client_error(conns[j]));
			load_error(ctx, w, err);
			load_close(conns, ns);
			continue;
		}
		(void)load_lat_add(&w->lat, (load_now() - t0) * 1000.0);
		load_count(&w->counts, res, ns);
		if (n == 0 && ctx->o->print != NULL)
			load_print(ctx, conns, i, res);
		if (ctx->o->per_conn > 0 && ++on_conn >= ctx->o->per_conn)
			load_close(conns, ns);
	}
	load_close(conns, ns);
	for (j = 0; j < ns; j++)
		mc_result_free(&res[j]);
	free(conns);
	free(res);
	return NULL;
}

/* Reads the message files and prepares each once. */
static int
load_messages(struct load_ctx *ctx)
{
	const struct load_opts *o = ctx->o;
	size_t i;

	ctx->nmsgs = o->nfiles;
	ctx->msgs = calloc(o->nfiles, sizeof(*ctx->msgs));
	ctx->preps = calloc(o->nfiles, sizeof(*ctx->preps));
	if (ctx->msgs == NULL || ctx->preps == NULL)
		return -1;
	for (i = 0; i < o->nfiles; i++) {
		struct mc_msg *m = &ctx->msgs[i];
		FILE *f = fopen(o->files[i], "rb");
		char *buf = NULL;
		size_t cap = 0;

		if (f == NULL || getdelim(&buf, &cap, '\0', f) < 0 || ferror(f)) {
			fprintf(stderr, "p11dkim-load: %s: %s\n", o->files[i],
			        f == NULL || ferror(f) ? strerror(errno) : "empty file");
			if (f != NULL)
				fclose(f);
			free(buf);
			return -1;
		}
		fclose(f);
		m->raw = buf;
		m->raw_len = strlen(buf); /* a NUL ends the message */
		m->client_addr = o->client_addr;
		m->helo = o->helo;
		m->mail_from = o->from;
		m->rcpts = o->rcpts;
		m->nrcpts = o->nrcpts;
		m->auth_authen = o->auth;
		m->body_chunk = o->chunk;
		if (mc_prepare(m, &ctx->preps[i]) != MC_OK) {
			fprintf(stderr, "p11dkim-load: %s: cannot prepare\n", o->files[i]);
			return -1;
		}
	}
	return 0;
}

static void
load_free(struct load_ctx *ctx)
{
	size_t i;

	for (i = 0; ctx->msgs != NULL && i < ctx->nmsgs; i++) {
		free((char *)ctx->msgs[i].raw);
		mc_prepared_free(ctx->preps[i]);
	}
	free(ctx->msgs);
	free(ctx->preps);
}

static double
load_tv(struct timeval tv)
{
	return (double)tv.tv_sec + (double)tv.tv_usec / 1e6;
}

/* Starts the workers, waits for them, and merges their figures. */
static int
load_run(struct load_ctx *ctx, struct load_counts *total, struct load_lat *lat,
         struct load_run *run)
{
	struct load_worker *w = calloc((size_t)ctx->o->conns, sizeof(*w));
	struct rusage r0, r1;
	double t0;
	int i, started = 0;

	if (w == NULL)
		return -1;
	getrusage(RUSAGE_SELF, &r0);
	t0 = load_now();
	ctx->deadline = t0 + ctx->o->seconds;
	for (i = 0; i < ctx->o->conns; i++, started++) {
		w[i].ctx = ctx;
		if (pthread_create(&w[i].tid, NULL, load_worker_run, &w[i]) != 0)
			break;
	}
	for (i = 0; i < started; i++) {
		pthread_join(w[i].tid, NULL);
		if (i == 0 || w[i].counts.messages < run->conn_min)
			run->conn_min = w[i].counts.messages;
		if (w[i].counts.messages > run->conn_max)
			run->conn_max = w[i].counts.messages;
		load_counts_merge(total, &w[i].counts);
		(void)load_lat_merge(lat, &w[i].lat);
		load_lat_free(&w[i].lat);
	}
	run->seconds = load_now() - t0;
	getrusage(RUSAGE_SELF, &r1);
	run->cpu_user = load_tv(r1.ru_utime) - load_tv(r0.ru_utime);
	run->cpu_sys = load_tv(r1.ru_stime) - load_tv(r0.ru_stime);
	run->conns = started;
	free(w);
	return started == ctx->o->conns ? 0 : -1;
}

int
main(int argc, char **argv)
{
	struct load_opts o;
	struct load_ctx ctx;
	struct load_counts total;
	struct load_lat lat;
	struct load_run run;
	int rc = 0;

	if (load_opts_parse(&o, argc, argv) != 0) {
		load_opts_free(&o);
		return 2;
	}
	memset(&ctx, 0, sizeof(ctx));
	memset(&total, 0, sizeof(total));
	memset(&lat, 0, sizeof(lat));
	memset(&run, 0, sizeof(run));
	ctx.o = &o;
	pthread_mutex_init(&ctx.lock, NULL);
	mc_opts_init(&ctx.mco);
	ctx.mco.timeout_ms = o.timeout_ms;
	ctx.mco.quickack = o.quickack;
	if (load_messages(&ctx) != 0) {
		rc = 2;
	} else {
		if (load_run(&ctx, &total, &lat, &run) != 0) {
			fprintf(stderr, "p11dkim-load: cannot start all threads\n");
			rc = 1;
		}
		load_stats_print(stdout, &total, &lat, &run);
		if (ctx.first_error[0] != '\0')
			fprintf(stderr, "p11dkim-load: first error: %s\n", ctx.first_error);
		if (total.errors > 0 && o.fail_on_error)
			rc = 1;
	}
	fflush(stdout);
	load_lat_free(&lat);
	load_free(&ctx);
	load_opts_free(&o);
	pthread_mutex_destroy(&ctx.lock);
	return rc;
}
