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

#define RC_FEED_MAGIC       "RCFEED01"
#define RC_FEED_VERSION     1
#define RC_FEED_HDR_LEN     128
#define RC_FEED_ENTRY_LEN   16
#define RC_FEED_SIG_LEN     64
#define RC_FEED_MAX_NOTICES (1u << 24)
#define RC_FEED_HASHKEY_LEN 16

struct rc_feed_meta {
	uint64_t serial;                /* strictly increasing per authority */
	uint64_t issued;                /* POSIX seconds */
	uint64_t expiry;                /* POSIX seconds: a responder refuses the feed after this */
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
	uint8_t hashkey[RC_FEED_HASHKEY_LEN];
	const uint8_t *buckets; /* nbuckets + 1 little-endian u32 entry indices */
	const uint8_t *entries; /* nnotices entries: u64 hash, u32 offset, u32 length */
	const uint8_t *notices; /* notice region; entry offsets are relative to it */
	size_t notices_len;
};

/* Check structure and bounds only (header, bucket table, entries, lengths); no signature.
 * For inspection tools; a responder uses rc_feed_open. */
int rc_feed_parse(struct rc_feed *f, const uint8_t *buf, size_t len, struct rc_diag *diag);

/* Check structure, bounds, that the header's key id is feed_pk's, and the feed signature by
 * feed_pk. Does not verify the notices. */
int rc_feed_open(struct rc_feed *f, const uint8_t *buf, size_t len,
		 const uint8_t feed_pk[static RC_PK_LEN], struct rc_diag *diag);

/* RC_OK if the feed is still fresh at now (now < expiry), else RC_ERR_EXPIRED. */
int rc_feed_check_time(const struct rc_feed *f, uint64_t now);

/* Verify every notice against the anchors (k-of-n, payload decodes, fits an answer, index
 * entry matches its vendor and model) and that the entries of each bucket are in the order of
 * PROTOCOL.md 14.2 (else RC_ERR_NONCANONICAL); on failure *bad is the index of the first bad
 * notice. */
int rc_feed_verify_notices(const struct rc_feed *f, const struct rc_anchors *a, size_t *bad);

/* Notice i (0..nnotices-1) as signed bytes. */
int rc_feed_notice(const struct rc_feed *f, uint32_t i, const uint8_t **p, size_t *len);

/* Find the first notice covering id; returns true and its bytes (and decoded form if n is not
 * NULL). Within one (vendor, model) notices are ordered quarantine before notify-only, then by
 * severity (highest first), then by id. No heap; safe to call from many threads on one feed. */
bool rc_feed_lookup(const struct rc_feed *f, const struct rc_identity *id, const uint8_t **p,
		    size_t *len, struct rc_notice *n);

/* As rc_feed_lookup, skipping notices that are not valid at now (not_before <= now < expiry). */
bool rc_feed_lookup_at(const struct rc_feed *f, const struct rc_identity *id, uint64_t now,
		       const uint8_t **p, size_t *len, struct rc_notice *n);

/* The notices filed under (vendor, model), whatever their other selectors (a gateway's "possibly
 * affected" for a device known by model only): from index *pos on (start at 0), the next one
 * whose target names exactly this vendor and model; true and its bytes and decoded form (any
 * out pointer may be NULL), *pos moved past it. False at the end. No heap; no time check. */
bool rc_feed_next_model(const struct rc_feed *f, struct rc_str vendor, struct rc_str model,
			uint32_t *pos, const uint8_t **p, size_t *len, struct rc_notice *n);

/* Index hash of a (vendor, model) pair under a feed's hash key: SipHash-2-4 (libsodium
 * crypto_shorthash) of vendor || 0x00 || model, read as a little-endian u64. */
uint64_t rc_feed_hash(const uint8_t key[static RC_FEED_HASHKEY_LEN], struct rc_str vendor,
		      struct rc_str model);

/* Build a feed (tool side; allocates *out with malloc). Notices must be verified by the caller;
 * this decodes each one (COSE_Sign with a notice payload), checks sizes (RC_NOTICE_MAX) and
 * duplicate ids, draws a random hash key and signs with sk. meta->key_id is ignored (derived
 * from sk). On a notice error *bad is its index (for a duplicate id: the later one). */
int rc_feed_build(uint8_t **out, size_t *out_len, const struct rc_feed_meta *meta,
		  const uint8_t *const *notices, const size_t *lens, size_t n,
		  const uint8_t sk[static RC_SK_LEN], size_t *bad);
/* As rc_feed_build, signed by s (meta->key_id is derived from s->pk). */
int rc_feed_build_signer(uint8_t **out, size_t *out_len, const struct rc_feed_meta *meta,
			 const uint8_t *const *notices, const size_t *lens, size_t n,
			 const struct rc_signer *s, size_t *bad);

#endif
