/*
 * dkim_digest.c: DigestInfo for rsa-sha256, the bare digest for Ed25519.
 */
#include <string.h>

#include "dkim/dkim_digest.h"

/* SEQUENCE { SEQUENCE { OID 2.16.840.1.101.3.4.2.1, NULL }, OCTET STRING (32) } */
static const unsigned char dkim_digest_sha256_prefix[DKIM_DIGESTINFO_PREFIX_LEN] = {
    0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01,
    0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20};

size_t
dkim_digest_tbs(dkim_alg alg, const unsigned char digest[32], unsigned char out[DKIM_TBS_MAX])
{
	switch (alg) {
	case DKIM_ALG_RSA_SHA256:
		memcpy(out, dkim_digest_sha256_prefix, DKIM_DIGESTINFO_PREFIX_LEN);
		memcpy(out + DKIM_DIGESTINFO_PREFIX_LEN, digest, 32);
		return DKIM_DIGESTINFO_PREFIX_LEN + 32;
	case DKIM_ALG_ED25519_SHA256:
		memcpy(out, digest, 32);
		return 32;
	}
	return 0;
}
