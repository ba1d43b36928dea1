/* The publication sync engine (pubsync.h): the reader rules of PROTOCOL.md 17.
 *
 * Entries are authenticated by recomputing the tree: every leaf hash comes from an entry's
 * bytes, and the root over all N leaves must be the signed checkpoint's root; the root over
 * the first (held) N0 of them must be the held root, else the new log does not extend the held
 * one (a fork, since its checkpoint is signed by the log and cosigned). The hash tiles of the
 * cache are written from these hashes, not copied: a tile fetched from a mirror is used only
 * to name the new entries of a partly held bundle, and each entry fetched must hash to its
 * name. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <sodium.h>

#include "pubsync.h"
#include "pubsync_int.h"
#include "recall/feed.h"
#include "recall/notice.h"
#include "recall/tlog.h"

static const char *const verdict_names[] = {"new",      "same", "stale", "expired",
					    "rollback", "fork", "bad",   "io"};

const char *pubsync_verdict_name(enum pubsync_verdict v)
{
	return (unsigned)v < sizeof(verdict_names) / sizeof(verdict_names[0]) ? verdict_names[v]
									      : "unknown";
}

int ps_verdict(struct sync *s, enum pubsync_verdict v, const char *fmt, ...)
{
	s->out->verdict = v;
	if (fmt && !s->out->err[0]) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(s->out->err, sizeof(s->out->err), fmt, ap);
		va_end(ap);
	}
	return -1;
}

static int keep(struct sync *s, uint8_t *b)
{
	if (s->nbufs == s->capbufs) {
		size_t c = s->capbufs ? 2 * s->capbufs : 64;
		uint8_t **v = realloc(s->bufs, c * sizeof(*v));
		if (!v) {
			free(b);
			return -1;
		}
		s->bufs = v;
		s->capbufs = c;
	}
	s->bufs[s->nbufs++] = b;
	return 0;
}

/* One file from the source within the byte budget: 0, PUBSYNC_GET_NOTFOUND/NOTMODIFIED, or
 * -1 with the verdict set. */
static int fetch(struct sync *s, const char *rel, size_t max, uint8_t **buf, size_t *len)
{
	char eb[200] = "";
	uint64_t left = s->budget > s->out->bytes ? s->budget - s->out->bytes : 0;
	size_t lim = left < max ? (size_t)left : max;
	s->out->requests++;
	int r = s->get(s->ctx, rel, lim, buf, len, eb, sizeof(eb));
	if (r == 0 && *len > lim) {
		free(*buf);
		r = PUBSYNC_GET_TOOBIG;
	}
	if (r == 0) {
		s->out->bytes += *len;
		return 0;
	}
	if (r == PUBSYNC_GET_TOOBIG)
		return lim < max
			   ? ps_verdict(s, PUBSYNC_BAD, "%s: the sync would pass max-bytes (%llu)",
					rel, (unsigned long long)s->budget)
			   : ps_verdict(s, PUBSYNC_BAD, "%s: larger than %zu bytes", rel, max);
	if (r == PUBSYNC_GET_NOTFOUND && !strncmp(rel, "log/entry/", 10))
		return r; /* optional: the bundle has it */
	if (r == PUBSYNC_GET_NOTFOUND && strcmp(rel, "recall-publication"))
		return ps_verdict(s, PUBSYNC_BAD, "%s: not found (the publication names it)", rel);
	if (r == PUBSYNC_GET_NOTFOUND || r == PUBSYNC_GET_NOTMODIFIED)
		return r;
	return ps_verdict(s, PUBSYNC_IO, "%s", eb[0] ? eb : rel);
}

static void cache_path(char *out, size_t cap, const struct sync *s, const char *rel)
{
	snprintf(out, cap, "%s/%s", s->in->cache_dir, rel);
}

/* The cache's top file and checkpoint; a cache that does not verify is as good as none (its
 * serial counts only if the feed key signed it). */
static void load_held(struct sync *s)
{
	char path[PS_PATH_MAX];
	cache_path(path, sizeof(path), s, "recall-publication");
	if (ps_read(path, RC_PUB_MAX, &s->held_buf, &s->held_len) < 0)
		return;
	if (rc_pub_open(&s->held, s->held_buf, s->held_len, s->in->feed_pk, NULL) != RC_OK)
		return;
	s->have_held = true;
	struct rc_checkpoint cp;
	if (rc_pub_checkpoint(&s->held, s->in->anchors, &cp, NULL) != RC_OK)
		return;
	s->held_log = true;
	s->n0 = cp.size;
	memcpy(s->root0, cp.root, sizeof(s->root0));
}

/* Split a bundle that must hold exactly want entries into s->ent[first..]. */
static int split_bundle(struct sync *s, const char *what, uint8_t *b, size_t len, uint64_t first,
			unsigned want, unsigned from)
{
	size_t off = 0;
	for (unsigned j = 0; j < want; j++) {
		if (len - off < 2)
			return ps_verdict(s, PUBSYNC_BAD, "%s: entry %u: truncated length", what,
					  j);
		size_t n = (size_t)b[off] << 8 | b[off + 1];
		off += 2;
		if (n == 0 || n > RC_PUB_ENTRY_MAX || n > len - off)
			return ps_verdict(s, PUBSYNC_BAD, "%s: entry %u: length %zu %s", what, j, n,
					  n > len - off ? "past the end" : "out of range");
		if (j >= from) {
			s->ent[first + j] = b + off;
			s->elen[first + j] = (uint16_t)n;
		}
		off += n;
	}
	if (off != len)
		return ps_verdict(s, PUBSYNC_BAD, "%s: %zu bytes after entry %u", what, len - off,
				  want);
	return 0;
}

/* Bundle k at width w from the cache (held entries) or the source; entries from `from` on. */
static int get_bundle(struct sync *s, uint64_t k, unsigned w, unsigned from, bool cached)
{
	char rel[RC_TLOG_PATH_MAX + 8], path[PS_PATH_MAX];
	uint8_t *b = NULL;
	size_t len = 0;
	memcpy(rel, "log/", 4);
	if (rc_tlog_tile_path(rel + 4, sizeof(rel) - 4, RC_TLOG_ENTRIES, k, w) != RC_OK)
		return ps_verdict(s, PUBSYNC_BAD, "bundle %llu: no path", (unsigned long long)k);
	if (cached) {
		cache_path(path, sizeof(path), s, rel);
		if (ps_read(path, RC_PUB_BUNDLE_MAX, &b, &len) < 0)
			return -2; /* the cache is damaged: the caller fetches everything */
	} else if (fetch(s, rel, RC_PUB_BUNDLE_MAX, &b, &len)) {
		return -1;
	}
	if (keep(s, b) < 0)
		return ps_verdict(s, PUBSYNC_IO, "out of memory");
	int r = split_bundle(s, rel, b, len, k * W, w, from);
	return r && cached ? -2 : r;
}

/* New entries [256k + from, 256k + w) one by one, named by the level-0 tile k of width w. A
 * source need not have every entry file (a reader's cache keeps those of the last bundle only):
 * when one is missing, the bundle is fetched, and the tile must name its entries. */
static int get_few(struct sync *s, uint64_t k, unsigned w, unsigned from)
{
	char rel[RC_TLOG_PATH_MAX + 8];
	uint8_t *t;
	size_t tl;
	memcpy(rel, "log/", 4);
	if (rc_tlog_tile_path(rel + 4, sizeof(rel) - 4, 0, k, w) != RC_OK)
		return ps_verdict(s, PUBSYNC_BAD, "tile %llu: no path", (unsigned long long)k);
	if (fetch(s, rel, RC_PUB_TILE_MAX, &t, &tl))
		return -1;
	if (tl != (size_t)w * RC_TLOG_HASH_LEN) {
		free(t);
		return ps_verdict(s, PUBSYNC_BAD, "%s: %zu bytes, not the %u its name says", rel,
				  tl, w * RC_TLOG_HASH_LEN);
	}
	int r = 0;
	for (unsigned j = from; j < w && !r; j++) {
		char hx[2 * RC_TLOG_HASH_LEN + 1], er[sizeof("log/entry/") + sizeof(hx)];
		uint8_t *e, h[RC_TLOG_HASH_LEN];
		size_t el;
		sodium_bin2hex(hx, sizeof(hx), t + (size_t)j * RC_TLOG_HASH_LEN, RC_TLOG_HASH_LEN);
		snprintf(er, sizeof(er), "log/entry/%s", hx);
		if ((r = fetch(s, er, RC_PUB_ENTRY_MAX, &e, &el)) == PUBSYNC_GET_NOTFOUND) {
			r = get_bundle(s, k, w, from, false);
			for (unsigned i = from; i < w && !r; i++) {
				rc_tlog_leaf_hash(h, s->ent[k * W + i], s->elen[k * W + i]);
				if (memcmp(h, t + (size_t)i * RC_TLOG_HASH_LEN, RC_TLOG_HASH_LEN))
					r = ps_verdict(s, PUBSYNC_BAD,
						       "%s: names entries that are not in the "
						       "bundle (tampered tile)",
						       rel);
			}
			break;
		}
		if (r)
			break;
		rc_tlog_leaf_hash(h, e, el);
		if (keep(s, e) < 0) {
			r = ps_verdict(s, PUBSYNC_IO, "out of memory");
			break;
		}
		if (el == 0 || memcmp(h, t + (size_t)j * RC_TLOG_HASH_LEN, RC_TLOG_HASH_LEN))
			r = ps_verdict(s, PUBSYNC_BAD, "%s: does not hash to its name", er);
		s->ent[k * W + j] = e;
		s->elen[k * W + j] = (uint16_t)el;
	}
	free(t);
	return r ? -1 : 0;
}

/* All N entries: held bundles from the cache (up to `cached` entries), the rest from the
 * source by the PUBSYNC_FEW rule. */
static int gather(struct sync *s, uint64_t cached)
{
	for (size_t i = 0; i < s->nbufs; i++)
		free(s->bufs[i]);
	s->nbufs = 0;
	s->from_cache = cached;
	for (uint64_t k = 0; k * W < s->n; k++) {
		unsigned w = (unsigned)(s->n - k * W < W ? s->n - k * W : W);
		unsigned h =
		    cached > k * W ? (unsigned)(cached - k * W < W ? cached - k * W : W) : 0;
		int r = h ? get_bundle(s, k, h, 0, true) : 0;
		if (r)
			return r;
		if (h == w)
			continue;
		if (h && w - h <= PUBSYNC_FEW) {
			if (get_few(s, k, w, h))
				return -1;
		} else if (get_bundle(s, k, w, h, false)) {
			return -1;
		}
	}
	for (uint64_t i = 0; i < s->n; i++)
		rc_tlog_leaf_hash(s->leaf[i], s->ent[i], s->elen[i]);
	return 0;
}

/* Gather and check the tree: 0, or -1 with the verdict. */
static int entries(struct sync *s)
{
	size_t n = (size_t)s->n;
	s->ent = calloc(n ? n : 1, sizeof(*s->ent));
	s->elen = calloc(n ? n : 1, sizeof(*s->elen));
	s->leaf = calloc(n ? n : 1, sizeof(*s->leaf));
	if (!s->ent || !s->elen || !s->leaf)
		return ps_verdict(s, PUBSYNC_IO, "out of memory for %zu entries", n);
	uint64_t cached = s->held_log ? s->n0 : 0;
	bool tampered = false;
	for (int attempt = 0; attempt < 2; attempt++) {
		uint8_t r[RC_TLOG_HASH_LEN], r0[RC_TLOG_HASH_LEN];
		int g = gather(s, cached);
		if (g == -2 && cached) { /* a cached bundle is missing or damaged */
			s->out->err[0] = '\0';
			cached = 0;
			continue;
		}
		if (g)
			return -1;
		const uint8_t(*lv)[RC_TLOG_HASH_LEN] = (const uint8_t(*)[RC_TLOG_HASH_LEN])s->leaf;
		bool ok0 =
		    !s->held_log || (rc_tlog_root_of_leaves(r0, lv, (size_t)s->n0) == RC_OK &&
				     !memcmp(r0, s->root0, sizeof(r0)));
		bool ok =
		    rc_tlog_root_of_leaves(r, lv, n) == RC_OK && !memcmp(r, s->cp.root, sizeof(r));
		if (cached && (!ok0 || !ok)) {
			/* the cache is damaged (!ok0), or the new files are, or the log forked:
			 * judge by the source's whole bundles */
			tampered = ok0;
			cached = 0;
			continue;
		}
		if (!ok)
			return ps_verdict(s, PUBSYNC_BAD,
					  "log: the entries do not give the checkpoint's root "
					  "(tampered bundle)");
		if (!ok0)
			return ps_verdict(s, PUBSYNC_FORK,
					  "log: size %llu does not extend the held size %llu",
					  (unsigned long long)s->n, (unsigned long long)s->n0);
		if (tampered)
			return ps_verdict(
			    s, PUBSYNC_BAD,
			    "log: the new entries named by the level-0 tile do not give "
			    "the checkpoint's root, the bundles do (tampered tile or "
			    "entry file)");
		return 0;
	}
	return -1;
}

static void free_sync(struct sync *s)
{
	for (size_t i = 0; i < s->nbufs; i++)
		free(s->bufs[i]);
	free(s->bufs);
	free(s->ent);
	free(s->elen);
	free(s->leaf);
	free(s->held_buf);
	free(s->top);
}

static int decide(struct sync *s)
{
	const struct pubsync_in *in = s->in;
	struct rc_diag d = {0, NULL};
	int r = fetch(s, "recall-publication", RC_PUB_MAX, &s->top, &s->top_len);
	if (r == PUBSYNC_GET_NOTMODIFIED && s->have_held)
		return ps_verdict(s, PUBSYNC_SAME, NULL);
	if (r == PUBSYNC_GET_NOTMODIFIED)
		return ps_verdict(s, PUBSYNC_IO,
				  "recall-publication: not modified, but none is held");
	if (r == PUBSYNC_GET_NOTFOUND)
		return ps_verdict(s, PUBSYNC_IO, "recall-publication: not found");
	if (r)
		return -1;
	int e = rc_pub_open(&s->pub, s->top, s->top_len, in->feed_pk, &d);
	if (e)
		return ps_verdict(s, PUBSYNC_BAD, "recall-publication: byte %zu: %s: %s", d.off,
				  d.field ? d.field : "publication", rc_strerror(e));
	if (in->now >= s->pub.expiry)
		return ps_verdict(
		    s, PUBSYNC_EXPIRED, "recall-publication: serial %llu expired at %llu",
		    (unsigned long long)s->pub.serial, (unsigned long long)s->pub.expiry);
	bool same =
	    s->have_held && s->held_len == s->top_len && !memcmp(s->held_buf, s->top, s->top_len);
	if (s->have_held && !same) {
		if (s->pub.serial < s->held.serial)
			return ps_verdict(
			    s, PUBSYNC_STALE, "recall-publication: serial %llu, %llu is held",
			    (unsigned long long)s->pub.serial, (unsigned long long)s->held.serial);
		if (s->pub.serial == s->held.serial)
			return ps_verdict(
			    s, PUBSYNC_FORK,
			    "recall-publication: serial %llu with other bytes than the "
			    "one held",
			    (unsigned long long)s->pub.serial);
	}
	uint8_t id[RC_KID_LEN];
	if (rc_anchors_id(in->anchors, id) != RC_OK || memcmp(id, s->pub.anchors_id, sizeof(id)))
		return ps_verdict(s, PUBSYNC_BAD,
				  "recall-publication: anchors_id is not our anchor set's");
	if ((e = rc_pub_checkpoint(&s->pub, in->anchors, &s->cp, &d)) != RC_OK)
		return ps_verdict(s, PUBSYNC_BAD, "recall-publication: %s: %s",
				  d.field ? d.field : "checkpoint", rc_strerror(e));
	s->n = s->cp.size;
	if (s->held_log && s->n < s->n0)
		return ps_verdict(s, PUBSYNC_ROLLBACK, "log: size %llu below the held size %llu",
				  (unsigned long long)s->n, (unsigned long long)s->n0);
	if (s->held_log && s->n == s->n0 && memcmp(s->cp.root, s->root0, sizeof(s->root0)))
		return ps_verdict(s, PUBSYNC_FORK,
				  "log: size %llu with another root than the one held",
				  (unsigned long long)s->n);
	if (same) {
		char path[PS_PATH_MAX];
		struct stat st;
		cache_path(path, sizeof(path), s, "feed");
		if (stat(path, &st) == 0)
			return ps_verdict(s, PUBSYNC_SAME, NULL);
	}
	return 0; /* go on: verify and commit (a held copy without its feed is rebuilt) */
}

int pubsync_run(const struct pubsync_in *in, pubsync_get_fn get, void *ctx, struct pubsync_out *out)
{
	memset(out, 0, sizeof(*out));
	if (!in || !get || !in->feed_pk || !in->anchors || !in->cache_dir || !in->local_sk) {
		out->verdict = PUBSYNC_IO;
		snprintf(out->err, sizeof(out->err), "pubsync: missing argument");
		return -1;
	}
	struct sync s = {.in = in, .get = get, .ctx = ctx, .out = out};
	s.budget = in->max_bytes ? in->max_bytes : PUBSYNC_MAX_BYTES;
	load_held(&s);
	int r = decide(&s);
	if (r == 0)
		r = entries(&s);
	if (r == 0)
		r = ps_commit(&s);
	if (r == 0)
		out->verdict = PUBSYNC_NEW;
	const struct rc_pub *h = out->verdict == PUBSYNC_NEW ? &s.pub : &s.held;
	if (out->verdict == PUBSYNC_NEW || s.have_held) {
		struct rc_checkpoint cp;
		out->serial = h->serial;
		out->expiry = h->expiry;
		out->log_size = out->verdict == PUBSYNC_NEW                             ? s.n
				: rc_pub_checkpoint(h, in->anchors, &cp, NULL) == RC_OK ? cp.size
											: 0;
	}
	free_sync(&s);
	return out->verdict == PUBSYNC_NEW || out->verdict == PUBSYNC_SAME ? 0 : -1;
}
