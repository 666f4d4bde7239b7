/*
 * config/conf_top.c: the top-level settings of the process: socket, umask,
 * user and group, pid file, logging, metrics.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "config/conf_internal.h"

/* A unix socket in the directory systemd makes for the unit (RuntimeDirectory, mode 0750,
 * group p11dkim): the milter protocol has no authentication, so the default is a socket that
 * only the daemon's group (postfix, added to it) can reach, not a TCP port every local
 * account can. */
#define CONF_DEFAULT_SOCKET "unix:/run/p11dkim/p11dkim.sock"

static const char *const conf_top_known[] = {
    "socket",       "socket_umask",     "user",  "group", "pid_file", "log", "syslog_facility",
    "metrics_file", "metrics_interval", "keytool_record", "token", "tokens", "sign", "domains",
    NULL,
};

static const struct {
	const char *name;
	int value;
} conf_facilities[] = {
    {"mail", LOG_MAIL},     {"daemon", LOG_DAEMON},     {"user", LOG_USER},
    {"auth", LOG_AUTH},     {"authpriv", LOG_AUTHPRIV}, {"local0", LOG_LOCAL0},
    {"local1", LOG_LOCAL1}, {"local2", LOG_LOCAL2},     {"local3", LOG_LOCAL3},
    {"local4", LOG_LOCAL4}, {"local5", LOG_LOCAL5},     {"local6", LOG_LOCAL6},
    {"local7", LOG_LOCAL7},
};

/* Octal digits, at most 4 of them after leading zeros are dropped: 0..0777. */
static bool
conf_umask_digits(const char *s, unsigned *out)
{
	unsigned v = 0;
	size_t n = 0;

	if (*s == '\0')
		return false;
	for (; *s != '\0'; s++, n++) {
		if (*s < '0' || *s > '7' || n >= 8)
			return false;
		v = v * 8 + (unsigned)(*s - '0');
	}
	if (v > 0777)
		return false;
	*out = v;
	return true;
}

static void
conf_top_umask(struct conf_ctx *ctx, const config_setting_t *root, struct conf *conf)
{
	config_setting_t *s = config_setting_get_member(root, "socket_umask");
	char digits[32];
	long long v;
	bool ok;

	if (s == NULL)
		return;
	switch (config_setting_type(s)) {
	case CONFIG_TYPE_STRING:
		ok = conf_umask_digits(config_setting_get_string(s), &conf->socket_umask);
		break;
	case CONFIG_TYPE_INT:
	case CONFIG_TYPE_INT64:
		v = config_setting_get_int64(s);
		if (!conf_literal_matches(ctx, s, v)) {
			ok = false;
			break;
		}
		if (config_setting_get_format(s) == CONFIG_FORMAT_HEX) {
			ok = v >= 0 && v <= 0777;
			if (ok)
				conf->socket_umask = (unsigned)v;
			break;
		}
		/* libconfig read 0077 as decimal 77: take its digits as octal. */
		snprintf(digits, sizeof(digits), "%lld", v);
		ok = conf_umask_digits(digits, &conf->socket_umask);
		break;
	default:
		conf_err(ctx, s, "socket_umask",
		         "must be a string of octal digits like \"0007\", not %s",
		         conf_type_name(config_setting_type(s)));
		return;
	}
	if (!ok)
		conf_err(ctx, s, "socket_umask",
		         "must be octal digits 0000..0777, written as a string like \"0007\"");
}

static void
conf_top_path(struct conf_ctx *ctx, const config_setting_t *root, const char *name, char **out)
{
	const char *why;

	if (conf_get_string(ctx, root, "", name, false, out) != 1)
		return;
	why = conf_check_abs_path(*out);
	if (why != NULL)
		conf_err(ctx, config_setting_get_member(root, name), name, "'%s' %s", *out, why);
}

/* Names for getpwnam/getgrnam: whether they exist is the daemon's question. */
static void
conf_top_account(struct conf_ctx *ctx, const config_setting_t *root, const char *name, char **out)
{
	if (conf_get_string(ctx, root, "", name, false, out) != 1)
		return;
	if (strpbrk(*out, " \t/:") != NULL || (*out)[0] == '-')
		conf_err(ctx, config_setting_get_member(root, name), name,
		         "'%s' is not a user or group name", *out);
}

static void
conf_top_log(struct conf_ctx *ctx, const config_setting_t *root, struct conf *conf)
{
	size_t i;
	char *v = NULL;

	if (conf_get_string(ctx, root, "", "log", false, &v) == 1) {
		if (strcmp(v, "syslog") != 0 && strcmp(v, "stderr") != 0)
			conf_err(ctx, config_setting_get_member(root, "log"), "log",
			         "unknown value '%s' (use \"syslog\" or \"stderr\")", v);
		free(conf->log);
		conf->log = v;
	}
	v = NULL;
	if (conf_get_string(ctx, root, "", "syslog_facility", false, &v) != 1)
		return;
	free(conf->syslog_facility);
	conf->syslog_facility = v;
	for (i = 0; i < sizeof(conf_facilities) / sizeof(conf_facilities[0]); i++) {
		if (strcmp(v, conf_facilities[i].name) == 0) {
			conf->syslog_facility_value = conf_facilities[i].value;
			return;
		}
	}
	conf_err(ctx, config_setting_get_member(root, "syslog_facility"), "syslog_facility",
	         "unknown facility '%s' (use mail, daemon, user, auth, authpriv or local0..local7)",
	         v);
}

void
conf_top_load(struct conf_ctx *ctx, const config_setting_t *root, struct conf *conf)
{
	long long v;
	char *sock = NULL;
	int r;

	conf->socket_umask = 0007;
	conf->log = conf_strdup(ctx, "syslog");
	conf->syslog_facility = conf_strdup(ctx, "mail");
	conf->syslog_facility_value = LOG_MAIL;
	conf->metrics_interval = 10;

	conf_check_members(ctx, root, "", conf_top_known);
	r = conf_get_string(ctx, root, "", "socket", false, &sock);
	if (r == 1) {
		conf->socket = sock;
		conf_socket_parse(ctx, config_setting_get_member(root, "socket"), "socket", conf);
	} else if (r == 0) {
		conf->socket = conf_strdup(ctx, CONF_DEFAULT_SOCKET);
		if (conf->socket != NULL)
			conf_socket_parse(ctx, NULL, "socket", conf);
	}
	conf_top_umask(ctx, root, conf);
	conf_top_account(ctx, root, "user", &conf->user);
	conf_top_account(ctx, root, "group", &conf->group);
	conf_top_path(ctx, root, "pid_file", &conf->pid_file);
	conf_top_log(ctx, root, conf);
	conf_top_path(ctx, root, "metrics_file", &conf->metrics_file);
	conf_top_path(ctx, root, "keytool_record", &conf->keytool_record);
	if (conf_get_int(ctx, root, "", "metrics_interval", 1, 3600, &v) == 1)
		conf->metrics_interval = (unsigned)v;
}
