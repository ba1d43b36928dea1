/* The signed feed: all current notices of an authority in one file that a responder can mmap
 * and search in O(1) by (vendor, model). Layout in docs/PROTOCOL.md, "Feed format". */
#ifndef RECALL_FEED_H
#define RECALL_FEED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "recall/anchors.h"
#include "recall/identity.h"
#include "recall/notice.h"

#define RC_FEED_MAGIC      "RCFEED01"
#define RC_FEED_VERSION    1
#define RC_FEED_HDR_LEN    128
#define RC_FEED_ENTRY_LEN  16
#define RC_FEED_SIG_LEN    64
#define RC_FEED_MAX_NOTICES (1u << 24)

struct rc_feed_meta {
	uint64_t serial;  /* strictly increasing per authority */
	uint64_t issued;  /* POSIX seconds */
	uint64_t expiry;  /* POSIX seconds: a responder refuses the feed after this */
	uint8_t anchors_id[RC_KID_LEN]; /* first 8 bytes of SHA-256 of the encoded anchor set */
	uint8_t key_id[RC_KID_LEN];     /* kid of the feed signing key */
};

/* An opened feed: views into the caller's (usually mmapped) bytes. */
struct rc_feed {
	const uint8_t *base;
	size_t len;
	struct rc_feed_meta meta;
	uint32_t nnotices;
	uint32_t nbuckets; /* power of two */
	uint8_t hashkey[16];
	const uint8_t *buckets; /* nbuckets + 1 little-endian u32 entry indices */
	const uint8_t *entries; /* nnotices entries: u64 hash, u32 offset, u32 length */
};

/* Check structure, bounds and the feed signature by feed_pk. Does not verify the notices. */
int rc_feed_open(struct rc_feed *f, const uint8_t *buf, size_t len,
		 const uint8_t feed_pk[static RC_PK_LEN], struct rc_diag *diag);

/* Verify every notice against the anchors (k-of-n, payload decodes, fits an answer); on
 * failure *bad is the index of the first bad notice. */
int rc_feed_verify_notices(const struct rc_feed *f, const struct rc_anchors *a, size_t *bad);

/* Notice i (0..nnotices-1) as signed bytes. */
int rc_feed_notice(const struct rc_feed *f, uint32_t i, const uint8_t **p, size_t *len);

/* Find the first notice covering id; returns true and its bytes (and decoded form if n is not
 * NULL). No heap; safe to call from many threads on one feed. */
bool rc_feed_lookup(const struct rc_feed *f, const struct rc_identity *id, const uint8_t **p,
		    size_t *len, struct rc_notice *n);

/* Build a feed (tool side; allocates *out with malloc). Notices must be verified by the caller;
 * this checks sizes and duplicate ids and signs with sk. */
int rc_feed_build(uint8_t **out, size_t *out_len, const struct rc_feed_meta *meta,
		  const uint8_t *const *notices, const size_t *lens, size_t n,
		  const uint8_t sk[static RC_SK_LEN], size_t *bad);

#endif
