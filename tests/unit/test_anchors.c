/* Anchor sets, k-of-n counting of distinct trusted keys, rotation statements. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <sodium.h>

#include "cbor_io.h"
#include "recall/anchors.h"
#include "testutil.h"

/* Keys A..E (index 0..4) from fixed seeds, plus 17 more for "too many" cases. */
#define NKEYS 22
static uint8_t pk[NKEYS][32], sk[NKEYS][64];
enum { A, B, C, D, E };

static int setup(void **state)
{
	for (int i = 0; i < NKEYS; i++) {
		uint8_t seed[32];
		memset(seed, 0x11 + i, sizeof(seed));
		crypto_sign_seed_keypair(pk[i], sk[i], seed);
	}
	return 0;
}

static void make_set(struct rc_anchors *s, uint64_t epoch, uint32_t k, const int *who, size_t n)
{
	uint8_t pks[RC_ANCHOR_MAX][32];
	for (size_t i = 0; i < n; i++)
		memcpy(pks[i], pk[who[i]], 32);
	assert_int_equal(rc_anchors_init(s, epoch, k, (const uint8_t(*)[32])pks, n), RC_OK);
}

/* COSE_Sign of payload with content type ct, signed by the listed keys. */
static size_t sign_by(uint8_t *out, uint64_t ct, const uint8_t *payload, size_t plen,
		      const int *who, size_t n)
{
	uint8_t tmp[4096];
	size_t len;
	assert_int_equal(rc_cose_encode_unsigned(out, 4096, &len, ct, payload, plen), RC_OK);
	for (size_t i = 0; i < n; i++) {
		memcpy(tmp, out, len);
		assert_int_equal(rc_cose_sign_add(out, 4096, &len, tmp, len, sk[who[i]]), RC_OK);
	}
	return len;
}

static int verify_bytes(const struct rc_anchors *s, const uint8_t *b, size_t n,
			struct rc_verdict *v)
{
	struct rc_cose_sign m;
	assert_int_equal(rc_cose_decode(&m, b, n, NULL), RC_OK);
	return rc_anchors_verify(s, &m, v);
}

static void test_set_roundtrip(void **state)
{
	struct rc_anchors s, back;
	make_set(&s, 7, 2, (const int[]){C, A, B}, 3);
	for (uint32_t i = 1; i < s.n; i++)
		assert_true(memcmp(s.a[i - 1].pk, s.a[i].pk, 32) < 0);
	uint8_t buf[1024], kid[8];
	size_t n;
	assert_int_equal(rc_anchors_encode(&s, buf, sizeof(buf), &n), RC_OK);
	/* {1: 7, 2: 2, 3: [3 keys]} */
	assert_int_equal(n, 1 + 2 + 2 + 2 + 3 * 34);
	assert_memory_equal(buf, ((const uint8_t[]){0xa3, 0x01, 0x07, 0x02, 0x02, 0x03, 0x83}), 7);
	assert_int_equal(rc_anchors_decode(&back, buf, n, NULL), RC_OK);
	assert_memory_equal(&back, &s, sizeof(s));
	rc_kid(kid, pk[B]);
	assert_true(rc_anchors_find(&s, kid) >= 0);
	assert_memory_equal(s.a[rc_anchors_find(&s, kid)].pk, pk[B], 32);
	rc_kid(kid, pk[D]);
	assert_int_equal(rc_anchors_find(&s, kid), -1);
	/* The id is SHA-256 of exactly these bytes, and changes with any field. */
	uint8_t id[8], id2[8], h[32];
	assert_int_equal(rc_anchors_id(&s, id), RC_OK);
	crypto_hash_sha256(h, buf, n);
	assert_memory_equal(id, h, 8);
	s.epoch = 8;
	assert_int_equal(rc_anchors_id(&s, id2), RC_OK);
	assert_memory_not_equal(id, id2, 8);
	assert_int_equal(rc_anchors_encode(&s, buf, 20, &n), RC_ERR_BUFFER);
}

static void test_set_invalid(void **state)
{
	struct rc_anchors s;
	uint8_t pks[RC_ANCHOR_MAX + 1][32];
	for (int i = 0; i <= RC_ANCHOR_MAX; i++)
		memcpy(pks[i], pk[i], 32);
	const uint8_t(*p)[32] = (const uint8_t(*)[32])pks;
	assert_int_equal(rc_anchors_init(&s, 1, 0, p, 3), RC_ERR_INVALID);
	assert_int_equal(rc_anchors_init(&s, 1, 4, p, 3), RC_ERR_INVALID);
	assert_int_equal(rc_anchors_init(&s, 1, 1, p, 0), RC_ERR_INVALID);
	assert_int_equal(rc_anchors_init(&s, 1, 1, p, RC_ANCHOR_MAX + 1), RC_ERR_INVALID);
	assert_int_equal(rc_anchors_init(&s, 1, RC_ANCHOR_MAX, p, RC_ANCHOR_MAX), RC_OK);
	memcpy(pks[1], pks[0], 32);
	assert_int_equal(rc_anchors_init(&s, 1, 1, p, 2), RC_ERR_INVALID);
	memset(pks[1], 0, 32); /* small order: never a real signer */
	assert_int_equal(rc_anchors_init(&s, 1, 1, p, 2), RC_ERR_INVALID);
	/* Encoding a hand-made struct checks order and kids too. */
	make_set(&s, 1, 1, (const int[]){A, B}, 2);
	uint8_t buf[256];
	size_t n;
	struct rc_anchors t = s;
	memcpy(&t.a[0], &s.a[1], sizeof(t.a[0]));
	memcpy(&t.a[1], &s.a[0], sizeof(t.a[0]));
	assert_int_equal(rc_anchors_encode(&t, buf, sizeof(buf), &n), RC_ERR_INVALID);
	t = s;
	t.a[0].kid[0] ^= 1;
	assert_int_equal(rc_anchors_encode(&t, buf, sizeof(buf), &n), RC_ERR_INVALID);
}

/* ---- raw anchor-set bytes with one thing wrong ---- */

struct aspec {
	bool no_epoch, no_k, no_keys, epoch_neg;
	int k, nkeys, keylen, extra;  /* extra: additional map key (0 none) */
	int dup_at, swap_at, zero_at; /* -1 none */
	bool trailing;
};

static struct aspec abase(void)
{
	return (struct aspec){
	    .k = 2, .nkeys = 3, .keylen = 32, .dup_at = -1, .swap_at = -1, .zero_at = -1};
}

static void wr_aspec(struct rc_wr *w, const struct aspec *a)
{
	uint8_t keys[NKEYS][32];
	memcpy(keys, pk, sizeof(keys));
	for (int i = 0; i < NKEYS; i++) /* sort bytewise (insertion sort, 22 keys) */
		for (int j = i; j > 0 && memcmp(keys[j - 1], keys[j], 32) > 0; j--) {
			uint8_t t[32];
			memcpy(t, keys[j], 32), memcpy(keys[j], keys[j - 1], 32),
			    memcpy(keys[j - 1], t, 32);
		}
	if (a->dup_at >= 0)
		memcpy(keys[a->dup_at], keys[a->dup_at - 1], 32);
	if (a->swap_at >= 0) {
		uint8_t t[32];
		memcpy(t, keys[a->swap_at], 32), memcpy(keys[a->swap_at], keys[a->swap_at - 1], 32),
		    memcpy(keys[a->swap_at - 1], t, 32);
	}
	if (a->zero_at >= 0)
		memset(keys[a->zero_at], 0, 32);
	rc_wr_map(w, (size_t)(3 - a->no_epoch - a->no_k - a->no_keys + (a->extra != 0)));
	if (!a->no_epoch) {
		rc_wr_uint(w, 1);
		if (a->epoch_neg)
			rc_wr_int(w, -1);
		else
			rc_wr_uint(w, 5);
	}
	if (!a->no_k)
		rc_wr_uint(w, 2), rc_wr_uint(w, (uint64_t)a->k);
	if (!a->no_keys) {
		rc_wr_uint(w, 3);
		rc_wr_array(w, (size_t)a->nkeys);
		for (int i = 0; i < a->nkeys; i++)
			rc_wr_bstr(w, keys[i], (size_t)a->keylen);
	}
	if (a->extra)
		rc_wr_int(w, a->extra), rc_wr_uint(w, 0);
}

static int decode_aspec(const struct aspec *a, struct rc_diag *d)
{
	uint8_t buf[2048];
	struct rc_wr w;
	struct rc_anchors s;
	rc_wr_init(&w, buf, sizeof(buf));
	wr_aspec(&w, a);
	if (a->trailing)
		rc_wr_uint(&w, 0);
	assert_int_equal(w.err, 0);
	return rc_anchors_decode(&s, buf, w.len, d);
}

#define AREJECT(mutate, err, fld)                                                                  \
	do {                                                                                       \
		struct aspec a = abase();                                                          \
		struct rc_diag d;                                                                  \
		mutate;                                                                            \
		assert_int_equal(decode_aspec(&a, &d), err);                                       \
		if ((err) != RC_OK)                                                                \
			assert_string_equal(d.field, fld);                                         \
	} while (0)

static void test_set_decode_rejects(void **state)
{
	AREJECT((void)0, RC_OK, "");
	AREJECT(a.no_epoch = true, RC_ERR_MISSING, "anchors.epoch");
	AREJECT(a.no_k = true, RC_ERR_MISSING, "anchors.k");
	AREJECT(a.no_keys = true, RC_ERR_MISSING, "anchors.keys");
	AREJECT(a.epoch_neg = true, RC_ERR_TYPE, "anchors.epoch");
	AREJECT(a.k = 0, RC_ERR_RANGE, "anchors.k");
	AREJECT(a.k = 4, RC_ERR_RANGE, "anchors.k");
	AREJECT(a.k = 17, RC_ERR_RANGE, "anchors.k");
	AREJECT(a.nkeys = 0, RC_ERR_MISSING, "anchors.keys");
	AREJECT((a.nkeys = 16, a.k = 16), RC_OK, "");
	AREJECT(a.nkeys = 17, RC_ERR_TOOLONG, "anchors.keys");
	AREJECT(a.keylen = 31, RC_ERR_SIZE, "anchors.keys.pk");
	AREJECT(a.keylen = 33, RC_ERR_TOOLONG, "anchors.keys.pk");
	AREJECT(a.dup_at = 2, RC_ERR_DUPKEY, "anchors.keys.pk");
	AREJECT(a.swap_at = 1, RC_ERR_NONCANONICAL, "anchors.keys.pk");
	AREJECT(a.zero_at = 0, RC_ERR_SYNTAX, "anchors.keys.pk");
	AREJECT(a.extra = 5, RC_ERR_CRITICAL, "anchors");
	AREJECT(a.extra = -1, RC_OK, "");
	AREJECT(a.trailing = true, RC_ERR_TRAILING, "anchors");
	struct rc_anchors s;
	assert_int_equal(rc_anchors_decode(&s, (const uint8_t[]){0x80}, 1, NULL), RC_ERR_TYPE);
	assert_int_equal(rc_anchors_decode(&s, NULL, 0, NULL), RC_ERR_TRUNCATED);
}

/* ---- k of n ---- */

static void test_k_of_n(void **state)
{
	static const uint8_t payload[] = "k of n";
	static const int signers[] = {A, B, C};
	struct rc_anchors s;
	struct rc_verdict v;
	uint8_t buf[4096];
	make_set(&s, 1, 2, signers, 3);
	for (size_t n = 0; n <= 3; n++) {
		size_t len = sign_by(buf, RC_CT_NOTICE, payload, sizeof(payload), signers, n);
		if (n == 0) { /* an unsigned COSE_Sign is not even well-formed */
			struct rc_cose_sign m;
			assert_int_equal(rc_cose_decode(&m, buf, len, NULL), RC_ERR_MISSING);
			continue;
		}
		int err = verify_bytes(&s, buf, len, &v);
		assert_int_equal(err, n >= 2 ? RC_OK : RC_ERR_THRESHOLD);
		assert_int_equal(v.valid, n);
		assert_int_equal(v.bad, 0);
		assert_int_equal(v.unknown, 0);
		assert_int_equal(v.threshold_met, n >= 2);
		assert_int_equal(__builtin_popcount(v.signed_mask), n);
	}
	/* An unknown signer is ignored: A + D is one trusted signature. */
	size_t len = sign_by(buf, RC_CT_NOTICE, payload, sizeof(payload), (const int[]){A, D}, 2);
	assert_int_equal(verify_bytes(&s, buf, len, &v), RC_ERR_THRESHOLD);
	assert_int_equal(v.valid, 1);
	assert_int_equal(v.unknown, 1);
	len = sign_by(buf, RC_CT_NOTICE, payload, sizeof(payload), (const int[]){D, E, B, A}, 4);
	assert_int_equal(verify_bytes(&s, buf, len, &v), RC_OK);
	assert_int_equal(v.valid, 2);
	assert_int_equal(v.unknown, 2);
	/* No key of the set at all. */
	len = sign_by(buf, RC_CT_NOTICE, payload, sizeof(payload), (const int[]){D, E}, 2);
	assert_int_equal(verify_bytes(&s, buf, len, &v), RC_ERR_THRESHOLD);
	assert_int_equal(v.valid, 0);
}

static void test_corrupted_signature(void **state)
{
	static const uint8_t payload[] = "corrupt";
	struct rc_anchors s;
	struct rc_verdict v;
	struct rc_cose_sign m;
	uint8_t buf[4096];
	make_set(&s, 1, 2, (const int[]){A, B, C}, 3);
	for (int total = 2; total <= 3; total++) {
		size_t len = sign_by(buf, RC_CT_NOTICE, payload, sizeof(payload),
				     (const int[]){A, B, C}, (size_t)total);
		assert_int_equal(rc_cose_decode(&m, buf, len, NULL), RC_OK);
		/* Flip one bit of the last signature in place. */
		buf[(size_t)(m.sigs[total - 1].sig - buf) + 10] ^= 0x04;
		int err = verify_bytes(&s, buf, len, &v);
		assert_int_equal(err, total == 3 ? RC_OK : RC_ERR_THRESHOLD);
		assert_int_equal(v.valid, total - 1);
		assert_int_equal(v.bad, 1);
		int bad_idx = rc_anchors_find(&s, m.sigs[total - 1].kid);
		assert_true(bad_idx >= 0);
		assert_false(v.signed_mask & (1u << bad_idx));
	}
}

static void test_duplicate_signer(void **state)
{
	static const uint8_t payload[] = "twice";
	struct rc_anchors s;
	struct rc_verdict v;
	struct rc_cose_sign m;
	uint8_t buf[4096], dup[4096];
	make_set(&s, 1, 2, (const int[]){A, B, C}, 3);
	size_t len = sign_by(buf, RC_CT_NOTICE, payload, sizeof(payload), (const int[]){A}, 1);
	assert_int_equal(rc_cose_decode(&m, buf, len, NULL), RC_OK);
	/* On the wire: [sig_A, sig_A] is refused by the decoder. */
	size_t item = 1 + 4 + 1 + 1 + 1 + 8 + 2 + 64, head = len - item - 1;
	assert_int_equal(buf[head], 0x81);
	memcpy(dup, buf, head);
	dup[head] = 0x82;
	memcpy(dup + head + 1, buf + head + 1, item);
	memcpy(dup + head + 1 + item, buf + head + 1, item);
	struct rc_diag d;
	assert_int_equal(rc_cose_decode(&m, dup, len + item, &d), RC_ERR_DUPKEY);
	assert_string_equal(d.field, "cose.signature.unprotected.kid");
	/* A hand-built structure with A twice still counts one distinct key. */
	assert_int_equal(rc_cose_decode(&m, buf, len, NULL), RC_OK);
	m.sigs[1] = m.sigs[0];
	m.nsig = 2;
	assert_int_equal(rc_anchors_verify(&s, &m, &v), RC_ERR_THRESHOLD);
	assert_int_equal(v.valid, 1);
	/* A set that could never be met (k = 0) is refused rather than satisfied. */
	struct rc_anchors bad = s;
	bad.k = 0;
	assert_int_equal(rc_anchors_verify(&bad, &m, &v), RC_ERR_INVALID);
	bad.k = 2;
	bad.n = RC_ANCHOR_MAX + 1;
	assert_int_equal(rc_anchors_verify(&bad, &m, &v), RC_ERR_INVALID);
}

/* ---- rotation ---- */

static size_t rotation_stmt(uint8_t *out, uint64_t ct, const struct rc_rotation *r, const int *who,
			    size_t n)
{
	uint8_t payload[1024];
	size_t pl;
	assert_int_equal(rc_rotation_encode(r, payload, sizeof(payload), &pl), RC_OK);
	return sign_by(out, ct, payload, pl, who, n);
}

static void test_rotate(void **state)
{
	struct rc_anchors cur, next, s;
	struct rc_rotation r = {0};
	struct rc_verdict v;
	uint8_t buf[4096];
	make_set(&cur, 5, 2, (const int[]){A, B, C}, 3);
	make_set(&next, 6, 2, (const int[]){B, C, D}, 3);
	r.from_epoch = 5;
	r.next = next;
	r.nrevoked = 1;
	rc_kid(r.revoked[0], pk[A]);
	/* Payload round trip. */
	uint8_t p[1024];
	size_t pl;
	struct rc_rotation back;
	assert_int_equal(rc_rotation_encode(&r, p, sizeof(p), &pl), RC_OK);
	assert_int_equal(rc_rotation_decode(&back, p, pl, NULL), RC_OK);
	assert_memory_equal(&back, &r, sizeof(r));
	/* Signed by too few current keys, or by keys that are only in the next set. */
	size_t len = rotation_stmt(buf, RC_CT_ROTATION, &r, (const int[]){A}, 1);
	s = cur;
	assert_int_equal(rc_anchors_rotate(&s, buf, len, &v), RC_ERR_THRESHOLD);
	assert_memory_equal(&s, &cur, sizeof(s));
	len = rotation_stmt(buf, RC_CT_ROTATION, &r, (const int[]){C, D}, 2);
	assert_int_equal(rc_anchors_rotate(&s, buf, len, &v), RC_ERR_THRESHOLD);
	assert_int_equal(v.unknown, 1);
	/* The same payload signed as a notice is not a rotation. */
	len = rotation_stmt(buf, RC_CT_NOTICE, &r, (const int[]){A, B}, 2);
	assert_int_equal(rc_anchors_rotate(&s, buf, len, &v), RC_ERR_TYPE);
	assert_memory_equal(&s, &cur, sizeof(s));
	/* k of the current set: applied. */
	len = rotation_stmt(buf, RC_CT_ROTATION, &r, (const int[]){A, B}, 2);
	assert_int_equal(rc_anchors_rotate(&s, buf, len, &v), RC_OK);
	assert_int_equal(v.valid, 2);
	assert_memory_equal(&s, &next, sizeof(s));
	/* Replayed to a device already at epoch 6: A is gone, so too few signatures; signed by
	 * keys in both sets it authenticates but is stale. */
	assert_int_equal(rc_anchors_rotate(&s, buf, len, &v), RC_ERR_THRESHOLD);
	len = rotation_stmt(buf, RC_CT_ROTATION, &r, (const int[]){B, C}, 2);
	assert_int_equal(rc_anchors_rotate(&s, buf, len, &v), RC_ERR_STALE);
	assert_memory_equal(&s, &next, sizeof(s));
	/* A revoked key no longer helps; the new one does. */
	static const uint8_t msg[] = "after rotation";
	len = sign_by(buf, RC_CT_NOTICE, msg, sizeof(msg), (const int[]){A, B}, 2);
	assert_int_equal(verify_bytes(&s, buf, len, &v), RC_ERR_THRESHOLD);
	len = sign_by(buf, RC_CT_NOTICE, msg, sizeof(msg), (const int[]){B, D}, 2);
	assert_int_equal(verify_bytes(&s, buf, len, &v), RC_OK);
	/* A statement from a future epoch does not skip ahead. */
	struct rc_rotation far = r;
	far.from_epoch = 9;
	far.next.epoch = 10;
	len = rotation_stmt(buf, RC_CT_ROTATION, &far, (const int[]){B, C}, 2);
	assert_int_equal(rc_anchors_rotate(&s, buf, len, &v), RC_ERR_RANGE);
	/* Properly signed garbage payload: decoded only after the signatures, then refused. */
	len = sign_by(buf, RC_CT_ROTATION, (const uint8_t *)"\xa0", 1, (const int[]){B, C}, 2);
	assert_int_equal(rc_anchors_rotate(&s, buf, len, &v), RC_ERR_MISSING);
	assert_int_equal(rc_anchors_rotate(&s, buf, len - 1, &v), RC_ERR_TRUNCATED);
}

static void test_rotation_encode_invalid(void **state)
{
	struct rc_rotation r = {0};
	uint8_t p[1024];
	size_t pl;
	make_set(&r.next, 6, 2, (const int[]){B, C, D}, 3);
	r.from_epoch = 5;
	assert_int_equal(rc_rotation_encode(&r, p, sizeof(p), &pl), RC_OK);
	r.from_epoch = 4;
	assert_int_equal(rc_rotation_encode(&r, p, sizeof(p), &pl), RC_ERR_INVALID);
	r.from_epoch = 5;
	rc_kid(r.revoked[0], pk[B]);
	r.nrevoked = 1;
	assert_int_equal(rc_rotation_encode(&r, p, sizeof(p), &pl), RC_ERR_INVALID);
	rc_kid(r.revoked[0], pk[A]);
	rc_kid(r.revoked[1], pk[E]);
	r.nrevoked = 2;
	if (memcmp(r.revoked[0], r.revoked[1], 8) < 0) /* make them unsorted */
		memcpy(r.revoked[2], r.revoked[0], 8), memcpy(r.revoked[0], r.revoked[1], 8),
		    memcpy(r.revoked[1], r.revoked[2], 8);
	assert_int_equal(rc_rotation_encode(&r, p, sizeof(p), &pl), RC_ERR_INVALID);
	r.nrevoked = RC_REVOKED_MAX + 1;
	assert_int_equal(rc_rotation_encode(&r, p, sizeof(p), &pl), RC_ERR_INVALID);
	r.nrevoked = 0;
	r.next.k = 0;
	assert_int_equal(rc_rotation_encode(&r, p, sizeof(p), &pl), RC_ERR_INVALID);
}

/* Raw rotation payloads with one thing wrong. */
struct rspec {
	bool no_from, no_next, trailing;
	uint64_t from, next_epoch;
	int nrev, revlen, extra;
	bool rev_in_next, rev_dup, rev_unsorted;
	struct aspec next;
};

static int decode_rspec(const struct rspec *r, struct rc_diag *d)
{
	uint8_t buf[2048], kids[RC_REVOKED_MAX + 2][8];
	struct rc_wr w;
	rc_wr_init(&w, buf, sizeof(buf));
	rc_wr_map(&w, (size_t)(!r->no_from + !r->no_next + (r->nrev >= 0) + (r->extra != 0)));
	if (!r->no_from)
		rc_wr_uint(&w, 1), rc_wr_uint(&w, r->from);
	if (!r->no_next) {
		rc_wr_uint(&w, 2);
		/* wr_aspec writes epoch 5; patch the byte to next_epoch below. */
		size_t at = w.len;
		wr_aspec(&w, &r->next);
		if (!r->next.no_epoch && !r->next.epoch_neg)
			buf[at + 2] = (uint8_t)r->next_epoch;
	}
	if (r->nrev >= 0) {
		for (int i = 0; i < r->nrev; i++)
			memset(kids[i], 0x10 + i, 8);
		if (r->rev_in_next)
			rc_kid(kids[0], pk[B]);
		if (r->rev_dup)
			memcpy(kids[1], kids[0], 8);
		if (r->rev_unsorted)
			memset(kids[0], 0xff, 8);
		rc_wr_uint(&w, 3);
		rc_wr_array(&w, (size_t)r->nrev);
		for (int i = 0; i < r->nrev; i++)
			rc_wr_bstr(&w, kids[i], (size_t)r->revlen);
	}
	if (r->extra)
		rc_wr_int(&w, r->extra), rc_wr_uint(&w, 0);
	if (r->trailing)
		rc_wr_uint(&w, 0);
	assert_int_equal(w.err, 0);
	struct rc_rotation rot;
	return rc_rotation_decode(&rot, buf, w.len, d);
}

#define RREJECT(mutate, err, fld)                                                                  \
	do {                                                                                       \
		struct rspec r = {.from = 4, .next_epoch = 5, .nrev = 2, .revlen = 8};             \
		struct rc_diag d;                                                                  \
		r.next = abase();                                                                  \
		mutate;                                                                            \
		assert_int_equal(decode_rspec(&r, &d), err);                                       \
		if ((err) != RC_OK)                                                                \
			assert_string_equal(d.field, fld);                                         \
	} while (0)

static void test_rotation_decode_rejects(void **state)
{
	RREJECT((void)0, RC_OK, "");
	RREJECT(r.nrev = -1, RC_OK, "");
	RREJECT(r.no_from = true, RC_ERR_MISSING, "rotation.from_epoch");
	RREJECT(r.no_next = true, RC_ERR_MISSING, "rotation.next");
	RREJECT(r.next_epoch = 6, RC_ERR_RANGE, "rotation.next.epoch");
	RREJECT(r.next_epoch = 4, RC_ERR_RANGE, "rotation.next.epoch");
	RREJECT(r.next.k = 0, RC_ERR_RANGE, "rotation.next.k");
	RREJECT(r.next.no_keys = true, RC_ERR_MISSING, "rotation.next.keys");
	RREJECT(r.next.swap_at = 2, RC_ERR_NONCANONICAL, "rotation.next.keys.pk");
	RREJECT(r.nrev = 0, RC_ERR_NONCANONICAL, "rotation.revoked");
	RREJECT(r.nrev = RC_REVOKED_MAX, RC_OK, "");
	RREJECT(r.nrev = RC_REVOKED_MAX + 1, RC_ERR_TOOLONG, "rotation.revoked");
	RREJECT(r.revlen = 7, RC_ERR_SIZE, "rotation.revoked.kid");
	RREJECT(r.rev_dup = true, RC_ERR_DUPKEY, "rotation.revoked.kid");
	RREJECT(r.rev_unsorted = true, RC_ERR_NONCANONICAL, "rotation.revoked.kid");
	RREJECT((r.nrev = 1, r.rev_in_next = true), RC_ERR_SYNTAX, "rotation.revoked.kid");
	RREJECT(r.extra = 4, RC_ERR_CRITICAL, "rotation");
	RREJECT(r.extra = -2, RC_OK, "");
	RREJECT(r.trailing = true, RC_ERR_TRAILING, "rotation");
	/* from_epoch at the top of the range has no successor. */
	uint8_t b[80] = {0xa2, 0x01, 0x1b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02};
	struct rc_rotation rot;
	struct rc_diag d;
	struct rc_anchors next;
	make_set(&next, 0, 1, (const int[]){A}, 1);
	size_t n;
	assert_int_equal(rc_anchors_encode(&next, b + 12, sizeof(b) - 12, &n), RC_OK);
	assert_int_equal(rc_rotation_decode(&rot, b, 12 + n, &d), RC_ERR_RANGE);
	assert_string_equal(d.field, "rotation.next.epoch");
}

/* ---- fuzz seeds (tests/fuzz/corpus/anchors and rotation): always checked, written when
 * RECALL_WRITE_SEEDS names the corpus root ---- */

static void test_seeds(void **state)
{
	struct rc_anchors s;
	struct rc_rotation r = {0}, back;
	uint8_t b[4096];
	size_t len;
	make_set(&s, 1, 1, (const int[]){A}, 1);
	assert_int_equal(rc_anchors_encode(&s, b, sizeof(b), &len), RC_OK);
	tu_write_seed("anchors", "one-key", b, len);
	make_set(&s, 77, 3, (const int[]){A, B, C, D, E}, 5);
	assert_int_equal(rc_anchors_encode(&s, b, sizeof(b), &len), RC_OK);
	tu_write_seed("anchors", "three-of-five", b, len);
	struct aspec x = abase();
	x.nkeys = 16, x.extra = -1;
	struct rc_wr w;
	rc_wr_init(&w, b, sizeof(b));
	wr_aspec(&w, &x);
	assert_int_equal(rc_anchors_decode(&s, b, w.len, NULL), RC_OK);
	tu_write_seed("anchors", "sixteen-ext", b, w.len);
	x = abase(), x.swap_at = 2;
	rc_wr_init(&w, b, sizeof(b));
	wr_aspec(&w, &x);
	assert_int_equal(rc_anchors_decode(&s, b, w.len, NULL), RC_ERR_NONCANONICAL);
	tu_write_seed("anchors", "bad-order", b, w.len);
	/* Rotation payloads, and the same wrapped as signed statements. */
	make_set(&r.next, 6, 2, (const int[]){B, C, D}, 3);
	r.from_epoch = 5;
	assert_int_equal(rc_rotation_encode(&r, b, sizeof(b), &len), RC_OK);
	tu_write_seed("rotation", "plain", b, len);
	r.nrevoked = 2;
	memset(r.revoked[0], 0x01, 8);
	memset(r.revoked[1], 0xfe, 8);
	assert_int_equal(rc_rotation_encode(&r, b, sizeof(b), &len), RC_OK);
	assert_int_equal(rc_rotation_decode(&back, b, len, NULL), RC_OK);
	tu_write_seed("rotation", "revoked", b, len);
	struct rc_anchors cur;
	make_set(&cur, 5, 2, (const int[]){A, B, C}, 3);
	len = rotation_stmt(b, RC_CT_ROTATION, &r, (const int[]){A, B}, 2);
	assert_int_equal(rc_anchors_rotate(&cur, b, len, NULL), RC_OK);
	tu_write_seed("rotation", "signed-statement", b, len);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_set_roundtrip),
	    cmocka_unit_test(test_set_invalid),
	    cmocka_unit_test(test_set_decode_rejects),
	    cmocka_unit_test(test_k_of_n),
	    cmocka_unit_test(test_corrupted_signature),
	    cmocka_unit_test(test_duplicate_signer),
	    cmocka_unit_test(test_rotate),
	    cmocka_unit_test(test_rotation_encode_invalid),
	    cmocka_unit_test(test_rotation_decode_rejects),
	    cmocka_unit_test(test_seeds),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
