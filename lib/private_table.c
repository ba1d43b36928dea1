/* The responder's table for private check-ins (PROTOCOL.md 18.3): every served notice of a feed
 * as (model tag, feed index), sorted, with the first row of each 12-bit prefix. Built once per
 * feed into caller memory; answering reads it only, so any number of threads may share it. */
#include <stdlib.h>
#include <string.h>

#include "recall/cose.h"
#include "recall/feed.h"
#include "recall/notice.h"
#include "recall/private.h"

static int cmp_row(const void *pa, const void *pb)
{
	const struct rc_private_row *a = pa, *b = pb;
	int c = memcmp(a->tag, b->tag, RC_PRIVATE_TAG_LEN);
	if (c)
		return c;
	return a->notice < b->notice ? -1 : a->notice > b->notice;
}

/* Feed order within a model is the answer order (PROTOCOL.md 14.2), so sorting by (tag, index)
 * keeps it. */
int rc_private_table_build(struct rc_private_table *t, const struct rc_feed *f,
			   struct rc_private_row *rows, size_t cap, uint64_t now,
			   rc_private_keep_fn keep, void *arg)
{
	if (!t || !f || (!rows && cap))
		return RC_ERR_INVALID;
	if (cap < f->nnotices)
		return RC_ERR_BUFFER;
	memset(t, 0, sizeof(*t));
	t->feed = f;
	t->rows = rows;
	t->next_change = UINT64_MAX;
	struct rc_cose_sign m;
	struct rc_notice n;
	for (uint32_t i = 0; i < f->nnotices; i++) {
		const uint8_t *p;
		size_t len;
		/* A feed that opened has decodable notices; one that does not is skipped, as
		 * rc_feed_lookup skips it. */
		if (rc_feed_notice(f, i, &p, &len) || rc_cose_decode(&m, p, len, NULL) ||
		    m.content_type != RC_CT_NOTICE ||
		    rc_notice_decode(&n, m.payload, m.payload_len, NULL))
			continue;
		if (n.not_before > now && n.not_before < t->next_change)
			t->next_change = n.not_before;
		if (n.expiry > now && n.expiry < t->next_change)
			t->next_change = n.expiry;
		if (!(n.not_before <= now && now < n.expiry) || (keep && !keep(&n, arg)))
			continue;
		struct rc_private_row *r = &rows[t->nrows++];
		rc_private_hash(n.target.vendor, n.target.model, r->tag, NULL);
		r->notice = i;
	}
	if (t->nrows)
		qsort(rows, t->nrows, sizeof(*rows), cmp_row);
	size_t r = 0;
	for (uint32_t p = 0; p <= RC_PRIVATE_PREFIXES; p++) {
		while (r < t->nrows && rc_private_tag_prefix(rows[r].tag) < p)
			r++;
		t->start[p] = (uint32_t)r;
	}
	return RC_OK;
}

static void put_entry(uint8_t *e, const uint8_t *tag, size_t count)
{
	memcpy(e, tag, RC_PRIVATE_TAG_LEN);
	e[RC_PRIVATE_TAG_LEN] = (uint8_t)(count >> 8);
	e[RC_PRIVATE_TAG_LEN + 1] = (uint8_t)count;
}

int rc_private_table_bucket(const struct rc_private_table *t, uint16_t prefix, uint8_t page,
			    uint8_t buf[static RC_BUCKET_ENTRIES_MAX * RC_BUCKET_ENTRY_LEN],
			    struct rc_bucket *b)
{
	if (!t || !b || prefix >= RC_PRIVATE_PREFIXES)
		return RC_ERR_INVALID;
	size_t lo = t->start[prefix], hi = t->start[prefix + 1];
	size_t model = 0, n = 0; /* models seen so far; entries written to this page */
	for (size_t r = lo; r < hi;) {
		size_t end = r + 1;
		while (end < hi && !memcmp(t->rows[end].tag, t->rows[r].tag, RC_PRIVATE_TAG_LEN))
			end++;
		/* More than 65535 notices of one model cannot be counted on the wire. */
		if (end - r > RC_NOTICE_INDEX_MAX + 1)
			return RC_ERR_TOOLONG;
		if (model / RC_BUCKET_ENTRIES_MAX == page)
			put_entry(buf + RC_BUCKET_ENTRY_LEN * n++, t->rows[r].tag, end - r);
		model++;
		r = end;
	}
	size_t pages = model ? (model + RC_BUCKET_ENTRIES_MAX - 1) / RC_BUCKET_ENTRIES_MAX : 1;
	if (pages > RC_BUCKET_PAGES_MAX)
		return RC_ERR_TOOLONG;
	b->entries = buf;
	b->nentries = n;
	b->pages = (uint8_t)pages;
	return RC_OK;
}

bool rc_private_table_notice(const struct rc_private_table *t,
			     const uint8_t tag[static RC_PRIVATE_TAG_LEN], unsigned index,
			     const uint8_t **p, size_t *len)
{
	if (!t)
		return false;
	uint16_t prefix = rc_private_tag_prefix(tag);
	size_t lo = t->start[prefix], hi = t->start[prefix + 1];
	/* Binary search for the tag's first row. */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (memcmp(t->rows[mid].tag, tag, RC_PRIVATE_TAG_LEN) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	size_t r = lo + index;
	if (r >= t->start[prefix + 1] || memcmp(t->rows[r].tag, tag, RC_PRIVATE_TAG_LEN))
		return false;
	const uint8_t *np;
	size_t nlen;
	if (rc_feed_notice(t->feed, t->rows[r].notice, &np, &nlen))
		return false;
	if (p)
		*p = np;
	if (len)
		*len = nlen;
	return true;
}
