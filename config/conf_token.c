/*
 * config/conf_token.c: the token { ... } group, or the tokens = ( { ... }, ... ) list of
 * several tokens holding the same keys: for each, which module, which token, where the PIN
 * comes from, how many sessions. Exactly one of the two forms; conf->tokens holds either.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config/conf_internal.h"

static const char *const conf_token_known[] = {
    "module", "token", "pin_file", "pin_env", "sessions", "borrow_timeout_ms", "allow_extractable",
    NULL,
};

/* CK_TOKEN_INFO.label is 32 bytes, blank padded. */
#define CONF_TOKEN_LABEL_MAX 32

static bool
conf_token_env_name_ok(const char *s)
{
	const char *p;

	if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') || *s == '_'))
		return false;
	for (p = s + 1; *p != '\0'; p++)
		if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
		      (*p >= '0' && *p <= '9') || *p == '_'))
			return false;
	return true;
}

static void
conf_token_names(struct conf_ctx *ctx, const config_setting_t *g, const char *gpath,
                 struct conf_token *t)
{
	char path[CONF_PATH_MAX];

	conf_get_string(ctx, g, gpath, "module", true, &t->module);
	if (conf_get_string(ctx, g, gpath, "token", true, &t->token) == 1) {
		snprintf(path, sizeof(path), "%s.token", gpath);
		if (!CONF_IS_PKCS11_URI(t->token) && strlen(t->token) > CONF_TOKEN_LABEL_MAX)
			conf_err(ctx, config_setting_get_member(g, "token"), path,
			         "a token label has at most %d bytes; this one has %zu",
			         CONF_TOKEN_LABEL_MAX, strlen(t->token));
	}
}

static void
conf_token_pin(struct conf_ctx *ctx, const config_setting_t *g, const char *gpath,
               struct conf_token *t)
{
	char path[CONF_PATH_MAX];
	const char *why;
	int f, e;

	f = conf_get_string(ctx, g, gpath, "pin_file", false, &t->pin_file);
	e = conf_get_string(ctx, g, gpath, "pin_env", false, &t->pin_env);
	if (f == 1) {
		why = conf_check_abs_path(t->pin_file);
		snprintf(path, sizeof(path), "%s.pin_file", gpath);
		if (why != NULL)
			conf_err(ctx, config_setting_get_member(g, "pin_file"), path, "'%s' %s",
			         t->pin_file, why);
	}
	snprintf(path, sizeof(path), "%s.pin_env", gpath);
	if (e == 1 && !conf_token_env_name_ok(t->pin_env))
		conf_err(ctx, config_setting_get_member(g, "pin_env"), path,
		         "'%s' is not an environment variable name ([A-Za-z_][A-Za-z0-9_]*)",
		         t->pin_env);
	if (f == 0 && e == 0)
		conf_err(ctx, g, gpath, "needs pin_file or pin_env");
	else if (f != 0 && e != 0)
		conf_err(ctx, config_setting_get_member(g, "pin_env"), path,
		         "give pin_file or pin_env, not both");
}

/* One token group, at gpath ("token" or "tokens[N]"). */
static void
conf_token_group(struct conf_ctx *ctx, const config_setting_t *g, const char *gpath,
                 struct conf_token *t)
{
	long long v;

	t->sessions = 0;
	t->borrow_timeout_ms = 5000;
	t->allow_extractable = false;
	t->line = config_setting_source_line(g);
	conf_check_members(ctx, g, gpath, conf_token_known);
	conf_token_names(ctx, g, gpath, t);
	conf_token_pin(ctx, g, gpath, t);
	if (conf_get_int(ctx, g, gpath, "sessions", 0, 1024, &v) == 1)
		t->sessions = (unsigned)v;
	if (conf_get_int(ctx, g, gpath, "borrow_timeout_ms", 1, 600000, &v) == 1)
		t->borrow_timeout_ms = (unsigned)v;
	conf_get_bool(ctx, g, gpath, "allow_extractable", &t->allow_extractable);
}

/* Two entries naming the same token of the same module would be one token counted twice:
 * its share of the load doubled and its failure seen as two. */
static void
conf_tokens_distinct(struct conf_ctx *ctx, const config_setting_t *list, struct conf *conf)
{
	size_t i, j;

	for (i = 1; i < conf->ntokens; i++)
		for (j = 0; j < i; j++) {
			const struct conf_token *a = &conf->tokens[j], *b = &conf->tokens[i];
			char path[CONF_PATH_MAX];

			if (a->module == NULL || b->module == NULL || a->token == NULL ||
			    b->token == NULL || strcmp(a->module, b->module) != 0 ||
			    strcmp(a->token, b->token) != 0)
				continue;
			snprintf(path, sizeof(path), "tokens[%zu].token", i);
			conf_err(ctx, config_setting_get_elem(list, (unsigned)i), path,
			         "token \"%s\" of module %s is listed twice (also at line %d)",
			         b->token, b->module, a->line);
			return;
		}
}

static void
conf_tokens_list(struct conf_ctx *ctx, const config_setting_t *list, struct conf *conf)
{
	char path[CONF_PATH_MAX];
	config_setting_t *g;
	size_t i, n = (size_t)config_setting_length(list);

	if (n == 0) {
		conf_err(ctx, list, "tokens", "is empty: list at least one token { ... }");
		return;
	}
	if (n > CONF_MAX_TOKENS) {
		conf_err(ctx, list, "tokens", "lists %zu tokens; at most %d", n, CONF_MAX_TOKENS);
		return;
	}
	conf->tokens = calloc(n, sizeof(*conf->tokens));
	if (conf->tokens == NULL) {
		conf_err_oom(ctx);
		return;
	}
	conf->ntokens = n;
	for (i = 0; i < n; i++) {
		g = config_setting_get_elem(list, (unsigned)i);
		snprintf(path, sizeof(path), "tokens[%zu]", i);
		if (config_setting_type(g) != CONFIG_TYPE_GROUP) {
			conf_err(ctx, g, path, "must be a group { module = ...; token = ...; ... }");
			continue;
		}
		conf_token_group(ctx, g, path, &conf->tokens[i]);
	}
	conf_tokens_distinct(ctx, list, conf);
}

void
conf_token_load(struct conf_ctx *ctx, const config_setting_t *root, struct conf *conf)
{
	config_setting_t *g = NULL, *list = NULL;
	int has_one, has_list;

	has_one = conf_get_group(ctx, root, "", "token", false, &g);
	has_list = conf_get_list(ctx, root, "", "tokens", true, &list);
	if (has_one < 0 || has_list < 0)
		return;
	if (has_one == 1 && has_list == 1) {
		conf_err(ctx, list, "tokens",
		         "give token { ... } (one token) or tokens = ( ... ) (several), not both "
		         "(token is at line %d)",
		         config_setting_source_line(g));
		return;
	}
	if (has_list == 1) {
		conf_tokens_list(ctx, list, conf);
		return;
	}
	if (has_one != 1) {
		conf_err(ctx, NULL, "token",
		         "required: token { ... } for one token, or tokens = ( { ... }, ... ) for "
		         "several holding the same keys");
		return;
	}
	conf->tokens = calloc(1, sizeof(*conf->tokens));
	if (conf->tokens == NULL) {
		conf_err_oom(ctx);
		return;
	}
	conf->ntokens = 1;
	conf_token_group(ctx, g, "token", &conf->tokens[0]);
}

void
conf_token_free(struct conf *conf)
{
	size_t i;

	for (i = 0; i < conf->ntokens; i++) {
		free(conf->tokens[i].module);
		free(conf->tokens[i].token);
		free(conf->tokens[i].pin_file);
		free(conf->tokens[i].pin_env);
	}
	free(conf->tokens);
}
