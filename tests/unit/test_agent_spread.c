/* The start spread (docs/PROTOCOL.md 12.2, 12.4): the boot check-in waits a random time in
 * [0, spread], an attach check-in as much on top of its debounce; the saved quarantine is back
 * before the wait. And the core's timer draws as functions (rc_agent_retry_ms, _later_ms,
 * _spread_ms): their bounds, and that the core draws through them (bench/storm relies on it). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "fixtures.h"
#include "sim.h"

#define SEC 1000ull

static struct world W;

/* A world whose agent has a start spread of ms (sim_config sets none). */
static void spread_world(uint32_t ms, uint64_t seed)
{
	world_init(&W, 1);
	W.cfg.start_spread_ms = ms;
	W.s.rng = seed;
	assert_int_equal(rc_agent_init(&W.a, &W.cfg, &sim_ops, &W.s), RC_OK);
}

/* The next 8 random bytes the sim would hand out, as the core reads them (big-endian). */
static uint64_t peek_rand64(const struct sim *s)
{
	struct sim copy = *s;
	uint8_t b[8];
	uint64_t r = 0;
	sim_ops.random(&copy, b, sizeof(b));
	for (int i = 0; i < 8; i++)
		r = (r << 8) | b[i];
	return r;
}

static uint8_t last_reason(void)
{
	struct rc_checkin c;
	assert_int_equal(sim_last_checkin(&W.s, &c), RC_OK);
	return c.reason;
}

/* Nothing is sent at start; the boot check-in goes at the drawn time, within the spread, and
 * the times differ from device to device. */
static void test_boot_spread(void **state)
{
	(void)state;
	uint64_t lo = UINT64_MAX, hi = 0;
	for (uint64_t seed = 1; seed <= 200; seed++) {
		spread_world(60000, seed);
		uint64_t want = rc_agent_spread_ms(&W.a.cfg, peek_rand64(&W.s));
		assert_int_equal(rc_agent_start(&W.a), RC_OK);
		assert_int_equal(W.s.nsent, 0);
		struct rc_agent_status st;
		rc_agent_status(&W.a, &st);
		assert_int_equal(st.state, RC_AGENT_WAIT);
		assert_int_equal(st.next_reason, RC_REASON_BOOT);
		assert_int_equal(st.next_ms, want);
		uint64_t t = sim_step(&W.s, &W.a);
		if (want == 0)
			t = 0; /* due at once: tick without advancing */
		assert_int_equal(W.s.nsent, 1);
		assert_int_equal(t, want);
		assert_int_equal(last_reason(), RC_REASON_BOOT);
		assert_in_range(t, 0, 60000);
		lo = t < lo ? t : lo;
		hi = t > hi ? t : hi;
		/* answered: the episode ends as any boot episode does */
		assert_int_equal(sim_answer(&W.s, &W.a, RC_MSG_CLEAR, 7, NULL, 0), RC_OK);
		rc_agent_status(&W.a, &st);
		assert_int_equal(st.state, RC_AGENT_IDLE);
		assert_int_equal(st.next_reason, RC_REASON_PERIODIC);
	}
	assert_true(lo < 6000 && hi > 54000); /* 200 draws cover the spread */
}

/* Spread 0 (what sim_config sets): the boot check-in leaves inside rc_agent_start, and no
 * random number is drawn for it. */
static void test_no_spread(void **state)
{
	(void)state;
	spread_world(0, 5);
	uint64_t rng = W.s.rng;
	assert_int_equal(rc_agent_start(&W.a), RC_OK);
	assert_int_equal(W.s.nsent, 1);
	assert_int_equal(last_reason(), RC_REASON_BOOT);
	struct sim copy;
	sim_init(&copy, FX_NOW, 5);
	copy.rng = rng;
	uint8_t nonce[RC_NONCE_LEN];
	sim_ops.random(&copy, nonce, sizeof(nonce)); /* the only draw: the nonce */
	assert_int_equal(copy.rng, W.s.rng);
	/* the daemon's bound: over 10 min is clamped */
	spread_world(3600000, 1);
	assert_int_equal(W.a.cfg.start_spread_ms, RC_AGENT_START_SPREAD_MAX_MS);
	struct rc_agent_config def;
	rc_agent_config_default(&def);
	assert_int_equal(def.start_spread_ms, RC_AGENT_START_SPREAD_MS);
}

/* A saved quarantine is re-applied at start, before the delayed boot check-in. */
static void test_quarantine_before_wait(void **state)
{
	(void)state;
	spread_world(0, 1);
	assert_int_equal(world_notice(&W, NULL, 2), RC_OK);
	assert_int_equal(rc_agent_start(&W.a), RC_OK);
	assert_int_equal(sim_answer(&W.s, &W.a, RC_MSG_RECALLED, 0, W.blob, W.blob_len), RC_OK);
	assert_true(W.s.q_on);
	uint8_t saved[RC_AGENT_STATE_MAX];
	size_t len = W.s.state_len;
	memcpy(saved, W.s.state, len);
	spread_world(60000, 9);
	assert_int_equal(rc_agent_restore(&W.a, saved, len), RC_OK);
	assert_int_equal(rc_agent_start(&W.a), RC_OK);
	assert_true(W.s.q_on);
	assert_int_equal(W.s.nsent, 0);
	assert_null(strchr(W.s.trace, 'S'));
	assert_non_null(strchr(W.s.trace, 'Q'));
	assert_in_range(sim_step(&W.s, &W.a), 0, 60 * SEC);
	assert_int_equal(W.s.nsent, 1);
	struct rc_checkin c;
	assert_int_equal(sim_last_checkin(&W.s, &c), RC_OK);
	assert_int_equal(c.reason, RC_REASON_BOOT);
	assert_int_equal(c.state, RC_STATE_QUARANTINED);
}

/* An attach fires after its debounce plus a drawn part of the spread; an attach during the
 * boot wait replaces the boot check-in (one check-in, not two). */
static void test_attach_spread(void **state)
{
	(void)state;
	for (uint64_t seed = 1; seed <= 20; seed++) {
		spread_world(60000, seed);
		assert_int_equal(rc_agent_start(&W.a), RC_OK);
		uint64_t boot = rc_agent_timeout_ms(&W.a);
		uint64_t want = 2000 + rc_agent_spread_ms(&W.a.cfg, peek_rand64(&W.s));
		rc_agent_attach(&W.a);
		uint64_t first = want < boot ? want : boot;
		assert_int_equal(rc_agent_timeout_ms(&W.a), first);
		sim_step(&W.s, &W.a);
		assert_int_equal(W.s.nsent, 1);
		assert_int_equal(W.s.sent[0].t, first);
		assert_int_equal(last_reason(), want < boot ? RC_REASON_ATTACH : RC_REASON_BOOT);
		/* the attach episode took the boot wait's place: only its answer deadline is left
		 */
		if (want < boot)
			assert_int_equal(rc_agent_timeout_ms(&W.a), W.a.cfg.timeout_ms);
	}
}

/* The draws: bounds of each function, and that the core's waits are these functions of the
 * random value it drew. */
static void test_draw_functions(void **state)
{
	(void)state;
	world_init(&W, 1);
	const struct rc_agent_config *c = &W.a.cfg;
	assert_int_equal(rc_agent_retry_ms(c, 1, 0), 0);
	assert_int_equal(rc_agent_retry_ms(c, 1, 30000), 30000);
	assert_int_equal(rc_agent_retry_ms(c, 1, 30001), 0);
	assert_int_equal(rc_agent_retry_ms(c, 2, 60000), 60000);
	assert_int_equal(rc_agent_retry_ms(c, 11, UINT64_MAX), UINT64_MAX % 21600001u);
	assert_int_equal(rc_agent_retry_ms(c, 40, 21600000), 21600000); /* capped, no overflow */
	assert_int_equal(rc_agent_later_ms(1, 0), 60000);
	assert_int_equal(rc_agent_later_ms(100, 50000), 150000);
	assert_int_equal(rc_agent_later_ms(100, 50001), 100000);
	assert_int_equal(rc_agent_later_ms(200000, 0), 86400000);
	assert_int_equal(rc_agent_spread_ms(c, 12345), 0); /* sim_config: no spread */

	/* timeout of attempt 1: the retry waits rc_agent_retry_ms(cfg, 1, next draw) */
	assert_int_equal(rc_agent_start(&W.a), RC_OK);
	sim_advance(&W.s, &W.a, 3 * SEC - 1);
	uint64_t want = rc_agent_retry_ms(c, 1, peek_rand64(&W.s));
	sim_advance(&W.s, &W.a, 1);
	assert_int_equal(rc_agent_timeout_ms(&W.a), want);
	/* retry-later 100 s: the wait is rc_agent_later_ms(100, next draw) */
	sim_advance(&W.s, &W.a, want);
	assert_int_equal(W.s.nsent, 2);
	want = rc_agent_later_ms(100, peek_rand64(&W.s));
	assert_int_equal(sim_answer(&W.s, &W.a, RC_MSG_RETRY, 100, NULL, 0), RC_OK);
	assert_int_equal(rc_agent_timeout_ms(&W.a), want);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_boot_spread),
	    cmocka_unit_test(test_no_spread),
	    cmocka_unit_test(test_quarantine_before_wait),
	    cmocka_unit_test(test_attach_spread),
	    cmocka_unit_test(test_draw_functions),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
