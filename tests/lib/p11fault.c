/*
 * p11fault.c: the fault-injecting PKCS#11 module; interface and control file in p11fault.h.
 * Its function list is a copy of the real module's with the calls below replaced, so any call
 * not named here goes straight to the real module.
 */
#include "config.h"

#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <p11-kit/pkcs11.h>

#include "tests/lib/p11fault.h"

#define PF_TRACK 8192 /* session handles tracked for concurrent use */

static pthread_once_t pf_once = PTHREAD_ONCE_INIT;
static pthread_mutex_t pf_mu = PTHREAD_MUTEX_INITIALIZER;
/* Read-held by every forwarded call; write-held to close all sessions between calls, since
   SoftHSM crashes (and can corrupt its token) when sessions close under a running call. */
static pthread_rwlock_t pf_gate = PTHREAD_RWLOCK_INITIALIZER;
static bool pf_pending_close;
static CK_FUNCTION_LIST pf_list;
static CK_FUNCTION_LIST_PTR pf_real;
static const char *pf_control, *pf_statfile;
static struct {
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtime;
	bool seen;
} pf_file;
static struct {
	unsigned long fail_sign, fail_init, fail_open, fail_login;
	CK_RV rv_sign, rv_init, rv_open, rv_login;
	struct timespec absent_until;
	unsigned latency_ms;
	unsigned long session_limit; /* 0: none */
} pf_cmd;
static unsigned long pf_sessions; /* open through this module, for session_limit */
static struct p11fault_stats pf_stats;
static struct {
	CK_SESSION_HANDLE h;
	bool used;
	unsigned inflight;
	pthread_t signer;
	bool signing;
} pf_track[PF_TRACK];

static void
pf_load(void)
{
	const char *path = getenv("P11FAULT_MODULE");
	CK_C_GetFunctionList get;
	void *dl;

	pf_control = getenv("P11FAULT_CONTROL");
	pf_statfile = getenv("P11FAULT_STATS");
	if (path == NULL || (dl = dlopen(path, RTLD_NOW | RTLD_LOCAL)) == NULL) {
		fprintf(stderr, "p11fault: cannot load P11FAULT_MODULE=%s\n",
		        path ? path : "(unset)");
		return;
	}
	*(void **)&get = dlsym(dl, "C_GetFunctionList");
	if (get == NULL || get(&pf_real) != CKR_OK)
		pf_real = NULL;
}

static bool
pf_now_before(const struct timespec *t)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return now.tv_sec < t->tv_sec || (now.tv_sec == t->tv_sec && now.tv_nsec < t->tv_nsec);
}

/* Every real slot's sessions closed: what a token reset does. pf_gate write-held. */
static void
pf_close_all(void)
{
	CK_SLOT_ID slots[32];
	CK_ULONG n = 32;

	if (pf_real->C_GetSlotList(CK_FALSE, slots, &n) == CKR_OK)
		for (CK_ULONG i = 0; i < n; i++)
			pf_real->C_CloseAllSessions(slots[i]);
	pf_sessions = 0;
	pf_stats.closed_all++;
}

static void
pf_dump(void)
{
	FILE *f;

	if (pf_statfile == NULL || (f = fopen(pf_statfile, "w")) == NULL)
		return;
	fprintf(f,
	        "signs %llu\nfaults %llu\nmax_inflight %llu\ncross_thread %llu\nclosed_all %llu\n"
	        "logins %llu\n",
	        (unsigned long long)pf_stats.signs, (unsigned long long)pf_stats.faults,
	        (unsigned long long)pf_stats.max_inflight,
	        (unsigned long long)pf_stats.cross_thread, (unsigned long long)pf_stats.closed_all,
	        (unsigned long long)pf_stats.logins);
	fclose(f);
}

static void
pf_apply(const char *line)
{
	char cmd[32];
	unsigned long a = 0, b = 0;
	int n = sscanf(line, "%31s %li %li", cmd, (long *)&a, (long *)&b);

	if (n < 1)
		return;
	if (strcmp(cmd, "fail_sign") == 0 && n == 3) {
		pf_cmd.fail_sign = a;
		pf_cmd.rv_sign = b;
	} else if (strcmp(cmd, "fail_init") == 0 && n == 3) {
		pf_cmd.fail_init = a;
		pf_cmd.rv_init = b;
	} else if (strcmp(cmd, "fail_open") == 0 && n == 3) {
		pf_cmd.fail_open = a;
		pf_cmd.rv_open = b;
	} else if (strcmp(cmd, "fail_login") == 0 && n == 3) {
		pf_cmd.fail_login = a;
		pf_cmd.rv_login = b;
	} else if (strcmp(cmd, "close_sessions") == 0) {
		pf_pending_close = true;
	} else if (strcmp(cmd, "absent_ms") == 0 && n >= 2) {
		clock_gettime(CLOCK_MONOTONIC, &pf_cmd.absent_until);
		pf_cmd.absent_until.tv_sec += (time_t)(a / 1000);
		pf_cmd.absent_until.tv_nsec += (long)(a % 1000) * 1000000L;
		if (pf_cmd.absent_until.tv_nsec >= 1000000000L) {
			pf_cmd.absent_until.tv_sec++;
			pf_cmd.absent_until.tv_nsec -= 1000000000L;
		}
		pf_pending_close = true;
	} else if (strcmp(cmd, "session_limit") == 0 && n >= 2) {
		pf_cmd.session_limit = a;
	} else if (strcmp(cmd, "latency_ms") == 0 && n >= 2) {
		pf_cmd.latency_ms = (unsigned)a;
	} else if (strcmp(cmd, "reset") == 0) {
		memset(&pf_cmd, 0, sizeof(pf_cmd));
	} else if (strcmp(cmd, "dump") == 0) {
		pf_dump();
	}
}

/* Re-reads the control file if it changed; pf_mu held. */
static void
pf_poll(void)
{
	struct stat sb;
	char line[256];
	FILE *f;

	if (pf_control == NULL || stat(pf_control, &sb) != 0)
		return;
	if (pf_file.seen && pf_file.dev == sb.st_dev && pf_file.ino == sb.st_ino &&
	    pf_file.size == sb.st_size && pf_file.mtime.tv_sec == sb.st_mtim.tv_sec &&
	    pf_file.mtime.tv_nsec == sb.st_mtim.tv_nsec)
		return;
	pf_file.seen = true;
	pf_file.dev = sb.st_dev;
	pf_file.ino = sb.st_ino;
	pf_file.size = sb.st_size;
	pf_file.mtime = sb.st_mtim;
	if ((f = fopen(pf_control, "r")) == NULL)
		return;
	while (fgets(line, sizeof(line), f) != NULL)
		pf_apply(line);
	fclose(f);
}

static bool
pf_absent(void)
{
	return pf_now_before(&pf_cmd.absent_until);
}

/* Checks the control file, applies a pending close, and enters the gate (leave with
   pf_leave). True when the token is absent now. */
static bool
pf_enter(void)
{
	bool absent, close_now;

	pthread_mutex_lock(&pf_mu);
	pf_poll();
	absent = pf_absent();
	if (absent)
		pf_stats.faults++;
	close_now = pf_pending_close;
	pf_pending_close = false;
	pthread_mutex_unlock(&pf_mu);
	if (close_now) {
		pthread_rwlock_wrlock(&pf_gate);
		pthread_mutex_lock(&pf_mu);
		pf_close_all();
		pthread_mutex_unlock(&pf_mu);
		pthread_rwlock_unlock(&pf_gate);
	}
	pthread_rwlock_rdlock(&pf_gate);
	return absent;
}

static void
pf_leave(void)
{
	pthread_rwlock_unlock(&pf_gate);
}

/* Leaves the gate and returns rv, for one-line returns. */
static CK_RV
pf_ret(CK_RV rv)
{
	pf_leave();
	return rv;
}

static int
pf_slot_of(CK_SESSION_HANDLE h, bool insert)
{
	unsigned i = (unsigned)(h * 2654435761u) % PF_TRACK;

	for (unsigned k = 0; k < PF_TRACK; k++, i = (i + 1) % PF_TRACK) {
		if (pf_track[i].used && pf_track[i].h == h)
			return (int)i;
		if (!pf_track[i].used) {
			if (!insert)
				return -1;
			memset(&pf_track[i], 0, sizeof(pf_track[i]));
			pf_track[i].used = true;
			pf_track[i].h = h;
			return (int)i;
		}
	}
	return -1;
}

/* Counts a call running on session h (delta +1 at entry, -1 at exit). */
static void
pf_track_call(CK_SESSION_HANDLE h, int delta)
{
	int i;

	pthread_mutex_lock(&pf_mu);
	if ((i = pf_slot_of(h, delta > 0)) >= 0) {
		pf_track[i].inflight += (unsigned)delta;
		if (delta > 0 && pf_track[i].inflight > pf_stats.max_inflight)
			pf_stats.max_inflight = pf_track[i].inflight;
	}
	pthread_mutex_unlock(&pf_mu);
}

static void
pf_track_signer(CK_SESSION_HANDLE h, bool init)
{
	int i;

	pthread_mutex_lock(&pf_mu);
	if ((i = pf_slot_of(h, true)) >= 0) {
		if (init) {
			pf_track[i].signer = pthread_self();
			pf_track[i].signing = true;
		} else {
			if (pf_track[i].signing &&
			    !pthread_equal(pf_track[i].signer, pthread_self()))
				pf_stats.cross_thread++;
			pf_track[i].signing = false;
		}
	}
	pthread_mutex_unlock(&pf_mu);
}

static CK_RV
pf_Initialize(CK_VOID_PTR args)
{
	CK_RV rv = 0;

	pthread_mutex_lock(&pf_mu);
	pf_poll();
	if (pf_cmd.fail_init > 0) {
		pf_cmd.fail_init--;
		rv = pf_cmd.rv_init;
		pf_stats.faults++;
	}
	pthread_mutex_unlock(&pf_mu);
	return rv != 0 ? rv : pf_real->C_Initialize(args);
}

static CK_RV
pf_Finalize(CK_VOID_PTR r)
{
	CK_RV rv = pf_real->C_Finalize(r);

	pthread_mutex_lock(&pf_mu);
	memset(pf_track, 0, sizeof(pf_track));
	pf_sessions = 0;
	pf_dump();
	pthread_mutex_unlock(&pf_mu);
	return rv;
}

static CK_RV
pf_GetSlotList(CK_BBOOL present, CK_SLOT_ID_PTR list, CK_ULONG_PTR count)
{
	if (pf_enter() && present) {
		*count = 0;
		return pf_ret(CKR_OK);
	}
	return pf_ret(pf_real->C_GetSlotList(present, list, count));
}

static CK_RV
pf_GetTokenInfo(CK_SLOT_ID slot, CK_TOKEN_INFO_PTR info)
{
	return pf_ret(pf_enter() ? CKR_TOKEN_NOT_PRESENT : pf_real->C_GetTokenInfo(slot, info));
}

static CK_RV
pf_OpenSession(CK_SLOT_ID slot, CK_FLAGS fl, CK_VOID_PTR app, CK_NOTIFY n, CK_SESSION_HANDLE_PTR s)
{
	CK_RV rv = 0;

	if (pf_enter())
		return pf_ret(CKR_TOKEN_NOT_PRESENT);
	pthread_mutex_lock(&pf_mu);
	if (pf_cmd.fail_open > 0) {
		pf_cmd.fail_open--;
		rv = pf_cmd.rv_open;
		pf_stats.faults++;
	} else if (pf_cmd.session_limit > 0 && pf_sessions >= pf_cmd.session_limit) {
		rv = CKR_SESSION_COUNT;
		pf_stats.faults++;
	}
	pthread_mutex_unlock(&pf_mu);
	if (rv == 0 && (rv = pf_real->C_OpenSession(slot, fl, app, n, s)) == CKR_OK) {
		pthread_mutex_lock(&pf_mu);
		pf_sessions++;
		pthread_mutex_unlock(&pf_mu);
	}
	return pf_ret(rv);
}

static CK_RV
pf_CloseSession(CK_SESSION_HANDLE s)
{
	CK_RV rv;
	int i;

	(void)pf_enter();
	rv = pf_real->C_CloseSession(s);
	pthread_mutex_lock(&pf_mu);
	if (rv == CKR_OK && pf_sessions > 0)
		pf_sessions--;
	if ((i = pf_slot_of(s, false)) >= 0)
		pf_track[i].signing = false;
	pthread_mutex_unlock(&pf_mu);
	return pf_ret(rv);
}

/* Calls on a session: absent token = device removed; concurrent use counted. */
#define PF_SESSION_CALL(s, call)                                                                   \
	do {                                                                                       \
		CK_RV rv_;                                                                         \
		if (pf_enter())                                                                    \
			return pf_ret(CKR_DEVICE_REMOVED);                                         \
		pf_track_call(s, 1);                                                               \
		rv_ = call;                                                                        \
		pf_track_call(s, -1);                                                              \
		return pf_ret(rv_);                                                                \
	} while (0)

static CK_RV
pf_GetSessionInfo(CK_SESSION_HANDLE s, CK_SESSION_INFO_PTR info)
{
	PF_SESSION_CALL(s, pf_real->C_GetSessionInfo(s, info));
}

static CK_RV
pf_Login(CK_SESSION_HANDLE s, CK_USER_TYPE u, CK_UTF8CHAR_PTR pin, CK_ULONG len)
{
	CK_RV rv = 0;

	pthread_mutex_lock(&pf_mu);
	pf_poll();
	pf_stats.logins++;
	if (pf_cmd.fail_login > 0) {
		pf_cmd.fail_login--;
		rv = pf_cmd.rv_login;
		pf_stats.faults++;
	}
	pthread_mutex_unlock(&pf_mu);
	if (rv != 0)
		return rv;
	PF_SESSION_CALL(s, pf_real->C_Login(s, u, pin, len));
}

static CK_RV
pf_FindObjectsInit(CK_SESSION_HANDLE s, CK_ATTRIBUTE_PTR t, CK_ULONG n)
{
	PF_SESSION_CALL(s, pf_real->C_FindObjectsInit(s, t, n));
}

static CK_RV
pf_FindObjects(CK_SESSION_HANDLE s, CK_OBJECT_HANDLE_PTR h, CK_ULONG max, CK_ULONG_PTR n)
{
	PF_SESSION_CALL(s, pf_real->C_FindObjects(s, h, max, n));
}

static CK_RV
pf_FindObjectsFinal(CK_SESSION_HANDLE s)
{
	PF_SESSION_CALL(s, pf_real->C_FindObjectsFinal(s));
}

static CK_RV
pf_GetAttributeValue(CK_SESSION_HANDLE s, CK_OBJECT_HANDLE o, CK_ATTRIBUTE_PTR t, CK_ULONG n)
{
	PF_SESSION_CALL(s, pf_real->C_GetAttributeValue(s, o, t, n));
}

static CK_RV
pf_SignInit(CK_SESSION_HANDLE s, CK_MECHANISM_PTR m, CK_OBJECT_HANDLE k)
{
	CK_RV rv;

	if (pf_enter())
		return pf_ret(CKR_DEVICE_REMOVED);
	pf_track_call(s, 1);
	rv = pf_real->C_SignInit(s, m, k);
	if (rv == CKR_OK)
		pf_track_signer(s, true);
	pf_track_call(s, -1);
	return pf_ret(rv);
}

static void
pf_sleep_ms(unsigned ms)
{
	struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

static CK_RV
pf_Sign(CK_SESSION_HANDLE s, CK_BYTE_PTR d, CK_ULONG dl, CK_BYTE_PTR sig, CK_ULONG_PTR sl)
{
	unsigned latency;
	CK_RV rv = 0;

	if (pf_enter())
		return pf_ret(CKR_DEVICE_REMOVED);
	pthread_mutex_lock(&pf_mu);
	latency = pf_cmd.latency_ms;
	if (pf_cmd.fail_sign > 0) {
		pf_cmd.fail_sign--;
		rv = pf_cmd.rv_sign;
		pf_stats.faults++;
	}
	pthread_mutex_unlock(&pf_mu);
	pf_track_call(s, 1);
	if (sig != NULL)
		pf_track_signer(s, false);
	if (latency > 0)
		pf_sleep_ms(latency);
	if (rv == 0) {
		rv = pf_real->C_Sign(s, d, dl, sig, sl);
		if (rv == CKR_OK && sig != NULL) {
			pthread_mutex_lock(&pf_mu);
			pf_stats.signs++;
			pthread_mutex_unlock(&pf_mu);
		}
	}
	pf_track_call(s, -1);
	return pf_ret(rv);
}

static void
pf_build(void)
{
	pf_load();
	if (pf_real == NULL)
		return;
	pf_list = *pf_real;
	pf_list.C_Initialize = pf_Initialize;
	pf_list.C_Finalize = pf_Finalize;
	pf_list.C_GetSlotList = pf_GetSlotList;
	pf_list.C_GetTokenInfo = pf_GetTokenInfo;
	pf_list.C_OpenSession = pf_OpenSession;
	pf_list.C_CloseSession = pf_CloseSession;
	pf_list.C_GetSessionInfo = pf_GetSessionInfo;
	pf_list.C_Login = pf_Login;
	pf_list.C_FindObjectsInit = pf_FindObjectsInit;
	pf_list.C_FindObjects = pf_FindObjects;
	pf_list.C_FindObjectsFinal = pf_FindObjectsFinal;
	pf_list.C_GetAttributeValue = pf_GetAttributeValue;
	pf_list.C_SignInit = pf_SignInit;
	pf_list.C_Sign = pf_Sign;
}

CK_RV C_GetFunctionList(CK_FUNCTION_LIST_PTR_PTR out);
void p11fault_get_stats(struct p11fault_stats *out);

CK_RV
C_GetFunctionList(CK_FUNCTION_LIST_PTR_PTR out)
{
	pthread_once(&pf_once, pf_build);
	if (pf_real == NULL)
		return CKR_GENERAL_ERROR;
	pf_list.C_GetFunctionList = C_GetFunctionList;
	*out = &pf_list;
	return CKR_OK;
}

void
p11fault_get_stats(struct p11fault_stats *out)
{
	pthread_mutex_lock(&pf_mu);
	*out = pf_stats;
	pthread_mutex_unlock(&pf_mu);
}
