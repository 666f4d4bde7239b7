/* load_opts: p11dkim-load's command line; see load_opts.h. */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tools/load/load_opts.h"

static void
load_opts_usage(FILE *f)
{
	fputs("usage: p11dkim-load --socket SPEC [--socket SPEC ...]\n"
	      "         --message FILE [--message FILE ...]\n"
	      "         [--conns N] [--per-conn M] [--messages M | --seconds S]\n"
	      "         [--from ADDR] [--rcpt ADDR ...] [--client-addr IP] [--auth USER]\n"
	      "         [--helo NAME] [--chunk BYTES] [--quickack on|off] [--timeout MS]\n"
	      "         [--print FILE] [--fail-on-error]\n"
	      "SPEC: unix:/path, inet:port@host or inet6:port@host. Several --socket: a chain of\n"
	      "milters, each message sent to each in turn (as Postfix calls its milters).\n"
	      "Prints key=value figures (messages, latency, signatures, CPU) on stdout.\n",
	      f);
}

/* Parses a whole decimal number in [min, max]. */
static int
load_opts_num(const char *name, const char *s, long min, long max, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < min || v > max) {
		fprintf(stderr, "p11dkim-load: --%s: expected a number from %ld to %ld\n", name,
		        min, max);
		return -1;
	}
	*out = v;
	return 0;
}

static int
load_opts_push(const char ***list, size_t *n, const char *s)
{
	const char **nl = reallocarray(*list, *n + 1, sizeof(**list));

	if (nl == NULL)
		return -1;
	nl[(*n)++] = s;
	*list = nl;
	return 0;
}

static const struct option load_longopts[] = {
    {"socket", 1, NULL, 's'},        {"conns", 1, NULL, 'c'},   {"per-conn", 1, NULL, 'P'},
    {"messages", 1, NULL, 'm'},      {"seconds", 1, NULL, 'S'}, {"message", 1, NULL, 'f'},
    {"from", 1, NULL, 'F'},          {"rcpt", 1, NULL, 'r'},    {"client-addr", 1, NULL, 'a'},
    {"auth", 1, NULL, 'u'},          {"helo", 1, NULL, 'H'},    {"chunk", 1, NULL, 'k'},
    {"quickack", 1, NULL, 'q'},      {"timeout", 1, NULL, 't'}, {"print", 1, NULL, 'p'},
    {"fail-on-error", 0, NULL, 'e'}, {"help", 0, NULL, 'h'},    {NULL, 0, NULL, 0}};

static int
load_opts_one(struct load_opts *o, int ch, const char *arg)
{
	long v = 0;

	switch (ch) {
	case 's':
		return load_opts_push(&o->sockets, &o->nsockets, arg);
	case 'c':
		if (load_opts_num("conns", arg, 1, 4096, &v))
			return -1;
		o->conns = (int)v;
		return 0;
	case 'P':
		return load_opts_num("per-conn", arg, 0, 1L << 40, &o->per_conn);
	case 'm':
		return load_opts_num("messages", arg, 1, 1L << 40, &o->messages);
	case 'S':
		if (load_opts_num("seconds", arg, 1, 86400, &v))
			return -1;
		o->seconds = (double)v;
		return 0;
	case 'f':
		return load_opts_push(&o->files, &o->nfiles, arg);
	case 'F':
		o->from = arg;
		return 0;
	case 'r':
		return load_opts_push(&o->rcpts, &o->nrcpts, arg);
	case 'a':
		o->client_addr = arg;
		return 0;
	case 'u':
		o->auth = arg;
		return 0;
	case 'H':
		o->helo = arg;
		return 0;
	case 'k':
		if (load_opts_num("chunk", arg, 1, 65535, &v))
			return -1;
		o->chunk = (size_t)v;
		return 0;
	case 'q':
		if (strcmp(arg, "on") != 0 && strcmp(arg, "off") != 0) {
			fprintf(stderr, "p11dkim-load: --quickack: on or off\n");
			return -1;
		}
		o->quickack = strcmp(arg, "on") == 0;
		return 0;
	case 't':
		if (load_opts_num("timeout", arg, 1, 3600000, &v))
			return -1;
		o->timeout_ms = (int)v;
		return 0;
	case 'p':
		o->print = arg;
		return 0;
	case 'e':
		o->fail_on_error = 1;
		return 0;
	default:
		return -1;
	}
}

int
load_opts_parse(struct load_opts *o, int argc, char **argv)
{
	static const char *def_rcpt = "rcpt@example.net";
	int ch;

	memset(o, 0, sizeof(*o));
	o->conns = 1;
	o->from = "sender@example.com";
	o->client_addr = "127.0.0.1";
	o->helo = "client.example.com";
	o->chunk = 65535;
	o->timeout_ms = 10000;
	while ((ch = getopt_long(argc, argv, "", load_longopts, NULL)) != -1) {
		if (ch == 'h') {
			load_opts_usage(stdout);
			return 1;
		}
		if (load_opts_one(o, ch, optarg) != 0) {
			load_opts_usage(stderr);
			return 1;
		}
	}
	if (optind < argc || o->nsockets == 0 || o->nfiles == 0 ||
	    (o->messages > 0 && o->seconds > 0)) {
		fprintf(stderr, "p11dkim-load: need --socket and --message, and not both "
		                "--messages and --seconds\n");
		load_opts_usage(stderr);
		return 1;
	}
	if (o->messages == 0 && o->seconds == 0)
		o->messages = 100;
	if (o->nrcpts == 0 && load_opts_push(&o->rcpts, &o->nrcpts, def_rcpt) != 0)
		return 1;
	return 0;
}

void
load_opts_free(struct load_opts *o)
{
	free(o->sockets);
	free(o->files);
	free(o->rcpts);
	o->sockets = o->files = o->rcpts = NULL;
}
