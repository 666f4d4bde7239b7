/*
 * pool-bench: signs per second of raw C_Sign (one session per thread, C_SignInit + C_Sign in a
 * loop) against p11_sign through the pool, for 1, 2 and 4 threads, RSA-2048 and Ed25519.
 * A program that prints figures, not a test. Run it on a token made by tests/lib/softhsm.sh,
 * e.g. with tests/bench/pool-bench.sh, which does that for you.
 *
 * Environment: P11DKIM_MODULE, P11DKIM_TOKEN, P11DKIM_PIN_FILE (as softhsm.sh exports them).
 * Usage: pool-bench [-s SECONDS] [RSA-LABEL [ED25519-LABEL]]   (default 2 s, dkim-rsa dkim-ed)
 * Prints one line per key type and thread count, ending in ratio=pool/raw.
 */
#include "config.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

/* Internal on purpose: the raw path needs Cryptoki, and the token's function list. */
#include "pkcs11/p11_int.h"

struct bench {
	p11_token *tok;
	p11_key *key;
	const char *label;
	CK_FUNCTION_LIST_PTR fl;
	CK_SLOT_ID slot;
	atomic_bool stop;
	bool raw;
};

struct runner {
	struct bench *b;
	pthread_t th;
	unsigned long count;
	bool failed;
};

/* The digest p11_sign gets. */
static void
bench_digest(unsigned char md[P11_DIGEST_LEN])
{
	EVP_Digest("bench", 5, md, NULL, EVP_sha256(), NULL);
}

/* Raw: this thread's own session and its own handle of the key. */
static void
bench_raw(struct runner *r)
{
	struct bench *b = r->b;
	CK_FUNCTION_LIST_PTR fl = b->fl;
	CK_OBJECT_CLASS cls = CKO_PRIVATE_KEY;
	CK_ATTRIBUTE t[2] = {{CKA_CLASS, &cls, sizeof(cls)},
	                     {CKA_LABEL, (void *)b->label, strlen(b->label)}};
	CK_MECHANISM mech = {p11_key_type(b->key) == P11_KEY_RSA ? CKM_RSA_PKCS : CKM_EDDSA, NULL,
	                     0};
	/* What the token signs for p11_sign: RSA, a DigestInfo-sized input (CKM_RSA_PKCS pads
	   whatever it gets, so its bytes do not change the cost); Ed25519, the digest. */
	unsigned char tbs[51] = {0}, sig[512];
	size_t tlen = p11_key_type(b->key) == P11_KEY_RSA ? sizeof(tbs) : P11_DIGEST_LEN;
	CK_SESSION_HANDLE s;
	CK_OBJECT_HANDLE h;
	CK_ULONG n = 0, slen;

	bench_digest(tbs + sizeof(tbs) - P11_DIGEST_LEN);
	if (fl->C_OpenSession(b->slot, CKF_SERIAL_SESSION, NULL, NULL, &s) != CKR_OK ||
	    fl->C_FindObjectsInit(s, t, 2) != CKR_OK || fl->C_FindObjects(s, &h, 1, &n) != CKR_OK ||
	    fl->C_FindObjectsFinal(s) != CKR_OK || n != 1) {
		r->failed = true;
		return;
	}
	while (!atomic_load(&b->stop)) {
		slen = sizeof(sig);
		if (fl->C_SignInit(s, &mech, h) != CKR_OK ||
		    fl->C_Sign(s, tbs, tlen, sig, &slen) != CKR_OK) {
			r->failed = true;
			break;
		}
		r->count++;
	}
	fl->C_CloseSession(s);
}

static void
bench_pool(struct runner *r)
{
	struct bench *b = r->b;
	unsigned char md[P11_DIGEST_LEN], sig[512];
	size_t slen;

	bench_digest(md);
	while (!atomic_load(&b->stop)) {
		slen = sizeof(sig);
		if (p11_sign(b->tok, b->key, md, sizeof(md), sig, &slen, NULL) != P11_OK) {
			r->failed = true;
			break;
		}
		r->count++;
	}
}

static void *
bench_thread(void *arg)
{
	struct runner *r = arg;

	if (r->b->raw)
		bench_raw(r);
	else
		bench_pool(r);
	return NULL;
}

static double
bench_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Signs per second with n threads for secs seconds; negative on failure. */
static double
bench_run(struct bench *b, bool raw, unsigned n, unsigned secs)
{
	struct runner r[8];
	unsigned long total = 0;
	bool failed = false;
	double t0, t1;

	memset(r, 0, sizeof(r));
	b->raw = raw;
	atomic_store(&b->stop, false);
	t0 = bench_now();
	for (unsigned i = 0; i < n; i++) {
		r[i].b = b;
		pthread_create(&r[i].th, NULL, bench_thread, &r[i]);
	}
	sleep(secs);
	atomic_store(&b->stop, true);
	for (unsigned i = 0; i < n; i++) {
		pthread_join(r[i].th, NULL);
		total += r[i].count;
		failed |= r[i].failed;
	}
	t1 = bench_now();
	return failed ? -1 : (double)total / (t1 - t0);
}

static CK_RV
bench_get_list(CK_FUNCTION_LIST_PTR fl, CK_SESSION_HANDLE s, void *arg)
{
	struct bench *b = arg;
	CK_SESSION_INFO si;
	CK_RV rv = fl->C_GetSessionInfo(s, &si);

	b->fl = fl;
	b->slot = si.slotID;
	return rv;
}

int
main(int argc, char **argv)
{
	const char *labels[2] = {"dkim-rsa", "dkim-ed"}, *names[2] = {"RSA-2048", "Ed25519"};
	static const unsigned threads[] = {1, 2, 4};
	struct p11_token_opts o;
	struct p11_error err;
	struct bench b;
	unsigned secs = 2;
	int c, i;

	while ((c = getopt(argc, argv, "s:")) != -1)
		if (c == 's')
			secs = (unsigned)atoi(optarg);
		else {
			fprintf(stderr, "usage: pool-bench [-s SECONDS] [RSA-LABEL [ED-LABEL]]\n");
			return 2;
		}
	for (i = 0; i < 2 && optind + i < argc; i++)
		labels[i] = argv[optind + i];
	memset(&o, 0, sizeof(o));
	o.module = getenv("P11DKIM_MODULE");
	o.token = getenv("P11DKIM_TOKEN");
	o.pin_file = getenv("P11DKIM_PIN_FILE");
	memset(&b, 0, sizeof(b));
	if (o.module == NULL || o.token == NULL || o.pin_file == NULL) {
		fprintf(stderr,
		        "pool-bench: set P11DKIM_MODULE, P11DKIM_TOKEN, P11DKIM_PIN_FILE\n");
		return 2;
	}
	if ((b.tok = p11_token_open(&o, &err)) == NULL ||
	    p11_token_with_session(b.tok, false, bench_get_list, &b, &err) != P11_OK) {
		fprintf(stderr, "pool-bench: %s\n", err.msg);
		return 1;
	}
	for (i = 0; i < 2; i++) {
		b.label = labels[i];
		if ((b.key = p11_token_find_key(b.tok, labels[i], &err)) == NULL) {
			fprintf(stderr, "pool-bench: %s\n", err.msg);
			return 1;
		}
		for (size_t t = 0; t < sizeof(threads) / sizeof(threads[0]); t++) {
			double raw = bench_run(&b, true, threads[t], secs);
			double pool = bench_run(&b, false, threads[t], secs);

			printf("%-8s threads=%u raw=%.0f/s pool=%.0f/s ratio=%.3f\n", names[i],
			       threads[t], raw, pool, raw > 0 ? pool / raw : 0.0);
			fflush(stdout);
		}
	}
	p11_token_close(b.tok);
	return 0;
}
