/*
 * config/conf_syntax.c: syntax of the names a configuration holds: DNS names
 * (domains, selectors, host names), absolute paths, PKCS#11 URIs (RFC 7512,
 * checked lightly: scheme, percent-encoding, an object= or id= attribute).
 * Each check returns NULL when fine, else a static reason.
 */
#include <string.h>
#include <strings.h>

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

static bool
conf_is_hex(unsigned char c)
{
	return (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'f');
}

/* True if the path part (before '?') has an attribute named attr. */
static bool
conf_uri_has_attr(const char *path, size_t len, const char *attr)
{
	size_t alen = strlen(attr), i = 0, start;

	while (i < len) {
		start = i;
		while (i < len && path[i] != ';')
			i++;
		if (i - start > alen && strncasecmp(path + start, attr, alen) == 0 &&
		    path[start + alen] == '=')
			return true;
		i++;
	}
	return false;
}

const char *
conf_check_pkcs11_uri(const char *uri, bool need_object)
{
	const char *p, *body;
	size_t plen;

	if (strncasecmp(uri, "pkcs11:", 7) != 0)
		return "is not a pkcs11: URI";
	body = uri + 7;
	for (p = body; *p != '\0'; p++) {
		if (*p == '%' &&
		    (!conf_is_hex((unsigned char)p[1]) || !conf_is_hex((unsigned char)p[2])))
			return "has a '%' not followed by two hex digits";
		if (*p == ' ' || *p == '"' || *p == '<' || *p == '>' || *p == '#')
			return "has a character a URI must percent-encode";
	}
	plen = strcspn(body, "?");
	if (need_object && !conf_uri_has_attr(body, plen, "object") &&
	    !conf_uri_has_attr(body, plen, "id"))
		return "names no key: it needs an object= or id= attribute";
	return NULL;
}
