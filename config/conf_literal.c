/*
 * config/conf_literal.c: numbers checked against the text they were written
 * as. libconfig 1.5 reads an integer literal past 32 bits without an L
 * suffix by wrapping it (sessions = 4294967304 arrives as 8), so a value in
 * range can still be a number that is not. Only a literal found cleanly on
 * the setting's own line in the main file is judged; anything else is left
 * to libconfig (a check that cannot tell says "fine", never a false error).
 */
#include <string.h>

#include "config/conf_internal.h"

static bool
conf_literal_namechar(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '-' || c == '*';
}

static const char *
conf_literal_line(const struct conf_ctx *ctx, int line, const char **end)
{
	const char *p = ctx->text, *limit = ctx->text + ctx->textlen, *nl;
	int n = 1;

	while (n < line) {
		nl = memchr(p, '\n', (size_t)(limit - p));
		if (nl == NULL)
			return NULL;
		p = nl + 1;
		n++;
	}
	nl = memchr(p, '\n', (size_t)(limit - p));
	*end = nl ? nl : limit;
	return p;
}

/* Parses [+-]digits or [+-]0xhex at p; false if it is not cleanly one. */
static bool
conf_literal_parse(const char *p, const char *end, long long *out, bool *overflow)
{
	unsigned long long mag = 0, base = 10, d;
	bool neg = false, any = false;

	*overflow = false;
	if (p < end && (*p == '-' || *p == '+'))
		neg = *p++ == '-';
	if (end - p > 2 && p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
		base = 16;
		p += 2;
	}
	for (; p < end; p++, any = true) {
		if (*p >= '0' && *p <= '9')
			d = (unsigned long long)(*p - '0');
		else if (base == 16 && (*p | 0x20) >= 'a' && (*p | 0x20) <= 'f')
			d = (unsigned long long)((*p | 0x20) - 'a' + 10);
		else
			break;
		if (mag > (~0ULL - d) / base)
			*overflow = true;
		else
			mag = mag * base + d;
	}
	if (!any || (p < end && (*p == '.' || *p == 'e' || *p == 'E')))
		return false;
	if (mag > (unsigned long long)1 << 62)
		*overflow = true;
	*out = neg ? -(long long)mag : (long long)mag;
	return true;
}

bool
conf_literal_matches(const struct conf_ctx *ctx, const config_setting_t *s, long long value)
{
	const char *name = config_setting_name(s), *line, *end, *p, *q;
	size_t nlen;
	long long lit;
	bool overflow;

	if (ctx->text == NULL || name == NULL || config_setting_source_file(s) != NULL)
		return true;
	line = conf_literal_line(ctx, conf_line(s), &end);
	if (line == NULL)
		return true;
	nlen = strlen(name);
	for (p = line; p + nlen <= end; p++) {
		if (memcmp(p, name, nlen) != 0 || (p > line && conf_literal_namechar(p[-1])) ||
		    (p + nlen < end && conf_literal_namechar(p[nlen])))
			continue;
		q = p + nlen;
		while (q < end && (*q == ' ' || *q == '\t'))
			q++;
		if (q == end || (*q != '=' && *q != ':'))
			continue;
		q++;
		while (q < end && (*q == ' ' || *q == '\t'))
			q++;
		if (!conf_literal_parse(q, end, &lit, &overflow))
			continue;
		return !overflow && lit == value;
	}
	return true;
}
