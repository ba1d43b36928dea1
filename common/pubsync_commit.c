/* The end of a sync (pubsync.h): the feed made of the verified entries (pubfeed_make) and the
 * commit to the cache directory: rotation statements, tiles, bundles and entry files of the new
 * range (the held range is durable already), one syncfs, then the feed, then the top file. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "pubdir.h"
#include "pubsync_int.h"

static int write_rel(struct sync *s, const char *rel, const void *p, size_t n, bool sync)
{
	char path[PS_PATH_MAX];
	snprintf(path, sizeof(path), "%s/%s", s->in->cache_dir, rel);
	if (ps_write(path, p, n, sync) < 0)
		return ps_verdict(s, PUBSYNC_IO, "cache %s: %s", path, strerror(errno));
	return 0;
}

/* The cache keeps entry files of the last, partial bundle only (a reader of the cache fetches
 * a complete bundle instead): those of bundles this sync completed go. */
static void prune_entries(struct sync *s)
{
	uint64_t end = s->n / W * W;
	for (uint64_t i = s->from_cache / W * W; i < end && i < s->from_cache; i++) {
		char path[PS_PATH_MAX], hx[2 * RC_TLOG_HASH_LEN + 1];
		sodium_bin2hex(hx, sizeof(hx), s->leaf[i], RC_TLOG_HASH_LEN);
		snprintf(path, sizeof(path), "%s/log/entry/%s", s->in->cache_dir, hx);
		unlink(path);
	}
}

int ps_commit(struct sync *s)
{
	struct pubfeed f;
	char eb[300];
	/* held entries passed the threshold under the held top file's anchor set, if it is ours */
	uint64_t checked =
	    s->held_log && !memcmp(s->held.anchors_id, s->pub.anchors_id, 8) ? s->from_cache : 0;
	int r = pubfeed_make(&f, &s->pub, s->in->anchors, s->ent, s->elen, s->n, checked,
			     s->in->local_sk, eb, sizeof(eb));
	if (r)
		return ps_verdict(s, r == -2 ? PUBSYNC_IO : PUBSYNC_BAD, "%s", eb);
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
				.entry_from = s->n / W * W,
				.checkpoint = s->pub.checkpoint,
				.checkpoint_len = s->pub.checkpoint_len};
	if (!r && pubdir_write_log(s->in->cache_dir, &lg, NULL, eb, sizeof(eb)) < 0)
		r = ps_verdict(s, PUBSYNC_IO, "cache %s", eb);
	prune_entries(s);
	if (!r && ps_sync_dir(s->in->cache_dir, true) < 0)
		r = ps_verdict(s, PUBSYNC_IO, "cache %s: syncfs: %s", s->in->cache_dir,
			       strerror(errno));
	if (!r)
		r = write_rel(s, "feed", f.feed, f.feed_len, true);
	if (!r)
		r = write_rel(s, "recall-publication", s->top, s->top_len, true);
	if (!r && ps_sync_dir(s->in->cache_dir, false) < 0)
		r = ps_verdict(s, PUBSYNC_IO, "cache %s: fsync: %s", s->in->cache_dir,
			       strerror(errno));
	pubfeed_free(&f);
	return r;
}
