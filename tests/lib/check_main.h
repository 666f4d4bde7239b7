/*
 * tests/lib/check_main.h: the main() of every Check suite, written once.
 *
 * check_run(first, ...) runs the suites given (a NULL-terminated list) in one
 * SRunner, in Check's normal mode (CK_FORK and CK_VERBOSITY in the environment
 * still apply), frees the runner and returns the process exit status: 0 when
 * every test passed, 1 otherwise. A suite that cannot run for want of
 * something outside the test decides that itself, before calling check_run,
 * and exits 77.
 */
#ifndef TESTS_LIB_CHECK_MAIN_H
#define TESTS_LIB_CHECK_MAIN_H

#include <check.h>
#include <stdarg.h>
#include <stddef.h>

static inline int
check_run(Suite *first, ...)
{
	SRunner *sr = srunner_create(first);
	Suite *s;
	va_list ap;
	int failed;

	va_start(ap, first);
	while ((s = va_arg(ap, Suite *)) != NULL)
		srunner_add_suite(sr, s);
	va_end(ap);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}

#endif
