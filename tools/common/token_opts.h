/*
 * tools/common/token_opts.h: the token options every program of tools/ that opens a token
 * takes on its command line (--module, --token, --pin-file, --pin-env), written once for
 * p11dkim-keytool and p11dkim-sign so that the two spell and mean them alike.
 *
 * TOKEN_OPTS_LONG goes into a getopt_long option table; token_opts_take() stores one parsed
 * option into a struct p11_token_opts (pointers to the argument strings, not copies: argv
 * outlives them). Which values win over the configuration file is the program's business.
 */
#ifndef P11DKIM_TOOLS_COMMON_TOKEN_OPTS_H
#define P11DKIM_TOOLS_COMMON_TOKEN_OPTS_H

#include <getopt.h>

#include "pkcs11/p11.h"

#define TOKEN_OPTS_LONG                                                                            \
	{"module", required_argument, NULL, 'M'}, {"token", required_argument, NULL, 'T'},         \
	    {"pin-file", required_argument, NULL, 'P'},                                            \
	{                                                                                          \
		"pin-env", required_argument, NULL, 'E'                                            \
	}

/* Stores option c (as getopt_long returned it) with its argument; 0 when c was one of the
 * token options, -1 when not (o unchanged). */
int token_opts_take(struct p11_token_opts *o, int c, const char *arg);

#endif
