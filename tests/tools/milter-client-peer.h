/*
 * A scripted milter peer for the milter client tests: a thread that accepts
 * ONE connection on a unix socket, speaks just enough of the protocol to
 * reach a given step, and then misbehaves (closes, goes silent, sends
 * garbage) or answers with a fixed list of packets. It records the commands
 * it received, one character each ("OCHMRTLLNBE..."), so a test can check
 * that the client skipped what it was told to skip and did not wait for
 * replies it was told not to expect. It is a fault peer, not a stand-in for
 * a real milter: the real ones (OpenDKIM) are driven by the other tests.
 * Like libmilter, it answers option negotiation with the lower of version 6 and the
 * client's, and asks only for protocol flags the client offered.
 */
#ifndef P11DKIM_TESTS_MILTER_CLIENT_PEER_H
#define P11DKIM_TESTS_MILTER_CLIENT_PEER_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

enum peer_fault {
	PEER_NONE,     /* answer every step that wants an answer with 'c' */
	PEER_CLOSE,    /* close the connection on receiving fault_at */
	PEER_SILENT,   /* stop answering on receiving fault_at (keep the socket) */
	PEER_BADLEN,   /* answer OPTNEG with an impossible packet length */
	PEER_BADREPLY, /* answer fault_at with an unknown reply code */
	PEER_RANDOM,   /* answer fault_at with random packets (seed), then close */
};

struct peer_packet {
	char cmd;
	const char *data;
	size_t len;
};

struct peer {
	/* set by the test */
	char path[108];
	uint32_t protocol; /* SMFIP_ flags the peer asks for */
	enum peer_fault fault;
	char fault_at;  /* SMFIC_ command that triggers the fault */
	char answer_at; /* SMFIC_ command answered with answers[] instead of 'c' */
	const struct peer_packet *answers;
	size_t nanswers;
	unsigned seed; /* for PEER_RANDOM */
	/* filled by the peer */
	uint32_t offered[3]; /* the client's SMFIC_OPTNEG: version, actions, protocol */
	char seen[256];
	size_t nseen;
	int listen_fd;
	pthread_t tid;
};

/* Binds the socket and starts the thread; returns 0 or -1. */
int peer_start(struct peer *p);
/* Waits for the thread (it ends when the client closes) and closes the socket. */
void peer_wait(struct peer *p);

/* The Check test case of the peer-driven tests (milter-client-check-peer.c). */
#include <check.h>
TCase *peer_tcase(void);

#endif
