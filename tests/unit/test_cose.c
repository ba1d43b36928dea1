/* COSE_Sign: every decoder rejection path, signing in any order, merging; the agent's check of
 * a signed notice (envelope, content type, k-of-n, coverage, validity); fuzz seeds. */
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
#include "fixtures.h"
#include "recall/cose.h"
#include "recall/msg.h"
#include "recall/notice.h"
#include "testutil.h"

static void keypair(uint8_t seed_byte, uint8_t pk[32], uint8_t sk[64])
{
	uint8_t seed[32];
	memset(seed, seed_byte, sizeof(seed));
	crypto_sign_seed_keypair(pk, sk, seed);
}

/* ---- a builder for well-formed and deliberately broken COSE_Sign bytes ---- */

struct sig_spec {
	int arr_n; /* items in the COSE_Signature array (3) */
	const uint8_t *prot;
	size_t prot_len;
	int kid_len; /* -1: no kid */
	uint8_t kid0;
	int extra; /* unprotected header extra key: 0 none, else this key */
	int sig_len;
};

struct spec {
	bool notag;
	uint64_t tag;
	int arr_n;
	const uint8_t *bprot;
	size_t bprot_len;
	bool bprot_tstr;
	int unprot_n;
	size_t payload_len;
	bool payload_tstr;
	int nsig;
	struct sig_spec s[RC_SIG_MAX + 1];
};

static const uint8_t ct_notice[] = {0xa1, 0x03, 0x19, 0xfe, 0x4c}; /* {3: 65100} */
static const uint8_t alg_eddsa[] = {0xa1, 0x01, 0x27};             /* {1: -8} */

static struct spec base(void)
{
	struct spec sp = {.tag = 98,
			  .arr_n = 4,
			  .bprot = ct_notice,
			  .bprot_len = sizeof(ct_notice),
			  .payload_len = 10,
			  .nsig = 2};
	for (int i = 0; i <= RC_SIG_MAX; i++)
		sp.s[i] =
		    (struct sig_spec){3, alg_eddsa, sizeof(alg_eddsa), 8, (uint8_t)(i + 1), 0, 64};
	return sp;
}

static size_t build(const struct spec *sp, uint8_t *out, size_t cap)
{
	static const uint8_t zeros[2048];
	struct rc_wr w;
	rc_wr_init(&w, out, cap);
	if (!sp->notag)
		rc_wr_tag(&w, sp->tag);
	rc_wr_array(&w, (size_t)sp->arr_n);
	if (sp->bprot_tstr)
		rc_wr_tstr(&w, (const char *)sp->bprot, sp->bprot_len);
	else
		rc_wr_bstr(&w, sp->bprot, sp->bprot_len);
	rc_wr_map(&w, (size_t)sp->unprot_n);
	for (int i = 0; i < sp->unprot_n; i++)
		rc_wr_int(&w, -1 - i), rc_wr_uint(&w, 0);
	if (sp->payload_tstr)
		rc_wr_tstr(&w, (const char *)zeros, sp->payload_len);
	else
		rc_wr_bstr(&w, zeros, sp->payload_len);
	if (sp->arr_n >= 4) {
		rc_wr_array(&w, (size_t)sp->nsig);
		for (int i = 0; i < sp->nsig; i++) {
			const struct sig_spec *s = &sp->s[i];
			uint8_t kid[16] = {s->kid0};
			rc_wr_array(&w, (size_t)s->arr_n);
			rc_wr_bstr(&w, s->prot, s->prot_len);
			rc_wr_map(&w, (size_t)((s->kid_len >= 0) + (s->extra != 0)));
			if (s->extra > 0 && s->extra < 4)
				rc_wr_int(&w, s->extra), rc_wr_uint(&w, 0);
			if (s->kid_len >= 0)
				rc_wr_uint(&w, 4), rc_wr_bstr(&w, kid, (size_t)s->kid_len);
			if (s->extra > 4 || s->extra < 0)
				rc_wr_int(&w, s->extra), rc_wr_uint(&w, 0);
			if (s->arr_n >= 3)
				rc_wr_bstr(&w, zeros, (size_t)s->sig_len);
			if (s->arr_n >= 4)
				rc_wr_null(&w);
		}
	}
	if (sp->arr_n >= 5)
		rc_wr_null(&w);
	assert_int_equal(w.err, 0);
	return w.len;
}

static int decode_spec(const struct spec *sp, struct rc_diag *d)
{
	static uint8_t buf[4096];
	struct rc_cose_sign m;
	size_t n = build(sp, buf, sizeof(buf));
	return rc_cose_decode(&m, buf, n, d);
}

#define REJECT(mutate, err, fld)                                                                   \
	do {                                                                                       \
		struct spec sp = base();                                                           \
		struct rc_diag d;                                                                  \
		mutate;                                                                            \
		assert_int_equal(decode_spec(&sp, &d), err);                                       \
		if ((err) != RC_OK)                                                                \
			assert_string_equal(d.field, fld);                                         \
	} while (0)

static void test_decode_base_ok(void **state)
{
	uint8_t buf[1024];
	struct rc_cose_sign m;
	struct spec sp = base();
	size_t n = build(&sp, buf, sizeof(buf));
	assert_int_equal(rc_cose_decode(&m, buf, n, NULL), RC_OK);
	assert_int_equal(m.content_type, RC_CT_NOTICE);
	assert_int_equal(m.payload_len, 10);
	assert_int_equal(m.nsig, 2);
	assert_int_equal(m.sigs[1].kid[0], 2);
	assert_int_equal(m.sigs[0].prot_len, 3);
}

static void test_decode_rejects_envelope(void **state)
{
	static const uint8_t big[RC_COSE_HDR_MAX + 1] = {0xa1, 0x03, 0x00};
	static const uint8_t ct_tstr[] = {0xa1, 0x03, 0x61, 0x78};
	static const uint8_t ct_alg[] = {0xa2, 0x01, 0x27, 0x03, 0x00};
	static const uint8_t ct_ext[] = {0xa2, 0x03, 0x00, 0x20, 0x00};
	static const uint8_t ct_trail[] = {0xa1, 0x03, 0x00, 0x00};
	static const uint8_t ct_dup[] = {0xa2, 0x03, 0x00, 0x03, 0x00};
	static const uint8_t ct_arr[] = {0x80};
	static const uint8_t ct_indef[] = {0xbf, 0x03, 0x00, 0xff};
	static const uint8_t ct_long[] = {0xa1, 0x03, 0x18, 0x05};
	static const uint8_t ct_empty_map[] = {0xa0};
	REJECT(sp.notag = true, RC_ERR_TYPE, "cose.tag");
	REJECT(sp.tag = 18, RC_ERR_TYPE, "cose.tag"); /* COSE_Sign1 */
	REJECT(sp.tag = 96, RC_ERR_TYPE, "cose.tag"); /* COSE_Encrypt */
	REJECT(sp.arr_n = 3, RC_ERR_MISSING, "cose");
	REJECT(sp.arr_n = 5, RC_ERR_TOOLONG, "cose");
	REJECT(sp.bprot_tstr = true, RC_ERR_TYPE, "cose.protected");
	REJECT((sp.bprot = big, sp.bprot_len = sizeof(big)), RC_ERR_TOOLONG, "cose.protected");
	REJECT(sp.bprot_len = 0, RC_ERR_MISSING, "cose.protected");
	REJECT((sp.bprot = ct_empty_map, sp.bprot_len = 1), RC_ERR_MISSING, "cose.protected");
	REJECT((sp.bprot = ct_tstr, sp.bprot_len = sizeof(ct_tstr)), RC_ERR_TYPE,
	       "cose.protected.content_type");
	REJECT((sp.bprot = ct_alg, sp.bprot_len = sizeof(ct_alg)), RC_ERR_CRITICAL,
	       "cose.protected");
	REJECT((sp.bprot = ct_ext, sp.bprot_len = sizeof(ct_ext)), RC_OK, "");
	REJECT((sp.bprot = ct_trail, sp.bprot_len = sizeof(ct_trail)), RC_ERR_TRAILING,
	       "cose.protected");
	REJECT((sp.bprot = ct_dup, sp.bprot_len = sizeof(ct_dup)), RC_ERR_DUPKEY, "cose.protected");
	REJECT((sp.bprot = ct_arr, sp.bprot_len = sizeof(ct_arr)), RC_ERR_TYPE, "cose.protected");
	REJECT((sp.bprot = ct_indef, sp.bprot_len = sizeof(ct_indef)), RC_ERR_INDEFINITE,
	       "cose.protected");
	REJECT((sp.bprot = ct_long, sp.bprot_len = sizeof(ct_long)), RC_ERR_NONCANONICAL,
	       "cose.protected.content_type");
	REJECT(sp.unprot_n = 1, RC_ERR_TOOLONG, "cose.unprotected");
	REJECT(sp.payload_len = RC_COSE_PAYLOAD_MAX + 1, RC_ERR_TOOLONG, "cose.payload");
	REJECT(sp.payload_len = RC_COSE_PAYLOAD_MAX, RC_OK, "");
	REJECT(sp.payload_tstr = true, RC_ERR_TYPE, "cose.payload");
	REJECT(sp.nsig = 0, RC_ERR_MISSING, "cose.signatures");
	REJECT(sp.nsig = RC_SIG_MAX, RC_OK, "");
	REJECT(sp.nsig = RC_SIG_MAX + 1, RC_ERR_TOOLONG, "cose.signatures");
}

static void test_decode_rejects_signature(void **state)
{
	static const uint8_t es256[] = {0xa1, 0x01, 0x26};
	static const uint8_t alg_tstr[] = {0xa1, 0x01, 0x65, 'E', 'd', 'D', 'S', 'A'};
	static const uint8_t alg_crit[] = {0xa2, 0x01, 0x27, 0x04, 0x41, 0x00};
	static const uint8_t alg_ext[] = {0xa2, 0x01, 0x27, 0x20, 0x00};
	static const uint8_t empty_map[] = {0xa0};
	REJECT(sp.s[1].arr_n = 2, RC_ERR_MISSING, "cose.signature");
	REJECT(sp.s[0].arr_n = 4, RC_ERR_TOOLONG, "cose.signature");
	REJECT((sp.s[0].prot = es256), RC_ERR_RANGE, "cose.signature.protected.alg");
	REJECT((sp.s[0].prot = alg_tstr, sp.s[0].prot_len = sizeof(alg_tstr)), RC_ERR_TYPE,
	       "cose.signature.protected.alg");
	REJECT((sp.s[0].prot = empty_map, sp.s[0].prot_len = 1), RC_ERR_MISSING,
	       "cose.signature.protected");
	REJECT(sp.s[0].prot_len = 0, RC_ERR_MISSING, "cose.signature.protected");
	REJECT((sp.s[0].prot = alg_crit, sp.s[0].prot_len = sizeof(alg_crit)), RC_ERR_CRITICAL,
	       "cose.signature.protected");
	REJECT((sp.s[0].prot = alg_ext, sp.s[0].prot_len = sizeof(alg_ext)), RC_OK, "");
	REJECT(sp.s[0].kid_len = -1, RC_ERR_MISSING, "cose.signature.unprotected");
	REJECT(sp.s[0].kid_len = 7, RC_ERR_SIZE, "cose.signature.unprotected.kid");
	REJECT(sp.s[0].kid_len = 9, RC_ERR_TOOLONG, "cose.signature.unprotected.kid");
	REJECT(sp.s[0].extra = 5, RC_ERR_CRITICAL, "cose.signature.unprotected");
	REJECT(sp.s[0].extra = 1, RC_ERR_CRITICAL, "cose.signature.unprotected");
	REJECT(sp.s[0].extra = -3, RC_OK, "");
	REJECT(sp.s[1].sig_len = 63, RC_ERR_SIZE, "cose.signature.sig");
	REJECT(sp.s[1].sig_len = 65, RC_ERR_TOOLONG, "cose.signature.sig");
	REJECT(sp.s[1].kid0 = 1, RC_ERR_DUPKEY, "cose.signature.unprotected.kid");
	REJECT((sp.s[0].kid0 = 9, sp.s[1].kid0 = 3), RC_ERR_NONCANONICAL,
	       "cose.signature.unprotected.kid");
}

static void test_decode_rejects_bytes(void **state)
{
	uint8_t buf[1024];
	struct rc_cose_sign m;
	struct rc_diag d;
	struct spec sp = base();
	size_t n = build(&sp, buf, sizeof(buf));
	/* Every strict prefix is truncated, never accepted, never read past. */
	for (size_t i = 0; i < n; i++) {
		uint8_t *p = malloc(i ? i : 1);
		memcpy(p, buf, i);
		assert_int_equal(rc_cose_decode(&m, p, i, &d), RC_ERR_TRUNCATED);
		free(p);
	}
	buf[n] = 0x00;
	assert_int_equal(rc_cose_decode(&m, buf, n + 1, &d), RC_ERR_TRAILING);
	assert_int_equal(d.off, n);
	/* Tag 98 with a two-byte head: not the shortest form. */
	uint8_t wide[1030] = {0xd9, 0x00, 0x62};
	memcpy(wide + 3, buf + 2, n - 2);
	assert_int_equal(rc_cose_decode(&m, wide, n + 1, &d), RC_ERR_NONCANONICAL);
	/* Indefinite-length outer array. */
	uint8_t indef[1030] = {0xd8, 0x62, 0x9f};
	memcpy(indef + 3, buf + 3, n - 3);
	indef[n] = 0xff;
	assert_int_equal(rc_cose_decode(&m, indef, n + 1, &d), RC_ERR_INDEFINITE);
}

/* ---- signing, order independence, merging ---- */

static size_t sign_n(uint8_t *out, const uint8_t *payload, size_t plen, const uint8_t *seeds,
		     size_t nseeds)
{
	uint8_t a[2048], b[2048], pk[32], sk[64];
	size_t len;
	assert_int_equal(rc_cose_encode_unsigned(a, sizeof(a), &len, RC_CT_NOTICE, payload, plen),
			 RC_OK);
	for (size_t i = 0; i < nseeds; i++) {
		keypair(seeds[i], pk, sk);
		assert_int_equal(rc_cose_sign_add(b, sizeof(b), &len, a, len, sk), RC_OK);
		memcpy(a, b, len);
	}
	memcpy(out, a, len);
	return len;
}

static void test_sign_verify(void **state)
{
	static const uint8_t payload[] = "a payload";
	uint8_t buf[2048], pk[32], sk[64], other[32], osk[64];
	struct rc_cose_sign m;
	size_t n = sign_n(buf, payload, sizeof(payload), (const uint8_t[]){7}, 1);
	keypair(7, pk, sk);
	keypair(8, other, osk);
	assert_int_equal(rc_cose_decode(&m, buf, n, NULL), RC_OK);
	assert_int_equal(m.nsig, 1);
	uint8_t kid[RC_KID_LEN];
	rc_kid(kid, pk);
	assert_memory_equal(m.sigs[0].kid, kid, RC_KID_LEN);
	assert_int_equal(rc_cose_verify_sig(&m, 0, pk), RC_OK);
	assert_int_equal(rc_cose_verify_sig(&m, 0, other), RC_ERR_SIG);
	assert_int_equal(rc_cose_verify_sig(&m, 1, pk), RC_ERR_SIG);
	/* Any flipped bit of payload, body header or signature breaks it. */
	for (size_t i = 0; i < n; i++) {
		uint8_t c[2048];
		memcpy(c, buf, n);
		c[i] ^= 0x01;
		if (rc_cose_decode(&m, c, n, NULL) == RC_OK && !memcmp(m.sigs[0].kid, kid, 8))
			assert_int_equal(rc_cose_verify_sig(&m, 0, pk), RC_ERR_SIG);
	}
	/* Unsigned COSE_Sign: structurally incomplete for rc_cose_decode. */
	assert_int_equal(rc_cose_encode_unsigned(buf, sizeof(buf), &n, RC_CT_NOTICE, payload, 3),
			 RC_OK);
	assert_int_equal(rc_cose_decode(&m, buf, n, NULL), RC_ERR_MISSING);
	/* rc_cose_decode_unsigned takes it, and signed ones; the envelope rules stay. */
	assert_int_equal(rc_cose_decode_unsigned(&m, buf, n, NULL), RC_OK);
	assert_int_equal(m.nsig, 0);
	assert_int_equal(m.content_type, RC_CT_NOTICE);
	assert_int_equal(m.payload_len, 3);
	assert_int_equal(rc_cose_decode_unsigned(&m, buf, n - 1, NULL), RC_ERR_TRUNCATED);
	n = sign_n(buf, payload, sizeof(payload), (const uint8_t[]){7}, 1);
	assert_int_equal(rc_cose_decode_unsigned(&m, buf, n, NULL), RC_OK);
	assert_int_equal(m.nsig, 1);
}

static void test_kid_known(void **state)
{
	/* SHA-256 of RFC 8032 test 1's public key, first 8 bytes (computed outside C). */
	uint8_t pk[32], want[8], kid[8];
	tu_unhex(pk, 32, "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a");
	tu_unhex(want, 8, "21fe31dfa154a261");
	rc_kid(kid, pk);
	assert_memory_equal(kid, want, 8);
}

static void test_sign_order_independent(void **state)
{
	static const uint8_t payload[] = "order does not matter";
	static const uint8_t orders[6][3] = {{1, 2, 3}, {1, 3, 2}, {2, 1, 3},
					     {2, 3, 1}, {3, 1, 2}, {3, 2, 1}};
	uint8_t first[2048], buf[2048];
	size_t n0 = sign_n(first, payload, sizeof(payload), orders[0], 3);
	for (int o = 1; o < 6; o++) {
		size_t n = sign_n(buf, payload, sizeof(payload), orders[o], 3);
		assert_int_equal(n, n0);
		assert_memory_equal(buf, first, n);
	}
	/* Signing twice with one key replaces its signature: same bytes. */
	size_t n = sign_n(buf, payload, sizeof(payload), (const uint8_t[]){2, 1, 3, 2, 1}, 5);
	assert_int_equal(n, n0);
	assert_memory_equal(buf, first, n);
	/* Signatures come out sorted by kid. */
	struct rc_cose_sign m;
	assert_int_equal(rc_cose_decode(&m, first, n0, NULL), RC_OK);
	assert_int_equal(m.nsig, 3);
	for (size_t i = 1; i < m.nsig; i++)
		assert_true(memcmp(m.sigs[i - 1].kid, m.sigs[i].kid, RC_KID_LEN) < 0);
}

static void test_merge(void **state)
{
	static const uint8_t payload[] = "merge me";
	uint8_t a[2048], b[2048], ab[2048], out[2048], out2[2048];
	size_t na = sign_n(a, payload, sizeof(payload), (const uint8_t[]){1, 3}, 2);
	size_t nb = sign_n(b, payload, sizeof(payload), (const uint8_t[]){2, 3}, 2);
	size_t nab = sign_n(ab, payload, sizeof(payload), (const uint8_t[]){3, 2, 1}, 3);
	size_t n, n2;
	assert_int_equal(rc_cose_merge(out, sizeof(out), &n, a, na, b, nb), RC_OK);
	assert_int_equal(rc_cose_merge(out2, sizeof(out2), &n2, b, nb, a, na), RC_OK);
	assert_int_equal(n, nab);
	assert_memory_equal(out, ab, n);
	assert_int_equal(n2, nab);
	assert_memory_equal(out2, ab, n2);
	/* Merging with itself or with an unsigned copy changes nothing. */
	assert_int_equal(rc_cose_merge(out, sizeof(out), &n, ab, nab, ab, nab), RC_OK);
	assert_memory_equal(out, ab, nab);
	uint8_t u[256];
	size_t nu;
	assert_int_equal(
	    rc_cose_encode_unsigned(u, sizeof(u), &nu, RC_CT_NOTICE, payload, sizeof(payload)),
	    RC_OK);
	assert_int_equal(rc_cose_merge(out, sizeof(out), &n, u, nu, a, na), RC_OK);
	assert_int_equal(n, na);
	assert_memory_equal(out, a, na);
	/* Different payload or content type: refused. */
	uint8_t c[2048];
	size_t nc = sign_n(c, payload, sizeof(payload) - 1, (const uint8_t[]){2}, 1);
	assert_int_equal(rc_cose_merge(out, sizeof(out), &n, a, na, c, nc), RC_ERR_INVALID);
	assert_int_equal(
	    rc_cose_encode_unsigned(u, sizeof(u), &nu, RC_CT_ROTATION, payload, sizeof(payload)),
	    RC_OK);
	assert_int_equal(rc_cose_merge(out, sizeof(out), &n, u, nu, a, na), RC_ERR_INVALID);
	/* Two different signatures under one kid: a conflict, not a choice. */
	memcpy(c, b, nb);
	c[nb - 1] ^= 1;
	assert_int_equal(rc_cose_merge(out, sizeof(out), &n, a, na, c, nb), RC_ERR_INVALID);
	/* Output too small; output overlapping an input. */
	assert_int_equal(rc_cose_merge(out, 10, &n, a, na, b, nb), RC_ERR_BUFFER);
	assert_int_equal(rc_cose_merge(a, sizeof(a), &n, a, na, b, nb), RC_ERR_INVALID);
	/* Garbage in: the decoder's error. */
	assert_int_equal(rc_cose_merge(out, sizeof(out), &n, a, na - 1, b, nb), RC_ERR_TRUNCATED);
}

static void test_sign_add_errors(void **state)
{
	uint8_t u[256], out[4096], pk[32], sk[64];
	size_t nu, n;
	keypair(5, pk, sk);
	assert_int_equal(rc_cose_encode_unsigned(u, sizeof(u), &nu, RC_CT_NOTICE, NULL, 0), RC_OK);
	/* A key whose public half does not match its seed. */
	uint8_t bad[64];
	memcpy(bad, sk, 64);
	bad[40] ^= 1;
	assert_int_equal(rc_cose_sign_add(out, sizeof(out), &n, u, nu, bad), RC_ERR_INVALID);
	assert_int_equal(rc_cose_sign_add(out, 20, &n, u, nu, sk), RC_ERR_BUFFER);
	assert_int_equal(rc_cose_sign_add(u, sizeof(u), &n, u, nu, sk), RC_ERR_INVALID);
	uint8_t big[RC_COSE_PAYLOAD_MAX + 1] = {0};
	assert_int_equal(rc_cose_encode_unsigned(out, sizeof(out), &n, 1, big, sizeof(big)),
			 RC_ERR_TOOLONG);
	/* Sixteen signers fit; a seventeenth does not. */
	uint8_t seeds[RC_SIG_MAX + 1];
	for (int i = 0; i <= RC_SIG_MAX; i++)
		seeds[i] = (uint8_t)(0x40 + i);
	n = sign_n(out, (const uint8_t *)"x", 1, seeds, RC_SIG_MAX);
	keypair(seeds[RC_SIG_MAX], pk, sk);
	uint8_t out2[4096];
	size_t n2;
	assert_int_equal(rc_cose_sign_add(out2, sizeof(out2), &n2, out, n, sk), RC_ERR_TOOLONG);
	/* Re-signing with one of the sixteen still works (replace). */
	keypair(seeds[3], pk, sk);
	assert_int_equal(rc_cose_sign_add(out2, sizeof(out2), &n2, out, n, sk), RC_OK);
	assert_int_equal(n2, n);
	assert_memory_equal(out2, out, n);
}

/* A signer held elsewhere (a token): the same bytes as with the key in memory; a signer that
 * fails makes RC_ERR_IO and writes nothing. */
static int sign_cb(void *ctx, uint8_t sig[RC_SIG_LEN], const uint8_t *msg, size_t len)
{
	const uint8_t *k = ctx;
	if (k[0] == 0xff)
		return -1;
	crypto_sign_detached(sig, NULL, msg, len, k);
	return 0;
}

static void test_sign_add_signer(void **state)
{
	uint8_t u[256], a[1024], b[1024], pk[32], sk[64];
	size_t nu, na, nb = 0;
	(void)state;
	keypair(9, pk, sk);
	assert_int_equal(
	    rc_cose_encode_unsigned(u, sizeof(u), &nu, RC_CT_NOTICE, (const uint8_t *)"p", 1),
	    RC_OK);
	struct rc_signer s = {.sign = sign_cb, .ctx = sk};
	memcpy(s.pk, pk, 32);
	assert_int_equal(rc_cose_sign_add(a, sizeof(a), &na, u, nu, sk), RC_OK);
	assert_int_equal(rc_cose_sign_add_signer(b, sizeof(b), &nb, u, nu, &s), RC_OK);
	assert_int_equal(na, nb);
	assert_memory_equal(a, b, na);
	uint8_t fail[64] = {0xff};
	s.ctx = fail;
	assert_int_equal(rc_cose_sign_add_signer(b, sizeof(b), &nb, u, nu, &s), RC_ERR_IO);
	s.sign = NULL;
	assert_int_equal(rc_cose_sign_add_signer(b, sizeof(b), &nb, u, nu, &s), RC_ERR_INVALID);
}

/* ---- the agent's whole check of a signed notice ---- */

static uint8_t pk[5][32], sk[5][64];

static struct rc_str sv(const char *s)
{
	return rc_str_c(s);
}

static struct rc_identity dev(const char *model, const char *hwrev, const char *fw)
{
	return (struct rc_identity){
	    .vendor = sv("acme"), .model = sv(model), .hwrev = sv(hwrev), .fwver = sv(fw)};
}

static int setup(void **state)
{
	for (int i = 0; i < 5; i++) {
		uint8_t seed[32];
		memset(seed, 0x31 + i, sizeof(seed));
		crypto_sign_seed_keypair(pk[i], sk[i], seed);
	}
	return 0;
}

static size_t sign_payload(uint8_t *out, uint64_t ct, const uint8_t *p, size_t pl, const int *who,
			   size_t nwho)
{
	uint8_t tmp[2048];
	size_t len;
	assert_int_equal(rc_cose_encode_unsigned(out, 2048, &len, ct, p, pl), RC_OK);
	for (size_t i = 0; i < nwho; i++) {
		memcpy(tmp, out, len);
		assert_int_equal(rc_cose_sign_add(out, 2048, &len, tmp, len, sk[who[i]]), RC_OK);
	}
	return len;
}

static size_t sign_notice(uint8_t *out, const struct rc_notice *n, uint64_t ct, const int *who,
			  size_t nwho)
{
	uint8_t p[RC_NOTICE_MAX];
	size_t pl;
	assert_int_equal(rc_notice_encode(n, p, sizeof(p), &pl), RC_OK);
	return sign_payload(out, ct, p, pl, who, nwho);
}

static void test_check(void **state)
{
	struct rc_anchors a;
	assert_int_equal(rc_anchors_init(&a, 1, 2, (const uint8_t(*)[32])pk, 3), RC_OK);
	struct rc_notice n, got;
	struct rc_verdict v;
	struct rc_diag d;
	struct rc_identity id = dev("cam-1", "b", "1.0");
	uint8_t b[2048];
	fx_min_notice(&n);
	n.not_before = 1000, n.expiry = 2000;
	size_t len = sign_notice(b, &n, RC_CT_NOTICE, (const int[]){0, 1}, 2);
	assert_int_equal(rc_notice_check(&got, b, len, &a, &id, 1500, true, &v, &d), RC_OK);
	assert_int_equal(v.valid, 2);
	assert_true(rc_str_eq(got.id, sv("n1")));
	/* Validity only with a trusted clock: [not_before, expiry). */
	assert_int_equal(rc_notice_check(&got, b, len, &a, &id, 1000, true, &v, &d), RC_OK);
	assert_int_equal(rc_notice_check(&got, b, len, &a, &id, 999, true, &v, &d), RC_ERR_EXPIRED);
	assert_string_equal(d.field, "notice.not_before");
	assert_int_equal(rc_notice_check(&got, b, len, &a, &id, 2000, true, &v, &d),
			 RC_ERR_EXPIRED);
	assert_string_equal(d.field, "notice.expiry");
	assert_int_equal(rc_notice_check(&got, b, len, &a, &id, 9999, false, &v, &d), RC_OK);
	/* Replayed to a device it does not cover: decoded, verified, refused. */
	struct rc_identity other = dev("cam-2", "b", "1.0");
	assert_int_equal(rc_notice_check(&got, b, len, &a, &other, 1500, true, &v, &d),
			 RC_ERR_NOTCOVERED);
	assert_true(rc_str_eq(got.id, sv("n1")));
	other = dev("cam-1", "b", "1.1");
	assert_int_equal(rc_notice_check(&got, b, len, &a, &other, 1500, true, &v, &d),
			 RC_ERR_NOTCOVERED);
	/* One trusted signature of two needed; unknown signers do not help. */
	len = sign_notice(b, &n, RC_CT_NOTICE, (const int[]){0, 3, 4}, 3);
	assert_int_equal(rc_notice_check(&got, b, len, &a, &id, 1500, true, &v, &d),
			 RC_ERR_THRESHOLD);
	assert_string_equal(d.field, "cose.signatures");
	assert_true(v.valid == 1 && v.unknown == 2);
	/* A rotation statement (or anything not typed as a notice) signed by k keys. */
	len = sign_notice(b, &n, RC_CT_ROTATION, (const int[]){0, 1}, 2);
	assert_int_equal(rc_notice_check(&got, b, len, &a, &id, 1500, true, &v, &d), RC_ERR_TYPE);
	assert_string_equal(d.field, "cose.protected.content_type");
	struct rc_rotation rot = {.from_epoch = 1, .next = a};
	rot.next.epoch = 2;
	uint8_t rp[1024];
	size_t rl;
	assert_int_equal(rc_rotation_encode(&rot, rp, sizeof(rp), &rl), RC_OK);
	len = sign_payload(b, RC_CT_ROTATION, rp, rl, (const int[]){0, 1}, 2);
	assert_int_equal(rc_notice_check(&got, b, len, &a, &id, 1500, true, &v, &d), RC_ERR_TYPE);
	/* A signed payload that is not a notice: the decoder's error, offset inside buf. */
	len = sign_payload(b, RC_CT_NOTICE, (const uint8_t *)"\xa1\x01\x62n1", 5,
			   (const int[]){0, 1}, 2);
	assert_int_equal(rc_notice_check(&got, b, len, &a, &id, 1500, true, &v, &d),
			 RC_ERR_MISSING);
	assert_string_equal(d.field, "notice.issued");
	assert_true(d.off > 10 && d.off < len);
	/* Envelope problems, oversize, a broken identity, missing arguments. */
	assert_int_equal(rc_notice_check(&got, b, len - 1, &a, &id, 0, false, &v, &d),
			 RC_ERR_TRUNCATED);
	assert_int_equal(rc_notice_check(&got, b, RC_NOTICE_MAX + 1, &a, &id, 0, false, &v, &d),
			 RC_ERR_TOOLONG);
	other = dev("cam-1", "b", "1.0");
	other.vendor = sv("ACME");
	assert_int_equal(rc_notice_check(&got, b, len, &a, &other, 0, false, &v, &d),
			 RC_ERR_INVALID);
	assert_int_equal(rc_notice_check(&got, b, len, NULL, &id, 0, 0, 0, 0), RC_ERR_INVALID);
}

/* ---- fuzz seeds (tests/fuzz/corpus/cose): always checked, written when
 * RECALL_WRITE_SEEDS names the corpus root ---- */

static void test_seeds(void **state)
{
	struct rc_notice n;
	struct rc_cose_sign m;
	uint8_t b[4096];
	size_t len;
	fx_min_notice(&n);
	len = sign_notice(b, &n, RC_CT_NOTICE, (const int[]){0, 1}, 2);
	assert_int_equal(rc_cose_decode(&m, b, len, NULL), RC_OK);
	tu_write_seed("cose", "notice-2sig", b, len);
	len = sign_notice(b, &n, RC_CT_NOTICE, (const int[]){0, 1, 2, 3, 4}, 5);
	assert_int_equal(rc_cose_decode(&m, b, len, NULL), RC_OK);
	tu_write_seed("cose", "notice-5sig", b, len);
	len = sign_payload(b, RC_CT_ROTATION, (const uint8_t *)"\xa0", 1, (const int[]){2}, 1);
	assert_int_equal(rc_cose_decode(&m, b, len, NULL), RC_OK);
	tu_write_seed("cose", "rotation-1sig", b, len);
	struct spec sp = base();
	static const uint8_t ext[] = {0xa2, 0x03, 0x00, 0x20, 0x00};
	sp.bprot = ext, sp.bprot_len = sizeof(ext), sp.s[1].extra = -3;
	len = build(&sp, b, sizeof(b));
	assert_int_equal(rc_cose_decode(&m, b, len, NULL), RC_OK);
	tu_write_seed("cose", "extensions", b, len);
	sp = base();
	sp.nsig = RC_SIG_MAX;
	len = build(&sp, b, sizeof(b));
	assert_int_equal(rc_cose_decode(&m, b, len, NULL), RC_OK);
	tu_write_seed("cose", "sixteen-sigs", b, len);
	sp.s[3].kid0 = 3;
	len = build(&sp, b, sizeof(b));
	assert_int_equal(rc_cose_decode(&m, b, len, NULL), RC_ERR_DUPKEY);
	tu_write_seed("cose", "dup-kid", b, len);
	assert_int_equal(rc_cose_encode_unsigned(b, sizeof(b), &len, RC_CT_NOTICE, b, 0), RC_OK);
	assert_int_equal(rc_cose_decode(&m, b, len, NULL), RC_ERR_MISSING);
	tu_write_seed("cose", "unsigned", b, len);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_decode_base_ok),
	    cmocka_unit_test(test_decode_rejects_envelope),
	    cmocka_unit_test(test_decode_rejects_signature),
	    cmocka_unit_test(test_decode_rejects_bytes),
	    cmocka_unit_test(test_sign_verify),
	    cmocka_unit_test(test_kid_known),
	    cmocka_unit_test(test_sign_order_independent),
	    cmocka_unit_test(test_merge),
	    cmocka_unit_test(test_sign_add_errors),
	    cmocka_unit_test(test_sign_add_signer),
	    cmocka_unit_test(test_check),
	    cmocka_unit_test(test_seeds),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
