/*
 * config/conf_token.c: the token { ... } group: which module, which token,
 * where the PIN comes from, how many sessions.
 */
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
conf_token_names(struct conf_ctx *ctx, const config_setting_t *g, struct conf_token *t)
{
	conf_get_string(ctx, g, "token", "module", true, &t->module);
	if (conf_get_string(ctx, g, "token", "token", true, &t->token) == 1) {
		if (!CONF_IS_PKCS11_URI(t->token) && strlen(t->token) > CONF_TOKEN_LABEL_MAX)
			conf_err(ctx, config_setting_get_member(g, "token"), "token.token",
			         "a token label has at most %d bytes; this one has %zu",
			         CONF_TOKEN_LABEL_MAX, strlen(t->token));
	}
}

static void
conf_token_pin(struct conf_ctx *ctx, const config_setting_t *g, struct conf_token *t)
{
	int f, e;
	const char *why;

	f = conf_get_string(ctx, g, "token", "pin_file", false, &t->pin_file);
	e = conf_get_string(ctx, g, "token", "pin_env", false, &t->pin_env);
	if (f == 1) {
		why = conf_check_abs_path(t->pin_file);
		if (why != NULL)
			conf_err(ctx, config_setting_get_member(g, "pin_file"), "token.pin_file",
			         "'%s' %s", t->pin_file, why);
	}
	if (e == 1 && !conf_token_env_name_ok(t->pin_env))
		conf_err(ctx, config_setting_get_member(g, "pin_env"), "token.pin_env",
		         "'%s' is not an environment variable name ([A-Za-z_][A-Za-z0-9_]*)",
		         t->pin_env);
	if (f == 0 && e == 0)
		conf_err(ctx, g, "token", "needs pin_file or pin_env");
	else if (f != 0 && e != 0)
		conf_err(ctx, config_setting_get_member(g, "pin_env"), "token.pin_env",
		         "give pin_file or pin_env, not both");
}

void
conf_token_load(struct conf_ctx *ctx, const config_setting_t *root, struct conf_token *t)
{
	config_setting_t *g;
	long long v;

	t->sessions = 0;
	t->borrow_timeout_ms = 5000;
	t->allow_extractable = false;
	if (conf_get_group(ctx, root, "", "token", true, &g) != 1)
		return;
	conf_check_members(ctx, g, "token", conf_token_known);
	conf_token_names(ctx, g, t);
	conf_token_pin(ctx, g, t);
	if (conf_get_int(ctx, g, "token", "sessions", 0, 1024, &v) == 1)
		t->sessions = (unsigned)v;
	if (conf_get_int(ctx, g, "token", "borrow_timeout_ms", 1, 600000, &v) == 1)
		t->borrow_timeout_ms = (unsigned)v;
	conf_get_bool(ctx, g, "token", "allow_extractable", &t->allow_extractable);
}
