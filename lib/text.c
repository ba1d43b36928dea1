/* The sanitiser for untrusted text on terminals and in logs (include/recall/text.h). Pure
 * function of its input: no locale, no heap, no OS calls. */
#include <string.h>

#include "recall/text.h"

static const char hexdig[] = "0123456789abcdef";

bool rc_text_cp_escaped(uint32_t cp)
{
	return (cp >= 0x80 && cp <= 0x9f) ||     /* C1 controls */
	       cp == 0x061c ||                   /* ARABIC LETTER MARK */
	       cp == 0x180e ||                   /* MONGOLIAN VOWEL SEPARATOR */
	       cp == 0x200b ||                   /* ZERO WIDTH SPACE */
	       cp == 0x200e || cp == 0x200f ||   /* LRM, RLM */
	       (cp >= 0x2028 && cp <= 0x202e) || /* separators, embeddings, overrides */
	       (cp >= 0x2060 && cp <= 0x206f) || /* invisible operators, isolates, deprecated */
	       cp == 0xfeff ||                   /* ZERO WIDTH NO-BREAK SPACE (BOM) */
	       (cp >= 0xfff9 && cp <= 0xfffb) || /* interlinear annotation */
	       (cp >= 0xe0000 && cp <= 0xe007f); /* tags: invisible ASCII look-alikes */
}

/* Length of the valid UTF-8 sequence at s (n > 0 bytes) with its code point in *cp, or 0 if
 * s[0] does not start one (RFC 3629 table: the second byte's range excludes overlong forms,
 * surrogates and code points above U+10FFFF). */
static size_t utf8_seq(const unsigned char *s, size_t n, uint32_t *cp)
{
	unsigned char c = s[0], lo = 0x80, hi = 0xbf;
	size_t len;
	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c >= 0xc2 && c <= 0xdf) {
		len = 2;
		*cp = c & 0x1fu;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		*cp = c & 0x0fu;
		lo = c == 0xe0 ? 0xa0 : 0x80;
		hi = c == 0xed ? 0x9f : 0xbf;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		*cp = c & 0x07u;
		lo = c == 0xf0 ? 0x90 : 0x80;
		hi = c == 0xf4 ? 0x8f : 0xbf;
	} else {
		return 0;
	}
	if (n < len || s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		*cp = (*cp << 6) | (s[i] & 0x3fu);
	}
	return len;
}

/* "\" + tag + `digits` lowercase hex digits of v into e; returns the length. */
static size_t esc(char *e, char tag, uint32_t v, int digits)
{
	size_t k = 0;
	e[k++] = '\\';
	e[k++] = tag;
	for (int i = digits - 1; i >= 0; i--)
		e[k++] = hexdig[(v >> (4 * i)) & 0xf];
	return k;
}

/* The escape for one code point in a JSON string: \uXXXX, or a UTF-16 surrogate pair. */
static size_t esc_json(char *e, uint32_t cp)
{
	if (cp < 0x10000)
		return esc(e, 'u', cp, 4);
	cp -= 0x10000;
	size_t k = esc(e, 'u', 0xd800 | (cp >> 10), 4);
	return k + esc(e + k, 'u', 0xdc00 | (cp & 0x3ff), 4);
}

size_t rc_text_safe(char *out, size_t cap, const char *in, size_t n, unsigned flags)
{
	const unsigned char *s = (const unsigned char *)in;
	bool json = flags & RC_TEXT_JSON, oneline = json || (flags & RC_TEXT_ONELINE);
	size_t used = 0;
	if (!out || cap == 0)
		return 0;
	if (!in)
		n = 0;
	for (size_t i = 0; i < n;) {
		char e[16]; /* the longest unit: a surrogate pair, 12 bytes */
		const char *put = e;
		uint32_t cp;
		size_t len = utf8_seq(s + i, n - i, &cp), el;
		if (len == 0) { /* not UTF-8: show the byte */
			el = json ? esc_json(e, 0xfffd) : esc(e, 'x', s[i], 2);
			len = 1;
		} else if (cp < 0x20 || cp == 0x7f) {
			bool keep = !oneline && (cp == '\t' || cp == '\n');
			el = keep   ? (e[0] = (char)cp, 1)
			     : json ? esc_json(e, cp)
				    : esc(e, 'x', cp, 2);
		} else if (json && (cp == '"' || cp == '\\')) {
			e[0] = '\\';
			e[1] = (char)cp;
			el = 2;
		} else if (rc_text_cp_escaped(cp)) {
			el = json           ? esc_json(e, cp)
			     : cp < 0x10000 ? esc(e, 'u', cp, 4)
					    : esc(e, 'U', cp, 8);
		} else { /* printable ASCII or an allowed character: as it is */
			put = in + i;
			el = len;
		}
		if (el >= cap - used)
			break; /* the unit does not fit whole (room for the NUL kept) */
		memcpy(out + used, put, el);
		used += el;
		i += len;
	}
	out[used] = 0;
	return used;
}
