/* recalld's answers to private check-ins and notice requests (responder/private.c,
 * PROTOCOL.md 18.3): bucket pages, notices by tag and index, policy and exempt sources, the
 * answers shared with check-ins (unsupported, rotate, retry-later), the table's rebuild when a
 * notice ends, and events that name a tag and never an identity. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <sys/socket.h>

#include "probe/rdworld.h"

static const uint8_t SRC4[4] = {192, 0, 2, 10};
static const uint8_t EXEMPT4[4] = {203, 0, 113, 5};

static int setup(void **state)
{
	struct world *w = malloc(sizeof(*w));
	world_init(w);
	*state = w;
	return 0;
}

static int teardown(void **state)
{
	world_free(*state);
	free(*state);
	return 0;
}

static void model_tag(const char *model, uint8_t tag[RC_PRIVATE_TAG_LEN], uint16_t *prefix)
{
	rc_private_hash(rc_str_c("acme"), rc_str_c(model), tag, prefix);
}

static void private_req(uint8_t req[RC_CHECKIN_SIZE], uint16_t prefix, uint8_t page, uint64_t epoch)
{
	struct rc_private_checkin c;
	memset(&c, 0, sizeof(c));
	memset(c.nonce, 0x5a, RC_NONCE_LEN);
	c.prefix = prefix;
	c.page = page;
	c.anchor_epoch = epoch;
	assert_int_equal(rc_private_checkin_encode(&c, req), RC_OK);
}

static void notice_req(uint8_t req[RC_CHECKIN_SIZE], const uint8_t *tag, uint16_t index,
		       uint64_t epoch)
{
	struct rc_notice_request q;
	memset(&q, 0, sizeof(q));
	memset(q.nonce, 0x6b, RC_NONCE_LEN);
	memcpy(q.tag, tag, RC_PRIVATE_TAG_LEN);
	q.index = index;
	q.anchor_epoch = epoch;
	assert_int_equal(rc_notice_request_encode(&q, req), RC_OK);
}

/* The answer's type (its bytes in out, *n long); 0 if dropped. Every answer fits its request
 * and echoes its nonce. */
static int ask(struct world *w, const uint8_t *req, const uint8_t *src, uint8_t *out, size_t *n)
{
	*n = rd_answer(&w->x, w->st, AF_INET, src, 40000, req, RC_CHECKIN_SIZE, out);
	if (!*n)
		return 0;
	assert_true(*n <= RC_CHECKIN_SIZE);
	assert_memory_equal(out + 5, req + 5, 2 + RC_NONCE_LEN); /* key 2, the nonce */
	return rc_msg_peek_type(out, *n);
}

static unsigned bucket_count(const uint8_t *out, size_t n, const uint8_t *tag, uint8_t *pages)
{
	struct rc_bucket b;
	assert_int_equal(rc_bucket_decode(&b, out, n, NULL), RC_OK);
	assert_int_equal(b.serial, 1);
	*pages = b.pages;
	return rc_bucket_find(&b, tag);
}

static void test_bucket_and_notice(void **state)
{
	struct world *w = *state;
	uint8_t req[RC_CHECKIN_SIZE], out[RC_ANSWER_MAX], tag[8], pages;
	uint16_t prefix;
	size_t n;
	w->o.nnotices = 3;
	assert_int_equal(world_load(w, "ratelimit = no\nevent-log = /dev/null\n", NULL), 0);
	model_tag("cam-2", tag, &prefix);
	private_req(req, prefix, 0, 2);
	assert_int_equal(ask(w, req, SRC4, out, &n), RC_MSG_BUCKET);
	assert_int_equal(bucket_count(out, n, tag, &pages), 1);
	assert_int_equal(pages, 1);
	/* a page beyond the last: empty, with the true page count */
	private_req(req, prefix, 5, 2);
	assert_int_equal(ask(w, req, SRC4, out, &n), RC_MSG_BUCKET);
	assert_int_equal(bucket_count(out, n, tag, &pages), 0);
	assert_int_equal(pages, 1);
	/* index 0 is the model's notice, verbatim; index 1 does not exist: clear */
	notice_req(req, tag, 0, 2);
	assert_int_equal(ask(w, req, SRC4, out, &n), RC_MSG_RECALLED);
	struct rc_answer a;
	assert_int_equal(rc_answer_decode(&a, out, n, NULL), RC_OK);
	struct rc_anchors an;
	struct fx_key keys[RDFIX_N];
	struct rc_notice nt;
	struct rc_identity id;
	rdfix_anchors(&an, keys, 2);
	fx_identity(&id);
	id.model = rc_str_c("cam-2");
	assert_int_equal(
	    rc_notice_check(&nt, a.blob, a.blob_len, &an, &id, w->o.now, true, NULL, NULL), RC_OK);
	notice_req(req, tag, 1, 2);
	assert_int_equal(ask(w, req, SRC4, out, &n), RC_MSG_CLEAR);
	assert_int_equal(ctr(w, RD_C_PC_BUCKET), 2);
	assert_int_equal(ctr(w, RD_C_ANS_BUCKET), 2);
	assert_int_equal(ctr(w, RD_C_NR_RECALLED), 1);
	assert_int_equal(ctr(w, RD_C_NR_CLEAR), 1);
	/* events: the notice requests, with the tag in hex, no vendor or model */
	char line[1024], hex[17];
	for (int i = 0; i < 8; i++)
		snprintf(hex + 2 * i, 3, "%02x", tag[i]);
	rd_event_json(&w->x.ring.ev[0], line, sizeof(line), 32, 128);
	assert_non_null(strstr(line, "\"event\":\"notice_request\""));
	assert_non_null(strstr(line, hex));
	assert_non_null(strstr(line, "\"notice\":\"RC-TEST-2\""));
	assert_non_null(strstr(line, "\"result\":\"recalled\""));
	assert_null(strstr(line, "acme"));
	assert_null(strstr(line, "cam-2"));
	rd_event_json(&w->x.ring.ev[1], line, sizeof(line), 32, 128);
	assert_non_null(strstr(line, "\"index\":1"));
	assert_non_null(strstr(line, "\"result\":\"clear\""));
	/* no event for a private check-in: two events, the requests */
	assert_int_equal(rd_ring_drain(&w->x.ring, NULL, 32, 128), 2);
}

static void test_policy_exempt(void **state)
{
	struct world *w = *state;
	uint8_t req[RC_CHECKIN_SIZE], out[RC_ANSWER_MAX], t1[8], t3[8], pages;
	uint16_t p1, p3;
	size_t n;
	w->o.nnotices = 3;
	assert_int_equal(world_load(w,
				    "ratelimit = no\npolicy = monitor notice RC-TEST-3\n"
				    "exempt = 203.0.113.0/24\n",
				    NULL),
			 0);
	model_tag("cam-1", t1, &p1);
	model_tag("cam-3", t3, &p3);
	/* a monitored notice is not served: its model is not listed, its request is clear */
	private_req(req, p3, 0, 2);
	assert_int_equal(ask(w, req, SRC4, out, &n), RC_MSG_BUCKET);
	assert_int_equal(bucket_count(out, n, t3, &pages), 0);
	notice_req(req, t3, 0, 2);
	assert_int_equal(ask(w, req, SRC4, out, &n), RC_MSG_CLEAR);
	/* an exempt source gets an empty bucket and clear */
	private_req(req, p1, 0, 2);
	assert_int_equal(ask(w, req, SRC4, out, &n), RC_MSG_BUCKET);
	assert_int_equal(bucket_count(out, n, t1, &pages), 1);
	assert_int_equal(ask(w, req, EXEMPT4, out, &n), RC_MSG_BUCKET);
	assert_int_equal(bucket_count(out, n, t1, &pages), 0);
	assert_int_equal(pages, 1);
	notice_req(req, t1, 0, 2);
	assert_int_equal(ask(w, req, EXEMPT4, out, &n), RC_MSG_CLEAR);
	assert_int_equal(ctr(w, RD_C_HIT_EXEMPT), 1);
	assert_int_equal(ask(w, req, SRC4, out, &n), RC_MSG_RECALLED);
}

static void test_shared_answers(void **state)
{
	struct world *w = *state;
	uint8_t req[RC_CHECKIN_SIZE], out[RC_ANSWER_MAX], tag[8];
	uint16_t prefix;
	size_t n;
	assert_int_equal(world_load(w, "ratelimit-rate = 1\nratelimit-burst = 2\n", NULL), 0);
	model_tag("cam-1", tag, &prefix);
	/* an older anchor epoch: rotate, for both kinds */
	private_req(req, prefix, 0, 0);
	assert_int_equal(ask(w, req, SRC4, out, &n), RC_MSG_ROTATE);
	notice_req(req, tag, 0, 1);
	assert_int_equal(ask(w, req, SRC4, out, &n), RC_MSG_ROTATE);
	assert_int_equal(ctr(w, RD_C_PC_ROTATE), 1);
	assert_int_equal(ctr(w, RD_C_NR_ROTATE), 1);
	/* the rate limit is shared with check-ins: the burst is spent, retry-later or drop */
	private_req(req, prefix, 0, 2);
	int t = ask(w, req, SRC4, out, &n);
	assert_true(t == 0 || t == RC_MSG_RETRY);
	assert_int_equal(ctr(w, RD_C_RL_RETRY) + ctr(w, RD_C_RL_DROP), 1);
	/* another version: unsupported (another source, within its limit) */
	const uint8_t src2[4] = {198, 51, 100, 7};
	private_req(req, prefix, 0, 2);
	req[4] = 0x07;
	assert_int_equal(ask(w, req, src2, out, &n), RC_MSG_UNSUPPORTED);
	notice_req(req, tag, 0, 2);
	req[4] = 0x07;
	assert_int_equal(ask(w, req, src2, out, &n), RC_MSG_UNSUPPORTED);
	assert_int_equal(ctr(w, RD_C_PC_UNSUPPORTED) + ctr(w, RD_C_NR_UNSUPPORTED), 2);
	/* malformed: an identity where the prefix goes is dropped */
	world_checkin(req, "cam-1", "1.2.3", 2, 1);
	const uint8_t src3[4] = {198, 51, 100, 99};
	uint8_t bad[RC_CHECKIN_SIZE];
	memcpy(bad, req, sizeof(bad));
	bad[2] = 0x09; /* type 9 with key 5 a map */
	assert_int_equal(ask(w, bad, src3, out, &n), 0);
	assert_int_equal(ctr(w, RD_C_DROP_MALFORMED), 1);
}

/* The table holds until a notice starts or ends; then, until the main thread rebuilds it,
 * retry-later (a stale table could answer otherwise than a check-in); then the new one. */
static void test_rebuild(void **state)
{
	struct world *w = *state;
	uint8_t req[RC_CHECKIN_SIZE], out[RC_ANSWER_MAX], tag[8], pages;
	uint16_t prefix;
	size_t n;
	w->o.expiry_off = 60 * 86400;
	assert_int_equal(world_load(w, "ratelimit = no\n", NULL), 0);
	model_tag("cam-1", tag, &prefix);
	struct rd_ptab *pt = atomic_load(&w->st->priv);
	assert_true(pt->t.next_change > w->o.now && pt->t.next_change < UINT64_MAX);
	w->x.now_s = pt->t.next_change;
	private_req(req, prefix, 0, 2);
	assert_int_equal(ask(w, req, SRC4, out, &n), RC_MSG_RETRY);
	notice_req(req, tag, 0, 2);
	assert_int_equal(ask(w, req, SRC4, out, &n), RC_MSG_RETRY);
	assert_int_equal(ctr(w, RD_C_PRIV_STALE), 2);
	/* rebuilt at that time: the notice has ended, the bucket is empty */
	struct rd_ptab *nt = rd_ptab_build(w->st, w->x.now_s);
	assert_non_null(nt);
	atomic_store(&w->st->priv, nt);
	free(pt);
	private_req(req, prefix, 0, 2);
	assert_int_equal(ask(w, req, SRC4, out, &n), RC_MSG_BUCKET);
	assert_int_equal(bucket_count(out, n, tag, &pages), 0);
	notice_req(req, tag, 0, 2);
	assert_int_equal(ask(w, req, SRC4, out, &n), RC_MSG_CLEAR);
	/* an expired feed: retry-later */
	w->x.now_s = w->o.now + 61 * 86400;
	assert_int_equal(ask(w, req, SRC4, out, &n), RC_MSG_RETRY);
}

/* A bucket of more than 16 pages (1,857 models under one prefix) is not served: retry-later
 * and a counter; other prefixes are. The table is made by hand (a feed of that many notices
 * under one prefix would take minutes to sign). */
static void test_too_large(void **state)
{
	struct world *w = *state;
	uint8_t req[RC_CHECKIN_SIZE], out[RC_ANSWER_MAX];
	size_t n, rows = RC_BUCKET_ENTRIES_MAX * RC_BUCKET_PAGES_MAX + 1;
	const uint16_t want = 0x123;
	assert_int_equal(world_load(w, "ratelimit = no\n", NULL), 0);
	struct rd_ptab *pt = calloc(1, sizeof(*pt) + rows * sizeof(pt->rows[0]));
	assert_non_null(pt);
	pt->t.feed = &w->st->fm->feed;
	pt->t.rows = pt->rows;
	pt->t.nrows = rows;
	pt->t.next_change = UINT64_MAX;
	for (size_t r = 0; r < rows; r++) {
		pt->rows[r].tag[0] = (uint8_t)(want >> 4);
		pt->rows[r].tag[1] = (uint8_t)(want << 4);
		pt->rows[r].tag[6] = (uint8_t)(r >> 8);
		pt->rows[r].tag[7] = (uint8_t)r;
	}
	for (unsigned p = 0; p <= RC_PRIVATE_PREFIXES; p++)
		pt->t.start[p] = p <= want ? 0 : (uint32_t)rows;
	free(atomic_exchange(&w->st->priv, pt));
	private_req(req, want, 0, 2);
	assert_int_equal(ask(w, req, SRC4, out, &n), RC_MSG_RETRY);
	assert_int_equal(ctr(w, RD_C_PRIV_TOOLARGE), 1);
	assert_int_equal(ctr(w, RD_C_PC_RETRY), 1);
	private_req(req, want + 1, 0, 2);
	assert_int_equal(ask(w, req, SRC4, out, &n), RC_MSG_BUCKET);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_bucket_and_notice, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_policy_exempt, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_shared_answers, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_rebuild, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_too_large, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
