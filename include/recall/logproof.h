/* Compact log proofs (docs/PROTOCOL.md 7.4, docs/LOG.md "Devices"): what a device needs to
 * check that a notice is in the log its anchor set names, without the checkpoint text. The
 * device rebuilds the checkpoint "<origin>\n<size>\n<base64(root)>\n" from its anchor set's
 * origin, the size and the root that the inclusion path gives, then verifies the log's
 * signature over it and a quorum of witness cosignatures (c2sp.org/tlog-cosignature).
 *
 * log-proof = { 1: size, 2: index, 3: [* bstr .size 32], 4: bstr .size 64,
 *               5: [1*8 [bstr .size 4, uint, bstr .size 64]] }
 * No heap, no OS calls. */
#ifndef RECALL_LOGPROOF_H
#define RECALL_LOGPROOF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "recall/anchors.h"
#include "recall/error.h"

#define RC_LOGPROOF_PATH_MAX  40 /* trees up to 2^40 entries */
#define RC_LOGPROOF_COSIG_MAX RC_LOG_WITNESS_MAX
#define RC_LOGPROOF_FUTURE_S  600 /* a cosignature may be this far ahead of a trusted clock */
/* Largest encoding: 1 + 10 + 10 + 2 + 40 * 34 + 3 + 64 + 2 + 8 * 82. */
#define RC_LOGPROOF_ENC_MAX 2108

struct rc_logproof_cosig {
	uint8_t kid[4]; /* witness note key id (algorithm 0x04), big-endian */
	uint64_t time;  /* cosignature timestamp, POSIX seconds, at most 2^63 - 1 */
	uint8_t sig[64];
};

struct rc_logproof {
	uint64_t size;  /* tree size, 1..2^62 - 1 */
	uint64_t index; /* leaf index < size */
	uint32_t npath; /* exactly the inclusion proof length for (index, size) */
	uint8_t path[RC_LOGPROOF_PATH_MAX][32];
	uint8_t log_sig[64]; /* log's Ed25519 signature over the rebuilt checkpoint */
	uint32_t ncosig;     /* 1..8, sorted by kid, distinct */
	struct rc_logproof_cosig cosig[RC_LOGPROOF_COSIG_MAX];
};

/* Deterministic CBOR of p into out[cap]; RC_ERR_INVALID for a proof decode would refuse,
 * RC_ERR_BUFFER if it does not fit. */
int rc_logproof_encode(const struct rc_logproof *p, uint8_t *out, size_t cap, size_t *len);

/* Strict decode (structure only; signatures are checked by rc_logproof_verify). */
int rc_logproof_decode(struct rc_logproof *p, const uint8_t *buf, size_t len, struct rc_diag *d);

/* RC_OK if entry (the exact signed notice bytes) is in the log that a->log names: the path
 * leads to a root whose rebuilt checkpoint the log key signed, and at least quorum distinct
 * witnesses of a->log cosigned it. With clock_trusted, a cosignature counts only if
 * now - max_age <= time <= now + RC_LOGPROOF_FUTURE_S. Errors: RC_ERR_INVALID (no log policy),
 * RC_ERR_RANGE/RC_ERR_SIZE (index, size or path length), RC_ERR_SIG (log signature: wrong
 * entry, index, path or log key), RC_ERR_EXPIRED (quorum missed because of cosignature times),
 * RC_ERR_THRESHOLD (too few valid cosignatures of known witnesses). *witnessed (optional): the
 * number of counted witnesses. d (optional) names the field. */
int rc_logproof_verify(const struct rc_anchors *a, const uint8_t *entry, size_t entry_len,
		       const struct rc_logproof *p, uint64_t now, bool clock_trusted,
		       uint32_t *witnessed, struct rc_diag *d);

/* Responder and tool side: a compact proof from a signed checkpoint note (the log's signature
 * and witness cosignatures, as `recall log` and witnesses write it) and an inclusion path of
 * leaf index. The note's checkpoint must have origin a->log.origin and no extension lines;
 * the log signature must be a->log's key (not verified here: rc_logproof_verify does).
 * Cosignatures of witnesses not in a->log are left out. RC_ERR_MISSING if the log signature
 * or every witness cosignature is missing, RC_ERR_SYNTAX for a bad note or checkpoint. */
int rc_logproof_from_note(struct rc_logproof *p, const struct rc_anchors *a, const char *note,
			  size_t note_len, uint64_t index, const uint8_t (*path)[32], size_t npath);

#endif
