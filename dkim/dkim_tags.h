/*
 * dkim_tags.h: the tag=value list of a DKIM-Signature (RFC 6376 3.2) (internal to dkim/).
 *
 * Contract: parses a field value in place; each tag's name and value point into the caller's
 * text, which must outlive the result. Tag names are case-sensitive (RFC 6376 3.2: "D=" is not
 * "d="). Nothing is allocated. DKIM_ERR_SYNTAX: a tag-spec without '=', a bad tag name, a value
 * byte outside VALCHAR and folding whitespace, a tag named twice (the whole list is then
 * invalid), more than DKIM_TAGS_MAX tags.
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

struct dkim_tags {
	struct dkim_tag v[DKIM_TAGS_MAX];
	size_t n;
};

dkim_status dkim_tags_parse(const char *text, size_t len, struct dkim_tags *out);
/* The tag called name, or NULL. */
const struct dkim_tag *dkim_tags_get(const struct dkim_tags *, const char *name);
/* Whether c is folding whitespace as a stored field has it (SP, TAB, CR, LF). */
int dkim_tags_is_fws(char c);

#endif
