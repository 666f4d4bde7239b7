/*
 * testlib.c: see testlib.h.
 */
#include "config.h"

#include <check.h>
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/rsa.h>

#include "tests/pkcs11/testlib.h"

const char *
tl_env(const char *name)
{
	const char *v = getenv(name);

	ck_assert_msg(v != NULL && *v != '\0', "environment variable %s not set (run via the .sh)",
	              name);
	return v;
}

void
tl_opts(struct p11_token_opts *o, bool fault)
{
	memset(o, 0, sizeof(*o));
	o->module = fault ? tl_env("P11FAULT_SO") : tl_env("P11DKIM_MODULE");
	o->token = tl_env("P11DKIM_TOKEN");
	o->pin_file = tl_env("P11DKIM_PIN_FILE");
}

p11_token *
tl_open_token(bool fault, const char *label, unsigned sessions)
{
	struct p11_token_opts o;
	struct p11_error err;
	p11_token *tok;

	tl_opts(&o, fault);
	if (label != NULL)
		o.token = label;
	o.sessions = sessions;
	o.recover_timeout_ms = 10000;
	tok = p11_token_open(&o, &err);
	ck_assert_msg(tok != NULL, "p11_token_open %s: %s: %s", o.token, p11_strerror(err.status),
	              err.msg);
	return tok;
}

p11_token *
tl_open(bool fault, unsigned sessions)
{
	return tl_open_token(fault, NULL, sessions);
}

p11_key *
tl_key(p11_token *tok, const char *ref)
{
	struct p11_error err;
	p11_key *k = p11_token_find_key(tok, ref, &err);

	ck_assert_msg(k != NULL, "find %s: %s: %s", ref, p11_strerror(err.status), err.msg);
	return k;
}

size_t
tl_tbs(const p11_key *k, unsigned long n, unsigned char *out)
{
	unsigned char msg[64];
	int len = snprintf((char *)msg, sizeof(msg), "message %lu for %s", n, p11_key_label(k));

	EVP_Digest(msg, (size_t)len, out, NULL, EVP_sha256(), NULL);
	return P11_DIGEST_LEN;
}

bool
tl_verify(EVP_PKEY *pub, const p11_key *k, unsigned long n, const unsigned char *sig,
          size_t sig_len)
{
	unsigned char tbs[64];
	size_t len = tl_tbs(k, n, tbs);
	EVP_PKEY_CTX *pc = NULL;
	EVP_MD_CTX *mc;
	int ok = 0;

	if (p11_key_type(k) == P11_KEY_ED25519) {
		/* RFC 8463: Ed25519 signs the SHA-256 digest as its message (PureEdDSA). */
		if ((mc = EVP_MD_CTX_new()) == NULL)
			return false;
		ok = EVP_DigestVerifyInit(mc, NULL, NULL, NULL, pub) == 1 &&
		     EVP_DigestVerify(mc, sig, sig_len, tbs, len) == 1;
		EVP_MD_CTX_free(mc);
		return ok;
	}
	/* RSA: verify the PKCS#1 v1.5 signature over the SHA-256 digest. */
	if ((pc = EVP_PKEY_CTX_new(pub, NULL)) == NULL)
		return false;
	ok = EVP_PKEY_verify_init(pc) == 1 &&
	     EVP_PKEY_CTX_set_rsa_padding(pc, RSA_PKCS1_PADDING) == 1 &&
	     EVP_PKEY_CTX_set_signature_md(pc, EVP_sha256()) == 1 &&
	     EVP_PKEY_verify(pc, sig, sig_len, tbs, len) == 1;
	EVP_PKEY_CTX_free(pc);
	return ok;
}

static void
tl_control_path(char *buf, size_t len)
{
	snprintf(buf, len, "%s", tl_env("P11FAULT_CONTROL"));
}

void
tl_fault(const char *cmd)
{
	char path[512], tmp[600];
	FILE *f;

	tl_control_path(path, sizeof(path));
	snprintf(tmp, sizeof(tmp), "%s.%ld", path, (long)getpid());
	f = fopen(tmp, "w");
	ck_assert_msg(f != NULL, "cannot write %s", tmp);
	fprintf(f, "%s\n", cmd);
	ck_assert(fclose(f) == 0);
	ck_assert(rename(tmp, path) == 0);
}

void
tl_fault_clear(void)
{
	char path[512];

	tl_control_path(path, sizeof(path));
	unlink(path);
}

void
tl_fault_stats(struct p11fault_stats *st)
{
	void *dl = dlopen(tl_env("P11FAULT_SO"), RTLD_NOW | RTLD_NOLOAD);
	p11fault_get_stats_fn get;

	ck_assert_msg(dl != NULL, "fault module not loaded");
	*(void **)&get = dlsym(dl, "p11fault_get_stats");
	ck_assert(get != NULL);
	get(st);
	dlclose(dl);
}

uint64_t
tl_fault_counter(const char *name)
{
	void *dl = dlopen(tl_env("P11FAULT_SO"), RTLD_NOW | RTLD_NOLOAD);
	p11fault_get_counter_fn get;
	uint64_t v = 0;

	if (dl == NULL)
		return 0;
	*(void **)&get = dlsym(dl, "p11fault_get_counter");
	ck_assert(get != NULL);
	ck_assert_msg(get(name, &v) == 0, "fault module has no counter %s", name);
	dlclose(dl);
	return v;
}

void
tl_sleep_ms(unsigned ms)
{
	struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};

	while (nanosleep(&ts, &ts) != 0)
		;
}
