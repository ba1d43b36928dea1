/* Fuzz rc_version_cmp. Input: one scheme byte (value mod 4: 0 generic, 1 dpkg, 2 rpm, 3 an
 * unknown scheme), then version a, a NUL byte, version b and optionally another NUL byte and a
 * third version c. Checks that the result is -1, 0 or 1, cmp(x, x) == 0, cmp(a, b) ==
 * -cmp(b, a), that a <= b <= c implies a <= c (with equality exactly when both steps are equal),
 * and the documented per-scheme rules that can be stated on one string (see edits()). Any
 * violation aborts. */
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

/* Invariants of single edits of a, each a rule of docs/PROTOCOL.md "Version ordering". */
static void edits(enum rc_vscheme s, const uint8_t *a, size_t an)
{
	uint8_t e[1030];
	if (an > 1024 || s >= RC_VS__COUNT)
		return;
	/* A '~' appended sorts before the end of the string, in every scheme. */
	memcpy(e, a, an);
	e[an] = '~';
	check(cmp(s, e, an + 1, a, an) == -1, "appended '~' sorts first", s);
	if (s == RC_VS_GENERIC || s == RC_VS_RPM) {
		/* Separators only separate: a trailing one changes nothing. */
		e[an] = '.';
		check(cmp(s, e, an + 1, a, an) == 0, "trailing separator ignored", s);
	}
	if (s == RC_VS_GENERIC) {
		/* Letters compare without case; "v" before a leading digit is dropped. */
		for (size_t i = 0; i < an; i++)
			e[i] = (a[i] >= 'a' && a[i] <= 'z') ? (uint8_t)(a[i] - 32) : a[i];
		check(cmp(s, a, an, e, an) == 0, "generic case-insensitivity", s);
		if (an > 0 && a[0] >= '0' && a[0] <= '9') {
			e[0] = 'v';
			memcpy(e + 1, a, an);
			check(cmp(s, e, an + 1, a, an) == 0, "generic v prefix", s);
		}
	}
	if (s == RC_VS_DPKG) {
		/* A missing epoch is epoch 0 (when a has no epoch of its own). */
		size_t d = 0;
		while (d < an && a[d] >= '0' && a[d] <= '9')
			d++;
		if (!(d > 0 && d < an && a[d] == ':')) {
			memcpy(e, "0:", 2);
			memcpy(e + 2, a, an);
			check(cmp(s, e, an + 2, a, an) == 0, "dpkg epoch 0", s);
		}
	}
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
	edits(s, a, an);
	edits(s, b, bn);
	return 0;
}
