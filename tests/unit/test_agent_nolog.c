/* A core built with RC_AGENT_NO_LOG (docs/PORTING.md, the small Cortex-M3 image): it verifies
 * no log proof, so under an anchor set with a log policy it must act on nothing that needs one:
 * a genuine recall or rotation is refused at once, with no proof asked for and nothing held
 * (struct rc_agent keeps no room for it); under a set without a log it recalls as before. The
 * whole core and the test helpers are compiled with the option (tests/unit/CMakeLists.txt),
 * since it sets the layout of struct rc_agent. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "cbor_io.h"
#include "sim.h"

static struct world W;
static struct rc_agent_status status(void)
{
	struct rc_agent_status st;
	rc_agent_status(&W.a, &st);
	return st;
}

/* logged: the current set names a log. Such a set cannot be built or encoded here (its policy
 * is not kept: struct rc_anchors), only decoded (test_logged_set_decoded), so it is put in place
 * as a rotation to it would leave it. */
static void world(bool logged)
{
	world_init(&W, 1);
	W.anc = W.cfg.anchors;
	assert_int_equal(rc_agent_init(&W.a, &W.cfg, &sim_ops, &W.s), RC_OK);
	W.a.anchors.has_log = logged;
	assert_int_equal(rc_agent_start(&W.a), RC_OK);
}

/* A set naming a log decodes (as has_log: its policy skipped), but is not one the core can
 * start with: the firmware's set must be one it can act under. */
static void test_logged_set_decoded(void **state)
{
	world_init(&W, 1);
	uint8_t buf[256];
	struct rc_wr w;
	rc_wr_init(&w, buf, sizeof(buf));
	rc_wr_map(&w, 4);
	rc_wr_uint(&w, 1);
	rc_wr_uint(&w, 1);
	rc_wr_uint(&w, 2);
	rc_wr_uint(&w, 1);
	rc_wr_uint(&w, 3);
	rc_wr_array(&w, 1);
	rc_wr_bstr(&w, W.cfg.anchors.a[0].pk, RC_PK_LEN);
	rc_wr_uint(&w, 4);
	rc_wr_map(&w, 1);
	rc_wr_uint(&w, 1);
	rc_wr_tstr(&w, "log.example", 11);
	assert_int_equal(w.err, 0);
	struct rc_anchors s;
	assert_int_equal(rc_anchors_decode(&s, buf, w.len, NULL), RC_OK);
	assert_true(s.has_log);
	size_t n;
	assert_int_equal(rc_anchors_encode(&s, buf, sizeof(buf), &n), RC_ERR_INVALID);
	struct rc_log_policy p = {0};
	assert_int_equal(rc_anchors_set_log(&W.cfg.anchors, &p), RC_ERR_VERSION);
	W.cfg.anchors = s;
	assert_int_equal(rc_agent_init(&W.a, &W.cfg, &sim_ops, &W.s), RC_ERR_INVALID);
}

/* Logged set: a genuine recall is refused at once; no proof is asked for. */
static void test_logged_recall_not_acted_on(void **state)
{
	world(true);
	assert_int_equal(world_notice(&W, NULL, 2), RC_OK);
	size_t sent = W.s.nsent;
	assert_int_equal(sim_answer(&W.s, &W.a, RC_MSG_RECALLED, 0, W.blob, W.blob_len),
			 RC_ERR_VERSION);
	struct rc_agent_status st = status();
	assert_false(st.proof_pending);
	assert_int_equal(W.s.nsent, sent);
	assert_false(W.s.q_on);
	assert_int_equal(W.s.nev, 0);
	assert_false(st.has_notice);
	assert_int_equal(st.c.proof_requests, 0);
	assert_int_equal(st.c.rx_proof_invalid, 1);
	assert_non_null(strstr(W.s.last_log, "RC_AGENT_NO_LOG"));
}

/* Logged set: a rotation signed by the set's keys is refused at once, not applied. */
static void test_logged_rotation_not_applied(void **state)
{
	world(true);
	struct rc_anchors a2;
	struct fx_key k2[3];
	uint8_t stmt[2048];
	size_t slen;
	assert_int_equal(fx_anchors(&a2, k2, 3, 2, 2, 50), RC_OK);
	assert_int_equal(fx_rotation(stmt, sizeof(stmt), &slen, &W.anc, &a2, W.keys, 2), 0);
	assert_int_equal(sim_answer(&W.s, &W.a, RC_MSG_ROTATE, 0, stmt, slen), RC_ERR_VERSION);
	struct rc_agent_status st = status();
	assert_false(st.proof_pending);
	assert_int_equal(st.anchor_epoch, 1);
	assert_int_equal(st.c.rotations, 0);
	assert_int_equal(st.c.proof_requests, 0);
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
	    cmocka_unit_test(test_logged_set_decoded),
	    cmocka_unit_test(test_logged_recall_not_acted_on),
	    cmocka_unit_test(test_logged_rotation_not_applied),
	    cmocka_unit_test(test_unlogged_recall_acted_on),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
