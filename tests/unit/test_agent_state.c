/* The agent's persisted state blob: round trip, worst-case size, and fail-open on every torn,
 * corrupted or malformed blob. With RECALL_AGENT_CORPUS=dir set it also writes the seed corpus
 * of fuzz_agent_state (first byte 0: raw blob; 1: CBOR body, the fuzzer appends the check);
 * test_agent_trust adds the chain seeds (trust-*). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <sodium.h>

#include "agent_state.h"
#include "cbor_io.h"
#include "fixtures.h"
#include "sim.h"

static struct world W, W2;
static const char *corpus_dir;
static unsigned corpus_n;

static int setup(void **state)
{
	world_init(&W, 1);
	return 0;
}

static void seed(uint8_t mode, const uint8_t *p, size_t n)
{
	if (!corpus_dir)
		return;
	char path[512];
	snprintf(path, sizeof(path), "%s/seed-%02u", corpus_dir, corpus_n++);
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	fputc(mode, f);
	fwrite(p, 1, n, f);
	fclose(f);
}

/* Restore blob into a fresh W2; returns the error. */
static int restore2(const uint8_t *blob, size_t len)
{
	world_init(&W2, 1);
	return rc_agent_restore(&W2.a, blob, len);
}

/* A quarantined agent with overrides, a rotated anchor set and a clear serial. */
static void rich_state(void)
{
	struct fx_key nk[3];
	struct rc_anchors next;
	uint8_t stmt[2048];
	size_t slen;
	rc_agent_start(&W.a);
	assert_int_equal(sim_answer(&W.s, &W.a, RC_MSG_CLEAR, 41, NULL, 0), RC_OK);
	rc_agent_attach(&W.a);
	sim_advance(&W.s, &W.a, RC_AGENT_DEBOUNCE_MS);
	assert_int_equal(fx_anchors(&next, nk, 3, 2, 2, 50), RC_OK);
	assert_int_equal(fx_rotation(stmt, sizeof(stmt), &slen, &W.anc, &next, W.keys, 2), 0);
	assert_int_equal(sim_answer(&W.s, &W.a, RC_MSG_ROTATE, 0, stmt, slen), RC_OK);
	assert_int_equal(rc_agent_override(&W.a, "RC-OTHER-1"), RC_OK);
	assert_int_equal(rc_agent_override(&W.a, "RC-OTHER-2"), RC_OK);
	world_notice(&W, NULL, 0);
	assert_int_equal(
	    fx_sign(W.blob, sizeof(W.blob), &W.blob_len, RC_CT_NOTICE, W.payload, W.plen, nk, 2),
	    0);
	assert_int_equal(sim_answer(&W.s, &W.a, RC_MSG_RECALLED, 0, W.blob, W.blob_len), RC_OK);
	assert_true(W.s.q_on);
}

static void test_roundtrip(void **state)
{
	rich_state();
	uint8_t blob[RC_AGENT_STATE_MAX];
	size_t len = W.s.state_len;
	memcpy(blob, W.s.state, len);
	seed(0, blob, len);
	assert_int_equal(restore2(blob, len), RC_OK);
	assert_int_equal(W2.a.mode, RC_AGENT_QUARANTINED);
	assert_int_equal(W2.a.anchors.epoch, 2);
	assert_int_equal(W2.a.noverrides, 2);
	assert_string_equal(W2.a.overrides[1], "RC-OTHER-2");
	assert_int_equal(W2.a.feed_serial, 41);
	assert_int_equal(W2.a.last_answer, W.a.last_answer);
	assert_int_equal(W2.a.next_periodic, W.a.next_periodic);
	/* Deterministic: the restored agent encodes the same bytes. */
	uint8_t again[RC_AGENT_STATE_MAX];
	size_t alen;
	assert_int_equal(rc_agent_state_encode(&W2.a, again, sizeof(again), &alen), RC_OK);
	assert_int_equal(alen, len);
	assert_memory_equal(again, blob, len);
	/* The idle state of a fresh agent, for the corpus. */
	world_init(&W2, 1);
	assert_int_equal(rc_agent_state_encode(&W2.a, again, sizeof(again), &alen), RC_OK);
	seed(0, again, alen);
	assert_int_equal(restore2(again, alen), RC_OK);
	assert_int_equal(rc_agent_state_encode(&W.a, again, 40, &alen), RC_ERR_BUFFER);
}

/* The largest possible state fits RC_AGENT_STATE_MAX. */
static void test_worst_case_size(void **state)
{
	struct fx_key keys[RC_ANCHOR_MAX];
	W.a.mode = RC_AGENT_QUARANTINED;
	W.a.notice_len = RC_NOTICE_MAX;
	memset(W.a.notice, 0xff, RC_NOTICE_MAX);
	W.a.noverrides = RC_AGENT_OVERRIDES_MAX;
	for (int i = 0; i < RC_AGENT_OVERRIDES_MAX; i++) {
		memset(W.a.overrides[i], 'a' + i, RC_NOTICE_ID_MAX);
		W.a.overrides[i][RC_NOTICE_ID_MAX] = '\0';
	}
	W.a.override_all = true;
	(void)keys;
	/* A full chain: as many statements as fit the byte budget, the last one filling it. */
	W.a.nchain = RC_AGENT_CHAIN_MAX;
	W.a.chain_used = RC_AGENT_CHAIN_BYTES;
	for (int i = 0; i < RC_AGENT_CHAIN_MAX; i++)
		W.a.chain_len[i] = RC_AGENT_CHAIN_BYTES / RC_AGENT_CHAIN_MAX;
	W.a.chain_len[RC_AGENT_CHAIN_MAX - 1] +=
	    RC_AGENT_CHAIN_BYTES - RC_AGENT_CHAIN_MAX * (RC_AGENT_CHAIN_BYTES / RC_AGENT_CHAIN_MAX);
	memset(W.a.chain, 0xee, sizeof(W.a.chain));
	/* ... each statement with a log proof, the proofs filling their byte budget. */
	W.a.chain_proof_used = RC_AGENT_CHAIN_PROOF_BYTES;
	for (int i = 0; i < RC_AGENT_CHAIN_MAX; i++)
		W.a.chain_proof_len[i] = RC_AGENT_CHAIN_PROOF_BYTES / RC_AGENT_CHAIN_MAX;
	W.a.chain_proof_len[RC_AGENT_CHAIN_MAX - 1] +=
	    RC_AGENT_CHAIN_PROOF_BYTES -
	    RC_AGENT_CHAIN_MAX * (RC_AGENT_CHAIN_PROOF_BYTES / RC_AGENT_CHAIN_MAX);
	memset(W.a.chain_proof, 0xcc, sizeof(W.a.chain_proof));
	W.a.last_answer = W.a.next_periodic = W.a.feed_serial = W.a.floor = UINT64_MAX;
	/* The held notice's log proof (format 3), as long as a proof answer can carry. */
	W.a.proof_len = RC_PROOF_BLOB_MAX;
	memset(W.a.proof, 0xdd, sizeof(W.a.proof));
	uint8_t blob[RC_AGENT_STATE_MAX];
	size_t len;
	assert_int_equal(rc_agent_state_encode(&W.a, blob, sizeof(blob), &len), RC_OK);
	print_message("worst-case state blob: %zu of %d bytes\n", len, RC_AGENT_STATE_MAX);
	/* It decodes; the fake notice bytes are then refused as a notice (fail open). */
	struct rc_agent_saved sv;
	struct rc_diag d;
	assert_int_equal(rc__agent_state_decode(&W2.a, blob, len, &sv, &d), RC_OK);
	assert_int_equal(W2.a.nchain, RC_AGENT_CHAIN_MAX);
	assert_int_equal(W2.a.proof_len, RC_PROOF_BLOB_MAX);
	assert_int_equal(W2.a.chain_proof_used, RC_AGENT_CHAIN_PROOF_BYTES);
	assert_int_not_equal(restore2(blob, len), RC_OK);
}

/* Fail open: the agent starts empty, lifts any leftover quarantine, checks in at once and
 * replaces the bad blob. */
static void assert_fail_open(const uint8_t *blob, size_t len)
{
	assert_int_not_equal(restore2(blob, len), RC_OK);
	assert_int_equal(W2.a.mode, RC_AGENT_IDLE);
	assert_int_equal(W2.a.noverrides, 0);
	assert_int_equal(W2.a.anchors.epoch, 1);
	struct rc_agent_status st;
	rc_agent_status(&W2.a, &st);
	assert_int_equal(st.c.state_corrupt, 1);
	assert_int_equal(rc_agent_start(&W2.a), RC_OK);
	assert_string_equal(W2.s.trace, "qPS");
	assert_int_equal(W2.s.q_apply, 0);
}

static void test_torn_and_corrupt(void **state)
{
	rich_state();
	uint8_t blob[RC_AGENT_STATE_MAX];
	size_t len = W.s.state_len;
	memcpy(blob, W.s.state, len);
	for (size_t cut = 0; cut < len; cut++)
		assert_fail_open(blob, cut);
	for (size_t i = 0; i < len; i++) {
		for (int bit = 0; bit < 8; bit++) {
			blob[i] ^= (uint8_t)(1u << bit);
			assert_int_not_equal(restore2(blob, len), RC_OK);
			blob[i] ^= (uint8_t)(1u << bit);
		}
	}
	assert_fail_open(blob + 1, len - 1);
	assert_fail_open(NULL, 0);
	uint8_t big[RC_AGENT_STATE_MAX + 1] = {0};
	assert_fail_open(big, sizeof(big));
	assert_int_equal(restore2(blob, len), RC_OK);
	/* Only before start. */
	assert_int_equal(rc_agent_start(&W2.a), RC_OK);
	assert_int_equal(rc_agent_restore(&W2.a, blob, len), RC_ERR_INVALID);
}

/* Build a body with the writer, seal it with the check, restore it. */
struct body {
	uint8_t buf[RC_AGENT_STATE_MAX];
	struct rc_wr w;
};

static int sealed(struct body *b)
{
	assert_int_equal(b->w.err, 0);
	seed(1, b->buf, b->w.len);
	crypto_generichash(b->buf + b->w.len, RC_AGENT_CHECK_LEN, b->buf, b->w.len, NULL, 0);
	int err = restore2(b->buf, b->w.len + RC_AGENT_CHECK_LEN);
	if (err)
		assert_fail_open(b->buf, b->w.len + RC_AGENT_CHECK_LEN);
	return err;
}

enum { F_FORMAT = 1, F_MODE = 2, F_FP = 4, F_TIMES = 8, F_FLOOR = 16 };

/* Writes the map head and the mandatory keys, with optional replacements. */
static void body(struct body *b, size_t extra, uint64_t format, uint64_t mode, unsigned omit)
{
	rc_wr_init(&b->w, b->buf, sizeof(b->buf) - RC_AGENT_CHECK_LEN);
	size_t n = 6 + (format != 1) + extra - !!(omit & F_FORMAT) - !!(omit & F_MODE) -
		   !!(omit & F_FP) - (3 + (format != 1)) * !!(omit & F_TIMES) - !!(omit & F_FLOOR);
	rc_wr_map(&b->w, n);
	if (!(omit & F_FORMAT)) {
		rc_wr_uint(&b->w, 0);
		rc_wr_uint(&b->w, format);
	}
	if (!(omit & F_MODE)) {
		rc_wr_uint(&b->w, 1);
		rc_wr_uint(&b->w, mode);
	}
	if (!(omit & F_FP)) {
		rc_wr_uint(&b->w, 2);
		rc_wr_bstr(&b->w, W.a.fingerprint, 32);
	}
}

/* Keys 7..9 (format 1) or 7..10 (format 2): count them as 3 in body(); format 2 adds one. */
static void times_v(struct body *b, unsigned last)
{
	for (unsigned k = 7; k <= last; k++) {
		rc_wr_uint(&b->w, k);
		rc_wr_uint(&b->w, 1000 * k);
	}
}

static void times(struct body *b)
{
	times_v(b, 10);
}

static void test_malformed(void **state)
{
	struct body b;
	body(&b, 0, 2, 0, 0);
	times(&b);
	assert_int_equal(sealed(&b), RC_OK); /* the minimal valid blob */
	body(&b, 0, 4, 0, 0);
	times(&b);
	assert_int_equal(sealed(&b), RC_ERR_VERSION);
	body(&b, 0, 3, 0, 0); /* format 3 is a held notice with its log proof: neither here */
	times(&b);
	assert_int_equal(sealed(&b), RC_ERR_MISSING);
	body(&b, 0, 2, RC_AGENT_WAIT, 0);
	times(&b);
	assert_int_equal(sealed(&b), RC_ERR_RANGE);
	body(&b, 0, 2, RC_AGENT_QUARANTINED, 0); /* quarantined without a notice */
	times(&b);
	assert_int_equal(sealed(&b), RC_ERR_MISSING);
	body(&b, 0, 2, 0, F_FP);
	times(&b);
	assert_int_equal(sealed(&b), RC_ERR_MISSING);
	body(&b, 0, 2, 0, F_TIMES);
	assert_int_equal(sealed(&b), RC_ERR_MISSING);
	body(&b, 1, 2, 0, 0); /* idle with a notice */
	rc_wr_uint(&b.w, 3);
	rc_wr_bstr(&b.w, "x", 1);
	times(&b);
	assert_int_equal(sealed(&b), RC_ERR_MISSING);
	body(&b, 1, 2, RC_AGENT_QUARANTINED, 0); /* a notice that is not COSE */
	rc_wr_uint(&b.w, 3);
	rc_wr_bstr(&b.w, "xyz", 3);
	times(&b);
	assert_int_not_equal(sealed(&b), RC_OK);
	body(&b, 1, 2, 0, 0);
	rc_wr_uint(&b.w, 5);
	rc_wr_array(&b.w, 1);
	rc_wr_tstr(&b.w, "no spaces", 9);
	times(&b);
	assert_int_equal(sealed(&b), RC_ERR_SYNTAX);
	body(&b, 1, 2, 0, 0);
	rc_wr_uint(&b.w, 5);
	rc_wr_array(&b.w, 0);
	times(&b);
	assert_int_equal(sealed(&b), RC_ERR_MISSING);
	body(&b, 1, 2, 0, 0);
	rc_wr_uint(&b.w, 6);
	rc_wr_bool(&b.w, false);
	times(&b);
	assert_int_equal(sealed(&b), RC_ERR_RANGE);
	body(&b, 1, 2, 0, 0); /* format 2: key 4 is a chain, not an anchor set */
	rc_wr_uint(&b.w, 4);
	rc_wr_bstr(&b.w, "\xa0", 1);
	times(&b);
	assert_int_not_equal(sealed(&b), RC_OK);
	body(&b, 1, 2, 0, 0); /* an empty chain */
	rc_wr_uint(&b.w, 4);
	rc_wr_array(&b.w, 0);
	times(&b);
	assert_int_equal(sealed(&b), RC_ERR_MISSING);
	body(&b, 1, 2, 0, 0); /* an empty statement */
	rc_wr_uint(&b.w, 4);
	rc_wr_array(&b.w, 1);
	rc_wr_bstr(&b.w, "", 0);
	times(&b);
	assert_int_equal(sealed(&b), RC_ERR_MISSING);
	body(&b, 1, 2, 0, 0); /* too many statements */
	rc_wr_uint(&b.w, 4);
	rc_wr_array(&b.w, RC_AGENT_CHAIN_MAX + 1);
	for (int i = 0; i < RC_AGENT_CHAIN_MAX + 1; i++)
		rc_wr_bstr(&b.w, "x", 1);
	times(&b);
	assert_int_equal(sealed(&b), RC_ERR_TOOLONG);
	body(&b, 1, 2, 0, 0); /* statements over the byte budget */
	rc_wr_uint(&b.w, 4);
	rc_wr_array(&b.w, RC_AGENT_CHAIN_BYTES / RC_NOTICE_MAX + 1);
	static uint8_t big[RC_NOTICE_MAX];
	for (int i = 0; i < RC_AGENT_CHAIN_BYTES / RC_NOTICE_MAX + 1; i++)
		rc_wr_bstr(&b.w, big, sizeof(big));
	times(&b);
	assert_int_equal(sealed(&b), RC_ERR_TOOLONG);
	body(&b, 0, 2, 0, F_FLOOR); /* format 2 without the time floor */
	times_v(&b, 9);
	assert_int_equal(sealed(&b), RC_ERR_MISSING);
	/* Format 1 (no key 10, key 4 an anchor set) is read; key 10 is unknown there. */
	body(&b, 0, 1, 0, 0);
	times_v(&b, 9);
	assert_int_equal(sealed(&b), RC_OK);
	body(&b, 1, 1, 0, 0);
	times_v(&b, 10);
	assert_int_equal(sealed(&b), RC_ERR_CRITICAL);
	body(&b, 1, 1, 0, 0);
	rc_wr_uint(&b.w, 4);
	rc_wr_bstr(&b.w, "\xa0", 1);
	times_v(&b, 9);
	assert_int_not_equal(sealed(&b), RC_OK);
	body(&b, 1, 2, 0, 0); /* unknown critical key */
	times(&b);
	rc_wr_uint(&b.w, 11);
	rc_wr_uint(&b.w, 0);
	assert_int_equal(sealed(&b), RC_ERR_CRITICAL);
	body(&b, 1, 2, 0, 0); /* an extension (negative key) is skipped */
	times(&b);
	rc_wr_int(&b.w, -1);
	rc_wr_tstr(&b.w, "ext", 3);
	assert_int_equal(sealed(&b), RC_OK);
	body(&b, 1, 2, 0, 0); /* keys out of order */
	rc_wr_uint(&b.w, 8);
	rc_wr_uint(&b.w, 1);
	times(&b);
	assert_int_equal(sealed(&b), RC_ERR_NONCANONICAL);
	body(&b, 0, 2, 0, 0); /* trailing bytes inside the checked part */
	times(&b);
	rc_wr_uint(&b.w, 0);
	assert_int_equal(sealed(&b), RC_ERR_TRAILING);
}

int main(void)
{
	corpus_dir = getenv("RECALL_AGENT_CORPUS");
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup(test_roundtrip, setup),
	    cmocka_unit_test_setup(test_worst_case_size, setup),
	    cmocka_unit_test_setup(test_torn_and_corrupt, setup),
	    cmocka_unit_test_setup(test_malformed, setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
