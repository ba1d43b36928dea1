/* The publication sync engine (docs/PUBLISH.md "Readers", PROTOCOL.md 17): fetch an
 * authority's publication from an untrusted source through a transport callback, verify all of
 * it, and keep a verified copy in a cache directory together with a feed built from it.
 * OS calls (files) but no network code: the transport is the caller's (common/pubfetch.c for
 * HTTP, pubsync_dir_get below for a directory).
 *
 * Additions beyond the binding API of docs/design (compatible): PUBSYNC_GET_* values,
 * pubsync_verdict_name(), the counts at the end of struct pubsync_out, the directory source,
 * PUBSYNC_MAX_BYTES (the default when max_bytes is 0) and PUBSYNC_FEW (the fetch rule). */
#ifndef RECALL_PUBSYNC_H
#define RECALL_PUBSYNC_H

#include <stddef.h>
#include <stdint.h>

#include "recall/anchors.h"
#include "recall/publication.h"

/* Results of a pubsync_get_fn besides 0 and -1. */
#define PUBSYNC_GET_NOTFOUND    1 /* no such file (HTTP 404/410) */
#define PUBSYNC_GET_TOOBIG      2 /* more than max bytes */
#define PUBSYNC_GET_NOTMODIFIED 3 /* only for "recall-publication": the mirror said 304 */

#define PUBSYNC_MAX_BYTES ((uint64_t)256 << 20) /* default bytes per sync */
/* New entries of an entry bundle of which some are held already are fetched one by one
 * (log/entry/<leaf hash>, the names read from the level-0 tile) when at most this many are
 * new; else the bundle is fetched whole. A bundle with nothing held is always fetched whole. */
#define PUBSYNC_FEW 64

/* A source of publication files (rel: "recall-publication", "log/tile/0/x001/234",
 * "log/entry/<64 hex>"...): returns 0 and a malloc'd *buf (exactly the file, <= max),
 * PUBSYNC_GET_NOTFOUND, PUBSYNC_GET_TOOBIG, PUBSYNC_GET_NOTMODIFIED (only for the top file:
 * the transport keeps its own validators, ETag/Last-Modified, and should forget them after a
 * sync whose verdict is neither PUBSYNC_NEW nor PUBSYNC_SAME), or -1 with a message in errbuf. */
typedef int (*pubsync_get_fn)(void *ctx, const char *rel, size_t max, uint8_t **buf, size_t *len,
			      char *errbuf, size_t errlen);

enum pubsync_verdict {
	PUBSYNC_NEW,      /* verified and committed to cache_dir */
	PUBSYNC_SAME,     /* the publication held (same bytes, or 304) */
	PUBSYNC_STALE,    /* validly signed, but an older serial than the one held */
	PUBSYNC_EXPIRED,  /* validly signed, but now >= its expiry */
	PUBSYNC_ROLLBACK, /* newer serial, but a log smaller than the one held */
	PUBSYNC_FORK,     /* same serial with other bytes, or a log not extending the one held */
	PUBSYNC_BAD,      /* anything else that does not verify (tampered, wrong key, limits) */
	PUBSYNC_IO,       /* the source failed, or the cache could not be written */
};

struct pubsync_in {
	const uint8_t *feed_pk;           /* 32 bytes */
	const struct rc_anchors *anchors; /* with its log policy (key 4) */
	const char *cache_dir;            /* verified copy lives here: cache_dir/recall-publication,
					     cache_dir/log/... (a valid PUBDIR itself), and
					     cache_dir/feed (RCFEED01 built locally) */
	const uint8_t *local_sk;          /* 64 bytes: signs cache_dir/feed */
	uint64_t now;
	uint64_t max_bytes; /* per sync; 0: PUBSYNC_MAX_BYTES */
};

struct pubsync_out {
	enum pubsync_verdict verdict;
	uint64_t serial, expiry, log_size; /* of the publication held after the sync */
	uint64_t bytes, requests;          /* fetched in this sync */
	char err[256];                     /* what and where, for the log line */
	/* of the feed built (PUBSYNC_NEW): notices in it, rotation statements written */
	uint32_t notices, rotations;
};

/* Reads what cache_dir holds (may be empty or absent: it is created), fetches the top file,
 * decides, fetches only what it lacks, verifies everything, builds cache_dir/feed with
 * rc_feed_build signed by local_sk and commits: every file temporary + rename, one syncfs,
 * then cache_dir/feed, then cache_dir/recall-publication, so that a crash leaves the old
 * verified copy. Rotation statements of the log are written as
 * cache_dir/rotation/<from epoch> (one statement per file, as recalld's `rotation =` reads).
 * Returns 0 for PUBSYNC_NEW and PUBSYNC_SAME, -1 otherwise (out->err says why). */
int pubsync_run(const struct pubsync_in *in, pubsync_get_fn get, void *ctx,
		struct pubsync_out *out);

/* "new", "same", "stale", "expired", "rollback", "fork", "bad", "io" (metric labels). */
const char *pubsync_verdict_name(enum pubsync_verdict v);

/* A directory source: ctx is the directory's path (const char *). */
int pubsync_dir_get(void *ctx, const char *rel, size_t max, uint8_t **buf, size_t *len,
		    char *errbuf, size_t errlen);

#endif
