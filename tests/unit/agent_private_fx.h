/* The private-mode world of test_agent_private and test_agent_private_wire (include after
 * cmocka.h): the catalogue of tests/helpers/privcat.h as a feed, a responder built on
 * rc_private_table over it (T) and over the same feed with no notice served (T_empty), an agent
 * in the simulated world of sim.h, and helpers to answer its last datagram. */
#ifndef RECALL_TEST_AGENT_PRIVATE_FX_H
#define RECALL_TEST_AGENT_PRIVATE_FX_H

#include <stdio.h>
#include <string.h>

#include "fixtures.h"
#include "privcat.h"
#include "sim.h"

#define NOW FX_NOW
#define V09 0 /* privcat version indexes */
#define V10 1
#define V15 2

static struct world W;
static struct privcat C;
static struct rc_private_row rows[PRIVCAT_NOTICES], rows_empty[PRIVCAT_NOTICES];
static struct rc_private_table T, T_empty; /* the catalogue; the feed without any notice */

static inline bool keep_none(const struct rc_notice *n, void *arg)
{
	(void)n;
	(void)arg;
	return false;
}

static inline int group_setup(void **state)
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

static inline int group_teardown(void **state)
{
	(void)state;
	privcat_free(&C);
	return 0;
}

/* A started agent for catalogue identity i, in private or normal mode. */
static inline void start(size_t i, bool priv, size_t nresp, uint32_t retries)
{
	world_init(&W, nresp);
	privcat_identity(i, &W.cfg.id);
	W.cfg.private_mode = priv;
	W.cfg.retries = retries;
	W.cfg.recheck_s = 60; /* a recheck before the catalogue's notices expire */
	assert_int_equal(rc_agent_init(&W.a, &W.cfg, &sim_ops, &W.s), RC_OK);
	assert_int_equal(rc_agent_start(&W.a), RC_OK);
}

static inline size_t id_of(int model, int version)
{
	return (size_t)model * PRIVCAT_VERSIONS + (size_t)version;
}

static inline int last_type(void)
{
	const struct sim_dgram *d = sim_last(&W.s);
	return d ? rc_msg_peek_type(d->buf, d->len) : -1;
}

/* The nonce of the last datagram, whatever its type. */
static inline void last_nonce(uint8_t nonce[RC_NONCE_LEN])
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

static inline int deliver(const uint8_t *out, size_t len)
{
	return rc_agent_input(&W.a, out, len, &sim_last(&W.s)->to);
}

/* An answer of type t (fx_answer) with nonce. */
static inline int answer(uint8_t t, const uint8_t nonce[RC_NONCE_LEN], uint64_t arg,
			 const uint8_t *blob, size_t blob_len)
{
	uint8_t out[RC_ANSWER_MAX];
	size_t len;
	assert_int_equal(fx_answer(out, sizeof(out), &len, t, nonce, arg, blob, blob_len), RC_OK);
	return deliver(out, len);
}

/* Page page of prefix's bucket in t, with nonce. */
static inline int bucket(const struct rc_private_table *t, const uint8_t nonce[RC_NONCE_LEN],
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
static inline int respond(const struct rc_private_table *t)
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

static inline bool waiting(void)
{
	struct rc_agent_status st;
	rc_agent_status(&W.a, &st);
	return W.a.waiting;
}

/* Answer from t until the episode is over; the datagrams the device sent since it started. */
static inline size_t run(const struct rc_private_table *t)
{
	for (int k = 0; k < 40 && waiting(); k++)
		assert_int_equal(respond(t), RC_OK);
	assert_false(waiting());
	return W.s.nsent;
}

/* The decision: "clear", or state and notice id. */
static inline void decision(char *out, size_t cap)
{
	struct rc_agent_status st;
	rc_agent_status(&W.a, &st);
	snprintf(out, cap, "%s %s", rc_agent_state_name(st.state),
		 st.has_notice ? st.notice_id : "-");
}

/* A model of the catalogue listed on the second page of its two-page bucket. */
static inline int paged_second_page_model(void)
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

#endif
