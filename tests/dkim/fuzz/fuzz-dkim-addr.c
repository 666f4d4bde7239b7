/*
 * libFuzzer target: dkim_addr_domains on arbitrary bytes.
 * Build: clang -g -O1 -fsanitize=fuzzer,address,undefined -I../../.. -D_GNU_SOURCE \
 *        fuzz-dkim-addr.c ../../../dkim/dkim_addr.c -o fuzz-dkim-addr
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "dkim/dkim_addr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dkim_addr_list l;
	dkim_status st = dkim_addr_domains((const char *)data, size, &l);
	size_t i;

	if (st != DKIM_OK && l.n != 0)
		abort();
	for (i = 0; i < l.n; i++)
		if (l.domain[i][0] == '\0')
			abort();
	dkim_addr_free(&l);
	return 0;
}
