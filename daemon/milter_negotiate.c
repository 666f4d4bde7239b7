/*
 * milter_negotiate.c: what p11dkim asks of the MTA at option negotiation, for every milter
 * protocol version the MTAs speak (Postfix 2, 3, 4 and 6; Sendmail 8.13 speaks 4, 8.14 to
 * 8.18 speak 6), and the one consequence of an older version: header values that arrive
 * without the space after the colon. Part of the milter module (milter_int.h).
 *
 * libmilter does not pass the MTA's version number to this callback; it passes the MTA's
 * protocol flags with the no-reply flags (SMFIP_NR_*) always set, because it answers for
 * itself ("continue") where the MTA has no such flag. So every no-reply flag asked for here
 * is safe at every version, and the version is read off the flags each version added.
 */
#include "config.h"

#include <libmilter/mfapi.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/log.h"
#include "daemon/milter_int.h"

/* The no-reply flags libmilter adds to every offer (it fakes them for older MTAs). */
#define MILTER_FAKED_NR                                                                            \
	(SMFIP_NR_CONN | SMFIP_NR_HELO | SMFIP_NR_MAIL | SMFIP_NR_RCPT | SMFIP_NR_DATA |           \
	 SMFIP_NR_UNKN | SMFIP_NR_HDR | SMFIP_NR_EOH | SMFIP_NR_BODY)

/* The oldest milter protocol version whose flags the offer holds (Postfix milter8.c's
 * masks, Sendmail's mfdef.h): 6 brought SKIP, RCPT_REJ and HDR_LEADSPC, 4 NODATA, 3
 * NOUNKNOWN. An MTA may offer less than its version has; then this says less, never more. */
static int
milter_offer_version(unsigned long f1)
{
	if ((f1 & (SMFIP_SKIP | SMFIP_RCPT_REJ | SMFIP_HDR_LEADSPC)) != 0)
		return 6;
	if ((f1 & SMFIP_NODATA) != 0)
		return 4;
	if ((f1 & SMFIP_NOUNKNOWN) != 0)
		return 3;
	return 2;
}

/* Once per process: what a protocol without HDR_LEADSPC means for simple header
 * canonicalization. Per connection it is counted, not logged: an MTA opens one per SMTP
 * session. */
static void
milter_note_no_leadspc(int version, unsigned long f0, unsigned long f1)
{
	static atomic_flag said = ATOMIC_FLAG_INIT;

	metrics_mta_no_leadspc(milter_env->metrics);
	if (atomic_flag_test_and_set(&said))
		return;
	log_warn("the MTA speaks milter protocol %d or a restricted 6 (actions 0x%lx, protocol "
	         "0x%lx): without SMFIP_HDR_LEADSPC it removes one space after each header "
	         "field's colon and p11dkim puts one back; with simple header canonicalization "
	         "a field written without a space after its colon then fails verification "
	         "(relaxed is not affected). Postfix: milter_protocol = 6",
	         version, f0, f1 & ~(unsigned long)MILTER_FAKED_NR);
}

sfsistat
milter_negotiate(SMFICTX *ctx, unsigned long f0, unsigned long f1, unsigned long f2,
                 unsigned long f3, unsigned long *pf0, unsigned long *pf1, unsigned long *pf2,
                 unsigned long *pf3)
{
	/* Every reply the MTA waits for is a round trip per message, so only MAIL FROM and the end
	 * of the message get one; a verdict reached at the end of headers waits for the end
	 * (milter_defer). MAIL FROM keeps its reply: libmilter discards the commands it has not
	 * read yet when the MTA hangs up, so without that reply an MTA that sends MAIL, ABORT and
	 * QUIT at once and closes could leave a transaction that p11dkim never saw and never
	 * logged. With it, milter_envfrom has run, and the abort or the close logs it once.
	 * Only flags the MTA offered are asked for (its version may lack NOUNKNOWN, NODATA). */
	const unsigned long want = SMFIP_NOHELO | SMFIP_NORCPT | SMFIP_NOUNKNOWN | SMFIP_NODATA |
	                           SMFIP_NR_CONN | SMFIP_NR_HDR | SMFIP_NR_EOH | SMFIP_NR_BODY |
	                           SMFIP_HDR_LEADSPC;
	int version = milter_offer_version(f1);
	struct milter_conn *c;

	(void)f2;
	(void)f3;
	/* The one thing no protocol version can do without: the DKIM-Signature is a new field.
	 * Refused, the MTA applies its own default action (Postfix milter_default_action). */
	if ((f0 & SMFIF_ADDHDRS) == 0) {
		log_err("refusing the MTA (milter protocol %d, actions 0x%lx, protocol 0x%lx): it "
		        "does not let a milter add header fields (SMFIF_ADDHDRS), so its mail "
		        "cannot be signed",
		        version, f0, f1 & ~(unsigned long)MILTER_FAKED_NR);
		metrics_mta_refused(milter_env->metrics);
		return SMFIS_REJECT;
	}
	if ((c = milter_conn_get(ctx)) == NULL)
		return SMFIS_TEMPFAIL;
	*pf0 = SMFIF_ADDHDRS;
	*pf1 = f1 & want;
	*pf2 = 0;
	*pf3 = 0;
	c->nr_hdr = (*pf1 & SMFIP_NR_HDR) != 0;
	c->nr_body = (*pf1 & SMFIP_NR_BODY) != 0;
	c->nr_conn = (*pf1 & SMFIP_NR_CONN) != 0;
	c->nr_eoh = (*pf1 & SMFIP_NR_EOH) != 0;
	c->leadspc = (*pf1 & SMFIP_HDR_LEADSPC) != 0;
	if (!c->leadspc)
		milter_note_no_leadspc(version, f0, f1);
	log_debug("negotiated actions 0x%lx protocol 0x%lx (offered 0x%lx 0x%lx, protocol %d)",
	          *pf0, *pf1, f0, f1, version);
	return SMFIS_CONTINUE;
}

const char *
milter_header_value(struct milter_conn *c, const char *value)
{
	size_t n;
	char *p;

	if (c->leadspc)
		return value;
	/* Postfix and Sendmail remove exactly one space (not a tab) after the colon; the
	 * receiver sees the field with it, so the signer must too. */
	n = strlen(value);
	if (n + 2 > c->hdr_value_cap) {
		p = realloc(c->hdr_value, n + 2);
		if (p == NULL)
			return NULL;
		c->hdr_value = p;
		c->hdr_value_cap = n + 2;
	}
	c->hdr_value[0] = ' ';
	memcpy(c->hdr_value + 1, value, n + 1);
	return c->hdr_value;
}

/*
 * SMFIC_QUIT_NC ends an SMTP session but keeps the milter connection: libmilter calls
 * xxfi_close (which frees the per-connection struct) and then takes a new CONNECT on the same
 * context without negotiating again. What was negotiated is kept per thread (libmilter serves
 * a connection on one thread) with the context it belongs to, so the struct made again at that
 * CONNECT has the same options. Without a match (never seen with libmilter), the defaults are
 * what every negotiation with libmilter gives: every no-reply flag, and the leading space of
 * protocol 6, the only one with QUIT_NC.
 */
static _Thread_local struct {
	SMFICTX *ctx;
	bool nr_hdr, nr_body, nr_conn, nr_eoh, leadspc;
} milter_last;

void
milter_conn_keep_options(SMFICTX *ctx, const struct milter_conn *c)
{
	milter_last.ctx = ctx;
	milter_last.nr_hdr = c->nr_hdr;
	milter_last.nr_body = c->nr_body;
	milter_last.nr_conn = c->nr_conn;
	milter_last.nr_eoh = c->nr_eoh;
	milter_last.leadspc = c->leadspc;
}

struct milter_conn *
milter_conn_get(SMFICTX *ctx)
{
	struct milter_conn *c = smfi_getpriv(ctx);
	bool same;

	if (c != NULL)
		return c;
	c = calloc(1, sizeof(*c));
	if (c == NULL || smfi_setpriv(ctx, c) != MI_SUCCESS) {
		free(c);
		log_err("out of memory for a new connection");
		return NULL;
	}
	same = milter_last.ctx == ctx;
	c->nr_hdr = same ? milter_last.nr_hdr : true;
	c->nr_body = same ? milter_last.nr_body : true;
	c->nr_conn = same ? milter_last.nr_conn : true;
	c->nr_eoh = same ? milter_last.nr_eoh : true;
	c->leadspc = same ? milter_last.leadspc : true;
	return c;
}
