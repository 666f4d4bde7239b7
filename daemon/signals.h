/*
 * signals.h: SIGHUP (reload) and SIGTERM/SIGINT (stop) for the main thread only.
 *
 * Why not sigwait: libmilter starts its own signal thread (from smfi_main) that sigwaits on
 * SIGHUP, SIGTERM and SIGINT and STOPS the milter on SIGHUP. The kernel gives a process-directed
 * signal to the main thread first when that thread "wants" it (not blocked). A main thread in
 * sigwait only wants it while it sits in sigwait: a SIGHUP arriving while it reloads would go to
 * libmilter's thread. So the main thread keeps the three signals unblocked for good, with a
 * handler that runs with SA_NODEFER (the signal stays unblocked even inside the handler) and
 * only writes the signal number to a pipe; every other thread has them blocked (inherited from
 * signals_block()). The main thread reads the pipe.
 *
 * That alone is not enough: the kernel also passes over a main thread that is asleep with a
 * signal already pending (a SIGTERM right behind a SIGHUP), and a signal pending while the main
 * thread briefly blocks it (signals_thread_create) can be dequeued by any sigwait. CI saw an
 * early SIGHUP stop the daemon that way. So signals.c also defines sigwait() itself: libmilter's
 * call binds to it (the executable's symbol comes first), and its signal thread sleeps with the
 * signals blocked until the process ends, never taking one. Nothing else in p11dkim sigwaits.
 *
 * Contract
 * - signals_block() first, in the main thread, before any thread exists (the token's and
 *   libmilter's threads inherit the mask); it also ignores SIGPIPE.
 * - signals_listen() before the milter thread starts: installs the handlers and unblocks the
 *   signals in the main thread, so that a signal that came during start-up (SIGHUP while a
 *   network HSM logs in) is taken by the handler at once, never by libmilter's sigwait.
 *   Returns -1 if the pipe cannot be made.
 * - signals_thread_create() starts a thread with the three signals blocked, whatever the
 *   caller's mask: libmilter's threads (and its signal thread) must never receive them.
 * - signals_next() waits up to timeout_ms (-1 = forever) and returns the next signal number, or
 *   0 on timeout. Main thread only.
 */
#ifndef P11DKIM_DAEMON_SIGNALS_H
#define P11DKIM_DAEMON_SIGNALS_H

#include <pthread.h>

void signals_block(void);
int signals_listen(void);
int signals_thread_create(pthread_t *thread, void *(*fn)(void *), void *arg);
int signals_next(int timeout_ms);

#endif
