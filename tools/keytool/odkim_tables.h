/*
 * odkim_tables: reads an OpenDKIM KeyTable and SigningTable and maps them to
 * p11dkim's `domains` configuration section, keeping the selectors.
 *
 * KeyTable lines:     KEYNAME  DOMAIN:SELECTOR:/path/to/key   (DOMAIN may be %)
 * SigningTable lines: PATTERN  KEYNAME, PATTERN being one of
 *   *@domain.tld      (refile)  mail from domain.tld
 *   *@*.domain.tld    (refile)  mail from the subdomains of domain.tld
 *   domain.tld, @domain.tld, *.domain.tld   the plain (file:) forms
 * '#' starts a comment. Rules p11dkim cannot express (one user's address, a
 * catch-all '*', other regular expressions) become warnings, not errors.
 *
 * Ownership: everything hangs off a struct odkim_tables that the caller
 * zero-initialises and releases with odkim_tables_free().
 *
 * Errors: the parse functions return -1 and write "LINE: reason" into err for
 * input they cannot read at all (a malformed line); input is untrusted.
 *
 * Threads: no shared state.
 */
#ifndef P11DKIM_TOOLS_ODKIM_TABLES_H
#define P11DKIM_TOOLS_ODKIM_TABLES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

struct odkim_key {
	char *name;     /* KeyTable key name */
	char *domain;   /* d= ("%" = the From domain) */
	char *selector; /* s= */
	char *path;     /* private key file */
	int line;
	bool used; /* named by a SigningTable rule */
};

struct odkim_dom {
	char *domain;    /* lowercased */
	bool apex;       /* a rule matches the domain itself */
	bool subdomains; /* a rule matches its subdomains */
	size_t *keys;    /* indexes into odkim_tables.keys, no duplicates, rule order */
	size_t nkeys;
};

struct odkim_tables {
	struct odkim_key *keys;
	size_t nkeys;
	struct odkim_dom *doms;
	size_t ndoms;
	char **warnings;
	size_t nwarnings;
};

int odkim_keytable_parse(struct odkim_tables *t, const char *text, size_t len, char *err,
                         size_t errlen);
/* Needs the KeyTable parsed first: rules name its keys. */
int odkim_signingtable_parse(struct odkim_tables *t, const char *text, size_t len, char *err,
                             size_t errlen);
void odkim_tables_free(struct odkim_tables *t);

/*
 * The token label for key K when it signs for DOMAIN: PREFIX + "domain-selector"
 * (the KeyTable's d=, or DOMAIN when that is %). Malloc'ed; NULL on overflow of
 * the 128-byte label limit or allocation failure.
 */
char *odkim_label(const struct odkim_tables *t, size_t k, const char *domain, const char *prefix);

/* Prints the `domains = ( ... );` section for p11dkim.conf. */
void odkim_print_domains(FILE *out, const struct odkim_tables *t, const char *prefix);

#endif
