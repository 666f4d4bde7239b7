/*
 * p11_uri.c: the one parser of RFC 7512 PKCS#11 URIs in p11dkim (the daemon's configuration and
 * the tools both come here): pkcs11:token=..;serial=..;manufacturer=..;model=..;object=..;id=..;
 * type=..[?query]. One small function per grammar rule.
 *
 * The rules, each with its reason:
 * - The scheme is matched case-insensitively (RFC 3986 3.1): PKCS11:token=dkim is a URI, not a
 *   token label. So are attribute names: ABNF string literals are case-insensitive (RFC 5234
 *   2.3), and RFC 7512 writes its names in ABNF.
 * - Every value is percent-decoded (RFC 7512 2.3), an id= into raw bytes, the other values into
 *   text: %2F is '/', %3B is ';'. A '%' not followed by two hex digits is refused, as is a
 *   character the grammar says must be percent-encoded (space, '/', '?', '#', '"', '<', '>',
 *   controls and 8-bit bytes in the path), and a decoded NUL in a text value.
 * - Path attributes are separated by ';'; an empty one (";;", a trailing ';') and a repeated one
 *   are refused: RFC 7512's grammar allows neither.
 * - A path attribute we do not match on (library-*, slot-*, a vendor attribute or a misspelt
 *   one) is refused. RFC 7512 2.4: an unrecognised path attribute must make the URI match no
 *   resource at all. A URI that can never match is a configuration error, so we say so when the
 *   URI is read, naming the attribute, rather than later as "token not found".
 * - type= must be "private" when present: the URI names a signing key or its token.
 * - Query (after '?', attributes separated by '&'): pin-source and pin-value are refused. The
 *   PIN comes from pin_file (checked for safe permissions) or pin_env only: a pin-value would put
 *   the secret in a configuration file and in every message that shows the URI, and honouring
 *   pin-source would bypass the file's checks while ignoring it would mislead. module-name,
 *   module-path and unknown (vendor) query attributes are ignored, as RFC 7512 2.4 allows: the
 *   module is the one the configuration names. Their syntax is still checked.
 */
#include "config.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "pkcs11/p11_int.h"

#define P11_URI_SCHEME "pkcs11:"
#define P11_URI_SCHEME_LEN 7

bool
p11_uri_is(const char *s)
{
	return s != NULL && strncasecmp(s, P11_URI_SCHEME, P11_URI_SCHEME_LEN) == 0;
}

static int
p11_uri_hex(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* unreserved (RFC 3986) / pk11-res-avail, the characters every value may hold unencoded. */
static bool
p11_uri_char(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c != '\0' && strchr("-._~:[]@!$'()*+,=", c) != NULL);
}

/* pk11-pchar (path: also '&') or pk11-qchar (query: also '/', '?', '|'), '%' aside. */
static bool
p11_uri_value_char(int c, bool query)
{
	return p11_uri_char(c) || (!query && c == '&') ||
	       (query && (c == '/' || c == '?' || c == '|'));
}

/* Decodes s[0..len) into a new NUL-terminated buffer; *outlen excludes the NUL. */
static p11_status
p11_uri_decode(const char *s, size_t len, bool query, unsigned char **out, size_t *outlen,
               const char **why)
{
	unsigned char *d;
	size_t i, n = 0;
	int hi, lo;

	if ((d = malloc(len + 1)) == NULL)
		return P11_ERR_NOMEM;
	for (i = 0; i < len; i++) {
		if (s[i] == '%') {
			if (len - i < 3 || (hi = p11_uri_hex((unsigned char)s[i + 1])) < 0 ||
			    (lo = p11_uri_hex((unsigned char)s[i + 2])) < 0) {
				*why = "has a '%' not followed by two hex digits";
				free(d);
				return P11_ERR_INVALID;
			}
			d[n++] = (unsigned char)(hi << 4 | lo);
			i += 2;
		} else if (p11_uri_value_char((unsigned char)s[i], query)) {
			d[n++] = (unsigned char)s[i];
		} else {
			*why = "has a character RFC 7512 says must be percent-encoded";
			free(d);
			return P11_ERR_INVALID;
		}
	}
	d[n] = '\0';
	*out = d;
	*outlen = n;
	return P11_OK;
}

/* The path attributes we match on, and where their text goes (id= is bytes, handled apart). */
static char **
p11_uri_text_field(struct p11_uri *u, const char *name, size_t len)
{
	static const struct {
		const char *name;
		size_t off;
	} fields[] = {
	    {"token", offsetof(struct p11_uri, token)},
	    {"serial", offsetof(struct p11_uri, serial)},
	    {"manufacturer", offsetof(struct p11_uri, manufacturer)},
	    {"model", offsetof(struct p11_uri, model)},
	    {"object", offsetof(struct p11_uri, object)},
	    {"type", offsetof(struct p11_uri, type)},
	};

	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
		if (strlen(fields[i].name) == len && strncasecmp(fields[i].name, name, len) == 0)
			return (char **)((char *)u + fields[i].off);
	return NULL;
}

static bool
p11_uri_name_is(const char *a, size_t len, const char *name)
{
	return strlen(name) == len && strncasecmp(a, name, len) == 0;
}

/* Where a path attribute's value goes: *field for text, NULL for id=; an error if unknown or
   repeated. */
static p11_status
p11_uri_target(struct p11_uri *u, const char *a, size_t nlen, const char *whole, char ***field,
               struct p11_error *err)
{
	*field = NULL;
	if (!p11_uri_name_is(a, nlen, "id") && (*field = p11_uri_text_field(u, a, nlen)) == NULL) {
		p11_err_set(err, P11_ERR_INVALID, 0,
		            "PKCS#11 URI %s: path attribute '%.*s' is not one p11dkim matches on "
		            "(token, serial, manufacturer, model, object, id, type), so the URI "
		            "would match nothing (RFC 7512 2.4)",
		            whole, (int)nlen, a);
		return P11_ERR_INVALID;
	}
	if (*field != NULL ? **field != NULL : u->has_id) {
		p11_err_set(err, P11_ERR_INVALID, 0, "PKCS#11 URI %s: '%.*s' given twice", whole,
		            (int)nlen, a);
		return P11_ERR_INVALID;
	}
	return P11_OK;
}

/* One attribute a[0..len), name=value: a path attribute is stored in u; a query attribute has
   its syntax checked, then is ignored (pin-* were refused before). */
static p11_status
p11_uri_attr(struct p11_uri *u, const char *a, size_t len, bool query, const char *whole,
             struct p11_error *err)
{
	const char *eq = memchr(a, '=', len), *why = NULL;
	unsigned char *val;
	size_t nlen, vlen;
	char **field = NULL;
	p11_status st;

	if (len == 0 || eq == NULL || eq == a) {
		p11_err_set(err, P11_ERR_INVALID, 0,
		            "PKCS#11 URI %s: %s %s attribute (name=value expected)", whole,
		            len == 0 ? "an empty" : "a malformed", query ? "query" : "path");
		return P11_ERR_INVALID;
	}
	nlen = (size_t)(eq - a);
	if (!query && (st = p11_uri_target(u, a, nlen, whole, &field, err)) != P11_OK)
		return st;
	if ((st = p11_uri_decode(eq + 1, len - nlen - 1, query, &val, &vlen, &why)) != P11_OK) {
		p11_err_set(err, st, 0, "PKCS#11 URI %s: '%.*s' %s", whole, (int)nlen, a,
		            why != NULL ? why : "cannot be decoded: out of memory");
		return st;
	}
	if (query) {
		free(val);
	} else if (field == NULL) {
		u->id = val;
		u->id_len = vlen;
		u->has_id = true;
	} else if (strlen((char *)val) != vlen) {
		free(val);
		p11_err_set(err, P11_ERR_INVALID, 0, "PKCS#11 URI %s: NUL byte in '%.*s'", whole,
		            (int)nlen, a);
		return P11_ERR_INVALID;
	} else
		*field = (char *)val;
	return P11_OK;
}

/* Splits s[0..len) at sep and hands each part to the path or the query rule. */
static p11_status
p11_uri_attrs(struct p11_uri *u, const char *s, size_t len, bool query, const char *whole,
              struct p11_error *err)
{
	const char *p = s, *end = s + len, *next;
	char sep = query ? '&' : ';';
	p11_status st;

	if (len == 0)
		return P11_OK; /* "pkcs11:" names anything; "pkcs11:?" has no query attribute */
	for (;;) {
		if ((next = memchr(p, sep, (size_t)(end - p))) == NULL)
			next = end;
		st = p11_uri_attr(u, p, (size_t)(next - p), query, whole, err);
		if (st != P11_OK || next == end)
			return st;
		p = next + 1;
	}
}

/* True if the query q names pin-source or pin-value: checked before anything else, so that no
   message about another attribute echoes a URI holding a PIN. */
static bool
p11_uri_names_pin(const char *q)
{
	size_t len;

	for (; q != NULL; q = strchr(q, '&') != NULL ? strchr(q, '&') + 1 : NULL) {
		len = strcspn(q, "=&");
		if (p11_uri_name_is(q, len, "pin-source") || p11_uri_name_is(q, len, "pin-value"))
			return true;
	}
	return false;
}

p11_status
p11_uri_parse(const char *s, struct p11_uri *u, struct p11_error *err)
{
	const char *body, *q;
	size_t plen;
	p11_status st;

	memset(u, 0, sizeof(*u));
	if (!p11_uri_is(s)) {
		p11_err_set(err, P11_ERR_INVALID, 0, "not a PKCS#11 URI: %s", s ? s : "(null)");
		return P11_ERR_INVALID;
	}
	body = s + P11_URI_SCHEME_LEN;
	q = strchr(body, '?');
	plen = q != NULL ? (size_t)(q - body) : strlen(body);
	if (q != NULL && p11_uri_names_pin(q + 1)) {
		p11_err_set(err, P11_ERR_INVALID, 0,
		            "PKCS#11 URI: pin-source and pin-value are not accepted: give the PIN "
		            "with pin_file or pin_env");
		return P11_ERR_INVALID;
	}
	if ((st = p11_uri_attrs(u, body, plen, false, s, err)) == P11_OK && q != NULL)
		st = p11_uri_attrs(u, q + 1, strlen(q + 1), true, s, err);
	if (st == P11_OK && u->type != NULL && strcmp(u->type, "private") != 0) {
		p11_err_set(err, P11_ERR_INVALID, 0,
		            "PKCS#11 URI %s: type=%s, but a signing key is type=private", s,
		            u->type);
		st = P11_ERR_INVALID;
	}
	if (st == P11_ERR_NOMEM)
		p11_err_set(err, st, 0, "out of memory");
	if (st != P11_OK)
		p11_uri_free(u);
	return st;
}

void
p11_uri_free(struct p11_uri *u)
{
	free(u->token);
	free(u->serial);
	free(u->manufacturer);
	free(u->model);
	free(u->object);
	free(u->type);
	free(u->id);
	memset(u, 0, sizeof(*u));
}

p11_status
p11_uri_check(const char *ref, bool key, struct p11_error *err)
{
	struct p11_uri u;
	p11_status st;

	if (err != NULL)
		memset(err, 0, sizeof(*err));
	if ((st = p11_uri_parse(ref, &u, err)) != P11_OK)
		return st;
	if (key && u.object == NULL && !u.has_id) {
		p11_err_set(err, P11_ERR_INVALID, 0,
		            "key URI %s names no key: it needs an object= or id= attribute", ref);
		st = P11_ERR_INVALID;
	}
	p11_uri_free(&u);
	return st;
}

char *
p11_uri_key_label(const char *ref)
{
	struct p11_uri u;
	char *label;

	if (ref == NULL)
		return NULL;
	if (!p11_uri_is(ref))
		return strdup(ref);
	if (p11_uri_parse(ref, &u, NULL) != P11_OK)
		return NULL;
	label = u.object;
	u.object = NULL;
	p11_uri_free(&u);
	return label;
}
