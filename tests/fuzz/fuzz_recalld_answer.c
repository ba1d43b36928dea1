/* libFuzzer target: recalld's answer to one datagram (rd_answer: rate limit, the per-worker
 * cache, the strict decoder, the notice lookup, the answer and the event log) over a loaded test
 * world (tests/helpers/probe/rdworld.h: 3 notices for acme/cam-1..3 fwver 1.2.3, anchors of
 * epoch 2 with rotations from 0 and 1, policy monitoring RC-TEST-2, the notice of cam-2).
 * The input is the start of a check-in: zero-padded (or cut) to RC_CHECKIN_SIZE, the only size
 * recalld answers. It is answered by two workers, one with the cache and one without, then once
 * more with other nonce bytes, then once more as it was.
 * Properties: never crash or leak; no answer is larger than its request; an answer decodes,
 * echoes the request's nonce and has a type the request calls for (a proof request, with no
 * log here, gets retry-later, rotate or unsupported; a private check-in a bucket, retry-later,
 * rotate or unsupported; a notice request a recalled (of acme's), clear, retry-later, rotate or
 * unsupported, PROTOCOL.md 18.3); the worker with the cache
 * answers exactly as the one without (byte for byte, same event-log lines); every event-log
 * line is one JSON object of printable ASCII.
 * With RECALL_WRITE_SEEDS=<corpus root> it writes its seed corpus (recalld_answer/) first. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "probe/rdworld.h"
#include "recall/cose.h"
#include "testutil.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct worker {
	struct rd_counters cnt;
	struct rd_ctx x;
	char *log;
	size_t loglen;
};

static struct world w;
static struct worker cached, plain;

static void worker_init(struct worker *k, size_t cache)
{
	memset(k, 0, sizeof(*k));
	k->x.cnt = &k->cnt;
	k->x.nworkers = 1;
	k->x.now_s = w.o.now;
	k->x.now_ms = 1000;
	if (rd_rl_init(&k->x.rl, 1024) || rd_ring_init(&k->x.ring, 64) ||
	    rd_cache_init(&k->x.cache, cache))
		abort();
}

static void cleanup(void)
{
	rd_cache_free(&cached.x.cache);
	rd_cache_free(&plain.x.cache);
	rd_rl_free(&cached.x.rl);
	rd_rl_free(&plain.x.rl);
	rd_ring_free(&cached.x.ring);
	rd_ring_free(&plain.x.ring);
	world_free(&w);
}

static void seed(const char *name, const uint8_t *p, size_t n)
{
	while (n && !p[n - 1])
		n--; /* the target pads with zeros */
	tu_write_seed("recalld_answer", name, p, n);
}

static void write_seeds(void)
{
	static const struct {
		const char *name, *model, *fwver;
		uint64_t epoch;
	} s[] = {
	    {"recalled", "cam-1", "1.2.3", 2}, {"monitored", "cam-2", "1.2.3", 2},
	    {"clear", "cam-1", "1.2.4", 2},    {"unknown", "cam-9", "1.2.3", 2},
	    {"rotate-0", "cam-1", "1.2.3", 0}, {"rotate-1", "cam-3", "1.2.3", 1},
	    {"future", "cam-1", "1.2.3", 7},
	};
	uint8_t b[RC_CHECKIN_SIZE];
	for (size_t i = 0; i < sizeof(s) / sizeof(s[0]); i++) {
		world_checkin(b, s[i].model, s[i].fwver, s[i].epoch, (uint8_t)i);
		seed(s[i].name, b, sizeof(b));
	}
	world_checkin(b, "cam-1", "1.2.3", 2, 9);
	b[4] = 2; /* protocol version 2: unsupported */
	seed("version-2", b, sizeof(b));
	struct rc_checkin c;
	memset(&c, 0, sizeof(c));
	fx_identity(&c.id);
	c.id.model = rc_str_c("cam-1");
	c.id.has_build_date = true;
	c.id.build_date = 1700000000;
	c.id.has_digest = true;
	memset(c.id.digest, 0xab, sizeof(c.id.digest));
	c.anchor_epoch = 2;
	c.reason = RC_REASON_RECHECK;
	c.state = RC_STATE_QUARANTINED;
	if (rc_checkin_encode(&c, b) != RC_OK)
		abort();
	seed("full-identity", b, sizeof(b));
	struct rc_proofreq q;
	memset(&q, 0, sizeof(q));
	memset(q.leaf, 0x42, sizeof(q.leaf));
	q.anchor_epoch = 2;
	if (rc_proofreq_encode(&q, b) != RC_OK)
		abort();
	seed("proof-request", b, sizeof(b)); /* no log in this world: retry-later */
	/* private mode: cam-1's bucket (page 0, a page past the last), its notice and one more */
	struct rc_private_checkin pc = {.prefix = 0, .anchor_epoch = 2};
	struct rc_notice_request nr = {.anchor_epoch = 2};
	rc_private_hash(rc_str_c("acme"), rc_str_c("cam-1"), nr.tag, &pc.prefix);
	for (uint8_t page = 0; page < 2; page++) {
		pc.page = (uint8_t)(page * 3);
		if (rc_private_checkin_encode(&pc, b) != RC_OK)
			abort();
		seed(page ? "private-page-3" : "private", b, sizeof(b));
	}
	for (uint16_t i = 0; i < 2; i++) {
		nr.index = i;
		if (rc_notice_request_encode(&nr, b) != RC_OK)
			abort();
		seed(i ? "notice-request-1" : "notice-request", b, sizeof(b));
	}
	pc.anchor_epoch = 0;
	if (rc_private_checkin_encode(&pc, b) != RC_OK)
		abort();
	seed("private-rotate", b, sizeof(b));
	world_checkin(b, "cam-1", "1.2.3", 2, 3);
	b[RC_CHECKIN_SIZE - 1] = 1; /* a non-zero pad byte */
	tu_write_seed("recalld_answer", "pad-nonzero", b, sizeof(b));
}

static void init(void)
{
	char extra[256];
	world_init(&w);
	snprintf(extra, sizeof(extra), "event-log = %s/events\npolicy = monitor notice RC-TEST-2\n",
		 w.dir);
	if (world_load(&w, extra, NULL) != 0) {
		fprintf(stderr, "world: %s\n", w.err);
		abort();
	}
	worker_init(&cached, 256);
	worker_init(&plain, 0);
	atexit(cleanup);
	if (getenv("RECALL_WRITE_SEEDS"))
		write_seeds();
}

/* Every line one JSON object of printable ASCII with balanced strings. */
static bool log_ok(const char *s, size_t n)
{
	for (size_t i = 0; i < n;) {
		const char *nl = memchr(s + i, '\n', n - i);
		if (!nl || s[i] != '{' || nl[-1] != '}')
			return false;
		bool in = false;
		for (const char *p = s + i; p < nl; p++) {
			if (*p < 0x20 || *p > 0x7e)
				return false;
			if (in && *p == '\\')
				p++;
			else if (*p == '"')
				in = !in;
		}
		if (in)
			return false;
		i = (size_t)(nl - s) + 1;
	}
	return true;
}

static void drain(struct worker *k)
{
	FILE *f = open_memstream(&k->log, &k->loglen);
	if (!f)
		abort();
	rd_ring_drain(&k->x.ring, f, 32, 128);
	fclose(f);
}

static void fail(const char *what, const uint8_t *req)
{
	fprintf(stderr, "fuzz property broken: %s\nrequest:", what);
	for (size_t i = 0; i < 64; i++)
		fprintf(stderr, " %02x", req[i]);
	fprintf(stderr, "\ncached log:\n%s\nplain log:\n%s\n", cached.log ? cached.log : "",
		plain.log ? plain.log : "");
	abort();
}

/* A private check-in's or a notice request's answer (PROTOCOL.md 18.3). */
static void private_answer(const uint8_t *req, int type, const uint8_t *a1, size_t n1)
{
	struct rc_private_checkin pc;
	struct rc_notice_request nr;
	struct rc_bucket b;
	struct rc_answer a;
	int e = type == RC_MSG_PRIVATE ? rc_private_checkin_decode(&pc, req, RC_CHECKIN_SIZE, NULL)
				       : rc_notice_request_decode(&nr, req, RC_CHECKIN_SIZE, NULL);
	const uint8_t *nonce = type == RC_MSG_PRIVATE ? pc.nonce : nr.nonce;
	if (e != RC_OK && e != RC_ERR_VERSION)
		fail("an answer to a private request that does not decode", req);
	int at = rc_msg_peek_type(a1, n1);
	if (at == RC_MSG_BUCKET) {
		if (type != RC_MSG_PRIVATE || e || rc_bucket_decode(&b, a1, n1, NULL) != RC_OK ||
		    memcmp(b.nonce, nonce, RC_NONCE_LEN) || b.serial != w.o.serial)
			fail("a wrong bucket answer", req);
		return;
	}
	if (rc_answer_decode(&a, a1, n1, NULL) != RC_OK || memcmp(a.nonce, nonce, RC_NONCE_LEN))
		fail("a private answer that does not decode or echo the nonce", req);
	if ((e == RC_ERR_VERSION) != (a.type == RC_MSG_UNSUPPORTED) ||
	    (type == RC_MSG_PRIVATE && a.type != RC_MSG_RETRY && a.type != RC_MSG_ROTATE &&
	     a.type != RC_MSG_UNSUPPORTED) ||
	    (type == RC_MSG_NOTICE_REQUEST && a.type == RC_MSG_PROOF))
		fail("a private answer of the wrong type", req);
	if (a.type == RC_MSG_RECALLED) {
		/* the notice of the tag asked for, and never the monitored one (cam-2) */
		struct rc_cose_sign m;
		struct rc_notice n;
		uint8_t tag[RC_PRIVATE_TAG_LEN];
		if (rc_cose_decode(&m, a.blob, a.blob_len, NULL) ||
		    rc_notice_decode(&n, m.payload, m.payload_len, NULL))
			fail("a recalled answer whose notice does not decode", req);
		rc_private_hash(n.target.vendor, n.target.model, tag, NULL);
		if (memcmp(tag, nr.tag, RC_PRIVATE_TAG_LEN) ||
		    rc_str_eq(n.id, rc_str_c("RC-TEST-2")))
			fail("a notice request answered with another model's or a monitored notice",
			     req);
	}
}

static void answer(const uint8_t *req)
{
	static const uint8_t addr[16] = {192, 0, 2, 1};
	uint8_t a1[RC_ANSWER_MAX], a2[RC_ANSWER_MAX];
	cached.x.now_ms += 10;
	plain.x.now_ms += 10;
	size_t n1 = rd_answer(&cached.x, w.st, AF_INET, addr, 40000, req, RC_CHECKIN_SIZE, a1);
	size_t n2 = rd_answer(&plain.x, w.st, AF_INET, addr, 40000, req, RC_CHECKIN_SIZE, a2);
	if (n1 > RC_CHECKIN_SIZE || n2 > RC_CHECKIN_SIZE)
		fail("an answer larger than its request", req);
	if (n1 != n2 || memcmp(a1, a2, n1))
		fail("the worker with the cache answers differently", req);
	drain(&cached);
	drain(&plain);
	if (cached.loglen != plain.loglen || memcmp(cached.log, plain.log, plain.loglen))
		fail("the worker with the cache logs differently", req);
	if (!log_ok(plain.log, plain.loglen))
		fail("an event-log line that is not one JSON object", req);
	free(cached.log);
	free(plain.log);
	cached.log = plain.log = NULL;
	if (!n1)
		return;
	struct rc_checkin c;
	struct rc_answer a;
	if (rc_msg_peek_type(req, RC_CHECKIN_SIZE) == RC_MSG_PROOF_REQUEST) {
		/* this world has no log: never a proof, never a check-in's answer */
		struct rc_proofreq q;
		int pe = rc_proofreq_decode(&q, req, RC_CHECKIN_SIZE, NULL);
		if ((pe != RC_OK && pe != RC_ERR_VERSION) ||
		    rc_answer_decode(&a, a1, n1, NULL) != RC_OK ||
		    memcmp(a.nonce, q.nonce, RC_NONCE_LEN) ||
		    (a.type != RC_MSG_RETRY && a.type != RC_MSG_ROTATE &&
		     a.type != RC_MSG_UNSUPPORTED))
			fail("a wrong answer to a proof request", req);
		return;
	}
	int type = rc_msg_peek_type(req, RC_CHECKIN_SIZE);
	if (type == RC_MSG_PRIVATE || type == RC_MSG_NOTICE_REQUEST) {
		private_answer(req, type, a1, n1);
		return;
	}
	int e = rc_checkin_decode(&c, req, RC_CHECKIN_SIZE, NULL);
	if (e != RC_OK && e != RC_ERR_VERSION)
		fail("an answer to a request that does not decode", req);
	if (rc_answer_decode(&a, a1, n1, NULL) != RC_OK || memcmp(a.nonce, c.nonce, RC_NONCE_LEN))
		fail("an answer that does not decode or echo the nonce", req);
	if ((e == RC_ERR_VERSION) != (a.type == RC_MSG_UNSUPPORTED) ||
	    (a.type == RC_MSG_RECALLED && !rc_str_eq(c.id.vendor, rc_str_c("acme"))))
		fail("an answer of the wrong type", req);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool ready;
	static uint8_t req[RC_CHECKIN_SIZE];
	if (!ready) {
		init();
		ready = true;
	}
	size_t n = size < sizeof(req) ? size : sizeof(req);
	memset(req, 0, sizeof(req));
	memcpy(req, data, n);
	answer(req);
	for (size_t i = 7; i < 23; i++)
		req[i] ^= 0x5a; /* other nonce bytes: the cache's fast path */
	answer(req);
	memcpy(req, data, n);
	answer(req);
	return 0;
}
