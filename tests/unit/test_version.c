/* Version ordering: the dpkg and rpm case tables, generic's documented differences from them,
 * the worked examples of docs/PROTOCOL.md, Hikvision release order, and order properties over
 * the 1150 real firmware version strings. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "recall/version.h"
#include "testutil.h"

static int vcmp(enum rc_vscheme s, const char *a, const char *b)
{
	return rc_version_cmp(s, a, strlen(a), b, strlen(b));
}

/* Split a mutable text into its data lines: '#' comments and empty lines dropped. */
static size_t data_lines(char *text, char **lines, size_t cap)
{
	size_t n = 0;
	for (char *l = strtok(text, "\n"); l; l = strtok(NULL, "\n")) {
		if (l[0] == '#' || l[0] == 0)
			continue;
		assert_true(n < cap);
		lines[n++] = l;
	}
	return n;
}

/* Split one line at tabs (in place) into at most cap fields; returns the count. */
static size_t fields(char *line, char **f, size_t cap)
{
	size_t n = 0;
	f[n++] = line;
	for (char *p = line; *p && n < cap; p++)
		if (*p == '\t') {
			*p = 0;
			f[n++] = p + 1;
		}
	return n;
}

/* One row of either case table, and generic's verdict on it. */
struct row {
	const char *table, *a, *b;
	int want, generic;
};

static char *dpkg_text, *rpm_text;
static struct row rows[256];
static size_t nrows;

static int load_tables(void **state)
{
	static char *lines[256];
	dpkg_text = tu_read_data("version-ordering/dpkg_version_cases.txt", NULL);
	size_t n = data_lines(dpkg_text, lines, 256);
	for (size_t i = 0; i < n; i++) {
		struct row *r = &rows[nrows++];
		r->table = "dpkg";
		r->a = strtok(lines[i], " ");
		r->b = strtok(NULL, " ");
		const char *w = strtok(NULL, " ");
		assert_non_null(w);
		r->want = atoi(w);
	}
	assert_int_equal(nrows, 43);
	rpm_text = tu_read_data("version-ordering/rpmvercmp_cases.tsv", NULL);
	n = data_lines(rpm_text, lines, 256);
	for (size_t i = 0; i < n; i++) {
		char *f[4];
		assert_int_equal(fields(lines[i], f, 4), 4);
		struct row *r = &rows[nrows++];
		r->table = strcmp(f[3], "active") == 0 ? "rpm" : "rpm-oddity";
		r->a = f[0];
		r->b = f[1];
		r->want = atoi(f[2]);
	}
	assert_int_equal(nrows, 43 + 91 + 12);
	for (size_t i = 0; i < nrows; i++)
		rows[i].generic = vcmp(RC_VS_GENERIC, rows[i].a, rows[i].b);
	return 0;
}

static int free_tables(void **state)
{
	free(dpkg_text);
	free(rpm_text);
	return 0;
}

static void test_names(void **state)
{
	for (int s = 0; s < RC_VS__COUNT; s++)
		assert_int_equal(rc_vscheme_parse(rc_vscheme_name(s)), s);
	assert_string_equal(rc_vscheme_name(RC_VS_GENERIC), "generic");
	assert_string_equal(rc_vscheme_name(RC_VS_DPKG), "dpkg");
	assert_string_equal(rc_vscheme_name(RC_VS_RPM), "rpm");
	assert_null(rc_vscheme_name(RC_VS__COUNT));
	assert_null(rc_vscheme_name((enum rc_vscheme) - 1));
	assert_int_equal(rc_vscheme_parse("RPM"), -1);
	assert_int_equal(rc_vscheme_parse(""), -1);
	assert_int_equal(rc_vscheme_parse("semver"), -1);
	assert_int_equal(rc_vscheme_parse(NULL), -1);
}

static void test_dpkg_and_rpm_tables(void **state)
{
	size_t dpkg = 0, active = 0, odd = 0;
	for (size_t i = 0; i < nrows; i++) {
		const struct row *r = &rows[i];
		enum rc_vscheme s = r->table[0] == 'd' ? RC_VS_DPKG : RC_VS_RPM;
		int got = vcmp(s, r->a, r->b);
		if (got != r->want)
			fail_msg("%s: cmp(%s, %s) = %d, table says %d", r->table, r->a, r->b, got,
				 r->want);
		dpkg += s == RC_VS_DPKG;
		active += strcmp(r->table, "rpm") == 0;
		odd += strcmp(r->table, "rpm-oddity") == 0;
	}
	/* rpm's documented oddities are kept as rpm has them (PROTOCOL.md lists them). */
	assert_int_equal(dpkg, 43);
	assert_int_equal(active, 91);
	assert_int_equal(odd, 12);
}

/* Rows of a differences list: table (rpm oddities count as rpm), a, b, table's and generic's
 * verdicts. */
static int same_row(const struct row *r, char **f)
{
	const char *t = strncmp(r->table, "rpm", 3) == 0 ? "rpm" : "dpkg";
	return strcmp(t, f[0]) == 0 && strcmp(r->a, f[1]) == 0 && strcmp(r->b, f[2]) == 0 &&
	       r->want == atoi(f[3]) && r->generic == atoi(f[4]);
}

static void check_differences(char **lines, size_t n, const char *where)
{
	size_t k = 0;
	for (size_t i = 0; i < nrows; i++) {
		if (rows[i].generic == rows[i].want)
			continue;
		if (k >= n)
			fail_msg("%s: undocumented difference %s %s %s", where, rows[i].table,
				 rows[i].a, rows[i].b);
		char *f[6];
		assert_true(fields(lines[k], f, 6) >= 5);
		if (!same_row(&rows[i], f))
			fail_msg("%s row %zu: documented %s %s %s %s %s, computed %s %s %s %d %d",
				 where, k + 1, f[0], f[1], f[2], f[3], f[4], rows[i].table,
				 rows[i].a, rows[i].b, rows[i].want, rows[i].generic);
		k++;
	}
	if (k != n)
		fail_msg("%s documents %zu differences, generic has %zu", where, n, k);
}

/* Turn the markdown table between the markers of PROTOCOL.md's version section into
 * tab-separated lines: "| `a` | b |" -> "a\tb". */
static size_t doc_table(char *doc, char **lines, size_t cap)
{
	char *beg = strstr(doc, "<!-- generic-differences:begin -->");
	char *end = beg ? strstr(beg, "<!-- generic-differences:end -->") : NULL;
	if (!beg || !end)
		return (size_t)-1;
	*end = 0;
	size_t n = 0;
	for (char *l = strtok(beg, "\n"); l; l = strtok(NULL, "\n")) {
		if (l[0] != '|' || strstr(l, "---") || strstr(l, "table says"))
			continue;
		char *w = l;
		for (char *p = l + 1; *p; p++) {
			if (*p == '`' || (*p == ' ' && (p[1] == '|' || p[-1] == '|')))
				continue;
			*w++ = *p == '|' ? '\t' : *p;
		}
		*w = 0;
		assert_true(n < cap);
		lines[n++] = l;
	}
	return n;
}

static void test_generic_documented_differences(void **state)
{
	static char *lines[64];
	char *text = tu_read_data("version-ordering/generic_differences.tsv", NULL);
	check_differences(lines, data_lines(text, lines, 64), "generic_differences.tsv");
	free(text);
	char *doc = tu_read_file(RECALL_SOURCE_DIR "/docs/PROTOCOL.md", NULL);
	size_t n = doc ? doc_table(doc, lines, 64) : (size_t)-1;
	if (n == (size_t)-1)
		print_message(
		    "docs/PROTOCOL.md has no generic-differences table yet: not checked\n");
	else
		check_differences(lines, n, "docs/PROTOCOL.md");
	free(doc);
}

/* The worked examples of PROTOCOL.md, from the real strings of tests/data. */
static const struct example {
	enum rc_vscheme s;
	const char *a, *b;
	int want;
} examples[] = {
    {RC_VS_GENERIC, "5.9.5", "5.11.0", -1},
    {RC_VS_GENERIC, "4.30.001", "4.30.122", -1},
    {RC_VS_GENERIC, "5.04.070", "5.4.70", 0},
    {RC_VS_GENERIC, "5.05.381", "5.5.338", 1},
    {RC_VS_GENERIC, "V5.5.338_260413", "5.5.338", 1},
    {RC_VS_GENERIC, "v3.0.0.4.386.51598", "3.0.0.4.386.51598", 0},
    {RC_VS_GENERIC, "1.06B01", "1.06b01", 0},
    {RC_VS_GENERIC, "2.05b01", "2.07b02", -1},
    {RC_VS_GENERIC, "1.14b06", "1.14", 1},
    {RC_VS_GENERIC, "2.16ww", "2.16.1", -1},
    {RC_VS_GENERIC, "1.3.1:beta", "1.3.1", -1},
    {RC_VS_GENERIC, "1.3.1:beta", "1.3.1~beta", 0},
    {RC_VS_GENERIC, "1.3.3:beta", "1.3.1", 1},
    {RC_VS_GENERIC, "V5.2.0 build 140721", "V5.4.0 build 160530", -1},
    {RC_VS_GENERIC, "V5.4.0 build 160530", "V5.4.0.1 build 150101", -1},
    {RC_VS_GENERIC, "V5.4.0_160530", "V5.4.0.1_150101", 1},
    {RC_VS_GENERIC, "1.1.4 Build 20230219", "1.1.4", 1},
    {RC_VS_GENERIC, "1.1.4 Build 20230219", "1.1.4 build20230219", 0},
    {RC_VS_GENERIC, "V3.3.5.1 AnnexB (2111302)", "V3.3.6 AnnexB (214702)", -1},
    {RC_VS_GENERIC, "V3.3.6 AnnexB (STD)", "V3.3.6 AnnexB (214702)", -1},
    {RC_VS_GENERIC, "FH1203 V1br_V2.0.0.7(775)", "fh1203 1br 2.0.0.7 775", 0},
    {RC_VS_GENERIC, "DIR-816A2_FWv1.10CNB05", "DIR-816A2_FW1.10CNB05", 1},
    {RC_VS_GENERIC, "1.0.0.7(10648)", "1.0.0.10(4730)", -1},
    {RC_VS_GENERIC, "1.0.6601", "1.0.70", 1},
    {RC_VS_DPKG, "1:3.8.1-1", "3.8.GA-1", 1},
    {RC_VS_DPKG, "2.2~rc-4", "2.2-1", -1},
    {RC_VS_DPKG, "1.06b01", "1.06B01", 1},
    {RC_VS_RPM, "1.0~rc1", "1.0", -1},
    {RC_VS_RPM, "1.0^git1", "1.0", 1},
    {RC_VS_RPM, "1.06b01", "1.06B01", 1},
    {RC_VS_RPM, "1b.fc17", "1.fc17", -1},
};

static void test_examples(void **state)
{
	for (size_t i = 0; i < sizeof(examples) / sizeof(examples[0]); i++) {
		const struct example *e = &examples[i];
		int got = vcmp(e->s, e->a, e->b), back = vcmp(e->s, e->b, e->a);
		if (got != e->want || back != -e->want)
			fail_msg("%s: cmp(%s, %s) = %d (reverse %d), want %d",
				 rc_vscheme_name(e->s), e->a, e->b, got, back, e->want);
	}
}

static void test_edges(void **state)
{
	for (int s = 0; s <= RC_VS__COUNT; s++) {
		/* NULL with length 0 is the empty string; the empty string sorts after '~'. */
		assert_int_equal(rc_version_cmp(s, NULL, 0, "", 0), 0);
		assert_int_equal(rc_version_cmp(s, NULL, 5, NULL, 0), 0);
		assert_int_equal(vcmp(s, "~", ""), s == RC_VS__COUNT ? 1 : -1);
		assert_int_equal(vcmp(s, "", "0"), s == RC_VS_DPKG ? 0 : -1); /* dpkg: "" is 0 */
		/* Embedded NUL and high bytes are ordinary bytes: nothing stops at them. */
		assert_int_equal(rc_version_cmp(s, "1\0002", 3, "1\0003", 3), -1);
		/* Numbers of any length, by value. */
		assert_int_equal(
		    vcmp(s, "1.000000000000000000000000000000000000000018446744073709551616",
			 "1.18446744073709551615"),
		    s == RC_VS__COUNT ? -1 : 1);
	}
	assert_int_equal(vcmp(RC_VS_GENERIC, "1.0\xce\xb1", "1.0\xce\xb2"), 0);
	assert_int_equal(vcmp(RC_VS_DPKG, "1.0\xce\xb1", "1.0\xce\xb2"), -1);
	/* Unknown scheme: plain byte order. */
	assert_int_equal(vcmp(RC_VS__COUNT, "1.9", "1.10"), 1);
	assert_int_equal(vcmp((enum rc_vscheme)77, "a", "b"), -1);
	/* dpkg: an epoch is digits before the first ':', otherwise ':' is upstream text. */
	assert_int_equal(vcmp(RC_VS_DPKG, "a:1", "0:a:1"), 0);
	assert_int_equal(vcmp(RC_VS_DPKG, ":1", "1"), 1);
	/* generic: v is dropped only as a number's prefix; "build" is an ordinary word. */
	assert_int_equal(vcmp(RC_VS_GENERIC, "1.2v3", "1.2.3"), -1);
	assert_int_equal(vcmp(RC_VS_GENERIC, "v.1", "1"), -1);
	assert_int_equal(vcmp(RC_VS_GENERIC, "1 build 2 build 3", "1 build 2.3"), -1);
	assert_int_equal(vcmp(RC_VS_GENERIC, "1.0 build", "1.0"), 1);
	assert_int_equal(vcmp(RC_VS_GENERIC, "5.4.0 build 1", "5.4.0a"), 1);
	assert_int_equal(vcmp(RC_VS_GENERIC, "1.0~rc1", "1.0~~rc1"), 1);
	assert_int_equal(vcmp(RC_VS_GENERIC, "1.0rc1", "1.0~RC1"), 0);
	assert_int_equal(vcmp(RC_VS_GENERIC, "1.0alpha", "1.0beta"), -1);
	assert_int_equal(vcmp(RC_VS_GENERIC, "1.0-pre", "1.0rc"), -1);
	assert_int_equal(vcmp(RC_VS_GENERIC, "1.0rc", "1.0a"), -1);
}

/* ---- Hikvision: the versions of one model, ordered by release date ---- */

struct fw {
	const char *model, *version, *date;
	int excluded;
};

static int by_model_date(const void *x, const void *y)
{
	const struct fw *a = x, *b = y;
	int r = strcmp(a->model, b->model);
	return r ? r : strcmp(a->date, b->date);
}

static int valid_date(const char *d)
{
	unsigned y, m, dd;
	return strlen(d) == 10 && sscanf(d, "%4u-%2u-%2u", &y, &m, &dd) == 3 && m >= 1 && m <= 12 &&
	       dd >= 1 && dd <= 31;
}

/* Every model with at least 3 rows; rows named in hikvision_excluded.tsv left out. For any two
 * remaining rows of one model with different dates, the older version must sort first: as
 * written ("5.9.5"), and in the "V5.9.5 build 260403" form built from the date. */
static void test_hikvision_release_order(void **state)
{
	static char *lines[2048], *xlines[64];
	char *text = tu_read_data("firmware-versions/hikvision_fw_archive_extract.tsv", NULL);
	size_t n = data_lines(text, lines, 2048), m = 0;
	struct fw *r = calloc(n, sizeof(*r));
	assert_non_null(r);
	for (size_t i = 0; i < n; i++) {
		char *f[5];
		if (strncmp(lines[i], "model\t", 6) == 0)
			continue;
		assert_int_equal(fields(lines[i], f, 5), 5);
		r[m++] = (struct fw){f[0], f[2], f[3], 0};
	}
	assert_int_equal(m, 1846);
	qsort(r, m, sizeof(*r), by_model_date);
	size_t *group = calloc(m, sizeof(size_t)); /* rows of the row's model */
	assert_non_null(group);
	for (size_t i = 0, j; i < m; i = j) {
		for (j = i; j < m && strcmp(r[j].model, r[i].model) == 0; j++)
			;
		for (size_t k = i; k < j; k++)
			group[k] = j - i;
	}
	char *xtext = tu_read_data("firmware-versions/hikvision_excluded.tsv", NULL);
	size_t nx = data_lines(xtext, xlines, 64);
	for (size_t x = 0; x < nx; x++) {
		char *f[3];
		assert_int_equal(fields(xlines[x], f, 3), 3);
		int hits = 0;
		for (size_t i = 0; i < m; i++)
			if (group[i] >= 3 && strcmp(r[i].model, f[0]) == 0 &&
			    strcmp(r[i].version, f[1]) == 0) {
				r[i].excluded = 1;
				hits++;
			}
		if (hits != 1)
			fail_msg("exclusion %s %s matches %d rows", f[0], f[1], hits);
	}
	size_t models = 0, rows_used = 0, pairs = 0, bytewise_wrong = 0;
	for (size_t i = 0; i < m; i += group[i]) {
		if (group[i] < 3)
			continue;
		models++;
		for (size_t k = i; k < i + group[i]; k++) {
			if (r[k].excluded)
				continue;
			if (!valid_date(r[k].date))
				fail_msg("%s %s: no usable date '%s'", r[k].model, r[k].version,
					 r[k].date);
			rows_used++;
			for (size_t l = k + 1; l < i + group[i]; l++) {
				if (r[l].excluded || strcmp(r[k].date, r[l].date) == 0)
					continue;
				const char *a = r[k].version, *b = r[l].version;
				char ab[96], bb[96];
				snprintf(ab, sizeof(ab), "V%s build %.2s%.2s%.2s", a, r[k].date + 2,
					 r[k].date + 5, r[k].date + 8);
				snprintf(bb, sizeof(bb), "V%s build %.2s%.2s%.2s", b, r[l].date + 2,
					 r[l].date + 5, r[l].date + 8);
				for (int s = 0; s < RC_VS__COUNT; s++)
					if (vcmp(s, a, b) >= 0)
						fail_msg("%s: %s (%s) released before %s (%s) but "
							 "%s sorts it later",
							 r[k].model, a, r[k].date, b, r[l].date,
							 rc_vscheme_name(s));
				if (vcmp(RC_VS_GENERIC, ab, bb) >= 0)
					fail_msg("%s: generic sorts %s after %s", r[k].model, ab,
						 bb);
				pairs++;
				bytewise_wrong += strcmp(a, b) > 0;
			}
		}
	}
	print_message("hikvision: %zu models with >= 3 releases, %zu rows (%zu excluded), %zu "
		      "dated pairs in order (%zu of them misordered by plain strcmp)\n",
		      models, rows_used, nx, pairs, bytewise_wrong);
	assert_int_equal(models, 49);
	assert_int_equal(rows_used + nx, 165);
	assert_true(bytewise_wrong > 0); /* the data can tell a numeric order from a byte order */
	free(group);
	free(r);
	free(xtext);
	free(text);
}

/* ---- The 1150-string corpus: order properties, and generic against a reference model ---- */

/* Reference model of the generic scheme, written from PROTOCOL.md as arrays of tokens: kind
 * '~', 'a' (letters, compared case-insensitively) or 'n' (digits, leading zeros stripped). */
#define RTOK_MAX 96
struct rtok {
	char kind;
	const char *p;
	size_t n;
};
struct rver {
	struct rtok t[RTOK_MAX];
	size_t nt;
	char canon[256];
};

#define r_digit(c) ((c) >= '0' && (c) <= '9')
#define r_alpha(c) (((c) | 0x20) >= 'a' && ((c) | 0x20) <= 'z')

static int r_word(const char *p, size_t n, const char *w)
{
	if (strlen(w) != n)
		return 0;
	for (size_t i = 0; i < n; i++)
		if ((p[i] | 0x20) != w[i])
			return 0;
	return 1;
}

static void ref_part(const char *s, size_t n, struct rtok *t, size_t *nt)
{
	size_t k = 0;
	int after_tilde = 0;
	for (size_t i = 0, j; i < n; i = j) {
		j = i + 1;
		if (s[i] == '~') {
			t[k++] = (struct rtok){'~', s + i, 0};
			after_tilde = 1;
			continue;
		}
		if (!r_digit(s[i]) && !r_alpha(s[i]))
			continue;
		while (j < n && (r_digit(s[i]) ? r_digit(s[j]) : r_alpha(s[j])))
			j++;
		if (r_digit(s[i])) {
			size_t z = i;
			while (z + 1 < j && s[z] == '0')
				z++;
			t[k++] = (struct rtok){'n', s + z, j - z};
		} else if (j - i == 1 && (s[i] | 0x20) == 'v' && j < n && r_digit(s[j]) &&
			   (i == 0 ||
			    !(r_digit(s[i - 1]) || r_alpha(s[i - 1]) || s[i - 1] == '~'))) {
			continue; /* version prefix */
		} else {
			if (!after_tilde &&
			    (r_word(s + i, j - i, "alpha") || r_word(s + i, j - i, "beta") ||
			     r_word(s + i, j - i, "pre") || r_word(s + i, j - i, "rc")))
				t[k++] = (struct rtok){'~', s + i, 0};
			t[k++] = (struct rtok){'a', s + i, j - i};
		}
		after_tilde = 0;
		assert_true(k + 2 < RTOK_MAX);
	}
	*nt = k;
}

static void ref_parse(const char *s, struct rver *v)
{
	ref_part(s, strlen(s), v->t, &v->nt);
	char *c = v->canon;
	for (size_t k = 0; k < v->nt; k++) {
		const struct rtok *t = &v->t[k];
		if (k)
			*c++ = '.';
		if (t->kind == '~')
			*c++ = '~';
		for (size_t i = 0; i < t->n; i++)
			*c++ = t->kind == 'a' ? (char)(t->p[i] | 0x20) : t->p[i];
	}
	*c = 0;
}

static int ref_rank(const struct rtok *t, size_t k, size_t n)
{
	return k >= n ? 1 : t[k].kind == '~' ? 0 : t[k].kind == 'a' ? 2 : 3;
}

static int ref_cmp(const struct rver *x, const struct rver *y)
{
	for (size_t k = 0;; k++) {
		int rx = ref_rank(x->t, k, x->nt), ry = ref_rank(y->t, k, y->nt);
		if (rx != ry)
			return rx < ry ? -1 : 1;
		if (rx == 1)
			return 0;
		const struct rtok *a = &x->t[k], *b = &y->t[k];
		if (rx == 3 && a->n != b->n)
			return a->n < b->n ? -1 : 1;
		for (size_t i = 0; i < a->n && i < b->n; i++) {
			int ca = a->p[i] | (rx == 2 ? 0x20 : 0),
			    cb = b->p[i] | (rx == 2 ? 0x20 : 0);
			if (ca != cb)
				return ca < cb ? -1 : 1;
		}
		if (a->n != b->n)
			return a->n < b->n ? -1 : 1;
	}
}

static enum rc_vscheme sort_scheme;

static int by_scheme(const void *x, const void *y)
{
	return vcmp(sort_scheme, *(const char *const *)x, *(const char *const *)y);
}

static void test_corpus_properties(void **state)
{
	static char *lines[2048];
	char *text = tu_read_data("firmware-versions/firmware_version_strings_corpus.tsv", NULL);
	size_t n = data_lines(text, lines, 2048), m = 0;
	const char **s = calloc(n, sizeof(*s)), **sorted = calloc(n, sizeof(*s));
	struct rver *ref = calloc(n, sizeof(*ref));
	assert_true(s && sorted && ref);
	for (size_t i = 0; i < n; i++) {
		char *f[2];
		fields(lines[i], f, 2);
		if (strcmp(f[0], "version_string") != 0)
			s[m++] = f[0];
	}
	assert_int_equal(m, 1150);
	for (size_t i = 0; i < m; i++)
		ref_parse(s[i], &ref[i]);
	/* generic equals the reference model on every pair; 0 exactly for equal canonical forms. */
	size_t equal = 0;
	for (size_t i = 0; i < m; i++)
		for (size_t j = i + 1; j < m; j++) {
			int g = vcmp(RC_VS_GENERIC, s[i], s[j]), want = ref_cmp(&ref[i], &ref[j]);
			if (g != want || (g == 0) != (strcmp(ref[i].canon, ref[j].canon) == 0))
				fail_msg("generic(%s, %s) = %d, reference %d (%s vs %s)", s[i],
					 s[j], g, want, ref[i].canon, ref[j].canon);
			equal += g == 0;
		}
	assert_true(equal > 0 && equal < 100);
	uint64_t rng = 0x7265636131313530ull; /* fixed seed: "reca1150" */
	for (int sc = 0; sc < RC_VS__COUNT; sc++) {
		for (size_t i = 0; i < m; i++) {
			assert_int_equal(vcmp(sc, s[i], s[i]), 0);
			for (size_t j = i + 1; j < m; j++) {
				int ab = vcmp(sc, s[i], s[j]), ba = vcmp(sc, s[j], s[i]);
				if (ab != -ba || ab < -1 || ab > 1)
					fail_msg("%s: cmp(%s, %s) = %d but reverse %d",
						 rc_vscheme_name(sc), s[i], s[j], ab, ba);
			}
		}
		/* Sorted by the scheme, every earlier string must compare <= every later one. */
		memcpy(sorted, s, m * sizeof(*s));
		sort_scheme = sc;
		qsort(sorted, m, sizeof(*sorted), by_scheme);
		for (size_t i = 0; i < m; i++)
			for (size_t j = i + 1; j < m; j++)
				if (vcmp(sc, sorted[i], sorted[j]) > 0)
					fail_msg("%s: not transitive around %s, %s",
						 rc_vscheme_name(sc), sorted[i], sorted[j]);
		for (int t = 0; t < 200000; t++) {
			size_t x[3];
			for (int k = 0; k < 3; k++) {
				rng ^= rng << 13;
				rng ^= rng >> 7;
				rng ^= rng << 17;
				x[k] = (size_t)(rng % m);
			}
			int ab = vcmp(sc, s[x[0]], s[x[1]]), bc = vcmp(sc, s[x[1]], s[x[2]]);
			int ac = vcmp(sc, s[x[0]], s[x[2]]);
			if ((ab <= 0 && bc <= 0 && (ac > 0 || (ac == 0) != (ab == 0 && bc == 0))) ||
			    (ab >= 0 && bc >= 0 && (ac < 0 || (ac == 0) != (ab == 0 && bc == 0))))
				fail_msg("%s: %s, %s, %s: %d %d %d", rc_vscheme_name(sc), s[x[0]],
					 s[x[1]], s[x[2]], ab, bc, ac);
		}
	}
	print_message("corpus: %zu strings, %zu generic-equal pairs\n", m, equal);
	free(ref);
	free(sorted);
	free(s);
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_names),
	    cmocka_unit_test(test_dpkg_and_rpm_tables),
	    cmocka_unit_test(test_generic_documented_differences),
	    cmocka_unit_test(test_examples),
	    cmocka_unit_test(test_edges),
	    cmocka_unit_test(test_hikvision_release_order),
	    cmocka_unit_test(test_corpus_properties),
	};
	return cmocka_run_group_tests(tests, load_tables, free_tables);
}
