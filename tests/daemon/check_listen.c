/*
 * tests/daemon/check_listen.c: who can reach the socket and who owns it, and one daemon per
 * pid file (daemon/listen.c, daemon/process.c; issue 16: M1, M6, L12). Real files, sockets and
 * locks in a temporary directory; no daemon.
 */
#include "config.h"

#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "config/conf.h"
#include "daemon/listen.h"
#include "daemon/process.h"
#include "tests/lib/check_main.h"

static char dir[64];

static void
dir_make(void)
{
	snprintf(dir, sizeof(dir), "/tmp/check-listen.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void
dir_remove(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
}

static const struct {
	enum conf_socket_kind kind;
	const char *host;
	int exposed;
} exposed_cases[] = {
    {CONF_SOCKET_UNIX, NULL, 0},           {CONF_SOCKET_INET, NULL, 1},
    {CONF_SOCKET_INET, "127.0.0.1", 0},    {CONF_SOCKET_INET, "127.9.8.7", 0},
    {CONF_SOCKET_INET, "localhost", 0},    {CONF_SOCKET_INET, "LocalHost", 0},
    {CONF_SOCKET_INET, "10.0.0.1", 1},     {CONF_SOCKET_INET, "0.0.0.0", 1},
    {CONF_SOCKET_INET, "mail.example", 1}, {CONF_SOCKET_INET6, "::1", 0},
    {CONF_SOCKET_INET6, "::", 1},          {CONF_SOCKET_INET6, NULL, 1},
};

START_TEST(test_exposed)
{
	struct conf c;
	char why[256] = "";

	memset(&c, 0, sizeof(c));
	c.socket = "test";
	c.socket_kind = exposed_cases[_i].kind;
	c.socket_host = (char *)exposed_cases[_i].host;
	ck_assert_int_eq(listen_exposed(&c, why, sizeof(why)), exposed_cases[_i].exposed);
	if (exposed_cases[_i].exposed)
		ck_assert_ptr_nonnull(strstr(why, "socket test "));
}
END_TEST

static int
bind_unix(const char *path)
{
	struct sockaddr_un sun;
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	ck_assert_int_ge(fd, 0);
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	return fd;
}

/* The socket swapped for a symlink to another file between bind and chown: refused, and the
 * link's target keeps its owner. A real socket is changed. */
START_TEST(test_chown_no_symlink)
{
	char sock[128], target[128], msg[256];
	struct stat st;
	int fd;

	dir_make();
	snprintf(sock, sizeof(sock), "%s/p.sock", dir);
	snprintf(target, sizeof(target), "%s/shadow", dir);
	fd = open(target, O_CREAT | O_WRONLY, 0600);
	ck_assert_int_ge(fd, 0);
	close(fd);
	ck_assert_int_eq(symlink(target, sock), 0);
	ck_assert_int_eq(listen_chown_socket(sock, 12345, 12345, msg, sizeof(msg)), -1);
	ck_assert_ptr_nonnull(strstr(msg, sock));
	ck_assert_int_eq(stat(target, &st), 0);
	ck_assert_uint_eq(st.st_uid, getuid());
	/* A regular file in its place: refused too. */
	ck_assert_int_eq(unlink(sock), 0);
	ck_assert_int_eq(rename(target, sock), 0);
	ck_assert_int_eq(listen_chown_socket(sock, 12345, 12345, msg, sizeof(msg)), -1);
	ck_assert_ptr_nonnull(strstr(msg, "not a socket"));
	ck_assert_int_eq(unlink(sock), 0);
	/* The real socket: given to our own uid and gid (allowed without root). */
	fd = bind_unix(sock);
	ck_assert_int_eq(listen_chown_socket(sock, getuid(), getgid(), msg, sizeof(msg)), 0);
	close(fd);
	dir_remove();
}
END_TEST

/* A socket someone listens on is in use; a stale one (nobody listening) and a missing one are
 * not; inet sockets are left to bind. */
START_TEST(test_in_use)
{
	struct conf c;
	char sock[128], msg[256];
	int fd;

	dir_make();
	snprintf(sock, sizeof(sock), "%s/p.sock", dir);
	memset(&c, 0, sizeof(c));
	c.socket_kind = CONF_SOCKET_UNIX;
	c.socket_path = sock;
	ck_assert_int_eq(listen_in_use(&c, msg, sizeof(msg)), 0);
	fd = bind_unix(sock);
	ck_assert_int_eq(listen_in_use(&c, msg, sizeof(msg)), 0); /* bound, not listening */
	ck_assert_int_eq(listen(fd, 1), 0);
	ck_assert_int_eq(listen_in_use(&c, msg, sizeof(msg)), -1);
	ck_assert_ptr_nonnull(strstr(msg, "another process accepts connections"));
	close(fd);
	ck_assert_int_eq(listen_in_use(&c, msg, sizeof(msg)), 0); /* stale */
	c.socket_kind = CONF_SOCKET_INET;
	ck_assert_int_eq(listen_in_use(&c, msg, sizeof(msg)), 0);
	dir_remove();
}
END_TEST

/* The pid file is locked while held: a second writer (another open file description, as a
 * second daemon would have) is refused with the holder's pid and removes nothing. */
START_TEST(test_pidfile_lock)
{
	char path[128], msg[256], want[64], buf[32] = "";
	int fd, lockfd;
	ssize_t n;

	dir_make();
	snprintf(path, sizeof(path), "%s/p.pid", dir);
	/* A stale file from a crash is taken over. */
	fd = open(path, O_CREAT | O_WRONLY, 0644);
	ck_assert_int_eq(write(fd, "999999\n", 7), 7);
	close(fd);
	ck_assert_int_eq(process_pidfile_write(path, msg, sizeof(msg)), 0);
	fd = open(path, O_RDONLY);
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	ck_assert_int_gt(n, 0);
	snprintf(want, sizeof(want), "%ld\n", (long)getpid());
	ck_assert_str_eq(buf, want);
	/* A second daemon: its own descriptor, the same file. */
	ck_assert_int_eq(process_pidfile_write(path, msg, sizeof(msg)), -1);
	snprintf(want, sizeof(want), "locked by a running p11dkim (pid %ld)", (long)getpid());
	ck_assert_ptr_nonnull(strstr(msg, want));
	ck_assert_int_eq(access(path, F_OK), 0);
	process_pidfile_remove(path);
	ck_assert_int_eq(access(path, F_OK), -1);
	/* Held by someone else: refused, and remove leaves that file alone. */
	lockfd = open(path, O_CREAT | O_RDWR, 0644);
	ck_assert_int_eq(flock(lockfd, LOCK_EX), 0);
	ck_assert_int_eq(process_pidfile_write(path, msg, sizeof(msg)), -1);
	process_pidfile_remove(path);
	ck_assert_int_eq(access(path, F_OK), 0);
	close(lockfd);
	dir_remove();
}
END_TEST

static Suite *
listen_suite(void)
{
	Suite *s = suite_create("listen");
	TCase *tc = tcase_create("socket");

	tcase_add_loop_test(tc, test_exposed, 0, sizeof(exposed_cases) / sizeof(exposed_cases[0]));
	tcase_add_test(tc, test_chown_no_symlink);
	tcase_add_test(tc, test_in_use);
	suite_add_tcase(s, tc);
	tc = tcase_create("pidfile");
	tcase_add_test(tc, test_pidfile_lock);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return check_run(listen_suite(), NULL);
}
