/* Logging: syslog or stderr. Signal handlers must not call these (they only set flags). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "recall/text.h"

static bool to_stderr = true;
static bool journal; /* stderr is a journald stream: lines carry a "<N>" priority prefix */
static int verbosity;
static const char *log_ident = "recall";

void log_init(const char *ident, bool foreground, int verbose)
{
	log_ident = ident;
	to_stderr = foreground;
	verbosity = verbose;
	journal = foreground && log_stderr_is_journal();
	if (!foreground)
		openlog(ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
	tzset();
}

bool log_stderr_is_journal(void)
{
	/* systemd sets JOURNAL_STREAM to "device:inode" of the stream it connects to stdout and
	 * stderr; it counts only while stderr is still that stream (not redirected since). */
	const char *js = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;
	char end;
	return js && sscanf(js, "%llu:%llu%c", &dev, &ino, &end) == 2 &&
	       fstat(STDERR_FILENO, &st) == 0 && (unsigned long long)st.st_dev == dev &&
	       (unsigned long long)st.st_ino == ino;
}

void log_verbose(int v)
{
	verbosity = v;
}

/* Every line goes through rc_text_safe (one line): arguments may carry notice text, names from
 * a datagram or a file, and none of them may forge a line or reach a terminal as control
 * sequences (journalctl and tail -f show syslog raw). Buffers are sized for the agent's alert
 * with a full notice text; a longer line (mostly escapes) is cut at a character boundary
 * rather than growing the agent's budgeted stack (docs/PERFORMANCE.md). */
static void vlog(int pri, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
static void vlog(int pri, const char *fmt, va_list ap)
{
	char raw[2048], safe[2560];
	int n = vsnprintf(raw, sizeof(raw), fmt, ap);
	size_t len = n < 0 ? 0 : (size_t)n < sizeof(raw) ? (size_t)n : sizeof(raw) - 1;
	rc_text_safe(safe, sizeof(safe), raw, len, RC_TEXT_ONELINE);
	if (to_stderr) {
		/* journald reads "<N>" as the line's priority (sd-daemon(3)), so an error logged
		 * by a service that logs to stderr is still an error in journalctl -p */
		if (journal)
			fprintf(stderr, "<%d>", pri);
		fprintf(stderr, "%s: %s\n", log_ident, safe);
		fflush(stderr);
	} else {
		syslog(pri, "%s", safe);
	}
}

static void logit(int pri, const char *fmt, ...) RC_PRINTF(2, 3);
static void logit(int pri, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vlog(pri, fmt, ap);
	va_end(ap);
}

static void vwarn_errno(int pri, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
static void vwarn_errno(int pri, const char *fmt, va_list ap)
{
	int saved = errno;
	char msg[1024];
	vsnprintf(msg, sizeof(msg), fmt, ap);
	logit(pri, "%s: %s", msg, strerror(saved));
	errno = saved;
}

void log_warn(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vwarn_errno(LOG_ERR, fmt, ap);
	va_end(ap);
}

void log_warnx(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vlog(LOG_ERR, fmt, ap);
	va_end(ap);
}

void log_info(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vlog(LOG_INFO, fmt, ap);
	va_end(ap);
}

void log_debug(const char *fmt, ...)
{
	if (verbosity < 1)
		return;
	va_list ap;
	va_start(ap, fmt);
	vlog(LOG_DEBUG, fmt, ap);
	va_end(ap);
}

void log_alert(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vlog(LOG_ALERT, fmt, ap);
	va_end(ap);
}

void fatal(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vwarn_errno(LOG_CRIT, fmt, ap);
	va_end(ap);
	exit(1);
}

void fatalx(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vlog(LOG_CRIT, fmt, ap);
	va_end(ap);
	exit(1);
}

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

void log_rate_init(struct log_rate *r, double per_sec, double burst)
{
	r->tokens = burst;
	r->per_sec = per_sec;
	r->burst = burst;
	r->last_ms = now_ms();
	r->suppressed = 0;
}

void log_warnx_rl(struct log_rate *r, const char *fmt, ...)
{
	uint64_t t = now_ms();
	r->tokens += (double)(t - r->last_ms) / 1000.0 * r->per_sec;
	if (r->tokens > r->burst)
		r->tokens = r->burst;
	r->last_ms = t;
	if (r->tokens < 1.0) {
		r->suppressed++;
		return;
	}
	r->tokens -= 1.0;
	if (r->suppressed) {
		logit(LOG_WARNING, "%llu similar messages suppressed",
		      (unsigned long long)r->suppressed);
		r->suppressed = 0;
	}
	va_list ap;
	va_start(ap, fmt);
	vlog(LOG_WARNING, fmt, ap);
	va_end(ap);
}
