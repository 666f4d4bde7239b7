/*
 * keytool_resolve: the TXT lookup behind `p11dkim-keytool check`, with
 * libresolv's reentrant interface (res_nquery, ns_initparse); see
 * keytool_dns.h.
 */
#include "config.h"

#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <netdb.h>
#include <netinet/in.h>
#include <resolv.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tools/keytool/keytool_dns.h"

/* Big enough for any UDP answer and for a TCP one with a 4096-bit key or two. */
#define KT_ANSWER_MAX 65535

static enum kt_dns_lookup
kt_resolve_fail(enum kt_dns_lookup r, char *detail, size_t dlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(detail, dlen, fmt, ap);
	va_end(ap);
	return r;
}

/* "IPv4[:PORT]" into the resolver state, as its only server. */
static int
kt_resolve_server(res_state st, const char *spec)
{
	char host[64];
	const char *colon = strchr(spec, ':');
	size_t hlen = colon != NULL ? (size_t)(colon - spec) : strlen(spec);
	unsigned long port = 53;
	struct sockaddr_in sin;
	char *end;

	if (hlen == 0 || hlen >= sizeof(host))
		return -1;
	memcpy(host, spec, hlen);
	host[hlen] = '\0';
	if (colon != NULL) {
		port = strtoul(colon + 1, &end, 10);
		if (colon[1] == '\0' || *end != '\0' || port == 0 || port > 65535)
			return -1;
	}
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((unsigned short)port);
	if (inet_pton(AF_INET, host, &sin.sin_addr) != 1)
		return -1;
	st->nsaddr_list[0] = sin;
	st->nscount = 1;
	return 0;
}

/* Joins the character-strings of one TXT RDATA (RFC 6376 3.6.2.2). */
static char *
kt_resolve_join(const unsigned char *rd, size_t rdlen, size_t *outlen)
{
	char *out = malloc(rdlen + 1);
	size_t i = 0, n = 0;

	if (out == NULL)
		return NULL;
	while (i < rdlen) {
		size_t l = rd[i++];

		if (l > rdlen - i) {
			free(out);
			return NULL;
		}
		memcpy(out + n, rd + i, l);
		n += l;
		i += l;
	}
	out[n] = '\0';
	*outlen = n;
	return out;
}

static enum kt_dns_lookup
kt_resolve_parse(const unsigned char *ans, int alen, char **txt, size_t *len, char *detail,
                 size_t dlen)
{
	ns_msg msg;
	ns_rr rr;
	int i, count, found = 0;

	if (ns_initparse(ans, alen, &msg) != 0)
		return kt_resolve_fail(KT_DNS_FAILED, detail, dlen, "malformed DNS answer");
	count = ns_msg_count(msg, ns_s_an);
	for (i = 0; i < count; i++) {
		if (ns_parserr(&msg, ns_s_an, i, &rr) != 0)
			return kt_resolve_fail(KT_DNS_FAILED, detail, dlen,
			                       "malformed DNS answer record");
		if (ns_rr_type(rr) != ns_t_txt || ns_rr_class(rr) != ns_c_in)
			continue; /* a CNAME on the way */
		if (++found > 1) {
			free(*txt);
			*txt = NULL;
			return kt_resolve_fail(
			    KT_DNS_SEVERAL, detail, dlen,
			    "several TXT records: verifiers may pick any of them");
		}
		*txt = kt_resolve_join(ns_rr_rdata(rr), ns_rr_rdlen(rr), len);
		if (*txt == NULL)
			return kt_resolve_fail(KT_DNS_FAILED, detail, dlen,
			                       "malformed TXT record data");
	}
	if (found == 0)
		return kt_resolve_fail(KT_DNS_MISSING, detail, dlen, "no TXT record");
	return KT_DNS_FOUND;
}

enum kt_dns_lookup
kt_dns_lookup(const char *name, const char *nameserver, char **txt, size_t *len, char *detail,
              size_t dlen)
{
	struct __res_state st;
	unsigned char *ans;
	enum kt_dns_lookup r;
	int alen;

	*txt = NULL;
	*len = 0;
	memset(&st, 0, sizeof(st));
	if (res_ninit(&st) != 0)
		return kt_resolve_fail(KT_DNS_FAILED, detail, dlen,
		                       "cannot initialise the resolver");
	if (nameserver != NULL && kt_resolve_server(&st, nameserver) != 0) {
		res_nclose(&st);
		return kt_resolve_fail(KT_DNS_FAILED, detail, dlen,
		                       "bad name server \"%s\" (want IPv4[:PORT])", nameserver);
	}
	/* A keytool run waits seconds, not the libc default of 5 s x 2 tries x servers. */
	st.retrans = 2;
	st.retry = 2;
	st.options &= ~(RES_DNSRCH | RES_DEFNAMES);
	ans = malloc(KT_ANSWER_MAX);
	if (ans == NULL) {
		res_nclose(&st);
		return kt_resolve_fail(KT_DNS_FAILED, detail, dlen, "out of memory");
	}
	alen = res_nquery(&st, name, ns_c_in, ns_t_txt, ans, KT_ANSWER_MAX);
	if (alen < 0) {
		if (st.res_h_errno == HOST_NOT_FOUND || st.res_h_errno == NO_DATA)
			r = kt_resolve_fail(KT_DNS_MISSING, detail, dlen, "%s: %s", name,
			                    st.res_h_errno == NO_DATA ? "no TXT record"
			                                              : "no such name (NXDOMAIN)");
		else
			r = kt_resolve_fail(KT_DNS_FAILED, detail, dlen, "%s: lookup failed: %s",
			                    name, hstrerror(st.res_h_errno));
	} else
		r = kt_resolve_parse(ans, alen > KT_ANSWER_MAX ? KT_ANSWER_MAX : alen, txt, len,
		                     detail, dlen);
	free(ans);
	res_nclose(&st);
	return r;
}
