/*
 * listen.h: the milter's listening socket.
 *
 * Contract
 * - listen_open() hands the configured socket to libmilter (smfi_setconn + smfi_opensocket,
 *   removing a stale unix socket), with the configured umask around the creation so that a unix
 *   socket gets its mode from it, and gives a unix socket to the user the daemon will run as.
 * - On inet sockets it sets TCP_NODELAY on the listening socket, which Linux copies to every
 *   accepted socket: libmilter writes its end-of-message replies in separate small writes, and
 *   with Nagle they wait for the MTA's delayed ACK (~40 ms per message).
 * - Returns 0 or -1 with msg filled; called by the main thread before smfi_main, after
 *   smfi_register. Logs one debug line per socket it changed.
 */
#ifndef P11DKIM_DAEMON_LISTEN_H
#define P11DKIM_DAEMON_LISTEN_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "config/conf.h"

int listen_open(const struct conf *, bool chown_socket, uid_t uid, gid_t gid, char *msg,
                size_t msglen);

/* Is the socket reachable from beyond this host? The milter protocol has no authentication:
 * whoever connects may claim any client address and get mail signed. True for an inet socket
 * on every address or on one that is not loopback (127.0.0.0/8, ::1, "localhost"), with why
 * filled for a warning; false for loopback and unix sockets. */
bool listen_exposed(const struct conf *, char *why, size_t len);

/* Refuses to start a second daemon on the same unix socket: -1 with msg filled when something
 * accepts connections on the configured path (libmilter would remove it), else 0. inet
 * sockets need no check: their bind fails while the port is in use. */
int listen_in_use(const struct conf *, char *msg, size_t msglen);

/* Gives the unix socket at path to uid:gid without following a symlink: the path is opened
 * O_PATH|O_NOFOLLOW, must be a socket, and that very inode is changed. The socket's directory
 * may belong to the daemon's user, who could otherwise swap the socket for a link to any
 * file between bind and chown. Returns 0 or -1 with msg filled. */
int listen_chown_socket(const char *path, uid_t uid, gid_t gid, char *msg, size_t msglen);

/* Sets TCP_NODELAY on every listening AF_INET/AF_INET6 socket of the process; returns how many.
 */
int listen_nodelay(void);

/* For the debug log: counts the connected TCP sockets of the process (all) and those with
 * TCP_NODELAY (on), which they inherit from the listening socket. */
void listen_count_nodelay(int *on, int *all);

#endif
