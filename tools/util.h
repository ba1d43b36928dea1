/* Shared helpers of the recall tool: messages, files, numbers, times, hex, subcommand tables. */
#ifndef RECALL_TOOL_UTIL_H
#define RECALL_TOOL_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "log.h"

/* Exit codes of every subcommand (recall(1), EXIT STATUS). */
#define EXIT_OK       0
#define EXIT_FAIL     1 /* bad input, failed verification, I/O error */
#define EXIT_USAGE    2 /* bad command line */
#define EXIT_RECALLED 3 /* feed lookup and query: a recall notice covers the identity */

/* "recall: " + message + newline on stderr; the whole message goes through rc_text_safe
 * (one line), so arguments may be untrusted. */
void warnx_(const char *fmt, ...) RC_PRINTF(1, 2);

/* Untrusted text (a field of a downloaded record, a notice's words) for one line of output:
 * rc_text_safe(RC_TEXT_ONELINE) of s (cut at a character boundary beyond 3 KiB escaped),
 * in one of 8 rotating static buffers so that one printf may show several. NULL for NULL. */
const char *tsafe(const char *s);
/* tsafe() of n bytes at s (a view: need not be NUL-terminated). */
const char *tsafen(const char *s, size_t n);

/* Usage text on stderr and EXIT_USAGE. */
int usage_fail(const char *usage, const char *fmt, ...) RC_PRINTF(2, 3);

/* The last branch of every option loop, for an option c that the loop does not handle itself:
 * for 'h' (-h, --help) usage on stdout and EXIT_OK, for anything else usage on stderr and
 * EXIT_USAGE. */
int usage_opt(int c, const char *usage);

/* A subcommand: name, handler (argv[0] is the subcommand name), one-line summary. */
struct subcmd {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *summary;
};

/* Run argv[1] from table t for command `cmd` (argv[0]); prints the table for help. */
int subcmd_run(const char *cmd, const struct subcmd *t, int argc, char **argv);

/* Open a regular file for reading: the descriptor, or -1 with a message naming the file. */
int file_open(const char *path, struct stat *st);

/* Whole file into a malloc'd buffer (NUL-terminated, at most max bytes); NULL with a message
 * naming the file on error. */
uint8_t *file_read(const char *path, size_t *len, size_t max);

/* A read-only mapping of a whole file. */
struct mapped {
	uint8_t *p;
	size_t len;
};
int file_map(const char *path, struct mapped *m);
void file_unmap(struct mapped *m);

/* Write a file atomically (temporary file, fsync, rename) with mode; with excl refuses to
 * replace an existing file. Prints a message naming the file on error. */
int file_write(const char *path, const void *p, size_t n, mode_t mode, bool excl);

/* Set fd's mode (whatever the umask), write all n bytes of p, fsync and close fd (closed on
 * error too). -1 with errno on error; the caller words the message. */
int fd_write_all(int fd, const void *p, size_t n, mode_t mode);

/* Numbers: decimal only, whole string, no sign. */
int parse_u64(const char *s, uint64_t *v);

/* Times: POSIX seconds, "YYYY-MM-DD" (midnight UTC) or RFC 3339 "YYYY-MM-DDTHH:MM:SS" with
 * "Z" or "+HH:MM"/"-HH:MM". */
int parse_time(const char *s, uint64_t *t);
/* RFC 3339 UTC ("2024-05-01T00:00:00Z"), POSIX seconds after the year 9999. */
const char *fmt_time(char out[static 32], uint64_t t);

/* Durations as in configuration files: numbers with units ms, s, m, h, d or w, summed
 * ("30d", "1h30m"); a bare number is seconds. parse_duration wants whole seconds. */
int parse_duration(const char *s, uint64_t *secs);
/* The same in milliseconds, except that a bare number is milliseconds (query --timeout). */
int parse_duration_ms(const char *s, uint64_t *ms);

/* What to give, for messages about a value that does not parse. */
#define TIME_FORMS     "not a time: give YYYY-MM-DD, YYYY-MM-DDTHH:MM:SSZ or POSIX seconds"
#define DURATION_FORMS "not a duration: give a number and a unit (s, m, h, d or w: 30d, 1h30m)"
#define NUMBER_FORMS   "not a number: give decimal digits"

/* The long name of the option that getopt_long returns as c ("valid" for -d). */
struct option;
const char *opt_long(const struct option *o, int c);
/* Short letters mean one thing in every program (OPTION LETTERS in recall(1)). A long option
 * whose old short letter c meant something else returns OPT_L(c); opt_retired maps c to it when
 * c is in `retired` (the letter still works, for old scripts, with a warning naming the long
 * option). Any other c is returned unchanged. */
#define OPT_L(c) (0x100 | (c))
int opt_retired(int c, const char *retired, const struct option *o);
/* "recall: CMD: --NAME 'ARG': WANT" and the usage on stderr; EXIT_USAGE. */
int bad_value(const char *usage, const char *cmd, const struct option *o, int c, const char *arg,
	      const char *want);

/* Lowercase hex of n bytes into out (2n+1 bytes). */
const char *hex(char *out, const uint8_t *p, size_t n);
/* Exactly n bytes from 2n hex digits; -1 on anything else. */
int unhex(uint8_t *out, size_t n, const char *s);

/* The n-byte (at most 8) little-endian unsigned integer at p. */
uint64_t get_le(const uint8_t *p, size_t n);

/* Current time (POSIX seconds). */
uint64_t now_s(void);

/* Milliseconds of a monotonic clock (for the tool's own timing reports). */
double mono_ms(void);

#endif
