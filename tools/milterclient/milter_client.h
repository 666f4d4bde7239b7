/*
 * milter_client: the MTA side of the milter protocol (version 6 as Postfix 3.x
 * speaks it by default; versions 2 to 4 and Sendmail's offers with
 * mc_opts_mta()), without libmilter (libmilter is the filter side).
 *
 * Contract
 * - A struct mc_conn is one connection to one milter: socket, negotiated
 *   options, I/O buffers. It carries any number of messages, one after the other
 *   (as Postfix does for the messages of one SMTP session: MAIL ... EOM, ABORT,
 *   MAIL ... EOM, ...; QUIT at close). It is NOT thread-safe: one thread per
 *   connection. Different connections are independent.
 * - The caller owns every struct mc_msg and the strings it points to; they must
 *   outlive any struct mc_prepared made from them. mc_prepare() parses a message
 *   once (header fields split as Postfix sends them, body normalised to CRLF) so
 *   that a load generator can send it many times without re-parsing.
 * - struct mc_result is caller-owned storage, initialised once with
 *   mc_result_init() and reused for many messages (its memory is kept, so a
 *   steady stream of messages does no allocation); mc_result_free() releases it.
 *   Strings in it stay valid until the next send into the same result.
 * - The milter's options are honoured: steps it asked to skip (SMFIP_NO*) are
 *   not sent, replies it said it will not send (SMFIP_NR_*) are not awaited,
 *   SMFIR_SKIP stops the body, header values carry their leading space only
 *   when SMFIP_HDR_LEADSPC was negotiated.
 * - Every read and write has a timeout (struct mc_opts.timeout_ms). Any I/O,
 *   timeout or protocol error leaves the connection unusable (further sends
 *   return MC_ERR_STATE); close it and connect again. Errors are returned, with
 *   detail text in the connection (milter_client_error()); nothing is printed.
 * - The library never raises SIGPIPE (writes use MSG_NOSIGNAL).
 */
#ifndef P11DKIM_TOOLS_MILTER_CLIENT_H
#define P11DKIM_TOOLS_MILTER_CLIENT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum mc_status {
	MC_OK = 0,
	MC_ERR_ARG,     /* bad argument (NULL, empty rcpt list, chunk size 0) */
	MC_ERR_SPEC,    /* socket specification not understood */
	MC_ERR_CONNECT, /* cannot connect (no such socket, refused, resolve) */
	MC_ERR_TIMEOUT, /* the milter did not answer (or accept data) in time */
	MC_ERR_IO,      /* read or write failed (reset, broken pipe) */
	MC_ERR_CLOSED,  /* the milter closed the connection */
	MC_ERR_PROTO,   /* malformed or unexpected packet from the milter */
	MC_ERR_NOMEM,   /* out of memory */
	MC_ERR_MESSAGE, /* the message to send cannot be sent (too large, ...) */
	MC_ERR_STATE,   /* connection unusable after an earlier error */
};

const char *mc_strerror(enum mc_status st);

/* Options of a connection; mc_opts_init() gives Postfix-like defaults. */
struct mc_opts {
	int timeout_ms;          /* each connect, read and write; default 10000 */
	int quickack;            /* TCP: set TCP_QUICKACK after each read (Postfix: no) */
	int abort_after_message; /* send SMFIC_ABORT after each message (Postfix: yes) */
	uint32_t version;        /* milter protocol version offered, 2..6; default 6 */
	uint32_t actions;        /* offered SMFIF_* actions; default all (0x1ff) */
	uint32_t protocol;       /* offered SMFIP_* flags; default all Postfix offers */
	const char *hostname;    /* {j} macro; default "localhost" */
	const char *daemon_name; /* {daemon_name} macro; default "p11dkim-load" */
};

void mc_opts_init(struct mc_opts *opts);

/* Sets version, actions and protocol to what one MTA offers: "postfix-2", "postfix-3",
 * "postfix-4", "postfix-6" (Postfix 3.x with that milter_protocol), "sendmail-8.13",
 * "sendmail-8.14" (8.14 to 8.18 offer the same). Steps the version does not have are then
 * never sent (no DATA below 4), as Postfix does. Returns 0, or -1 for an unknown name. */
int mc_opts_mta(struct mc_opts *opts, const char *name);

/* One message and its envelope. Only raw and mail_from/rcpts are required. */
struct mc_msg {
	const char *client_addr; /* default "127.0.0.1" */
	const char *client_name; /* default "localhost" */
	int family;              /* 4, 6, 'L' (unix) or 0 (from client_addr) */
	unsigned client_port;    /* default 0 */
	const char *helo;        /* default "localhost" */
	const char *mail_from;   /* without <>; "" is the null sender */
	const char *const *rcpts;
	size_t nrcpts;
	const char *auth_authen; /* {auth_authen}, NULL = not authenticated */
	const char *auth_type;   /* {auth_type}, default "PLAIN" when authenticated */
	const char *queue_id;    /* {i}; NULL = one is made up per message */
	const char *raw;         /* whole RFC 5322 message, CRLF or LF line ends */
	size_t raw_len;
	size_t body_chunk; /* bytes per SMFIC_BODY, 1..65535; 0 = 65535 */
};

/* A message parsed once for sending (opaque). */
struct mc_prepared;

enum mc_status mc_prepare(const struct mc_msg *msg, struct mc_prepared **out);
void mc_prepared_free(struct mc_prepared *prep);
/* The message's number of header fields and its body (CRLF), as sent. */
size_t mc_prepared_nheaders(const struct mc_prepared *prep);
size_t mc_prepared_body_len(const struct mc_prepared *prep);

/* What the milter asked to change, in the order it asked. */
enum mc_mod_type {
	MC_MOD_ADDHEADER,   /* name, value: append a header */
	MC_MOD_INSHEADER,   /* index (0 = top), name, value */
	MC_MOD_CHGHEADER,   /* index (1 = first of that name), name, value ("" deletes) */
	MC_MOD_REPLBODY,    /* value/value_len: one piece of the new body */
	MC_MOD_ADDRCPT,     /* name = recipient */
	MC_MOD_ADDRCPT_PAR, /* name = recipient, value = ESMTP arguments */
	MC_MOD_DELRCPT,     /* name = recipient */
	MC_MOD_CHGFROM,     /* name = sender, value = ESMTP arguments */
	MC_MOD_QUARANTINE,  /* name = reason */
};

struct mc_mod {
	enum mc_mod_type type;
	uint32_t index;
	const char *name;  /* never NULL ("" if absent) */
	const char *value; /* never NULL ("" if absent); NUL-terminated */
	size_t value_len;
	size_t name_off_, value_off_; /* internal */
};

struct mc_result {
	/* Final answer: 'c' continue (passed every step), 'a' accept, 'r' reject,
	 * 't' tempfail, 'd' discard, 'y' reply code (see reply), '4' shutdown;
	 * 0 after an error. */
	int action;
	int stage;            /* SMFIC_* step that gave the final answer ('E' = end of body) */
	char *reply;          /* SMFIR_REPLYCODE text ("550 5.7.1 ..."), else NULL */
	int body_skipped;     /* the milter answered SMFIR_SKIP to a body chunk */
	size_t rcpt_rejected; /* recipients refused one by one */
	size_t progress;      /* SMFIR_PROGRESS packets: "still working", the MTA's timer reset */
	struct mc_mod *mods;
	size_t nmods;
	/* storage, reused between messages */
	size_t mods_cap_;
	char *store_;
	size_t store_len_, store_cap_;
};

void mc_result_init(struct mc_result *res);
void mc_result_free(struct mc_result *res);
/* Header insertions and additions with this name (case-insensitive). */
size_t mc_result_count_added(const struct mc_result *res, const char *name);

/* One connection. */
struct mc_conn;

/*
 * Connects to spec ("unix:/path", "local:/path", "inet:port@host",
 * "inet6:port@host"; a bare "/path" is unix) and negotiates. On error *conn is
 * NULL and errbuf (if not NULL) says why.
 */
enum mc_status milter_client_connect(const char *spec, const struct mc_opts *opts,
                                     struct mc_conn **conn, char *errbuf, size_t errlen);

/* Sends one message (parsing it first) and fills res. */
enum mc_status milter_client_send(struct mc_conn *conn, const struct mc_msg *msg,
                                  struct mc_result *res);
/* Same with a message parsed once by mc_prepare(). */
enum mc_status milter_client_send_prepared(struct mc_conn *conn, const struct mc_prepared *prep,
                                           struct mc_result *res);

/* Negotiated values: the milter's protocol version, actions and SMFIP_ flags. */
void milter_client_negotiated(const struct mc_conn *conn, uint32_t *version, uint32_t *actions,
                              uint32_t *protocol);
/* Detail of the last error on this connection ("" if none). */
const char *milter_client_error(const struct mc_conn *conn);
/* Ends the SMTP session on this milter connection without closing it (SMFIC_QUIT_NC, protocol 6
 * only): the next message starts a new session with CONNECT and HELO, as an MTA that reuses
 * milter connections does. MC_ERR_STATE below protocol 6 or after an error. */
enum mc_status milter_client_new_session(struct mc_conn *conn);
/* Sends SMFIC_QUIT (if the connection is still good) and frees everything. */
void milter_client_close(struct mc_conn *conn);

/*
 * Writes the message as the receiver would see it after the MTA applied res's
 * header and body changes, every line ending in CRLF (folded values that the
 * milter sent with bare LF become CRLF-folded). leadspc says whether the
 * milter negotiated SMFIP_HDR_LEADSPC (else the MTA puts one space after the
 * colon of added headers, as Postfix does); milter_client_apply() takes it
 * from the connection.
 */
enum mc_status mc_apply(const struct mc_prepared *prep, const struct mc_result *res, int leadspc,
                        FILE *out);
enum mc_status milter_client_apply(const struct mc_conn *conn, const struct mc_msg *msg,
                                   const struct mc_result *res, FILE *out);

#endif
