/*
 * p11_uri.c: the part of RFC 7512 PKCS#11 URIs that names a token and a key:
 * pkcs11:token=..;serial=..;manufacturer=..;model=..;object=..;id=..;type=..
 * Values are percent-decoded. An unknown path attribute is refused rather than ignored, so
 * that a URI meant to narrow the choice never silently matches more. The query part
 * (after '?': pin-source, module-path...) is ignored: the PIN and module come from the
 * configuration.
 */
#include "config.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "pkcs11/p11_int.h"

bool
p11_uri_is(const char *s)
{
	return s != NULL && strncmp(s, "pkcs11:", 7) == 0;
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

/* Decodes s[0..len) into a new buffer (NUL-terminated); *outlen excludes the NUL. */
static p11_status
p11_uri_decode(const char *s, size_t len, unsigned char **out, size_t *outlen)
{
	unsigned char *d;
	size_t i, n = 0;
	int hi, lo;

	if ((d = malloc(len + 1)) == NULL)
		return P11_ERR_NOMEM;
	for (i = 0; i < len; i++) {
		if (s[i] != '%') {
			d[n++] = (unsigned char)s[i];
			continue;
		}
		if (i + 2 >= len || (hi = p11_uri_hex(s[i + 1])) < 0 ||
		    (lo = p11_uri_hex(s[i + 2])) < 0) {
			free(d);
			return P11_ERR_INVALID;
		}
		d[n++] = (unsigned char)(hi << 4 | lo);
		i += 2;
	}
	d[n] = '\0';
	*out = d;
	*outlen = n;
	return P11_OK;
}

static char **
p11_uri_field(struct p11_uri *u, const char *name, size_t len)
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
		if (strlen(fields[i].name) == len && memcmp(fields[i].name, name, len) == 0)
			return (char **)((char *)u + fields[i].off);
	return NULL;
}

static p11_status
p11_uri_attr(struct p11_uri *u, const char *a, size_t len, const char *whole, struct p11_error *err)
{
	const char *eq = memchr(a, '=', len);
	unsigned char *val;
	size_t nlen, vlen;
	char **field;
	p11_status st;

	if (eq == NULL) {
		p11_err_set(err, P11_ERR_INVALID, 0, "PKCS#11 URI %s: attribute without '='",
		            whole);
		return P11_ERR_INVALID;
	}
	nlen = (size_t)(eq - a);
	if ((st = p11_uri_decode(eq + 1, len - nlen - 1, &val, &vlen)) != P11_OK) {
		p11_err_set(err, st, 0, "PKCS#11 URI %s: bad percent-encoding", whole);
		return st;
	}
	if (nlen == 2 && memcmp(a, "id", 2) == 0) {
		free(u->id);
		u->id = val;
		u->id_len = vlen;
		u->has_id = true;
		return P11_OK;
	}
	if ((field = p11_uri_field(u, a, nlen)) == NULL) {
		free(val);
		p11_err_set(err, P11_ERR_INVALID, 0, "PKCS#11 URI %s: unsupported attribute '%.*s'",
		            whole, (int)nlen, a);
		return P11_ERR_INVALID;
	}
	if (strlen((char *)val) != vlen) {
		free(val);
		p11_err_set(err, P11_ERR_INVALID, 0, "PKCS#11 URI %s: NUL byte in '%.*s'", whole,
		            (int)nlen, a);
		return P11_ERR_INVALID;
	}
	free(*field);
	*field = (char *)val;
	return P11_OK;
}

p11_status
p11_uri_parse(const char *s, struct p11_uri *u, struct p11_error *err)
{
	const char *p, *end, *semi;
	p11_status st;

	memset(u, 0, sizeof(*u));
	if (!p11_uri_is(s)) {
		p11_err_set(err, P11_ERR_INVALID, 0, "not a PKCS#11 URI: %s", s ? s : "(null)");
		return P11_ERR_INVALID;
	}
	p = s + 7;
	end = strchr(p, '?');
	if (end == NULL)
		end = p + strlen(p);
	while (p < end) {
		semi = memchr(p, ';', (size_t)(end - p));
		if (semi == NULL)
			semi = end;
		if (semi > p && (st = p11_uri_attr(u, p, (size_t)(semi - p), s, err)) != P11_OK) {
			p11_uri_free(u);
			return st;
		}
		p = semi + 1;
	}
	if (u->type != NULL && strcmp(u->type, "private") != 0) {
		p11_err_set(err, P11_ERR_INVALID, 0,
		            "PKCS#11 URI %s: type=%s, but a signing key is type=private", s,
		            u->type);
		p11_uri_free(u);
		return P11_ERR_INVALID;
	}
	return P11_OK;
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
