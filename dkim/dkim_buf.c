/*
 * dkim_buf.c: a growable byte buffer.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dkim/dkim_buf.h"

dkim_status
dkim_buf_reserve(struct dkim_buf *b, size_t extra)
{
	size_t max = b->max != 0 ? b->max : SIZE_MAX / 2;
	size_t want, cap;
	char *p;

	if (extra > max || b->len > max - extra)
		return DKIM_ERR_LIMIT;
	want = b->len + extra;
	if (want <= b->cap)
		return DKIM_OK;
	cap = b->cap != 0 ? b->cap : 256;
	while (cap < want)
		cap = cap <= SIZE_MAX / 4 ? cap * 2 : want;
	p = realloc(b->p, cap);
	if (p == NULL)
		return DKIM_ERR_NOMEM;
	b->p = p;
	b->cap = cap;
	return DKIM_OK;
}

dkim_status
dkim_buf_append(struct dkim_buf *b, const void *data, size_t n)
{
	dkim_status st;

	if (n == 0)
		return DKIM_OK;
	if ((st = dkim_buf_reserve(b, n)) != DKIM_OK)
		return st;
	memcpy(b->p + b->len, data, n);
	b->len += n;
	return DKIM_OK;
}

dkim_status
dkim_buf_puts(struct dkim_buf *b, const char *s)
{
	return dkim_buf_append(b, s, strlen(s));
}

dkim_status
dkim_buf_putc(struct dkim_buf *b, char c)
{
	return dkim_buf_append(b, &c, 1);
}

void
dkim_buf_free(struct dkim_buf *b)
{
	free(b->p);
	b->p = NULL;
	b->len = b->cap = 0;
}
