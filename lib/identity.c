/* Device identity: name canonicalisation (docs/PROTOCOL.md, "Identity canonicalisation") and
 * field validity checks. No heap, no locale: every rule is plain ASCII. */
#include <string.h>

#include "recall/error.h"
#include "recall/identity.h"

static const char hexdig[] = "0123456789abcdef";

/* ASCII whitespace as trimmed at both ends of a name: SP HT LF VT FF CR. */
static bool is_ws(unsigned char c)
{
	return c == ' ' || (c >= '\t' && c <= '\r');
}

/* Bytes a canonical name keeps as they are: [a-z0-9._+-]. */
static bool is_kept(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
	       c == '+' || c == '-';
}

static int hexval(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1; /* uppercase hex digits are not canonical */
}

struct rc_str rc_str_c(const char *s)
{
	struct rc_str v = {s, s ? strlen(s) : 0};
	return v;
}

bool rc_str_eq(struct rc_str a, struct rc_str b)
{
	if (a.n != b.n)
		return false;
	return a.n == 0 || memcmp(a.p, b.p, a.n) == 0;
}

int rc_name_canon(char *out, size_t cap, const char *in, size_t n)
{
	if (!out || !cap || (!in && n))
		return -RC_ERR_INVALID;
	const unsigned char *s = (const unsigned char *)in;
	size_t lo = 0, hi = n;
	while (lo < hi && is_ws(s[lo]))
		lo++;
	while (hi > lo && is_ws(s[hi - 1]))
		hi--;
	size_t len = 0;
	for (size_t i = lo; i < hi; i++) {
		unsigned char c = s[i];
		if (c >= 'A' && c <= 'Z')
			c = (unsigned char)(c - 'A' + 'a');
		size_t need = is_kept(c) ? 1 : 3;
		if (len + need > RC_NAME_MAX) {
			out[0] = '\0';
			return -RC_ERR_TOOLONG;
		}
		if (len + need >= cap) {
			out[0] = '\0';
			return -RC_ERR_BUFFER;
		}
		if (need == 1) {
			out[len++] = (char)c;
		} else {
			out[len++] = '%';
			out[len++] = hexdig[c >> 4];
			out[len++] = hexdig[c & 0xf];
		}
	}
	out[len] = '\0';
	return (int)len;
}

/* A canonical name is exactly what rc_name_canon can produce: kept bytes, and %xx escapes (two
 * lowercase hex digits) of bytes that are neither kept nor A-Z, and no escaped whitespace at
 * either end (trimming removed it). */
bool rc_name_valid(struct rc_str s, size_t max, bool allow_empty)
{
	if (s.n > max || (s.n == 0 && !allow_empty) || (!s.p && s.n))
		return false;
	const unsigned char *p = (const unsigned char *)s.p;
	for (size_t i = 0; i < s.n; i++) {
		if (is_kept(p[i]))
			continue;
		if (p[i] != '%' || s.n - i < 3)
			return false;
		int h = hexval(p[i + 1]), l = hexval(p[i + 2]);
		if (h < 0 || l < 0)
			return false;
		unsigned char c = (unsigned char)(h << 4 | l);
		if (is_kept(c) || (c >= 'A' && c <= 'Z'))
			return false;
		if (is_ws(c) && (i == 0 || i + 3 == s.n))
			return false;
		i += 2;
	}
	return true;
}

bool rc_fwver_valid(struct rc_str s)
{
	if (s.n == 0 || s.n > RC_FWVER_MAX || !s.p)
		return false;
	const unsigned char *p = (const unsigned char *)s.p;
	if (p[0] == ' ' || p[s.n - 1] == ' ')
		return false;
	for (size_t i = 0; i < s.n; i++)
		if (p[i] < 0x20 || p[i] > 0x7e)
			return false;
	return true;
}

static int name_check(struct rc_str s, size_t max, bool allow_empty)
{
	if (s.n > max)
		return RC_ERR_TOOLONG;
	return rc_name_valid(s, max, allow_empty) ? RC_OK : RC_ERR_SYNTAX;
}

int rc_identity_check(const struct rc_identity *id)
{
	if (!id)
		return RC_ERR_SYNTAX;
	int e = name_check(id->vendor, RC_NAME_MAX, false);
	if (!e)
		e = name_check(id->model, RC_NAME_MAX, false);
	if (!e)
		e = name_check(id->hwrev, RC_HWREV_MAX, true);
	if (!e && id->fwver.n > RC_FWVER_MAX)
		e = RC_ERR_TOOLONG;
	if (!e && !rc_fwver_valid(id->fwver))
		e = RC_ERR_SYNTAX;
	return e;
}
