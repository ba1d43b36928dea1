/* Declarative configuration file parser (see conf.h for the syntax): the table-driven part.
 * The parsers of single values are in conf_value.c. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf.h"

void conf_err(char *err, size_t cap, const char *fmt, ...)
{
	if (!err || !cap)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, cap, fmt, ap);
	va_end(ap);
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t';
}

static void *field(void *obj, const struct conf_key *k)
{
	return (char *)obj + k->off;
}

static const void *cfield(const void *obj, const struct conf_key *k)
{
	return (const char *)obj + k->off;
}

static bool is_list(const struct conf_key *k)
{
	return k->type == CONF_STR_LIST || k->type == CONF_ADDR_LIST ||
	       k->type == CONF_PREFIX_LIST || (k->type == CONF_CUSTOM && k->max != 1);
}

static void free_field(const struct conf_key *k, void *obj)
{
	void *f = field(obj, k);
	switch (k->type) {
	case CONF_STRING:
	case CONF_PATH:
		free(*(char **)f);
		*(char **)f = NULL;
		break;
	case CONF_STR_LIST: {
		struct conf_str_list *l = f;
		for (size_t i = 0; i < l->n; i++)
			free(l->v[i]);
		free(l->v);
		free(l->line);
		memset(l, 0, sizeof(*l));
		break;
	}
	case CONF_ADDR_LIST: {
		struct conf_addr_list *l = f;
		free(l->v);
		memset(l, 0, sizeof(*l));
		break;
	}
	case CONF_PREFIX_LIST: {
		struct conf_prefix_list *l = f;
		free(l->v);
		memset(l, 0, sizeof(*l));
		break;
	}
	case CONF_CUSTOM:
		if (k->free)
			k->free(f);
		break;
	default:
		break;
	}
}

void conf_free(const struct conf_key *tab, void *obj)
{
	for (const struct conf_key *k = tab; k->name; k++)
		free_field(k, obj);
}

static bool text_ok(const char *v, char *err, size_t cap)
{
	for (const unsigned char *p = (const unsigned char *)v; *p; p++) {
		if ((*p < 0x20 && *p != '\t') || *p == 0x7f) {
			conf_err(err, cap, "control character 0x%02x in value", *p);
			return false;
		}
	}
	return true;
}

static int set_string(char **dst, const char *v, char *err, size_t cap)
{
	char *s = strdup(v);
	if (!s) {
		conf_err(err, cap, "out of memory");
		return -1;
	}
	free(*dst);
	*dst = s;
	return 0;
}

/* Grow a list's array(s) by one entry. */
static int grow(void **v, size_t n, size_t size, char *err, size_t cap)
{
	void *nv = realloc(*v, (n + 1) * size);
	if (!nv) {
		conf_err(err, cap, "out of memory");
		return -1;
	}
	*v = nv;
	return 0;
}

static int list_full(const struct conf_key *k, size_t n, char *err, size_t cap)
{
	if (k->max && n >= k->max) {
		conf_err(err, cap, "more than %llu entries", (unsigned long long)k->max);
		return -1;
	}
	return 0;
}

/* One entry of an address or prefix list. */
static int add_entry(const struct conf_key *k, void *f, const char *item, char *err, size_t cap)
{
	if (k->type == CONF_ADDR_LIST) {
		struct conf_addr_list *l = f;
		struct conf_addr a;
		if (list_full(k, l->n, err, cap) < 0 || conf_parse_addr(item, &a, err, cap) < 0 ||
		    grow((void **)&l->v, l->n, sizeof(a), err, cap) < 0)
			return -1;
		l->v[l->n++] = a;
	} else {
		struct conf_prefix_list *l = f;
		struct conf_prefix p;
		if (list_full(k, l->n, err, cap) < 0 || conf_parse_prefix(item, &p, err, cap) < 0 ||
		    grow((void **)&l->v, l->n, sizeof(p), err, cap) < 0)
			return -1;
		l->v[l->n++] = p;
	}
	return 0;
}

/* Set one key from its value text; `line` is 0 for defaults. */
static int set_value(const struct conf_key *k, void *obj, const char *v, unsigned line, char *err,
		     size_t cap)
{
	void *f = field(obj, k);
	if (!text_ok(v, err, cap))
		return -1;
	switch (k->type) {
	case CONF_BOOL:
		return conf_parse_bool(v, f, err, cap);
	case CONF_UINT:
		return conf_parse_uint(v, k->min, k->max, f, err, cap);
	case CONF_DURATION:
		return conf_parse_duration(v, k->min, k->max, f, err, cap);
	case CONF_STRING: {
		size_t max = k->max && k->max < CONF_VALUE_MAX ? k->max : CONF_VALUE_MAX;
		if (strlen(v) > max) {
			conf_err(err, cap, "longer than %zu bytes", max);
			return -1;
		}
		return set_string(f, v, err, cap);
	}
	case CONF_PATH:
		if (v[0] && v[0] != '/') {
			conf_err(err, cap, "'%s' is not an absolute path", v);
			return -1;
		}
		if (strlen(v) > CONF_VALUE_MAX) {
			conf_err(err, cap, "path longer than %d bytes", CONF_VALUE_MAX);
			return -1;
		}
		return set_string(f, v, err, cap);
	case CONF_ENUM:
		for (unsigned i = 0; k->names && k->names[i]; i++) {
			if (!strcmp(v, k->names[i])) {
				*(unsigned *)f = i;
				return 0;
			}
		}
		{
			char list[256] = "";
			size_t used = 0;
			for (unsigned i = 0; k->names && k->names[i] && used < sizeof(list); i++) {
				int n = snprintf(list + used, sizeof(list) - used, "%s%s",
						 i ? ", " : "", k->names[i]);
				if (n > 0)
					used += (size_t)n;
			}
			conf_err(err, cap, "'%s' is not one of: %s", v, list);
		}
		return -1;
	case CONF_STR_LIST: {
		struct conf_str_list *l = f;
		if (!v[0])
			return 0;
		if (list_full(k, l->n, err, cap) < 0 ||
		    grow((void **)&l->v, l->n, sizeof(char *), err, cap) < 0 ||
		    grow((void **)&l->line, l->n, sizeof(unsigned), err, cap) < 0)
			return -1;
		if (strlen(v) > CONF_VALUE_MAX) {
			conf_err(err, cap, "longer than %d bytes", CONF_VALUE_MAX);
			return -1;
		}
		l->v[l->n] = NULL;
		if (set_string(&l->v[l->n], v, err, cap) < 0)
			return -1;
		l->line[l->n++] = line;
		return 0;
	}
	case CONF_ADDR_LIST:
	case CONF_PREFIX_LIST: {
		char item[CONF_LINE_MAX];
		const char *p = v;
		while (*p) {
			while (*p == ' ' || *p == '\t' || *p == ',')
				p++;
			size_t n = strcspn(p, " \t,");
			if (!n)
				break;
			memcpy(item, p, n);
			item[n] = '\0';
			if (add_entry(k, f, item, err, cap) < 0)
				return -1;
			p += n;
		}
		return 0;
	}
	case CONF_CUSTOM:
		return k->parse(f, v, err, cap);
	}
	conf_err(err, cap, "bad key type");
	return -1;
}

int conf_defaults(const struct conf_key *tab, void *obj, char *err, size_t cap)
{
	for (const struct conf_key *k = tab; k->name; k++) {
		if (!k->def && (k->type == CONF_STRING || k->type == CONF_PATH))
			continue;
		char e[CONF_ERR_MAX];
		if (set_value(k, obj, k->def ? k->def : "", 0, e, sizeof(e)) < 0 &&
		    (k->def || !(k->type == CONF_CUSTOM || is_list(k)))) {
			conf_err(err, cap, "default of %s: %s", k->name, e);
			return -1;
		}
	}
	return 0;
}

/* Split one line into key and value (both NUL-terminated in place). 1: key/value, 0: blank or
 * comment, -1: syntax error (reason in err). */
static int split_line(char *s, char **key, char **val, char *err, size_t cap)
{
	while (is_space(*s))
		s++;
	if (*s == '\0' || *s == '#')
		return 0;
	*key = s;
	while ((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
	       *s == '_' || *s == '-' || *s == '.')
		s++;
	char *kend = s;
	while (is_space(*s))
		s++;
	if (kend == *key || *s != '=') {
		conf_err(err, cap, "expected 'key = value'");
		return -1;
	}
	*kend = '\0';
	s++;
	while (is_space(*s))
		s++;
	*val = s;
	if (*s == '"') {
		char *w = s;
		s++;
		for (;;) {
			if (*s == '\0') {
				conf_err(err, cap, "%s: unterminated quoted value", *key);
				return -1;
			}
			if (*s == '"')
				break;
			if (*s == '\\' && (s[1] == '"' || s[1] == '\\'))
				s++;
			else if (*s == '\\') {
				conf_err(err, cap, "%s: only \\\" and \\\\ may be escaped", *key);
				return -1;
			}
			*w++ = *s++;
		}
		*w = '\0';
		s++;
		while (is_space(*s))
			s++;
		if (*s != '\0' && *s != '#') {
			conf_err(err, cap, "%s: text after the closing quote", *key);
			return -1;
		}
		return 1;
	}
	char *end = s;
	for (char *p = s; *p; p++) {
		if (*p == '#' && (p == s || is_space(p[-1])))
			break;
		end = p + 1;
	}
	while (end > s && is_space(end[-1]))
		end--;
	*end = '\0';
	return 1;
}

int conf_parse_buf(const struct conf_key *tab, void *obj, const char *name, const char *buf,
		   size_t len, char *err, size_t cap)
{
	size_t nkeys = 0;
	while (tab[nkeys].name)
		nkeys++;
	if (conf_defaults(tab, obj, err, cap) < 0)
		return -1;
	unsigned *seen = calloc(nkeys + 1, sizeof(unsigned));
	if (!seen) {
		conf_err(err, cap, "%s: out of memory", name);
		return -1;
	}
	char *line = malloc(CONF_LINE_MAX + 1);
	/* a UTF-8 byte order mark, as some editors write, is not part of the first key */
	size_t pos = len >= 3 && !memcmp(buf, "\xef\xbb\xbf", 3) ? 3 : 0;
	unsigned lineno = 0;
	int rc = -1;
	char e[CONF_ERR_MAX];
	if (!line) {
		conf_err(err, cap, "%s: out of memory", name);
		goto out;
	}
	while (pos < len) {
		size_t n = 0;
		lineno++;
		while (pos + n < len && buf[pos + n] != '\n')
			n++;
		const char *start = buf + pos;
		pos += n + 1;
		if (memchr(start, '\0', n)) {
			conf_err(err, cap, "%s:%u: NUL byte in line", name, lineno);
			goto out;
		}
		if (n && start[n - 1] == '\r') /* CRLF line ends */
			n--;
		if (n > CONF_LINE_MAX) {
			conf_err(err, cap, "%s:%u: line longer than %u bytes", name, lineno,
				 CONF_LINE_MAX);
			goto out;
		}
		memcpy(line, start, n);
		line[n] = '\0';
		char *key, *val;
		int r = split_line(line, &key, &val, e, sizeof(e));
		if (r < 0) {
			conf_err(err, cap, "%s:%u: %s", name, lineno, e);
			goto out;
		}
		if (r == 0)
			continue;
		size_t i;
		for (i = 0; i < nkeys && strcmp(tab[i].name, key); i++)
			;
		if (i == nkeys) {
			conf_err(err, cap, "%s:%u: unknown key '%s'", name, lineno, key);
			goto out;
		}
		const struct conf_key *k = &tab[i];
		if (seen[i] && !is_list(k)) {
			conf_err(err, cap, "%s:%u: %s: set twice (first at line %u)", name, lineno,
				 key, seen[i]);
			goto out;
		}
		if (!val[0] && !is_list(k) && k->type != CONF_STRING && k->type != CONF_PATH) {
			conf_err(err, cap, "%s:%u: %s: missing value", name, lineno, key);
			goto out;
		}
		if (!seen[i] && is_list(k))
			free_field(k, obj); /* the file's entries replace the default */
		seen[i] = lineno;
		if (set_value(k, obj, val, lineno, e, sizeof(e)) < 0) {
			conf_err(err, cap, "%s:%u: %s: %s", name, lineno, key, e);
			goto out;
		}
	}
	for (size_t i = 0; i < nkeys; i++) {
		const struct conf_key *k = &tab[i];
		char *const *s = cfield(obj, k);
		if (k->type == CONF_PATH && k->min && (!*s || !**s)) {
			conf_err(err, cap, "%s: %s: required but not set", name, k->name);
			goto out;
		}
	}
	rc = 0;
out:
	free(line);
	free(seen);
	return rc;
}

int conf_parse_file(const struct conf_key *tab, void *obj, const char *path, char *err, size_t cap)
{
	/* O_NONBLOCK: a FIFO at the path is refused below (not a regular file) instead of
	 * blocking the caller until something writes to it */
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		conf_err(err, cap, "%s: %s", path, strerror(errno));
		conf_defaults(tab, obj, NULL, 0);
		return -1;
	}
	struct stat st;
	char *buf = NULL;
	size_t len = 0;
	if (fstat(fd, &st) < 0) {
		conf_err(err, cap, "%s: %s", path, strerror(errno));
		goto fail;
	}
	if (!S_ISREG(st.st_mode) || st.st_size < 0 || (uintmax_t)st.st_size > CONF_FILE_MAX) {
		conf_err(err, cap, "%s: %s", path,
			 S_ISREG(st.st_mode) ? "larger than 1 MiB" : "not a regular file");
		goto fail;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (!buf) {
		conf_err(err, cap, "%s: out of memory", path);
		goto fail;
	}
	while (len < (size_t)st.st_size) {
		ssize_t r = read(fd, buf + len, (size_t)st.st_size - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			conf_err(err, cap, "%s: %s", path, strerror(errno));
			goto fail;
		}
		if (r == 0)
			break;
		len += (size_t)r;
	}
	close(fd);
	int rc = conf_parse_buf(tab, obj, path, buf, len, err, cap);
	free(buf);
	return rc;
fail:
	free(buf);
	close(fd);
	conf_defaults(tab, obj, NULL, 0);
	return -1;
}

unsigned conf_key_line(const char *buf, size_t len, const char *key)
{
	size_t kn = strlen(key), pos = 0;
	unsigned lineno = 0, found = 0;
	while (pos < len) {
		size_t n = 0;
		lineno++;
		while (pos + n < len && buf[pos + n] != '\n')
			n++;
		const char *p = buf + pos, *end = p + n;
		pos += n + 1;
		if (lineno == 1 && n >= 3 && !memcmp(p, "\xef\xbb\xbf", 3))
			p += 3;
		while (p < end && is_space(*p))
			p++;
		if ((size_t)(end - p) < kn || memcmp(p, key, kn))
			continue;
		for (p += kn; p < end && is_space(*p); p++)
			;
		if (p < end && *p == '=')
			found = lineno;
	}
	return found;
}

unsigned conf_key_line_file(const char *path, const char *key)
{
	FILE *f = fopen(path, "re");
	if (!f)
		return 0;
	char *buf = malloc(CONF_FILE_MAX);
	size_t n = buf ? fread(buf, 1, CONF_FILE_MAX, f) : 0;
	fclose(f);
	unsigned line = buf ? conf_key_line(buf, n, key) : 0;
	free(buf);
	return line;
}

/* A string value as it must be written to parse back to itself. */
static void dump_str(FILE *f, const char *name, const char *v)
{
	size_t n = strlen(v);
	bool quote = !n || is_space(v[0]) || is_space(v[n - 1]) || strpbrk(v, "#\"\\");
	if (!quote) {
		fprintf(f, "%s = %s\n", name, v);
		return;
	}
	fprintf(f, "%s = \"", name);
	for (const char *p = v; *p; p++) {
		if (*p == '"' || *p == '\\')
			fputc('\\', f);
		fputc(*p, f);
	}
	fputs("\"\n", f);
}

void conf_dump(const struct conf_key *tab, const void *obj, FILE *f)
{
	char txt[128];
	for (const struct conf_key *k = tab; k->name; k++) {
		const void *v = cfield(obj, k);
		switch (k->type) {
		case CONF_BOOL:
			fprintf(f, "%s = %s\n", k->name, *(const bool *)v ? "yes" : "no");
			break;
		case CONF_UINT:
			fprintf(f, "%s = %llu\n", k->name,
				(unsigned long long)*(const uint64_t *)v);
			break;
		case CONF_DURATION:
			conf_duration_format(*(const uint64_t *)v, txt, sizeof(txt));
			fprintf(f, "%s = %s\n", k->name, txt);
			break;
		case CONF_STRING:
		case CONF_PATH: {
			const char *s = *(char *const *)v;
			dump_str(f, k->name, s ? s : "");
			break;
		}
		case CONF_ENUM:
			fprintf(f, "%s = %s\n", k->name, k->names[*(const unsigned *)v]);
			break;
		case CONF_STR_LIST: {
			const struct conf_str_list *l = v;
			if (!l->n)
				fprintf(f, "# %s: none\n", k->name);
			for (size_t i = 0; i < l->n; i++)
				dump_str(f, k->name, l->v[i]);
			break;
		}
		case CONF_ADDR_LIST: {
			const struct conf_addr_list *l = v;
			if (!l->n)
				fprintf(f, "# %s: none\n", k->name);
			for (size_t i = 0; i < l->n; i++) {
				conf_addr_format(&l->v[i], txt, sizeof(txt));
				fprintf(f, "%s = %s\n", k->name, txt);
			}
			break;
		}
		case CONF_PREFIX_LIST: {
			const struct conf_prefix_list *l = v;
			if (!l->n)
				fprintf(f, "# %s: none\n", k->name);
			for (size_t i = 0; i < l->n; i++) {
				conf_prefix_format(&l->v[i], txt, sizeof(txt));
				fprintf(f, "%s = %s\n", k->name, txt);
			}
			break;
		}
		case CONF_CUSTOM:
			fprintf(f, "# %s: see the configuration file\n", k->name);
			break;
		}
	}
}
