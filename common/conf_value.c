/* Declarative configuration files: parsers and formatters of single values (conf.h). */
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "conf.h"

int conf_parse_bool(const char *s, bool *out, char *err, size_t cap)
{
	static const char *const yes[] = {"yes", "true", "on", "1"};
	static const char *const no[] = {"no", "false", "off", "0"};
	for (size_t i = 0; i < 4; i++) {
		if (!strcmp(s, yes[i])) {
			*out = true;
			return 0;
		}
		if (!strcmp(s, no[i])) {
			*out = false;
			return 0;
		}
	}
	conf_err(err, cap, "'%s' is not a boolean (yes/no, true/false, on/off, 1/0)", s);
	return -1;
}

/* Decimal digits at *s into *v; advances *s. -1 on no digits or overflow. */
static int digits(const char **s, uint64_t *v)
{
	const char *p = *s;
	uint64_t x = 0;
	if (*p < '0' || *p > '9')
		return -1;
	while (*p >= '0' && *p <= '9') {
		unsigned d = (unsigned)(*p - '0');
		if (x > (UINT64_MAX - d) / 10)
			return -2;
		x = x * 10 + d;
		p++;
	}
	*s = p;
	*v = x;
	return 0;
}

int conf_parse_uint(const char *s, uint64_t min, uint64_t max, uint64_t *out, char *err, size_t cap)
{
	const char *p = s;
	uint64_t v;
	int r = digits(&p, &v);
	if (r == -2 || (r == 0 && *p == '\0' && (v < min || v > max))) {
		conf_err(err, cap, "%s is out of range %llu..%llu", s, (unsigned long long)min,
			 (unsigned long long)max);
		return -1;
	}
	if (r < 0 || *p != '\0') {
		conf_err(err, cap, "'%s' is not an unsigned decimal number", s);
		return -1;
	}
	*out = v;
	return 0;
}

int conf_parse_duration(const char *s, uint64_t min, uint64_t max, uint64_t *ms, char *err,
			size_t cap)
{
	static const struct {
		const char *name;
		uint64_t ms;
	} units[] = {{"ms", 1},      {"s", 1000},     {"m", 60000},
		     {"h", 3600000}, {"d", 86400000}, {"w", 604800000}};
	const char *p = s;
	uint64_t total = 0;
	bool bare_ok = true;
	if (!*p)
		goto bad;
	while (*p) {
		uint64_t v;
		int r = digits(&p, &v);
		if (r == -2)
			goto range;
		if (r < 0)
			goto bad;
		uint64_t mul = 0;
		if (*p == '\0' && bare_ok) {
			mul = 1000;
		} else {
			for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
				size_t n = strlen(units[i].name);
				/* "m" must not swallow the "m" of "ms" */
				if (!strncmp(p, units[i].name, n) &&
				    !(p[n] >= 'a' && p[n] <= 'z')) {
					mul = units[i].ms;
					p += n;
					break;
				}
			}
			if (!mul)
				goto bad;
		}
		bare_ok = false;
		if (v > UINT64_MAX / mul || total > UINT64_MAX - v * mul)
			goto range;
		total += v * mul;
	}
	if (total < min || total > max)
		goto range;
	*ms = total;
	return 0;
range : {
	char a[32], b[32];
	conf_duration_format(min, a, sizeof(a));
	conf_duration_format(max, b, sizeof(b));
	conf_err(err, cap, "duration %s is out of range %s..%s", s, a, b);
	return -1;
}
bad:
	conf_err(err, cap, "'%s' is not a duration (e.g. 30s, 500ms, 1h30m, 2d, 1w)", s);
	return -1;
}

void conf_duration_format(uint64_t ms, char *out, size_t cap)
{
	static const struct {
		const char *name;
		uint64_t ms;
	} units[] = {{"w", 604800000}, {"d", 86400000}, {"h", 3600000},
		     {"m", 60000},     {"s", 1000},     {"ms", 1}};
	size_t used = 0;
	if (cap)
		out[0] = '\0';
	if (ms == 0) {
		snprintf(out, cap, "0s");
		return;
	}
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]) && ms; i++) {
		uint64_t q = ms / units[i].ms;
		if (!q)
			continue;
		ms -= q * units[i].ms;
		int n = snprintf(out + used, used < cap ? cap - used : 0, "%llu%s",
				 (unsigned long long)q, units[i].name);
		if (n < 0 || (size_t)n >= cap - used)
			return;
		used += (size_t)n;
	}
}

int conf_parse_addr(const char *s, struct conf_addr *a, char *err, size_t cap)
{
	char host[INET6_ADDRSTRLEN + 1];
	const char *port = NULL;
	size_t hlen;
	memset(a, 0, sizeof(*a));
	if (s[0] == '[') {
		const char *e = strchr(s, ']');
		if (!e || (e[1] != '\0' && e[1] != ':'))
			goto bad;
		hlen = (size_t)(e - s - 1);
		s++;
		if (e[1] == ':')
			port = e + 2;
	} else {
		const char *c = strchr(s, ':');
		hlen = strlen(s);
		if (c && !strchr(c + 1, ':')) { /* one colon: IPv4 with a port */
			hlen = (size_t)(c - s);
			port = c + 1;
		}
	}
	if (hlen == 0 || hlen >= sizeof(host))
		goto bad;
	memcpy(host, s, hlen);
	host[hlen] = '\0';
	if (inet_pton(AF_INET, host, a->addr) == 1)
		a->family = AF_INET;
	else if (inet_pton(AF_INET6, host, a->addr) == 1)
		a->family = AF_INET6;
	else
		goto bad;
	if (port) {
		uint64_t v;
		if (conf_parse_uint(port, 1, 65535, &v, NULL, 0) < 0) {
			conf_err(err, cap, "'%s' is not a port (1..65535)", port);
			return -1;
		}
		a->port = (uint16_t)v;
	}
	return 0;
bad:
	conf_err(err, cap, "'%s' is not an IPv4 or IPv6 address (with an optional :port)", s);
	return -1;
}

int conf_parse_prefix(const char *s, struct conf_prefix *p, char *err, size_t cap)
{
	char host[INET6_ADDRSTRLEN + 1];
	const char *slash = strchr(s, '/');
	size_t hlen = slash ? (size_t)(slash - s) : strlen(s);
	memset(p, 0, sizeof(*p));
	if (hlen == 0 || hlen >= sizeof(host))
		goto bad;
	memcpy(host, s, hlen);
	host[hlen] = '\0';
	unsigned maxlen;
	if (inet_pton(AF_INET, host, p->addr) == 1) {
		p->family = AF_INET;
		maxlen = 32;
	} else if (inet_pton(AF_INET6, host, p->addr) == 1) {
		p->family = AF_INET6;
		maxlen = 128;
	} else {
		goto bad;
	}
	uint64_t len = maxlen;
	if (slash && conf_parse_uint(slash + 1, 0, maxlen, &len, NULL, 0) < 0) {
		conf_err(err, cap, "'%s': prefix length must be 0..%u", s, maxlen);
		return -1;
	}
	p->plen = (uint8_t)len;
	for (unsigned bit = p->plen; bit < maxlen; bit++) {
		if (p->addr[bit / 8] & (0x80u >> (bit % 8))) {
			struct conf_prefix fixed = *p;
			for (unsigned b = p->plen; b < maxlen; b++)
				fixed.addr[b / 8] &= (uint8_t) ~(0x80u >> (b % 8));
			char txt[64];
			conf_prefix_format(&fixed, txt, sizeof(txt));
			conf_err(err, cap, "'%s' has host bits set (did you mean %s?)", s, txt);
			return -1;
		}
	}
	return 0;
bad:
	conf_err(err, cap, "'%s' is not an address prefix (e.g. 192.0.2.0/24, 2001:db8::/32)", s);
	return -1;
}

bool conf_prefix_match(const struct conf_prefix *p, int family, const uint8_t *addr)
{
	if (p->family != family)
		return false;
	unsigned full = p->plen / 8, rest = p->plen % 8;
	if (memcmp(p->addr, addr, full))
		return false;
	if (!rest)
		return true;
	uint8_t mask = (uint8_t)(0xff00u >> rest);
	return (p->addr[full] & mask) == (addr[full] & mask);
}

void conf_addr_format(const struct conf_addr *a, char *out, size_t cap)
{
	char h[INET6_ADDRSTRLEN];
	if (!inet_ntop(a->family, a->addr, h, sizeof(h)))
		snprintf(h, sizeof(h), "?");
	if (!a->port)
		snprintf(out, cap, "%s", h);
	else if (a->family == AF_INET6)
		snprintf(out, cap, "[%s]:%u", h, a->port);
	else
		snprintf(out, cap, "%s:%u", h, a->port);
}

void conf_prefix_format(const struct conf_prefix *p, char *out, size_t cap)
{
	char h[INET6_ADDRSTRLEN];
	if (!inet_ntop(p->family, p->addr, h, sizeof(h)))
		snprintf(h, sizeof(h), "?");
	snprintf(out, cap, "%s/%u", h, p->plen);
}
