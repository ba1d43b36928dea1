/* The signed feed (docs/PROTOCOL.md, "Feed format"): a 128-byte header, a CSR bucket table
 * indexed by SipHash of (vendor, model), fixed-size entries, the notices, and an Ed25519
 * signature over everything before it. Opening and lookup never allocate; building does. */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "feed_order.h"
#include "pubkey.h"
#include "recall/cose.h"
#include "recall/feed.h"
#include "recall/msg.h"

/* Header field offsets (little-endian integers). */
enum {
	H_MAGIC = 0,
	H_VERSION = 8,
	H_HDRLEN = 12,
	H_SERIAL = 16,
	H_ISSUED = 24,
	H_EXPIRY = 32,
	H_ANCHORS = 40,
	H_KEYID = 48,
	H_NNOTICES = 56,
	H_NBUCKETS = 60,
	H_HASHKEY = 64,
	H_FILELEN = 80,
	H_RESERVED = 88,
};

static uint32_t get32(const uint8_t p[static 4])
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t get64(const uint8_t p[static 8])
{
	return (uint64_t)get32(p) | (uint64_t)get32(p + 4) << 32;
}

static void put32(uint8_t p[static 4], uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void put64(uint8_t p[static 8], uint64_t v)
{
	put32(p, (uint32_t)v);
	put32(p + 4, (uint32_t)(v >> 32));
}

static int fail(struct rc_diag *diag, int err, size_t off, const char *field)
{
	if (diag) {
		diag->off = off;
		diag->field = field;
	}
	return err;
}

uint64_t rc_feed_hash(const uint8_t key[static RC_FEED_HASHKEY_LEN], struct rc_str vendor,
		      struct rc_str model)
{
	uint8_t buf[2 * RC_NAME_MAX + 1];
	uint8_t h[crypto_shorthash_BYTES];
	/* Over-long names cannot be in a feed; hash a prefix so the result is still defined. */
	size_t vn = vendor.n > RC_NAME_MAX ? RC_NAME_MAX : vendor.n;
	size_t mn = model.n > RC_NAME_MAX ? RC_NAME_MAX : model.n;
	if (vn)
		memcpy(buf, vendor.p, vn);
	buf[vn] = 0;
	if (mn)
		memcpy(buf + vn + 1, model.p, mn);
	crypto_shorthash(h, buf, vn + 1 + mn, key);
	return get64(h);
}

static int parse(struct rc_feed *f, const uint8_t *buf, size_t len, struct rc_diag *diag)
{
	if (!buf || len < RC_FEED_HDR_LEN + 4 + RC_FEED_SIG_LEN)
		return fail(diag, RC_ERR_TRUNCATED, len, "feed");
	if (memcmp(buf + H_MAGIC, RC_FEED_MAGIC, 8) != 0)
		return fail(diag, RC_ERR_SYNTAX, H_MAGIC, "feed.magic");
	if (get32(buf + H_VERSION) != RC_FEED_VERSION)
		return fail(diag, RC_ERR_VERSION, H_VERSION, "feed.version");
	if (get32(buf + H_HDRLEN) != RC_FEED_HDR_LEN)
		return fail(diag, RC_ERR_SIZE, H_HDRLEN, "feed.header_length");
	for (size_t i = H_RESERVED; i < RC_FEED_HDR_LEN; i++)
		if (buf[i])
			return fail(diag, RC_ERR_CRITICAL, i, "feed.reserved");
	if (get64(buf + H_FILELEN) != len)
		return fail(diag, RC_ERR_SIZE, H_FILELEN, "feed.file_length");

	f->base = buf;
	f->len = len;
	f->meta.serial = get64(buf + H_SERIAL);
	f->meta.issued = get64(buf + H_ISSUED);
	f->meta.expiry = get64(buf + H_EXPIRY);
	memcpy(f->meta.anchors_id, buf + H_ANCHORS, RC_KID_LEN);
	memcpy(f->meta.key_id, buf + H_KEYID, RC_KID_LEN);
	f->nnotices = get32(buf + H_NNOTICES);
	f->nbuckets = get32(buf + H_NBUCKETS);
	memcpy(f->hashkey, buf + H_HASHKEY, RC_FEED_HASHKEY_LEN);
	if (f->meta.issued > f->meta.expiry)
		return fail(diag, RC_ERR_RANGE, H_EXPIRY, "feed.expiry");
	if (f->nnotices > RC_FEED_MAX_NOTICES)
		return fail(diag, RC_ERR_RANGE, H_NNOTICES, "feed.nnotices");
	uint32_t nb = f->nbuckets;
	if (nb == 0 || nb > RC_FEED_MAX_NOTICES || (nb & (nb - 1)) != 0)
		return fail(diag, RC_ERR_RANGE, H_NBUCKETS, "feed.nbuckets");

	/* Sizes fit easily in 64 bits: both counts are at most 2^24. */
	uint64_t boff = RC_FEED_HDR_LEN;
	uint64_t eoff = boff + 4 * ((uint64_t)nb + 1);
	uint64_t noff = eoff + (uint64_t)RC_FEED_ENTRY_LEN * f->nnotices;
	if (noff + RC_FEED_SIG_LEN > len)
		return fail(diag, RC_ERR_TRUNCATED, len, "feed.entries");
	f->buckets = buf + boff;
	f->entries = buf + eoff;
	f->notices = buf + noff;
	f->notices_len = len - RC_FEED_SIG_LEN - (size_t)noff;
	if (f->notices_len > UINT32_MAX)
		return fail(diag, RC_ERR_SIZE, (size_t)noff, "feed.notices");

	/* Bucket table: starts at 0, never decreases, ends at nnotices. */
	uint32_t prev = 0;
	if (get32(f->buckets) != 0)
		return fail(diag, RC_ERR_RANGE, (size_t)boff, "feed.buckets");
	for (uint32_t b = 1; b <= nb; b++) {
		uint32_t v = get32(f->buckets + 4 * (size_t)b);
		if (v < prev || v > f->nnotices)
			return fail(diag, RC_ERR_RANGE, (size_t)boff + 4 * (size_t)b,
				    "feed.buckets");
		prev = v;
	}
	if (prev != f->nnotices)
		return fail(diag, RC_ERR_RANGE, (size_t)boff + 4 * (size_t)nb, "feed.buckets");

	/* Entries: each in its hash's bucket; notices packed back to back in entry order. */
	uint64_t next = 0;
	uint32_t b = 0;
	for (uint32_t i = 0; i < f->nnotices; i++) {
		const uint8_t *e = f->entries + (size_t)i * RC_FEED_ENTRY_LEN;
		size_t at = (size_t)eoff + (size_t)i * RC_FEED_ENTRY_LEN;
		while (get32(f->buckets + 4 * ((size_t)b + 1)) <= i)
			b++;
		if ((get64(e) & (nb - 1)) != b)
			return fail(diag, RC_ERR_RANGE, at, "feed.entries.hash");
		uint32_t off = get32(e + 8), n = get32(e + 12);
		if (off != next)
			return fail(diag, RC_ERR_RANGE, at + 8, "feed.entries.offset");
		if (n == 0 || n > RC_NOTICE_MAX)
			return fail(diag, RC_ERR_TOOLONG, at + 12, "feed.entries.length");
		next += n;
		if (next > f->notices_len)
			return fail(diag, RC_ERR_TRUNCATED, at + 12, "feed.entries.length");
	}
	if (next != f->notices_len)
		return fail(diag, RC_ERR_TRAILING, (size_t)(noff + next), "feed.notices");
	return RC_OK;
}

int rc_feed_parse(struct rc_feed *f, const uint8_t *buf, size_t len, struct rc_diag *diag)
{
	memset(f, 0, sizeof(*f));
	int err = parse(f, buf, len, diag);
	if (err)
		memset(f, 0, sizeof(*f)); /* a failed feed leaves nothing to look up in */
	return err;
}

int rc_feed_open(struct rc_feed *f, const uint8_t *buf, size_t len,
		 const uint8_t feed_pk[static RC_PK_LEN], struct rc_diag *diag)
{
	int err = rc_feed_parse(f, buf, len, diag);
	if (err)
		return err;
	uint8_t kid[RC_KID_LEN];
	rc_kid(kid, feed_pk);
	if (memcmp(kid, f->meta.key_id, RC_KID_LEN) != 0) {
		memset(f, 0, sizeof(*f));
		return fail(diag, RC_ERR_SIG, H_KEYID, "feed.key_id");
	}
	size_t body = len - RC_FEED_SIG_LEN;
	if (rc_ed25519_verify(buf + body, buf, body, feed_pk) != RC_OK) {
		memset(f, 0, sizeof(*f));
		return fail(diag, RC_ERR_SIG, body, "feed.signature");
	}
	return RC_OK;
}

int rc_feed_check_time(const struct rc_feed *f, uint64_t now)
{
	return now < f->meta.expiry ? RC_OK : RC_ERR_EXPIRED;
}

int rc_feed_notice(const struct rc_feed *f, uint32_t i, const uint8_t **p, size_t *len)
{
	if (!f->base || i >= f->nnotices)
		return RC_ERR_INVALID;
	const uint8_t *e = f->entries + (size_t)i * RC_FEED_ENTRY_LEN;
	*p = f->notices + get32(e + 8);
	*len = get32(e + 12);
	return RC_OK;
}

/* Decode a signed notice's payload (no signature check). */
static int decode_notice(struct rc_notice *n, struct rc_cose_sign *m, const uint8_t *p, size_t len)
{
	if (len > RC_NOTICE_MAX)
		return RC_ERR_TOOLONG;
	int err = rc_cose_decode(m, p, len, NULL);
	if (err)
		return err;
	if (m->content_type != RC_CT_NOTICE)
		return RC_ERR_TYPE;
	return rc_notice_decode(n, m->payload, m->payload_len, NULL);
}

int rc__feed_key_cmp(const struct rc__feed_key *a, const struct rc__feed_key *b)
{
	if (a->hash != b->hash)
		return a->hash < b->hash ? -1 : 1;
	if (a->action != b->action)
		return a->action < b->action ? -1 : 1;
	if (a->severity != b->severity)
		return a->severity > b->severity ? -1 : 1;
	size_t k = a->id.n < b->id.n ? a->id.n : b->id.n;
	int c = k ? memcmp(a->id.p, b->id.p, k) : 0;
	return c ? c : (a->id.n > b->id.n) - (a->id.n < b->id.n);
}

bool rc__feed_in_order(const struct rc_feed *f, uint32_t i, const struct rc__feed_key *prev,
		       const struct rc__feed_key *k)
{
	uint64_t m = f->nbuckets - 1;
	return i == 0 || (prev->hash & m) != (k->hash & m) || rc__feed_key_cmp(prev, k) <= 0;
}

int rc_feed_verify_notices(const struct rc_feed *f, const struct rc_anchors *a, size_t *bad)
{
	struct rc_cose_sign m;
	struct rc_notice n;
	struct rc__feed_key prev = {0, 0, 0, {NULL, 0}}, cur;
	for (uint32_t i = 0; i < f->nnotices; i++) {
		const uint8_t *p;
		size_t len;
		int err = rc_feed_notice(f, i, &p, &len);
		if (!err)
			err = decode_notice(&n, &m, p, len);
		if (!err)
			err = rc_anchors_verify(a, &m, NULL);
		uint64_t h = get64(f->entries + (size_t)i * RC_FEED_ENTRY_LEN);
		if (!err && h != rc_feed_hash(f->hashkey, n.target.vendor, n.target.model))
			err = RC_ERR_SYNTAX;
		/* a responder answers with the first covering entry: the order is the policy */
		cur = (struct rc__feed_key){h, (int)n.action, (int)n.severity, n.id};
		if (!err && !rc__feed_in_order(f, i, &prev, &cur))
			err = RC_ERR_NONCANONICAL;
		if (err) {
			if (bad)
				*bad = i;
			return err;
		}
		prev = cur;
	}
	return RC_OK;
}

static bool lookup(const struct rc_feed *f, const struct rc_identity *id, bool timed, uint64_t now,
		   const uint8_t **p, size_t *len, struct rc_notice *out)
{
	if (!f->base || !id || id->vendor.n > RC_NAME_MAX || id->model.n > RC_NAME_MAX)
		return false;
	uint64_t h = rc_feed_hash(f->hashkey, id->vendor, id->model);
	size_t b = (size_t)(h & (f->nbuckets - 1));
	uint32_t lo = get32(f->buckets + 4 * b), hi = get32(f->buckets + 4 * (b + 1));
	struct rc_cose_sign m;
	struct rc_notice local;
	struct rc_notice *n = out ? out : &local;
	for (uint32_t i = lo; i < hi && i < f->nnotices; i++) {
		const uint8_t *e = f->entries + (size_t)i * RC_FEED_ENTRY_LEN;
		if (get64(e) != h)
			continue;
		const uint8_t *np = f->notices + get32(e + 8);
		size_t nlen = get32(e + 12);
		if (decode_notice(n, &m, np, nlen) != RC_OK)
			continue;
		if (timed && !(n->not_before <= now && now < n->expiry))
			continue;
		if (!rc_notice_covers(n, id))
			continue;
		if (p)
			*p = np;
		if (len)
			*len = nlen;
		return true;
	}
	return false;
}

bool rc_feed_lookup(const struct rc_feed *f, const struct rc_identity *id, const uint8_t **p,
		    size_t *len, struct rc_notice *n)
{
	return lookup(f, id, false, 0, p, len, n);
}

bool rc_feed_lookup_at(const struct rc_feed *f, const struct rc_identity *id, uint64_t now,
		       const uint8_t **p, size_t *len, struct rc_notice *n)
{
	return lookup(f, id, true, now, p, len, n);
}

bool rc_feed_next_model(const struct rc_feed *f, struct rc_str vendor, struct rc_str model,
			uint32_t *pos, const uint8_t **p, size_t *len, struct rc_notice *out)
{
	if (!f || !f->base || !pos || vendor.n > RC_NAME_MAX || model.n > RC_NAME_MAX)
		return false;
	uint64_t h = rc_feed_hash(f->hashkey, vendor, model);
	size_t b = (size_t)(h & (f->nbuckets - 1));
	uint32_t lo = get32(f->buckets + 4 * b), hi = get32(f->buckets + 4 * (b + 1));
	struct rc_cose_sign m;
	struct rc_notice local;
	struct rc_notice *n = out ? out : &local;
	for (uint32_t i = *pos > lo ? *pos : lo; i < hi && i < f->nnotices; i++) {
		const uint8_t *e = f->entries + (size_t)i * RC_FEED_ENTRY_LEN;
		const uint8_t *np = f->notices + get32(e + 8);
		size_t nlen = get32(e + 12);
		if (get64(e) != h || decode_notice(n, &m, np, nlen) != RC_OK ||
		    !rc_str_eq(n->target.vendor, vendor) || !rc_str_eq(n->target.model, model))
			continue;
		*pos = i + 1;
		if (p)
			*p = np;
		if (len)
			*len = nlen;
		return true;
	}
	*pos = hi > *pos ? hi : *pos;
	return false;
}

/* One notice while building: where it goes in the index and how it sorts in its bucket. */
struct slot {
	uint64_t hash;
	uint32_t bucket;
	uint32_t idx; /* input position */
	uint8_t action, severity;
	uint8_t idlen;
	char id[RC_NOTICE_ID_MAX];
};

/* By id, then input position. */
static int id_order(const struct slot *a, const struct slot *b)
{
	size_t n = a->idlen < b->idlen ? a->idlen : b->idlen;
	int c = memcmp(a->id, b->id, n);
	if (c)
		return c;
	if (a->idlen != b->idlen)
		return a->idlen < b->idlen ? -1 : 1;
	return a->idx < b->idx ? -1 : a->idx > b->idx;
}

static int cmp_slot(const void *pa, const void *pb)
{
	const struct slot *a = pa, *b = pb;
	if (a->bucket != b->bucket)
		return a->bucket < b->bucket ? -1 : 1;
	/* the order readers check, then the input position */
	struct rc__feed_key ka = {a->hash, a->action, a->severity, {a->id, a->idlen}},
			    kb = {b->hash, b->action, b->severity, {b->id, b->idlen}};
	int c = rc__feed_key_cmp(&ka, &kb);
	return c ? c : id_order(a, b);
}

/* Order pointers to slots by id, to find repeated ids. */
static int cmp_id(const void *pa, const void *pb)
{
	return id_order(*(const struct slot *const *)pa, *(const struct slot *const *)pb);
}

static int check_ids(struct slot *s, size_t n, size_t *bad)
{
	if (n < 2)
		return RC_OK;
	struct slot **v = malloc(n * sizeof(*v));
	if (!v)
		return RC_ERR_NOMEM;
	for (size_t i = 0; i < n; i++)
		v[i] = &s[i];
	qsort(v, n, sizeof(*v), cmp_id);
	int err = RC_OK;
	size_t worst = SIZE_MAX;
	for (size_t i = 1; i < n; i++) {
		if (v[i]->idlen == v[i - 1]->idlen &&
		    !memcmp(v[i]->id, v[i - 1]->id, v[i]->idlen)) {
			err = RC_ERR_DUPKEY;
			if (v[i]->idx < worst)
				worst = v[i]->idx; /* the earliest repeat in input order */
		}
	}
	free(v);
	if (err && bad)
		*bad = worst;
	return err;
}

int rc_feed_build(uint8_t **out, size_t *out_len, const struct rc_feed_meta *meta,
		  const uint8_t *const *notices, const size_t *lens, size_t n,
		  const uint8_t sk[static RC_SK_LEN], size_t *bad)
{
	struct rc_signer s = {.sign = rc__sign_sk, .ctx = (void *)(uintptr_t)sk};
	memcpy(s.pk, sk + 32, RC_PK_LEN); /* libsodium secret keys end with the public key */
	return rc_feed_build_signer(out, out_len, meta, notices, lens, n, &s, bad);
}

int rc_feed_build_signer(uint8_t **out, size_t *out_len, const struct rc_feed_meta *meta,
			 const uint8_t *const *notices, const size_t *lens, size_t n,
			 const struct rc_signer *sg, size_t *bad)
{
	*out = NULL;
	*out_len = 0;
	if (n > RC_FEED_MAX_NOTICES || meta->issued > meta->expiry || !sg || !sg->sign)
		return RC_ERR_INVALID;
	uint32_t nb = 1;
	while (nb < n)
		nb <<= 1;
	uint8_t key[RC_FEED_HASHKEY_LEN];
	randombytes_buf(key, sizeof(key));

	struct slot *s = calloc(n ? n : 1, sizeof(*s));
	if (!s)
		return RC_ERR_NOMEM;
	uint64_t total = 0;
	struct rc_cose_sign m;
	struct rc_notice nt;
	for (size_t i = 0; i < n; i++) {
		int err = decode_notice(&nt, &m, notices[i], lens[i]);
		if (err) {
			free(s);
			if (bad)
				*bad = i;
			return err;
		}
		s[i].hash = rc_feed_hash(key, nt.target.vendor, nt.target.model);
		s[i].bucket = (uint32_t)(s[i].hash & (nb - 1));
		s[i].idx = (uint32_t)i;
		s[i].action = nt.action;
		s[i].severity = nt.severity;
		s[i].idlen = (uint8_t)(nt.id.n <= RC_NOTICE_ID_MAX ? nt.id.n : RC_NOTICE_ID_MAX);
		memcpy(s[i].id, nt.id.p, s[i].idlen);
		total += lens[i];
	}
	int err = check_ids(s, n, bad);
	if (err) {
		free(s);
		return err;
	}
	if (total > UINT32_MAX) {
		free(s);
		return RC_ERR_TOOLONG;
	}
	qsort(s, n, sizeof(*s), cmp_slot);

	size_t eoff = RC_FEED_HDR_LEN + 4 * ((size_t)nb + 1);
	size_t noff = eoff + RC_FEED_ENTRY_LEN * n;
	size_t len = noff + (size_t)total + RC_FEED_SIG_LEN;
	uint8_t *f = calloc(1, len);
	if (!f) {
		free(s);
		return RC_ERR_NOMEM;
	}
	memcpy(f + H_MAGIC, RC_FEED_MAGIC, 8);
	put32(f + H_VERSION, RC_FEED_VERSION);
	put32(f + H_HDRLEN, RC_FEED_HDR_LEN);
	put64(f + H_SERIAL, meta->serial);
	put64(f + H_ISSUED, meta->issued);
	put64(f + H_EXPIRY, meta->expiry);
	memcpy(f + H_ANCHORS, meta->anchors_id, RC_KID_LEN);
	rc_kid(f + H_KEYID, sg->pk);
	put32(f + H_NNOTICES, (uint32_t)n);
	put32(f + H_NBUCKETS, nb);
	memcpy(f + H_HASHKEY, key, RC_FEED_HASHKEY_LEN);
	put64(f + H_FILELEN, len);

	/* CSR: bucket b's entries are [start[b], start[b+1]). */
	uint8_t *bt = f + RC_FEED_HDR_LEN;
	size_t i = 0;
	for (uint32_t b = 0; b <= nb; b++) {
		while (i < n && s[i].bucket < b)
			i++;
		put32(bt + 4 * (size_t)b, (uint32_t)i);
	}
	uint32_t off = 0;
	for (i = 0; i < n; i++) {
		uint8_t *e = f + eoff + i * RC_FEED_ENTRY_LEN;
		size_t nl = lens[s[i].idx];
		put64(e, s[i].hash);
		put32(e + 8, off);
		put32(e + 12, (uint32_t)nl);
		memcpy(f + noff + off, notices[s[i].idx], nl);
		off += (uint32_t)nl;
	}
	free(s);
	if (sg->sign(sg->ctx, f + len - RC_FEED_SIG_LEN, f, len - RC_FEED_SIG_LEN) != 0) {
		free(f);
		return RC_ERR_IO;
	}
	*out = f;
	*out_len = len;
	return RC_OK;
}
