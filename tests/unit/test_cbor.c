/* The CBOR cursor: deterministic-encoding rules and sticky errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "cbor_io.h"

static int read_one_uint(const uint8_t *b, size_t n, uint64_t *v)
{
	struct rc_rd r;
	rc_rd_init(&r, b, n);
	*v = rc_rd_uint(&r);
	return rc_rd_finish(&r);
}

static void test_uint_shortest(void **state)
{
	uint64_t v;
	assert_int_equal(read_one_uint((const uint8_t[]){0x17}, 1, &v), RC_OK);
	assert_int_equal(v, 23);
	assert_int_equal(read_one_uint((const uint8_t[]){0x18, 0x18}, 2, &v), RC_OK);
	assert_int_equal(v, 24);
	/* 23 in a one-byte argument is not the shortest form. */
	assert_int_equal(read_one_uint((const uint8_t[]){0x18, 0x17}, 2, &v), RC_ERR_NONCANONICAL);
	assert_int_equal(read_one_uint((const uint8_t[]){0x19, 0x00, 0xff}, 3, &v),
			 RC_ERR_NONCANONICAL);
	assert_int_equal(read_one_uint((const uint8_t[]){0x19, 0x01}, 2, &v), RC_ERR_TRUNCATED);
	assert_int_equal(read_one_uint((const uint8_t[]){0x01, 0x01}, 2, &v), RC_ERR_TRAILING);
	assert_int_equal(read_one_uint((const uint8_t[]){0x41, 0x01}, 2, &v), RC_ERR_TYPE);
	assert_int_equal(read_one_uint((const uint8_t[]){0xfb, 0, 0, 0, 0, 0, 0, 0, 0}, 9, &v),
			 RC_ERR_TYPE);
	assert_int_equal(read_one_uint((const uint8_t[]){0xf8, 0x20}, 2, &v), RC_ERR_TYPE);
}

static void test_indefinite(void **state)
{
	struct rc_rd r;
	const uint8_t b[] = {0x5f, 0x41, 0x00, 0xff};
	rc_rd_init(&r, b, sizeof(b));
	size_t n;
	rc_rd_bstr(&r, &n, 10);
	assert_int_equal(r.err, RC_ERR_INDEFINITE);
	const uint8_t m[] = {0xbf, 0x01, 0x02, 0xff};
	rc_rd_init(&r, m, sizeof(m));
	rc_rd_map(&r, 4);
	assert_int_equal(r.err, RC_ERR_INDEFINITE);
}

static void test_keys_order(void **state)
{
	/* {1: 0, 1: 0} duplicate; {2: 0, 1: 0} out of order; {1: 0, -1: 0} fine. */
	const uint8_t dup[] = {0xa2, 0x01, 0x00, 0x01, 0x00};
	const uint8_t ooo[] = {0xa2, 0x02, 0x00, 0x01, 0x00};
	const uint8_t ok[] = {0xa2, 0x01, 0x00, 0x20, 0x00};
	const uint8_t *cases[] = {dup, ooo, ok};
	int want[] = {RC_ERR_DUPKEY, RC_ERR_NONCANONICAL, RC_OK}; /* as for kids */
	for (int c = 0; c < 3; c++) {
		struct rc_rd r;
		struct rc_keys ks = {0};
		rc_rd_init(&r, cases[c], 5);
		size_t n = rc_rd_map(&r, 4);
		for (size_t i = 0; i < n && !r.err; i++) {
			rc_rd_key(&r, &ks);
			rc_rd_uint(&r);
		}
		assert_int_equal(rc_rd_finish(&r), want[c]);
	}
}

static void test_skip_and_critical(void **state)
{
	/* {-1: [1, {2: h'00'}]} skips; {5: 1} is critical. */
	const uint8_t ext[] = {0xa1, 0x20, 0x82, 0x01, 0xa1, 0x02, 0x41, 0x00};
	struct rc_rd r;
	struct rc_keys ks = {0};
	rc_rd_init(&r, ext, sizeof(ext));
	rc_rd_map(&r, 4);
	int64_t k = rc_rd_key(&r, &ks);
	assert_int_equal(k, -1);
	rc_rd_unknown(&r, k);
	assert_int_equal(rc_rd_finish(&r), RC_OK);

	const uint8_t crit[] = {0xa1, 0x05, 0x01};
	memset(&ks, 0, sizeof(ks));
	rc_rd_init(&r, crit, sizeof(crit));
	rc_rd_map(&r, 4);
	rc_rd_unknown(&r, rc_rd_key(&r, &ks));
	assert_int_equal(rc_rd_finish(&r), RC_ERR_CRITICAL);

	/* An array claiming more items than bytes left is truncated, not a long loop. */
	const uint8_t big[] = {0x9a, 0xff, 0xff, 0xff, 0xff};
	rc_rd_init(&r, big, sizeof(big));
	rc_rd_skip(&r);
	assert_int_equal(r.err, RC_ERR_TRUNCATED);
	/* A map of 2^63 pairs: twice that wraps to 0, which must not read as an empty map. */
	const uint8_t wrap[] = {0xbb, 0x80, 0, 0, 0, 0, 0, 0, 0};
	rc_rd_init(&r, wrap, sizeof(wrap));
	rc_rd_skip(&r);
	assert_int_equal(r.err, RC_ERR_TRUNCATED);
	/* A count above 2^32 (cut to 0 or 1 by a 32-bit size_t) is too long, whatever libcbor's
	 * type for counts. */
	const uint8_t huge[] = {0x9b, 0, 0, 0, 1, 0, 0, 0, 1, 0x00};
	rc_rd_init(&r, huge, sizeof(huge));
	assert_int_equal(rc_rd_array(&r, 4), 0);
	assert_int_equal(r.err, RC_ERR_TOOLONG);
}

/* {-1: v}: how a receiver takes the value v of an extension key (PROTOCOL.md 3.2). */
static int ext_value(const uint8_t *v, size_t n)
{
	uint8_t b[32] = {0xa1, 0x20};
	struct rc_rd r;
	struct rc_keys ks = {0};
	memcpy(b + 2, v, n);
	rc_rd_init(&r, b, n + 2);
	rc_rd_map(&r, 4);
	rc_rd_unknown(&r, rc_rd_key(&r, &ks));
	return rc_rd_finish(&r);
}

static void test_extension_values(void **state)
{
	/* 3.2 holds inside extension values: text keys and tags are fine (3.1's integer keys
	 * and CDDL-only tags are about the maps and fields the protocol defines)... */
	assert_int_equal(ext_value((const uint8_t[]){0xa1, 0x61, 'a', 0x01}, 4), RC_OK);
	assert_int_equal(ext_value((const uint8_t[]){0xc1, 0x00}, 2), RC_OK);
	/* ...but the encoding is still deterministic: sorted unique keys, no floats */
	assert_int_equal(ext_value((const uint8_t[]){0xa2, 0x61, 'b', 0x01, 0x61, 'a', 0x01}, 7),
			 RC_ERR_NONCANONICAL);
	assert_int_equal(ext_value((const uint8_t[]){0xa2, 0x61, 'a', 0x01, 0x61, 'a', 0x01}, 7),
			 RC_ERR_DUPKEY);
	assert_int_equal(ext_value((const uint8_t[]){0xf9, 0x3c, 0x00}, 3), RC_ERR_TYPE);
	/* Depth: the value itself is at depth 0, each enclosing array, map or tag adds 1, and
	 * no item may be deeper than 8. Eight arrays around 0 are fine, nine are not; nine
	 * nested empty arrays are fine (the innermost one, at depth 8, encloses nothing). */
	const uint8_t a8[] = {0x81, 0x81, 0x81, 0x81, 0x81, 0x81, 0x81, 0x81, 0x00};
	const uint8_t a9[] = {0x81, 0x81, 0x81, 0x81, 0x81, 0x81, 0x81, 0x81, 0x81, 0x00};
	const uint8_t e9[] = {0x81, 0x81, 0x81, 0x81, 0x81, 0x81, 0x81, 0x81, 0x80};
	assert_int_equal(ext_value(a8, sizeof(a8)), RC_OK);
	assert_int_equal(ext_value(a9, sizeof(a9)), RC_ERR_DEPTH);
	assert_int_equal(ext_value(e9, sizeof(e9)), RC_OK);
	const uint8_t t9[] = {0xc1, 0x81, 0x81, 0x81, 0x81, 0x81, 0x81, 0x81, 0x81, 0x00};
	assert_int_equal(ext_value(t9, sizeof(t9)), RC_ERR_DEPTH); /* a tag counts */
}

static void test_utf8(void **state)
{
	const uint8_t bad[] = {0x62, 0xc0, 0xaf}; /* overlong '/' */
	const uint8_t good[] = {0x62, 0xc3, 0xa9};
	struct rc_rd r;
	size_t n;
	rc_rd_init(&r, bad, sizeof(bad));
	rc_rd_tstr(&r, &n, 10);
	assert_int_equal(r.err, RC_ERR_SYNTAX);
	rc_rd_init(&r, good, sizeof(good));
	assert_non_null(rc_rd_tstr(&r, &n, 10));
	assert_int_equal(rc_rd_finish(&r), RC_OK);
}

static void test_writer(void **state)
{
	uint8_t buf[16];
	struct rc_wr w;
	rc_wr_init(&w, buf, sizeof(buf));
	rc_wr_map(&w, 1);
	rc_wr_int(&w, -1);
	rc_wr_uint(&w, 500);
	assert_int_equal(w.err, 0);
	assert_int_equal(w.len, 5);
	assert_memory_equal(buf, ((const uint8_t[]){0xa1, 0x20, 0x19, 0x01, 0xf4}), 5);
	rc_wr_init(&w, buf, 2);
	rc_wr_uint(&w, 1000);
	assert_int_equal(w.err, RC_ERR_BUFFER);
	rc_wr_init(&w, NULL, 0);
	rc_wr_bstr(&w, buf, 300);
	assert_int_equal(w.len, 303);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_uint_shortest), cmocka_unit_test(test_indefinite),
	    cmocka_unit_test(test_keys_order),    cmocka_unit_test(test_skip_and_critical),
	    cmocka_unit_test(test_utf8),          cmocka_unit_test(test_extension_values),
	    cmocka_unit_test(test_writer),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
