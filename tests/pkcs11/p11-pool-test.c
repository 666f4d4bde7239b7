/*
 * p11-pool-test.c: the session pool under load and under every fault the fault module
 * (tests/lib/p11fault.c) injects, on a real SoftHSM token (run by p11-pool.sh). Every
 * signature asked for must be made and must verify; no session may ever serve two threads.
 * Also built under ThreadSanitizer by tsan.sh.
 */
#include "config.h"

#include <check.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pkcs11/p11_int.h"
#include "tests/pkcs11/testlib.h"
#include "tests/lib/check_main.h"

struct load {
	p11_token *tok;
	p11_key *keys[2]; /* RSA, Ed25519 */
	EVP_PKEY *pub[2];
	unsigned threads, per_thread, rsa_every; /* every rsa_every-th sign is RSA; 0: none */
};

struct worker {
	struct load *l;
	pthread_t th;
	unsigned idx;
	unsigned ok, bad_sig, failed;
	struct p11_error first;
};

static void *
worker_run(void *arg)
{
	struct worker *w = arg;
	struct load *l = w->l;
	unsigned char tbs[64], sig[512];
	struct p11_error err;

	for (unsigned i = 0; i < l->per_thread; i++) {
		unsigned which = l->rsa_every && i % l->rsa_every == 0 ? 0 : 1;
		unsigned long n = (unsigned long)w->idx * 1000000UL + i;
		size_t tlen = tl_tbs(l->keys[which], n, tbs), slen = sizeof(sig);
		p11_status st = p11_sign(l->tok, l->keys[which], tbs, tlen, sig, &slen, &err);

		if (st != P11_OK) {
			if (w->failed++ == 0)
				w->first = err;
		} else if (tl_verify(l->pub[which], l->keys[which], n, sig, slen))
			w->ok++;
		else
			w->bad_sig++;
	}
	return NULL;
}

static void
load_init(struct load *l, p11_token *tok, unsigned threads, unsigned per_thread, unsigned rsa_every)
{
	struct p11_error err;

	l->tok = tok;
	l->threads = threads;
	l->per_thread = per_thread;
	l->rsa_every = rsa_every;
	l->keys[0] = tl_key(tok, "dkim-rsa");
	l->keys[1] = tl_key(tok, "pkcs11:object=dkim-ed;id=%02");
	for (int i = 0; i < 2; i++)
		ck_assert_msg(p11_key_public(tok, l->keys[i], &l->pub[i], &err) == P11_OK, "%s",
		              err.msg);
}

static struct worker *
load_start(struct load *l)
{
	struct worker *w = calloc(l->threads, sizeof(*w));

	ck_assert(w != NULL);
	for (unsigned i = 0; i < l->threads; i++) {
		w[i].l = l;
		w[i].idx = i;
		ck_assert(pthread_create(&w[i].th, NULL, worker_run, &w[i]) == 0);
	}
	return w;
}

/* Joins the workers and asserts that every signature was made and verifies. */
static void
load_finish(struct load *l, struct worker *w)
{
	unsigned ok = 0;

	for (unsigned i = 0; i < l->threads; i++) {
		ck_assert(pthread_join(w[i].th, NULL) == 0);
		ck_assert_msg(w[i].failed == 0, "thread %u: %u signs failed, first: %s: %s", i,
		              w[i].failed, p11_strerror(w[i].first.status), w[i].first.msg);
		ck_assert_msg(w[i].bad_sig == 0, "thread %u: %u signatures do not verify", i,
		              w[i].bad_sig);
		ok += w[i].ok;
	}
	ck_assert_uint_eq(ok, l->threads * l->per_thread);
	free(w);
	EVP_PKEY_free(l->pub[0]);
	EVP_PKEY_free(l->pub[1]);
}

static void
setup(void)
{
	tl_fault_clear();
}

static uint64_t
process_cpu_ns(void)
{
	struct timespec ts;

	ck_assert_int_eq(clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts), 0);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* 16 threads x 1000 Ed25519 signs (and 16 x 50 RSA) over 4 sessions: all verify, and neither
   the pool nor the module underneath ever sees two calls on one session at once. The CPU time
   counted inside C_Sign is there, and is part of the process's own. */
START_TEST(test_concurrency)
{
	p11_token *tok = tl_open(true, 4);
	struct p11fault_stats fs;
	struct p11_stats st;
	struct load l;
	uint64_t cpu0, cpu;

	cpu0 = process_cpu_ns();
	load_init(&l, tok, 16, 1050, 21); /* 50 of each thread's 1050 signs are RSA */
	load_finish(&l, load_start(&l));
	cpu = process_cpu_ns() - cpu0;
	p11_token_stats(tok, &st);
	ck_assert_msg(st.sign_cpu_ns > 0 && st.sign_cpu_ns <= cpu,
	              "CPU in C_Sign %llu ns, whole process %llu ns",
	              (unsigned long long)st.sign_cpu_ns, (unsigned long long)cpu);
	tl_fault_stats(&fs);
	ck_assert_uint_eq(st.signs, 16 * 1050);
	ck_assert_uint_eq(st.sign_errors, 0);
	ck_assert_uint_eq(st.retries, 0);
	ck_assert_uint_eq(st.sessions, 4);
	ck_assert_uint_eq(st.sessions_busy, 0);
	ck_assert_uint_eq(st.max_session_users, 1);
	ck_assert_uint_eq(fs.max_inflight, 1);
	ck_assert_uint_eq(fs.cross_thread, 0);
	ck_assert_uint_eq(fs.signs, 16 * 1050);
	p11_token_close(tok);
}
END_TEST

static const struct fault_case {
	const char *cmd;
	bool reinit; /* must re-initialise the module */
	bool drops;  /* must drop sessions */
} fault_cases[] = {
    {"fail_sign 1 0x30", false, true},  /* CKR_DEVICE_ERROR */
    {"fail_sign 1 0xb3", false, true},  /* CKR_SESSION_HANDLE_INVALID */
    {"fail_sign 1 0xb0", false, true},  /* CKR_SESSION_CLOSED */
    {"fail_sign 1 0x101", false, true}, /* CKR_USER_NOT_LOGGED_IN */
    {"fail_sign 1 0x32", false, true},  /* CKR_DEVICE_REMOVED */
    {"fail_sign 1 0xe0", false, true},  /* CKR_TOKEN_NOT_PRESENT */
    {"fail_sign 1 0x6", false, true},   /* CKR_FUNCTION_FAILED (YubiHSM connector gone) */
    {"fail_sign 8 0x30", false, true},  /* several in a row: some signs need a re-init */
    {"close_sessions", false, true},    {"fail_open 3 0x30\nclose_sessions", false, true},
    {"absent_ms 1500", true, true},     {"fail_init 2 0x30\nabsent_ms 300", true, true},
    {"latency_ms 20", false, false},
};

/* 4 threads x 300 signs (every 4th RSA) over 3 sessions; the fault strikes after 100 signs. */
START_TEST(test_fault)
{
	const struct fault_case *fc = &fault_cases[_i];
	const char *only = getenv("P11DKIM_FAULT_CASE"); /* for debugging one case */
	struct p11fault_stats fs;
	struct p11_stats st;
	struct worker *w;
	struct load l;
	p11_token *tok;

	if (only != NULL && atoi(only) != _i)
		return;
	tok = tl_open(true, 3);

	load_init(&l, tok, 4, 300, 4);
	w = load_start(&l);
	do {
		tl_sleep_ms(5);
		p11_token_stats(tok, &st);
	} while (st.signs < 100 && st.sign_errors == 0);
	tl_fault(fc->cmd);
	load_finish(&l, w);
	p11_token_stats(tok, &st);
	tl_fault_stats(&fs);
	ck_assert_msg(fs.faults > 0 || fs.closed_all > 0 || strncmp(fc->cmd, "latency", 7) == 0,
	              "%s: the fault never struck", fc->cmd);
	ck_assert_uint_eq(st.signs, 4 * 300);
	ck_assert_uint_eq(st.sign_errors, 0);
	ck_assert_uint_eq(st.max_session_users, 1);
	ck_assert_uint_eq(fs.max_inflight, 1);
	if (strncmp(fc->cmd, "fail_sign", 9) == 0) {
		/* Each injected failure cost a retry, and no signature. (A re-init can cost one
		   more: SoftHSM may invalidate a key handle another thread just found.) */
		ck_assert_uint_ge(st.retries, fs.faults);
		ck_assert_uint_le(st.retries, fs.faults + 4);
		ck_assert_uint_ge(st.recoveries, 1);
	}
	if (fc->drops)
		ck_assert_msg(st.session_drops >= 1, "%s: no session dropped", fc->cmd);
	if (fc->reinit)
		ck_assert_msg(st.reinits >= 1, "%s: module never re-initialised", fc->cmd);
	p11_token_close(tok);
}
END_TEST

/* A session idle for long is probed before use; a dead one is replaced without a failed sign. */
START_TEST(test_idle_probe)
{
	struct p11_token_opts o;
	struct p11_error err;
	struct p11_stats st;
	unsigned char tbs[32] = {1}, sig[64];
	size_t slen = sizeof(sig);
	p11_token *tok;
	p11_key *ed;

	tl_opts(&o, true);
	o.sessions = 1;
	o.idle_check_ms = 100;
	tok = p11_token_open(&o, &err);
	ck_assert_msg(tok != NULL, "%s", err.msg);
	ed = tl_key(tok, "dkim-ed");
	ck_assert_int_eq(p11_sign(tok, ed, tbs, 32, sig, &slen, &err), P11_OK);
	tl_sleep_ms(150);
	tl_fault("close_sessions");
	ck_assert_int_eq(p11_sign(tok, ed, tbs, 32, sig, &slen, &err), P11_OK);
	p11_token_stats(tok, &st);
	ck_assert_uint_eq(st.retries, 0);
	ck_assert_uint_eq(st.session_drops, 1);
	/* The keepalive does the same from a timer. */
	tl_sleep_ms(60);
	tl_fault("close_sessions");
	p11_token_keepalive(tok);
	p11_token_stats(tok, &st);
	ck_assert_uint_eq(st.session_drops, 2);
	ck_assert_uint_eq(st.sessions_open, 1);
	ck_assert_int_eq(p11_sign(tok, ed, tbs, 32, sig, &slen, &err), P11_OK);
	p11_token_stats(tok, &st);
	ck_assert_uint_eq(st.retries, 0);
	p11_token_close(tok);
}
END_TEST

/* A token that stays away: a clear error within recover_timeout_ms, and signing again after. */
START_TEST(test_token_gone)
{
	struct p11_token_opts o;
	struct p11_error err;
	unsigned char tbs[32] = {2}, sig[64];
	size_t slen = sizeof(sig);
	p11_token *tok;
	p11_key *ed;

	tl_opts(&o, true);
	o.sessions = 2;
	o.recover_timeout_ms = 300;
	tok = p11_token_open(&o, &err);
	ck_assert_msg(tok != NULL, "%s", err.msg);
	ed = tl_key(tok, "dkim-ed");
	tl_fault("absent_ms 1500");
	ck_assert_int_eq(p11_sign(tok, ed, tbs, 32, sig, &slen, &err), P11_ERR_TOKEN_GONE);
	ck_assert_ptr_nonnull(strstr(err.msg, "dkim"));
	ck_assert_ptr_nonnull(strstr(err.msg, "gave up"));
	tl_sleep_ms(1600);
	slen = sizeof(sig);
	ck_assert_msg(p11_sign(tok, ed, tbs, 32, sig, &slen, &err) == P11_OK, "%s", err.msg);
	p11_token_close(tok);
}
END_TEST

/* The token refuses this request: no retry, the error says why, the next sign works. */
START_TEST(test_not_retried)
{
	p11_token *tok = tl_open(true, 1);
	p11_key *ed = tl_key(tok, "dkim-ed");
	unsigned char tbs[32] = {3}, sig[64];
	size_t slen = sizeof(sig);
	struct p11_error err;
	struct p11_stats st;

	tl_fault("fail_sign 1 0x21"); /* CKR_DATA_LEN_RANGE */
	ck_assert_int_eq(p11_sign(tok, ed, tbs, 32, sig, &slen, &err), P11_ERR_SIGN);
	ck_assert_uint_eq(err.rv, 0x21);
	ck_assert_ptr_nonnull(strstr(err.msg, "CKR_DATA_LEN_RANGE"));
	ck_assert_ptr_nonnull(strstr(err.msg, "dkim-ed"));
	p11_token_stats(tok, &st);
	ck_assert_uint_eq(st.retries, 0);
	ck_assert_uint_eq(st.sign_errors, 1);
	ck_assert_int_eq(p11_sign(tok, ed, tbs, 32, sig, &slen, &err), P11_OK);
	p11_token_close(tok);
}
END_TEST

struct holder {
	p11_token *tok;
	p11_key *key;
	p11_status st;
};

static void *
hold_run(void *arg)
{
	struct holder *h = arg;
	unsigned char tbs[32] = {4}, sig[64];
	size_t slen = sizeof(sig);

	h->st = p11_sign(h->tok, h->key, tbs, 32, sig, &slen, NULL);
	return NULL;
}

/* All sessions busy past the deadline: P11_ERR_POOL_TIMEOUT, not a hang. */
START_TEST(test_pool_timeout)
{
	struct p11_token_opts o;
	struct p11_error err;
	struct holder h;
	unsigned char tbs[32] = {5}, sig[64];
	size_t slen = sizeof(sig);
	pthread_t th;

	tl_opts(&o, true);
	o.sessions = 1;
	o.borrow_timeout_ms = 100;
	h.tok = p11_token_open(&o, &err);
	ck_assert_msg(h.tok != NULL, "%s", err.msg);
	h.key = tl_key(h.tok, "dkim-ed");
	tl_fault("latency_ms 600");
	ck_assert(pthread_create(&th, NULL, hold_run, &h) == 0);
	tl_sleep_ms(150);
	ck_assert_int_eq(p11_sign(h.tok, h.key, tbs, 32, sig, &slen, &err), P11_ERR_POOL_TIMEOUT);
	ck_assert_ptr_nonnull(strstr(err.msg, "dkim"));
	ck_assert(pthread_join(th, NULL) == 0);
	ck_assert_int_eq(h.st, P11_OK);
	p11_token_close(h.tok);
}
END_TEST

/* A token that allows fewer sessions than asked (M4): the pool shrinks at start, and a borrower
   finding every remaining session busy waits borrow_timeout_ms and gets none; it must not pass
   the semaphore for a slot that no longer exists and spin. */
struct shrunk {
	struct p11_pool *pool;
	atomic_bool done;
	struct p11_pool_slot *got;
};

static void *
shrunk_run(void *arg)
{
	struct shrunk *w = arg;

	w->got = p11_pool_borrow(w->pool);
	atomic_store(&w->done, true);
	return NULL;
}

START_TEST(test_pool_shrunk)
{
	struct p11_token_opts o;
	struct p11_error err;
	struct p11_stats ps;
	struct p11_pool_slot *a, *b;
	struct shrunk w = {0};
	unsigned char tbs[32] = {6}, sig[64];
	size_t slen = sizeof(sig);
	p11_token *tok;
	pthread_t th;
	int free_now;
	unsigned i;

	tl_fault("session_limit 2");
	tl_opts(&o, true);
	o.sessions = 4;
	o.borrow_timeout_ms = 200;
	tok = p11_token_open(&o, &err);
	ck_assert_msg(tok != NULL, "%s", err.msg);
	p11_token_stats(tok, &ps);
	ck_assert_uint_eq(ps.sessions, 2);
	ck_assert_int_eq(sem_getvalue(&tok->pool.free, &free_now), 0);
	ck_assert_int_eq(free_now, 2);
	a = p11_pool_borrow(&tok->pool);
	b = p11_pool_borrow(&tok->pool);
	ck_assert_ptr_nonnull(a);
	ck_assert_ptr_nonnull(b);
	w.pool = &tok->pool;
	atomic_init(&w.done, false);
	ck_assert(pthread_create(&th, NULL, shrunk_run, &w) == 0);
	for (i = 0; i < 200 && !atomic_load(&w.done); i++)
		tl_sleep_ms(10);
	/* Give a slot back either way, so that a spinning borrower ends and can be joined. */
	p11_pool_return(&tok->pool, a);
	ck_assert(pthread_join(th, NULL) == 0);
	ck_assert_msg(i < 200, "a borrow on the shrunk pool did not time out within 2 s");
	ck_assert_ptr_null(w.got);
	p11_pool_return(&tok->pool, b);
	tl_fault("reset");
	/* The token still signs with what it has. */
	ck_assert_int_eq(p11_sign(tok, tl_key(tok, "dkim-ed"), tbs, 32, sig, &slen, &err), P11_OK);
	p11_token_close(tok);
}
END_TEST

/* The pool alone, no token: 32 threads borrow and return 3 slots as fast as they can. A slot
   is never held by two threads at once, every borrow gets one, and afterwards all 3 are free
   again and a 4th borrow times out. (The lock-free claim is a compare-and-swap; a plain check
   then set fails this within a few thousand rounds.) */
#define EXCL_SLOTS 3
#define EXCL_THREADS 32
#define EXCL_ROUNDS 20000

struct excl {
	struct p11_pool pool;
	atomic_uint holders[EXCL_SLOTS];
	atomic_uint overlaps, misses;
};

static void *
excl_run(void *arg)
{
	struct excl *x = arg;

	for (unsigned r = 0; r < EXCL_ROUNDS; r++) {
		struct p11_pool_slot *s = p11_pool_borrow(&x->pool);
		size_t i;

		if (s == NULL) {
			atomic_fetch_add(&x->misses, 1);
			continue;
		}
		i = (size_t)(s - x->pool.slots);
		if (atomic_fetch_add(&x->holders[i], 1) != 0)
			atomic_fetch_add(&x->overlaps, 1);
		if (r % 64 == 0)
			sched_yield();
		atomic_fetch_sub(&x->holders[i], 1);
		p11_pool_return(&x->pool, s);
	}
	return NULL;
}

START_TEST(test_pool_exclusive)
{
	static struct excl x;
	struct p11_pool_slot *held[EXCL_SLOTS];
	pthread_t th[EXCL_THREADS];
	unsigned open, busy, overlaps, misses;

	memset(&x, 0, sizeof(x));
	ck_assert_int_eq(p11_pool_init(&x.pool, EXCL_SLOTS, 10000), P11_OK);
	for (unsigned i = 0; i < EXCL_THREADS; i++)
		ck_assert(pthread_create(&th[i], NULL, excl_run, &x) == 0);
	for (unsigned i = 0; i < EXCL_THREADS; i++)
		ck_assert(pthread_join(th[i], NULL) == 0);
	overlaps = atomic_load(&x.overlaps);
	misses = atomic_load(&x.misses);
	ck_assert_uint_eq(overlaps, 0);
	ck_assert_uint_eq(misses, 0);
	p11_pool_counts(&x.pool, &open, &busy);
	ck_assert_uint_eq(busy, 0);
	for (unsigned i = 0; i < EXCL_SLOTS; i++) {
		held[i] = p11_pool_borrow(&x.pool);
		ck_assert_ptr_nonnull(held[i]);
	}
	x.pool.timeout_ms = 50;
	ck_assert_ptr_null(p11_pool_borrow(&x.pool));
	/* A slot given back can be taken by name, once. */
	p11_pool_return(&x.pool, held[1]);
	ck_assert_ptr_eq(p11_pool_try_borrow_slot(&x.pool, held[1]), held[1]);
	ck_assert_ptr_null(p11_pool_try_borrow_slot(&x.pool, held[1]));
	for (unsigned i = 0; i < EXCL_SLOTS; i++)
		p11_pool_return(&x.pool, held[i]);
	p11_pool_counts(&x.pool, &open, &busy);
	ck_assert_uint_eq(busy, 0);
	p11_pool_destroy(&x.pool);
}
END_TEST

static Suite *
pool_suite(void)
{
	Suite *s = suite_create("pkcs11-pool");
	TCase *tc = tcase_create("pool");

	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, test_concurrency);
	tcase_add_loop_test(tc, test_fault, 0, sizeof(fault_cases) / sizeof(fault_cases[0]));
	tcase_add_test(tc, test_idle_probe);
	tcase_add_test(tc, test_token_gone);
	tcase_add_test(tc, test_not_retried);
	tcase_add_test(tc, test_pool_timeout);
	tcase_add_test(tc, test_pool_shrunk);
	tcase_add_test(tc, test_pool_exclusive);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return check_run(pool_suite(), NULL);
}
