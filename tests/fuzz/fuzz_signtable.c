/*
 * tests/fuzz/fuzz_signtable.c: the signing-table lookup.
 *
 * A fixed configuration (exact domains, subdomain entries nested in each
 * other, a domain under an exact-only parent) is loaded once; each input is
 * a From domain (up to its first NUL).
 *
 * Properties: conf_signtable_lookup agrees with a plain linear search that
 * follows conf.h's rule (exact entry, else the nearest parent entry with
 * subdomains = true; any case, one trailing dot ignored); the input in
 * upper case, and with a trailing dot added, finds the same entry.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config/conf.h"
#include "tests/fuzz/fuzz.h"

/* The longest domain name the table takes (RFC 1035 text form). */
#define FUZZ_DOMAIN_MAX 253

static const char table_conf[] =
    "token: { module = \"/usr/lib/softhsm/libsofthsm2.so\"; token = \"dkim\";\n"
    "  pin_env = \"P11DKIM_PIN\"; };\n"
    "domains = (\n"
    "  { domain = \"example.com\"; subdomains = true; keys = ( { selector = \"a\"; key = \"k1\"; } "
    "); },\n"
    "  { domain = \"mail.example.com\"; keys = ( { selector = \"b\"; key = \"k2\"; } ); },\n"
    "  { domain = \"deep.sub.example.com\"; subdomains = true;\n"
    "    keys = ( { selector = \"c\"; key = \"k3\"; } ); },\n"
    "  { domain = \"example.org\"; keys = ( { selector = \"d\"; key = \"k4\"; } ); },\n"
    "  { domain = \"a.example.org\"; subdomains = true; keys = ( { selector = \"e\"; key = \"k5\"; "
    "} ); },\n"
    "  { domain = \"uk\"; subdomains = true; keys = ( { selector = \"f\"; key = \"k6\"; } ); },\n"
    "  { domain = \"co.uk\"; keys = ( { selector = \"g\"; key = \"k7\"; } ); },\n"
    "  { domain = \"xn--bcher-kva.example\"; subdomains = true;\n"
    "    keys = ( { selector = \"h\"; key = \"k8\"; } ); },\n"
    "  { domain = \"x\"; keys = ( { selector = \"i\"; key = \"k9\"; } ); },\n"
    "  { domain = \"1.2.3.4.in-addr.arpa\"; subdomains = true;\n"
    "    keys = ( { selector = \"j\"; key = \"k10\"; } ); }\n"
    ");\n";

static const struct conf *
table(void)
{
	static struct conf *c;
	struct conf_errors errs;
	char buf[1024];

	if (c == NULL) {
		c = conf_load_buffer("signtable.conf", table_conf, strlen(table_conf), &errs);
		if (c == NULL) {
			fprintf(stderr, "%s\n",
			        errs.n > 0 ? conf_error_format(&errs.v[0], buf, sizeof(buf)) : "?");
			abort();
		}
		conf_errors_free(&errs);
	}
	return c;
}

static const struct conf_domain *
find_exact(const struct conf *c, const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < c->ndomains; i++)
		if (strlen(c->domains[i].domain) == len &&
		    strncasecmp(c->domains[i].domain, name, len) == 0)
			return &c->domains[i];
	return NULL;
}

static const struct conf_domain *
reference_lookup(const struct conf *c, const char *from)
{
	const struct conf_domain *d;
	size_t len = strlen(from), i;

	if (len > 0 && from[len - 1] == '.')
		len--;
	if (len == 0 || len > FUZZ_DOMAIN_MAX)
		return NULL;
	if ((d = find_exact(c, from, len)) != NULL)
		return d;
	for (i = 0; i + 1 < len; i++)
		if (from[i] == '.' && (d = find_exact(c, from + i + 1, len - i - 1)) != NULL &&
		    d->subdomains)
			return d;
	return NULL;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct conf *c = table();
	const struct conf_domain *got, *want;
	char *name, *alt;
	size_t i, len;

	if (size > 4096)
		return 0;
	name = malloc(size + 1);
	alt = malloc(size + 2);
	if (name == NULL || alt == NULL)
		abort();
	memcpy(name, data, size);
	name[size] = '\0';
	len = strlen(name);
	got = conf_signtable_lookup(c, name);
	want = reference_lookup(c, name);
	if (got != want)
		fprintf(stderr, "lookup \"%s\": got %s, want %s\n", name,
		        got ? got->domain : "NULL", want ? want->domain : "NULL");
	FUZZ_CHECK(got == want);
	for (i = 0; i <= len; i++)
		alt[i] = (name[i] >= 'a' && name[i] <= 'z') ? (char)(name[i] - 'a' + 'A') : name[i];
	FUZZ_CHECK(conf_signtable_lookup(c, alt) == got);
	if (len == 0 || name[len - 1] != '.') {
		memcpy(alt, name, len);
		alt[len] = '.';
		alt[len + 1] = '\0';
		FUZZ_CHECK(conf_signtable_lookup(c, alt) == got);
	}
	free(name);
	free(alt);
	return 0;
}
