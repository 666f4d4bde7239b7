/*
 * dm-send: sends messages to a milter over the real milter protocol (tools/milterclient) and
 * writes what the receiver would see, for the daemon's end-to-end tests.
 *
 * usage: dm-send -s SOCKET -m MESSAGE [-a CLIENT_ADDR] [-u AUTH_USER] [-q QUEUE_ID]
 *                [-b BODY_CHUNK] [-n COUNT] [-o OUT] [-t TIMEOUT_MS] [-x SMFIP_FLAGS]
 *                [-P MTA] [-A SMFIF_ACTIONS] [-D DAEMON_NAME] [-N]
 *
 * Sends MESSAGE COUNT times (default 1) on one connection. Prints one line per message on
 * stdout: "action=X signatures=N reply=TEXT stage=S" (X: c continue, a accept, t tempfail, ...;
 * S: the SMFIC_ command that drew the final answer, E for end of message), followed by
 * "progress=N" when the milter sent N SMFIR_PROGRESS packets for it, and after the last
 * one "elapsed_ms=N". -x withholds protocol flags (hex) from the offer, to act as an MTA
 * without them. -P offers what one MTA offers (mc_opts_mta(): postfix-2 ... postfix-6,
 * sendmail-8.13, sendmail-8.14); -A sets the offered actions (hex); -D the {daemon_name} macro. -o
 * writes the last message with the milter's changes applied (CRLF line ends). Exit 0 when every
 * message got an answer, 1 on a protocol or I/O error, 2 on bad usage.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tools/milterclient/milter_client.h"

static char *
dm_read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t cap = 0, n = 0, r;

	if (f == NULL)
		return NULL;
	for (;;) {
		if (n + 4096 + 1 > cap) {
			char *p = realloc(buf, cap = (cap + 4096) * 2);

			if (p == NULL) {
				free(buf);
				fclose(f);
				return NULL;
			}
			buf = p;
		}
		r = fread(buf + n, 1, cap - n - 1, f);
		if (r == 0)
			break;
		n += r;
	}
	fclose(f);
	buf[n] = '\0';
	*len = n;
	return buf;
}

int
main(int argc, char **argv)
{
	const char *sock = NULL, *msgpath = NULL, *out = NULL;
	const char *rcpts[] = {"rcpt@example.net"};
	struct mc_opts opts;
	struct mc_msg msg;
	struct mc_result res;
	struct mc_conn *conn;
	struct timespec t0, t1;
	char err[512];
	long count = 1, i;
	enum mc_status st;
	int c, rc = 0, new_session = 0;
	FILE *f;

	memset(&msg, 0, sizeof(msg));
	mc_opts_init(&opts);
	msg.client_addr = "127.0.0.1";
	msg.mail_from = "sender@example.com";
	msg.rcpts = rcpts;
	msg.nrcpts = 1;
	while ((c = getopt(argc, argv, "s:m:a:u:q:b:n:o:t:x:P:A:D:N")) != -1) {
		switch (c) {
		case 's':
			sock = optarg;
			break;
		case 'm':
			msgpath = optarg;
			break;
		case 'a':
			msg.client_addr = optarg;
			break;
		case 'u':
			msg.auth_authen = optarg;
			break;
		case 'q':
			msg.queue_id = optarg;
			break;
		case 'b':
			msg.body_chunk = (size_t)strtoul(optarg, NULL, 10);
			break;
		case 'n':
			count = strtol(optarg, NULL, 10);
			break;
		case 'o':
			out = optarg;
			break;
		case 't':
			opts.timeout_ms = (int)strtol(optarg, NULL, 10);
			break;
		case 'x':
			opts.protocol &= ~(uint32_t)strtoul(optarg, NULL, 16);
			break;
		case 'P':
			if (mc_opts_mta(&opts, optarg) != 0) {
				fprintf(stderr, "dm-send: unknown MTA %s\n", optarg);
				return 2;
			}
			break;
		case 'A':
			opts.actions = (uint32_t)strtoul(optarg, NULL, 16);
			break;
		case 'D':
			opts.daemon_name = optarg;
			break;
		case 'N':
			/* As Sendmail: QUIT_NC right after the end of the message (libmilter
			 * ignores it after an ABORT, which Postfix-like clients send). */
			new_session = 1;
			opts.abort_after_message = 0;
			break;
		default:
			return 2;
		}
	}
	if (sock == NULL || msgpath == NULL || count < 1)
		return 2;
	msg.raw = dm_read_file(msgpath, &msg.raw_len);
	if (msg.raw == NULL) {
		fprintf(stderr, "dm-send: cannot read %s\n", msgpath);
		return 2;
	}
	st = milter_client_connect(sock, &opts, &conn, err, sizeof(err));
	if (st != MC_OK) {
		fprintf(stderr, "dm-send: connect %s: %s: %s\n", sock, mc_strerror(st), err);
		return 1;
	}
	mc_result_init(&res);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < count; i++) {
		if (i > 0 && new_session && (st = milter_client_new_session(conn)) != MC_OK) {
			fprintf(stderr, "dm-send: new session: %s: %s\n", mc_strerror(st),
			        milter_client_error(conn));
			rc = 1;
			break;
		}
		st = milter_client_send(conn, &msg, &res);
		if (st != MC_OK) {
			fprintf(stderr, "dm-send: send: %s: %s\n", mc_strerror(st),
			        milter_client_error(conn));
			rc = 1;
			break;
		}
		printf("action=%c signatures=%zu reply=%s stage=%c\n",
		       res.action ? res.action : '0', mc_result_count_added(&res, "DKIM-Signature"),
		       res.reply ? res.reply : "", res.stage ? res.stage : '0');
		if (res.progress > 0)
			printf("progress=%zu\n", res.progress);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (rc == 0)
		printf("elapsed_ms=%ld\n",
		       (t1.tv_sec - t0.tv_sec) * 1000L + (t1.tv_nsec - t0.tv_nsec) / 1000000L);
	if (rc == 0 && out != NULL) {
		f = fopen(out, "wb");
		if (f == NULL || milter_client_apply(conn, &msg, &res, f) != MC_OK) {
			fprintf(stderr, "dm-send: cannot write %s\n", out);
			rc = 1;
		}
		if (f != NULL && fclose(f) != 0)
			rc = 1;
	}
	milter_client_close(conn);
	mc_result_free(&res);
	free((char *)msg.raw);
	return rc;
}
