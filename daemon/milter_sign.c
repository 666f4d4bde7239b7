/* milter_sign.c: end of message: the digests signed on the token, the DKIM-Signature fields
 * inserted, one log line. See milter.h for the contract. */
#include "config.h"

#include <limits.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "daemon/log.h"
#include "daemon/milter_int.h"
#include "sign/sign_msg.h"
#include "sign/sign_opts.h"

/* A refused PIN stops logins in pkcs11/ until the PIN file changes or SIGHUP. Each message it
 * fails is logged on its own; why, and what to do, is said here, at most once a minute. */
static void
milter_note_login_blocked(p11_set *set)
{
	static atomic_llong last = LLONG_MIN;
	unsigned long rv = 0;
	struct timespec now;
	p11_token *tok = NULL;
	long long prev;
	char name[32];
	size_t i;

	for (i = 0; i < p11_set_size(set) && rv == 0; i++) {
		tok = p11_set_token(set, i);
		rv = p11_token_login_blocked(tok);
	}
	if (rv == 0 || clock_gettime(CLOCK_MONOTONIC, &now) != 0)
		return;
	prev = atomic_load(&last);
	if ((prev != LLONG_MIN && (long long)now.tv_sec - prev < 60) ||
	    !atomic_compare_exchange_strong(&last, &prev, (long long)now.tv_sec))
		return;
	log_err("token \"%s\" refused the PIN (%s): no login is tried, and mail that needs one "
	        "is not signed, until the PIN file changes or p11dkim gets SIGHUP (a token locks "
	        "its PIN after a few failures)",
	        p11_token_label(tok), p11_ckr_name(rv, name, sizeof(name)));
}

static void
milter_log_signed(SMFICTX *ctx, const struct milter_conn *c, long ms)
{
	char line[1024];
	size_t i, o = 0;
	int n;

	line[0] = '\0';
	for (i = 0; i < c->nsig && o < sizeof(line); i++) {
		n = snprintf(line + o, sizeof(line) - o, "%sd=%s s=%s a=%s", i > 0 ? ", " : "",
		             c->dom->domain, c->dom->keys[i].selector,
		             dkim_alg_name(c->entry[i]->alg));
		if (n < 0)
			break;
		o += (size_t)n;
	}
	log_info("%s: signed: %s; token %ld ms", milter_qid(ctx), line, ms);
}

static uint64_t
milter_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* While a message waits for a token (all sessions busy, a slow device), the MTA is told the
 * milter is still at work, or its timeout (Postfix: milter_content_timeout) would fire. pkcs11/
 * calls this after each wait; one packet per MILTER_PROGRESS_MS of the message's wait is
 * plenty. */
#define MILTER_PROGRESS_MS 2000
static void
milter_progress(void *arg)
{
	struct milter_conn *c = smfi_getpriv(arg);
	uint64_t now = milter_now_ms();

	if (c == NULL || now - c->progress_ms < MILTER_PROGRESS_MS)
		return;
	c->progress_ms = now;
	(void)smfi_progress(arg);
}

/*
 * A message that comes back through the milter (a content filter re-injects it) must not get a
 * second signature; a forged or broken DKIM-Signature with our d= and s= must not stop the first.
 * So: skip only when one of them verifies with our own public key over this very message (body
 * hash from our signer). 1: verified (already signed; *sel names its selector), 0: sign (a field
 * of ours that failed is logged, once, and counted), -1: error with detail.
 */
static int
milter_verified(SMFICTX *ctx, struct milter_conn *c, const char **sel, char *detail, size_t len)
{
	const struct conf *conf = c->st->conf;
	enum dkim_verdict v, first = DKIM_VERIFY_NONE;
	const char *first_sel = NULL;
	struct dkim_sign_opts o;
	dkim_status s;
	size_t i;

	if (conf->sign.resign)
		return 0;
	if ((s = dkim_signer_end(c->signer)) != DKIM_OK) {
		snprintf(detail, len, "end of message: %s", dkim_strerror(s));
		return -1;
	}
	sign_dkim_opts(&conf->sign, 0, &o);
	for (i = 0; i < c->nsig; i++) {
		s = dkim_verifier_check(c->verifier, c->dom->domain, c->dom->keys[i].selector,
		                        o.body_canon, dkim_signer_bodyhash(c->signer),
		                        p11_set_key_public(c->entry[i]->key), &v);
		if (s != DKIM_OK) {
			snprintf(detail, len, "checking a DKIM-Signature: %s", dkim_strerror(s));
			return -1;
		}
		if (v == DKIM_VERIFY_PASS) {
			*sel = c->dom->keys[i].selector;
			return 1;
		}
		if (v != DKIM_VERIFY_NONE && first == DKIM_VERIFY_NONE) {
			first = v;
			first_sel = c->dom->keys[i].selector;
		}
	}
	if (first != DKIM_VERIFY_NONE) {
		log_warn("%s: a DKIM-Signature with d=%s s=%s is not ours (%s): signing over it",
		         milter_qid(ctx), c->dom->domain, first_sel, dkim_verdict_text(first));
		metrics_signed_over(milter_env->metrics);
	}
	return 0;
}

sfsistat
milter_eom(SMFICTX *ctx)
{
	struct milter_conn *c = smfi_getpriv(ctx);
	char *values[DKIM_MAX_SIGNATURES] = {0};
	struct sign_msg_result r;
	const char *sel = NULL;
	char detail[MILTER_DOMAIN_MAX + 160];
	sfsistat ret;
	size_t i;
	int rc;

	if (c == NULL)
		return SMFIS_TEMPFAIL;
	if (c->deferred != SMFIS_CONTINUE) {
		ret = c->deferred;
		c->deferred = SMFIS_CONTINUE;
		return ret;
	}
	if (!c->active)
		return SMFIS_CONTINUE;
	if (c->err != POLICY_SIGN)
		return milter_fail(ctx, c, c->err, c->err_detail);
	rc = milter_verified(ctx, c, &sel, detail, sizeof(detail));
	if (rc < 0)
		return milter_fail(ctx, c, POLICY_INTERNAL_ERROR, detail);
	if (rc > 0) {
		snprintf(detail, sizeof(detail), "by d=%s s=%s (verified)", c->dom->domain, sel);
		return milter_skip(ctx, c, POLICY_ALREADY_SIGNED, detail);
	}
	c->progress_ms = milter_now_ms();
	rc = sign_msg_sign(c->signer, milter_env->tokens, c->dom, c->entry, "\n", values,
	                   milter_progress, ctx, &r);
	for (i = 0; i < r.nsigned; i++)
		metrics_sign_latency(milter_env->metrics, r.ns[i]);
	if (rc != 0) {
		if (r.fail == SIGN_MSG_TOKEN)
			milter_note_login_blocked(milter_env->tokens);
		ret = milter_fail(
		    ctx, c, r.fail == SIGN_MSG_TOKEN ? POLICY_TOKEN_ERROR : POLICY_INTERNAL_ERROR,
		    r.detail);
		goto out;
	}
	/* Insert the last first, each at the top: the fields end up in configuration order.
	 * Without SMFIP_HDR_LEADSPC the MTA adds the space after the colon itself. */
	for (i = c->nsig; i-- > 0;) {
		const char *v = values[i];

		if (!c->leadspc && v[0] == ' ')
			v++;
		if (smfi_insheader(ctx, 0, "DKIM-Signature", (char *)v) != MI_SUCCESS) {
			ret = milter_fail(ctx, c, POLICY_INTERNAL_ERROR, "smfi_insheader failed");
			goto out;
		}
	}
	milter_log_signed(ctx, c, (long)(r.total_ns / 1000000u));
	metrics_signed(milter_env->metrics, (unsigned)c->nsig);
	milter_msg_end(c);
	ret = SMFIS_CONTINUE;
out:
	for (i = 0; i < DKIM_MAX_SIGNATURES; i++)
		free(values[i]);
	return ret;
}
