/* The trusted clock and the time floor, in the simulated world: a clock stepped back below the
 * floor (build date, a verified notice's issued time, the last trusted reading saved in the
 * state) is not trusted, and a notice that expired at or before the floor never acts, also with
 * a clock the glue calls trusted. An expired held notice is released the moment the clock
 * becomes trusted (rc_agent_clock_changed), not at the next recheck. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "fixtures.h"
#include "sim.h"

#define DAY  86400ull
#define REAL FX_NOW /* the true time of these tests */

static struct world W;

static int setup(void **state)
{
	world_init(&W, 1);
	return 0;
}

/* A genuine notice (k trusted signatures) for this device that expired a year ago. */
static void year_old(struct rc_notice *n)
{
	n->issued = n->not_before = REAL - 400 * DAY;
	n->expiry = REAL - 365 * DAY;
}

/* The world with a build date, re-initialised. */
static void built(uint64_t when)
{
	W.cfg.id.has_build_date = true;
	W.cfg.id.build_date = when;
	assert_int_equal(rc_agent_init(&W.a, &W.cfg, &sim_ops, &W.s), RC_OK);
}

/* Finding 4: the kernel says synchronised (or wall-clock = trusted), but the clock was stepped
 * back 380 days, inside the old notice's validity. The build date (a month ago) is the floor. */
static void test_stepped_back_below_build_date(void **state)
{
	built(REAL - 30 * DAY);
	W.s.wall = REAL - 380 * DAY;
	W.s.trusted = true;
	rc_agent_start(&W.a);
	assert_int_equal(world_notice(&W, year_old, 2), RC_OK);
	assert_int_equal(sim_answer(&W.s, &W.a, RC_MSG_RECALLED, 0, W.blob, W.blob_len),
			 RC_ERR_EXPIRED);
	assert_false(W.s.q_on);
	assert_int_equal(W.s.q_apply, 0);
	struct rc_agent_status st;
	rc_agent_status(&W.a, &st);
	assert_int_equal(st.c.rx_expired, 1);
	assert_false(st.clock_trusted);
	assert_true(st.clock_synced); /* the reason shown: below the floor */
	assert_int_equal(st.time_floor, REAL - 30 * DAY);
}

/* The status says whether the clock is trusted and, when it is not, why (recall-agent status):
 * the glue does not vouch for it, or the reading is below the floor. */
static void test_status_clock(void **state)
{
	struct rc_agent_status st;
	built(REAL - 30 * DAY);
	W.s.wall = REAL;
	W.s.trusted = true;
	rc_agent_status(&W.a, &st);
	assert_true(st.clock_trusted);
	assert_true(st.clock_synced);
	assert_int_equal(st.time_floor, REAL - 30 * DAY);
	W.s.trusted = false;
	rc_agent_status(&W.a, &st);
	assert_false(st.clock_trusted);
	assert_false(st.clock_synced);
	W.s.trusted = true;
	W.s.wall = REAL - 31 * DAY;
	rc_agent_status(&W.a, &st);
	assert_false(st.clock_trusted);
	assert_true(st.clock_synced);
	W.s.wall = REAL - 30 * DAY; /* at the floor: trusted */
	rc_agent_status(&W.a, &st);
	assert_true(st.clock_trusted);
}

/* The same without a build date: the floor is the last trusted time saved in the state by an
 * earlier run (piggy-backed on the clear answer's deferred write, no write of its own). */
static void test_stepped_back_below_saved_floor(void **state)
{
	rc_agent_start(&W.a);
	sim_advance(&W.s, &W.a, 5000);
	unsigned writes = W.s.npersist;
	assert_int_equal(sim_answer(&W.s, &W.a, RC_MSG_CLEAR, 1, NULL, 0), RC_OK);
	/* A clear answer changes only timing fields: its write is deferred (timing-write-interval)
	 * and done at the latest when the daemon stops. */
	rc_agent_flush(&W.a);
	assert_int_equal(W.s.npersist, writes + 1);
	uint8_t blob[RC_AGENT_STATE_MAX];
	size_t len = W.s.state_len;
	memcpy(blob, W.s.state, len);
	world_init(&W, 1);
	W.s.wall = REAL - 380 * DAY; /* rebooted with the clock stepped back, "synchronised" */
	assert_int_equal(rc_agent_restore(&W.a, blob, len), RC_OK);
	assert_int_equal(W.a.floor, REAL + 5);
	rc_agent_start(&W.a);
	assert_int_equal(world_notice(&W, year_old, 2), RC_OK);
	assert_int_equal(sim_answer(&W.s, &W.a, RC_MSG_RECALLED, 0, W.blob, W.blob_len),
			 RC_ERR_EXPIRED);
	assert_false(W.s.q_on);
	/* A notice valid now (by the floor) still acts with the untrusted clock. */
	assert_int_equal(world_notice(&W, NULL, 2), RC_OK);
	assert_int_equal(sim_answer(&W.s, &W.a, RC_MSG_RECALLED, 0, W.blob, W.blob_len), RC_OK);
	assert_true(W.s.q_on);
}

static void other_model(struct rc_notice *n)
{
	n->target.model = rc_str_c("cam-2");
	n->issued = REAL;
}

/* No build date, no state, the clock not synchronised: a verified notice (even one for another
 * device) proves the time is past its issued time; a notice that expired before that is refused
 * although the clock cannot be judged. */
static void test_floor_from_issued(void **state)
{
	W.s.trusted = false;
	W.s.wall = REAL - 380 * DAY;
	rc_agent_start(&W.a);
	assert_int_equal(world_notice(&W, other_model, 2), RC_OK);
	assert_int_equal(sim_answer(&W.s, &W.a, RC_MSG_RECALLED, 0, W.blob, W.blob_len),
			 RC_ERR_NOTCOVERED);
	assert_int_equal(W.a.floor, REAL);
	assert_int_equal(world_notice(&W, year_old, 2), RC_OK);
	assert_int_equal(sim_answer(&W.s, &W.a, RC_MSG_RECALLED, 0, W.blob, W.blob_len),
			 RC_ERR_EXPIRED);
	assert_false(W.s.q_on);
	/* A forgery's issued time moves nothing. */
	assert_int_equal(world_notice(&W, NULL, 2), RC_OK);
	W.a.floor = 0;
	assert_int_equal(world_forge(&W), 0);
	assert_int_not_equal(sim_answer(&W.s, &W.a, RC_MSG_RECALLED, 0, W.blob, W.blob_len), RC_OK);
	assert_int_equal(W.a.floor, 0);
}

/* The floor only moves forward: a trusted reading raises it, a lower saved floor or a lower
 * reading never lowers it, and it is saved only with writes that happen anyway. */
static void test_floor_monotonic(void **state)
{
	built(REAL - 10 * DAY);
	assert_int_equal(W.a.floor, REAL - 10 * DAY);
	rc_agent_start(&W.a);
	assert_int_equal(W.a.floor, REAL); /* raised by the start's reading */
	unsigned writes = W.s.npersist;
	sim_advance(&W.s, &W.a, 10000);
	rc_agent_clock_changed(&W.a);
	assert_int_equal(W.a.floor, REAL + 10);
	assert_int_equal(W.s.npersist, writes); /* no write of its own */
	W.s.wall -= 100;                        /* stepped back a little */
	rc_agent_clock_changed(&W.a);
	assert_int_equal(W.a.floor, REAL + 10);
	struct rc_agent_status st;
	rc_agent_status(&W.a, &st);
	assert_false(st.clock_trusted);
	W.s.wall += 100;
	/* Saved with the next write (the clear answer's, deferred to the stop). */
	assert_int_equal(sim_answer(&W.s, &W.a, RC_MSG_CLEAR, 1, NULL, 0), RC_OK);
	rc_agent_flush(&W.a);
	uint8_t blob[RC_AGENT_STATE_MAX];
	size_t len = W.s.state_len;
	memcpy(blob, W.s.state, len);
	/* A later firmware with a newer build date than the saved floor: the build date wins. */
	world_init(&W, 1);
	built(REAL + 100 * DAY);
	assert_int_equal(rc_agent_restore(&W.a, blob, len), RC_OK);
	assert_int_equal(W.a.floor, REAL + 100 * DAY);
	/* An older one: the saved floor wins. */
	world_init(&W, 1);
	built(REAL - 100 * DAY);
	assert_int_equal(rc_agent_restore(&W.a, blob, len), RC_OK);
	assert_int_equal(W.a.floor, REAL + 10);
}

/* Held with an untrusted clock, the notice expired meanwhile: released the moment the clock
 * becomes trusted, without waiting for the recheck. */
static void expired_yesterday(struct rc_notice *n)
{
	n->issued = n->not_before = REAL - 30 * DAY;
	n->expiry = REAL - DAY;
}

static void test_release_when_clock_trusted(void **state)
{
	W.s.trusted = false;
	rc_agent_start(&W.a);
	assert_false(rc_agent_clock_wait(&W.a));
	assert_int_equal(world_notice(&W, expired_yesterday, 2), RC_OK);
	assert_int_equal(sim_answer(&W.s, &W.a, RC_MSG_RECALLED, 0, W.blob, W.blob_len), RC_OK);
	assert_true(W.s.q_on);
	assert_true(rc_agent_clock_wait(&W.a));
	assert_true(rc_agent_timeout_ms(&W.a) > 1000);
	sim_advance(&W.s, &W.a, 1000);
	assert_true(W.s.q_on);
	/* NTP synchronised: the glue calls rc_agent_clock_changed; no time passes. */
	W.s.trusted = true;
	uint64_t mono = W.s.mono;
	rc_agent_clock_changed(&W.a);
	assert_int_equal(W.s.mono, mono);
	assert_false(W.s.q_on);
	assert_int_equal(sim_last_event(&W.s), RC_AGENT_EV_RELEASED_EXPIRED);
	assert_false(rc_agent_clock_wait(&W.a));
}

/* The clock was trusted but a year behind (no floor knew better); a step forward (NTP) is
 * reported by the glue and releases at once. */
static void test_release_on_clock_step(void **state)
{
	W.s.wall = REAL - 380 * DAY;
	rc_agent_start(&W.a);
	assert_int_equal(world_notice(&W, year_old, 2), RC_OK);
	assert_int_equal(sim_answer(&W.s, &W.a, RC_MSG_RECALLED, 0, W.blob, W.blob_len), RC_OK);
	assert_true(W.s.q_on);
	assert_false(rc_agent_clock_wait(&W.a));
	W.s.wall = REAL; /* stepped */
	rc_agent_clock_changed(&W.a);
	assert_false(W.s.q_on);
	assert_int_equal(sim_last_event(&W.s), RC_AGENT_EV_RELEASED_EXPIRED);
	/* And stepping it back again does not bring the notice back. */
	W.s.wall = REAL - 380 * DAY;
	rc_agent_attach(&W.a);
	sim_advance(&W.s, &W.a, RC_AGENT_DEBOUNCE_MS);
	assert_int_equal(sim_answer(&W.s, &W.a, RC_MSG_RECALLED, 0, W.blob, W.blob_len),
			 RC_ERR_EXPIRED);
	assert_false(W.s.q_on);
}

/* Held with an untrusted clock; a verified notice for another device proves the time is past
 * the held notice's expiry: released at the next tick, the clock still untrusted. */
static void test_floor_passes_held_expiry(void **state)
{
	W.s.trusted = false;
	rc_agent_start(&W.a);
	assert_int_equal(world_notice(&W, expired_yesterday, 2), RC_OK);
	assert_int_equal(sim_answer(&W.s, &W.a, RC_MSG_RECALLED, 0, W.blob, W.blob_len), RC_OK);
	assert_true(W.s.q_on);
	rc_agent_attach(&W.a);
	sim_advance(&W.s, &W.a, RC_AGENT_DEBOUNCE_MS);
	assert_int_equal(world_notice(&W, other_model, 2), RC_OK);
	assert_int_equal(sim_answer(&W.s, &W.a, RC_MSG_RECALLED, 0, W.blob, W.blob_len),
			 RC_ERR_NOTCOVERED);
	assert_int_equal(rc_agent_timeout_ms(&W.a), 0);
	rc_agent_tick(&W.a);
	assert_false(W.s.q_on);
	assert_int_equal(sim_last_event(&W.s), RC_AGENT_EV_RELEASED_EXPIRED);
	/* Saved: a restart (clock still untrusted) does not bring it back. */
	uint8_t blob[RC_AGENT_STATE_MAX];
	size_t len = W.s.state_len;
	memcpy(blob, W.s.state, len);
	world_init(&W, 1);
	W.s.trusted = false;
	assert_int_equal(rc_agent_restore(&W.a, blob, len), RC_OK);
	assert_int_equal(W.a.floor, REAL);
	rc_agent_start(&W.a);
	assert_int_equal(world_notice(&W, expired_yesterday, 2), RC_OK);
	assert_int_equal(sim_answer(&W.s, &W.a, RC_MSG_RECALLED, 0, W.blob, W.blob_len),
			 RC_ERR_EXPIRED);
	assert_false(W.s.q_on);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup(test_stepped_back_below_build_date, setup),
	    cmocka_unit_test_setup(test_status_clock, setup),
	    cmocka_unit_test_setup(test_stepped_back_below_saved_floor, setup),
	    cmocka_unit_test_setup(test_floor_from_issued, setup),
	    cmocka_unit_test_setup(test_floor_monotonic, setup),
	    cmocka_unit_test_setup(test_release_when_clock_trusted, setup),
	    cmocka_unit_test_setup(test_release_on_clock_step, setup),
	    cmocka_unit_test_setup(test_floor_passes_held_expiry, setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
