/*
 * odkim_tables: OpenDKIM KeyTable and SigningTable to p11dkim domains; see
 * odkim_tables.h for the contract.
 */
#include "config.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tools/keytool/odkim_tables.h"

#define ODKIM_LINE_MAX 4096
#define ODKIM_LABEL_MAX 128

static int
odkim_err(char *err, size_t errlen, int line, const char *fmt, ...)
{
	va_list ap;
	int n;

	n = snprintf(err, errlen, "line %d: ", line);
	va_start(ap, fmt);
	if (n >= 0 && (size_t)n < errlen)
		vsnprintf(err + n, errlen - (size_t)n, fmt, ap);
	va_end(ap);
	return -1;
}

static int
odkim_warn(struct odkim_tables *t, const char *fmt, ...)
{
	char buf[512], **w;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	w = reallocarray(t->warnings, t->nwarnings + 1, sizeof(*w));
	if (w == NULL)
		return -1;
	t->warnings = w;
	if ((w[t->nwarnings] = strdup(buf)) == NULL)
		return -1;
	t->nwarnings++;
	return 0;
}

/* A domain name as p11dkim accepts it: letters, digits, '-', '_', inner single dots. */
static int
odkim_domain_ok(const char *s)
{
	size_t i, n = strlen(s);

	if (n == 0 || n > 253 || s[0] == '.' || s[n - 1] == '.')
		return 0;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (!(isalnum(c) || c == '-' || c == '_' || (c == '.' && s[i + 1] != '.')))
			return 0;
	}
	return 1;
}

/*
 * Splits LINE (NUL-terminated, modified) into exactly two whitespace-separated
 * fields after removing a comment. Returns 0 for a blank line, 2 for two
 * fields, -1 otherwise.
 */
static int
odkim_fields(char *line, char **a, char **b)
{
	char *hash = strchr(line, '#'), *extra;

	if (hash != NULL)
		*hash = '\0';
	*a = strtok_r(line, " \t\r", &extra);
	if (*a == NULL)
		return 0;
	*b = strtok_r(NULL, " \t\r", &extra);
	if (*b == NULL || strtok_r(NULL, " \t\r", &extra) != NULL)
		return -1;
	return 2;
}

/* Calls FN on each line of TEXT; stops at the first error. */
static int
odkim_lines(struct odkim_tables *t, const char *text, size_t len, char *err, size_t errlen,
            int (*fn)(struct odkim_tables *, char *, char *, int, char *, size_t))
{
	char buf[ODKIM_LINE_MAX], *a, *b;
	size_t pos = 0;
	int line = 0, nf;

	while (pos < len) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t l = nl != NULL ? (size_t)(nl - (text + pos)) : len - pos;

		line++;
		if (l >= sizeof(buf))
			return odkim_err(err, errlen, line, "line too long");
		memcpy(buf, text + pos, l);
		buf[l] = '\0';
		pos += l + 1;
		if (memchr(buf, '\0', l) != NULL)
			return odkim_err(err, errlen, line, "NUL byte");
		nf = odkim_fields(buf, &a, &b);
		if (nf == 0)
			continue;
		if (nf < 0)
			return odkim_err(err, errlen, line, "expected two fields");
		if (fn(t, a, b, line, err, errlen) != 0)
			return -1;
	}
	return 0;
}

static int
odkim_key_line(struct odkim_tables *t, char *name, char *value, int line, char *err, size_t errlen)
{
	char *c1 = strchr(value, ':'), *c2 = c1 != NULL ? strchr(c1 + 1, ':') : NULL;
	struct odkim_key *k;
	size_t i;

	if (c1 == NULL || c2 == NULL)
		return odkim_err(err, errlen, line, "expected DOMAIN:SELECTOR:KEYFILE after %s",
		                 name);
	*c1 = *c2 = '\0';
	if (strcmp(value, "%") != 0 && !odkim_domain_ok(value))
		return odkim_err(err, errlen, line, "bad domain \"%s\"", value);
	if (!odkim_domain_ok(c1 + 1))
		return odkim_err(err, errlen, line, "bad selector \"%s\"", c1 + 1);
	if (c2[1] == '\0')
		return odkim_err(err, errlen, line, "no key file");
	for (i = 0; i < t->nkeys; i++)
		if (strcmp(t->keys[i].name, name) == 0)
			return odkim_err(err, errlen, line, "key name %s defined twice", name);
	k = reallocarray(t->keys, t->nkeys + 1, sizeof(*k));
	if (k == NULL)
		return odkim_err(err, errlen, line, "out of memory");
	t->keys = k;
	k = &t->keys[t->nkeys];
	memset(k, 0, sizeof(*k));
	k->line = line;
	k->name = strdup(name);
	k->domain = strdup(value);
	k->selector = strdup(c1 + 1);
	k->path = strdup(c2 + 1);
	t->nkeys++;
	if (k->name == NULL || k->domain == NULL || k->selector == NULL || k->path == NULL)
		return odkim_err(err, errlen, line, "out of memory");
	for (i = 0; k->domain[i]; i++)
		k->domain[i] = (char)tolower((unsigned char)k->domain[i]);
	return 0;
}

int
odkim_keytable_parse(struct odkim_tables *t, const char *text, size_t len, char *err, size_t errlen)
{
	return odkim_lines(t, text, len, err, errlen, odkim_key_line);
}

static struct odkim_dom *
odkim_dom_get(struct odkim_tables *t, const char *domain)
{
	struct odkim_dom *d;
	size_t i;

	for (i = 0; i < t->ndoms; i++)
		if (strcmp(t->doms[i].domain, domain) == 0)
			return &t->doms[i];
	d = reallocarray(t->doms, t->ndoms + 1, sizeof(*d));
	if (d == NULL)
		return NULL;
	t->doms = d;
	d = &t->doms[t->ndoms];
	memset(d, 0, sizeof(*d));
	if ((d->domain = strdup(domain)) == NULL)
		return NULL;
	t->ndoms++;
	return d;
}

static int
odkim_dom_add_key(struct odkim_dom *d, size_t k)
{
	size_t i, *v;

	for (i = 0; i < d->nkeys; i++)
		if (d->keys[i] == k)
			return 0;
	v = reallocarray(d->keys, d->nkeys + 1, sizeof(*v));
	if (v == NULL)
		return -1;
	d->keys = v;
	v[d->nkeys++] = k;
	return 0;
}

/*
 * Reduces a pattern to a domain and whether it names the domain itself or
 * its subdomains. Returns -1 for a pattern p11dkim cannot express.
 */
static int
odkim_pattern(char *pat, char **domain, bool *subs)
{
	char *at = strchr(pat, '@'), *d = pat;

	if (at != NULL) {
		if (at != pat && !(at == pat + 1 && pat[0] == '*'))
			return -1; /* one user's address: p11dkim signs whole domains */
		d = at + 1;
	}
	*subs = false;
	if (strncmp(d, "*.", 2) == 0) {
		*subs = true;
		d += 2;
	}
	for (char *p = d; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	if (!odkim_domain_ok(d))
		return -1;
	*domain = d;
	return 0;
}

static int
odkim_rule_line(struct odkim_tables *t, char *pat, char *keyname, int line, char *err,
                size_t errlen)
{
	struct odkim_dom *d;
	char *domain;
	bool subs;
	size_t k;

	for (k = 0; k < t->nkeys; k++)
		if (strcmp(t->keys[k].name, keyname) == 0)
			break;
	if (k == t->nkeys)
		return odkim_err(err, errlen, line, "key %s is not in the KeyTable", keyname);
	if (odkim_pattern(pat, &domain, &subs) != 0)
		return odkim_warn(t,
		                  "SigningTable line %d: \"%s\" is not a whole domain or its "
		                  "subdomains: skipped",
		                  line, pat) == 0
		           ? 0
		           : odkim_err(err, errlen, line, "out of memory");
	if (strcmp(t->keys[k].domain, "%") != 0 && strcmp(t->keys[k].domain, domain) != 0 &&
	    odkim_warn(t,
	               "SigningTable line %d: mail from %s%s was signed with d=%s; p11dkim signs "
	               "it with d=%s and key "
	               "%s's selector",
	               line, subs ? "subdomains of " : "", domain, t->keys[k].domain, domain,
	               keyname) != 0)
		return odkim_err(err, errlen, line, "out of memory");
	if ((d = odkim_dom_get(t, domain)) == NULL || odkim_dom_add_key(d, k) != 0)
		return odkim_err(err, errlen, line, "out of memory");
	if (subs)
		d->subdomains = true;
	else
		d->apex = true;
	t->keys[k].used = true;
	return 0;
}

int
odkim_signingtable_parse(struct odkim_tables *t, const char *text, size_t len, char *err,
                         size_t errlen)
{
	size_t i;

	if (odkim_lines(t, text, len, err, errlen, odkim_rule_line) != 0)
		return -1;
	for (i = 0; i < t->nkeys; i++)
		if (!t->keys[i].used &&
		    odkim_warn(
		        t, "KeyTable line %d: key %s is used by no SigningTable rule: not imported",
		        t->keys[i].line, t->keys[i].name) != 0)
			return odkim_err(err, errlen, 0, "out of memory");
	return 0;
}

void
odkim_tables_free(struct odkim_tables *t)
{
	size_t i;

	for (i = 0; i < t->nkeys; i++) {
		free(t->keys[i].name);
		free(t->keys[i].domain);
		free(t->keys[i].selector);
		free(t->keys[i].path);
	}
	for (i = 0; i < t->ndoms; i++) {
		free(t->doms[i].domain);
		free(t->doms[i].keys);
	}
	for (i = 0; i < t->nwarnings; i++)
		free(t->warnings[i]);
	free(t->keys);
	free(t->doms);
	free(t->warnings);
	memset(t, 0, sizeof(*t));
}

char *
odkim_label(const struct odkim_tables *t, size_t k, const char *domain, const char *prefix)
{
	const struct odkim_key *key = &t->keys[k];
	const char *d = strcmp(key->domain, "%") == 0 ? domain : key->domain;
	char *label;
	int n;

	n = asprintf(&label, "%s%s-%s", prefix != NULL ? prefix : "", d, key->selector);
	if (n < 0)
		return NULL;
	if (n > ODKIM_LABEL_MAX) {
		free(label);
		return NULL;
	}
	return label;
}

void
odkim_print_domains(FILE *out, const struct odkim_tables *t, const char *prefix)
{
	size_t i, j;

	fprintf(out, "domains = (\n");
	for (i = 0; i < t->ndoms; i++) {
		const struct odkim_dom *d = &t->doms[i];

		if (d->subdomains && !d->apex)
			fprintf(out,
			        "  # OpenDKIM signed only the subdomains of %s; subdomains = true "
			        "signs %s too\n",
			        d->domain, d->domain);
		fprintf(out, "  { domain = \"%s\";%s\n    keys = (", d->domain,
		        d->subdomains ? " subdomains = true;" : "");
		for (j = 0; j < d->nkeys; j++) {
			char *label = odkim_label(t, d->keys[j], d->domain, prefix);

			fprintf(out, "%s\n      { selector = \"%s\"; key = \"%s\"; }", j ? "," : "",
			        t->keys[d->keys[j]].selector, label != NULL ? label : "?");
			free(label);
		}
		fprintf(out, " ); }%s\n", i + 1 < t->ndoms ? "," : "");
	}
	fprintf(out, ");\n");
}
