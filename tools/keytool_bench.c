/*
 * keytool_bench: `bench`, the token's signing rate for one key, so that a
 * site knows its HSM's capacity. N threads sign for S seconds, each on its
 * own session, with exactly the inputs the daemon signs (the DER DigestInfo
 * of a SHA-256 digest for RSA, the 32-byte digest for Ed25519). Figures are
 * printed as key=value lines for scripts.
 */
#include "config.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tools/keytool.h"
#include "tools/keytool_keys.h"
#include "tools/keytool_keys_int.h"

#define KT_BENCH_MAX_THREADS 256

/* DigestInfo prefix of SHA-256 (RFC 8017 9.2 note 1). */
static const unsigned char kt_sha256_prefix[19] = {0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60,
                                                   0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02,
                                                   0x01, 0x05, 0x00, 0x04, 0x20};

struct kt_bench_thread {
	pthread_t tid;
	struct kt_token *tok;
	const char *label;
	enum kt_keytype type;
	double seconds;
	unsigned long signs;
	unsigned long errors;
	double elapsed;
	struct kt_error err;
};

static double
kt_bench_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static CK_RV
kt_bench_fn(CK_FUNCTION_LIST_PTR fl, CK_SESSION_HANDLE s, void *arg)
{
	struct kt_bench_thread *bt = arg;
	CK_MECHANISM mech = {bt->type == KT_KEY_ED25519 ? CKM_EDDSA : CKM_RSA_PKCS, NULL, 0};
	unsigned char tbs[sizeof(kt_sha256_prefix) + 32], sig[1024];
	CK_ULONG n, tbslen, siglen;
	CK_OBJECT_HANDLE key;
	double start, end;
	CK_RV rv;

	rv = kt_keys_find(fl, s, CKO_PRIVATE_KEY, bt->label, &key, 1, &n);
	if (rv != CKR_OK || n != 1)
		return rv != CKR_OK ? rv : CKR_KEY_HANDLE_INVALID;
	memset(tbs, 0, sizeof(tbs));
	memcpy(tbs, kt_sha256_prefix, sizeof(kt_sha256_prefix));
	tbslen = bt->type == KT_KEY_ED25519 ? 32 : sizeof(tbs);
	start = kt_bench_now();
	end = start + bt->seconds;
	do {
		/* A different digest each time, as real messages give. */
		memcpy(tbs + tbslen - sizeof(bt->signs), &bt->signs, sizeof(bt->signs));
		siglen = sizeof(sig);
		rv = fl->C_SignInit(s, &mech, key);
		if (rv == CKR_OK)
			rv = fl->C_Sign(s, tbs, tbslen, sig, &siglen);
		if (rv != CKR_OK) {
			if (++bt->errors > 10)
				return rv; /* the token is not going to sign */
			continue;
		}
		bt->signs++;
	} while (kt_bench_now() < end);
	bt->elapsed = kt_bench_now() - start;
	return CKR_OK;
}

static void *
kt_bench_thread_main(void *arg)
{
	struct kt_bench_thread *bt = arg;

	if (kt_token_with_session(bt->tok, false, kt_bench_fn, bt, &bt->err) != 0)
		bt->errors++;
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
kt_bench_report(const struct kt_bench_opts *o, const struct kt_keyinfo *ki,
                struct kt_bench_thread *bt)
{
	unsigned long total = 0, errors = 0;
	double rate = 0;
	char type[16];
	long i;

	if (ki->type == KT_KEY_ED25519)
		snprintf(type, sizeof(type), "ed25519");
	else
		snprintf(type, sizeof(type), "rsa%u", ki->bits);
	for (i = 0; i < o->threads; i++) {
		double r = bt[i].elapsed > 0 ? (double)bt[i].signs / bt[i].elapsed : 0;

		total += bt[i].signs;
		errors += bt[i].errors;
		rate += r;
		printf("thread=%ld signs=%lu errors=%lu signs_per_sec=%.1f\n", i, bt[i].signs,
		       bt[i].errors, r);
		if (bt[i].err.msg[0] != '\0')
			fprintf(stderr, "p11dkim-keytool: bench thread %ld: %s\n", i,
			        bt[i].err.msg);
	}
	printf(
	    "label=%s type=%s threads=%ld seconds=%.1f signs=%lu errors=%lu signs_per_sec=%.1f\n",
	    o->label, type, o->threads, o->seconds, total, errors, rate);
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
	    "Signs with the key from N threads (default 1, each on its own session) for S seconds\n"
	    "(default 3) and prints the rate, per thread and in total, as key=value lines.\n";
	struct kt_bench_opts o = {NULL, 1, 3.0};
	struct kt_bench_thread *bt;
	struct kt_keyinfo ki;
	struct kt_error err = {0, ""};
	struct kt_token *tok;
	long i, started;
	int r;

	if ((r = kt_opts(ctx, argc, argv, lo, help, kt_bench_opt, &o)) >= 0)
		return KT_OPTS_DONE(r);
	if (o.label == NULL) {
		kt_errx(ctx, "bench needs --label");
		return KT_EXIT_USAGE;
	}
	if ((tok = kt_ctx_token(ctx)) == NULL)
		return KT_EXIT_TOKEN;
	if (kt_key_info(tok, o.label, &ki, &err) != 0) {
		kt_errx(ctx, "%s", err.msg);
		return KT_EXIT_TOKEN;
	}
	if (ki.type == KT_KEY_OTHER) {
		kt_errx(ctx, "token \"%s\": key \"%s\" is neither RSA nor Ed25519",
		        kt_token_label(tok), o.label);
		return KT_EXIT_TOKEN;
	}
	if ((bt = calloc((size_t)o.threads, sizeof(*bt))) == NULL) {
		kt_errx(ctx, "out of memory");
		return KT_EXIT_TOKEN;
	}
	for (started = 0; started < o.threads; started++) {
		bt[started] = (struct kt_bench_thread){
		    .tok = tok, .label = o.label, .type = ki.type, .seconds = o.seconds};
		if (pthread_create(&bt[started].tid, NULL, kt_bench_thread_main, &bt[started]) != 0)
			break;
	}
	for (i = 0; i < started; i++)
		pthread_join(bt[i].tid, NULL);
	o.threads = started;
	r = started > 0 ? kt_bench_report(&o, &ki, bt) : KT_EXIT_TOKEN;
	free(bt);
	return r;
}
