/*
 * p11_status.c: the one place where statuses and CK_RV values become text.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>

#include "pkcs11/p11_int.h"

static const char *const p11_status_text[] = {
    [P11_OK] = "success",
    [P11_ERR_NOMEM] = "out of memory",
    [P11_ERR_INVALID] = "invalid argument",
    [P11_ERR_MODULE] = "PKCS#11 module error",
    [P11_ERR_TOKEN_NOT_FOUND] = "token not found",
    [P11_ERR_PIN_FILE] = "PIN source unusable",
    [P11_ERR_PIN] = "PIN wrong or locked",
    [P11_ERR_LOGIN] = "login failed",
    [P11_ERR_KEY_NOT_FOUND] = "key not found",
    [P11_ERR_KEY_AMBIGUOUS] = "key reference matches several keys",
    [P11_ERR_KEY_UNSAFE] = "key is extractable or not sensitive",
    [P11_ERR_KEY_WEAK] = "RSA key too small",
    [P11_ERR_KEY_TYPE] = "unsupported key type",
    [P11_ERR_KEY_USAGE] = "key may not sign here",
    [P11_ERR_MECHANISM] = "signing mechanism not supported by the token",
    [P11_ERR_POOL_TIMEOUT] = "no token session free in time",
    [P11_ERR_TOKEN_GONE] = "token absent or unusable",
    [P11_ERR_SIGN] = "token refused to sign",
    [P11_ERR_KEY_MISMATCH] = "tokens hold different keys under one reference",
};

const char *
p11_strerror(p11_status st)
{
	if ((unsigned)st >= sizeof(p11_status_text) / sizeof(p11_status_text[0]) ||
	    p11_status_text[st] == NULL)
		return "unknown p11 status";
	return p11_status_text[st];
}

struct p11_ckr_entry {
	unsigned long rv;
	const char *name;
};

#define P11_CKR(x)                                                                                 \
	{                                                                                          \
		x, #x                                                                              \
	}
static const struct p11_ckr_entry p11_ckr_table[] = {
    P11_CKR(CKR_OK),
    P11_CKR(CKR_CANCEL),
    P11_CKR(CKR_HOST_MEMORY),
    P11_CKR(CKR_SLOT_ID_INVALID),
    P11_CKR(CKR_GENERAL_ERROR),
    P11_CKR(CKR_FUNCTION_FAILED),
    P11_CKR(CKR_ARGUMENTS_BAD),
    P11_CKR(CKR_NO_EVENT),
    P11_CKR(CKR_NEED_TO_CREATE_THREADS),
    P11_CKR(CKR_CANT_LOCK),
    P11_CKR(CKR_ATTRIBUTE_READ_ONLY),
    P11_CKR(CKR_ATTRIBUTE_SENSITIVE),
    P11_CKR(CKR_ATTRIBUTE_TYPE_INVALID),
    P11_CKR(CKR_ATTRIBUTE_VALUE_INVALID),
    P11_CKR(CKR_ACTION_PROHIBITED),
    P11_CKR(CKR_DATA_INVALID),
    P11_CKR(CKR_DATA_LEN_RANGE),
    P11_CKR(CKR_DEVICE_ERROR),
    P11_CKR(CKR_DEVICE_MEMORY),
    P11_CKR(CKR_DEVICE_REMOVED),
    P11_CKR(CKR_ENCRYPTED_DATA_INVALID),
    P11_CKR(CKR_ENCRYPTED_DATA_LEN_RANGE),
    P11_CKR(CKR_FUNCTION_CANCELED),
    P11_CKR(CKR_FUNCTION_NOT_PARALLEL),
    P11_CKR(CKR_FUNCTION_NOT_SUPPORTED),
    P11_CKR(CKR_KEY_HANDLE_INVALID),
    P11_CKR(CKR_KEY_SIZE_RANGE),
    P11_CKR(CKR_KEY_TYPE_INCONSISTENT),
    P11_CKR(CKR_KEY_NOT_NEEDED),
    P11_CKR(CKR_KEY_CHANGED),
    P11_CKR(CKR_KEY_NEEDED),
    P11_CKR(CKR_KEY_INDIGESTIBLE),
    P11_CKR(CKR_KEY_FUNCTION_NOT_PERMITTED),
    P11_CKR(CKR_KEY_NOT_WRAPPABLE),
    P11_CKR(CKR_KEY_UNEXTRACTABLE),
    P11_CKR(CKR_MECHANISM_INVALID),
    P11_CKR(CKR_MECHANISM_PARAM_INVALID),
    P11_CKR(CKR_OBJECT_HANDLE_INVALID),
    P11_CKR(CKR_OPERATION_ACTIVE),
    P11_CKR(CKR_OPERATION_NOT_INITIALIZED),
    P11_CKR(CKR_PIN_INCORRECT),
    P11_CKR(CKR_PIN_INVALID),
    P11_CKR(CKR_PIN_LEN_RANGE),
    P11_CKR(CKR_PIN_EXPIRED),
    P11_CKR(CKR_PIN_LOCKED),
    P11_CKR(CKR_SESSION_CLOSED),
    P11_CKR(CKR_SESSION_COUNT),
    P11_CKR(CKR_SESSION_HANDLE_INVALID),
    P11_CKR(CKR_SESSION_PARALLEL_NOT_SUPPORTED),
    P11_CKR(CKR_SESSION_READ_ONLY),
    P11_CKR(CKR_SESSION_EXISTS),
    P11_CKR(CKR_SESSION_READ_ONLY_EXISTS),
    P11_CKR(CKR_SESSION_READ_WRITE_SO_EXISTS),
    P11_CKR(CKR_SIGNATURE_INVALID),
    P11_CKR(CKR_SIGNATURE_LEN_RANGE),
    P11_CKR(CKR_TEMPLATE_INCOMPLETE),
    P11_CKR(CKR_TEMPLATE_INCONSISTENT),
    P11_CKR(CKR_TOKEN_NOT_PRESENT),
    P11_CKR(CKR_TOKEN_NOT_RECOGNIZED),
    P11_CKR(CKR_TOKEN_WRITE_PROTECTED),
    P11_CKR(CKR_UNWRAPPING_KEY_SIZE_RANGE),
    P11_CKR(CKR_UNWRAPPING_KEY_TYPE_INCONSISTENT),
    P11_CKR(CKR_USER_ALREADY_LOGGED_IN),
    P11_CKR(CKR_USER_NOT_LOGGED_IN),
    P11_CKR(CKR_USER_PIN_NOT_INITIALIZED),
    P11_CKR(CKR_USER_TYPE_INVALID),
    P11_CKR(CKR_USER_ANOTHER_ALREADY_LOGGED_IN),
    P11_CKR(CKR_USER_TOO_MANY_TYPES),
    P11_CKR(CKR_WRAPPED_KEY_INVALID),
    P11_CKR(CKR_WRAPPED_KEY_LEN_RANGE),
    P11_CKR(CKR_WRAPPING_KEY_HANDLE_INVALID),
    P11_CKR(CKR_WRAPPING_KEY_SIZE_RANGE),
    P11_CKR(CKR_WRAPPING_KEY_TYPE_INCONSISTENT),
    P11_CKR(CKR_RANDOM_SEED_NOT_SUPPORTED),
    P11_CKR(CKR_RANDOM_NO_RNG),
    P11_CKR(CKR_DOMAIN_PARAMS_INVALID),
    P11_CKR(CKR_CURVE_NOT_SUPPORTED),
    P11_CKR(CKR_BUFFER_TOO_SMALL),
    P11_CKR(CKR_SAVED_STATE_INVALID),
    P11_CKR(CKR_INFORMATION_SENSITIVE),
    P11_CKR(CKR_STATE_UNSAVEABLE),
    P11_CKR(CKR_CRYPTOKI_NOT_INITIALIZED),
    P11_CKR(CKR_CRYPTOKI_ALREADY_INITIALIZED),
    P11_CKR(CKR_MUTEX_BAD),
    P11_CKR(CKR_MUTEX_NOT_LOCKED),
    P11_CKR(CKR_NEW_PIN_MODE),
    P11_CKR(CKR_NEXT_OTP),
    P11_CKR(CKR_EXCEEDED_MAX_ITERATIONS),
    P11_CKR(CKR_FIPS_SELF_TEST_FAILED),
    P11_CKR(CKR_LIBRARY_LOAD_FAILED),
    P11_CKR(CKR_PIN_TOO_WEAK),
    P11_CKR(CKR_PUBLIC_KEY_INVALID),
    P11_CKR(CKR_FUNCTION_REJECTED),
};

const char *
p11_ckr_name(unsigned long rv, char *buf, size_t len)
{
	for (size_t i = 0; i < sizeof(p11_ckr_table) / sizeof(p11_ckr_table[0]); i++)
		if (p11_ckr_table[i].rv == rv)
			return p11_ckr_table[i].name;
	if (buf == NULL || len == 0)
		return "CKR_unknown";
	snprintf(buf, len, "CKR_0x%lx", rv);
	return buf;
}

void
p11_err_set(struct p11_error *err, p11_status st, unsigned long rv, const char *fmt, ...)
{
	va_list ap;
	char name[32];
	int n;

	if (err == NULL)
		return;
	err->status = st;
	err->rv = rv;
	va_start(ap, fmt);
	n = vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	if (n < 0) {
		err->msg[0] = '\0';
		n = 0;
	}
	if (rv != 0 && (size_t)n < sizeof(err->msg))
		snprintf(err->msg + n, sizeof(err->msg) - (size_t)n, " (%s)",
		         p11_ckr_name(rv, name, sizeof(name)));
}

p11_status
p11_status_login(CK_RV rv)
{
	switch (rv) {
	case CKR_PIN_INCORRECT:
	case CKR_PIN_INVALID:
	case CKR_PIN_LEN_RANGE:
	case CKR_PIN_EXPIRED:
	case CKR_PIN_LOCKED:
		return P11_ERR_PIN;
	case CKR_TOKEN_NOT_PRESENT:
	case CKR_DEVICE_REMOVED:
	case CKR_DEVICE_ERROR:
		return P11_ERR_TOKEN_GONE;
	default:
		return P11_ERR_LOGIN;
	}
}
