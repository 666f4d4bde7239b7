/* listen.c: see listen.h. */
#include "config.h"

#include <errno.h>
#include <libmilter/mfapi.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "daemon/listen.h"
#include "daemon/log.h"

int
listen_nodelay(void)
{
	struct rlimit rl;
	int fd, max, n = 0, on = 1, acc;
	struct sockaddr_storage ss;
	socklen_t len;
	struct stat st;

	/* libmilter keeps its listening descriptor private: find it among ours. */
	max = 1024;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
	    rl.rlim_cur < 65536)
		max = (int)rl.rlim_cur;
	for (fd = 0; fd < max; fd++) {
		if (fstat(fd, &st) != 0 || !S_ISSOCK(st.st_mode))
			continue;
		len = sizeof(acc);
		if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &acc, &len) != 0 || !acc)
			continue;
		len = sizeof(ss);
		if (getsockname(fd, (struct sockaddr *)&ss, &len) != 0 ||
		    (ss.ss_family != AF_INET && ss.ss_family != AF_INET6))
			continue;
		if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on)) == 0) {
			log_info("TCP_NODELAY set on the listening socket (fd %d)", fd);
			n++;
		} else
			log_warn("TCP_NODELAY on fd %d: %s", fd, strerror(errno));
	}
	return n;
}

void
listen_count_nodelay(int *on, int *all)
{
	int fd, v, type;
	struct sockaddr_storage ss;
	socklen_t len;
	struct stat st;

	*on = *all = 0;
	for (fd = 0; fd < 1024; fd++) {
		if (fstat(fd, &st) != 0 || !S_ISSOCK(st.st_mode))
			continue;
		len = sizeof(type);
		if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) != 0 || type != SOCK_STREAM)
			continue;
		len = sizeof(v);
		if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &v, &len) != 0 || v)
			continue;
		len = sizeof(ss);
		if (getpeername(fd, (struct sockaddr *)&ss, &len) != 0 ||
		    (ss.ss_family != AF_INET && ss.ss_family != AF_INET6))
			continue;
		(*all)++;
		len = sizeof(v);
		if (getsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &v, &len) == 0 && v)
			(*on)++;
	}
}

int
listen_open(const struct conf *conf, bool chown_socket, uid_t uid, gid_t gid, char *msg,
            size_t msglen)
{
	mode_t old;
	int r;

	if (smfi_setconn(conf->socket) != MI_SUCCESS) {
		snprintf(msg, msglen, "socket %s: libmilter refused it", conf->socket);
		return -1;
	}
	old = umask((mode_t)conf->socket_umask);
	errno = 0;
	r = smfi_opensocket(true);
	umask(old);
	if (r != MI_SUCCESS) {
		snprintf(msg, msglen, "socket %s: cannot listen%s%s", conf->socket,
		         errno != 0 ? ": " : "", errno != 0 ? strerror(errno) : "");
		return -1;
	}
	if (conf->socket_kind == CONF_SOCKET_UNIX) {
		if (chown_socket && chown(conf->socket_path, uid, gid) != 0) {
			snprintf(msg, msglen, "socket %s: chown: %s", conf->socket_path,
			         strerror(errno));
			return -1;
		}
	} else if (listen_nodelay() == 0)
		log_warn("no listening TCP socket found to set TCP_NODELAY on");
	return 0;
}
