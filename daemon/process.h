/*
 * process.h: turning the program into a daemon: detach, pid file, privilege drop.
 *
 * Contract
 * - Order ("secrets first, then narrow"): process_daemonise() before the token is opened (a
 *   PKCS#11 module must never cross a fork); process_pidfile_write() next; then the socket and
 *   the token; process_drop() last.
 * - Functions return 0 or -1 with msg filled; they never log or exit (main decides).
 * - Not thread-safe: called by the main thread while it is the only one, except
 *   process_drop(), which is safe with other threads running (glibc applies set*id to every
 *   thread).
 */
#ifndef P11DKIM_DAEMON_PROCESS_H
#define P11DKIM_DAEMON_PROCESS_H

#include <stddef.h>
#include <sys/types.h>

/* fork, setsid, fork, chdir /, stdin/stdout/stderr to /dev/null. The parent exits 0 only once
 * the child reports through a pipe that start-up succeeded (process_ready), else 1, so that an
 * init script sees start-up errors. */
int process_daemonise(char *msg, size_t msglen);
/* Tells the waiting parent the outcome (ok = start-up done). No-op without a parent waiting. */
void process_ready(int ok);

/* Writes the pid to path (created 0644, never following a symlink) and keeps it locked
 * (flock) for the life of the process: a stale file from a crash is reused, a file locked by
 * a running daemon is an error naming its pid. */
int process_pidfile_write(const char *path, char *msg, size_t msglen);
/* Removes the pid file, only if this process wrote it. */
void process_pidfile_remove(const char *path);

/* Looks up user (and group, NULL = the user's primary group). */
int process_lookup_user(const char *user, const char *group, uid_t *uid, gid_t *gid, char *msg,
                        size_t msglen);
/* initgroups + setgid + setuid (when user is not NULL), checks that root cannot be regained,
 * then PR_SET_DUMPABLE 0 (always: the process holds the PIN and a logged-in token). */
int process_drop(const char *user, uid_t uid, gid_t gid, char *msg, size_t msglen);

#endif
