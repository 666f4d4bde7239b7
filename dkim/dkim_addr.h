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
 * - dkim_addr_author() is the one author-domain rule of the daemon and of
 *   p11dkim-sign: exactly one From field; its one mailbox's domain signs;
 *   when it names several mailboxes, exactly one Sender field with one
 *   mailbox decides (RFC 5322 3.6.2). A domain literal ("[192.0.2.1]") never
 *   signs: DKIM's d= is a DNS name.
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

enum dkim_author {
	DKIM_AUTHOR_OK = 0,
	DKIM_AUTHOR_NO_FROM,      /* no From field */
	DKIM_AUTHOR_SEVERAL_FROM, /* more than one From field */
	DKIM_AUTHOR_BAD_FROM,     /* From is no address list, names no mailbox, or a literal */
	DKIM_AUTHOR_NO_SENDER,    /* From has several mailboxes and no usable Sender */
};

/* nfrom/nsender count the From and Sender fields; from/sender are the values of the first of
 * each (may be NULL when the count is 0). On DKIM_AUTHOR_OK, domain (size len) holds the
 * lowercased domain; a domain that does not fit is DKIM_AUTHOR_BAD_FROM. */
enum dkim_author dkim_addr_author(unsigned nfrom, const char *from, unsigned nsender,
                                  const char *sender, char *domain, size_t len);
/* "no From", "several From", ... Never NULL. */
const char *dkim_addr_author_text(enum dkim_author);

/* Frees the domains and zeroes the list; safe on a zeroed list. */
void dkim_addr_free(struct dkim_addr_list *);

#endif
