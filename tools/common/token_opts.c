/* tools/common/token_opts.c: see token_opts.h. */
#include "config.h"

#include "tools/common/token_opts.h"

int
token_opts_take(struct p11_token_opts *o, int c, const char *arg)
{
	switch (c) {
	case 'M':
		o->module = arg;
		return 0;
	case 'T':
		o->token = arg;
		return 0;
	case 'P':
		o->pin_file = arg;
		return 0;
	case 'E':
		o->pin_env = arg;
		return 0;
	}
	return -1;
}
