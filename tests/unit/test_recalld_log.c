/* recalld's transparency log (responder/logload.c) and proof answers (answer.c): proof answers
 * that verify (rc_logproof_verify), the hot path's copy and nonce patch, never larger than the
 * request; retry-later for unknown or withheld leaves; cosignatures trimmed to fit, a proof that
 * cannot fit not built and counted; checkpoints refused (quorum, tiles) and forks and rollbacks
 * against the kept checkpoint refused with the old proofs carried over. Logs are written by
 * rdfix_write_log (tests/helpers/probe/rdfix.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <sys/socket.h>

#include "probe/rdworld.h"
#include "recall/logproof.h"

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
	rdfix_has_log = false;
	return 0;
}

/* Write the world with a log policy (nwit witnesses, quorum) and a log of size entries that
 * holds notices 1..nlogged at indexes at.., cosigned by ncosig witnesses; load it (cur: the state
 * before, for the consistency check). */
static int load_log(struct world *w, uint64_t size, uint64_t at, unsigned nlogged, unsigned nwit,
		    unsigned quorum, unsigned ncosig, const char *extra)
{
	struct rc_note_key k;
	uint8_t sk[64];
	char conf[1024];
	rdfix_log_key(&k, sk);
	w->o.serial++; /* a new feed each time: never refused as stale */
	assert_int_equal(rdfix_log_world(RDFIX_LOG_ORIGIN, k.pk, nwit, quorum, 86400), RC_OK);
	assert_int_equal(rdfix_write_dir(w->dir, &w->o, true), 0);
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s/tlog'", w->dir);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(rdfix_write_log(w->dir, &w->o, size, at, nlogged, ncosig, w->o.now - 100),
			 0);
	w->nowrite = true;
	snprintf(conf, sizeof(conf), "transparency-log = %s/tlog\nstate-dir = %s\n%s", w->dir,
		 w->dir, extra ? extra : "");
	return world_load(w, conf, w->st);
}

static void notice_bytes(const struct world *w, unsigned i, uint8_t *out, size_t *len)
{
	assert_int_equal(rdfix_notice(out, RC_NOTICE_MAX, len, i, w->o.now, w->o.epoch, RDFIX_K),
			 RC_OK);
}

static void proofreq(const struct world *w, uint8_t req[RC_CHECKIN_SIZE], unsigned notice,
		     uint8_t nonce_byte)
{
	uint8_t nb[RC_NOTICE_MAX];
	size_t len;
	struct rc_proofreq q;
	memset(&q, 0, sizeof(q));
	memset(q.nonce, nonce_byte, sizeof(q.nonce));
	notice_bytes(w, notice, nb, &len);
	rc_tlog_leaf_hash(q.leaf, nb, len);
	q.anchor_epoch = w->o.epoch;
	assert_int_equal(rc_proofreq_encode(&q, req), RC_OK);
}

/* Answer req; every answer at most the request's size and echoing its nonce. */
static size_t ask(struct world *w, const uint8_t *req, uint8_t *out, struct rc_answer *a)
{
	size_t n = rd_answer(&w->x, w->st, AF_INET, SRC4, 40000, req, RC_CHECKIN_SIZE, out);
	assert_true(n > 0 && n <= RC_CHECKIN_SIZE);
	struct rc_proofreq q;
	assert_int_equal(rc_proofreq_decode(&q, req, RC_CHECKIN_SIZE, NULL), RC_OK);
	assert_int_equal(rc_answer_decode(a, out, n, NULL), RC_OK);
	assert_memory_equal(a->nonce, q.nonce, RC_NONCE_LEN);
	return n;
}

/* The proof in a verifies for notice i; returns its cosignature count. */
static uint32_t verify(const struct world *w, const struct rc_answer *a, unsigned i, uint64_t index,
		       uint64_t size)
{
	uint8_t nb[RC_NOTICE_MAX];
	size_t len;
	struct rc_logproof p;
	uint32_t wn = 0;
	assert_int_equal(a->type, RC_MSG_PROOF);
	assert_int_equal(rc_logproof_decode(&p, a->blob, a->blob_len, NULL), RC_OK);
	notice_bytes(w, i, nb, &len);
	assert_int_equal(
	    rc_logproof_verify(&w->st->anchors, nb, len, &p, w->o.now, true, &wn, NULL), RC_OK);
	assert_true(wn >= w->st->anchors.log.quorum);
	assert_int_equal(p.index, index);
	assert_int_equal(p.size, size);
	return p.ncosig;
}

static void test_proof_answer(void **state)
{
	struct world *w = *state;
	uint8_t req[RC_CHECKIN_SIZE], a1[RC_ANSWER_MAX], a2[RC_ANSWER_MAX];
	struct rc_answer a;
	assert_int_equal(load_log(w, 5, 2, 3, 3, 2, 2, NULL), 0);
	assert_int_equal(w->st->log_res, RD_LOGR_OK);
	assert_non_null(w->st->log);
	assert_int_equal(w->st->log->n, 3);
	assert_int_equal(w->st->log->unlogged, 0);
	assert_int_equal(w->st->log->witnesses, 2);
	for (unsigned i = 1; i <= 3; i++) {
		proofreq(w, req, i, (uint8_t)i);
		ask(w, req, a1, &a);
		assert_int_equal(verify(w, &a, i, 1 + i, 5), 2);
	}
	/* the same proof with another nonce: the same bytes but the nonce's */
	proofreq(w, req, 2, 0x11);
	size_t n1 = ask(w, req, a1, &a);
	proofreq(w, req, 2, 0x22);
	size_t n2 = ask(w, req, a2, &a);
	assert_int_equal(n1, n2);
	assert_memory_equal(a1, a2, RD_PROOF_NONCE_AT);
	assert_memory_equal(a1 + RD_PROOF_NONCE_AT + RC_NONCE_LEN,
			    a2 + RD_PROOF_NONCE_AT + RC_NONCE_LEN,
			    n1 - RD_PROOF_NONCE_AT - RC_NONCE_LEN);
	assert_int_equal(w->cnt.c[RD_C_PROOF_REQ], 5);
	assert_int_equal(w->cnt.c[RD_C_ANS_PROOF], 5);
}

static void test_unknown_and_withheld(void **state)
{
	struct world *w = *state;
	uint8_t req[RC_CHECKIN_SIZE], out[RC_ANSWER_MAX];
	struct rc_answer a;
	w->o.nnotices = 4;
	assert_int_equal(load_log(w, 3, 0, 3, 3, 2, 3, "policy = monitor notice RC-TEST-2\n"), 0);
	assert_int_equal(w->st->log->unlogged, 1);
	proofreq(w, req, 4, 1); /* served, not in the log */
	ask(w, req, out, &a);
	assert_int_equal(a.type, RC_MSG_RETRY);
	assert_int_equal(a.delay, 600);
	struct rc_proofreq q;
	memset(&q, 0, sizeof(q));
	memset(q.leaf, 0x77, sizeof(q.leaf));
	q.anchor_epoch = w->o.epoch;
	assert_int_equal(rc_proofreq_encode(&q, req), RC_OK);
	ask(w, req, out, &a);
	assert_int_equal(a.type, RC_MSG_RETRY);
	assert_int_equal(w->cnt.c[RD_C_PROOF_UNKNOWN], 2);
	proofreq(w, req, 2, 2); /* monitored by policy: no proof */
	ask(w, req, out, &a);
	assert_int_equal(a.type, RC_MSG_RETRY);
	assert_int_equal(w->cnt.c[RD_C_PROOF_WITHHELD], 1);
	proofreq(w, req, 1, 3);
	ask(w, req, out, &a);
	assert_int_equal(a.type, RC_MSG_PROOF);
	/* an older anchor epoch: the rotation first, as for check-ins */
	proofreq(w, req, 1, 4);
	struct rc_proofreq r;
	assert_int_equal(rc_proofreq_decode(&r, req, RC_CHECKIN_SIZE, NULL), RC_OK);
	r.anchor_epoch = 0;
	assert_int_equal(rc_proofreq_encode(&r, req), RC_OK);
	ask(w, req, out, &a);
	assert_int_equal(a.type, RC_MSG_ROTATE);
	/* not 1200 bytes: dropped like a check-in */
	proofreq(w, req, 1, 5);
	assert_int_equal(rd_answer(&w->x, w->st, AF_INET, SRC4, 40000, req, 1199, out), 0);
}

/* The hot path: a copy of the body with the nonce patched, never more than cap bytes. */
static void test_nonce_patch_and_bound(void **state)
{
	struct world *w = *state;
	uint8_t out[RC_ANSWER_MAX + 16], nonce[RC_NONCE_LEN];
	assert_int_equal(load_log(w, 3, 0, 3, 3, 2, 2, NULL), 0);
	const struct rd_log *l = w->st->log;
	const struct rd_proof *p = &l->v[0];
	assert_ptr_equal(rd_log_find(l, p->leaf), p);
	memset(nonce, 0xc3, sizeof(nonce));
	memset(out, 0xee, sizeof(out));
	assert_int_equal(rd_proof_answer(l, p, nonce, out, p->len - 1), 0);
	assert_int_equal(out[0], 0xee); /* nothing written */
	assert_int_equal(rd_proof_answer(l, p, nonce, out, p->len), p->len);
	assert_int_equal(out[p->len], 0xee);
	assert_memory_equal(out, l->bodies + p->off, RD_PROOF_NONCE_AT);
	assert_memory_equal(out + RD_PROOF_NONCE_AT, nonce, RC_NONCE_LEN);
	assert_memory_equal(out + RD_PROOF_NONCE_AT + RC_NONCE_LEN,
			    l->bodies + p->off + RD_PROOF_NONCE_AT + RC_NONCE_LEN,
			    p->len - RD_PROOF_NONCE_AT - RC_NONCE_LEN);
	struct rc_answer a;
	assert_int_equal(rc_answer_decode(&a, out, p->len, NULL), RC_OK);
	assert_memory_equal(a.nonce, nonce, RC_NONCE_LEN);
	uint8_t leaf[32];
	memset(leaf, 0, sizeof(leaf));
	assert_null(rd_log_find(l, leaf));
	assert_null(rd_log_find(NULL, leaf));
}

/* A path of 15 hashes (entry 0 of 16385) and 8 cosignatures do not fit in 1200 bytes: the oldest
 * cosignature is left out; with a quorum of 8 the proof cannot fit and is counted. */
static void test_trim_and_oversized(void **state)
{
	struct world *w = *state;
	uint8_t req[RC_CHECKIN_SIZE], out[RC_ANSWER_MAX];
	struct rc_answer a;
	struct rc_logproof p;
	assert_int_equal(load_log(w, 16385, 0, 1, 8, 2, 8, NULL), 0);
	assert_int_equal(w->st->log_res, RD_LOGR_OK);
	assert_int_equal(w->st->log->n, 1);
	proofreq(w, req, 1, 1);
	size_t n = ask(w, req, out, &a);
	assert_true(n <= RC_ANSWER_MAX);
	assert_int_equal(verify(w, &a, 1, 0, 16385), 7);
	assert_int_equal(rc_logproof_decode(&p, a.blob, a.blob_len, NULL), RC_OK);
	for (uint32_t i = 0; i < p.ncosig; i++)
		assert_true(p.cosig[i].time != w->o.now - 100); /* witness 0's, the oldest */
	assert_int_equal(load_log(w, 16385, 0, 1, 8, 8, 8, NULL), 0);
	assert_int_equal(w->st->log_res, RD_LOGR_OK);
	assert_int_equal(w->st->log->n, 0);
	assert_int_equal(w->st->log->oversized, 1);
	assert_int_equal(w->st->log->unlogged, 3);
	ask(w, req, out, &a);
	assert_int_equal(a.type, RC_MSG_RETRY);
}

static void test_refused(void **state)
{
	struct world *w = *state;
	char err[256], path[200];
	assert_int_equal(load_log(w, 5, 2, 3, 3, 2, 1, NULL), 0);
	assert_int_equal(w->st->log_res, RD_LOGR_QUORUM);
	assert_null(w->st->log);
	assert_non_null(strstr(w->st->log_msg, "1 valid witness cosignatures, the quorum is 2"));
	/* no policy in the anchor set */
	rdfix_has_log = false;
	w->o.serial++;
	assert_int_equal(rdfix_write_dir(w->dir, &w->o, true), 0);
	snprintf(err, sizeof(err), "transparency-log = %s/tlog\nstate-dir = %s\n", w->dir, w->dir);
	assert_int_equal(world_load(w, err, w->st), 0);
	assert_int_equal(w->st->log_res, RD_LOGR_POLICY);
	/* a tile of the wrong size */
	assert_int_equal(load_log(w, 5, 2, 3, 3, 2, 2, NULL), 0);
	assert_int_equal(w->st->log_res, RD_LOGR_OK);
	snprintf(path, sizeof(path), "%s/tlog/tile/0/000.p/5", w->dir);
	/* a hash changed: the tiles do not give the signed root */
	FILE *f = fopen(path, "r+b");
	assert_non_null(f);
	fseek(f, 3 * 32 + 5, SEEK_SET);
	fputc(0x55, f);
	fclose(f);
	assert_int_equal(world_load(w, err, w->st), 0);
	assert_int_equal(w->st->log_res, RD_LOGR_TILES);
	assert_non_null(strstr(w->st->log_msg, "the tiles do not give the signed root"));
	assert_int_equal(truncate(path, 5 * 32 - 1), 0);
	assert_int_equal(world_load(w, err, w->st), 0);
	assert_int_equal(w->st->log_res, RD_LOGR_FORMAT);
	assert_non_null(strstr(w->st->log_msg, "not the size its name says"));
	/* the proofs of the last accepted log stay */
	assert_non_null(w->st->log);
	assert_int_equal(w->st->log->n, 3);
}

static void test_fork_and_rollback(void **state)
{
	struct world *w = *state;
	char err[256];
	uint8_t req[RC_CHECKIN_SIZE], out[RC_ANSWER_MAX];
	struct rc_answer a;
	assert_int_equal(load_log(w, 5, 2, 3, 3, 2, 2, NULL), 0);
	assert_int_equal(rd_log_persist(w->st, false, err, sizeof(err)), 0);
	/* a fork: 6 entries whose third differs */
	assert_int_equal(load_log(w, 6, 4, 2, 3, 2, 2, NULL), 0);
	assert_int_equal(w->st->log_res, RD_LOGR_INCONSISTENT);
	assert_non_null(strstr(w->st->log_msg, "log fork: size 6 root "));
	assert_non_null(strstr(w->st->log_msg, "size 5 root "));
	assert_int_equal(w->st->log->size, 5);
	assert_int_equal(w->st->log->n, 3);
	proofreq(w, req, 3, 1);
	ask(w, req, out, &a);
	assert_int_equal(verify(w, &a, 3, 4, 5), 2);
	/* a rollback */
	assert_int_equal(load_log(w, 3, 3, 0, 3, 2, 2, NULL), 0);
	assert_int_equal(w->st->log_res, RD_LOGR_INCONSISTENT);
	assert_non_null(strstr(w->st->log_msg, "log rollback: size 3 root "));
	assert_int_equal(w->st->log->n, 3);
}

/* The configuration keys and their checks as a whole. */
static void test_config(void **state)
{
	(void)state;
	static const struct {
		const char *extra, *want; /* want NULL: accepted */
	} c[] = {
	    {"transparency-log = /l\n", NULL},
	    {"transparency-log = /l\nstate-dir = \"\"\n",
	     "state-dir: needed with transparency-log"},
	    {"transparency-log = l\n", "is not an absolute path"},
	    {"proof-retry-delay = 1500ms\n", "proof-retry-delay: answers carry whole seconds"},
	    {"proof-retry-delay = 2d\n", "out of range"},
	    {"chroot = /c\ntransparency-log = /c/l\nstate-dir = /c/s\n", NULL},
	    {"chroot = /c\ntransparency-log = /l\nstate-dir = /c/s\n",
	     "transparency-log: /l is outside chroot /c"},
	    {"chroot = /c\ntransparency-log = /c/l\n",
	     "state-dir: /var/lib/recalld is outside chroot /c"},
	};
	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		char text[512], err[CONF_ERR_MAX + 64] = "";
		const char *root = strstr(c[i].extra, "chroot") ? "/c" : "";
		snprintf(text, sizeof(text),
			 "listen = 127.0.0.1\nfeed = %s/f\nfeed-key = %s/k\nanchors = %s/a\n%s",
			 root, root, root, c[i].extra);
		struct rd_config cfg;
		memset(&cfg, 0, sizeof(cfg));
		int r = rd_config_load_buf(&cfg, "t.conf", text, strlen(text), err, sizeof(err));
		if (c[i].want ? r == 0 || !strstr(err, c[i].want) : r != 0)
			fail_msg("case %zu: got %d '%s'", i, r, err);
		if (!c[i].want && !strstr(c[i].extra, "chroot"))
			assert_string_equal(cfg.state_dir, "/var/lib/recalld");
		if (!c[i].want)
			assert_int_equal(cfg.proof_delay_ms, 600000);
		rd_config_free(&cfg);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_proof_answer, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_unknown_and_withheld, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_nonce_patch_and_bound, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_trim_and_oversized, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_refused, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_fork_and_rollback, setup, teardown),
	    cmocka_unit_test(test_config),
	};
	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
