/* The end of a sync (pubsync.h): what the verified entries are (notices for the feed, withdrawn
 * or expired ones left out, rotation statements), every served notice's threshold, the feed
 * built and signed with the local key, and the commit to the cache directory: tiles, bundles
 * and entry files of the new range (the held range is durable already), one syncfs, then the
 * feed, then the top file. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "pubdir.h"
#include "pubsync_int.h"
#include "recall/feed.h"
#include "recall/notice.h"

struct served {
	const uint8_t **v;
	size_t *len;
	uint64_t *index;
	size_t n;
	uint64_t *rot, *rot_epoch; /* rotation statements: entry index, from epoch */
	size_t nrot;
};

/* Entry i: a notice to serve (added to f), one left out, or a rotation statement (kept in f
 * for the commit). 0 or -1 with the verdict. */
static int classify(struct sync *s, uint64_t i, bool withdrawn, struct served *f)
{
	struct rc_cose_sign m;
	struct rc_diag d = {0, NULL};
	int e = rc_cose_decode(&m, s->ent[i], s->elen[i], &d);
	if (e)
		return ps_verdict(s, PUBSYNC_BAD, "log entry %llu: byte %zu: %s: %s",
				  (unsigned long long)i, d.off, d.field ? d.field : "entry",
				  rc_strerror(e));
	if (m.content_type == RC_CT_ROTATION) {
		struct rc_rotation rot;
		if (withdrawn)
			return ps_verdict(s, PUBSYNC_BAD,
					  "publication.withdrawn: %llu is a rotation statement",
					  (unsigned long long)i);
		if ((e = rc_rotation_decode(&rot, m.payload, m.payload_len, &d)) != RC_OK)
			return ps_verdict(s, PUBSYNC_BAD, "log entry %llu: %s: %s",
					  (unsigned long long)i, d.field ? d.field : "rotation",
					  rc_strerror(e));
		f->rot[f->nrot] = i;
		f->rot_epoch[f->nrot++] = rot.from_epoch;
		return 0;
	}
	if (m.content_type != RC_CT_NOTICE)
		return ps_verdict(s, PUBSYNC_BAD, "log entry %llu: content type %llu",
				  (unsigned long long)i, (unsigned long long)m.content_type);
	if (withdrawn)
		return 0;
	struct rc_notice n;
	if ((e = rc_notice_decode(&n, m.payload, m.payload_len, &d)) != RC_OK)
		return ps_verdict(s, PUBSYNC_BAD, "log entry %llu: %s: %s", (unsigned long long)i,
				  d.field ? d.field : "notice", rc_strerror(e));
	if (n.expiry <= s->pub.issued)
		return 0; /* expired when the publication was issued */
	struct rc_verdict v;
	if (rc_anchors_verify(s->in->anchors, &m, &v) != RC_OK)
		return ps_verdict(s, PUBSYNC_BAD,
				  "log entry %llu: notice %.*s: %u valid signatures, %u needed",
				  (unsigned long long)i, (int)(n.id.n < 64 ? n.id.n : 64), n.id.p,
				  v.valid, (unsigned)s->in->anchors->k);
	f->v[f->n] = s->ent[i];
	f->len[f->n] = s->elen[i];
	f->index[f->n++] = i;
	return 0;
}

static int write_rel(struct sync *s, const char *rel, const void *p, size_t n, bool sync)
{
	char path[PS_PATH_MAX];
	snprintf(path, sizeof(path), "%s/%s", s->in->cache_dir, rel);
	if (ps_write(path, p, n, sync) < 0)
		return ps_verdict(s, PUBSYNC_IO, "cache %s: %s", path, strerror(errno));
	return 0;
}

int ps_commit(struct sync *s)
{
	size_t n = (size_t)s->n;
	struct served f = {.v = malloc((n ? n : 1) * sizeof(*f.v)),
			   .len = malloc((n ? n : 1) * sizeof(*f.len)),
			   .index = malloc((n ? n : 1) * sizeof(*f.index)),
			   .rot = malloc((n ? n : 1) * sizeof(*f.rot)),
			   .rot_epoch = malloc((n ? n : 1) * sizeof(*f.rot_epoch))};
	uint8_t *feed = NULL;
	size_t feed_len = 0, wi = 0, bad = 0;
	int r = 0;
	if (!f.v || !f.len || !f.index || !f.rot || !f.rot_epoch)
		r = ps_verdict(s, PUBSYNC_IO, "out of memory");
	for (uint64_t i = 0; i < s->n && !r; i++) {
		bool wd = wi < s->pub.nwithdrawn && rc_pub_withdrawn_item(&s->pub, wi) == i;
		wi += wd;
		r = classify(s, i, wd, &f);
	}
	if (!r) {
		struct rc_feed_meta meta = {
		    .serial = s->pub.serial, .issued = s->pub.issued, .expiry = s->pub.expiry};
		memcpy(meta.anchors_id, s->pub.anchors_id, sizeof(meta.anchors_id));
		int e =
		    rc_feed_build(&feed, &feed_len, &meta, f.v, f.len, f.n, s->in->local_sk, &bad);
		if (e)
			r = ps_verdict(s, PUBSYNC_BAD, "log entry %llu: %s (the feed refuses it)",
				       bad < f.n ? (unsigned long long)f.index[bad] : 0ull,
				       rc_strerror(e));
	}
	s->out->notices = (uint32_t)f.n;
	s->out->rotations = (uint32_t)f.nrot;
	for (size_t i = 0; i < f.nrot && !r; i++) {
		char rel[40];
		snprintf(rel, sizeof(rel), "rotation/%llu", (unsigned long long)f.rot_epoch[i]);
		r = write_rel(s, rel, s->ent[f.rot[i]], s->elen[f.rot[i]], false);
	}
	struct pubdir_log lg = {.ent = s->ent,
				.len = s->elen,
				.leaf = (const uint8_t(*)[RC_TLOG_HASH_LEN])s->leaf,
				.n = s->n,
				.from = s->from_cache,
				.checkpoint = s->pub.checkpoint,
				.checkpoint_len = s->pub.checkpoint_len};
	char eb[300];
	if (!r && pubdir_write_log(s->in->cache_dir, &lg, NULL, eb, sizeof(eb)) < 0)
		r = ps_verdict(s, PUBSYNC_IO, "cache %s", eb);
	if (!r && ps_syncfs(s->in->cache_dir) < 0)
		r = ps_verdict(s, PUBSYNC_IO, "cache %s: syncfs: %s", s->in->cache_dir,
			       strerror(errno));
	if (!r)
		r = write_rel(s, "feed", feed, feed_len, true);
	if (!r)
		r = write_rel(s, "recall-publication", s->top, s->top_len, true);
	if (!r && ps_sync_dir(s->in->cache_dir) < 0)
		r = ps_verdict(s, PUBSYNC_IO, "cache %s: fsync: %s", s->in->cache_dir,
			       strerror(errno));
	free(feed);
	free(f.v);
	free(f.len);
	free(f.index);
	free(f.rot);
	free(f.rot_epoch);
	return r;
}
