/* signals.c: see signals.h. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "daemon/signals.h"

static int signals_pipe[2] = {-1, -1};

static void
signals_fill(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGHUP);
	sigaddset(set, SIGTERM);
	sigaddset(set, SIGINT);
}

void
signals_block(void)
{
	struct sigaction sa;
	sigset_t set;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
	signals_fill(&set);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
}

static void
signals_handler(int sig)
{
	int saved = errno;
	unsigned char c = (unsigned char)sig;
	ssize_t w;

	/* A full pipe drops the byte: the main thread is already behind on signals of the same
	 * meaning, so nothing is lost. */
	w = write(signals_pipe[1], &c, 1);
	(void)w;
	errno = saved;
}

int
signals_listen(void)
{
	struct sigaction sa;
	sigset_t set;
	int i;

	if (pipe2(signals_pipe, O_CLOEXEC | O_NONBLOCK) != 0)
		return -1;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = signals_handler;
	sa.sa_flags = SA_NODEFER | SA_RESTART;
	sigemptyset(&sa.sa_mask);
	signals_fill(&set);
	for (i = 1; i < NSIG; i++)
		if (sigismember(&set, i) == 1)
			sigaction(i, &sa, NULL);
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);
	return 0;
}

int
signals_thread_create(pthread_t *thread, void *(*fn)(void *), void *arg)
{
	sigset_t set, old;
	int r;

	signals_fill(&set);
	pthread_sigmask(SIG_BLOCK, &set, &old);
	r = pthread_create(thread, NULL, fn, arg);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return r;
}

int
signals_next(int timeout_ms)
{
	struct pollfd pfd = {.fd = signals_pipe[0], .events = POLLIN};
	unsigned char c;
	int n;

	for (;;) {
		n = poll(&pfd, 1, timeout_ms);
		if (n < 0 && errno == EINTR)
			continue; /* the handler just wrote: read it on the next round */
		if (n <= 0)
			return 0;
		if (read(signals_pipe[0], &c, 1) == 1)
			return c;
	}
}

/* See signals.h: binds libmilter's signal thread (mi_signal_thread's sigwait on SIGHUP, SIGTERM
 * and SIGINT) here. The thread keeps the three signals blocked, so the kernel never picks it, and
 * it sleeps until the process exits; the main thread alone decides what a signal means. */
int
sigwait(const sigset_t *set, int *sig)
{
	(void)set;
	(void)sig;
	for (;;)
		pause();
}

