/* milter.c: see milter.h. */
#include "config.h"

#include <libmilter/mfapi.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>

#include "daemon/listen.h"
#include "daemon/log.h"
#include "daemon/milter.h"
#include "daemon/milter_int.h"
#include "dkim/dkim.h"
#include "sign/sign_msg.h"
#include "sign/sign_opts.h"

/* libmilter passes no user pointer to callbacks: this is the one link to main's context. */
struct milter_env *milter_env;

const char *
milter_qid(SMFICTX *ctx)
{
	const char *q = smfi_getsymval(ctx, "i");

	return q != NULL && q[0] != '\0' ? q : "NOQUEUE";
}

/* Ends the current message: gives back its state and its in-flight count. Idempotent. */
void
milter_msg_end(struct milter_conn *c)
{
	if (c->st != NULL) {
		state_release(milter_env->states, c->st);
		c->st = NULL;
	}
	if (c->counted) {
		atomic_fetch_sub(&milter_env->in_flight, 1);
		c->counted = false;
	}
	c->active = false;
}

static void
milter_count_skip(enum policy_reason r)
{
	/* The metrics' reason list is policy_reason_name() from POLICY_SIGN + 1 on. */
	metrics_unsigned(milter_env->metrics, (size_t)r - 1);
}

/* A message that will not be signed, by policy: one log line, then accept. */
sfsistat
milter_skip(SMFICTX *ctx, struct milter_conn *c, enum policy_reason r, const char *detail)
{
	log_info("%s: not signed: %s%s%s", milter_qid(ctx), policy_reason_text(r),
	         detail[0] != '\0' ? " " : "", detail);
	milter_count_skip(r);
	milter_msg_end(c);
	return SMFIS_ACCEPT;
}

/* A message that should have been signed but cannot be: tempfail or accept per policy. */
sfsistat
milter_fail(SMFICTX *ctx, struct milter_conn *c, enum policy_reason r, const char *detail)
{
	bool accept = c->st != NULL && c->st->conf->sign.on_token_error == CONF_ON_ERROR_ACCEPT;

	if (accept) {
		log_warn("%s: not signed: %s: %s; accepted unsigned (on_token_error = accept)",
		         milter_qid(ctx), policy_reason_text(r), detail);
		milter_count_skip(r);
		milter_msg_end(c);
		return SMFIS_ACCEPT;
	}
	log_warn("%s: tempfail: %s: %s", milter_qid(ctx), policy_reason_text(r), detail);
	metrics_tempfailed(milter_env->metrics);
	(void)smfi_setreply(ctx, "451", "4.7.0", "DKIM signing temporarily unavailable");
	milter_msg_end(c);
	return SMFIS_TEMPFAIL;
}

static sfsistat
milter_connect(SMFICTX *ctx, char *hostname, _SOCK_ADDR *hostaddr)
{
	struct milter_conn *c = milter_conn_get(ctx);
	size_t len = 0;

	if (c == NULL)
		return SMFIS_TEMPFAIL;
	c->have_addr = false;
	snprintf(c->client, sizeof(c->client), "%s", hostname != NULL ? hostname : "unknown");
	if (hostaddr != NULL && hostaddr->sa_family == AF_INET)
		len = sizeof(struct sockaddr_in);
	else if (hostaddr != NULL && hostaddr->sa_family == AF_INET6)
		len = sizeof(struct sockaddr_in6);
	if (len > 0) {
		memcpy(&c->addr, hostaddr, len);
		c->have_addr = true;
		(void)getnameinfo(hostaddr, (socklen_t)len, c->client, sizeof(c->client), NULL, 0,
		                  NI_NUMERICHOST);
	}
	if (log_verbose()) {
		int on, all;

		listen_count_nodelay(&on, &all);
		log_debug("connected TCP sockets with TCP_NODELAY: %d of %d", on, all);
	}
	return c->nr_conn ? SMFIS_NOREPLY : SMFIS_CONTINUE;
}

/* The signer for this message's configuration: kept across messages, rebuilt after a reload. */
static int
milter_signer(struct milter_conn *c, char *detail, size_t len)
{
	const struct conf *conf = c->st->conf;
	struct dkim_sign_opts o;
	dkim_status s;

	if (c->signer != NULL && c->signer_gen == c->st->generation)
		return 0;
	dkim_signer_free(c->signer);
	c->signer = NULL;
	sign_dkim_opts(&conf->sign, time(NULL), &o);
	s = dkim_signer_new(&o, &c->signer);
	if (s == DKIM_OK && c->verifier == NULL)
		s = dkim_verifier_new(&c->verifier);
	if (s != DKIM_OK) {
		snprintf(detail, len, "dkim signer: %s", dkim_strerror(s));
		return -1;
	}
	c->signer_gen = c->st->generation;
	return 0;
}

static void
milter_text_reset(struct milter_text *t)
{
	t->set = false;
	t->too_long = false;
	if (t->p != NULL)
		t->p[0] = '\0';
}

static void
milter_text_keep(struct milter_text *t, const char *value)
{
	size_t n = strlen(value);
	char *p;

	if (n >= MILTER_MAX_ADDR_VALUE) {
		t->too_long = true;
		return;
	}
	if (n + 1 > t->cap) {
		p = realloc(t->p, n + 1);
		if (p == NULL) {
			t->too_long = true;
			return;
		}
		t->p = p;
		t->cap = n + 1;
	}
	memcpy(t->p, value, n + 1);
	t->set = true;
}

static sfsistat
milter_envfrom_decide(SMFICTX *ctx, struct milter_conn *c)
{
	const char *auth, *daemon_name;
	char detail[160], printable[68];
	bool internal;

	milter_msg_end(c);
	/* Count first, then look at the flag: the stopping thread sets the flag first, then reads
	 * the count, so one of the two always sees the other, and once the count is zero no
	 * message touches the state holder or the token again. */
	atomic_fetch_add(&milter_env->in_flight, 1);
	c->counted = true;
	if (atomic_load(&milter_env->stopping)) {
		log_info("%s: tempfail: shutting down", milter_qid(ctx));
		(void)smfi_setreply(ctx, "451", "4.3.2", "DKIM signer shutting down");
		milter_msg_end(c);
		return SMFIS_TEMPFAIL;
	}
	c->st = state_acquire(milter_env->states);
	if (c->st == NULL) {
		milter_msg_end(c);
		return SMFIS_TEMPFAIL;
	}
	auth = smfi_getsymval(ctx, "{auth_authen}");
	if (!policy_trusted(c->st->conf, c->have_addr ? (struct sockaddr *)&c->addr : NULL, auth,
	                    &internal)) {
		snprintf(detail, sizeof(detail), "(client %s)", c->client);
		return milter_skip(ctx, c, POLICY_NOT_TRUSTED, detail);
	}
	daemon_name = smfi_getsymval(ctx, "{daemon_name}");
	if (!policy_outgoing(c->st->conf, daemon_name)) {
		log_printable(daemon_name != NULL ? daemon_name : "(none)", printable,
		              sizeof(printable));
		snprintf(detail, sizeof(detail), "({daemon_name} %s, client %s)", printable,
		         c->client);
		return milter_skip(ctx, c, POLICY_NOT_OUTGOING, detail);
	}
	if (milter_signer(c, detail, sizeof(detail)) != 0)
		return milter_fail(ctx, c, POLICY_INTERNAL_ERROR, detail);
	dkim_signer_reset(c->signer);
	dkim_verifier_reset(c->verifier);
	(void)dkim_signer_set_time(c->signer, time(NULL));
	c->active = true;
	c->err = POLICY_SIGN;
	c->err_detail[0] = '\0';
	c->nfrom = c->nsender = 0;
	milter_text_reset(&c->from);
	milter_text_reset(&c->sender);
	milter_text_reset(&c->login);
	if (auth != NULL && auth[0] != '\0')
		milter_text_keep(&c->login, auth);
	c->dom = NULL;
	c->nsig = 0;
	log_debug("%s: candidate (%s%s%s)", milter_qid(ctx), internal ? "internal client " : "",
	          internal ? c->client : "authenticated as ", internal ? "" : auth);
	return SMFIS_CONTINUE;
}

static void
milter_note_header(struct milter_conn *c, const char *name, const char *value)
{
	if (strcasecmp(name, "From") == 0) {
		if (c->nfrom++ == 0)
			milter_text_keep(&c->from, value);
	} else if (strcasecmp(name, "Sender") == 0) {
		if (c->nsender++ == 0)
			milter_text_keep(&c->sender, value);
	}
}

static sfsistat
milter_header(SMFICTX *ctx, char *name, char *raw_value)
{
	struct milter_conn *c = smfi_getpriv(ctx);
	const char *value;
	sfsistat ok;
	dkim_status s;

	if (c == NULL)
		return SMFIS_TEMPFAIL;
	ok = c->nr_hdr ? SMFIS_NOREPLY : SMFIS_CONTINUE;
	if (!c->active || name == NULL || raw_value == NULL)
		return ok;
	value = milter_header_value(c, raw_value);
	if (value == NULL) {
		if (c->err == POLICY_SIGN) {
			c->err = POLICY_INTERNAL_ERROR;
			snprintf(c->err_detail, sizeof(c->err_detail), "out of memory");
		}
		return ok;
	}
	milter_note_header(c, name, value);
	if (c->err != POLICY_SIGN)
		return ok;
	s = dkim_signer_header(c->signer, name, value);
	/* Every field, for the check of a DKIM-Signature of ours at the end of the message. */
	if (s == DKIM_OK && !c->st->conf->sign.resign)
		s = dkim_verifier_header(c->verifier, name, value);
	if (s == DKIM_OK)
		return ok;
	/* Keep going: the decision (and its one log line) comes at end of headers. */
	if (s == DKIM_ERR_LIMIT)
		c->err = POLICY_TOO_LARGE;
	else if (s == DKIM_ERR_SYNTAX || s == DKIM_ERR_INVALID)
		c->err = POLICY_BAD_HEADER;
	else
		c->err = POLICY_INTERNAL_ERROR;
	snprintf(c->err_detail, sizeof(c->err_detail), "at header \"%.60s\": %s", name,
	         dkim_strerror(s));
	return ok;
}

static sfsistat
milter_eoh_decide(SMFICTX *ctx, struct milter_conn *c)
{
	const struct conf *conf;
	const struct conf_domain *d;
	enum policy_reason r;
	char detail[MILTER_DOMAIN_MAX + 160], who[144];
	int n;

	if (!c->active)
		return SMFIS_CONTINUE;
	conf = c->st->conf;
	if (c->err == POLICY_BAD_HEADER)
		return milter_skip(ctx, c, c->err, c->err_detail);
	if (c->err != POLICY_SIGN)
		return milter_fail(ctx, c, c->err, c->err_detail);
	if (c->from.too_long || c->sender.too_long)
		return milter_skip(ctx, c, POLICY_BAD_FROM, "(value too long)");
	r = policy_from_domain(c->nfrom, c->from.p, c->nsender, c->sender.p, c->domain,
	                       sizeof(c->domain));
	if (r != POLICY_SIGN)
		return milter_skip(ctx, c, r, "");
	d = conf_signtable_lookup(conf, c->domain);
	if (d == NULL) {
		snprintf(detail, sizeof(detail), "for %s", c->domain);
		return milter_skip(ctx, c, POLICY_NO_DOMAIN, detail);
	}
	if (!policy_may_sign(conf, c->have_addr ? (struct sockaddr *)&c->addr : NULL, c->client,
	                     c->login.set ? c->login.p : NULL, c->domain, who, sizeof(who))) {
		snprintf(detail, sizeof(detail), "%s (%s)", c->domain, who);
		return milter_skip(ctx, c, POLICY_NOT_ALLOWED, detail);
	}
	n = sign_msg_add(c->signer, c->st->keys, conf, d, c->entry, detail, sizeof(detail));
	if (n < 0)
		return milter_fail(ctx, c, POLICY_INTERNAL_ERROR, detail);
	c->nsig = (size_t)n;
	c->dom = d;
	return SMFIS_CONTINUE;
}

/* A stage the MTA takes no reply to: a verdict other than "go on" waits for the end of the
 * message, where milter_eom gives it. */
static sfsistat
milter_defer(struct milter_conn *c, bool no_reply, sfsistat r)
{
	if (!no_reply)
		return r;
	if (r != SMFIS_CONTINUE)
		c->deferred = r;
	return SMFIS_NOREPLY;
}

static sfsistat
milter_envfrom(SMFICTX *ctx, char **argv)
{
	struct milter_conn *c = smfi_getpriv(ctx);

	(void)argv;
	if (c == NULL)
		return SMFIS_TEMPFAIL;
	c->deferred = SMFIS_CONTINUE;
	return milter_envfrom_decide(ctx, c);
}

static sfsistat
milter_eoh(SMFICTX *ctx)
{
	struct milter_conn *c = smfi_getpriv(ctx);

	if (c == NULL)
		return SMFIS_TEMPFAIL;
	return milter_defer(c, c->nr_eoh, milter_eoh_decide(ctx, c));
}

static sfsistat
milter_body(SMFICTX *ctx, unsigned char *chunk, size_t len)
{
	struct milter_conn *c = smfi_getpriv(ctx);
	sfsistat ok;
	dkim_status s;

	if (c == NULL)
		return SMFIS_TEMPFAIL;
	ok = c->nr_body ? SMFIS_NOREPLY : SMFIS_CONTINUE;
	if (!c->active || c->err != POLICY_SIGN)
		return ok;
	s = dkim_signer_body(c->signer, chunk, len);
	if (s != DKIM_OK) {
		c->err = POLICY_INTERNAL_ERROR;
		snprintf(c->err_detail, sizeof(c->err_detail), "body: %s", dkim_strerror(s));
	}
	return ok;
}

static sfsistat
milter_abort(SMFICTX *ctx)
{
	struct milter_conn *c = smfi_getpriv(ctx);

	if (c == NULL)
		return SMFIS_CONTINUE;
	/* Once per message: the MTA also aborts after messages that already ended. */
	if (c->active)
		log_info("%s: not signed: aborted by the MTA before the end of the message",
		         milter_qid(ctx));
	milter_msg_end(c);
	c->deferred = SMFIS_CONTINUE;
	return SMFIS_CONTINUE;
}

static sfsistat
milter_close(SMFICTX *ctx)
{
	struct milter_conn *c = smfi_getpriv(ctx);

	if (c == NULL)
		return SMFIS_CONTINUE;
	/* The MTA went away mid-message (or libmilter dropped it, e.g. for an oversized packet). */
	if (c->active)
		log_info("%s: not signed: connection closed before the end of the message",
		         milter_qid(ctx));
	milter_msg_end(c);
	milter_conn_keep_options(ctx, c);
	dkim_signer_free(c->signer);
	dkim_verifier_free(c->verifier);
	free(c->from.p);
	free(c->sender.p);
	free(c->login.p);
	free(c->hdr_value);
	free(c);
	(void)smfi_setpriv(ctx, NULL);
	return SMFIS_CONTINUE;
}

int
milter_register(struct milter_env *env)
{
	struct smfiDesc desc;

	milter_env = env;
	memset(&desc, 0, sizeof(desc));
	desc.xxfi_name = "p11dkim";
	desc.xxfi_version = SMFI_VERSION;
	desc.xxfi_flags = SMFIF_ADDHDRS;
	desc.xxfi_connect = milter_connect;
	desc.xxfi_envfrom = milter_envfrom;
	desc.xxfi_header = milter_header;
	desc.xxfi_eoh = milter_eoh;
	desc.xxfi_body = milter_body;
	desc.xxfi_eom = milter_eom;
	desc.xxfi_abort = milter_abort;
	desc.xxfi_close = milter_close;
	desc.xxfi_negotiate = milter_negotiate;
	return smfi_register(desc) == MI_SUCCESS ? 0 : -1;
}

long
milter_begin_stop(struct milter_env *env)
{
	atomic_store(&env->stopping, 1);
	return atomic_load(&env->in_flight);
}

long
milter_in_flight(struct milter_env *env)
{
	return atomic_load(&env->in_flight);
}
