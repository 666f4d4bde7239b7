/*
 * keytool-wrap-probe: what the token itself enforces around the wrap key, checked with Cryptoki
 * calls of its own (not through pkcs11/, whose code is what is being judged), logged in as the
 * user, i.e. with what someone holding only the user PIN can do:
 *   1. C_CreateObject of a (session) AES key with CKA_TRUSTED true is refused;
 *   2. KEY, wrapped under WRAPKEY (CKM_AES_KEY_WRAP_PAD), cannot be unwrapped as a key that is
 *      not sensitive, nor as one that is not wrap-only (the wrap key's CKA_UNWRAP_TEMPLATE);
 *   3. the control: unwrapped as the template says, it works, and its private exponent stays
 *      unreadable (CKR_ATTRIBUTE_SENSITIVE). These checks make session objects only: the token is
 *      left as it was.
 * Prints one line per finding; exit 0 when all hold, 1 otherwise, 2 on usage or setup errors.
 *
 * usage: keytool-wrap-probe MODULE TOKEN PIN KEY WRAPKEY   (KEY: an RSA key made --wrappable)
 *        keytool-wrap-probe MODULE TOKEN PIN --untrusted LABEL
 *        (makes a token AES wrap key as the user, so without CKA_TRUSTED, for the test that a
 *        wrap-only key is not wrapped under it; one made by pkcs11-tool 0.23 was, now and then,
 *        not found by the next process here, while pkcs11-tool listed it: cause not found)
 */
#include "config.h"

#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

#include <p11-kit/pkcs11.h>

static CK_FUNCTION_LIST_PTR fl;
static CK_SESSION_HANDLE s;

static CK_OBJECT_HANDLE
probe_find(CK_OBJECT_CLASS cls, const char *label)
{
	CK_ATTRIBUTE t[2] = {{CKA_CLASS, &cls, sizeof(cls)},
	                     {CKA_LABEL, (void *)label, strlen(label)}};
	CK_OBJECT_HANDLE h = CK_INVALID_HANDLE;
	CK_ULONG n = 0;

	if (fl->C_FindObjectsInit(s, t, 2) == CKR_OK) {
		(void)fl->C_FindObjects(s, &h, 1, &n);
		(void)fl->C_FindObjectsFinal(s);
	}
	return n == 1 ? h : CK_INVALID_HANDLE;
}

static int
probe_setup(const char *module, const char *token, const char *pin)
{
	CK_RV (*get)(CK_FUNCTION_LIST_PTR_PTR);
	CK_SLOT_ID slots[16];
	CK_ULONG n = 16;
	CK_TOKEN_INFO ti;
	void *dl = dlopen(module, RTLD_NOW);

	if (dl == NULL ||
	    (get = (CK_RV(*)(CK_FUNCTION_LIST_PTR_PTR))dlsym(dl, "C_GetFunctionList")) == NULL ||
	    get(&fl) != CKR_OK || fl->C_Initialize(NULL) != CKR_OK ||
	    fl->C_GetSlotList(CK_TRUE, slots, &n) != CKR_OK)
		return -1;
	for (CK_ULONG i = 0; i < n; i++) {
		size_t len = strlen(token);

		if (fl->C_GetTokenInfo(slots[i], &ti) != CKR_OK || len > sizeof(ti.label) ||
		    memcmp(ti.label, token, len) != 0 ||
		    (len < sizeof(ti.label) && ti.label[len] != ' '))
			continue;
		if (fl->C_OpenSession(slots[i], CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL,
		                      &s) != CKR_OK)
			return -1;
		return fl->C_Login(s, CKU_USER, (CK_UTF8CHAR_PTR)pin, strlen(pin)) == CKR_OK ? 0
		                                                                             : -1;
	}
	return -1;
}

static int
probe_trusted(void)
{
	CK_OBJECT_CLASS cls = CKO_SECRET_KEY;
	CK_KEY_TYPE kt = CKK_AES;
	CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
	unsigned char value[32] = {0};
	CK_ATTRIBUTE t[] = {{CKA_CLASS, &cls, sizeof(cls)}, {CKA_KEY_TYPE, &kt, sizeof(kt)},
	                    {CKA_TOKEN, &no, sizeof(no)},   {CKA_VALUE, value, sizeof(value)},
	                    {CKA_WRAP, &yes, sizeof(yes)},  {CKA_TRUSTED, &yes, sizeof(yes)}};
	CK_OBJECT_HANDLE h;
	CK_RV rv = fl->C_CreateObject(s, t, sizeof(t) / sizeof(t[0]), &h);

	if (rv == CKR_OK) {
		(void)fl->C_DestroyObject(s, h);
		printf("FAIL: the user made a key with CKA_TRUSTED\n");
		return 1;
	}
	printf("ok: the user may not set CKA_TRUSTED (rv 0x%lx)\n", (unsigned long)rv);
	return 0;
}

/* Unwraps blob as a session RSA key with the given CKA_SENSITIVE and CKA_WRAP_WITH_TRUSTED. */
static CK_RV
probe_unwrap(CK_OBJECT_HANDLE wk, unsigned char *blob, CK_ULONG len, CK_BBOOL sens, CK_BBOOL wwt,
             CK_OBJECT_HANDLE *h)
{
	CK_MECHANISM mech = {CKM_AES_KEY_WRAP_PAD, NULL, 0};
	CK_OBJECT_CLASS cls = CKO_PRIVATE_KEY;
	CK_KEY_TYPE kt = CKK_RSA;
	CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
	CK_ATTRIBUTE t[] = {
	    {CKA_CLASS, &cls, sizeof(cls)},       {CKA_KEY_TYPE, &kt, sizeof(kt)},
	    {CKA_TOKEN, &no, sizeof(no)},         {CKA_SENSITIVE, &sens, sizeof(sens)},
	    {CKA_EXTRACTABLE, &yes, sizeof(yes)}, {CKA_WRAP_WITH_TRUSTED, &wwt, sizeof(wwt)},
	    {CKA_SIGN, &yes, sizeof(yes)}};

	return fl->C_UnwrapKey(s, &mech, wk, blob, len, t, sizeof(t) / sizeof(t[0]), h);
}

static int
probe_make_untrusted(const char *label)
{
	CK_OBJECT_CLASS cls = CKO_SECRET_KEY;
	CK_KEY_TYPE kt = CKK_AES;
	CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
	CK_ULONG len = 32;
	CK_MECHANISM mech = {CKM_AES_KEY_GEN, NULL, 0};
	CK_ATTRIBUTE t[] = {
	    {CKA_CLASS, &cls, sizeof(cls)},     {CKA_KEY_TYPE, &kt, sizeof(kt)},
	    {CKA_TOKEN, &yes, sizeof(yes)},     {CKA_PRIVATE, &yes, sizeof(yes)},
	    {CKA_SENSITIVE, &yes, sizeof(yes)}, {CKA_EXTRACTABLE, &no, sizeof(no)},
	    {CKA_WRAP, &yes, sizeof(yes)},      {CKA_UNWRAP, &yes, sizeof(yes)},
	    {CKA_VALUE_LEN, &len, sizeof(len)}, {CKA_LABEL, (void *)label, strlen(label)}};
	CK_OBJECT_HANDLE h;
	CK_RV rv = fl->C_GenerateKey(s, &mech, t, sizeof(t) / sizeof(t[0]), &h);

	if (rv != CKR_OK)
		fprintf(stderr, "keytool-wrap-probe: C_GenerateKey 0x%lx\n", (unsigned long)rv);
	return rv == CKR_OK ? 0 : 2;
}

static int
probe_template(CK_OBJECT_HANDLE key, CK_OBJECT_HANDLE wk)
{
	CK_MECHANISM mech = {CKM_AES_KEY_WRAP_PAD, NULL, 0};
	static unsigned char blob[16384], d[2048];
	CK_ULONG len = sizeof(blob);
	CK_ATTRIBUTE a = {CKA_PRIVATE_EXPONENT, d, sizeof(d)};
	CK_OBJECT_HANDLE h;
	CK_RV rv;
	int bad = 0;

	if ((rv = fl->C_WrapKey(s, &mech, wk, key, blob, &len)) != CKR_OK) {
		printf("FAIL: C_WrapKey 0x%lx\n", (unsigned long)rv);
		return 1;
	}
	if ((rv = probe_unwrap(wk, blob, len, CK_FALSE, CK_TRUE, &h)) == CKR_OK) {
		printf("FAIL: unwrapped as not sensitive\n");
		(void)fl->C_DestroyObject(s, h);
		bad = 1;
	} else
		printf("ok: no copy that is not sensitive (rv 0x%lx)\n", (unsigned long)rv);
	if ((rv = probe_unwrap(wk, blob, len, CK_TRUE, CK_FALSE, &h)) == CKR_OK) {
		printf("FAIL: unwrapped as not wrap-only\n");
		(void)fl->C_DestroyObject(s, h);
		bad = 1;
	} else
		printf("ok: no copy that is not wrap-only (rv 0x%lx)\n", (unsigned long)rv);
	if ((rv = probe_unwrap(wk, blob, len, CK_TRUE, CK_TRUE, &h)) != CKR_OK) {
		printf("FAIL: the control unwrap failed (rv 0x%lx)\n", (unsigned long)rv);
		return 1;
	}
	rv = fl->C_GetAttributeValue(s, h, &a, 1);
	printf("%s: the control copy's private exponent: rv 0x%lx\n",
	       rv == CKR_ATTRIBUTE_SENSITIVE ? "ok" : "FAIL", (unsigned long)rv);
	(void)fl->C_DestroyObject(s, h);
	return bad || rv != CKR_ATTRIBUTE_SENSITIVE;
}

int
main(int argc, char **argv)
{
	CK_OBJECT_HANDLE key, wk;
	int bad;

	if (argc != 6) {
		fprintf(stderr, "usage: keytool-wrap-probe MODULE TOKEN PIN KEY WRAPKEY\n");
		return 2;
	}
	if (strcmp(argv[4], "--untrusted") == 0) {
		bad =
		    probe_setup(argv[1], argv[2], argv[3]) != 0 ? 2 : probe_make_untrusted(argv[5]);
		if (bad != 0)
			fprintf(stderr, "keytool-wrap-probe: cannot make the key\n");
		(void)fl->C_Logout(s);
		(void)fl->C_CloseSession(s);
		(void)fl->C_Finalize(NULL);
		return bad;
	}
	if (probe_setup(argv[1], argv[2], argv[3]) != 0 ||
	    (key = probe_find(CKO_PRIVATE_KEY, argv[4])) == CK_INVALID_HANDLE ||
	    (wk = probe_find(CKO_SECRET_KEY, argv[5])) == CK_INVALID_HANDLE) {
		fprintf(stderr,
		        "keytool-wrap-probe: cannot reach the token, the key or the wrap key\n");
		return 2;
	}
	bad = probe_trusted();
	bad |= probe_template(key, wk);
	(void)fl->C_Logout(s);
	(void)fl->C_CloseSession(s);
	(void)fl->C_Finalize(NULL);
	return bad;
}
