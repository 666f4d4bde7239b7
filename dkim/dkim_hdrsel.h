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
 *
 * A verifier's store (dkim_hdrsel_init_all) keeps every field, whatever its name, under the same
 * caps, and selects for an h= list it did not write (dkim_hdrsel_canon_list).
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
	size_t name;     /* index in names (DKIM_HDRSEL_ANY in a keep_all store) */
};

struct dkim_hdrsel {
	char **names;
	size_t *namelens;
	size_t *counts; /* instances of each name in the message */
	bool *mta_adds; /* an MTA may add this field when absent: never oversigned then */
	size_t nnames;
	bool oversign;
	bool keep_all; /* a verifier's store: every field, names unused */
	size_t from;   /* index of From in names */
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
/* A store that keeps every field (for verifying). Cannot fail. */
void dkim_hdrsel_init_all(struct dkim_hdrsel *);
#define DKIM_HDRSEL_ANY ((size_t)-1)
/* DKIM_ERR_SYNTAX: invalid name. */
dkim_status dkim_hdrsel_add(struct dkim_hdrsel *, const char *name, const char *value);
/* Times names[k] appears in h= for the current message. */
size_t dkim_hdrsel_hcount(const struct dkim_hdrsel *, size_t k);
bool dkim_hdrsel_has_from(const struct dkim_hdrsel *);
/* Appends the canonical selected fields in h= order. */
dkim_status dkim_hdrsel_canon(const struct dkim_hdrsel *, dkim_canon, struct dkim_buf *out);
/* Whether field i is named name (case-insensitive, trailing WSP of the field's name ignored). */
bool dkim_hdrsel_is(const struct dkim_hdrsel *, size_t i, const char *name, size_t len);
/* Appends, for each name of an h= value (names split at ':', folding whitespace around them
 * ignored), the canonical form of that name's next instance counted from the bottom, with CRLF
 * (RFC 6376 5.4.2); a name whose instances are used up adds nothing. DKIM_ERR_SYNTAX: an empty
 * or invalid name, more than DKIM_MAX_HEADERS names. */
dkim_status dkim_hdrsel_canon_list(const struct dkim_hdrsel *, dkim_canon, const char *h,
                                   size_t len, struct dkim_buf *out);
/* How often an h= value names name (without case). */
size_t dkim_hdrsel_list_count(const char *h, size_t len, const char *name, size_t namelen);
void dkim_hdrsel_reset(struct dkim_hdrsel *);
void dkim_hdrsel_free(struct dkim_hdrsel *);

#endif
