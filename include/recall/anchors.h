/* Trust anchors: n authority keys, threshold k, epoch; k-of-n counting; rotation. */
#ifndef RECALL_ANCHORS_H
#define RECALL_ANCHORS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "recall/cose.h"

#define RC_ANCHOR_MAX  16
#define RC_REVOKED_MAX 16

struct rc_anchor {
	uint8_t kid[RC_KID_LEN];
	uint8_t pk[RC_PK_LEN];
};

struct rc_anchors {
	uint64_t epoch;
	uint32_t k; /* threshold, 1..n */
	uint32_t n;
	struct rc_anchor a[RC_ANCHOR_MAX];
};

/* Which anchors signed: a bit per index into rc_anchors.a. */
struct rc_verdict {
	uint32_t signed_mask; /* distinct trusted keys whose signature verified */
	uint32_t valid;       /* popcount of signed_mask */
	uint32_t bad;         /* signatures by trusted kids that did not verify */
	uint32_t unknown;     /* signatures by kids not in the set (ignored) */
	bool threshold_met;
};

/* Encode an anchor set as CBOR ({1: epoch, 2: k, 3: [+ pk]}). */
int rc_anchors_encode(const struct rc_anchors *s, uint8_t *out, size_t cap, size_t *len);

/* Decode and validate (1 <= k <= n, distinct keys); fills kids. */
int rc_anchors_decode(struct rc_anchors *s, const uint8_t *buf, size_t len, struct rc_diag *diag);

/* Build a set from n public keys in any order: sorts them, fills kids, checks it is valid. */
int rc_anchors_init(struct rc_anchors *s, uint64_t epoch, uint32_t k,
		    const uint8_t (*pks)[RC_PK_LEN], size_t n);

/* Anchors id: first 8 bytes of SHA-256 of the encoded set. */
int rc_anchors_id(const struct rc_anchors *s, uint8_t id[static RC_KID_LEN]);

/* Index of the anchor with this kid, or -1. */
int rc_anchors_find(const struct rc_anchors *s, const uint8_t kid[static RC_KID_LEN]);

/* Count distinct trusted signatures on m; RC_OK if at least k, else RC_ERR_THRESHOLD.
 * verdict (optional) says which keys signed. */
int rc_anchors_verify(const struct rc_anchors *s, const struct rc_cose_sign *m,
		      struct rc_verdict *verdict);

/* Rotation statement payload: the next anchor set (epoch = current + 1) and revoked kids. */
struct rc_rotation {
	uint64_t from_epoch;
	struct rc_anchors next;
	size_t nrevoked;
	uint8_t revoked[RC_REVOKED_MAX][RC_KID_LEN];
};

/* Encode a rotation payload (to be wrapped by rc_cose_encode_unsigned with RC_CT_ROTATION). */
int rc_rotation_encode(const struct rc_rotation *r, uint8_t *out, size_t cap, size_t *len);

/* Decode a rotation payload. */
int rc_rotation_decode(struct rc_rotation *r, const uint8_t *buf, size_t len, struct rc_diag *diag);

/* Apply a signed rotation statement (COSE_Sign bytes) to cur: verifies content type, k of cur's
 * keys, from_epoch == cur->epoch and next.epoch == cur->epoch + 1; on success *cur = next. */
int rc_anchors_rotate(struct rc_anchors *cur, const uint8_t *stmt, size_t len,
		      struct rc_verdict *verdict);

#endif
