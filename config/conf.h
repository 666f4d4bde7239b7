/*
 * config/conf.h: the p11dkim configuration, parsed once, validated as a whole,
 * then immutable.
 *
 * Owns: everything reachable from a struct conf. conf_load() allocates it and
 * conf_free() releases all of it; nothing in it is ever modified after
 * conf_load() returns, so one struct conf may be read by any number of threads
 * at once without locks (conf_signtable_lookup() and conf_is_internal()
 * included). A reload builds a new struct conf and swaps the pointer.
 *
 * Errors: conf_load() returns NULL and fills a struct conf_error naming the
 * file, the line (0 when the problem is the file itself) and the setting
 * path (e.g. "domains[2].keys[0].selector", 0-based indexes; empty when the
 * problem is the file or its syntax). The whole file is always checked:
 * conf_load_errors() returns every problem found, in file order, for
 * `p11dkim -n`; conf_load() reports the first and counts the others.
 * The library never prints. Known cost: libconfig 1.5 itself leaks a few
 * bytes when a file has a syntax error (its lexer's copies of names and
 * strings), so each reload of a broken file loses those bytes.
 *
 * The file (and every @include'd file) is refused unless it is a regular file
 * that neither its group nor others can write. @include paths are relative to
 * the directory of the main file. Relative paths inside the file (pin_file,
 * pid_file, metrics_file, keytool_record, unix socket) are refused: the daemon changes
 * directory when it detaches. The PIN file itself is checked by pkcs11/, and so
 * are pkcs11: URIs (recognised here by their scheme in any case, parsed there).
 *
 * Types as written in the file (libconfig syntax):
 *   socket_umask     a string of octal digits ("0007", recommended), or an
 *                    integer whose decimal digits are read as octal digits
 *                    (libconfig has no octal literal and reads 0007 as 7 and
 *                    0077 as 77, so 0077 still means 0077), or a hex
 *                    integer (0x3F) taken as is. Range 0000..0777.
 *   numbers          libconfig integers. libconfig 1.5 silently wraps
 *                    literals past 32 bits; in the main file each one is
 *                    compared with its text and refused as out of range.
 *   lists of strings either [ "a", "b" ] or ( "a", "b" ).
 */
#ifndef P11DKIM_CONFIG_CONF_H
#define P11DKIM_CONFIG_CONF_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

#define CONF_DEFAULT_PATH "/etc/p11dkim/p11dkim.conf"

/* Limits that the signer has too (dkim/dkim.h: DKIM_MAX_SIGNATURES, DKIM_MAX_SIGN_NAMES; sign/
 * asserts they agree): a file beyond them would pass `p11dkim -n` and then fail or silently
 * drop signatures on every message. */
#define CONF_MAX_KEYS_PER_DOMAIN 16 /* DKIM-Signatures of ours on one message */
#define CONF_MAX_SIGN_HEADERS 128   /* names in sign.headers (the h= list) */

enum conf_canon { CONF_CANON_SIMPLE, CONF_CANON_RELAXED };
enum conf_on_error { CONF_ON_ERROR_TEMPFAIL, CONF_ON_ERROR_ACCEPT };
enum conf_socket_kind { CONF_SOCKET_INET, CONF_SOCKET_INET6, CONF_SOCKET_UNIX };

/* An address block; addr holds 4 (AF_INET) or 16 (AF_INET6) bytes in network
 * order, bits past prefix are zero. IPv4-mapped IPv6 blocks
 * (::ffff:10.0.0.0/104) are stored as their IPv4 block. */
struct conf_cidr {
	int family;
	unsigned char addr[16];
	unsigned prefix;
	/* "10.1.0.0/16 example.com, example.org": the From domains clients of this block may
	 * sign (each with its subdomains); NULL = every configured domain. */
	char **domains;
	size_t ndomains;
};

/* Which From domains an SMTP AUTH login may sign (sign.login_domains). */
enum conf_login_rule {
	CONF_LOGIN_OWN, /* its own domain (login@domain) and subdomains, and sign.login_map */
	CONF_LOGIN_ANY, /* every configured domain (p11dkim before 0.2; rspamd's
	                   allow_username_mismatch = true) */
};

/* A login without @domain (sign.bare_logins) that sign.login_map does not list. */
enum conf_bare_login { CONF_BARE_REFUSE, CONF_BARE_ANY };

struct conf_loginmap;

struct conf_key {
	char *selector; /* RFC 6376 selector syntax, as written */
	char *key;      /* token key label, or a pkcs11: URI (checked by pkcs11/) */
	int line;
};

struct conf_domain {
	char *domain;          /* lowercased, no trailing dot */
	bool subdomains;       /* default false */
	struct conf_key *keys; /* at least one */
	size_t nkeys;
	int line;
};

/* Tokens in one tokens = ( ... ) list. */
#define CONF_MAX_TOKENS 32

struct conf_token {
	char *module;               /* required: PKCS#11 module path (or name dlopen finds) */
	char *token;                /* required: token label (<= 32 bytes) or pkcs11: URI */
	char *pin_file;             /* exactly one of pin_file (absolute path) */
	char *pin_env;              /*   and pin_env (environment variable name) */
	unsigned sessions;          /* 0..1024; default 0 = let pkcs11/ fit it */
	unsigned borrow_timeout_ms; /* 1..600000; default 5000: one wait for a session of this
	                               token, after which the signer looks at every token again */
	bool allow_extractable;     /* default false */
	int line;                   /* where the group starts, for messages */
};

struct conf_sign {
	/* canonicalization = "relaxed/relaxed" etc; "relaxed" alone =
	 * relaxed/simple as RFC 6376 says. Default relaxed/relaxed (not RFC
	 * 6376's simple/simple: relaxed survives more relays). */
	enum conf_canon hdr_canon, body_canon;
	struct conf_cidr *internal_hosts; /* default 127.0.0.1, ::1; may be empty */
	size_t ninternal;
	bool sign_authenticated; /* default true */
	/* NULL = every MTA service; else a candidate must also come through a service whose
	 * {daemon_name} macro is one of these (OpenDKIM's MTA; Postfix: -o
	 * milter_macro_daemon_name=ORIGINATING on the submission service). */
	char **mta;
	size_t nmta;
	enum conf_login_rule login_domains; /* default own */
	enum conf_bare_login bare_logins;   /* default refuse */
	char *login_map;                    /* absolute path, or NULL */
	struct conf_loginmap *loginmap;     /* its contents, read with the configuration */
	enum conf_on_error on_token_error;  /* default tempfail */
	/* How long one signature may wait for a token (sessions busy, tokens slow) before the
	 * message is tempfailed: 1..3600000 ms, default 120000, well below Postfix's
	 * milter_content_timeout (300 s); the MTA is told of progress meanwhile. */
	unsigned token_wait_ms;
	/* NULL = dkim/ default list; if given: lowercased, no duplicates, contains
	 * "from", each a valid RFC 5322 field name. */
	char **headers;
	size_t nheaders;
	bool oversign;     /* default true */
	long expire_after; /* seconds, 0 = no x=; else 3600..315360000 */
	bool resign;       /* sign again even if a DKIM-Signature with our d= and s=
	                      exists; default false */
};

struct conf_signtable;

struct conf {
	char *path; /* as given to conf_load() */
	/* "inet:PORT@HOST", "inet:PORT" (any address), "inet6:PORT@HOST",
	 * "unix:/path", "local:/path"; validated. Default "inet:8891@127.0.0.1".
	 * The parts, for the daemon: */
	char *socket;
	enum conf_socket_kind socket_kind;
	unsigned socket_port;      /* inet/inet6: 1..65535; unix: 0 */
	char *socket_host;         /* inet/inet6: host or address, NULL = any; unix: NULL */
	char *socket_path;         /* unix/local: the absolute path; inet: NULL */
	unsigned socket_umask;     /* default 0007 (octal) */
	char *user;                /* run as; NULL = don't switch */
	char *group;               /* NULL = the user's primary group */
	char *pid_file;            /* NULL = none; absolute path */
	char *log;                 /* "syslog" (default) or "stderr" */
	char *syslog_facility;     /* default "mail"; one of mail daemon user auth
	                              authpriv local0..local7 */
	int syslog_facility_value; /* LOG_MAIL etc. from <syslog.h> */
	char *metrics_file;        /* NULL = none (Prometheus textfile); absolute */
	unsigned metrics_interval; /* seconds, 1..3600, default 10 */
	char *keytool_record;      /* NULL = none; absolute: p11dkim-keytool's ceremony records
	                              (JSON lines), as its --record; the daemon ignores it */
	/* token { ... } (one) or tokens = ( { ... }, ... ) (several holding the same keys, which
	 * share the load and stand in for each other): exactly one of the two. ntokens >= 1;
	 * file order; no two name the same module and token. */
	struct conf_token *tokens;
	size_t ntokens;
	struct conf_sign sign;
	struct conf_domain *domains; /* file order; may be empty */
	size_t ndomains;
	/* private: the signing table index */
	struct conf_signtable *signtable;
};

struct conf_error {
	char file[4096];
	int line;          /* 0 = the file as a whole */
	char setting[256]; /* "" = no particular setting */
	char msg[512];
	unsigned more; /* conf_load(): how many further errors were found */
};

struct conf_errors {
	struct conf_error *v;
	size_t n;
};

/* Returns NULL and fills err (the first error) on any problem. */
struct conf *conf_load(const char *path, struct conf_error *err);
/* The same, but returns every error (at most 100, then a last one saying
 * more were cut) in errs. errs is always filled (n = 0 on success) and the
 * caller always frees it with conf_errors_free(). */
struct conf *conf_load_errors(const char *path, struct conf_errors *errs);
void conf_errors_free(struct conf_errors *errs);
/* Parses text as if it were the file name (which is only used in errors
 * and to resolve @include): no file checks. For fuzzing and tests. */
struct conf *conf_load_buffer(const char *name, const char *text, size_t len,
                              struct conf_errors *errs);
void conf_free(struct conf *);

/* "simple" or "relaxed", for logs and c= tags. */
const char *conf_canon_name(enum conf_canon);

/* "FILE:LINE: SETTING: MSG" in buf (LINE and SETTING left out when absent);
 * returns buf. Truncates to len. */
const char *conf_error_format(const struct conf_error *, char *buf, size_t len);

/* Signing table: from_domain is the From (or Sender) mailbox domain, any case,
 * maybe trailing dot. An exact entry wins; else the nearest parent entry with
 * subdomains = true; else NULL. O(labels) hash lookups. Thread-safe
 * (read-only). */
const struct conf_domain *conf_signtable_lookup(const struct conf *, const char *from_domain);

/* true if addr (AF_INET / AF_INET6 sockaddr; IPv4-mapped IPv6 treated as
 * IPv4) is in internal_hosts. NULL or another family: false. */
bool conf_is_internal(const struct conf *, const struct sockaddr *addr);

/* true if domain is allowed (equal, or a subdomain of it; any case, trailing dot ignored). */
bool conf_domain_within(const char *domain, const char *allowed);

/* true if a client at addr, internal by conf_is_internal, may sign for from_domain: some
 * internal_hosts block holding addr lists no domains, or lists one that from_domain is within.
 * Thread-safe (read-only). */
bool conf_internal_may_sign(const struct conf *, const struct sockaddr *addr,
                            const char *from_domain);

/* The domains sign.login_map gives login (exact match), or NULL with *n = 0. Thread-safe. */
const char *const *conf_login_domains(const struct conf *, const char *login, size_t *n);

#endif
