/*
 * p11_module.c: one loaded and initialised instance per module path per process.
 *
 * The registry below is process state, not configuration: a PKCS#11 module may be initialised
 * only once per process, so two tokens of the same module must share one instance, and a
 * re-initialisation done for one of them is seen (through the generation) by the other.
 */
#include "config.h"

#include <dlfcn.h>
#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pkcs11/p11_int.h"

static pthread_mutex_t p11_module_registry_mu = PTHREAD_MUTEX_INITIALIZER;
static struct p11_module *p11_module_registry;

/* This process's id, kept current in a fork child by pthread_atfork; every "is this the process
 * that initialised the module" test in this file asks it. p11_module_forked() runs once per
 * signature, and getpid() is a system call, which costs a microsecond on the virtual machines we
 * measure on. */
static pthread_once_t p11_module_pid_once = PTHREAD_ONCE_INIT;
static atomic_long p11_module_pid;

static void
p11_module_pid_refresh(void)
{
	atomic_store(&p11_module_pid, (long)getpid());
}

static void
p11_module_pid_setup(void)
{
	p11_module_pid_refresh();
	(void)pthread_atfork(NULL, NULL, p11_module_pid_refresh);
}

static long
p11_module_self(void)
{
	(void)pthread_once(&p11_module_pid_once, p11_module_pid_setup);
	return atomic_load_explicit(&p11_module_pid, memory_order_relaxed);
}

#define P11_REINIT_BACKOFF_MIN_MS 20
#define P11_REINIT_BACKOFF_MAX_MS 1000

static CK_RV
p11_module_initialize(struct p11_module *m)
{
	CK_C_INITIALIZE_ARGS args;
	CK_RV rv;

	memset(&args, 0, sizeof(args));
	args.flags = CKF_OS_LOCKING_OK;
	rv = m->fl->C_Initialize(&args);
	/* Someone else in this process (e.g. libp11 in the keytool) got there first: usable. */
	if (rv == CKR_CRYPTOKI_ALREADY_INITIALIZED)
		rv = CKR_OK;
	m->initialized = rv == CKR_OK;
	return rv;
}

static p11_status
p11_module_load(struct p11_module *m, struct p11_error *err)
{
	CK_C_GetFunctionList get;
	struct stat st;
	CK_RV rv;

	/* Code that runs with the PIN, maybe as root: a file (or its link target) that group or
	 * others may replace is not loaded. A bare name is the loader's to find, in its own
	 * directories. */
	if (strchr(m->path, '/') != NULL && stat(m->path, &st) == 0 &&
	    (st.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
		p11_err_set(
		    err, P11_ERR_MODULE, 0,
		    "PKCS#11 module %s can be written by group or others: refused (mode %04o)",
		    m->path, (unsigned)st.st_mode & 07777);
		return P11_ERR_MODULE;
	}
	m->dl = dlopen(m->path, RTLD_NOW | RTLD_LOCAL);
	if (m->dl == NULL) {
		p11_err_set(err, P11_ERR_MODULE, 0, "cannot load PKCS#11 module %s: %s", m->path,
		            dlerror());
		return P11_ERR_MODULE;
	}
	*(void **)&get = dlsym(m->dl, "C_GetFunctionList");
	if (get == NULL) {
		p11_err_set(err, P11_ERR_MODULE, 0,
		            "%s is not a PKCS#11 module (no C_GetFunctionList)", m->path);
		return P11_ERR_MODULE;
	}
	rv = get(&m->fl);
	if (rv != CKR_OK || m->fl == NULL) {
		p11_err_set(err, P11_ERR_MODULE, rv, "C_GetFunctionList of %s failed", m->path);
		return P11_ERR_MODULE;
	}
	rv = p11_module_initialize(m);
	if (rv != CKR_OK) {
		p11_err_set(err, P11_ERR_MODULE, rv, "C_Initialize of %s failed", m->path);
		return P11_ERR_MODULE;
	}
	return P11_OK;
}

static void
p11_module_free(struct p11_module *m)
{
	if (m->initialized && (long)m->pid == p11_module_self())
		m->fl->C_Finalize(NULL);
	/* The module stays mapped (no dlclose): modules that start threads or register atexit
	   handlers crash when unloaded, and leak reports inside an unloaded module cannot be
	   attributed. A process loads few modules, once. */
	pthread_rwlock_destroy(&m->inst);
	free(m->path);
	free(m);
}

p11_status
p11_module_get(const char *path, struct p11_module **out, struct p11_error *err)
{
	struct p11_module *m;
	pthread_rwlockattr_t attr;
	p11_status st;

	*out = NULL;
	if (path == NULL || *path == '\0') {
		p11_err_set(err, P11_ERR_INVALID, 0, "no PKCS#11 module path given");
		return P11_ERR_INVALID;
	}
	pthread_mutex_lock(&p11_module_registry_mu);
	for (m = p11_module_registry; m != NULL; m = m->next)
		if (strcmp(m->path, path) == 0 && (long)m->pid == p11_module_self())
			break;
	if (m != NULL) {
		m->refs++;
		pthread_mutex_unlock(&p11_module_registry_mu);
		*out = m;
		return P11_OK;
	}
	if ((m = calloc(1, sizeof(*m))) == NULL || (m->path = strdup(path)) == NULL) {
		free(m);
		pthread_mutex_unlock(&p11_module_registry_mu);
		p11_err_set(err, P11_ERR_NOMEM, 0, "out of memory loading %s", path);
		return P11_ERR_NOMEM;
	}
	/* Writers first: a re-init must not starve behind a steady stream of signers. */
	pthread_rwlockattr_init(&attr);
	pthread_rwlockattr_setkind_np(&attr, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
	pthread_rwlock_init(&m->inst, &attr);
	pthread_rwlockattr_destroy(&attr);
	m->pid = (pid_t)p11_module_self();
	m->refs = 1;
	m->backoff_ms = P11_REINIT_BACKOFF_MIN_MS;
	if ((st = p11_module_load(m, err)) != P11_OK) {
		p11_module_free(m);
		pthread_mutex_unlock(&p11_module_registry_mu);
		return st;
	}
	m->next = p11_module_registry;
	p11_module_registry = m;
	pthread_mutex_unlock(&p11_module_registry_mu);
	*out = m;
	return P11_OK;
}

void
p11_module_put(struct p11_module *m)
{
	struct p11_module **pp;

	if (m == NULL)
		return;
	pthread_mutex_lock(&p11_module_registry_mu);
	if (--m->refs > 0) {
		pthread_mutex_unlock(&p11_module_registry_mu);
		return;
	}
	for (pp = &p11_module_registry; *pp != NULL; pp = &(*pp)->next)
		if (*pp == m) {
			*pp = m->next;
			break;
		}
	pthread_mutex_unlock(&p11_module_registry_mu);
	p11_module_free(m);
}

bool
p11_module_forked(const struct p11_module *m, struct p11_error *err)
{
	if ((long)m->pid == p11_module_self())
		return false;
	p11_err_set(
	    err, P11_ERR_MODULE, 0,
	    "PKCS#11 module %s was initialised by process %ld and cannot be used in its forked "
	    "child %ld; open the token after fork",
	    m->path, (long)m->pid, p11_module_self());
	return true;
}

void
p11_module_rdlock(struct p11_module *m)
{
	pthread_rwlock_rdlock(&m->inst);
}

void
p11_module_unlock(struct p11_module *m)
{
	pthread_rwlock_unlock(&m->inst);
}

static bool
p11_module_before(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec < b->tv_sec || (a->tv_sec == b->tv_sec && a->tv_nsec < b->tv_nsec);
}

p11_status
p11_module_reinit(struct p11_module *m, uint64_t seen_gen, struct p11_error *err)
{
	struct timespec now;
	CK_RV rv;
	p11_status st = P11_OK;

	pthread_rwlock_wrlock(&m->inst);
	if (atomic_load(&m->gen) != seen_gen) {
		/* Another thread re-initialised since this one saw the failure. */
		pthread_rwlock_unlock(&m->inst);
		return P11_OK;
	}
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (p11_module_before(&now, &m->next_reinit)) {
		pthread_rwlock_unlock(&m->inst);
		p11_err_set(err, P11_ERR_TOKEN_GONE, 0, "re-initialising %s: backing off", m->path);
		return P11_ERR_TOKEN_GONE;
	}
	if (m->initialized)
		m->fl->C_Finalize(NULL);
	m->initialized = false;
	rv = p11_module_initialize(m);
	/* Every handle of the old instance is gone, whether or not the new one came up. */
	atomic_fetch_add(&m->gen, 1);
	atomic_fetch_add(&m->reinits, 1);
	if (rv != CKR_OK) {
		p11_err_set(err, P11_ERR_TOKEN_GONE, rv, "re-initialising %s failed", m->path);
		st = P11_ERR_TOKEN_GONE;
	}
	/* Back off either way: a token that keeps failing is not re-initialised in a loop. */
	p11_deadline_ms(m->backoff_ms, &m->next_reinit);
	if (rv == CKR_OK)
		m->backoff_ms = P11_REINIT_BACKOFF_MIN_MS;
	else if ((m->backoff_ms *= 2) > P11_REINIT_BACKOFF_MAX_MS)
		m->backoff_ms = P11_REINIT_BACKOFF_MAX_MS;
	pthread_rwlock_unlock(&m->inst);
	return st;
}
