/*
 * keytool_set: the tokens of a set compared. The tokens a run works on (keytool_targets.c) must
 * hold the same keys: a label whose public keys differ between two tokens would make the
 * daemon's signatures verify or fail depending on which token signed. list and check report it.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tools/keytool/keytool.h"

int
kt_set_compare_label(struct kt_ctx *ctx, const char *label, FILE *out, EVP_PKEY **first_out)
{
	EVP_PKEY *first = NULL, *pk;
	struct p11_error err;
	size_t i, have = 0;
	int rc = KT_SET_SAME;
	p11_token *tok;

	for (i = 0; i < ctx->ntargets; i++) {
		if ((tok = kt_ctx_target_token(ctx, i)) == NULL) {
			rc = KT_SET_ERROR; /* the worst outcome: nothing can be said */
			continue;
		}
		if (p11_token_public_key(tok, label, &pk, &err) != P11_OK) {
			fprintf(out, "missing: \"%s\" is not readable on token \"%s\": %s\n", label,
			        p11_token_label(tok), err.msg);
			if (rc == KT_SET_SAME)
				rc = KT_SET_MISSING;
			continue;
		}
		if (first == NULL) {
			first = pk;
			have = i;
			continue;
		}
		if (EVP_PKEY_eq(first, pk) != 1) {
			fprintf(
			    out,
			    "MISMATCH: \"%s\": the public key on token \"%s\" is not the one on "
			    "token \"%s\"\n",
			    label, p11_token_label(tok), p11_token_label(ctx->targets[have].tok));
			if (rc != KT_SET_ERROR)
				rc = KT_SET_DIFFER;
		}
		EVP_PKEY_free(pk);
	}
	if (first_out != NULL)
		*first_out = first;
	else
		EVP_PKEY_free(first);
	return rc;
}
