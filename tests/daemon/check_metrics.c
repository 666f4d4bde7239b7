/*
 * tests/daemon/check_metrics.c: daemon/metrics against a parser of the
 * Prometheus text format (0.0.4): every line must be a HELP, a TYPE or a
 * well-formed sample of a family announced before it, and the values must be
 * the ones the updates imply.
 */
#include "config.h"

#include <check.h>
#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <dirent.h>
#include <unistd.h>

#include "daemon/metrics.h"
#include "tests/lib/check_main.h"

#define MAX_SAMPLES 128

/* As daemon/policy.h names them (the daemon passes policy_reason_name()). */
static const char *const reasons[] = {"not_trusted", "no_from", "no_domain", "already_signed",
                                      "token_error"};
#define NREASONS (sizeof(reasons) / sizeof(reasons[0]))
enum { R_NOT_TRUSTED, R_NO_FROM, R_NO_DOMAIN, R_ALREADY_SIGNED, R_TOKEN_ERROR };

struct sample {
	char key[256]; /* name{labels} as written */
	double value;
};

struct parsed {
	struct sample s[MAX_SAMPLES];
	size_t n;
	char families[64][96];
	char types[64][32];
	size_t nfam;
};

static int
valid_name(const char *p, size_t n)
{
	size_t i;

	if (n == 0 || !(isalpha((unsigned char)p[0]) || p[0] == '_' || p[0] == ':'))
		return 0;
	for (i = 1; i < n; i++)
		if (!(isalnum((unsigned char)p[i]) || p[i] == '_' || p[i] == ':'))
			return 0;
	return 1;
}

/* {a="x",b="y"}: label names valid, values quoted, no raw newline. */
static int
valid_labels(const char *p, size_t n)
{
	size_t i = 1, start;

	if (n < 2 || p[0] != '{' || p[n - 1] != '}')
		return 0;
	while (i < n - 1) {
		start = i;
		while (i < n - 1 && p[i] != '=')
			i++;
		if (!valid_name(p + start, i - start) || p[i + 1] != '"')
			return 0;
		i += 2;
		while (i < n - 1 && p[i] != '"') {
			if (p[i] == '\\')
				i++;
			i++;
		}
		if (i >= n - 1)
			return 0;
		i++;
		if (p[i] == ',')
			i++;
		else if (i != n - 1)
			return 0;
	}
	return 1;
}

/* The family a sample belongs to: histograms add _bucket, _sum, _count. */
static const char *
family_type(const struct parsed *ps, const char *name, size_t n)
{
	static const char *const suffix[] = {"_bucket", "_sum", "_count"};
	size_t i, k, sl;

	for (i = 0; i < ps->nfam; i++) {
		if (strlen(ps->families[i]) == n && memcmp(ps->families[i], name, n) == 0)
			return ps->types[i];
		if (strcmp(ps->types[i], "histogram") != 0)
			continue;
		for (k = 0; k < 3; k++) {
			sl = strlen(suffix[k]);
			if (n == strlen(ps->families[i]) + sl &&
			    memcmp(name, ps->families[i], n - sl) == 0 &&
			    memcmp(name + n - sl, suffix[k], sl) == 0)
				return ps->types[i];
		}
	}
	return NULL;
}

static void
parse_line(struct parsed *ps, char *line, int lineno)
{
	char name[128], type[32], *end, *sp;
	size_t nlen;

	if (strncmp(line, "# HELP ", 7) == 0) {
		ck_assert_msg(strchr(line + 7, ' ') != NULL, "line %d: HELP without text", lineno);
		return;
	}
	if (strncmp(line, "# TYPE ", 7) == 0) {
		ck_assert_msg(sscanf(line + 7, "%127s %31s", name, type) == 2, "line %d", lineno);
		ck_assert_msg(valid_name(name, strlen(name)), "line %d: bad name %s", lineno, name);
		ck_assert_msg(strcmp(type, "counter") == 0 || strcmp(type, "gauge") == 0 ||
		                  strcmp(type, "histogram") == 0,
		              "line %d: type %s", lineno, type);
		ck_assert_msg(family_type(ps, name, strlen(name)) == NULL,
		              "line %d: family %s announced twice", lineno, name);
		ck_assert_uint_lt(ps->nfam, 64);
		snprintf(ps->families[ps->nfam], sizeof(ps->families[0]), "%s", name);
		snprintf(ps->types[ps->nfam++], sizeof(ps->types[0]), "%s", type);
		return;
	}
	ck_assert_msg(line[0] != '#' && line[0] != '\0', "line %d: stray '%s'", lineno, line);
	sp = strrchr(line, ' ');
	ck_assert_msg(sp != NULL, "line %d: no value", lineno);
	nlen = strcspn(line, "{ ");
	ck_assert_msg(valid_name(line, nlen), "line %d: bad metric name", lineno);
	ck_assert_msg(family_type(ps, line, nlen) != NULL, "line %d: sample before its TYPE",
	              lineno);
	if (line[nlen] == '{')
		ck_assert_msg(valid_labels(line + nlen, (size_t)(sp - line) - nlen),
		              "line %d: bad labels", lineno);
	else
		ck_assert_msg(line + nlen == sp, "line %d: junk after name", lineno);
	errno = 0;
	ck_assert_uint_lt(ps->n, MAX_SAMPLES);
	ps->s[ps->n].value = strtod(sp + 1, &end);
	ck_assert_msg(errno == 0 && end != sp + 1 && *end == '\0', "line %d: bad value '%s'",
	              lineno, sp + 1);
	ck_assert_uint_lt((size_t)(sp - line), sizeof(ps->s[0].key));
	memcpy(ps->s[ps->n].key, line, (size_t)(sp - line));
	ps->s[ps->n].key[sp - line] = '\0';
	ps->n++;
}

static void
parse_file(struct parsed *ps, const char *path)
{
	char line[1024];
	FILE *fp = fopen(path, "r");
	int lineno = 0;
	size_t len;

	ck_assert_msg(fp != NULL, "%s: %s", path, strerror(errno));
	memset(ps, 0, sizeof(*ps));
	while (fgets(line, sizeof(line), fp) != NULL) {
		lineno++;
		len = strlen(line);
		ck_assert_msg(len > 0 && line[len - 1] == '\n', "line %d: no newline", lineno);
		line[len - 1] = '\0';
		parse_line(ps, line, lineno);
	}
	fclose(fp);
	ck_assert_int_gt(lineno, 0);
}

static double
value(const struct parsed *ps, const char *key)
{
	size_t i;

	for (i = 0; i < ps->n; i++)
		if (strcmp(ps->s[i].key, key) == 0)
			return ps->s[i].value;
	ck_abort_msg("no sample %s", key);
	return -1;
}

static char dir[] = "/tmp/check_metrics.XXXXXX";
static char path[256];

static void
setup(void)
{
	ck_assert_ptr_nonnull(mkdtemp(strcpy(dir, "/tmp/check_metrics.XXXXXX")));
	snprintf(path, sizeof(path), "%s/p11dkim.prom", dir);
}

static void
teardown(void)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char p[512];

	while (d != NULL && (e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
		unlink(p);
	}
	if (d != NULL)
		closedir(d);
	rmdir(dir);
}

/* Files in dir: the test expects exactly one, no temporary left behind. */
static int
count_files(void)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

START_TEST(fresh_all_zero)
{
	struct metrics *m = metrics_new(reasons, NREASONS);
	struct parsed ps;
	struct stat st;
	char key[128];
	int r;

	ck_assert_ptr_nonnull(m);
	ck_assert_int_eq(metrics_write(m, path), 0);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_uint_eq(st.st_mode & 0777, 0644);
	parse_file(&ps, path);
	ck_assert(value(&ps, "p11dkim_messages_signed_total") == 0);
	ck_assert(value(&ps, "p11dkim_messages_tempfailed_total") == 0);
	for (r = 0; r <= (int)NREASONS; r++) {
		snprintf(key, sizeof(key), "p11dkim_messages_unsigned_total{reason=\"%s\"}",
		         r < (int)NREASONS ? reasons[r] : "unknown");
		ck_assert(value(&ps, key) == 0);
	}
	ck_assert(value(&ps, "p11dkim_token_sign_duration_seconds_count") == 0);
	ck_assert(value(&ps, "p11dkim_token_sign_duration_seconds_bucket{le=\"+Inf\"}") == 0);
	ck_assert(value(&ps, "p11dkim_start_time_seconds") > 1.7e9);
	ck_assert(value(&ps, "p11dkim_token_sign_cpu_seconds_total") == 0);
	ck_assert_int_eq(count_files(), 1);
	metrics_free(m);
}
END_TEST

/* Each row: what happened, and the sample that must show it. */
static const struct {
	const char *what;
	void (*apply)(struct metrics *);
	const char *key;
	double want;
} update_cases[] = {
    {"signed with 2 keys", NULL, "p11dkim_messages_signed_total", 3},
    {"signatures", NULL, "p11dkim_signatures_total", 5},
    {"not trusted", NULL, "p11dkim_messages_unsigned_total{reason=\"not_trusted\"}", 2},
    {"no domain", NULL, "p11dkim_messages_unsigned_total{reason=\"no_domain\"}", 1},
    {"out of range", NULL, "p11dkim_messages_unsigned_total{reason=\"unknown\"}", 2},
    {"token error", NULL, "p11dkim_messages_unsigned_total{reason=\"token_error\"}", 1},
    {"no from", NULL, "p11dkim_messages_unsigned_total{reason=\"no_from\"}", 0},
    {"tempfail", NULL, "p11dkim_messages_tempfailed_total", 4},
    {"token signs", NULL, "p11dkim_token_signs_total", 1000},
    {"token errors", NULL, "p11dkim_token_errors_total", 7},
    {"recoveries", NULL, "p11dkim_token_recoveries_total", 3},
    {"reinits", NULL, "p11dkim_token_reinits_total", 1},
    {"sessions", NULL, "p11dkim_token_sessions", 16},
    {"in use", NULL, "p11dkim_token_sessions_in_use", 5},
    {"login blocked", NULL, "p11dkim_token_login_blocked", 1},
    {"token CPU", NULL, "p11dkim_token_sign_cpu_seconds_total", 2.000000125},
};

START_TEST(updates_table)
{
	struct metrics *m = metrics_new(reasons, NREASONS);
	struct metrics_token t = {.signs = 1000,
	                          .sign_errors = 7,
	                          .retries = 9,
	                          .recoveries = 3,
	                          .session_drops = 2,
	                          .reinits = 1,
	                          .pool_timeouts = 0,
	                          .sign_cpu_ns = 2000000125,
	                          .sessions = 16,
	                          .sessions_open = 12,
	                          .sessions_busy = 5,
	                          .login_blocked = 1};
	struct parsed ps;
	size_t i;

	metrics_signed(m, 2);
	metrics_signed(m, 2);
	metrics_signed(m, 1);
	metrics_unsigned(m, R_NOT_TRUSTED);
	metrics_unsigned(m, R_NOT_TRUSTED);
	metrics_unsigned(m, R_NO_DOMAIN);
	metrics_unsigned(m, R_TOKEN_ERROR);
	metrics_unsigned(m, NREASONS); /* out of range: "unknown", no crash */
	metrics_unsigned(m, (size_t)-1);
	for (i = 0; i < 4; i++)
		metrics_tempfailed(m);
	metrics_set_token(m, &t);
	ck_assert_int_eq(metrics_write(m, path), 0);
	parse_file(&ps, path);
	for (i = 0; i < sizeof(update_cases) / sizeof(update_cases[0]); i++)
		ck_assert_msg(value(&ps, update_cases[i].key) == update_cases[i].want,
		              "%s: %s = %g, want %g", update_cases[i].what, update_cases[i].key,
		              value(&ps, update_cases[i].key), update_cases[i].want);
	metrics_free(m);
}
END_TEST

/* Observations (ns) and, for some bounds, how many must be <= the bound. */
static const uint64_t latencies[] = {
    100000, 500000, 500001, 900000, 3000000, 3000000, 40000000, 2000000000, 20000000000ULL,
};
static const struct {
	const char *le;
	double want;
} bucket_cases[] = {
    {"0.0005", 2}, /* the bound itself belongs to its bucket */
    {"0.001", 4},  {"0.0025", 4}, {"0.005", 6}, {"0.05", 7},
    {"1", 7},      {"2.5", 8},    {"10", 8},    {"+Inf", 9},
};

START_TEST(histogram)
{
	struct metrics *m = metrics_new(reasons, NREASONS);
	struct parsed ps;
	char key[128];
	double prev = 0, sum = 0, v;
	size_t i;

	for (i = 0; i < sizeof(latencies) / sizeof(latencies[0]); i++) {
		metrics_sign_latency(m, latencies[i]);
		sum += (double)latencies[i] / 1e9;
	}
	ck_assert_int_eq(metrics_write(m, path), 0);
	parse_file(&ps, path);
	for (i = 0; i < sizeof(bucket_cases) / sizeof(bucket_cases[0]); i++) {
		snprintf(key, sizeof(key), "p11dkim_token_sign_duration_seconds_bucket{le=\"%s\"}",
		         bucket_cases[i].le);
		ck_assert_msg(value(&ps, key) == bucket_cases[i].want, "%s = %g, want %g", key,
		              value(&ps, key), bucket_cases[i].want);
	}
	/* Cumulative: never decreasing, in file order. */
	for (i = 0; i < ps.n; i++) {
		if (strncmp(ps.s[i].key, "p11dkim_token_sign_duration_seconds_bucket", 42) != 0)
			continue;
		ck_assert(ps.s[i].value >= prev);
		prev = ps.s[i].value;
	}
	ck_assert(value(&ps, "p11dkim_token_sign_duration_seconds_count") == 9);
	v = value(&ps, "p11dkim_token_sign_duration_seconds_sum");
	ck_assert_msg(v > sum - 1e-6 && v < sum + 1e-6, "sum %.9f, want %.9f", v, sum);
	metrics_free(m);
}
END_TEST

#define THREADS 4
#define PER_THREAD 200000

static void *
hammer(void *arg)
{
	struct metrics *m = arg;
	int i;

	for (i = 0; i < PER_THREAD; i++) {
		metrics_signed(m, 2);
		metrics_unsigned(m, R_NO_DOMAIN);
		metrics_sign_latency(m, 1000000);
	}
	return NULL;
}

START_TEST(threads_lose_nothing)
{
	struct metrics *m = metrics_new(reasons, NREASONS);
	pthread_t th[THREADS];
	struct parsed ps;
	int i;

	for (i = 0; i < THREADS; i++)
		ck_assert_int_eq(pthread_create(&th[i], NULL, hammer, m), 0);
	/* Written while the threads count: must still parse. */
	ck_assert_int_eq(metrics_write(m, path), 0);
	parse_file(&ps, path);
	for (i = 0; i < THREADS; i++)
		pthread_join(th[i], NULL);
	ck_assert_int_eq(metrics_write(m, path), 0);
	parse_file(&ps, path);
	ck_assert(value(&ps, "p11dkim_messages_signed_total") == THREADS * PER_THREAD);
	ck_assert(value(&ps, "p11dkim_signatures_total") == 2.0 * THREADS * PER_THREAD);
	ck_assert(value(&ps, "p11dkim_messages_unsigned_total{reason=\"no_domain\"}") ==
	          THREADS * PER_THREAD);
	ck_assert(value(&ps, "p11dkim_token_sign_duration_seconds_bucket{le=\"0.001\"}") ==
	          THREADS * PER_THREAD);
	ck_assert(value(&ps, "p11dkim_token_sign_duration_seconds_sum") ==
	          THREADS * PER_THREAD * 0.001);
	ck_assert_int_eq(count_files(), 1);
	metrics_free(m);
}
END_TEST

/* Label values are written as they are: refuse what would break the format. */
/* The daemon's CPU counter follows the process: 50 ms of CPU burnt between two writes shows. */
START_TEST(process_cpu)
{
	struct metrics *m = metrics_new(reasons, NREASONS);
	struct parsed ps;
	struct timespec t0, t;
	volatile uint64_t x = 1;
	double before, after;

	ck_assert_int_eq(metrics_write(m, path), 0);
	parse_file(&ps, path);
	before = value(&ps, "p11dkim_process_cpu_seconds_total");
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t0);
	do {
		for (int i = 0; i < 100000; i++)
			x = x * 6364136223846793005u + 1;
		clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
	} while ((t.tv_sec - t0.tv_sec) * 1000000000L + (t.tv_nsec - t0.tv_nsec) < 50000000L);
	ck_assert_int_eq(metrics_write(m, path), 0);
	parse_file(&ps, path);
	after = value(&ps, "p11dkim_process_cpu_seconds_total");
	ck_assert_msg(after - before >= 0.045 && after - before < 5.0, "CPU %g -> %g s", before,
	              after);
	metrics_free(m);
}
END_TEST

/* Per-token series (issue 15): one sample per token, labelled by label and serial, a label's
 * quote and backslash escaped as the exposition format wants. */
START_TEST(members_labelled)
{
	struct metrics *m = metrics_new(reasons, NREASONS);
	struct metrics_member v[2];
	struct parsed ps;

	memset(v, 0, sizeof(v));
	snprintf(v[0].token, sizeof(v[0].token), "dkim-a");
	snprintf(v[0].serial, sizeof(v[0].serial), "01");
	v[0].in_rotation = 1;
	v[0].signs = 7;
	v[0].sign_ns = 1500000000u;
	snprintf(v[1].token, sizeof(v[1].token), "b\"q\\");
	snprintf(v[1].serial, sizeof(v[1].serial), "02");
	v[1].outstanding = 3;
	v[1].failures = 2;
	v[1].left = 1;
	metrics_set_members(m, v, 2);
	ck_assert_int_eq(metrics_write(m, path), 0);
	parse_file(&ps, path);
	ck_assert(value(&ps, "p11dkim_tokens_in_rotation{token=\"dkim-a\",serial=\"01\"}") == 1);
	ck_assert(value(&ps, "p11dkim_tokens_signatures_total{token=\"dkim-a\",serial=\"01\"}") == 7);
	ck_assert(value(&ps, "p11dkim_tokens_sign_seconds_total{token=\"dkim-a\",serial=\"01\"}") ==
	          1.5);
	ck_assert(value(&ps, "p11dkim_tokens_in_rotation{token=\"b\\\"q\\\\\",serial=\"02\"}") == 0);
	ck_assert(value(&ps,
	                "p11dkim_tokens_operations_outstanding{token=\"b\\\"q\\\\\",serial=\"02\"}") ==
	          3);
	ck_assert(value(&ps, "p11dkim_tokens_failovers_total{token=\"b\\\"q\\\\\",serial=\"02\"}") ==
	          2);
	ck_assert(value(&ps,
	                "p11dkim_tokens_left_rotation_total{token=\"b\\\"q\\\\\",serial=\"02\"}") == 1);
	metrics_free(m);
}
END_TEST

START_TEST(bad_reasons)
{
	static const char *const quote[] = {"ok", "bad\"quote"};
	static const char *const upper[] = {"Upper"};
	static const char *const empty[] = {""};
	static const char *const clash[] = {"unknown"};
	static const char *const null[] = {NULL};

	errno = 0;
	ck_assert_ptr_null(metrics_new(quote, 2));
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_ptr_null(metrics_new(upper, 1));
	ck_assert_ptr_null(metrics_new(empty, 1));
	ck_assert_ptr_null(metrics_new(clash, 1));
	ck_assert_ptr_null(metrics_new(null, 1));
	ck_assert_ptr_null(metrics_new(reasons, 0));
	ck_assert_ptr_null(metrics_new(NULL, 1));
	ck_assert_ptr_null(metrics_new(reasons, 65));
}
END_TEST

START_TEST(write_errors)
{
	struct metrics *m = metrics_new(reasons, NREASONS);
	char bad[300];
	FILE *fp;
	struct parsed ps;

	/* A missing directory: -1, ENOENT, nothing created. */
	snprintf(bad, sizeof(bad), "%s/missing/p11dkim.prom", dir);
	errno = 0;
	ck_assert_int_eq(metrics_write(m, bad), -1);
	ck_assert_int_eq(errno, ENOENT);
	ck_assert_int_eq(count_files(), 0);
	/* An old file is replaced whole. */
	fp = fopen(path, "w");
	ck_assert_ptr_nonnull(fp);
	fputs("junk that is not the format\n", fp);
	fclose(fp);
	metrics_tempfailed(m);
	ck_assert_int_eq(metrics_write(m, path), 0);
	parse_file(&ps, path);
	ck_assert(value(&ps, "p11dkim_messages_tempfailed_total") == 1);
	/* The target is a directory: rename fails, the temporary is removed. */
	ck_assert_int_eq(unlink(path), 0);
	ck_assert_int_eq(mkdir(path, 0700), 0);
	ck_assert_int_eq(metrics_write(m, path), -1);
	ck_assert_int_eq(errno, EISDIR);
	ck_assert_int_eq(count_files(), 1);
	ck_assert_int_eq(rmdir(path), 0);
	metrics_free(m);
}
END_TEST

static Suite *
metrics_suite(void)
{
	Suite *s = suite_create("metrics");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, fresh_all_zero);
	tcase_add_test(tc, updates_table);
	tcase_add_test(tc, histogram);
	tcase_add_test(tc, threads_lose_nothing);
	tcase_add_test(tc, write_errors);
	tcase_add_test(tc, bad_reasons);
	tcase_add_test(tc, members_labelled);
	tcase_add_test(tc, process_cpu);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return check_run(metrics_suite(), NULL);
}
