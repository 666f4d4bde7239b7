/*
 * mc_proto: the connection object and the reply reader shared by the files of
 * milter_client (internal). mc_proto_event() sends one protocol step the way
 * Postfix does (its macros first, the step unless the milter asked to skip
 * it, then waits for the answer unless the milter said it sends none) and
 * interprets the answer; modification requests are recorded in the result.
 */
#ifndef P11DKIM_TOOLS_MC_PROTO_H
#define P11DKIM_TOOLS_MC_PROTO_H

#include <libmilter/mfdef.h>

#include "tools/milterclient/mc_wire.h"
#include "tools/milterclient/milter_client.h"

enum mc_conn_state {
	MC_ST_READY,      /* negotiated, SMTP connection not yet reported */
	MC_ST_SESSION,    /* CONNECT and HELO done: messages may follow */
	MC_ST_ACCEPT_CON, /* the milter accepted the whole connection */
	MC_ST_REJECT_CON, /* the milter refused the whole connection */
	MC_ST_ERROR,      /* unusable */
};

struct mc_conn {
	struct mc_wire w;
	struct mc_opts opts;
	int is_tcp;
	uint32_t version, actions, protocol;
	enum mc_conn_state state;
	int con_action;      /* the connection-level answer, once given */
	char con_reply[512]; /* its reply text for 'y' */
	unsigned pid;        /* for made-up queue ids */
	char qid[32];
	char err[256];
};

/* What mc_proto_event() learnt. */
enum mc_answer {
	MC_ANS_CONTINUE, /* go on (also when no answer was awaited or the step was skipped) */
	MC_ANS_FINAL,    /* res->action holds the decision */
	MC_ANS_SKIP,     /* SMFIR_SKIP: no more steps of this type */
};

/* NULL-terminated name/value list for a macro packet, or NULL for none. */
enum mc_status mc_proto_event(struct mc_conn *c, char cmd, const char *const *macros,
                              uint32_t skip_flag, uint32_t nr_flag, const void *const *parts,
                              const size_t *lens, int n, struct mc_result *res,
                              enum mc_answer *ans);
/* Marks the connection unusable and records why; returns st. */
enum mc_status mc_proto_fail(struct mc_conn *c, enum mc_status st, const char *why);

#endif
