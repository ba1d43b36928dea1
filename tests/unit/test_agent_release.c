/* Every release path of the agent core (clear, expiry, firmware change, override, opt-out),
 * the owner's controls, restart with a saved quarantine, and trust anchor rotation. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "fixtures.h"
#include "sim.h"

static struct world W;

static int setup(void **state)
{
	world_init(&W, 1);
	return 0;
}

static enum rc_agent_state state_of(void)
{
	struct rc_agent_status st;
	rc_agent_status(&W.a, &st);
	return st.state;
}

/* Start and take a valid quarantine recall. */
static void quarantined(void)
{
	assert_int_equal(W.init_err, RC_OK);
	assert_int_equal(rc_agent_start(&W.a), RC_OK);
	assert_int_equal(world_notice(&W, NULL, 2), RC_OK);
	assert_int_equal(sim_answer(&W.s, &W.a, RC_MSG_RECALLED, 0, W.blob, W.blob_len), RC_OK);
	assert_true(W.s.q_on);
	assert_int_equal(state_of(), RC_AGENT_QUARANTINED);
}

static uint8_t last_state_field(void)
{
	struct rc_checkin c;
	assert_int_equal(sim_last_checkin(&W.s, &c), RC_OK);
	return c.state;
}

static void test_release_clear(void **state)
{
	quarantined();
	sim_advance(&W.s, &W.a, rc_agent_timeout_ms(&W.a)); /* hourly recheck */
	assert_int_equal(W.s.nsent, 2);
	assert_int_equal(sim_answer(&W.s, &W.a, RC_MSG_CLEAR, 2, NULL, 0), RC_OK);
	assert_false(W.s.q_on);
	assert_int_equal(sim_last_event(&W.s), RC_AGENT_EV_RELEASED_CLEAR);
	assert_string_equal(W.s.ev_id[W.s.nev - 1], "RC-TEST-1");
	assert_int_equal(state_of(), RC_AGENT_IDLE);
	struct rc_agent_status st;
	rc_agent_status(&W.a, &st);
	assert_false(st.has_notice);
	assert_int_equal(st.next_reason, RC_REASON_PERIODIC);
	/* The persisted state says so too: a restart does not quarantine. */
	uint8_t blob[RC_AGENT_STATE_MAX];
	size_t len = W.s.state_len;
	memcpy(blob, W.s.state, len);
	world_init(&W, 1);
	assert_int_equal(rc_agent_restore(&W.a, blob, len), RC_OK);
	rc_agent_start(&W.a);
	assert_int_equal(W.s.q_apply, 0);
	assert_int_equal(W.s.q_lift, 1); /* "make sure it is off" */
	assert_int_equal(state_of(), RC_AGENT_WAIT);
}

static void test_release_expiry(void **state)
{
	quarantined();
	/* 30 days later the notice expires; the agent releases without any check-in answer. */
	sim_advance(&W.s, &W.a, 31ull * 86400000u);
	assert_false(W.s.q_on);
	int found = 0;
	for (size_t i = 0; i < W.s.nev; i++)
		found += W.s.ev[i] == RC_AGENT_EV_RELEASED_EXPIRED;
	assert_int_equal(found, 1);
	assert_true(state_of() == RC_AGENT_IDLE || state_of() == RC_AGENT_WAIT);
}

static void test_release_firmware_and_restart(void **state)
{
	quarantined();
	uint8_t blob[RC_AGENT_STATE_MAX];
	size_t len = W.s.state_len;
	memcpy(blob, W.s.state, len);

	/* Same firmware, agent restarted: quarantine re-applied BEFORE the first check-in. */
	world_init(&W, 1);
	assert_int_equal(rc_agent_restore(&W.a, blob, len), RC_OK);
	assert_int_equal(rc_agent_start(&W.a), RC_OK);
	assert_int_equal(W.s.trace[0], 'Q');
	assert_non_null(strchr(W.s.trace, 'S'));
	assert_true(strchr(W.s.trace, 'Q') < strchr(W.s.trace, 'S'));
	assert_int_equal(W.s.nev, 0); /* the owner was told already */
	assert_int_equal(state_of(), RC_AGENT_QUARANTINED);
	assert_int_equal(last_state_field(), RC_STATE_QUARANTINED);

	/* Firmware updated (fwver 1.2.4): released, quarantine lifted, never applied. */
	world_init(&W, 1);
	W.cfg.id.fwver = rc_str_c("1.2.4");
	assert_int_equal(rc_agent_init(&W.a, &W.cfg, &sim_ops, &W.s), RC_OK);
	assert_int_equal(rc_agent_restore(&W.a, blob, len), RC_OK);
	assert_int_equal(rc_agent_start(&W.a), RC_OK);
	assert_int_equal(W.s.q_apply, 0);
	assert_int_equal(W.s.ev[0], RC_AGENT_EV_RELEASED_FIRMWARE);
	assert_int_equal(last_state_field(), RC_STATE_NORMAL);
	assert_int_equal(state_of(), RC_AGENT_WAIT);
	/* The new fingerprint is saved, so the next restart does not release again. */
	memcpy(blob, W.s.state, W.s.state_len);
	len = W.s.state_len;
	world_init(&W, 1);
	W.cfg.id.fwver = rc_str_c("1.2.4");
	rc_agent_init(&W.a, &W.cfg, &sim_ops, &W.s);
	assert_int_equal(rc_agent_restore(&W.a, blob, len), RC_OK);
	rc_agent_start(&W.a);
	assert_int_equal(W.s.nev, 0);

	/* A build-date change alone is a firmware change too. */
	world_init(&W, 1);
	quarantined();
	memcpy(blob, W.s.state, W.s.state_len);
	len = W.s.state_len;
	world_init(&W, 1);
	W.cfg.id.has_build_date = true;
	W.cfg.id.build_date = FX_NOW;
	rc_agent_init(&W.a, &W.cfg, &sim_ops, &W.s);
	assert_int_equal(rc_agent_restore(&W.a, blob, len), RC_OK);
	rc_agent_start(&W.a);
	assert_int_equal(W.s.ev[0], RC_AGENT_EV_RELEASED_FIRMWARE);
}

static void test_saved_notice_expired_at_start(void **state)
{
	quarantined();
	uint8_t blob[RC_AGENT_STATE_MAX];
	size_t len = W.s.state_len;
	memcpy(blob, W.s.state, len);
	world_init(&W, 1);
	W.s.wall += 40ull * 86400u; /* powered off for 40 days */
	assert_int_equal(rc_agent_restore(&W.a, blob, len), RC_OK);
	rc_agent_start(&W.a);
	assert_int_equal(W.s.q_apply, 0);
	assert_int_equal(W.s.ev[0], RC_AGENT_EV_RELEASED_EXPIRED);
}

static void test_override(void **state)
{
	quarantined();
	/* Another notice id: nothing changes. Bad ids are refused. */
	assert_int_equal(rc_agent_override(&W.a, "RC-OTHER"), RC_OK);
	assert_true(W.s.q_on);
	assert_int_equal(rc_agent_override(&W.a, "bad id!"), RC_ERR_SYNTAX);
	assert_int_equal(rc_agent_override(&W.a, ""), RC_ERR_SYNTAX);
	char longid[80];
	memset(longid, 'x', sizeof(longid) - 1);
	longid[sizeof(longid) - 1] = '\0';
	assert_int_equal(rc_agent_override(&W.a, longid), RC_ERR_SYNTAX);
	/* This notice: lifted, the owner is told, check-ins say "overridden". */
	assert_int_equal(rc_agent_override(&W.a, "RC-TEST-1"), RC_OK);
	assert_false(W.s.q_on);
	assert_int_equal(sim_last_event(&W.s), RC_AGENT_EV_OVERRIDDEN);
	assert_int_equal(state_of(), RC_AGENT_OVERRIDDEN);
	struct rc_agent_status st;
	rc_agent_status(&W.a, &st);
	assert_int_equal(st.noverrides, 2);
	assert_int_equal(st.next_reason, RC_REASON_PERIODIC);
	rc_agent_attach(&W.a);
	sim_advance(&W.s, &W.a, RC_AGENT_DEBOUNCE_MS);
	assert_int_equal(last_state_field(), RC_STATE_OVERRIDDEN);
	/* The responder still says recalled: stays overridden, no new quarantine. */
	assert_int_equal(sim_answer(&W.s, &W.a, RC_MSG_RECALLED, 0, W.blob, W.blob_len), RC_OK);
	assert_false(W.s.q_on);
	assert_int_equal(W.s.q_apply, 1);
	/* Clearing the overrides re-applies the still valid notice and checks in at once. */
	size_t sent = W.s.nsent;
	assert_int_equal(rc_agent_override_clear(&W.a), RC_OK);
	assert_true(W.s.q_on);
	assert_int_equal(sim_last_event(&W.s), RC_AGENT_EV_RECALLED);
	assert_int_equal(W.s.nsent, sent + 1);
	assert_int_equal(last_state_field(), RC_STATE_QUARANTINED);
}

static void test_override_all_before_recall(void **state)
{
	assert_int_equal(rc_agent_override(&W.a, "all"), RC_OK);
	rc_agent_start(&W.a);
	world_notice(&W, NULL, 2);
	assert_int_equal(sim_answer(&W.s, &W.a, RC_MSG_RECALLED, 0, W.blob, W.blob_len), RC_OK);
	assert_int_equal(W.s.q_apply, 0);
	assert_int_equal(state_of(), RC_AGENT_OVERRIDDEN);
	assert_int_equal(sim_last_event(&W.s), RC_AGENT_EV_OVERRIDDEN);
	/* Persisted: a restart keeps the override. */
	uint8_t blob[RC_AGENT_STATE_MAX];
	size_t len = W.s.state_len;
	memcpy(blob, W.s.state, len);
	world_init(&W, 1);
	assert_int_equal(rc_agent_restore(&W.a, blob, len), RC_OK);
	rc_agent_start(&W.a);
	assert_int_equal(W.s.q_apply, 0);
	struct rc_agent_status st;
	rc_agent_status(&W.a, &st);
	assert_true(st.override_all);
	assert_int_equal(st.state, RC_AGENT_OVERRIDDEN);
	/* Override list keeps the newest RC_AGENT_OVERRIDES_MAX ids. */
	char id[16];
	for (int i = 0; i < 12; i++) {
		snprintf(id, sizeof(id), "N-%d", i);
		assert_int_equal(rc_agent_override(&W.a, id), RC_OK);
	}
	assert_int_equal(rc_agent_override(&W.a, "N-11"), RC_OK); /* no duplicates */
	rc_agent_status(&W.a, &st);
	assert_int_equal(st.noverrides, RC_AGENT_OVERRIDES_MAX);
	assert_string_equal(W.a.overrides[0], "N-4");
}

static void test_optout(void **state)
{
	quarantined();
	rc_agent_set_checkin(&W.a, false);
	assert_false(W.s.q_on);
	assert_int_equal(sim_last_event(&W.s), RC_AGENT_EV_RELEASED_OPTOUT);
	assert_int_equal(state_of(), RC_AGENT_OPTOUT);
	assert_int_equal(rc_agent_timeout_ms(&W.a), RC_AGENT_NEVER);
	size_t sent = W.s.nsent;
	rc_agent_attach(&W.a);
	sim_advance(&W.s, &W.a, 100ull * 86400000u);
	assert_int_equal(W.s.nsent, sent);
	assert_int_equal(sim_answer(&W.s, &W.a, RC_MSG_RECALLED, 0, W.blob, W.blob_len),
			 RC_ERR_NONCE);
	assert_false(W.s.q_on);
	rc_agent_set_checkin(&W.a, true);
	assert_int_equal(W.s.nsent, sent + 1);

	/* Opted out in the configuration with a saved quarantine: released at start, silent. */
	uint8_t blob[RC_AGENT_STATE_MAX];
	world_init(&W, 1);
	quarantined();
	size_t len = W.s.state_len;
	memcpy(blob, W.s.state, len);
	world_init(&W, 1);
	W.cfg.checkin_off = true;
	rc_agent_init(&W.a, &W.cfg, &sim_ops, &W.s);
	assert_int_equal(rc_agent_restore(&W.a, blob, len), RC_OK);
	rc_agent_start(&W.a);
	assert_int_equal(W.s.q_apply, 0);
	assert_int_equal(W.s.nsent, 0);
	assert_int_equal(W.s.ev[0], RC_AGENT_EV_RELEASED_OPTOUT);
	assert_int_equal(state_of(), RC_AGENT_OPTOUT);
}

/* Rotation: a statement signed by k current keys moves the agent to the next set, which it
 * persists, reports in its next check-in (sent at once) and uses to verify notices. */
static void test_rotation(void **state)
{
	struct fx_key next_keys[3];
	struct rc_anchors next;
	uint8_t stmt[2048];
	size_t slen;
	assert_int_equal(fx_anchors(&next, next_keys, 3, 2, 2, 50), RC_OK);
	rc_agent_start(&W.a);
	/* One signature is below the threshold: ignored. */
	assert_int_equal(fx_rotation(stmt, sizeof(stmt), &slen, &W.anc, &next, W.keys, 1), 0);
	assert_int_equal(sim_answer(&W.s, &W.a, RC_MSG_ROTATE, 0, stmt, slen), RC_ERR_THRESHOLD);
	assert_int_equal(W.a.anchors.epoch, 1);
	assert_int_equal(fx_rotation(stmt, sizeof(stmt), &slen, &W.anc, &next, W.keys, 2), 0);
	size_t sent = W.s.nsent;
	assert_int_equal(sim_answer(&W.s, &W.a, RC_MSG_ROTATE, 0, stmt, slen), RC_OK);
	assert_int_equal(sim_last_event(&W.s), RC_AGENT_EV_ROTATED);
	assert_int_equal(W.s.nsent, sent + 1);
	struct rc_checkin c;
	assert_int_equal(sim_last_checkin(&W.s, &c), RC_OK);
	assert_int_equal(c.anchor_epoch, 2);
	assert_int_equal(c.reason, RC_REASON_BOOT);
	/* A notice signed by the old keys no longer counts; the new keys' does. */
	world_notice(&W, NULL, 2);
	assert_int_equal(sim_answer(&W.s, &W.a, RC_MSG_RECALLED, 0, W.blob, W.blob_len),
			 RC_ERR_THRESHOLD);
	assert_int_equal(fx_sign(W.blob, sizeof(W.blob), &W.blob_len, RC_CT_NOTICE, W.payload,
				 W.plen, next_keys, 2),
			 0);
	assert_int_equal(sim_answer(&W.s, &W.a, RC_MSG_RECALLED, 0, W.blob, W.blob_len), RC_OK);
	/* Persisted: a restart keeps epoch 2 and re-applies the quarantine under it. */
	uint8_t blob[RC_AGENT_STATE_MAX];
	size_t len = W.s.state_len;
	memcpy(blob, W.s.state, len);
	world_init(&W, 1);
	assert_int_equal(rc_agent_restore(&W.a, blob, len), RC_OK);
	assert_int_equal(W.a.anchors.epoch, 2);
	rc_agent_start(&W.a);
	assert_true(W.s.q_on);
	/* A firmware shipping the old epoch-1 set does not roll the rotation back, while one
	 * shipping a newer set (epoch 3, other keys) wins and the held notice is released. */
	struct fx_key k3[3];
	world_init(&W, 1);
	assert_int_equal(fx_anchors(&W.cfg.anchors, k3, 3, 2, 3, 70), RC_OK);
	rc_agent_init(&W.a, &W.cfg, &sim_ops, &W.s);
	assert_int_equal(rc_agent_restore(&W.a, blob, len), RC_OK);
	assert_int_equal(W.a.anchors.epoch, 3);
	rc_agent_start(&W.a);
	assert_int_equal(W.s.q_apply, 0);
	assert_int_equal(W.s.ev[0], RC_AGENT_EV_RELEASED_INVALID);
}

static void test_quarantine_failure_retried(void **state)
{
	W.s.quarantine_fail = -1;
	rc_agent_start(&W.a);
	world_notice(&W, NULL, 2);
	assert_int_equal(sim_answer(&W.s, &W.a, RC_MSG_RECALLED, 0, W.blob, W.blob_len), RC_OK);
	struct rc_agent_status st;
	rc_agent_status(&W.a, &st);
	assert_true(st.c.quarantine_errors >= 1);
	assert_false(W.s.q_on);
	/* At the next recheck the same recall re-applies it. */
	W.s.quarantine_fail = 0;
	sim_advance(&W.s, &W.a, rc_agent_timeout_ms(&W.a));
	assert_int_equal(sim_answer(&W.s, &W.a, RC_MSG_RECALLED, 0, W.blob, W.blob_len), RC_OK);
	assert_true(W.s.q_on);
	/* Lifting fails on release: retried with the next accepted answer. */
	sim_advance(&W.s, &W.a, rc_agent_timeout_ms(&W.a));
	W.s.quarantine_fail = -1;
	assert_int_equal(sim_answer(&W.s, &W.a, RC_MSG_CLEAR, 1, NULL, 0), RC_OK);
	assert_true(W.s.q_on);
	assert_int_equal(state_of(), RC_AGENT_IDLE);
	W.s.quarantine_fail = 0;
	rc_agent_attach(&W.a);
	sim_advance(&W.s, &W.a, RC_AGENT_DEBOUNCE_MS);
	assert_int_equal(sim_answer(&W.s, &W.a, RC_MSG_CLEAR, 1, NULL, 0), RC_OK);
	assert_false(W.s.q_on);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup(test_release_clear, setup),
	    cmocka_unit_test_setup(test_release_expiry, setup),
	    cmocka_unit_test_setup(test_release_firmware_and_restart, setup),
	    cmocka_unit_test_setup(test_saved_notice_expired_at_start, setup),
	    cmocka_unit_test_setup(test_override, setup),
	    cmocka_unit_test_setup(test_override_all_before_recall, setup),
	    cmocka_unit_test_setup(test_optout, setup),
	    cmocka_unit_test_setup(test_rotation, setup),
	    cmocka_unit_test_setup(test_quarantine_failure_retried, setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
