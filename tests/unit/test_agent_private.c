/* The agent core in private mode (docs/PROTOCOL.md 18.4) against a simulated responder built
 * on rc_private_table (agent_private_fx.h): the same recall decisions as normal mode over the
 * whole private-mode catalogue (tests/helpers/privcat.h), no identity on the wire, and the
 * walk's decisions: notices none of which covers, the second covering, a paged bucket, a late
 * answer to an earlier step, a feed change between bucket and request, a bucket releasing a
 * quarantine as clear does. Answers that must be ignored and timers: test_agent_private_wire. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "agent_private_fx.h"

static void test_same_decisions(void **state)
{
	(void)state;
	int recalled = 0;
	size_t rt_clear = 0, nclear = 0;
	for (size_t i = 0; i < PRIVCAT_IDENTITIES; i++) {
		char normal[80], priv[80], want[80];
		struct rc_identity id;
		privcat_identity(i, &id);
		/* What a responder answers a normal check-in (section 13). */
		const uint8_t *np;
		size_t nl;
		struct rc_notice n;
		snprintf(want, sizeof(want), "idle -");
		if (rc_feed_lookup_at(&C.feed, &id, NOW, &np, &nl, &n)) {
			snprintf(want, sizeof(want), "%s %.*s",
				 n.action == RC_ACTION_QUARANTINE ? "quarantined" : "notified",
				 (int)n.id.n, n.id.p);
			recalled++;
		}
		start(i, false, 1, 0);
		assert_int_equal(run(&T), 1);
		decision(normal, sizeof(normal));
		start(i, true, 1, 0);
		size_t rt = run(&T);
		decision(priv, sizeof(priv));
		if (strcmp(priv, normal) != 0 || strcmp(priv, want) != 0)
			fail_msg("identity %zu (%.*s %.*s %.*s): normal %s, private %s, feed %s", i,
				 (int)id.vendor.n, id.vendor.p, (int)id.model.n, id.model.p,
				 (int)id.fwver.n, id.fwver.p, normal, priv, want);
		if (strcmp(priv, "idle -") == 0) {
			rt_clear += rt;
			nclear++;
		}
	}
	assert_int_equal(recalled, PRIVCAT_RECALLED);
	print_message("%zu clear identities: %zu datagrams in private mode\n", nclear, rt_clear);
}

/* The datagrams the agent sent carry no identity: neither names nor version. */
static void test_no_identity_on_the_wire(void **state)
{
	(void)state;
	start(id_of(1, V15), true, 1, 0);
	run(&T);
	assert_int_equal(W.s.nsent, 3);
	for (size_t k = 0; k < W.s.nsent; k++) {
		const struct sim_dgram *d = &W.s.sent[k];
		assert_int_equal(d->len, RC_CHECKIN_SIZE);
		assert_null(memmem(d->buf, d->len, "acme", 4));
		assert_null(memmem(d->buf, d->len, "1.5", 3));
		assert_null(memmem(d->buf, d->len, "cam", 3));
	}
}

/* m1 has two notices: 1.0 exactly (quarantine) and [1.0, 2.0) (notify). */
static void test_none_covers_is_clear(void **state)
{
	(void)state;
	start(id_of(1, V09), true, 1, 0);
	assert_int_equal(last_type(), RC_MSG_PRIVATE);
	assert_int_equal(run(&T), 3); /* private check-in, notice 0, notice 1 */
	struct rc_agent_status st;
	rc_agent_status(&W.a, &st);
	assert_int_equal(st.state, RC_AGENT_IDLE);
	assert_int_equal(st.c.clear, 1);
	assert_int_equal(st.c.buckets, 1);
	assert_int_equal(st.c.notice_requests, 2);
	assert_int_equal(st.c.rx_invalid, 0);
	assert_int_equal(st.feed_serial, PRIVCAT_SERIAL);
	assert_int_equal(st.next_reason, RC_REASON_PERIODIC);
	assert_int_equal(W.s.q_apply, 0);
}

static void test_second_notice_covers(void **state)
{
	(void)state;
	start(id_of(1, V15), true, 1, 0);
	assert_int_equal(run(&T), 3);
	struct rc_notice_request q;
	const struct sim_dgram *d = sim_last(&W.s);
	assert_int_equal(rc_notice_request_decode(&q, d->buf, d->len, NULL), RC_OK);
	assert_int_equal(q.index, 1);
	assert_memory_equal(q.tag, W.a.ptag, RC_PRIVATE_TAG_LEN);
	struct rc_agent_status st;
	rc_agent_status(&W.a, &st);
	assert_int_equal(st.state, RC_AGENT_NOTIFIED);
	assert_string_equal(st.notice_id, "N-5");
	assert_int_equal(st.c.recalled, 1);
	/* The first covers 1.0: one request. */
	start(id_of(1, V10), true, 1, 0);
	assert_int_equal(run(&T), 2);
	rc_agent_status(&W.a, &st);
	assert_int_equal(st.state, RC_AGENT_QUARANTINED);
	assert_string_equal(st.notice_id, "N-4");
	assert_true(W.s.q_on);
}

/* A model on the second page of the catalogue's two-page bucket, and one not listed at all. */
static void test_paged_bucket(void **state)
{
	(void)state;
	int m = paged_second_page_model();
	start(id_of(m, V10), true, 1, 0);
	assert_int_equal(run(&T), 3); /* page 0, page 1, notice 0 */
	struct rc_private_checkin pc;
	assert_int_equal(rc_private_checkin_decode(&pc, W.s.sent[1].buf, RC_CHECKIN_SIZE, NULL),
			 RC_OK);
	assert_int_equal(pc.page, 1);
	assert_int_equal(pc.prefix, C.paged_prefix);
	struct rc_agent_status st;
	rc_agent_status(&W.a, &st);
	assert_int_equal(st.state, RC_AGENT_QUARANTINED);
	assert_int_equal(st.c.buckets, 2);
	/* The model under that prefix without notices: both pages, then clear. */
	start(id_of(PRIVCAT_MODELS + PRIVCAT_PAGED, V10), true, 1, 0);
	assert_int_equal(W.a.pprefix, C.paged_prefix);
	assert_int_equal(run(&T), 2);
	rc_agent_status(&W.a, &st);
	assert_int_equal(st.state, RC_AGENT_IDLE);
	assert_int_equal(st.c.clear, 1);
}

/* A late answer to a retry of an earlier step is no answer to the current one: page 0's bucket
 * answering the page-0 retry after page 1 was asked for must not end the walk as clear. */
static void test_late_answer_of_earlier_step(void **state)
{
	(void)state;
	int m = paged_second_page_model();
	start(id_of(m, V10), true, 1, 0);
	uint8_t first[RC_NONCE_LEN], retry[RC_NONCE_LEN];
	last_nonce(first);
	while (W.s.nsent == 1)
		sim_step(&W.s, &W.a);
	last_nonce(retry);
	assert_int_equal(bucket(&T, first, C.paged_prefix, 0), RC_OK);
	struct rc_private_checkin pc;
	assert_int_equal(rc_private_checkin_decode(&pc, sim_last(&W.s)->buf, RC_CHECKIN_SIZE, NULL),
			 RC_OK);
	assert_int_equal(pc.page, 1);
	assert_int_equal(bucket(&T, retry, C.paged_prefix, 0), RC_ERR_NONCE);
	struct rc_agent_status st;
	rc_agent_status(&W.a, &st);
	assert_int_equal(st.c.clear, 0);
	assert_int_equal(st.state, RC_AGENT_WAIT);
	assert_int_equal(run(&T), 4); /* page 0 twice, page 1, notice 0 */
	rc_agent_status(&W.a, &st);
	assert_int_equal(st.state, RC_AGENT_QUARANTINED);
}

/* The feed changed between the bucket and the notice request: the notice is gone, clear. */
static void test_feed_change_is_clear(void **state)
{
	(void)state;
	start(id_of(1, V10), true, 1, 0);
	assert_int_equal(respond(&T), RC_OK); /* bucket: m1 listed */
	assert_int_equal(last_type(), RC_MSG_NOTICE_REQUEST);
	assert_int_equal(respond(&T_empty), RC_OK);
	struct rc_agent_status st;
	rc_agent_status(&W.a, &st);
	assert_int_equal(st.state, RC_AGENT_IDLE);
	assert_int_equal(st.c.clear, 1);
	assert_int_equal(W.s.q_apply, 0);
}

/* A bucket that does not list the model releases a held quarantine, as a clear does. */
static void test_bucket_releases_like_clear(void **state)
{
	(void)state;
	start(id_of(1, V10), true, 1, 0);
	run(&T);
	assert_true(W.s.q_on);
	size_t n = W.s.nsent;
	while (W.s.nsent == n) /* the hourly recheck */
		sim_step(&W.s, &W.a);
	struct rc_private_checkin pc;
	assert_int_equal(rc_private_checkin_decode(&pc, sim_last(&W.s)->buf, RC_CHECKIN_SIZE, NULL),
			 RC_OK);
	assert_int_equal(pc.reason, RC_REASON_RECHECK);
	assert_int_equal(pc.state, RC_STATE_QUARANTINED);
	assert_int_equal(run(&T_empty), n + 1);
	assert_false(W.s.q_on);
	assert_int_equal(sim_last_event(&W.s), RC_AGENT_EV_RELEASED_CLEAR);
	struct rc_agent_status st;
	rc_agent_status(&W.a, &st);
	assert_int_equal(st.state, RC_AGENT_IDLE);
	assert_int_equal(st.next_reason, RC_REASON_PERIODIC);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_same_decisions),
	    cmocka_unit_test(test_no_identity_on_the_wire),
	    cmocka_unit_test(test_none_covers_is_clear),
	    cmocka_unit_test(test_second_notice_covers),
	    cmocka_unit_test(test_paged_bucket),
	    cmocka_unit_test(test_late_answer_of_earlier_step),
	    cmocka_unit_test(test_feed_change_is_clear),
	    cmocka_unit_test(test_bucket_releases_like_clear),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
