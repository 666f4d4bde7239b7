/*
 * load_opts: p11dkim-load's command line (one struct, filled once by
 * load_opts_parse(), read-only afterwards; it owns the arrays it allocates,
 * freed by load_opts_free(); strings point into argv).
 */
#ifndef P11DKIM_TOOLS_LOAD_OPTS_H
#define P11DKIM_TOOLS_LOAD_OPTS_H

#include <stddef.h>

struct load_opts {
	const char **sockets; /* one milter, or a chain: each message goes to each in turn */
	size_t nsockets;
	int conns;
	long per_conn; /* messages per connection; 0 = all on one (as Postfix reuses) */
	long messages; /* 0 with seconds > 0: run for that time */
	double seconds;
	const char **files;
	size_t nfiles;
	const char *from;
	const char **rcpts;
	size_t nrcpts;
	const char *client_addr;
	const char *auth;
	const char *helo;
	size_t chunk;
	int quickack;
	int timeout_ms;
	const char *print;
	int fail_on_error;
};

/* Returns 0, or 1 after printing usage or an error to stderr (exit status 2). */
int load_opts_parse(struct load_opts *o, int argc, char **argv);
void load_opts_free(struct load_opts *o);

#endif
