/* The agent with a log policy in its anchor set (docs/PROTOCOL.md 9.5): a recall is acted on
 * only after a proof that verifies for exactly that notice. A notice signed by k keys but not
 * logged, a proof for another notice, a stale or under-witnessed proof, a clear answer to a
 * proof request: no quarantine. Logged and cosigned: quarantine, kept across a restart with
 * its proof (state format 3), released as invalid when the proof no longer verifies. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <sodium.h>

#include "logfix.h"
#include "recall/tlog.h"
#include "sim.h"

#define SEED 0x70
#define AGE  86400u

static struct world W;
static uint8_t proofbuf[RC_LOGPROOF_ENC_MAX];
static size_t prooflen;

/* The world's agent, its firmware anchors with a log (3 witnesses, quorum 2, seed). */
static void logged_world(uint8_t seed)
{
	world_init(&W, 1);
	assert_int_equal(fx_log_policy(&W.cfg.anchors, 3, 2, AGE, seed), RC_OK);
	W.anc = W.cfg.anchors;
	assert_int_equal(rc_agent_init(&W.a, &W.cfg, &sim_ops, &W.s), RC_OK);
}

static int setup(void **state)
{
	logged_world(SEED);
	return 0;
}

static struct rc_agent_status status(void)
{
	struct rc_agent_status st;
	rc_agent_status(&W.a, &st);
	return st;
}

/* A proof of entry at index 5 of 13, cosigned as times say, into proofbuf. */
static void make_proof(const uint8_t *entry, size_t len, const uint64_t *times)
{
	struct rc_logproof p;
	assert_int_equal(fx_log_proof(&p, &W.anc, entry, len, 5, 13, times, SEED), RC_OK);
	assert_int_equal(rc_logproof_encode(&p, proofbuf, sizeof(proofbuf), &prooflen), RC_OK);
}

static const uint64_t fresh[] = {FX_NOW - 600, FX_NOW - 300, 0};

/* Start, take the notice as a recalled answer: the agent asks for its proof, acting on
 * nothing yet. */
static void recalled_unproven(void)
{
	assert_int_equal(rc_agent_start(&W.a), RC_OK);
	assert_int_equal(world_notice(&W, NULL, 2), RC_OK);
	size_t sent = W.s.nsent;
	assert_int_equal(sim_answer(&W.s, &W.a, RC_MSG_RECALLED, 0, W.blob, W.blob_len), RC_OK);
	assert_int_equal(W.s.nsent, sent + 1);
	struct rc_proofreq q;
	assert_int_equal(sim_last_proofreq(&W.s, &q), RC_OK);
	uint8_t leaf[32];
	rc_tlog_leaf_hash(leaf, W.blob, W.blob_len);
	assert_memory_equal(q.leaf, leaf, 32);
	assert_int_equal(q.anchor_epoch, 1);
	assert_int_equal(sim_last(&W.s)->len, RC_CHECKIN_SIZE);
	assert_false(W.s.q_on);
	assert_int_equal(W.s.nev, 0);
	struct rc_agent_status st = status();
	assert_true(st.has_log);
	assert_true(st.proof_pending);
	assert_false(st.has_notice);
	assert_int_equal(st.c.proof_requests, 1);
}

/* ... then a proof that verifies: quarantine. */
static void quarantined(void)
{
	recalled_unproven();
	make_proof(W.blob, W.blob_len, fresh);
	assert_int_equal(sim_answer(&W.s, &W.a, RC_MSG_PROOF, 0, proofbuf, prooflen), RC_OK);
	assert_true(W.s.q_on);
	assert_int_equal(sim_last_event(&W.s), RC_AGENT_EV_RECALLED);
	struct rc_agent_status st = status();
	assert_int_equal(st.state, RC_AGENT_QUARANTINED);
	assert_true(st.logged);
	assert_int_equal(st.log_index, 5);
	assert_int_equal(st.log_size, 13);
	assert_int_equal(st.log_witnessed, 2);
	assert_int_equal(st.log_quorum, 2);
	assert_false(st.proof_pending);
	assert_int_equal(st.c.proofs, 1);
	/* Saved with its proof: format 3. */
	assert_int_equal(W.s.state[0], 0xa9); /* 7 keys, the notice (3) and its proof (11) */
	assert_int_equal(W.s.state[2], 3);
	/* A raw-blob seed (first byte 0) for fuzz_agent_state, with RECALL_AGENT_CORPUS=dir. */
	const char *dir = getenv("RECALL_AGENT_CORPUS");
	if (dir) {
		char path[512];
		snprintf(path, sizeof(path), "%s/format3-logged", dir);
		FILE *f = fopen(path, "wb");
		assert_non_null(f);
		fputc(0, f);
		fwrite(W.s.state, 1, W.s.state_len, f);
		fclose(f);
	}
}

static void test_logged_quarantines(void **state)
{
	quarantined();
	/* The hourly recheck answered recalled again: the held proof covers it, no new request. */
	size_t sent = W.s.nsent;
	sim_advance(&W.s, &W.a, rc_agent_timeout_ms(&W.a));
	assert_int_equal(W.s.nsent, sent + 1);
	assert_int_equal(sim_answer(&W.s, &W.a, RC_MSG_RECALLED, 0, W.blob, W.blob_len), RC_OK);
	assert_int_equal(W.s.nsent, sent + 1);
	assert_true(W.s.q_on);
	assert_int_equal(status().c.proof_requests, 1);
}

/* Signed by k keys, not in the log: the responder has no proof and says retry-later. */
static void test_unlogged_never_quarantines(void **state)
{
	recalled_unproven();
	for (unsigned i = 0; i < 100 && W.s.nsent < 60; i++) {
		int e = sim_last_proofreq(&W.s, &(struct rc_proofreq){0}) == RC_OK
			    ? sim_answer(&W.s, &W.a, RC_MSG_RETRY, 3600, NULL, 0)
			    : sim_answer(&W.s, &W.a, RC_MSG_RECALLED, 0, W.blob, W.blob_len);
		assert_int_equal(e, RC_OK);
		assert_false(W.s.q_on);
		if (status().c.giveups)
			break;
		sim_step(&W.s, &W.a);
	}
	struct rc_agent_status st = status();
	assert_int_equal(st.c.unlogged, W.cfg.retries ? st.c.unlogged : 0);
	assert_true(st.c.unlogged >= 1);
	assert_int_equal(st.c.giveups, 1);
	assert_false(st.has_notice);
	assert_false(st.proof_pending);
	assert_int_equal(st.state, RC_AGENT_IDLE);
	assert_int_equal(W.s.q_apply, 0);
	assert_int_equal(W.s.nev, 0);
	assert_int_equal(st.next_reason, RC_REASON_PERIODIC);
}

/* Each way a proof answer can be wrong leaves the device as it is. */
static void refused(const uint8_t *proof, size_t len, int want)
{
	setup(NULL);
	recalled_unproven();
	assert_int_equal(sim_answer(&W.s, &W.a, RC_MSG_PROOF, 0, proof, len), want);
	assert_false(W.s.q_on);
	assert_int_equal(W.s.nev, 0);
	struct rc_agent_status st = status();
	assert_int_equal(st.c.rx_proof_invalid, 1);
	assert_true(st.proof_pending);
	/* The request times out and the episode goes on: a check-in again. */
	sim_step(&W.s, &W.a);
	sim_step(&W.s, &W.a);
	struct rc_checkin c;
	assert_int_equal(sim_last_checkin(&W.s, &c), RC_OK);
	assert_int_equal(c.reason, RC_REASON_RETRY);
}

static void test_bad_proofs(void **state)
{
	setup(NULL);
	assert_int_equal(world_notice(&W, NULL, 2), RC_OK);
	/* A proof for another notice (the same notice, one signature fewer). */
	uint8_t other[RC_NOTICE_MAX + 64];
	size_t olen;
	assert_int_equal(world_notice(&W, NULL, 3), RC_OK);
	memcpy(other, W.blob, W.blob_len);
	olen = W.blob_len;
	make_proof(other, olen, fresh);
	refused(proofbuf, prooflen, RC_ERR_SIG);
	/* Cosigned by one witness only. */
	assert_int_equal(world_notice(&W, NULL, 2), RC_OK);
	make_proof(W.blob, W.blob_len, (const uint64_t[]){FX_NOW - 60, 0, 0});
	refused(proofbuf, prooflen, RC_ERR_THRESHOLD);
	/* Cosignatures older than max-age, and the device clock is trusted. */
	make_proof(W.blob, W.blob_len, (const uint64_t[]){FX_NOW - AGE - 5, FX_NOW - AGE - 5, 0});
	refused(proofbuf, prooflen, RC_ERR_EXPIRED);
	/* Garbage. */
	refused((const uint8_t *)"\xa0", 1, RC_ERR_MISSING);
}

/* Untrusted clock: the age cannot be judged, a stale proof is accepted. */
static void test_stale_untrusted_clock(void **state)
{
	setup(NULL);
	W.s.trusted = false;
	recalled_unproven();
	make_proof(W.blob, W.blob_len, (const uint64_t[]){FX_NOW - AGE - 5, FX_NOW - AGE - 5, 0});
	assert_int_equal(sim_answer(&W.s, &W.a, RC_MSG_PROOF, 0, proofbuf, prooflen), RC_OK);
	assert_true(W.s.q_on);
}

/* A proof request is never answered by clear, recalled or rotate; a check-in never by a proof. */
static void test_wrong_answer_types(void **state)
{
	setup(NULL);
	recalled_unproven();
	assert_int_equal(sim_answer(&W.s, &W.a, RC_MSG_CLEAR, 1, NULL, 0), RC_ERR_TYPE);
	assert_int_equal(sim_answer(&W.s, &W.a, RC_MSG_RECALLED, 0, W.blob, W.blob_len),
			 RC_ERR_TYPE);
	assert_true(status().proof_pending);
	assert_int_equal(status().c.clear, 0);
	setup(NULL);
	assert_int_equal(rc_agent_start(&W.a), RC_OK);
	assert_int_equal(world_notice(&W, NULL, 2), RC_OK);
	make_proof(W.blob, W.blob_len, fresh);
	assert_int_equal(sim_answer(&W.s, &W.a, RC_MSG_PROOF, 0, proofbuf, prooflen), RC_ERR_TYPE);
	assert_false(W.s.q_on);
}

/* Restart: the notice and its proof are restored and verified again. */
static void test_restart(void **state)
{
	setup(NULL);
	quarantined();
	uint8_t blob[RC_AGENT_STATE_MAX];
	size_t len = W.s.state_len;
	memcpy(blob, W.s.state, len);
	/* Same firmware, days later (the cosignatures are now stale: not judged again). */
	logged_world(SEED);
	W.s.wall = FX_NOW + 3 * AGE;
	assert_int_equal(rc_agent_restore(&W.a, blob, len), RC_OK);
	assert_int_equal(status().log_size, 13); /* what `recall-agent status` shows offline */
	assert_int_equal(rc_agent_start(&W.a), RC_OK);
	assert_true(W.s.q_on);
	struct rc_agent_status st = status();
	assert_int_equal(st.state, RC_AGENT_QUARANTINED);
	assert_true(st.logged);
	assert_int_equal(st.log_index, 5);
	assert_int_equal(st.log_size, 13);
	/* A firmware whose anchor set names another log: the proof fails, released-invalid. */
	logged_world(SEED + 0x10);
	assert_int_equal(rc_agent_restore(&W.a, blob, len), RC_OK);
	assert_int_equal(rc_agent_start(&W.a), RC_OK);
	assert_false(W.s.q_on);
	assert_int_equal(sim_last_event(&W.s), RC_AGENT_EV_RELEASED_INVALID);
	assert_int_equal(status().state, RC_AGENT_WAIT);
	/* A saved format-3 blob whose proof bytes were changed (and resealed) fails the same. */
	logged_world(SEED);
	uint8_t *pr = memmem(blob, len, proofbuf, prooflen);
	assert_non_null(pr);
	pr[prooflen - 1] ^= 1;  /* the last cosignature's signature */
	pr[prooflen - 70] ^= 1; /* the first one's */
	crypto_generichash(blob + len - 16, 16, blob, len - 16, NULL, 0);
	assert_int_equal(rc_agent_restore(&W.a, blob, len), RC_OK);
	assert_int_equal(rc_agent_start(&W.a), RC_OK);
	assert_false(W.s.q_on);
	assert_int_equal(sim_last_event(&W.s), RC_AGENT_EV_RELEASED_INVALID);
}

/* Without a log policy nothing changes: the recall is acted on at once, format 2 is written. */
static void test_no_policy(void **state)
{
	world_init(&W, 1);
	assert_int_equal(rc_agent_start(&W.a), RC_OK);
	assert_int_equal(world_notice(&W, NULL, 2), RC_OK);
	assert_int_equal(sim_answer(&W.s, &W.a, RC_MSG_RECALLED, 0, W.blob, W.blob_len), RC_OK);
	assert_true(W.s.q_on);
	struct rc_agent_status st = status();
	assert_false(st.has_log);
	assert_false(st.logged);
	assert_int_equal(st.c.proof_requests, 0);
	assert_int_equal(W.s.state[2], 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup(test_logged_quarantines, setup),
	    cmocka_unit_test_setup(test_unlogged_never_quarantines, setup),
	    cmocka_unit_test(test_bad_proofs),
	    cmocka_unit_test(test_stale_untrusted_clock),
	    cmocka_unit_test(test_wrong_answer_types),
	    cmocka_unit_test(test_restart),
	    cmocka_unit_test(test_no_policy),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
