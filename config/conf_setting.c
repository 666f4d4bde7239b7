/*
 * config/conf_setting.c: typed access to libconfig settings. Every getter
 * checks the type and records an error naming the setting; nothing is
 * converted silently (libconfig's auto-convert stays off), so "true" in
 * quotes is a string, not a boolean.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config/conf_internal.h"

void
conf_path_member(char *dst, const char *parent, const char *name)
{
	if (parent == NULL || parent[0] == '\0')
		snprintf(dst, CONF_PATH_MAX, "%s", name);
	else
		snprintf(dst, CONF_PATH_MAX, "%.*s.%s", CONF_PATH_MAX / 2, parent, name);
}

void
conf_path_index(char *dst, const char *parent, int i)
{
	snprintf(dst, CONF_PATH_MAX, "%.*s[%d]", CONF_PATH_MAX / 2, parent, i);
}

const char *
conf_type_name(int type)
{
	switch (type) {
	case CONFIG_TYPE_GROUP:
		return "a group { ... }";
	case CONFIG_TYPE_INT:
	case CONFIG_TYPE_INT64:
		return "an integer";
	case CONFIG_TYPE_FLOAT:
		return "a float";
	case CONFIG_TYPE_STRING:
		return "a string";
	case CONFIG_TYPE_BOOL:
		return "a boolean";
	case CONFIG_TYPE_ARRAY:
		return "an array [ ... ]";
	case CONFIG_TYPE_LIST:
		return "a list ( ... )";
	default:
		return "nothing";
	}
}

/* Levenshtein distance, bounded: names are short, anything past 32 bytes is
 * not a near miss. */
static size_t
conf_edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), i, j;
	size_t row[33], prev, tmp, best;

	if (la > 32 || lb > 32)
		return 99;
	for (j = 0; j <= lb; j++)
		row[j] = j;
	for (i = 1; i <= la; i++) {
		prev = row[0];
		row[0] = i;
		for (j = 1; j <= lb; j++) {
			tmp = row[j];
			best = prev + ((a[i - 1] | 0x20) == (b[j - 1] | 0x20) ? 0 : 1);
			if (row[j] + 1 < best)
				best = row[j] + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			prev = tmp;
		}
	}
	return row[lb];
}

const char *
conf_did_you_mean(const char *name, const char *const *known)
{
	const char *best = NULL;
	size_t d, bestd = 3;

	for (; *known != NULL; known++) {
		d = conf_edit_distance(name, *known);
		if (d < bestd) {
			bestd = d;
			best = *known;
		}
	}
	/* Two edits on a three-letter name is another name, not a typo. */
	if (best != NULL && bestd >= strlen(name))
		return NULL;
	return best;
}

int
conf_check_members(struct conf_ctx *ctx, const config_setting_t *g, const char *gpath,
                   const char *const *known)
{
	char path[CONF_PATH_MAX];
	const config_setting_t *m;
	const char *name, *hint;
	int i, n, bad = 0;
	size_t k;

	n = config_setting_length(g);
	for (i = 0; i < n; i++) {
		m = config_setting_get_elem(g, (unsigned)i);
		name = config_setting_name(m);
		if (name == NULL)
			continue;
		for (k = 0; known[k] != NULL; k++)
			if (strcmp(known[k], name) == 0)
				break;
		if (known[k] != NULL)
			continue;
		bad++;
		conf_path_member(path, gpath, name);
		hint = conf_did_you_mean(name, known);
		if (hint != NULL)
			conf_err(ctx, m, path, "unknown setting '%s' (did you mean '%s'?)", name,
			         hint);
		else
			conf_err(ctx, m, path, "unknown setting '%s'", name);
	}
	return bad;
}

char *
conf_strdup(struct conf_ctx *ctx, const char *s)
{
	char *d = strdup(s);

	if (d == NULL)
		conf_err_oom(ctx);
	return d;
}

/* G's member NAME, or NULL; its path ("GPATH.NAME") into PATH either way, for messages. */
static config_setting_t *
conf_member(const config_setting_t *g, const char *gpath, const char *name, char *path)
{
	conf_path_member(path, gpath, name);
	return config_setting_get_member(g, name);
}

static int
conf_wrong_type(struct conf_ctx *ctx, const config_setting_t *s, const char *path, const char *want)
{
	conf_err(ctx, s, path, "must be %s, not %s", want, conf_type_name(config_setting_type(s)));
	return -1;
}

int
conf_elem_string(struct conf_ctx *ctx, const config_setting_t *s, const char *spath, char **out)
{
	const char *v, *p;

	if (config_setting_type(s) != CONFIG_TYPE_STRING)
		return conf_wrong_type(ctx, s, spath, "a string");
	v = config_setting_get_string(s);
	if (v == NULL || v[0] == '\0') {
		conf_err(ctx, s, spath, "must not be empty");
		return -1;
	}
	/* Values reach logs, file names and token lookups: no control bytes. */
	for (p = v; *p != '\0'; p++) {
		if ((unsigned char)*p < 0x20 || *p == 0x7f) {
			conf_err(ctx, s, spath, "contains a control character (byte 0x%02x)",
			         (unsigned char)*p);
			return -1;
		}
	}
	*out = conf_strdup(ctx, v);
	return *out ? 1 : -1;
}

int
conf_get_string(struct conf_ctx *ctx, const config_setting_t *g, const char *gpath,
                const char *name, bool required, char **out)
{
	char path[CONF_PATH_MAX];
	config_setting_t *s;

	if ((s = conf_member(g, gpath, name, path)) == NULL) {
		if (required)
			conf_err(ctx, g, path, "required setting missing");
		return 0;
	}
	return conf_elem_string(ctx, s, path, out);
}

int
conf_get_bool(struct conf_ctx *ctx, const config_setting_t *g, const char *gpath, const char *name,
              bool *out)
{
	char path[CONF_PATH_MAX];
	config_setting_t *s;

	if ((s = conf_member(g, gpath, name, path)) == NULL)
		return 0;
	if (config_setting_type(s) != CONFIG_TYPE_BOOL)
		return conf_wrong_type(ctx, s, path, "a boolean (true or false)");
	*out = config_setting_get_bool(s) != 0;
	return 1;
}

int
conf_get_int(struct conf_ctx *ctx, const config_setting_t *g, const char *gpath, const char *name,
             long long min, long long max, long long *out)
{
	char path[CONF_PATH_MAX];
	config_setting_t *s;
	long long v;

	if ((s = conf_member(g, gpath, name, path)) == NULL)
		return 0;
	if (config_setting_type(s) != CONFIG_TYPE_INT &&
	    config_setting_type(s) != CONFIG_TYPE_INT64)
		return conf_wrong_type(ctx, s, path, "an integer");
	v = config_setting_get_int64(s);
	if (!conf_literal_matches(ctx, s, v)) {
		conf_err(ctx, s, path, "the number written is out of range (%lld..%lld)", min, max);
		return -1;
	}
	if (v < min || v > max) {
		conf_err(ctx, s, path, "%lld is out of range (%lld..%lld)", v, min, max);
		return -1;
	}
	*out = v;
	return 1;
}

int
conf_get_group(struct conf_ctx *ctx, const config_setting_t *g, const char *gpath, const char *name,
               bool required, config_setting_t **out)
{
	char path[CONF_PATH_MAX];
	config_setting_t *s;

	if ((s = conf_member(g, gpath, name, path)) == NULL) {
		if (required)
			conf_err(ctx, config_setting_is_root(g) ? NULL : g, path,
			         "required group missing");
		return 0;
	}
	if (config_setting_type(s) != CONFIG_TYPE_GROUP)
		return conf_wrong_type(ctx, s, path, "a group { ... }");
	*out = s;
	return 1;
}

int
conf_get_list(struct conf_ctx *ctx, const config_setting_t *g, const char *gpath, const char *name,
              bool lists_only, config_setting_t **out)
{
	char path[CONF_PATH_MAX];
	config_setting_t *s;
	int t;

	if ((s = conf_member(g, gpath, name, path)) == NULL)
		return 0;
	t = config_setting_type(s);
	if (t != CONFIG_TYPE_LIST && (lists_only || t != CONFIG_TYPE_ARRAY))
		return conf_wrong_type(ctx, s, path,
		                       lists_only ? "a list ( ... )"
		                                  : "a list ( ... ) or an array [ ... ]");
	*out = s;
	return 1;
}
