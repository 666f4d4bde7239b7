/*
 * mc_wire: milter protocol framing on one socket (internal to milter_client).
 *
 * Owns two buffers: outgoing packets are collected in the output buffer and
 * written when a reply is awaited (as Postfix's VSTREAM does, so headers the
 * milter does not answer go out in one write); a large body chunk is written
 * straight from the caller's memory. Incoming packets are read into the input
 * buffer; the data pointer that mc_wire_read() returns stays valid until the
 * next call on the same struct. Every read and write is bounded by timeout_ms
 * (SO_RCVTIMEO, SO_SNDTIMEO); writes use MSG_NOSIGNAL. Not thread-safe.
 */
#ifndef P11DKIM_TOOLS_MC_WIRE_H
#define P11DKIM_TOOLS_MC_WIRE_H

#include <stddef.h>
#include <stdint.h>

#include "tools/milterclient/milter_client.h"

/* Largest packet accepted from a milter: 1 MB of data (SMFIP_MDS_1M) + slack. */
#define MC_WIRE_MAX_PACKET (1024 * 1024 + 64)

struct mc_wire {
	int fd;
	int timeout_ms;
	int quickack; /* TCP_QUICKACK after each read */
	unsigned char *obuf;
	size_t olen, ocap;
	unsigned char *ibuf;
	size_t ioff, ilen, icap;
	char err[160];
};

/* Takes ownership of fd (made non-blocking). */
enum mc_status mc_wire_init(struct mc_wire *w, int fd, int timeout_ms, int quickack);
void mc_wire_free(struct mc_wire *w);

/* Appends one packet: cmd and the concatenation of n parts. */
enum mc_status mc_wire_put(struct mc_wire *w, char cmd, const void *const *parts,
                           const size_t *lens, int n);
/* Writes what is buffered, then one packet with data from the caller. */
enum mc_status mc_wire_put_direct(struct mc_wire *w, char cmd, const void *data, size_t len);
enum mc_status mc_wire_flush(struct mc_wire *w);
/* Flushes, then reads one packet. */
enum mc_status mc_wire_read(struct mc_wire *w, char *cmd, const unsigned char **data, size_t *len);

/* Big-endian helpers. */
void mc_wire_put32(unsigned char *p, uint32_t v);
uint32_t mc_wire_get32(const unsigned char *p);

#endif
