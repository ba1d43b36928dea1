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

/* Optional log policy of an anchor set (docs/PROTOCOL.md 10.1, docs/LOG.md "Devices"): a recall
 * is acted on only with a proof that the notice is in this log, in a checkpoint signed by the
 * log key and cosigned by quorum of the witnesses, each cosignature at most max_age old. */
#define RC_LOG_NAME_MAX    64 /* log origin and witness names, bytes (note key names) */
#define RC_LOG_WITNESS_MAX 8
#define RC_LOG_AGE_MIN     60u
#define RC_LOG_AGE_MAX     31536000u /* one year */

struct rc_log_witness {
	char name[RC_LOG_NAME_MAX + 1]; /* NUL-terminated */
	uint8_t pk[RC_PK_LEN];
	uint8_t kid[4]; /* note key id (algorithm 0x04), big-endian */
};

struct rc_log_policy {
	char origin[RC_LOG_NAME_MAX + 1]; /* the log's key name = checkpoint origin line */
	uint8_t log_pk[RC_PK_LEN];
	uint8_t log_kid[4]; /* note key id (algorithm 0x01), big-endian */
	uint32_t nwit;      /* 1..RC_LOG_WITNESS_MAX, sorted by pk, distinct */
	struct rc_log_witness wit[RC_LOG_WITNESS_MAX];
	uint32_t quorum;  /* 1..nwit */
	uint32_t max_age; /* seconds, RC_LOG_AGE_MIN..RC_LOG_AGE_MAX */
};

struct rc_anchors {
	uint64_t epoch;
	uint32_t k; /* threshold, 1..n */
	uint32_t n;
	struct rc_anchor a[RC_ANCHOR_MAX];
	bool has_log; /* false: no log needed (key 4 absent) */
#ifndef RC_AGENT_NO_LOG
	struct rc_log_policy log;
#endif
	/* A build that verifies no log proof (RC_AGENT_NO_LOG, lib/logproof.c) keeps only has_log:
	 * under such a set it acts on nothing that needs a proof, and a set naming a log is one it
	 * cannot encode (rc_agent_init refuses it as the firmware's set). */
};

/* Largest encoded anchor set (with a log policy of 8 witnesses and 64-byte names). */
#define RC_ANCHORS_ENC_MAX 1536

/* Which anchors signed: a bit per index into rc_anchors.a. */
struct rc_verdict {
	uint32_t signed_mask; /* distinct trusted keys whose signature verified */
	uint32_t valid;       /* popcount of signed_mask */
	uint32_t bad;         /* signatures by trusted kids that did not verify */
	uint32_t unknown;     /* signatures by kids not in the set (ignored) */
	bool threshold_met;
};

/* Encode an anchor set as CBOR ({1: epoch, 2: k, 3: [+ pk], ? 4: log-policy}). */
int rc_anchors_encode(const struct rc_anchors *s, uint8_t *out, size_t cap, size_t *len);

/* Decode and validate (1 <= k <= n, distinct keys); fills kids. */
int rc_anchors_decode(struct rc_anchors *s, const uint8_t *buf, size_t len, struct rc_diag *diag);

/* Build a set from n public keys in any order: sorts them, fills kids, checks it is valid.
 * The set has no log policy (has_log false). */
int rc_anchors_init(struct rc_anchors *s, uint64_t epoch, uint32_t k,
		    const uint8_t (*pks)[RC_PK_LEN], size_t n);

/* Give s the log policy p (NULL: none). Only origin, log_pk, nwit, the witnesses' name and pk,
 * quorum and max_age of p are read: witnesses are sorted and key ids filled in here.
 * RC_ERR_INVALID (s unchanged) unless the names are note key names of 1..64 bytes, the keys
 * usable Ed25519 points, witnesses 1..8 with distinct keys and key ids, 1 <= quorum <= nwit and
 * max_age within RC_LOG_AGE_MIN..RC_LOG_AGE_MAX. */
int rc_anchors_set_log(struct rc_anchors *s, const struct rc_log_policy *p);

/* Anchors id: first 8 bytes of SHA-256 of the encoded set (keys 1..4). */
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
