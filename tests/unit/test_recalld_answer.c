/* recalld's per-packet logic (responder/answer.c) and its invariants: no answer larger than
 * its request, every answer echoes the nonce, bad datagrams dropped and counted; answer kinds,
 * rotation, expiry, rate limiting and policy. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <sys/socket.h>

#include "probe/rdworld.h"

static const uint8_t SRC4[4] = {192, 0, 2, 10};

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

/* Answer a request; check the invariants every answer must meet; decode it into a. */
static size_t ask(struct world *w, const uint8_t *req, size_t len, struct rc_answer *a,
		  const uint8_t *src, int fam)
{
	static uint8_t out[RC_ANSWER_MAX];
	memset(out, 0xee, sizeof(out));
	size_t n = rd_answer(&w->x, w->st, fam, src, 40000, req, len, out);
	if (!n)
		return 0;
	assert_true(n <= len);
	assert_int_equal(rc_answer_decode(a, out, n, NULL), RC_OK);
	struct rc_checkin c;
	int e = rc_checkin_decode(&c, req, len, NULL);
	assert_true(e == RC_OK || e == RC_ERR_VERSION);
	assert_memory_equal(a->nonce, c.nonce, RC_NONCE_LEN);
	return n;
}

static void test_clear_recalled_unsupported(void **state)
{
	struct world *w = *state;
	uint8_t req[RC_CHECKIN_SIZE];
	struct rc_answer a;
	assert_int_equal(world_load(w, "", NULL), 0);

	world_checkin(req, "cam-1", "9.9.9", 2, 1);
	assert_true(ask(w, req, sizeof(req), &a, SRC4, AF_INET));
	assert_int_equal(a.type, RC_MSG_CLEAR);
	assert_int_equal(a.serial, w->o.serial);

	world_checkin(req, "cam-1", "1.2.3", 2, 2);
	assert_true(ask(w, req, sizeof(req), &a, SRC4, AF_INET));
	assert_int_equal(a.type, RC_MSG_RECALLED);
	/* the notice verbatim: it verifies against the anchors and covers the device */
	struct rc_anchors an;
	struct fx_key keys[RDFIX_N];
	struct rc_notice n;
	struct rc_identity id;
	rdfix_anchors(&an, keys, 2);
	fx_identity(&id);
	assert_int_equal(
	    rc_notice_check(&n, a.blob, a.blob_len, &an, &id, w->o.now, true, NULL, NULL), RC_OK);
	assert_int_equal(ctr(w, RD_C_HIT_ENFORCE), 1);

	/* an event was queued for the log only if one is configured: none here */
	assert_int_equal(rd_ring_drain(&w->x.ring, NULL, 32, 128), 0);

	world_checkin(req, "cam-1", "9.9.9", 2, 3);
	assert_int_equal(req[4], 0x01);
	req[4] = 0x07; /* version 7 */
	assert_true(ask(w, req, sizeof(req), &a, SRC4, AF_INET));
	assert_int_equal(a.type, RC_MSG_UNSUPPORTED);
	assert_int_equal(a.max_version, RC_VERSION);
	assert_int_equal(ctr(w, RD_C_ANS_CLEAR), 1);
	assert_int_equal(ctr(w, RD_C_ANS_RECALLED), 1);
	assert_int_equal(ctr(w, RD_C_ANS_UNSUPPORTED), 1);
	assert_int_equal(ctr(w, RD_C_RX), 3);
}

static void test_rotation(void **state)
{
	struct world *w = *state;
	uint8_t req[RC_CHECKIN_SIZE], rot[2048];
	size_t rl;
	struct rc_answer a;
	assert_int_equal(world_load(w, "", NULL), 0);
	for (uint64_t e = 0; e < 2; e++) {
		world_checkin(req, "cam-1", "1.2.3", e, 9);
		assert_true(ask(w, req, sizeof(req), &a, SRC4, AF_INET));
		assert_int_equal(a.type, RC_MSG_ROTATE);
		assert_int_equal(rdfix_rotation(rot, sizeof(rot), &rl, e), RC_OK);
		assert_int_equal(a.blob_len, rl);
		assert_memory_equal(a.blob, rot, rl);
	}
	/* current or newer epoch: the normal answer */
	world_checkin(req, "cam-1", "1.2.3", 7, 9);
	assert_true(ask(w, req, sizeof(req), &a, SRC4, AF_INET));
	assert_int_equal(a.type, RC_MSG_RECALLED);
	assert_int_equal(ctr(w, RD_C_ANS_ROTATE), 2);
}

static void test_drops(void **state)
{
	struct world *w = *state;
	static uint8_t big[2048];
	uint8_t out[RC_ANSWER_MAX];
	assert_int_equal(world_load(w, "", NULL), 0);
	world_checkin(big, "cam-1", "1.2.3", 2, 4);
	const size_t shorts[] = {0, 1, 16, 100, 1199};
	for (size_t i = 0; i < 5; i++)
		assert_int_equal(rd_answer(&w->x, w->st, AF_INET, SRC4, 1, big, shorts[i], out), 0);
	assert_int_equal(ctr(w, RD_C_DROP_SHORT), 5);
	assert_int_equal(rd_answer(&w->x, w->st, AF_INET, SRC4, 1, big, RD_RX_BUF, out), 0);
	assert_int_equal(ctr(w, RD_C_DROP_OVERSIZED), 1);
	/* port 0: nowhere to answer */
	assert_int_equal(rd_answer(&w->x, w->st, AF_INET, SRC4, 0, big, RC_CHECKIN_SIZE, out), 0);
	assert_int_equal(ctr(w, RD_C_DROP_BADSRC), 1);
	/* malformed: garbage, a non-zero pad byte, a broken identity */
	uint8_t req[RC_CHECKIN_SIZE];
	for (size_t i = 0; i < sizeof(req); i++)
		req[i] = (uint8_t)(i * 7 + 3);
	assert_int_equal(rd_answer(&w->x, w->st, AF_INET, SRC4, 1, req, sizeof(req), out), 0);
	world_checkin(req, "cam-1", "1.2.3", 2, 4);
	req[RC_CHECKIN_SIZE - 1] = 1;
	assert_int_equal(rd_answer(&w->x, w->st, AF_INET, SRC4, 1, req, sizeof(req), out), 0);
	assert_int_equal(ctr(w, RD_C_DROP_MALFORMED), 2);
	assert_int_equal(ctr(w, RD_C_RX), 9);
	assert_int_equal(ctr(w, RD_C_ANS_CLEAR) + ctr(w, RD_C_ANS_RECALLED), 0);
}

/* Random corruptions of valid check-ins: whatever happens, no answer is larger than its
 * request and every answer echoes the nonce the decoder saw (checked in ask()). */
static void test_mutations(void **state)
{
	struct world *w = *state;
	uint8_t req[RC_CHECKIN_SIZE];
	struct rc_answer a;
	uint64_t answered = 0;
	uint32_t seed = 12345;
	assert_int_equal(world_load(w, "ratelimit = no\n", NULL), 0);
	for (int i = 0; i < 20000; i++) {
		world_checkin(req, i % 2 ? "cam-1" : "cam-2", "1.2.3", (uint64_t)(i % 4),
			      (uint8_t)i);
		int flips = 1 + i % 3;
		for (int f = 0; f < flips; f++) {
			seed = seed * 1103515245u + 12345u;
			size_t pos = (seed >> 8) % (i % 5 == 0 ? sizeof(req) : 120);
			req[pos] ^= (uint8_t)(1u << ((seed >> 4) % 8));
		}
		answered += ask(w, req, sizeof(req), &a, SRC4, AF_INET) ? 1 : 0;
	}
	/* some corruptions keep the message valid (nonce bytes), most do not */
	assert_true(answered > 0);
	assert_true(ctr(w, RD_C_DROP_MALFORMED) > 0);
	assert_int_equal(ctr(w, RD_C_RX), 20000);
	assert_int_equal(ctr(w, RD_C_DROP_MALFORMED) + answered, 20000);
}

static void test_expiry(void **state)
{
	struct world *w = *state;
	uint8_t req[RC_CHECKIN_SIZE];
	struct rc_answer a;
	w->o.expiry_off = 60 * 86400; /* the feed outlives its notices (30 days) */
	assert_int_equal(world_load(w, "expired-delay = 2h\n", NULL), 0);
	world_checkin(req, "cam-1", "1.2.3", 2, 5);
	w->x.now_s = w->o.now + 31 * 86400; /* the notice has expired: not served */
	assert_true(ask(w, req, sizeof(req), &a, SRC4, AF_INET));
	assert_int_equal(a.type, RC_MSG_CLEAR);
	w->x.now_s = w->o.now - 2 * 86400; /* not yet valid */
	assert_true(ask(w, req, sizeof(req), &a, SRC4, AF_INET));
	assert_int_equal(a.type, RC_MSG_CLEAR);
	w->x.now_s = w->o.now + 61 * 86400; /* the feed itself has expired */
	assert_true(ask(w, req, sizeof(req), &a, SRC4, AF_INET));
	assert_int_equal(a.type, RC_MSG_RETRY);
	assert_int_equal(a.delay, 7200);
	/* rotation statements are still served */
	world_checkin(req, "cam-1", "1.2.3", 1, 5);
	assert_true(ask(w, req, sizeof(req), &a, SRC4, AF_INET));
	assert_int_equal(a.type, RC_MSG_ROTATE);
}

static void test_ratelimit(void **state)
{
	struct world *w = *state;
	uint8_t req[RC_CHECKIN_SIZE];
	struct rc_answer a;
	assert_int_equal(world_load(w,
				    "ratelimit-rate = 1\nratelimit-burst = 3\n"
				    "ratelimit-exempt = 198.51.100.0/24\n",
				    NULL),
			 0);
	world_checkin(req, "cam-1", "1.2.3", 2, 6);
	for (int i = 0; i < 3; i++) {
		assert_true(ask(w, req, sizeof(req), &a, SRC4, AF_INET));
		assert_int_equal(a.type, RC_MSG_RECALLED);
	}
	/* the 4th within the same millisecond, from the same /24: retry-later, small */
	const uint8_t same24[4] = {192, 0, 2, 99};
	size_t n = ask(w, req, sizeof(req), &a, same24, AF_INET);
	assert_true(n > 0 && n < 64);
	assert_int_equal(a.type, RC_MSG_RETRY);
	assert_int_equal(a.delay, 60);
	assert_int_equal(ctr(w, RD_C_RL_RETRY), 1);
	/* another /24 has its own bucket; an exempt prefix has none */
	const uint8_t other[4] = {192, 0, 3, 1}, ex[4] = {198, 51, 100, 7};
	assert_true(ask(w, req, sizeof(req), &a, other, AF_INET));
	assert_int_equal(a.type, RC_MSG_RECALLED);
	for (int i = 0; i < 10; i++) {
		assert_true(ask(w, req, sizeof(req), &a, ex, AF_INET));
		assert_int_equal(a.type, RC_MSG_RECALLED);
	}
	/* a second later one token is back */
	w->x.now_ms += 1000;
	assert_true(ask(w, req, sizeof(req), &a, SRC4, AF_INET));
	assert_int_equal(a.type, RC_MSG_RECALLED);
	assert_true(ask(w, req, sizeof(req), &a, SRC4, AF_INET));
	assert_int_equal(a.type, RC_MSG_RETRY);
	/* malformed requests over the limit are still only dropped as malformed */
	uint8_t bad[RC_CHECKIN_SIZE] = {0};
	uint8_t out[RC_ANSWER_MAX];
	assert_int_equal(rd_answer(&w->x, w->st, AF_INET, SRC4, 5, bad, sizeof(bad), out), 0);
	assert_int_equal(ctr(w, RD_C_DROP_MALFORMED), 1);

	/* IPv6: /56 by default */
	uint8_t s6a[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0x01}, s6b[16];
	memcpy(s6b, s6a, 16);
	s6b[7] = 0xff; /* same /56 */
	s6b[15] = 1;
	for (int i = 0; i < 3; i++)
		assert_true(ask(w, req, sizeof(req), &a, i % 2 ? s6a : s6b, AF_INET6));
	assert_true(ask(w, req, sizeof(req), &a, s6a, AF_INET6));
	assert_int_equal(a.type, RC_MSG_RETRY);
	s6b[6] = 1; /* another /56 */
	assert_true(ask(w, req, sizeof(req), &a, s6b, AF_INET6));
	assert_int_equal(a.type, RC_MSG_RECALLED);
}

static void test_ratelimit_drop_and_slip(void **state)
{
	struct world *w = *state;
	uint8_t req[RC_CHECKIN_SIZE], out[RC_ANSWER_MAX];
	struct rc_answer a;
	assert_int_equal(world_load(w,
				    "ratelimit-rate = 1\nratelimit-burst = 1\n"
				    "ratelimit-slip = 2\n",
				    NULL),
			 0);
	world_checkin(req, "cam-1", "9.9", 2, 7);
	assert_true(ask(w, req, sizeof(req), &a, SRC4, AF_INET));
	unsigned retry = 0, dropped = 0;
	for (int i = 0; i < 10; i++) {
		if (ask(w, req, sizeof(req), &a, SRC4, AF_INET)) {
			assert_int_equal(a.type, RC_MSG_RETRY);
			retry++;
		} else {
			dropped++;
		}
	}
	assert_int_equal(retry, 5);
	assert_int_equal(dropped, 5);
	assert_int_equal(ctr(w, RD_C_DROP_RATELIMIT), 5);

	struct rd_state *old = w->st;
	w->nowrite = true;
	assert_int_equal(world_load(w,
				    "ratelimit-rate = 1\nratelimit-burst = 1\n"
				    "ratelimit-action = drop\n",
				    old),
			 0);
	for (int i = 0; i < 5; i++)
		assert_int_equal(rd_answer(&w->x, w->st, AF_INET, SRC4, 9, req, sizeof(req), out),
				 0);
	assert_int_equal(ctr(w, RD_C_DROP_RATELIMIT), 10);
	assert_int_equal(ctr(w, RD_C_RL_DROP), 10);
}

static void test_policy(void **state)
{
	struct world *w = *state;
	uint8_t req[RC_CHECKIN_SIZE];
	struct rc_answer a;
	w->o.nnotices = 4; /* cam-1 high, cam-2 medium, cam-3 high, cam-4 critical */
	assert_int_equal(world_load(w,
				    "ratelimit = no\n"
				    "event-log = /dev/null\n"
				    "event-log-prefix4 = 24\n"
				    "default-action = monitor\n"
				    "policy = enforce severity >= high\n"
				    "policy = monitor notice RC-TEST-3\n"
				    "exempt = 203.0.113.0/24\n",
				    NULL),
			 0);
	const char *models[] = {"cam-1", "cam-2", "cam-3", "cam-4"}; /* policy above */
	const uint8_t want[] = {RC_MSG_RECALLED, RC_MSG_CLEAR, RC_MSG_CLEAR, RC_MSG_RECALLED};
	for (int i = 0; i < 4; i++) {
		world_checkin(req, models[i], "1.2.3", 2, (uint8_t)i);
		assert_true(ask(w, req, sizeof(req), &a, SRC4, AF_INET));
		assert_int_equal(a.type, want[i]);
	}
	assert_int_equal(ctr(w, RD_C_HIT_ENFORCE), 2);
	assert_int_equal(ctr(w, RD_C_HIT_MONITOR), 2);
	/* the event log: four hits with their actions, source truncated to /24 */
	char line[1024];
	const char *acts[] = {"recalled", "monitored", "monitored", "recalled"};
	for (int i = 0; i < 4; i++) {
		struct rd_event *e = &w->x.ring.ev[i];
		rd_event_json(e, line, sizeof(line), 24, 128);
		assert_non_null(strstr(line, "\"source\":\"192.0.2.0\""));
		assert_non_null(strstr(line, "\"source_prefix\":24"));
		assert_null(strstr(line, "source_port"));
		rd_event_json(e, line, sizeof(line), 32, 128); /* the whole address: and its port */
		assert_non_null(strstr(line, "\"source\":\"192.0.2.10\",\"source_port\":40000,"));
		assert_non_null(strstr(line, acts[i]));
		assert_non_null(strstr(line, models[i]));
	}
	assert_int_equal(rd_ring_drain(&w->x.ring, NULL, 24, 128), 4);
	/* exempt subscribers get clear and no event */
	const uint8_t ex[4] = {203, 0, 113, 5};
	world_checkin(req, "cam-1", "1.2.3", 2, 9);
	assert_true(ask(w, req, sizeof(req), &a, ex, AF_INET));
	assert_int_equal(a.type, RC_MSG_CLEAR);
	assert_int_equal(ctr(w, RD_C_HIT_EXEMPT), 1);
	assert_int_equal(rd_ring_drain(&w->x.ring, NULL, 24, 128), 0);
}

/* The decision cache gives the same answers as the lookup, for every kind, and an entry counts
 * only for its state and until a notice it depends on starts or ends. */
static void test_cache(void **state)
{
	struct world *w = *state;
	uint8_t req[RC_CHECKIN_SIZE];
	struct rc_answer a;
	assert_int_equal(rd_cache_init(&w->x.cache, 64), 0);
	w->o.expiry_off = 60 * 86400;
	assert_int_equal(world_load(w,
				    "ratelimit = no\nevent-log = /dev/null\n"
				    "policy = monitor notice RC-TEST-2\n",
				    NULL),
			 0);
	const struct {
		const char *model, *fw;
		uint8_t type;
	} c[] = {{"cam-1", "1.2.3", RC_MSG_RECALLED},
		 {"cam-1", "9.9.9", RC_MSG_CLEAR},
		 {"cam-2", "1.2.3", RC_MSG_CLEAR},
		 {"nomodel", "1.2.3", RC_MSG_CLEAR}};
	for (int round = 0; round < 3; round++) {
		for (size_t i = 0; i < 4; i++) {
			world_checkin(req, c[i].model, c[i].fw, 2, (uint8_t)(round * 4 + i));
			assert_true(ask(w, req, sizeof(req), &a, SRC4, AF_INET));
			assert_int_equal(a.type, c[i].type);
		}
	}
	/* hits are counted and logged from cached decisions too */
	assert_int_equal(ctr(w, RD_C_HIT_ENFORCE), 3);
	assert_int_equal(ctr(w, RD_C_HIT_MONITOR), 3);
	char line[1024];
	rd_event_json(&w->x.ring.ev[5], line, sizeof(line), 32, 128);
	assert_non_null(strstr(line, "\"notice\":\"RC-TEST-2\""));
	assert_non_null(strstr(line, "\"action\":\"monitored\""));
	assert_int_equal(rd_ring_drain(&w->x.ring, NULL, 32, 128), 6);
	/* past the notice's expiry the cached "recalled" no longer holds */
	world_checkin(req, "cam-1", "1.2.3", 2, 99);
	w->x.now_s = w->o.now + 30 * 86400;
	assert_true(ask(w, req, sizeof(req), &a, SRC4, AF_INET));
	assert_int_equal(a.type, RC_MSG_CLEAR);
	/* before it starts, cached "clear" turns into "recalled" when it does */
	w->x.now_s = w->o.now - 2 * 86400;
	assert_true(ask(w, req, sizeof(req), &a, SRC4, AF_INET));
	assert_int_equal(a.type, RC_MSG_CLEAR);
	w->x.now_s = w->o.now - 86400;
	assert_true(ask(w, req, sizeof(req), &a, SRC4, AF_INET));
	assert_int_equal(a.type, RC_MSG_RECALLED);
	/* a new state (policy: monitor everything) is never answered from old entries */
	w->nowrite = true;
	assert_int_equal(world_load(w, "ratelimit = no\ndefault-action = monitor\n", w->st), 0);
	assert_true(ask(w, req, sizeof(req), &a, SRC4, AF_INET));
	assert_int_equal(a.type, RC_MSG_CLEAR);
	/* exemption is by source, after the cache */
	assert_int_equal(world_load(w, "ratelimit = no\nexempt = 192.0.2.0/24\n", w->st), 0);
	assert_true(ask(w, req, sizeof(req), &a, SRC4, AF_INET));
	assert_int_equal(a.type, RC_MSG_CLEAR);
	const uint8_t other[4] = {198, 51, 100, 1};
	assert_true(ask(w, req, sizeof(req), &a, other, AF_INET));
	assert_int_equal(a.type, RC_MSG_RECALLED);
	assert_true(ask(w, req, sizeof(req), &a, SRC4, AF_INET));
	assert_int_equal(a.type, RC_MSG_CLEAR);
	rd_cache_free(&w->x.cache);
}

/* Datagrams from multicast, broadcast, unspecified, reserved or IPv4-mapped sources, or from
 * port 0, are dropped and counted before anything else, whatever they hold; a good check-in
 * from each gets no answer. (Only rd_answer and counters: the same test runs on old code.) */
static void test_bad_source_dropped(void **state)
{
	struct world *w = *state;
	uint8_t req[RC_CHECKIN_SIZE], out[RC_ANSWER_MAX];
	assert_int_equal(world_load(w, "ratelimit = no\n", NULL), 0);
	world_checkin(req, "cam-1", "1.2.3", 2, 4);
	static const uint8_t bad4[][4] = {
	    {224, 0, 0, 1}, {239, 255, 255, 250}, {255, 255, 255, 255}, {0, 0, 0, 0},
	    {0, 1, 2, 3},   {240, 0, 0, 1},       {254, 1, 1, 1},
	};
	static const uint8_t bad6[][16] = {
	    {0},                                              /* :: */
	    {0xff, 0x02, [15] = 1},                           /* ff02::1 */
	    {0xff, 0x0e, [15] = 0x42},                        /* ff0e::42 */
	    {[10] = 0xff, [11] = 0xff, [12] = 224, [15] = 1}, /* ::ffff:224.0.0.1 */
	    {[10] = 0xff, [11] = 0xff, 255, 255, 255, 255},   /* ::ffff:255.255.255.255 */
	    {[10] = 0xff, [11] = 0xff, [12] = 0, [15] = 0},   /* ::ffff:0.0.0.0 */
	    {[10] = 0xff, [11] = 0xff, [12] = 192, 0, 2, 1},  /* ::ffff:192.0.2.1 */
	};
	uint64_t n = 0;
	for (size_t i = 0; i < sizeof(bad4) / sizeof(bad4[0]); i++, n++)
		assert_int_equal(
		    rd_answer(&w->x, w->st, AF_INET, bad4[i], 40000, req, sizeof(req), out), 0);
	for (size_t i = 0; i < sizeof(bad6) / sizeof(bad6[0]); i++, n++)
		assert_int_equal(
		    rd_answer(&w->x, w->st, AF_INET6, bad6[i], 40000, req, sizeof(req), out), 0);
	const uint8_t good6[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 1};
	assert_int_equal(rd_answer(&w->x, w->st, AF_INET, SRC4, 0, req, sizeof(req), out), 0);
	assert_int_equal(rd_answer(&w->x, w->st, AF_INET6, good6, 0, req, sizeof(req), out), 0);
	n += 2;
	/* before the length checks too: a short datagram from a bad source is a bad source */
	assert_int_equal(rd_answer(&w->x, w->st, AF_INET, bad4[0], 40000, req, 10, out), 0);
	n++;
	assert_int_equal(ctr(w, RD_C_DROP_BADSRC), n);
	assert_int_equal(ctr(w, RD_C_RX), n);
	assert_int_equal(
	    ctr(w, RD_C_DROP_SHORT) + ctr(w, RD_C_ANS_RECALLED) + ctr(w, RD_C_CACHE_MISS), 0);
	/* good sources still answered */
	assert_true(rd_answer(&w->x, w->st, AF_INET, SRC4, 40000, req, sizeof(req), out) > 0);
	assert_true(rd_answer(&w->x, w->st, AF_INET6, good6, 1, req, sizeof(req), out) > 0);
	assert_int_equal(ctr(w, RD_C_ANS_RECALLED), 2);
}

/* The classifier itself: each reason, the boundaries around each range, mapped forms. */
static void test_src_classifier(void **state)
{
	(void)state;
	static const struct {
		uint8_t a[4];
		uint16_t port;
		enum rd_src want;
	} v4[] = {
	    {{192, 0, 2, 1}, 1, RD_SRC_OK},
	    {{127, 0, 0, 1}, 7412, RD_SRC_OK},
	    {{1, 0, 0, 0}, 53, RD_SRC_OK},
	    {{223, 255, 255, 255}, 9, RD_SRC_OK},
	    {{192, 0, 2, 1}, 0, RD_SRC_PORT0},
	    {{0, 0, 0, 0}, 9, RD_SRC_UNSPECIFIED},
	    {{0, 255, 255, 255}, 9, RD_SRC_UNSPECIFIED},
	    {{224, 0, 0, 0}, 9, RD_SRC_MULTICAST},
	    {{239, 255, 255, 255}, 9, RD_SRC_MULTICAST},
	    {{240, 0, 0, 0}, 9, RD_SRC_RESERVED},
	    {{255, 255, 255, 254}, 9, RD_SRC_RESERVED},
	    {{255, 255, 255, 255}, 9, RD_SRC_BROADCAST},
	    {{255, 255, 255, 255}, 0, RD_SRC_BROADCAST}, /* the address is the worse reason */
	};
	for (size_t i = 0; i < sizeof(v4) / sizeof(v4[0]); i++)
		assert_int_equal(rd_src_check(AF_INET, v4[i].a, v4[i].port), v4[i].want);
	static const struct {
		uint8_t a[16];
		uint16_t port;
		enum rd_src want;
	} v6[] = {
	    {{0x20, 0x01, 0x0d, 0xb8, [15] = 1}, 1, RD_SRC_OK},
	    {{[15] = 1}, 7412, RD_SRC_OK}, /* ::1 */
	    {{0xfe, 0x80, [15] = 1}, 1, RD_SRC_OK},
	    {{0xfe, 0xff, [15] = 1}, 1, RD_SRC_OK},
	    {{0x20, 0x01, 0x0d, 0xb8, [15] = 1}, 0, RD_SRC_PORT0},
	    {{0}, 1, RD_SRC_UNSPECIFIED},
	    {{0xff, 0x02, [15] = 1}, 1, RD_SRC_MULTICAST},
	    {{0xff}, 1, RD_SRC_MULTICAST},
	    {{[10] = 0xff, [11] = 0xff, 224, 0, 0, 1}, 1, RD_SRC_MULTICAST},
	    {{[10] = 0xff, [11] = 0xff, 255, 255, 255, 255}, 1, RD_SRC_BROADCAST},
	    {{[10] = 0xff, [11] = 0xff, 0, 0, 0, 0}, 1, RD_SRC_UNSPECIFIED},
	    {{[10] = 0xff, [11] = 0xff, 192, 0, 2, 1}, 1, RD_SRC_MAPPED},
	    {{[10] = 0xff, [11] = 0xfe, 192, 0, 2, 1}, 1, RD_SRC_OK}, /* not mapped */
	};
	for (size_t i = 0; i < sizeof(v6) / sizeof(v6[0]); i++)
		assert_int_equal(rd_src_check(AF_INET6, v6[i].a, v6[i].port), v6[i].want);
	assert_int_equal(rd_src_check(AF_UNIX, v6[0].a, 1), RD_SRC_UNSPECIFIED);
	for (int r = 0; r < RD_SRC__COUNT; r++)
		assert_non_null(strstr(rd_src_name((enum rd_src)r), r ? "source" : "ok"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_clear_recalled_unsupported, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_rotation, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_drops, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_mutations, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_expiry, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_ratelimit, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_ratelimit_drop_and_slip, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_policy, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_cache, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_bad_source_dropped, setup, teardown),
	    cmocka_unit_test(test_src_classifier),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
