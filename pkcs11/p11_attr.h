/*
 * p11_attr.h: reading object attributes with C_GetAttributeValue, and recognising the
 * encodings of Ed25519 parameters and points. Internal to pkcs11/. Buffers returned are the
 * caller's (free()); they carry one extra NUL byte so that text attributes are C strings.
 */
#ifndef P11DKIM_P11_ATTR_H
#define P11DKIM_P11_ATTR_H

#include <stdbool.h>
#include <stddef.h>

#include <p11-kit/pkcs11.h>

/* A variable-length attribute (at most 16 KiB): sized by a first call, read by a second; a
   second length larger than the first is refused (CKR_GENERAL_ERROR), *val NULL and *len 0 on
   any error. */
CK_RV p11_attr_get(CK_FUNCTION_LIST_PTR, CK_SESSION_HANDLE, CK_OBJECT_HANDLE, CK_ATTRIBUTE_TYPE,
                   unsigned char **val, size_t *len);
CK_RV p11_attr_ulong(CK_FUNCTION_LIST_PTR, CK_SESSION_HANDLE, CK_OBJECT_HANDLE, CK_ATTRIBUTE_TYPE,
                     CK_ULONG *out);
CK_RV p11_attr_bool(CK_FUNCTION_LIST_PTR, CK_SESSION_HANDLE, CK_OBJECT_HANDLE, CK_ATTRIBUTE_TYPE,
                    CK_BBOOL *out);
/* Significant bits of a big-endian unsigned integer. */
unsigned p11_attr_bits(const unsigned char *v, size_t len);
/* DER of the Ed25519 OID 1.3.101.112: the CKA_EC_PARAMS this library writes. */
extern const unsigned char p11_attr_ed25519_oid[5];
/* CKA_EC_PARAMS naming Ed25519: the OID 1.3.101.112, or the PrintableString "edwards25519". */
bool p11_attr_is_ed25519(const unsigned char *params, size_t len);
/* CKA_EC_POINT of an Ed25519 key to the raw 32 bytes: a DER OCTET STRING, or raw 32 bytes. */
bool p11_attr_ed25519_point(const unsigned char *v, size_t len, unsigned char out[32]);

#endif
