/* Fuzz rc_version_cmp. Input: one scheme byte (value mod 4: 0 generic, 1 dpkg, 2 rpm, 3 an
 * unknown scheme), then version a, a NUL byte, version b and optionally another NUL byte and a
 * third version c. Checks that the result is -1, 0 or 1, cmp(x, x) == 0, cmp(a, b) ==
 * -cmp(b, a), that a <= b <= c implies a <= c (with equality exactly when both steps are equal),
 * and for generic that ASCII case does not matter. Any violation aborts. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "recall/version.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int ok, const char *what, enum rc_vscheme s)
{
	if (!ok) {
		fprintf(stderr, "fuzz_version: %s violated (scheme %d)\n", what, (int)s);
		abort();
	}
}

static int cmp(enum rc_vscheme s, const uint8_t *a, size_t an, const uint8_t *b, size_t bn)
{
	int r = rc_version_cmp(s, (const char *)a, an, (const char *)b, bn);
	check(r >= -1 && r <= 1, "result in {-1, 0, 1}", s);
	return r;
}

/* Next NUL-terminated piece of [*p, end): the piece's length; *p moves past the NUL. */
static size_t piece(const uint8_t **p, const uint8_t *end, const uint8_t **start)
{
	*start = *p;
	const uint8_t *z = memchr(*p, 0, (size_t)(end - *p));
	size_t n = (size_t)((z ? z : end) - *p);
	*p = z ? z + 1 : end;
	return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	enum rc_vscheme s = (enum rc_vscheme)(data[0] % (RC_VS__COUNT + 1));
	const uint8_t *p = data + 1, *end = data + size, *a, *b, *c;
	int have_c;
	size_t an = piece(&p, end, &a);
	size_t bn = piece(&p, end, &b);
	have_c = p < end;
	size_t cn = piece(&p, end, &c);

	check(cmp(s, a, an, a, an) == 0, "reflexivity", s);
	check(cmp(s, b, bn, b, bn) == 0, "reflexivity", s);
	int ab = cmp(s, a, an, b, bn);
	check(ab == -cmp(s, b, bn, a, an), "antisymmetry", s);
	if (have_c) {
		int bc = cmp(s, b, bn, c, cn), ac = cmp(s, a, an, c, cn);
		if (ab <= 0 && bc <= 0)
			check(ac <= 0 && (ac == 0) == (ab == 0 && bc == 0), "transitivity", s);
		if (ab >= 0 && bc >= 0)
			check(ac >= 0 && (ac == 0) == (ab == 0 && bc == 0), "transitivity", s);
	}
	if (s == RC_VS_GENERIC && an <= 1024) {
		uint8_t up[1024];
		for (size_t i = 0; i < an; i++)
			up[i] = (a[i] >= 'a' && a[i] <= 'z') ? (uint8_t)(a[i] - 32) : a[i];
		check(cmp(s, a, an, up, an) == 0, "generic case-insensitivity", s);
		check(cmp(s, up, an, b, bn) == ab, "generic case-insensitivity", s);
	}
	return 0;
}
