/*
 * config/conf_loginmap.c: sign.login_map, the From domains each SMTP AUTH login may sign
 * besides its own, in the style of a Postfix lookup table:
 *
 *     # login          domains (comma or space separated)
 *     alice            example.com, example.org
 *     webmail@corp.example  example.com
 *
 * Read with the configuration (so again at every SIGHUP), from the open descriptor, held to
 * the configuration file's own rule (regular, not writable by group or others). Every bad line
 * is an error naming the map's file and line. Lookups are a binary search on the login (exact,
 * case-sensitive: SASL names are). The loaded map is immutable.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "config/conf_internal.h"

struct conf_loginmap_entry {
	char *login;
	char **domains;
	size_t ndomains;
};

struct conf_loginmap {
	struct conf_loginmap_entry *v;
	size_t n, cap;
};

#define CONF_LOGIN_MAX 256 /* bytes of a login */

void
conf_loginmap_free(struct conf_loginmap *m)
{
	size_t i;

	if (m == NULL)
		return;
	for (i = 0; i < m->n; i++) {
		conf_strv_free(m->v[i].domains, m->v[i].ndomains);
		free(m->v[i].login);
	}
	free(m->v);
	free(m);
}

/* The domains of one line into e->domains; false (with the error recorded) if there are none or
 * one is not a DNS name. */
static bool
conf_loginmap_domains(struct conf_ctx *ctx, const char *path, int line, char *rest,
                      struct conf_loginmap_entry *e)
{
	char why[320];
	int r = conf_domain_list(rest, &e->domains, &e->ndomains, why, sizeof(why));

	if (r == -2)
		conf_err_oom(ctx);
	else if (r == -1)
		conf_err_at(ctx, path, line, "sign.login_map", "%s", why);
	else if (e->ndomains == 0)
		conf_err_at(ctx, path, line, "sign.login_map", "login '%s' has no domain",
		            e->login);
	return r == 0 && e->ndomains > 0;
}

/* One line: blank and # lines are skipped; else "login domains". */
static void
conf_loginmap_line(struct conf_ctx *ctx, const char *path, int line, char *s,
                   struct conf_loginmap *m)
{
	struct conf_loginmap_entry e = {0}, *v;
	char *login;
	size_t len;

	while (*s == ' ' || *s == '\t')
		s++;
	if (*s == '\0' || *s == '#')
		return;
	login = s;
	len = strcspn(s, " \t");
	if (s[len] == '\0') {
		conf_err_at(ctx, path, line, "sign.login_map", "login '%s' has no domain", login);
		return;
	}
	s[len] = '\0';
	if (len > CONF_LOGIN_MAX) {
		conf_err_at(ctx, path, line, "sign.login_map", "login longer than %d bytes",
		            CONF_LOGIN_MAX);
		return;
	}
	if ((e.login = strdup(login)) == NULL) {
		conf_err_oom(ctx);
		return;
	}
	if (!conf_loginmap_domains(ctx, path, line, s + len + 1, &e))
		goto drop;
	if (m->n == m->cap) {
		v = realloc(m->v, (m->cap ? m->cap * 2 : 16) * sizeof(*v));
		if (v == NULL) {
			conf_err_oom(ctx);
			goto drop;
		}
		m->v = v;
		m->cap = m->cap ? m->cap * 2 : 16;
	}
	m->v[m->n++] = e;
	return;
drop:
	conf_strv_free(e.domains, e.ndomains);
	free(e.login);
}

static int
conf_loginmap_cmp(const void *a, const void *b)
{
	return strcmp(((const struct conf_loginmap_entry *)a)->login,
	              ((const struct conf_loginmap_entry *)b)->login);
}

struct conf_loginmap *
conf_loginmap_load(struct conf_ctx *ctx, const char *path)
{
	struct conf_loginmap *m;
	struct stat st;
	char why[160] = "cannot stat";
	char *buf = NULL;
	size_t cap = 0;
	ssize_t n;
	FILE *f;
	int fd, line = 0;
	size_t i;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		conf_err_at(ctx, path, 0, "sign.login_map", "cannot open: %s", strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) != 0 || conf_file_why(&st, why, sizeof(why)) != NULL) {
		conf_err_at(ctx, path, 0, "sign.login_map", "%s", why);
		close(fd);
		return NULL;
	}
	if ((f = fdopen(fd, "r")) == NULL || (m = calloc(1, sizeof(*m))) == NULL) {
		if (f != NULL)
			fclose(f);
		else
			close(fd);
		conf_err_oom(ctx);
		return NULL;
	}
	while ((n = getline(&buf, &cap, f)) >= 0) {
		line++;
		buf[strcspn(buf, "\r\n")] = '\0';
		conf_loginmap_line(ctx, path, line, buf, m);
	}
	free(buf);
	fclose(f);
	if (m->n > 1) /* qsort wants a non-null array even for none */
		qsort(m->v, m->n, sizeof(*m->v), conf_loginmap_cmp);
	for (i = 1; i < m->n; i++)
		if (strcmp(m->v[i - 1].login, m->v[i].login) == 0)
			conf_err_at(ctx, path, 0, "sign.login_map", "login '%s' is listed twice",
			            m->v[i].login);
	return m;
}

const char *const *
conf_login_domains(const struct conf *conf, const char *login, size_t *n)
{
	const struct conf_loginmap *m = conf->sign.loginmap;
	struct conf_loginmap_entry key, *e;

	*n = 0;
	if (m == NULL || login == NULL || m->n == 0)
		return NULL;
	key.login = (char *)login;
	e = bsearch(&key, m->v, m->n, sizeof(*m->v), conf_loginmap_cmp);
	if (e == NULL)
		return NULL;
	*n = e->ndomains;
	return (const char *const *)e->domains;
}

bool
conf_domain_within(const char *domain, const char *allowed)
{
	size_t dl = strlen(domain), al = strlen(allowed);

	if (dl > 0 && domain[dl - 1] == '.')
		dl--;
	if (al > 0 && allowed[al - 1] == '.')
		al--;
	if (al == 0 || dl < al || strncasecmp(domain + dl - al, allowed, al) != 0)
		return false;
	return dl == al || domain[dl - al - 1] == '.';
}
