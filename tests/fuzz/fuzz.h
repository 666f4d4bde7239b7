/*
 * tests/fuzz/fuzz.h: what every fuzz target shares.
 *
 * Each tests/fuzz/fuzz_NAME.c defines LLVMFuzzerTestOneInput. It is linked
 * two ways: with libFuzzer by tests/fuzz/run.sh (clang, ASan + UBSan), and
 * with tests/fuzz/replay.c by make check (any compiler), which replays
 * tests/fuzz/corpus/NAME and tests/fuzz/regressions/NAME.
 *
 * A target checks properties, not only the absence of crashes: a broken one
 * is reported by FUZZ_CHECK, which prints the condition and aborts, so both
 * libFuzzer and make check see it as a failure.
 */
#ifndef P11DKIM_TESTS_FUZZ_H
#define P11DKIM_TESTS_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_CHECK(cond)                                                                           \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "%s:%d: property failed: %s\n", __FILE__, __LINE__,        \
			        #cond);                                                            \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

#endif
