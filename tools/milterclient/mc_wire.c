/* mc_wire: milter protocol framing with timeouts; see mc_wire.h. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/time.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "tools/milterclient/mc_wire.h"

void
mc_wire_put32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
}

uint32_t
mc_wire_get32(const unsigned char *p)
{
	return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) |
	       (uint32_t)p[3];
}

enum mc_status
mc_wire_init(struct mc_wire *w, int fd, int timeout_ms, int quickack)
{
	struct timeval tv;
	int fl;

	memset(w, 0, sizeof(*w));
	w->fd = fd;
	w->timeout_ms = timeout_ms > 0 ? timeout_ms : 10000;
	w->quickack = quickack;
	/*
	 * A blocking socket with kernel timeouts: one system call per read or
	 * write, where non-blocking I/O would need a poll() and a failed read
	 * for most replies (this program must cost far less than the milter).
	 */
	tv.tv_sec = w->timeout_ms / 1000;
	tv.tv_usec = (w->timeout_ms % 1000) * 1000;
	fl = fcntl(fd, F_GETFL);
	if (fl < 0 || fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) < 0) {
		snprintf(w->err, sizeof(w->err), "socket options: %s", strerror(errno));
		return MC_ERR_IO;
	}
	w->ocap = 16384;
	w->icap = 65536;
	w->obuf = malloc(w->ocap);
	w->ibuf = malloc(w->icap);
	if (w->obuf == NULL || w->ibuf == NULL)
		return MC_ERR_NOMEM;
	return MC_OK;
}

void
mc_wire_free(struct mc_wire *w)
{
	if (w->fd >= 0)
		close(w->fd);
	w->fd = -1;
	free(w->obuf);
	free(w->ibuf);
	w->obuf = w->ibuf = NULL;
}

static enum mc_status
mc_wire_timeout(struct mc_wire *w, const char *what)
{
	snprintf(w->err, sizeof(w->err), "no %s within %d ms", what, w->timeout_ms);
	return MC_ERR_TIMEOUT;
}

static enum mc_status
mc_wire_writev(struct mc_wire *w, struct iovec *iov, int n)
{
	struct msghdr mh;
	ssize_t r;

	while (n > 0) {
		memset(&mh, 0, sizeof(mh));
		mh.msg_iov = iov;
		mh.msg_iovlen = (size_t)n;
		r = sendmsg(w->fd, &mh, MSG_NOSIGNAL);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return mc_wire_timeout(w, "progress writing");
			snprintf(w->err, sizeof(w->err), "write: %s", strerror(errno));
			return errno == EPIPE || errno == ECONNRESET ? MC_ERR_CLOSED : MC_ERR_IO;
		}
		/* Short write: drop what went out and go on with the rest. */
		while (n > 0 && (size_t)r >= iov->iov_len) {
			r -= (ssize_t)iov->iov_len;
			iov++;
			n--;
		}
		if (n > 0) {
			iov->iov_base = (char *)iov->iov_base + r;
			iov->iov_len -= (size_t)r;
		}
	}
	return MC_OK;
}

enum mc_status
mc_wire_flush(struct mc_wire *w)
{
	struct iovec iov;
	enum mc_status st;

	if (w->olen == 0)
		return MC_OK;
	iov.iov_base = w->obuf;
	iov.iov_len = w->olen;
	st = mc_wire_writev(w, &iov, 1);
	w->olen = 0;
	return st;
}

enum mc_status
mc_wire_put(struct mc_wire *w, char cmd, const void *const *parts, const size_t *lens, int n)
{
	size_t total = 1, need;
	unsigned char *p;
	int i;

	for (i = 0; i < n; i++) {
		if (lens[i] > MC_WIRE_MAX_PACKET)
			return MC_ERR_MESSAGE;
		total += lens[i];
	}
	if (total > MC_WIRE_MAX_PACKET)
		return MC_ERR_MESSAGE;
	need = w->olen + 4 + total;
	if (need > w->ocap) {
		size_t cap = w->ocap;

		while (cap < need)
			cap *= 2;
		if ((p = realloc(w->obuf, cap)) == NULL)
			return MC_ERR_NOMEM;
		w->obuf = p;
		w->ocap = cap;
	}
	p = w->obuf + w->olen;
	mc_wire_put32(p, (uint32_t)total);
	p[4] = (unsigned char)cmd;
	p += 5;
	for (i = 0; i < n; i++) {
		if (lens[i] > 0)
			memcpy(p, parts[i], lens[i]);
		p += lens[i];
	}
	w->olen = need;
	return MC_OK;
}

enum mc_status
mc_wire_put_direct(struct mc_wire *w, char cmd, const void *data, size_t len)
{
	unsigned char hdr[5];
	struct iovec iov[3];
	int n = 0;
	enum mc_status st;

	if (len >= MC_WIRE_MAX_PACKET)
		return MC_ERR_MESSAGE;
	mc_wire_put32(hdr, (uint32_t)(len + 1));
	hdr[4] = (unsigned char)cmd;
	if (w->olen > 0) {
		iov[n].iov_base = w->obuf;
		iov[n++].iov_len = w->olen;
	}
	iov[n].iov_base = hdr;
	iov[n++].iov_len = sizeof(hdr);
	if (len > 0) {
		iov[n].iov_base = (void *)(uintptr_t)data;
		iov[n++].iov_len = len;
	}
	st = mc_wire_writev(w, iov, n);
	w->olen = 0;
	return st;
}

/* Reads more bytes into the input buffer (at least one), within the timeout. */
static enum mc_status
mc_wire_fill(struct mc_wire *w, size_t want)
{
	ssize_t r;
	int one = 1;

	if (w->ioff > 0) {
		memmove(w->ibuf, w->ibuf + w->ioff, w->ilen - w->ioff);
		w->ilen -= w->ioff;
		w->ioff = 0;
	}
	if (want > w->icap) {
		unsigned char *p = realloc(w->ibuf, want);

		if (p == NULL)
			return MC_ERR_NOMEM;
		w->ibuf = p;
		w->icap = want;
	}
	for (;;) {
		r = recv(w->fd, w->ibuf + w->ilen, w->icap - w->ilen, 0);
		if (r > 0)
			break;
		if (r == 0) {
			snprintf(w->err, sizeof(w->err), "milter closed the connection");
			return MC_ERR_CLOSED;
		}
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return mc_wire_timeout(w, "reply");
		snprintf(w->err, sizeof(w->err), "read: %s", strerror(errno));
		return errno == ECONNRESET ? MC_ERR_CLOSED : MC_ERR_IO;
	}
	w->ilen += (size_t)r;
	/* Linux turns quick-ACK mode off again by itself: re-arm after each read. */
	if (w->quickack)
		(void)setsockopt(w->fd, IPPROTO_TCP, TCP_QUICKACK, &one, sizeof(one));
	return MC_OK;
}

enum mc_status
mc_wire_read(struct mc_wire *w, char *cmd, const unsigned char **data, size_t *len)
{
	enum mc_status st;
	uint32_t plen;

	if ((st = mc_wire_flush(w)) != MC_OK)
		return st;
	while (w->ilen - w->ioff < 4)
		if ((st = mc_wire_fill(w, 4)) != MC_OK)
			return st;
	plen = mc_wire_get32(w->ibuf + w->ioff);
	if (plen == 0 || plen > MC_WIRE_MAX_PACKET) {
		snprintf(w->err, sizeof(w->err), "bad packet length %lu", (unsigned long)plen);
		return MC_ERR_PROTO;
	}
	while (w->ilen - w->ioff < 4 + (size_t)plen)
		if ((st = mc_wire_fill(w, 4 + (size_t)plen)) != MC_OK)
			return st;
	*cmd = (char)w->ibuf[w->ioff + 4];
	*data = w->ibuf + w->ioff + 5;
	*len = plen - 1;
	w->ioff += 4 + (size_t)plen;
	if (w->ioff == w->ilen)
		w->ioff = w->ilen = 0;
	return MC_OK;
}
