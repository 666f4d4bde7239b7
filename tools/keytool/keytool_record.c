/*
 * keytool_record: the ceremony records (JSON lines and syslog); see keytool_record.h.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "pkcs11/p11_set.h" /* p11_token_serial */
#include "tools/keytool/keytool_dns.h"
#include "tools/keytool/keytool_record.h"

/* A growing text buffer; on allocation failure it keeps failing and says so at the end. */
struct kt_buf {
	char *s;
	size_t len, cap;
	bool bad;
};

static void
kt_buf_add(struct kt_buf *b, const char *p, size_t n)
{
	char *ns;
	size_t cap;

	if (b->bad)
		return;
	if (b->len + n + 1 > b->cap) {
		cap = (b->len + n + 1) * 2;
		if ((ns = realloc(b->s, cap)) == NULL) {
			b->bad = true;
			return;
		}
		b->s = ns;
		b->cap = cap;
	}
	memcpy(b->s + b->len, p, n);
	b->len += n;
	b->s[b->len] = '\0';
}

static void kt_buf_printf(struct kt_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
kt_buf_printf(struct kt_buf *b, const char *fmt, ...)
{
	char tmp[256];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(tmp))
		b->bad = true; /* only short fixed texts go through here */
	else
		kt_buf_add(b, tmp, (size_t)n);
}

/* A JSON string: quotes, backslashes and control characters escaped; non-ASCII bytes as
   \u00XX so that any label makes valid JSON. NULL is JSON null. */
static void
kt_json_str(struct kt_buf *b, const char *s)
{
	if (s == NULL) {
		kt_buf_add(b, "null", 4);
		return;
	}
	kt_buf_add(b, "\"", 1);
	for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++) {
		if (*p == '"' || *p == '\\') {
			char esc[2] = {'\\', (char)*p};
			kt_buf_add(b, esc, 2);
		} else if (*p < 0x20 || *p >= 0x7f)
			kt_buf_printf(b, "\\u%04x", *p);
		else
			kt_buf_add(b, (const char *)p, 1);
	}
	kt_buf_add(b, "\"", 1);
}

static void
kt_json_field(struct kt_buf *b, const char *name, const char *value)
{
	kt_buf_printf(b, ",\"%s\":", name);
	kt_json_str(b, value);
}

/* Who runs the ceremony: the login user, not root after sudo. */
static const char *
kt_record_operator(void)
{
	static const char *const vars[] = {"SUDO_USER", "LOGNAME", "USER"};
	const char *s = getlogin();

	for (size_t i = 0; (s == NULL || *s == '\0') && i < sizeof(vars) / sizeof(vars[0]); i++)
		s = getenv(vars[i]);
	return s != NULL && *s != '\0' ? s : NULL;
}

void
kt_record_hex(const unsigned char *v, size_t n, char *out, size_t outlen)
{
	out[0] = '\0';
	if (2 * n + 1 > outlen)
		return;
	for (size_t i = 0; i < n; i++)
		snprintf(out + 2 * i, 3, "%02x", v[i]);
}

struct kt_describe {
	struct kt_record *r;
	const char *label;
	int found;
	bool ed25519;
};

static int
kt_record_find(const struct p11_key_info *ki, void *arg)
{
	struct kt_describe *d = arg;

	if (strcmp(ki->label, d->label) != 0)
		return 0;
	if (d->found++ > 0)
		return 1; /* ambiguous: p11_token_public_key says so below */
	kt_record_hex(ki->id, ki->id_len, d->r->key_id, sizeof(d->r->key_id));
	d->r->bits = ki->bits;
	d->ed25519 = ki->type_known && ki->type == P11_KEY_ED25519;
	d->r->algorithm = !ki->type_known ? "other" : d->ed25519 ? "ed25519" : "rsa";
	return 0;
}

int
kt_record_describe(struct kt_record *r, p11_token *tok, const char *action, const char *label,
                   char *err, size_t errlen)
{
	struct kt_describe d = {.r = r, .label = label};
	struct p11_error perr;
	EVP_PKEY *pk = NULL;

	memset(r, 0, sizeof(*r));
	r->action = action;
	r->key = label;
	snprintf(r->token, sizeof(r->token), "%s", p11_token_label(tok));
	snprintf(r->token_serial, sizeof(r->token_serial), "%s", p11_token_serial(tok));
	if (p11_token_list_keys(tok, kt_record_find, &d, &perr) != P11_OK ||
	    p11_token_public_key(tok, label, &pk, &perr) != P11_OK) {
		snprintf(err, errlen, "%s", perr.msg);
		return -1;
	}
	if (p11_pubkey_fingerprint(pk, r->fingerprint) != P11_OK ||
	    (r->dns = kt_dns_value(pk, d.ed25519, false, false)) == NULL) {
		EVP_PKEY_free(pk);
		snprintf(err, errlen, "cannot encode the public key of \"%s\" on token \"%s\"",
		         label, r->token);
		return -1;
	}
	EVP_PKEY_free(pk);
	return 0;
}

void
kt_record_clear(struct kt_record *r)
{
	free(r->dns);
	r->dns = NULL;
}

static int
kt_record_open(const char *path, char *err, size_t errlen)
{
	int fd =
	    open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY, 0600);

	if (fd < 0)
		snprintf(err, errlen, "cannot append to the record file %s: %s", path,
		         strerror(errno));
	return fd;
}

int
kt_record_ready(const char *path, char *err, size_t errlen)
{
	int fd;

	if (path == NULL)
		return 0;
	if ((fd = kt_record_open(path, err, errlen)) < 0)
		return -1;
	close(fd);
	return 0;
}

static void
kt_record_json(struct kt_buf *b, const struct kt_record *r)
{
	char now[32], host[256] = "", uid[24];
	time_t t = time(NULL);
	struct tm tm;

	strftime(now, sizeof(now), "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&t, &tm));
	(void)gethostname(host, sizeof(host) - 1);
	snprintf(uid, sizeof(uid), "%u", (unsigned)getuid());
	kt_buf_add(b, "{\"time\":", 8);
	kt_json_str(b, now);
	kt_json_field(b, "operator", kt_record_operator());
	kt_buf_printf(b, ",\"uid\":%s", uid);
	kt_json_field(b, "host", host);
	kt_json_field(b, "action", r->action);
	kt_json_field(b, "token", r->token);
	kt_json_field(b, "token_serial", r->token_serial);
	kt_json_field(b, "key", r->key);
	kt_json_field(b, "key_id", r->key_id);
	kt_json_field(b, "algorithm", r->algorithm);
	kt_buf_printf(b, ",\"bits\":%u", r->bits);
	kt_json_field(b, "fingerprint", r->fingerprint[0] ? r->fingerprint : NULL);
	kt_json_field(b, "dns", r->dns);
	if (r->from_token != NULL) {
		kt_json_field(b, "from_token", r->from_token);
		kt_json_field(b, "from_serial", r->from_serial);
	}
	if (r->wrap_key != NULL)
		kt_json_field(b, "wrap_key", r->wrap_key);
	if (r->source != NULL)
		kt_json_field(b, "source", r->source);
	kt_buf_add(b, "}\n", 2);
}

/* Text for a syslog field: printable ASCII only, no quote or backslash, so that a label cannot
   forge or hide fields. */
static void
kt_record_printable(char *dst, size_t len, const char *src)
{
	size_t i;

	for (i = 0; src != NULL && src[i] != '\0' && i + 1 < len; i++)
		dst[i] = src[i] > 0x20 && src[i] < 0x7f && src[i] != '"' && src[i] != '\\' ? src[i]
		                                                                           : '?';
	dst[i] = '\0';
}

static void
kt_record_syslog(const struct kt_record *r, bool to_stderr)
{
	char tok[40], key[140], from[40], op[64];
	const char *o = kt_record_operator();

	kt_record_printable(tok, sizeof(tok), r->token);
	kt_record_printable(key, sizeof(key), r->key);
	kt_record_printable(from, sizeof(from), r->from_token);
	kt_record_printable(op, sizeof(op), o != NULL ? o : "-");
	openlog("p11dkim-keytool", LOG_PID | (to_stderr ? LOG_PERROR : 0), LOG_AUTHPRIV);
	syslog(
	    LOG_NOTICE,
	    "ceremony: action=%s operator=%s uid=%u token=\"%s\" token_serial=%s%s%s%s key=\"%s\" "
	    "key_id=%s algorithm=%s bits=%u fingerprint=%s dns=\"%s\"",
	    r->action, op, (unsigned)getuid(), tok, r->token_serial,
	    r->from_token != NULL ? " from_token=\"" : "", r->from_token != NULL ? from : "",
	    r->from_token != NULL ? "\"" : "", key, r->key_id[0] ? r->key_id : "-",
	    r->algorithm != NULL ? r->algorithm : "-", r->bits,
	    r->fingerprint[0] ? r->fingerprint : "-", r->dns != NULL ? r->dns : "-");
	closelog();
}

int
kt_record_write(const struct kt_record *r, const char *path, bool to_stderr, char *err,
                size_t errlen)
{
	struct kt_buf b = {NULL, 0, 0, false};
	ssize_t n = -1;
	int fd, rc = 0;

	kt_record_syslog(r, to_stderr);
	if (path == NULL)
		return 0;
	kt_record_json(&b, r);
	if (b.bad) {
		free(b.s);
		snprintf(err, errlen, "out of memory writing the record");
		return -1;
	}
	if ((fd = kt_record_open(path, err, errlen)) < 0) {
		free(b.s);
		return -1;
	}
	/* One write: with O_APPEND the line lands whole even beside another writer. */
	n = write(fd, b.s, b.len);
	if (n != (ssize_t)b.len || fsync(fd) != 0) {
		snprintf(err, errlen, "cannot write the record to %s: %s", path,
		         n < 0 || n == (ssize_t)b.len ? strerror(errno) : "short write");
		rc = -1;
	}
	if (close(fd) != 0 && rc == 0) {
		snprintf(err, errlen, "cannot write the record to %s: %s", path, strerror(errno));
		rc = -1;
	}
	free(b.s);
	return rc;
}
