/*
 * keytool_bench: `bench`, the token's signing rate for one key, so that a
 * site knows its HSM's capacity. N threads sign for S seconds, each on its
 * own session, with exactly the input the daemon signs (a 32-byte SHA-256
 * digest, which pkcs11/ wraps in a DigestInfo for RSA). Figures are
 * printed as key=value lines for scripts.
 */
#include "config.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tools/keytool/keytool.h"

#define KT_BENCH_MAX_THREADS 256

struct kt_bench_thread {
	pthread_t tid;
	p11_token *tok;
	p11_key *key;
	double seconds;
	unsigned long signs;
	unsigned long errors;
	double elapsed;
	struct p11_error err; /* the first error */
};

static double
kt_bench_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Signs through the pool, as the daemon does, until the time is up. */
static void *
kt_bench_thread_main(void *arg)
{
	struct kt_bench_thread *bt = arg;
	unsigned char digest[P11_DIGEST_LEN], sig[1024];
	size_t siglen;
	struct p11_error err;
	double start, end;

	memset(digest, 0, sizeof(digest));
	start = kt_bench_now();
	end = start + bt->seconds;
	do {
		/* A different digest each time, as real messages give. */
		memcpy(digest, &bt->signs, sizeof(bt->signs));
		siglen = sizeof(sig);
		if (p11_sign(bt->tok, bt->key, digest, sizeof(digest), sig, &siglen, &err) !=
		    P11_OK) {
			if (bt->errors++ == 0)
				bt->err = err;
			if (bt->errors > 10)
				break; /* the token is not going to sign */
			continue;
		}
		bt->signs++;
	} while (kt_bench_now() < end);
	bt->elapsed = kt_bench_now() - start;
	return NULL;
}

struct kt_bench_opts {
	const char *label;
	long threads;
	double seconds;
};

static int
kt_bench_opt(int c, const char *arg, void *a)
{
	struct kt_bench_opts *o = a;
	char *end;

	switch (c) {
	case 'l':
		o->label = arg;
		return 0;
	case 'n':
		o->threads = strtol(arg, &end, 10);
		return *end != '\0' || o->threads < 1 || o->threads > KT_BENCH_MAX_THREADS ? -1 : 0;
	case 's':
		o->seconds = strtod(arg, &end);
		return *end != '\0' || !(o->seconds > 0 && o->seconds <= 3600) ? -1 : 0;
	}
	return -1;
}

static int
kt_bench_report(const struct kt_bench_opts *o, p11_token *ptok, p11_key *key,
                struct kt_bench_thread *bt)
{
	unsigned long total = 0, errors = 0;
	struct p11_stats st;
	double rate = 0;
	char type[16];
	long i;

	if (p11_key_type(key) == P11_KEY_ED25519)
		snprintf(type, sizeof(type), "ed25519");
	else
		snprintf(type, sizeof(type), "rsa%u", p11_key_bits(key));
	for (i = 0; i < o->threads; i++) {
		double r = bt[i].elapsed > 0 ? (double)bt[i].signs / bt[i].elapsed : 0;

		total += bt[i].signs;
		errors += bt[i].errors;
		rate += r;
		printf("thread=%ld signs=%lu errors=%lu signs_per_sec=%.1f\n", i, bt[i].signs,
		       bt[i].errors, r);
		if (bt[i].errors > 0)
			fprintf(stderr, "p11dkim-keytool: bench thread %ld: %s\n", i,
			        bt[i].err.msg);
	}
	p11_token_stats(ptok, &st);
	printf(
	    "label=%s type=%s threads=%ld seconds=%.1f signs=%lu errors=%lu signs_per_sec=%.1f\n",
	    o->label, type, o->threads, o->seconds, total, errors, rate);
	printf("pool_sessions=%u retries=%llu session_drops=%llu pool_timeouts=%llu\n", st.sessions,
	       (unsigned long long)st.retries, (unsigned long long)st.session_drops,
	       (unsigned long long)st.pool_timeouts);
	printf("%.1f signatures/s with %ld thread(s) on key \"%s\"\n", rate, o->threads, o->label);
	return total > 0 && errors == 0 ? KT_EXIT_OK : KT_EXIT_FAIL;
}

int
kt_cmd_bench(struct kt_ctx *ctx, int argc, char **argv)
{
	static const struct option lo[] = {KT_COMMON_LONGOPTS,
	                                   {"label", required_argument, NULL, 'l'},
	                                   {"threads", required_argument, NULL, 'n'},
	                                   {"seconds", required_argument, NULL, 's'},
	                                   {NULL, 0, NULL, 0}};
	static const char help[] =
	    "usage: p11dkim-keytool bench --label LABEL [--threads N] [--seconds S]\n"
	    "Signs with the key (a label or a pkcs11: URI) from N threads (default 1) through the\n"
	    "session pool the daemon uses (one session per thread) for S seconds (default 3), "
	    "with\n"
	    "the inputs the daemon signs, and prints the rate per thread and in total as "
	    "key=value\n"
	    "lines (label= type= threads= seconds= signs= errors= signs_per_sec=).\n";
	struct kt_bench_opts o = {NULL, 1, 3.0};
	struct kt_bench_thread *bt;
	struct p11_error perr;
	p11_token *tok;
	p11_key *key;
	long i, started;
	int r;

	if ((r = kt_opts(ctx, argc, argv, lo, help, kt_bench_opt, &o)) >= 0)
		return KT_OPTS_DONE(r);
	if (o.label == NULL) {
		kt_errx(ctx, "bench needs --label");
		return KT_EXIT_USAGE;
	}
	ctx->topts.sessions = (unsigned)o.threads;
	if ((tok = kt_ctx_token(ctx)) == NULL)
		return KT_EXIT_TOKEN;
	memset(&perr, 0, sizeof(perr));
	if ((key = p11_token_find_key(tok, o.label, &perr)) == NULL) {
		kt_errx(ctx, "%s", perr.msg);
		return KT_EXIT_TOKEN;
	}
	if ((bt = calloc((size_t)o.threads, sizeof(*bt))) == NULL) {
		kt_errx(ctx, "out of memory");
		return KT_EXIT_TOKEN;
	}
	for (started = 0; started < o.threads; started++) {
		bt[started] =
		    (struct kt_bench_thread){.tok = tok, .key = key, .seconds = o.seconds};
		if (pthread_create(&bt[started].tid, NULL, kt_bench_thread_main, &bt[started]) != 0)
			break;
	}
	for (i = 0; i < started; i++)
		pthread_join(bt[i].tid, NULL);
	o.threads = started;
	r = started > 0 ? kt_bench_report(&o, tok, key, bt) : KT_EXIT_TOKEN;
	free(bt);
	return r;
}
