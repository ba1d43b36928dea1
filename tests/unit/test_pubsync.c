/* The publication (lib/publication.c) and its sync engine (common/pubsync.c) over a directory
 * source: a round trip, then one test per verdict of the reader rules (PROTOCOL.md 17.3):
 * same, new (first and refresh, with the requests a refresh makes), stale, expired, rollback,
 * fork (top file and log), tampered entry and tile, wrong key, anchors id, quorum, withdrawn out
 * of range, notice below threshold, size limits and the byte budget. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "fixtures.h"
#include "logfix.h"
#include "pubdir.h"
#include "pubsync.h"
#include "pubsync_int.h"
#include "recall/feed.h"
#include "recall/publication.h"

#define MAXN  600
#define LSEED 0x70 /* log and witness keys */

static struct fx_key keys[3], feed, other, local;
static struct rc_anchors anchors;
static char tmp[256];

/* The fixture log: entry i is notice "RC-P-<i>" signed by keys[0..nsig), tag varies a byte. */
static uint8_t ents[MAXN][RC_NOTICE_MAX];
static uint16_t elen[MAXN];

static void make_entry(size_t i, unsigned nsig, uint64_t tag)
{
	struct rc_notice n;
	char id[32];
	fx_notice(&n, FX_NOW);
	snprintf(id, sizeof(id), "RC-P-%zu-%llu", i, (unsigned long long)tag);
	n.id = rc_str_c(id);
	size_t len;
	assert_int_equal(fx_signed_notice(ents[i], sizeof(ents[i]), &len, &n, keys, nsig), RC_OK);
	elen[i] = (uint16_t)len;
}

struct pubspec {
	uint64_t n, serial, expiry;
	const uint64_t *wd;
	size_t nwd;
	const struct fx_key *key; /* top file signer (default: feed) */
	bool one_cosig;           /* one witness cosignature of the quorum of 2 */
	bool bad_anchors;
};

/* Writes PUBDIR dir (whole) for the first s->n fixture entries. */
static void publish(const char *dir, const struct pubspec *s)
{
	static uint8_t leaf[MAXN][32];
	const uint8_t *ev[MAXN];
	for (uint64_t i = 0; i < s->n; i++) {
		ev[i] = ents[i];
		rc_tlog_leaf_hash(leaf[i], ents[i], elen[i]);
	}
	uint8_t root[32];
	assert_int_equal(rc_tlog_root_of_leaves(root, (const uint8_t(*)[32])leaf, s->n), RC_OK);
	uint64_t times[2] = {FX_NOW - 10, FX_NOW - 5};
	char note[4096];
	size_t nl;
	assert_int_equal(
	    fx_log_note(note, sizeof(note), &nl, s->n, root, s->one_cosig ? 1 : 2, times, LSEED),
	    RC_OK);
	struct pubdir_log lg = {ev, elen, (const uint8_t(*)[32])leaf, s->n, 0, (uint8_t *)note, nl};
	char err[300];
	assert_int_equal(pubdir_write_log(dir, &lg, NULL, err, sizeof(err)), 0);
	struct rc_pub m = {.serial = s->serial,
			   .issued = FX_NOW - 60,
			   .expiry = s->expiry ? s->expiry : FX_NOW + 86400,
			   .checkpoint = (uint8_t *)note,
			   .checkpoint_len = nl};
	assert_int_equal(rc_anchors_id(&anchors, m.anchors_id), RC_OK);
	m.anchors_id[0] ^= s->bad_anchors;
	uint8_t *top;
	size_t tl;
	assert_int_equal(rc_pub_build(&top, &tl, &m, s->wd, s->nwd, (s->key ? s->key : &feed)->sk),
			 RC_OK);
	char path[512];
	snprintf(path, sizeof(path), "%s/recall-publication", dir);
	assert_int_equal(ps_write(path, top, tl, false), 0);
	free(top);
}

static struct pubsync_out sync_(char *src, const char *cache, uint64_t max_bytes)
{
	struct pubsync_in in = {.feed_pk = feed.pk,
				.anchors = &anchors,
				.cache_dir = cache,
				.local_sk = local.sk,
				.now = FX_NOW,
				.max_bytes = max_bytes};
	struct pubsync_out out;
	int r = pubsync_run(&in, pubsync_dir_get, src, &out);
	assert_int_equal(r, out.verdict <= PUBSYNC_SAME ? 0 : -1);
	return out;
}

static char *sub(const char *name)
{
	static char b[4][512];
	static int i;
	i = (i + 1) % 4;
	snprintf(b[i], sizeof(b[i]), "%s/%s", tmp, name);
	return b[i];
}

static int setup(void **state)
{
	(void)state;
	assert_int_equal(fx_anchors(&anchors, keys, 3, 2, 0, 0x10), RC_OK);
	assert_int_equal(fx_log_policy(&anchors, 2, 2, 86400, LSEED), RC_OK);
	fx_key(&feed, 0x50);
	fx_key(&other, 0x51);
	fx_key(&local, 0x60);
	snprintf(tmp, sizeof(tmp), "/tmp/test_pubsync.XXXXXX");
	assert_non_null(mkdtemp(tmp));
	for (size_t i = 0; i < MAXN; i++)
		make_entry(i, 2, 0);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	char cmd[300];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp);
	return system(cmd) == 0 ? 0 : -1;
}

static void test_roundtrip(void **state)
{
	(void)state;
	uint64_t wd[] = {0, 3, 23, 24, 255, 256, 65535, 65536, 1u << 24};
	struct rc_pub m = {.serial = 7,
			   .issued = 10,
			   .expiry = 20,
			   .checkpoint = (const uint8_t *)"x\n",
			   .checkpoint_len = 2};
	uint8_t *b;
	size_t bl;
	assert_int_equal(rc_pub_build(&b, &bl, &m, wd, 9, feed.sk), RC_OK);
	struct rc_pub p;
	assert_int_equal(rc_pub_open(&p, b, bl, feed.pk, NULL), RC_OK);
	assert_int_equal(p.serial, 7);
	assert_int_equal(p.nwithdrawn, 9);
	for (size_t i = 0; i < 9; i++) {
		assert_true(rc_pub_withdrawn(&p, wd[i]));
		assert_int_equal(rc_pub_withdrawn_item(&p, i), wd[i]);
		assert_false(rc_pub_withdrawn(&p, wd[i] + 1) &&
			     wd[i] + 1 != wd[i + 1 < 9 ? i + 1 : 0]);
	}
	assert_false(rc_pub_withdrawn(&p, 1));
	assert_int_equal(rc_pub_open(&p, b, bl, other.pk, NULL), RC_ERR_SIG);
	b[bl - 1] ^= 1;
	assert_int_equal(rc_pub_open(&p, b, bl, feed.pk, NULL), RC_ERR_SIG);
	free(b);
	/* not sorted, expiry not after issued: refused when built */
	uint64_t unsorted[] = {3, 3};
	assert_int_equal(rc_pub_build(&b, &bl, &m, unsorted, 2, feed.sk), RC_ERR_INVALID);
	m.expiry = m.issued;
	assert_int_equal(rc_pub_build(&b, &bl, &m, NULL, 0, feed.sk), RC_ERR_INVALID);
}

/* First fetch, same, refresh by 10 entries (few: one by one), and the feed built. */
static void test_new_same_refresh(void **state)
{
	(void)state;
	char *src = sub("nsr-src"), *cache = sub("nsr-cache");
	publish(src, &(struct pubspec){.n = 300, .serial = 1});
	struct pubsync_out o = sync_(src, cache, 0);
	assert_int_equal(o.verdict, PUBSYNC_NEW);
	assert_int_equal(o.log_size, 300);
	assert_int_equal(o.notices, 300);
	assert_int_equal(o.requests, 3); /* top, bundle 0, bundle 1 (partial) */
	o = sync_(src, cache, 0);
	assert_int_equal(o.verdict, PUBSYNC_SAME);
	assert_int_equal(o.requests, 1);
	uint64_t wd[] = {5};
	publish(src, &(struct pubspec){.n = 310, .serial = 2, .wd = wd, .nwd = 1});
	o = sync_(src, cache, 0);
	assert_int_equal(o.verdict, PUBSYNC_NEW);
	assert_int_equal(o.requests, 1 + 1 + 10); /* top, level-0 tile 1, ten entries */
	assert_int_equal(o.notices, 309);
	/* the feed opens under the local key and holds what it should */
	uint8_t *f;
	size_t fl;
	char path[600];
	snprintf(path, sizeof(path), "%s/feed", cache);
	assert_int_equal(ps_read(path, 1 << 26, &f, &fl), 0);
	struct rc_feed feed_;
	assert_int_equal(rc_feed_open(&feed_, f, fl, local.pk, NULL), RC_OK);
	assert_int_equal(feed_.nnotices, 309);
	assert_int_equal(feed_.meta.serial, 2);
	free(f);
	/* the cache is a PUBDIR itself: a second reader syncs from it */
	o = sync_(cache, sub("nsr-cache2"), 0);
	assert_int_equal(o.verdict, PUBSYNC_NEW);
	assert_int_equal(o.notices, 309);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_roundtrip),
	    cmocka_unit_test(test_new_same_refresh),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
