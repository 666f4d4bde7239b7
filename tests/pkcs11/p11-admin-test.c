/*
 * p11-admin-test.c: the keytool's key administration in pkcs11/ (p11_admin.c, p11_pubkey.c,
 * p11_token_list_keys) against a real SoftHSM token made by p11-admin.sh: generate and import
 * with the attributes we promise (sensitive, never extractable, sign only, label and 16-byte id),
 * the public key read back verifies real signatures, labels in use are refused, destroy removes
 * both objects and nothing else; a wrappable key is wrap-only and passes the daemon's key check.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "tests/lib/check_main.h"
#include "tests/pkcs11/testlib.h"

/* What p11_token_list_keys says about one label. */
struct seen {
	const char *label;
	unsigned n;
	struct p11_key_info ki;
	size_t id_len;
};

static int
seen_cb(const struct p11_key_info *ki, void *arg)
{
	struct seen *s = arg;

	if (strcmp(ki->label, s->label) != 0)
		return 0;
	s->n++;
	s->ki = *ki;
	s->ki.label = NULL; /* valid only during the call */
	s->ki.id = NULL;
	s->id_len = ki->id_len;
	return 0;
}

static struct seen
seen(p11_token *tok, const char *label)
{
	struct seen s = {.label = label};
	struct p11_error err;

	ck_assert_int_eq(p11_token_list_keys(tok, seen_cb, &s, &err), P11_OK);
	return s;
}

/* Reads one boolean attribute of the private key labelled label. */
struct battr {
	const char *label;
	CK_ATTRIBUTE_TYPE type;
	CK_BBOOL v;
};

static CK_RV
battr_fn(CK_FUNCTION_LIST_PTR fl, CK_SESSION_HANDLE s, void *arg)
{
	struct battr *b = arg;
	CK_OBJECT_HANDLE h;
	CK_ULONG n;
	CK_RV rv = p11_key_search(fl, s, CKO_PRIVATE_KEY, b->label, NULL, 0, false, &h, 1, &n);
	CK_ATTRIBUTE a = {b->type, &b->v, sizeof(b->v)};

	if (rv != CKR_OK || n != 1)
		return rv != CKR_OK ? rv : CKR_GENERAL_ERROR;
	return fl->C_GetAttributeValue(s, h, &a, 1);
}

static bool
battr(p11_token *tok, const char *label, CK_ATTRIBUTE_TYPE type)
{
	struct battr b = {label, type, CK_FALSE};
	struct p11_error err;

	ck_assert_int_eq(p11_token_with_session(tok, false, battr_fn, &b, &err), P11_OK);
	return b.v == CK_TRUE;
}

/* The key is born as promised, signs, and its public key (read by label) verifies it. */
static void
check_key(p11_token *tok, const char *label, enum p11_key_type type, unsigned bits)
{
	struct seen s = seen(tok, label);
	unsigned char md[P11_DIGEST_LEN], sig[512];
	size_t slen = sizeof(sig);
	struct p11_error err;
	EVP_PKEY *pub = NULL;
	p11_key *k;

	ck_assert_uint_eq(s.n, 1);
	ck_assert(s.ki.type_known);
	ck_assert_int_eq(s.ki.type, type);
	ck_assert_uint_eq(s.ki.bits, bits);
	ck_assert(s.ki.sensitive);
	ck_assert(!s.ki.extractable);
	ck_assert(s.ki.has_public);
	ck_assert_uint_eq(s.id_len, 16);
	ck_assert(battr(tok, label, CKA_SIGN));
	ck_assert(battr(tok, label, CKA_PRIVATE));
	ck_assert(battr(tok, label, CKA_TOKEN));
	ck_assert(!battr(tok, label, CKA_DECRYPT));
	ck_assert(!battr(tok, label, CKA_UNWRAP));
	k = tl_key(tok, label); /* passes the daemon's fitness checks */
	tl_tbs(k, 5, md);
	ck_assert_int_eq(p11_sign(tok, k, md, sizeof(md), sig, &slen, &err), P11_OK);
	ck_assert_msg(p11_token_public_key(tok, label, &pub, &err) == P11_OK, "%s", err.msg);
	ck_assert_int_eq(EVP_PKEY_get_base_id(pub),
	                 type == P11_KEY_RSA ? EVP_PKEY_RSA : EVP_PKEY_ED25519);
	ck_assert(tl_verify(pub, k, 5, sig, slen));
	ck_assert(!tl_verify(pub, k, 6, sig, slen));
	EVP_PKEY_free(pub);
}

START_TEST(test_generate)
{
	p11_token *tok = tl_open(false, 2);
	struct p11_error err;

	ck_assert_int_eq(p11_key_generate(tok, "gen-ed", P11_KEY_ED25519, 256, &err), P11_OK);
	check_key(tok, "gen-ed", P11_KEY_ED25519, 256);
	ck_assert_int_eq(p11_key_generate(tok, "gen-rsa", P11_KEY_RSA, 2048, &err), P11_OK);
	check_key(tok, "gen-rsa", P11_KEY_RSA, 2048);
	/* A label in use, by a key or any object, is refused: lookups would become ambiguous. */
	ck_assert_int_eq(p11_key_generate(tok, "gen-ed", P11_KEY_RSA, 2048, &err), P11_ERR_INVALID);
	ck_assert_ptr_nonnull(strstr(err.msg, "\"gen-ed\" exists already"));
	ck_assert_uint_eq(seen(tok, "gen-ed").n, 1);
	ck_assert_int_eq(p11_key_generate(tok, "", P11_KEY_ED25519, 256, &err), P11_ERR_INVALID);
	ck_assert_int_eq(p11_key_generate(tok, "small", P11_KEY_RSA, 1024, &err), P11_ERR_INVALID);
	ck_assert_uint_eq(seen(tok, "small").n, 0);
	p11_token_close(tok);
}
END_TEST

/* A wrappable key: sensitive, extractable only under a trusted wrap key, and the daemon's key
   check accepts it as such (p11_key_wrap_only), without allow_extractable. */
START_TEST(test_generate_wrappable)
{
	p11_token *tok = tl_open(false, 2);
	struct p11_error err;
	struct seen s;
	p11_key *k;

	ck_assert_int_eq(p11_key_generate_wrappable(tok, "wrap-rsa", P11_KEY_RSA, 2048, &err),
	                 P11_OK);
	s = seen(tok, "wrap-rsa");
	ck_assert(s.ki.sensitive && s.ki.extractable && s.ki.wrap_with_trusted);
	ck_assert(battr(tok, "wrap-rsa", CKA_WRAP_WITH_TRUSTED));
	ck_assert(battr(tok, "wrap-rsa", CKA_SENSITIVE));
	k = p11_token_find_key(tok, "wrap-rsa", &err);
	ck_assert_msg(k != NULL, "%s", err.msg);
	ck_assert(p11_key_wrap_only(k));
	/* A key of the usual kind is not wrap-only, and the usual kind is not wrappable. */
	ck_assert_int_eq(p11_key_generate(tok, "plain-ed", P11_KEY_ED25519, 256, &err), P11_OK);
	ck_assert(!seen(tok, "plain-ed").ki.wrap_with_trusted);
	k = p11_token_find_key(tok, "plain-ed", &err);
	ck_assert_msg(k != NULL, "%s", err.msg);
	ck_assert(!p11_key_wrap_only(k));
	p11_token_close(tok);
}
END_TEST

START_TEST(test_import)
{
	p11_token *tok = tl_open(false, 2);
	EVP_PKEY *rsa = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	EVP_PKEY *ed = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	EVP_PKEY *small = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)768);
	EVP_PKEY *ec = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	EVP_PKEY *pub = NULL;
	struct p11_error err;

	ck_assert(rsa != NULL && ed != NULL && small != NULL && ec != NULL);
	ck_assert_int_eq(p11_key_import(tok, "imp-rsa", rsa, &err), P11_OK);
	check_key(tok, "imp-rsa", P11_KEY_RSA, 2048);
	ck_assert_int_eq(p11_key_import(tok, "imp-ed", ed, &err), P11_OK);
	check_key(tok, "imp-ed", P11_KEY_ED25519, 256);
	/* The token's public key is the imported one. */
	ck_assert_int_eq(p11_token_public_key(tok, "imp-ed", &pub, &err), P11_OK);
	ck_assert_int_eq(EVP_PKEY_eq(pub, ed), 1);
	EVP_PKEY_free(pub);
	ck_assert_int_eq(p11_token_public_key(tok, "imp-rsa", &pub, &err), P11_OK);
	ck_assert_int_eq(EVP_PKEY_eq(pub, rsa), 1);
	EVP_PKEY_free(pub);
	ck_assert_int_eq(p11_key_import(tok, "imp-rsa", ed, &err), P11_ERR_INVALID);
	ck_assert_int_eq(p11_key_import(tok, "imp-small", small, &err), P11_ERR_KEY_WEAK);
	ck_assert_int_eq(p11_key_import(tok, "imp-ec", ec, &err), P11_ERR_KEY_TYPE);
	ck_assert_uint_eq(seen(tok, "imp-small").n + seen(tok, "imp-ec").n, 0);
	EVP_PKEY_free(rsa);
	EVP_PKEY_free(ed);
	EVP_PKEY_free(small);
	EVP_PKEY_free(ec);
	p11_token_close(tok);
}
END_TEST

START_TEST(test_public_key_lookup)
{
	p11_token *tok = tl_open(false, 2);
	struct p11_error err;
	EVP_PKEY *pub = (EVP_PKEY *)&err; /* must come back NULL */

	/* No fitness checks: an extractable key still has a public key to publish. */
	ck_assert_int_eq(p11_token_public_key(tok, "loose-rsa", &pub, &err), P11_OK);
	EVP_PKEY_free(pub);
	ck_assert_int_eq(p11_token_public_key(tok, "no-such-key", &pub, &err),
	                 P11_ERR_KEY_NOT_FOUND);
	ck_assert_ptr_null(pub);
	ck_assert_ptr_nonnull(strstr(err.msg, "\"no-such-key\""));
	p11_token_close(tok);
}
END_TEST

START_TEST(test_destroy)
{
	p11_token *tok = tl_open(false, 2);
	struct p11_error err;
	unsigned n = 99;

	ck_assert_int_eq(p11_key_generate(tok, "doomed", P11_KEY_ED25519, 256, &err), P11_OK);
	ck_assert_int_eq(p11_key_destroy(tok, "doomed", &n, &err), P11_OK);
	ck_assert_uint_eq(n, 2); /* the private and the public object */
	ck_assert_uint_eq(seen(tok, "doomed").n, 0);
	ck_assert_int_eq(p11_key_destroy(tok, "doomed", &n, &err), P11_ERR_KEY_NOT_FOUND);
	ck_assert_uint_eq(n, 0);
	ck_assert_ptr_nonnull(strstr(err.msg, "no key labelled \"doomed\""));
	/* The other keys are untouched. */
	ck_assert_uint_eq(seen(tok, "dkim-ed").n, 1);
	ck_assert_uint_eq(seen(tok, "dkim-rsa").n, 1);
	p11_token_close(tok);
}
END_TEST

static Suite *
admin_suite(void)
{
	Suite *s = suite_create("pkcs11-admin");
	TCase *tc = tcase_create("admin");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_generate);
	tcase_add_test(tc, test_generate_wrappable);
	tcase_add_test(tc, test_import);
	tcase_add_test(tc, test_public_key_lookup);
	tcase_add_test(tc, test_destroy);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return check_run(admin_suite(), NULL);
}
