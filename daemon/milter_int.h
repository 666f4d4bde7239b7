/*
 * milter_int.h: what milter.c (the callbacks up to the body) and milter_sign.c (end of
 * message: signing on the token, inserting the fields) share. Internal to daemon/.
 */
#ifndef P11DKIM_DAEMON_MILTER_INT_H
#define P11DKIM_DAEMON_MILTER_INT_H

#include <libmilter/mfapi.h>
#include <stdbool.h>
#include <sys/socket.h>

#include "daemon/milter.h"
#include "dkim/dkim.h"
#include "dkim/dkim_verify.h"

#define MILTER_MAX_ADDR_VALUE 65536 /* longest From/Sender value kept */
#define MILTER_DOMAIN_MAX 256

struct milter_text {
	char *p;
	size_t cap;
	bool set, too_long;
};

/* One per connection, reused for each of its messages. */
struct milter_conn {
	struct sockaddr_storage addr;
	bool have_addr;
	bool nr_hdr, nr_body; /* the MTA takes no reply to headers / body chunks */
	bool nr_conn, nr_eoh; /* ... to connect / end of headers */
	bool leadspc;         /* header values keep the space after the colon (SMFIP_HDR_LEADSPC) */
	char *hdr_value;      /* without leadspc: the value with its space put back */
	size_t hdr_value_cap;
	char client[64]; /* printable address for log lines */
	dkim_signer *signer;
	unsigned long signer_gen; /* state generation the signer's options come from */
	dkim_verifier *verifier;  /* every header field, to judge a DKIM-Signature of ours */

	/* the current message */
	sfsistat deferred; /* a verdict reached where no reply was allowed, for milter_eom */
	struct state *st;
	bool active;            /* a candidate: headers go to the signer */
	bool counted;           /* counted in env->in_flight */
	enum policy_reason err; /* first header/body problem, or POLICY_SIGN */
	char err_detail[128];
	unsigned nfrom, nsender;
	struct milter_text from, sender;
	struct milter_text login; /* {auth_authen} at MAIL FROM, when authenticated */
	const struct conf_domain *dom;
	const struct sign_key *entry[DKIM_MAX_SIGNATURES];
	size_t nsig;
	uint64_t progress_ms; /* CLOCK_MONOTONIC ms of the last SMFIR_PROGRESS (or of EOM) */
	char domain[MILTER_DOMAIN_MAX];
};

/* The daemon's shared context (libmilter passes no user pointer to callbacks). */
extern struct milter_env *milter_env;

/* The queue id ({i}) for log lines, or "NOQUEUE". */
const char *milter_qid(SMFICTX *ctx);
/* Ends the current message: gives back its state and its in-flight count. Idempotent. */
void milter_msg_end(struct milter_conn *c);
/* A message that will not be signed, by policy: one log line, then accept. */
sfsistat milter_skip(SMFICTX *ctx, struct milter_conn *c, enum policy_reason r, const char *detail);
/* A message that should have been signed but cannot be: tempfail or accept per policy. */
sfsistat milter_fail(SMFICTX *ctx, struct milter_conn *c, enum policy_reason r, const char *detail);
/* xxfi_negotiate (milter_negotiate.c). */
sfsistat milter_negotiate(SMFICTX *ctx, unsigned long f0, unsigned long f1, unsigned long f2,
                          unsigned long f3, unsigned long *pf0, unsigned long *pf1,
                          unsigned long *pf2, unsigned long *pf3);
/* The connection's struct, made when missing: at negotiation, and again at the CONNECT that
 * follows SMFIC_QUIT_NC, with the options negotiated before (milter_conn_keep_options, called
 * by xxfi_close). NULL when out of memory (logged). */
struct milter_conn *milter_conn_get(SMFICTX *ctx);
void milter_conn_keep_options(SMFICTX *ctx, const struct milter_conn *c);
/* The header value as the MTA received it: value itself, or (without SMFIP_HDR_LEADSPC) value
 * with the one space the MTA removed put back, in c's buffer. NULL when out of memory. */
const char *milter_header_value(struct milter_conn *c, const char *value);
/* xxfi_eom. */
sfsistat milter_eom(SMFICTX *ctx);

#endif
