/* A core built with RC_AGENT_NO_LOG (docs/PORTING.md, the small Cortex-M3 image): it verifies
 * no log proof, so under an anchor set with a log policy it must act on nothing that needs one,
 * even with a proof that a full build accepts (test_agent_log, test_agent_rotlog); under a set
 * without a log it recalls as before. The whole core and the test helpers are compiled with the
 * option (tests/unit/CMakeLists.txt), since it sets the layout of struct rc_agent. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "logfix.h"
#include "recall/logproof.h"
#include "sim.h"

#define SEED 0x70 /* the fixture log of test_agent_log */
#define AGE  86400u

static struct world W;
static uint8_t proofbuf[RC_LOGPROOF_ENC_MAX];
static size_t prooflen;
static const uint64_t fresh[] = {FX_NOW - 600, FX_NOW - 300, 0};

static struct rc_agent_status status(void)
{
	struct rc_agent_status st;
	rc_agent_status(&W.a, &st);
	return st;
}

/* A proof of entry at index 5 of 13, cosigned recently: one a full build acts on. */
static void make_proof(const uint8_t *entry, size_t len)
{
	struct rc_logproof p;
	assert_int_equal(fx_log_proof(&p, &W.anc, entry, len, 5, 13, fresh, SEED), RC_OK);
	assert_int_equal(rc_logproof_encode(&p, proofbuf, sizeof(proofbuf), &prooflen), RC_OK);
}

static void world(bool logged)
{
	world_init(&W, 1);
	if (logged)
		assert_int_equal(fx_log_policy(&W.cfg.anchors, 3, 2, AGE, SEED), RC_OK);
	W.anc = W.cfg.anchors;
	assert_int_equal(rc_agent_init(&W.a, &W.cfg, &sim_ops, &W.s), RC_OK);
	assert_int_equal(rc_agent_start(&W.a), RC_OK);
}

/* Logged set: the recall waits for its proof, and the proof is refused. */
static void test_logged_recall_not_acted_on(void **state)
{
	world(true);
	assert_int_equal(world_notice(&W, NULL, 2), RC_OK);
	assert_int_equal(sim_answer(&W.s, &W.a, RC_MSG_RECALLED, 0, W.blob, W.blob_len), RC_OK);
	assert_true(status().proof_pending);
	make_proof(W.blob, W.blob_len);
	assert_int_equal(sim_answer(&W.s, &W.a, RC_MSG_PROOF, 0, proofbuf, prooflen),
			 RC_ERR_VERSION);
	struct rc_agent_status st = status();
	assert_false(W.s.q_on);
	assert_int_equal(W.s.nev, 0);
	assert_false(st.has_notice);
	assert_int_equal(st.c.proofs, 0);
	assert_int_equal(st.c.rx_proof_invalid, 1);
	assert_non_null(strstr(W.s.last_log, "RC_AGENT_NO_LOG"));
}

/* Logged set: a rotation signed by the set's keys, with its proof, is not applied. */
static void test_logged_rotation_not_applied(void **state)
{
	world(true);
	struct rc_anchors a2;
	struct fx_key k2[3];
	uint8_t stmt[2048];
	size_t slen;
	assert_int_equal(fx_anchors(&a2, k2, 3, 2, 2, 50), RC_OK);
	assert_int_equal(fx_rotation(stmt, sizeof(stmt), &slen, &W.anc, &a2, W.keys, 2), 0);
	assert_int_equal(sim_answer(&W.s, &W.a, RC_MSG_ROTATE, 0, stmt, slen), RC_OK);
	make_proof(stmt, slen);
	assert_int_equal(sim_answer(&W.s, &W.a, RC_MSG_PROOF, 0, proofbuf, prooflen),
			 RC_ERR_VERSION);
	struct rc_agent_status st = status();
	assert_int_equal(st.anchor_epoch, 1);
	assert_int_equal(st.c.rotations, 0);
	assert_int_equal(W.a.nchain, 0);
	assert_int_equal(W.s.nev, 0);
}

/* No log policy: a genuine recall is acted on at once, as in a full build. */
static void test_unlogged_recall_acted_on(void **state)
{
	world(false);
	assert_int_equal(world_notice(&W, NULL, 2), RC_OK);
	assert_int_equal(sim_answer(&W.s, &W.a, RC_MSG_RECALLED, 0, W.blob, W.blob_len), RC_OK);
	assert_true(W.s.q_on);
	assert_int_equal(sim_last_event(&W.s), RC_AGENT_EV_RECALLED);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_logged_recall_not_acted_on),
	    cmocka_unit_test(test_logged_rotation_not_applied),
	    cmocka_unit_test(test_unlogged_recall_acted_on),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
