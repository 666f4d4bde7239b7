/*
 * config/conf_cidr.c: address blocks of internal_hosts, and the test whether a
 * client address is internal. IPv4-mapped IPv6 (::ffff:a.b.c.d) is treated as
 * the IPv4 address both in the list and in clients, since a dual-stack
 * listener sees IPv4 clients that way.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/conf_internal.h"

static const unsigned char conf_v4mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

/* Are the bits of addr past prefix all zero? */
static bool
conf_cidr_clean(const unsigned char *addr, unsigned bytes, unsigned prefix)
{
	unsigned i;

	for (i = prefix / 8; i < bytes; i++) {
		unsigned char mask = 0xff;

		if (i == prefix / 8)
			mask = (unsigned char)(0xff >> (prefix % 8));
		if (addr[i] & mask)
			return false;
	}
	return true;
}

static void
conf_cidr_zero_host(unsigned char *addr, unsigned bytes, unsigned prefix)
{
	unsigned i;

	for (i = prefix / 8; i < bytes; i++) {
		if (i == prefix / 8)
			addr[i] &= (unsigned char)~(0xff >> (prefix % 8));
		else
			addr[i] = 0;
	}
}

bool
conf_cidr_parse(const char *text, struct conf_cidr *out, char *why, size_t whylen)
{
	char host[INET6_ADDRSTRLEN + 1], net[INET6_ADDRSTRLEN];
	const char *slash, *p;
	unsigned long prefix = 0, max;
	size_t hlen;
	unsigned bytes;

	memset(out, 0, sizeof(*out));
	slash = strchr(text, '/');
	hlen = slash ? (size_t)(slash - text) : strlen(text);
	if (hlen == 0 || hlen >= sizeof(host)) {
		snprintf(why, whylen, "'%s' is not an IP address or CIDR block", text);
		return false;
	}
	memcpy(host, text, hlen);
	host[hlen] = '\0';
	if (strchr(host, '%') != NULL) {
		snprintf(why, whylen, "'%s': zone indexes (%%) are not supported", text);
		return false;
	}
	if (strchr(host, ':') != NULL) {
		out->family = AF_INET6;
		bytes = 16;
	} else {
		out->family = AF_INET;
		bytes = 4;
	}
	if (inet_pton(out->family, host, out->addr) != 1) {
		snprintf(why, whylen, "'%s' is not a valid %s address", host,
		         out->family == AF_INET ? "IPv4" : "IPv6");
		return false;
	}
	max = bytes * 8;
	if (slash != NULL) {
		p = slash + 1;
		if (*p < '0' || *p > '9') {
			snprintf(why, whylen, "'%s': the prefix length after '/' must be a number",
			         text);
			return false;
		}
		for (; *p >= '0' && *p <= '9' && prefix <= max; p++)
			prefix = prefix * 10 + (unsigned long)(*p - '0');
		if (*p != '\0' && prefix <= max) {
			snprintf(why, whylen, "'%s': the prefix length after '/' must be a number",
			         text);
			return false;
		}
		if (prefix > max) {
			snprintf(why, whylen, "'%s': prefix length longer than %lu", text, max);
			return false;
		}
	} else {
		prefix = max;
	}
	out->prefix = (unsigned)prefix;
	if (!conf_cidr_clean(out->addr, bytes, out->prefix)) {
		conf_cidr_zero_host(out->addr, bytes, out->prefix);
		inet_ntop(out->family, out->addr, net, sizeof(net));
		snprintf(why, whylen, "'%s' has host bits set past /%u (did you mean %s/%u?)", text,
		         out->prefix, net, out->prefix);
		return false;
	}
	if (out->family == AF_INET6 && out->prefix >= 96 &&
	    memcmp(out->addr, conf_v4mapped, 12) == 0) {
		memmove(out->addr, out->addr + 12, 4);
		memset(out->addr + 4, 0, 12);
		out->family = AF_INET;
		out->prefix -= 96;
	}
	return true;
}

bool
conf_cidr_match(const struct conf_cidr *c, int family, const unsigned char *addr)
{
	unsigned full, rest;

	if (c->family != family)
		return false;
	full = c->prefix / 8;
	rest = c->prefix % 8;
	if (memcmp(c->addr, addr, full) != 0)
		return false;
	if (rest == 0)
		return true;
	return ((c->addr[full] ^ addr[full]) & (unsigned char)(0xff << (8 - rest))) == 0;
}

/* The address bytes and family of sa, an IPv4-mapped IPv6 address as IPv4; false for NULL or
 * another family. */
static bool
conf_client_addr(const struct sockaddr *sa, int *family, const unsigned char **addr)
{
	const struct sockaddr_in *sin;
	const struct sockaddr_in6 *sin6;

	if (sa == NULL)
		return false;
	if (sa->sa_family == AF_INET) {
		sin = (const struct sockaddr_in *)(const void *)sa;
		*addr = (const unsigned char *)&sin->sin_addr;
		*family = AF_INET;
		return true;
	}
	if (sa->sa_family != AF_INET6)
		return false;
	sin6 = (const struct sockaddr_in6 *)(const void *)sa;
	*addr = sin6->sin6_addr.s6_addr;
	*family = AF_INET6;
	if (memcmp(*addr, conf_v4mapped, 12) == 0) {
		*addr += 12;
		*family = AF_INET;
	}
	return true;
}

bool
conf_is_internal(const struct conf *conf, const struct sockaddr *sa)
{
	const unsigned char *addr;
	int family;
	size_t i;

	if (conf == NULL || !conf_client_addr(sa, &family, &addr))
		return false;
	for (i = 0; i < conf->sign.ninternal; i++)
		if (conf_cidr_match(&conf->sign.internal_hosts[i], family, addr))
			return true;
	return false;
}

bool
conf_internal_may_sign(const struct conf *conf, const struct sockaddr *sa, const char *from_domain)
{
	const struct conf_cidr *c;
	const unsigned char *addr;
	int family;
	size_t i, k;

	if (conf == NULL || !conf_client_addr(sa, &family, &addr))
		return false;
	for (i = 0; i < conf->sign.ninternal; i++) {
		c = &conf->sign.internal_hosts[i];
		if (!conf_cidr_match(c, family, addr))
			continue;
		if (c->domains == NULL)
			return true;
		for (k = 0; k < c->ndomains; k++)
			if (conf_domain_within(from_domain, c->domains[k]))
				return true;
	}
	return false;
}

void
conf_cidr_free_domains(struct conf_cidr *c)
{
	conf_strv_free(c->domains, c->ndomains);
	c->domains = NULL;
	c->ndomains = 0;
}
