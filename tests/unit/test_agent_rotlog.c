/* Rotations under a logged anchor set (docs/PROTOCOL.md 10.3, 12.7): while the device's set has
 * a log policy, a rotation statement signed by k keys is applied only after a proof that its
 * exact bytes are in that set's log. Otherwise k key holders could move the device to a set
 * without a log (or with their own) and then recall it with an unlogged notice: a secret recall
 * in two steps. The chain in the saved state keeps each such statement's proof (format 3, key
 * 12); a restart verifies it again, and the chain stops at a statement whose proof fails. With
 * RECALL_AGENT_CORPUS=dir set it adds a chain with proofs to fuzz_agent_state's seed corpus
 * (first byte 2: the fuzzer's logged world). */
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

#define SEED 0x70 /* the fixture log; fuzz_agent_state's logged world uses the same */
#define AGE  86400u

static struct world W;
static uint8_t proofbuf[RC_LOGPROOF_ENC_MAX];
static size_t prooflen;
static const uint64_t fresh[] = {FX_NOW - 600, FX_NOW - 300, 0};

/* Epoch 2 (keys K2) and epoch 3 (keys K3) and the statements that lead there. */
static struct rc_anchors A2, A3;
static struct fx_key K2[3], K3[3];
static uint8_t S1[2048], S2[2048];
static size_t S1len, S2len;

/* The world's agent with firmware anchors that name the fixture log (log_seed). */
static void logged_world(uint8_t log_seed)
{
	world_init(&W, 1);
	assert_int_equal(fx_log_policy(&W.cfg.anchors, 3, 2, AGE, log_seed), RC_OK);
	W.anc = W.cfg.anchors;
	assert_int_equal(rc_agent_init(&W.a, &W.cfg, &sim_ops, &W.s), RC_OK);
}

/* S1: epoch 1 -> 2, signed by k firmware keys; A2 logged or not. S2: epoch 2 -> 3, unlogged. */
static void statements(bool a2_logged)
{
	assert_int_equal(fx_anchors(&A2, K2, 3, 2, 2, 50), RC_OK);
	if (a2_logged)
		assert_int_equal(fx_log_policy(&A2, 3, 2, AGE, SEED), RC_OK);
	assert_int_equal(fx_rotation(S1, sizeof(S1), &S1len, &W.anc, &A2, W.keys, 2), 0);
	assert_int_equal(fx_anchors(&A3, K3, 3, 2, 3, 60), RC_OK);
	assert_int_equal(fx_rotation(S2, sizeof(S2), &S2len, &A2, &A3, K2, 2), 0);
}

static int setup(void **state)
{
	logged_world(SEED);
	statements(false);
	return 0;
}

static struct rc_agent_status status(void)
{
	struct rc_agent_status st;
	rc_agent_status(&W.a, &st);
	return st;
}

/* A proof of entry at index 5 of 13 in the fixture log, cosigned at times, into proofbuf. */
static void make_proof(const uint8_t *entry, size_t len, const uint64_t *times)
{
	struct rc_logproof p;
	assert_int_equal(fx_log_proof(&p, &W.anc, entry, len, 5, 13, times, SEED), RC_OK);
	assert_int_equal(rc_logproof_encode(&p, proofbuf, sizeof(proofbuf), &prooflen), RC_OK);
}

/* The responder offers statement s: the agent asks for its proof and applies nothing yet. */
static void offered(const uint8_t *s, size_t slen, uint64_t epoch)
{
	size_t sent = W.s.nsent;
	assert_int_equal(sim_answer(&W.s, &W.a, RC_MSG_ROTATE, 0, s, slen), RC_OK);
	assert_int_equal(W.s.nsent, sent + 1);
	struct rc_proofreq q;
	assert_int_equal(sim_last_proofreq(&W.s, &q), RC_OK);
	uint8_t leaf[32];
	rc_tlog_leaf_hash(leaf, s, slen);
	assert_memory_equal(q.leaf, leaf, 32);
	assert_int_equal(q.anchor_epoch, epoch);
	struct rc_agent_status st = status();
	assert_int_equal(st.anchor_epoch, epoch);
	assert_true(st.proof_pending);
	assert_true(st.rotation_pending);
	assert_int_equal(st.c.rotations, epoch - 1); /* from the firmware set, epoch 1 */
}

/* W.blob: fx_notice signed by two of keys (a recall under that set). */
static void notice_by(const struct fx_key *keys)
{
	assert_int_equal(world_notice(&W, NULL, 0), RC_OK);
	assert_int_equal(
	    fx_sign(W.blob, sizeof(W.blob), &W.blob_len, RC_CT_NOTICE, W.payload, W.plen, keys, 2),
	    0);
}

/* The two-step secret recall: k keys sign a rotation to a set without a log, the log does not
 * have it, so it is never applied, and the unlogged notice under that set is never acted on. */
static void test_unproven_rotation_not_applied(void **state)
{
	assert_int_equal(rc_agent_start(&W.a), RC_OK);
	offered(S1, S1len, 1);
	/* retry-later to the proof request: not logged. */
	assert_int_equal(sim_answer(&W.s, &W.a, RC_MSG_RETRY, 3600, NULL, 0), RC_OK);
	assert_int_equal(status().c.unlogged, 1);
	assert_int_equal(status().anchor_epoch, 1);
	assert_non_null(strstr(W.s.last_log, "rotation not applied: not logged"));
	/* The next attempt is a check-in at epoch 1; a notice signed by the new set's keys is
	 * refused (those keys are not trusted), and nothing was saved. */
	sim_step(&W.s, &W.a);
	struct rc_checkin c;
	assert_int_equal(sim_last_checkin(&W.s, &c), RC_OK);
	assert_int_equal(c.anchor_epoch, 1);
	notice_by(K2);
	assert_int_equal(sim_answer(&W.s, &W.a, RC_MSG_RECALLED, 0, W.blob, W.blob_len),
			 RC_ERR_THRESHOLD);
	assert_false(W.s.q_on);
	assert_int_equal(W.s.q_apply, 0);
	assert_int_equal(W.s.nev, 0);
	assert_int_equal(W.a.nchain, 0);
	struct rc_agent_status st = status();
	assert_int_equal(st.c.rotations, 0);
	assert_int_equal(st.state, RC_AGENT_WAIT);
	/* Offered again and again: never applied, the episode ends. */
	for (unsigned i = 0; i < 200 && !status().c.giveups; i++) {
		int e = sim_last_proofreq(&W.s, &(struct rc_proofreq){0}) == RC_OK
			    ? sim_answer(&W.s, &W.a, RC_MSG_RETRY, 3600, NULL, 0)
			    : sim_answer(&W.s, &W.a, RC_MSG_ROTATE, 0, S1, S1len);
		assert_int_equal(e, RC_OK);
		sim_step(&W.s, &W.a);
	}
	st = status();
	assert_int_equal(st.c.giveups, 1);
	assert_int_equal(st.anchor_epoch, 1);
	assert_int_equal(st.c.rotations, 0);
	assert_false(st.proof_pending);
	assert_int_equal(W.s.nev, 0);
}

/* A raw-blob seed for fuzz_agent_state: first byte 2 selects its logged world. */
static void corpus_seed(const char *name)
{
	const char *dir = getenv("RECALL_AGENT_CORPUS");
	if (!dir)
		return;
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	fputc(2, f);
	fwrite(W.s.state, 1, W.s.state_len, f);
	fclose(f);
}

/* Offer s with its proof (cosigned at times): applied; the chain grows by one if the statement
 * and its proof fit the budgets (RC_AGENT_CHAIN_BYTES, RC_AGENT_CHAIN_PROOF_BYTES: always with
 * the defaults, never with a port's lowered proof budget), which it returns. */
static bool proven(const uint8_t *s, size_t slen, uint64_t epoch)
{
	offered(s, slen, epoch);
	make_proof(s, slen, fresh);
	size_t n = W.a.nchain;
	bool fits = slen <= (size_t)RC_AGENT_CHAIN_BYTES - W.a.chain_used &&
		    prooflen <= (size_t)RC_AGENT_CHAIN_PROOF_BYTES - W.a.chain_proof_used;
	assert_int_equal(sim_answer(&W.s, &W.a, RC_MSG_PROOF, 0, proofbuf, prooflen), RC_OK);
	struct rc_agent_status st = status();
	assert_int_equal(st.anchor_epoch, epoch + 1);
	assert_false(st.proof_pending);
	assert_int_equal(sim_last_event(&W.s), RC_AGENT_EV_ROTATED);
	assert_int_equal(W.a.nchain, n + fits);
	if (fits)
		assert_int_equal(W.a.chain_proof_len[n], prooflen);
	/* A new check-in at once, with the new epoch. */
	struct rc_checkin c;
	assert_int_equal(sim_last_checkin(&W.s, &c), RC_OK);
	assert_int_equal(c.anchor_epoch, epoch + 1);
	return fits;
}

static void test_proven_rotation_applied(void **state)
{
	assert_int_equal(rc_agent_start(&W.a), RC_OK);
	bool kept = proven(S1, S1len, 1);
	assert_int_equal(status().c.proofs, 1);
	assert_int_equal(memmem(W.s.state, W.s.state_len, proofbuf, prooflen) != NULL, kept);
	/* format 3: the chain carries a proof; format 2 when it did not fit */
	assert_int_equal(W.s.state[2], kept ? 3 : 2);
	corpus_seed("rotlog-chain-proof");
	/* Epoch 2 has no log: its keys' recall is acted on at once. */
	notice_by(K2);
	assert_int_equal(sim_answer(&W.s, &W.a, RC_MSG_RECALLED, 0, W.blob, W.blob_len), RC_OK);
	assert_true(W.s.q_on);
	corpus_seed("rotlog-chain-proof-quarantined");
}

/* Each wrong proof leaves the device on its set. */
static void refused(const uint8_t *proof, size_t len, int want)
{
	setup(NULL);
	assert_int_equal(rc_agent_start(&W.a), RC_OK);
	offered(S1, S1len, 1);
	assert_int_equal(sim_answer(&W.s, &W.a, RC_MSG_PROOF, 0, proof, len), want);
	struct rc_agent_status st = status();
	assert_int_equal(st.anchor_epoch, 1);
	assert_int_equal(st.c.rx_proof_invalid, 1);
	assert_int_equal(st.c.rotations, 0);
	assert_int_equal(W.a.nchain, 0);
	assert_int_equal(W.s.nev, 0);
	assert_non_null(strstr(W.s.last_log, "rotation not applied: proof invalid"));
}

static void test_wrong_proofs(void **state)
{
	/* The proof of another entry: the statement with its last byte changed. */
	uint8_t other[2048];
	memcpy(other, S1, S1len);
	other[S1len - 1] ^= 1;
	make_proof(other, S1len, fresh);
	refused(proofbuf, prooflen, RC_ERR_SIG);
	/* The proof of a notice, not of the statement. */
	notice_by(W.keys);
	make_proof(W.blob, W.blob_len, fresh);
	refused(proofbuf, prooflen, RC_ERR_SIG);
	/* Stale cosignatures, trusted clock. */
	make_proof(S1, S1len, (const uint64_t[]){FX_NOW - AGE - 5, FX_NOW - AGE - 5, 0});
	refused(proofbuf, prooflen, RC_ERR_EXPIRED);
	/* One witness of the quorum of two. */
	make_proof(S1, S1len, (const uint64_t[]){FX_NOW - 60, 0, 0});
	refused(proofbuf, prooflen, RC_ERR_THRESHOLD);
}

static struct world W2;

static int restore2(const uint8_t *blob, size_t len, uint8_t log_seed)
{
	world_init(&W2, 1);
	assert_int_equal(fx_log_policy(&W2.cfg.anchors, 3, 2, AGE, log_seed), RC_OK);
	assert_int_equal(rc_agent_init(&W2.a, &W2.cfg, &sim_ops, &W2.s), RC_OK);
	W2.s.wall = FX_NOW + 3 * AGE; /* the cosignatures are stale now: not judged again */
	return rc_agent_restore(&W2.a, blob, len);
}

/* Two logged rotations: epoch 1 (logged) -> 2 (logged) -> 3 (no log); saved state in blob. */
static size_t two_logged(uint8_t *blob, uint8_t *p2, size_t *p2len)
{
	logged_world(SEED);
	statements(true);
	assert_int_equal(rc_agent_start(&W.a), RC_OK);
	bool kept = proven(S1, S1len, 1);
	kept = proven(S2, S2len, 2) && kept;
	/* What the callers check, a saved chain with its proofs, is not in a build whose proof
	 * budget holds no proof (test_proof_budget_full covers that). */
	if (!kept)
		skip();
	memcpy(p2, proofbuf, prooflen);
	*p2len = prooflen;
	memcpy(blob, W.s.state, W.s.state_len);
	corpus_seed("rotlog-chain-two-proofs");
	return W.s.state_len;
}

static void test_restart_reverifies(void **state)
{
	uint8_t blob[RC_AGENT_STATE_MAX], p2[RC_LOGPROOF_ENC_MAX];
	size_t p2len, len = two_logged(blob, p2, &p2len);
	assert_int_equal(restore2(blob, len, SEED), RC_OK);
	struct rc_agent_status st;
	rc_agent_status(&W2.a, &st);
	assert_int_equal(st.anchor_epoch, 3);
	assert_int_equal(st.c.state_corrupt, 0);
	assert_memory_equal(&W2.a.anchors, &A3, sizeof(A3));
	assert_int_equal(W2.a.nchain, 2);
	/* Restored, it encodes the same bytes. */
	uint8_t again[RC_AGENT_STATE_MAX];
	size_t alen;
	assert_int_equal(rc_agent_state_encode(&W2.a, again, sizeof(again), &alen), RC_OK);
	assert_int_equal(alen, len);
	assert_memory_equal(again, blob, len);
	/* A firmware whose set names another log (same keys, same epoch): statement 1's proof
	 * fails there, the chain stops before it. */
	assert_int_equal(restore2(blob, len, SEED + 0x10), RC_OK);
	rc_agent_status(&W2.a, &st);
	assert_int_equal(st.anchor_epoch, 1);
	assert_int_equal(st.c.state_corrupt, 1);
	assert_int_equal(W2.a.nchain, 0);
	assert_non_null(strstr(W2.s.last_log, "rotation chain stops at statement 1 of 2"));
}

/* Statement 2's stored proof damaged (and the blob resealed): the chain stops there, at epoch 2
 * (statement 1 and its proof still verify); the rewritten state keeps only statement 1. */
static void test_damaged_proof_stops_chain(void **state)
{
	uint8_t blob[RC_AGENT_STATE_MAX], p2[RC_LOGPROOF_ENC_MAX];
	size_t p2len, len = two_logged(blob, p2, &p2len);
	uint8_t *pr = memmem(blob, len, p2, p2len);
	assert_non_null(pr);
	pr[p2len - 1] ^= 1; /* the last cosignature: one witness short of the quorum */
	crypto_generichash(blob + len - 16, 16, blob, len - 16, NULL, 0);
	assert_int_equal(restore2(blob, len, SEED), RC_OK);
	struct rc_agent_status st;
	rc_agent_status(&W2.a, &st);
	assert_int_equal(st.anchor_epoch, 2);
	assert_int_equal(st.c.state_corrupt, 1);
	assert_memory_equal(&W2.a.anchors, &A2, sizeof(A2));
	assert_int_equal(W2.a.nchain, 1);
	assert_int_equal(W2.a.chain_used, S1len);
	assert_non_null(strstr(W2.s.last_log, "rotation chain stops at statement 2 of 2"));
	assert_int_equal(rc_agent_start(&W2.a), RC_OK);
	assert_null(memmem(W2.s.state, W2.s.state_len, S2, S2len));
	assert_non_null(memmem(W2.s.state, W2.s.state_len, S1, S1len));
	struct rc_checkin c;
	assert_int_equal(sim_last_checkin(&W2.s, &c), RC_OK);
	assert_int_equal(c.anchor_epoch, 2); /* the responders offer statement 2 again */
}

/* A chain saved without its proof (e.g. by an agent that applied an unproven statement from a
 * logged set): the chain stops at once, the firmware's logged set is kept. */
static void test_missing_proof_stops_chain(void **state)
{
	assert_int_equal(rc_agent_start(&W.a), RC_OK);
	if (!proven(S1, S1len, 1))
		skip(); /* no chain saved: nothing to take the proof from (lowered proof budget) */
	W.a.chain_proof_len[0] = 0;
	W.a.chain_proof_used = 0;
	uint8_t blob[RC_AGENT_STATE_MAX];
	size_t len;
	assert_int_equal(rc_agent_state_encode(&W.a, blob, sizeof(blob), &len), RC_OK);
	assert_int_equal(blob[2], 2); /* format 2: no proof anywhere */
	assert_int_equal(restore2(blob, len, SEED), RC_OK);
	struct rc_agent_status st;
	rc_agent_status(&W2.a, &st);
	assert_int_equal(st.anchor_epoch, 1);
	assert_true(st.has_log);
	assert_int_equal(W2.a.nchain, 0);
	assert_non_null(strstr(W2.s.last_log, "log proof missing"));
}

/* No room left for the proof in the chain's budget: the rotation is followed in memory only
 * (after a restart the device is back on its logged set and is offered it again). */
static void test_proof_budget_full(void **state)
{
	assert_int_equal(rc_agent_start(&W.a), RC_OK);
	W.a.chain_proof_used = RC_AGENT_CHAIN_PROOF_BYTES - 8; /* as if full (nothing is saved) */
	offered(S1, S1len, 1);
	make_proof(S1, S1len, fresh);
	assert_int_equal(sim_answer(&W.s, &W.a, RC_MSG_PROOF, 0, proofbuf, prooflen), RC_OK);
	assert_int_equal(status().anchor_epoch, 2);
	assert_int_equal(W.a.nchain, 0);
	assert_null(memmem(W.s.state, W.s.state_len, S1, S1len));
	assert_int_equal(restore2(W.s.state, W.s.state_len, SEED), RC_OK);
	assert_int_equal(W2.a.anchors.epoch, 1);
}

/* Without a log policy a rotation is applied at once, as before: no proof request, format 2. */
static void test_unlogged_set_unchanged(void **state)
{
	world_init(&W, 1);
	statements(true);
	assert_int_equal(rc_agent_start(&W.a), RC_OK);
	size_t sent = W.s.nsent;
	assert_int_equal(sim_answer(&W.s, &W.a, RC_MSG_ROTATE, 0, S1, S1len), RC_OK);
	assert_int_equal(W.s.nsent, sent + 1);
	struct rc_checkin c;
	assert_int_equal(sim_last_checkin(&W.s, &c), RC_OK);
	assert_int_equal(c.anchor_epoch, 2);
	struct rc_agent_status st = status();
	assert_int_equal(st.c.proof_requests, 0);
	assert_true(st.has_log); /* it moved to a logged set: the next rotation needs a proof */
	assert_int_equal(W.a.chain_proof_len[0], 0);
	assert_int_equal(W.s.state[2], 2);
	offered(S2, S2len, 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup(test_unproven_rotation_not_applied, setup),
	    cmocka_unit_test_setup(test_proven_rotation_applied, setup),
	    cmocka_unit_test(test_wrong_proofs),
	    cmocka_unit_test(test_restart_reverifies),
	    cmocka_unit_test(test_damaged_proof_stops_chain),
	    cmocka_unit_test_setup(test_missing_proof_stops_chain, setup),
	    cmocka_unit_test_setup(test_proof_budget_full, setup),
	    cmocka_unit_test(test_unlogged_set_unchanged),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
