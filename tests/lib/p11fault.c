/*
 * p11fault.c: the fault-injecting PKCS#11 module; interface and control file in p11fault.h.
 * Its function list is a copy of the real module's with the calls below replaced, so any call
 * not named here goes straight to the real module.
 *
 * Faults live in scopes: pf_any for the whole module (unscoped lines), and one struct pf_faults
 * per token label (lines after "token LABEL"). A call finds its token from its slot (slot map,
 * built from the real C_GetSlotList + C_GetTokenInfo) or from its session (recorded at
 * C_OpenSession), and obeys both pf_any and that token's scope.
 */
#include "config.h"

#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <p11-kit/pkcs11.h>

#include "tests/lib/p11fault.h"

#define PF_TRACK 8192 /* session handles tracked for concurrent use */
#define PF_TOKENS 16  /* token labels known: named by "token" lines or seen in a slot */
#define PF_SLOTS 64   /* slots mapped to a token */
#define PF_LABEL 33   /* a token label (32 bytes) and its NUL */

enum { PF_SIGN, PF_INIT, PF_OPEN, PF_LOGIN, PF_NFAIL };

/* The faults of one scope. Pending closes are kept apart so that "reset" leaves them. */
struct pf_faults {
	unsigned long fail[PF_NFAIL]; /* next calls to fail, by kind */
	CK_RV rv[PF_NFAIL];
	struct timespec absent_until, hang_until;
	unsigned latency_ms;
	unsigned long session_limit; /* 0: none */
};

struct pf_token {
	char label[PF_LABEL]; /* trailing blanks trimmed */
	struct pf_faults f;
	bool close;             /* close_sessions/absent_ms read, its sessions not closed yet */
	bool named, warned;     /* named by a "token" line; told on stderr that no slot has it */
	unsigned long sessions; /* open now through this module, for its session_limit */
	uint64_t signs;         /* C_Sign answered CKR_OK on its sessions */
};

static pthread_once_t pf_once = PTHREAD_ONCE_INIT;
static pthread_mutex_t pf_mu = PTHREAD_MUTEX_INITIALIZER;
/* Read-held by every forwarded call; write-held to close sessions between calls, since
   SoftHSM crashes (and can corrupt its token) when sessions close under a running call. */
static pthread_rwlock_t pf_gate = PTHREAD_RWLOCK_INITIALIZER;
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
static struct pf_faults pf_any; /* unscoped: every token */
static bool pf_close_any;       /* close every slot's sessions at the next call */
/* Lines scoped to a label that cannot be kept (table full) land here and act on nothing. */
static struct pf_faults pf_nowhere;
static struct pf_token pf_tok[PF_TOKENS];
static unsigned pf_ntok;
/* Slot -> token, for this module instance (slot IDs may change across C_Initialize). */
static struct {
	CK_SLOT_ID id;
	int tok;
} pf_slots[PF_SLOTS];
static unsigned pf_nslots;
static bool pf_mapped; /* pf_slots built since the last C_Initialize */
static bool pf_check;  /* "token" lines read: map again and tell labels that match nothing */
static bool pf_inited; /* the real module is initialised: it may be asked about slots */
static unsigned long pf_sessions; /* open through this module, for the unscoped session_limit */
static struct p11fault_stats pf_stats;
static uint64_t pf_initializes;
/* Open addressing with linear probing; entries removed by backward shift so that closed
   sessions do not fill the table in long runs. */
static struct {
	CK_SESSION_HANDLE h;
	bool used;
	bool opened;     /* recorded by C_OpenSession: counted in pf_sessions and its token's */
	CK_SLOT_ID slot; /* when opened */
	int tok;         /* when opened or gone: its token, or -1 (no label known) */
	bool gone;       /* closed because its token went absent: kept, so that calls on it answer
	                    CKR_DEVICE_REMOVED while the token is away, until C_CloseSession */
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

static void
pf_deadline(struct timespec *t, unsigned long ms)
{
	clock_gettime(CLOCK_MONOTONIC, t);
	t->tv_sec += (time_t)(ms / 1000);
	t->tv_nsec += (long)(ms % 1000) * 1000000L;
	if (t->tv_nsec >= 1000000000L) {
		t->tv_sec++;
		t->tv_nsec -= 1000000000L;
	}
}

/* ---- tokens and slots (pf_mu held) ---- */

static int
pf_token_find(const char *label, bool create)
{
	for (unsigned i = 0; i < pf_ntok; i++)
		if (strcmp(pf_tok[i].label, label) == 0)
			return (int)i;
	if (!create || pf_ntok == PF_TOKENS)
		return -1;
	snprintf(pf_tok[pf_ntok].label, sizeof(pf_tok[pf_ntok].label), "%s", label);
	return (int)pf_ntok++;
}

/* Asks the real module for the label of slot's token and maps the slot to it. -1 when the
   slot has no token (or an unlabelled one): nothing can be scoped to it. */
static int
pf_map_slot(CK_SLOT_ID slot)
{
	CK_TOKEN_INFO ti;
	char label[sizeof(ti.label) + 1];
	size_t n = sizeof(ti.label);
	int tok;

	if (pf_real->C_GetTokenInfo(slot, &ti) != CKR_OK)
		return -1;
	memcpy(label, ti.label, n);
	while (n > 0 && (label[n - 1] == ' ' || label[n - 1] == '\0'))
		n--;
	label[n] = '\0';
	if (n == 0 || (tok = pf_token_find(label, true)) < 0)
		return -1;
	for (unsigned i = 0; i < pf_nslots; i++)
		if (pf_slots[i].id == slot) {
			pf_slots[i].tok = tok;
			return tok;
		}
	if (pf_nslots < PF_SLOTS) {
		pf_slots[pf_nslots].id = slot;
		pf_slots[pf_nslots++].tok = tok;
	}
	return tok;
}

/* Maps every slot the real module has (present or not). */
static void
pf_map_all(void)
{
	CK_SLOT_ID *ids;
	CK_ULONG n = 0;

	pf_nslots = 0;
	pf_mapped = true;
	if (pf_real->C_GetSlotList(CK_FALSE, NULL, &n) != CKR_OK || n == 0 ||
	    (ids = calloc(n, sizeof(*ids))) == NULL)
		return;
	if (pf_real->C_GetSlotList(CK_FALSE, ids, &n) == CKR_OK)
		for (CK_ULONG i = 0; i < n; i++)
			(void)pf_map_slot(ids[i]);
	free(ids);
}

static int
pf_tok_of_slot(CK_SLOT_ID slot)
{
	if (!pf_inited)
		return -1;
	if (!pf_mapped)
		pf_map_all();
	for (unsigned i = 0; i < pf_nslots; i++)
		if (pf_slots[i].id == slot)
			return pf_slots[i].tok;
	return pf_map_slot(slot); /* a slot that came after the map was made */
}

/* After "token" lines were read: the map made again (the control file may name a token that
   was initialised since), and a label that matches no slot told once, so a typo shows. */
static void
pf_settle(void)
{
	if (!pf_check || !pf_inited)
		return;
	pf_check = false;
	pf_map_all();
	for (unsigned t = 0; t < pf_ntok; t++) {
		bool found = false;

		if (!pf_tok[t].named || pf_tok[t].warned)
			continue;
		for (unsigned i = 0; i < pf_nslots && !found; i++)
			found = pf_slots[i].tok == (int)t;
		if (!found) {
			pf_tok[t].warned = true;
			fprintf(stderr,
			        "p11fault: token %s matches no slot: its faults apply to nothing\n",
			        pf_tok[t].label);
		}
	}
}

/* ---- sessions (pf_mu held) ---- */

static unsigned
pf_hash(CK_SESSION_HANDLE h)
{
	return (unsigned)(h * 2654435761u) % PF_TRACK;
}

static int
pf_slot_of(CK_SESSION_HANDLE h, bool insert)
{
	unsigned i = pf_hash(h);

	for (unsigned k = 0; k < PF_TRACK; k++, i = (i + 1) % PF_TRACK) {
		if (pf_track[i].used && pf_track[i].h == h)
			return (int)i;
		if (!pf_track[i].used) {
			if (!insert)
				return -1;
			memset(&pf_track[i], 0, sizeof(pf_track[i]));
			pf_track[i].used = true;
			pf_track[i].h = h;
			pf_track[i].tok = -1;
			return (int)i;
		}
	}
	return -1;
}

/* Removes entry i; entries after it that probed past i move back so lookups still find them. */
static void
pf_track_del(unsigned i)
{
	unsigned j = i;

	for (;;) {
		pf_track[i].used = false;
		for (;;) {
			unsigned k;

			j = (j + 1) % PF_TRACK;
			if (!pf_track[j].used)
				return;
			k = pf_hash(pf_track[j].h);
			/* j stays if its home k lies cyclically in (i, j]. */
			if (i <= j ? (i < k && k <= j) : (i < k || k <= j))
				continue;
			break;
		}
		pf_track[i] = pf_track[j];
		i = j;
	}
}

/* Entry i's session is closed: uncounted, and forgotten unless keep (its token went absent). */
static void
pf_forget(unsigned i, bool keep)
{
	if (pf_track[i].opened) {
		if (pf_sessions > 0)
			pf_sessions--;
		if (pf_track[i].tok >= 0 && pf_tok[pf_track[i].tok].sessions > 0)
			pf_tok[pf_track[i].tok].sessions--;
	}
	if (keep) {
		pf_track[i].opened = false;
		pf_track[i].gone = true;
	} else {
		pf_track_del(i);
	}
}

/* The sessions opened on slot (all slots when all) are closed: forgotten, or kept as gone. */
static void
pf_forget_slot(CK_SLOT_ID slot, bool all, bool keep)
{
	for (unsigned i = 0; i < PF_TRACK; i++)
		/* pf_track_del may move a later entry into i: look at i again. */
		while (pf_track[i].used && pf_track[i].opened && (all || pf_track[i].slot == slot))
			pf_forget(i, keep);
}

static int
pf_tok_of_session(CK_SESSION_HANDLE s)
{
	CK_SESSION_INFO si;
	int i = pf_slot_of(s, false);

	if (i >= 0 && (pf_track[i].opened || pf_track[i].gone))
		return pf_track[i].tok;
	/* Not opened through this module's C_OpenSession (or the table is full): ask the real
	   module. The caller holds the gate, so no close runs under this call. */
	if (!pf_inited || pf_real->C_GetSessionInfo(s, &si) != CKR_OK)
		return -1;
	return pf_tok_of_slot(si.slotID);
}

/* ---- faults (pf_mu held) ---- */

static struct pf_faults *
pf_scope(int tok)
{
	return tok >= 0 ? &pf_tok[tok].f : NULL;
}

static bool
pf_absent_now(int tok)
{
	return pf_now_before(&pf_any.absent_until) ||
	       (tok >= 0 && pf_now_before(&pf_tok[tok].f.absent_until));
}

/* One pending failure of kind k for a call on tok: the token's own first, then the module's.
   0 when none (the call goes on). */
static CK_RV
pf_take(int k, int tok)
{
	struct pf_faults *f = pf_scope(tok);

	if (f == NULL || f->fail[k] == 0)
		f = &pf_any;
	if (f->fail[k] == 0)
		return 0;
	f->fail[k]--;
	pf_stats.faults++;
	return f->rv[k];
}

static void
pf_dump(void)
{
	FILE *f;

	if (pf_statfile == NULL || (f = fopen(pf_statfile, "w")) == NULL)
		return;
	fprintf(f,
	        "signs %llu\nfaults %llu\nmax_inflight %llu\ncross_thread %llu\nclosed_all %llu\n"
	        "logins %llu\ninitializes %llu\n",
	        (unsigned long long)pf_stats.signs, (unsigned long long)pf_stats.faults,
	        (unsigned long long)pf_stats.max_inflight,
	        (unsigned long long)pf_stats.cross_thread, (unsigned long long)pf_stats.closed_all,
	        (unsigned long long)pf_stats.logins, (unsigned long long)pf_initializes);
	for (unsigned i = 0; i < pf_ntok; i++)
		fprintf(f, "signs.%s %llu\n", pf_tok[i].label, (unsigned long long)pf_tok[i].signs);
	fclose(f);
}

/* The sessions of scope tok (-1 every slot, -2 nowhere) to be closed at the next call. */
static void
pf_close_scope(int tok)
{
	if (tok == -1)
		pf_close_any = true;
	else if (tok >= 0)
		pf_tok[tok].close = true;
}

/* Applies one line of the control file to the scope *f (tok: its token, -1 the module's).
   "token" lines change the scope. */
static void
pf_apply(const char *line, struct pf_faults **f, int *tok)
{
	char cmd[32];
	unsigned long a = 0, b = 0;
	int n = sscanf(line, "%31s %li %li", cmd, (long *)&a, (long *)&b);
	static const char *const fails[PF_NFAIL] = {"fail_sign", "fail_init", "fail_open",
	                                            "fail_login"};

	if (n < 1)
		return;
	for (int k = 0; k < PF_NFAIL; k++)
		if (strcmp(cmd, fails[k]) == 0 && n == 3) {
			/* C_Initialize belongs to no token: fail_init is the module's in any scope.
			 */
			struct pf_faults *to = k == PF_INIT ? &pf_any : *f;

			to->fail[k] = a;
			to->rv[k] = b;
			return;
		}
	if (strcmp(cmd, "token") == 0) {
		char label[2 * PF_LABEL];
		const char *p = line + strspn(line, " \t");
		size_t len;

		p += strlen("token");
		p += strspn(p, " \t");
		snprintf(label, sizeof(label), "%s", p);
		len = strlen(label);
		while (len > 0 && strchr(" \t\r\n", label[len - 1]) != NULL)
			label[--len] = '\0';
		if (len == 0 || strcmp(label, "*") == 0) {
			*f = &pf_any;
			*tok = -1;
		} else if (len < PF_LABEL && (*tok = pf_token_find(label, true)) >= 0) {
			*f = &pf_tok[*tok].f;
			pf_tok[*tok].named = true;
			pf_check = true;
		} else {
			fprintf(stderr, "p11fault: token %s: %s: its faults apply to nothing\n",
			        label,
			        len < PF_LABEL ? "too many labels" : "longer than a token label");
			*f = &pf_nowhere;
			*tok = -2;
		}
	} else if (strcmp(cmd, "close_sessions") == 0) {
		pf_close_scope(*tok);
	} else if (strcmp(cmd, "absent_ms") == 0 && n >= 2) {
		pf_deadline(&(*f)->absent_until, a);
		pf_close_scope(*tok);
	} else if (strcmp(cmd, "hang_ms") == 0 && n >= 2) {
		pf_deadline(&(*f)->hang_until, a);
	} else if (strcmp(cmd, "session_limit") == 0 && n >= 2) {
		(*f)->session_limit = a;
	} else if (strcmp(cmd, "latency_ms") == 0 && n >= 2) {
		(*f)->latency_ms = (unsigned)a;
	} else if (strcmp(cmd, "reset") == 0) {
		memset(*f, 0, sizeof(**f));
		if (*tok == -1) /* unscoped: no fault left anywhere */
			for (unsigned i = 0; i < pf_ntok; i++)
				memset(&pf_tok[i].f, 0, sizeof(pf_tok[i].f));
	} else if (strcmp(cmd, "dump") == 0) {
		pf_dump();
	}
}

/* Re-reads the control file if it changed; pf_mu held. Every read starts unscoped. */
static void
pf_poll(void)
{
	struct pf_faults *f = &pf_any;
	int tok = -1;
	struct stat sb;
	char line[256];
	FILE *fp;

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
	if ((fp = fopen(pf_control, "r")) == NULL)
		return;
	while (fgets(line, sizeof(line), fp) != NULL)
		pf_apply(line, &f, &tok);
	fclose(fp);
}

/* Closes the sessions that close_sessions/absent_ms asked to close: what a token reset does.
   pf_gate write-held and pf_mu held. */
static void
pf_close_pending(void)
{
	if (pf_close_any) {
		CK_SLOT_ID slots[32];
		CK_ULONG n = 32;

		pf_close_any = false;
		if (pf_real->C_GetSlotList(CK_FALSE, slots, &n) == CKR_OK)
			for (CK_ULONG i = 0; i < n; i++)
				pf_real->C_CloseAllSessions(slots[i]);
		pf_forget_slot(0, true, pf_now_before(&pf_any.absent_until));
		pf_sessions = 0;
		for (unsigned t = 0; t < pf_ntok; t++)
			pf_tok[t].sessions = 0;
		pf_stats.closed_all++;
	}
	for (unsigned t = 0; t < pf_ntok; t++) {
		if (!pf_tok[t].close)
			continue;
		pf_tok[t].close = false;
		if (pf_inited && !pf_mapped)
			pf_map_all();
		for (unsigned i = 0; i < pf_nslots; i++)
			if (pf_slots[i].tok == (int)t) {
				pf_real->C_CloseAllSessions(pf_slots[i].id);
				pf_forget_slot(pf_slots[i].id, false,
				               pf_now_before(&pf_tok[t].f.absent_until));
			}
		pf_stats.closed_all++;
	}
}

static bool
pf_close_wanted(void)
{
	if (pf_close_any)
		return true;
	for (unsigned t = 0; t < pf_ntok; t++)
		if (pf_tok[t].close)
			return true;
	return false;
}

/* What a call is about, to find its token. */
enum pf_on { PF_ON_NONE, PF_ON_SLOT, PF_ON_SESSION };

/* Checks the control file, applies a pending close, and enters the gate (leave with pf_leave
   or pf_fault_ret). *tok: the call's token (-1 none or unknown). True when that token (or the
   whole module) is absent now. */
static bool
pf_enter(enum pf_on on, CK_ULONG id, int *tok)
{
	bool absent, close_now;

	pthread_mutex_lock(&pf_mu);
	pf_poll();
	pf_settle();
	close_now = pf_close_wanted();
	pthread_mutex_unlock(&pf_mu);
	if (close_now) {
		pthread_rwlock_wrlock(&pf_gate);
		pthread_mutex_lock(&pf_mu);
		pf_close_pending();
		pthread_mutex_unlock(&pf_mu);
		pthread_rwlock_unlock(&pf_gate);
	}
	pthread_rwlock_rdlock(&pf_gate);
	pthread_mutex_lock(&pf_mu);
	*tok = on == PF_ON_SLOT      ? pf_tok_of_slot(id)
	       : on == PF_ON_SESSION ? pf_tok_of_session(id)
	                             : -1;
	absent = pf_absent_now(*tok);
	pthread_mutex_unlock(&pf_mu);
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

/* The same for an injected error: counted. */
static CK_RV
pf_fault_ret(CK_RV rv)
{
	pthread_mutex_lock(&pf_mu);
	pf_stats.faults++;
	pthread_mutex_unlock(&pf_mu);
	return pf_ret(rv);
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
		/* A handle never opened here (closed, or bogus) is not kept once its calls end. */
		if (delta < 0 && pf_track[i].inflight == 0 && !pf_track[i].opened &&
		    !pf_track[i].gone && !pf_track[i].signing)
			pf_track_del((unsigned)i);
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
	CK_RV rv;

	pthread_mutex_lock(&pf_mu);
	pf_poll();
	rv = pf_take(PF_INIT, -1);
	pthread_mutex_unlock(&pf_mu);
	if (rv != 0)
		return rv;
	rv = pf_real->C_Initialize(args);
	pthread_mutex_lock(&pf_mu);
	if (rv == CKR_OK)
		pf_initializes++;
	if (rv == CKR_OK || rv == CKR_CRYPTOKI_ALREADY_INITIALIZED) {
		pf_inited = true;
		pf_mapped = false;
		/* Faults read before C_Initialize find their slots now. */
		pf_check = pf_check || pf_ntok > 0;
	}
	pthread_mutex_unlock(&pf_mu);
	return rv;
}

static CK_RV
pf_Finalize(CK_VOID_PTR r)
{
	CK_RV rv = pf_real->C_Finalize(r);

	pthread_mutex_lock(&pf_mu);
	memset(pf_track, 0, sizeof(pf_track));
	pf_sessions = 0;
	for (unsigned t = 0; t < pf_ntok; t++)
		pf_tok[t].sessions = 0;
	if (rv == CKR_OK || rv == CKR_CRYPTOKI_NOT_INITIALIZED)
		pf_inited = false;
	pf_mapped = false;
	pf_nslots = 0; /* slot IDs belong to one instance */
	pf_dump();
	pthread_mutex_unlock(&pf_mu);
	return rv;
}

/* C_GetSlotList(present) without the slots of absent tokens. pf_gate read-held. */
static CK_RV
pf_present_slots(CK_SLOT_ID_PTR list, CK_ULONG_PTR count)
{
	CK_SLOT_ID *ids;
	CK_ULONG n = 0, kept = 0;
	CK_RV rv;

	if ((rv = pf_real->C_GetSlotList(CK_TRUE, NULL, &n)) != CKR_OK)
		return rv;
	if ((ids = calloc(n + 1, sizeof(*ids))) == NULL)
		return CKR_HOST_MEMORY;
	if ((rv = pf_real->C_GetSlotList(CK_TRUE, ids, &n)) != CKR_OK) {
		free(ids);
		return rv;
	}
	pthread_mutex_lock(&pf_mu);
	for (CK_ULONG i = 0; i < n; i++) {
		int tok = pf_tok_of_slot(ids[i]);

		if (tok < 0 || !pf_now_before(&pf_tok[tok].f.absent_until))
			ids[kept++] = ids[i];
	}
	if (kept < n)
		pf_stats.faults++;
	pthread_mutex_unlock(&pf_mu);
	if (list != NULL && *count < kept)
		rv = CKR_BUFFER_TOO_SMALL;
	else if (list != NULL)
		memcpy(list, ids, kept * sizeof(*ids));
	*count = kept;
	free(ids);
	return rv;
}

static bool
pf_some_token_absent(void)
{
	bool any = false;

	pthread_mutex_lock(&pf_mu);
	for (unsigned t = 0; t < pf_ntok && !any; t++)
		any = pf_now_before(&pf_tok[t].f.absent_until);
	pthread_mutex_unlock(&pf_mu);
	return any;
}

static CK_RV
pf_GetSlotList(CK_BBOOL present, CK_SLOT_ID_PTR list, CK_ULONG_PTR count)
{
	int tok;

	if (pf_enter(PF_ON_NONE, 0, &tok) && present) {
		*count = 0;
		return pf_fault_ret(CKR_OK);
	}
	if (present && pf_some_token_absent())
		return pf_ret(pf_present_slots(list, count));
	return pf_ret(pf_real->C_GetSlotList(present, list, count));
}

static CK_RV
pf_GetTokenInfo(CK_SLOT_ID slot, CK_TOKEN_INFO_PTR info)
{
	int tok;

	if (pf_enter(PF_ON_SLOT, slot, &tok))
		return pf_fault_ret(CKR_TOKEN_NOT_PRESENT);
	return pf_ret(pf_real->C_GetTokenInfo(slot, info));
}

static CK_RV
pf_OpenSession(CK_SLOT_ID slot, CK_FLAGS fl, CK_VOID_PTR app, CK_NOTIFY n, CK_SESSION_HANDLE_PTR s)
{
	struct pf_faults *f;
	CK_RV rv;
	int tok, i;

	if (pf_enter(PF_ON_SLOT, slot, &tok))
		return pf_fault_ret(CKR_TOKEN_NOT_PRESENT);
	pthread_mutex_lock(&pf_mu);
	f = pf_scope(tok);
	if ((rv = pf_take(PF_OPEN, tok)) == 0 &&
	    ((pf_any.session_limit > 0 && pf_sessions >= pf_any.session_limit) ||
	     (f != NULL && f->session_limit > 0 && pf_tok[tok].sessions >= f->session_limit))) {
		rv = CKR_SESSION_COUNT;
		pf_stats.faults++;
	}
	pthread_mutex_unlock(&pf_mu);
	if (rv == 0 && (rv = pf_real->C_OpenSession(slot, fl, app, n, s)) == CKR_OK) {
		pthread_mutex_lock(&pf_mu);
		pf_sessions++;
		if ((i = pf_slot_of(*s, true)) >= 0) {
			pf_track[i].opened = true;
			pf_track[i].slot = slot;
			pf_track[i].tok = tok;
			if (tok >= 0)
				pf_tok[tok].sessions++;
		}
		pthread_mutex_unlock(&pf_mu);
	}
	return pf_ret(rv);
}

static CK_RV
pf_CloseSession(CK_SESSION_HANDLE s)
{
	CK_RV rv;
	int tok, i;

	(void)pf_enter(PF_ON_NONE, 0, &tok);
	rv = pf_real->C_CloseSession(s);
	pthread_mutex_lock(&pf_mu);
	i = pf_slot_of(s, false);
	if (rv == CKR_OK && (i < 0 || !pf_track[i].opened) && pf_sessions > 0)
		pf_sessions--; /* not recorded (table full): still counted as open */
	if (i >= 0) {
		if (rv == CKR_OK || pf_track[i].gone)
			pf_forget((unsigned)i, false);
		else
			pf_track[i].signing = false;
	}
	pthread_mutex_unlock(&pf_mu);
	return pf_ret(rv);
}

static CK_RV
pf_CloseAllSessions(CK_SLOT_ID slot)
{
	CK_RV rv;
	int tok;

	(void)pf_enter(PF_ON_NONE, 0, &tok);
	rv = pf_real->C_CloseAllSessions(slot);
	if (rv == CKR_OK) {
		pthread_mutex_lock(&pf_mu);
		pf_forget_slot(slot, false, false);
		pthread_mutex_unlock(&pf_mu);
	}
	return pf_ret(rv);
}

/* Calls on a session: absent token = device removed; concurrent use counted. */
#define PF_SESSION_CALL(s, call)                                                                   \
	do {                                                                                       \
		CK_RV rv_;                                                                         \
		int tok_;                                                                          \
		if (pf_enter(PF_ON_SESSION, s, &tok_))                                             \
			return pf_fault_ret(CKR_DEVICE_REMOVED);                                   \
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
	CK_RV rv;
	bool absent;
	int tok;

	absent = pf_enter(PF_ON_SESSION, s, &tok);
	pthread_mutex_lock(&pf_mu);
	pf_stats.logins++;
	rv = pf_take(PF_LOGIN, tok);
	pthread_mutex_unlock(&pf_mu);
	/* An injected failure wins over absence, and the real C_Login is not called. */
	if (rv != 0)
		return pf_ret(rv);
	if (absent)
		return pf_fault_ret(CKR_DEVICE_REMOVED);
	pf_track_call(s, 1);
	rv = pf_real->C_Login(s, u, pin, len);
	pf_track_call(s, -1);
	return pf_ret(rv);
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
	int tok;

	if (pf_enter(PF_ON_SESSION, s, &tok))
		return pf_fault_ret(CKR_DEVICE_REMOVED);
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

/* The end of a hang that holds calls on tok now (the later of the module's and the token's),
   if any. */
static bool
pf_hung(int tok, struct timespec *until)
{
	const struct timespec *t[2] = {&pf_any.hang_until,
	                               tok >= 0 ? &pf_tok[tok].f.hang_until : NULL};
	bool hung = false;

	pthread_mutex_lock(&pf_mu);
	for (int i = 0; i < 2; i++)
		if (t[i] != NULL && pf_now_before(t[i]) &&
		    (!hung || t[i]->tv_sec > until->tv_sec ||
		     (t[i]->tv_sec == until->tv_sec && t[i]->tv_nsec > until->tv_nsec))) {
			*until = *t[i];
			hung = true;
		}
	pthread_mutex_unlock(&pf_mu);
	return hung;
}

static CK_RV
pf_Sign(CK_SESSION_HANDLE s, CK_BYTE_PTR d, CK_ULONG dl, CK_BYTE_PTR sig, CK_ULONG_PTR sl)
{
	struct timespec until;
	unsigned latency;
	CK_RV rv;
	int tok;

	if (pf_enter(PF_ON_SESSION, s, &tok))
		return pf_fault_ret(CKR_DEVICE_REMOVED);
	pf_track_call(s, 1);
	/* A hung device: the call waits out the hang outside the gate, so that closing other
	   sessions (close_sessions, absent_ms) need not wait for it; then it is looked at anew
	   (the token may have gone, or the session been closed, meanwhile). */
	while (pf_hung(tok, &until)) {
		pf_leave();
		while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &until, NULL) == EINTR)
			;
		if (pf_enter(PF_ON_SESSION, s, &tok)) {
			pf_track_call(s, -1);
			return pf_fault_ret(CKR_DEVICE_REMOVED);
		}
	}
	pthread_mutex_lock(&pf_mu);
	latency = pf_any.latency_ms + (tok >= 0 ? pf_tok[tok].f.latency_ms : 0);
	rv = pf_take(PF_SIGN, tok);
	pthread_mutex_unlock(&pf_mu);
	if (sig != NULL)
		pf_track_signer(s, false);
	if (latency > 0)
		pf_sleep_ms(latency);
	if (rv == 0) {
		rv = pf_real->C_Sign(s, d, dl, sig, sl);
		if (rv == CKR_OK && sig != NULL) {
			pthread_mutex_lock(&pf_mu);
			pf_stats.signs++;
			if (tok >= 0)
				pf_tok[tok].signs++;
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
	pf_list.C_CloseAllSessions = pf_CloseAllSessions;
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
int p11fault_get_counter(const char *name, uint64_t *out);

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

int
p11fault_get_counter(const char *name, uint64_t *out)
{
	static const struct {
		const char *name;
		size_t off;
	} totals[] = {
	    {"signs", offsetof(struct p11fault_stats, signs)},
	    {"faults", offsetof(struct p11fault_stats, faults)},
	    {"max_inflight", offsetof(struct p11fault_stats, max_inflight)},
	    {"cross_thread", offsetof(struct p11fault_stats, cross_thread)},
	    {"closed_all", offsetof(struct p11fault_stats, closed_all)},
	    {"logins", offsetof(struct p11fault_stats, logins)},
	};
	int found = -1;
	int t;

	pthread_mutex_lock(&pf_mu);
	for (size_t i = 0; i < sizeof(totals) / sizeof(totals[0]) && found < 0; i++)
		if (strcmp(name, totals[i].name) == 0) {
			memcpy(out, (const char *)&pf_stats + totals[i].off, sizeof(*out));
			found = 0;
		}
	if (found < 0 && strcmp(name, "initializes") == 0) {
		*out = pf_initializes;
		found = 0;
	}
	if (found < 0 && strncmp(name, "signs.", 6) == 0 &&
	    (t = pf_token_find(name + 6, false)) >= 0) {
		*out = pf_tok[t].signs;
		found = 0;
	}
	pthread_mutex_unlock(&pf_mu);
	return found;
}
