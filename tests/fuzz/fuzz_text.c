/* Fuzz rc_text_safe. Input: one flags byte (bit 0 ONELINE, bit 1 JSON), one cap byte, then the
 * text. For every flag set it checks that the output is bounded and NUL-terminated, is strict
 * UTF-8 holding none of the characters the function escapes (no C0 but the TAB and LF that the
 * flags keep, no DEL, nothing rc_text_cp_escaped), that a JSON body has only valid escapes and
 * no bare quote, that a shorter cap gives a prefix, and that text mode is idempotent. Any
 * violation aborts. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "recall/text.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define IN_MAX 4096

static void check(int ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "fuzz_text: %s violated\n", what);
		abort();
	}
}

/* Independent strict UTF-8 decoder (bit arithmetic, not the range table of lib/text.c). */
static size_t decode(const unsigned char *s, size_t n, uint32_t *cp)
{
	static const uint32_t min[] = {0, 0, 0x80, 0x800, 0x10000};
	size_t len = s[0] < 0x80         ? 1
		     : (s[0] >> 5) == 6  ? 2
		     : (s[0] >> 4) == 14 ? 3
		     : (s[0] >> 3) == 30 ? 4
					 : 0;
	if (!len || len > n)
		return 0;
	*cp = len == 1 ? s[0] : s[0] & (0x7fu >> len);
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		*cp = (*cp << 6) | (s[i] & 0x3fu);
	}
	if (*cp < min[len] || *cp > 0x10ffff || (*cp >= 0xd800 && *cp <= 0xdfff))
		return 0;
	return len;
}

static void properties(const char *out, size_t len, unsigned flags)
{
	const unsigned char *s = (const unsigned char *)out;
	int json = (flags & RC_TEXT_JSON) != 0, oneline = json || (flags & RC_TEXT_ONELINE);
	check(strlen(out) == len, "no NUL inside, return value is the length");
	for (size_t i = 0; i < len;) {
		uint32_t cp;
		size_t l = decode(s + i, len - i, &cp);
		check(l > 0, "output is valid UTF-8");
		check(cp >= 0x20 || (!oneline && (cp == '\t' || cp == '\n')), "no C0 control");
		check(cp != 0x7f, "no DEL");
		check(!rc_text_cp_escaped(cp), "no escaped code point");
		if (json && cp == '"')
			check(0, "no bare quote in JSON");
		if (json && cp == '\\') {
			check(i + 1 < len && strchr("\"\\u", out[i + 1]) != NULL, "JSON escape");
			if (out[i + 1] == 'u') {
				check(i + 6 <= len, "JSON \\u escape complete");
				for (size_t k = 2; k < 6; k++)
					check(strchr("0123456789abcdef", out[i + k]) != NULL,
					      "JSON \\u hex digits");
				l = 6;
			} else {
				l = 2;
			}
		}
		i += l;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char out[RC_TEXT_SAFE_CAP(IN_MAX)], again[RC_TEXT_SAFE_CAP(IN_MAX)];
	static char small[257];
	if (size < 2 || size - 2 > IN_MAX)
		return 0;
	unsigned flags = data[0] & 3u;
	size_t cap = data[1];
	const char *in = (const char *)data + 2;
	size_t n = size - 2;

	size_t len = rc_text_safe(out, sizeof(out), in, n, flags);
	check(len < sizeof(out), "bounded by cap");
	properties(out, len, flags);
	/* Whole input converted: the worst case fits RC_TEXT_SAFE_CAP. */
	size_t more = rc_text_safe(again, sizeof(again), in, n, flags);
	check(more == len && !memcmp(again, out, len), "deterministic");

	memset(small, 'X', sizeof(small));
	size_t sl = rc_text_safe(small, cap, in, n, flags);
	if (cap == 0) {
		check(sl == 0 && small[0] == 'X', "cap 0 writes nothing");
	} else {
		check(sl < cap && small[sl] == 0, "bounded, NUL-terminated");
		check(small[cap] == 'X', "nothing past cap");
		check(sl <= len && !memcmp(small, out, sl), "a shorter cap gives a prefix");
		properties(small, sl, flags);
	}
	if (!(flags & RC_TEXT_JSON)) {
		size_t l2 = rc_text_safe(again, sizeof(again), out, len, flags);
		check(l2 == len && !memcmp(again, out, len), "text mode is idempotent");
	}
	return 0;
}
