/*
 * mc_sock: milter socket specifications and connecting (internal to
 * milter_client). Spec syntax as Postfix and libmilter: "unix:/path" or
 * "local:/path" (a bare "/path" too), "inet:port@host", "inet6:port@host"
 * (host may be a name, an address, or "[address]"). The returned descriptor
 * belongs to the caller. Thread-safe (getaddrinfo).
 */
#ifndef P11DKIM_TOOLS_MC_SOCK_H
#define P11DKIM_TOOLS_MC_SOCK_H

#include <stddef.h>

#include "tools/milterclient/milter_client.h"

enum mc_status mc_sock_connect(const char *spec, int timeout_ms, int *fd, int *is_tcp, char *err,
                               size_t errlen);

#endif
