/* process.c: see process.h. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#ifdef HAVE_LIBSYSTEMD
#include <systemd/sd-daemon.h>
#endif

#include "daemon/process.h"

static int process_ready_fd = -1;

int
process_daemonise(char *msg, size_t msglen)
{
	int p[2], fd;
	pid_t pid;
	char ok;

	if (pipe(p) != 0) {
		snprintf(msg, msglen, "pipe: %s", strerror(errno));
		return -1;
	}
	pid = fork();
	if (pid < 0) {
		snprintf(msg, msglen, "fork: %s", strerror(errno));
		return -1;
	}
	if (pid > 0) {
		/* The parent waits for the daemon's verdict so that start-up errors reach the
		 * caller's exit status. */
		close(p[1]);
		if (read(p[0], &ok, 1) == 1 && ok == 1)
			_exit(0);
		_exit(1);
	}
	close(p[0]);
	if (setsid() < 0) {
		snprintf(msg, msglen, "setsid: %s", strerror(errno));
		return -1;
	}
	pid = fork();
	if (pid < 0) {
		snprintf(msg, msglen, "fork: %s", strerror(errno));
		return -1;
	}
	if (pid > 0)
		_exit(0);
	process_ready_fd = p[1];
	if (chdir("/") != 0) {
		snprintf(msg, msglen, "chdir /: %s", strerror(errno));
		return -1;
	}
	fd = open("/dev/null", O_RDWR);
	if (fd < 0) {
		snprintf(msg, msglen, "/dev/null: %s", strerror(errno));
		return -1;
	}
	dup2(fd, STDIN_FILENO);
	dup2(fd, STDOUT_FILENO);
	dup2(fd, STDERR_FILENO);
	if (fd > STDERR_FILENO)
		close(fd);
	return 0;
}

void
process_ready(int ok)
{
	char c = ok ? 1 : 0;
	ssize_t w;

#ifdef HAVE_LIBSYSTEMD
	/* Under systemd (Type=notify, run with -f) the unit is started once we serve. Without
	 * NOTIFY_SOCKET this does nothing. */
	if (ok)
		(void)sd_notify(0, "READY=1");
#endif
	if (process_ready_fd < 0)
		return;
	w = write(process_ready_fd, &c, 1);
	(void)w; /* the parent may be gone; nothing to do then */
	close(process_ready_fd);
	process_ready_fd = -1;
}

/* The pid file this process wrote and holds locked; -1 when none. */
static int process_pidfile_fd = -1;

int
process_pidfile_write(const char *path, char *msg, size_t msglen)
{
	char buf[32];
	ssize_t got;
	int fd, n;

	/* One daemon per pid file: the lock lives as long as the process (or its descriptor),
	 * so a stale file from a crash is taken over and a live daemon's is not. */
	fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0) {
		snprintf(msg, msglen, "pid file %s: %s", path, strerror(errno));
		return -1;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		got = read(fd, buf, sizeof(buf) - 1);
		buf[got > 0 ? got : 0] = '\0';
		buf[strcspn(buf, "\n")] = '\0';
		snprintf(msg, msglen,
		         "pid file %s: locked by a running p11dkim%s%s%s: refusing to "
		         "start a second one",
		         path, buf[0] ? " (pid " : "", buf, buf[0] ? ")" : "");
		close(fd);
		return -1;
	}
	n = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) != 0 || write(fd, buf, (size_t)n) != n) {
		snprintf(msg, msglen, "pid file %s: %s", path, strerror(errno));
		(void)unlink(path);
		close(fd);
		return -1;
	}
	process_pidfile_fd = fd;
	return 0;
}

void
process_pidfile_remove(const char *path)
{
	/* Only our own: after a refused start the file belongs to the running daemon. */
	if (path == NULL || process_pidfile_fd < 0)
		return;
	(void)unlink(path);
	close(process_pidfile_fd);
	process_pidfile_fd = -1;
}

int
process_lookup_user(const char *user, const char *group, uid_t *uid, gid_t *gid, char *msg,
                    size_t msglen)
{
	struct passwd *pw;
	struct group *gr;

	errno = 0;
	pw = getpwnam(user);
	if (pw == NULL) {
		snprintf(msg, msglen, "user \"%s\": %s", user, errno ? strerror(errno) : "unknown");
		return -1;
	}
	*uid = pw->pw_uid;
	*gid = pw->pw_gid;
	if (group != NULL) {
		errno = 0;
		gr = getgrnam(group);
		if (gr == NULL) {
			snprintf(msg, msglen, "group \"%s\": %s", group,
			         errno ? strerror(errno) : "unknown");
			return -1;
		}
		*gid = gr->gr_gid;
	}
	return 0;
}

int
process_drop(const char *user, uid_t uid, gid_t gid, char *msg, size_t msglen)
{
	if (user != NULL && (getuid() != uid || geteuid() != uid)) {
		if (initgroups(user, gid) != 0) {
			snprintf(msg, msglen, "initgroups %s: %s", user, strerror(errno));
			return -1;
		}
		if (setgid(gid) != 0) {
			snprintf(msg, msglen, "setgid %ld: %s", (long)gid, strerror(errno));
			return -1;
		}
		if (setuid(uid) != 0) {
			snprintf(msg, msglen, "setuid %ld: %s", (long)uid, strerror(errno));
			return -1;
		}
		if (uid != 0 && (setuid(0) == 0 || seteuid(0) == 0)) {
			snprintf(msg, msglen, "could regain root after dropping to %s", user);
			return -1;
		}
	}
	/* No core file and no ptrace by the same user: memory holds the PIN and token state. */
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0) {
		snprintf(msg, msglen, "prctl(PR_SET_DUMPABLE): %s", strerror(errno));
		return -1;
	}
	return 0;
}
