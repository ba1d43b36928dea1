/* Logging for the daemons and tools: syslog or stderr, printf-style, with rate limiting for
 * messages that network input can trigger. OpenBSD-style names. Each message is formatted (at
 * most 2047 bytes) and escaped by rc_text_safe onto one line (at most 2559 bytes), so arguments
 * may be untrusted. */
#ifndef RECALL_LOG_H
#define RECALL_LOG_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>

#define RC_PRINTF(f, a) __attribute__((format(printf, f, a)))

/* Start logging as `ident`: to stderr when foreground, else to syslog (facility daemon). */
void log_init(const char *ident, bool foreground, int verbose);
/* Whether stderr is the journald stream systemd gave the service (JOURNAL_STREAM): log_init
 * then prefixes every stderr line with its syslog priority, "<3>" for an error. */
bool log_stderr_is_journal(void);
/* Change the verbosity (0: info and up, 1: debug). */
void log_verbose(int v);
/* Error with strerror(errno) appended. */
void log_warn(const char *fmt, ...) RC_PRINTF(1, 2);
/* Error without errno. */
void log_warnx(const char *fmt, ...) RC_PRINTF(1, 2);
/* Informational. */
void log_info(const char *fmt, ...) RC_PRINTF(1, 2);
/* Debug (only when verbose). */
void log_debug(const char *fmt, ...) RC_PRINTF(1, 2);
/* Owner-facing alert (syslog LOG_ALERT). */
void log_alert(const char *fmt, ...) RC_PRINTF(1, 2);
/* Log with errno and exit(1). */
void fatal(const char *fmt, ...) RC_PRINTF(1, 2) __attribute__((noreturn));
/* Log and exit(1). */
void fatalx(const char *fmt, ...) RC_PRINTF(1, 2) __attribute__((noreturn));

/* Rate limiter for log lines caused by network input: at most `burst` lines, refilled at
 * `per_sec` lines per second. Not thread-safe: one per thread or per poll loop. */
struct log_rate {
	double tokens;
	double per_sec;
	double burst;
	uint64_t last_ms;
	uint64_t suppressed;
};
/* Initialise a limiter. */
void log_rate_init(struct log_rate *r, double per_sec, double burst);
/* Warning through a limiter; a summary of suppressed lines is logged when it lets one through. */
void log_warnx_rl(struct log_rate *r, const char *fmt, ...) RC_PRINTF(2, 3);

#endif
