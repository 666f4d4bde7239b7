/*
 * keytool_session: module loading, token lookup and login for the keytool;
 * see keytool_session.h for the contract.
 */
#include "config.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "tools/keytool_session.h"

struct kt_token {
	void *dl; /* never dlclose'd, see kt_token_close() */
	CK_FUNCTION_LIST_PTR fl;
	CK_SLOT_ID slot;
	CK_SESSION_HANDLE
	login_session; /* kept open: logging out happens when the last session closes */
	char label[33];
	char module[256];
};

#define KT_PIN_MAX 256

int
kt_error_set(struct kt_error *err, unsigned long rv, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL)
		return -1;
	err->rv = rv;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return -1;
}

const char *
kt_ckr_name(unsigned long rv, char *buf, size_t len)
{
	static const struct {
		unsigned long rv;
		const char *name;
	} names[] = {
	    {CKR_OK, "CKR_OK"},
	    {CKR_HOST_MEMORY, "CKR_HOST_MEMORY"},
	    {CKR_SLOT_ID_INVALID, "CKR_SLOT_ID_INVALID"},
	    {CKR_GENERAL_ERROR, "CKR_GENERAL_ERROR"},
	    {CKR_FUNCTION_FAILED, "CKR_FUNCTION_FAILED"},
	    {CKR_ARGUMENTS_BAD, "CKR_ARGUMENTS_BAD"},
	    {CKR_ATTRIBUTE_READ_ONLY, "CKR_ATTRIBUTE_READ_ONLY"},
	    {CKR_ATTRIBUTE_SENSITIVE, "CKR_ATTRIBUTE_SENSITIVE"},
	    {CKR_ATTRIBUTE_TYPE_INVALID, "CKR_ATTRIBUTE_TYPE_INVALID"},
	    {CKR_ATTRIBUTE_VALUE_INVALID, "CKR_ATTRIBUTE_VALUE_INVALID"},
	    {CKR_DEVICE_ERROR, "CKR_DEVICE_ERROR"},
	    {CKR_DEVICE_MEMORY, "CKR_DEVICE_MEMORY"},
	    {CKR_DEVICE_REMOVED, "CKR_DEVICE_REMOVED"},
	    {CKR_FUNCTION_NOT_SUPPORTED, "CKR_FUNCTION_NOT_SUPPORTED"},
	    {CKR_KEY_HANDLE_INVALID, "CKR_KEY_HANDLE_INVALID"},
	    {CKR_KEY_SIZE_RANGE, "CKR_KEY_SIZE_RANGE"},
	    {CKR_KEY_TYPE_INCONSISTENT, "CKR_KEY_TYPE_INCONSISTENT"},
	    {CKR_MECHANISM_INVALID, "CKR_MECHANISM_INVALID"},
	    {CKR_MECHANISM_PARAM_INVALID, "CKR_MECHANISM_PARAM_INVALID"},
	    {CKR_OBJECT_HANDLE_INVALID, "CKR_OBJECT_HANDLE_INVALID"},
	    {CKR_OPERATION_ACTIVE, "CKR_OPERATION_ACTIVE"},
	    {CKR_PIN_INCORRECT, "CKR_PIN_INCORRECT"},
	    {CKR_PIN_EXPIRED, "CKR_PIN_EXPIRED"},
	    {CKR_PIN_LOCKED, "CKR_PIN_LOCKED"},
	    {CKR_SESSION_CLOSED, "CKR_SESSION_CLOSED"},
	    {CKR_SESSION_COUNT, "CKR_SESSION_COUNT"},
	    {CKR_SESSION_HANDLE_INVALID, "CKR_SESSION_HANDLE_INVALID"},
	    {CKR_SESSION_READ_ONLY, "CKR_SESSION_READ_ONLY"},
	    {CKR_TEMPLATE_INCOMPLETE, "CKR_TEMPLATE_INCOMPLETE"},
	    {CKR_TEMPLATE_INCONSISTENT, "CKR_TEMPLATE_INCONSISTENT"},
	    {CKR_TOKEN_NOT_PRESENT, "CKR_TOKEN_NOT_PRESENT"},
	    {CKR_TOKEN_NOT_RECOGNIZED, "CKR_TOKEN_NOT_RECOGNIZED"},
	    {CKR_TOKEN_WRITE_PROTECTED, "CKR_TOKEN_WRITE_PROTECTED"},
	    {CKR_USER_ALREADY_LOGGED_IN, "CKR_USER_ALREADY_LOGGED_IN"},
	    {CKR_USER_NOT_LOGGED_IN, "CKR_USER_NOT_LOGGED_IN"},
	    {CKR_USER_PIN_NOT_INITIALIZED, "CKR_USER_PIN_NOT_INITIALIZED"},
	    {CKR_BUFFER_TOO_SMALL, "CKR_BUFFER_TOO_SMALL"},
	    {CKR_CRYPTOKI_NOT_INITIALIZED, "CKR_CRYPTOKI_NOT_INITIALIZED"},
	    {CKR_CRYPTOKI_ALREADY_INITIALIZED, "CKR_CRYPTOKI_ALREADY_INITIALIZED"},
	    {CKR_DATA_LEN_RANGE, "CKR_DATA_LEN_RANGE"},
	    {CKR_DOMAIN_PARAMS_INVALID, "CKR_DOMAIN_PARAMS_INVALID"},
	    {CKR_CURVE_NOT_SUPPORTED, "CKR_CURVE_NOT_SUPPORTED"},
	};
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (names[i].rv == rv)
			return names[i].name;
	snprintf(buf, len, "CKR_0x%lx", rv);
	return buf;
}

/* Reads the PIN: the first line of a file that only its owner may read. */
static int
kt_pin_read_file(const char *path, char *pin, size_t len, struct kt_error *err)
{
	struct stat st;
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return kt_error_set(err, 0, "cannot open PIN file %s: %s", path, strerror(errno));
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return kt_error_set(err, 0, "PIN file %s is not a regular file", path);
	}
	if (st.st_mode & (S_IRWXG | S_IRWXO)) {
		close(fd);
		return kt_error_set(
		    err, 0, "PIN file %s may be read by group or others (chmod 600 it)", path);
	}
	n = read(fd, pin, len - 1);
	close(fd);
	if (n < 0)
		return kt_error_set(err, 0, "cannot read PIN file %s: %s", path, strerror(errno));
	pin[n] = '\0';
	pin[strcspn(pin, "\r\n")] = '\0';
	if (pin[0] == '\0')
		return kt_error_set(err, 0, "PIN file %s is empty", path);
	return 0;
}

static int
kt_pin_read(const struct kt_token_opts *opts, char *pin, size_t len, struct kt_error *err)
{
	const char *v;

	if (opts->pin_file != NULL)
		return kt_pin_read_file(opts->pin_file, pin, len, err);
	if (opts->pin_env == NULL)
		return kt_error_set(err, 0, "no PIN given (pin file or environment variable)");
	v = getenv(opts->pin_env);
	if (v == NULL || v[0] == '\0')
		return kt_error_set(err, 0,
		                    "environment variable %s holding the PIN is unset or empty",
		                    opts->pin_env);
	if (strlen(v) >= len)
		return kt_error_set(err, 0, "PIN in %s is too long", opts->pin_env);
	memcpy(pin, v, strlen(v) + 1);
	return 0;
}

static int
kt_token_load(struct kt_token *tok, const char *module, struct kt_error *err)
{
	CK_RV (*get_list)(CK_FUNCTION_LIST_PTR_PTR);
	CK_C_INITIALIZE_ARGS args;
	char nb[32];
	CK_RV rv;

	tok->dl = dlopen(module, RTLD_NOW | RTLD_LOCAL);
	if (tok->dl == NULL)
		return kt_error_set(err, 0, "cannot load PKCS#11 module %s: %s", module, dlerror());
	*(void **)&get_list = dlsym(tok->dl, "C_GetFunctionList");
	if (get_list == NULL || get_list(&tok->fl) != CKR_OK || tok->fl == NULL)
		return kt_error_set(err, 0, "%s is not a PKCS#11 module (no C_GetFunctionList)",
		                    module);
	memset(&args, 0, sizeof(args));
	args.flags = CKF_OS_LOCKING_OK;
	rv = tok->fl->C_Initialize(&args);
	if (rv != CKR_OK) {
		tok->fl = NULL;
		return kt_error_set(err, rv, "PKCS#11 module %s: C_Initialize failed: %s", module,
		                    kt_ckr_name(rv, nb, sizeof(nb)));
	}
	return 0;
}

/* Copies a blank-padded PKCS#11 label into a C string. */
static void
kt_label_copy(char *dst, const CK_UTF8CHAR *src, size_t n)
{
	memcpy(dst, src, n);
	while (n > 0 && dst[n - 1] == ' ')
		n--;
	dst[n] = '\0';
}

static int
kt_token_find(struct kt_token *tok, const char *label, struct kt_error *err)
{
	CK_SLOT_ID slots[64];
	CK_ULONG n = 64, i;
	CK_TOKEN_INFO ti;
	char nb[32], got[33];
	CK_RV rv;
	int found = 0;

	rv = tok->fl->C_GetSlotList(CK_TRUE, slots, &n);
	if (rv != CKR_OK)
		return kt_error_set(err, rv, "module %s: C_GetSlotList failed: %s", tok->module,
		                    kt_ckr_name(rv, nb, sizeof(nb)));
	for (i = 0; i < n; i++) {
		if (tok->fl->C_GetTokenInfo(slots[i], &ti) != CKR_OK)
			continue;
		kt_label_copy(got, ti.label, sizeof(ti.label));
		if (strcmp(got, label) != 0)
			continue;
		if (found)
			return kt_error_set(err, 0, "module %s: several tokens are labelled \"%s\"",
			                    tok->module, label);
		tok->slot = slots[i];
		found = 1;
	}
	if (!found)
		return kt_error_set(err, 0, "module %s: no token labelled \"%s\" is present",
		                    tok->module, label);
	snprintf(tok->label, sizeof(tok->label), "%s", label);
	return 0;
}

static int
kt_token_login(struct kt_token *tok, const struct kt_token_opts *opts, struct kt_error *err)
{
	char pin[KT_PIN_MAX], nb[32];
	CK_RV rv;

	if (kt_pin_read(opts, pin, sizeof(pin), err) != 0)
		return -1;
	rv = tok->fl->C_OpenSession(tok->slot, CKF_SERIAL_SESSION, NULL, NULL, &tok->login_session);
	if (rv == CKR_OK) {
		rv = tok->fl->C_Login(tok->login_session, CKU_USER, (CK_UTF8CHAR_PTR)pin,
		                      strlen(pin));
		if (rv == CKR_USER_ALREADY_LOGGED_IN)
			rv = CKR_OK;
	}
	OPENSSL_cleanse(pin, sizeof(pin));
	if (rv != CKR_OK)
		return kt_error_set(err, rv, "token \"%s\": login failed: %s", tok->label,
		                    kt_ckr_name(rv, nb, sizeof(nb)));
	return 0;
}

struct kt_token *
kt_token_open(const struct kt_token_opts *opts, struct kt_error *err)
{
	struct kt_token *tok;

	if (opts->module == NULL || opts->token == NULL) {
		kt_error_set(err, 0, "no PKCS#11 module or token label given");
		return NULL;
	}
	tok = calloc(1, sizeof(*tok));
	if (tok == NULL) {
		kt_error_set(err, 0, "out of memory");
		return NULL;
	}
	tok->login_session = CK_INVALID_HANDLE;
	snprintf(tok->module, sizeof(tok->module), "%s", opts->module);
	if (kt_token_load(tok, opts->module, err) != 0 ||
	    kt_token_find(tok, opts->token, err) != 0 || kt_token_login(tok, opts, err) != 0) {
		kt_token_close(tok);
		return NULL;
	}
	return tok;
}

void
kt_token_close(struct kt_token *tok)
{
	if (tok == NULL)
		return;
	if (tok->fl != NULL) {
		if (tok->login_session != CK_INVALID_HANDLE) {
			tok->fl->C_Logout(tok->login_session);
			tok->fl->C_CloseSession(tok->login_session);
		}
		tok->fl->C_Finalize(NULL);
	}
	/*
	 * The module stays mapped: some modules leave threads or atexit handlers
	 * behind after C_Finalize, and leak reports need its symbols.
	 */
	free(tok);
}

const char *
kt_token_label(const struct kt_token *tok)
{
	return tok->label;
}

int
kt_token_with_session(struct kt_token *tok, bool rw, kt_session_fn fn, void *arg,
                      struct kt_error *err)
{
	CK_SESSION_HANDLE s;
	CK_FLAGS flags = CKF_SERIAL_SESSION | (rw ? CKF_RW_SESSION : 0);
	char nb[32];
	CK_RV rv;

	rv = tok->fl->C_OpenSession(tok->slot, flags, NULL, NULL, &s);
	if (rv != CKR_OK)
		return kt_error_set(err, rv, "token \"%s\": cannot open a session: %s", tok->label,
		                    kt_ckr_name(rv, nb, sizeof(nb)));
	if (err != NULL)
		err->msg[0] = '\0';
	rv = fn(tok->fl, s, arg);
	tok->fl->C_CloseSession(s);
	if (rv == CKR_OK)
		return 0;
	if (err != NULL && err->msg[0] != '\0') {
		err->rv = rv;
		return -1;
	}
	return kt_error_set(err, rv, "token \"%s\": %s", tok->label,
	                    kt_ckr_name(rv, nb, sizeof(nb)));
}
