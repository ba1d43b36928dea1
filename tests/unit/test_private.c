/* Private mode (PROTOCOL.md 18): the model hash against an independent computation, round trips
 * and rejections of the three messages, and that a private check-in carries no identity: two
 * devices of different models under one prefix send byte-identical datagrams.
 * `test_private --write-seeds DIR` writes the fuzz seed corpora DIR/private_checkin,
 * DIR/notice_request and DIR/bucket. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "cbor_io.h"
#include "msg_io.h"
#include "recall/private.h"

static const uint8_t nonce[RC_NONCE_LEN] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};

static struct rc_private_checkin pc(uint16_t prefix, uint8_t page)
{
	struct rc_private_checkin c;
	memset(&c, 0, sizeof(c)); /* padding too: tests compare whole structs */
	c.reason = RC_REASON_PERIODIC;
	c.prefix = prefix;
	c.page = page;
	c.anchor_epoch = 3;
	memcpy(c.nonce, nonce, RC_NONCE_LEN);
	return c;
}

/* A 1200-byte request: keys 0..2 (type t, version v), then what fn writes, then the pad. */
typedef void (*body_fn)(struct rc_wr *w);
static size_t build(uint8_t out[RC_CHECKIN_SIZE], size_t nkeys, unsigned t, unsigned v, body_fn fn)
{
	struct rc_wr w;
	rc_wr_init(&w, out, RC_CHECKIN_SIZE);
	rc_wr_map(&w, nkeys);
	rc_wr_uint(&w, 0);
	rc_wr_uint(&w, t);
	rc_wr_uint(&w, 1);
	rc_wr_uint(&w, v);
	rc_wr_uint(&w, 2);
	rc_wr_bstr(&w, nonce, RC_NONCE_LEN);
	fn(&w);
	assert_int_equal(rc_msg_wr_pad(&w, out, 0), RC_OK);
	return RC_CHECKIN_SIZE;
}

static void wr_rs(struct rc_wr *w)
{
	rc_wr_uint(w, 3);
	rc_wr_uint(w, 2);
	rc_wr_uint(w, 4);
	rc_wr_uint(w, 0);
	rc_wr_uint(w, 5);
}
static void body_prefix_big(struct rc_wr *w)
{
	wr_rs(w);
	rc_wr_array(w, 2);
	rc_wr_uint(w, 4096);
	rc_wr_uint(w, 0);
	rc_wr_uint(w, 6);
	rc_wr_uint(w, 0);
}
static void body_page_big(struct rc_wr *w)
{
	wr_rs(w);
	rc_wr_array(w, 2);
	rc_wr_uint(w, 1);
	rc_wr_uint(w, 16);
	rc_wr_uint(w, 6);
	rc_wr_uint(w, 0);
}
static void body_array3(struct rc_wr *w)
{
	wr_rs(w);
	rc_wr_array(w, 3);
	rc_wr_uint(w, 1);
	rc_wr_uint(w, 0);
	rc_wr_uint(w, 0);
	rc_wr_uint(w, 6);
	rc_wr_uint(w, 0);
}
/* An identity map where the prefix belongs: a check-in's key 5 in a private check-in. */
static void body_identity(struct rc_wr *w)
{
	wr_rs(w);
	rc_wr_map(w, 1);
	rc_wr_uint(w, 1);
	rc_wr_tstr(w, "tp-link", 7);
	rc_wr_uint(w, 6);
	rc_wr_uint(w, 0);
}
static void body_no_prefix(struct rc_wr *w)
{
	rc_wr_uint(w, 3);
	rc_wr_uint(w, 2);
	rc_wr_uint(w, 4);
	rc_wr_uint(w, 0);
	rc_wr_uint(w, 6);
	rc_wr_uint(w, 0);
}

static void test_hash(void **state)
{
	(void)state;
	/* python3: sha256(b'recall-private-v1\0tp-link\0archer%20ax21')[:8], first 12 bits */
	static const uint8_t want[] = {0xba, 0x64, 0xe4, 0xa3, 0x93, 0x6e, 0x77, 0xbd};
	uint8_t tag[RC_PRIVATE_TAG_LEN];
	uint16_t prefix = 0;
	rc_private_hash(rc_str_c("tp-link"), rc_str_c("archer%20ax21"), tag, &prefix);
	assert_memory_equal(tag, want, sizeof(want));
	assert_int_equal(prefix, 2982);
	assert_int_equal(rc_private_tag_prefix(tag), 2982);
}

static void test_checkin_roundtrip(void **state)
{
	(void)state;
	uint8_t buf[RC_CHECKIN_SIZE];
	struct rc_private_checkin c = pc(4095, 15), d;
	struct rc_diag diag;
	assert_int_equal(rc_private_checkin_encode(&c, buf), RC_OK);
	assert_int_equal(rc_msg_peek_type(buf, sizeof(buf)), RC_MSG_PRIVATE);
	assert_int_equal(rc_private_checkin_decode(&d, buf, sizeof(buf), &diag), RC_OK);
	assert_memory_equal(&c, &d, sizeof(c));
	/* Not a check-in, not a notice request: each decoder takes only its own type. */
	struct rc_checkin ci;
	assert_int_equal(rc_checkin_decode(&ci, buf, sizeof(buf), &diag), RC_ERR_RANGE);
	struct rc_notice_request q;
	assert_int_equal(rc_notice_request_decode(&q, buf, sizeof(buf), &diag), RC_ERR_RANGE);
	c.prefix = RC_PRIVATE_PREFIXES;
	assert_int_equal(rc_private_checkin_encode(&c, buf), RC_ERR_RANGE);
	c = pc(1, RC_BUCKET_PAGES_MAX);
	assert_int_equal(rc_private_checkin_encode(&c, buf), RC_ERR_RANGE);
}

static void expect(const uint8_t *buf, size_t len, int err, const char *field)
{
	struct rc_private_checkin c;
	struct rc_diag diag;
	assert_int_equal(rc_private_checkin_decode(&c, buf, len, &diag), err);
	assert_string_equal(diag.field, field);
}

static void test_checkin_rejects(void **state)
{
	(void)state;
	uint8_t buf[RC_CHECKIN_SIZE];
	struct rc_private_checkin c = pc(7, 0);
	assert_int_equal(rc_private_checkin_encode(&c, buf), RC_OK);
	expect(buf, RC_CHECKIN_SIZE - 1, RC_ERR_SIZE, "private_checkin");
	buf[RC_CHECKIN_SIZE - 1] = 1;
	expect(buf, RC_CHECKIN_SIZE, RC_ERR_SYNTAX, "pad");
	build(buf, 8, RC_MSG_PRIVATE, 1, body_prefix_big);
	expect(buf, RC_CHECKIN_SIZE, RC_ERR_RANGE, "prefix");
	build(buf, 8, RC_MSG_PRIVATE, 1, body_page_big);
	expect(buf, RC_CHECKIN_SIZE, RC_ERR_RANGE, "prefix");
	build(buf, 8, RC_MSG_PRIVATE, 1, body_array3);
	expect(buf, RC_CHECKIN_SIZE, RC_ERR_TOOLONG, "prefix");
	build(buf, 8, RC_MSG_PRIVATE, 1, body_identity);
	expect(buf, RC_CHECKIN_SIZE, RC_ERR_TYPE, "prefix");
	build(buf, 7, RC_MSG_PRIVATE, 1, body_no_prefix);
	expect(buf, RC_CHECKIN_SIZE, RC_ERR_MISSING, "prefix");
	/* Another version: only the nonce is read, for "unsupported". */
	build(buf, 8, RC_MSG_PRIVATE, 2, body_prefix_big);
	struct rc_private_checkin d;
	struct rc_diag diag;
	assert_int_equal(rc_private_checkin_decode(&d, buf, sizeof(buf), &diag), RC_ERR_VERSION);
	assert_memory_equal(d.nonce, nonce, RC_NONCE_LEN);
}

/* The capture test of issue 18: a private check-in holds nothing of the identity. Two devices
 * of different vendors and models whose hashes share the 12-bit prefix send the same bytes,
 * and neither name appears in them. */
static void test_no_identity(void **state)
{
	(void)state;
	uint8_t t0[RC_PRIVATE_TAG_LEN], t1[RC_PRIVATE_TAG_LEN];
	uint16_t p0, p1 = 0;
	char model[32];
	rc_private_hash(rc_str_c("hikvision"), rc_str_c("ds-2cd2047g2-l"), t0, &p0);
	int i;
	for (i = 0; i < 200000; i++) {
		snprintf(model, sizeof(model), "model-%d", i);
		rc_private_hash(rc_str_c("tp-link"), rc_str_c(model), t1, &p1);
		if (p1 == p0)
			break;
	}
	assert_int_equal(p1, p0);
	assert_memory_not_equal(t0, t1, RC_PRIVATE_TAG_LEN);
	uint8_t a[RC_CHECKIN_SIZE], b[RC_CHECKIN_SIZE];
	struct rc_private_checkin c = pc(p0, 0);
	assert_int_equal(rc_private_checkin_encode(&c, a), RC_OK);
	c = pc(p1, 0);
	assert_int_equal(rc_private_checkin_encode(&c, b), RC_OK);
	assert_memory_equal(a, b, RC_CHECKIN_SIZE);
	assert_null(memmem(a, sizeof(a), "hikvision", 9));
	assert_null(memmem(a, sizeof(a), "ds-2cd", 6));
	assert_null(memmem(a, sizeof(a), t0, 2)); /* not even the tag's first two bytes */
	/* Keys 5 and 6 are the prefix array and the epoch; then key 7 and the zero pad, to the
	 * end of the datagram. */
	const uint8_t *pad = memmem(a + 23, 20, "\x07\x59", 2);
	assert_non_null(pad);
	size_t pad_at = (size_t)(pad - a) + 4;
	assert_int_equal(pad[2] << 8 | pad[3], sizeof(a) - pad_at);
	for (size_t k = pad_at; k < sizeof(a); k++)
		assert_int_equal(a[k], 0);
}

static void test_notice_request(void **state)
{
	(void)state;
	uint8_t buf[RC_CHECKIN_SIZE];
	struct rc_notice_request q, d;
	memset(&q, 0, sizeof(q));
	q.index = RC_NOTICE_INDEX_MAX;
	q.anchor_epoch = 1u << 20;
	memcpy(q.nonce, nonce, RC_NONCE_LEN);
	memcpy(q.tag, "\xba\x64\xe4\xa3\x93\x6e\x77\xbd", RC_PRIVATE_TAG_LEN);
	struct rc_diag diag;
	assert_int_equal(rc_notice_request_encode(&q, buf), RC_OK);
	assert_int_equal(rc_notice_request_decode(&d, buf, sizeof(buf), &diag), RC_OK);
	assert_memory_equal(&q, &d, sizeof(q));
	/* Index one above the largest: 0x19 0xff 0xfe -> 0xff 0xff. */
	uint8_t *ix = memmem(buf, 40, "\x04\x19\xff\xfe", 4);
	assert_non_null(ix);
	ix[3] = 0xff;
	assert_int_equal(rc_notice_request_decode(&d, buf, sizeof(buf), &diag), RC_ERR_RANGE);
	assert_string_equal(diag.field, "index");
	/* A private check-in's bytes are no notice request. */
	struct rc_private_checkin c = pc(1, 0);
	assert_int_equal(rc_private_checkin_encode(&c, buf), RC_OK);
	assert_int_equal(rc_notice_request_decode(&d, buf, sizeof(buf), &diag), RC_ERR_RANGE);
	assert_string_equal(diag.field, "type");
}

static uint8_t entries[RC_BUCKET_ENTRIES_MAX + 1][RC_BUCKET_ENTRY_LEN];

static struct rc_bucket bucket(size_t n)
{
	for (size_t i = 0; i < n; i++) {
		memset(entries[i], 0, RC_BUCKET_ENTRY_LEN);
		entries[i][0] = 0x12;
		entries[i][7] = (uint8_t)i;
		entries[i][9] = (uint8_t)(i + 1);
	}
	struct rc_bucket b = {
	    .serial = UINT64_MAX, .entries = entries[0], .nentries = n, .pages = 1};
	memcpy(b.nonce, nonce, RC_NONCE_LEN);
	return b;
}

static int bdecode(const uint8_t *buf, size_t len, const char **field)
{
	struct rc_bucket b;
	struct rc_diag diag;
	int e = rc_bucket_decode(&b, buf, len, &diag);
	*field = diag.field;
	return e;
}

static void test_bucket(void **state)
{
	(void)state;
	uint8_t buf[RC_ANSWER_MAX];
	size_t len;
	const char *field;
	struct rc_bucket b = bucket(RC_BUCKET_ENTRIES_MAX), d;
	struct rc_diag diag;
	assert_int_equal(rc_bucket_encode(&b, buf, sizeof(buf), &len), RC_OK);
	assert_int_equal(len, 1199); /* PROTOCOL.md 18.2: the largest bucket answer */
	assert_int_equal(rc_bucket_decode(&d, buf, len, &diag), RC_OK);
	assert_int_equal(d.nentries, RC_BUCKET_ENTRIES_MAX);
	assert_true(d.serial == UINT64_MAX);
	assert_int_equal(rc_bucket_find(&d, entries[5]), 6);
	uint8_t other[RC_PRIVATE_TAG_LEN] = {0x12, 0, 0, 0, 0, 0, 1, 5};
	assert_int_equal(rc_bucket_find(&d, other), 0);
	b = bucket(0);
	assert_int_equal(rc_bucket_encode(&b, buf, sizeof(buf), &len), RC_OK);
	assert_int_equal(len, 37);
	b = bucket(RC_BUCKET_ENTRIES_MAX + 1);
	assert_int_equal(rc_bucket_encode(&b, buf, sizeof(buf), &len), RC_ERR_TOOLONG);
	b = bucket(3);
	b.pages = 0;
	assert_int_equal(rc_bucket_encode(&b, buf, sizeof(buf), &len), RC_ERR_RANGE);
	/* Out of order, and a zero count, on the wire. */
	b.pages = 1;
	assert_int_equal(rc_bucket_encode(&b, buf, sizeof(buf), &len), RC_OK);
	uint8_t *e = memmem(buf, len, entries[0], RC_BUCKET_ENTRY_LEN);
	assert_non_null(e);
	e[RC_BUCKET_ENTRY_LEN + 7] = 0; /* entry 1's tag = entry 0's */
	assert_int_equal(bdecode(buf, len, &field), RC_ERR_SYNTAX);
	assert_string_equal(field, "entries");
	e[RC_BUCKET_ENTRY_LEN + 7] = 1;
	e[9] = 0; /* entry 0's count */
	assert_int_equal(bdecode(buf, len, &field), RC_ERR_SYNTAX);
	e[9] = 1;
	assert_int_equal(bdecode(buf, len, &field), RC_OK);
	/* pages 17; then a length that is not a multiple of 10 (the bstr head 0x58 0x1e -> 0x1d,
	 * which leaves a stray byte). */
	buf[len - 1] = 17;
	assert_int_equal(bdecode(buf, len, &field), RC_ERR_RANGE);
	assert_string_equal(field, "pages");
	buf[len - 1] = 1;
	assert_int_equal(e[-1], 30);
	e[-1] = 29;
	assert_int_equal(bdecode(buf, len, &field), RC_ERR_SYNTAX);
	assert_string_equal(field, "entries");
	/* Another answer type's key: critical. */
	static const uint8_t crit[] = {0xa5, 0x00, 0x0a, 0x01, 0x01, 0x02, 0x50, 1,    2,
				       3,    4,    5,    6,    7,    8,    9,    10,   11,
				       12,   13,   14,   15,   16,   0x03, 0x00, 0x04, 0x40};
	assert_int_equal(bdecode(crit, sizeof(crit), &field), RC_ERR_CRITICAL);
	/* A missing pages key. */
	b = bucket(1);
	assert_int_equal(rc_bucket_encode(&b, buf, sizeof(buf), &len), RC_OK);
	buf[0] = 0xa5;
	assert_int_equal(bdecode(buf, len - 2, &field), RC_ERR_MISSING);
	assert_string_equal(field, "pages");
}

static int write_seed(const char *dir, const char *sub, const char *name, const uint8_t *p,
		      size_t n)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%s/%s", dir, sub, name);
	FILE *f = fopen(path, "wb");
	if (!f || fwrite(p, 1, n, f) != n || fclose(f)) {
		perror(path);
		return 1;
	}
	return 0;
}

static int write_seeds(const char *dir)
{
	uint8_t buf[RC_CHECKIN_SIZE];
	size_t len;
	int bad = 0;
	struct rc_private_checkin c = pc(2982, 1);
	bad |= rc_private_checkin_encode(&c, buf) != RC_OK;
	bad |= write_seed(dir, "private_checkin", "ok", buf, sizeof(buf));
	bad |= write_seed(dir, "notice_request", "private", buf, sizeof(buf));
	build(buf, 8, RC_MSG_PRIVATE, 1, body_identity);
	bad |= write_seed(dir, "private_checkin", "identity", buf, sizeof(buf));
	build(buf, 8, RC_MSG_PRIVATE, 2, body_prefix_big);
	bad |= write_seed(dir, "private_checkin", "version-2", buf, sizeof(buf));
	struct rc_notice_request q = {.index = 3, .anchor_epoch = 9};
	memcpy(q.nonce, nonce, RC_NONCE_LEN);
	memcpy(q.tag, "\xba\x64\xe4\xa3\x93\x6e\x77\xbd", RC_PRIVATE_TAG_LEN);
	bad |= rc_notice_request_encode(&q, buf) != RC_OK;
	bad |= write_seed(dir, "notice_request", "ok", buf, sizeof(buf));
	bad |= write_seed(dir, "private_checkin", "notice-request", buf, sizeof(buf));
	struct rc_bucket b = bucket(4);
	bad |= rc_bucket_encode(&b, buf, sizeof(buf), &len) != RC_OK;
	bad |= write_seed(dir, "bucket", "four", buf, len);
	b = bucket(0);
	bad |= rc_bucket_encode(&b, buf, sizeof(buf), &len) != RC_OK;
	bad |= write_seed(dir, "bucket", "empty", buf, len);
	return bad;
}

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "--write-seeds"))
		return write_seeds(argv[2]);
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_hash),
	    cmocka_unit_test(test_checkin_roundtrip),
	    cmocka_unit_test(test_checkin_rejects),
	    cmocka_unit_test(test_no_identity),
	    cmocka_unit_test(test_notice_request),
	    cmocka_unit_test(test_bucket),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
