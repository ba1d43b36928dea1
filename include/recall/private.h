/* Private check-ins (docs/PROTOCOL.md section 18, docs/PRIVACY.md): the device sends a 12-bit
 * prefix of a hash of its (vendor, model) instead of its identity; the responder answers with
 * the tags of the models under that prefix that have notices; only a device whose tag is listed
 * fetches notices, one by one, by tag and index. */
#ifndef RECALL_PRIVATE_H
#define RECALL_PRIVATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "recall/error.h"
#include "recall/identity.h"
#include "recall/msg.h"

#define RC_PRIVATE_BITS       12 /* prefix bits, the same for every device */
#define RC_PRIVATE_PREFIXES   (1u << RC_PRIVATE_BITS)
#define RC_PRIVATE_TAG_LEN    8 /* first bytes of the model hash naming a model */
#define RC_BUCKET_ENTRY_LEN   (RC_PRIVATE_TAG_LEN + 2) /* tag || u16 count, big-endian */
#define RC_BUCKET_ENTRIES_MAX 116                      /* per page: 1160 bytes */
#define RC_BUCKET_PAGES_MAX   16
#define RC_NOTICE_INDEX_MAX   65534

/* The model hash of 18.1: SHA-256("recall-private-v1" 00 vendor 00 model) over the canonical
 * names; its first RC_PRIVATE_TAG_LEN bytes into tag, its first 12 bits into *prefix. */
void rc_private_hash(struct rc_str vendor, struct rc_str model,
		     uint8_t tag[static RC_PRIVATE_TAG_LEN], uint16_t *prefix);
/* The prefix of a tag (its first 12 bits). */
uint16_t rc_private_tag_prefix(const uint8_t tag[static RC_PRIVATE_TAG_LEN]);

struct rc_private_checkin {
	uint8_t nonce[RC_NONCE_LEN];
	uint8_t reason;  /* enum rc_reason */
	uint8_t state;   /* enum rc_devstate */
	uint16_t prefix; /* 0 .. RC_PRIVATE_PREFIXES - 1 */
	uint8_t page;    /* 0 .. RC_BUCKET_PAGES_MAX - 1 */
	uint64_t anchor_epoch;
};

struct rc_notice_request {
	uint8_t nonce[RC_NONCE_LEN];
	uint8_t tag[RC_PRIVATE_TAG_LEN];
	uint16_t index; /* 0 .. RC_NOTICE_INDEX_MAX */
	uint64_t anchor_epoch;
};

/* The answer to a private check-in: entries points at nentries * RC_BUCKET_ENTRY_LEN bytes
 * (into the decoded datagram, or the caller's table when encoding), sorted by tag. */
struct rc_bucket {
	uint8_t nonce[RC_NONCE_LEN];
	uint64_t serial;
	const uint8_t *entries;
	size_t nentries; /* 0 .. RC_BUCKET_ENTRIES_MAX */
	uint8_t pages;   /* 1 .. RC_BUCKET_PAGES_MAX */
};

/* Encoders pad requests to exactly RC_CHECKIN_SIZE bytes; decoders are strict, need no heap,
 * and on RC_ERR_VERSION fill in the nonce (for "unsupported"), as rc_checkin_decode does. */
int rc_private_checkin_encode(const struct rc_private_checkin *c,
			      uint8_t out[static RC_CHECKIN_SIZE]);
int rc_private_checkin_decode(struct rc_private_checkin *c, const uint8_t *buf, size_t len,
			      struct rc_diag *diag);
int rc_notice_request_encode(const struct rc_notice_request *q,
			     uint8_t out[static RC_CHECKIN_SIZE]);
int rc_notice_request_decode(struct rc_notice_request *q, const uint8_t *buf, size_t len,
			     struct rc_diag *diag);
/* A bucket answer into out (cap bytes, at most RC_ANSWER_MAX used); sets *len. */
int rc_bucket_encode(const struct rc_bucket *b, uint8_t *out, size_t cap, size_t *len);
int rc_bucket_decode(struct rc_bucket *b, const uint8_t *buf, size_t len, struct rc_diag *diag);

/* The count of tag's entry in a decoded bucket, 0 if it is not listed. */
unsigned rc_bucket_find(const struct rc_bucket *b, const uint8_t tag[static RC_PRIVATE_TAG_LEN]);

/* The responder's side (PROTOCOL.md 18.3): a table over a feed, built once per feed (and again
 * at next_change), answering bucket pages and notice requests without heap. rows is caller
 * memory for one row per notice of the feed. */
struct rc_feed;
struct rc_notice;
struct rc_private_row {
	uint8_t tag[RC_PRIVATE_TAG_LEN];
	uint32_t notice; /* index in the feed */
};
struct rc_private_table {
	const struct rc_feed *feed;
	struct rc_private_row *rows; /* sorted by tag, then feed order */
	size_t nrows;
	uint32_t start[RC_PRIVATE_PREFIXES + 1]; /* rows of prefix p: start[p] .. start[p+1]-1 */
	uint64_t next_change; /* first time after now a notice starts or ends; UINT64_MAX: none */
};
/* Which notices a responder serves (its policy: enforced, not only monitored); NULL keeps all. */
typedef bool (*rc_private_keep_fn)(const struct rc_notice *n, void *arg);

/* Build t over the notices of f that are valid at now and that keep accepts. cap: rows in rows
 * (at least f->nnotices). RC_ERR_BUFFER if cap is too small. */
int rc_private_table_build(struct rc_private_table *t, const struct rc_feed *f,
			   struct rc_private_row *rows, size_t cap, uint64_t now,
			   rc_private_keep_fn keep, void *arg);
/* Page page of prefix's bucket into b (entries written to buf, RC_BUCKET_ENTRIES_MAX entries
 * of room); b->nonce and b->serial are the caller's. RC_ERR_TOOLONG if the bucket needs more
 * than RC_BUCKET_PAGES_MAX pages. */
int rc_private_table_bucket(const struct rc_private_table *t, uint16_t prefix, uint8_t page,
			    uint8_t buf[static RC_BUCKET_ENTRIES_MAX * RC_BUCKET_ENTRY_LEN],
			    struct rc_bucket *b);
/* The index-th (from 0) served notice of the model with tag, in feed order: true and its
 * signed bytes; false if there is none. */
bool rc_private_table_notice(const struct rc_private_table *t,
			     const uint8_t tag[static RC_PRIVATE_TAG_LEN], unsigned index,
			     const uint8_t **p, size_t *len);

#endif
