/*
 * config/conf_load.c: reading the file and turning it into a struct conf.
 * The file is opened once, checked on the open descriptor (regular, not
 * writable by group or others) and read whole from that same descriptor, so
 * what was checked is what is parsed (and numbers can be checked against
 * their text, see conf_literal.c). Then every section is walked with one error
 * context, and the result is either a complete struct conf or every error.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config/conf_internal.h"

const char *
conf_file_why(const struct stat *st, char *why, size_t len)
{
	/* The file names the PKCS#11 module to load and the pid file to write, maybe as root: as
	 * sshd's StrictModes, only root or the user p11dkim runs as may own it (L1). */
	if (!S_ISREG(st->st_mode))
		snprintf(why, len, "is not a regular file");
	else if (st->st_mode & (S_IWGRP | S_IWOTH))
		snprintf(why, len,
		         "can be written by group or others: refused (chmod go-w) (mode %04o)",
		         (unsigned)st->st_mode & 07777);
	else if (st->st_uid != 0 && st->st_uid != geteuid())
		snprintf(why, len,
		         "is owned by uid %u, neither root nor the user p11dkim runs as (uid "
		         "%u): refused (chown root)",
		         (unsigned)st->st_uid, (unsigned)geteuid());
	else
		return NULL;
	return why;
}

/* Large enough for a hosting provider's hundred thousand domains. */
#define CONF_FILE_MAX (64 * 1024 * 1024)

/* Reads the whole file into *text (NUL-terminated), checking the open
 * descriptor first. */
static bool
conf_file_read(struct conf_ctx *ctx, const char *path, char **text, size_t *len)
{
	struct stat st;
	char whybuf[160];
	char *buf = NULL;
	size_t used = 0, cap;
	ssize_t n;
	int fd;

	/* O_NONBLOCK: a FIFO must be refused, not waited on. */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		conf_err_at(ctx, NULL, 0, "", "cannot open: %s", strerror(errno));
		return false;
	}
	if (fstat(fd, &st) != 0) {
		conf_err_at(ctx, NULL, 0, "", "cannot stat: %s", strerror(errno));
		goto fail;
	}
	if (conf_file_why(&st, whybuf, sizeof(whybuf)) != NULL) {
		conf_err_at(ctx, NULL, 0, "", "%s", whybuf);
		goto fail;
	}
	if (st.st_size > CONF_FILE_MAX) {
		conf_err_at(ctx, NULL, 0, "", "is larger than %d bytes", CONF_FILE_MAX);
		goto fail;
	}
	cap = (size_t)st.st_size + 1;
	buf = malloc(cap);
	if (buf == NULL) {
		conf_err_oom(ctx);
		goto fail;
	}
	/* The file may grow while it is read: stop at what fstat saw. */
	while (used + 1 < cap) {
		n = read(fd, buf + used, cap - 1 - used);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			conf_err_at(ctx, NULL, 0, "", "cannot read: %s", strerror(errno));
			goto fail;
		}
		if (n == 0)
			break;
		used += (size_t)n;
	}
	buf[used] = '\0';
	close(fd);
	*text = buf;
	*len = used;
	return true;
fail:
	free(buf);
	close(fd);
	return false;
}

static void
conf_include_dir(struct conf_ctx *ctx, const char *path)
{
	const char *slash = strrchr(path, '/');

	if (slash == NULL)
		snprintf(ctx->include_dir, sizeof(ctx->include_dir), ".");
	else if (slash == path)
		snprintf(ctx->include_dir, sizeof(ctx->include_dir), "/");
	else
		snprintf(ctx->include_dir, sizeof(ctx->include_dir), "%.*s", (int)(slash - path),
		         path);
}

/* Before libconfig reads anything: every file the text @includes (and, in turn, what those
 * include) must pass conf_file_why. libconfig 1.5 has no hook for its includes, so its
 * directive is found the way its scanner finds it: "@include" and a quoted name starting a
 * line. A file that is missing is left to libconfig, which names it. */
#define CONF_INCLUDE_DEPTH 10

static void conf_precheck_includes(struct conf_ctx *, const char *text, size_t len, int depth);

/* One @include'd file: its name (not NUL-terminated) as written. */
static void
conf_precheck_one(struct conf_ctx *ctx, const char *name, size_t namelen, int depth)
{
	char rel[4096], file[8200], why[160], *sub;
	struct stat st;
	ssize_t got;
	int fd;

	if (namelen == 0 || namelen >= sizeof(rel))
		return; /* libconfig refuses it and says why */
	memcpy(rel, name, namelen);
	rel[namelen] = '\0';
	if (rel[0] == '/')
		snprintf(file, sizeof(file), "%s", rel);
	else
		snprintf(file, sizeof(file), "%s/%s", ctx->include_dir, rel);
	fd = open(file, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return; /* missing: libconfig names it */
	if (fstat(fd, &st) == 0) {
		if (conf_file_why(&st, why, sizeof(why)) != NULL)
			conf_err_at(ctx, file, 0, "", "%s", why);
		else if (depth < CONF_INCLUDE_DEPTH && st.st_size < CONF_FILE_MAX &&
		         (sub = malloc((size_t)st.st_size + 1)) != NULL) {
			got = read(fd, sub, (size_t)st.st_size);
			if (got > 0)
				conf_precheck_includes(ctx, sub, (size_t)got, depth + 1);
			free(sub);
		}
	}
	close(fd);
}

static void
conf_precheck_includes(struct conf_ctx *ctx, const char *text, size_t len, int depth)
{
	const char *p = text, *end = text + len, *eol, *line_end, *q;

	for (; p < end; p = eol != NULL ? eol + 1 : end) {
		eol = memchr(p, '\n', (size_t)(end - p));
		line_end = eol != NULL ? eol : end;
		while (p < line_end && (*p == ' ' || *p == '\t'))
			p++;
		if ((size_t)(line_end - p) < 10 || memcmp(p, "@include", 8) != 0 ||
		    (p[8] != ' ' && p[8] != '\t'))
			continue;
		for (p += 8; p < line_end && (*p == ' ' || *p == '\t'); p++)
			;
		if (p < line_end && *p == '"' &&
		    (q = memchr(p + 1, '"', (size_t)(line_end - p - 1))) != NULL)
			conf_precheck_one(ctx, p + 1, (size_t)(q - p - 1), depth);
	}
}

void
conf_free(struct conf *c)
{
	size_t i, j;

	if (c == NULL)
		return;
	free(c->path);
	free(c->socket);
	free(c->socket_host);
	free(c->socket_path);
	free(c->user);
	free(c->group);
	free(c->pid_file);
	free(c->log);
	free(c->syslog_facility);
	free(c->metrics_file);
	free(c->keytool_record);
	conf_token_free(c);
	for (i = 0; i < c->sign.ninternal; i++)
		conf_cidr_free_domains(&c->sign.internal_hosts[i]);
	free(c->sign.internal_hosts);
	free(c->sign.login_map);
	conf_loginmap_free(c->sign.loginmap);
	conf_strv_free(c->sign.mta, c->sign.nmta);
	for (i = 0; c->sign.headers != NULL && i < c->sign.nheaders; i++)
		free(c->sign.headers[i]);
	free(c->sign.headers);
	for (i = 0; i < c->ndomains; i++) {
		for (j = 0; j < c->domains[i].nkeys; j++) {
			free(c->domains[i].keys[j].selector);
			free(c->domains[i].keys[j].key);
		}
		free(c->domains[i].keys);
		free(c->domains[i].domain);
	}
	free(c->domains);
	conf_signtable_free(c->signtable);
	free(c);
}

static void
conf_walk(struct conf_ctx *ctx, const config_setting_t *root, struct conf *conf)
{
	conf_top_load(ctx, root, conf);
	conf_token_load(ctx, root, conf);
	conf_sign_load(ctx, root, &conf->sign);
	conf_domains_load(ctx, root, conf);
}

/* Parses text (the main file's bytes) and walks it. Leaves the final word
 * in ctx->errs: empty when conf is good. */
static struct conf *
conf_parse(struct conf_ctx *ctx, const char *path, const char *text, size_t len)
{
	struct conf *conf;
	config_t cf;
	FILE *f;

	ctx->text = text;
	ctx->textlen = len;
	conf_precheck_includes(ctx, text, len, 0);
	if (ctx->errs.n > 0)
		return NULL;
	/* fmemopen() refuses a zero size; an empty file is still a file. */
	f = fmemopen((void *)(len ? text : "\n"), len ? len : 1, "r");
	if (f == NULL) {
		conf_err_oom(ctx);
		return NULL;
	}
	config_init(&cf);
	config_set_auto_convert(&cf, CONFIG_FALSE);
	config_set_include_dir(&cf, ctx->include_dir);
	if (config_read(&cf, f) != CONFIG_TRUE) {
		conf_err_at(ctx, config_error_file(&cf), config_error_line(&cf), "", "%s",
		            config_error_text(&cf) ? config_error_text(&cf) : "cannot be parsed");
		config_destroy(&cf);
		fclose(f);
		return NULL;
	}
	fclose(f);
	conf = calloc(1, sizeof(*conf));
	if (conf == NULL || (conf->path = strdup(path)) == NULL) {
		conf_err_oom(ctx);
		free(conf);
		config_destroy(&cf);
		return NULL;
	}
	conf_walk(ctx, config_root_setting(&cf), conf);
	config_destroy(&cf);
	if (ctx->errs.n > 0 || ctx->oom) {
		conf_free(conf);
		return NULL;
	}
	return conf;
}

/* Turns the context's findings into the caller's answer. */
static struct conf *
conf_finish(struct conf_ctx *ctx, struct conf *conf, struct conf_errors *errs)
{
	conf_errs_sort(&ctx->errs);
	if (ctx->truncated)
		conf_err_final(ctx, "too many errors: only the first ones are shown");
	if (ctx->oom) {
		conf_err_final(ctx, "out of memory");
		conf_free(conf);
		conf = NULL;
	}
	if (errs != NULL)
		*errs = ctx->errs;
	else
		conf_errors_free(&ctx->errs);
	return conf;
}

struct conf *
conf_load_errors(const char *path, struct conf_errors *errs)
{
	struct conf_ctx ctx;
	struct conf *conf = NULL;
	char *text = NULL;
	size_t len = 0;

	memset(&ctx, 0, sizeof(ctx));
	ctx.path = path ? path : "(null)";
	if (path == NULL || path[0] == '\0') {
		conf_err_at(&ctx, NULL, 0, "", "no configuration file named");
	} else {
		conf_include_dir(&ctx, path);
		if (conf_file_read(&ctx, path, &text, &len))
			conf = conf_parse(&ctx, path, text, len);
		free(text);
	}
	return conf_finish(&ctx, conf, errs);
}

struct conf *
conf_load_buffer(const char *name, const char *text, size_t len, struct conf_errors *errs)
{
	struct conf_ctx ctx;
	struct conf *conf;

	memset(&ctx, 0, sizeof(ctx));
	ctx.path = name ? name : "(buffer)";
	conf_include_dir(&ctx, ctx.path);
	conf = conf_parse(&ctx, ctx.path, text, len);
	return conf_finish(&ctx, conf, errs);
}

struct conf *
conf_load(const char *path, struct conf_error *err)
{
	struct conf_errors errs;
	struct conf *conf;

	conf = conf_load_errors(path, &errs);
	if (err != NULL) {
		memset(err, 0, sizeof(*err));
		if (errs.n > 0) {
			*err = errs.v[0];
			err->more = (unsigned)(errs.n - 1);
		} else if (conf == NULL) {
			snprintf(err->file, sizeof(err->file), "%s", path ? path : "(null)");
			snprintf(err->msg, sizeof(err->msg), "out of memory");
		}
	}
	conf_errors_free(&errs);
	return conf;
}
