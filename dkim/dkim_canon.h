/*
 * dkim_canon.h: header field canonicalization (RFC 6376 3.4.1, 3.4.2)
 * (internal to dkim/).
 *
 * A header field is kept as the receiver will see it on the wire: "name:value"
 * with CRLF between folded lines and no final CRLF. Both functions append to
 * a caller-owned buffer and fail only as dkim_buf does.
 */
#ifndef P11DKIM_DKIM_CANON_H
#define P11DKIM_DKIM_CANON_H

#include <stdbool.h>
#include <stddef.h>

#include "dkim/dkim.h"
#include "dkim/dkim_buf.h"

/* Appends "name:value", turning each bare LF in value into CRLF. */
dkim_status dkim_canon_store(struct dkim_buf *, const char *name, size_t namelen,
                             const char *value);

/* Appends the canonical form of `field` ("name:value" as stored), followed by
 * CRLF when `crlf` is true (every header but the DKIM-Signature being made). */
dkim_status dkim_canon_header(struct dkim_buf *, dkim_canon, const char *field, size_t len,
                              bool crlf);

/* Length of the header name in `field` without trailing whitespace. */
size_t dkim_canon_namelen(const char *name, size_t len);

#endif
