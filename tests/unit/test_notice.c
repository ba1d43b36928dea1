/* Notice payloads: round trips, every validation and decoder rejection path, coverage, and the
 * agent's whole check (signatures, content type, coverage, validity). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "cbor_io.h"
#include "fixtures.h"
#include "recall/msg.h"
#include "recall/notice.h"
#include "testutil.h"

static const uint8_t dig1[32] = {1, 2, 3};
static const uint8_t dig2[32] = {9, 9, 9};

static struct rc_str sv(const char *s)
{
	return rc_str_c(s);
}

static struct rc_str svn(const char *p, size_t n)
{
	return (struct rc_str){p, n};
}
#define NOBOUND ((struct rc_bound){{NULL, 0}, false})

/* Every optional field present. */
static void full_notice(struct rc_notice *n)
{
	memset(n, 0, sizeof(*n));
	n->id = sv("RC-2025-0001");
	n->issued = 1000, n->not_before = 1000, n->expiry = 2000;
	struct rc_target *t = &n->target;
	t->vendor = sv("acme"), t->model = sv("cam-1");
	t->nhwrevs = 2, t->hwrevs[0] = sv("a"), t->hwrevs[1] = sv("b");
	t->nversions = 2, t->versions[0] = sv("1.0.0"), t->versions[1] = sv("1.0.1");
	t->nranges = 2;
	t->ranges[0] = (struct rc_range){RC_VS_GENERIC, {sv("2.0"), true}, {sv("2.1"), false}};
	t->ranges[1] = (struct rc_range){RC_VS_DPKG, {{NULL, 0}, false}, {sv("1:0"), true}};
	t->has_built_from = t->has_built_before = true;
	t->built_from = 100, t->built_before = 200;
	t->ndigests = 2, t->digests[0] = dig1, t->digests[1] = dig2;
	n->action = RC_ACTION_QUARANTINE, n->severity = RC_SEV_CRITICAL;
	n->nrefs = 2, n->refs[0] = sv("CVE-2025-0001"), n->refs[1] = sv("https://example.org/adv");
	n->text = sv("Update now.\n\tSee the link. \xc3\xa9");
	n->remedy_url = sv("https://example.org/fw");
	n->nendpoints = 2;
	n->endpoints[0] = (struct rc_endpoint){4, {192, 0, 2, 0}, 24};
	n->endpoints[1] = (struct rc_endpoint){6, {0x20, 0x01, 0x0d, 0xb8}, 32};
}

static void test_roundtrip(void **state)
{
	struct rc_notice n, back;
	uint8_t buf[RC_NOTICE_MAX], again[RC_NOTICE_MAX];
	size_t len, len2, cnt;
	for (int which = 0; which < 2; which++) {
		which ? fx_min_notice(&n) : full_notice(&n);
		assert_int_equal(rc_notice_encode(&n, buf, sizeof(buf), &len), RC_OK);
		assert_int_equal(buf[0], which ? 0xa9 : 0xaa);
		assert_int_equal(rc_notice_decode(&back, buf, len, NULL), RC_OK);
		assert_int_equal(rc_notice_encode(&back, again, sizeof(again), &len2), RC_OK);
		assert_int_equal(len2, len);
		assert_memory_equal(again, buf, len);
		assert_int_equal(rc_notice_encode(&n, NULL, 0, &cnt), RC_OK);
		assert_int_equal(cnt, len);
		assert_int_equal(rc_notice_encode(&n, buf, len - 1, &cnt), RC_ERR_BUFFER);
	}
	full_notice(&n);
	assert_int_equal(rc_notice_encode(&n, buf, sizeof(buf), &len), RC_OK);
	assert_int_equal(rc_notice_decode(&back, buf, len, NULL), RC_OK);
	assert_true(rc_str_eq(back.id, n.id) && rc_str_eq(back.text, n.text));
	assert_true(back.expiry == 2000 && back.target.nranges == 2);
	assert_null(back.target.ranges[1].lo.v.p);
	assert_true(rc_str_eq(back.target.ranges[1].hi.v, sv("1:0")));
	assert_true(back.target.ranges[1].hi.inclusive && !back.target.ranges[0].hi.inclusive);
	assert_int_equal(back.target.ranges[1].scheme, RC_VS_DPKG);
	assert_memory_equal(back.target.digests[1], dig2, 32);
	assert_true(back.endpoints[1].family == 6 && back.endpoints[1].plen == 32);
	assert_memory_equal(back.endpoints[0].addr, ((uint8_t[]){192, 0, 2, 0}), 4);
	assert_true(back.target.has_built_from && back.target.built_before == 200);
}

/* ---- validation: one bad field at a time ---- */

#define VREJECT(mutate, err, fld)                                                                  \
	do {                                                                                       \
		struct rc_notice n;                                                                \
		struct rc_diag d;                                                                  \
		full_notice(&n);                                                                   \
		mutate;                                                                            \
		assert_int_equal(rc_notice_validate(&n, &d), err);                                 \
		if ((err) != RC_OK && fld)                                                         \
			assert_string_equal(d.field, (const char *)fld);                           \
	} while (0)

static void fill_big(struct rc_notice *n, const char *big)
{
	n->text = (struct rc_str){big, RC_TEXT_MAX};
	n->nrefs = RC_REFS_MAX;
	for (int i = 0; i < RC_REFS_MAX; i++)
		n->refs[i] = (struct rc_str){big, RC_REF_MAX};
}

static void test_validate(void **state)
{
	static char big[1200];
	memset(big, 'a', sizeof(big) - 1);
	const char *none = NULL;
	VREJECT((void)0, RC_OK, none);
	VREJECT(n.id = sv(""), RC_ERR_SYNTAX, "notice.id");
	VREJECT(n.id = sv("RC 1"), RC_ERR_SYNTAX, "notice.id");
	VREJECT(n.id = sv("RC/1"), RC_ERR_SYNTAX, "notice.id");
	VREJECT(n.id = svn(big, 64), RC_OK, none);
	VREJECT(n.id = svn(big, 65), RC_ERR_TOOLONG, "notice.id");
	VREJECT(n.issued = 2001, RC_ERR_RANGE, "notice.expiry");
	VREJECT(n.issued = 2000, RC_OK, none);
	VREJECT(n.not_before = 2000, RC_ERR_RANGE, "notice.expiry");
	VREJECT(n.target.vendor = sv("Acme"), RC_ERR_SYNTAX, "notice.target.vendor");
	VREJECT(n.target.vendor = svn(big, 65), RC_ERR_TOOLONG, "notice.target.vendor");
	VREJECT(n.target.model = sv(""), RC_ERR_SYNTAX, "notice.target.model");
	VREJECT(n.target.model = sv("cam 1"), RC_ERR_SYNTAX, "notice.target.model");
	VREJECT(n.target.hwrevs[1] = sv("B"), RC_ERR_SYNTAX, "notice.target.hwrevs");
	VREJECT(n.target.hwrevs[1] = sv(""), RC_OK, none);
	VREJECT(n.target.versions[0] = sv(" 1.0"), RC_ERR_SYNTAX, "notice.target.versions");
	VREJECT(n.target.versions[0] = sv("1.0\x01"), RC_ERR_SYNTAX, "notice.target.versions");
	VREJECT(n.target.ranges[0].scheme = 3, RC_ERR_RANGE, "notice.target.ranges.scheme");
	VREJECT(n.target.ranges[0].lo.v = sv("2.2"), RC_ERR_RANGE, "notice.target.ranges");
	VREJECT(n.target.ranges[0].lo.v = sv("2.1"), RC_ERR_RANGE, "notice.target.ranges");
	VREJECT((n.target.ranges[0].lo.v = sv("2.1"), n.target.ranges[0].hi.inclusive = true),
		RC_OK, none);
	VREJECT(n.target.ranges[1].hi.v.p = NULL, RC_ERR_INVALID, none);
	VREJECT(n.target.ranges[1].hi = NOBOUND, RC_ERR_MISSING, "notice.target.ranges");
	VREJECT(n.target.ranges[0].lo.v = sv(""), RC_ERR_SYNTAX, "notice.target.ranges.lo");
	VREJECT(n.target.built_before = 100, RC_ERR_RANGE, "notice.target.build");
	VREJECT(n.target.has_built_from = false, RC_OK, none);
	VREJECT(n.target.digests[1] = NULL, RC_ERR_INVALID, none);
	VREJECT((n.target.nversions = n.target.nranges = n.target.ndigests = 0,
		 n.target.has_built_from = n.target.has_built_before = false),
		RC_ERR_MISSING, "notice.target.selector");
	VREJECT((n.target.nversions = n.target.nranges = n.target.ndigests = 0), RC_OK, none);
	VREJECT(n.action = 2, RC_ERR_RANGE, "notice.action");
	VREJECT(n.severity = 5, RC_ERR_RANGE, "notice.severity");
	VREJECT(n.refs[1] = sv(""), RC_ERR_SYNTAX, "notice.refs");
	VREJECT(n.refs[1] = sv("a\nb"), RC_ERR_SYNTAX, "notice.refs");
	VREJECT(n.refs[1] = svn(big, 129), RC_ERR_TOOLONG, "notice.refs");
	VREJECT(n.nrefs = 0, RC_OK, none);
	VREJECT(n.nrefs = RC_REFS_MAX + 1, RC_ERR_INVALID, none);
	VREJECT(n.text = sv("bell\x07"), RC_ERR_SYNTAX, "notice.text");
	VREJECT(n.text = sv("del\x7f"), RC_ERR_SYNTAX, "notice.text");
	VREJECT(n.text = sv("bad utf-8 \xff"), RC_ERR_SYNTAX, "notice.text");
	VREJECT(n.text = sv(""), RC_OK, none);
	VREJECT(n.text = svn(big, 513), RC_ERR_TOOLONG, "notice.text");
	VREJECT(n.text = svn(NULL, 3), RC_ERR_INVALID, none);
	VREJECT(n.remedy_url = sv(""), RC_ERR_SYNTAX, "notice.remedy.url");
	VREJECT(n.remedy_url = sv("https://x/a b"), RC_ERR_SYNTAX, "notice.remedy.url");
	VREJECT(n.remedy_url = svn(big, 257), RC_ERR_TOOLONG, "notice.remedy.url");
	VREJECT(n.endpoints[0].family = 5, RC_ERR_INVALID, none);
	VREJECT(n.endpoints[0].plen = 33, RC_ERR_RANGE, "notice.remedy.endpoints.plen");
	VREJECT(n.endpoints[1].plen = 128, RC_OK, none);
	VREJECT(n.endpoints[1].plen = 129, RC_ERR_RANGE, "notice.remedy.endpoints.plen");
	VREJECT(n.nendpoints = 0, RC_OK, none);
	/* Everything at its maximum does not fit one signed notice. */
	VREJECT(fill_big(&n, big), RC_ERR_TOOLONG, none);
	assert_int_equal(rc_notice_validate(NULL, NULL), RC_ERR_INVALID);
}

/* ---- decoder: raw payloads with one structural fault ---- */

struct nspec {
	int skip, extra, badtype; /* top-level key left out / added / written as a bstr */
	int empty;                /* which list is written empty: top key 8, 10 (endpoints), or
				     target key 3, 4, 5, 7 as 30 + key */
	int bound_items, ep_items, ep_addr, digest_len, nversions;
	int sub_extra; /* extra key k in: target 100 + k, range 200 + k, build 300 + k, remedy
			  400 + k (k in -9..9) */
	bool bound_uint, build_empty, no_vendor, no_model, no_url, no_scheme, swap, dup, trailing;
};

static void wr_kstr(struct rc_wr *w, int k, const char *s)
{
	rc_wr_uint(w, (uint64_t)k);
	rc_wr_tstr(w, s, strlen(s));
}

static void wr_extra(struct rc_wr *w, const struct nspec *x, int base)
{
	int e = x->sub_extra - base;
	if (x->sub_extra && e > -10 && e < 10)
		rc_wr_int(w, e), rc_wr_uint(w, 0);
}

static size_t count_extra(const struct nspec *x, int base)
{
	int e = x->sub_extra - base;
	return x->sub_extra && e > -10 && e < 10;
}

static void wr_target_raw(struct rc_wr *w, const struct nspec *x)
{
	rc_wr_map(w, 7 - x->no_vendor - x->no_model + count_extra(x, 100));
	if (!x->no_vendor)
		wr_kstr(w, 1, "acme");
	if (!x->no_model)
		wr_kstr(w, 2, "cam-1");
	rc_wr_uint(w, 3), rc_wr_array(w, x->empty == 33 ? 0 : 1);
	if (x->empty != 33)
		rc_wr_tstr(w, "a", 1);
	rc_wr_uint(w, 4);
	int nv = x->empty == 34 ? 0 : x->nversions;
	rc_wr_array(w, (size_t)nv);
	for (int i = 0; i < nv; i++)
		rc_wr_tstr(w, "1.0", 3);
	rc_wr_uint(w, 5);
	rc_wr_array(w, x->empty == 35 ? 0 : 1);
	if (x->empty != 35) {
		rc_wr_map(w, 2 - x->no_scheme + count_extra(x, 200));
		if (!x->no_scheme)
			rc_wr_uint(w, 1), rc_wr_uint(w, 0);
		rc_wr_uint(w, 2), rc_wr_array(w, (size_t)x->bound_items);
		if (x->bound_items > 0)
			rc_wr_tstr(w, "2.0", 3);
		if (x->bound_items > 1)
			x->bound_uint ? rc_wr_uint(w, 1) : rc_wr_bool(w, true);
		if (x->bound_items > 2)
			rc_wr_bool(w, true);
		wr_extra(w, x, 200);
	}
	rc_wr_uint(w, 6);
	rc_wr_map(w, (x->build_empty ? 0 : 1) + count_extra(x, 300));
	if (!x->build_empty)
		rc_wr_uint(w, 1), rc_wr_uint(w, 100);
	wr_extra(w, x, 300);
	rc_wr_uint(w, 7);
	rc_wr_array(w, x->empty == 37 ? 0 : 1);
	if (x->empty != 37)
		rc_wr_bstr(w, dig1, (size_t)x->digest_len);
	wr_extra(w, x, 100);
}

static size_t build_raw(const struct nspec *x, uint8_t *buf, size_t cap)
{
	struct rc_wr w;
	rc_wr_init(&w, buf, cap);
	rc_wr_map(&w, (size_t)(10 - (x->skip != 0) + (x->extra != 0) + x->dup));
	for (int k = 1; k <= 10; k++) {
		int key = x->swap && k == 2 ? 3 : x->swap && k == 3 ? 2 : k;
		if (key == x->skip)
			continue;
		rc_wr_uint(&w, (uint64_t)key);
		if (key == x->badtype) {
			rc_wr_bstr(&w, "x", 1);
			continue;
		}
		switch (key) {
		case 1:
			rc_wr_tstr(&w, "n1", 2);
			break;
		case 2:
		case 3:
		case 4:
			rc_wr_uint(&w, key == 4 ? 2000 : 1000);
			break;
		case 5:
			wr_target_raw(&w, x);
			break;
		case 6:
		case 7:
			rc_wr_uint(&w, 1);
			break;
		case 8:
			rc_wr_array(&w, x->empty == 8 ? 0 : 1);
			if (x->empty != 8)
				rc_wr_tstr(&w, "CVE-1", 5);
			break;
		case 9:
			rc_wr_tstr(&w, "t", 1);
			break;
		case 10:
			rc_wr_map(&w, 2 - x->no_url + count_extra(x, 400));
			if (!x->no_url)
				wr_kstr(&w, 1, "https://x");
			rc_wr_uint(&w, 2), rc_wr_array(&w, x->empty == 10 ? 0 : 1);
			if (x->empty != 10) {
				rc_wr_array(&w, (size_t)x->ep_items);
				if (x->ep_items > 0)
					rc_wr_bstr(&w, dig1, (size_t)x->ep_addr);
				if (x->ep_items > 1)
					rc_wr_uint(&w, 8);
			}
			wr_extra(&w, x, 400);
			break;
		}
		if (key == 2 && x->dup)
			rc_wr_uint(&w, 2), rc_wr_uint(&w, 1000);
	}
	if (x->extra)
		rc_wr_int(&w, x->extra), rc_wr_uint(&w, 0);
	if (x->trailing)
		rc_wr_uint(&w, 0);
	assert_int_equal(w.err, 0);
	return w.len;
}

static const struct nspec nbase = {
    .bound_items = 2, .ep_items = 2, .ep_addr = 4, .digest_len = 32, .nversions = 1};

#define DREJECT(mutate, err, fld)                                                                  \
	do {                                                                                       \
		struct nspec x = nbase;                                                            \
		struct rc_notice n;                                                                \
		struct rc_diag d;                                                                  \
		uint8_t b[2048];                                                                   \
		mutate;                                                                            \
		size_t len = build_raw(&x, b, sizeof(b));                                          \
		assert_int_equal(rc_notice_decode(&n, b, len, &d), err);                           \
		if ((err) != RC_OK)                                                                \
			assert_string_equal(d.field, fld);                                         \
	} while (0)

static void test_decode_rejects(void **state)
{
	static const char *const top[] = {"",
					  "notice.id",
					  "notice.issued",
					  "notice.not_before",
					  "notice.expiry",
					  "notice.target",
					  "notice.action",
					  "notice.severity",
					  "notice.refs",
					  "notice.text",
					  "notice.remedy"};
	DREJECT((void)0, RC_OK, "");
	for (int k = 1; k <= 10; k++) {
		DREJECT(x.skip = k, (k == 8 ? (int)RC_OK : (int)RC_ERR_MISSING), top[k]);
		DREJECT(x.badtype = k, RC_ERR_TYPE, top[k]);
	}
	DREJECT(x.extra = 11, RC_ERR_CRITICAL, "notice");
	DREJECT(x.extra = -1, RC_OK, "");
	DREJECT(x.empty = 8, RC_ERR_NONCANONICAL, "notice.refs");
	DREJECT(x.empty = 10, RC_ERR_NONCANONICAL, "notice.remedy.endpoints");
	DREJECT(x.empty = 33, RC_ERR_NONCANONICAL, "notice.target.hwrevs");
	DREJECT(x.empty = 34, RC_ERR_NONCANONICAL, "notice.target.versions");
	DREJECT(x.empty = 35, RC_ERR_NONCANONICAL, "notice.target.ranges");
	DREJECT(x.empty = 37, RC_ERR_NONCANONICAL, "notice.target.digests");
	DREJECT(x.nversions = 16, RC_OK, "");
	DREJECT(x.nversions = 17, RC_ERR_TOOLONG, "notice.target.versions");
	DREJECT(x.bound_items = 1, RC_ERR_MISSING, "notice.target.ranges.lo");
	DREJECT(x.bound_items = 3, RC_ERR_TOOLONG, "notice.target.ranges.lo");
	DREJECT(x.bound_uint = true, RC_ERR_TYPE, "notice.target.ranges.lo");
	DREJECT(x.no_scheme = true, RC_ERR_MISSING, "notice.target.ranges");
	DREJECT(x.build_empty = true, RC_ERR_MISSING, "notice.target.build");
	DREJECT(x.no_vendor = true, RC_ERR_MISSING, "notice.target.vendor");
	DREJECT(x.no_model = true, RC_ERR_MISSING, "notice.target.model");
	DREJECT(x.no_url = true, RC_ERR_MISSING, "notice.remedy.url");
	DREJECT(x.digest_len = 31, RC_ERR_SIZE, "notice.target.digests");
	DREJECT(x.ep_items = 1, RC_ERR_MISSING, "notice.remedy.endpoints");
	DREJECT(x.ep_items = 3, RC_ERR_TOOLONG, "notice.remedy.endpoints");
	DREJECT(x.ep_addr = 5, RC_ERR_SIZE, "notice.remedy.endpoints.addr");
	DREJECT(x.ep_addr = 17, RC_ERR_TOOLONG, "notice.remedy.endpoints.addr");
	DREJECT(x.ep_addr = 16, RC_OK, "");
	DREJECT(x.sub_extra = 108, RC_ERR_CRITICAL, "notice.target");
	DREJECT(x.sub_extra = 99, RC_OK, "");
	DREJECT(x.sub_extra = 204, RC_ERR_CRITICAL, "notice.target.ranges");
	DREJECT(x.sub_extra = 199, RC_OK, "");
	DREJECT(x.sub_extra = 303, RC_ERR_CRITICAL, "notice.target.build");
	DREJECT(x.sub_extra = 299, RC_OK, "");
	DREJECT(x.sub_extra = 403, RC_ERR_CRITICAL, "notice.remedy");
	DREJECT(x.sub_extra = 399, RC_OK, "");
	DREJECT(x.swap = true, RC_ERR_NONCANONICAL, "notice");
	DREJECT(x.dup = true, RC_ERR_DUPKEY, "notice");
	DREJECT(x.trailing = true, RC_ERR_TRAILING, "notice");
	/* Extensions are skipped: re-encoding drops them. Every prefix is truncated. */
	uint8_t b[2048], out[RC_NOTICE_MAX];
	struct nspec x = nbase;
	x.extra = -1;
	size_t len = build_raw(&x, b, sizeof(b)), olen;
	struct rc_notice n;
	assert_int_equal(rc_notice_decode(&n, b, len, NULL), RC_OK);
	assert_int_equal(rc_notice_encode(&n, out, sizeof(out), &olen), RC_OK);
	assert_int_equal(olen, len - 2);
	assert_memory_equal(out, ((uint8_t[]){0xaa}), 1);
	assert_memory_equal(out + 1, b + 1, olen - 1);
	for (size_t i = 0; i < olen; i++) {
		uint8_t *p = malloc(i ? i : 1);
		memcpy(p, out, i);
		assert_int_equal(rc_notice_decode(&n, p, i, NULL), RC_ERR_TRUNCATED);
		free(p);
	}
	static uint8_t huge[RC_NOTICE_MAX + 1];
	memcpy(huge, out, olen);
	assert_int_equal(rc_notice_decode(&n, huge, sizeof(huge), NULL), RC_ERR_TOOLONG);
}

/* ---- coverage ---- */

static struct rc_identity dev(const char *model, const char *hwrev, const char *fw)
{
	struct rc_identity id = {.vendor = sv("acme"),
				 .model = sv(model),
				 .hwrev = sv(hwrev),
				 .fwver = sv(fw),
				 .build_date = 150,
				 .has_build_date = true,
				 .has_digest = true};
	memcpy(id.digest, dig1, 32);
	return id;
}

static bool cov(const struct rc_notice *n, const char *fw)
{
	struct rc_identity id = dev("cam-1", "b", fw);
	return rc_notice_covers(n, &id);
}

static void test_covers(void **state)
{
	struct rc_notice n;
	struct rc_identity id;
	fx_min_notice(&n); /* versions ["1.0"] */
	assert_true(cov(&n, "1.0"));
	assert_false(cov(&n, "1.0.0")); /* exact lists are byte-exact */
	assert_false(cov(&n, "1.0 "));
	id = dev("cam-2", "b", "1.0");
	assert_false(rc_notice_covers(&n, &id));
	id = dev("cam-1", "b", "1.0");
	id.vendor = sv("acme2");
	assert_false(rc_notice_covers(&n, &id));
	assert_false(rc_notice_covers(NULL, &id));
	/* Hardware revisions: absent list = all; else listed ones only. */
	id = dev("cam-1", "", "1.0");
	assert_true(rc_notice_covers(&n, &id));
	n.target.nhwrevs = 2, n.target.hwrevs[0] = sv("a"), n.target.hwrevs[1] = sv("b");
	assert_true(cov(&n, "1.0"));
	assert_false(rc_notice_covers(&n, &id));
	id = dev("cam-1", "c", "1.0");
	assert_false(rc_notice_covers(&n, &id));
	n.target.nhwrevs = 0;
	/* Versions OR ranges are one criterion. */
	n.target.nranges = 1;
	n.target.ranges[0] =
	    (struct rc_range){RC_VS_GENERIC, {sv("2.0"), true}, {sv("2.1"), false}};
	assert_true(cov(&n, "1.0"));
	assert_true(cov(&n, "2.0"));
	assert_true(cov(&n, "v2.0.5"));
	assert_false(cov(&n, "2.1"));
	assert_false(cov(&n, "1.9"));
	assert_false(cov(&n, "1.5"));
	n.target.ranges[0].lo.inclusive = false, n.target.ranges[0].hi.inclusive = true;
	assert_false(cov(&n, "2.0"));
	assert_true(cov(&n, "2.1"));
	n.target.ranges[0].lo = (struct rc_bound){{NULL, 0}, false}; /* only an upper bound */
	assert_true(cov(&n, "0.1"));
	assert_false(cov(&n, "2.1.1"));
	n.target.ranges[0].lo = (struct rc_bound){sv("3"), true};
	n.target.ranges[0].hi = (struct rc_bound){{NULL, 0}, false}; /* only a lower bound */
	assert_true(cov(&n, "10.0"));
	assert_false(cov(&n, "2.9"));
	/* Build dates: AND with the version criterion. */
	n.target.has_built_from = n.target.has_built_before = true;
	n.target.built_from = 100, n.target.built_before = 200;
	assert_true(cov(&n, "1.0"));  /* date 150 */
	assert_false(cov(&n, "2.0")); /* version criterion fails */
	n.target.nversions = n.target.nranges = 0;
	assert_true(cov(&n, "anything"));
	id = dev("cam-1", "b", "x");
	for (uint64_t d = 98; d <= 201; d++) {
		id.build_date = d;
		assert_int_equal(rc_notice_covers(&n, &id), d >= 100 && d < 200);
	}
	id.has_build_date = false;
	assert_false(rc_notice_covers(&n, &id));
	/* Digests: AND with build dates; the device must state one that is listed. */
	n.target.ndigests = 2, n.target.digests[0] = dig2, n.target.digests[1] = dig1;
	assert_true(cov(&n, "x"));
	id = dev("cam-1", "b", "x");
	id.digest[0] ^= 1;
	assert_false(rc_notice_covers(&n, &id));
	id = dev("cam-1", "b", "x");
	id.has_digest = false;
	assert_false(rc_notice_covers(&n, &id));
	id = dev("cam-1", "b", "x");
	id.build_date = 250; /* digest matches, date does not */
	assert_false(rc_notice_covers(&n, &id));
}

static void test_names(void **state)
{
	assert_string_equal(rc_action_name(RC_ACTION_QUARANTINE), "quarantine");
	assert_string_equal(rc_action_name(RC_ACTION_NOTIFY), "notify");
	assert_string_equal(rc_action_name(2), "unknown");
	static const char *const sev[] = {"none", "low", "medium", "high", "critical"};
	for (int i = 0; i < 5; i++) {
		assert_string_equal(rc_severity_name((unsigned)i), sev[i]);
		assert_int_equal(rc_severity_parse(sev[i]), i);
	}
	assert_string_equal(rc_severity_name(5), "unknown");
	assert_int_equal(rc_severity_parse("severe"), -1);
	assert_int_equal(rc_severity_parse(""), -1);
	assert_int_equal(rc_severity_parse(NULL), -1);
}

/* ---- fuzz seeds (tests/fuzz/corpus/notice): always checked, written when
 * RECALL_WRITE_SEEDS names the corpus root ---- */

static void test_seeds(void **state)
{
	struct rc_notice n, back;
	uint8_t b[2048];
	size_t len;
	full_notice(&n);
	assert_int_equal(rc_notice_encode(&n, b, sizeof(b), &len), RC_OK);
	tu_write_seed("notice", "full", b, len);
	fx_min_notice(&n);
	assert_int_equal(rc_notice_encode(&n, b, sizeof(b), &len), RC_OK);
	tu_write_seed("notice", "minimal", b, len);
	n.target.nversions = 0, n.target.has_built_before = true, n.target.built_before = 5;
	assert_int_equal(rc_notice_encode(&n, b, sizeof(b), &len), RC_OK);
	tu_write_seed("notice", "build-only", b, len);
	n.target.has_built_before = false, n.target.nranges = 1;
	n.target.ranges[0] =
	    (struct rc_range){RC_VS_RPM, {sv("1.0~rc1"), true}, {sv("1.0^1"), true}};
	assert_int_equal(rc_notice_encode(&n, b, sizeof(b), &len), RC_OK);
	tu_write_seed("notice", "rpm-range", b, len);
	static const struct {
		const char *name;
		struct nspec x;
		int err;
	} raw[] = {
	    {"extensions",
	     {.extra = -1,
	      .sub_extra = 99,
	      .bound_items = 2,
	      .ep_items = 2,
	      .ep_addr = 16,
	      .digest_len = 32,
	      .nversions = 3},
	     RC_OK},
	    {"bad-empty-refs",
	     {.empty = 8,
	      .bound_items = 2,
	      .ep_items = 2,
	      .ep_addr = 4,
	      .digest_len = 32,
	      .nversions = 1},
	     RC_ERR_NONCANONICAL},
	    {"bad-critical",
	     {.sub_extra = 303,
	      .bound_items = 2,
	      .ep_items = 2,
	      .ep_addr = 4,
	      .digest_len = 32,
	      .nversions = 1},
	     RC_ERR_CRITICAL},
	};
	for (size_t i = 0; i < sizeof(raw) / sizeof(raw[0]); i++) {
		len = build_raw(&raw[i].x, b, sizeof(b));
		assert_int_equal(rc_notice_decode(&back, b, len, NULL), raw[i].err);
		tu_write_seed("notice", raw[i].name, b, len);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_roundtrip),      cmocka_unit_test(test_validate),
	    cmocka_unit_test(test_decode_rejects), cmocka_unit_test(test_covers),
	    cmocka_unit_test(test_names),          cmocka_unit_test(test_seeds),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
