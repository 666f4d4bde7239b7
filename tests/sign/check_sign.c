/*
 * check_sign: sign/ against a real SoftHSM token (see sign-test.sh): the configuration as token
 * and signer options, the key map (all domains, one domain, a missing key, a weak key), and one
 * message signed with RSA and Ed25519 side by side, each signature checked with OpenSSL against
 * the public key read back from the token.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <openssl/evp.h>

#include "config/conf.h"
#include "sign/sign_keys.h"
#include "sign/sign_msg.h"
#include "sign/sign_opts.h"
#include "tests/dkim/signer-util.h"
#include "tests/lib/check_main.h"

static struct conf *conf;
static p11_set *set;
static p11_token *tok; /* the set's one token */

static void
setup(void)
{
	struct conf_error cerr = {0};
	struct p11_token_opts topts[CONF_MAX_TOKENS];
	struct p11_set_opts so;
	struct p11_error perr = {0};
	char path[4096];

	snprintf(path, sizeof(path), "%s/sign.conf", getenv("P11DKIM_TEST_DIR"));
	conf = conf_load(path, &cerr);
	ck_assert_msg(conf != NULL, "%s: %s", path, cerr.msg);
	sign_set_opts(conf, topts, &so);
	set = p11_set_open(&so, &perr);
	ck_assert_msg(set != NULL, "token: %s", perr.msg);
	ck_assert_uint_eq(p11_set_size(set), 1);
	tok = p11_set_token(set, 0);
}

static void
teardown(void)
{
	p11_set_close(set);
	conf_free(conf);
}

static const struct conf_domain *
domain(const char *name)
{
	const struct conf_domain *d = conf_signtable_lookup(conf, name);

	ck_assert_ptr_nonnull(d);
	return d;
}

START_TEST(test_opts)
{
	struct p11_token_opts t;
	struct dkim_sign_opts s;

	sign_token_opts(&conf->tokens[0], &t);
	ck_assert_str_eq(t.module, getenv("P11DKIM_MODULE"));
	ck_assert_str_eq(t.token, getenv("P11DKIM_TOKEN"));
	ck_assert_str_eq(t.pin_file, getenv("P11DKIM_PIN_FILE"));
	ck_assert_ptr_null(t.pin_env);
	ck_assert_uint_eq(t.sessions, 3);
	ck_assert_uint_eq(t.borrow_timeout_ms, 1234);
	ck_assert(!t.allow_extractable && !t.forget_pin);
	sign_dkim_opts(&conf->sign, 1700000000, &s);
	ck_assert_int_eq(s.hdr_canon, DKIM_CANON_SIMPLE);
	ck_assert_int_eq(s.body_canon, DKIM_CANON_RELAXED);
	ck_assert(!s.oversign);
	ck_assert_int_eq(s.timestamp, 1700000000);
	ck_assert_int_eq(s.expire_after, 86400);
	ck_assert_ptr_null(s.headers);
}
END_TEST

static int nwarn;
static char warned[512];

static void
warn(void *arg, const char *msg)
{
	(void)arg;
	nwarn++;
	snprintf(warned, sizeof(warned), "%s", msg);
}

START_TEST(test_keys_missing)
{
	char msg[1024] = "";

	ck_assert_ptr_null(sign_keys_build(conf, set, NULL, warn, NULL, msg, sizeof(msg)));
	ck_assert_msg(strstr(msg, "sign.conf:") != NULL && strstr(msg, "domain broken.test") &&
	                  strstr(msg, "\"not-on-token\""),
	              "%s", msg);
	ck_assert_ptr_null(
	    sign_keys_build(conf, set, domain("broken.test"), warn, NULL, msg, sizeof(msg)));
}
END_TEST

START_TEST(test_keys_one_domain)
{
	const struct conf_domain *g = domain("good.test");
	struct sign_keys *k;
	char msg[1024] = "";

	nwarn = 0;
	k = sign_keys_build(conf, set, g, warn, NULL, msg, sizeof(msg));
	ck_assert_msg(k != NULL, "%s", msg);
	ck_assert_int_eq(sign_keys_get(k, conf, g, 0)->alg, DKIM_ALG_RSA_SHA256);
	ck_assert_int_eq(sign_keys_get(k, conf, g, 1)->alg, DKIM_ALG_ED25519_SHA256);
	ck_assert_str_eq(p11_key_label(p11_set_key_first(sign_keys_get(k, conf, g, 1)->key)), "dkim-ed");
	ck_assert_ptr_null(sign_keys_get(k, conf, g, 2));
	/* Only good.test was looked up: no key for the others, no warning for weak.test. */
	ck_assert_ptr_null(sign_keys_get(k, conf, domain("weak.test"), 0));
	ck_assert_int_eq(nwarn, 0);
	sign_keys_free(k);

	k = sign_keys_build(conf, set, domain("weak.test"), warn, NULL, msg, sizeof(msg));
	ck_assert_msg(k != NULL, "%s", msg);
	ck_assert_int_eq(nwarn, 1);
	ck_assert_msg(strstr(warned, "\"weak-rsa\" is RSA with 1024 bits") != NULL, "%s", warned);
	sign_keys_free(k);
}
END_TEST

/* 1 when SIG is KEY's signature over DATA: RSA over the data with SHA-256, Ed25519 over the
 * SHA-256 of the data (RFC 8463). */
static int
verify_once(EVP_PKEY *pub, const p11_key *key, const unsigned char *sig, size_t n, const char *data,
            size_t len)
{
	EVP_MD_CTX *mc = EVP_MD_CTX_new();
	unsigned char md[32];
	bool ed = p11_key_type(key) == P11_KEY_ED25519;
	int ok;

	ck_assert(EVP_Digest(data, len, md, NULL, EVP_sha256(), NULL));
	ck_assert(EVP_DigestVerifyInit(mc, NULL, ed ? NULL : EVP_sha256(), NULL, pub));
	ok = EVP_DigestVerify(mc, sig, n, ed ? md : (const unsigned char *)data,
	                      ed ? sizeof(md) : len);
	EVP_MD_CTX_free(mc);
	return ok;
}

/* Checks the signature in FIELD over what the signer hashed, with the token's public key. */
static void
verify(dkim_signer *sg, size_t i, const char *field, const p11_key *key)
{
	unsigned char sig[1024];
	char *b = tag(field, "b"), *data;
	size_t len, blen = strlen(b);
	EVP_PKEY *pub = NULL;
	struct p11_error perr = {0};
	int n;

	ck_assert_int_eq(dkim_signer_hash_input(sg, i, &data, &len), DKIM_OK);
	ck_assert_int_eq(p11_key_public(tok, key, &pub, &perr), P11_OK);
	n = EVP_DecodeBlock(sig, (unsigned char *)b, (int)blen);
	ck_assert_int_gt(n, 0);
	n -= (blen > 0 && b[blen - 1] == '=') + (blen > 1 && b[blen - 2] == '=');
	ck_assert_msg(verify_once(pub, key, sig, (size_t)n, data, len) == 1,
	              "signature %zu does not verify", i);
	/* The judge can fail: one changed byte of the data breaks it. */
	data[0] ^= 1;
	ck_assert_int_ne(verify_once(pub, key, sig, (size_t)n, data, len), 1);
	EVP_PKEY_free(pub);
	free(data);
	free(b);
}

START_TEST(test_sign)
{
	const struct conf_domain *g = domain("good.test");
	const struct sign_key *entry[DKIM_MAX_SIGNATURES];
	char *fields[DKIM_MAX_SIGNATURES] = {0};
	struct sign_msg_result r;
	struct dkim_sign_opts o;
	struct sign_keys *k;
	dkim_signer *sg = NULL;
	char msg[1024] = "", *s;
	size_t i;

	k = sign_keys_build(conf, set, g, NULL, NULL, msg, sizeof(msg));
	ck_assert_msg(k != NULL, "%s", msg);
	sign_dkim_opts(&conf->sign, 1700000000, &o);
	ck_assert_int_eq(dkim_signer_new(&o, &sg), DKIM_OK);
	ck_assert_int_eq(sign_msg_add(sg, k, conf, g, entry, msg, sizeof(msg)), 2);
	feed_basic(sg);
	ck_assert_int_eq(sign_msg_sign(sg, set, g, entry, "\r\n", fields, NULL, NULL, &r), 0);
	ck_assert_uint_eq(r.nsigned, 2);
	ck_assert_uint_eq(dkim_signer_count(sg), 2);
	ck_assert(r.ns[0] > 0 && r.ns[1] > 0 && r.total_ns == r.ns[0] + r.ns[1]);
	for (i = 0; i < 2; i++) {
		s = tag(fields[i], "d");
		ck_assert_str_eq(s, "good.test");
		free(s);
		s = tag(fields[i], "c");
		ck_assert_str_eq(s, "simple/relaxed");
		free(s);
		s = tag(fields[i], "x");
		ck_assert_str_eq(s, "1700086400");
		free(s);
		verify(sg, i, fields[i], p11_set_key_first(entry[i]->key));
		free(fields[i]);
	}
	dkim_signer_free(sg);
	sign_keys_free(k);
}
END_TEST

START_TEST(test_sign_no_key_in_map)
{
	const struct sign_key *entry[DKIM_MAX_SIGNATURES];
	struct sign_keys *k;
	struct dkim_sign_opts o;
	dkim_signer *sg = NULL;
	char msg[1024] = "";

	/* A map built for weak.test holds nothing for good.test: refused, not a crash. */
	k = sign_keys_build(conf, set, domain("weak.test"), NULL, NULL, msg, sizeof(msg));
	ck_assert_msg(k != NULL, "%s", msg);
	sign_dkim_opts(&conf->sign, 1700000000, &o);
	ck_assert_int_eq(dkim_signer_new(&o, &sg), DKIM_OK);
	ck_assert_int_eq(sign_msg_add(sg, k, conf, domain("good.test"), entry, msg, sizeof(msg)),
	                 -1);
	ck_assert_str_eq(msg, "adding signature good.test/rsa: no key in the map");
	dkim_signer_free(sg);
	sign_keys_free(k);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("sign");
	TCase *tc = tcase_create("token");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_opts);
	tcase_add_test(tc, test_keys_missing);
	tcase_add_test(tc, test_keys_one_domain);
	tcase_add_test(tc, test_sign);
	tcase_add_test(tc, test_sign_no_key_in_map);
	suite_add_tcase(s, tc);
	return check_run(s, NULL);
}
