/*
 * p11-test.c: pkcs11/ against a real SoftHSM token (made by p11-test.sh with tests/lib/softhsm.sh):
 * login and PIN sources, key lookup and its safety checks, signatures verified with the public
 * key read back from the token, URIs, fork, listing. Concurrency and faults: p11-pool-test.c.
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pkcs11/p11_attr.h"
#include "tests/pkcs11/testlib.h"
#include "tests/lib/check_main.h"

static const unsigned char ed25519_oid[] = {0x06, 0x03, 0x2b, 0x65, 0x70};

struct gen {
	const char *label;
	unsigned char id;
	CK_ULONG rsa_bits; /* 0: Ed25519 with the OID as EC_PARAMS */
	bool extractable;
	bool no_sign;     /* CKA_SIGN false */
	bool always_auth; /* CKA_ALWAYS_AUTHENTICATE true */
	bool no_id;       /* no CKA_ID on either object: found by label only */
};

/* Drops the CKA_ID entry of a template; the new count. */
static CK_ULONG
drop_id(CK_ATTRIBUTE *t, CK_ULONG n)
{
	CK_ULONG i, o = 0;

	for (i = 0; i < n; i++)
		if (t[i].type != CKA_ID)
			t[o++] = t[i];
	return o;
}

static CK_RV
gen_key(CK_FUNCTION_LIST_PTR fl, CK_SESSION_HANDLE s, void *arg)
{
	const struct gen *g = arg;
	CK_BBOOL yes = CK_TRUE, no = CK_FALSE, extr = g->extractable ? CK_TRUE : CK_FALSE;
	CK_ULONG bits = g->rsa_bits;
	CK_BYTE exp[] = {1, 0, 1};
	CK_MECHANISM mech = {g->rsa_bits ? CKM_RSA_PKCS_KEY_PAIR_GEN : CKM_EC_EDWARDS_KEY_PAIR_GEN,
	                     NULL, 0};
	CK_ATTRIBUTE pub[] = {
	    {CKA_TOKEN, &yes, sizeof(yes)},
	    {CKA_VERIFY, &yes, sizeof(yes)},
	    {CKA_LABEL, (void *)g->label, strlen(g->label)},
	    {CKA_ID, (void *)&g->id, 1},
	    {g->rsa_bits ? CKA_MODULUS_BITS : CKA_EC_PARAMS,
	     g->rsa_bits ? (void *)&bits : (void *)ed25519_oid,
	     g->rsa_bits ? sizeof(bits) : sizeof(ed25519_oid)},
	    {CKA_PUBLIC_EXPONENT, exp, sizeof(exp)},
	};
	CK_ATTRIBUTE priv[] = {
	    {CKA_TOKEN, &yes, sizeof(yes)},
	    {CKA_PRIVATE, &yes, sizeof(yes)},
	    {CKA_SIGN, g->no_sign ? &no : &yes, sizeof(yes)},
	    {CKA_SENSITIVE, g->extractable ? &no : &yes, sizeof(yes)},
	    {CKA_EXTRACTABLE, &extr, sizeof(extr)},
	    {CKA_LABEL, (void *)g->label, strlen(g->label)},
	    {CKA_ID, (void *)&g->id, 1},
	    {CKA_ALWAYS_AUTHENTICATE, &yes, sizeof(yes)},
	};
	CK_ULONG npub = g->rsa_bits ? 6 : 5, npriv = g->always_auth ? 8 : 7;
	CK_OBJECT_HANDLE hpub, hpriv;

	if (g->no_id) {
		npub = drop_id(pub, npub);
		npriv = drop_id(priv, npriv);
	}
	return fl->C_GenerateKeyPair(s, &mech, pub, npub, priv, npriv, &hpub, &hpriv);
}

static void
generate_as(p11_token *tok, const struct gen *g)
{
	struct p11_error err;
	p11_status st = p11_token_with_session(tok, true, gen_key, (void *)g, &err);

	ck_assert_msg(st == P11_OK, "generate %s: %s", g->label, err.msg);
}

static void
generate(p11_token *tok, const char *label, unsigned char id, CK_ULONG rsa_bits, bool extractable)
{
	struct gen g = {label, id, rsa_bits, extractable, false, false, false};

	generate_as(tok, &g);
}

/* Signs message n with k and checks the signature with the public key read from the token. */
static void
sign_and_verify(p11_token *tok, p11_key *k, unsigned long n)
{
	unsigned char tbs[64], sig[512];
	size_t tlen = tl_tbs(k, n, tbs), slen = sizeof(sig);
	struct p11_error err;
	EVP_PKEY *pub = NULL;
	p11_status st;

	st = p11_sign(tok, k, tbs, tlen, sig, &slen, &err);
	ck_assert_msg(st == P11_OK, "sign with %s: %s", p11_key_label(k), err.msg);
	ck_assert_uint_eq(slen, p11_key_sig_len(k));
	st = p11_key_public(tok, k, &pub, &err);
	ck_assert_msg(st == P11_OK, "public key of %s: %s", p11_key_label(k), err.msg);
	ck_assert_msg(tl_verify(pub, k, n, sig, slen), "signature of %s does not verify",
	              p11_key_label(k));
	/* And a signature over another message must not verify (the verifier can fail). */
	ck_assert(!tl_verify(pub, k, n + 1, sig, slen));
	sig[slen / 2] ^= 1;
	ck_assert(!tl_verify(pub, k, n, sig, slen));
	EVP_PKEY_free(pub);
}

START_TEST(test_sign_verify)
{
	p11_token *tok = tl_open(false, 2);
	p11_key *rsa = tl_key(tok, "dkim-rsa"), *ed = tl_key(tok, "dkim-ed");

	ck_assert_int_eq(p11_key_type(rsa), P11_KEY_RSA);
	ck_assert_uint_eq(p11_key_bits(rsa), 2048);
	ck_assert_uint_eq(p11_key_sig_len(rsa), 256);
	ck_assert(!p11_key_weak(rsa));
	ck_assert_int_eq(p11_key_type(ed), P11_KEY_ED25519);
	ck_assert_uint_eq(p11_key_bits(ed), 256);
	ck_assert_uint_eq(p11_key_sig_len(ed), 64);
	ck_assert_str_eq(p11_key_label(ed), "dkim-ed");
	ck_assert_str_eq(p11_token_label(tok), "dkim");
	ck_assert_ptr_eq(tl_key(tok, "dkim-rsa"), rsa); /* same key, same object */
	for (unsigned long n = 0; n < 4; n++) {
		sign_and_verify(tok, rsa, n);
		sign_and_verify(tok, ed, n);
	}
	p11_token_close(tok);
}
END_TEST

/* Reads CKA_EC_PARAMS of the private key "dkim-ed", to prove which encoding a test used. */
static CK_RV
read_ec_params(CK_FUNCTION_LIST_PTR fl, CK_SESSION_HANDLE s, void *arg)
{
	unsigned char *out = arg;
	CK_OBJECT_CLASS cls = CKO_PRIVATE_KEY;
	CK_ATTRIBUTE t[] = {{CKA_CLASS, &cls, sizeof(cls)}, {CKA_LABEL, "dkim-ed", 7}};
	CK_ATTRIBUTE a = {CKA_EC_PARAMS, out, 32};
	CK_OBJECT_HANDLE h;
	CK_ULONG n = 0;
	CK_RV rv;

	if ((rv = fl->C_FindObjectsInit(s, t, 2)) != CKR_OK)
		return rv;
	rv = fl->C_FindObjects(s, &h, 1, &n);
	fl->C_FindObjectsFinal(s);
	if (rv != CKR_OK || n != 1)
		return rv != CKR_OK ? rv : CKR_GENERAL_ERROR;
	return fl->C_GetAttributeValue(s, h, &a, 1);
}

START_TEST(test_ed25519_both_encodings)
{
	p11_token *tok = tl_open(false, 2);
	unsigned char params[32] = {0};
	struct p11_error err;
	unsigned char raw[32];
	p11_key *k;

	/* pkcs11-tool's key: EC_PARAMS is the PrintableString "edwards25519". */
	ck_assert_int_eq(p11_token_with_session(tok, false, read_ec_params, params, &err), P11_OK);
	ck_assert_int_eq(params[0], 0x13);
	ck_assert_mem_eq(params + 2, "edwards25519", 12);
	sign_and_verify(tok, tl_key(tok, "dkim-ed"), 7);
	/* Our own key: EC_PARAMS is the OID 1.3.101.112. */
	generate(tok, "oid-ed", 0x40, 0, false);
	k = tl_key(tok, "oid-ed");
	ck_assert_int_eq(p11_key_type(k), P11_KEY_ED25519);
	sign_and_verify(tok, k, 9);
	ck_assert_int_eq(p11_key_public_raw_ed25519(tok, k, raw, &err), P11_OK);
	ck_assert_int_eq(p11_key_public_raw_ed25519(tok, tl_key(tok, "dkim-rsa"), raw, &err),
	                 P11_ERR_KEY_TYPE);
	p11_token_close(tok);
}
END_TEST

/* A public key object labelled "noid-ed" holding another Ed25519 key: what a failed
 * re-generation or an import by hand may leave behind. */
static CK_RV
stale_pub(CK_FUNCTION_LIST_PTR fl, CK_SESSION_HANDLE s, void *arg)
{
	static const char label[] = "noid-ed";
	CK_OBJECT_CLASS cls = CKO_PUBLIC_KEY;
	CK_KEY_TYPE kt = CKK_EC_EDWARDS;
	CK_BBOOL yes = CK_TRUE;
	unsigned char point[34] = {0x04, 32};
	CK_ATTRIBUTE t[] = {
	    {CKA_CLASS, &cls, sizeof(cls)},
	    {CKA_KEY_TYPE, &kt, sizeof(kt)},
	    {CKA_TOKEN, &yes, sizeof(yes)},
	    {CKA_VERIFY, &yes, sizeof(yes)},
	    {CKA_LABEL, (void *)label, sizeof(label) - 1},
	    {CKA_EC_PARAMS, (void *)ed25519_oid, sizeof(ed25519_oid)},
	    {CKA_EC_POINT, point, sizeof(point)},
	};
	CK_OBJECT_HANDLE h;

	memcpy(point + 2, arg, 32);
	return fl->C_CreateObject(s, t, sizeof(t) / sizeof(t[0]), &h);
}

/* L13: an Ed25519 key without CKA_ID has its public key looked up by label; a second public
 * object with that label must be refused, naming label and token, not guessed between. */
START_TEST(test_pubkey_stale_label)
{
	struct gen g = {"noid-ed", 0, 0, false, false, false, true};
	p11_token *tok = tl_open(false, 2);
	EVP_PKEY *other = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519"), *pub = NULL;
	unsigned char raw[32];
	size_t rawlen = sizeof(raw);
	struct p11_error err;
	p11_key *k;

	generate_as(tok, &g);
	k = tl_key(tok, "noid-ed");
	sign_and_verify(tok, k, 3); /* alone, the label finds its own public key */
	ck_assert_ptr_nonnull(other);
	ck_assert_int_eq(EVP_PKEY_get_raw_public_key(other, raw, &rawlen), 1);
	ck_assert_int_eq(p11_token_with_session(tok, true, stale_pub, raw, &err), P11_OK);
	ck_assert_int_eq(p11_key_public(tok, k, &pub, &err), P11_ERR_KEY_AMBIGUOUS);
	ck_assert_ptr_null(pub);
	ck_assert_msg(strstr(err.msg, "\"noid-ed\"") != NULL && strstr(err.msg, "\"dkim\"") != NULL,
	              "%s", err.msg);
	ck_assert_int_eq(p11_token_public_key(tok, "noid-ed", &pub, &err), P11_ERR_KEY_AMBIGUOUS);
	ck_assert_ptr_null(pub);
	ck_assert_int_eq(p11_key_public_raw_ed25519(tok, k, raw, &err), P11_ERR_KEY_AMBIGUOUS);
	/* A key with an id is looked up by id: the stale label does not matter to it. */
	sign_and_verify(tok, tl_key(tok, "dkim-ed"), 4);
	EVP_PKEY_free(other);
	p11_token_close(tok);
}
END_TEST

START_TEST(test_rsa_sizes)
{
	p11_token *tok = tl_open(false, 2);
	struct p11_error err;
	p11_key *k;

	generate(tok, "rsa-1024", 0x50, 1024, false);
	k = tl_key(tok, "rsa-1024");
	ck_assert_uint_eq(p11_key_bits(k), 1024);
	ck_assert(p11_key_weak(k));
	sign_and_verify(tok, k, 1);
	generate(tok, "rsa-768", 0x51, 768, false);
	ck_assert_ptr_null(p11_token_find_key(tok, "rsa-768", &err));
	ck_assert_int_eq(err.status, P11_ERR_KEY_WEAK);
	ck_assert_ptr_nonnull(strstr(err.msg, "rsa-768"));
	ck_assert_ptr_nonnull(strstr(err.msg, "768"));
	p11_token_close(tok);
}
END_TEST

START_TEST(test_extractable)
{
	struct p11_token_opts o;
	struct p11_error err;
	p11_token *tok = tl_open(false, 2);

	generate(tok, "loose-ed", 0x60, 0, true);
	ck_assert_ptr_null(p11_token_find_key(tok, "loose-ed", &err));
	ck_assert_int_eq(err.status, P11_ERR_KEY_UNSAFE);
	ck_assert_ptr_nonnull(strstr(err.msg, "loose-ed"));
	/* The fixture's extractable RSA key (pkcs11-tool --extractable) too. */
	ck_assert_ptr_null(p11_token_find_key(tok, "loose-rsa", &err));
	ck_assert_int_eq(err.status, P11_ERR_KEY_UNSAFE);
	ck_assert_ptr_nonnull(strstr(err.msg, "extractable"));
	p11_token_close(tok);

	tl_opts(&o, false);
	o.allow_extractable = true;
	tok = p11_token_open(&o, &err);
	ck_assert_msg(tok != NULL, "%s", err.msg);
	sign_and_verify(tok, tl_key(tok, "loose-ed"), 3);
	sign_and_verify(tok, tl_key(tok, "loose-rsa"), 3);
	p11_token_close(tok);
}
END_TEST

START_TEST(test_key_lookup_errors)
{
	p11_token *tok = tl_open(false, 2);
	struct p11_error err;

	ck_assert_ptr_null(p11_token_find_key(tok, "example.com-missing", &err));
	ck_assert_int_eq(err.status, P11_ERR_KEY_NOT_FOUND);
	ck_assert_ptr_nonnull(strstr(err.msg, "example.com-missing"));
	ck_assert_ptr_nonnull(strstr(err.msg, "dkim"));
	/* The public key object alone is not a signing key. */
	generate(tok, "twin", 0x70, 0, false);
	generate(tok, "twin", 0x71, 0, false);
	ck_assert_ptr_null(p11_token_find_key(tok, "twin", &err));
	ck_assert_int_eq(err.status, P11_ERR_KEY_AMBIGUOUS);
	ck_assert_ptr_nonnull(p11_token_find_key(tok, "pkcs11:object=twin;id=%71", &err));
	ck_assert_ptr_null(p11_token_find_key(tok, "", &err));
	ck_assert_int_eq(err.status, P11_ERR_INVALID);
	p11_token_close(tok);
}
END_TEST

static const struct {
	const char *ref;
	p11_status want;
	const char *label; /* expected label when found */
} uri_cases[] = {
    {"pkcs11:object=dkim-rsa", P11_OK, "dkim-rsa"},
    {"pkcs11:id=%02", P11_OK, "dkim-ed"},
    {"pkcs11:token=dkim;object=dkim-ed;type=private", P11_OK, "dkim-ed"},
    {"pkcs11:object=dkim%2drsa?module-name=softhsm2", P11_OK, "dkim-rsa"},
    {"PKCS11:Object=dkim-rsa", P11_OK, "dkim-rsa"},
    {"pkcs11:object=dkim-rsa?pin-source=file:/nowhere", P11_ERR_INVALID, NULL},
    {"pkcs11:object=dkim-rsa;slot-id=0", P11_ERR_INVALID, NULL},
    {"pkcs11:token=other;object=dkim-rsa", P11_ERR_KEY_NOT_FOUND, NULL},
    {"pkcs11:object=dkim-rsa;type=public", P11_ERR_INVALID, NULL},
    {"pkcs11:object=dkim-rsa;colour=blue", P11_ERR_INVALID, NULL},
    {"pkcs11:object=dkim%zzrsa", P11_ERR_INVALID, NULL},
    {"pkcs11:object=dkim%2", P11_ERR_INVALID, NULL},
    {"pkcs11:object=a%00b", P11_ERR_INVALID, NULL},
    {"pkcs11:token=dkim", P11_ERR_INVALID, NULL},
    {"pkcs11:id=%7f%7f", P11_ERR_KEY_NOT_FOUND, NULL},
    {"pkcs11:", P11_ERR_INVALID, NULL},
};

START_TEST(test_key_uris)
{
	p11_token *tok = tl_open(false, 2);
	struct p11_error err;
	p11_key *k = p11_token_find_key(tok, uri_cases[_i].ref, &err);

	if (uri_cases[_i].want == P11_OK) {
		ck_assert_msg(k != NULL, "%s: %s", uri_cases[_i].ref, err.msg);
		ck_assert_str_eq(p11_key_label(k), uri_cases[_i].label);
		sign_and_verify(tok, k, 11);
	} else {
		ck_assert_msg(k == NULL, "%s found", uri_cases[_i].ref);
		ck_assert_msg(err.status == uri_cases[_i].want, "%s: got %s (%s)",
		              uri_cases[_i].ref, p11_strerror(err.status), err.msg);
	}
	p11_token_close(tok);
}
END_TEST

START_TEST(test_token_forms)
{
	struct p11_token_opts o;
	struct p11_error err;
	char uri[200];
	p11_token *tok = tl_open(false, 1);
	char serial[40];

	/* Find the serial through a URI-named token, then use it bare. */
	snprintf(serial, sizeof(serial), "%s", tl_env("P11DKIM_SERIAL"));
	p11_token_close(tok);
	/* A label, a serial, URIs: the scheme in any case, values percent-encoded. */
	const char *forms[] = {"dkim",
	                       serial,
	                       uri,
	                       "pkcs11:token=dkim;manufacturer=SoftHSM%20project",
	                       "PKCS11:token=dkim",
	                       "pkcs11:token=d%6Bim;model=SoftHSM%20v2"};
	snprintf(uri, sizeof(uri), "pkcs11:serial=%s", serial);
	for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
		tl_opts(&o, false);
		o.token = forms[i];
		tok = p11_token_open(&o, &err);
		ck_assert_msg(tok != NULL, "token %s: %s", forms[i], err.msg);
		ck_assert_str_eq(p11_token_label(tok), "dkim");
		sign_and_verify(tok, tl_key(tok, "dkim-ed"), i);
		p11_token_close(tok);
	}
	tl_opts(&o, false);
	o.token = "nosuchtoken";
	ck_assert_ptr_null(p11_token_open(&o, &err));
	ck_assert_int_eq(err.status, P11_ERR_TOKEN_NOT_FOUND);
	ck_assert_ptr_nonnull(strstr(err.msg, "nosuchtoken"));
	o.token = "pkcs11:token=dkim;model=nothing";
	ck_assert_ptr_null(p11_token_open(&o, &err));
	ck_assert_int_eq(err.status, P11_ERR_TOKEN_NOT_FOUND);
	/* A URI that cannot match (RFC 7512 2.4) or carries a PIN is refused before any login. */
	o.token = "pkcs11:token=dkim;slot-description=x";
	ck_assert_ptr_null(p11_token_open(&o, &err));
	ck_assert_int_eq(err.status, P11_ERR_INVALID);
	o.token = "pkcs11:token=dkim?pin-value=1234";
	ck_assert_ptr_null(p11_token_open(&o, &err));
	ck_assert_int_eq(err.status, P11_ERR_INVALID);
	ck_assert_ptr_null(strstr(err.msg, "1234"));
	o.token = "dkim";
	o.module = "/nonexistent/module.so";
	ck_assert_ptr_null(p11_token_open(&o, &err));
	ck_assert_int_eq(err.status, P11_ERR_MODULE);
	ck_assert_ptr_nonnull(strstr(err.msg, "/nonexistent/module.so"));
}
END_TEST

/* A module file that group or others may write is not loaded (issue 16, L1): it would run with
 * the PIN, maybe as root. The same module, copied, loads once it is 0644. */
START_TEST(test_module_writable)
{
	struct p11_token_opts o;
	struct p11_error err;
	char path[512], cmd[1200];
	const char *dir = getenv("P11DKIM_TEST_DIR");
	p11_token *tok;

	ck_assert_ptr_nonnull(dir);
	tl_opts(&o, false);
	snprintf(path, sizeof(path), "%s/module-copy.so", dir);
	snprintf(cmd, sizeof(cmd), "cp '%s' '%s' && chmod 0666 '%s'", o.module, path, path);
	ck_assert_int_eq(system(cmd), 0);
	o.module = path;
	ck_assert_ptr_null(p11_token_open(&o, &err));
	ck_assert_int_eq(err.status, P11_ERR_MODULE);
	ck_assert_ptr_nonnull(strstr(err.msg, "can be written by group or others"));
	ck_assert_int_eq(chmod(path, 0644), 0);
	tok = p11_token_open(&o, &err);
	ck_assert_msg(tok != NULL, "%s", err.msg);
	p11_token_close(tok);
	unlink(path);
}
END_TEST

static char *
write_file(const char *name, const char *content, mode_t mode)
{
	static char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", tl_env("P11DKIM_TEST_DIR"), name);
	unlink(path);
	f = fopen(path, "w");
	ck_assert(f != NULL);
	fputs(content, f);
	fclose(f);
	ck_assert(chmod(path, mode) == 0);
	return path;
}

START_TEST(test_pin_sources)
{
	const char *pin = tl_env("P11DKIM_PIN");
	struct p11_token_opts o;
	struct p11_error err;
	p11_token *tok;
	char buf[300];
	const char *env_pin;

	tl_opts(&o, false);
	/* PIN file with a trailing newline, mode 0400: fine. */
	snprintf(buf, sizeof(buf), "%s\n", pin);
	o.pin_file = write_file("pin-nl", buf, 0400);
	tok = p11_token_open(&o, &err);
	ck_assert_msg(tok != NULL, "%s", err.msg);
	p11_token_close(tok);
	/* Readable by group or others: refused before the module is touched, named. */
	static const mode_t bad[] = {0644, 0640, 0604, 0660, 0602};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		o.pin_file = write_file("pin-open", pin, bad[i]);
		ck_assert_ptr_null(p11_token_open(&o, &err));
		ck_assert_int_eq(err.status, P11_ERR_PIN_FILE);
		ck_assert_ptr_nonnull(strstr(err.msg, o.pin_file));
		ck_assert_ptr_null(strstr(err.msg, pin));
	}
	/* Wrong PIN from a file: P11_ERR_PIN, and the PIN is not in the message. */
	o.pin_file = write_file("pin-wrong", "wrong-pin-123456", 0600);
	ck_assert_ptr_null(p11_token_open(&o, &err));
	ck_assert_int_eq(err.status, P11_ERR_PIN);
	ck_assert_ptr_null(strstr(err.msg, "wrong-pin-123456"));
	ck_assert_ptr_nonnull(strstr(err.msg, "dkim"));
	/* Missing and empty files. */
	o.pin_file = "/nonexistent/pin";
	ck_assert_ptr_null(p11_token_open(&o, &err));
	ck_assert_int_eq(err.status, P11_ERR_PIN_FILE);
	o.pin_file = write_file("pin-empty", "", 0600);
	ck_assert_ptr_null(p11_token_open(&o, &err));
	ck_assert_int_eq(err.status, P11_ERR_PIN_FILE);
	/* From the environment. */
	o.pin_file = NULL;
	o.pin_env = "P11DKIM_TEST_PIN_ENV";
	setenv(o.pin_env, pin, 1);
	env_pin = getenv(o.pin_env);
	tok = p11_token_open(&o, &err);
	ck_assert_msg(tok != NULL, "%s", err.msg);
	/* Read once, then gone from the environment (/proc/PID/environ, children): the string
	   itself is zeroed and the variable removed (L2). The copy the token keeps signs. */
	ck_assert_ptr_null(getenv(o.pin_env));
	for (size_t i = 0; i < strlen(pin); i++)
		ck_assert_int_eq(env_pin[i], 0);
	sign_and_verify(tok, tl_key(tok, "dkim-rsa"), 5);
	p11_token_close(tok);
	setenv(o.pin_env, "000000-wrong", 1);
	ck_assert_ptr_null(p11_token_open(&o, &err));
	ck_assert_int_eq(err.status, P11_ERR_PIN);
	ck_assert_ptr_null(strstr(err.msg, "000000-wrong"));
	unsetenv(o.pin_env);
	ck_assert_ptr_null(p11_token_open(&o, &err));
	ck_assert_int_eq(err.status, P11_ERR_PIN_FILE);
	ck_assert_ptr_nonnull(strstr(err.msg, "P11DKIM_TEST_PIN_ENV"));
	/* Both sources, or none: refused. */
	o.pin_file = tl_env("P11DKIM_PIN_FILE");
	ck_assert_ptr_null(p11_token_open(&o, &err));
	ck_assert_int_eq(err.status, P11_ERR_PIN_FILE);
}
END_TEST

/*
 * forget_pin: the PIN is wiped after the first login, so a recovery that must log in again
 * fails with P11_ERR_LOGIN. The same token session loss with the PIN kept (_i = 0) recovers:
 * the control shows that the loss needs a login, and that only the wipe makes it fail.
 */
START_TEST(test_forget_pin)
{
	bool forget = _i == 1;
	struct p11_token_opts o;
	struct p11_error err;
	unsigned char tbs[64], sig[512];
	size_t tlen, slen = sizeof(sig);
	p11_token *tok;
	p11_key *ed;
	p11_status st;

	tl_opts(&o, true);
	o.sessions = 1;
	o.recover_timeout_ms = 5000;
	o.forget_pin = forget;
	tok = p11_token_open(&o, &err);
	ck_assert_msg(tok != NULL, "%s", err.msg);
	ed = tl_key(tok, "dkim-ed");
	sign_and_verify(tok, ed, 1);
	/* The token resets: every session closed, the application logged out. */
	tl_fault("close_sessions");
	tlen = tl_tbs(ed, 2, tbs);
	st = p11_sign(tok, ed, tbs, tlen, sig, &slen, &err);
	if (forget) {
		ck_assert_msg(st == P11_ERR_LOGIN, "forget_pin: %s: %s", p11_strerror(st), err.msg);
		ck_assert_int_eq(err.status, P11_ERR_LOGIN);
		ck_assert_ptr_nonnull(strstr(err.msg, "forget_pin"));
	} else {
		ck_assert_msg(st == P11_OK, "PIN kept: %s: %s", p11_strerror(st), err.msg);
	}
	p11_token_close(tok);
	tl_fault_clear();
}
END_TEST

START_TEST(test_bad_input)
{
	p11_token *tok = tl_open(false, 1);
	p11_key *rsa = tl_key(tok, "dkim-rsa"), *ed = tl_key(tok, "dkim-ed");
	unsigned char tbs[64], sig[512];
	struct p11_error err;
	size_t slen;

	tl_tbs(rsa, 1, tbs);
	slen = sizeof(sig);
	ck_assert_int_eq(p11_sign(tok, rsa, tbs, 31, sig, &slen, &err), P11_ERR_INVALID);
	ck_assert_int_eq(p11_sign(tok, rsa, tbs, 33, sig, &slen, &err), P11_ERR_INVALID);
	/* A whole DigestInfo is not a digest: the wrapping is p11_sign's job, never the caller's.
	 */
	ck_assert_int_eq(p11_sign(tok, rsa, tbs, 51, sig, &slen, &err), P11_ERR_INVALID);
	slen = 255;
	ck_assert_int_eq(p11_sign(tok, rsa, tbs, 32, sig, &slen, &err), P11_ERR_INVALID);
	slen = 256;
	ck_assert_int_eq(p11_sign(tok, rsa, tbs, 32, sig, &slen, &err), P11_OK);
	ck_assert_int_eq(p11_sign(tok, ed, tbs, 31, sig, &slen, &err), P11_ERR_INVALID);
	ck_assert_int_eq(p11_sign(tok, ed, tbs, 51, sig, &slen, &err), P11_ERR_INVALID);
	slen = 63;
	ck_assert_int_eq(p11_sign(tok, ed, tbs, 32, sig, &slen, &err), P11_ERR_INVALID);
	ck_assert_int_eq(p11_sign(tok, ed, NULL, 32, sig, &slen, &err), P11_ERR_INVALID);
	ck_assert_int_eq(p11_sign(tok, ed, tbs, 32, NULL, &slen, &err), P11_ERR_INVALID);
	slen = 64;
	ck_assert_int_eq(p11_sign(tok, ed, tbs, 32, sig, &slen, NULL), P11_OK);
	ck_assert_ptr_null(p11_token_open(NULL, &err));
	ck_assert_int_eq(err.status, P11_ERR_INVALID);
	p11_token_close(NULL);
	p11_token_close(tok);
}
END_TEST

START_TEST(test_fork)
{
	p11_token *tok = tl_open(false, 1);
	p11_key *ed = tl_key(tok, "dkim-ed");
	int status;
	pid_t pid;

	pid = fork();
	ck_assert(pid >= 0);
	if (pid == 0) {
		unsigned char tbs[32] = {0}, sig[64];
		size_t slen = sizeof(sig);
		struct p11_error err;
		p11_status st = p11_sign(tok, ed, tbs, 32, sig, &slen, &err);

		_exit(st == P11_ERR_MODULE && strstr(err.msg, "fork") != NULL ? 0 : 1);
	}
	ck_assert(waitpid(pid, &status, 0) == pid);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	              "p11_sign in a forked child did not fail with P11_ERR_MODULE");
	sign_and_verify(tok, ed, 2); /* the parent is unharmed */
	p11_token_close(tok);
}
END_TEST

struct listing {
	bool rsa, ed, loose;
	unsigned n;
};

static int
list_cb(const struct p11_key_info *ki, void *arg)
{
	struct listing *l = arg;

	l->n++;
	if (strcmp(ki->label, "dkim-rsa") == 0)
		l->rsa = ki->type_known && ki->type == P11_KEY_RSA && ki->bits == 2048 &&
		         ki->sensitive && !ki->extractable && ki->has_public && ki->id_len == 1 &&
		         ki->id[0] == 1;
	if (strcmp(ki->label, "dkim-ed") == 0)
		l->ed = ki->type_known && ki->type == P11_KEY_ED25519 && ki->bits == 256 &&
		        ki->sensitive && !ki->extractable && ki->has_public;
	if (strcmp(ki->label, "loose-rsa") == 0)
		l->loose = ki->extractable;
	return 0;
}

START_TEST(test_list_keys)
{
	p11_token *tok = tl_open(false, 1);
	struct listing l = {0};
	struct p11_error err;

	ck_assert_int_eq(p11_token_list_keys(tok, list_cb, &l, &err), P11_OK);
	ck_assert(l.rsa);
	ck_assert(l.ed);
	ck_assert(l.loose);
	ck_assert_uint_ge(l.n, 3);
	p11_token_close(tok);
}
END_TEST

/* Keys this daemon must not sign with (L6): refused at start with the label and the token
   named, and refused too when such a key takes the place of a good one and is found again after
   a new login. */
static const struct usage_case {
	struct gen g;
	p11_status want;
	const char *says;
} usage_cases[] = {
    {{"use-nosign", 0x70, 0, false, true, false, false}, P11_ERR_KEY_USAGE, "CKA_SIGN"},
    {{"use-always", 0x71, 0, false, false, true, false},
     P11_ERR_KEY_USAGE,
     "CKA_ALWAYS_AUTHENTICATE"},
    {{"use-loose", 0x72, 0, true, false, false, false}, P11_ERR_KEY_UNSAFE, "extractable"},
    {{"use-rsa1024", 0x73, 1024, false, false, false, false},
     P11_ERR_KEY_TYPE,
     "changed type or size"},
};

START_TEST(test_key_usage)
{
	const struct usage_case *c = &usage_cases[_i];
	unsigned char tbs[32] = {7}, sig[512];
	size_t slen = sizeof(sig);
	struct p11_error err;
	p11_token *tok = tl_open(true, 1);
	unsigned n;
	p11_key *k;
	char swap[16];
	struct gen good = {
	    swap, (unsigned char)(0x80 + _i), c->g.rsa_bits ? 2048 : 0, false, false, false, false};
	struct gen bad = c->g;

	snprintf(swap, sizeof(swap), "use-swap%d", _i);
	tl_fault_clear();
	/* At start: refused. (A 1024-bit RSA key is fine at start; it is only a swap's size.) */
	generate_as(tok, &c->g);
	k = p11_token_find_key(tok, c->g.label, &err);
	if (c->want != P11_ERR_KEY_TYPE) {
		ck_assert_ptr_null(k);
		ck_assert_int_eq(err.status, c->want);
		ck_assert_ptr_nonnull(strstr(err.msg, c->g.label));
		ck_assert_ptr_nonnull(strstr(err.msg, p11_token_label(tok)));
		ck_assert_msg(strstr(err.msg, c->says) != NULL, "%s", err.msg);
	}
	/* Found again after a new login: a same-labelled unfit key in the old one's place. */
	generate_as(tok, &good);
	k = tl_key(tok, swap);
	ck_assert_int_eq(p11_sign(tok, k, tbs, 32, sig, &slen, &err), P11_OK);
	ck_assert_int_eq(p11_key_destroy(tok, swap, &n, &err), P11_OK);
	bad.label = swap;
	bad.id = (unsigned char)(0x90 + _i);
	generate_as(tok, &bad);
	tl_fault("close_sessions"); /* logged out: key handles are found again */
	slen = sizeof(sig);
	ck_assert_int_eq(p11_sign(tok, k, tbs, 32, sig, &slen, &err), c->want);
	ck_assert_ptr_nonnull(strstr(err.msg, swap));
	ck_assert_msg(strstr(err.msg, c->says) != NULL, "%s", err.msg);
	ck_assert_int_eq(p11_key_destroy(tok, swap, &n, &err), P11_OK);
	ck_assert_int_eq(p11_key_destroy(tok, c->g.label, &n, &err), P11_OK);
	tl_fault_clear();
	p11_token_close(tok);
}
END_TEST

/*
 * A refused PIN is tried once, not with every message (M5): after one CKR_PIN_* answer no
 * C_Login is made (the fault module counts them) until the PIN file changes or
 * p11_token_pin_retry(); then the token signs again.
 */
static const unsigned long pin_refusals[] = {
    CKR_PIN_INCORRECT, CKR_PIN_LOCKED, CKR_PIN_EXPIRED, CKR_PIN_LEN_RANGE, CKR_PIN_INVALID,
};

/* Signs once; the status. */
static p11_status
sign_once(p11_token *tok, p11_key *k, struct p11_error *err)
{
	unsigned char tbs[32] = {8}, sig[64];
	size_t slen = sizeof(sig);

	return p11_sign(tok, k, tbs, 32, sig, &slen, err);
}

static uint64_t
fault_logins(void)
{
	struct p11fault_stats fs;

	tl_fault_stats(&fs);
	return fs.logins;
}

START_TEST(test_pin_refused_once)
{
	struct p11_token_opts o;
	struct p11_error err;
	struct p11_stats ps;
	char cmd[64];
	p11_token *tok;
	p11_key *k;
	uint64_t n0;

	tl_fault_clear();
	tl_opts(&o, true);
	o.sessions = 2;
	o.pin_file = write_file("pin-rotate", tl_env("P11DKIM_PIN"), 0600);
	tok = p11_token_open(&o, &err);
	ck_assert_msg(tok != NULL, "%s", err.msg);
	k = tl_key(tok, "dkim-ed");
	ck_assert_int_eq(sign_once(tok, k, &err), P11_OK);
	/* The token logs us out and now refuses the PIN. */
	snprintf(cmd, sizeof(cmd), "fail_login 1000 0x%lx\nclose_sessions", pin_refusals[_i]);
	tl_fault(cmd);
	n0 = fault_logins();
	for (unsigned i = 0; i < 5; i++) {
		ck_assert_int_eq(sign_once(tok, k, &err), P11_ERR_PIN);
		ck_assert_ptr_nonnull(strstr(err.msg, "dkim"));
	}
	ck_assert_uint_eq(fault_logins() - n0, 1);
	ck_assert_uint_eq(p11_token_login_blocked(tok), pin_refusals[_i]);
	p11_token_stats(tok, &ps);
	ck_assert_uint_eq(ps.login_blocked, pin_refusals[_i]);
	ck_assert_ptr_nonnull(strstr(err.msg, "not tried"));
	/* Told to retry: one more try (still refused), then stopped again. */
	ck_assert_int_eq(p11_token_pin_retry(tok, &err), P11_OK);
	ck_assert_uint_eq(p11_token_login_blocked(tok), 0);
	ck_assert_int_eq(sign_once(tok, k, &err), P11_ERR_PIN);
	ck_assert_int_eq(sign_once(tok, k, &err), P11_ERR_PIN);
	ck_assert_uint_eq(fault_logins() - n0, 2);
	/* The PIN file rewritten (the PIN rotated, the token fixed): read again, logged in. */
	tl_fault("reset");
	ck_assert_int_eq(sign_once(tok, k, &err), P11_ERR_PIN);
	ck_assert_uint_eq(fault_logins() - n0, 2);
	write_file("pin-rotate", tl_env("P11DKIM_PIN"), 0600);
	ck_assert_msg(sign_once(tok, k, &err) == P11_OK, "%s", err.msg);
	ck_assert_uint_eq(fault_logins() - n0, 3);
	ck_assert_uint_eq(p11_token_login_blocked(tok), 0);
	/* Logged in again: later logins are tried as usual. */
	tl_fault("close_sessions");
	ck_assert_int_eq(sign_once(tok, k, &err), P11_OK);
	ck_assert_uint_ge(fault_logins() - n0, 4);
	tl_fault_clear();
	p11_token_close(tok);
}
END_TEST

/* A module that reports a longer value the second time than it said the first (L14). */
static CK_ULONG attr_first, attr_second;
static CK_RV
attr_liar(CK_SESSION_HANDLE s, CK_OBJECT_HANDLE h, CK_ATTRIBUTE_PTR t, CK_ULONG n)
{
	(void)s;
	(void)h;
	(void)n;
	if (t->pValue == NULL) {
		t->ulValueLen = attr_first;
		return CKR_OK;
	}
	memset(t->pValue, 'x', attr_first < t->ulValueLen ? attr_first : t->ulValueLen);
	t->ulValueLen = attr_second;
	return CKR_OK;
}

START_TEST(test_attr_second_length)
{
	CK_FUNCTION_LIST fl = {.C_GetAttributeValue = attr_liar};
	unsigned char *v;
	size_t len;

	attr_first = 8;
	attr_second = 8;
	ck_assert_int_eq(p11_attr_get(&fl, 1, 1, CKA_LABEL, &v, &len), CKR_OK);
	ck_assert_uint_eq(len, 8);
	free(v);
	/* Longer the second time: refused, nothing written past the buffer. */
	attr_second = 200;
	ck_assert_int_ne(p11_attr_get(&fl, 1, 1, CKA_LABEL, &v, &len), CKR_OK);
	ck_assert_ptr_null(v);
	ck_assert_uint_eq(len, 0);
	/* Shorter is fine: the value is what was written. */
	attr_second = 3;
	ck_assert_int_eq(p11_attr_get(&fl, 1, 1, CKA_LABEL, &v, &len), CKR_OK);
	ck_assert_uint_eq(len, 3);
	ck_assert_str_eq((char *)v, "xxx");
	free(v);
}
END_TEST

static Suite *
p11_suite(void)
{
	Suite *s = suite_create("pkcs11");
	TCase *tc = tcase_create("token");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_module_writable);
	tcase_add_test(tc, test_sign_verify);
	tcase_add_test(tc, test_ed25519_both_encodings);
	tcase_add_test(tc, test_rsa_sizes);
	tcase_add_test(tc, test_pubkey_stale_label);
	tcase_add_test(tc, test_extractable);
	tcase_add_test(tc, test_key_lookup_errors);
	tcase_add_loop_test(tc, test_key_uris, 0, sizeof(uri_cases) / sizeof(uri_cases[0]));
	tcase_add_test(tc, test_token_forms);
	tcase_add_test(tc, test_pin_sources);
	tcase_add_loop_test(tc, test_forget_pin, 0, 2);
	tcase_add_test(tc, test_bad_input);
	tcase_add_test(tc, test_fork);
	tcase_add_test(tc, test_list_keys);
	tcase_add_test(tc, test_attr_second_length);
	tcase_add_loop_test(tc, test_pin_refused_once, 0,
	                    sizeof(pin_refusals) / sizeof(pin_refusals[0]));
	tcase_add_loop_test(tc, test_key_usage, 0, sizeof(usage_cases) / sizeof(usage_cases[0]));
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return check_run(p11_suite(), NULL);
}
