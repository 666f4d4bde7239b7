/*
 * main.c: p11dkim, the DKIM signing milter whose keys live in a PKCS#11 token.
 *
 * Start order ("secrets first, then narrow"): load the configuration -> (-n: check and exit)
 * -> detach -> pid file -> listening socket (root may be needed for it) -> open the token and
 * log in (reads the PIN; never before a fork) -> find the keys -> drop privileges -> serve.
 * The main thread then only handles signals: SIGHUP reloads, SIGTERM/SIGINT stop after the
 * messages in flight are done.
 */
#include "config.h"

#include <errno.h>
#include <libmilter/mfapi.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/prctl.h>

#include "config/conf.h"
#include "daemon/check.h"
#include "daemon/clock.h"
#include "sign/sign_keys.h"
#include "sign/sign_opts.h"
#include "daemon/listen.h"
#include "daemon/log.h"
#include "daemon/metrics.h"
#include "daemon/milter.h"
#include "daemon/process.h"
#include "daemon/signals.h"
#include "daemon/state.h"

#define MAIN_STOP_DEADLINE_MS 30000

struct main_opts {
	char path[PATH_MAX];
	bool foreground, check, verbose;
};

static void
main_usage(FILE *f)
{
	fprintf(f, "usage: p11dkim [-c FILE] [-f] [-n] [-v] [-V]\n"
	           "  -c FILE  configuration (default " CONF_DEFAULT_PATH ")\n"
	           "  -f       stay in the foreground\n"
	           "  -n       check the configuration and the token, then exit\n"
	           "  -v       verbose (debug) logging\n"
	           "  -V       print the version and exit\n");
}

static int
main_args(int argc, char **argv, struct main_opts *o)
{
	const char *path = CONF_DEFAULT_PATH;
	int c;

	memset(o, 0, sizeof(*o));
	while ((c = getopt(argc, argv, "c:fnvVh")) != -1) {
		switch (c) {
		case 'c':
			path = optarg;
			break;
		case 'f':
			o->foreground = true;
			break;
		case 'n':
			o->check = true;
			break;
		case 'v':
			o->verbose = true;
			break;
		case 'V':
			printf("p11dkim %s\n", PACKAGE_VERSION);
			exit(0);
		case 'h':
			main_usage(stdout);
			exit(0);
		default:
			main_usage(stderr);
			return -1;
		}
	}
	if (optind != argc) {
		main_usage(stderr);
		return -1;
	}
	/* The daemon changes directory when it detaches; SIGHUP must still find the file. */
	if (realpath(path, o->path) == NULL) {
		if (strlen(path) >= sizeof(o->path))
			return -1;
		strcpy(o->path, path); /* conf_load reports the missing file */
	}
	return 0;
}

static void
main_warn_key(void *arg, const char *msg)
{
	(void)arg;
	log_warn("%s", msg);
}

/* The key map for conf on the open token and a state holding both, swapped in; -1 with buf
 * filled when a key is missing or memory runs out (conf is then still the caller's). */
static int
main_install(struct milter_env *env, struct conf *conf, char *buf, size_t len)
{
	struct sign_keys *keys;
	struct state *st;

	keys = sign_keys_build(conf, env->tokens, NULL, main_warn_key, NULL, buf, len);
	if (keys == NULL)
		return -1;
	st = state_new(conf, keys);
	if (st == NULL) {
		sign_keys_free(keys);
		snprintf(buf, len, "out of memory");
		return -1;
	}
	state_swap(env->states, st);
	return 0;
}

#define MAIN_DIFF_STR(a, b) ((a) != (b) && ((a) == NULL || (b) == NULL || strcmp((a), (b)) != 0))

/* Appends name (with prefix, if any) to the ", "-separated list in buf. */
static void
main_restart_name(char *buf, size_t len, size_t *o, const char *prefix, const char *name)
{
	if (*o < len)
		*o += (size_t)snprintf(buf + *o, len - *o, "%s%s%s%s", *o > 0 ? ", " : "",
		                       prefix != NULL ? prefix : "", prefix != NULL ? "." : "", name);
}

/* The token settings read only at start that differ between a and b, under prefix. */
static void
main_restart_token(const struct conf_token *a, const struct conf_token *b, const char *prefix,
                   char *buf, size_t len, size_t *o)
{
	const struct {
		bool differs;
		const char *name;
	} s[] = {
	    {MAIN_DIFF_STR(a->module, b->module), "module"},
	    {MAIN_DIFF_STR(a->token, b->token), "token"},
	    {MAIN_DIFF_STR(a->pin_file, b->pin_file), "pin_file"},
	    {MAIN_DIFF_STR(a->pin_env, b->pin_env), "pin_env"},
	    {a->sessions != b->sessions, "sessions"},
	    {a->borrow_timeout_ms != b->borrow_timeout_ms, "borrow_timeout_ms"},
	    {a->allow_extractable != b->allow_extractable, "allow_extractable"},
	};
	size_t i;

	for (i = 0; i < sizeof(s) / sizeof(s[0]); i++)
		if (s[i].differs)
			main_restart_name(buf, len, o, prefix, s[i].name);
}

/* The settings read only at start that differ between old and new, as "a, b, c" in buf. */
static void
main_restart_only(const struct conf *old, const struct conf *new, char *buf, size_t len)
{
	const struct {
		bool differs;
		const char *name;
	} s[] = {
	    {MAIN_DIFF_STR(old->socket, new->socket), "socket"},
	    {old->socket_umask != new->socket_umask, "socket_umask"},
	    {MAIN_DIFF_STR(old->user, new->user), "user"},
	    {MAIN_DIFF_STR(old->group, new->group), "group"},
	    {MAIN_DIFF_STR(old->pid_file, new->pid_file), "pid_file"},
	    {MAIN_DIFF_STR(old->log, new->log), "log"},
	    {old->syslog_facility_value != new->syslog_facility_value, "syslog_facility"},
	    {old->ntokens != new->ntokens, "tokens"},
	};
	char prefix[32];
	size_t i, o = 0;

	buf[0] = '\0';
	for (i = 0; i < sizeof(s) / sizeof(s[0]); i++)
		if (s[i].differs)
			main_restart_name(buf, len, &o, NULL, s[i].name);
	for (i = 0; old->ntokens == new->ntokens && i < old->ntokens; i++) {
		if (old->ntokens == 1)
			snprintf(prefix, sizeof(prefix), "token");
		else
			snprintf(prefix, sizeof(prefix), "tokens[%zu]", i);
		main_restart_token(&old->tokens[i], &new->tokens[i], prefix, buf, len, &o);
	}
}

/* SIGHUP also lifts a login stop after a refused PIN (pkcs11/ tries no login until then, or
 * until the PIN file changes, so that the token does not lock the PIN); a changed PIN file is
 * read again. */
static void
main_pin_retry(p11_token *tok)
{
	unsigned long blocked = p11_token_login_blocked(tok);
	struct p11_error perr;

	if (p11_token_pin_retry(tok, &perr) != P11_OK)
		log_err("reload: %s; the PIN read before stays", perr.msg);
	if (blocked != 0)
		log_info("token \"%s\": the next login tries the PIN again (SIGHUP)",
		         p11_token_label(tok));
}

/* SIGHUP: a new configuration and key map, or the old ones kept. */
static void
main_reload(struct milter_env *env, const char *path)
{
	struct conf_error err;
	struct conf *conf;
	struct state *cur;
	char buf[5200];

	for (size_t i = 0; i < p11_set_size(env->tokens); i++)
		main_pin_retry(p11_set_token(env->tokens, i));
	conf = conf_load(path, &err);
	if (conf == NULL) {
		log_err("reload: %s; keeping the current configuration",
		        conf_error_format(&err, buf, sizeof(buf)));
		return;
	}
	/* Each setting that only a restart changes is named: the old value stays in force. */
	cur = state_acquire(env->states);
	if (cur != NULL) {
		main_restart_only(cur->conf, conf, buf, sizeof(buf));
		if (buf[0] != '\0')
			log_warn("reload: %s changed: kept as at start until a restart", buf);
	}
	state_release(env->states, cur);
	if (main_install(env, conf, buf, sizeof(buf)) != 0) {
		log_err("reload: %s; keeping the current configuration", buf);
		conf_free(conf);
		return;
	}
	log_info("reloaded %s: %zu domains", path, conf->ndomains);
}

/* The per-token series: who is in the rotation, how busy, how many signatures. */
static void
main_metrics_members(struct milter_env *env)
{
	struct metrics_member v[METRICS_MAX_TOKENS];
	struct p11_set_member_stats ms;
	size_t i, n = p11_set_size(env->tokens);

	for (i = 0; i < n && i < METRICS_MAX_TOKENS; i++) {
		p11_token *tok = p11_set_token(env->tokens, i);

		p11_set_member_stats(env->tokens, i, &ms);
		memset(&v[i], 0, sizeof(v[i]));
		snprintf(v[i].token, sizeof(v[i].token), "%s", p11_token_label(tok));
		snprintf(v[i].serial, sizeof(v[i].serial), "%s", p11_token_serial(tok));
		v[i].in_rotation = ms.in_rotation;
		v[i].outstanding = ms.outstanding;
		v[i].sessions = ms.token.sessions;
		v[i].signs = ms.signs;
		v[i].failures = ms.failures;
		v[i].left = ms.left;
		v[i].sign_ns = ms.sign_ns;
	}
	metrics_set_members(env->metrics, v, i);
}

/* The metrics file of the current configuration, every metrics_interval seconds: returns the
 * wait until the next write (-1 = no metrics file). A failure is logged once until it changes. */
static int
main_metrics(struct milter_env *env, bool write_now)
{
	static char last_error[512];
	struct state *st = state_acquire(env->states);
	struct metrics_token mt;
	struct p11_stats ps;
	char msg[512];
	int wait = -1;

	if (st != NULL && st->conf->metrics_file != NULL) {
		wait = (int)st->conf->metrics_interval * 1000;
		if (write_now) {
			p11_set_stats(env->tokens, &ps);
			mt = (struct metrics_token){
			    .signs = ps.signs,
			    .sign_errors = ps.sign_errors,
			    .retries = ps.retries,
			    .recoveries = ps.recoveries,
			    .session_drops = ps.session_drops,
			    .reinits = ps.reinits,
			    .pool_timeouts = ps.pool_timeouts,
			    .sign_cpu_ns = ps.sign_cpu_ns,
			    .sessions = ps.sessions,
			    .sessions_open = ps.sessions_open,
			    .sessions_busy = ps.sessions_busy,
			    .login_blocked = ps.login_blocked != 0,
			};
			main_metrics_members(env);
			metrics_set_token(env->metrics, &mt);
		}
		if (write_now && metrics_write(env->metrics, st->conf->metrics_file) != 0) {
			snprintf(msg, sizeof(msg), "cannot write %s: %s", st->conf->metrics_file,
			         strerror(errno));
			if (strcmp(msg, last_error) != 0)
				log_err("metrics: %s", msg);
			snprintf(last_error, sizeof(last_error), "%s", msg);
		} else if (write_now)
			last_error[0] = '\0';
	}
	state_release(env->states, st);
	return wait;
}

static struct milter_env *main_env;

/* The unsigned-reason labels are the policy's own names, so the two never drift apart. */
static struct metrics *
main_metrics_new(void)
{
	static const char *reasons[POLICY_NREASONS - 1];
	size_t i;

	for (i = 0; i < POLICY_NREASONS - 1; i++)
		reasons[i] = policy_reason_name((enum policy_reason)(i + 1));
	return metrics_new(reasons, POLICY_NREASONS - 1);
}

static void *
main_milter_thread(void *arg)
{
	int r = smfi_main();

	(void)arg;
	if (!atomic_load(&main_env->stopping)) {
		/* libmilter gave up on its own: stop the daemon the normal way. */
		log_err("libmilter stopped unexpectedly (smfi_main returned %d)", r);
		kill(getpid(), SIGTERM);
	}
	return NULL;
}

/* SIGTERM: refuse new messages, let the running ones finish, then leave. */
static int
main_stop(struct milter_env *env, pthread_t thread)
{
	struct timespec t0, now, until;
	long left, waited = 0;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	left = milter_begin_stop(env);
	log_info("stopping: %ld messages in flight", left);
	(void)smfi_stop();
	while ((left = milter_in_flight(env)) > 0 && waited < MAIN_STOP_DEADLINE_MS) {
		(void)signals_next(50); /* further signals change nothing now */
		clock_gettime(CLOCK_MONOTONIC, &now);
		waited = (now.tv_sec - t0.tv_sec) * 1000 + (now.tv_nsec - t0.tv_nsec) / 1000000;
	}
	if (left > 0) {
		log_err("stopping: %ld messages still in flight after %d s; exiting anyway", left,
		        MAIN_STOP_DEADLINE_MS / 1000);
		return -1;
	}
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += 5;
	if (pthread_timedjoin_np(thread, NULL, &until) != 0)
		log_warn("libmilter's listener did not return within 5 s");
	return 0;
}

/* A token left or rejoined the rotation (pkcs11/ says why; the log is ours). */
static void
main_token_event(void *arg, const char *label, const char *serial, bool in, const char *why)
{
	(void)arg;
	if (in)
		log_info("token \"%s\" (serial %s) is back in the rotation: %s", label, serial, why);
	else
		log_warn("token \"%s\" (serial %s) left the rotation: %s; the other tokens holding "
		         "its keys sign, and it is probed until a test signature verifies",
		         label, serial, why);
}

/* Tokens, keys and first state; the caller drops privileges afterwards. */
static int
main_token(struct milter_env *env, struct conf *conf)
{
	struct p11_token_opts topts[CONF_MAX_TOKENS];
	struct p11_set_opts so;
	struct p11_error err;
	char buf[1024];

	sign_set_opts(conf, topts, &so);
	so.event = main_token_event;
	env->tokens = p11_set_open(&so, &err);
	if (env->tokens == NULL) {
		log_err("%s", err.msg[0] != '\0' ? err.msg : p11_strerror(err.status));
		return -1;
	}
	if (main_install(env, conf, buf, sizeof(buf)) != 0) {
		log_err("%s", buf);
		return -1;
	}
	return 0;
}

/* "token "a"" or "tokens "a", "b"", for the start line. */
static const char *
main_token_names(p11_set *set, char *buf, size_t len)
{
	size_t i, o, n = p11_set_size(set);

	o = (size_t)snprintf(buf, len, "%s", n == 1 ? "token " : "tokens ");
	for (i = 0; i < n && o < len; i++)
		o += (size_t)snprintf(buf + o, len - o, "%s\"%s\"", i > 0 ? ", " : "",
		                      p11_token_label(p11_set_token(set, i)));
	return buf;
}

/* Everything up to serving; -1 after logging why. conf passes to the state holder. */
static int
main_start(const struct main_opts *o, struct milter_env *env, struct conf *conf)
{
	uid_t uid = 0;
	gid_t gid = 0;
	char msg[1024];

	if (conf->user != NULL &&
	    process_lookup_user(conf->user, conf->group, &uid, &gid, msg, sizeof(msg)) != 0) {
		log_err("%s", msg);
		return -1;
	}
	if (!o->foreground && process_daemonise(msg, sizeof(msg)) != 0) {
		log_err("%s", msg);
		return -1;
	}
	log_open(strcmp(conf->log, "syslog") == 0, conf->syslog_facility_value);
	if (!clock_synced(msg, sizeof(msg)))
		log_warn("%s", msg);
	if (conf->user == NULL && geteuid() == 0)
		log_warn(
		    "running as root: no \"user\" is set, so the process that parses mail keeps "
		    "root's rights; set user = \"p11dkim\" (or start it as that user)");
	if (listen_exposed(conf, msg, sizeof(msg)))
		log_warn("%s: the milter protocol has no authentication, and whoever connects can "
		         "have mail signed for every configured domain; bind to 127.0.0.1 or use a "
		         "unix socket",
		         msg);
	if (conf->pid_file != NULL &&
	    process_pidfile_write(conf->pid_file, msg, sizeof(msg)) != 0) {
		log_err("%s", msg);
		return -1;
	}
	if (listen_in_use(conf, msg, sizeof(msg)) != 0) {
		log_err("%s", msg);
		return -1;
	}
	if (milter_register(env) != 0) {
		log_err("smfi_register failed");
		return -1;
	}
	if (listen_open(conf, conf->user != NULL && geteuid() == 0, uid, gid, msg, sizeof(msg)) !=
	    0) {
		log_err("%s", msg);
		return -1;
	}
	if (main_token(env, conf) != 0)
		return -1;
	if (process_drop(conf->user, uid, gid, msg, sizeof(msg)) != 0) {
		log_err("%s", msg);
		return -1;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	static struct state_holder states;
	static struct milter_env env;
	struct main_opts o;
	struct conf_error err;
	struct conf *conf;
	pthread_t thread;
	char buf[5200], *pid_file = NULL;
	int sig, rc;

	/* Not dumpable and not ptrace-able by our own uid from the first line: the PIN and a
	 * logged-in token will be in this process (process_drop says it again after setuid). */
	(void)prctl(PR_SET_DUMPABLE, 0);
	if (main_args(argc, argv, &o) != 0)
		return 2;
	if (o.check)
		return check_run(o.path);
	log_open(false, 0);
	log_set_verbose(o.verbose);
	conf = conf_load(o.path, &err);
	if (conf == NULL) {
		log_err("%s", conf_error_format(&err, buf, sizeof(buf)));
		return 1;
	}
	if (conf->pid_file != NULL)
		pid_file = strdup(conf->pid_file);
	/* Before any thread exists: every thread but this one keeps the signals blocked. */
	signals_block();
	state_holder_init(&states);
	env.states = &states;
	env.metrics = main_metrics_new();
	if (env.metrics == NULL) {
		log_err("cannot start: %s", strerror(errno));
		conf_free(conf);
		return 1;
	}
	main_env = &env;
	if (main_start(&o, &env, conf) != 0) {
		if (states.cur == NULL)
			conf_free(conf);
		process_pidfile_remove(pid_file);
		process_ready(0);
		return 1;
	}
	if (signals_listen() != 0 ||
	    signals_thread_create(&thread, main_milter_thread, NULL) != 0) {
		log_err("cannot start: %s", strerror(errno));
		process_ready(0);
		return 1;
	}
	log_info("p11dkim %s started: socket %s, %s, %zu domains", PACKAGE_VERSION,
	         states.cur->conf->socket, main_token_names(env.tokens, buf, sizeof(buf)),
	         states.cur->conf->ndomains);
	process_ready(1);
	for (;;) {
		sig = signals_next(main_metrics(&env, true));
		if (sig == SIGHUP)
			main_reload(&env, o.path);
		else if (sig == SIGTERM || sig == SIGINT)
			break;
	}
	rc = main_stop(&env, thread);
	if (rc != 0) {
		process_pidfile_remove(pid_file);
		_exit(1); /* threads still use the token: no clean-up under them */
	}
	state_holder_destroy(&states);
	p11_set_close(env.tokens);
	metrics_free(env.metrics);
	process_pidfile_remove(pid_file);
	free(pid_file);
	log_info("stopped");
	log_close();
	return 0;
}
