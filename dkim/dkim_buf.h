/*
 * dkim_buf.h: a growable byte buffer (internal to dkim/).
 *
 * Contract: the buffer owns p; dkim_buf_free releases it. Growth is
 * overflow-checked and geometric, and `len = 0` reuses the memory, so a
 * signer reused across messages stops allocating once warm. Every append
 * fails with DKIM_ERR_LIMIT past `max` bytes (0 = SIZE_MAX / 2) and
 * DKIM_ERR_NOMEM when realloc fails, leaving the contents unchanged.
 */
#ifndef P11DKIM_DKIM_BUF_H
#define P11DKIM_DKIM_BUF_H

#include <stddef.h>

#include "dkim/dkim.h"

struct dkim_buf {
	char *p;
	size_t len, cap, max;
};

dkim_status dkim_buf_reserve(struct dkim_buf *, size_t extra);
dkim_status dkim_buf_append(struct dkim_buf *, const void *data, size_t n);
dkim_status dkim_buf_puts(struct dkim_buf *, const char *s);
dkim_status dkim_buf_putc(struct dkim_buf *, char c);
void dkim_buf_free(struct dkim_buf *);

#endif
