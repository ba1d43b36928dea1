/* Verification of every notice of a new feed, as rc_feed_verify_notices does it (decodes, fits
 * an answer, k of n signatures by the anchors, index entry matches its vendor and model), but
 * incremental: a notice byte-for-byte identical to one of the previous feed, verified with the
 * same anchors, keeps its verdict and is not verified again. Feeds usually change by a few
 * notices, so a reload costs their signatures, not those of all of them. */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

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
		if (!err && le64(f->entries + (size_t)i * RC_FEED_ENTRY_LEN) !=
				rc_feed_hash(f->hashkey, n.target.vendor, n.target.model))
			err = RC_ERR_SYNTAX;
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
