/* Shared helpers of the recall tool. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "conf.h"
#include "recall/text.h"
#include "util.h"

/* Messages often echo what a file or a record said: the whole line goes through the
 * sanitiser, so no argument can colour, move or forge lines on the terminal. */
static void vwarn(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));
static void vwarn(const char *fmt, va_list ap)
{
	char raw[2048], safe[RC_TEXT_SAFE_CAP(sizeof(raw))];
	int n = vsnprintf(raw, sizeof(raw), fmt, ap);
	size_t len = n < 0 ? 0 : (size_t)n < sizeof(raw) ? (size_t)n : sizeof(raw) - 1;
	rc_text_safe(safe, sizeof(safe), raw, len, RC_TEXT_ONELINE);
	fprintf(stderr, "recall: %s\n", safe);
}

const char *tsafen(const char *s, size_t n)
{
	static char ring[8][RC_TEXT_SAFE_CAP(512)];
	static unsigned next;
	char *out = ring[next++ % 8];
	rc_text_safe(out, sizeof(ring[0]), s, n, RC_TEXT_ONELINE);
	return out;
}

const char *tsafe(const char *s)
{
	return s ? tsafen(s, strlen(s)) : NULL;
}

void warnx_(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vwarn(fmt, ap);
	va_end(ap);
}

int usage_fail(const char *usage, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vwarn(fmt, ap);
	va_end(ap);
	fputs(usage, stderr);
	return EXIT_USAGE;
}

int usage_opt(int c, const char *usage)
{
	fputs(usage, c == 'h' ? stdout : stderr);
	return c == 'h' ? EXIT_OK : EXIT_USAGE;
}

static void subcmd_list(FILE *f, const char *cmd, const struct subcmd *t)
{
	fprintf(f, "usage: recall %s COMMAND [OPTIONS] [ARGS]\n\ncommands:\n", cmd);
	for (; t->name; t++)
		fprintf(f, "  %-10s %s\n", t->name, t->summary);
	fprintf(f, "\n'recall %s COMMAND --help' describes one command.\n", cmd);
}

int subcmd_run(const char *cmd, const struct subcmd *t, int argc, char **argv)
{
	if (argc < 2) {
		subcmd_list(stderr, cmd, t);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help")) {
		subcmd_list(stdout, cmd, t);
		return EXIT_OK;
	}
	for (; t->name; t++)
		if (!strcmp(t->name, argv[1]))
			return t->fn(argc - 1, argv + 1);
	warnx_("%s: unknown command '%s' (see 'recall %s --help')", cmd, argv[1], cmd);
	return EXIT_USAGE;
}

int file_open(const char *path, struct stat *st)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		warnx_("%s: %s", path, strerror(errno));
		return -1;
	}
	const char *why = fstat(fd, st) < 0       ? strerror(errno)
			  : S_ISDIR(st->st_mode)  ? "is a directory"
			  : !S_ISREG(st->st_mode) ? "not a regular file"
						  : NULL;
	if (why) {
		warnx_("%s: %s", path, why);
		close(fd);
		return -1;
	}
	return fd;
}

uint8_t *file_read(const char *path, size_t *len, size_t max)
{
	struct stat st;
	int fd = file_open(path, &st);
	if (fd < 0)
		return NULL;
	if ((uint64_t)st.st_size > max) {
		warnx_("%s: %jd bytes, more than the %zu this command reads", path,
		       (intmax_t)st.st_size, max);
		close(fd);
		return NULL;
	}
	size_t cap = (size_t)st.st_size, n = 0;
	uint8_t *buf = malloc(cap + 1);
	if (!buf) {
		warnx_("%s: out of memory", path);
		close(fd);
		return NULL;
	}
	while (n < cap) {
		ssize_t r = read(fd, buf + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			warnx_("%s: read: %s", path, strerror(errno));
			free(buf);
			close(fd);
			return NULL;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	buf[n] = 0;
	*len = n;
	return buf;
}

int file_map(const char *path, struct mapped *m)
{
	m->p = NULL;
	m->len = 0;
	struct stat st;
	int fd = file_open(path, &st);
	if (fd < 0)
		return -1;
	if (st.st_size == 0) {
		close(fd);
		m->p = (uint8_t *)"";
		return 0;
	}
	void *p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (p == MAP_FAILED) {
		warnx_("%s: mmap: %s", path, strerror(errno));
		return -1;
	}
	m->p = p;
	m->len = (size_t)st.st_size;
	return 0;
}

void file_unmap(struct mapped *m)
{
	if (m->p && m->len)
		munmap(m->p, m->len);
	m->p = NULL;
	m->len = 0;
}

int file_write(const char *path, const void *p, size_t n, mode_t mode, bool excl)
{
	if (excl && access(path, F_OK) == 0) {
		warnx_("%s: already exists; not overwriting it", path);
		return -1;
	}
	size_t pl = strlen(path);
	char *tmp = malloc(pl + 16);
	if (!tmp) {
		warnx_("%s: out of memory", path);
		return -1;
	}
	snprintf(tmp, pl + 16, "%s.tmpXXXXXX", path);
	int fd = mkstemp(tmp);
	if (fd < 0) {
		warnx_("%s: cannot create a temporary file next to it: %s", path, strerror(errno));
		free(tmp);
		return -1;
	}
	int err = fd_write_all(fd, p, n, mode);
	/* link() fails if the target appeared meanwhile: excl holds without a race. */
	if (!err)
		err = excl ? link(tmp, path) : rename(tmp, path);
	if (err) {
		warnx_("%s: write: %s", path, strerror(errno));
		unlink(tmp);
		free(tmp);
		return -1;
	}
	if (excl)
		unlink(tmp);
	free(tmp);
	return 0;
}

int fd_write_all(int fd, const void *p, size_t n, mode_t mode)
{
	const uint8_t *b = p;
	size_t done = 0;
	int err = fchmod(fd, mode);
	while (!err && done < n) {
		ssize_t w = write(fd, b + done, n - done);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			err = -1;
		else
			done += (size_t)w;
	}
	if (!err)
		err = fsync(fd);
	if (close(fd) < 0)
		err = -1;
	return err;
}

/* The decimal number at the start of s (no sign, no space); end points after it. */
static int leading_u64(const char *s, char **end, uint64_t *v)
{
	if (!s || *s < '0' || *s > '9')
		return -1;
	errno = 0;
	unsigned long long x = strtoull(s, end, 10);
	if (errno)
		return -1;
	*v = x;
	return 0;
}

int parse_u64(const char *s, uint64_t *v)
{
	char *end;
	uint64_t x;
	if (leading_u64(s, &end, &x) < 0 || *end)
		return -1;
	*v = x;
	return 0;
}

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	unsigned yoe = (unsigned)(y - era * 400);
	unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static bool digits(const char *s, int n, int *out)
{
	int v = 0;
	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return true;
}

int parse_time(const char *s, uint64_t *t)
{
	if (!s)
		return -1;
	if (parse_u64(s, t) == 0)
		return 0;
	int y, mo, d, h = 0, mi = 0, sec = 0;
	size_t n = strlen(s);
	if (n < 10 || !digits(s, 4, &y) || s[4] != '-' || !digits(s + 5, 2, &mo) || s[7] != '-' ||
	    !digits(s + 8, 2, &d))
		return -1;
	static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] ||
	    (mo == 2 && d == 29 && !leap))
		return -1;
	int64_t off = 0;
	if (n > 10) {
		if ((s[10] != 'T' && s[10] != 't') || n < 20 || !digits(s + 11, 2, &h) ||
		    s[13] != ':' || !digits(s + 14, 2, &mi) || s[16] != ':' ||
		    !digits(s + 17, 2, &sec) || h > 23 || mi > 59 || sec > 59)
			return -1;
		const char *z = s + 19;
		if ((z[0] == 'Z' || z[0] == 'z') && !z[1]) {
			off = 0;
		} else if ((z[0] == '+' || z[0] == '-') && strlen(z) == 6 && z[3] == ':') {
			int oh, om;
			if (!digits(z + 1, 2, &oh) || !digits(z + 4, 2, &om) || oh > 23 || om > 59)
				return -1;
			off = (z[0] == '+' ? 1 : -1) * (int64_t)(oh * 3600 + om * 60);
		} else {
			return -1;
		}
	}
	int64_t v =
	    days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 + h * 3600 + mi * 60 + sec - off;
	if (v < 0)
		return -1;
	*t = (uint64_t)v;
	return 0;
}

const char *fmt_time(char out[static 32], uint64_t t)
{
	struct tm tm;
	time_t tt = (time_t)t;
	if (t > (uint64_t)253402300799 || !gmtime_r(&tt, &tm)) { /* after year 9999 */
		snprintf(out, 32, "%" PRIu64, t);
		return out;
	}
	strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
	return out;
}

int parse_duration(const char *s, uint64_t *secs)
{
	/* the syntax of configuration files (common/conf.c), in whole seconds */
	uint64_t ms;
	char err[128];
	if (conf_parse_duration(s, 0, UINT64_MAX, &ms, err, sizeof(err)) < 0 || ms % 1000)
		return -1;
	*secs = ms / 1000;
	return 0;
}

int parse_duration_ms(const char *s, uint64_t *ms)
{
	char err[128];
	if (*s && strspn(s, "0123456789") == strlen(s)) /* a bare number: milliseconds, as before */
		return parse_u64(s, ms);
	return conf_parse_duration(s, 0, UINT64_MAX, ms, err, sizeof(err));
}

const char *opt_long(const struct option *o, int c)
{
	for (; o->name; o++)
		if (o->val == c && strlen(o->name) > 1)
			return o->name;
	return "?";
}

int opt_retired(int c, const char *retired, const struct option *o)
{
	if (c < 0 || c > 0xff || !strchr(retired, c))
		return c;
	const char *name = opt_long(o, OPT_L(c));
	warnx_("-%c is an old spelling of --%s, kept for old scripts: use --%s (OPTION LETTERS in "
	       "recall(1))",
	       c, name, name);
	return OPT_L(c);
}

int bad_value(const char *usage, const char *cmd, const struct option *o, int c, const char *arg,
	      const char *want)
{
	return usage_fail(usage, "%s: --%s '%s': %s", cmd, opt_long(o, c), arg, want);
}

const char *hex(char *out, const uint8_t *p, size_t n)
{
	static const char d[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = d[p[i] >> 4];
		out[2 * i + 1] = d[p[i] & 15];
	}
	out[2 * n] = 0;
	return out;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int unhex(uint8_t *out, size_t n, const char *s)
{
	if (!s || strlen(s) != 2 * n)
		return -1;
	for (size_t i = 0; i < n; i++) {
		int a = hexval(s[2 * i]), b = hexval(s[2 * i + 1]);
		if (a < 0 || b < 0)
			return -1;
		out[i] = (uint8_t)(a << 4 | b);
	}
	return 0;
}

uint64_t get_le(const uint8_t *p, size_t n)
{
	uint64_t v = 0;
	while (n--)
		v = v << 8 | p[n];
	return v;
}

uint64_t now_s(void)
{
	return (uint64_t)time(NULL);
}

double mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}
