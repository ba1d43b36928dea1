/* recall-gate's checkin mode with checkin-private = yes (gate/checkin.c, PROTOCOL.md 18.4)
 * against a responder on loopback built on rc_private_table, in the style of test_gate_check's
 * checkin mode: a private check-in carries no identity; an unlisted model is clear; a listed
 * one's notices are asked for one at a time, the second covering one quarantines, none
 * covering is clear; wrong nonce, wrong answer type, forged notice ignored; a notice request is
 * retried to the responder that sent the bucket. No nftables (g.nft stays NULL). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <cmocka.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "check.h"
#include "gate_loopback.h"
#include "fixtures.h"
#include "gated.h"
#include "recall/error.h"
#include "recall/feed.h"
#include "recall/private.h"

static struct fx_key keys[3], stranger[2], feedkey;
static struct rc_anchors anchors;
static char dir[64], anchors_path[96];
static struct gate g;
static uint8_t *feed_buf;
static struct rc_feed feed;
static struct rc_private_row rows[4];
static struct rc_private_table table;
static int rs[2]; /* the two responders' sockets */
static uint16_t rport[2];

struct blob {
	uint8_t b[RC_NOTICE_MAX];
	size_t n;
};

/* fx_notice for acme / model at version ver, signed by nk of ks. */
static void notice(struct blob *o, const char *id, const char *model, const char *ver,
		   const struct fx_key *ks, size_t nk)
{
	struct rc_notice n;
	fx_notice(&n, FX_NOW);
	n.id = rc_str_c(id);
	n.target.model = rc_str_c(model);
	n.target.versions[0] = rc_str_c(ver);
	n.target.nhwrevs = 0;
	assert_int_equal(fx_signed_notice(o->b, sizeof(o->b), &o->n, &n, ks, nk), RC_OK);
}

/* The responders' feed: cam-1 has a notice for 0.9 (first in feed order) and one for 1.2.3. */
static int setup(void **state)
{
	(void)state;
	assert_int_equal(fx_anchors(&anchors, keys, 3, 2, 1, 0x40), RC_OK);
	fx_key(&stranger[0], 0x70);
	fx_key(&stranger[1], 0x71);
	fx_key(&feedkey, 0x60);
	snprintf(dir, sizeof(dir), "/tmp/test_gate_checkin_private.XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(anchors_path, sizeof(anchors_path), "%s/anchors", dir);
	uint8_t ab[1024];
	size_t an, bad, len;
	assert_int_equal(rc_anchors_encode(&anchors, ab, sizeof(ab), &an), RC_OK);
	FILE *f = fopen(anchors_path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(ab, 1, an, f), an);
	fclose(f);
	static struct blob nb[2];
	notice(&nb[0], "RC-OLD-BUILD", "cam-1", "0.9", keys, 2);
	notice(&nb[1], "RC-TEST-1", "cam-1", "1.2.3", keys, 2);
	const uint8_t *p[2] = {nb[0].b, nb[1].b};
	size_t l[2] = {nb[0].n, nb[1].n};
	struct rc_feed_meta m = {.serial = 5, .issued = FX_NOW - 3600, .expiry = FX_NOW + 86400};
	assert_int_equal(rc_feed_build(&feed_buf, &len, &m, p, l, 2, feedkey.sk, &bad), RC_OK);
	assert_int_equal(rc_feed_open(&feed, feed_buf, len, feedkey.pk, NULL), RC_OK);
	assert_int_equal(rc_private_table_build(&table, &feed, rows, 4, FX_NOW, NULL, NULL), RC_OK);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	free(feed_buf);
	unlink(anchors_path);
	return rmdir(dir);
}

/* A fresh gate in checkin mode with checkin-private, two responders, clock trusted. */
static void gate_private(void)
{
	memset(&g, 0, sizeof(g));
	g.now = FX_NOW;
	snprintf(g.cfg.check_mode, sizeof(g.cfg.check_mode), "checkin");
	g.cfg.checkin_private = true;
	snprintf(g.cfg.anchors, sizeof(g.cfg.anchors), "%s", anchors_path);
	for (int i = 0; i < 2; i++) {
		rs[i] = udp_loopback(&rport[i]);
		snprintf(g.cfg.responder[i], sizeof(g.cfg.responder[i]), "127.0.0.1:%u", rport[i]);
	}
	g.cfg.nresponder = 2;
	g.inv = gate_inv_new(3600);
	char err[256] = "";
	assert_int_equal(gate_check_init(&g, err, sizeof(err)), 0);
	gate_check_clock(&g, 1);
}

static void gate_done(void)
{
	gate_check_free(&g);
	gate_inv_free(g.inv);
	close(rs[0]);
	close(rs[1]);
}

/* A device described by UPnP as ACME / model / fwver. */
static struct gate_device *device(uint8_t last, const char *model, const char *fwver)
{
	struct gate_obs o;
	memset(&o, 0, sizeof(o));
	uint8_t mac[6] = {0x02, 0, 0, 0, 0, last};
	memcpy(o.mac, mac, 6);
	o.has_mac = true;
	const char *v[3] = {"ACME", model, fwver};
	const enum gate_field f[3] = {GF_MANUFACTURER, GF_MODEL, GF_FWVER};
	for (int i = 0; i < 3; i++) {
		snprintf(o.f[f[i]].v, GATE_VAL_MAX, "%s", v[i]);
		o.f[f[i]].src = GS_UPNP;
	}
	struct gate_device *d = gate_inv_observe(&g, &o);
	assert_non_null(d);
	assert_true(gate_identity(d, NULL) >= 0);
	return d;
}

/* What the gate sent to responder i: type, nonce, and (decoded) the request. */
struct got {
	int type;
	uint8_t nonce[RC_NONCE_LEN];
	struct rc_private_checkin pc;
	struct rc_notice_request q;
	struct sockaddr_storage from;
	socklen_t fl;
};

static void recv_req(int i, struct got *r)
{
	uint8_t buf[1500];
	r->fl = sizeof(r->from);
	ssize_t n = recvfrom(rs[i], buf, sizeof(buf), 0, (struct sockaddr *)&r->from, &r->fl);
	assert_int_equal(n, RC_CHECKIN_SIZE);
	/* No identity on the wire: neither names nor version. */
	assert_null(memmem(buf, (size_t)n, "acme", 4));
	assert_null(memmem(buf, (size_t)n, "cam-", 4));
	assert_null(memmem(buf, (size_t)n, "1.2.3", 5));
	r->type = rc_msg_peek_type(buf, (size_t)n);
	if (r->type == RC_MSG_PRIVATE) {
		assert_int_equal(rc_private_checkin_decode(&r->pc, buf, (size_t)n, NULL), RC_OK);
		memcpy(r->nonce, r->pc.nonce, RC_NONCE_LEN);
	} else {
		assert_int_equal(r->type, RC_MSG_NOTICE_REQUEST);
		assert_int_equal(rc_notice_request_decode(&r->q, buf, (size_t)n, NULL), RC_OK);
		memcpy(r->nonce, r->q.nonce, RC_NONCE_LEN);
	}
}

static void send_to_gate(int i, const struct got *r, const uint8_t *out, size_t len)
{
	assert_int_equal(sendto(rs[i], out, len, 0, (const struct sockaddr *)&r->from, r->fl),
			 (ssize_t)len);
	usleep(20000);
	gate_check_input(&g);
}

/* Responder i answers r with nonce (its own if NULL): from the table, as recalld would. */
static void answer(int i, const struct got *r, const uint8_t *nonce)
{
	uint8_t out[RC_ANSWER_MAX], ebuf[RC_BUCKET_ENTRIES_MAX * RC_BUCKET_ENTRY_LEN];
	size_t len;
	nonce = nonce ? nonce : r->nonce;
	if (r->type == RC_MSG_PRIVATE) {
		struct rc_bucket b = {.serial = 5};
		assert_int_equal(
		    rc_private_table_bucket(&table, r->pc.prefix, r->pc.page, ebuf, &b), RC_OK);
		memcpy(b.nonce, nonce, RC_NONCE_LEN);
		assert_int_equal(rc_bucket_encode(&b, out, sizeof(out), &len), RC_OK);
	} else {
		const uint8_t *np;
		size_t nl;
		bool have = rc_private_table_notice(&table, r->q.tag, r->q.index, &np, &nl);
		assert_int_equal(fx_answer(out, sizeof(out), &len,
					   have ? RC_MSG_RECALLED : RC_MSG_CLEAR, nonce, 5,
					   have ? np : NULL, have ? nl : 0),
				 RC_OK);
	}
	send_to_gate(i, r, out, len);
}

/* An answer of type t (fx_answer) to r. */
static void reply(int i, const struct got *r, uint8_t t, const struct blob *b)
{
	uint8_t out[RC_ANSWER_MAX];
	size_t len;
	assert_int_equal(
	    fx_answer(out, sizeof(out), &len, t, r->nonce, 5, b ? b->b : NULL, b ? b->n : 0),
	    RC_OK);
	send_to_gate(i, r, out, len);
}

static void test_checkin_private(void **state)
{
	(void)state;
	gate_private();
	struct got r;
	/* A model without notices: one private check-in, its bucket: clear. */
	struct gate_device *none = device(1, "cam-9", "1.2.3");
	gate_check_device(&g, none);
	recv_req(0, &r);
	assert_int_equal(r.type, RC_MSG_PRIVATE);
	assert_int_equal(r.pc.page, 0);
	answer(0, &r, NULL);
	assert_int_equal(none->state, GATE_ST_CLEAR);
	assert_int_equal(g.check->st.buckets, 1);
	assert_int_equal(g.check->st.notice_requests, 0);

	/* cam-1 at 1.2.3: listed with 2; notice 0 (0.9) does not cover, notice 1 does. */
	struct gate_device *d = device(2, "cam-1", "1.2.3");
	gate_check_device(&g, d);
	recv_req(0, &r);
	uint8_t wrong[RC_NONCE_LEN];
	memcpy(wrong, r.nonce, sizeof(wrong));
	wrong[3] ^= 4;
	answer(0, &r, wrong); /* a bucket with the wrong nonce: ignored */
	assert_int_equal(g.check->st.rx_nonce, 1);
	reply(0, &r, RC_MSG_CLEAR, NULL); /* clear never answers a private check-in */
	assert_int_equal(g.check->st.rx_invalid, 1);
	assert_int_equal(d->state, GATE_ST_UNCHECKED);
	answer(0, &r, NULL);
	recv_req(0, &r);
	assert_int_equal(r.type, RC_MSG_NOTICE_REQUEST);
	assert_int_equal(r.q.index, 0);
	struct blob forged;
	notice(&forged, "RC-TEST-1", "cam-1", "1.2.3", stranger, 2);
	reply(0, &r, RC_MSG_RECALLED, &forged); /* forged: discarded, the request stays */
	assert_int_equal(g.check->st.rx_threshold, 1);
	assert_int_equal(d->state, GATE_ST_UNCHECKED);
	answer(0, &r, NULL); /* RC-OLD-BUILD: authentic, another build: the next one */
	assert_int_equal(g.check->st.rx_notcovered, 0);
	recv_req(0, &r);
	assert_int_equal(r.q.index, 1);
	answer(0, &r, NULL);
	assert_int_equal(d->state, GATE_ST_QUARANTINED);
	assert_string_equal(d->notice_id, "RC-TEST-1");
	assert_int_equal(g.check->st.notice_requests, 2);

	/* cam-1 at 2.0: neither covers: clear after both. */
	struct gate_device *other = device(3, "cam-1", "2.0");
	gate_check_device(&g, other);
	for (int k = 0; k < 3; k++) {
		recv_req(0, &r);
		answer(0, &r, NULL);
	}
	assert_int_equal(other->state, GATE_ST_CLEAR);
	gate_done();
}

/* Timeouts: the private check-in moves to the next responder like a check-in; the notice
 * requests stay with the responder that sent the bucket. */
static void test_checkin_private_retries(void **state)
{
	(void)state;
	gate_private();
	struct gate_device *d = device(2, "cam-1", "1.2.3");
	struct got r;
	gate_check_device(&g, d);
	recv_req(0, &r);
	gate_checkin_tick(&g, gate_mono_ms() + GATE_TIMEOUT_MS + 1);
	recv_req(1, &r);
	assert_int_equal(r.type, RC_MSG_PRIVATE);
	assert_int_equal(r.pc.reason, RC_REASON_RETRY);
	answer(1, &r, NULL);
	recv_req(1, &r);
	assert_int_equal(r.type, RC_MSG_NOTICE_REQUEST);
	uint8_t first[RC_NONCE_LEN];
	memcpy(first, r.nonce, sizeof(first));
	gate_checkin_tick(&g, gate_mono_ms() + GATE_TIMEOUT_MS + 1);
	recv_req(1, &r);
	assert_int_equal(r.type, RC_MSG_NOTICE_REQUEST);
	assert_int_equal(r.q.index, 0);
	assert_memory_not_equal(first, r.nonce, RC_NONCE_LEN);
	assert_int_equal(g.check->st.timeouts, 2);
	answer(1, &r, NULL);
	recv_req(1, &r);
	answer(1, &r, NULL);
	assert_int_equal(d->state, GATE_ST_QUARANTINED);
	gate_done();
}

/* With RECALL_WRITE_SEEDS=DIR: seeds of fuzz_gate_answer (DIR/gate_answer/) for nonce 0: a
 * bucket listing the fuzz target's model (acme / cam-1, 2 notices), and an empty one. */
static void test_write_seeds(void **state)
{
	(void)state;
	const char *dir0 = getenv("RECALL_WRITE_SEEDS");
	if (!dir0)
		return;
	uint8_t tag[RC_PRIVATE_TAG_LEN], ebuf[RC_BUCKET_ENTRIES_MAX * RC_BUCKET_ENTRY_LEN];
	uint16_t prefix;
	rc_private_hash(rc_str_c("acme"), rc_str_c("cam-1"), tag, &prefix);
	for (int k = 0; k < 2; k++) {
		struct rc_bucket b = {.serial = 5, .pages = 1};
		if (k == 0)
			assert_int_equal(rc_private_table_bucket(&table, prefix, 0, ebuf, &b),
					 RC_OK);
		assert_int_equal(rc_bucket_find(&b, tag), k == 0 ? 2 : 0);
		uint8_t out[RC_ANSWER_MAX];
		size_t len;
		assert_int_equal(rc_bucket_encode(&b, out, sizeof(out), &len), RC_OK);
		char p[512];
		snprintf(p, sizeof(p), "%s/gate_answer/%s.bin", dir0,
			 k == 0 ? "bucket-listed" : "bucket-empty");
		FILE *f = fopen(p, "wb");
		assert_non_null(f);
		assert_int_equal(fwrite(out, 1, len, f), len);
		fclose(f);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_checkin_private),
	    cmocka_unit_test(test_checkin_private_retries),
	    cmocka_unit_test(test_write_seeds),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
