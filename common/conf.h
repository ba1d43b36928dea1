/* Declarative configuration files for the daemons: a table of keys (name, type, range, default)
 * describes a C struct; `key = value` lines fill it in. Errors name file:line and the key.
 *
 * Syntax: one `key = value` per line; blank lines and lines starting with '#' are ignored; a
 * '#' after whitespace starts a comment unless the value is double-quoted ("a # b"; inside
 * quotes \" and \\ are the only escapes). A key of a list type may be repeated (each line adds
 * entries; a value may also hold several entries separated by spaces or commas); any other key
 * may appear once. Keys the file does not name keep their default. No heap is used except for
 * strings and lists, which conf_free() releases. */
#ifndef RECALL_CONF_H
#define RECALL_CONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define CONF_LINE_MAX 4096 /* longest line, bytes */
/* Longest string or path value: written back by conf_dump with every byte escaped, it still
 * fits in one line (2 * 2000 + key and quotes < 4096). */
#define CONF_VALUE_MAX 2000
#define CONF_ERR_MAX   512        /* size of an error message buffer that never truncates */
#define CONF_FILE_MAX  (1u << 20) /* largest configuration file, bytes */

enum conf_type {
	CONF_BOOL,        /* bool: yes/no, true/false, on/off, 1/0 */
	CONF_UINT,        /* uint64_t: decimal, min..max */
	CONF_DURATION,    /* uint64_t milliseconds: "30", "30s", "500ms", "1h30m", "2d", "1w";
			   * a bare number is seconds; min..max in milliseconds */
	CONF_STRING,      /* char *: any text up to max bytes (0, or more: CONF_VALUE_MAX) */
	CONF_PATH,        /* char *: an absolute path, or "" when min == 0 (unset) */
	CONF_ENUM,        /* unsigned: one of the names in .names (index stored) */
	CONF_STR_LIST,    /* struct conf_str_list: repeated, at most max entries (0: no limit) */
	CONF_ADDR_LIST,   /* struct conf_addr_list: IPv4/IPv6 addresses, optional port */
	CONF_PREFIX_LIST, /* struct conf_prefix_list: address/length prefixes (bare: host) */
	CONF_CUSTOM,      /* the key's own parser (repeatable if .max != 1) */
};

/* An address with an optional port: "192.0.2.1", "192.0.2.1:7412", "2001:db8::1",
 * "[2001:db8::1]:7412". */
struct conf_addr {
	int family; /* AF_INET or AF_INET6 */
	uint8_t addr[16];
	uint16_t port; /* 0 when the text named none */
};

/* A prefix: "192.0.2.0/24", "2001:db8::/32"; host bits must be zero. */
struct conf_prefix {
	int family;
	uint8_t addr[16];
	uint8_t plen;
};

struct conf_str_list {
	size_t n;
	char **v;
	unsigned *line; /* line of each entry (0: default) */
};
struct conf_addr_list {
	size_t n;
	struct conf_addr *v;
};
struct conf_prefix_list {
	size_t n;
	struct conf_prefix *v;
};

/* Parser of a CONF_CUSTOM key: parse value into field (obj + off); on error write a reason
 * (no file/line: the caller adds it) into err and return -1. Called once per line, so a
 * repeatable key accumulates. free releases whatever parse kept (may be NULL). */
typedef int (*conf_parse_fn)(void *field, const char *value, char *err, size_t cap);
typedef void (*conf_free_fn)(void *field);

struct conf_key {
	const char *name;
	enum conf_type type;
	size_t off;      /* offsetof() the field in the described struct */
	uint64_t min;    /* UINT/DURATION: lowest value; PATH: 1 = required non-empty */
	uint64_t max;    /* UINT/DURATION: highest; STRING: length; lists: entries (0: any) */
	const char *def; /* default as text, parsed like a line of the file; NULL: zero/empty */
	const char *const *names; /* CONF_ENUM: NULL-terminated names */
	conf_parse_fn parse;      /* CONF_CUSTOM */
	conf_free_fn free;        /* CONF_CUSTOM */
};

/* Terminates a key table. */
#define CONF_END                                                                                   \
	{                                                                                          \
		NULL, CONF_BOOL, 0, 0, 0, NULL, NULL, NULL, NULL                                   \
	}

/* Apply every default of tab to obj (obj must be zeroed). Returns 0, or -1 with err set when a
 * default does not parse (a programming error). */
int conf_defaults(const struct conf_key *tab, void *obj, char *err, size_t cap);

/* Defaults, then the lines of buf (len bytes, need not be NUL-terminated); `name` is used in
 * error messages. Returns 0, or -1 with "name:line: key: reason" in err. On error obj still
 * holds a consistent (freeable) state. */
int conf_parse_buf(const struct conf_key *tab, void *obj, const char *name, const char *buf,
		   size_t len, char *err, size_t cap);

/* conf_parse_buf() on a whole file (at most 1 MiB). */
int conf_parse_file(const struct conf_key *tab, void *obj, const char *path, char *err, size_t cap);

/* Release the strings and lists of obj and zero those fields. */
void conf_free(const struct conf_key *tab, void *obj);

/* Write the effective configuration as `key = value` lines (lists: one line per entry;
 * CONF_CUSTOM keys are listed as comments). */
void conf_dump(const struct conf_key *tab, const void *obj, FILE *f);

/* Parsers of single values, also for programs' own options. 0 on success, -1 and a reason. */
int conf_parse_bool(const char *s, bool *out, char *err, size_t cap);
int conf_parse_uint(const char *s, uint64_t min, uint64_t max, uint64_t *out, char *err,
		    size_t cap);
int conf_parse_duration(const char *s, uint64_t min, uint64_t max, uint64_t *ms, char *err,
			size_t cap);
int conf_parse_addr(const char *s, struct conf_addr *a, char *err, size_t cap);
int conf_parse_prefix(const char *s, struct conf_prefix *p, char *err, size_t cap);

/* Write a reason into err (cap bytes; nothing if err is NULL): what every parser above uses. */
void conf_err(char *err, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* True if addr (4 or 16 bytes of the given family) lies in prefix p. */
bool conf_prefix_match(const struct conf_prefix *p, int family, const uint8_t *addr);

/* Text of an address ("192.0.2.1:7412", "[2001:db8::1]:7412"; no port when 0) or a prefix. */
void conf_addr_format(const struct conf_addr *a, char *out, size_t cap);
void conf_prefix_format(const struct conf_prefix *p, char *out, size_t cap);

/* Text of a duration in milliseconds ("1h30m", "500ms", "0s"). */
void conf_duration_format(uint64_t ms, char *out, size_t cap);

#endif
