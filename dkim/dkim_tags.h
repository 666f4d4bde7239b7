/*
 * dkim_tags.h: the tag=value list of RFC 6376 3.2, as DKIM-Signature fields (3.5) and key
 * records in DNS (3.6.1) write it, with the two kinds of value inside it that need more than
 * trimming: colon-separated lists (h=, and a key record's h=, s=, t=) and base64 (b=, bh=, p=).
 * The one parser of that grammar: the verifier (dkim_verify.c) and the keytool's key record
 * parser (tools/keytool/dnsrec_parse.c) both stand on it.
 *
 * Contract: parses the caller's text in place; each tag's name and value point into it, and it
 * must outlive the result. Tag names are case-sensitive (RFC 6376 3.2: "D=" is not "d="). No
 * allocation but dkim_tags_base64's output. dkim_tags_parse fails with DKIM_ERR_SYNTAX and says
 * why in error and where in error_at: a tag-spec without '=' or with a bad name (tag-name =
 * ALPHA *(ALPHA / DIGIT / "_")), a value byte outside VALCHAR and folding whitespace, an empty
 * list, more than DKIM_TAGS_MAX tags, or a tag named twice (the whole list is then invalid;
 * v[n] is the second one). Pure functions: any thread.
 */
#ifndef P11DKIM_DKIM_TAGS_H
#define P11DKIM_DKIM_TAGS_H

#include <stddef.h>

#include "dkim/dkim.h"

#define DKIM_TAGS_MAX 32

struct dkim_tag {
	const char *name;
	size_t namelen;
	const char *val; /* trimmed of folding whitespace at both ends */
	size_t vallen;
	const char *raw; /* everything between '=' and the ';' (or the end) */
	size_t rawlen;
};

enum dkim_tags_error {
	DKIM_TAGS_OK = 0,
	DKIM_TAGS_SYNTAX,    /* no '=', a bad name or value byte, an empty tag-spec or list */
	DKIM_TAGS_DUPLICATE, /* a name twice: v[n] is the second */
	DKIM_TAGS_TOO_MANY,  /* more than DKIM_TAGS_MAX */
};

struct dkim_tags {
	struct dkim_tag v[DKIM_TAGS_MAX + 1];
	size_t n;
	enum dkim_tags_error error;
	size_t error_at; /* offset of the tag-spec at fault in the text */
};

dkim_status dkim_tags_parse(const char *text, size_t len, struct dkim_tags *out);
/* The tag called name, or NULL. */
const struct dkim_tag *dkim_tags_get(const struct dkim_tags *, const char *name);
/* Whether c is folding whitespace as a field or a record has it (SP, TAB, CR, LF). */
int dkim_tags_is_fws(char c);
/* The element of a colon-separated value that starts at *p (before end), trimmed of folding
 * whitespace into [*el, *el + *len); *p moves past its ':', or becomes NULL after the last. */
void dkim_tags_list_next(const char **p, const char *end, const char **el, size_t *len);
/* Decodes base64 (RFC 4648 alphabet, '=' padding required, folding whitespace anywhere as DKIM
 * allows). 0 with a malloc'd buffer in *out (NULL for empty input), or -1 on invalid input or
 * allocation failure (then *out is NULL). */
int dkim_tags_base64(const char *in, size_t len, unsigned char **out, size_t *outlen);

#endif
