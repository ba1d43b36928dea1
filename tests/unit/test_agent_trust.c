/* Trust anchors across restarts: the state saves the chain of rotation statements, never a set,
 * and rc_agent_restore re-derives the set from the firmware's by verifying the chain. A planted
 * state (an attacker's set, a forged, tampered, truncated or reordered chain) never makes the
 * agent trust another key; a genuine chain restores; a chain over its bound is re-learnt.
 * With RECALL_AGENT_CORPUS=dir set it adds these blobs to fuzz_agent_state's seed corpus. */
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
#include "sim.h"

static struct world W, W2;

/* A raw-blob seed (first byte 0) for fuzz_agent_state. */
static void seed(const char *name, const uint8_t *p, size_t n)
{
	const char *dir = getenv("RECALL_AGENT_CORPUS");
	if (!dir)
		return;
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	fputc(0, f);
	fwrite(p, 1, n, f);
	fclose(f);
}

static int setup(void **state)
{
	world_init(&W, 1);
	return 0;
}

/* Seal a CBOR body with the state check (BLAKE2b-128 appended). */
static size_t seal(uint8_t *buf, size_t body)
{
	crypto_generichash(buf + body, 16, buf, body, NULL, 0);
	return body + 16;
}

/* Sign W.payload (fx_notice) with keys; a forgery if they are not the agent's anchors. */
static void notice_by(const struct fx_key *keys, size_t n)
{
	assert_int_equal(world_notice(&W, NULL, 0), RC_OK);
	assert_int_equal(
	    fx_sign(W.blob, sizeof(W.blob), &W.blob_len, RC_CT_NOTICE, W.payload, W.plen, keys, n),
	    0);
}

/* The state a format-1 agent (today's main) wrote after a rotation: key 4 holds the set. Here
 * the set is the attacker's (the rogue keys, epoch 2). */
static size_t planted_v1(uint8_t *buf, size_t cap)
{
	struct rc_anchors evil;
	struct fx_key ek[3];
	uint8_t enc[1024];
	size_t elen;
	assert_int_equal(fx_anchors(&evil, ek, 3, 2, 2, 100), RC_OK); /* = W.rogue */
	assert_int_equal(rc_anchors_encode(&evil, enc, sizeof(enc), &elen), RC_OK);
	struct rc_wr w;
	rc_wr_init(&w, buf, cap - 16);
	rc_wr_map(&w, 7);
	rc_wr_uint(&w, 0);
	rc_wr_uint(&w, 1); /* format 1 */
	rc_wr_uint(&w, 1);
	rc_wr_uint(&w, 0); /* idle */
	rc_wr_uint(&w, 2);
	rc_wr_bstr(&w, W.a.fingerprint, 32);
	rc_wr_uint(&w, 4);
	rc_wr_bstr(&w, enc, elen);
	for (unsigned k = 7; k <= 9; k++) {
		rc_wr_uint(&w, k);
		rc_wr_uint(&w, 0);
	}
	assert_int_equal(w.err, 0);
	return seal(buf, w.len);
}

/* Finding 2b: a planted state holding an attacker's set at a higher epoch must not replace the
 * firmware's set; the attacker's notice must not quarantine. */
static void test_planted_anchor_set(void **state)
{
	uint8_t blob[RC_AGENT_STATE_MAX];
	size_t len = planted_v1(blob, sizeof(blob));
	seed("trust-planted-v1", blob, len);
	assert_int_equal(rc_agent_restore(&W.a, blob, len), RC_OK);
	assert_int_equal(rc_agent_start(&W.a), RC_OK);
	struct rc_checkin c;
	assert_int_equal(sim_last_checkin(&W.s, &c), RC_OK);
	notice_by(W.rogue, 2);
	int err = sim_answer(&W.s, &W.a, RC_MSG_RECALLED, 0, W.blob, W.blob_len);
	assert_false(W.s.q_on); /* the attacker's notice did not quarantine */
	assert_int_equal(W.s.q_apply, 0);
	assert_int_equal(err, RC_ERR_THRESHOLD);
	assert_int_equal(c.anchor_epoch, 1); /* the firmware's set */
	/* The genuine keys still work. */
	notice_by(W.keys, 2);
	assert_int_equal(sim_answer(&W.s, &W.a, RC_MSG_RECALLED, 0, W.blob, W.blob_len), RC_OK);
	assert_true(W.s.q_on);
}

/* Rotate W's agent once: W.anc (epoch e) -> next (epoch e + 1, keys from seed). */
static void rotate(struct rc_anchors *from, const struct fx_key *from_keys, struct rc_anchors *next,
		   struct fx_key *next_keys, uint8_t seed, uint8_t *stmt, size_t *slen)
{
	assert_int_equal(fx_anchors(next, next_keys, 3, 2, from->epoch + 1, seed), RC_OK);
	assert_int_equal(fx_rotation(stmt, 2048, slen, from, next, from_keys, 2), 0);
	assert_int_equal(sim_answer(&W.s, &W.a, RC_MSG_ROTATE, 0, stmt, *slen), RC_OK);
	assert_int_equal(W.a.anchors.epoch, next->epoch);
}

static struct rc_anchors A2, A3;
static struct fx_key K2[3], K3[3];
static uint8_t S1[2048], S2[2048];
static size_t S1len, S2len;

/* Start W, rotate 1 -> 2 -> 3 and take a recall signed by epoch-3 keys. */
static void two_rotations(void)
{
	rc_agent_start(&W.a);
	rotate(&W.anc, W.keys, &A2, K2, 50, S1, &S1len);
	rotate(&A2, K2, &A3, K3, 60, S2, &S2len);
	assert_int_equal(W.a.nchain, 2);
	assert_int_equal(rc_agent_override(&W.a, "RC-OTHER"), RC_OK);
	notice_by(K3, 2);
	assert_int_equal(sim_answer(&W.s, &W.a, RC_MSG_RECALLED, 0, W.blob, W.blob_len), RC_OK);
	assert_true(W.s.q_on);
}

static int restore2(const uint8_t *blob, size_t len)
{
	world_init(&W2, 1);
	return rc_agent_restore(&W2.a, blob, len);
}

static void test_genuine_chain_restores(void **state)
{
	two_rotations();
	uint8_t blob[RC_AGENT_STATE_MAX];
	size_t len = W.s.state_len;
	memcpy(blob, W.s.state, len);
	seed("trust-chain-genuine", blob, len);
	assert_int_equal(restore2(blob, len), RC_OK);
	assert_int_equal(W2.a.anchors.epoch, 3);
	assert_memory_equal(&W2.a.anchors, &A3, sizeof(A3));
	assert_int_equal(W2.a.nchain, 2);
	struct rc_agent_status st;
	rc_agent_status(&W2.a, &st);
	assert_int_equal(st.c.state_corrupt, 0);
	/* The quarantine under the epoch-3 keys is re-applied. */
	assert_int_equal(rc_agent_start(&W2.a), RC_OK);
	assert_true(W2.s.q_on);
	assert_int_equal(W2.s.nev, 0);
	/* It re-encodes to the same bytes. */
	uint8_t again[RC_AGENT_STATE_MAX];
	size_t alen;
	world_init(&W2, 1);
	assert_int_equal(rc_agent_restore(&W2.a, blob, len), RC_OK);
	assert_int_equal(rc_agent_state_encode(&W2.a, again, sizeof(again), &alen), RC_OK);
	assert_int_equal(alen, len);
	assert_memory_equal(again, blob, len);
}

/* Encode W2 (freshly initialised) with the given chain statements as the saved state. */
static size_t with_chain(uint8_t *out, size_t cap, const uint8_t *const *stmts, const size_t *lens,
			 size_t n)
{
	world_init(&W2, 1);
	assert_int_equal(rc_agent_override(&W2.a, "KEEP-ME"), RC_OK);
	for (size_t i = 0; i < n; i++) {
		memcpy(W2.a.chain + W2.a.chain_used, stmts[i], lens[i]);
		W2.a.chain_len[i] = (uint16_t)lens[i];
		W2.a.chain_used = (uint16_t)(W2.a.chain_used + lens[i]);
	}
	W2.a.nchain = (uint8_t)n;
	size_t len;
	assert_int_equal(rc_agent_state_encode(&W2.a, out, cap, &len), RC_OK);
	return len;
}

/* A refused chain: the firmware's set, the rest of the state kept, counted and logged; the
 * chain's last set does not verify notices. */
static void assert_refused(const uint8_t *blob, size_t len)
{
	assert_int_equal(restore2(blob, len), RC_OK);
	assert_int_equal(W2.a.anchors.epoch, 1);
	assert_memory_equal(&W2.a.anchors, &W.anc, sizeof(W.anc));
	assert_int_equal(W2.a.nchain, 0);
	assert_int_equal(W2.a.noverrides, 1);
	assert_string_equal(W2.a.overrides[0], "KEEP-ME");
	assert_int_equal(W2.a.c.state_corrupt, 1);
	assert_non_null(strstr(W2.s.last_log, "rotation chain refused"));
	assert_int_equal(rc_agent_start(&W2.a), RC_OK);
	assert_int_equal(W2.s.q_apply, 0);
	/* Rewritten at start without the chain. */
	world_init(&W, 1);
	assert_int_equal(rc_agent_restore(&W.a, W2.s.state, W2.s.state_len), RC_OK);
	assert_int_equal(W.a.nchain, 0);
	assert_int_equal(W.a.c.state_corrupt, 0);
}

static void test_bad_chains_refused(void **state)
{
	two_rotations();
	uint8_t blob[RC_AGENT_STATE_MAX], t1[2048];
	size_t len;
	/* Forged: a statement to the attacker's set signed by the attacker. */
	struct rc_anchors evil;
	struct fx_key ek[3];
	size_t elen;
	uint8_t est[2048];
	assert_int_equal(fx_anchors(&evil, ek, 3, 2, 2, 100), RC_OK);
	assert_int_equal(fx_rotation(est, sizeof(est), &elen, &W.anc, &evil, W.rogue, 2), 0);
	len = with_chain(blob, sizeof(blob), (const uint8_t *const[]){est}, (size_t[]){elen}, 1);
	assert_refused(blob, len);
	/* Genuine first step, forged second. */
	struct rc_anchors evil3;
	assert_int_equal(fx_anchors(&evil3, ek, 3, 2, 3, 100), RC_OK);
	assert_int_equal(fx_rotation(est, sizeof(est), &elen, &A2, &evil3, W.rogue, 2), 0);
	len = with_chain(blob, sizeof(blob), (const uint8_t *const[]){S1, est},
			 (size_t[]){S1len, elen}, 2);
	assert_refused(blob, len);
	/* Tampered: one bit of each byte of S1 in turn would be slow; flip signature, payload
	 * and header bytes. */
	size_t spots[] = {3, S1len / 2, S1len - 1};
	for (size_t i = 0; i < 3; i++) {
		memcpy(t1, S1, S1len);
		t1[spots[i]] ^= 0x01;
		len = with_chain(blob, sizeof(blob), (const uint8_t *const[]){t1, S2},
				 (size_t[]){S1len, S2len}, 2);
		assert_refused(blob, len);
	}
	/* Truncated statement. */
	len = with_chain(blob, sizeof(blob), (const uint8_t *const[]){S1, S2},
			 (size_t[]){S1len, S2len - 1}, 2);
	assert_refused(blob, len);
	/* Truncated chain: its first statement missing. */
	len = with_chain(blob, sizeof(blob), (const uint8_t *const[]){S2}, (size_t[]){S2len}, 1);
	assert_refused(blob, len);
	/* Reordered, and a statement repeated. */
	len = with_chain(blob, sizeof(blob), (const uint8_t *const[]){S2, S1},
			 (size_t[]){S2len, S1len}, 2);
	seed("trust-chain-reordered", blob, len);
	assert_refused(blob, len);
	len = with_chain(blob, sizeof(blob), (const uint8_t *const[]){S1, S2, S1},
			 (size_t[]){S1len, S2len, S1len}, 3);
	assert_refused(blob, len);
	/* A notice where a statement belongs. */
	notice_by(W.keys, 2);
	len = with_chain(blob, sizeof(blob), (const uint8_t *const[]){W.blob},
			 (size_t[]){W.blob_len}, 1);
	assert_refused(blob, len);
	/* The genuine chain cut after its first statement is a shorter genuine chain: epoch 2
	 * (the responders offer the second again). */
	len = with_chain(blob, sizeof(blob), (const uint8_t *const[]){S1}, (size_t[]){S1len}, 1);
	assert_int_equal(restore2(blob, len), RC_OK);
	assert_int_equal(W2.a.anchors.epoch, 2);
	assert_int_equal(W2.a.c.state_corrupt, 0);
}

/* A firmware update that ships a newer set: statements older than it are dropped from the
 * chain; the rest must continue from it. */
static void test_firmware_newer_set(void **state)
{
	two_rotations();
	uint8_t blob[RC_AGENT_STATE_MAX];
	size_t len = W.s.state_len;
	memcpy(blob, W.s.state, len);
	/* Firmware ships epoch 2 (= A2): S1 dropped, S2 applies. */
	world_init(&W2, 1);
	W2.cfg.anchors = A2;
	assert_int_equal(rc_agent_init(&W2.a, &W2.cfg, &sim_ops, &W2.s), RC_OK);
	assert_int_equal(rc_agent_restore(&W2.a, blob, len), RC_OK);
	assert_int_equal(W2.a.anchors.epoch, 3);
	assert_int_equal(W2.a.nchain, 1);
	assert_int_equal(W2.a.chain_len[0], S2len);
	rc_agent_start(&W2.a);
	assert_true(W2.s.q_on);
	/* Firmware ships epoch 3 (= A3): both dropped. */
	world_init(&W2, 1);
	W2.cfg.anchors = A3;
	rc_agent_init(&W2.a, &W2.cfg, &sim_ops, &W2.s);
	assert_int_equal(rc_agent_restore(&W2.a, blob, len), RC_OK);
	assert_int_equal(W2.a.anchors.epoch, 3);
	assert_int_equal(W2.a.nchain, 0);
	assert_int_equal(W2.a.c.state_corrupt, 0);
	/* Firmware ships epoch 2 with other keys: S2 does not verify: refused, firmware set. */
	struct fx_key ok[3];
	world_init(&W2, 1);
	assert_int_equal(fx_anchors(&W2.cfg.anchors, ok, 3, 2, 2, 80), RC_OK);
	rc_agent_init(&W2.a, &W2.cfg, &sim_ops, &W2.s);
	assert_int_equal(rc_agent_restore(&W2.a, blob, len), RC_OK);
	assert_int_equal(W2.a.anchors.epoch, 2);
	assert_int_equal(W2.a.c.state_corrupt, 1);
	rc_agent_start(&W2.a);
	assert_false(W2.s.q_on);
	assert_int_equal(W2.s.ev[0], RC_AGENT_EV_RELEASED_INVALID);
}

/* More rotations than the chain holds: followed in memory, the first ones saved (as many as
 * RC_AGENT_CHAIN_MAX and RC_AGENT_CHAIN_BYTES allow: 8 by default, fewer with a port's lowered
 * budget); after a restart the agent is at that epoch and the responders walk it on. */
static void test_chain_full(void **state)
{
	static struct rc_anchors sets[RC_AGENT_CHAIN_MAX + 3];
	static struct fx_key keys[RC_AGENT_CHAIN_MAX + 3][3];
	uint8_t stmt[RC_AGENT_CHAIN_MAX + 3][2048];
	size_t slen[RC_AGENT_CHAIN_MAX + 3];
	rc_agent_start(&W.a);
	sets[0] = W.anc;
	memcpy(keys[0], W.keys, sizeof(W.keys));
	size_t n = RC_AGENT_CHAIN_MAX + 2;
	for (size_t i = 1; i <= n; i++)
		rotate(&sets[i - 1], keys[i - 1], &sets[i], keys[i], (uint8_t)(20 + 3 * i), stmt[i],
		       &slen[i]);
	size_t saved = 0, used = 0;
	while (saved < RC_AGENT_CHAIN_MAX && used + slen[saved + 1] <= RC_AGENT_CHAIN_BYTES)
		used += slen[++saved];
	assert_true(saved >= 1);
	assert_int_equal(W.a.anchors.epoch, 1 + n);
	assert_int_equal(W.a.nchain, saved);
	assert_int_equal(W.s.npersist >= n, 1);
	uint8_t blob[RC_AGENT_STATE_MAX];
	size_t len = W.s.state_len;
	memcpy(blob, W.s.state, len);
	assert_int_equal(restore2(blob, len), RC_OK);
	assert_int_equal(W2.a.anchors.epoch, 1 + saved);
	rc_agent_start(&W2.a);
	struct rc_checkin c;
	assert_int_equal(sim_last_checkin(&W2.s, &c), RC_OK);
	assert_int_equal(c.anchor_epoch, 1 + saved);
	/* The responder offers the next statement: followed (in memory again). */
	assert_int_equal(
	    sim_answer(&W2.s, &W2.a, RC_MSG_ROTATE, 0, stmt[saved + 1], slen[saved + 1]), RC_OK);
	assert_int_equal(W2.a.anchors.epoch, 2 + saved);
	assert_int_equal(W2.a.nchain, saved);
}

/* A format-1 state of a device that really rotated: its set is ignored (it cannot be
 * re-derived), the held notice no longer verifies and is released, the responder re-offers the
 * rotation; the rest (overrides) survives and the state is rewritten as format 2. */
static void test_old_format(void **state)
{
	struct rc_anchors a2;
	struct fx_key k2[3];
	uint8_t enc[1024], stmt[2048], buf[RC_AGENT_STATE_MAX];
	size_t elen, slen;
	assert_int_equal(fx_anchors(&a2, k2, 3, 2, 2, 50), RC_OK);
	assert_int_equal(rc_anchors_encode(&a2, enc, sizeof(enc), &elen), RC_OK);
	notice_by(k2, 2);
	struct rc_wr w;
	rc_wr_init(&w, buf, sizeof(buf) - 16);
	rc_wr_map(&w, 9);
	rc_wr_uint(&w, 0);
	rc_wr_uint(&w, 1);
	rc_wr_uint(&w, 1);
	rc_wr_uint(&w, RC_AGENT_QUARANTINED);
	rc_wr_uint(&w, 2);
	rc_wr_bstr(&w, W.a.fingerprint, 32);
	rc_wr_uint(&w, 3);
	rc_wr_bstr(&w, W.blob, W.blob_len);
	rc_wr_uint(&w, 4);
	rc_wr_bstr(&w, enc, elen);
	rc_wr_uint(&w, 5);
	rc_wr_array(&w, 1);
	rc_wr_tstr(&w, "RC-OTHER", 8);
	for (unsigned k = 7; k <= 9; k++) {
		rc_wr_uint(&w, k);
		rc_wr_uint(&w, 5);
	}
	assert_int_equal(w.err, 0);
	size_t len = seal(buf, w.len);
	assert_int_equal(rc_agent_restore(&W.a, buf, len), RC_OK);
	assert_int_equal(W.a.anchors.epoch, 1);
	assert_non_null(strstr(W.s.last_log, "format 1"));
	rc_agent_start(&W.a);
	assert_false(W.s.q_on);
	assert_int_equal(W.s.ev[0], RC_AGENT_EV_RELEASED_INVALID);
	assert_int_equal(W.a.noverrides, 1);
	assert_true(W.s.npersist >= 1);
	assert_int_equal(W.s.state[1], 0x00); /* key 0 ... */
	assert_int_equal(W.s.state[2], 0x02); /* ... format 2 */
	assert_int_equal(fx_rotation(stmt, sizeof(stmt), &slen, &W.anc, &a2, W.keys, 2), 0);
	assert_int_equal(sim_answer(&W.s, &W.a, RC_MSG_ROTATE, 0, stmt, slen), RC_OK);
	assert_int_equal(W.a.anchors.epoch, 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup(test_planted_anchor_set, setup),
	    cmocka_unit_test_setup(test_genuine_chain_restores, setup),
	    cmocka_unit_test_setup(test_bad_chains_refused, setup),
	    cmocka_unit_test_setup(test_firmware_newer_set, setup),
	    cmocka_unit_test_setup(test_chain_full, setup),
	    cmocka_unit_test_setup(test_old_format, setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
