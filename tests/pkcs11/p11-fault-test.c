/*
 * p11-fault-test.c: the fault module itself (tests/lib/p11fault.c, contract in p11fault.h) with
 * two SoftHSM tokens in one SoftHSM configuration (two slots of one module, loaded once through
 * the fault module; made by p11-fault.sh): a fault scoped with "token B" hits B only while A goes
 * on, hang_ms holds B and lets it come back, and the per-token and C_Initialize counters.
 *
 * The faults are driven through raw Cryptoki, one call at a time, because p11_sign() would retry
 * and re-initialise the module and so hide what a single call answered; the shared C_Initialize
 * is proved through the pkcs11/ library, which is what shares it. Each test runs in its own
 * process (Check's fork mode), so the fault module starts fresh in every test.
 */
#include "config.h"

#include <check.h>
#include <dlfcn.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tests/pkcs11/testlib.h"
#include "tests/lib/check_main.h"

/* One token seen through the fault module: its slot, a logged-in session and its Ed25519 key. */
struct tk {
	const char *label;
	CK_SLOT_ID slot;
	CK_SESSION_HANDLE s;
	CK_OBJECT_HANDLE key;
};

static CK_FUNCTION_LIST_PTR fl;
static struct tk ta, tb;

static void
setup(void)
{
	tl_fault_clear();
	ta.label = tl_env("P11DKIM_TOKEN");
	tb.label = tl_env("P11DKIM_TOKEN2");
}

/* Loads the fault module and initialises it (the real module behind it once). */
static void
rt_init(void)
{
	CK_C_INITIALIZE_ARGS args = {.flags = CKF_OS_LOCKING_OK};
	CK_C_GetFunctionList get;
	void *dl = dlopen(tl_env("P11FAULT_SO"), RTLD_NOW | RTLD_LOCAL);

	ck_assert_msg(dl != NULL, "%s", dlerror());
	*(void **)&get = dlsym(dl, "C_GetFunctionList");
	ck_assert(get != NULL);
	ck_assert_int_eq(get(&fl), CKR_OK);
	ck_assert_int_eq(fl->C_Initialize(&args), CKR_OK);
}

static bool
slot_listed(CK_SLOT_ID slot, CK_BBOOL present)
{
	CK_SLOT_ID ids[64];
	CK_ULONG n = 64;

	ck_assert_int_eq(fl->C_GetSlotList(present, ids, &n), CKR_OK);
	for (CK_ULONG i = 0; i < n; i++)
		if (ids[i] == slot)
			return true;
	return false;
}

static CK_SLOT_ID
rt_slot(const char *label)
{
	CK_SLOT_ID ids[64];
	CK_ULONG n = 64;
	CK_TOKEN_INFO ti;
	size_t len = strlen(label);

	ck_assert_int_eq(fl->C_GetSlotList(CK_TRUE, ids, &n), CKR_OK);
	for (CK_ULONG i = 0; i < n; i++)
		if (fl->C_GetTokenInfo(ids[i], &ti) == CKR_OK &&
		    memcmp(ti.label, label, len) == 0 &&
		    (len == sizeof(ti.label) || ti.label[len] == ' '))
			return ids[i];
	ck_abort_msg("no token %s", label);
	return 0;
}

static CK_RV
rt_open(struct tk *t)
{
	return fl->C_OpenSession(t->slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL, &t->s);
}

static CK_RV
rt_login(const struct tk *t)
{
	const char *pin = tl_env("P11DKIM_PIN");
	CK_RV rv = fl->C_Login(t->s, CKU_USER, (CK_UTF8CHAR_PTR)pin, strlen(pin));

	return rv == CKR_USER_ALREADY_LOGGED_IN ? CKR_OK : rv;
}

static void
rt_find_key(struct tk *t)
{
	CK_OBJECT_CLASS cls = CKO_PRIVATE_KEY;
	CK_ATTRIBUTE tmpl[] = {{CKA_CLASS, &cls, sizeof(cls)}, {CKA_LABEL, "dkim-ed", 7}};
	CK_ULONG n = 0;

	ck_assert_int_eq(fl->C_FindObjectsInit(t->s, tmpl, 2), CKR_OK);
	ck_assert_int_eq(fl->C_FindObjects(t->s, &t->key, 1, &n), CKR_OK);
	ck_assert_int_eq(fl->C_FindObjectsFinal(t->s), CKR_OK);
	ck_assert_msg(n == 1, "no dkim-ed on %s", t->label);
}

/* A fresh logged-in session on t with its key found. */
static void
rt_ready(struct tk *t)
{
	ck_assert_int_eq(rt_open(t), CKR_OK);
	ck_assert_int_eq(rt_login(t), CKR_OK);
	rt_find_key(t);
}

static void
rt_open_both(void)
{
	rt_init();
	ta.slot = rt_slot(ta.label);
	tb.slot = rt_slot(tb.label);
	ck_assert(ta.slot != tb.slot);
	rt_ready(&ta);
	rt_ready(&tb);
}

/* One Ed25519 signature on t: C_SignInit + C_Sign; the first error, or CKR_OK. */
static CK_RV
rt_sign(const struct tk *t)
{
	CK_MECHANISM mech = {CKM_EDDSA, NULL, 0};
	CK_BYTE tbs[32] = {1}, sig[64];
	CK_ULONG len = sizeof(sig);
	CK_RV rv = fl->C_SignInit(t->s, &mech, t->key);

	if (rv == CKR_OK && (rv = fl->C_Sign(t->s, tbs, sizeof(tbs), sig, &len)) == CKR_OK)
		ck_assert_uint_eq(len, 64);
	return rv;
}

/* After an injected C_Sign failure the real module still has the operation that C_SignInit
   began on that session (the real C_Sign was never called): sign on a fresh session. */
static void
renew(struct tk *t)
{
	CK_SESSION_HANDLE old = t->s;

	rt_ready(t);
	ck_assert_int_eq(fl->C_CloseSession(old), CKR_OK);
}

/* Signing on t fails with rv, injected. */
static void
sign_fails(struct tk *t, CK_RV rv)
{
	ck_assert_int_eq(rt_sign(t), rv);
	renew(t);
}

/* The fault module's count of signatures on t (in process). */
static uint64_t
signs_of(const struct tk *t)
{
	char name[64];

	snprintf(name, sizeof(name), "signs.%s", t->label);
	return tl_fault_counter(name);
}

/* Writes the control file: cmd scoped to the token labelled label. */
static void
fault_on(const char *label, const char *cmd)
{
	char buf[256];

	snprintf(buf, sizeof(buf), "token %s\n%s", label, cmd);
	tl_fault(buf);
}

static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

/* The value of a "name value" line of the stats file (name: prefix and label, for the
   per-token lines), or -1 when it has none. */
static long long
stats_line(const char *prefix, const char *label)
{
	char path[512], line[256], key[128], name[128];
	long long v, found = -1;
	FILE *f;

	snprintf(name, sizeof(name), "%s%s", prefix, label);
	snprintf(path, sizeof(path), "%s", tl_env("P11FAULT_STATS"));
	f = fopen(path, "r");
	ck_assert_msg(f != NULL, "no stats file %s", path);
	while (fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "%127s %lld", key, &v) == 2 && strcmp(key, name) == 0)
			found = v;
	fclose(f);
	return found;
}

/*
 * fail_sign scoped to B, written before C_Initialize (the label is matched to its slot only
 * once the module is initialised): B fails exactly 3 signatures, A none. Then "token *" and a
 * new read bring the scope back to every token.
 */
START_TEST(test_fail_sign)
{
	fault_on(tb.label, "fail_sign 3 0x30");
	rt_open_both();
	for (int i = 0; i < 5; i++)
		ck_assert_int_eq(rt_sign(&ta), CKR_OK);
	for (int i = 0; i < 3; i++)
		sign_fails(&tb, CKR_DEVICE_ERROR);
	ck_assert_int_eq(rt_sign(&tb), CKR_OK);
	ck_assert_uint_eq(tl_fault_counter("faults"), 3);

	/* "token *" ends the scope within a read. */
	fault_on(tb.label, "fail_sign 1 0x30\ntoken *\nfail_sign 1 0x6");
	sign_fails(&ta, CKR_FUNCTION_FAILED);
	ck_assert_int_eq(rt_sign(&ta), CKR_OK);
	sign_fails(&tb, CKR_DEVICE_ERROR);
	ck_assert_int_eq(rt_sign(&tb), CKR_OK);
	/* Every read starts unscoped: this one fails both tokens. */
	tl_fault("fail_sign 2 0x6");
	sign_fails(&tb, CKR_FUNCTION_FAILED);
	sign_fails(&ta, CKR_FUNCTION_FAILED);
	ck_assert_int_eq(rt_sign(&ta), CKR_OK);
	ck_assert_int_eq(rt_sign(&tb), CKR_OK);

	/* Counted per token, in process and in the stats file written at C_Finalize. */
	ck_assert_uint_eq(signs_of(&ta), 7);
	ck_assert_uint_eq(signs_of(&tb), 3);
	ck_assert_uint_eq(tl_fault_counter("signs"), 10);
	ck_assert_uint_eq(tl_fault_counter("faults"), 7);
	ck_assert_int_eq(fl->C_Finalize(NULL), CKR_OK);
	ck_assert_int_eq(stats_line("signs.", ta.label), 7);
	ck_assert_int_eq(stats_line("signs.", tb.label), 3);
	ck_assert_int_eq(stats_line("signs", ""), 10);
	ck_assert_int_eq(stats_line("initializes", ""), 1);
}
END_TEST

/* fail_open and fail_login scoped to B: A opens and logs in; B fails once each. */
START_TEST(test_open_login)
{
	fault_on(tb.label, "fail_open 1 0x30\nfail_login 1 0xa0");
	rt_init();
	ta.slot = rt_slot(ta.label);
	tb.slot = rt_slot(tb.label);
	ck_assert_int_eq(rt_open(&ta), CKR_OK);
	ck_assert_int_eq(rt_open(&tb), CKR_DEVICE_ERROR);
	ck_assert_int_eq(rt_open(&tb), CKR_OK);
	ck_assert_int_eq(rt_login(&ta), CKR_OK);
	ck_assert_int_eq(rt_login(&tb), CKR_PIN_INCORRECT);
	ck_assert_int_eq(rt_login(&tb), CKR_OK);
	ck_assert_uint_eq(tl_fault_counter("logins"), 3);
	ck_assert_uint_eq(tl_fault_counter("faults"), 2);
	fl->C_Finalize(NULL);
}
END_TEST

/* session_limit scoped to B counts B's sessions only, and forgets those closed. */
START_TEST(test_session_limit)
{
	struct tk extra;

	rt_open_both();
	extra = tb;
	fault_on(tb.label, "session_limit 2");
	for (int i = 0; i < 4; i++) {
		struct tk t = ta;

		ck_assert_int_eq(rt_open(&t), CKR_OK);
	}
	ck_assert_int_eq(rt_open(&extra), CKR_OK);
	ck_assert_int_eq(rt_open(&tb), CKR_SESSION_COUNT);
	ck_assert_int_eq(fl->C_CloseSession(extra.s), CKR_OK);
	ck_assert_int_eq(rt_open(&extra), CKR_OK);
	ck_assert_int_eq(rt_open(&tb), CKR_SESSION_COUNT);
	/* C_CloseAllSessions on B's slot: none of B's left, two may open again. */
	ck_assert_int_eq(fl->C_CloseAllSessions(tb.slot), CKR_OK);
	ck_assert_int_eq(rt_open(&extra), CKR_OK);
	ck_assert_int_eq(rt_open(&tb), CKR_OK);
	ck_assert_int_eq(rt_open(&tb), CKR_SESSION_COUNT);
	ck_assert_uint_eq(tl_fault_counter("faults"), 3);
	fl->C_Finalize(NULL);
}
END_TEST

/* close_sessions scoped to B closes B's sessions only. */
START_TEST(test_close_sessions)
{
	CK_SESSION_INFO si;

	rt_open_both();
	fault_on(tb.label, "close_sessions");
	ck_assert_int_eq(fl->C_GetSessionInfo(ta.s, &si), CKR_OK);
	ck_assert_int_eq(fl->C_GetSessionInfo(tb.s, &si), CKR_SESSION_HANDLE_INVALID);
	ck_assert_int_eq(rt_sign(&ta), CKR_OK);
	ck_assert_uint_eq(tl_fault_counter("closed_all"), 1);
	rt_ready(&tb);
	ck_assert_int_eq(rt_sign(&tb), CKR_OK);
	fl->C_Finalize(NULL);
}
END_TEST

/* absent_ms scoped to B hides B only, then B comes back with its old sessions closed. */
START_TEST(test_absent)
{
	CK_SLOT_ID ids[64];
	CK_TOKEN_INFO ti;
	CK_SESSION_INFO si;
	CK_ULONG n = 0, all = 0;
	struct tk t;
	double t0;

	rt_open_both();
	t = tb;
	ck_assert_int_eq(fl->C_GetSlotList(CK_TRUE, NULL, &all), CKR_OK);
	t0 = now_ms();
	fault_on(tb.label, "absent_ms 1500");
	ck_assert_int_eq(fl->C_GetSlotList(CK_TRUE, NULL, &n), CKR_OK);
	ck_assert_uint_eq(n, all - 1);
	ck_assert(slot_listed(ta.slot, CK_TRUE));
	ck_assert(!slot_listed(tb.slot, CK_TRUE));
	ck_assert(slot_listed(tb.slot, CK_FALSE));
	n = 0;
	ck_assert_int_eq(fl->C_GetSlotList(CK_TRUE, ids, &n), CKR_BUFFER_TOO_SMALL);
	ck_assert_uint_eq(n, all - 1);
	ck_assert_int_eq(fl->C_GetTokenInfo(tb.slot, &ti), CKR_TOKEN_NOT_PRESENT);
	ck_assert_int_eq(fl->C_GetTokenInfo(ta.slot, &ti), CKR_OK);
	ck_assert_int_eq(rt_open(&t), CKR_TOKEN_NOT_PRESENT);
	ck_assert_int_eq(rt_sign(&tb), CKR_DEVICE_REMOVED);
	ck_assert_int_eq(rt_sign(&ta), CKR_OK);
	ck_assert_int_eq(fl->C_GetSessionInfo(ta.s, &si), CKR_OK);
	ck_assert_msg(now_ms() - t0 < 1500, "too slow to see the absence: %.0f ms", now_ms() - t0);
	/* Back: listed again, its sessions were closed when it went. */
	if (now_ms() < t0 + 1600)
		tl_sleep_ms((unsigned)(t0 + 1600 - now_ms()));
	ck_assert(slot_listed(tb.slot, CK_TRUE));
	ck_assert_int_eq(fl->C_GetSessionInfo(tb.s, &si), CKR_SESSION_HANDLE_INVALID);
	rt_ready(&tb);
	ck_assert_int_eq(rt_sign(&tb), CKR_OK);
	fl->C_Finalize(NULL);
}
END_TEST

/* latency_ms scoped to B slows B's signatures only. */
START_TEST(test_latency)
{
	double t0, ta_ms, tb_ms;

	rt_open_both();
	fault_on(tb.label, "latency_ms 600");
	t0 = now_ms();
	ck_assert_int_eq(rt_sign(&ta), CKR_OK);
	ta_ms = now_ms() - t0;
	t0 = now_ms();
	ck_assert_int_eq(rt_sign(&tb), CKR_OK);
	tb_ms = now_ms() - t0;
	ck_assert_msg(tb_ms >= 600, "B signed in %.0f ms under latency_ms 600", tb_ms);
	ck_assert_msg(ta_ms < 600, "A signed in %.0f ms, held by B's latency", ta_ms);
	fl->C_Finalize(NULL);
}
END_TEST

struct signer {
	const struct tk *t;
	CK_RV rv;
	double end;
};

static void *
sign_thread(void *arg)
{
	struct signer *sg = arg;

	sg->rv = rt_sign(sg->t);
	sg->end = now_ms();
	return NULL;
}

/*
 * hang_ms scoped to B: a signature on B started during the hang ends when the hang does, and
 * right; A signs meanwhile, and closing A's sessions does not wait for B's hung call. After the
 * hang B signs at once; one started late in a hang waits only for the rest of it (unlike
 * latency_ms).
 */
START_TEST(test_hang)
{
	struct signer sg = {.t = &tb};
	CK_SESSION_INFO si;
	pthread_t th;
	double t0, t1, d;

	rt_open_both();
	t0 = now_ms();
	fault_on(tb.label, "hang_ms 1500");
	ck_assert_int_eq(rt_sign(&ta), CKR_OK);
	ck_assert_int_eq(pthread_create(&th, NULL, sign_thread, &sg), 0);
	tl_sleep_ms(200);
	t1 = now_ms();
	ck_assert_int_eq(rt_sign(&ta), CKR_OK);
	d = now_ms() - t1;
	ck_assert_msg(d < 750, "A took %.0f ms while B hung", d);
	fault_on(ta.label, "close_sessions");
	ck_assert_int_eq(fl->C_GetSessionInfo(ta.s, &si), CKR_SESSION_HANDLE_INVALID);
	d = now_ms() - t0;
	ck_assert_msg(d < 1500, "closing A's sessions waited for B's hang (%.0f ms)", d);
	ck_assert_int_eq(pthread_join(th, NULL), 0);
	ck_assert_int_eq(sg.rv, CKR_OK);
	ck_assert_msg(sg.end - t0 >= 1500, "B answered %.0f ms into a 1500 ms hang", sg.end - t0);

	/* Over: B at once. */
	t1 = now_ms();
	ck_assert_int_eq(rt_sign(&tb), CKR_OK);
	d = now_ms() - t1;
	ck_assert_msg(d < 750, "B took %.0f ms after its hang", d);
	/* A call made late in a hang waits for its end only. */
	t0 = now_ms();
	fault_on(tb.label, "hang_ms 1000");
	ck_assert_int_eq(fl->C_GetSessionInfo(tb.s, &si), CKR_OK); /* the hang starts here */
	tl_sleep_ms(600);
	t1 = now_ms();
	ck_assert_int_eq(rt_sign(&tb), CKR_OK);
	ck_assert_msg(now_ms() - t0 >= 1000, "B answered %.0f ms into a 1000 ms hang",
	              now_ms() - t0);
	ck_assert_msg(now_ms() - t1 < 1000, "a call late in the hang waited %.0f ms",
	              now_ms() - t1);
	ck_assert_uint_eq(signs_of(&tb), 3);
	rt_ready(&ta);
	ck_assert_int_eq(rt_sign(&ta), CKR_OK);
	ck_assert_uint_eq(signs_of(&ta), 3);
	fl->C_Finalize(NULL);
}
END_TEST

/* A label that matches no slot: its faults act on nothing, and stderr says so once. */
START_TEST(test_unknown_label)
{
	char path[512], buf[4096];
	const char *needle = "p11fault: token nosuch matches no slot";
	int fd, saved;
	ssize_t len;
	unsigned seen = 0;

	snprintf(path, sizeof(path), "%s/stderr-unknown", tl_env("P11DKIM_TEST_DIR"));
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	ck_assert(fd >= 0);
	saved = dup(2);
	ck_assert(saved >= 0 && dup2(fd, 2) == 2);
	close(fd);
	fault_on("nosuch", "fail_sign 5 0x30\nabsent_ms 5000");
	rt_open_both();
	ck_assert_int_eq(rt_sign(&ta), CKR_OK);
	ck_assert_int_eq(rt_sign(&tb), CKR_OK);
	fault_on("nosuch", "fail_sign 5 0x30 "); /* read again, named again */
	ck_assert_int_eq(rt_sign(&ta), CKR_OK);
	ck_assert_int_eq(rt_sign(&tb), CKR_OK);
	ck_assert(slot_listed(tb.slot, CK_TRUE));
	ck_assert_uint_eq(tl_fault_counter("faults"), 0);
	fl->C_Finalize(NULL);
	ck_assert(dup2(saved, 2) == 2);
	close(saved);
	fd = open(path, O_RDONLY);
	ck_assert(fd >= 0);
	len = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	ck_assert(len >= 0);
	buf[len] = '\0';
	for (const char *p = buf; (p = strstr(p, needle)) != NULL; p += strlen(needle))
		seen++;
	ck_assert_msg(seen == 1, "told %u times:\n%s", seen, buf);
}
END_TEST

static void
sign_n(p11_token *tok, unsigned n)
{
	p11_key *k = tl_key(tok, "dkim-ed");
	unsigned char tbs[64], sig[64];
	struct p11_error err;
	EVP_PKEY *pub;

	ck_assert_msg(p11_key_public(tok, k, &pub, &err) == P11_OK, "%s", err.msg);
	for (unsigned i = 0; i < n; i++) {
		size_t tlen = tl_tbs(k, i, tbs), slen = sizeof(sig);

		ck_assert_msg(p11_sign(tok, k, tbs, tlen, sig, &slen, &err) == P11_OK, "%s",
		              err.msg);
		ck_assert(tl_verify(pub, k, i, sig, slen));
	}
	EVP_PKEY_free(pub);
}

/*
 * Two tokens of one module opened through pkcs11/ share one C_Initialize (p11_module.c keeps
 * one instance per module path); their signatures are counted apart.
 */
START_TEST(test_shared_initialize)
{
	uint64_t before = tl_fault_counter("initializes");
	p11_token *a = tl_open_token(true, ta.label, 2), *b = tl_open_token(true, tb.label, 2);

	ck_assert_uint_eq(tl_fault_counter("initializes") - before, 1);
	sign_n(a, 3);
	sign_n(b, 2);
	ck_assert_uint_eq(signs_of(&ta), 3);
	ck_assert_uint_eq(signs_of(&tb), 2);
	p11_token_close(a);
	p11_token_close(b); /* the last: C_Finalize, which writes the stats file */
	ck_assert_int_eq(stats_line("initializes", ""), 1);
	ck_assert_int_eq(stats_line("signs.", ta.label), 3);
	ck_assert_int_eq(stats_line("signs.", tb.label), 2);
}
END_TEST

static Suite *
fault_suite(void)
{
	Suite *s = suite_create("p11fault");
	TCase *tc = tcase_create("two tokens");

	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_fail_sign);
	tcase_add_test(tc, test_open_login);
	tcase_add_test(tc, test_session_limit);
	tcase_add_test(tc, test_close_sessions);
	tcase_add_test(tc, test_absent);
	tcase_add_test(tc, test_latency);
	tcase_add_test(tc, test_hang);
	tcase_add_test(tc, test_unknown_label);
	tcase_add_test(tc, test_shared_initialize);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	/* Every test counts from a fresh fault module: it must be loaded in each test's process. */
	if (getenv("CK_FORK") != NULL && strcmp(getenv("CK_FORK"), "no") == 0) {
		printf("SKIP: p11-fault-test needs Check's fork mode (CK_FORK=no is set)\n");
		return 77;
	}
	return check_run(fault_suite(), NULL);
}
