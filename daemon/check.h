/*
 * check.h: `p11dkim -n`: check the configuration file and the token, print a report, and
 * say whether the daemon could start.
 *
 * Contract: prints to stdout (the report) and stderr (problems); returns the exit status:
 * 0 when the file is valid, the token opens, every key is found and usable; 1 otherwise.
 * Main thread, before any daemon set-up.
 */
#ifndef P11DKIM_DAEMON_CHECK_H
#define P11DKIM_DAEMON_CHECK_H

int check_run(const char *path);

#endif
