/*
 * p11_attr.c: attribute reading and the Ed25519 encodings tokens use.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "pkcs11/p11_attr.h"

/* Attributes longer than this are not keys, labels or ids: refuse rather than allocate. */
#define P11_ATTR_MAX 16384

CK_RV
p11_attr_get(CK_FUNCTION_LIST_PTR fl, CK_SESSION_HANDLE s, CK_OBJECT_HANDLE h,
             CK_ATTRIBUTE_TYPE type, unsigned char **val, size_t *len)
{
	CK_ATTRIBUTE a = {type, NULL, 0};
	unsigned char *v;
	CK_ULONG cap;
	CK_RV rv;

	*val = NULL;
	*len = 0;
	if ((rv = fl->C_GetAttributeValue(s, h, &a, 1)) != CKR_OK)
		return rv;
	if (a.ulValueLen == CK_UNAVAILABLE_INFORMATION || a.ulValueLen > P11_ATTR_MAX)
		return CKR_ATTRIBUTE_SENSITIVE;
	if ((v = malloc(a.ulValueLen + 1)) == NULL)
		return CKR_HOST_MEMORY;
	a.pValue = v;
	cap = a.ulValueLen;
	/* The second answer is believed only within the buffer given: a module that now reports
	   more would have the terminating NUL written past it. */
	if ((rv = fl->C_GetAttributeValue(s, h, &a, 1)) != CKR_OK || a.ulValueLen > cap) {
		free(v);
		return rv != CKR_OK ? rv : CKR_GENERAL_ERROR;
	}
	v[a.ulValueLen] = '\0';
	*val = v;
	*len = a.ulValueLen;
	return CKR_OK;
}

CK_RV
p11_attr_ulong(CK_FUNCTION_LIST_PTR fl, CK_SESSION_HANDLE s, CK_OBJECT_HANDLE h,
               CK_ATTRIBUTE_TYPE type, CK_ULONG *out)
{
	CK_ATTRIBUTE a = {type, out, sizeof(*out)};
	CK_RV rv = fl->C_GetAttributeValue(s, h, &a, 1);

	return rv == CKR_OK && a.ulValueLen != sizeof(*out) ? CKR_ATTRIBUTE_VALUE_INVALID : rv;
}

CK_RV
p11_attr_bool(CK_FUNCTION_LIST_PTR fl, CK_SESSION_HANDLE s, CK_OBJECT_HANDLE h,
              CK_ATTRIBUTE_TYPE type, CK_BBOOL *out)
{
	CK_ATTRIBUTE a = {type, out, sizeof(*out)};
	CK_RV rv = fl->C_GetAttributeValue(s, h, &a, 1);

	return rv == CKR_OK && a.ulValueLen != sizeof(*out) ? CKR_ATTRIBUTE_VALUE_INVALID : rv;
}

unsigned
p11_attr_bits(const unsigned char *v, size_t len)
{
	unsigned b;

	while (len > 0 && *v == 0) {
		v++;
		len--;
	}
	if (len == 0)
		return 0;
	for (b = 8; b > 0 && (*v & (1u << (b - 1))) == 0; b--)
		;
	return (unsigned)((len - 1) * 8 + b);
}

const unsigned char p11_attr_ed25519_oid[5] = {0x06, 0x03, 0x2b, 0x65, 0x70};

bool
p11_attr_is_ed25519(const unsigned char *p, size_t len)
{
	static const char name[] = "edwards25519";

	if (len == sizeof(p11_attr_ed25519_oid) && memcmp(p, p11_attr_ed25519_oid, len) == 0)
		return true;
	/* PrintableString (tag 0x13) as written by OpenSC's pkcs11-tool; UTF8String (0x0c) too. */
	return len == 2 + sizeof(name) - 1 && (p[0] == 0x13 || p[0] == 0x0c) &&
	       p[1] == sizeof(name) - 1 && memcmp(p + 2, name, sizeof(name) - 1) == 0;
}

bool
p11_attr_ed25519_point(const unsigned char *v, size_t len, unsigned char out[32])
{
	if (len == 34 && v[0] == 0x04 && v[1] == 32) {
		memcpy(out, v + 2, 32);
		return true;
	}
	if (len == 32) {
		memcpy(out, v, 32);
		return true;
	}
	return false;
}
