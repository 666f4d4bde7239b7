/*
 * dkim_addr.h: the mailbox domains of a From (or Sender) header value.
 *
 * Contract
 * - Parses an RFC 5322 address-list (display names, quoted strings, nested
 *   comments, angle addresses with or without an obsolete route, groups,
 *   several mailboxes, folding whitespace, UTF-8 per RFC 6532) and returns
 *   the domain of every mailbox, lowercased, in order of appearance.
 * - The input is hostile: it is read within its length only, never written,
 *   and no input makes the parser recurse without bound or loop.
 * - The result is one malloc'd array of malloc'd strings; free it with
 *   dkim_addr_free. No global state; thread-safe.
 * - Errors: DKIM_ERR_SYNTAX when the value is not an address list (the
 *   result is then empty), DKIM_ERR_LIMIT beyond DKIM_ADDR_MAX mailboxes,
 *   DKIM_ERR_NOMEM.
 *
 * The daemon's use: one From with one mailbox -> its domain signs; several
 * mailboxes -> the Sender header's single mailbox decides.
 */
#ifndef P11DKIM_DKIM_ADDR_H
#define P11DKIM_DKIM_ADDR_H

#include <stddef.h>

#include "dkim/dkim.h"

#define DKIM_ADDR_MAX 256

struct dkim_addr_list {
	char **domain; /* n lowercased domains ("[1.2.3.4]" for a domain literal) */
	size_t n;
};

/* Parses `len` bytes of a header value (as it follows the colon). On success
 * *out holds the domains (n may be 0, e.g. "undisclosed-recipients:;"). */
dkim_status dkim_addr_domains(const char *value, size_t len, struct dkim_addr_list *out);

/* Frees the domains and zeroes the list; safe on a zeroed list. */
void dkim_addr_free(struct dkim_addr_list *);

#endif
