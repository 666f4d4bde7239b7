/*
 * policy.h: who gets signed, and with which domain.
 *
 * Contract
 * - Pure decisions on data the milter collected: no I/O, no logging, no globals. Thread-safe.
 * - A message is a candidate when its client is internal (conf_is_internal on the connect
 *   address) or it authenticated ({auth_authen} present) and sign_authenticated is on, and,
 *   when sign.mta is set, it came through a listed MTA service ({daemon_name}). Anything else
 *   passes unsigned, so the daemon is never an open signing service.
 * - The signing domain comes from the From header by dkim_addr_author() (dkim/dkim_addr.h), the
 *   rule p11dkim-sign follows too; policy_from_domain only names its outcome as a reason.
 * - Every outcome that is not "sign" has a reason (enum policy_reason) with fixed text for the
 *   log line and a stable short name for metrics labels.
 */
#ifndef P11DKIM_DAEMON_POLICY_H
#define P11DKIM_DAEMON_POLICY_H

#include <stdbool.h>
#include <stddef.h>

#include "config/conf.h"

enum policy_reason {
	POLICY_SIGN = 0,
	POLICY_NOT_TRUSTED,    /* neither internal nor authenticated */
	POLICY_NOT_OUTGOING,   /* sign.mta is set and the MTA service is not in it */
	POLICY_NO_FROM,        /* no From header */
	POLICY_SEVERAL_FROM,   /* more than one From header */
	POLICY_BAD_FROM,       /* From is not an address list, or names no mailbox */
	POLICY_NO_SENDER,      /* From with several mailboxes and no usable Sender */
	POLICY_NO_DOMAIN,      /* the signing table has no entry for the domain */
	POLICY_NOT_ALLOWED,    /* this login or client may not sign for the From domain */
	POLICY_ALREADY_SIGNED, /* a DKIM-Signature with our d= and s= verifies (dkim_verify.h) */
	POLICY_TOO_LARGE,      /* headers beyond the signer's caps */
	POLICY_BAD_HEADER,     /* a header the signer cannot take (bad field name) */
	POLICY_TOKEN_ERROR,    /* the token failed and on_token_error = accept */
	POLICY_INTERNAL_ERROR, /* out of memory or a library error, under accept */
	POLICY_NREASONS
};

/* "not internal and not authenticated", ... Never NULL. */
const char *policy_reason_text(enum policy_reason);
/* "not_trusted", ... for metric labels. Never NULL. */
const char *policy_reason_name(enum policy_reason);

/* Whether a message from this client is a candidate for signing. addr may be NULL (the MTA
 * gave no address): then only authentication counts. auth_authen may be NULL or "". */
bool policy_trusted(const struct conf *, const struct sockaddr *addr, const char *auth_authen,
                    bool *internal);

/* Whether the MTA service the message came through ({daemon_name}, NULL or "" when the MTA
 * sent none) may have its mail signed: always when sign.mta is not set, else only a listed
 * name (compared without case). */
bool policy_outgoing(const struct conf *, const char *daemon_name);

/*
 * Whether the sender may sign for from_domain (the author domain, not yet the table entry).
 * An authenticated sender (auth_authen non-empty and sign_authenticated on) follows the login
 * rule, from an internal host too: sign.login_domains "any" allows every domain; "own" allows
 * the domain after the login's last '@' and its subdomains, and the domains sign.login_map
 * lists for the login; a login without '@' that the map does not list is allowed only with
 * bare_logins = "any". Any other (internal) client follows the internal_hosts block(s) holding
 * its address (conf_internal_may_sign). On refusal, who is "login L" or "client A" text for the
 * log line (L made printable).
 */
bool policy_may_sign(const struct conf *, const struct sockaddr *addr, const char *client,
                     const char *auth_authen, const char *from_domain, char *who, size_t wholen);

/* dkim_addr_author() with its result as a reason (POLICY_SIGN when domain is filled). */
enum policy_reason policy_from_domain(unsigned nfrom, const char *from, unsigned nsender,
                                      const char *sender, char *domain, size_t len);

#endif
