/*
 * mc_apply: the message as the receiver sees it after the MTA has applied the
 * milter's header and body changes (Postfix semantics: SMFIR_INSHEADER index 0
 * is the top, SMFIR_CHGHEADER index 1 is the first field of that name and an
 * empty value deletes it, a change of a missing field adds it).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "tools/milterclient/mc_message.h"

/* One header field of the output: an original one or one from a mod. */
struct mc_out_hdr {
	const char *name;
	size_t name_len;
	const struct mc_hdr *orig;
	const struct mc_mod *mod;
};

static void
mc_apply_insert(struct mc_out_hdr *v, size_t *n, size_t at, const struct mc_mod *m)
{
	if (at > *n)
		at = *n;
	memmove(&v[at + 1], &v[at], (*n - at) * sizeof(*v));
	v[at].name = m->name;
	v[at].name_len = strlen(m->name);
	v[at].orig = NULL;
	v[at].mod = m;
	(*n)++;
}

static void
mc_apply_change(struct mc_out_hdr *v, size_t *n, const struct mc_mod *m)
{
	size_t i, seen = 0, want = m->index ? m->index : 1, nlen = strlen(m->name);

	for (i = 0; i < *n; i++) {
		if (v[i].name_len != nlen || strncasecmp(v[i].name, m->name, nlen) != 0)
			continue;
		if (++seen < want)
			continue;
		if (m->value[0] == '\0') {
			memmove(&v[i], &v[i + 1], (*n - i - 1) * sizeof(*v));
			(*n)--;
		} else {
			v[i].orig = NULL;
			v[i].mod = m;
		}
		return;
	}
	if (m->value[0] != '\0')
		mc_apply_insert(v, n, *n, m);
}

/* Writes s with every bare LF turned into CRLF, then CRLF if end_line. */
static void
mc_apply_crlf(FILE *out, const char *s, size_t len, int end_line)
{
	size_t i, start = 0;

	for (i = 0; i < len; i++) {
		if (s[i] != '\n' || (i > 0 && s[i - 1] == '\r'))
			continue;
		fwrite(s + start, 1, i - start, out);
		fputs("\r\n", out);
		start = i + 1;
	}
	fwrite(s + start, 1, len - start, out);
	if (end_line)
		fputs("\r\n", out);
}

static void
mc_apply_write_hdr(FILE *out, const struct mc_prepared *p, const struct mc_out_hdr *h, int leadspc)
{
	if (h->orig != NULL) {
		fwrite(p->store + h->orig->crlf_off, 1, h->orig->crlf_len, out);
		return;
	}
	fputs(h->mod->name, out);
	fputs(leadspc ? ":" : ": ", out);
	mc_apply_crlf(out, h->mod->value, h->mod->value_len, 1);
}

/* The replaced body: the SMFIR_REPLBODY pieces joined, lines ending in CRLF. */
static void
mc_apply_write_body(FILE *out, const struct mc_result *res)
{
	size_t i;
	int last = '\n';

	for (i = 0; i < res->nmods; i++) {
		const struct mc_mod *m = &res->mods[i];

		if (m->type != MC_MOD_REPLBODY || m->value_len == 0)
			continue;
		/* A CR LF pair may be split between two pieces. */
		if (last == '\r' && m->value[0] == '\n') {
			fputc('\n', out);
			mc_apply_crlf(out, m->value + 1, m->value_len - 1, 0);
		} else {
			mc_apply_crlf(out, m->value, m->value_len, 0);
		}
		last = (unsigned char)m->value[m->value_len - 1];
	}
	if (last != '\n')
		fputs("\r\n", out);
}

enum mc_status
mc_apply(const struct mc_prepared *p, const struct mc_result *res, int leadspc, FILE *out)
{
	struct mc_out_hdr *v;
	size_t n = 0, i;
	int replbody = 0;

	if (p == NULL || res == NULL || out == NULL)
		return MC_ERR_ARG;
	if ((v = calloc(p->nhdrs + res->nmods + 1, sizeof(*v))) == NULL)
		return MC_ERR_NOMEM;
	for (i = 0; i < p->nhdrs; i++, n++) {
		v[n].name = p->store + p->hdrs[i].name_off;
		v[n].name_len = p->hdrs[i].name_len;
		v[n].orig = &p->hdrs[i];
	}
	for (i = 0; i < res->nmods; i++) {
		const struct mc_mod *m = &res->mods[i];

		if (m->type == MC_MOD_ADDHEADER)
			mc_apply_insert(v, &n, n, m);
		else if (m->type == MC_MOD_INSHEADER)
			mc_apply_insert(v, &n, m->index, m);
		else if (m->type == MC_MOD_CHGHEADER)
			mc_apply_change(v, &n, m);
		else if (m->type == MC_MOD_REPLBODY)
			replbody = 1;
	}
	for (i = 0; i < n; i++)
		mc_apply_write_hdr(out, p, &v[i], leadspc);
	free(v);
	if (p->has_separator)
		fputs("\r\n", out);
	if (replbody)
		mc_apply_write_body(out, res);
	else
		fwrite(p->store + p->body_off, 1, p->body_len, out);
	if (fflush(out) != 0 || ferror(out))
		return MC_ERR_IO;
	return MC_OK;
}
