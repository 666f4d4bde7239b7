/* listen.c: see listen.h. */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <libmilter/mfapi.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
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
		if (chown_socket &&
		    listen_chown_socket(conf->socket_path, uid, gid, msg, msglen) != 0)
			return -1;
	} else if (listen_nodelay() == 0)
		log_warn("no listening TCP socket found to set TCP_NODELAY on");
	return 0;
}

int
listen_chown_socket(const char *path, uid_t uid, gid_t gid, char *msg, size_t msglen)
{
	struct stat st;
	int fd, r = -1;

	fd = open(path, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		snprintf(msg, msglen, "socket %s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) != 0)
		snprintf(msg, msglen, "socket %s: %s", path, strerror(errno));
	else if (!S_ISSOCK(st.st_mode))
		snprintf(msg, msglen,
		         "socket %s: not a socket (replaced after bind?): not changing "
		         "its owner",
		         path);
	else if (fchownat(fd, "", uid, gid, AT_EMPTY_PATH) != 0)
		snprintf(msg, msglen, "socket %s: chown: %s", path, strerror(errno));
	else
		r = 0;
	close(fd);
	return r;
}

bool
listen_exposed(const struct conf *conf, char *why, size_t len)
{
	struct in_addr a4;
	struct in6_addr a6;
	const char *h = conf->socket_host;

	if (conf->socket_kind == CONF_SOCKET_UNIX)
		return false;
	if (h == NULL) {
		snprintf(why, len, "socket %s listens on every address", conf->socket);
		return true;
	}
	if (strcasecmp(h, "localhost") == 0)
		return false;
	if (inet_pton(AF_INET, h, &a4) == 1 && (ntohl(a4.s_addr) >> 24) == 127)
		return false;
	if (inet_pton(AF_INET6, h, &a6) == 1 && IN6_IS_ADDR_LOOPBACK(&a6))
		return false;
	snprintf(why, len, "socket %s is not on a loopback address", conf->socket);
	return true;
}

int
listen_in_use(const struct conf *conf, char *msg, size_t msglen)
{
	struct sockaddr_un sun;
	int fd, r;

	if (conf->socket_kind != CONF_SOCKET_UNIX ||
	    strlen(conf->socket_path) >= sizeof(sun.sun_path))
		return 0;
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, conf->socket_path, strlen(conf->socket_path));
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return 0;
	r = connect(fd, (struct sockaddr *)&sun, sizeof(sun));
	close(fd);
	if (r != 0)
		return 0; /* nothing there, or a stale socket that libmilter may replace */
	snprintf(msg, msglen,
	         "socket %s: another process accepts connections on it (a p11dkim "
	         "already running?): refusing to take it over",
	         conf->socket_path);
	return -1;
}
