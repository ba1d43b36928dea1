/* Private check-ins (docs/PROTOCOL.md section 18): the model hash, and the three messages of
 * private mode, encoded deterministically and decoded strictly without heap. The request
 * plumbing (common keys, pad) is lib/msg.c's, so both kinds of request obey the same rules. */
#include <string.h>

#include <sodium.h>

#include "cbor_io.h"
#include "msg_io.h"
#include "recall/private.h"

enum {
	K_TYPE = 0,
	K_VERSION = 1,
	K_NONCE = 2,
	K_REASON = 3, /* private check-in */
	K_STATE = 4,
	K_PREFIX = 5,
	K_EPOCH = 6,
	K_PAD = 7,
	K_TAG = 3, /* notice request */
	K_INDEX = 4,
	K_SERIAL = 3, /* bucket */
	K_ENTRIES = 9,
	K_PAGES = 10,
};

static const char label[] = "recall-private-v1";

void rc_private_hash(struct rc_str vendor, struct rc_str model,
		     uint8_t tag[static RC_PRIVATE_TAG_LEN], uint16_t *prefix)
{
	static const uint8_t zero = 0;
	uint8_t h[crypto_hash_sha256_BYTES];
	crypto_hash_sha256_state st;
	crypto_hash_sha256_init(&st);
	crypto_hash_sha256_update(&st, (const uint8_t *)label, sizeof(label) - 1);
	crypto_hash_sha256_update(&st, &zero, 1);
	crypto_hash_sha256_update(&st, (const uint8_t *)vendor.p, vendor.n);
	crypto_hash_sha256_update(&st, &zero, 1);
	crypto_hash_sha256_update(&st, (const uint8_t *)model.p, model.n);
	crypto_hash_sha256_final(&st, h);
	memcpy(tag, h, RC_PRIVATE_TAG_LEN);
	if (prefix)
		*prefix = rc_private_tag_prefix(tag);
}

uint16_t rc_private_tag_prefix(const uint8_t tag[static RC_PRIVATE_TAG_LEN])
{
	return (uint16_t)(tag[0] << 4 | tag[1] >> 4);
}

/* Keys 0..2 of a request. */
static void wr_head(struct rc_wr *w, size_t nkeys, unsigned type, const uint8_t *nonce)
{
	rc_wr_map(w, nkeys);
	rc_wr_uint(w, K_TYPE);
	rc_wr_uint(w, type);
	rc_wr_uint(w, K_VERSION);
	rc_wr_uint(w, RC_VERSION);
	rc_wr_uint(w, K_NONCE);
	rc_wr_bstr(w, nonce, RC_NONCE_LEN);
}

int rc_private_checkin_encode(const struct rc_private_checkin *c,
			      uint8_t out[static RC_CHECKIN_SIZE])
{
	if (!c || !out)
		return RC_ERR_INVALID;
	if (c->reason > RC_REASON_RECHECK || c->state > RC_STATE_OVERRIDDEN ||
	    c->prefix >= RC_PRIVATE_PREFIXES || c->page >= RC_BUCKET_PAGES_MAX)
		return RC_ERR_RANGE;
	struct rc_wr w;
	rc_wr_init(&w, out, RC_CHECKIN_SIZE);
	wr_head(&w, 8, RC_MSG_PRIVATE, c->nonce);
	rc_wr_uint(&w, K_REASON);
	rc_wr_uint(&w, c->reason);
	rc_wr_uint(&w, K_STATE);
	rc_wr_uint(&w, c->state);
	rc_wr_uint(&w, K_PREFIX);
	rc_wr_array(&w, 2);
	rc_wr_uint(&w, c->prefix);
	rc_wr_uint(&w, c->page);
	rc_wr_uint(&w, K_EPOCH);
	rc_wr_uint(&w, c->anchor_epoch);
	return rc_msg_wr_pad(&w, out, 0);
}

int rc_notice_request_encode(const struct rc_notice_request *q, uint8_t out[static RC_CHECKIN_SIZE])
{
	if (!q || !out)
		return RC_ERR_INVALID;
	if (q->index > RC_NOTICE_INDEX_MAX)
		return RC_ERR_RANGE;
	struct rc_wr w;
	rc_wr_init(&w, out, RC_CHECKIN_SIZE);
	wr_head(&w, 7, RC_MSG_NOTICE_REQUEST, q->nonce);
	rc_wr_uint(&w, K_TAG);
	rc_wr_bstr(&w, q->tag, RC_PRIVATE_TAG_LEN);
	rc_wr_uint(&w, K_INDEX);
	rc_wr_uint(&w, q->index);
	rc_wr_uint(&w, K_EPOCH);
	rc_wr_uint(&w, q->anchor_epoch);
	return rc_msg_wr_pad(&w, out, 0);
}

static void rd_prefix(struct rc_rd *r, struct rc_private_checkin *c)
{
	size_t at = r->off;
	/* More than two items: RC_ERR_TOOLONG from the cursor; fewer: RC_ERR_SYNTAX. */
	if (rc_rd_array(r, 2) != 2 && !r->err) {
		r->off = at;
		rc_rd_fail(r, RC_ERR_SYNTAX);
	}
	c->prefix = (uint16_t)rc_rd_uint_max(r, RC_PRIVATE_PREFIXES - 1);
	c->page = (uint8_t)rc_rd_uint_max(r, RC_BUCKET_PAGES_MAX - 1);
}

static const char *const private_fields[] = {"type",  "version", "nonce",        "reason",
					     "state", "prefix",  "anchor_epoch", "pad"};

int rc_private_checkin_decode(struct rc_private_checkin *c, const uint8_t *buf, size_t len,
			      struct rc_diag *diag)
{
	struct rc_rd r;
	int err = rc_msg_rd_begin(&r, c, sizeof(*c), buf, len, RC_CHECKIN_SIZE, RC_CHECKIN_SIZE,
				  "private_checkin", diag);
	if (err)
		return err;
	struct rc_keys ks = {0};
	unsigned seen = 0;
	uint64_t version = RC_VERSION;
	size_t n = rc_rd_map(&r, RC_MSG_ENTRIES_MAX);
	for (size_t i = 0; i < n && !r.err; i++) {
		int64_t k;
		if (!rc_msg_rd_top_key(&r, &ks, seen, "private_checkin", &k))
			break;
		if (rc_msg_rd_head(&r, k, RC_MSG_PRIVATE, &version, c->nonce, seen)) {
			if (r.err)
				break; /* k may be any key here */
			seen |= 1u << k;
			continue;
		}
		if (k >= K_TYPE && k <= K_PAD)
			r.field = private_fields[k];
		switch (k) {
		case K_REASON:
			c->reason = (uint8_t)rc_rd_uint_max(&r, RC_REASON_RECHECK);
			break;
		case K_STATE:
			c->state = (uint8_t)rc_rd_uint_max(&r, RC_STATE_OVERRIDDEN);
			break;
		case K_PREFIX:
			rd_prefix(&r, c);
			break;
		case K_EPOCH:
			c->anchor_epoch = rc_rd_uint(&r);
			break;
		case K_PAD:
			rc_msg_rd_pad(&r);
			break;
		default:
			rc_rd_unknown(&r, k);
			continue;
		}
		seen |= 1u << k;
	}
	rc_msg_rd_require(&r, (1u << (K_PAD + 1)) - 1, seen, private_fields, K_PAD);
	r.field = "private_checkin";
	rc_rd_finish(&r);
	return rc_rd_diag(&r, diag);
}

static const char *const request_fields[] = {"type",  "version", "nonce",        "tag",
					     "index", NULL,      "anchor_epoch", "pad"};

int rc_notice_request_decode(struct rc_notice_request *q, const uint8_t *buf, size_t len,
			     struct rc_diag *diag)
{
	struct rc_rd r;
	int err = rc_msg_rd_begin(&r, q, sizeof(*q), buf, len, RC_CHECKIN_SIZE, RC_CHECKIN_SIZE,
				  "notice_request", diag);
	if (err)
		return err;
	struct rc_keys ks = {0};
	unsigned seen = 0;
	uint64_t version = RC_VERSION;
	size_t n = rc_rd_map(&r, RC_MSG_ENTRIES_MAX);
	for (size_t i = 0; i < n && !r.err; i++) {
		int64_t k;
		if (!rc_msg_rd_top_key(&r, &ks, seen, "notice_request", &k))
			break;
		if (rc_msg_rd_head(&r, k, RC_MSG_NOTICE_REQUEST, &version, q->nonce, seen)) {
			if (r.err)
				break; /* k may be any key here */
			seen |= 1u << k;
			continue;
		}
		if (k >= K_TYPE && k <= K_PAD && request_fields[k])
			r.field = request_fields[k];
		switch (k) {
		case K_TAG: {
			const uint8_t *p = rc_rd_bstr_exact(&r, RC_PRIVATE_TAG_LEN);
			if (p)
				memcpy(q->tag, p, RC_PRIVATE_TAG_LEN);
			break;
		}
		case K_INDEX:
			q->index = (uint16_t)rc_rd_uint_max(&r, RC_NOTICE_INDEX_MAX);
			break;
		case K_EPOCH:
			q->anchor_epoch = rc_rd_uint(&r);
			break;
		case K_PAD:
			rc_msg_rd_pad(&r);
			break;
		default: /* key 5 (an identity) included: not part of a notice request */
			rc_rd_unknown(&r, k);
			continue;
		}
		seen |= 1u << k;
	}
	unsigned want = (1u << (K_PAD + 1)) - 1 - (1u << K_PREFIX);
	rc_msg_rd_require(&r, want, seen, request_fields, K_PAD);
	r.field = "notice_request";
	rc_rd_finish(&r);
	return rc_rd_diag(&r, diag);
}

/* Entries of a bucket: whole 10-byte entries, tags strictly increasing, counts at least 1.
 * Returns the offset of the first bad entry, or len if all are good. */
static size_t entries_bad(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const uint8_t *e = p + i * RC_BUCKET_ENTRY_LEN;
		if (!(e[RC_PRIVATE_TAG_LEN] | e[RC_PRIVATE_TAG_LEN + 1]))
			return i * RC_BUCKET_ENTRY_LEN;
		if (i && memcmp(e - RC_BUCKET_ENTRY_LEN, e, RC_PRIVATE_TAG_LEN) >= 0)
			return i * RC_BUCKET_ENTRY_LEN;
	}
	return n * RC_BUCKET_ENTRY_LEN;
}

int rc_bucket_encode(const struct rc_bucket *b, uint8_t *out, size_t cap, size_t *len)
{
	if (!b || !out || !len || (!b->entries && b->nentries))
		return RC_ERR_INVALID;
	*len = 0;
	if (b->nentries > RC_BUCKET_ENTRIES_MAX)
		return RC_ERR_TOOLONG;
	if (b->pages < 1 || b->pages > RC_BUCKET_PAGES_MAX)
		return RC_ERR_RANGE;
	if (entries_bad(b->entries, b->nentries) != b->nentries * RC_BUCKET_ENTRY_LEN)
		return RC_ERR_SYNTAX;
	struct rc_wr w;
	rc_wr_init(&w, out, cap < RC_ANSWER_MAX ? cap : RC_ANSWER_MAX);
	wr_head(&w, 6, RC_MSG_BUCKET, b->nonce);
	rc_wr_uint(&w, K_SERIAL);
	rc_wr_uint(&w, b->serial);
	rc_wr_uint(&w, K_ENTRIES);
	rc_wr_bstr(&w, b->entries, b->nentries * RC_BUCKET_ENTRY_LEN);
	rc_wr_uint(&w, K_PAGES);
	rc_wr_uint(&w, b->pages);
	if (w.err)
		return w.err;
	*len = w.len;
	return RC_OK;
}

static const char *const bucket_fields[] = {"type", "version", "nonce", "serial",  NULL,   NULL,
					    NULL,   NULL,      NULL,    "entries", "pages"};

static void rd_entries(struct rc_rd *r, struct rc_bucket *b)
{
	size_t n, at = r->off;
	b->entries = rc_rd_bstr(r, &n, RC_BUCKET_ENTRIES_MAX * RC_BUCKET_ENTRY_LEN);
	if (r->err)
		return;
	if (n % RC_BUCKET_ENTRY_LEN) {
		r->off = at;
		rc_rd_fail(r, RC_ERR_SYNTAX);
		return;
	}
	b->nentries = n / RC_BUCKET_ENTRY_LEN;
	size_t bad = entries_bad(b->entries, b->nentries);
	if (bad != n) {
		r->off = (size_t)(b->entries + bad - r->p);
		rc_rd_fail(r, RC_ERR_SYNTAX);
	}
}

int rc_bucket_decode(struct rc_bucket *b, const uint8_t *buf, size_t len, struct rc_diag *diag)
{
	struct rc_rd r;
	int err = rc_msg_rd_begin(&r, b, sizeof(*b), buf, len, 0, RC_ANSWER_MAX, "bucket", diag);
	if (err)
		return err;
	struct rc_keys ks = {0};
	unsigned seen = 0;
	uint64_t version = RC_VERSION;
	size_t n = rc_rd_map(&r, RC_MSG_ENTRIES_MAX);
	for (size_t i = 0; i < n && !r.err; i++) {
		int64_t k;
		if (!rc_msg_rd_top_key(&r, &ks, seen, "bucket", &k))
			break;
		/* Keys 0..2 as in a request: the type, then the version, then the nonce. */
		if (rc_msg_rd_head(&r, k, RC_MSG_BUCKET, &version, b->nonce, seen)) {
			if (r.err)
				break;
			seen |= 1u << k;
			continue;
		}
		if (k < 0 || k > K_PAGES || !bucket_fields[k]) {
			rc_rd_unknown(&r, k);
			continue;
		}
		r.field = bucket_fields[k];
		size_t at = r.off;
		switch (k) {
		case K_SERIAL:
			b->serial = rc_rd_uint(&r);
			break;
		case K_ENTRIES:
			rd_entries(&r, b);
			break;
		default: /* K_PAGES */
			b->pages = (uint8_t)rc_rd_uint_max(&r, RC_BUCKET_PAGES_MAX);
			if (!r.err && !b->pages) {
				r.off = at;
				rc_rd_fail(&r, RC_ERR_RANGE);
			}
			break;
		}
		seen |= 1u << k;
	}
	unsigned want = 1u << K_TYPE | 1u << K_VERSION | 1u << K_NONCE | 1u << K_SERIAL |
			1u << K_ENTRIES | 1u << K_PAGES;
	rc_msg_rd_require(&r, want, seen, bucket_fields, K_PAGES);
	r.field = "bucket";
	rc_rd_finish(&r);
	return rc_rd_diag(&r, diag);
}

unsigned rc_bucket_find(const struct rc_bucket *b, const uint8_t tag[static RC_PRIVATE_TAG_LEN])
{
	/* At most 116 entries: a linear scan costs less than getting a binary search right. */
	for (size_t i = 0; b && i < b->nentries; i++) {
		const uint8_t *e = b->entries + i * RC_BUCKET_ENTRY_LEN;
		if (!memcmp(e, tag, RC_PRIVATE_TAG_LEN))
			return (unsigned)e[RC_PRIVATE_TAG_LEN] << 8 | e[RC_PRIVATE_TAG_LEN + 1];
	}
	return 0;
}
