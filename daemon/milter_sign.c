/* milter_sign.c: end of message: the digests signed on the token, the DKIM-Signature fields
 * inserted, one log line. See milter.h for the contract. */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "daemon/log.h"
#include "daemon/milter_int.h"

static uint64_t
milter_ns_since(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (uint64_t)(t1.tv_sec - t0->tv_sec) * 1000000000u + (uint64_t)t1.tv_nsec -
	       (uint64_t)t0->tv_nsec;
}

/* Signs every signature on the token and fills values[] (malloc'd fields). */
static int
milter_sign_all(struct milter_conn *c, char **values, long *ms, enum policy_reason *why,
                char *detail, size_t len)
{
	unsigned char sig[1024];
	const unsigned char *digest;
	struct p11_error perr;
	struct timespec t0;
	uint64_t ns, total_ns = 0;
	size_t i, sig_len;
	dkim_status s;
	p11_status ps;

	*why = POLICY_INTERNAL_ERROR;
	s = dkim_signer_end(c->signer);
	if (s != DKIM_OK) {
		snprintf(detail, len, "end of message: %s", dkim_strerror(s));
		return -1;
	}
	for (i = 0; i < c->nsig; i++) {
		s = dkim_signer_digest(c->signer, i, &digest, NULL);
		if (s != DKIM_OK) {
			snprintf(detail, len, "digest: %s", dkim_strerror(s));
			return -1;
		}
		sig_len = sizeof(sig);
		memset(&perr, 0, sizeof(perr));
		clock_gettime(CLOCK_MONOTONIC, &t0);
		ps = p11_sign(milter_env->token, c->entry[i]->key, digest, DKIM_DIGEST_LEN, sig,
		              &sig_len, &perr);
		ns = milter_ns_since(&t0);
		total_ns += ns;
		if (ps == P11_OK)
			metrics_sign_latency(milter_env->metrics, ns);
		if (ps != P11_OK) {
			*why = POLICY_TOKEN_ERROR;
			snprintf(detail, len, "%s/%s: %s", c->dom->domain, c->dom->keys[i].selector,
			         perr.msg[0] != '\0' ? perr.msg : p11_strerror(ps));
			return -1;
		}
		s = dkim_signer_set_signature(c->signer, i, sig, sig_len);
		if (s == DKIM_OK)
			s = dkim_signer_field(c->signer, i, "\n", &values[i]);
		if (s != DKIM_OK) {
			snprintf(detail, len, "signature %zu: %s", i, dkim_strerror(s));
			return -1;
		}
	}
	*ms = (long)(total_ns / 1000000u);
	return 0;
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

sfsistat
milter_eom(SMFICTX *ctx)
{
	struct milter_conn *c = smfi_getpriv(ctx);
	char *values[DKIM_MAX_SIGNATURES] = {0};
	enum policy_reason why;
	char detail[600];
	sfsistat ret;
	size_t i;
	long ms = 0;

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
	if (milter_sign_all(c, values, &ms, &why, detail, sizeof(detail)) != 0) {
		ret = milter_fail(ctx, c, why, detail);
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
	milter_log_signed(ctx, c, ms);
	metrics_signed(milter_env->metrics, (unsigned)c->nsig);
	milter_msg_end(c);
	ret = SMFIS_CONTINUE;
out:
	for (i = 0; i < DKIM_MAX_SIGNATURES; i++)
		free(values[i]);
	return ret;
}
