/* The log part of a publication directory (pubdir.h). Tiles are computed from the leaf hashes
 * here, never copied: level-8(T+1) hashes are the roots of complete groups of 256 level-8T
 * hashes, which is what C2SP tlog-tiles stores. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "pubdir.h"
#include "pubsync_int.h"

struct out {
	const char *dir;
	struct pubdir_stats *st;
	char *err;
	size_t errlen;
};

static int put(struct out *o, const char *rel, const void *p, size_t n)
{
	char path[PS_PATH_MAX];
	int w = snprintf(path, sizeof(path), "%s/log/%s", o->dir, rel);
	if (w < 0 || (size_t)w >= sizeof(path)) {
		snprintf(o->err, o->errlen, "%.200s/log/%s: path too long", o->dir, rel);
		return -1;
	}
	if (ps_write(path, p, n, false) < 0) {
		snprintf(o->err, o->errlen, "%.250s: %s", path, strerror(errno));
		return -1;
	}
	o->st->files++;
	o->st->bytes += n;
	return 0;
}

static int tiles(struct out *o, const struct pubdir_log *lg)
{
	const uint8_t(*lv)[RC_TLOG_HASH_LEN] = lg->leaf;
	uint8_t(*up)[RC_TLOG_HASH_LEN] = NULL;
	uint64_t cnt = lg->n, held = lg->from;
	int r = 0;
	for (int t = 0; cnt && !r; t++) {
		for (uint64_t k = held / W; k * W < cnt && !r; k++) {
			char rel[RC_TLOG_PATH_MAX];
			unsigned w = (unsigned)(cnt - k * W < W ? cnt - k * W : W);
			rc_tlog_tile_path(rel, sizeof(rel), t, k, w);
			r = put(o, rel, lv[k * W], (size_t)w * RC_TLOG_HASH_LEN);
			o->st->tiles += !r;
		}
		uint64_t next = cnt / W;
		uint8_t(*nv)[RC_TLOG_HASH_LEN] = next ? malloc(next * RC_TLOG_HASH_LEN) : NULL;
		if (next && !nv) {
			snprintf(o->err, o->errlen, "out of memory");
			r = -1;
		}
		for (uint64_t j = 0; j < next && !r; j++)
			rc_tlog_root_of_leaves(nv[j], lv + j * W, W);
		free(up);
		up = nv;
		lv = (const uint8_t(*)[RC_TLOG_HASH_LEN])nv;
		cnt = next;
		held /= W;
	}
	free(up);
	return r;
}

static int bundles(struct out *o, const struct pubdir_log *lg)
{
	uint8_t *b = malloc((size_t)W * (2 + 65535));
	if (!b) {
		snprintf(o->err, o->errlen, "out of memory");
		return -1;
	}
	int r = 0;
	for (uint64_t k = lg->from / W; k * W < lg->n && !r; k++) {
		char rel[RC_TLOG_PATH_MAX];
		unsigned w = (unsigned)(lg->n - k * W < W ? lg->n - k * W : W);
		size_t off = 0;
		for (unsigned j = 0; j < w; j++) {
			size_t n = lg->len[k * W + j];
			b[off] = (uint8_t)(n >> 8);
			b[off + 1] = (uint8_t)n;
			memcpy(b + off + 2, lg->ent[k * W + j], n);
			off += 2 + n;
		}
		rc_tlog_tile_path(rel, sizeof(rel), RC_TLOG_ENTRIES, k, w);
		r = put(o, rel, b, off);
		o->st->bundles += !r;
	}
	free(b);
	for (uint64_t i = lg->from > lg->entry_from ? lg->from : lg->entry_from; i < lg->n && !r;
	     i++) {
		char rel[8 + 2 * RC_TLOG_HASH_LEN] = "entry/";
		sodium_bin2hex(rel + 6, sizeof(rel) - 6, lg->leaf[i], RC_TLOG_HASH_LEN);
		r = put(o, rel, lg->ent[i], lg->len[i]);
		o->st->entries += !r;
	}
	return r;
}

int pubdir_write_log(const char *dir, const struct pubdir_log *lg, struct pubdir_stats *stats,
		     char *err, size_t errlen)
{
	struct pubdir_stats dummy;
	struct out o = {dir, stats ? stats : &dummy, err, errlen};
	memset(o.st, 0, sizeof(*o.st));
	if (tiles(&o, lg) < 0 || bundles(&o, lg) < 0)
		return -1;
	return put(&o, "checkpoint", lg->checkpoint, lg->checkpoint_len);
}
