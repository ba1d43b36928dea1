/* The worked examples of docs/PROTOCOL.md (section 15) and docs/examples/ stay true: every file
 * decodes strictly, verifies, and librecall re-encodes (and re-signs) it to the same bytes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "recall/anchors.h"
#include "recall/cose.h"
#include "recall/msg.h"
#include "recall/notice.h"
#include "testutil.h"

#define EX_MAX 1300
#define NOW    1730800000u /* 2024-11-05: inside the example notice's validity */

struct ex {
	uint8_t b[EX_MAX];
	size_t n;
};

/* Load docs/examples/NAME.hex. */
static void ex_load(struct ex *e, const char *name)
{
	char path[4096];
	size_t len;
	snprintf(path, sizeof(path), "%s/docs/examples/%s.hex", RECALL_SOURCE_DIR, name);
	char *hex = tu_read_file(path, &len);
	if (!hex)
		fail_msg("cannot read %s", path);
	long n = tu_unhex(e->b, sizeof(e->b), hex);
	free(hex);
	if (n <= 0)
		fail_msg("bad hex in %s", path);
	e->n = (size_t)n;
}

/* Example key i (1..4): seed = SHA-256("recall example anchor key i"). */
static void ex_key(int i, uint8_t pk[static RC_PK_LEN], uint8_t sk[static RC_SK_LEN])
{
	char label[64];
	uint8_t seed[32];
	snprintf(label, sizeof(label), "recall example anchor key %d", i);
	crypto_hash_sha256(seed, (const uint8_t *)label, strlen(label));
	crypto_sign_seed_keypair(pk, sk, seed);
}

static void ex_anchors(struct rc_anchors *a, const char *name)
{
	struct ex e;
	struct rc_diag d;
	ex_load(&e, name);
	assert_int_equal(rc_anchors_decode(a, e.b, e.n, &d), RC_OK);
}

static void test_checkin(void **state)
{
	struct ex e;
	struct rc_checkin c;
	struct rc_diag d;
	uint8_t again[RC_CHECKIN_SIZE];
	ex_load(&e, "checkin");
	assert_int_equal(e.n, RC_CHECKIN_SIZE);
	assert_int_equal(rc_checkin_decode(&c, e.b, e.n, &d), RC_OK);
	assert_int_equal(c.reason, RC_REASON_BOOT);
	assert_int_equal(c.state, RC_STATE_NORMAL);
	assert_int_equal(c.anchor_epoch, 1);
	assert_true(rc_str_eq(c.id.vendor, rc_str_c("tp-link")));
	assert_true(rc_str_eq(c.id.model, rc_str_c("archer%20ax21")));
	assert_true(rc_str_eq(c.id.hwrev, rc_str_c("v3")));
	assert_true(rc_str_eq(c.id.fwver, rc_str_c("1.1.3 Build 20221209")));
	assert_true(c.id.has_build_date && !c.id.has_digest);
	assert_int_equal(c.id.build_date, 1670544000);
	for (int i = 0; i < RC_NONCE_LEN; i++)
		assert_int_equal(c.nonce[i], 0xa0 + i);
	/* PROTOCOL.md 15.1: 88 bytes before the pad head, pad of 1109 zero bytes. */
	assert_memory_equal(e.b + 88, "\x59\x04\x55", 3);
	assert_int_equal(rc_checkin_encode(&c, again), RC_OK);
	assert_memory_equal(again, e.b, RC_CHECKIN_SIZE);
}

/* Decode answer NAME, check it answers the example check-in, re-encode it identically. */
static void answer(const char *name, struct ex *e, struct rc_answer *a, unsigned type)
{
	struct rc_diag d;
	uint8_t again[RC_ANSWER_MAX];
	size_t n;
	ex_load(e, name);
	assert_true(e->n <= RC_CHECKIN_SIZE);
	assert_int_equal(rc_answer_decode(a, e->b, e->n, &d), RC_OK);
	assert_int_equal(a->type, type);
	for (int i = 0; i < RC_NONCE_LEN; i++)
		assert_int_equal(a->nonce[i], 0xa0 + i);
	assert_int_equal(rc_answer_encode(a, again, sizeof(again), &n), RC_OK);
	assert_int_equal(n, e->n);
	assert_memory_equal(again, e->b, n);
}

static void test_small_answers(void **state)
{
	struct ex e;
	struct rc_answer a;
	answer("clear", &e, &a, RC_MSG_CLEAR);
	assert_int_equal(e.n, 29);
	assert_int_equal(a.serial, 2024110501);
	answer("retry-later", &e, &a, RC_MSG_RETRY);
	assert_int_equal(a.delay, 900);
	answer("unsupported", &e, &a, RC_MSG_UNSUPPORTED);
	assert_int_equal(a.max_version, 1);
}

static void test_anchor_sets(void **state)
{
	struct rc_anchors a;
	uint8_t pk[4][RC_PK_LEN], sk[RC_SK_LEN], id[RC_KID_LEN];
	for (int i = 0; i < 4; i++)
		ex_key(i + 1, pk[i], sk);
	ex_anchors(&a, "anchors-epoch1");
	assert_int_equal(a.epoch, 1);
	assert_int_equal(a.k, 2);
	assert_int_equal(a.n, 3);
	/* Keys 1-3 are in the set (found by kid, same public key); key 4 is not. */
	for (int i = 0; i < 4; i++) {
		uint8_t kid[RC_KID_LEN];
		rc_kid(kid, pk[i]);
		int at = rc_anchors_find(&a, kid);
		if (i == 3) {
			assert_int_equal(at, -1);
			continue;
		}
		assert_true(at >= 0);
		assert_memory_equal(a.a[at].pk, pk[i], RC_PK_LEN);
	}
	uint8_t kid1[RC_KID_LEN];
	rc_kid(kid1, pk[0]);
	assert_memory_equal(kid1, "\x25\x5e\x3a\x6a\xc9\xbf\x27\xb9", RC_KID_LEN);
	assert_int_equal(rc_anchors_id(&a, id), RC_OK);
	assert_memory_equal(id, "\xb7\xb9\x19\xaa\x47\xe5\x88\xdf", RC_KID_LEN);
	ex_anchors(&a, "anchors-epoch2");
	assert_int_equal(rc_anchors_id(&a, id), RC_OK);
	assert_memory_equal(id, "\x55\xe1\xb0\x62\x0e\x83\xc7\xaf", RC_KID_LEN);
}

static void test_recalled(void **state)
{
	struct ex e, signed_notice, payload, tbs, ci;
	struct rc_answer a;
	struct rc_checkin c;
	struct rc_anchors set;
	struct rc_notice n;
	struct rc_verdict v;
	struct rc_diag d;
	answer("recalled", &e, &a, RC_MSG_RECALLED);
	assert_int_equal(e.n, 621);
	ex_load(&signed_notice, "notice-signed");
	assert_int_equal(a.blob_len, signed_notice.n);
	assert_memory_equal(a.blob, signed_notice.b, signed_notice.n);
	ex_load(&ci, "checkin");
	assert_int_equal(rc_checkin_decode(&c, ci.b, ci.n, &d), RC_OK);
	ex_anchors(&set, "anchors-epoch1");
	assert_int_equal(rc_notice_check(&n, a.blob, a.blob_len, &set, &c.id, NOW, true, &v, &d),
			 RC_OK);
	assert_int_equal(v.valid, 2);
	assert_true(rc_str_eq(n.id, rc_str_c("EX-2023-1389")));
	assert_int_equal(n.action, RC_ACTION_QUARANTINE);
	/* The fixed build is not covered. */
	struct rc_identity fixed = c.id;
	fixed.fwver = rc_str_c("1.1.4 Build 20230219");
	assert_false(rc_notice_covers(&n, &fixed));

	/* Payload and Sig_structure files match the signed notice. */
	struct rc_cose_sign m;
	uint8_t buf[EX_MAX];
	size_t len;
	assert_int_equal(rc_cose_decode(&m, a.blob, a.blob_len, &d), RC_OK);
	ex_load(&payload, "notice-payload");
	assert_int_equal(m.payload_len, payload.n);
	assert_memory_equal(m.payload, payload.b, payload.n);
	ex_load(&tbs, "sig-structure");
	for (size_t i = 0; i < m.nsig; i++) {
		assert_int_equal(rc_cose_tbs(&m, i, buf, sizeof(buf), &len), RC_OK);
		assert_int_equal(len, tbs.n);
		assert_memory_equal(buf, tbs.b, len);
	}
	/* PROTOCOL.md 8.5: 14 + P + 82 * s. */
	assert_int_equal(signed_notice.n, 14 + payload.n + 82 * m.nsig);

	/* Re-encoding the decoded payload and re-signing with keys 3 then 1 gives the same bytes.
	 */
	uint8_t u[EX_MAX], s1[EX_MAX], s2[EX_MAX], pk[RC_PK_LEN], sk[RC_SK_LEN];
	size_t un, s1n, s2n;
	assert_int_equal(rc_notice_encode(&n, buf, sizeof(buf), &len), RC_OK);
	assert_int_equal(len, payload.n);
	assert_memory_equal(buf, payload.b, len);
	assert_int_equal(rc_cose_encode_unsigned(u, sizeof(u), &un, RC_CT_NOTICE, buf, len), RC_OK);
	ex_key(3, pk, sk);
	assert_int_equal(rc_cose_sign_add(s1, sizeof(s1), &s1n, u, un, sk), RC_OK);
	ex_key(1, pk, sk);
	assert_int_equal(rc_cose_sign_add(s2, sizeof(s2), &s2n, s1, s1n, sk), RC_OK);
	assert_int_equal(s2n, signed_notice.n);
	assert_memory_equal(s2, signed_notice.b, s2n);
}

static void test_rotate(void **state)
{
	struct ex e, stmt, next;
	struct rc_answer a;
	struct rc_anchors cur;
	struct rc_verdict v;
	uint8_t buf[EX_MAX];
	size_t len;
	answer("rotate", &e, &a, RC_MSG_ROTATE);
	ex_load(&stmt, "rotation-signed");
	assert_int_equal(a.blob_len, stmt.n);
	assert_memory_equal(a.blob, stmt.b, stmt.n);
	ex_anchors(&cur, "anchors-epoch1");
	assert_int_equal(rc_anchors_rotate(&cur, a.blob, a.blob_len, &v), RC_OK);
	assert_int_equal(v.valid, 2);
	assert_int_equal(cur.epoch, 2);
	assert_int_equal(rc_anchors_encode(&cur, buf, sizeof(buf), &len), RC_OK);
	ex_load(&next, "anchors-epoch2");
	assert_int_equal(len, next.n);
	assert_memory_equal(buf, next.b, len);
	/* Offered again, it no longer has k signatures of the new set (key 2 was revoked); a
	 * statement that did would still be refused as stale. */
	assert_int_equal(rc_anchors_rotate(&cur, a.blob, a.blob_len, &v), RC_ERR_THRESHOLD);
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_checkin),     cmocka_unit_test(test_small_answers),
	    cmocka_unit_test(test_anchor_sets), cmocka_unit_test(test_recalled),
	    cmocka_unit_test(test_rotate),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
