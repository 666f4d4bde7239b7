/*
 * dkim_message.h: feeds a raw RFC 5322 message to a dkim_signer.
 *
 * Contract
 * - Takes the message in chunks of any size (CRLF or bare LF line ends),
 *   splits header fields (joining continuation lines) and the body, and
 *   calls dkim_signer_header for every field and dkim_signer_body for the
 *   body. An optional callback sees every header field too (tools use it to
 *   find From and choose the signatures before dkim_signer_end).
 * - Owns one growable buffer for the header field being assembled, capped at
 *   DKIM_MAX_HEADER_BYTES (DKIM_ERR_LIMIT). Does not own the signer.
 * - Errors: DKIM_ERR_SYNTAX for a header line without a colon, a NUL byte or
 *   an invalid field name; others come from the signer or the callback.
 *   After an error further feeds return the same error.
 * - One thread at a time per dkim_message.
 */
#ifndef P11DKIM_DKIM_MESSAGE_H
#define P11DKIM_DKIM_MESSAGE_H

#include <stddef.h>

#include "dkim/dkim.h"

typedef struct dkim_message dkim_message;

/* Called for each header field, with the name and value exactly as passed to
 * dkim_signer_header (value with its leading whitespace and original line
 * ends between folded lines). A status other than DKIM_OK stops the feed. */
typedef dkim_status (*dkim_message_header_cb)(void *arg, const char *name, const char *value);

dkim_status dkim_message_new(dkim_signer *, dkim_message_header_cb, void *arg, dkim_message **out);
dkim_status dkim_message_feed(dkim_message *, const unsigned char *data, size_t len);
/* End of input: flushes a last header field when the message has no body.
 * Does not call dkim_signer_end (the caller may still add signatures). */
dkim_status dkim_message_finish(dkim_message *);
/* Starts over for a new message on the same signer (after dkim_signer_reset). */
void dkim_message_reset(dkim_message *);
void dkim_message_free(dkim_message *);

#endif
