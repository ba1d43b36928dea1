/* Signed feeds: build, open, lookup order, notice verification, and clean rejection of every
 * kind of damage (flipped bytes, truncation, wrong key, bad counts, offsets and lengths).
 * With RECALL_FEED_SEEDS=DIR set it also writes the fuzz seed corpus (tests/fuzz/corpus/feed)
 * with the fixed keys fuzz_feed.c knows. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <pthread.h>

#include <sodium.h>

#include "recall/feed.h"
#include "recall/msg.h"

/* Fixed keys (the fuzz target uses the same seeds): anchors 1..3, feed key 0x77. */
static uint8_t apk[3][RC_PK_LEN], ask[3][RC_SK_LEN], fpk[RC_PK_LEN], fsk[RC_SK_LEN];
static struct rc_anchors anchors; /* k = 2 of the three */

static void keys(void)
{
	uint8_t seed[32];
	for (int i = 0; i < 3; i++) {
		memset(seed, i + 1, sizeof(seed));
		crypto_sign_seed_keypair(apk[i], ask[i], seed);
	}
	memset(seed, 0x77, sizeof(seed));
	crypto_sign_seed_keypair(fpk, fsk, seed);
	assert_int_equal(rc_anchors_init(&anchors, 1, 2, (const uint8_t(*)[RC_PK_LEN])apk, 3),
			 RC_OK);
}

struct blob {
	uint8_t b[RC_NOTICE_MAX + 100];
	size_t n;
};

/* A notice for vendor/model covering version ver, signed by the first nsig anchor keys. */
static void make(struct blob *out, const char *id, const char *vendor, const char *model,
		 const char *ver, uint8_t action, uint8_t sev, int nsig)
{
	struct rc_notice n;
	memset(&n, 0, sizeof(n));
	n.id = rc_str_c(id);
	n.issued = 1000, n.not_before = 1000, n.expiry = 5000;
	n.target.vendor = rc_str_c(vendor), n.target.model = rc_str_c(model);
	n.target.nversions = 1, n.target.versions[0] = rc_str_c(ver);
	n.action = action, n.severity = sev;
	n.text = rc_str_c("Update the firmware.");
	n.remedy_url = rc_str_c("https://example.org/fw");
	uint8_t payload[RC_NOTICE_MAX], tmp[sizeof(out->b)];
	size_t pl;
	assert_int_equal(rc_notice_encode(&n, payload, sizeof(payload), &pl), RC_OK);
	assert_int_equal(
	    rc_cose_encode_unsigned(out->b, sizeof(out->b), &out->n, RC_CT_NOTICE, payload, pl),
	    RC_OK);
	for (int i = 0; i < nsig; i++) {
		size_t tl;
		assert_int_equal(rc_cose_sign_add(tmp, sizeof(tmp), &tl, out->b, out->n, ask[i]),
				 RC_OK);
		memcpy(out->b, tmp, tl);
		out->n = tl;
	}
}

static struct rc_feed_meta meta(void)
{
	struct rc_feed_meta m;
	memset(&m, 0, sizeof(m));
	m.serial = 42, m.issued = 1500, m.expiry = 9000;
	assert_int_equal(rc_anchors_id(&anchors, m.anchors_id), RC_OK);
	return m;
}

/* Build a feed of the given notices; returns the malloc'd bytes. */
static uint8_t *build(struct blob *nb, size_t n, size_t *len)
{
	const uint8_t *p[8];
	size_t l[8], bad = 99;
	for (size_t i = 0; i < n; i++)
		p[i] = nb[i].b, l[i] = nb[i].n;
	struct rc_feed_meta m = meta();
	uint8_t *f;
	assert_int_equal(rc_feed_build(&f, len, &m, p, l, n, fsk, &bad), RC_OK);
	return f;
}

/* Five notices: two for acme/cam-1 (notify-low first in input order), one more model, one
 * other vendor, and one with a '%' name. */
static struct blob sample[5];
static uint8_t *sample_feed(size_t *len)
{
	make(&sample[0], "N-notify", "acme", "cam-1", "1.0", RC_ACTION_NOTIFY, RC_SEV_LOW, 2);
	make(&sample[1], "N-quar", "acme", "cam-1", "1.0", RC_ACTION_QUARANTINE, RC_SEV_HIGH, 3);
	make(&sample[2], "N-cam2", "acme", "cam-2", "2.0", RC_ACTION_QUARANTINE, RC_SEV_HIGH, 2);
	make(&sample[3], "N-other", "other", "router", "3.1", RC_ACTION_QUARANTINE, RC_SEV_LOW, 2);
	make(&sample[4], "N-pct", "tp-link", "archer%20ax21", "1.1", RC_ACTION_NOTIFY, 2, 2);
	return build(sample, 5, len);
}

static struct rc_identity ident(const char *v, const char *m, const char *fw)
{
	struct rc_identity id;
	memset(&id, 0, sizeof(id));
	id.vendor = rc_str_c(v), id.model = rc_str_c(m), id.fwver = rc_str_c(fw);
	return id;
}

static void test_build_open_lookup(void **state)
{
	size_t len;
	uint8_t *buf = sample_feed(&len);
	struct rc_feed f;
	struct rc_diag d;
	assert_int_equal(rc_feed_open(&f, buf, len, fpk, &d), RC_OK);
	assert_int_equal(f.nnotices, 5);
	assert_int_equal(f.nbuckets, 8);
	assert_int_equal(f.meta.serial, 42);
	assert_int_equal(f.meta.issued, 1500);
	assert_int_equal(f.meta.expiry, 9000);
	assert_memory_equal(buf, RC_FEED_MAGIC, 8);
	uint8_t kid[RC_KID_LEN];
	rc_kid(kid, fpk);
	assert_memory_equal(f.meta.key_id, kid, RC_KID_LEN);
	size_t bad = 99;
	assert_int_equal(rc_feed_verify_notices(&f, &anchors, &bad), RC_OK);
	assert_int_equal(rc_feed_check_time(&f, 8999), RC_OK);
	assert_int_equal(rc_feed_check_time(&f, 9000), RC_ERR_EXPIRED);

	/* Every notice is in the feed byte for byte. */
	for (int i = 0; i < 5; i++) {
		bool found = false;
		for (uint32_t j = 0; j < f.nnotices; j++) {
			const uint8_t *p;
			size_t n;
			assert_int_equal(rc_feed_notice(&f, j, &p, &n), RC_OK);
			found |= n == sample[i].n && !memcmp(p, sample[i].b, n);
		}
		assert_true(found);
	}
	const uint8_t *p;
	size_t n;
	assert_int_equal(rc_feed_notice(&f, 5, &p, &n), RC_ERR_INVALID);

	/* Quarantine before notify-only for the same identity. */
	struct rc_notice no;
	struct rc_identity id = ident("acme", "cam-1", "1.0");
	assert_true(rc_feed_lookup(&f, &id, &p, &n, &no));
	assert_true(rc_str_eq(no.id, rc_str_c("N-quar")));
	assert_int_equal(n, sample[1].n);
	assert_memory_equal(p, sample[1].b, n);
	id = ident("acme", "cam-1", "1.1");
	assert_false(rc_feed_lookup(&f, &id, &p, &n, NULL));
	id = ident("acme", "cam-2", "2.0");
	assert_true(rc_feed_lookup(&f, &id, NULL, NULL, &no));
	assert_true(rc_str_eq(no.id, rc_str_c("N-cam2")));
	id = ident("tp-link", "archer%20ax21", "1.1");
	assert_true(rc_feed_lookup(&f, &id, &p, &n, NULL));
	id = ident("other", "router", "3.1");
	assert_true(rc_feed_lookup(&f, &id, &p, &n, NULL));
	id = ident("acmE", "cam-1", "1.0"); /* not canonical: never matches */
	assert_false(rc_feed_lookup(&f, &id, &p, &n, NULL));
	id = ident("nobody", "nothing", "1.0");
	assert_false(rc_feed_lookup(&f, &id, &p, &n, NULL));

	/* Validity window: not yet valid before 1000, expired from 5000. */
	id = ident("acme", "cam-1", "1.0");
	assert_false(rc_feed_lookup_at(&f, &id, 999, &p, &n, NULL));
	assert_true(rc_feed_lookup_at(&f, &id, 1000, &p, &n, &no));
	assert_false(rc_feed_lookup_at(&f, &id, 5000, &p, &n, NULL));
	free(buf);
}

static void test_empty_feed(void **state)
{
	size_t len;
	uint8_t *buf = build(NULL, 0, &len);
	struct rc_feed f;
	assert_int_equal(len, RC_FEED_HDR_LEN + 8 + RC_FEED_SIG_LEN);
	assert_int_equal(rc_feed_open(&f, buf, len, fpk, NULL), RC_OK);
	assert_int_equal(f.nnotices, 0);
	assert_int_equal(f.nbuckets, 1);
	assert_int_equal(rc_feed_verify_notices(&f, &anchors, NULL), RC_OK);
	struct rc_identity id = ident("acme", "cam-1", "1.0");
	assert_false(rc_feed_lookup(&f, &id, NULL, NULL, NULL));
	free(buf);
}

/* A feed signed through an rc_signer opens with its public key; a failing signer makes
 * RC_ERR_IO and no feed. */
static int sign_cb(void *ctx, uint8_t sig[RC_SIG_LEN], const uint8_t *msg, size_t len)
{
	if (!ctx)
		return -1;
	crypto_sign_detached(sig, NULL, msg, len, ctx);
	return 0;
}

static void test_build_signer(void **state)
{
	struct blob nb[1];
	make(&nb[0], "S", "acme", "cam-1", "1.0", 0, 1, 2);
	const uint8_t *p[1] = {nb[0].b};
	size_t l[1] = {nb[0].n}, bad = 99, len;
	struct rc_feed_meta m = meta();
	struct rc_signer s = {.sign = sign_cb, .ctx = fsk};
	memcpy(s.pk, fpk, RC_PK_LEN);
	uint8_t *buf;
	assert_int_equal(rc_feed_build_signer(&buf, &len, &m, p, l, 1, &s, &bad), RC_OK);
	struct rc_feed f;
	assert_int_equal(rc_feed_open(&f, buf, len, fpk, NULL), RC_OK);
	assert_int_equal(f.nnotices, 1);
	free(buf);
	s.ctx = NULL;
	buf = (uint8_t *)1;
	assert_int_equal(rc_feed_build_signer(&buf, &len, &m, p, l, 1, &s, &bad), RC_ERR_IO);
	assert_null(buf);
}

static void test_build_refuses(void **state)
{
	struct blob nb[3];
	make(&nb[0], "A", "acme", "cam-1", "1.0", 0, 1, 2);
	make(&nb[1], "B", "acme", "cam-2", "1.0", 0, 1, 2);
	make(&nb[2], "A", "other", "x", "1.0", 0, 1, 2);
	const uint8_t *p[3] = {nb[0].b, nb[1].b, nb[2].b};
	size_t l[3] = {nb[0].n, nb[1].n, nb[2].n}, bad = 99, len;
	struct rc_feed_meta m = meta();
	uint8_t *f = (uint8_t *)1;
	assert_int_equal(rc_feed_build(&f, &len, &m, p, l, 3, fsk, &bad), RC_ERR_DUPKEY);
	assert_int_equal(bad, 2);
	assert_null(f);
	/* Too long for one answer. */
	static uint8_t big[RC_NOTICE_MAX + 1];
	p[2] = big, l[2] = sizeof(big), bad = 99;
	assert_int_equal(rc_feed_build(&f, &len, &m, p, l, 3, fsk, &bad), RC_ERR_TOOLONG);
	assert_int_equal(bad, 2);
	/* Not a notice at all, and a notice with a broken signature structure. */
	p[1] = (const uint8_t *)"\xa0", l[1] = 1, bad = 99;
	assert_int_not_equal(rc_feed_build(&f, &len, &m, p, l, 2, fsk, &bad), RC_OK);
	assert_int_equal(bad, 1);
	/* Expiry before issue. */
	m.expiry = m.issued - 1;
	assert_int_equal(rc_feed_build(&f, &len, &m, p, l, 1, fsk, &bad), RC_ERR_INVALID);
}

static void test_every_flipped_byte(void **state)
{
	size_t len;
	uint8_t *buf = sample_feed(&len);
	struct rc_feed f;
	for (size_t i = 0; i < len; i++) {
		buf[i] ^= 0x01;
		assert_int_not_equal(rc_feed_open(&f, buf, len, fpk, NULL), RC_OK);
		assert_null(f.base);
		buf[i] ^= 0x01;
	}
	assert_int_equal(rc_feed_open(&f, buf, len, fpk, NULL), RC_OK);
	free(buf);
}

static void test_truncated_and_extended(void **state)
{
	size_t len;
	uint8_t *buf = sample_feed(&len);
	uint8_t *longer = calloc(1, len + 1);
	memcpy(longer, buf, len);
	struct rc_feed f;
	struct rc_diag d;
	for (size_t n = 0; n < len; n++)
		assert_int_not_equal(rc_feed_open(&f, buf, n, fpk, &d), RC_OK);
	assert_int_equal(rc_feed_open(&f, NULL, 0, fpk, &d), RC_ERR_TRUNCATED);
	assert_int_equal(rc_feed_open(&f, longer, len + 1, fpk, &d), RC_ERR_SIZE);
	assert_string_equal(d.field, "feed.file_length");
	free(longer);
	free(buf);
}

static void test_wrong_key(void **state)
{
	size_t len;
	uint8_t *buf = sample_feed(&len);
	struct rc_feed f;
	struct rc_diag d;
	assert_int_equal(rc_feed_open(&f, buf, len, apk[0], &d), RC_ERR_SIG);
	assert_string_equal(d.field, "feed.key_id");
	/* Right key id in the header, signature by another key. */
	crypto_sign_detached(buf + len - 64, NULL, buf, len - 64, ask[0]);
	assert_int_equal(rc_feed_open(&f, buf, len, fpk, &d), RC_ERR_SIG);
	assert_string_equal(d.field, "feed.signature");
	/* Structure alone is still fine. */
	assert_int_equal(rc_feed_parse(&f, buf, len, &d), RC_OK);
	free(buf);
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v, p[1] = (uint8_t)(v >> 8), p[2] = (uint8_t)(v >> 16),
	p[3] = (uint8_t)(v >> 24);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* Re-sign a modified feed with the feed key, so that only the structure checks can object. */
static int reopen(uint8_t *buf, size_t len, struct rc_diag *d)
{
	struct rc_feed f;
	crypto_sign_detached(buf + len - 64, NULL, buf, len - 64, fsk);
	return rc_feed_open(&f, buf, len, fpk, d);
}

/* Apply edit to a fresh copy of the sample feed; expect err at field. */
#define EXPECT(edit, err, fld)                                                                     \
	do {                                                                                       \
		memcpy(buf, orig, len);                                                            \
		edit;                                                                              \
		assert_int_equal(reopen(buf, len, &d), err);                                       \
		assert_string_equal(d.field, fld);                                                 \
	} while (0)

static void test_bad_structure(void **state)
{
	size_t len;
	uint8_t *orig = sample_feed(&len), *buf = malloc(len);
	struct rc_diag d;
	const size_t E = RC_FEED_HDR_LEN + 4 * 9; /* entries: 8 buckets + 1 */
	EXPECT(buf[0] = 'X', RC_ERR_SYNTAX, "feed.magic");
	EXPECT(put32(buf + 8, 2), RC_ERR_VERSION, "feed.version");
	EXPECT(put32(buf + 12, 64), RC_ERR_SIZE, "feed.header_length");
	EXPECT(buf[100] = 1, RC_ERR_CRITICAL, "feed.reserved");
	EXPECT(buf[80] ^= 1, RC_ERR_SIZE, "feed.file_length");
	EXPECT(buf[24 + 7] = 0xff, RC_ERR_RANGE, "feed.expiry"); /* issued > expiry */
	EXPECT(put32(buf + 56, RC_FEED_MAX_NOTICES + 1), RC_ERR_RANGE, "feed.nnotices");
	EXPECT(put32(buf + 56, 6), RC_ERR_RANGE, "feed.buckets"); /* count vs table */
	EXPECT(put32(buf + 56, 4), RC_ERR_RANGE, "feed.buckets");
	EXPECT(put32(buf + 56, 5000), RC_ERR_TRUNCATED, "feed.entries");
	EXPECT(put32(buf + 60, 0), RC_ERR_RANGE, "feed.nbuckets");
	EXPECT(put32(buf + 60, 6), RC_ERR_RANGE, "feed.nbuckets");
	EXPECT(put32(buf + 60, 1u << 25), RC_ERR_RANGE, "feed.nbuckets");
	/* Fewer buckets than built: the table and entries shift; where it fails depends on how the
	 * random hash key spread the notices, but it fails. */
	memcpy(buf, orig, len);
	put32(buf + 60, 4);
	assert_int_not_equal(reopen(buf, len, &d), RC_OK);
	EXPECT(put32(buf + RC_FEED_HDR_LEN, 1), RC_ERR_RANGE, "feed.buckets");
	EXPECT(put32(buf + RC_FEED_HDR_LEN + 4 * 8, 4), RC_ERR_RANGE, "feed.buckets");
	/* A decreasing bucket table: find a bucket boundary above 0 and raise the one before. */
	for (int b = 1; b < 8; b++) {
		if (get32(orig + RC_FEED_HDR_LEN + 4 * b) > 0) {
			uint32_t v = get32(orig + RC_FEED_HDR_LEN + 4 * b);
			EXPECT(put32(buf + RC_FEED_HDR_LEN + 4 * (b - 1), v + 1), RC_ERR_RANGE,
			       "feed.buckets");
			break;
		}
	}
	EXPECT(buf[E] ^= 1, RC_ERR_RANGE, "feed.entries.hash"); /* entry 0 in another bucket */
	EXPECT(put32(buf + E + 8, 1), RC_ERR_RANGE, "feed.entries.offset");
	EXPECT(put32(buf + E + 16 + 8, 0), RC_ERR_RANGE, "feed.entries.offset");
	EXPECT(put32(buf + E + 12, 0), RC_ERR_TOOLONG, "feed.entries.length");
	EXPECT(put32(buf + E + 12, RC_NOTICE_MAX + 1), RC_ERR_TOOLONG, "feed.entries.length");
	EXPECT(put32(buf + E + 4 * 16 + 12, get32(orig + E + 4 * 16 + 12) - 1), RC_ERR_TRAILING,
	       "feed.notices");
	EXPECT(put32(buf + E + 4 * 16 + 12, get32(orig + E + 4 * 16 + 12) + 1), RC_ERR_TRUNCATED,
	       "feed.entries.length");
	memcpy(buf, orig, len);
	assert_int_equal(reopen(buf, len, &d), RC_OK);
	free(buf);
	free(orig);
}

static void test_verify_notices(void **state)
{
	struct blob nb[3];
	make(&nb[0], "A", "acme", "cam-1", "1.0", 0, 1, 2);
	make(&nb[1], "B", "acme", "cam-2", "1.0", 0, 1, 1); /* one signature: below k */
	make(&nb[2], "C", "other", "x", "1.0", 0, 1, 2);
	size_t len, bad = 99;
	uint8_t *buf = build(nb, 3, &len);
	struct rc_feed f;
	assert_int_equal(rc_feed_open(&f, buf, len, fpk, NULL), RC_OK);
	assert_int_equal(rc_feed_verify_notices(&f, &anchors, &bad), RC_ERR_THRESHOLD);
	const uint8_t *p;
	size_t n;
	assert_int_equal(rc_feed_notice(&f, (uint32_t)bad, &p, &n), RC_OK);
	assert_int_equal(n, nb[1].n);
	assert_memory_equal(p, nb[1].b, n);
	free(buf);

	/* Another anchor set: nothing verifies. */
	buf = build(nb, 1, &len);
	struct rc_anchors other;
	assert_int_equal(rc_anchors_init(&other, 1, 1, (const uint8_t(*)[RC_PK_LEN]) & fpk, 1),
			 RC_OK);
	assert_int_equal(rc_feed_open(&f, buf, len, fpk, NULL), RC_OK);
	assert_int_equal(rc_feed_verify_notices(&f, &other, &bad), RC_ERR_THRESHOLD);
	assert_int_equal(bad, 0);

	/* An index entry whose hash is not its notice's (in the one bucket there is). */
	buf[RC_FEED_HDR_LEN + 8] ^= 0x80;
	assert_int_equal(reopen(buf, len, NULL), RC_OK);
	assert_int_equal(rc_feed_open(&f, buf, len, fpk, NULL), RC_OK);
	assert_int_equal(rc_feed_verify_notices(&f, &anchors, &bad), RC_ERR_SYNTAX);
	struct rc_identity id = ident("acme", "cam-1", "1.0");
	assert_false(rc_feed_lookup(&f, &id, &p, &n, NULL));
	free(buf);
}

/* Two entries of one (vendor, model) swapped, notices and all, and the feed signed again: the
 * structure is fine, but a responder would answer with the notify-only notice first. */
static void test_entry_order(void **state)
{
	size_t len, bad = 99;
	uint8_t *buf = sample_feed(&len);
	struct rc_feed f;
	assert_int_equal(rc_feed_open(&f, buf, len, fpk, NULL), RC_OK);
	assert_int_equal(rc_feed_verify_notices(&f, &anchors, &bad), RC_OK);
	uint32_t i = 0;
	while (i + 1 < f.nnotices && memcmp(f.entries + 16 * i, f.entries + 16 * (i + 1), 8))
		i++;
	assert_true(i + 1 < f.nnotices); /* acme/cam-1: N-quar, then N-notify */
	uint8_t *e = buf + (f.entries - f.base) + 16 * i, *np = buf + (f.notices - f.base);
	uint32_t off = get32(e + 8), l0 = get32(e + 12), l1 = get32(e + 16 + 12);
	uint8_t tmp[2 * RC_NOTICE_MAX];
	memcpy(tmp, np + off + l0, l1);
	memcpy(tmp + l1, np + off, l0);
	memcpy(np + off, tmp, l0 + l1);
	put32(e + 12, l1);
	put32(e + 16 + 8, off + l1);
	put32(e + 16 + 12, l0);
	assert_int_equal(reopen(buf, len, NULL), RC_OK);
	assert_int_equal(rc_feed_open(&f, buf, len, fpk, NULL), RC_OK);
	assert_int_equal(rc_feed_verify_notices(&f, &anchors, &bad), RC_ERR_NONCANONICAL);
	assert_int_equal(bad, i + 1);
	free(buf);
}

static void test_hash(void **state)
{
	uint8_t k1[16] = {0}, k2[16] = {1};
	struct rc_str v = rc_str_c("acme"), m = rc_str_c("cam-1");
	assert_true(rc_feed_hash(k1, v, m) == rc_feed_hash(k1, v, m));
	assert_true(rc_feed_hash(k1, v, m) != rc_feed_hash(k2, v, m));
	/* The separator keeps ("ab", "c") and ("a", "bc") apart. */
	assert_true(rc_feed_hash(k1, rc_str_c("ab"), rc_str_c("c")) !=
		    rc_feed_hash(k1, rc_str_c("a"), rc_str_c("bc")));
}

/* Lookups from several threads on one feed give the single-threaded answers. */
struct worker {
	const struct rc_feed *f;
	unsigned wrong;
};

static void *lookups(void *arg)
{
	struct worker *w = arg;
	static const char *const fw[] = {"1.0", "1.1", "2.0"};
	for (int i = 0; i < 20000; i++) {
		struct rc_identity id = ident("acme", i & 1 ? "cam-2" : "cam-1", fw[i % 3]);
		struct rc_notice n;
		bool hit = rc_feed_lookup(w->f, &id, NULL, NULL, &n);
		bool want = (i & 1) ? i % 3 == 2 : i % 3 == 0;
		if (hit != want || (hit && !rc_str_eq(n.id, rc_str_c(i & 1 ? "N-cam2" : "N-quar"))))
			w->wrong++;
	}
	return NULL;
}

static void test_threads(void **state)
{
	size_t len;
	uint8_t *buf = sample_feed(&len);
	struct rc_feed f;
	assert_int_equal(rc_feed_open(&f, buf, len, fpk, NULL), RC_OK);
	pthread_t t[4];
	struct worker w[4];
	for (int i = 0; i < 4; i++) {
		w[i] = (struct worker){&f, 0};
		assert_int_equal(pthread_create(&t[i], NULL, lookups, &w[i]), 0);
	}
	for (int i = 0; i < 4; i++) {
		assert_int_equal(pthread_join(t[i], NULL), 0);
		assert_int_equal(w[i].wrong, 0);
	}
	free(buf);
}

/* Seeds for fuzz_feed: feeds by the fixed feed key over notices by the fixed anchor keys. */
static void write_seeds(const char *dir)
{
	struct blob nb[5];
	size_t len;
	uint8_t *f;
	char path[512];
	for (int which = 0; which < 3; which++) {
		size_t n = which == 0 ? 0 : which == 1 ? 1 : 5;
		if (n == 1)
			make(&nb[0], "S1", "acme", "cam-1", "1.0", 0, 4, 2);
		f = n == 5 ? sample_feed(&len) : build(nb, n, &len);
		snprintf(path, sizeof(path), "%s/feed-%zu", dir, n);
		FILE *o = fopen(path, "wb");
		assert_non_null(o);
		assert_int_equal(fwrite(f, 1, len, o), len);
		fclose(o);
		free(f);
	}
}

int main(void)
{
	assert_true(sodium_init() >= 0);
	keys();
	const char *seeds = getenv("RECALL_FEED_SEEDS");
	if (seeds)
		write_seeds(seeds);
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_build_open_lookup),
	    cmocka_unit_test(test_empty_feed),
	    cmocka_unit_test(test_build_refuses),
	    cmocka_unit_test(test_every_flipped_byte),
	    cmocka_unit_test(test_truncated_and_extended),
	    cmocka_unit_test(test_wrong_key),
	    cmocka_unit_test(test_bad_structure),
	    cmocka_unit_test(test_verify_notices),
	    cmocka_unit_test(test_build_signer),
	    cmocka_unit_test(test_entry_order),
	    cmocka_unit_test(test_hash),
	    cmocka_unit_test(test_threads),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
