/*
 * keytool_uri: the little of RFC 7512 (pkcs11: URIs) the tools need to turn
 * a configured token or key reference into a label; see keytool_uri.h.
 */
#include "config.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "tools/keytool_uri.h"

static int
kt_uri_hex(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	return (c | 0x20) - 'a' + 10;
}

static char *
kt_uri_attr(const char *uri, const char *name)
{
	size_t nl = strlen(name), i, n = 0;
	const char *p, *end = NULL;
	char *out;

	if (strncasecmp(uri, "pkcs11:", 7) != 0)
		return NULL;
	p = uri + 7;
	while (*p != '\0') {
		end = p + strcspn(p, ";?");
		if ((size_t)(end - p) > nl && strncmp(p, name, nl) == 0 && p[nl] == '=')
			break;
		if (*end != ';')
			return NULL;
		p = end + 1;
	}
	if (*p == '\0' || (out = malloc((size_t)(end - p) + 1)) == NULL)
		return NULL;
	for (i = nl + 1; p + i < end; i++) {
		if (p[i] == '%') {
			if (p + i + 2 >= end || !isxdigit((unsigned char)p[i + 1]) ||
			    !isxdigit((unsigned char)p[i + 2])) {
				free(out);
				return NULL;
			}
			out[n++] = (char)(kt_uri_hex(p[i + 1]) << 4 | kt_uri_hex(p[i + 2]));
			i += 2;
		} else
			out[n++] = p[i];
	}
	out[n] = '\0';
	return out;
}

char *
kt_uri_key_label(const char *ref)
{
	if (strncasecmp(ref, "pkcs11:", 7) == 0)
		return kt_uri_attr(ref, "object");
	return strdup(ref);
}
