/*
 * tests/config/ct.h: helpers shared by the config/ unit suites: a private
 * temporary directory for each run, and configuration files written into it
 * with the mode a case asks for.
 */
#ifndef P11DKIM_TESTS_CONFIG_CT_H
#define P11DKIM_TESTS_CONFIG_CT_H

#include <check.h>
#include <sys/types.h>

#include "config/conf.h"

/* The run's directory (created by ct_setup_dir(), removed by ct_cleanup_dir()). */
const char *ct_dir(void);
void ct_setup_dir(void);
void ct_cleanup_dir(void);
/* Writes text to ct_dir()/name with mode (exactly, whatever the umask);
 * returns the path in a static buffer that the next call reuses. */
const char *ct_write(const char *name, const char *text, mode_t mode);
/* Loads text (written 0600 as name) and fails the test if it does not load. */
struct conf *ct_load_ok(const char *name, const char *text);

/* A token group that is valid, for cases about other settings (one line). */
#define CT_TOKEN                                                                                   \
	"token = { module = \"/usr/lib/softhsm/libsofthsm2.so\"; token = \"dkim\"; pin_env = "     \
	"\"PIN\"; };\n"

/* Check's per-test timeout, in seconds: generous, since CI machines under
 * the sanitizers can be slow; it only stops a test that hangs. */
#define CT_TIMEOUT 60

Suite *ct_suite_bad(void);
Suite *ct_suite_good(void);
Suite *ct_suite_net(void);
Suite *ct_suite_signtable(void);

#endif
