/* The agent core in private mode (docs/PROTOCOL.md 18.4), what it ignores and its timers:
 * forged and unsigned notices, wrong nonces, answer types that do not fit the request,
 * retries (the walk stays with the bucket's responder), giving up against a responder that
 * drops private check-ins, retry-later, unsupported, rotate, and the log proof of 12.7. The
 * world: agent_private_fx.h; the decisions: test_agent_private. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "agent_private_fx.h"

#include "logfix.h"
#include "recall/tlog.h"

static void mut_m1(struct rc_notice *n)
{
	n->target.vendor = rc_str_c("acme");
	n->target.model = rc_str_c("m1");
	n->target.nhwrevs = 0;
	n->target.nversions = 1;
	n->target.versions[0] = rc_str_c("1.0");
}

/* Forged and unsigned notices answering a notice request are ignored; the real one counts. */
static void test_forged_notice_ignored(void **state)
{
	(void)state;
	uint8_t nonce[RC_NONCE_LEN];
	start(id_of(1, V10), true, 1, 0);
	assert_int_equal(respond(&T), RC_OK);
	last_nonce(nonce);
	assert_int_equal(world_notice(&W, mut_m1, 2), RC_OK);
	assert_int_equal(world_forge(&W), RC_OK);
	assert_int_not_equal(answer(RC_MSG_RECALLED, nonce, 0, W.blob, W.blob_len), RC_OK);
	assert_int_equal(world_notice(&W, mut_m1, 0), RC_OK);
	assert_int_not_equal(answer(RC_MSG_RECALLED, nonce, 0, W.blob, W.blob_len), RC_OK);
	struct rc_agent_status st;
	rc_agent_status(&W.a, &st);
	assert_int_equal(st.state, RC_AGENT_WAIT);
	assert_int_equal(st.c.rx_invalid, 2);
	assert_int_equal(st.c.rx_threshold, 1);
	assert_int_equal(W.s.q_apply, 0);
	assert_int_equal(W.s.nsent, 2); /* not taken for "does not cover": no next request */
	assert_int_equal(respond(&T), RC_OK);
	rc_agent_status(&W.a, &st);
	assert_int_equal(st.state, RC_AGENT_QUARANTINED);
	assert_string_equal(st.notice_id, "N-4");
}

/* Answers whose nonce is not the outstanding request's are ignored: a bucket, a recall. */
static void test_wrong_nonce_ignored(void **state)
{
	(void)state;
	uint8_t nonce[RC_NONCE_LEN];
	start(id_of(1, V10), true, 1, 0);
	last_nonce(nonce);
	nonce[0] ^= 1;
	assert_int_equal(bucket(&T, nonce, W.a.pprefix, 0), RC_ERR_NONCE);
	assert_int_equal(W.s.nsent, 1);
	assert_int_equal(respond(&T), RC_OK);
	assert_int_equal(last_type(), RC_MSG_NOTICE_REQUEST);
	last_nonce(nonce);
	nonce[15] ^= 0x80;
	const uint8_t *np;
	size_t nl;
	assert_true(rc_private_table_notice(&T, W.a.ptag, 0, &np, &nl));
	assert_int_equal(answer(RC_MSG_RECALLED, nonce, 0, np, nl), RC_ERR_NONCE);
	/* The bucket's own nonce is spent: a second bucket with it is no answer either. */
	struct rc_private_checkin pc;
	assert_int_equal(rc_private_checkin_decode(&pc, W.s.sent[0].buf, RC_CHECKIN_SIZE, NULL),
			 RC_OK);
	assert_int_equal(bucket(&T_empty, pc.nonce, W.a.pprefix, 0), RC_ERR_NONCE);
	struct rc_agent_status st;
	rc_agent_status(&W.a, &st);
	assert_int_equal(st.c.rx_nonce, 3);
	assert_int_equal(st.state, RC_AGENT_WAIT);
	assert_int_equal(W.s.q_apply, 0);
	assert_int_equal(respond(&T), RC_OK);
	rc_agent_status(&W.a, &st);
	assert_int_equal(st.state, RC_AGENT_QUARANTINED);
}

/* Each request takes only its own answer types: clear or recalled never answer a private
 * check-in, a bucket never answers a notice request or a normal check-in. */
static void test_answer_types(void **state)
{
	(void)state;
	uint8_t nonce[RC_NONCE_LEN];
	start(id_of(1, V10), true, 1, 0);
	last_nonce(nonce);
	assert_int_equal(answer(RC_MSG_CLEAR, nonce, 9, NULL, 0), RC_ERR_TYPE);
	const uint8_t *np;
	size_t nl;
	assert_true(rc_private_table_notice(&T, W.a.ptag, 0, &np, &nl));
	assert_int_equal(answer(RC_MSG_RECALLED, nonce, 0, np, nl), RC_ERR_TYPE);
	assert_int_equal(respond(&T), RC_OK);
	last_nonce(nonce);
	assert_int_equal(bucket(&T_empty, nonce, W.a.pprefix, 0), RC_ERR_TYPE);
	struct rc_agent_status st;
	rc_agent_status(&W.a, &st);
	assert_int_equal(st.c.rx_invalid, 3);
	assert_int_equal(st.c.clear, 0);
	assert_int_equal(st.state, RC_AGENT_WAIT);
	/* Normal mode: a bucket is not an answer it decodes. */
	start(id_of(1, V10), false, 1, 0);
	last_nonce(nonce);
	assert_int_not_equal(bucket(&T_empty, nonce, W.a.pprefix, 0), RC_OK);
	rc_agent_status(&W.a, &st);
	assert_int_equal(st.c.clear, 0);
	assert_int_equal(st.c.rx_garbage, 1);
}

/* Timeouts: the private check-in is retried like a check-in (new nonce, next responder); once
 * a bucket came, the notice requests stay with the responder that sent it. */
static void test_retries(void **state)
{
	(void)state;
	start(id_of(1, V10), true, 2, 0);
	uint8_t n0[RC_NONCE_LEN], n1[RC_NONCE_LEN];
	last_nonce(n0);
	assert_int_equal(sim_last(&W.s)->to.addr[3], 1);
	while (W.s.nsent == 1)
		sim_step(&W.s, &W.a);
	struct rc_private_checkin pc;
	assert_int_equal(rc_private_checkin_decode(&pc, sim_last(&W.s)->buf, RC_CHECKIN_SIZE, NULL),
			 RC_OK);
	assert_int_equal(pc.reason, RC_REASON_RETRY);
	assert_int_equal(pc.page, 0);
	assert_memory_not_equal(pc.nonce, n0, RC_NONCE_LEN);
	assert_int_equal(sim_last(&W.s)->to.addr[3], 2);
	assert_int_equal(respond(&T), RC_OK); /* from responder 2 */
	assert_int_equal(last_type(), RC_MSG_NOTICE_REQUEST);
	last_nonce(n1);
	for (int k = 0; k < 2; k++) {
		size_t n = W.s.nsent;
		while (W.s.nsent == n)
			sim_step(&W.s, &W.a);
		assert_int_equal(last_type(), RC_MSG_NOTICE_REQUEST);
		assert_int_equal(sim_last(&W.s)->to.addr[3], 2);
		uint8_t n2[RC_NONCE_LEN];
		last_nonce(n2);
		assert_memory_not_equal(n1, n2, RC_NONCE_LEN);
		memcpy(n1, n2, sizeof(n1));
	}
	struct rc_agent_status st;
	rc_agent_status(&W.a, &st);
	assert_int_equal(st.c.timeouts, 3);
	assert_int_equal(st.attempt, 3); /* one budget for the episode */
	assert_int_equal(respond(&T), RC_OK);
	rc_agent_status(&W.a, &st);
	assert_int_equal(st.state, RC_AGENT_QUARANTINED);
	assert_int_equal(st.attempt, 0);
}

/* Unanswered to the end (a responder before private mode drops type 9): give up, and say why. */
static void test_giveup_says_why(void **state)
{
	(void)state;
	start(id_of(1, V10), true, 1, 2);
	struct rc_agent_status st;
	for (int k = 0; k < 20 && (rc_agent_status(&W.a, &st), st.c.giveups == 0); k++)
		sim_step(&W.s, &W.a);
	assert_int_equal(st.c.giveups, 1);
	assert_int_equal(W.s.nsent, 3);
	assert_non_null(strstr(W.s.last_log, "private mode: no bucket answer yet"));
	/* Normal mode gives up without that line. */
	start(id_of(1, V10), false, 1, 2);
	for (int k = 0; k < 20 && (rc_agent_status(&W.a, &st), st.c.giveups == 0); k++)
		sim_step(&W.s, &W.a);
	assert_int_equal(st.c.giveups, 1);
	assert_null(strstr(W.s.last_log, "private mode"));
}

/* Retry-later and unsupported answer a notice request as they answer a check-in; after a
 * retry-later the walk starts again at page 0 (the feed may change meanwhile). */
static void test_retry_later_and_unsupported(void **state)
{
	(void)state;
	uint8_t nonce[RC_NONCE_LEN];
	start(id_of(1, V10), true, 1, 0);
	assert_int_equal(respond(&T), RC_OK);
	last_nonce(nonce);
	assert_int_equal(answer(RC_MSG_RETRY, nonce, 120, NULL, 0), RC_OK);
	struct rc_agent_status st;
	rc_agent_status(&W.a, &st);
	assert_int_equal(st.c.retry_later, 1);
	assert_in_range(st.next_ms, 120000, 180000);
	sim_step(&W.s, &W.a);
	assert_int_equal(last_type(), RC_MSG_PRIVATE);
	struct rc_private_checkin pc;
	assert_int_equal(rc_private_checkin_decode(&pc, sim_last(&W.s)->buf, RC_CHECKIN_SIZE, NULL),
			 RC_OK);
	assert_int_equal(pc.page, 0);
	assert_int_equal(pc.reason, RC_REASON_RETRY);
	assert_int_equal(respond(&T), RC_OK);
	last_nonce(nonce);
	assert_int_equal(answer(RC_MSG_UNSUPPORTED, nonce, 2, NULL, 0), RC_OK);
	rc_agent_status(&W.a, &st);
	assert_int_equal(st.c.unsupported, 1);
	assert_int_equal(st.state, RC_AGENT_IDLE);
	assert_int_equal(st.next_reason, RC_REASON_PERIODIC);
	assert_int_equal(W.s.q_apply, 0);
}

/* A rotate answer to a notice request is followed as for a check-in: the walk starts again at
 * page 0 under the new epoch. */
static void test_rotate(void **state)
{
	(void)state;
	uint8_t nonce[RC_NONCE_LEN];
	start(id_of(1, V10), true, 1, 0);
	assert_int_equal(respond(&T), RC_OK);
	assert_int_equal(last_type(), RC_MSG_NOTICE_REQUEST);
	last_nonce(nonce);
	struct rc_anchors next;
	struct fx_key nk[3];
	static uint8_t stmt[2048];
	size_t sl;
	assert_int_equal(fx_anchors(&next, nk, 3, 2, 2, 0x50), RC_OK);
	assert_int_equal(fx_rotation(stmt, sizeof(stmt), &sl, &W.anc, &next, W.keys, 2), RC_OK);
	assert_int_equal(answer(RC_MSG_ROTATE, nonce, 0, stmt, sl), RC_OK);
	assert_int_equal(W.a.anchors.epoch, 2);
	struct rc_private_checkin pc;
	assert_int_equal(last_type(), RC_MSG_PRIVATE);
	assert_int_equal(rc_private_checkin_decode(&pc, sim_last(&W.s)->buf, RC_CHECKIN_SIZE, NULL),
			 RC_OK);
	assert_int_equal(pc.page, 0);
	assert_int_equal(pc.anchor_epoch, 2);
	struct rc_agent_status st;
	rc_agent_status(&W.a, &st);
	assert_int_equal(st.c.rotations, 1);
	assert_int_equal(st.state, RC_AGENT_WAIT);
}

/* With a log policy (PROTOCOL.md 12.7) the recalled answer to a notice request is acted on only
 * after its log proof, asked for as in normal mode. */
static void test_log_proof(void **state)
{
	(void)state;
	world_init(&W, 1);
	privcat_identity(id_of(1, V10), &W.cfg.id);
	W.cfg.private_mode = true;
	assert_int_equal(fx_log_policy(&W.cfg.anchors, 3, 2, 86400, 0x70), RC_OK);
	assert_int_equal(rc_agent_init(&W.a, &W.cfg, &sim_ops, &W.s), RC_OK);
	assert_int_equal(rc_agent_start(&W.a), RC_OK);
	assert_int_equal(respond(&T), RC_OK); /* bucket */
	assert_int_equal(respond(&T), RC_OK); /* notice 0: N-4, covers */
	const uint8_t *np;
	size_t nl;
	assert_true(rc_private_table_notice(&T, W.a.ptag, 0, &np, &nl));
	struct rc_proofreq q;
	assert_int_equal(sim_last_proofreq(&W.s, &q), RC_OK);
	uint8_t leaf[32];
	rc_tlog_leaf_hash(leaf, np, nl);
	assert_memory_equal(q.leaf, leaf, sizeof(leaf));
	assert_false(W.s.q_on);
	static const uint64_t fresh[] = {NOW - 600, NOW - 300, 0};
	struct rc_logproof lp;
	static uint8_t pb[RC_LOGPROOF_ENC_MAX];
	size_t pl;
	assert_int_equal(fx_log_proof(&lp, &W.a.anchors, np, nl, 5, 13, fresh, 0x70), RC_OK);
	assert_int_equal(rc_logproof_encode(&lp, pb, sizeof(pb), &pl), RC_OK);
	assert_int_equal(sim_answer(&W.s, &W.a, RC_MSG_PROOF, 0, pb, pl), RC_OK);
	struct rc_agent_status st;
	rc_agent_status(&W.a, &st);
	assert_int_equal(st.state, RC_AGENT_QUARANTINED);
	assert_string_equal(st.notice_id, "N-4");
	assert_true(st.logged);
	assert_int_equal(st.c.proofs, 1);
	assert_true(W.s.q_on);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_forged_notice_ignored),
	    cmocka_unit_test(test_wrong_nonce_ignored),
	    cmocka_unit_test(test_answer_types),
	    cmocka_unit_test(test_retries),
	    cmocka_unit_test(test_giveup_says_why),
	    cmocka_unit_test(test_retry_later_and_unsupported),
	    cmocka_unit_test(test_rotate),
	    cmocka_unit_test(test_log_proof),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
