/* Log policies in anchor sets (PROTOCOL.md 10.1), compact log proofs (7.4) and the proof
 * messages (6.3, 7.4): real trees, checkpoints signed with rc_note_sign and cosigned with
 * rc_cosig_sign (tests/helpers/logfix.c), accepted, and refused for every way one can be
 * wrong. Writes the fuzz seeds of fuzz_logproof and fuzz_proofreq (RECALL_WRITE_SEEDS). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <sodium.h>

#include "cbor_io.h"
#include "logfix.h"
#include "recall/logproof.h"
#include "recall/msg.h"
#include "recall/note.h"
#include "recall/tlog.h"
#include "testutil.h"

#define SEED   0x70
#define AGE    86400u
#define NOW    FX_NOW
#define ENTRY  ((const uint8_t *)"the signed notice bytes")
#define ENTRYL 23

static struct fx_key keys[3];

/* 2-of-3 authority keys, and a log with nwit witnesses, quorum q. */
static void logged_set(struct rc_anchors *a, uint32_t nwit, uint32_t q)
{
	assert_int_equal(fx_anchors(a, keys, 3, 2, 5, 0x20), RC_OK);
	assert_int_equal(fx_log_policy(a, nwit, q, AGE, SEED), RC_OK);
}

/* Cosigned by witnesses 0 and 1 an hour ago, 2 not at all. */
static const uint64_t fresh2[] = {NOW - 3600, NOW - 3600, 0};

static void proof_of(struct rc_logproof *p, const struct rc_anchors *a, uint64_t at, uint64_t size,
		     const uint64_t *times)
{
	assert_int_equal(fx_log_proof(p, a, ENTRY, ENTRYL, at, size, times, SEED), RC_OK);
}

static int verify(const struct rc_anchors *a, const struct rc_logproof *p, bool trusted,
		  uint32_t *w)
{
	struct rc_diag d = {0, NULL};
	int e = rc_logproof_verify(a, ENTRY, ENTRYL, p, NOW, trusted, w, &d);
	if (e)
		assert_non_null(d.field);
	return e;
}

static void test_policy_roundtrip(void **state)
{
	struct rc_anchors a, b, plain;
	uint8_t buf[RC_ANCHORS_ENC_MAX], id1[RC_KID_LEN], id2[RC_KID_LEN], id3[RC_KID_LEN];
	size_t n;
	assert_int_equal(fx_anchors(&plain, keys, 3, 2, 5, 0x20), RC_OK);
	assert_false(plain.has_log);
	assert_int_equal(rc_anchors_id(&plain, id1), RC_OK);
	logged_set(&a, 3, 2);
	assert_true(a.has_log);
	for (uint32_t i = 1; i < a.log.nwit; i++)
		assert_true(memcmp(a.log.wit[i - 1].pk, a.log.wit[i].pk, 32) < 0);
	assert_int_equal(rc_anchors_encode(&a, buf, sizeof(buf), &n), RC_OK);
	assert_int_equal(buf[0], 0xa4);
	assert_int_equal(rc_anchors_decode(&b, buf, n, NULL), RC_OK);
	assert_true(b.has_log);
	assert_memory_equal(&a.log, &b.log, sizeof(a.log));
	assert_int_equal(rc_anchors_id(&a, id2), RC_OK);
	assert_memory_not_equal(id1, id2, RC_KID_LEN);
	/* Dropping the policy gives back the id of the set without one. */
	assert_int_equal(rc_anchors_set_log(&a, NULL), RC_OK);
	assert_int_equal(rc_anchors_id(&a, id3), RC_OK);
	assert_memory_equal(id1, id3, RC_KID_LEN);
	/* The log key's id is the note key id (alg 0x01) of origin and key. */
	struct fx_key lk;
	fx_log_keys(&lk, NULL, 0, SEED);
	uint32_t kid = rc_note_keyid(FX_LOG_ORIGIN, strlen(FX_LOG_ORIGIN), 1, lk.pk);
	assert_int_equal(b.log.log_kid[0], kid >> 24);
	assert_int_equal(b.log.log_kid[3], kid & 0xff);
	tu_write_seed("anchors", "logged", buf, n);
}

static void test_policy_set_invalid(void **state)
{
	struct rc_anchors a;
	assert_int_equal(fx_anchors(&a, keys, 3, 2, 5, 0x20), RC_OK);
	assert_int_equal(fx_log_policy(&a, 2, 3, AGE, SEED), RC_ERR_INVALID); /* q > n */
	assert_int_equal(fx_log_policy(&a, 2, 0, AGE, SEED), RC_ERR_INVALID);
	assert_int_equal(fx_log_policy(&a, 0, 0, AGE, SEED), RC_ERR_INVALID);
	assert_int_equal(fx_log_policy(&a, 2, 1, 59, SEED), RC_ERR_INVALID);
	assert_int_equal(fx_log_policy(&a, 2, 1, RC_LOG_AGE_MAX + 1, SEED), RC_ERR_INVALID);
	assert_false(a.has_log);
	struct rc_log_policy p;
	logged_set(&a, 2, 1);
	p = a.log;
	p.wit[1] = p.wit[0]; /* the same witness twice */
	assert_int_equal(rc_anchors_set_log(&a, &p), RC_ERR_INVALID);
	p = a.log;
	strcpy(p.wit[0].name, "has space");
	assert_int_equal(rc_anchors_set_log(&a, &p), RC_ERR_INVALID);
	p = a.log;
	strcpy(p.origin, "a+b");
	assert_int_equal(rc_anchors_set_log(&a, &p), RC_ERR_INVALID);
	p = a.log;
	memset(p.log_pk, 0, 32); /* not a usable point */
	assert_int_equal(rc_anchors_set_log(&a, &p), RC_ERR_INVALID);
	/* The set keeps its valid policy after every refusal. */
	assert_true(a.has_log);
	assert_int_equal(a.log.quorum, 1);
}

/* Encode a with its policy, patch the policy's encoding by hand and decode. */
struct pcase {
	const char *name;
	int nwit, q, age, swap, dup, extra;
	const char *origin;
	int err;
	const char *field;
};

static size_t wr_case(uint8_t *buf, size_t cap, const struct rc_anchors *a, const struct pcase *c)
{
	struct rc_wr w;
	const struct rc_log_policy *p = &a->log;
	rc_wr_init(&w, buf, cap);
	rc_wr_map(&w, 4);
	rc_wr_uint(&w, 1);
	rc_wr_uint(&w, a->epoch);
	rc_wr_uint(&w, 2);
	rc_wr_uint(&w, a->k);
	rc_wr_uint(&w, 3);
	rc_wr_array(&w, a->n);
	for (uint32_t i = 0; i < a->n; i++)
		rc_wr_bstr(&w, a->a[i].pk, 32);
	rc_wr_uint(&w, 4);
	rc_wr_map(&w, 5 + (c->extra != 0) - (c->q < 0));
	rc_wr_uint(&w, 1);
	const char *o = c->origin ? c->origin : p->origin;
	rc_wr_tstr(&w, o, strlen(o));
	rc_wr_uint(&w, 2);
	rc_wr_bstr(&w, p->log_pk, 32);
	rc_wr_uint(&w, 3);
	rc_wr_array(&w, (size_t)c->nwit);
	for (int i = 0; i < c->nwit; i++) {
		int j = c->swap ? c->nwit - 1 - i : c->dup ? 0 : i;
		rc_wr_array(&w, 2);
		rc_wr_tstr(&w, p->wit[j].name, strlen(p->wit[j].name));
		rc_wr_bstr(&w, p->wit[j].pk, 32);
	}
	if (c->q >= 0) {
		rc_wr_uint(&w, 4);
		rc_wr_uint(&w, (uint64_t)c->q);
	}
	rc_wr_uint(&w, 5);
	rc_wr_uint(&w, (uint64_t)c->age);
	if (c->extra) {
		rc_wr_int(&w, c->extra);
		rc_wr_uint(&w, 0);
	}
	assert_int_equal(w.err, 0);
	return w.len;
}

static const struct pcase pcases[] = {
    {"ok", 3, 2, 86400, 0, 0, 0, NULL, RC_OK, NULL},
    {"ext", 3, 2, 86400, 0, 0, -1, NULL, RC_OK, NULL},
    {"critical", 3, 2, 86400, 0, 0, 6, NULL, RC_ERR_CRITICAL, "anchors.log"},
    {"q0", 3, 0, 86400, 0, 0, 0, NULL, RC_ERR_RANGE, "anchors.log.quorum"},
    {"q-above-n", 2, 3, 86400, 0, 0, 0, NULL, RC_ERR_RANGE, "anchors.log.quorum"},
    {"q-missing", 3, -1, 86400, 0, 0, 0, NULL, RC_ERR_MISSING, "anchors.log.quorum"},
    {"age-low", 3, 2, 59, 0, 0, 0, NULL, RC_ERR_RANGE, "anchors.log.max_age"},
    {"age-high", 3, 2, 31536001, 0, 0, 0, NULL, RC_ERR_RANGE, "anchors.log.max_age"},
    {"no-witness", 0, 1, 86400, 0, 0, 0, NULL, RC_ERR_MISSING, "anchors.log.witnesses"},
    {"unsorted", 3, 2, 86400, 1, 0, 0, NULL, RC_ERR_NONCANONICAL, "anchors.log.witness"},
    {"dup-witness", 2, 1, 86400, 0, 1, 0, NULL, RC_ERR_DUPKEY, "anchors.log.witness"},
    {"origin-space", 3, 2, 86400, 0, 0, 0, "a b", RC_ERR_SYNTAX, "anchors.log.origin"},
    {"origin-empty", 3, 2, 86400, 0, 0, 0, "", RC_ERR_SYNTAX, "anchors.log.origin"},
    {"origin-long", 3, 2, 86400, 0, 0, 0,
     "12345678901234567890123456789012345678901234567890123456789012345", RC_ERR_TOOLONG,
     "anchors.log.origin"},
};

static void test_policy_decode_cases(void **state)
{
	struct rc_anchors a, b;
	uint8_t buf[4096];
	logged_set(&a, 3, 2);
	for (size_t i = 0; i < sizeof(pcases) / sizeof(pcases[0]); i++) {
		const struct pcase *c = &pcases[i];
		size_t n = wr_case(buf, sizeof(buf), &a, c);
		struct rc_diag d = {0, NULL};
		int e = rc_anchors_decode(&b, buf, n, &d);
		if (e != c->err || (c->field && (!d.field || strcmp(d.field, c->field))))
			fail_msg("%s: got %d at %s", c->name, e, d.field ? d.field : "-");
		if (!e)
			assert_true(b.has_log);
		char name[64];
		snprintf(name, sizeof(name), "log-%s", c->name);
		tu_write_seed("anchors", name, buf, n);
	}
}

/* A rotation may add a log policy, and a later one drop it. */
static void test_rotation_to_logged(void **state)
{
	struct rc_anchors cur, next, back;
	uint8_t st[4096];
	size_t n;
	assert_int_equal(fx_anchors(&cur, keys, 3, 2, 5, 0x20), RC_OK);
	next = cur;
	next.epoch = 6;
	assert_int_equal(fx_log_policy(&next, 2, 2, AGE, SEED), RC_OK);
	assert_int_equal(fx_rotation(st, sizeof(st), &n, &cur, &next, keys, 2), RC_OK);
	assert_int_equal(rc_anchors_rotate(&cur, st, n, NULL), RC_OK);
	assert_true(cur.has_log);
	assert_memory_equal(&cur.log, &next.log, sizeof(cur.log));
	back = cur;
	back.epoch = 7;
	assert_int_equal(rc_anchors_set_log(&back, NULL), RC_OK);
	assert_int_equal(fx_rotation(st, sizeof(st), &n, &cur, &back, keys, 2), RC_OK);
	assert_int_equal(rc_anchors_rotate(&cur, st, n, NULL), RC_OK);
	assert_false(cur.has_log);
	assert_int_equal(cur.epoch, 7);
}

static void test_accept(void **state)
{
	struct rc_anchors a;
	struct rc_logproof p, q;
	uint32_t w = 99;
	uint8_t buf[RC_LOGPROOF_ENC_MAX];
	size_t n;
	logged_set(&a, 3, 2);
	/* Every position of small trees, and one in a larger tree. */
	for (uint64_t size = 1; size <= 9; size++) {
		for (uint64_t at = 0; at < size; at++) {
			proof_of(&p, &a, at, size, fresh2);
			assert_int_equal(verify(&a, &p, true, &w), RC_OK);
			assert_int_equal(w, 2);
		}
	}
	proof_of(&p, &a, 700, 1000, fresh2);
	assert_int_equal(p.npath, 10);
	assert_int_equal(p.ncosig, 2);
	assert_int_equal(verify(&a, &p, true, &w), RC_OK);
	assert_int_equal(rc_logproof_encode(&p, buf, sizeof(buf), &n), RC_OK);
	assert_int_equal(rc_logproof_decode(&q, buf, n, NULL), RC_OK);
	assert_memory_equal(&p, &q, sizeof(p));
	tu_write_seed("logproof", "ok-700-of-1000", buf, n);
	/* All three witnesses: three counted. */
	const uint64_t all[] = {NOW - 10, NOW - 20, NOW - 30};
	proof_of(&p, &a, 3, 5, all);
	assert_int_equal(verify(&a, &p, true, &w), RC_OK);
	assert_int_equal(w, 3);
	assert_int_equal(rc_logproof_encode(&p, buf, sizeof(buf), &n), RC_OK);
	tu_write_seed("logproof", "ok-three-cosigs", buf, n);
}

static void test_refusals(void **state)
{
	struct rc_anchors a, other;
	struct rc_logproof p, good;
	uint32_t w;
	logged_set(&a, 3, 2);
	proof_of(&good, &a, 5, 13, fresh2);
	assert_int_equal(verify(&a, &good, true, &w), RC_OK);
	/* Wrong leaf: another entry. */
	assert_int_equal(rc_logproof_verify(&a, ENTRY, ENTRYL - 1, &good, NOW, true, &w, NULL),
			 RC_ERR_SIG);
	/* Wrong index (the path length is the same for 4 and 5 in a tree of 13). */
	p = good;
	p.index = 4;
	assert_int_equal(verify(&a, &p, true, &w), RC_ERR_SIG);
	/* Truncated path; a path hash changed. */
	p = good;
	p.npath--;
	assert_int_equal(verify(&a, &p, true, &w), RC_ERR_SIZE);
	p = good;
	p.path[1][7] ^= 1;
	assert_int_equal(verify(&a, &p, true, &w), RC_ERR_SIG);
	/* Another size: another checkpoint, not signed. */
	p = good;
	p.size = 14;
	assert_int_equal(verify(&a, &p, true, &w), RC_ERR_SIG);
	/* Wrong log key: the set names another log key (same witnesses). */
	other = a;
	struct fx_key lk;
	fx_key(&lk, 0x7f);
	memcpy(other.log.log_pk, lk.pk, 32);
	assert_int_equal(rc_anchors_set_log(&other, &other.log), RC_OK);
	assert_int_equal(verify(&other, &good, true, &w), RC_ERR_SIG);
	/* Too few witnesses: only one cosigned. */
	const uint64_t one[] = {NOW - 60, 0, 0};
	proof_of(&p, &a, 5, 13, one);
	assert_int_equal(verify(&a, &p, true, &w), RC_ERR_THRESHOLD);
	assert_int_equal(w, 1);
	/* The same witness twice: refused by shape (and would count once). */
	p = good;
	p.cosig[1] = p.cosig[0];
	assert_int_equal(verify(&a, &p, true, &w), RC_ERR_DUPKEY);
	/* Unknown witness: a set whose witnesses are others (same log key). */
	other = a;
	assert_int_equal(fx_log_policy(&other, 3, 2, AGE, SEED), RC_OK);
	struct fx_key stranger;
	fx_key(&stranger, 0x7e);
	memcpy(other.log.wit[0].pk, stranger.pk, 32);
	fx_key(&stranger, 0x7d);
	memcpy(other.log.wit[1].pk, stranger.pk, 32);
	assert_int_equal(rc_anchors_set_log(&other, &other.log), RC_OK);
	proof_of(&p, &a, 5, 13, (const uint64_t[]){NOW - 5, NOW - 5, NOW - 5});
	assert_int_equal(verify(&other, &p, true, &w), RC_ERR_THRESHOLD);
	assert_int_equal(w, 1); /* only the witness both sets share */
	/* A cosignature that does not verify is not counted. */
	p = good;
	p.cosig[0].sig[3] ^= 1;
	assert_int_equal(verify(&a, &p, true, &w), RC_ERR_THRESHOLD);
	p = good;
	p.cosig[0].time--; /* the signed timestamp is part of the message */
	assert_int_equal(verify(&a, &p, true, &w), RC_ERR_THRESHOLD);
	/* No log policy in the set. */
	assert_int_equal(fx_anchors(&other, keys, 3, 2, 5, 0x20), RC_OK);
	assert_int_equal(verify(&other, &good, true, &w), RC_ERR_INVALID);
}

static void test_times(void **state)
{
	struct rc_anchors a;
	struct rc_logproof p;
	uint32_t w;
	logged_set(&a, 3, 2);
	/* Stale: one cosignature older than max-age. Refused with a trusted clock, counted with
	 * an untrusted one (the age cannot be judged). */
	const uint64_t stale[] = {NOW - AGE - 1, NOW - 10, 0};
	proof_of(&p, &a, 2, 3, stale);
	assert_int_equal(verify(&a, &p, true, &w), RC_ERR_EXPIRED);
	assert_int_equal(w, 1);
	assert_int_equal(verify(&a, &p, false, &w), RC_OK);
	assert_int_equal(w, 2);
	/* Exactly max-age old still counts. */
	const uint64_t edge[] = {NOW - AGE, NOW - 10, 0};
	proof_of(&p, &a, 2, 3, edge);
	assert_int_equal(verify(&a, &p, true, &w), RC_OK);
	/* From the future: more than 600 s ahead is refused, 600 s is not. */
	const uint64_t future[] = {NOW + RC_LOGPROOF_FUTURE_S + 1, NOW, 0};
	proof_of(&p, &a, 2, 3, future);
	assert_int_equal(verify(&a, &p, true, &w), RC_ERR_EXPIRED);
	assert_int_equal(verify(&a, &p, false, &w), RC_OK);
	const uint64_t soon[] = {NOW + RC_LOGPROOF_FUTURE_S, NOW, 0};
	proof_of(&p, &a, 2, 3, soon);
	assert_int_equal(verify(&a, &p, true, &w), RC_OK);
	/* Stale and too few at once: too few wins only when time was not the reason. */
	const uint64_t stale1[] = {NOW - AGE - 1, 0, 0};
	proof_of(&p, &a, 2, 3, stale1);
	assert_int_equal(verify(&a, &p, true, &w), RC_ERR_THRESHOLD);
}

/* Hand-written encodings: every structural refusal of the decoder. */
static void test_decode_refusals(void **state)
{
	struct rc_anchors a;
	struct rc_logproof p, q;
	uint8_t buf[RC_LOGPROOF_ENC_MAX + 16];
	size_t n;
	struct rc_diag d;
	logged_set(&a, 3, 2);
	proof_of(&p, &a, 5, 13, fresh2);
	assert_int_equal(rc_logproof_encode(&p, buf, sizeof(buf), &n), RC_OK);
	for (size_t cut = 0; cut < n; cut++)
		assert_int_not_equal(rc_logproof_decode(&q, buf, cut, &d), RC_OK);
	buf[n] = 0;
	assert_int_equal(rc_logproof_decode(&q, buf, n + 1, &d), RC_ERR_TRAILING);
	/* Invalid proofs do not encode; decoding their hand-made bytes fails the same way. */
	struct {
		const char *name;
		void (*edit)(struct rc_logproof *);
		int err;
		const char *field;
	} cases[] = {
	    {"size-0", NULL, RC_ERR_RANGE, "proof.size"},
	    {"index-eq-size", NULL, RC_ERR_RANGE, "proof.index"},
	    {"path-short", NULL, RC_ERR_SIZE, "proof.path"},
	    {"cosig-dup", NULL, RC_ERR_DUPKEY, "proof.cosig.kid"},
	    {"cosig-order", NULL, RC_ERR_NONCANONICAL, "proof.cosig.kid"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct rc_logproof e = p;
		if (i == 0)
			e.size = 0;
		else if (i == 1)
			e.index = e.size;
		else if (i == 2)
			e.npath--;
		else if (i == 3)
			e.cosig[1] = e.cosig[0];
		else {
			struct rc_logproof_cosig t = e.cosig[0];
			e.cosig[0] = e.cosig[1];
			e.cosig[1] = t;
		}
		assert_int_equal(rc_logproof_encode(&e, buf, sizeof(buf), &n), RC_ERR_INVALID);
		/* The same bytes written by hand. */
		struct rc_wr w;
		rc_wr_init(&w, buf, sizeof(buf));
		rc_wr_map(&w, 5);
		rc_wr_uint(&w, 1);
		rc_wr_uint(&w, e.size);
		rc_wr_uint(&w, 2);
		rc_wr_uint(&w, e.index);
		rc_wr_uint(&w, 3);
		rc_wr_array(&w, e.npath);
		for (uint32_t j = 0; j < e.npath; j++)
			rc_wr_bstr(&w, e.path[j], 32);
		rc_wr_uint(&w, 4);
		rc_wr_bstr(&w, e.log_sig, 64);
		rc_wr_uint(&w, 5);
		rc_wr_array(&w, e.ncosig);
		for (uint32_t j = 0; j < e.ncosig; j++) {
			rc_wr_array(&w, 3);
			rc_wr_bstr(&w, e.cosig[j].kid, 4);
			rc_wr_uint(&w, e.cosig[j].time);
			rc_wr_bstr(&w, e.cosig[j].sig, 64);
		}
		d.field = NULL;
		int err = rc_logproof_decode(&q, buf, w.len, &d);
		if (err != cases[i].err || !d.field || strcmp(d.field, cases[i].field))
			fail_msg("%s: %d at %s", cases[i].name, err, d.field ? d.field : "-");
		char name[64];
		snprintf(name, sizeof(name), "bad-%s", cases[i].name);
		tu_write_seed("logproof", name, buf, w.len);
	}
	/* A missing key, an unknown critical key, an ignored extension key. */
	uint8_t m[128];
	struct rc_wr w;
	rc_wr_init(&w, m, sizeof(m));
	rc_wr_map(&w, 4);
	rc_wr_uint(&w, 1), rc_wr_uint(&w, 1), rc_wr_uint(&w, 2), rc_wr_uint(&w, 0);
	rc_wr_uint(&w, 3), rc_wr_array(&w, 0), rc_wr_uint(&w, 4), rc_wr_bstr(&w, p.log_sig, 64);
	assert_int_equal(rc_logproof_decode(&q, m, w.len, &d), RC_ERR_MISSING);
	assert_string_equal(d.field, "proof.cosigs");
	tu_write_seed("logproof", "bad-missing-cosigs", m, w.len);
	assert_int_equal(rc_logproof_encode(&p, buf, sizeof(buf), &n), RC_OK);
	buf[0] = 0xa6;
	buf[n] = 0x06;
	buf[n + 1] = 0x00;
	assert_int_equal(rc_logproof_decode(&q, buf, n + 2, &d), RC_ERR_CRITICAL);
	buf[n] = 0x20; /* key -1: ignored */
	assert_int_equal(rc_logproof_decode(&q, buf, n + 2, &d), RC_OK);
	tu_write_seed("logproof", "ok-ext", buf, n + 2);
	/* Cosignature timestamps above 2^63 - 1 are refused. */
	struct rc_logproof big = p;
	big.cosig[0].time = (uint64_t)INT64_MAX + 1;
	assert_int_equal(rc_logproof_encode(&big, buf, sizeof(buf), &n), RC_ERR_INVALID);
}

static void test_from_note(void **state)
{
	struct rc_anchors a;
	struct rc_logproof p;
	uint8_t root[32], path[RC_LOGPROOF_PATH_MAX][32];
	char note[4096];
	size_t np, nl;
	logged_set(&a, 3, 2);
	struct fx_log_tree t = {13, 5, ENTRY, ENTRYL};
	assert_int_equal(fx_log_path(&t, root, path, &np), RC_OK);
	/* The tree agrees with the library's own root and proof verifier. */
	assert_int_equal(rc_tlog_verify_inclusion((const uint8_t(*)[32])path, np, 5, 13,
						  (const uint8_t[32]){0}, root),
			 RC_ERR_SIG);
	uint8_t leaf[32];
	rc_tlog_leaf_hash(leaf, ENTRY, ENTRYL);
	assert_int_equal(
	    rc_tlog_verify_inclusion((const uint8_t(*)[32])path, np, 5, 13, leaf, root), RC_OK);
	/* No cosignature of a witness in the set. */
	assert_int_equal(fx_log_note(note, sizeof(note), &nl, 13, root, 3, NULL, SEED), RC_OK);
	assert_int_equal(rc_logproof_from_note(&p, &a, note, nl, 5, (const uint8_t(*)[32])path, np),
			 RC_ERR_MISSING);
	/* A note of another origin. */
	assert_int_equal(fx_log_note(note, sizeof(note), &nl, 13, root, 3, fresh2, SEED), RC_OK);
	struct rc_anchors b = a;
	strcpy(b.log.origin, "other.example/log");
	assert_int_equal(rc_anchors_set_log(&b, &b.log), RC_OK);
	assert_int_equal(rc_logproof_from_note(&p, &b, note, nl, 5, (const uint8_t(*)[32])path, np),
			 RC_ERR_SYNTAX);
	/* A note that is not a note. */
	assert_int_equal(rc_logproof_from_note(&p, &a, "x\n", 2, 5, (const uint8_t(*)[32])path, np),
			 RC_ERR_SYNTAX);
	/* A path of the wrong length for the index. */
	assert_int_equal(
	    rc_logproof_from_note(&p, &a, note, nl, 5, (const uint8_t(*)[32])path, np - 1),
	    RC_ERR_RANGE);
	assert_int_equal(rc_logproof_from_note(&p, &a, note, nl, 5, (const uint8_t(*)[32])path, np),
			 RC_OK);
}

/* The proof request and answer: sizes, round trips, and the amplification rule at 2^20. */
static void test_messages(void **state)
{
	struct rc_proofreq rq = {0}, rq2;
	uint8_t dg[RC_CHECKIN_SIZE], ans[RC_ANSWER_MAX];
	struct rc_diag d;
	memset(rq.nonce, 0xab, sizeof(rq.nonce));
	rc_tlog_leaf_hash(rq.leaf, ENTRY, ENTRYL);
	rq.anchor_epoch = 5;
	assert_int_equal(rc_proofreq_encode(&rq, dg), RC_OK);
	assert_int_equal(rc_msg_peek_type(dg, sizeof(dg)), RC_MSG_PROOF_REQUEST);
	assert_int_equal(rc_proofreq_decode(&rq2, dg, sizeof(dg), &d), RC_OK);
	assert_memory_equal(&rq, &rq2, sizeof(rq));
	tu_write_seed("proofreq", "ok", dg, sizeof(dg));
	/* A check-in decoder refuses it, and the proof-request decoder a check-in. */
	struct rc_checkin ci;
	assert_int_equal(rc_checkin_decode(&ci, dg, sizeof(dg), &d), RC_ERR_RANGE);
	assert_string_equal(d.field, "type");
	memset(&ci, 0, sizeof(ci));
	fx_identity(&ci.id);
	uint8_t cd[RC_CHECKIN_SIZE];
	assert_int_equal(rc_checkin_encode(&ci, cd), RC_OK);
	assert_int_equal(rc_msg_peek_type(cd, sizeof(cd)), RC_MSG_CHECKIN);
	assert_int_equal(rc_proofreq_decode(&rq2, cd, sizeof(cd), &d), RC_ERR_RANGE);
	tu_write_seed("proofreq", "checkin", cd, sizeof(cd));
	assert_int_equal(rc_msg_peek_type(cd, 0), -1);
	assert_int_equal(rc_msg_peek_type((const uint8_t *)"\xa1\x01\x00", 3), -1);
	/* Wrong size, a byte of the pad set, another version (nonce still filled in). */
	assert_int_equal(rc_proofreq_decode(&rq2, dg, sizeof(dg) - 1, &d), RC_ERR_SIZE);
	dg[sizeof(dg) - 1] = 1;
	assert_int_equal(rc_proofreq_decode(&rq2, dg, sizeof(dg), &d), RC_ERR_SYNTAX);
	assert_string_equal(d.field, "pad");
	tu_write_seed("proofreq", "bad-pad", dg, sizeof(dg));
	dg[sizeof(dg) - 1] = 0;
	dg[4] = 2; /* version 2 */
	assert_int_equal(rc_proofreq_decode(&rq2, dg, sizeof(dg), &d), RC_ERR_VERSION);
	assert_memory_equal(rq2.nonce, rq.nonce, RC_NONCE_LEN);
	tu_write_seed("proofreq", "version-2", dg, sizeof(dg));
	dg[4] = 1;
	dg[3 + 2 + 18] = 0x04; /* key 3 (leaf) -> key 4: critical for a proof request */
	assert_int_not_equal(rc_proofreq_decode(&rq2, dg, sizeof(dg), &d), RC_OK);
	tu_write_seed("proofreq", "bad-key", dg, sizeof(dg));

	/* The answer for the largest case the design promises: 2^20 entries, q = 2. */
	struct rc_anchors a;
	struct rc_logproof p;
	uint8_t blob[RC_LOGPROOF_ENC_MAX];
	size_t bl, al;
	logged_set(&a, 3, 2);
	proof_of(&p, &a, 654321, (uint64_t)1 << 20, fresh2);
	assert_int_equal(p.npath, 20);
	assert_int_equal(verify(&a, &p, true, NULL), RC_OK);
	assert_int_equal(rc_logproof_encode(&p, blob, sizeof(blob), &bl), RC_OK);
	/* 92 + 34 n + 81 q, the upper bound of PROTOCOL.md 7.4 for n < 24, less 4 bytes for
	 * each of size, index and the two timestamps, whose heads take 5 bytes here, not 9. */
	assert_int_equal(bl, 92 + 34 * 20 + 81 * 2 - 16);
	struct rc_answer an = {.type = RC_MSG_PROOF, .blob = blob, .blob_len = bl};
	memcpy(an.nonce, rq.nonce, RC_NONCE_LEN);
	assert_int_equal(rc_answer_encode(&an, ans, sizeof(ans), &al), RC_OK);
	assert_int_equal(al, 27 + bl);
	printf("proof answer for 2^20 entries, q=2: %zu bytes (proof %zu)\n", al, bl);
	struct rc_answer back;
	assert_int_equal(rc_answer_decode(&back, ans, al, &d), RC_OK);
	assert_int_equal(back.type, RC_MSG_PROOF);
	assert_int_equal(back.blob_len, bl);
	tu_write_seed("answer", "ok-proof", ans, al);
	/* A blob longer than what fits is refused by the encoder. */
	static uint8_t huge[RC_PROOF_BLOB_MAX + 1];
	an.blob = huge;
	an.blob_len = sizeof(huge);
	assert_int_equal(rc_answer_encode(&an, ans, sizeof(ans), &al), RC_ERR_TOOLONG);
	an.blob_len = RC_PROOF_BLOB_MAX;
	assert_int_equal(rc_answer_encode(&an, ans, sizeof(ans), &al), RC_OK);
	assert_int_equal(al, RC_ANSWER_MAX);

	assert_string_equal(rc_msg_type_name(RC_MSG_PROOF), "proof");
	assert_string_equal(rc_msg_type_name(RC_MSG_PROOF_REQUEST), "proof-request");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_policy_roundtrip),
	    cmocka_unit_test(test_policy_set_invalid),
	    cmocka_unit_test(test_policy_decode_cases),
	    cmocka_unit_test(test_rotation_to_logged),
	    cmocka_unit_test(test_accept),
	    cmocka_unit_test(test_refusals),
	    cmocka_unit_test(test_times),
	    cmocka_unit_test(test_decode_refusals),
	    cmocka_unit_test(test_from_note),
	    cmocka_unit_test(test_messages),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
