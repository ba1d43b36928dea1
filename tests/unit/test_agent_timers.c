/* Agent triggers and timers on a simulated clock: retries with full-jitter exponential backoff
 * (bounds and distribution), giving up, retry-later clamping, periodic and recheck jitter,
 * attach debouncing and rate limit, bounded timing-only state writes, loss, delay and reordering of
 * answers, a fresh nonce per attempt. */
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

#define SEC 1000ull
#define DAY (86400ull * SEC)

/* Delay between check-in i-1 and i (sim ring keeps the last SIM_SENT_MAX). */
static uint64_t gap(size_t i)
{
	return W.s.sent[i % SIM_SENT_MAX].t - W.s.sent[(i - 1) % SIM_SENT_MAX].t;
}

static uint8_t reason(size_t i)
{
	struct rc_checkin c;
	const struct sim_dgram *d = &W.s.sent[i % SIM_SENT_MAX];
	assert_int_equal(rc_checkin_decode(&c, d->buf, d->len, NULL), RC_OK);
	return c.reason;
}

/* Unanswered: attempt n+1 follows attempt n after the 3 s timeout plus a delay uniform in
 * [0, min(6 h, 30 s * 2^(n-1))]; after 1 + retries attempts the agent waits for the next
 * periodic check-in. */
static void test_backoff_bounds(void **state)
{
	uint64_t most[RC_AGENT_RETRIES + 1] = {0};
	for (uint64_t seed = 1; seed <= 40; seed++) {
		world_init(&W, 1);
		W.s.rng = seed;
		rc_agent_start(&W.a);
		for (size_t i = 1; i <= RC_AGENT_RETRIES; i++) {
			sim_step(&W.s, &W.a); /* timeout */
			if (W.s.nsent == i)
				sim_step(&W.s, &W.a); /* backoff delay */
			assert_int_equal(W.s.nsent, i + 1);
			assert_int_equal(reason(i), RC_REASON_RETRY);
			uint64_t bound = 30 * SEC << (i - 1);
			if (bound > 21600 * SEC)
				bound = 21600 * SEC;
			assert_in_range(gap(i), 3 * SEC, 3 * SEC + bound);
			most[i] = gap(i) > most[i] ? gap(i) : most[i];
		}
		sim_step(&W.s, &W.a); /* last timeout: give up */
		struct rc_agent_status st;
		rc_agent_status(&W.a, &st);
		assert_int_equal(st.c.giveups, 1);
		assert_int_equal(st.c.timeouts, RC_AGENT_RETRIES + 1);
		assert_int_equal(st.next_reason, RC_REASON_PERIODIC);
		assert_in_range(st.next_ms, 27 * DAY, 33 * DAY);
		assert_int_equal(st.state, RC_AGENT_IDLE);
	}
	/* The bound really doubles up to the cap (all 40 below half of it: p = 2^-40). */
	for (size_t i = 1; i <= RC_AGENT_RETRIES; i++) {
		uint64_t bound = 30 * SEC << (i - 1);
		bound = bound > 21600 * SEC ? 21600 * SEC : bound;
		assert_true(most[i] > 3 * SEC + bound / 2);
	}
}

/* Full jitter: the first retry delay is spread over the whole [0, 30 s] (a region's devices
 * rebooting together do not retry together). Moments from 4000 seeds. */
static void test_backoff_distribution(void **state)
{
	enum { N = 4000 };
	uint64_t lo = UINT64_MAX, hi = 0, sum = 0;
	unsigned bins[10] = {0};
	for (uint64_t seed = 1; seed <= N; seed++) {
		world_init(&W, 1);
		W.s.rng = seed * 0x9e3779b97f4a7c15ull;
		rc_agent_start(&W.a);
		sim_step(&W.s, &W.a);
		uint64_t d = rc_agent_timeout_ms(&W.a);
		assert_true(d <= 30 * SEC);
		lo = d < lo ? d : lo;
		hi = d > hi ? d : hi;
		sum += d;
		bins[d * 10 / (30 * SEC + 1)]++;
	}
	assert_true(lo < 100);
	assert_true(hi > 29900);
	uint64_t mean = sum / N;
	assert_in_range(mean, 14000, 16000);
	for (int b = 0; b < 10; b++)
		assert_in_range(bins[b], N / 10 - N / 25, N / 10 + N / 25);
}

static void test_periodic_jitter(void **state)
{
	uint64_t lo = UINT64_MAX, hi = 0;
	for (uint64_t seed = 1; seed <= 500; seed++) {
		world_init(&W, 1);
		W.s.rng = seed * 7919;
		rc_agent_start(&W.a);
		assert_int_equal(sim_answer(&W.s, &W.a, RC_MSG_CLEAR, 1, NULL, 0), RC_OK);
		struct rc_agent_status st;
		rc_agent_status(&W.a, &st); /* next check-in (a timing write may wake first) */
		uint64_t d = st.next_ms;
		assert_in_range(d, 27 * DAY, 33 * DAY);
		lo = d < lo ? d : lo;
		hi = d > hi ? d : hi;
		assert_int_equal(st.next_periodic, FX_NOW + d / 1000);
	}
	assert_true(lo < 27 * DAY + DAY / 4);
	assert_true(hi > 33 * DAY - DAY / 4);
	/* The periodic check-in itself, and again after its answer. */
	struct rc_agent_status st;
	rc_agent_status(&W.a, &st);
	sim_advance(&W.s, &W.a, st.next_ms);
	assert_int_equal(W.s.nsent, 2);
	assert_int_equal(reason(1), RC_REASON_PERIODIC);
}

static void test_interval_bounds(void **state)
{
	/* Configured intervals are clamped: periodic at least a day, recheck at least 60 s. */
	W.cfg.periodic_s = 10;
	W.cfg.recheck_s = 1;
	W.cfg.backoff_cap_s = 5;
	W.cfg.backoff_base_s = 60;
	assert_int_equal(rc_agent_init(&W.a, &W.cfg, &sim_ops, &W.s), RC_OK);
	assert_int_equal(W.a.cfg.periodic_s, RC_AGENT_PERIODIC_MIN_S);
	assert_int_equal(W.a.cfg.recheck_s, RC_AGENT_RECHECK_MIN_S);
	assert_int_equal(W.a.cfg.backoff_cap_s, 60);
	rc_agent_start(&W.a);
	assert_int_equal(sim_answer(&W.s, &W.a, RC_MSG_CLEAR, 1, NULL, 0), RC_OK);
	struct rc_agent_status st;
	rc_agent_status(&W.a, &st);
	assert_in_range(st.next_ms, 86400 * SEC * 9 / 10, 86400 * SEC * 11 / 10);
}

static void test_retry_later(void **state)
{
	struct {
		uint32_t asked;
		uint64_t want_s;
	} cases[] = {{1, 60}, {59, 60}, {60, 60}, {5000, 5000}, {86400, 86400}};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		world_init(&W, 1);
		rc_agent_start(&W.a);
		assert_int_equal(sim_answer(&W.s, &W.a, RC_MSG_RETRY, cases[i].asked, NULL, 0),
				 RC_OK);
		/* At least the clamped delay, at most half again (spread against herds). */
		uint64_t t = rc_agent_timeout_ms(&W.a);
		assert_in_range(t, cases[i].want_s * SEC, cases[i].want_s * SEC * 3 / 2);
		sim_advance(&W.s, &W.a, t - 1);
		assert_int_equal(W.s.nsent, 1);
		sim_advance(&W.s, &W.a, 1);
		assert_int_equal(W.s.nsent, 2);
		assert_int_equal(reason(1), RC_REASON_RETRY);
	}
	/* Beyond the wire's bound the answer does not even decode. */
	world_init(&W, 1);
	rc_agent_start(&W.a);
	assert_int_not_equal(sim_answer(&W.s, &W.a, RC_MSG_RETRY, 86401, NULL, 0), RC_OK);
}

static void test_recheck_jitter(void **state)
{
	for (uint64_t seed = 1; seed <= 200; seed++) {
		world_init(&W, 1);
		W.s.rng = seed * 31337;
		rc_agent_start(&W.a);
		world_notice(&W, NULL, 2);
		assert_int_equal(sim_answer(&W.s, &W.a, RC_MSG_RECALLED, 0, W.blob, W.blob_len),
				 RC_OK);
		assert_in_range(rc_agent_timeout_ms(&W.a), 3240 * SEC, 3960 * SEC);
	}
}

static void test_attach_debounce(void **state)
{
	rc_agent_start(&W.a);
	assert_int_equal(sim_answer(&W.s, &W.a, RC_MSG_CLEAR, 1, NULL, 0), RC_OK);
	for (int i = 0; i < 5; i++) {
		rc_agent_attach(&W.a);
		sim_advance(&W.s, &W.a, 300);
	}
	assert_int_equal(W.s.nsent, 1);
	sim_advance(&W.s, &W.a, 500); /* 2 s after the first event */
	assert_int_equal(W.s.nsent, 2);
	assert_int_equal(reason(1), RC_REASON_ATTACH);
	assert_int_equal(sim_answer(&W.s, &W.a, RC_MSG_CLEAR, 1, NULL, 0), RC_OK);
	/* The next attach check-in comes no sooner than 60 s after the last one (sent at 2 s). */
	rc_agent_attach(&W.a);
	sim_advance(&W.s, &W.a, 59999);
	assert_int_equal(W.s.nsent, 2);
	sim_advance(&W.s, &W.a, 1);
	assert_int_equal(W.s.nsent, 3);
	assert_int_equal(reason(2), RC_REASON_ATTACH);
	/* Not before start, not when opted out. */
	world_init(&W, 1);
	rc_agent_attach(&W.a);
	assert_int_equal(rc_agent_timeout_ms(&W.a), RC_AGENT_NEVER);
}

/* Advance by ms; answer "clear" to every check-in sent meanwhile. */
static void advance_answering(uint64_t ms, size_t *answered)
{
	for (uint64_t t = 0; t < ms; t += 100) {
		sim_advance(&W.s, &W.a, 100);
		if (W.s.nsent > *answered) {
			assert_int_equal(sim_answer(&W.s, &W.a, RC_MSG_CLEAR, 1, NULL, 0), RC_OK);
			*answered = W.s.nsent;
		}
	}
}

/* A LAN host flapping its router lifetime: an attach event every 2.5 s for 20 s, each check-in
 * answered clear. At most one attach check-in per 60 s; the later events become exactly one
 * check-in at the end of that interval (not lost); the timing-only state writes wait for the
 * 10 min bound and then are one write carrying the latest values. */
static void test_attach_storm(void **state)
{
	size_t answered = 1;
	rc_agent_start(&W.a);
	assert_int_equal(sim_answer(&W.s, &W.a, RC_MSG_CLEAR, 1, NULL, 0), RC_OK);
	unsigned w0 = W.s.npersist; /* the start's write */
	assert_int_equal(w0, 1);
	for (int i = 0; i < 8; i++) {
		rc_agent_attach(&W.a);
		advance_answering(2500, &answered);
	}
	assert_int_equal(W.s.nsent, 2); /* boot, one attach */
	assert_int_equal(reason(1), RC_REASON_ATTACH);
	assert_int_equal(W.s.npersist, w0);
	struct rc_agent_status st;
	rc_agent_status(&W.a, &st);
	assert_int_equal(st.next_reason, RC_REASON_ATTACH); /* the coalesced one */
	assert_in_range(st.next_ms, 41 * SEC, 42 * SEC);
	advance_answering(60 * SEC, &answered);
	assert_int_equal(W.s.nsent, 3);
	assert_int_equal(reason(2), RC_REASON_ATTACH);
	assert_int_equal(W.s.sent[2].t - W.s.sent[1].t, 60 * SEC);
	advance_answering(300 * SEC, &answered);
	assert_int_equal(W.s.nsent, 3);
	assert_int_equal(W.s.npersist, w0);
	/* 600 s after the start's write: one write, holding the last answer. */
	sim_advance(&W.s, &W.a, 600 * SEC - W.s.mono);
	assert_int_equal(W.s.npersist, w0 + 1);
	uint8_t blob[RC_AGENT_STATE_MAX];
	size_t len;
	assert_int_equal(rc_agent_state_encode(&W.a, blob, sizeof(blob), &len), RC_OK);
	assert_int_equal(len, W.s.state_len);
	assert_memory_equal(blob, W.s.state, len);
	rc_agent_status(&W.a, &st);
	assert_int_equal(st.c.persists, W.s.npersist);
	assert_int_equal(st.last_answer, FX_NOW + W.s.sent[2].t / 1000);
	sim_advance(&W.s, &W.a, 3600 * SEC);
	assert_int_equal(W.s.npersist, w0 + 1);
}

/* Mode changes are written at once even while a timing write is deferred; rc_agent_flush
 * writes a deferred one; a failing deferred write does not spin. */
static void test_timing_writes(void **state)
{
	rc_agent_start(&W.a);
	assert_int_equal(sim_answer(&W.s, &W.a, RC_MSG_CLEAR, 1, NULL, 0), RC_OK);
	unsigned w = W.s.npersist;
	rc_agent_attach(&W.a);
	sim_advance(&W.s, &W.a, 2000);
	world_notice(&W, NULL, 2);
	assert_int_equal(sim_answer(&W.s, &W.a, RC_MSG_RECALLED, 0, W.blob, W.blob_len), RC_OK);
	assert_true(W.s.q_on);
	assert_int_equal(W.s.npersist, w + 1);
	rc_agent_attach(&W.a);
	sim_advance(&W.s, &W.a, 60 * SEC);
	assert_int_equal(sim_answer(&W.s, &W.a, RC_MSG_CLEAR, 2, NULL, 0), RC_OK);
	assert_false(W.s.q_on);
	assert_int_equal(W.s.npersist, w + 2); /* the release; its timing write is deferred */
	rc_agent_flush(&W.a);
	assert_int_equal(W.s.npersist, w + 3);
	rc_agent_flush(&W.a);
	assert_int_equal(W.s.npersist, w + 3);
	/* A deferred write that fails is retried with the next change, not in a loop. */
	rc_agent_attach(&W.a);
	sim_advance(&W.s, &W.a, 60 * SEC);
	assert_int_equal(sim_answer(&W.s, &W.a, RC_MSG_CLEAR, 3, NULL, 0), RC_OK);
	W.s.persist_fail = -1;
	sim_advance(&W.s, &W.a, 600 * SEC);
	struct rc_agent_status st;
	rc_agent_status(&W.a, &st);
	assert_int_equal(st.c.persist_errors, 1);
	assert_true(rc_agent_timeout_ms(&W.a) > 0);
	W.s.persist_fail = 0;
	rc_agent_attach(&W.a);
	sim_advance(&W.s, &W.a, 2000);
	assert_int_equal(sim_answer(&W.s, &W.a, RC_MSG_CLEAR, 4, NULL, 0), RC_OK);
	assert_int_equal(W.s.npersist, w + 4);
}

/* Loss and delay: the first answers are lost; a late answer to an earlier attempt is still
 * accepted while it is among the last RC_AGENT_OUTSTANDING attempts; older ones are not. */
static void test_loss_and_late_answers(void **state)
{
	struct rc_checkin first;
	rc_agent_start(&W.a);
	assert_int_equal(sim_last_checkin(&W.s, &first), RC_OK);
	struct rc_checkin c1 = first;
	while (W.s.nsent < 3)
		sim_step(&W.s, &W.a);
	uint8_t out[RC_ANSWER_MAX];
	size_t len;
	struct rc_src r0 = sim_responder(0);
	assert_int_equal(fx_answer(out, sizeof(out), &len, RC_MSG_CLEAR, c1.nonce, 5, NULL, 0), 0);
	assert_int_equal(rc_agent_input(&W.a, out, len, &r0), RC_OK);
	/* The answer to the latest attempt, arriving after the earlier one: reordering. */
	assert_int_equal(sim_answer(&W.s, &W.a, RC_MSG_CLEAR, 6, NULL, 0), RC_ERR_NONCE);
	struct rc_agent_status st;
	rc_agent_status(&W.a, &st);
	assert_int_equal(st.state, RC_AGENT_IDLE);
	assert_int_equal(st.feed_serial, 5);

	world_init(&W, 1);
	rc_agent_start(&W.a);
	assert_int_equal(sim_last_checkin(&W.s, &first), RC_OK);
	c1 = first;
	while (W.s.nsent < 1 + RC_AGENT_OUTSTANDING)
		sim_step(&W.s, &W.a);
	assert_int_equal(fx_answer(out, sizeof(out), &len, RC_MSG_CLEAR, c1.nonce, 5, NULL, 0), 0);
	assert_int_equal(rc_agent_input(&W.a, out, len, &r0), RC_ERR_NONCE);
}

/* Two responders: attempts alternate after timeouts; the one that answered is used first. */
static void test_responder_rotation(void **state)
{
	world_init(&W, 2);
	rc_agent_start(&W.a);
	while (W.s.nsent < 4)
		sim_step(&W.s, &W.a);
	for (size_t i = 0; i < 4; i++)
		assert_int_equal(W.s.sent[i].to.addr[3], 1 + i % 2);
	assert_int_equal(sim_answer(&W.s, &W.a, RC_MSG_CLEAR, 1, NULL, 0), RC_OK);
	rc_agent_attach(&W.a);
	sim_advance(&W.s, &W.a, 2000);
	assert_int_equal(W.s.nsent, 5);
	assert_int_equal(W.s.sent[4].to.addr[3], 2);
}

static void test_send_failure(void **state)
{
	W.s.send_fail = -1;
	rc_agent_start(&W.a);
	while (W.s.nsent < 3)
		sim_step(&W.s, &W.a);
	struct rc_agent_status st;
	rc_agent_status(&W.a, &st);
	assert_int_equal(st.c.send_errors, 3);
	assert_int_equal(st.c.checkins, 3);
	/* The network comes up: an attach starts a fresh episode. */
	W.s.send_fail = 0;
	rc_agent_attach(&W.a);
	sim_advance(&W.s, &W.a, 2000);
	assert_int_equal(reason(W.s.nsent - 1), RC_REASON_ATTACH);
	assert_int_equal(sim_answer(&W.s, &W.a, RC_MSG_CLEAR, 1, NULL, 0), RC_OK);
}

/* Least disclosure: no value repeats across check-ins. Every attempt of an episode (the first
 * and each retry) and the next episode carry a fresh nonce. */
static void test_fresh_nonces(void **state)
{
	uint8_t seen[RC_AGENT_RETRIES + 2][RC_NONCE_LEN];
	size_t n = 0;
	rc_agent_start(&W.a);
	for (int steps = 0; steps < 100 && n < RC_AGENT_RETRIES + 2; steps++) {
		struct rc_checkin c;
		assert_int_equal(sim_last_checkin(&W.s, &c), RC_OK);
		if (n == W.s.nsent - 1) {
			for (size_t j = 0; j < n; j++)
				assert_memory_not_equal(seen[j], c.nonce, RC_NONCE_LEN);
			memcpy(seen[n++], c.nonce, RC_NONCE_LEN);
		}
		if (n < RC_AGENT_RETRIES + 2 && sim_step(&W.s, &W.a) == RC_AGENT_NEVER)
			break;
	}
	assert_int_equal(n, RC_AGENT_RETRIES + 2); /* the give-up, then the next episode */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup(test_backoff_bounds, setup),
	    cmocka_unit_test_setup(test_backoff_distribution, setup),
	    cmocka_unit_test_setup(test_periodic_jitter, setup),
	    cmocka_unit_test_setup(test_interval_bounds, setup),
	    cmocka_unit_test_setup(test_retry_later, setup),
	    cmocka_unit_test_setup(test_recheck_jitter, setup),
	    cmocka_unit_test_setup(test_attach_debounce, setup),
	    cmocka_unit_test_setup(test_attach_storm, setup),
	    cmocka_unit_test_setup(test_timing_writes, setup),
	    cmocka_unit_test_setup(test_loss_and_late_answers, setup),
	    cmocka_unit_test_setup(test_responder_rotation, setup),
	    cmocka_unit_test_setup(test_send_failure, setup),
	    cmocka_unit_test_setup(test_fresh_nonces, setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
