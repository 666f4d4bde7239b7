/* A scripted fault peer for the milter client tests; see milter-client-peer.h. */
#include "config.h"

#include <libmilter/mfdef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "tests/tools/milter-client-peer.h"

static int
peer_read_full(int fd, void *buf, size_t len)
{
	size_t got = 0;
	ssize_t r;

	while (got < len) {
		r = read(fd, (char *)buf + got, len - got);
		if (r <= 0)
			return -1;
		got += (size_t)r;
	}
	return 0;
}

static int
peer_send(int fd, char cmd, const void *data, size_t len)
{
	unsigned char hdr[5];
	uint32_t n = (uint32_t)len + 1;

	hdr[0] = (unsigned char)(n >> 24);
	hdr[1] = (unsigned char)(n >> 16);
	hdr[2] = (unsigned char)(n >> 8);
	hdr[3] = (unsigned char)n;
	hdr[4] = (unsigned char)cmd;
	if (send(fd, hdr, 5, MSG_NOSIGNAL) != 5)
		return -1;
	if (len > 0 && send(fd, data, len, MSG_NOSIGNAL) != (ssize_t)len)
		return -1;
	return 0;
}

/* Does step cmd get an answer, given the flags the peer asked for? */
static int
peer_answers(const struct peer *p, char cmd)
{
	switch (cmd) {
	case SMFIC_CONNECT:
		return !(p->protocol & p->offered[2] & SMFIP_NR_CONN);
	case SMFIC_HELO:
		return !(p->protocol & p->offered[2] & SMFIP_NR_HELO);
	case SMFIC_MAIL:
		return !(p->protocol & p->offered[2] & SMFIP_NR_MAIL);
	case SMFIC_RCPT:
		return !(p->protocol & p->offered[2] & SMFIP_NR_RCPT);
	case SMFIC_DATA:
		return !(p->protocol & p->offered[2] & SMFIP_NR_DATA);
	case SMFIC_HEADER:
		return !(p->protocol & p->offered[2] & SMFIP_NR_HDR);
	case SMFIC_EOH:
		return !(p->protocol & p->offered[2] & SMFIP_NR_EOH);
	case SMFIC_BODY:
		return !(p->protocol & p->offered[2] & SMFIP_NR_BODY);
	case SMFIC_BODYEOB:
		return 1;
	default:
		return 0; /* macros, abort, quit */
	}
}

/*
 * Random answers: packets with reply codes the client knows (and some it does
 * not), random lengths and bytes, sometimes a broken length; then close.
 */
static int
peer_random(struct peer *p, int fd)
{
	static const char codes[] = "abcdefhilmpqrsty+-24Z";
	unsigned char buf[64];
	unsigned n, i, k, len;

	srand(p->seed);
	n = 1 + (unsigned)rand() % 6;
	for (i = 0; i < n; i++) {
		len = (unsigned)rand() % sizeof(buf);
		for (k = 0; k < len; k++)
			buf[k] = (unsigned char)(rand() % 4 == 0 ? 0 : rand());
		if (rand() % 10 == 0) {
			/* A raw, unframed piece. */
			if (send(fd, buf, len, MSG_NOSIGNAL) != (ssize_t)len)
				return -1;
			continue;
		}
		if (peer_send(fd, codes[(unsigned)rand() % (sizeof(codes) - 1)], buf, len) != 0)
			return -1;
	}
	return -1;
}

/* Answers one step; returns -1 to end the conversation. */
static int
peer_step(struct peer *p, int fd, char cmd)
{
	unsigned char opt[12] = {0, 0, 0, 6, 0, 0, 0x01, 0xff, 0, 0, 0, 0};
	uint32_t want = p->protocol & p->offered[2];
	size_t i;

	if (cmd == SMFIC_OPTNEG) {
		if (p->fault == PEER_BADLEN)
			return send(fd, "\xff\xff\xff\xffO", 5, MSG_NOSIGNAL) == 5 ? 0 : -1;
		if (p->offered[0] < 6)
			opt[3] = (unsigned char)p->offered[0];
		opt[6] = (unsigned char)((p->offered[1] >> 8) & 0x01);
		opt[7] = (unsigned char)(p->offered[1] & 0xff);
		opt[8] = (unsigned char)(want >> 24);
		opt[9] = (unsigned char)(want >> 16);
		opt[10] = (unsigned char)(want >> 8);
		opt[11] = (unsigned char)want;
		return peer_send(fd, SMFIC_OPTNEG, opt, sizeof(opt));
	}
	if (cmd == p->fault_at && p->fault == PEER_CLOSE)
		return -1;
	if (cmd == p->fault_at && p->fault == PEER_SILENT) {
		sleep(2);
		return -1;
	}
	if (cmd == p->fault_at && p->fault == PEER_RANDOM)
		return peer_random(p, fd);
	if (cmd == p->fault_at && p->fault == PEER_BADREPLY)
		return peer_send(fd, 'Z', NULL, 0);
	if (cmd == p->answer_at) {
		for (i = 0; i < p->nanswers; i++)
			if (peer_send(fd, p->answers[i].cmd, p->answers[i].data,
			              p->answers[i].len) != 0)
				return -1;
		return 0;
	}
	if (cmd == SMFIC_QUIT)
		return -1;
	return peer_answers(p, cmd) ? peer_send(fd, SMFIR_CONTINUE, NULL, 0) : 0;
}

static void *
peer_run(void *arg)
{
	struct peer *p = arg;
	struct timeval tv = {5, 0};
	unsigned char hdr[5];
	char *data;
	uint32_t len;
	size_t i;
	int fd;

	if ((fd = accept(p->listen_fd, NULL, NULL)) < 0)
		return NULL;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	for (;;) {
		if (peer_read_full(fd, hdr, 5) != 0)
			break;
		len = ((uint32_t)hdr[0] << 24) | ((uint32_t)hdr[1] << 16) |
		      ((uint32_t)hdr[2] << 8) | hdr[3];
		if (len == 0 || len > 2000000 || (data = malloc(len)) == NULL)
			break;
		if (len > 1 && peer_read_full(fd, data, len - 1) != 0) {
			free(data);
			break;
		}
		if (hdr[4] == SMFIC_OPTNEG && len >= 13) {
			for (i = 0; i < 3; i++) {
				const unsigned char *b = (const unsigned char *)data + 4 * i;

				p->offered[i] = ((uint32_t)b[0] << 24) | ((uint32_t)b[1] << 16) |
				                ((uint32_t)b[2] << 8) | b[3];
			}
		}
		free(data);
		if (p->nseen < sizeof(p->seen) - 1 && hdr[4] != SMFIC_MACRO)
			p->seen[p->nseen++] = (char)hdr[4];
		if (peer_step(p, fd, (char)hdr[4]) != 0)
			break;
	}
	close(fd);
	return NULL;
}

int
peer_start(struct peer *p)
{
	struct sockaddr_un sun;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, p->path, sizeof(sun.sun_path) - 1);
	unlink(p->path);
	p->nseen = 0;
	memset(p->seen, 0, sizeof(p->seen));
	if ((p->listen_fd = socket(AF_UNIX, SOCK_STREAM, 0)) < 0)
		return -1;
	if (bind(p->listen_fd, (struct sockaddr *)&sun, sizeof(sun)) != 0 ||
	    listen(p->listen_fd, 4) != 0) {
		close(p->listen_fd);
		return -1;
	}
	if (pthread_create(&p->tid, NULL, peer_run, p) != 0) {
		close(p->listen_fd);
		return -1;
	}
	return 0;
}

void
peer_wait(struct peer *p)
{
	pthread_join(p->tid, NULL);
	close(p->listen_fd);
	unlink(p->path);
}
