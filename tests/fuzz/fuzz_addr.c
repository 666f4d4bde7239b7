/*
 * tests/fuzz/fuzz_addr.c: the From/Sender address-list parser.
 *
 * Input: a header value, exactly as long as the input (not NUL-terminated, so
 * ASan sees a read past its end).
 *
 * Properties: on success at most DKIM_ADDR_MAX domains, each non-empty,
 * NUL-terminated within the input's length and without an uppercase ASCII
 * letter; on error an empty list; the same input parses the same twice.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dkim/dkim_addr.h"
#include "tests/fuzz/fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dkim_addr_list a = {0}, b = {0};
	dkim_status st, st2;
	size_t i, j, len;

	st = dkim_addr_domains((const char *)data, size, &a);
	st2 = dkim_addr_domains((const char *)data, size, &b);
	FUZZ_CHECK(st == st2 && a.n == b.n);
	if (st != DKIM_OK) {
		FUZZ_CHECK(a.n == 0);
	} else {
		FUZZ_CHECK(a.n <= DKIM_ADDR_MAX);
		for (i = 0; i < a.n; i++) {
			FUZZ_CHECK(a.domain[i] != NULL);
			len = strnlen(a.domain[i], size + 1);
			FUZZ_CHECK(len > 0 && len <= size);
			for (j = 0; j < len; j++)
				FUZZ_CHECK(!(a.domain[i][j] >= 'A' && a.domain[i][j] <= 'Z'));
			FUZZ_CHECK(strcmp(a.domain[i], b.domain[i]) == 0);
		}
	}
	dkim_addr_free(&a);
	dkim_addr_free(&b);
	FUZZ_CHECK(a.n == 0 && a.domain == NULL);
	return 0;
}
