/* mc_sock: milter socket specifications and connecting; see mc_sock.h. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "tools/milterclient/mc_sock.h"

/* Connects fd to addr, waiting at most timeout_ms; fd is left non-blocking. */
static int
mc_sock_connect_fd(int fd, const struct sockaddr *addr, socklen_t alen, int timeout_ms)
{
	struct pollfd p;
	int fl, soerr = 0, n;
	socklen_t slen = sizeof(soerr);

	fl = fcntl(fd, F_GETFL);
	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
		return errno;
	if (connect(fd, addr, alen) == 0)
		return 0;
	if (errno != EINPROGRESS && errno != EAGAIN)
		return errno;
	p.fd = fd;
	p.events = POLLOUT;
	do
		n = poll(&p, 1, timeout_ms);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return errno;
	if (n == 0)
		return ETIMEDOUT;
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &slen) < 0)
		return errno;
	return soerr;
}

static enum mc_status
mc_sock_unix(const char *path, int timeout_ms, int *fd, char *err, size_t errlen)
{
	struct sockaddr_un sun;
	int s, e;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (*path == '\0' || strlen(path) >= sizeof(sun.sun_path)) {
		snprintf(err, errlen, "unix socket path empty or too long");
		return MC_ERR_SPEC;
	}
	memcpy(sun.sun_path, path, strlen(path) + 1);
	if ((s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return MC_ERR_CONNECT;
	}
	if ((e = mc_sock_connect_fd(s, (struct sockaddr *)&sun, sizeof(sun), timeout_ms)) != 0) {
		snprintf(err, errlen, "connect unix:%s: %s", path, strerror(e));
		close(s);
		return e == ETIMEDOUT ? MC_ERR_TIMEOUT : MC_ERR_CONNECT;
	}
	*fd = s;
	return MC_OK;
}

static enum mc_status
mc_sock_inet(const char *rest, int family, int timeout_ms, int *fd, char *err, size_t errlen)
{
	char port[16], host[256];
	const char *at = strchr(rest, '@');
	struct addrinfo hints, *res = NULL, *ai;
	size_t plen, hlen;
	int s = -1, e = 0, gai;

	if (at == NULL || (plen = (size_t)(at - rest)) == 0 || plen >= sizeof(port) ||
	    (hlen = strlen(at + 1)) == 0 || hlen >= sizeof(host)) {
		snprintf(err, errlen, "expected inet:port@host");
		return MC_ERR_SPEC;
	}
	memcpy(port, rest, plen);
	port[plen] = '\0';
	memcpy(host, at + 1, hlen + 1);
	if (host[0] == '[' && host[hlen - 1] == ']') {
		memmove(host, host + 1, hlen - 2);
		host[hlen - 2] = '\0';
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = family;
	hints.ai_socktype = SOCK_STREAM;
	if ((gai = getaddrinfo(host, port, &hints, &res)) != 0) {
		snprintf(err, errlen, "%s port %s: %s", host, port, gai_strerror(gai));
		return MC_ERR_CONNECT;
	}
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		s = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
		if (s < 0) {
			e = errno;
			continue;
		}
		if ((e = mc_sock_connect_fd(s, ai->ai_addr, ai->ai_addrlen, timeout_ms)) == 0)
			break;
		close(s);
		s = -1;
	}
	freeaddrinfo(res);
	if (s < 0) {
		snprintf(err, errlen, "connect %s port %s: %s", host, port, strerror(e));
		return e == ETIMEDOUT ? MC_ERR_TIMEOUT : MC_ERR_CONNECT;
	}
	*fd = s;
	return MC_OK;
}

enum mc_status
mc_sock_connect(const char *spec, int timeout_ms, int *fd, int *is_tcp, char *err, size_t errlen)
{
	*fd = -1;
	*is_tcp = 0;
	if (spec == NULL) {
		snprintf(err, errlen, "no socket given");
		return MC_ERR_SPEC;
	}
	if (strncmp(spec, "unix:", 5) == 0)
		return mc_sock_unix(spec + 5, timeout_ms, fd, err, errlen);
	if (strncmp(spec, "local:", 6) == 0)
		return mc_sock_unix(spec + 6, timeout_ms, fd, err, errlen);
	if (spec[0] == '/')
		return mc_sock_unix(spec, timeout_ms, fd, err, errlen);
	*is_tcp = 1;
	if (strncmp(spec, "inet:", 5) == 0)
		return mc_sock_inet(spec + 5, AF_INET, timeout_ms, fd, err, errlen);
	if (strncmp(spec, "inet6:", 6) == 0)
		return mc_sock_inet(spec + 6, AF_INET6, timeout_ms, fd, err, errlen);
	*is_tcp = 0;
	snprintf(err, errlen,
	         "socket \"%.60s\": expected unix:PATH, inet:PORT@HOST or "
	         "inet6:PORT@HOST",
	         spec);
	return MC_ERR_SPEC;
}
