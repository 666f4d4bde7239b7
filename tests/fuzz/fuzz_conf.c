/*
 * tests/fuzz/fuzz_conf.c: libFuzzer target for the configuration parser and
 * the signing table. The input is a configuration file; when it loads, a few
 * lookups derived from the input run against its table (every configured
 * domain must find its own entry). Inputs that @include are skipped: they
 * would make the fuzzer read arbitrary files. Built and run by run.sh; see
 * fuzz.h.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/conf.h"
#include "tests/fuzz/fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct conf_errors errs;
	struct conf *c;
	char *text, buf[8192];
	size_t i;

	if (size > 1 << 20 || memmem(data, size, "@include", 8) != NULL)
		return 0;
	text = malloc(size + 1);
	if (text == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	c = conf_load_buffer("fuzz.conf", text, size, &errs);
	for (i = 0; i < errs.n; i++)
		conf_error_format(&errs.v[i], buf, sizeof(buf));
	conf_errors_free(&errs);
	if (c != NULL) {
		/* Every configured domain, a child of it, and the raw input. */
		for (i = 0; i < c->ndomains; i++) {
			FUZZ_CHECK(conf_signtable_lookup(c, c->domains[i].domain) ==
			           &c->domains[i]);
			snprintf(buf, sizeof(buf), "x.%s.", c->domains[i].domain);
			conf_signtable_lookup(c, buf);
		}
		conf_signtable_lookup(c, text);
		conf_free(c);
	}
	free(text);
	return 0;
}
