/* The agent core against a simulated network: check-ins, answer acceptance (nonce, source,
 * signatures, identity, validity) and the recall's effect. Timers: test_agent_timers.c;
 * owner controls and release paths: test_agent_release.c; state: test_agent_state.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
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

static void test_boot_checkin(void **state)
{
	struct rc_checkin c;
	assert_int_equal(rc_agent_start(&W.a), RC_OK);
	/* No saved quarantine: make sure it is off, persist the fresh state, then check in. */
	assert_string_equal(W.s.trace, "qPS");
	assert_int_equal(W.s.nsent, 1);
	assert_int_equal(sim_last(&W.s)->len, RC_CHECKIN_SIZE);
	assert_int_equal(sim_last_checkin(&W.s, &c), RC_OK);
	assert_int_equal(c.reason, RC_REASON_BOOT);
	assert_int_equal(c.state, RC_STATE_NORMAL);
	assert_int_equal(c.anchor_epoch, 1);
	assert_true(rc_str_eq(c.id.model, rc_str_c("cam-1")));
	assert_int_equal(rc_agent_timeout_ms(&W.a), RC_AGENT_TIMEOUT_MS);
	struct rc_agent_status st;
	rc_agent_status(&W.a, &st);
	assert_int_equal(st.state, RC_AGENT_WAIT);
	assert_int_equal(rc_agent_start(&W.a), RC_ERR_INVALID); /* only once */
}

static void test_clear(void **state)
{
	struct rc_agent_status st;
	rc_agent_start(&W.a);
	W.s.mono += 40;
	assert_int_equal(sim_answer(&W.s, &W.a, RC_MSG_CLEAR, 77, NULL, 0), RC_OK);
	rc_agent_status(&W.a, &st);
	assert_int_equal(st.state, RC_AGENT_IDLE);
	assert_int_equal(st.feed_serial, 77);
	assert_int_equal(st.next_reason, RC_REASON_PERIODIC);
	assert_in_range(st.next_ms, 27ull * 86400000u, 33ull * 86400000u);
	assert_int_equal(st.c.answers, 1);
	assert_int_equal(st.c.clear, 1);
	assert_int_equal(W.s.q_apply, 0);
	/* The same answer again (duplicate or replay) finds no outstanding nonce. */
	assert_int_equal(sim_answer(&W.s, &W.a, RC_MSG_CLEAR, 77, NULL, 0), RC_ERR_NONCE);
	rc_agent_status(&W.a, &st);
	assert_int_equal(st.c.rx_nonce, 1);
	assert_int_equal(st.c.answers, 1);
}

static void test_recall_quarantines(void **state)
{
	struct rc_agent_status st;
	struct rc_checkin c;
	rc_agent_start(&W.a);
	world_notice(&W, NULL, 2);
	size_t t0 = W.s.ntrace;
	assert_int_equal(sim_answer(&W.s, &W.a, RC_MSG_RECALLED, 0, W.blob, W.blob_len), RC_OK);
	/* Persist first (survives a crash), then tell the owner, then quarantine. */
	assert_string_equal(W.s.trace + t0, "PNQ");
	assert_true(W.s.q_on);
	assert_string_equal(W.s.q_id, "RC-TEST-1");
	assert_int_equal(sim_last_event(&W.s), RC_AGENT_EV_RECALLED);
	rc_agent_status(&W.a, &st);
	assert_int_equal(st.state, RC_AGENT_QUARANTINED);
	assert_string_equal(st.notice_id, "RC-TEST-1");
	assert_int_equal(st.severity, RC_SEV_HIGH);
	assert_int_equal(st.next_reason, RC_REASON_RECHECK);
	assert_in_range(st.next_ms, 54u * 60000u, 66u * 60000u);
	/* The hourly recheck says so in its check-in; the same recall again changes nothing. */
	sim_advance(&W.s, &W.a, st.next_ms);
	assert_int_equal(W.s.nsent, 2);
	assert_int_equal(sim_last_checkin(&W.s, &c), RC_OK);
	assert_int_equal(c.reason, RC_REASON_RECHECK);
	assert_int_equal(c.state, RC_STATE_QUARANTINED);
	unsigned nev = (unsigned)W.s.nev, applied = W.s.q_apply;
	assert_int_equal(sim_answer(&W.s, &W.a, RC_MSG_RECALLED, 0, W.blob, W.blob_len), RC_OK);
	assert_int_equal(W.s.nev, nev);
	assert_int_equal(W.s.q_apply, applied);
	struct rc_notice n;
	assert_int_equal(rc_agent_notice(&W.a, &n), RC_OK);
	assert_true(rc_str_eq(n.remedy_url, rc_str_c("https://example.com/fw")));
}

static void notify_only(struct rc_notice *n)
{
	n->action = RC_ACTION_NOTIFY;
}

static void test_notify_only(void **state)
{
	struct rc_agent_status st;
	rc_agent_start(&W.a);
	world_notice(&W, notify_only, 2);
	assert_int_equal(sim_answer(&W.s, &W.a, RC_MSG_RECALLED, 0, W.blob, W.blob_len), RC_OK);
	assert_int_equal(W.s.q_apply, 0);
	assert_false(W.s.q_on);
	assert_int_equal(sim_last_event(&W.s), RC_AGENT_EV_NOTICE);
	rc_agent_status(&W.a, &st);
	assert_int_equal(st.state, RC_AGENT_NOTIFIED);
	assert_int_equal(st.next_reason, RC_REASON_PERIODIC);
}

static void other_model(struct rc_notice *n)
{
	n->target.model = rc_str_c("cam-2");
}
static void other_version(struct rc_notice *n)
{
	n->target.versions[0] = rc_str_c("1.2.4");
}
static void expired(struct rc_notice *n)
{
	n->expiry = FX_NOW - 1;
}
static void not_yet(struct rc_notice *n)
{
	n->not_before = FX_NOW + 3600;
}
static void other_hwrev(struct rc_notice *n)
{
	n->target.nhwrevs = 1;
	n->target.hwrevs[0] = rc_str_c("b");
}

/* Every recall that must not act: the device stays as it is and still takes a clear. */
static void test_invalid_recalls(void **state)
{
	struct {
		void (*mut)(struct rc_notice *);
		int nsig, bad, want;
	} cases[] = {
	    {NULL, 1, 0, RC_ERR_THRESHOLD},         /* below threshold (k = 2) */
	    {NULL, 0, 0, -1},                       /* unsigned: COSE_Sign needs a signature */
	    {NULL, 0, 1, RC_ERR_THRESHOLD},         /* forged: keys not in the anchor set */
	    {NULL, 2, 2, RC_ERR_THRESHOLD},         /* a signature corrupted: 1 of 2 valid */
	    {other_model, 2, 0, RC_ERR_NOTCOVERED}, /* another device's recall replayed */
	    {other_version, 2, 0, RC_ERR_NOTCOVERED},
	    {other_hwrev, 2, 0, RC_ERR_NOTCOVERED},
	    {expired, 2, 0, RC_ERR_EXPIRED},
	    {not_yet, 2, 0, RC_ERR_EXPIRED},
	    {NULL, 2, 3, RC_ERR_TYPE}, /* a rotation statement's content type */
	    {NULL, 2, 4, -1},          /* not COSE at all */
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		world_init(&W, 1);
		rc_agent_start(&W.a);
		world_notice(&W, cases[i].mut, cases[i].nsig);
		if (cases[i].bad == 1)
			world_forge(&W);
		else if (cases[i].bad == 2)
			W.blob[W.blob_len - 5] ^= 1;
		else if (cases[i].bad == 3)
			world_wrong_ct(&W);
		else if (cases[i].bad == 4)
			memset(W.blob, 0xa0, W.blob_len);
		int err = sim_answer(&W.s, &W.a, RC_MSG_RECALLED, 0, W.blob, W.blob_len);
		if (cases[i].want >= 0)
			assert_int_equal(err, cases[i].want);
		else
			assert_int_not_equal(err, RC_OK);
		struct rc_agent_status st;
		rc_agent_status(&W.a, &st);
		assert_int_equal(W.s.q_apply, 0);
		assert_int_equal(W.s.nev, 0);
		assert_int_equal(st.state, RC_AGENT_WAIT);
		assert_int_equal(st.c.rx_invalid, 1);
		if (cases[i].want == RC_ERR_THRESHOLD)
			assert_int_equal(st.c.rx_threshold, 1);
		if (cases[i].want == RC_ERR_NOTCOVERED)
			assert_int_equal(st.c.rx_notcovered, 1);
		if (cases[i].want == RC_ERR_EXPIRED)
			assert_int_equal(st.c.rx_expired, 1);
		/* The invalid answer did not consume the nonce: the genuine answer still counts. */
		assert_int_equal(sim_answer(&W.s, &W.a, RC_MSG_CLEAR, 1, NULL, 0), RC_OK);
	}
}

/* Without a trusted clock validity cannot be judged: a signed, covering recall acts, and is
 * released as soon as the clock is trusted and says it has expired. */
static void test_untrusted_clock(void **state)
{
	W.s.trusted = false;
	rc_agent_start(&W.a);
	world_notice(&W, expired, 2);
	assert_int_equal(sim_answer(&W.s, &W.a, RC_MSG_RECALLED, 0, W.blob, W.blob_len), RC_OK);
	assert_true(W.s.q_on);
	sim_advance(&W.s, &W.a, 1000);
	assert_true(W.s.q_on);
	W.s.trusted = true;
	assert_int_equal(rc_agent_timeout_ms(&W.a), 0);
	rc_agent_tick(&W.a);
	assert_false(W.s.q_on);
	assert_int_equal(sim_last_event(&W.s), RC_AGENT_EV_RELEASED_EXPIRED);
}

static int answer_from(uint8_t t, const struct rc_src *from, const uint8_t *nonce)
{
	uint8_t out[RC_ANSWER_MAX];
	size_t len;
	assert_int_equal(fx_answer(out, sizeof(out), &len, t, nonce, 1, NULL, 0), RC_OK);
	return rc_agent_input(&W.a, out, len, from);
}

static void test_source_and_nonce(void **state)
{
	struct rc_checkin c;
	struct rc_agent_status st;
	world_init(&W, 2); /* two responders: attempts alternate after a timeout */
	rc_agent_start(&W.a);
	assert_int_equal(sim_last_checkin(&W.s, &c), RC_OK);
	struct rc_src r0 = sim_responder(0), r1 = sim_responder(1), other = sim_responder(7);
	struct rc_src v6 = r0;
	v6.family = 6;
	struct rc_src port = r0;
	port.port = 7413;
	assert_int_equal(answer_from(RC_MSG_CLEAR, &other, c.nonce), RC_ERR_INVALID);
	assert_int_equal(answer_from(RC_MSG_CLEAR, &v6, c.nonce), RC_ERR_INVALID);
	assert_int_equal(answer_from(RC_MSG_CLEAR, &port, c.nonce), RC_ERR_INVALID);
	assert_int_equal(answer_from(RC_MSG_CLEAR, NULL, c.nonce), RC_ERR_INVALID);
	/* Right nonce, but from the other configured responder than it was sent to. */
	assert_int_equal(answer_from(RC_MSG_CLEAR, &r1, c.nonce), RC_ERR_INVALID);
	uint8_t wrong[RC_NONCE_LEN];
	memcpy(wrong, c.nonce, sizeof(wrong));
	wrong[15] ^= 0x80;
	assert_int_equal(answer_from(RC_MSG_CLEAR, &r0, wrong), RC_ERR_NONCE);
	rc_agent_status(&W.a, &st);
	assert_int_equal(st.c.rx_source, 5);
	assert_int_equal(st.c.rx_nonce, 1);
	assert_int_equal(st.state, RC_AGENT_WAIT);
	assert_int_equal(answer_from(RC_MSG_CLEAR, &r0, c.nonce), RC_OK);
}

static void test_garbage(void **state)
{
	uint8_t buf[RC_ANSWER_MAX + 8];
	struct rc_src r0 = sim_responder(0);
	struct rc_checkin c;
	rc_agent_start(&W.a);
	assert_int_equal(sim_last_checkin(&W.s, &c), RC_OK);
	uint64_t x = 12345;
	for (int i = 0; i < 2000; i++) {
		size_t len = (size_t)(x % sizeof(buf));
		for (size_t j = 0; j < len; j++) {
			x = x * 6364136223846793005ull + 1442695040888963407ull;
			buf[j] = (uint8_t)(x >> 56);
		}
		assert_int_not_equal(rc_agent_input(&W.a, buf, len, &r0), RC_OK);
	}
	assert_int_not_equal(rc_agent_input(&W.a, NULL, 0, &r0), RC_OK);
	/* A genuine answer with any single byte changed is not acted on as that answer. */
	size_t len;
	assert_int_equal(fx_answer(buf, sizeof(buf), &len, RC_MSG_CLEAR, c.nonce, 9, NULL, 0), 0);
	for (size_t i = 0; i < len; i++) {
		buf[i] ^= 0x41;
		int err = rc_agent_input(&W.a, buf, len, &r0);
		buf[i] ^= 0x41;
		assert_int_not_equal(err, RC_OK);
	}
	assert_int_equal(rc_agent_input(&W.a, buf, len + 1, &r0), RC_ERR_TRAILING);
	struct rc_agent_status st;
	rc_agent_status(&W.a, &st);
	assert_int_equal(st.state, RC_AGENT_WAIT);
	assert_true(st.c.rx_garbage > 1900);
	assert_true(st.c.log_suppressed > 0); /* input-driven logging is rate-limited */
	assert_int_equal(rc_agent_input(&W.a, buf, len, &r0), RC_OK);
}

static void test_duplicate_recall(void **state)
{
	struct rc_checkin c;
	rc_agent_start(&W.a);
	assert_int_equal(sim_last_checkin(&W.s, &c), RC_OK);
	world_notice(&W, NULL, 3);
	uint8_t out[RC_ANSWER_MAX];
	size_t len;
	assert_int_equal(
	    fx_answer(out, sizeof(out), &len, RC_MSG_RECALLED, c.nonce, 0, W.blob, W.blob_len), 0);
	struct rc_src r0 = sim_responder(0);
	assert_int_equal(rc_agent_input(&W.a, out, len, &r0), RC_OK);
	assert_int_equal(rc_agent_input(&W.a, out, len, &r0), RC_ERR_NONCE);
	assert_int_equal(rc_agent_input(&W.a, out, len, &r0), RC_ERR_NONCE);
	assert_int_equal(W.s.nev, 1);
	assert_int_equal(W.s.q_apply, 1);
}

static void test_unsupported_and_unexpected(void **state)
{
	struct rc_agent_status st;
	rc_agent_start(&W.a);
	assert_int_equal(sim_answer(&W.s, &W.a, RC_MSG_UNSUPPORTED, 2, NULL, 0), RC_OK);
	rc_agent_status(&W.a, &st);
	assert_int_equal(st.c.unsupported, 1);
	assert_int_equal(st.state, RC_AGENT_IDLE);
	assert_int_equal(st.next_reason, RC_REASON_PERIODIC);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup(test_boot_checkin, setup),
	    cmocka_unit_test_setup(test_clear, setup),
	    cmocka_unit_test_setup(test_recall_quarantines, setup),
	    cmocka_unit_test_setup(test_notify_only, setup),
	    cmocka_unit_test_setup(test_invalid_recalls, setup),
	    cmocka_unit_test_setup(test_untrusted_clock, setup),
	    cmocka_unit_test_setup(test_source_and_nonce, setup),
	    cmocka_unit_test_setup(test_garbage, setup),
	    cmocka_unit_test_setup(test_duplicate_recall, setup),
	    cmocka_unit_test_setup(test_unsupported_and_unexpected, setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
