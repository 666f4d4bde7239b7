/*
 * config/conf_syntax.c: syntax of the names a configuration holds: DNS names
 * (domains, selectors, host names), absolute paths, PKCS#11 URIs (RFC 7512,
 * checked lightly: scheme, percent-encoding, an object= or id= attribute).
 * Each check returns NULL when fine, else a static reason.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/conf_internal.h"

static bool
conf_is_letdig(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/* RFC 5321 sub-domain = Let-dig [Ldh-str], joined by dots, as RFC 6376 uses
 * for d= and s=. */
const char *
conf_check_dns_name(const char *name)
{
	const unsigned char *p = (const unsigned char *)name;
	size_t label = 0, total = 0;
	unsigned char last = '.';

	if (*p == '\0')
		return "is empty";
	for (; *p != '\0'; p++, total++) {
		if (*p >= 0x80)
			return "is not ASCII (write an international name as its A-label, xn--...)";
		if (*p == '.') {
			if (label == 0)
				return "has an empty label (two dots, or a leading dot)";
			if (last == '-')
				return "has a label that ends with '-'";
			label = 0;
			last = *p;
			continue;
		}
		if (*p == '-') {
			if (label == 0)
				return "has a label that starts with '-'";
		} else if (!conf_is_letdig(*p)) {
			return "has a character other than letters, digits, '-' and '.'";
		}
		if (++label > 63)
			return "has a label longer than 63 characters";
		last = *p;
	}
	if (last == '.')
		return "ends with a dot";
	if (last == '-')
		return "has a label that ends with '-'";
	if (total > 253)
		return "is longer than 253 characters";
	return NULL;
}

const char *
conf_check_abs_path(const char *p)
{
	if (p[0] != '/')
		return "must be an absolute path (the daemon changes directory when it detaches)";
	if (strlen(p) >= 4096)
		return "is too long for a path";
	return NULL;
}

int
conf_domain_list(char *text, char ***v, size_t *n, char *why, size_t whylen)
{
	char *tok, *save = NULL, **nv;
	const char *bad;

	*v = NULL;
	*n = 0;
	for (tok = strtok_r(text, ", \t", &save); tok != NULL;
	     tok = strtok_r(NULL, ", \t", &save)) {
		if ((bad = conf_check_dns_name(tok)) != NULL) {
			snprintf(why, whylen, "domain '%s' %s", tok, bad);
			conf_strv_free(*v, *n);
			*v = NULL;
			*n = 0;
			return -1;
		}
		nv = realloc(*v, (*n + 1) * sizeof(*nv));
		if (nv != NULL)
			*v = nv;
		if (nv == NULL || ((*v)[*n] = strdup(tok)) == NULL) {
			conf_strv_free(*v, *n);
			*v = NULL;
			*n = 0;
			return -2;
		}
		(*n)++;
	}
	return 0;
}

void
conf_strv_free(char **v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}
