/*
 * dkim_status.c: the names of statuses, algorithms and canonicalizations, and
 * the default list of header fields to sign.
 */
#include <strings.h>
#include <string.h>

#include "dkim/dkim.h"

const char *
dkim_strerror(dkim_status st)
{
	switch (st) {
	case DKIM_OK:
		return "success";
	case DKIM_ERR_NOMEM:
		return "out of memory";
	case DKIM_ERR_INVALID:
		return "invalid argument or option";
	case DKIM_ERR_SYNTAX:
		return "malformed message or header";
	case DKIM_ERR_STATE:
		return "call out of order";
	case DKIM_ERR_LIMIT:
		return "message exceeds a size or count limit";
	case DKIM_ERR_CRYPTO:
		return "hashing failed in libcrypto";
	}
	return "unknown DKIM status";
}

const char *
dkim_alg_name(dkim_alg alg)
{
	switch (alg) {
	case DKIM_ALG_RSA_SHA256:
		return "rsa-sha256";
	case DKIM_ALG_ED25519_SHA256:
		return "ed25519-sha256";
	}
	return NULL;
}

const char *
dkim_canon_name(dkim_canon c)
{
	switch (c) {
	case DKIM_CANON_SIMPLE:
		return "simple";
	case DKIM_CANON_RELAXED:
		return "relaxed";
	}
	return NULL;
}

static int
dkim_canon_word(const char *s, size_t n, dkim_canon *out)
{
	if (n == 6 && strncasecmp(s, "simple", 6) == 0)
		*out = DKIM_CANON_SIMPLE;
	else if (n == 7 && strncasecmp(s, "relaxed", 7) == 0)
		*out = DKIM_CANON_RELAXED;
	else
		return -1;
	return 0;
}

dkim_status
dkim_canon_parse(const char *text, dkim_canon *hdr, dkim_canon *body)
{
	const char *slash;
	dkim_canon h, b;

	if (text == NULL || hdr == NULL || body == NULL)
		return DKIM_ERR_INVALID;
	slash = strchr(text, '/');
	if (slash == NULL) {
		/* RFC 6376 3.5: a lone header algorithm means a simple body. */
		if (dkim_canon_word(text, strlen(text), &h) != 0)
			return DKIM_ERR_INVALID;
		b = DKIM_CANON_SIMPLE;
	} else if (dkim_canon_word(text, (size_t)(slash - text), &h) != 0 ||
	           dkim_canon_word(slash + 1, strlen(slash + 1), &b) != 0) {
		return DKIM_ERR_INVALID;
	}
	*hdr = h;
	*body = b;
	return DKIM_OK;
}

/* What a recipient shows or acts on; Sender and the List-* fields because a
 * replayed message with other values would mislead as much as a new From. */
static const char *const dkim_default_list[] = {
    "From",
    "To",
    "Cc",
    "Subject",
    "Date",
    "Message-ID",
    "Reply-To",
    "In-Reply-To",
    "References",
    "MIME-Version",
    "Content-Type",
    "Content-Transfer-Encoding",
    "Sender",
    "List-Id",
    "List-Unsubscribe",
    "List-Unsubscribe-Post",
    "List-Post",
    "List-Help",
    "List-Subscribe",
    "List-Owner",
    "List-Archive",
};

const char *const *
dkim_default_headers(size_t *n)
{
	if (n != NULL)
		*n = sizeof(dkim_default_list) / sizeof(dkim_default_list[0]);
	return dkim_default_list;
}
