/* Verification of every notice of a new feed, as rc_feed_verify_notices does it (decodes, fits
 * an answer, k of n signatures by the anchors, index entry matches its vendor and model), but
 * incremental: a notice byte-for-byte identical to one of the previous feed, verified with the
 * same anchors, keeps its verdict and is not verified again. Feeds usually change by a few
 * notices, so a reload costs their signatures, not those of all of them. */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "feed_order.h"
#include "rd.h"

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t le64(const uint8_t *p)
{
	return (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32;
}

static int cmp_digest(const void *a, const void *b)
{
	return memcmp(a, b, RD_DIGEST_LEN);
}

/* Append n's summary as notice i (arrays grown to the notice count times the list limits
 * would be wasteful: they grow by doubling). */
static int grow(void **v, size_t *cap, size_t need, size_t size)
{
	if (need <= *cap)
		return 0;
	size_t c = *cap ? *cap : 1024;
	while (c < need)
		c *= 2;
	void *nv = realloc(*v, c * size);
	if (!nv)
		return -1;
	*v = nv;
	*cap = c;
	return 0;
}

struct arenas {
	size_t cs, cr, cd;
};

static int summarize(struct rd_feedmap *fm, struct arenas *ar, uint32_t i,
		     const struct rc_notice *n)
{
	const struct rc_target *t = &n->target;
	struct rd_nsum *s = &fm->sum[i];
	if (grow((void **)&fm->strs, &ar->cs, fm->nstrs + t->nhwrevs + t->nversions,
		 sizeof(*fm->strs)) ||
	    grow((void **)&fm->ranges, &ar->cr, fm->nranges + t->nranges, sizeof(*fm->ranges)) ||
	    grow((void **)&fm->digs, &ar->cd, fm->ndigs + t->ndigests, sizeof(*fm->digs)))
		return RC_ERR_NOMEM;
	memset(s, 0, sizeof(*s));
	s->not_before = n->not_before;
	s->expiry = n->expiry;
	s->id = n->id;
	s->vendor = t->vendor;
	s->model = t->model;
	s->severity = n->severity;
	s->action = n->action;
	s->has_from = t->has_built_from;
	s->has_before = t->has_built_before;
	s->built_from = t->built_from;
	s->built_before = t->built_before;
	s->strs = (uint32_t)fm->nstrs;
	s->nhwrevs = (uint8_t)t->nhwrevs;
	s->nversions = (uint8_t)t->nversions;
	for (size_t k = 0; k < t->nhwrevs; k++)
		fm->strs[fm->nstrs++] = t->hwrevs[k];
	for (size_t k = 0; k < t->nversions; k++)
		fm->strs[fm->nstrs++] = t->versions[k];
	s->ranges = (uint32_t)fm->nranges;
	s->nranges = (uint8_t)t->nranges;
	for (size_t k = 0; k < t->nranges; k++)
		fm->ranges[fm->nranges++] = t->ranges[k];
	s->digs = (uint32_t)fm->ndigs;
	s->ndigests = (uint8_t)t->ndigests;
	for (size_t k = 0; k < t->ndigests; k++)
		fm->digs[fm->ndigs++] = t->digests[k];
	return RC_OK;
}

void rd_nsum_notice(const struct rd_feedmap *fm, uint32_t i, struct rc_notice *n)
{
	const struct rd_nsum *s = &fm->sum[i];
	struct rc_target *t = &n->target;
	n->id = s->id;
	n->not_before = s->not_before;
	n->expiry = s->expiry;
	n->severity = s->severity;
	n->action = s->action;
	t->vendor = s->vendor;
	t->model = s->model;
	t->nhwrevs = s->nhwrevs;
	t->nversions = s->nversions;
	t->nranges = s->nranges;
	t->ndigests = s->ndigests;
	t->has_built_from = s->has_from;
	t->has_built_before = s->has_before;
	t->built_from = s->built_from;
	t->built_before = s->built_before;
	/* lists may be empty (and their arenas never allocated) */
	if (s->nhwrevs)
		memcpy(t->hwrevs, fm->strs + s->strs, s->nhwrevs * sizeof(t->hwrevs[0]));
	if (s->nversions)
		memcpy(t->versions, fm->strs + s->strs + s->nhwrevs,
		       s->nversions * sizeof(t->versions[0]));
	if (s->nranges)
		memcpy(t->ranges, fm->ranges + s->ranges, s->nranges * sizeof(t->ranges[0]));
	if (s->ndigests)
		memcpy((void *)t->digests, fm->digs + s->digs, s->ndigests * sizeof(t->digests[0]));
}

static bool known(const struct rd_feedmap *prev, const uint8_t d[RD_DIGEST_LEN])
{
	return prev && prev->ndigests &&
	       bsearch(d, prev->digests, prev->ndigests, RD_DIGEST_LEN, cmp_digest) != NULL;
}

int rd_verify_feed(struct rd_feedmap *fm, const struct rc_anchors *a, const struct rd_feedmap *prev,
		   size_t *bad, size_t *reused)
{
	const struct rc_feed *f = &fm->feed;
	uint8_t aid[RC_KID_LEN];
	*reused = 0;
	if (rc_anchors_id(a, aid) != RC_OK)
		return RC_ERR_INVALID;
	if (prev && memcmp(prev->anchors_id, aid, RC_KID_LEN))
		prev = NULL; /* verdicts under other anchors do not count */
	uint8_t(*d)[RD_DIGEST_LEN] =
	    malloc((f->nnotices ? f->nnotices : 1) * (size_t)RD_DIGEST_LEN);
	if (!d)
		return RC_ERR_NOMEM;
	struct rc_cose_sign m;
	struct rc_notice n;
	struct rc__feed_key key = {0, 0, 0, {NULL, 0}}, prevkey;
	struct arenas ar = {0, 0, 0};
	free(fm->sum);
	fm->sum = calloc(f->nnotices ? f->nnotices : 1, sizeof(*fm->sum));
	if (!fm->sum) {
		free(d);
		return RC_ERR_NOMEM;
	}
	for (uint32_t i = 0; i < f->nnotices; i++) {
		const uint8_t *p;
		size_t len;
		int err = rc_feed_notice(f, i, &p, &len);
		if (!err && len > RC_NOTICE_MAX)
			err = RC_ERR_TOOLONG;
		if (!err)
			err = rc_cose_decode(&m, p, len, NULL);
		if (!err && m.content_type != RC_CT_NOTICE)
			err = RC_ERR_TYPE;
		if (!err)
			err = rc_notice_decode(&n, m.payload, m.payload_len, NULL);
		if (!err) {
			crypto_generichash(d[i], RD_DIGEST_LEN, p, len, NULL, 0);
			if (known(prev, d[i]))
				(*reused)++;
			else
				err = rc_anchors_verify(a, &m, NULL);
		}
		uint64_t h = le64(f->entries + (size_t)i * RC_FEED_ENTRY_LEN);
		if (!err && h != rc_feed_hash(f->hashkey, n.target.vendor, n.target.model))
			err = RC_ERR_SYNTAX;
		if (!err) { /* the order decides which notice is served */
			prevkey = key;
			key = (struct rc__feed_key){h, (int)n.action, (int)n.severity, n.id};
			if (!rc__feed_in_order(f, i, &prevkey, &key))
				err = RC_ERR_NONCANONICAL;
		}
		if (!err)
			err = summarize(fm, &ar, i, &n);
		if (err) {
			*bad = i;
			free(d);
			return err;
		}
	}
	qsort(d, f->nnotices, RD_DIGEST_LEN, cmp_digest);
	free(fm->digests);
	fm->digests = d;
	fm->ndigests = f->nnotices;
	memcpy(fm->anchors_id, aid, RC_KID_LEN);
	return RC_OK;
}
