/*
 * dkim_hdrsel.h: keeps the header fields that may be signed and selects them
 * for h= (RFC 6376 5.4, 5.4.2) (internal to dkim/).
 *
 * Contract: owns copies of the names to sign and of every message field whose
 * name is among them (others are checked and dropped). Instances are capped
 * at DKIM_MAX_HEADERS and their bytes at DKIM_MAX_HEADER_BYTES
 * (DKIM_ERR_LIMIT). A name listed k times in h= takes the k last instances,
 * bottom-up; with oversigning each name is listed once more than it occurs,
 * the extra entry standing for "no such field", so an added one breaks the
 * signature. Date and Message-ID are the exception: absent, they are not
 * listed at all, because an MTA adds them to a message that lacks them
 * (RFC 6409 8.2, 8.3), and Sendmail does so after its milters have run.
 */
#ifndef P11DKIM_DKIM_HDRSEL_H
#define P11DKIM_DKIM_HDRSEL_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "dkim/dkim.h"
#include "dkim/dkim_buf.h"

struct dkim_hdr {
	size_t off, len; /* "name:value" in data */
	size_t name;     /* index in names */
};

struct dkim_hdrsel {
	char **names;
	size_t *namelens;
	size_t *counts; /* instances of each name in the message */
	bool *mta_adds; /* an MTA may add this field when absent: never oversigned then */
	size_t nnames;
	bool oversign;
	size_t from; /* index of From in names */
	struct dkim_buf data;
	struct dkim_hdr *v;
	size_t n, cap;
};

/* A field name: 1..DKIM_MAX_NAME bytes in 33..126 but ':' (and ';' when
 * for_tag, as it would end the h= tag). Trailing WSP is allowed in message
 * field names ("Subject :"), not in configured ones. */
#define DKIM_MAX_NAME 998 /* RFC 5322 2.1.1 line limit */
bool dkim_hdrsel_valid_name(const char *name, size_t len, bool for_tag);

/* DKIM_ERR_INVALID: no From, an invalid name, more than DKIM_MAX_SIGN_NAMES. */
dkim_status dkim_hdrsel_init(struct dkim_hdrsel *, const char *const *names, size_t n,
                             bool oversign);
/* DKIM_ERR_SYNTAX: invalid name. */
dkim_status dkim_hdrsel_add(struct dkim_hdrsel *, const char *name, const char *value);
/* Times names[k] appears in h= for the current message. */
size_t dkim_hdrsel_hcount(const struct dkim_hdrsel *, size_t k);
bool dkim_hdrsel_has_from(const struct dkim_hdrsel *);
/* Appends the canonical selected fields in h= order. */
dkim_status dkim_hdrsel_canon(const struct dkim_hdrsel *, dkim_canon, struct dkim_buf *out);
void dkim_hdrsel_reset(struct dkim_hdrsel *);
void dkim_hdrsel_free(struct dkim_hdrsel *);

#endif
