/* policy.c: see policy.h. */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "daemon/log.h"
#include "daemon/policy.h"
#include "dkim/dkim_addr.h"

static const struct {
	const char *text, *name;
} policy_reasons[POLICY_NREASONS] = {
    [POLICY_SIGN] = {"signed", "signed"},
    [POLICY_NOT_TRUSTED] = {"not internal and not authenticated", "not_trusted"},
    [POLICY_NOT_OUTGOING] = {"MTA service not in sign.mta", "not_outgoing"},
    [POLICY_NO_FROM] = {"no From", "no_from"},
    [POLICY_SEVERAL_FROM] = {"several From", "several_from"},
    [POLICY_BAD_FROM] = {"From names no usable mailbox", "bad_from"},
    [POLICY_NO_SENDER] = {"From has several mailboxes and no usable Sender", "no_sender"},
    [POLICY_NO_DOMAIN] = {"no signing domain", "no_domain"},
    [POLICY_NOT_ALLOWED] = {"sender may not sign for the domain", "not_allowed"},
    [POLICY_ALREADY_SIGNED] = {"already signed", "already_signed"},
    [POLICY_TOO_LARGE] = {"headers too large", "too_large"},
    [POLICY_BAD_HEADER] = {"malformed header", "bad_header"},
    [POLICY_TOKEN_ERROR] = {"token error", "token_error"},
    [POLICY_INTERNAL_ERROR] = {"internal error", "internal_error"},
};

const char *
policy_reason_text(enum policy_reason r)
{
	if ((unsigned)r >= POLICY_NREASONS)
		return "unknown";
	return policy_reasons[r].text;
}

const char *
policy_reason_name(enum policy_reason r)
{
	if ((unsigned)r >= POLICY_NREASONS)
		return "unknown";
	return policy_reasons[r].name;
}

bool
policy_trusted(const struct conf *conf, const struct sockaddr *addr, const char *auth_authen,
               bool *internal)
{
	bool in = addr != NULL && conf_is_internal(conf, addr);

	if (internal != NULL)
		*internal = in;
	if (in)
		return true;
	return conf->sign.sign_authenticated && auth_authen != NULL && auth_authen[0] != '\0';
}

static bool
policy_login_may_sign(const struct conf *conf, const char *login, const char *from_domain)
{
	const char *const *mapped;
	const char *at;
	size_t i, n;

	if (conf->sign.login_domains == CONF_LOGIN_ANY)
		return true;
	at = strrchr(login, '@');
	if (at != NULL && at[1] != '\0' && conf_domain_within(from_domain, at + 1))
		return true;
	mapped = conf_login_domains(conf, login, &n);
	for (i = 0; i < n; i++)
		if (conf_domain_within(from_domain, mapped[i]))
			return true;
	return at == NULL && mapped == NULL && conf->sign.bare_logins == CONF_BARE_ANY;
}

bool
policy_may_sign(const struct conf *conf, const struct sockaddr *addr, const char *client,
                const char *auth_authen, const char *from_domain, char *who, size_t wholen)
{
	char printable[128];

	if (conf->sign.sign_authenticated && auth_authen != NULL && auth_authen[0] != '\0') {
		if (policy_login_may_sign(conf, auth_authen, from_domain))
			return true;
		snprintf(who, wholen, "login %s",
		         log_printable(auth_authen, printable, sizeof(printable)));
		return false;
	}
	if (conf_internal_may_sign(conf, addr, from_domain))
		return true;
	snprintf(who, wholen, "client %s", client);
	return false;
}

bool
policy_outgoing(const struct conf *conf, const char *daemon_name)
{
	size_t i;

	if (conf->sign.mta == NULL)
		return true;
	if (daemon_name == NULL)
		return false;
	for (i = 0; i < conf->sign.nmta; i++)
		if (strcasecmp(conf->sign.mta[i], daemon_name) == 0)
			return true;
	return false;
}

enum policy_reason
policy_from_domain(unsigned nfrom, const char *from, unsigned nsender, const char *sender,
                   char *domain, size_t len)
{
	static const enum policy_reason map[] = {
	    [DKIM_AUTHOR_OK] = POLICY_SIGN,
	    [DKIM_AUTHOR_NO_FROM] = POLICY_NO_FROM,
	    [DKIM_AUTHOR_SEVERAL_FROM] = POLICY_SEVERAL_FROM,
	    [DKIM_AUTHOR_BAD_FROM] = POLICY_BAD_FROM,
	    [DKIM_AUTHOR_NO_SENDER] = POLICY_NO_SENDER,
	};

	return map[dkim_addr_author(nfrom, from, nsender, sender, domain, len)];
}
