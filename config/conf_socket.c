/*
 * config/conf_socket.c: the milter socket spec, in libmilter's syntax:
 * "inet:PORT@HOST", "inet:PORT" (every address), "inet6:PORT@HOST",
 * "unix:/path" or "local:/path". HOST is an address ("[...]" allowed) or a
 * host name; the daemon resolves names, here only the syntax is checked.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>

#include "config/conf_internal.h"

#define CONF_SOCKET_HINT "use inet:PORT@HOST, inet6:PORT@HOST or unix:/path"

static bool
conf_socket_port(const char *s, size_t len, unsigned *port)
{
	unsigned long v = 0;
	size_t i;

	if (len == 0 || len > 5)
		return false;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (unsigned long)(s[i] - '0');
	}
	if (v == 0 || v > 65535)
		return false;
	*port = (unsigned)v;
	return true;
}

/* host: an address of the family, in brackets or not, or a DNS name. */
static const char *
conf_socket_host(const char *host, int family, char **out)
{
	unsigned char buf[16];
	char tmp[INET6_ADDRSTRLEN + 3];
	size_t len = strlen(host);

	if (len == 0)
		return "has an empty host after '@'";
	if (host[0] == '[') {
		if (len < 3 || host[len - 1] != ']' || len - 2 >= sizeof(tmp))
			return "has a bad [address]";
		memcpy(tmp, host + 1, len - 2);
		tmp[len - 2] = '\0';
		if (inet_pton(family, tmp, buf) != 1)
			return family == AF_INET ? "has a bad IPv4 address in [ ]"
			                         : "has a bad IPv6 address in [ ]";
		*out = strdup(tmp);
		return *out ? NULL : "out of memory";
	}
	if (inet_pton(family, host, buf) != 1) {
		if (strchr(host, ':') != NULL)
			return family == AF_INET ? "has an IPv6 address: use inet6:"
			                         : "has a bad IPv6 address";
		if (strspn(host, "0123456789.") == len)
			return family == AF_INET ? "has a bad IPv4 address"
			                         : "has an IPv4 address: use inet:";
		if (conf_check_dns_name(host) != NULL)
			return "has a host that is neither an address nor a host name";
	}
	*out = strdup(host);
	return *out ? NULL : "out of memory";
}

static const char *
conf_socket_split(const char *spec, struct conf *conf)
{
	const char *rest, *at, *why;
	struct sockaddr_un sun;
	int family;

	if (strncmp(spec, "unix:", 5) == 0 || strncmp(spec, "local:", 6) == 0) {
		rest = strchr(spec, ':') + 1;
		if (rest[0] != '/')
			return "needs an absolute path after unix: (the daemon changes directory)";
		if (strlen(rest) >= sizeof(sun.sun_path))
			return "has a unix socket path too long for the system (108 bytes)";
		conf->socket_kind = CONF_SOCKET_UNIX;
		conf->socket_path = strdup(rest);
		return conf->socket_path ? NULL : "out of memory";
	}
	if (strncmp(spec, "inet:", 5) == 0) {
		rest = spec + 5;
		family = AF_INET;
		conf->socket_kind = CONF_SOCKET_INET;
	} else if (strncmp(spec, "inet6:", 6) == 0) {
		rest = spec + 6;
		family = AF_INET6;
		conf->socket_kind = CONF_SOCKET_INET6;
	} else {
		return "has an unknown socket type (" CONF_SOCKET_HINT ")";
	}
	at = strchr(rest, '@');
	if (!conf_socket_port(rest, at ? (size_t)(at - rest) : strlen(rest), &conf->socket_port))
		return "needs a port 1..65535 (" CONF_SOCKET_HINT ")";
	if (at == NULL)
		return NULL;
	why = conf_socket_host(at + 1, family, &conf->socket_host);
	return why;
}

void
conf_socket_parse(struct conf_ctx *ctx, const config_setting_t *s, const char *path,
                  struct conf *conf)
{
	const char *why;

	why = conf_socket_split(conf->socket, conf);
	if (why != NULL)
		conf_err(ctx, s, path, "'%s' %s", conf->socket, why);
}
