/* Trust anchors: the encoded set, k-of-n counting of distinct trusted keys, and rotation
 * statements signed by k of the current set. */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "anchors_log.h"
#include "cbor_io.h"
#include "cose_int.h"
#include "recall/anchors.h"

#define MAP_KEYS_MAX 16 /* known keys plus ignorable extensions */

/* Field names of an anchor set, standalone or inside a rotation statement. */
struct set_names {
	const char *map, *epoch, *k, *keys, *key;
	const struct rc__log_names *log;
};
static const struct set_names top_names = {"anchors",      "anchors.epoch",   "anchors.k",
					   "anchors.keys", "anchors.keys.pk", &rc__log_top_names};
static const struct set_names next_names = {"rotation.next",         "rotation.next.epoch",
					    "rotation.next.k",       "rotation.next.keys",
					    "rotation.next.keys.pk", &rc__log_next_names};

/* Keys a[from..n) in order, each distinct from those before it (keys and kids) and a point. */
static int keys_check(const struct rc_anchor *a, uint32_t from, uint32_t n)
{
	for (uint32_t i = from; i < n; i++) {
		if (i > 0) {
			int c = memcmp(a[i - 1].pk, a[i].pk, RC_PK_LEN);
			if (c == 0)
				return RC_ERR_DUPKEY;
			if (c > 0)
				return RC_ERR_NONCANONICAL;
		}
		for (uint32_t j = 0; j < i; j++)
			if (memcmp(a[j].kid, a[i].kid, RC_KID_LEN) == 0)
				return RC_ERR_DUPKEY;
		if (!crypto_core_ed25519_is_valid_point(a[i].pk))
			return RC_ERR_SYNTAX;
	}
	return RC_OK;
}

/* Structural validity shared by encode, decode and verify: 1 <= k <= n <= 16, keys sorted and
 * distinct, kids distinct, every key a usable Ed25519 point. */
static int set_check(const struct rc_anchors *s, bool keys_too)
{
	if (s->n == 0 || s->n > RC_ANCHOR_MAX || s->k == 0 || s->k > s->n)
		return RC_ERR_RANGE;
	return keys_too ? keys_check(s->a, 0, s->n) : RC_OK;
}

/* Decode { 1: epoch, 2: k, 3: [+ pk] } at the cursor. */
static void read_set(struct rc_rd *r, struct rc_anchors *s, const struct set_names *nm)
{
	struct rc_keys ks = {0};
	unsigned seen = 0;
	memset(s, 0, sizeof(*s));
	r->field = nm->map;
	size_t cnt = rc_rd_map(r, MAP_KEYS_MAX);
	for (size_t i = 0; i < cnt && !r->err; i++) {
		r->field = nm->map;
		int64_t key = rc_rd_key(r, &ks);
		size_t at = r->off;
		switch (key) {
		case 1:
			r->field = nm->epoch;
			s->epoch = rc_rd_uint(r);
			break;
		case 2:
			r->field = nm->k;
			s->k = (uint32_t)rc_rd_uint_max(r, RC_ANCHOR_MAX);
			if (!r->err && s->k == 0) {
				r->off = at;
				rc_rd_fail(r, RC_ERR_RANGE);
			}
			break;
		case 3:
			r->field = nm->keys;
			s->n = (uint32_t)rc_rd_array(r, RC_ANCHOR_MAX);
			if (!r->err && s->n == 0) {
				r->off = at;
				rc_rd_fail(r, RC_ERR_MISSING);
			}
			r->field = nm->key;
			for (uint32_t j = 0; j < s->n && !r->err; j++) {
				size_t kat = r->off;
				const uint8_t *pk = rc_rd_bstr_exact(r, RC_PK_LEN);
				if (!pk)
					break;
				memcpy(s->a[j].pk, pk, RC_PK_LEN);
				rc_kid(s->a[j].kid, pk);
				/* Key j against the ones before it, which passed (no copy of the
				 * set on the stack: a small device's stack is a few KiB). */
				int e = keys_check(s->a, j, j + 1);
				if (e) {
					r->off = kat;
					rc_rd_fail(r, e);
				}
			}
			break;
		case 4:
#ifdef RC_AGENT_NO_LOG
			r->field = nm->log->map;
			rc_rd_skip(r); /* kept as has_log only: see struct rc_anchors */
#else
			rc__log_policy_read(r, &s->log, nm->log);
#endif
			s->has_log = true;
			break;
		default:
			rc_rd_unknown(r, key);
			continue;
		}
		seen |= 1u << key;
	}
	if (!r->err && (seen & 0xe) != 0xe) {
		r->field = !(seen & 2) ? nm->epoch : !(seen & 4) ? nm->k : nm->keys;
		rc_rd_fail(r, RC_ERR_MISSING);
	}
	if (!r->err && s->k > s->n) {
		r->field = nm->k;
		rc_rd_fail(r, RC_ERR_RANGE);
	}
}

static void write_set(struct rc_wr *w, const struct rc_anchors *s)
{
	rc_wr_map(w, s->has_log ? 4 : 3);
	rc_wr_uint(w, 1);
	rc_wr_uint(w, s->epoch);
	rc_wr_uint(w, 2);
	rc_wr_uint(w, s->k);
	rc_wr_uint(w, 3);
	rc_wr_array(w, s->n);
	for (uint32_t i = 0; i < s->n; i++)
		rc_wr_bstr(w, s->a[i].pk, RC_PK_LEN);
#ifndef RC_AGENT_NO_LOG
	if (s->has_log) {
		rc_wr_uint(w, 4);
		rc__log_policy_write(w, &s->log);
	}
#endif
}

/* An encoder's view of validity: also the kids must belong to their keys. */
static int set_valid(const struct rc_anchors *s)
{
	if (!s)
		return RC_ERR_INVALID;
	int e = set_check(s, true);
	if (e)
		return RC_ERR_INVALID;
	for (uint32_t i = 0; i < s->n; i++) {
		uint8_t kid[RC_KID_LEN];
		rc_kid(kid, s->a[i].pk);
		if (memcmp(kid, s->a[i].kid, RC_KID_LEN) != 0)
			return RC_ERR_INVALID;
	}
#ifdef RC_AGENT_NO_LOG
	if (s->has_log) /* its policy was not kept: it cannot be written back */
		return RC_ERR_INVALID;
#else
	if (s->has_log && rc__log_policy_check(&s->log))
		return RC_ERR_INVALID;
#endif
	return RC_OK;
}

static int pk_cmp(const void *a, const void *b)
{
	return memcmp(a, b, RC_PK_LEN);
}

int rc_anchors_init(struct rc_anchors *s, uint64_t epoch, uint32_t k,
		    const uint8_t (*pks)[RC_PK_LEN], size_t n)
{
	if (!s || !pks || n == 0 || n > RC_ANCHOR_MAX)
		return RC_ERR_INVALID;
	uint8_t sorted[RC_ANCHOR_MAX][RC_PK_LEN];
	memcpy(sorted, pks, n * RC_PK_LEN);
	qsort(sorted, n, RC_PK_LEN, pk_cmp);
	memset(s, 0, sizeof(*s));
	s->epoch = epoch;
	s->k = k;
	s->n = (uint32_t)n;
	for (size_t i = 0; i < n; i++) {
		memcpy(s->a[i].pk, sorted[i], RC_PK_LEN);
		rc_kid(s->a[i].kid, sorted[i]);
	}
	return set_valid(s);
}

int rc_anchors_encode(const struct rc_anchors *s, uint8_t *out, size_t cap, size_t *len)
{
	if (!len || set_valid(s))
		return RC_ERR_INVALID;
	struct rc_wr w;
	rc_wr_init(&w, out, cap);
	write_set(&w, s);
	if (w.err)
		return w.err;
	*len = w.len;
	return RC_OK;
}

int rc_anchors_decode(struct rc_anchors *s, const uint8_t *buf, size_t len, struct rc_diag *diag)
{
	struct rc_rd r;
	rc_rd_init(&r, buf, len);
	read_set(&r, s, &top_names);
	r.field = "anchors";
	rc_rd_finish(&r);
	int err = rc_rd_diag(&r, diag);
	if (err)
		memset(s, 0, sizeof(*s));
	return err;
}

int rc_anchors_id(const struct rc_anchors *s, uint8_t id[static RC_KID_LEN])
{
	uint8_t buf[RC_ANCHORS_ENC_MAX];
	uint8_t h[crypto_hash_sha256_BYTES];
	size_t n;
	int err = rc_anchors_encode(s, buf, sizeof(buf), &n);
	if (err)
		return err;
	crypto_hash_sha256(h, buf, n);
	memcpy(id, h, RC_KID_LEN);
	return RC_OK;
}

int rc_anchors_find(const struct rc_anchors *s, const uint8_t kid[static RC_KID_LEN])
{
	for (uint32_t i = 0; s && i < s->n && i < RC_ANCHOR_MAX; i++)
		if (memcmp(s->a[i].kid, kid, RC_KID_LEN) == 0)
			return (int)i;
	return -1;
}

int rc_anchors_verify(const struct rc_anchors *s, const struct rc_cose_sign *m,
		      struct rc_verdict *verdict)
{
	return rc__anchors_verify_buf(s, m, verdict, NULL, 0);
}

int rc__anchors_verify_buf(const struct rc_anchors *s, const struct rc_cose_sign *m,
			   struct rc_verdict *verdict, uint8_t *tbs, size_t cap)
{
	struct rc_verdict v = {0};
	if (verdict)
		*verdict = v;
	if (!s || !m || m->nsig > RC_SIG_MAX || set_check(s, false))
		return RC_ERR_INVALID;
	for (size_t i = 0; i < m->nsig; i++) {
		int a = rc_anchors_find(s, m->sigs[i].kid);
		if (a < 0) {
			v.unknown++;
			continue;
		}
		/* A second signature by one key (only in hand-built m) never counts twice. */
		int e = tbs ? rc__cose_verify_sig_buf(m, i, s->a[a].pk, tbs, cap)
			    : rc_cose_verify_sig(m, i, s->a[a].pk);
		if (e == RC_OK)
			v.signed_mask |= 1u << a;
		else
			v.bad++;
	}
	for (uint32_t b = v.signed_mask; b; b &= b - 1)
		v.valid++;
	v.threshold_met = v.valid >= s->k;
	if (verdict)
		*verdict = v;
	return v.threshold_met ? RC_OK : RC_ERR_THRESHOLD;
}

static void read_revoked(struct rc_rd *r, struct rc_rotation *rot)
{
	size_t at = r->off;
	r->field = "rotation.revoked";
	rot->nrevoked = rc_rd_array(r, RC_REVOKED_MAX);
	if (!r->err && rot->nrevoked == 0) {
		/* An empty list is spelled by leaving key 3 out. */
		r->off = at;
		rc_rd_fail(r, RC_ERR_NONCANONICAL);
	}
	r->field = "rotation.revoked.kid";
	for (size_t j = 0; j < rot->nrevoked && !r->err; j++) {
		size_t kat = r->off;
		const uint8_t *kid = rc_rd_bstr_exact(r, RC_KID_LEN);
		if (!kid)
			break;
		memcpy(rot->revoked[j], kid, RC_KID_LEN);
		int c = j ? memcmp(rot->revoked[j - 1], kid, RC_KID_LEN) : -1;
		if (c >= 0) {
			r->off = kat;
			rc_rd_fail(r, c == 0 ? RC_ERR_DUPKEY : RC_ERR_NONCANONICAL);
		}
	}
}

/* Relations between fields: next epoch follows, revoked keys are gone from next. */
static int rotation_relations(const struct rc_rotation *rot, const char **field)
{
	if (rot->from_epoch == UINT64_MAX || rot->next.epoch != rot->from_epoch + 1) {
		*field = "rotation.next.epoch";
		return RC_ERR_RANGE;
	}
	for (size_t j = 0; j < rot->nrevoked; j++) {
		if (rc_anchors_find(&rot->next, rot->revoked[j]) >= 0) {
			*field = "rotation.revoked.kid";
			return RC_ERR_SYNTAX;
		}
	}
	return RC_OK;
}

int rc_rotation_decode(struct rc_rotation *rot, const uint8_t *buf, size_t len,
		       struct rc_diag *diag)
{
	struct rc_rd r;
	struct rc_keys ks = {0};
	unsigned seen = 0;
	memset(rot, 0, sizeof(*rot));
	rc_rd_init(&r, buf, len);
	r.field = "rotation";
	size_t cnt = rc_rd_map(&r, MAP_KEYS_MAX);
	for (size_t i = 0; i < cnt && !r.err; i++) {
		r.field = "rotation";
		int64_t key = rc_rd_key(&r, &ks);
		if (key == 1) {
			r.field = "rotation.from_epoch";
			rot->from_epoch = rc_rd_uint(&r);
		} else if (key == 2) {
			read_set(&r, &rot->next, &next_names);
		} else if (key == 3) {
			read_revoked(&r, rot);
		} else {
			rc_rd_unknown(&r, key);
			continue;
		}
		seen |= 1u << key;
	}
	if (!r.err && (seen & 6) != 6) {
		r.field = !(seen & 2) ? "rotation.from_epoch" : "rotation.next";
		rc_rd_fail(&r, RC_ERR_MISSING);
	}
	r.field = "rotation";
	rc_rd_finish(&r);
	if (!r.err) {
		int e = rotation_relations(rot, &r.field);
		if (e) {
			r.off = 0;
			rc_rd_fail(&r, e);
		}
	}
	int err = rc_rd_diag(&r, diag);
	if (err)
		memset(rot, 0, sizeof(*rot));
	return err;
}

int rc_rotation_encode(const struct rc_rotation *rot, uint8_t *out, size_t cap, size_t *len)
{
	const char *field;
	if (!rot || !len || rot->nrevoked > RC_REVOKED_MAX || set_valid(&rot->next) ||
	    rotation_relations(rot, &field))
		return RC_ERR_INVALID;
	for (size_t j = 1; j < rot->nrevoked; j++)
		if (memcmp(rot->revoked[j - 1], rot->revoked[j], RC_KID_LEN) >= 0)
			return RC_ERR_INVALID;
	struct rc_wr w;
	rc_wr_init(&w, out, cap);
	rc_wr_map(&w, rot->nrevoked ? 3 : 2);
	rc_wr_uint(&w, 1);
	rc_wr_uint(&w, rot->from_epoch);
	rc_wr_uint(&w, 2);
	write_set(&w, &rot->next);
	if (rot->nrevoked) {
		rc_wr_uint(&w, 3);
		rc_wr_array(&w, rot->nrevoked);
		for (size_t j = 0; j < rot->nrevoked; j++)
			rc_wr_bstr(&w, rot->revoked[j], RC_KID_LEN);
	}
	if (w.err)
		return w.err;
	*len = w.len;
	return RC_OK;
}

int rc_anchors_rotate(struct rc_anchors *cur, const uint8_t *stmt, size_t len,
		      struct rc_verdict *verdict)
{
	struct rc_cose_sign m;
	struct rc_rotation rot;
	if (verdict)
		memset(verdict, 0, sizeof(*verdict));
	if (!cur || !stmt)
		return RC_ERR_INVALID;
	int err = rc_cose_decode(&m, stmt, len, NULL);
	if (err)
		return err;
	/* A notice (or anything else) signed by the same keys is not a rotation. */
	if (m.content_type != RC_CT_ROTATION)
		return RC_ERR_TYPE;
	/* Authenticate before parsing the payload further. */
	err = rc_anchors_verify(cur, &m, verdict);
	if (err)
		return err;
	err = rc_rotation_decode(&rot, m.payload, m.payload_len, NULL);
	if (err)
		return err;
	if (rot.from_epoch < cur->epoch)
		return RC_ERR_STALE;
	if (rot.from_epoch > cur->epoch)
		return RC_ERR_RANGE;
	*cur = rot.next;
	return RC_OK;
}
