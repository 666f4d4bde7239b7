/*
 * mc_message: a message parsed once for the milter protocol (internal to
 * milter_client). Owns one byte store holding, per header field, the
 * "name\0value\0" pair as Postfix sends it (value with its leading whitespace,
 * folded lines joined by a bare LF), the header block with CRLF line ends (for
 * mc_apply), the body with CRLF line ends, and the envelope arguments
 * ("<sender>", "<rcpt>"). The struct mc_msg it was made from is copied
 * shallowly: its strings must outlive the struct mc_prepared.
 */
#ifndef P11DKIM_TOOLS_MC_MESSAGE_H
#define P11DKIM_TOOLS_MC_MESSAGE_H

#include <stddef.h>

#include "tools/milterclient/milter_client.h"

struct mc_hdr {
	size_t name_off; /* in store: name, NUL-terminated */
	size_t name_len;
	size_t value_off; /* in store: value (leading whitespace kept), NUL-terminated */
	size_t value_len;
	size_t crlf_off; /* in store: the whole field as received, CRLF line ends */
	size_t crlf_len;
};

struct mc_prepared {
	struct mc_msg msg; /* shallow copy; defaults filled in */
	char *store;
	size_t store_len;
	struct mc_hdr *hdrs;
	size_t nhdrs;
	int has_separator;         /* an empty line ended the header block */
	size_t body_off, body_len; /* in store, CRLF */
	size_t mail_off;           /* "<sender>" NUL-terminated */
	size_t *rcpt_offs;         /* "<rcpt>" NUL-terminated, nrcpts of them */
	size_t body_chunk;
};

#endif
