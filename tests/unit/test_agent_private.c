/* The agent core in private mode (docs/PROTOCOL.md 18.4) against a simulated responder built
 * on rc_private_table: the same recall decisions as normal mode over the whole private-mode
 * catalogue (tests/helpers/privcat.h), and the walk's rules one by one: notices none of which
 * covers, the second covering, a paged bucket, a feed change between bucket and request,
 * forged and unsigned notices, wrong nonces, answer types that do not fit, retries. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "fixtures.h"
#include "logfix.h"
#include "privcat.h"
#include "recall/tlog.h"
#include "sim.h"

#define NOW FX_NOW
#define V09 0 /* privcat version indexes */
#define V10 1
#define V15 2

static struct world W;
static struct privcat C;
static struct rc_private_row rows[PRIVCAT_NOTICES], rows_empty[PRIVCAT_NOTICES];
static struct rc_private_table T, T_empty; /* the catalogue; the feed without any notice */

static bool keep_none(const struct rc_notice *n, void *arg)
{
	(void)n;
	(void)arg;
	return false;
}

static int group_setup(void **state)
{
	(void)state;
	world_init(&W, 1); /* its keys sign the catalogue's notices (k = 2) */
	if (privcat_build(&C, W.keys, 2, NOW) != RC_OK)
		return -1;
	if (rc_private_table_build(&T, &C.feed, rows, PRIVCAT_NOTICES, NOW, NULL, NULL) ||
	    rc_private_table_build(&T_empty, &C.feed, rows_empty, PRIVCAT_NOTICES, NOW, keep_none,
				   NULL))
		return -1;
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	privcat_free(&C);
	return 0;
}

/* A started agent for catalogue identity i, in private or normal mode. */
static void start(size_t i, bool priv, size_t nresp, uint32_t retries)
{
	world_init(&W, nresp);
	privcat_identity(i, &W.cfg.id);
	W.cfg.private_mode = priv;
	W.cfg.retries = retries;
	W.cfg.recheck_s = 60; /* a recheck before the catalogue's notices expire */
	assert_int_equal(rc_agent_init(&W.a, &W.cfg, &sim_ops, &W.s), RC_OK);
	assert_int_equal(rc_agent_start(&W.a), RC_OK);
}

static size_t id_of(int model, int version)
{
	return (size_t)model * PRIVCAT_VERSIONS + (size_t)version;
}

static int last_type(void)
{
	const struct sim_dgram *d = sim_last(&W.s);
	return d ? rc_msg_peek_type(d->buf, d->len) : -1;
}

/* The nonce of the last datagram, whatever its type. */
static void last_nonce(uint8_t nonce[RC_NONCE_LEN])
{
	const struct sim_dgram *d = sim_last(&W.s);
	struct rc_checkin c;
	struct rc_private_checkin pc;
	struct rc_notice_request q;
	switch (last_type()) {
	case RC_MSG_CHECKIN:
		assert_int_equal(rc_checkin_decode(&c, d->buf, d->len, NULL), RC_OK);
		memcpy(nonce, c.nonce, RC_NONCE_LEN);
		break;
	case RC_MSG_PRIVATE:
		assert_int_equal(rc_private_checkin_decode(&pc, d->buf, d->len, NULL), RC_OK);
		memcpy(nonce, pc.nonce, RC_NONCE_LEN);
		break;
	case RC_MSG_NOTICE_REQUEST:
		assert_int_equal(rc_notice_request_decode(&q, d->buf, d->len, NULL), RC_OK);
		memcpy(nonce, q.nonce, RC_NONCE_LEN);
		break;
	default:
		fail_msg("last datagram of type %d", last_type());
	}
}

static int deliver(const uint8_t *out, size_t len)
{
	return rc_agent_input(&W.a, out, len, &sim_last(&W.s)->to);
}

/* An answer of type t (fx_answer) with nonce. */
static int answer(uint8_t t, const uint8_t nonce[RC_NONCE_LEN], uint64_t arg, const uint8_t *blob,
		  size_t blob_len)
{
	uint8_t out[RC_ANSWER_MAX];
	size_t len;
	assert_int_equal(fx_answer(out, sizeof(out), &len, t, nonce, arg, blob, blob_len), RC_OK);
	return deliver(out, len);
}

/* Page page of prefix's bucket in t, with nonce. */
static int bucket(const struct rc_private_table *t, const uint8_t nonce[RC_NONCE_LEN],
		  uint16_t prefix, uint8_t page)
{
	uint8_t ebuf[RC_BUCKET_ENTRIES_MAX * RC_BUCKET_ENTRY_LEN], out[RC_ANSWER_MAX];
	struct rc_bucket b = {.serial = PRIVCAT_SERIAL};
	size_t len;
	assert_int_equal(rc_private_table_bucket(t, prefix, page, ebuf, &b), RC_OK);
	memcpy(b.nonce, nonce, RC_NONCE_LEN);
	assert_int_equal(rc_bucket_encode(&b, out, sizeof(out), &len), RC_OK);
	return deliver(out, len);
}

/* The responder: what it answers to the last datagram, from t (normal check-ins: the
 * catalogue's feed, as recalld looks them up). */
static int respond(const struct rc_private_table *t)
{
	const struct sim_dgram *d = sim_last(&W.s);
	struct rc_checkin c;
	struct rc_private_checkin pc;
	struct rc_notice_request q;
	const uint8_t *np;
	size_t nl;
	switch (last_type()) {
	case RC_MSG_CHECKIN:
		assert_int_equal(rc_checkin_decode(&c, d->buf, d->len, NULL), RC_OK);
		if (rc_feed_lookup_at(&C.feed, &c.id, NOW, &np, &nl, NULL))
			return answer(RC_MSG_RECALLED, c.nonce, 0, np, nl);
		return answer(RC_MSG_CLEAR, c.nonce, PRIVCAT_SERIAL, NULL, 0);
	case RC_MSG_PRIVATE:
		assert_int_equal(rc_private_checkin_decode(&pc, d->buf, d->len, NULL), RC_OK);
		return bucket(t, pc.nonce, pc.prefix, pc.page);
	case RC_MSG_NOTICE_REQUEST:
		assert_int_equal(rc_notice_request_decode(&q, d->buf, d->len, NULL), RC_OK);
		if (rc_private_table_notice(t, q.tag, q.index, &np, &nl))
			return answer(RC_MSG_RECALLED, q.nonce, 0, np, nl);
		return answer(RC_MSG_CLEAR, q.nonce, PRIVCAT_SERIAL, NULL, 0);
	default:
		fail_msg("last datagram of type %d", last_type());
	}
	return RC_ERR_INVALID;
}

static bool waiting(void)
{
	struct rc_agent_status st;
	rc_agent_status(&W.a, &st);
	return W.a.waiting;
}

/* Answer from t until the episode is over; the datagrams the device sent since it started. */
static size_t run(const struct rc_private_table *t)
{
	for (int k = 0; k < 40 && waiting(); k++)
		assert_int_equal(respond(t), RC_OK);
	assert_false(waiting());
	return W.s.nsent;
}

/* The decision: "clear", or state and notice id. */
static void decision(char *out, size_t cap)
{
	struct rc_agent_status st;
	rc_agent_status(&W.a, &st);
	snprintf(out, cap, "%s %s", rc_agent_state_name(st.state),
		 st.has_notice ? st.notice_id : "-");
}

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

/* A model of the catalogue listed on the second page of its two-page bucket. */
static int paged_second_page_model(void)
{
	uint8_t ebuf[RC_BUCKET_ENTRIES_MAX * RC_BUCKET_ENTRY_LEN], tag[RC_PRIVATE_TAG_LEN];
	struct rc_bucket b;
	assert_int_equal(rc_private_table_bucket(&T, C.paged_prefix, 1, ebuf, &b), RC_OK);
	for (int k = PRIVCAT_MODELS; k < PRIVCAT_MODELS + PRIVCAT_PAGED; k++) {
		struct rc_identity id;
		uint16_t p;
		privcat_identity(id_of(k, V10), &id);
		rc_private_hash(id.vendor, id.model, tag, &p);
		if (rc_bucket_find(&b, tag))
			return k;
	}
	fail_msg("no model on page 1");
	return -1;
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
	    cmocka_unit_test(test_same_decisions),
	    cmocka_unit_test(test_no_identity_on_the_wire),
	    cmocka_unit_test(test_none_covers_is_clear),
	    cmocka_unit_test(test_second_notice_covers),
	    cmocka_unit_test(test_paged_bucket),
	    cmocka_unit_test(test_feed_change_is_clear),
	    cmocka_unit_test(test_late_answer_of_earlier_step),
	    cmocka_unit_test(test_bucket_releases_like_clear),
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
