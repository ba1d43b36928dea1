/* URL policies of the gate's two fetches (issue 10, "Bad input and safety").
 *   UPnP description: http://ADDR[:PORT]/PATH where ADDR is the address the SSDP datagram came
 *     from (IPv4 dotted quad, or [IPv6] without zone), so a device can only make the gate
 *     fetch from itself. No host names (they could resolve anywhere), no userinfo.
 *   MUD file: https://HOST[:PORT]/PATH where HOST is a DNS name (RFC 8520 section 3: the file
 *     is authenticated by the name's certificate); IP literals and "localhost" are refused so
 *     a device cannot point the gate at the LAN or the gateway itself. No userinfo.
 * Both: at most GATE_URL_MAX bytes, only the printable characters RFC 3986 allows (no space,
 * no backslash, no control byte), and %-escapes well formed. */
#include <arpa/inet.h>
#include <string.h>
#include <strings.h>

#include "parse.h"

/* RFC 3986 characters of a URL: unreserved, sub-delims, gen-delims and "%". */
static bool url_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c && strchr("-._~!$&'()*+,;=:@/?#%[]", c) != NULL);
}

static bool is_hex(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

struct url_parts {
	char host[256]; /* without brackets */
	bool bracketed;
	unsigned port; /* 0 = none */
};

/* Splits scheme://authority[/...]; checks characters, escapes, userinfo and port. */
static int url_split(const char *url, const char *scheme, struct url_parts *u, const char *what,
		     char *err, size_t errlen)
{
	if (!url)
		return gate_err(err, errlen, "%s URL: missing", what);
	size_t n = strnlen(url, GATE_URL_MAX + 1);
	if (n > GATE_URL_MAX)
		return gate_err(err, errlen, "%s URL: longer than %d bytes", what, GATE_URL_MAX);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)url[i];
		if (!url_char(c))
			return gate_err(err, errlen, "%s URL: byte 0x%02x at %zu not allowed", what,
					c, i);
		if (c == '%' && (i + 2 >= n || !is_hex((unsigned char)url[i + 1]) ||
				 !is_hex((unsigned char)url[i + 2])))
			return gate_err(err, errlen, "%s URL: bad %%-escape at %zu", what, i);
	}
	size_t sl = strlen(scheme);
	if (n < sl + 3 || strncasecmp(url, scheme, sl) || strncmp(url + sl, "://", 3))
		return gate_err(err, errlen, "%s URL: scheme is not %s", what, scheme);
	const char *a = url + sl + 3;
	size_t an = strcspn(a, "/?#");
	if (memchr(a, '@', an))
		return gate_err(err, errlen, "%s URL: userinfo not allowed", what);
	if (memchr(a, '%', an))
		return gate_err(err, errlen, "%s URL: escapes in the host not allowed", what);
	const char *h = a, *port = NULL;
	size_t hn;
	u->bracketed = a[0] == '[';
	if (u->bracketed) {
		const char *close = memchr(a, ']', an);
		if (!close)
			return gate_err(err, errlen, "%s URL: unclosed [", what);
		h = a + 1;
		hn = (size_t)(close - h);
		if (close + 1 < a + an) {
			if (close[1] != ':')
				return gate_err(err, errlen, "%s URL: junk after ]", what);
			port = close + 2;
		}
	} else {
		const char *colon = memchr(a, ':', an);
		hn = colon ? (size_t)(colon - a) : an;
		port = colon ? colon + 1 : NULL;
	}
	if (hn == 0 || hn >= sizeof(u->host))
		return gate_err(err, errlen, "%s URL: no host", what);
	memcpy(u->host, h, hn);
	u->host[hn] = '\0';
	u->port = 0;
	if (port) {
		const char *pe = a + an;
		if (port == pe || pe - port > 5)
			return gate_err(err, errlen, "%s URL: bad port", what);
		unsigned v = 0;
		for (const char *q = port; q < pe; q++) {
			if (*q < '0' || *q > '9')
				return gate_err(err, errlen, "%s URL: bad port", what);
			v = v * 10 + (unsigned)(*q - '0');
		}
		if (v == 0 || v > 65535)
			return gate_err(err, errlen, "%s URL: port out of range", what);
		u->port = v;
	}
	return 0;
}

int gate_url_check_upnp(const char *url, const struct gate_addr *from, char *err, size_t errlen)
{
	struct url_parts u;
	if (url_split(url, "http", &u, "UPnP", err, errlen) < 0)
		return -1;
	if (!from || (from->family != 4 && from->family != 6))
		return gate_err(err, errlen, "UPnP URL: sender address unknown");
	uint8_t a[16];
	if (from->family == 4) {
		if (u.bracketed || inet_pton(AF_INET, u.host, a) != 1)
			return gate_err(err, errlen, "UPnP URL: host is not an IPv4 address");
		if (memcmp(a, from->a, 4))
			return gate_err(err, errlen, "UPnP URL: host is not the sender's address");
	} else {
		if (!u.bracketed || inet_pton(AF_INET6, u.host, a) != 1)
			return gate_err(err, errlen, "UPnP URL: host is not an [IPv6] address");
		if (memcmp(a, from->a, 16))
			return gate_err(err, errlen, "UPnP URL: host is not the sender's address");
	}
	return 0;
}

int gate_url_check_mud(const char *url, char *err, size_t errlen)
{
	struct url_parts u;
	if (url_split(url, "https", &u, "MUD", err, errlen) < 0)
		return -1;
	if (u.bracketed)
		return gate_err(err, errlen, "MUD URL: IP address instead of a host name");
	bool alpha = false, dot = false;
	for (const char *c = u.host; *c; c++) {
		if ((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z'))
			alpha = true;
		else if (*c == '.')
			dot = true;
		else if (!(*c >= '0' && *c <= '9') && *c != '-')
			return gate_err(err, errlen, "MUD URL: host is not a DNS name");
	}
	/* a name of digits and dots is an IPv4 literal (or an inet_aton form of one) */
	const char *last = strrchr(u.host, '.');
	bool tld_alpha = last && last[1] && strspn(last + 1, "0123456789") != strlen(last + 1);
	if (!alpha || !dot || !tld_alpha || u.host[0] == '.' || u.host[0] == '-')
		return gate_err(err, errlen, "MUD URL: host is not a public DNS name");
	if (!strcasecmp(u.host, "localhost") || strcasestr(u.host, ".localhost") ||
	    (strlen(u.host) >= 6 && !strcasecmp(u.host + strlen(u.host) - 6, ".local")))
		return gate_err(err, errlen, "MUD URL: local host name refused");
	return 0;
}

int gate_url_check_link(const char *url, char *err, size_t errlen)
{
	struct url_parts u;
	const char *scheme = strncasecmp(url, "https:", 6) == 0 ? "https" : "http";
	if (url_split(url, scheme, &u, "link", err, errlen) < 0)
		return -1;
	uint8_t a[16];
	if (u.bracketed)
		return inet_pton(AF_INET6, u.host, a) == 1
			   ? 0
			   : gate_err(err, errlen, "link URL: bad [IPv6] address");
	if (u.host[0] == '.' || u.host[0] == '-' ||
	    strspn(u.host, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-") !=
		strlen(u.host))
		return gate_err(err, errlen, "link URL: host is not a DNS name or address");
	return 0;
}
