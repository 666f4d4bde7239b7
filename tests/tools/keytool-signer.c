/*
 * keytool-signer: signs standard input with a token key through Cryptoki
 * (C_SignInit + C_Sign in one part, CKM_EDDSA or CKM_SHA256_RSA_PKCS) and
 * writes the raw signature to standard output. A test helper: pkcs11-tool
 * 0.23 signs Ed25519 in several parts, which SoftHSM refuses, so the import
 * test uses this to show that an imported Ed25519 key signs; openssl then
 * verifies the signature against the original key file.
 *
 * usage: keytool-signer MODULE TOKEN PINFILE LABEL rsa|ed25519 < data > sig
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tools/keytool_keys_int.h"
#include "tools/keytool_session.h"

struct signer {
	const char *label;
	CK_MECHANISM_TYPE mech;
	unsigned char data[65536];
	CK_ULONG len;
	unsigned char sig[1024];
	CK_ULONG siglen;
};

static CK_RV
signer_fn(CK_FUNCTION_LIST_PTR fl, CK_SESSION_HANDLE s, void *arg)
{
	struct signer *sg = arg;
	CK_MECHANISM mech = {sg->mech, NULL, 0};
	CK_OBJECT_HANDLE key;
	CK_ULONG n;
	CK_RV rv;

	rv = kt_keys_find(fl, s, CKO_PRIVATE_KEY, sg->label, &key, 1, &n);
	if (rv != CKR_OK || n != 1)
		return rv != CKR_OK ? rv : CKR_KEY_HANDLE_INVALID;
	if ((rv = fl->C_SignInit(s, &mech, key)) != CKR_OK)
		return rv;
	sg->siglen = sizeof(sg->sig);
	return fl->C_Sign(s, sg->data, sg->len, sg->sig, &sg->siglen);
}

int
main(int argc, char **argv)
{
	static struct signer sg;
	struct kt_token_opts o;
	struct kt_error err = {0, ""};
	struct kt_token *tok;
	int rc;

	if (argc != 6) {
		fprintf(stderr, "usage: keytool-signer MODULE TOKEN PINFILE LABEL rsa|ed25519\n");
		return 2;
	}
	memset(&o, 0, sizeof(o));
	o.module = argv[1];
	o.token = argv[2];
	o.pin_file = argv[3];
	sg.label = argv[4];
	sg.mech = strcmp(argv[5], "ed25519") == 0 ? CKM_EDDSA : CKM_SHA256_RSA_PKCS;
	sg.len = fread(sg.data, 1, sizeof(sg.data), stdin);
	if ((tok = kt_token_open(&o, &err)) == NULL) {
		fprintf(stderr, "keytool-signer: %s\n", err.msg);
		return 1;
	}
	rc = kt_token_with_session(tok, false, signer_fn, &sg, &err);
	kt_token_close(tok);
	if (rc != 0) {
		fprintf(stderr, "keytool-signer: %s\n", err.msg);
		return 1;
	}
	return fwrite(sg.sig, 1, sg.siglen, stdout) == sg.siglen ? 0 : 1;
}
