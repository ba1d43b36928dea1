/* Fuzz the publication sync engine (common/pubsync.h) with a mirror made of the input: records
 * of a NUL-terminated name, a 32-bit big-endian length and the bytes. Names "1/<rel>" make the
 * mirror of a first sync, "2/<rel>" that of a second one into the same cache (so refresh,
 * stale, rollback and fork paths are reached); tests/unit/test_pubsync.c writes seeds made of
 * real publications under the fixture keys. A sync must end with a defined verdict and an
 * error text for every refusal, fetch no more than the byte budget, and leave a cache whose
 * feed (after "new") opens under the local key. Any violation aborts. */
#define _XOPEN_SOURCE 700
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fixtures.h"
#include "logfix.h"
#include "pubsync.h"
#include "pubsync_int.h"
#include "recall/feed.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define BUDGET (1u << 20)

static void check(int ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "fuzz_pubsync: %s violated\n", what);
		abort();
	}
}

struct mirror {
	const uint8_t *data;
	size_t size;
	char pass; /* '1' or '2' */
};

static int get(void *ctx, const char *rel, size_t max, uint8_t **buf, size_t *len, char *eb,
	       size_t el)
{
	const struct mirror *m = ctx;
	size_t off = 0;
	(void)eb;
	(void)el;
	while (off < m->size) {
		const uint8_t *name = m->data + off;
		const uint8_t *z = memchr(name, 0, m->size - off);
		if (!z || (size_t)(m->data + m->size - z) < 5)
			break;
		size_t n = (size_t)z[1] << 24 | (size_t)z[2] << 16 | (size_t)z[3] << 8 | z[4];
		const uint8_t *b = z + 5;
		if (n > (size_t)(m->data + m->size - b))
			break;
		off = (size_t)(b + n - m->data);
		if (name[0] != m->pass || name[1] != '/' || strcmp((const char *)name + 2, rel))
			continue;
		if (n > max)
			return PUBSYNC_GET_TOOBIG;
		*buf = malloc(n ? n : 1);
		if (!*buf)
			return -1;
		memcpy(*buf, b, n);
		*len = n;
		return 0;
	}
	return PUBSYNC_GET_NOTFOUND;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct fx_key feed, local, keys[3];
	static struct rc_anchors a;
	static char dir[64];
	if (!dir[0]) {
		fx_key(&feed, 0x50);
		fx_key(&local, 0x60);
		if (fx_anchors(&a, keys, 3, 2, 0, 0x10) || fx_log_policy(&a, 2, 2, 86400, 0x70))
			abort();
		snprintf(dir, sizeof(dir), "/tmp/fuzz_pubsync.%ld", (long)getpid());
	}
	struct pubsync_in in = {.feed_pk = feed.pk,
				.anchors = &a,
				.cache_dir = dir,
				.local_sk = local.sk,
				.now = FX_NOW,
				.max_bytes = BUDGET};
	for (char pass = '1'; pass <= '2'; pass++) {
		struct mirror m = {data, size, pass};
		struct pubsync_out out;
		int r = pubsync_run(&in, get, &m, &out);
		check((unsigned)out.verdict <= PUBSYNC_IO, "a verdict");
		check((r == 0) == (out.verdict == PUBSYNC_NEW || out.verdict == PUBSYNC_SAME),
		      "return value and verdict");
		check(r == 0 || out.err[0], "a reason for a refusal");
		check(out.bytes <= BUDGET, "byte budget");
		if (out.verdict != PUBSYNC_NEW)
			continue;
		char path[128];
		uint8_t *f;
		size_t fl;
		struct rc_feed fd;
		snprintf(path, sizeof(path), "%s/feed", dir);
		check(ps_read(path, 1u << 26, &f, &fl) == 0, "a feed written");
		check(rc_feed_open(&fd, f, fl, local.pk, NULL) == RC_OK &&
			  fd.nnotices == out.notices,
		      "the feed opens and holds the notices");
		free(f);
	}
	nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	return 0;
}
