/*
 * keytool-signer: signs standard input with a token key through pkcs11/ (p11_sign, one C_Sign)
 * and writes the raw signature to standard output. A test helper: pkcs11-tool 0.23 signs Ed25519
 * in several parts, which SoftHSM refuses, so the import test uses this to show that an imported
 * key signs; openssl then verifies the signature against the original key file.
 *
 * rsa: the input is hashed here (SHA-256) and signed RSASSA-PKCS1-v1_5 (what `openssl dgst
 * -sha256 -verify` checks). ed25519: the input must be exactly 32 bytes, signed as they are
 * (PureEdDSA over them, what `openssl pkeyutl -verify -rawin` checks): p11_sign takes a 32-byte
 * digest and nothing else.
 *
 * usage: keytool-signer MODULE TOKEN PINFILE LABEL rsa|ed25519 < data > sig
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "pkcs11/p11.h"

int
main(int argc, char **argv)
{
	static unsigned char data[65536];
	unsigned char md[P11_DIGEST_LEN], sig[1024];
	struct p11_token_opts o;
	struct p11_error err;
	size_t len, siglen = sizeof(sig);
	p11_token *tok;
	p11_key *key;
	p11_status st;

	if (argc != 6) {
		fprintf(stderr, "usage: keytool-signer MODULE TOKEN PINFILE LABEL rsa|ed25519\n");
		return 2;
	}
	len = fread(data, 1, sizeof(data), stdin);
	if (strcmp(argv[5], "ed25519") == 0) {
		if (len != sizeof(md)) {
			fprintf(stderr, "keytool-signer: ed25519 signs exactly 32 bytes\n");
			return 2;
		}
		memcpy(md, data, sizeof(md));
	} else if (EVP_Digest(data, len, md, NULL, EVP_sha256(), NULL) != 1)
		return 1;
	memset(&o, 0, sizeof(o));
	o.module = argv[1];
	o.token = argv[2];
	o.pin_file = argv[3];
	if ((tok = p11_token_open(&o, &err)) == NULL) {
		fprintf(stderr, "keytool-signer: %s\n", err.msg);
		return 1;
	}
	st = (key = p11_token_find_key(tok, argv[4], &err)) == NULL
	         ? err.status
	         : p11_sign(tok, key, md, sizeof(md), sig, &siglen, &err);
	p11_token_close(tok);
	if (st != P11_OK) {
		fprintf(stderr, "keytool-signer: %s\n", err.msg);
		return 1;
	}
	return fwrite(sig, 1, siglen, stdout) == siglen ? 0 : 1;
}
