/* Per-worker check-in cache: the check-ins a worker has decoded, byte for byte, with what they
 * decoded to and, once made, the decision and the answer for them under one state.
 *
 * Devices of one build send the same check-in but for the 16 nonce bytes, so a worker sees
 * few distinct check-ins. A datagram that equals a cached one in every byte but the nonce's
 * content decodes to the same check-in: the nonce is a byte string of fixed length whose
 * content no rule looks at, so the strict decoder would accept it exactly as it accepted the
 * cached one. The cache compares bytes, never a hash alone: anything else goes to the decoder.
 *
 * A check-in is kept as its bytes before the nonce's content, [0, 7), and after it up to a fixed
 * end, [23, 207); it fits if its bytes from 207 on are zero (the pad), which is checked for
 * every datagram. Allocated once: sets of two entries, and a check-in may be in either of two
 * sets, which a keyed hash (random per worker) names, so that the table fills evenly and
 * nobody can choose datagrams that evict others' entries. A new check-in takes the place of
 * the oldest entry of its four. */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "rd.h"

#define NONCE_AT  RD_CACHE_NONCE_AT /* map head, 0, type, 1, version, 2, bstr(16) head */
#define NONCE_END (NONCE_AT + RC_NONCE_LEN)
#define KEPT      (RD_CACHE_BYTES - 8) /* bytes kept after the nonce: whole words */
#define END       (NONCE_END + KEPT)   /* bytes from here on must be zero */

_Static_assert(KEPT % 16 == 8 && NONCE_AT + KEPT <= RD_CACHE_BYTES && END < RC_CHECKIN_SIZE,
	       "cache byte capacity");
_Static_assert(sizeof(struct rd_cache_entry) == 5 * RD_CACHELINE, "an entry is five lines");
_Static_assert(offsetof(struct rd_cache_entry, d) + sizeof(struct rd_decision) <= RD_CACHELINE &&
		   offsetof(struct rd_cache_entry, epoch) == RD_CACHELINE &&
		   offsetof(struct rd_cache_entry, b) == 2 * RD_CACHELINE,
	       "a hit's first reads in the first line");

int rd_cache_init(struct rd_cache *c, size_t entries)
{
	memset(c, 0, sizeof(*c));
	if (!entries)
		return 0;
	size_t n = 2;
	while (n < entries)
		n <<= 1;
	c->t = aligned_alloc(RD_CACHELINE, n * sizeof(*c->t));
	if (!c->t)
		return -1;
	memset(c->t, 0, n * sizeof(*c->t));
	c->set_mask = n / 2 - 1;
	randombytes_buf(c->seed, sizeof(c->seed));
	return 0;
}

void rd_cache_free(struct rd_cache *c)
{
	free(c->t);
	c->t = NULL;
}

static uint64_t ld64(const uint8_t *p)
{
	uint64_t v;
	memcpy(&v, p, 8);
	return v;
}

static uint64_t mix(uint64_t h, uint64_t w)
{
	h = (h ^ w) * 0x9e3779b97f4a7c15ull;
	return h ^ (h >> 29);
}

/* The layout the cache relies on: a one-byte map head, key 0 and a one-byte type, key 1 and a
 * one-byte version, key 2 and the head of a 16-byte byte string. */
static bool layout_ok(const uint8_t *p)
{
	return p[0] >= 0xa0 && p[0] <= 0xb7 && p[1] == 0x00 && p[2] < 0x18 && p[3] == 0x01 &&
	       p[4] < 0x18 && p[5] == 0x02 && p[6] == 0x50;
}

bool rd_cache_probe(const struct rd_cache *c, const uint8_t *req, size_t len,
		    struct rd_cache_probe *pr)
{
	pr->ok = false;
	if (!c->t || len != RC_CHECKIN_SIZE || !layout_ok(req))
		return false;
	/* zeros from END on (libc's vectorised compare) */
	static const uint8_t zero[RC_CHECKIN_SIZE - END];
	if (memcmp(req + END, zero, sizeof(zero)))
		return false;
	/* hash [0, 7) and [23, END) in words, two at a time */
	uint64_t w = 0;
	memcpy(&w, req, NONCE_AT);
	uint64_t h0 = mix(c->seed[0], w), h1 = c->seed[1];
	size_t i = NONCE_END;
	for (; i + 16 <= END; i += 16) {
		h0 = mix(h0, ld64(req + i));
		h1 = mix(h1, ld64(req + i + 8));
	}
	uint64_t h = mix(h0 ^ (h1 >> 32 | h1 << 32), ld64(req + i));
	h = mix(h, h >> 32);
	pr->ok = true;
	pr->tag = h | 1; /* 0 marks an empty entry */
	pr->set[0] = (size_t)h & c->set_mask;
	pr->set[1] = (size_t)(h >> 32) & c->set_mask;
	return true;
}

void rd_cache_prefetch(const struct rd_cache *c, const struct rd_cache_probe *pr, int stage)
{
	if (!pr->ok)
		return;
	const struct rd_cache_entry *s0 = &c->t[2 * pr->set[0]], *s1 = &c->t[2 * pr->set[1]];
	if (stage == 0) {
		__builtin_prefetch(s0);
		__builtin_prefetch(s0 + 1);
		__builtin_prefetch(s1);
		__builtin_prefetch(s1 + 1);
		return;
	}
	const struct rd_cache_entry *e = s0->tag == pr->tag     ? s0
					 : s0[1].tag == pr->tag ? s0 + 1
					 : s1->tag == pr->tag   ? s1
					 : s1[1].tag == pr->tag ? s1 + 1
								: NULL;
	if (!e)
		return;
	for (size_t o = RD_CACHELINE; o < sizeof(*e); o += RD_CACHELINE)
		__builtin_prefetch((const char *)e + o);
	if (e->d.kind == RD_DEC_ENFORCE && e->d.notice) {
		for (size_t o = 0; o < e->d.len; o += RD_CACHELINE)
			__builtin_prefetch(e->d.notice + o);
	}
}

static bool same(const struct rd_cache_entry *e, const struct rd_cache_probe *pr,
		 const uint8_t *req)
{
	return e->tag == pr->tag && !memcmp(e->b, req, NONCE_AT) &&
	       !memcmp(e->b + NONCE_AT, req + NONCE_END, KEPT);
}

struct rd_cache_entry *rd_cache_find(struct rd_cache *c, const struct rd_cache_probe *pr,
				     const uint8_t *req)
{
	if (!pr->ok)
		return NULL;
	for (int s = 0; s < 2; s++) {
		struct rd_cache_entry *e = &c->t[2 * pr->set[s]];
		if (same(e, pr, req))
			return e;
		if (same(e + 1, pr, req))
			return e + 1;
	}
	return NULL;
}

/* The place for a new entry: an empty one of the four, else the oldest. */
static struct rd_cache_entry *victim(struct rd_cache *c, const struct rd_cache_probe *pr)
{
	struct rd_cache_entry *v = NULL;
	uint32_t oldest = 0;
	for (int s = 0; s < 2; s++) {
		for (int w = 0; w < 2; w++) {
			struct rd_cache_entry *e = &c->t[2 * pr->set[s] + (size_t)w];
			if (!e->tag)
				return e;
			uint32_t age = c->clock - e->stamp;
			if (!v || age > oldest) {
				v = e;
				oldest = age;
			}
		}
	}
	return v;
}

static uint16_t off(const uint8_t *req, const void *p)
{
	return (uint16_t)((const uint8_t *)p - req);
}

struct rd_cache_entry *rd_cache_add(struct rd_cache *c, const struct rd_cache_probe *pr,
				    const uint8_t *req, const struct rc_checkin *ck)
{
	if (!pr->ok || memcmp(req + NONCE_AT, ck->nonce, RC_NONCE_LEN))
		return NULL;
	/* the identity's strings are views into req: kept as offsets */
	const struct rc_str *s[4] = {&ck->id.vendor, &ck->id.model, &ck->id.hwrev, &ck->id.fwver};
	for (int i = 0; i < 4; i++) {
		if (s[i]->n &&
		    (s[i]->p < (const char *)req || s[i]->p + s[i]->n > (const char *)req + END))
			return NULL;
	}
	const uint8_t *dig = NULL;
	if (ck->id.has_digest) {
		/* any place the bytes occur in req: a matching datagram has them there too */
		dig = memmem(req + NONCE_END, KEPT, ck->id.digest, RC_DIGEST_LEN);
		if (!dig)
			return NULL;
	}
	struct rd_cache_entry *e = victim(c, pr);
	memset(e, 0, offsetof(struct rd_cache_entry, b));
	e->tag = pr->tag;
	e->stamp = c->clock++;
	memcpy(e->b, req, NONCE_AT);
	memcpy(e->b + NONCE_AT, req + NONCE_END, KEPT);
	for (int i = 0; i < 4; i++) {
		e->soff[i] = s[i]->n ? off(req, s[i]->p) : 0;
		e->slen[i] = (uint8_t)s[i]->n;
	}
	e->dig = dig ? off(req, dig) : 0;
	e->has_digest = ck->id.has_digest;
	e->has_build_date = ck->id.has_build_date;
	e->build_date = ck->id.build_date;
	e->epoch = ck->anchor_epoch;
	e->reason = ck->reason;
	e->state = ck->state;
	return e;
}

void rd_cache_checkin(const struct rd_cache_entry *e, const uint8_t *req, struct rc_checkin *ck)
{
	struct rc_str *s[4] = {&ck->id.vendor, &ck->id.model, &ck->id.hwrev, &ck->id.fwver};
	memcpy(ck->nonce, req + NONCE_AT, RC_NONCE_LEN);
	ck->reason = e->reason;
	ck->state = e->state;
	ck->anchor_epoch = e->epoch;
	/* A cached check-in has no sender mark: the mark's bytes end the datagram, where a
	 * cached one has only pad. */
	ck->sender = RC_SENDER_DEVICE;
	for (int i = 0; i < 4; i++)
		*s[i] = (struct rc_str){(const char *)req + e->soff[i], e->slen[i]};
	ck->id.build_date = e->build_date;
	ck->id.has_build_date = e->has_build_date;
	ck->id.has_digest = e->has_digest;
	if (e->has_digest)
		memcpy(ck->id.digest, req + e->dig, RC_DIGEST_LEN);
	else
		memset(ck->id.digest, 0, RC_DIGEST_LEN);
}

void rd_cache_set_answer(struct rd_cache_entry *e, const uint8_t *out, size_t alen,
			 const struct rc_answer *a)
{
	/* the answer without its blob, which stays in the feed; the nonce at the same place */
	size_t hl = alen - (a->type == RC_MSG_RECALLED ? a->blob_len : 0);
	e->alen = 0;
	if (hl > sizeof(e->ans) || alen < NONCE_END || !layout_ok(out) ||
	    (a->type == RC_MSG_RECALLED && memcmp(out + hl, a->blob, a->blob_len)))
		return;
	memcpy(e->ans, out, hl);
	e->alen = (uint8_t)hl;
	e->atype = a->type;
}

size_t rd_cache_answer(const struct rd_cache_entry *e, const uint8_t *req, uint8_t *out)
{
	memcpy(out, e->ans, e->alen);
	memcpy(out + NONCE_AT, req + NONCE_AT, RC_NONCE_LEN);
	if (e->atype != RC_MSG_RECALLED)
		return e->alen;
	memcpy(out + e->alen, e->d.notice, e->d.len);
	return e->alen + e->d.len;
}
