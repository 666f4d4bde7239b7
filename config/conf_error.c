/*
 * config/conf_error.c: collecting configuration errors with their place, and
 * formatting them. Errors are gathered for the whole file, then sorted so the
 * operator reads them top to bottom.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/conf_internal.h"

static struct conf_error *
conf_err_slot(struct conf_ctx *ctx)
{
	struct conf_error *v;
	size_t ncap;

	if (ctx->truncated || ctx->oom)
		return NULL;
	if (ctx->errs.n == CONF_MAX_ERRORS) {
		ctx->truncated = true;
		return NULL;
	}
	if (ctx->errs.n == ctx->cap) {
		ncap = ctx->cap ? ctx->cap * 2 : 8;
		/* Two spare slots for conf_err_final(). */
		v = reallocarray(ctx->errs.v, ncap + 2, sizeof(*v));
		if (v == NULL) {
			ctx->oom = true;
			return NULL;
		}
		ctx->errs.v = v;
		ctx->cap = ncap;
	}
	v = &ctx->errs.v[ctx->errs.n++];
	memset(v, 0, sizeof(*v));
	return v;
}

/* Appends s to dst (of len bytes, holding used); cuts at the end. */
static size_t
conf_err_append(char *dst, size_t len, size_t used, const char *s)
{
	size_t n = strlen(s);

	if (used + 1 >= len)
		return used;
	if (n > len - used - 1)
		n = len - used - 1;
	memcpy(dst + used, s, n);
	dst[used + n] = '\0';
	return used + n;
}

/* File names in messages may be cut at the buffer's end; that is fine. */
static void
conf_err_file(struct conf_ctx *ctx, char *dst, size_t len, const char *file)
{
	size_t used = 0;

	dst[0] = '\0';
	if (file == NULL) {
		conf_err_append(dst, len, 0, ctx->path);
		return;
	}
	if (file[0] != '/') {
		used = conf_err_append(dst, len, used, ctx->include_dir);
		used = conf_err_append(dst, len, used, "/");
	}
	conf_err_append(dst, len, used, file);
}

static void
conf_err_v(struct conf_ctx *ctx, const char *file, int line, const char *path, const char *fmt,
           va_list ap)
{
	struct conf_error *e;

	e = conf_err_slot(ctx);
	if (e == NULL)
		return;
	conf_err_file(ctx, e->file, sizeof(e->file), file);
	e->line = line;
	snprintf(e->setting, sizeof(e->setting), "%s", path ? path : "");
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
}

void
conf_err(struct conf_ctx *ctx, const config_setting_t *s, const char *path, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	conf_err_v(ctx, s ? config_setting_source_file(s) : NULL, s ? conf_line(s) : 0, path, fmt,
	           ap);
	va_end(ap);
}

void
conf_err_at(struct conf_ctx *ctx, const char *file, int line, const char *path, const char *fmt,
            ...)
{
	va_list ap;

	va_start(ap, fmt);
	conf_err_v(ctx, file, line, path, fmt, ap);
	va_end(ap);
}

void
conf_err_final(struct conf_ctx *ctx, const char *msg)
{
	struct conf_error *e;

	if (ctx->errs.v == NULL) {
		ctx->errs.v = calloc(2, sizeof(*ctx->errs.v));
		if (ctx->errs.v == NULL)
			return;
		ctx->cap = 0;
	}
	if (ctx->errs.n >= ctx->cap + 2)
		return;
	e = &ctx->errs.v[ctx->errs.n++];
	memset(e, 0, sizeof(*e));
	conf_err_file(ctx, e->file, sizeof(e->file), NULL);
	snprintf(e->msg, sizeof(e->msg), "%s", msg);
}

void
conf_err_oom(struct conf_ctx *ctx)
{
	ctx->oom = true;
}

int
conf_line(const config_setting_t *s)
{
	return (int)config_setting_source_line(s);
}

/* Insertion sort: error lists are short (at most CONF_MAX_ERRORS) and must
 * stay stable. Files keep the order they first appear in. */
void
conf_errs_sort(struct conf_errors *errs)
{
	size_t i, j, k, nfiles = 0;
	const char *files[CONF_MAX_ERRORS + 2];
	size_t rank[CONF_MAX_ERRORS + 2];
	struct conf_error tmp;
	size_t trank;

	if (errs->n > CONF_MAX_ERRORS + 1)
		return;
	for (i = 0; i < errs->n; i++) {
		for (k = 0; k < nfiles; k++)
			if (strcmp(files[k], errs->v[i].file) == 0)
				break;
		if (k == nfiles)
			files[nfiles++] = errs->v[i].file;
		rank[i] = k;
	}
	/* files[] points into the array being sorted: ranks are final now. */
	for (i = 1; i < errs->n; i++) {
		tmp = errs->v[i];
		trank = rank[i];
		for (j = i; j > 0; j--) {
			if (rank[j - 1] < trank ||
			    (rank[j - 1] == trank && errs->v[j - 1].line <= tmp.line))
				break;
			errs->v[j] = errs->v[j - 1];
			rank[j] = rank[j - 1];
		}
		errs->v[j] = tmp;
		rank[j] = trank;
	}
}

void
conf_errors_free(struct conf_errors *errs)
{
	if (errs == NULL)
		return;
	free(errs->v);
	errs->v = NULL;
	errs->n = 0;
}

const char *
conf_error_format(const struct conf_error *e, char *buf, size_t len)
{
	int n;

	if (buf == NULL || len == 0)
		return buf;
	if (e->line > 0)
		n = snprintf(buf, len, "%s:%d: ", e->file, e->line);
	else
		n = snprintf(buf, len, "%s: ", e->file);
	if (n < 0 || (size_t)n >= len)
		return buf;
	if (e->setting[0] != '\0')
		n += snprintf(buf + n, len - (size_t)n, "%s: ", e->setting);
	if (n < 0 || (size_t)n >= len)
		return buf;
	snprintf(buf + n, len - (size_t)n, "%s", e->msg);
	return buf;
}
