/*
 * log.h: the daemon's log, to syslog (facility from the configuration) or to stderr.
 *
 * Contract
 * - One line per call. The text is formatted first, then every byte outside printable ASCII
 *   (and the backslash) is written as \xNN, so untrusted text (header values, macros, addresses)
 *   can never forge a line or inject control characters. Lines are cut at LOG_LINE_MAX bytes.
 * - Levels: log_err (something failed and an operator should act), log_warn (degraded or
 *   suspicious but running), log_info (one line per message and per state change), log_debug
 *   (only with -v). Errors, warnings and debug lines carry the calling function's name.
 * - The PIN is never passed to these functions (pkcs11/ never puts it in error text).
 * - Thread-safe: each line is one write(2) to stderr or one syslog(3) call. log_open and
 *   log_set_verbose are called by the main thread before other threads exist or while they only
 *   read the settings (the switch is a plain store of an int).
 */
#ifndef P11DKIM_DAEMON_LOG_H
#define P11DKIM_DAEMON_LOG_H

#include <stdbool.h>
#include <syslog.h>

#define LOG_LINE_MAX 2048

/* to_syslog false = stderr. facility is LOG_MAIL etc. */
void log_open(bool to_syslog, int facility);
void log_close(void);
void log_set_verbose(bool);
bool log_verbose(void);

void log_msg(int level, const char *func, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#define log_err(...) log_msg(LOG_ERR, __func__, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_WARNING, __func__, __VA_ARGS__)
#define log_info(...) log_msg(LOG_INFO, NULL, __VA_ARGS__)
#define log_debug(...)                                                                             \
	do {                                                                                       \
		if (log_verbose())                                                                 \
			log_msg(LOG_DEBUG, __func__, __VA_ARGS__);                                 \
	} while (0)

/* Copies at most outlen - 1 bytes of printable text made from in (escaping as above) into out,
 * always NUL-terminated; returns out. For callers that build text around untrusted parts. */
char *log_printable(const char *in, char *out, size_t outlen);

#endif
