/* Version ordering: generic (firmware), dpkg (Debian Policy 5.6.12) and rpm (rpmvercmp).
 *
 * Every scheme is a total preorder on arbitrary byte strings: each string is read as a sequence
 * of tokens and two strings compare lexicographically by token, with a fixed rank between token
 * kinds. Nothing allocates; nothing depends on locale; bytes >= 0x80 and NUL are ordinary bytes.
 * docs/PROTOCOL.md ("Version ordering") is the normative description of all three. */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "recall/version.h"

static int is_digit(uint8_t c)
{
	return c >= '0' && c <= '9';
}

static int is_alpha(uint8_t c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* Separator bytes: no digit, letter or '~' (in rpm '^' is a token too). */
static int gen_sep(uint8_t c)
{
	return !is_digit(c) && !is_alpha(c) && c != '~';
}

static int rpm_sep(uint8_t c)
{
	return gen_sep(c) && c != '^';
}

static uint8_t lower(uint8_t c)
{
	return (c >= 'A' && c <= 'Z') ? (uint8_t)(c - 'A' + 'a') : c;
}

static int sign(int v)
{
	return (v > 0) - (v < 0);
}

/* Compare two runs of decimal digits by value: leading zeros ignored, any length. */
static int num_cmp(const uint8_t *a, size_t an, const uint8_t *b, size_t bn)
{
	while (an > 0 && *a == '0') {
		a++;
		an--;
	}
	while (bn > 0 && *b == '0') {
		b++;
		bn--;
	}
	if (an != bn)
		return an < bn ? -1 : 1;
	return an ? sign(memcmp(a, b, an)) : 0;
}

/* Byte-wise comparison of two runs, optionally ASCII case-folded; a proper prefix sorts first. */
static int run_cmp(const uint8_t *a, size_t an, const uint8_t *b, size_t bn, int fold)
{
	size_t n = an < bn ? an : bn;
	for (size_t i = 0; i < n; i++) {
		uint8_t x = fold ? lower(a[i]) : a[i];
		uint8_t y = fold ? lower(b[i]) : b[i];
		if (x != y)
			return x < y ? -1 : 1;
	}
	return an == bn ? 0 : (an < bn ? -1 : 1);
}

static size_t span(const uint8_t *s, size_t n, size_t i, int (*cls)(uint8_t))
{
	while (i < n && cls(s[i]))
		i++;
	return i;
}

/* Token kinds shared by the generic and rpm schemes. The numeric value of a kind is its rank:
 * at the first differing position, a token of lower rank sorts first. */
enum tok_kind { TK_TILDE = 0, TK_END = 1, TK_CARET = 2, TK_ALPHA = 3, TK_NUM = 4 };

struct tok {
	enum tok_kind kind;
	const uint8_t *p; /* run of ALPHA or NUM */
	size_t n;
};

static int tok_cmp(const struct tok *x, const struct tok *y, int fold)
{
	if (x->kind != y->kind)
		return x->kind < y->kind ? -1 : 1;
	if (x->kind == TK_NUM)
		return num_cmp(x->p, x->n, y->p, y->n);
	if (x->kind == TK_ALPHA)
		return run_cmp(x->p, x->n, y->p, y->n, fold);
	return 0;
}

/* ---- rpm: rpmvercmp ----
 * Tokens: maximal ASCII digit runs (NUM), maximal ASCII letter runs (ALPHA), '~' (TILDE), '^'
 * (CARET); every other byte only separates. Ranks TILDE < END < CARET < ALPHA < NUM; letters
 * compare byte-wise (case-sensitive), digits by value. */
/* A token reader over one version string (prev_tilde and defer: generic only). */
struct tok_it {
	const uint8_t *s;
	size_t n, i;
	int prev_tilde;   /* the previous token read was '~' */
	struct tok defer; /* keyword waiting behind its implied '~' */
	int has_defer;
};

/* Skip separators; true, with an END token in t, at the end of the string. */
static bool skip_seps(struct tok_it *it, struct tok *t, int (*sep)(uint8_t))
{
	while (it->i < it->n && sep(it->s[it->i]))
		it->i++;
	t->p = it->s + it->i;
	t->n = 0;
	t->kind = TK_END;
	return it->i == it->n;
}

/* Compare two strings token by token with the scheme's reader. */
static int seq_cmp(const uint8_t *a, size_t an, const uint8_t *b, size_t bn,
		   void (*next)(struct tok_it *, struct tok *), int fold)
{
	struct tok_it x = {.s = a, .n = an}, y = {.s = b, .n = bn};
	for (;;) {
		struct tok tx, ty;
		next(&x, &tx);
		next(&y, &ty);
		int r = tok_cmp(&tx, &ty, fold);
		if (r || tx.kind == TK_END)
			return r;
	}
}

static void rpm_next(struct tok_it *it, struct tok *t)
{
	if (skip_seps(it, t, rpm_sep))
		return;
	uint8_t c = it->s[it->i];
	if (c == '~' || c == '^') {
		t->kind = c == '~' ? TK_TILDE : TK_CARET;
		it->i++;
		return;
	}
	size_t e = span(it->s, it->n, it->i, is_digit(c) ? is_digit : is_alpha);
	t->kind = is_digit(c) ? TK_NUM : TK_ALPHA;
	t->n = e - it->i;
	it->i = e;
}

/* ---- generic: firmware-oriented ----
 * Tokens as rpm but letters compare case-insensitively and '^' is an ordinary separator. Two
 * rewrites:
 * - a one-letter run "v"/"V" at the start of the string or right after a separator byte,
 *   directly followed by a digit, is dropped ("V5.5.0" == "5.5.0");
 * - a letter run equal to "alpha", "beta", "pre" or "rc" (any case) is preceded by an implied
 *   '~' unless the token before it is already '~' ("1.0rc1" == "1.0~rc1" < "1.0"). */
static int run_is(const uint8_t *p, size_t n, const char *word)
{
	size_t wn = strlen(word);
	return n == wn && run_cmp(p, n, (const uint8_t *)word, wn, 1) == 0;
}

static int gen_prerelease(const uint8_t *p, size_t n)
{
	return run_is(p, n, "alpha") || run_is(p, n, "beta") || run_is(p, n, "pre") ||
	       run_is(p, n, "rc");
}

static void gen_next(struct tok_it *it, struct tok *t)
{
	if (it->has_defer) {
		*t = it->defer;
		it->has_defer = 0;
		return;
	}
	for (;;) {
		if (skip_seps(it, t, gen_sep))
			return;
		size_t i = it->i;
		uint8_t c = it->s[i];
		if (c == '~') {
			it->i++;
			it->prev_tilde = 1;
			t->kind = TK_TILDE;
			return;
		}
		size_t e = span(it->s, it->n, i, is_digit(c) ? is_digit : is_alpha);
		it->i = e;
		if (is_digit(c)) {
			it->prev_tilde = 0;
			t->kind = TK_NUM;
			t->n = e - i;
			return;
		}
		if (e - i == 1 && lower(c) == 'v' && e < it->n && is_digit(it->s[e]) &&
		    (i == 0 || gen_sep(it->s[i - 1])))
			continue; /* "v" prefix of a number: dropped */
		t->kind = TK_ALPHA;
		t->n = e - i;
		if (gen_prerelease(t->p, t->n) && !it->prev_tilde) {
			it->defer = *t;
			it->has_defer = 1;
			t->kind = TK_TILDE;
			t->n = 0;
		}
		it->prev_tilde = 0;
		return;
	}
}

/* ---- dpkg: Debian Policy 5.6.12 ----
 * [epoch:]upstream[-revision]. The epoch is the text before the first ':' when that text is one
 * or more ASCII digits (otherwise the epoch is 0 and the ':' belongs to the upstream part); the
 * revision is the text after the last '-' of the rest (empty, which equals "0", when there is
 * none). Epochs compare by value, then upstream and revision with dpkg_part_cmp. */

/* Weight of a byte in the non-digit phase: '~' first, then the end of the run, then letters,
 * then every other byte, each group by byte value. */
static int dpkg_weight(const uint8_t *s, size_t n, size_t i)
{
	if (i >= n || is_digit(s[i]))
		return 0;
	if (s[i] == '~')
		return -1;
	if (is_alpha(s[i]))
		return s[i];
	return s[i] + 256;
}

static int dpkg_part_cmp(const uint8_t *a, size_t an, const uint8_t *b, size_t bn)
{
	size_t i = 0, j = 0;
	while (i < an || j < bn) {
		/* Non-digit prefixes, byte by byte. */
		while ((i < an && !is_digit(a[i])) || (j < bn && !is_digit(b[j]))) {
			int wa = dpkg_weight(a, an, i), wb = dpkg_weight(b, bn, j);
			if (wa != wb)
				return wa < wb ? -1 : 1;
			i++;
			j++;
		}
		/* Then the digit runs by value (an empty run is 0). */
		size_t ie = span(a, an, i, is_digit), je = span(b, bn, j, is_digit);
		int r = num_cmp(a + i, ie - i, b + j, je - j);
		if (r)
			return r;
		i = ie;
		j = je;
	}
	return 0;
}

struct dpkg_ver {
	const uint8_t *epoch, *up, *rev;
	size_t epoch_n, up_n, rev_n;
};

static void dpkg_split(const uint8_t *s, size_t n, struct dpkg_ver *v)
{
	size_t colon = 0;
	while (colon < n && is_digit(s[colon]))
		colon++;
	if (colon > 0 && colon < n && s[colon] == ':') {
		v->epoch = s;
		v->epoch_n = colon;
		s += colon + 1;
		n -= colon + 1;
	} else {
		v->epoch = s;
		v->epoch_n = 0;
	}
	size_t dash = n;
	while (dash > 0 && s[dash - 1] != '-')
		dash--;
	if (dash > 0) {
		v->up = s;
		v->up_n = dash - 1;
		v->rev = s + dash;
		v->rev_n = n - dash;
	} else {
		v->up = s;
		v->up_n = n;
		v->rev = s + n;
		v->rev_n = 0;
	}
}

static int dpkg_cmp(const uint8_t *a, size_t an, const uint8_t *b, size_t bn)
{
	struct dpkg_ver x, y;
	dpkg_split(a, an, &x);
	dpkg_split(b, bn, &y);
	int r = num_cmp(x.epoch, x.epoch_n, y.epoch, y.epoch_n);
	if (!r)
		r = dpkg_part_cmp(x.up, x.up_n, y.up, y.up_n);
	if (!r)
		r = dpkg_part_cmp(x.rev, x.rev_n, y.rev, y.rev_n);
	return r;
}

int rc_version_cmp(enum rc_vscheme s, const char *a, size_t an, const char *b, size_t bn)
{
	static const uint8_t empty[1];
	const uint8_t *x = a ? (const uint8_t *)a : empty;
	const uint8_t *y = b ? (const uint8_t *)b : empty;
	if (!a)
		an = 0;
	if (!b)
		bn = 0;
	switch (s) {
	case RC_VS_GENERIC:
		return seq_cmp(x, an, y, bn, gen_next, 1);
	case RC_VS_DPKG:
		return dpkg_cmp(x, an, y, bn);
	case RC_VS_RPM:
		return seq_cmp(x, an, y, bn, rpm_next, 0);
	default:
		/* Unknown scheme: plain byte order, so that the result is still a total order. */
		return run_cmp(x, an, y, bn, 0);
	}
}

static const char *const scheme_names[RC_VS__COUNT] = {"generic", "dpkg", "rpm"};

const char *rc_vscheme_name(enum rc_vscheme s)
{
	if ((unsigned)s >= RC_VS__COUNT)
		return NULL;
	return scheme_names[s];
}

int rc_vscheme_parse(const char *name)
{
	if (!name)
		return -1;
	for (int i = 0; i < RC_VS__COUNT; i++)
		if (strcmp(name, scheme_names[i]) == 0)
			return i;
	return -1;
}
