/*
 * dkim_digest.h: what the token signs (internal to dkim/).
 *
 * rsa-sha256 with CKM_RSA_PKCS: the token pads but does not hash, so it gets
 * the DER DigestInfo (RFC 8017 9.2) of the SHA-256 digest. ed25519-sha256
 * (RFC 8463 3): PureEdDSA over the 32-byte SHA-256 digest itself.
 */
#ifndef P11DKIM_DKIM_DIGEST_H
#define P11DKIM_DKIM_DIGEST_H

#include <stddef.h>

#include "dkim/dkim.h"

#define DKIM_DIGESTINFO_PREFIX_LEN 19
#define DKIM_TBS_MAX (DKIM_DIGESTINFO_PREFIX_LEN + 32)

/* Writes the bytes to sign for `alg` given the SHA-256 digest; returns their
 * length (0 for an unknown alg). */
size_t dkim_digest_tbs(dkim_alg alg, const unsigned char digest[32],
                       unsigned char out[DKIM_TBS_MAX]);

#endif
