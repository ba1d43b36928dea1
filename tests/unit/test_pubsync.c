/* The publication (lib/publication.c) and its sync engine (common/pubsync.c) over a directory
 * source: a round trip, then one test per verdict of the reader rules (PROTOCOL.md 17.3):
 * same, new (first and refresh, with the requests a refresh makes), stale, expired, rollback,
 * fork (top file and log), tampered entry and tile, wrong key, anchors id, quorum, withdrawn out
 * of range, notice below threshold, size limits and the byte budget. */
#define _XOPEN_SOURCE 700
#include <ftw.h>
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
#include "testutil.h"

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
	struct pubdir_log lg = {ev, elen, (const uint8_t(*)[32])leaf, s->n, 0, 0, (uint8_t *)note,
				nl};
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

	/* a damaged cache: the bundles are fetched again */
	snprintf(path, sizeof(path), "%s/log/tile/entries/000", cache);
	assert_int_equal(unlink(path), 0);
	publish(src, &(struct pubspec){.n = 311, .serial = 3, .wd = wd, .nwd = 1});
	o = sync_(src, cache, 0);
	assert_int_equal(o.verdict, PUBSYNC_NEW);
	assert_int_equal(o.requests, 3);
	/* the cache is a PUBDIR itself: a second reader syncs from it */
	o = sync_(cache, sub("nsr-cache2"), 0);
	assert_int_equal(o.verdict, PUBSYNC_NEW);
	assert_int_equal(o.notices, 310);
}

/* A source holding a copy of dir with one file replaced (rel: bytes). */
static void put_file(const char *dir, const char *rel, const void *b, size_t n)
{
	char path[600];
	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	assert_int_equal(ps_write(path, b, n, false), 0);
}

static void flip(const char *dir, const char *rel, size_t at)
{
	char path[600];
	uint8_t *b;
	size_t n;
	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	assert_int_equal(ps_read(path, 1 << 24, &b, &n), 0);
	assert_true(at < n);
	b[at] ^= 0x01;
	assert_int_equal(ps_write(path, b, n, false), 0);
	free(b);
}

static void expect_(int line, char *src, const char *cache, enum pubsync_verdict v, const char *why)
{
	struct pubsync_out o = sync_(src, cache, 0);
	if (o.verdict != v || (why && !strstr(o.err, why)))
		fail_msg("line %d: verdict %s (%s), expected %s (%s)", line,
			 pubsync_verdict_name(o.verdict), o.err, pubsync_verdict_name(v),
			 why ? why : "");
}
#define expect(...) expect_(__LINE__, __VA_ARGS__)

/* A cache holding serial 5 of 100 entries; the source then serves serial 4. */
static void test_stale(void **state)
{
	(void)state;
	char *src = sub("st-src"), *cache = sub("st-cache");
	publish(src, &(struct pubspec){.n = 100, .serial = 5});
	expect(src, cache, PUBSYNC_NEW, NULL);
	publish(src, &(struct pubspec){.n = 100, .serial = 4});
	expect(src, cache, PUBSYNC_STALE, "serial 4, 5 is held");
}

static void test_expired(void **state)
{
	(void)state;
	char *src = sub("ex-src"), *cache = sub("ex-cache");
	publish(src, &(struct pubspec){.n = 10, .serial = 1, .expiry = FX_NOW});
	expect(src, cache, PUBSYNC_EXPIRED, "expired");
}

/* A newer serial over a shorter log. */
static void test_rollback(void **state)
{
	(void)state;
	char *src = sub("rb-src"), *cache = sub("rb-cache");
	publish(src, &(struct pubspec){.n = 100, .serial = 1});
	expect(src, cache, PUBSYNC_NEW, NULL);
	publish(src, &(struct pubspec){.n = 99, .serial = 2});
	expect(src, cache, PUBSYNC_ROLLBACK, "below the held size 100");
}

/* The same serial with other bytes; a signed log that does not extend the held one (same
 * size, and larger). */
static void test_fork(void **state)
{
	(void)state;
	char *src = sub("fk-src"), *cache = sub("fk-cache");
	publish(src, &(struct pubspec){.n = 100, .serial = 1});
	expect(src, cache, PUBSYNC_NEW, NULL);
	uint64_t wd[] = {1};
	publish(src, &(struct pubspec){.n = 100, .serial = 1, .wd = wd, .nwd = 1});
	expect(src, cache, PUBSYNC_FORK, "other bytes");
	make_entry(50, 2, 1); /* another history from entry 50 on */
	publish(src, &(struct pubspec){.n = 100, .serial = 2});
	expect(src, cache, PUBSYNC_FORK, "another root");
	publish(src, &(struct pubspec){.n = 120, .serial = 3});
	expect(src, cache, PUBSYNC_FORK, "does not extend");
	make_entry(50, 2, 0);
}

/* An entry bundle or a tile changed at the mirror. */
static void test_tampered(void **state)
{
	(void)state;
	char *src = sub("tp-src"), *cache = sub("tp-cache");
	publish(src, &(struct pubspec){.n = 300, .serial = 1});
	flip(src, "log/tile/entries/000", 100);
	expect(src, cache, PUBSYNC_BAD, "tampered bundle");
	publish(src, &(struct pubspec){.n = 300, .serial = 1});
	expect(src, cache, PUBSYNC_NEW, NULL);
	/* a refresh by few entries: their names come from the level-0 tile */
	publish(src, &(struct pubspec){.n = 305, .serial = 2});
	flip(src, "log/tile/0/001.p/49", 32 * 46);
	expect(src, cache, PUBSYNC_BAD, "(tampered tile)");
	publish(src, &(struct pubspec){.n = 305, .serial = 2});
	/* an entry file that is not what its name says */
	uint8_t leaf[32];
	char hx[65], rel[100];
	rc_tlog_leaf_hash(leaf, ents[303], elen[303]);
	for (int i = 0; i < 32; i++)
		snprintf(hx + 2 * i, 3, "%02x", leaf[i]);
	snprintf(rel, sizeof(rel), "log/entry/%s", hx);
	put_file(src, rel, ents[302], elen[302]);
	expect(src, cache, PUBSYNC_BAD, "does not hash to its name");
	/* a tile that names an existing entry of another index */
	publish(src, &(struct pubspec){.n = 305, .serial = 2});
	flip(src, "log/tile/0/001.p/49", 32 * 46); /* entry 302 */
	char path[600];
	uint8_t *t;
	size_t tl;
	snprintf(path, sizeof(path), "%s/log/tile/0/001.p/49", src);
	assert_int_equal(ps_read(path, 8192, &t, &tl), 0);
	memcpy(t + 32 * 46, t + 32 * 47, 32); /* 302 named as 303 */
	assert_int_equal(ps_write(path, t, tl, false), 0);
	free(t);
	expect(src, cache, PUBSYNC_BAD, "tampered tile or entry file");
	publish(src, &(struct pubspec){.n = 305, .serial = 2});
	expect(src, cache, PUBSYNC_NEW, NULL);
}

/* A reader's cache keeps the entry files of the last bundle only; a reader of that cache whose
 * new entries are in a bundle completed since fetches the bundle instead. */
static void test_pruned_entries(void **state)
{
	(void)state;
	char *src = sub("pr-src"), *a = sub("pr-a"), *b = sub("pr-b");
	publish(src, &(struct pubspec){.n = 300, .serial = 1});
	expect(src, a, PUBSYNC_NEW, NULL);
	expect(a, b, PUBSYNC_NEW, NULL);
	publish(src, &(struct pubspec){.n = 500, .serial = 2});
	expect(src, a, PUBSYNC_NEW, NULL);
	expect(a, b, PUBSYNC_NEW, NULL);
	publish(src, &(struct pubspec){.n = 520, .serial = 3});
	expect(src, a, PUBSYNC_NEW, NULL);
	/* a's cache: entry files of 512..519 only */
	uint8_t leaf[32];
	char hx[65], path[700];
	struct stat st;
	for (size_t i = 490; i < 520; i++) {
		rc_tlog_leaf_hash(leaf, ents[i], elen[i]);
		for (int j = 0; j < 32; j++)
			snprintf(hx + 2 * j, 3, "%02x", leaf[j]);
		snprintf(path, sizeof(path), "%s/log/entry/%s", a, hx);
		assert_int_equal(stat(path, &st) == 0, i >= 512);
	}
	struct pubsync_out o = sync_(a, b, 0);
	assert_int_equal(o.verdict, PUBSYNC_NEW);
	/* top, tile 1 (12 new: few), entry 500 missing -> bundle 1; tile 2 path not taken:
	 * bundle 2 holds nothing held -> whole */
	assert_int_equal(o.requests, 1 + 1 + 1 + 1 + 1);
	assert_int_equal(o.notices, 520);
}

static void test_wrong_key(void **state)
{
	(void)state;
	char *src = sub("wk-src"), *cache = sub("wk-cache");
	publish(src, &(struct pubspec){.n = 10, .serial = 1, .key = &other});
	expect(src, cache, PUBSYNC_BAD, "cose.signatures");
	publish(src, &(struct pubspec){.n = 10, .serial = 1, .bad_anchors = true});
	expect(src, cache, PUBSYNC_BAD, "anchors_id");
	publish(src, &(struct pubspec){.n = 10, .serial = 1, .one_cosig = true});
	expect(src, cache, PUBSYNC_BAD, "cosignatures");
	flip(src, "recall-publication", 40);
	expect(src, cache, PUBSYNC_BAD, "recall-publication");
}

static void test_withdrawn_range(void **state)
{
	(void)state;
	char *src = sub("wr-src"), *cache = sub("wr-cache");
	uint64_t wd[] = {2, 10};
	publish(src, &(struct pubspec){.n = 10, .serial = 1, .wd = wd, .nwd = 2});
	expect(src, cache, PUBSYNC_BAD, "publication.withdrawn");
	wd[1] = 9;
	publish(src, &(struct pubspec){.n = 10, .serial = 1, .wd = wd, .nwd = 2});
	expect(src, cache, PUBSYNC_NEW, NULL);
}

/* A notice with one signature where the anchor set needs two, unless withdrawn. */
static void test_threshold(void **state)
{
	(void)state;
	char *src = sub("th-src"), *cache = sub("th-cache");
	make_entry(7, 1, 0);
	publish(src, &(struct pubspec){.n = 10, .serial = 1});
	expect(src, cache, PUBSYNC_BAD,
	       "log entry 7: notice RC-P-7-0: 1 valid signatures, 2 needed");
	uint64_t wd[] = {7};
	publish(src, &(struct pubspec){.n = 10, .serial = 1, .wd = wd, .nwd = 1});
	struct pubsync_out o = sync_(src, cache, 0);
	assert_int_equal(o.verdict, PUBSYNC_NEW);
	assert_int_equal(o.notices, 9);
	/* a refresh checks the new notices (the held ones passed before) */
	make_entry(11, 1, 0);
	publish(src, &(struct pubspec){.n = 12, .serial = 2, .wd = wd, .nwd = 1});
	expect(src, cache, PUBSYNC_BAD, "log entry 11: notice RC-P-11-0: 1 valid signatures");
	make_entry(11, 2, 0);
	publish(src, &(struct pubspec){.n = 12, .serial = 2, .wd = wd, .nwd = 1});
	expect(src, cache, PUBSYNC_NEW, NULL);
	make_entry(7, 2, 0);
}

/* Oversized files and the byte budget of one sync. */
static void test_limits(void **state)
{
	(void)state;
	char *src = sub("lm-src"), *cache = sub("lm-cache");
	publish(src, &(struct pubspec){.n = 300, .serial = 1});
	struct pubsync_out o = sync_(src, cache, 100000);
	assert_int_equal(o.verdict, PUBSYNC_BAD);
	assert_non_null(strstr(o.err, "max-bytes"));
	assert_true(o.bytes <= 100000);
	static uint8_t big[RC_PUB_MAX + 1];
	put_file(src, "recall-publication", big, sizeof(big));
	expect(src, cache, PUBSYNC_BAD, "larger than 65536");
	publish(src, &(struct pubspec){.n = 300, .serial = 1});
	put_file(src, "log/tile/entries/000", big, sizeof(big));
	expect(src, cache, PUBSYNC_BAD, "entry 0: length");
	expect(sub("lm-nothing"), cache, PUBSYNC_IO, "not found");
}

/* Seeds of fuzz_pubsync (RECALL_WRITE_SEEDS): directories as records "<pass>/<rel>" NUL,
 * 32-bit big-endian length, bytes. */
static uint8_t *seed_buf;
static size_t seed_len, seed_base;
static char seed_pass;

static int seed_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)ftw;
	if (flag != FTW_F)
		return 0;
	uint8_t *b;
	size_t n;
	assert_int_equal(ps_read(path, 1 << 24, &b, &n), 0);
	const char *rel = path + seed_base;
	size_t rl = strlen(rel);
	seed_buf = realloc(seed_buf, seed_len + 2 + rl + 1 + 4 + n);
	assert_non_null(seed_buf);
	uint8_t *p = seed_buf + seed_len;
	p[0] = (uint8_t)seed_pass;
	p[1] = '/';
	memcpy(p + 2, rel, rl + 1);
	p += 2 + rl + 1;
	p[0] = (uint8_t)(n >> 24);
	p[1] = (uint8_t)(n >> 16);
	p[2] = (uint8_t)(n >> 8);
	p[3] = (uint8_t)n;
	memcpy(p + 4, b, n);
	seed_len += 2 + rl + 1 + 4 + n;
	free(b);
	(void)st;
	return 0;
}

static void seed_add(char pass, const char *dir)
{
	seed_pass = pass;
	seed_base = strlen(dir) + 1;
	assert_int_equal(nftw(dir, seed_one, 16, FTW_PHYS), 0);
}

static void seed_top(const char *name, const char *dir)
{
	uint8_t *b;
	size_t n;
	char path[600];
	snprintf(path, sizeof(path), "%s/recall-publication", dir);
	assert_int_equal(ps_read(path, RC_PUB_MAX, &b, &n), 0);
	tu_write_seed("publication", name, b, n);
	free(b);
}

static void test_seeds(void **state)
{
	(void)state;
	if (!getenv("RECALL_WRITE_SEEDS"))
		skip();
	const char *d1 = sub("seed-1"), *d2 = sub("seed-2");
	uint64_t wd[] = {1, 3};
	struct {
		const char *name;
		struct pubspec a, b;
	} v[] = {
	    {"new", {.n = 5, .serial = 1}, {0}},
	    {"refresh", {.n = 5, .serial = 1}, {.n = 7, .serial = 2}},
	    {"stale", {.n = 5, .serial = 2}, {.n = 5, .serial = 1}},
	    {"rollback", {.n = 5, .serial = 1}, {.n = 4, .serial = 2}},
	    {"withdrawn", {.n = 5, .serial = 1, .wd = wd, .nwd = 2}, {0}},
	};
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		char cmd[600];
		snprintf(cmd, sizeof(cmd), "rm -rf '%s' '%s'", d1, d2);
		assert_int_equal(system(cmd), 0);
		seed_len = 0;
		publish(d1, &v[i].a);
		seed_add('1', d1);
		if (v[i].b.n) {
			publish(d2, &v[i].b);
			seed_add('2', d2);
		}
		tu_write_seed("pubsync", v[i].name, seed_buf, seed_len);
		seed_top(v[i].name, d1);
	}
	free(seed_buf);
	uint64_t big[] = {0, 23, 24, 255, 256, 65535, 65536, 1u << 24};
	publish(d1, &(struct pubspec){.n = 5, .serial = 1, .wd = big, .nwd = 8});
	seed_top("withdrawn-widths", d1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_roundtrip), cmocka_unit_test(test_new_same_refresh),
	    cmocka_unit_test(test_stale),     cmocka_unit_test(test_expired),
	    cmocka_unit_test(test_rollback),  cmocka_unit_test(test_fork),
	    cmocka_unit_test(test_tampered),  cmocka_unit_test(test_pruned_entries),
	    cmocka_unit_test(test_wrong_key), cmocka_unit_test(test_withdrawn_range),
	    cmocka_unit_test(test_threshold), cmocka_unit_test(test_limits),
	    cmocka_unit_test(test_seeds),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
