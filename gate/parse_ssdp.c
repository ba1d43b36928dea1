/* SSDP (UPnP Device Architecture 2.0, section 1): NOTIFY announcements and the replies to the
 * gate's M-SEARCH are an HTTP-like start line and header block in one UDP datagram. This is a
 * line splitter, bounded and strict: CRLF or LF line ends, "Name: value" lines with a token
 * name, no NUL, no folded lines, no header twice that we use. Only LOCATION (the description
 * URL) is taken; SERVER names the UPnP stack, not the device, and is left. */
#include <string.h>
#include <strings.h>

#include "parse.h"

/* RFC 9110 token characters. */
static bool is_tchar(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

enum ssdp_kind { SSDP_NOTIFY, SSDP_REPLY, SSDP_SEARCH };

static int start_line(const char *l, size_t n, enum ssdp_kind *k)
{
	static const struct {
		const char *s;
		enum ssdp_kind k;
	} lines[] = {{"NOTIFY * HTTP/1.1", SSDP_NOTIFY},
		     {"HTTP/1.1 200 OK", SSDP_REPLY},
		     {"M-SEARCH * HTTP/1.1", SSDP_SEARCH}};
	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		size_t m = strlen(lines[i].s);
		if (n == m && !strncasecmp(l, lines[i].s, m)) {
			*k = lines[i].k;
			return 0;
		}
	}
	return -1;
}

static int ssdp_parse(const uint8_t *buf, size_t len, struct gate_obs *o, char *err, size_t errlen)
{
	gate_obs_init(o);
	if (!buf || !len)
		return gate_err(err, errlen, "SSDP: empty datagram");
	if (len > GATE_SSDP_MAX)
		return gate_err(err, errlen, "SSDP: %zu bytes, more than %d", len, GATE_SSDP_MAX);
	if (memchr(buf, 0, len))
		return gate_err(err, errlen, "SSDP: NUL byte at offset %zu",
				(size_t)((const uint8_t *)memchr(buf, 0, len) - buf));
	const char *p = (const char *)buf, *end = p + len;
	enum ssdp_kind kind = SSDP_NOTIFY;
	bool have_loc = false, done = false;
	for (unsigned line = 0; p < end; line++) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl)
			return gate_err(err, errlen, "SSDP line %u: no line end", line + 1);
		size_t n = (size_t)(nl - p);
		if (n && p[n - 1] == '\r')
			n--;
		if (n > GATE_SSDP_LINE_MAX)
			return gate_err(err, errlen, "SSDP line %u: %zu bytes, more than %d",
					line + 1, n, GATE_SSDP_LINE_MAX);
		if (line > GATE_SSDP_LINES)
			return gate_err(err, errlen, "SSDP: more than %d header lines",
					GATE_SSDP_LINES);
		const char *l = p;
		p = nl + 1;
		if (line == 0) {
			if (start_line(l, n, &kind) < 0)
				return gate_err(err, errlen,
						"SSDP line 1: not a NOTIFY, M-SEARCH "
						"or HTTP/1.1 200 start line");
			continue;
		}
		if (n == 0) {
			done = true; /* a body, if any, is not ours to read */
			break;
		}
		if (memchr(l, '\r', n))
			return gate_err(err, errlen, "SSDP line %u: bare CR", line + 1);
		if (l[0] == ' ' || l[0] == '\t')
			return gate_err(err, errlen, "SSDP line %u: folded header line", line + 1);
		const char *colon = memchr(l, ':', n);
		if (!colon || colon == l)
			return gate_err(err, errlen, "SSDP line %u: not \"Name: value\"", line + 1);
		size_t nn = (size_t)(colon - l);
		for (size_t i = 0; i < nn; i++)
			if (!is_tchar((unsigned char)l[i]))
				return gate_err(err, errlen, "SSDP line %u: bad header name",
						line + 1);
		const char *v = colon + 1;
		size_t vn = n - nn - 1;
		if (nn == 8 && !strncasecmp(l, "LOCATION", 8) && kind != SSDP_SEARCH) {
			if (have_loc)
				return gate_err(err, errlen, "SSDP line %u: second LOCATION",
						line + 1);
			have_loc = true;
			while (vn && (*v == ' ' || *v == '\t')) {
				v++;
				vn--;
			}
			if (vn > GATE_URL_MAX)
				return gate_err(err, errlen,
						"SSDP line %u: LOCATION longer than %d", line + 1,
						GATE_URL_MAX);
			if (gate_obs_set(o, GF_UPNP_URL, GS_SSDP, v, vn, "SSDP LOCATION", err,
					 errlen) < 0)
				return -1;
		}
	}
	if (!done)
		return gate_err(err, errlen, "SSDP: header block not ended by an empty line");
	return 0;
}

int gate_ssdp_parse(const uint8_t *buf, size_t len, struct gate_obs *o, char *err, size_t errlen)
{
	if (ssdp_parse(buf, len, o, err, errlen) == 0)
		return 0;
	gate_obs_init(o); /* nothing from a refused datagram */
	return -1;
}
