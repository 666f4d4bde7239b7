/*
 * dkim_sig.h: the DKIM-Signature tag list and its folding (RFC 6376 3.5)
 * (internal to dkim/).
 *
 * The field is built once with an empty b= and CRLF + TAB folds: those are
 * the bytes hashed. The inserted field is the same text with the eol the
 * caller asks for and the base64 signature after "b=", folded on lines of its
 * own so that it never shifts the text before it. Lines are kept within
 * DKIM_SIG_WIDTH columns (tab = 8, "DKIM-Signature:" counted) where values
 * allow: h= folds between names, b= anywhere; other values are never split.
 */
#ifndef P11DKIM_DKIM_SIG_H
#define P11DKIM_DKIM_SIG_H

#include <stddef.h>
#include <time.h>

#include "dkim/dkim.h"
#include "dkim/dkim_buf.h"
#include "dkim/dkim_hdrsel.h"

#define DKIM_SIG_WIDTH 76

struct dkim_sig_params {
	dkim_alg alg;
	dkim_canon hdr_canon, body_canon;
	const char *domain, *selector, *identity; /* identity may be NULL */
	time_t timestamp;                         /* 0: no t= */
	long expire_after;                        /* 0: no x= */
	const struct dkim_hdrsel *hs;             /* for h= */
	const char *bh;                           /* base64 body hash */
};

/* Appends the field value, from its leading space to "b=" (nothing after). */
dkim_status dkim_sig_build(struct dkim_buf *, const struct dkim_sig_params *);

/* A malloc'd copy of `field` (as built above) with each CRLF replaced by eol
 * and b64 folded after it. */
dkim_status dkim_sig_finish(const char *field, size_t len, const char *b64, const char *eol,
                            char **out);

/* 0 if `name` is a DNS name fit for d= or s= (labels of letters, digits, '-',
 * '_' of 1..63 bytes, 253 bytes at most). */
int dkim_sig_check_name(const char *name);

/* 0 if `identity` is "[local]@domain" with domain equal to `d` or below it. */
int dkim_sig_check_identity(const char *identity, const char *d);

#endif
