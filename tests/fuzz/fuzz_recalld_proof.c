/* libFuzzer target: recalld's answer to a proof request (rd_answer: the type peek, the strict
 * proof-request decoder, the leaf lookup, the precomputed proof answer with its nonce patched,
 * retry-later for unknown leaves and monitored notices, the event log) over a loaded test world
 * with a transparency log (tests/helpers/probe/rdfix.c: 4 notices, 3 of them in a log of 300
 * entries cosigned by 2 of 3 witnesses; policy monitoring RC-TEST-2).
 * The input is the start of a datagram: zero-padded (or cut) to RC_CHECKIN_SIZE. It is answered
 * once, then with other nonce bytes.
 * Properties: never crash or leak; no answer is larger than its request; an answer to a proof
 * request decodes and echoes its nonce; a proof answer only for a leaf of a served, logged and
 * enforced notice, and its proof verifies for that notice (rc_logproof_verify); every event-log
 * line is one JSON object of printable ASCII.
 * With RECALL_WRITE_SEEDS=<corpus root> it writes its seed corpus (recalld_proof/) first. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "probe/rdworld.h"
#include "recall/logproof.h"
#include "testutil.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct world w;
static uint8_t leaves[5][32]; /* of notices 1..4 */

static void cleanup(void)
{
	world_free(&w);
	rdfix_has_log = false;
}

static void seed(const char *name, const uint8_t *p, size_t n)
{
	while (n && !p[n - 1])
		n--; /* the target pads with zeros */
	tu_write_seed("recalld_proof", name, p, n);
}

static void write_seeds(void)
{
	static const struct {
		const char *name;
		unsigned notice;
		uint64_t epoch;
	} s[] = {
	    {"logged-1", 1, 2},   {"logged-3", 3, 2}, {"monitored-2", 2, 2},
	    {"unlogged-4", 4, 2}, {"rotate-0", 1, 0}, {"future-epoch", 1, 9},
	};
	uint8_t b[RC_CHECKIN_SIZE];
	struct rc_proofreq q;
	for (size_t i = 0; i < sizeof(s) / sizeof(s[0]); i++) {
		memset(&q, 0, sizeof(q));
		memset(q.nonce, (int)i + 1, sizeof(q.nonce));
		memcpy(q.leaf, leaves[s[i].notice], sizeof(q.leaf));
		q.anchor_epoch = s[i].epoch;
		if (rc_proofreq_encode(&q, b) != RC_OK)
			abort();
		seed(s[i].name, b, sizeof(b));
	}
	memset(q.leaf, 0x42, sizeof(q.leaf));
	q.anchor_epoch = 2;
	if (rc_proofreq_encode(&q, b) != RC_OK)
		abort();
	seed("unknown-leaf", b, sizeof(b));
	memcpy(q.leaf, leaves[1], sizeof(q.leaf));
	if (rc_proofreq_encode(&q, b) != RC_OK)
		abort();
	b[4] = 2; /* protocol version 2 */
	seed("version-2", b, sizeof(b));
	if (rc_proofreq_encode(&q, b) != RC_OK)
		abort();
	b[RC_CHECKIN_SIZE - 1] = 1; /* a non-zero pad byte */
	tu_write_seed("recalld_proof", "pad-nonzero", b, sizeof(b));
}

static void init(void)
{
	char extra[512];
	struct rc_note_key k;
	uint8_t sk[64], nb[RC_NOTICE_MAX];
	size_t len;
	world_init(&w);
	w.o.nnotices = 4;
	rdfix_log_key(&k, sk);
	if (rdfix_log_world(RDFIX_LOG_ORIGIN, k.pk, 3, 2, 86400) ||
	    rdfix_write_dir(w.dir, &w.o, true) ||
	    rdfix_write_log(w.dir, &w.o, 300, 290, 3, 2, w.o.now - 100))
		abort();
	for (unsigned i = 1; i <= 4; i++) {
		if (rdfix_notice(nb, sizeof(nb), &len, i, w.o.now, w.o.epoch, RDFIX_K))
			abort();
		rc_tlog_leaf_hash(leaves[i], nb, len);
	}
	w.nowrite = true;
	snprintf(extra, sizeof(extra),
		 "event-log = %s/events\npolicy = monitor notice RC-TEST-2\nratelimit = no\n"
		 "transparency-log = %s/tlog\nstate-dir = %s\n",
		 w.dir, w.dir, w.dir);
	if (world_load(&w, extra, NULL) != 0 || !w.st->log || w.st->log->n != 3) {
		fprintf(stderr, "world: %s %s\n", w.err, w.st ? w.st->log_msg : "");
		abort();
	}
	atexit(cleanup);
	if (getenv("RECALL_WRITE_SEEDS"))
		write_seeds();
}

/* Every line one JSON object of printable ASCII. */
static bool log_ok(const char *s, size_t n)
{
	for (size_t i = 0; i < n;) {
		const char *nl = memchr(s + i, '\n', n - i);
		if (!nl || s[i] != '{' || nl[-1] != '}')
			return false;
		for (const char *p = s + i; p < nl; p++) {
			if (*p < 0x20 || *p > 0x7e)
				return false;
		}
		i = (size_t)(nl - s) + 1;
	}
	return true;
}

static void fail(const char *what, const uint8_t *req)
{
	fprintf(stderr, "fuzz property broken: %s\nrequest:", what);
	for (size_t i = 0; i < 64; i++)
		fprintf(stderr, " %02x", req[i]);
	fprintf(stderr, "\n");
	abort();
}

static void answer(const uint8_t *req)
{
	static const uint8_t addr[16] = {192, 0, 2, 1};
	uint8_t out[RC_ANSWER_MAX];
	w.x.now_ms += 10;
	size_t n = rd_answer(&w.x, w.st, AF_INET, addr, 40000, req, RC_CHECKIN_SIZE, out);
	if (n > RC_CHECKIN_SIZE)
		fail("an answer larger than its request", req);
	char *log = NULL;
	size_t loglen = 0;
	FILE *f = open_memstream(&log, &loglen);
	if (!f)
		abort();
	rd_ring_drain(&w.x.ring, f, 32, 128);
	fclose(f);
	bool ok = log_ok(log, loglen);
	free(log);
	if (!ok)
		fail("an event-log line that is not one JSON object", req);
	if (!n || rc_msg_peek_type(req, RC_CHECKIN_SIZE) != RC_MSG_PROOF_REQUEST)
		return;
	struct rc_proofreq q;
	struct rc_answer a;
	int e = rc_proofreq_decode(&q, req, RC_CHECKIN_SIZE, NULL);
	if (e != RC_OK && e != RC_ERR_VERSION)
		fail("an answer to a proof request that does not decode", req);
	if (rc_answer_decode(&a, out, n, NULL) != RC_OK || memcmp(a.nonce, q.nonce, RC_NONCE_LEN))
		fail("an answer that does not decode or echo the nonce", req);
	if (a.type == RC_MSG_CLEAR || a.type == RC_MSG_RECALLED)
		fail("a check-in answer to a proof request", req);
	if (a.type != RC_MSG_PROOF)
		return;
	unsigned i = 1;
	while (i <= 4 && memcmp(leaves[i], q.leaf, 32))
		i++;
	if (i != 1 && i != 3)
		fail("a proof for a leaf that is not a logged, enforced notice", req);
	uint8_t nb[RC_NOTICE_MAX];
	size_t len;
	struct rc_logproof p;
	if (rdfix_notice(nb, sizeof(nb), &len, i, w.o.now, w.o.epoch, RDFIX_K) ||
	    rc_logproof_decode(&p, a.blob, a.blob_len, NULL) ||
	    rc_logproof_verify(&w.st->anchors, nb, len, &p, w.o.now, true, NULL, NULL))
		fail("a proof that does not verify", req);
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
		req[i] ^= 0x5a; /* other nonce bytes */
	answer(req);
	return 0;
}
