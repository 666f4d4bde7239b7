/*
 * keytool_keys_int: Cryptoki helpers shared by keytool_keys.c and
 * keytool_keygen.c; not for other modules. All run on a session the caller
 * holds (inside a kt_token_with_session() callback).
 */
#ifndef P11DKIM_TOOLS_KEYTOOL_KEYS_INT_H
#define P11DKIM_TOOLS_KEYTOOL_KEYS_INT_H

#include <p11-kit/pkcs11.h>

#include "tools/keytool_keys.h"

/* Up to MAX handles of objects of class CLS (or any class when CLS is
   (CK_OBJECT_CLASS)-1) with the label LABEL (NULL: any label). */
CK_RV kt_keys_find(CK_FUNCTION_LIST_PTR fl, CK_SESSION_HANDLE s, CK_OBJECT_CLASS cls,
                   const char *label, CK_OBJECT_HANDLE *h, CK_ULONG max, CK_ULONG *n);

/* Reads attribute TYPE into a malloc'ed *VAL (NULL when empty). */
CK_RV kt_keys_attr(CK_FUNCTION_LIST_PTR fl, CK_SESSION_HANDLE s, CK_OBJECT_HANDLE h,
                   CK_ATTRIBUTE_TYPE type, unsigned char **val, CK_ULONG *len);

#define KT_ANY_CLASS ((CK_OBJECT_CLASS)-1)

#endif
