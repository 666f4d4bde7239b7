/*
 * tests/config/bench_conf.c: how long loading a large signing table takes and
 * how fast it answers. Prints figures; asserts nothing about time.
 *   bench_conf [DOMAINS] [LOOKUPS]     (defaults 100000 and 2000000)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "config/conf.h"

static double
bench_clock(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* CPU time: on a busy machine wall time says more about the neighbours. */
static double
bench_now(void)
{
	return bench_clock(CLOCK_PROCESS_CPUTIME_ID);
}

int
main(int argc, char **argv)
{
	long ndomains = argc > 1 ? atol(argv[1]) : 100000;
	long nlookups = argc > 2 ? atol(argv[2]) : 2000000;
	char path[] = "/tmp/p11dkim-bench-XXXXXX", name[300], buf[8192];
	struct conf_error err;
	const struct conf_domain *d;
	struct conf *c;
	double t0, t1;
	long i, hits = 0;
	FILE *f;
	int fd;

	if (ndomains < 1 || nlookups < 1)
		return 2;
	fd = mkstemp(path);
	if (fd < 0 || (f = fdopen(fd, "w")) == NULL)
		return 1;
	fprintf(f,
	        "token = { module = \"/m.so\"; token = \"t\"; pin_env = \"P\"; };\ndomains = (\n");
	for (i = 0; i < ndomains; i++)
		fprintf(f,
		        "{ domain = \"customer%ld.example\"; subdomains = %s; keys = ( { selector "
		        "= \"rsa\"; key = \"k%ld-rsa\"; }, { selector = \"ed\"; key = \"k%ld-ed\"; "
		        "} ); }%s\n",
		        i, i % 2 ? "true" : "false", i, i, i + 1 < ndomains ? "," : "");
	fprintf(f, ");\n");
	fclose(f);

	t0 = bench_now();
	c = conf_load(path, &err);
	t1 = bench_now();
	unlink(path);
	if (c == NULL) {
		fprintf(stderr, "%s\n", conf_error_format(&err, buf, sizeof(buf)));
		return 1;
	}
	printf("load: %ld domains, %ld keys in %.3f s CPU\n", ndomains, 2 * ndomains, t1 - t0);

	t0 = bench_now();
	for (i = 0; i < nlookups; i++) {
		/* A mix: exact, a subdomain two labels deep, and a miss. */
		switch (i % 3) {
		case 0:
			snprintf(name, sizeof(name), "customer%ld.example", (i * 7919) % ndomains);
			break;
		case 1:
			snprintf(name, sizeof(name), "mail.eu.Customer%ld.example.",
			         (i * 7919) % ndomains);
			break;
		default:
			snprintf(name, sizeof(name), "nobody%ld.example.net", i);
			break;
		}
		d = conf_signtable_lookup(c, name);
		hits += d != NULL;
	}
	t1 = bench_now();
	printf("lookup: %ld in %.3f s CPU, %.0f per second, %.0f ns each (%ld matched)\n", nlookups,
	       t1 - t0, (double)nlookups / (t1 - t0), (t1 - t0) * 1e9 / (double)nlookups, hits);
	conf_free(c);
	return 0;
}
