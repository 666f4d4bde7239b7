/* log.c: see log.h. */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "daemon/log.h"

static int log_to_syslog;
static int log_is_verbose;

void
log_open(bool to_syslog, int facility)
{
	if (to_syslog) {
		openlog("p11dkim", LOG_PID | LOG_NDELAY, facility);
		log_to_syslog = 1;
	} else {
		if (log_to_syslog)
			closelog();
		log_to_syslog = 0;
	}
}

void
log_close(void)
{
	if (log_to_syslog)
		closelog();
	log_to_syslog = 0;
}

void
log_set_verbose(bool v)
{
	log_is_verbose = v;
}

bool
log_verbose(void)
{
	return log_is_verbose != 0;
}

char *
log_printable(const char *in, char *out, size_t outlen)
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0;

	if (outlen == 0)
		return out;
	for (; in != NULL && *in != '\0'; in++) {
		unsigned char c = (unsigned char)*in;

		if (c >= 0x20 && c < 0x7f && c != '\\') {
			if (o + 1 >= outlen)
				break;
			out[o++] = (char)c;
		} else {
			if (o + 4 >= outlen)
				break;
			out[o++] = '\\';
			out[o++] = 'x';
			out[o++] = hex[c >> 4];
			out[o++] = hex[c & 15];
		}
	}
	out[o] = '\0';
	return out;
}

static const char *
log_level_name(int level)
{
	switch (level) {
	case LOG_ERR:
		return "error";
	case LOG_WARNING:
		return "warning";
	case LOG_DEBUG:
		return "debug";
	default:
		return "info";
	}
}

void
log_msg(int level, const char *func, const char *fmt, ...)
{
	char raw[LOG_LINE_MAX], clean[LOG_LINE_MAX], line[LOG_LINE_MAX + 128];
	int saved = errno;
	va_list ap;
	int n;

	va_start(ap, fmt);
	vsnprintf(raw, sizeof(raw), fmt, ap);
	va_end(ap);
	log_printable(raw, clean, sizeof(clean));

	if (log_to_syslog) {
		if (func != NULL)
			syslog(level, "%s: %s: %s", log_level_name(level), func, clean);
		else
			syslog(level, "%s", clean);
	} else {
		if (func != NULL)
			n = snprintf(line, sizeof(line), "p11dkim[%ld]: %s: %s: %s\n",
			             (long)getpid(), log_level_name(level), func, clean);
		else
			n = snprintf(line, sizeof(line), "p11dkim[%ld]: %s\n", (long)getpid(),
			             clean);
		if (n > 0) {
			size_t len = (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1;
			ssize_t w = write(STDERR_FILENO, line, len);

			(void)w; /* nowhere to report a failed log write */
		}
	}
	errno = saved;
}
